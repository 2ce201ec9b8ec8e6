// The AssemblyScript SDK (assembly/) under generated input, run inside the project's own host
// (src/host): header maps of any size and bytes, JSON configurations of any shape (and broken ones),
// property values, and request bodies in any chunking. No case may trap; every parse gives the right
// value or a clear "invalid". fast-check shrinks a failure to a small case; each one found is kept
// below as a regression example.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain, HeaderMap, Plugin, type DataOutcome, type HttpCallResponse, type PluginVm } from '../../src/host/index.js';
import { repoRoot } from '../helpers/cli.js';
import { holds, holdsAsync, propertyRuns } from '../helpers/property.js';

const run = promisify(execFile);
let dir = '';
let plugin: Plugin;
let vm: PluginVm;
let moduleBytes: Uint8Array;

beforeAll(async () => {
  // Laid out as a generated project: the SDK comes from node_modules/create-istio-wasm.
  dir = await mkdtemp(path.join(tmpdir(), 'ciw-sdk-props-'));
  await mkdir(path.join(dir, 'node_modules'));
  await symlink(repoRoot, path.join(dir, 'node_modules', 'create-istio-wasm'), 'dir');
  await symlink(path.join(repoRoot, 'node_modules', 'assemblyscript'), path.join(dir, 'node_modules', 'assemblyscript'), 'dir');
  await copyFile(path.join(repoRoot, 'test', 'fixtures', 'as', 'properties.ts'), path.join(dir, 'properties.ts'));
  const flags = JSON.parse(await readFile(path.join(repoRoot, 'assembly', 'asc-flags.json'), 'utf8')) as string[];
  await run(process.execPath, [path.join(repoRoot, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), 'properties.ts', '-o', 'properties.wasm', ...flags], { cwd: dir });
  moduleBytes = new Uint8Array(await readFile(path.join(dir, 'properties.wasm')));
  plugin = await Plugin.load({ module: moduleBytes, failStrategy: 'FAIL_RELOAD' });
  if (!plugin.vm) throw new Error(`the fixture did not start: ${plugin.failure?.message}`);
  vm = plugin.vm;
}, 180_000);

