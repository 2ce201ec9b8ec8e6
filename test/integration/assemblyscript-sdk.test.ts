// The AssemblyScript SDK (assembly/) and the example plugin (templates/assemblyscript/assembly/):
// compiled with the repository's asc from a project laid out as a generated one
// (node_modules/create-istio-wasm -> this repository), checked for a clean ABI surface, and driven
// by a small mock Proxy-Wasm host written here (the full host lives in src/host/).

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ascBin = path.join(repoRoot, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
// 17 KiB: parseJson reads numbers with correct rounding (assembly/decimal.ts, ~1.2 KB of exact
// big-integer arithmetic); the 16 KiB it had before came from rounding at every digit.
const MAX_EXAMPLE_SIZE = 17 * 1024;

// ---------------------------------------------------------------------------------------------
// Build

let projectDir = '';
const wasm: Record<string, Uint8Array> = {};

async function ascFlags(): Promise<string[]> {
  return JSON.parse(await readFile(path.join(repoRoot, 'assembly', 'asc-flags.json'), 'utf8')) as string[];
}

async function compile(entry: string, name: string): Promise<Uint8Array> {
  const out = path.join(projectDir, 'build', `${name}.wasm`);
  await run(process.execPath, [ascBin, entry, '-o', out, ...(await ascFlags())], { cwd: projectDir });
  return new Uint8Array(await readFile(out));
}

function moduleOf(name: string): WebAssembly.Module {
  const bytes = wasm[name];
  if (!bytes) throw new Error(`${name} was not compiled`);
  return new WebAssembly.Module(bytes);
}

const fixtures = ['features', 'tcp', 'registry', 'api'] as const;

beforeAll(async () => {
  // A project laid out like a generated one: the SDK comes from node_modules/create-istio-wasm.
  projectDir = await mkdtemp(path.join(tmpdir(), 'as-sdk-'));
  await mkdir(path.join(projectDir, 'node_modules'), { recursive: true });
  await mkdir(path.join(projectDir, 'assembly'));
  await mkdir(path.join(projectDir, 'fixtures'));
  await symlink(repoRoot, path.join(projectDir, 'node_modules', 'create-istio-wasm'), 'dir');
  await symlink(path.join(repoRoot, 'node_modules', 'assemblyscript'), path.join(projectDir, 'node_modules', 'assemblyscript'), 'dir');
  await copyFile(path.join(repoRoot, 'templates', 'assemblyscript', 'assembly', 'index.ts'), path.join(projectDir, 'assembly', 'index.ts'));
  for (const f of fixtures) {
    await copyFile(path.join(repoRoot, 'test', 'fixtures', 'as', `${f}.ts`), path.join(projectDir, 'fixtures', `${f}.ts`));
  }
  // The README's example must compile too.
  const readme = await readFile(path.join(repoRoot, 'assembly', 'README.md'), 'utf8');
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!example) throw new Error('assembly/README.md has no ts example');
  await writeFile(path.join(projectDir, 'fixtures', 'readme.ts'), example);
  const builds = [compile('assembly/index.ts', 'example'), ...[...fixtures, 'readme'].map((f) => compile(`fixtures/${f}.ts`, f))];
  const names = ['example', ...fixtures, 'readme'];
  const results = await Promise.all(builds);
  results.forEach((bytes, i) => {
    wasm[names[i] as string] = bytes;
  });
}, 240_000);

afterAll(async () => {
  if (projectDir) await rm(projectDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// A mock Proxy-Wasm host (ABI 0.2.1), just enough to drive the SDK.

type Pairs = Array<[string, string]>;

const Status = { Ok: 0, NotFound: 1, BadArgument: 2, Empty: 7, CasMismatch: 8, Unimplemented: 12 } as const;
const MapType = { RequestHeaders: 0, RequestTrailers: 1, ResponseHeaders: 2, ResponseTrailers: 3, GrpcInitial: 4, GrpcTrailing: 5, CallHeaders: 6, CallTrailers: 7 } as const;
const BufferType = { RequestBody: 0, ResponseBody: 1, Downstream: 2, Upstream: 3, CallBody: 4, GrpcReceive: 5, VmConfig: 6, PluginConfig: 7 } as const;

interface LocalResponse { status: number; body: string; headers: Pairs; details: string; grpcStatus: number }
interface HttpCall { cluster: string; headers: Pairs; body: string; trailers: Pairs; timeout: number; token: number; context: number }
interface GrpcCall { upstream: string; service: string; method: string; metadata: Pairs; message: string; timeout: number; token: number }

type Fn = (...args: number[]) => number;
const enc = new TextEncoder();
const dec = new TextDecoder();

function serializePairs(pairs: Pairs): Uint8Array {
  const keys = pairs.map(([k]) => enc.encode(k));
  const values = pairs.map(([, v]) => enc.encode(v));
  let size = 4 + pairs.length * 8;
  keys.forEach((k, i) => (size += k.length + (values[i] as Uint8Array).length + 2));
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, pairs.length, true);
  let data = 4 + pairs.length * 8;
  keys.forEach((k, i) => {
    const v = values[i] as Uint8Array;
    view.setUint32(4 + i * 8, k.length, true);
    view.setUint32(8 + i * 8, v.length, true);
    out.set(k, data);
    data += k.length + 1;
    out.set(v, data);
    data += v.length + 1;
  });
  return out;
}

function parsePairs(bytes: Uint8Array): Pairs {
  if (bytes.length < 4) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true);
  const pairs: Pairs = [];
  let data = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const kl = view.getUint32(4 + i * 8, true);
    const vl = view.getUint32(8 + i * 8, true);
    const k = dec.decode(bytes.subarray(data, data + kl));
    data += kl + 1;
    const v = dec.decode(bytes.subarray(data, data + vl));
    data += vl + 1;
    pairs.push([k, v]);
  }
  return pairs;
}

