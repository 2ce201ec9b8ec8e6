import { describe, expect, it } from 'vitest';
import { WallClock } from '../../../src/host/trace/wall-clock.js';
import { BodyCapture, ExchangeRecorder, TraceStore, headerDiff, isSecretHeader, maskSecrets, traceBody, traceBodyBytes, type TraceExchange } from '../../../src/host/index.js';

describe('trace format pieces', () => {
  it('masks credential-looking headers wherever they appear, and nothing else', () => {
    for (const h of ['authorization', 'Proxy-Authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token', 'x-session-id', 'my-secret', 'x-amz-security-token']) expect(isSecretHeader(h)).toBe(true);
    for (const h of [':authority', 'content-type', 'x-request-id', 'user-agent', 'accept']) expect(isSecretHeader(h)).toBe(false);
    const masked = maskSecrets({
      headers: [['authorization', 'Bearer abc.def'], ['cookie', 'a=1'], [':authority', 'example.com']],
      calls: [{ call: 'proxy_get_header_map_value', key: 'x-api-key', value: 'k-123' }, { call: 'proxy_get_property', path: 'request.headers.authorization', value: 'Basic Zm9v' }],
    });
    expect(masked.headers).toEqual([['authorization', 'Bearer ***'], ['cookie', '***'], [':authority', 'example.com']]);
    expect(masked.calls[0]?.value).toBe('***');
    expect(masked.calls[1]?.value).toBe('Basic ***');
    expect(JSON.stringify(masked)).not.toMatch(/abc\.def|a=1|k-123|Zm9v/);
  });

  it('bounds bodies: text or base64, full size, truncated flag, no broken UTF-8', () => {
    expect(traceBody(new TextEncoder().encode('hello'), 10)).toEqual({ size: 5, text: 'hello' });
    expect(traceBody(new Uint8Array([0xff, 0x00, 0x01]), 10)).toEqual({ size: 3, base64: '/wAB' });
    const euro = new TextEncoder().encode('€€€'); // 9 bytes, 3 each
    expect(traceBody(euro, 4)).toEqual({ size: 9, text: '€', truncated: true });
    const cap = new BodyCapture(5);
    cap.add(new TextEncoder().encode('abc'));
    cap.add(new TextEncoder().encode('defgh'));
    expect(cap.body()).toEqual({ size: 8, text: 'abcde', truncated: true });
    // Short chunks (kept without a native call) and long ones keep every byte, text or not.
    const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 0x80) & 0xff);
    const binary = new BodyCapture(64);
    binary.add(bytes.subarray(0, 3));
    binary.add(bytes.subarray(3, 30));
    binary.add(bytes.subarray(30));
    expect(binary.body()).toEqual({ size: 40, base64: Buffer.from(bytes).toString('base64') });
    expect(new TextDecoder().decode(traceBodyBytes({ size: 3, base64: 'YWJj' }))).toBe('abc');
  });

  it('dates a record by the wall clock, read again at most once a second of running', () => {
    let wall = 1_000_000;
    let reads = 0;
    const clock = new WallClock(() => {
      reads++;
      return wall;
    });
    expect(clock.at(5000)).toBe(1_000_000);
    expect(clock.at(5400)).toBe(1_000_400); // within a second: no read
    expect(reads).toBe(1);
    wall = 9_000_000; // the clock was set (or the machine slept)
    expect(clock.at(5900)).toBe(1_000_900);
    expect(clock.at(6500)).toBe(9_000_000); // a second on: read again
    expect(clock.at(6600)).toBe(9_000_100);
    expect(reads).toBe(2);
    const before = Date.now();
    const startedAt = Date.parse(new ExchangeRecorder(1, []).finish().startedAt);
    expect(startedAt).toBeGreaterThanOrEqual(before - 5);
    expect(startedAt).toBeLessThanOrEqual(Date.now() + 5);
  });

  it('diffs header lists by name', () => {
    expect(headerDiff([['a', '1'], ['b', '2'], ['c', '3']], [['a', '1'], ['b', '9'], ['d', '4']])).toEqual([
      { op: 'changed', key: 'b', before: '2', after: '9' },
      { op: 'removed', key: 'c', before: '3' },
      { op: 'added', key: 'd', after: '4' },
    ]);
  });

  it('serve keeps the last N exchanges, oldest first, and tells listeners', () => {
    const store = new TraceStore({ capacity: 3 });
    const seen: number[] = [];
    store.subscribe((s) => seen.push(s.id));
    const done: TraceExchange[] = [];
    for (let i = 0; i < 5; i++) {
      const rec = store.begin([]);
      rec.request([[':method', 'GET'], [':path', `/${i}`], ['authorization', 'Bearer x']]);
      rec.response(200, [[':status', '200']]);
      done.push(rec.finish());
    }
    expect(store.list().map((t) => t.id)).toEqual([3, 4, 5]);
    expect(store.get(1)).toBeUndefined();
    expect(store.get(5)?.path).toBe('/4');
    expect(store.total).toBe(5);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(store.output(done[4]!).request.headers).toContainEqual(['authorization', 'Bearer ***']);
    expect(new TraceStore({ secrets: true }).output(done[4]!).request.headers).toContainEqual(['authorization', 'Bearer x']);
  });

  it('an exchange recorder says who answered', () => {
    const local = new ExchangeRecorder(1, [{ name: 'authn', rootId: 'authn' }]);
    local.request([[':method', 'POST'], [':path', '/x']]);
    local.local({ status: 401, details: 'no token', headers: [], body: new Uint8Array(0), grpcStatus: -1 }, 'authn');
    local.response(401, [[':status', '401']]);
    expect(local.finish()).toMatchObject({ method: 'POST', path: '/x', answeredBy: 'authn', local: { status: 401, by: 'authn' }, plugins: [{ name: 'authn', rootId: 'authn' }] });
    const reset = new ExchangeRecorder(2, []);
    reset.request([[':method', 'GET'], [':path', '/']]);
    expect(reset.finish().answeredBy).toBe('reset');
  });
});