afterAll(async () => {
  plugin?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs export `fn` on bytes placed in guest memory (from the guest's allocator); returns `out`. */
function runOn(fn: string, bytes: Uint8Array, contextId = 1): string {
  if (plugin.failed) {
    // A trap in an earlier case: FAIL_RELOAD starts a fresh VM, so one failure does not mask the rest.
    plugin.newStream().finish();
    vm = plugin.vm as PluginVm;
  }
  const ptr = bytes.byteLength > 0 ? vm.mem.allocate(bytes.byteLength) : 0;
  if (bytes.byteLength > 0) vm.mem.write(ptr, bytes);
  try {
    vm.call(fn, contextId, ptr, bytes.byteLength);
  } finally {
    if (ptr) vm.call('free_input', 1, ptr);
  }
  return output();
}

function output(): string {
  const p = vm.call('out_ptr', 1) >>> 0;
  const n = vm.call('out_len', 1);
  return Buffer.from(vm.mem.read(p, n)).toString('utf16le');
}

const enc = new TextEncoder();
const u32le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** The ABI's header map serialization, at byte level (names and values may be any bytes). */
function serialize(pairs: Array<[Uint8Array, Uint8Array]>): Uint8Array {
  const parts: number[] = [...u32le(pairs.length)];
  for (const [k, v] of pairs) parts.push(...u32le(k.byteLength), ...u32le(v.byteLength));
  const head = Uint8Array.from(parts);
  const size = head.byteLength + pairs.reduce((n, [k, v]) => n + k.byteLength + v.byteLength + 2, 0);
  const out = new Uint8Array(size);
  out.set(head, 0);
  let at = head.byteLength;
  for (const [k, v] of pairs) {
    out.set(k, at);
    at += k.byteLength + 1;
    out.set(v, at);
    at += v.byteLength + 1;
  }
  return out;
}

const utf8 = (b: Uint8Array) => new TextDecoder('utf-8', { fatal: true }).decode(b);
const isUtf8 = (b: Uint8Array) => {
  try {
    utf8(b);
    return true;
  } catch {
    return false;
  }
};
const expectedPairs = (pairs: Array<[Uint8Array, Uint8Array]>) =>
  `${pairs.length}` + pairs.map(([k, v]) => `|${utf8(k).length}:${utf8(k)} ${utf8(v).length}:${utf8(v)}`).join('');

describe('header maps (deserializeHeaders)', () => {
  const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ maxLength: 8 }), fc.constant('')).map((s) => enc.encode(s));
  const anyBytes = fc.uint8Array({ maxLength: 24 });

  it('gives back every pair of a well-formed map, whatever its size and UTF-8 content', () => {
    let tried = 0;
    holds(
      'SDK: header maps',
      fc.property(fc.array(fc.tuple(text, text), { maxLength: 20 }), (pairs) => {
        tried++;
        expect(runOn('t_headers', serialize(pairs))).toBe(expectedPairs(pairs));
      }),
      propertyRuns(),
    );
    expect(tried).toBeGreaterThanOrEqual(propertyRuns());
    // Thousands of pairs.
    holds(
      'SDK: header maps (large)',
      fc.property(fc.array(fc.tuple(text, text), { minLength: 1000, maxLength: 3000 }), (pairs) => {
        expect(runOn('t_headers', serialize(pairs))).toBe(expectedPairs(pairs));
      }),
      20,
    );
    // 64 KiB values and empty names.
    const big: Array<[Uint8Array, Uint8Array]> = [[new Uint8Array(0), enc.encode('v'.repeat(65536))], [enc.encode('x-big'), enc.encode('é'.repeat(40000))]];
    expect(runOn('t_headers', serialize(big))).toBe(expectedPairs(big));
  });

  it('never traps on non-UTF-8 bytes, and keeps every pair', () => {
    holds(
      'SDK: header maps',
      fc.property(fc.array(fc.tuple(anyBytes, anyBytes), { maxLength: 12 }), (pairs) => {
        const got = runOn('t_headers', serialize(pairs));
        expect(got.split('|')[0]).toBe(String(pairs.length));
        if (pairs.every(([k, v]) => isUtf8(k) && isUtf8(v))) expect(got).toBe(expectedPairs(pairs));
      }),
      propertyRuns(),
    );
  });

  it('reads hostile counts and lengths (huge, wrapping the address space, truncated) as the pairs that fit', () => {
    holds(
      'SDK: header maps',
      fc.property(
        fc.array(fc.tuple(text, text), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.constantFrom(0xffffffff, 0xfffffffe, 0xfffffff0, 0x80000000, 0x7fffffff, 0x20000000, 0x1fffffff, 65536, 4096),
        fc.constantFrom('count', 'key', 'value', 'truncate'),
        (pairs, at, huge, where) => {
          const bytes = serialize(pairs);
          const view = new DataView(bytes.buffer);
          const i = at % pairs.length;
          let fits = pairs.length;
          let input = bytes;
          if (where === 'count') {
            view.setUint32(0, huge, true);
            fits = 0; // the lengths table cannot hold `huge` entries
          } else if (where === 'truncate') {
            input = bytes.subarray(0, Math.max(0, bytes.byteLength - 1 - (huge % 7)));
          } else {
            view.setUint32(4 + i * 8 + (where === 'key' ? 0 : 4), huge, true);
            fits = i;
          }
          const got = runOn('t_headers', input);
          if (where === 'truncate') expect(Number(got.split('|')[0])).toBeLessThan(pairs.length + 1);
          else expect(got).toBe(expectedPairs(pairs.slice(0, fits)));
        },
      ),
      propertyRuns(),
    );
  });
});

/** The canonical form t_json emits for a JS value (the reference: JSON.parse). */
function canon(v: unknown): string {
  if (v === null) return 'n';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') {
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, v);
    return `#${b.getBigUint64(0).toString(16).padStart(16, '0')}`;
  }
  if (typeof v === 'string') return `s${v.length}:${v}`;
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `s${k.length}:${k}=${canon(x)}`).join(',')}}`;
}

function depth(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  return 1 + Math.max(0, ...Object.values(v as object).map(depth));
}

describe('JSON configuration (parseJson)', () => {
  it('parses any JSON document to the value JSON.parse gives, numbers to the last bit', () => {
    holds(
      'SDK: JSON',
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        const reference = JSON.parse(text) as unknown;
        expect(runOn('t_json', enc.encode(text))).toBe(canon(reference));
      }),
      propertyRuns(),
    );
  });

  it('reads every double as JSON.parse does (shortest form, exponents, long mantissas)', () => {
    const forms = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
      fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: -330, max: 310 })).map(([m, e]) => `${m}e${e}`),
      fc.tuple(fc.nat(), fc.stringMatching(/^[0-9]{1,25}$/)).map(([i, f]) => `${i}.${f}`),
      fc.stringMatching(/^-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,40})?([eE][+-]?[0-9]{1,3})?$/),
    );
    holds(
      'SDK: JSON',
      fc.property(forms, (text) => {
        expect(runOn('t_json', enc.encode(text)), text).toBe(canon(JSON.parse(text)));
      }),
      propertyRuns(),
    );
  });

  it('answers "invalid" exactly where JSON.parse throws (truncated, mutated, invalid UTF-8), never traps', () => {
    const broken = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).chain((v) => {
        const t = JSON.stringify(v);
        return fc.nat({ max: t.length }).map((n) => t.slice(0, n));
      }),
      fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat(), fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', '-', '.', 'e', '0', '\u0000', ' ', 'x')).map(([v, at, c]) => {
        const t = JSON.stringify(v);
        const i = at % (t.length + 1);
        return t.slice(0, i) + c + t.slice(i);
      }),
      fc.string({ maxLength: 12 }),
    );
    holds(
      'SDK: JSON',
      fc.property(broken, (text) => {
        let reference: string;
        let canonical = false;
        try {
          const v = JSON.parse(text) as unknown;
          reference = depth(v) > 64 ? 'invalid' : canon(v);
          // JSON.parse drops repeated keys and moves integer-like keys first; the SDK keeps the
          // document as written. Values are compared when the text is already in JSON.parse's form.
          canonical = JSON.stringify(v) === text;
        } catch {
          reference = 'invalid';
        }
        const got = runOn('t_json', enc.encode(text));
        if (reference === 'invalid' || canonical) expect(got, JSON.stringify(text)).toBe(reference);
        else expect(got, JSON.stringify(text)).not.toBe('invalid');
      }),
      propertyRuns(),
    );
    // Invalid UTF-8 inside a configuration never traps (decoded with replacement characters).
    holds(
      'SDK: JSON',
      fc.property(fc.uint8Array({ maxLength: 32 }), (bytes) => {
        const got = runOn('t_json', Uint8Array.from([0x22, ...bytes.filter((b) => b !== 0x22 && b !== 0x5c && b >= 0x20), 0x22]));
        expect(got === 'invalid' || got.startsWith('s')).toBe(true);
      }),
      Math.ceil(propertyRuns() / 10),
    );
  });

  it('keeps the deep and the huge within bounds: depth 64 parses, 65 is invalid, long numbers parse', () => {
    expect(runOn('t_json', enc.encode(`${'['.repeat(64)}${']'.repeat(64)}`))).toBe(`${'['.repeat(64)}${']'.repeat(64)}`);
    expect(runOn('t_json', enc.encode(`${'['.repeat(66)}${']'.repeat(66)}`))).toBe('invalid');
    for (const n of ['1e400', '-1e400', '1e-400', `${'9'.repeat(400)}`, `0.${'0'.repeat(400)}1`]) expect(runOn('t_json', enc.encode(n)), n).toBe(canon(JSON.parse(n)));
  });
});

describe('cases the properties found, kept as regression examples', () => {
  it('header maps: a count or length near 4 GiB wrapped the 32-bit bounds check and trapped', () => {
    const pairs: Array<[Uint8Array, Uint8Array]> = [[enc.encode('a'), enc.encode('b')], [enc.encode('c'), enc.encode('d')]];
    for (const [offset, value] of [[0, 0x20000000], [0, 0xffffffff], [4, 0xffffffff], [8, 0xfffffffe], [12, 0xfffffff0]] as const) {
      const bytes = serialize(pairs);
      new DataView(bytes.buffer).setUint32(offset, value, true);
      const fits = offset === 0 ? 0 : offset <= 8 ? 0 : 1;
      expect(runOn('t_headers', bytes), `${value} at ${offset}`).toBe(expectedPairs(pairs.slice(0, fits)));
    }
    expect(plugin.failed).toBe(false);
  });

  it('JSON numbers: decimal scaling by repeated * 10 and / 10 lost the last bit', () => {
    for (const text of ['0.11', '6.737672096338614e-308', '5732686995e-313', '2.192408483528188e+43', '8.495595224220383e+47', '2.2250738585072011e-308', '9007199254740993', '0.1', '1e23', '4.9406564584124654e-324', '2.4703282292062328e-324', '1.7976931348623157e308', '-0']) {
      expect(runOn('t_json', enc.encode(text)), text).toBe(canon(JSON.parse(text)));
    }
  });
});

describe('property values (getProperty) and request bodies, through a stream of the host', () => {
  it('hands over any property value byte for byte', () => {
    const stream = plugin.newStream();
    stream.onRequestHeaders(new HeaderMap({ ':method': 'GET', ':path': '/' }), true);
    const segment = fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !s.includes('\u0000') && !s.includes('.'));
    holds(
      'SDK: property values',
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.uint8Array({ maxLength: 300 }), (pathParts, value) => {
        const key = ['filter_state', ...pathParts];
        stream.setProperty(key, value);
        const got = runOn('t_property', enc.encode(key.join('\u0000')), stream.id);
        expect(got).toBe(Buffer.from(value).toString('hex'));
      }),
      propertyRuns(),
    );
    expect(runOn('t_property', enc.encode('no\u0000such'), stream.id)).toBe('null');
    stream.finish();
  });

  it('reads any callout response (headers and body) inside proxy_on_http_call_response', async () => {
    let answer: HttpCallResponse = { headers: [] };
    const callout = await Plugin.load({
      module: moduleBytes,
      failStrategy: 'FAIL_RELOAD',
      dispatcher: { knows: (cluster) => cluster === 'callout', dispatch: () => Promise.resolve(answer) },
    });
    const cvm = callout.vm as PluginVm;
    cvm.call('set_body_mode', 1, 2);
    const name = fc.string({ minLength: 1, maxLength: 12 }).map((s) => s.toLowerCase()).filter((s) => !s.includes('\u0000'));
    const value = fc.string({ maxLength: 40 }).filter((s) => !s.includes('\u0000'));
    await holdsAsync(
      'SDK: callout responses',
      fc.asyncProperty(fc.array(fc.tuple(name, value), { maxLength: 12 }), fc.uint8Array({ maxLength: 600 }), async (pairs, body) => {
        answer = { headers: [[':status', '200'], ...pairs], body };
        const stream = callout.newStream();
        expect(stream.onRequestHeaders(new HeaderMap({ ':method': 'GET', ':path': '/' }), true).kind).toBe('pause');
        expect((await stream.resumed()).kind).toBe('continue');
        stream.finish();
        const text = Buffer.from(cvm.mem.read(cvm.call('out_ptr', 1) >>> 0, cvm.call('out_len', 1))).toString('utf16le');
        const all: Array<[string, string]> = [[':status', '200'], ...pairs];
        const expected = `${all.length}${all.map(([k, v]) => `|${k.length}:${k} ${v.length}:${v}`).join('')}#${Buffer.from(body).toString('hex')}`;
        expect(text).toBe(expected);
      }),
    );
    expect(callout.failed).toBe(false);
    expect(callout.vm?.openStreams).toBe(0);
    callout.close();
  });

  it('sees exactly the bytes sent, in any chunking, reading each chunk or buffering to the end', () => {
    const fnv = (b: Uint8Array) => {
      let h = 2166136261;
      for (const x of b) h = Math.imul(h ^ x, 16777619) >>> 0;
      return h;
    };
    holds(
      'SDK: bodies',
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.array(fc.nat({ max: 2048 }), { maxLength: 8 }), fc.constantFrom(0, 1), (body, cuts, mode) => {
        vm.call('set_body_mode', 1, mode);
        // Driven as serve drives it: a chain that forwards (drains) what each step lets through.
        const chain = new Chain([plugin.newStream()]);
        expect(chain.requestHeaders(new HeaderMap({ ':method': 'POST', ':path': '/' }), false)).toEqual({ kind: 'continue' });
        const points = [...new Set(cuts.map((c) => c % (body.byteLength + 1)))].sort((a, b) => a - b);
        const forwarded: number[] = [];
        let from = 0;
        for (const p of points) {
          const d = chain.requestData(body.slice(from, p), false) as DataOutcome;
          if (d.kind === 'continue') forwarded.push(...d.data);
          from = p;
        }
        const last = chain.requestData(body.slice(from), true) as DataOutcome;
        if (last.kind === 'continue') forwarded.push(...last.data);
        chain.finish();
        expect(output()).toBe(`${body.byteLength}:${fnv(body)}`);
        expect(Uint8Array.from(forwarded)).toEqual(body);
      }),
      propertyRuns(),
    );
    expect(plugin.failed).toBe(false);
    expect(plugin.vm?.openStreams).toBe(0);
  });
});