class MockHost {
  readonly logs: Array<{ level: number; message: string }> = [];
  readonly maps = new Map<number, Pairs>();
  readonly buffers = new Map<number, Uint8Array>();
  readonly properties = new Map<string, Uint8Array>();
  readonly localResponses: LocalResponse[] = [];
  readonly httpCalls: HttpCall[] = [];
  readonly grpcCalls: GrpcCall[] = [];
  readonly continued: number[] = [];
  readonly closed: number[] = [];
  readonly effective: number[] = [];
  readonly shared = new Map<string, { value: Uint8Array; cas: number }>();
  readonly queues = new Map<number, Uint8Array[]>();
  readonly queueNames = new Map<string, number>();
  readonly metrics = new Map<number, { type: number; name: string; value: bigint }>();
  callStatus: { code: number; message: string } = { code: 0, message: '' };
  tickPeriod = -1;
  /** Like Envoy: a local response runs the response path (proxy_on_response_headers) re-entrantly. */
  reenterOnLocalResponse = false;
  private currentContext = 0;
  logLevel = 1;
  private nextToken = 1;
  private nextContext = 2;
  readonly rootContextId = 1;
  exports!: Record<string, Fn>;
  memory!: WebAssembly.Memory;
  readonly calledImports = new Set<string>();

  constructor(private readonly module: WebAssembly.Module, readonly rootId: string) {
    this.properties.set('plugin_root_id', enc.encode(rootId));
    this.properties.set('plugin_name', enc.encode(rootId));
  }

  // guest memory helpers
  private bytes(): Uint8Array { return new Uint8Array(this.memory.buffer); }
  private view(): DataView { return new DataView(this.memory.buffer); }
  private read(ptr: number, len: number): Uint8Array { return this.bytes().slice(ptr, ptr + len); }
  private str(ptr: number, len: number): string { return dec.decode(this.read(ptr, len)); }
  private give(data: Uint8Array, ptrOut: number, sizeOut: number): number {
    const alloc = this.exports.proxy_on_memory_allocate as Fn;
    const ptr = alloc(data.length);
    this.bytes().set(data, ptr);
    this.view().setUint32(ptrOut, ptr, true);
    this.view().setUint32(sizeOut, data.length, true);
    return Status.Ok;
  }
  private u32(ptr: number, value: number): void { this.view().setUint32(ptr, value, true); }

  private map(id: number): Pairs {
    let m = this.maps.get(id);
    if (!m) this.maps.set(id, (m = []));
    return m;
  }

