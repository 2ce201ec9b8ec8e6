import { writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffHarResponse, ignoredHeader, readReplaySource } from '../../../src/replay/index.js';
import { makeTempDir } from '../../helpers/tmp.js';

// HAR replay compares what a HAR records that a plugin influences: status, response headers (without
// hop-by-hop and volatile ones), and the body when the HAR has it (text, or base64 per HAR 1.2).
const enc = (s: string) => new TextEncoder().encode(s);
const recorded = (headers: Array<[string, string]>, body?: string) => ({ status: 200, headers, body: body === undefined ? undefined : enc(body) });
const answer = (headers: Array<[string, string]>, body: Uint8Array | string, status = 200) => {
  const b = typeof body === 'string' ? enc(body) : body;
  return { status, headers, body: b, size: b.byteLength };
};

describe('HAR response comparison', () => {
  it('reports status, headers the plugin set or removed, and the body', () => {
    const { differences, notes } = diffHarResponse(
      recorded([['content-type', 'text/plain'], ['x-demo', 'demo'], ['x-gone', '1']], 'hello'),
      answer([['content-type', 'text/plain'], ['x-demo', 'other'], ['x-new', 'yes']], 'hello world', 403),
    );
    expect(notes).toEqual([]);
    expect(differences).toEqual([
      { what: 'status', recorded: '200', replayed: '403' },
      { what: 'header sent downstream x-demo', recorded: 'demo', replayed: 'other' },
      { what: 'header sent downstream x-gone', recorded: '1', replayed: '(absent)' },
      { what: 'header sent downstream x-new', recorded: '(absent)', replayed: 'yes' },
      { what: 'body sent downstream', recorded: '"hello" (5 bytes)', replayed: '"hello world" (11 bytes)' },
    ]);
  });

  it('leaves out hop-by-hop, volatile and named headers, and content-length across encodings', () => {
    const har = recorded([['date', 'Mon, 01 Jan 2024 00:00:00 GMT'], ['server', 'istio-envoy'], ['x-envoy-upstream-service-time', '3'], ['connection', 'keep-alive'], ['content-encoding', 'gzip'], ['content-length', '25'], ['x-cache', 'HIT'], ['x-amz-id', 'a']], 'same body');
    const now = answer([['date', 'Tue, 02 Jan 2024 00:00:00 GMT'], ['transfer-encoding', 'chunked'], ['content-encoding', 'gzip'], ['content-length', '29'], ['x-amz-id', 'b']], zlib.gzipSync('same body'));
    // content-length: both sides have it with the same encoding, so it is compared.
    expect(diffHarResponse(har, now, ['x-cache', 'x-amz-*']).differences).toEqual([{ what: 'header sent downstream content-length', recorded: '25', replayed: '29' }]);
    // Another encoding (or one side without the header): not compared; the body is compared decoded.
    const plain = answer([['content-type', 'text/plain']], 'same body');
    const r = diffHarResponse(recorded([['content-encoding', 'br'], ['content-length', '12']], 'same body'), plain);
    expect(r.differences).toEqual([{ what: 'header sent downstream content-encoding', recorded: 'br', replayed: '(absent)' }, { what: 'header sent downstream content-type', recorded: '(absent)', replayed: 'text/plain' }]);
    expect(ignoredHeader('x-envoy-decorator-operation')).toBe(true);
    expect(ignoredHeader('x-envoyish')).toBe(false);
    expect(ignoredHeader('X-Cache'.toLowerCase(), ['X-Cache'])).toBe(true);
  });

  it('compares set-cookie by cookie names and shows credential-looking values masked', () => {
    const har = recorded([['set-cookie', 'sid=abc; Path=/'], ['set-cookie', 'theme=dark'], ['x-auth-token', 'Bearer old'], ['x-api-key', 'k1']]);
    const now = answer([['set-cookie', 'sid=def; Path=/; HttpOnly'], ['x-auth-token', 'Bearer new'], ['x-api-key', 'k2']], '');
    expect(diffHarResponse(har, now).differences).toEqual([
      { what: 'header sent downstream set-cookie', recorded: 'sid=…, theme=…', replayed: 'sid=…' },
      { what: 'header sent downstream x-auth-token', recorded: 'Bearer ***', replayed: 'Bearer *** (another value)' },
      { what: 'header sent downstream x-api-key', recorded: '***', replayed: '*** (another value)' },
    ]);
    expect(diffHarResponse(recorded([['set-cookie', 'sid=abc']]), answer([['set-cookie', 'sid=xyz']], '')).differences).toEqual([]);
  });

  it('decodes gzip, deflate and br answers; says what it could not compare', () => {
    for (const [name, data] of [['gzip', zlib.gzipSync('body')], ['deflate', zlib.deflateSync('body')], ['br', zlib.brotliCompressSync('body')]] as const) {
      expect(diffHarResponse(recorded([['content-encoding', name]], 'body'), answer([['content-encoding', name]], data)).differences).toEqual([]);
    }
    const zstd = diffHarResponse(recorded([['content-encoding', 'zstd']], 'body'), answer([['content-encoding', 'zstd']], 'garbled'));
    expect(zstd).toEqual({ differences: [], notes: ['the body was not compared: its content-encoding "zstd" cannot be decoded here'] });
    const stripped = diffHarResponse(recorded([]), answer([['x-any', '1']], 'x'));
    expect(stripped).toEqual({ differences: [], notes: ['the HAR lists no response headers: headers were not compared'] });
    expect(diffHarResponse(recorded([['a', '1']]), { ...answer([['a', '1']], 'x'), size: 10_000_000 }).notes).toEqual([]);
    expect(diffHarResponse(recorded([['a', '1']], 'x'), { ...answer([['a', '1']], 'x'), size: 10_000_000 }).notes).toEqual(['the body was not compared: the answer had 10000000 bytes, more than replay keeps']);
  });
});