  private implementations(): Record<string, Fn> {
    return {
      proxy_log: (level, ptr, len) => { this.logs.push({ level, message: this.str(ptr, len) }); return Status.Ok; },
      proxy_get_log_level: (out) => { this.u32(out, this.logLevel); return Status.Ok; },
      proxy_get_current_time_nanoseconds: (out) => { this.view().setBigUint64(out, 1_700_000_000_000_000_000n, true); return Status.Ok; },
      proxy_set_tick_period_milliseconds: (ms) => { this.tickPeriod = ms; return Status.Ok; },
      proxy_get_buffer_bytes: (type, start, max, ptrOut, sizeOut) => {
        const b = this.buffers.get(type);
        if (!b) return Status.NotFound;
        return this.give(b.subarray(start, Math.min(b.length, start + (max >>> 0))), ptrOut, sizeOut);
      },
      proxy_set_buffer_bytes: (type, start, size, ptr, len) => {
        const b = this.buffers.get(type) ?? new Uint8Array(0);
        const value = this.read(ptr, len);
        const s = Math.min(start, b.length);
        const e = Math.min(b.length, s + (size >>> 0));
        const next = new Uint8Array(s + value.length + (b.length - e));
        next.set(b.subarray(0, s), 0);
        next.set(value, s);
        next.set(b.subarray(e), s + value.length);
        this.buffers.set(type, next);
        return Status.Ok;
      },
      proxy_get_buffer_status: (type, sizeOut, flagsOut) => {
        const b = this.buffers.get(type);
        if (!b) return Status.NotFound;
        this.u32(sizeOut, b.length);
        this.u32(flagsOut, 0);
        return Status.Ok;
      },
      proxy_get_header_map_pairs: (id, ptrOut, sizeOut) => this.give(serializePairs(this.map(id)), ptrOut, sizeOut),
      proxy_get_header_map_size: (id, sizeOut) => { this.u32(sizeOut, serializePairs(this.map(id)).length); return Status.Ok; },
      proxy_set_header_map_pairs: (id, ptr, len) => { this.maps.set(id, parsePairs(this.read(ptr, len))); return Status.Ok; },
      proxy_get_header_map_value: (id, kp, kl, ptrOut, sizeOut) => {
        const key = this.str(kp, kl).toLowerCase();
        const found = this.map(id).find(([k]) => k === key);
        return found ? this.give(enc.encode(found[1]), ptrOut, sizeOut) : Status.NotFound;
      },
      proxy_add_header_map_value: (id, kp, kl, vp, vl) => { this.map(id).push([this.str(kp, kl).toLowerCase(), this.str(vp, vl)]); return Status.Ok; },
      proxy_replace_header_map_value: (id, kp, kl, vp, vl) => {
        const key = this.str(kp, kl).toLowerCase();
        const rest = this.map(id).filter(([k]) => k !== key);
        rest.push([key, this.str(vp, vl)]);
        this.maps.set(id, rest);
        return Status.Ok;
      },
      proxy_remove_header_map_value: (id, kp, kl) => {
        const key = this.str(kp, kl).toLowerCase();
        this.maps.set(id, this.map(id).filter(([k]) => k !== key));
        return Status.Ok;
      },
      proxy_continue_stream: (stream) => { this.continued.push(stream); return Status.Ok; },
      proxy_close_stream: (stream) => { this.closed.push(stream); return Status.Ok; },
      proxy_get_status: (codeOut, ptrOut, sizeOut) => { this.u32(codeOut, this.callStatus.code); return this.give(enc.encode(this.callStatus.message), ptrOut, sizeOut); },
      proxy_send_local_response: (status, dp, dl, bp, bl, hp, hl, grpcStatus) => {
        const headers = parsePairs(this.read(hp, hl));
        this.localResponses.push({ status, details: this.str(dp, dl), body: this.str(bp, bl), headers, grpcStatus });
        if (this.reenterOnLocalResponse) this.responseHeaders(this.currentContext, [[':status', String(status)], ...headers]);
        return Status.Ok;
      },
      proxy_http_call: (up, ul, hp, hl, bp, bl, tp, tl, timeout, tokenOut) => {
        const token = this.nextToken++;
        this.httpCalls.push({ cluster: this.str(up, ul), headers: parsePairs(this.read(hp, hl)), body: this.str(bp, bl), trailers: parsePairs(this.read(tp, tl)), timeout, token, context: this.currentContext });
        this.u32(tokenOut, token);
        return Status.Ok;
      },
      proxy_grpc_call: (up, ul, sp, sl, mp, ml, mdp, mdl, msgp, msgl, timeout, tokenOut) => {
        const token = this.nextToken++;
        this.grpcCalls.push({ upstream: this.str(up, ul), service: this.str(sp, sl), method: this.str(mp, ml), metadata: parsePairs(this.read(mdp, mdl)), message: this.str(msgp, msgl), timeout, token });
        this.u32(tokenOut, token);
        return Status.Ok;
      },
      proxy_set_shared_data: (kp, kl, vp, vl, cas) => {
        const key = this.str(kp, kl);
        const cur = this.shared.get(key);
        if (cas !== 0 && cur && cur.cas !== cas) return Status.CasMismatch;
        this.shared.set(key, { value: this.read(vp, vl), cas: (cur?.cas ?? 0) + 1 });
        return Status.Ok;
      },
      proxy_get_shared_data: (kp, kl, ptrOut, sizeOut, casOut) => {
        const cur = this.shared.get(this.str(kp, kl));
        if (!cur) return Status.NotFound;
        this.u32(casOut, cur.cas);
        return this.give(cur.value, ptrOut, sizeOut);
      },
      proxy_register_shared_queue: (np, nl, idOut) => {
        const name = this.str(np, nl);
        let id = this.queueNames.get(name);
        if (id === undefined) {
          id = this.queueNames.size + 100;
          this.queueNames.set(name, id);
          this.queues.set(id, []);
        }
        this.u32(idOut, id);
        return Status.Ok;
      },
      proxy_resolve_shared_queue: (vp, vl, np, nl, idOut) => {
        const id = this.queueNames.get(this.str(np, nl));
        if (id === undefined) return Status.NotFound;
        this.u32(idOut, id);
        return Status.Ok;
      },
      proxy_enqueue_shared_queue: (id, vp, vl) => {
        const q = this.queues.get(id);
        if (!q) return Status.NotFound;
        q.push(this.read(vp, vl));
        return Status.Ok;
      },
      proxy_dequeue_shared_queue: (id, ptrOut, sizeOut) => {
        const q = this.queues.get(id);
        if (!q) return Status.NotFound;
        const item = q.shift();
        return item ? this.give(item, ptrOut, sizeOut) : Status.Empty;
      },
      proxy_define_metric: (type, np, nl, idOut) => {
        const id = this.metrics.size + 1;
        this.metrics.set(id, { type, name: this.str(np, nl), value: 0n });
        this.u32(idOut, id);
        return Status.Ok;
      },
      proxy_get_property: (pp, pl, ptrOut, sizeOut) => {
        const value = this.properties.get(this.str(pp, pl));
        return value ? this.give(value, ptrOut, sizeOut) : Status.NotFound;
      },
      proxy_set_property: (pp, pl, vp, vl) => { this.properties.set(this.str(pp, pl), this.read(vp, vl)); return Status.Ok; },
      proxy_set_effective_context: (id) => { this.effective.push(id); return Status.Ok; },
      proxy_done: () => Status.Ok,
    };
  }

  start(config: string): boolean {
    const impl = this.implementations();
    const env: Record<string, unknown> = {};
    for (const imp of WebAssembly.Module.imports(this.module)) {
      if (imp.module !== 'env' || !imp.name.startsWith('proxy_')) throw new Error(`unexpected import ${imp.module}.${imp.name}`);
      const f = impl[imp.name];
      env[imp.name] = (...args: Array<number | bigint>) => {
        this.calledImports.add(imp.name);
        return f ? f(...(args as number[])) : Status.Unimplemented;
      };
    }
    // i64 metric values arrive as BigInt
    env.proxy_increment_metric = (id: number, delta: bigint) => { const m = this.metrics.get(id); if (!m) return Status.NotFound; m.value += delta; return Status.Ok; };
    env.proxy_record_metric = (id: number, value: bigint) => { const m = this.metrics.get(id); if (!m) return Status.NotFound; m.value = value; return Status.Ok; };
    env.proxy_get_metric = (id: number, out: number) => { const m = this.metrics.get(id); if (!m) return Status.NotFound; this.view().setBigUint64(out, m.value, true); return Status.Ok; };
    const instance = new WebAssembly.Instance(this.module, { env: env as WebAssembly.ModuleImports });
    this.exports = instance.exports as unknown as Record<string, Fn>;
    this.memory = instance.exports.memory as WebAssembly.Memory;
    this.call('_initialize');
    this.call('proxy_on_context_create', this.rootContextId, 0);
    expect(this.call('proxy_on_vm_start', this.rootContextId, 0)).toBe(1);
    return this.configure(config);
  }

  configure(config: string): boolean {
    const bytes = enc.encode(config);
    this.buffers.set(BufferType.PluginConfig, bytes);
    const ok = this.call('proxy_on_configure', this.rootContextId, bytes.length) === 1;
    this.buffers.delete(BufferType.PluginConfig);
    return ok;
  }

  call(name: string, ...args: number[]): number {
    const f = this.exports[name];
    if (!f) throw new Error(`module does not export ${name}`);
    return f(...args);
  }

  newContext(): number {
    const id = this.nextContext++;
    this.call('proxy_on_context_create', id, this.rootContextId);
    return id;
  }

  /** Request headers of a new stream; returns the context id and the action. */
  requestHeaders(headers: Pairs, endOfStream = true): { ctx: number; action: number } {
    const ctx = this.newContext();
    this.currentContext = ctx;
    this.maps.set(MapType.RequestHeaders, headers.map(([k, v]) => [k, v] as [string, string]));
    const action = this.call('proxy_on_request_headers', ctx, headers.length, endOfStream ? 1 : 0);
    return { ctx, action };
  }

  responseHeaders(ctx: number, headers: Pairs): number {
    this.maps.set(MapType.ResponseHeaders, headers.map(([k, v]) => [k, v] as [string, string]));
    return this.call('proxy_on_response_headers', ctx, headers.length, 0);
  }

  finish(ctx: number): void {
    expect(this.call('proxy_on_done', ctx)).toBe(1);
    this.call('proxy_on_log', ctx);
    this.call('proxy_on_delete', ctx);
  }

  httpCallResponse(token: number, headers: Pairs, body = ''): void {
    const call = this.httpCalls.find((c) => c.token === token);
    if (call) this.currentContext = call.context;
    this.maps.set(MapType.CallHeaders, headers);
    this.buffers.set(BufferType.CallBody, enc.encode(body));
    this.call('proxy_on_http_call_response', this.rootContextId, token, headers.length, enc.encode(body).length, 0);
  }

  header(map: number, name: string): string | undefined {
    return this.maps.get(map)?.find(([k]) => k === name)?.[1];
  }

  logged(text: string): boolean {
    return this.logs.some((l) => l.message.includes(text));
  }
}

const Action = { Continue: 0, Pause: 1 } as const;