describe('reading a HAR file', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await makeTempDir('ciw-har-');
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });
  const write = (name: string, entries: unknown[]) => {
    const file = path.join(tmp.dir, name);
    writeFileSync(file, JSON.stringify({ log: { version: '1.2', entries } }, null, 1));
    return file;
  };
  const request = { method: 'get', url: 'https://shop.example.com/a?b=1', headers: [{ name: ':authority', value: 'shop.example.com' }, { name: 'Accept', value: '*/*' }] };

  it('reads the response: headers lower-case without pseudo-headers, text or base64 body', async () => {
    const file = write('ok.har', [
      { request, response: { status: 200, headers: [{ name: ':status', value: '200' }, { name: 'Content-Type', value: 'text/plain' }], content: { size: 5, text: 'aGVsbG8=', encoding: 'base64' } } },
      { request, response: { status: 404, headers: [], content: { size: 3, text: 'nop' } } },
      { request, response: { status: 0, headers: [], content: { size: 0 } } },
    ]);
    const source = await readReplaySource(file);
    if (source.kind !== 'har') throw new Error('not read as a HAR');
    expect(source.requests[0]).toMatchObject({ method: 'GET', path: '/a?b=1', headers: [['accept', '*/*']], status: 200, response: { status: 200, headers: [['content-type', 'text/plain']] } });
    expect(new TextDecoder().decode(source.requests[0]?.response?.body)).toBe('hello');
    expect(new TextDecoder().decode(source.requests[1]?.response?.body)).toBe('nop');
    expect(source.requests[2]?.response).toBeUndefined();
  });

  it('refuses a content encoding HAR 1.2 does not know, and base64 that is not', async () => {
    await expect(readReplaySource(write('enc.har', [{ request, response: { status: 200, headers: [], content: { text: 'x', encoding: 'gzip' } } }]))).rejects.toThrow(/HAR entry 1's response content has encoding "gzip"; HAR 1.2 knows only base64/);
    await expect(readReplaySource(write('b64.har', [{ request, response: { status: 200, headers: [], content: { text: '%%%', encoding: 'base64' } } }]))).rejects.toThrow(/says base64 but is not base64/);
  });
});