// ---------------------------------------------------------------------------------------------

function wasmValidate(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'wasm-validate');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

describe('AssemblyScript SDK: module surface', () => {
  it.each(['example', ...fixtures, 'readme'])('%s imports only env.proxy_* and exports the ABI 0.2.1 surface', (name) => {
    const mod = moduleOf(name);
    const imports = WebAssembly.Module.imports(mod);
    expect(imports.length).toBeGreaterThan(0);
    for (const imp of imports) {
      expect(imp.module).toBe('env');
      expect(imp.name).toMatch(/^proxy_/);
    }
    const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
    for (const required of [
      'proxy_abi_version_0_2_1', 'proxy_on_memory_allocate', '_initialize', 'memory',
      'proxy_on_context_create', 'proxy_on_vm_start', 'proxy_on_configure', 'proxy_on_tick', 'proxy_on_done',
      'proxy_on_log', 'proxy_on_delete', 'proxy_on_request_headers', 'proxy_on_request_body',
      'proxy_on_request_trailers', 'proxy_on_response_headers', 'proxy_on_response_body',
      'proxy_on_response_trailers', 'proxy_on_http_call_response', 'proxy_on_queue_ready',
      'proxy_on_new_connection', 'proxy_on_downstream_data', 'proxy_on_upstream_data',
      'proxy_on_downstream_connection_close', 'proxy_on_upstream_connection_close',
      'proxy_on_grpc_receive_initial_metadata', 'proxy_on_grpc_receive', 'proxy_on_grpc_receive_trailing_metadata',
      'proxy_on_grpc_close', 'proxy_on_foreign_function',
    ]) {
      expect(exports).toContain(required);
    }
    // nothing but the ABI, the memory and the reactor start
    for (const e of exports) expect(e).toMatch(/^(proxy_|_initialize$|memory$)/);
    expect(exports.some((e) => /^proxy_abi_version_0_(1_0|2_0)$/.test(e))).toBe(false);
  });

  it(`keeps the example module at or under ${MAX_EXAMPLE_SIZE} bytes`, () => {
    expect(wasm.example?.length ?? Infinity).toBeLessThanOrEqual(MAX_EXAMPLE_SIZE);
  });

  it('validates with wasm-validate (wabt)', async () => {
    const tool = wasmValidate();
    if (!tool) {
      // Under CI the tool is required: its absence fails instead of skipping.
      if (process.env.CI === 'true') throw new Error('wasm-validate (Debian package wabt) is required under CI=true');
      console.warn('wasm-validate not found (apt-get install wabt); skipping validation');
      return;
    }
    for (const name of ['example', ...fixtures]) {
      await run(tool, [path.join(projectDir, 'build', `${name}.wasm`)]);
    }
  });
});

const AUTH_CLUSTER = 'outbound|8080||auth.default.svc.cluster.local';

describe('AssemblyScript SDK: the example plugin on a mock host', () => {
  it('logs its configuration and accepts an empty one', () => {
    const host = new MockHost(moduleOf('example'), 'wasm-auth');
    expect(host.start('')).toBe(true);
    expect(host.logs).toContainEqual({ level: 2, message: 'config: ' });
    const config = '{"protectedPrefix": "/v2", "responseHeader": "x-auth"}';
    expect(host.configure(config)).toBe(true);
    expect(host.logs).toContainEqual({ level: 2, message: `config: ${config}` });
  });

  it.each(['[1, 2]', '"text"', '42', 'null', '{"protectedPrefix": ', '{"a": 1} x', '{"protectedPrefix": 5}'])(
    'rejects configuration %s (proxy_on_configure returns false)',
    (config) => {
      const host = new MockHost(moduleOf('example'), 'wasm-auth');
      expect(host.start(config)).toBe(false);
    },
  );

  it('answers 401 with a body to the protected prefix without the credential header', () => {
    const host = new MockHost(moduleOf('example'), 'wasm-auth');
    expect(host.start('{}')).toBe(true);
    const { ctx, action } = host.requestHeaders([[':method', 'GET'], [':path', '/v2/_catalog'], [':authority', 'registry']]);
    expect(action).toBe(Action.Pause);
    expect(host.localResponses).toHaveLength(1);
    const r = host.localResponses[0] as LocalResponse;
    expect(r.status).toBe(401);
    expect(r.body).toBe('unauthorized: missing authorization header\n');
    expect(r.headers).toEqual([['content-type', 'text/plain'], ['www-authenticate', 'Bearer']]);
    expect(r.grpcStatus).toBe(-1);
    expect(host.logs.some((l) => l.level === 3 && l.message.includes('authorization'))).toBe(true);
    host.finish(ctx);
  });

  it('continues with the credential, tags the request with the root id and the response with the header', () => {
    const host = new MockHost(moduleOf('example'), 'wasm-auth');
    expect(host.start('{"credentialHeader": "x-token", "responseHeader": "x-plugin"}')).toBe(true);
    const { ctx, action } = host.requestHeaders([[':path', '/v2/x'], ['x-token', 'secret']]);
    expect(action).toBe(Action.Continue);
    expect(host.localResponses).toHaveLength(0);
    expect(host.header(MapType.RequestHeaders, 'x-wasm-plugin-request')).toBe('wasm-auth');
    expect(host.responseHeaders(ctx, [[':status', '200']])).toBe(Action.Continue);
    expect(host.header(MapType.ResponseHeaders, 'x-plugin')).toBe('wasm-auth');
    host.finish(ctx);
  });

  it('lets unprotected paths through and names itself istio-wasm when the root id is empty', () => {
    const host = new MockHost(moduleOf('example'), '');
    expect(host.start('')).toBe(true);
    const { ctx, action } = host.requestHeaders([[':path', '/healthz']]);
    expect(action).toBe(Action.Continue);
    expect(host.header(MapType.RequestHeaders, 'x-wasm-plugin-request')).toBe('istio-wasm');
    host.responseHeaders(ctx, [[':status', '200']]);
    expect(host.header(MapType.ResponseHeaders, 'x-wasm-plugin')).toBe('istio-wasm');
    host.finish(ctx);
  });

  it('checks the credential with an HTTP call and resumes on 200', () => {
    const host = new MockHost(moduleOf('example'), 'wasm-auth');
    expect(host.start(JSON.stringify({ authCluster: AUTH_CLUSTER }))).toBe(true);
    const { ctx, action } = host.requestHeaders([[':path', '/v2/'], ['authorization', 'Bearer t0k3n']]);
    expect(action).toBe(Action.Pause);
    expect(host.httpCalls).toHaveLength(1);
    const call = host.httpCalls[0] as HttpCall;
    expect(call.cluster).toBe(AUTH_CLUSTER);
    expect(call.headers).toEqual([[':method', 'GET'], [':path', '/check'], [':authority', 'auth.default.svc.cluster.local'], ['authorization', 'Bearer t0k3n']]);
    expect(call.timeout).toBe(5000);
    expect(call.body).toBe('');
    host.httpCallResponse(call.token, [[':status', '200']]);
    expect(host.effective).toContain(ctx);
    expect(host.continued).toEqual([0]); // HTTP_REQUEST
    expect(host.localResponses).toHaveLength(0);
    host.finish(ctx);
  });

  it('answers 403 when the check fails or the call fails, with authPath/authAuthority from config', () => {
    const host = new MockHost(moduleOf('example'), 'wasm-auth');
    expect(host.start(JSON.stringify({ authCluster: AUTH_CLUSTER, authPath: '/verify', authAuthority: 'auth.local' }))).toBe(true);
    const a = host.requestHeaders([[':path', '/v2/a'], ['authorization', 'x']]);
    const b = host.requestHeaders([[':path', '/v2/b'], ['authorization', 'y']]);
    const [callA, callB] = host.httpCalls as [HttpCall, HttpCall];
    expect(callA.headers).toContainEqual([':path', '/verify']);
    expect(callA.headers).toContainEqual([':authority', 'auth.local']);
    host.httpCallResponse(callB.token, []); // failed call: no headers
    expect(host.effective.at(-1)).toBe(b.ctx);
    host.httpCallResponse(callA.token, [[':status', '401']]);
    expect(host.effective.at(-1)).toBe(a.ctx);
    expect(host.localResponses.map((r) => [r.status, r.body, r.headers])).toEqual([
      [403, 'forbidden\n', [['content-type', 'text/plain']]],
      [403, 'forbidden\n', [['content-type', 'text/plain']]],
    ]);
    expect(host.continued).toEqual([]);
    host.finish(a.ctx);
    host.finish(b.ctx);
  });

  it('keeps memory flat over 100k requests, with re-entrant local responses', () => {
    const host = new MockHost(moduleOf('example'), 'wasm-auth');
    host.reenterOnLocalResponse = true;
    expect(host.start(JSON.stringify({ authCluster: AUTH_CLUSTER }))).toBe(true);
    const oneRequest = (i: number): void => {
      const kind = i % 3;
      const headers: Pairs = kind === 0 ? [[':path', '/v2/x']] : [[':path', kind === 1 ? '/v2/y' : '/open'], ['authorization', `token-${i}`]];
      const { ctx } = host.requestHeaders(headers);
      if (kind === 1) {
        const call = host.httpCalls.at(-1) as HttpCall;
        host.httpCallResponse(call.token, [[':status', i % 2 === 0 ? '200' : '403']]);
        host.httpCalls.length = 0;
      }
      if (kind === 0 || (kind === 1 && i % 2 === 1)) {
        // the local response went through the response path inside the request callback
        expect(host.header(MapType.ResponseHeaders, 'x-wasm-plugin')).toBe('wasm-auth');
      }
      host.responseHeaders(ctx, [[':status', '200'], ['content-length', '0']]);
      host.finish(ctx);
      host.localResponses.length = 0;
      host.logs.length = 0;
      host.continued.length = 0;
      host.effective.length = 0;
    };
    for (let i = 0; i < 2_000; i++) oneRequest(i);
    const warm = host.memory.buffer.byteLength;
    for (let i = 2_000; i < 102_000; i++) oneRequest(i);
    expect(host.memory.buffer.byteLength).toBe(warm);
    expect(warm / 65536).toBeLessThanOrEqual(2);
  });
});

describe('AssemblyScript SDK: features on a mock host', () => {
  it('serves a root id it was not registered for, with a warning', () => {
    const host = new MockHost(moduleOf('features'), 'my-plugin');
    expect(host.start('{"name": "n"}')).toBe(true);
    expect(host.logs.some((l) => l.level === 3 && l.message.includes('my-plugin'))).toBe(true);
  });

  it('parses JSON, defines metrics, uses shared data with CAS, queues, properties, time and log level', () => {
    const host = new MockHost(moduleOf('features'), 'features-root');
    host.logLevel = 2;
    const config = '{"name": "caf\\u00e9", "n": -12.5e1, "flag": true, "nested": {"inner": "deep", "x": [null]}, "list": [1, "two", false, {}], "esc": "a\\"b\\\\c\\n"}';
    expect(host.start(config)).toBe(true);
    const messages = host.logs.map((l) => l.message);
    expect(messages).toContain(`json name=café n=-125.0 flag=true inner=deep list=4 esc=a"b\\c\n size=${enc.encode(config).length}`);
    expect(messages).toContain('metrics counter=5 gauge=7');
    expect([...host.metrics.values()].map((m) => [m.type, m.name, m.value])).toEqual([
      [0, 'requests_total', 5n], [1, 'in_flight', 7n], [2, 'latency_ms', 5n],
    ]);
    expect(messages).toContain('shared missing=notfound first=v1 stale=casmismatch fresh=ok after=v3');
    expect(messages).toContain('queue same=yes');
    expect(messages.find((m) => m.startsWith('props'))).toBe('props plugin_name=features-root set=y absent=null');
    expect(dec.decode(host.properties.get('filter_state\0wasm.x'))).toBe('y');
    expect(messages).toContain('time=1700000000000000000 level=2');
    expect(host.tickPeriod).toBe(1000);

    host.call('proxy_on_tick', host.rootContextId);
    expect(host.logged('tick')).toBe(true);
    const queueId = host.queueNames.get('jobs') as number;
    host.call('proxy_on_queue_ready', host.rootContextId, queueId);
    expect(host.logs.at(-1)?.message).toBe('dequeued=ab empty=yes');
  });

  it('parseJson answers null on hostile input (no trap, no endless loop): the plugin refuses its configuration', () => {
    const hostile = [
      '['.repeat(100_000),
      `${'['.repeat(65)}${']'.repeat(65)}`,
      `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
      '{"a": "\\x"}',
      '{"a": "\\u12G4"}',
      '{"a": "\\u12',
      '{"a": "\\',
      '{"a": "unterminated',
      '{"a": "tab\there"}',
      '{"a": 01}',
      '{"a": 1.}',
      '{"a": -}',
      '{"a": 1e}',
      '{"a": .5}',
      '{"a": 1} x',
      '{"a":}',
      '{"a" 1}',
      '{"a": [1,]}',
      '{"a": tru}',
      '',
    ];
    for (const config of hostile) {
      const host = new MockHost(moduleOf('features'), 'features-root');
      expect(host.start(config), config.slice(0, 40)).toBe(false);
    }
    // Valid but extreme: the limit depth, a huge exponent and a very long number still parse.
    const host = new MockHost(moduleOf('features'), 'features-root');
    expect(host.start(`{"name": "x", "n": 1e999999999, "list": [${'1'.repeat(100_000)}], "nested": ${'['.repeat(60)}${']'.repeat(60)}}`)).toBe(true);
    expect(host.logs.map((l) => l.message).find((m) => m.startsWith('json'))).toMatch(/^json name=x n=Infinity .* list=1 /);
  });

  it('rewrites header maps, bodies and trailers', () => {
    const host = new MockHost(moduleOf('features'), 'features-root');
    expect(host.start('{}')).toBe(true);
    const { ctx, action } = host.requestHeaders([[':path', '/p'], ['x-remove', '1'], ['x-keep', 'é']], false);
    expect(action).toBe(Action.Continue);
    expect(host.maps.get(MapType.RequestHeaders)).toEqual([[':path', '/p'], ['x-keep', 'é'], ['x-count', '3'], ['x-multi', '2']]);

    host.buffers.set(BufferType.RequestBody, enc.encode('hel'));
    expect(host.call('proxy_on_request_body', ctx, 3, 0)).toBe(Action.Pause);
    host.buffers.set(BufferType.RequestBody, enc.encode('hello'));
    expect(host.call('proxy_on_request_body', ctx, 5, 1)).toBe(Action.Continue);
    expect(dec.decode(host.buffers.get(BufferType.RequestBody))).toBe('[hello]');

    host.maps.set(MapType.RequestTrailers, [['t', 'v']]);
    expect(host.call('proxy_on_request_trailers', ctx, 1)).toBe(Action.Continue);
    expect(host.maps.get(MapType.RequestTrailers)).toEqual([['t', 'v'], ['t2', 'v!']]);

    host.buffers.set(BufferType.ResponseBody, enc.encode('body'));
    expect(host.call('proxy_on_response_body', ctx, 4, 1)).toBe(Action.Continue);
    expect(dec.decode(host.buffers.get(BufferType.ResponseBody))).toBe('len=4;body');
    host.finish(ctx);
    expect(host.logs.at(-1)?.message).toBe(`log ctx=${ctx}`);
  });

  it('routes an HTTP call response to the callback given to dispatchHttpCall', () => {
    const host = new MockHost(moduleOf('features'), 'features-root');
    expect(host.start('{}')).toBe(true);
    const { ctx, action } = host.requestHeaders([[':path', '/callback']]);
    expect(action).toBe(Action.Pause);
    const call = host.httpCalls[0] as HttpCall;
    expect(call).toMatchObject({ cluster: 'outbound|80||api.default.svc.cluster.local', body: 'payload', trailers: [['t', '1']], timeout: 2000 });
    host.httpCallResponse(call.token, [[':status', '201']], 'created');
    expect(host.logs.at(-1)?.message).toBe(`callback ctx=${ctx} status=201 body=created`);
    expect(host.effective.at(-1)).toBe(ctx);
    expect(host.continued).toEqual([0]);
    host.finish(ctx);
  });

  it('makes a gRPC call and gets the reply on the calling context', () => {
    const host = new MockHost(moduleOf('features'), 'features-root');
    expect(host.start('{}')).toBe(true);
    const { ctx, action } = host.requestHeaders([[':path', '/grpc']]);
    expect(action).toBe(Action.Pause);
    const call = host.grpcCalls[0] as GrpcCall;
    expect(call).toMatchObject({ upstream: 'outbound|9000||grpc.default.svc.cluster.local', service: 'pkg.Svc', method: 'Check', metadata: [['k', 'v']], message: 'ping', timeout: 1000 });
    host.buffers.set(BufferType.GrpcReceive, enc.encode('pong'));
    host.call('proxy_on_grpc_receive', host.rootContextId, call.token, 4);
    expect(host.logs.at(-1)?.message).toBe('grpc reply=pong');
    expect(host.effective.at(-1)).toBe(ctx);
    expect(host.continued).toEqual([0]);
    host.finish(ctx);
  });

  it('runs TCP stream contexts', () => {
    const host = new MockHost(moduleOf('tcp'), 'tcp-plugin');
    expect(host.start('')).toBe(true);
    const ctx = host.newContext();
    expect(host.call('proxy_on_new_connection', ctx)).toBe(Action.Continue);
    host.buffers.set(BufferType.Downstream, enc.encode('ping'));
    expect(host.call('proxy_on_downstream_data', ctx, 4, 0)).toBe(Action.Continue);
    expect(dec.decode(host.buffers.get(BufferType.Downstream))).toBe('<ping>');
    host.buffers.set(BufferType.Upstream, enc.encode('pong'));
    expect(host.call('proxy_on_upstream_data', ctx, 4, 1)).toBe(Action.Continue);
    host.call('proxy_on_downstream_connection_close', ctx, 2);
    host.call('proxy_on_upstream_connection_close', ctx, 1);
    host.finish(ctx);
    expect(host.logs.map((l) => l.message)).toEqual([`connection ${ctx}`, 'upstream pong eos', 'downstream closed by 2', 'upstream closed by 1']);
  });

  it('picks the root context registered for the host root id, and passes through when none matches', () => {
    const beta = new MockHost(moduleOf('registry'), 'beta');
    expect(beta.start('')).toBe(true);
    expect(beta.logs.map((l) => l.message)).toEqual(['root beta id=beta']);
    const alpha = new MockHost(moduleOf('registry'), 'alpha');
    expect(alpha.start('')).toBe(true);
    expect(alpha.logs.map((l) => l.message)).toEqual(['root alpha id=alpha']);

    const other = new MockHost(moduleOf('registry'), 'gamma');
    expect(other.start('')).toBe(true);
    expect(other.logs.some((l) => l.level === 4 && l.message.includes('gamma'))).toBe(true);
    const { ctx, action } = other.requestHeaders([[':path', '/']]);
    expect(action).toBe(Action.Continue);
    other.finish(ctx);
  });

  it('runs every SDK call against the host without trapping', () => {
    const host = new MockHost(moduleOf('api'), 'api');
    expect(host.start('')).toBe(true);
    host.call('proxy_on_tick', host.rootContextId);
    expect(host.logs.at(-1)?.message).toBe('api ok');
  });
});
