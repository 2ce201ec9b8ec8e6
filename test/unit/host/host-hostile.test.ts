import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeaderMap, Plugin, Status, compilePluginModule, type HttpStream } from '../../../src/host/index.js';
import { maxMemoryPages } from '../../../src/host/memory-limit.js';
import { wat } from './fixtures.js';
import { loadProbe, put, t } from './probe.js';
import { holds, propertyRuns } from '../../helpers/property.js';

// The host under modules written to misbehave: every answer is a status or a trap the fail strategy
// handles, never an exception escaping into serve or the test process, and other streams go on.
const statuses = new Set<number>(Object.values(Status));

async function hostile(failStrategy: 'FAIL_CLOSE' | 'FAIL_RELOAD' = 'FAIL_RELOAD'): Promise<Plugin> {
  const plugin = await Plugin.load({ module: await wat('hostile.wat'), failStrategy });
  expect(plugin.failed).toBe(false);
  return plugin;
}

function request(plugin: Plugin, path = '/'): { stream: HttpStream; kind: string; status?: number } {
  const stream = plugin.newStream();
  const o = stream.onRequestHeaders(new HeaderMap({ ':method': 'GET', ':path': path }), true);
  stream.finish();
  return { stream, kind: o.kind, ...(o.kind === 'local' ? { status: o.response.status } : {}) };
}

describe('memory exhaustion', () => {
  it("stops a module at Envoy's 1 GiB (16384 pages): memory.grow answers -1 at once, the trap fails the stream, the next stream runs", async () => {
    const plugin = await hostile('FAIL_RELOAD');
    const vm = plugin.vm!;
    vm.call('set_mode', 1, 1);
    const started = Date.now();
    const r = request(plugin, '/exhaust');
    const elapsed = Date.now() - started;
    expect(r.kind).toBe('local');
    expect(r.status).toBe(503); // the trap, under FAIL_RELOAD: this stream fails, a new VM takes the next
    // 1 + 15 x 1024 pages; one more step of 1024 would pass 16384 (proxy-wasm-cpp-host checks >= 95%).
    expect(vm.mem.size).toBeGreaterThan(0.9 * maxMemoryPages * 65536);
    expect(vm.mem.size).toBeLessThanOrEqual(1024 * 1024 * 1024);
    expect(elapsed).toBeLessThan(5000);
    expect(plugin.failure?.message).toMatch(/unreachable/);
    expect(request(plugin, '/next').kind).toBe('continue');
    expect(plugin.vm?.call('grown', 1)).toBe(1);
    plugin.close();
  });

  it('refuses a module whose memory starts above 1 GiB, and keeps a smaller declared maximum', async () => {
    const big = await wat('(module (memory (export "memory") 16385) (func (export "proxy_abi_version_0_2_1")))');
    await expect(compilePluginModule(big)).rejects.toMatchObject({ code: 'WASM_MEMORY_LIMIT', message: expect.stringMatching(/16385 pages.*at most 16384 pages \(1 GiB\)/) });
    const small = await Plugin.load({
      module: await wat(`(module (memory (export "memory") 1 3) (func (export "proxy_abi_version_0_2_1"))
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`),
    });
    expect(small.vm?.call('grow', 1, 2)).toBe(1);
    expect(small.vm?.call('grow', 1, 1)).toBe(-1);
    const unbounded = await Plugin.load({
      module: await wat(`(module (memory (export "memory") 16380) (func (export "proxy_abi_version_0_2_1"))
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`),
    });
    expect(unbounded.vm?.call('grow', 1, 4)).toBe(16380);
    expect(unbounded.vm?.call('grow', 1, 1)).toBe(-1);
    small.close();
    unbounded.close();
  });
});

describe('reentrant and garbage allocators', () => {
  it('an allocator that calls back into the host without end traps the stream (FAIL_CLOSE: 503), and the process goes on', async () => {
    const plugin = await hostile('FAIL_CLOSE');
    plugin.vm!.call('set_mode', 1, 2);
    const r = request(plugin);
    expect(r.kind).toBe('local');
    expect(r.status).toBe(503);
    expect(plugin.failed).toBe(true);
    expect(request(plugin).status).toBe(503); // FAIL_CLOSE stays failed, as Envoy
    plugin.close();
  });

  it('an allocator answering garbage gets INVALID_MEMORY_ACCESS, never a write outside memory', async () => {
    const plugin = await hostile('FAIL_RELOAD');
    const vm = plugin.vm!;
    const stream = plugin.newStream();
    stream.onRequestHeaders(new HeaderMap({ ':method': 'GET', ':path': '/p', 'x-a': 'b' }), true);
    vm.call('set_mode', 1, 3);
    const memSize = vm.mem.size;
    holds(
      'host: garbage allocator',
      fc.property(fc.oneof(fc.integer(), fc.constantFrom(0, -1, memSize, memSize - 1, memSize - 8, 0x7fffffff, -0x80000000), fc.integer({ min: 0, max: memSize })), (ptr) => {
        vm.call('set_alloc', 1, ptr);
        const status = vm.call('pairs', stream.id);
        const p = ptr >>> 0;
        if (p === 0 || p + 8 > memSize) expect(status).toBe(Status.INVALID_MEMORY_ACCESS);
        else expect([Status.OK, Status.INVALID_MEMORY_ACCESS] as number[]).toContain(status);
        expect(vm.mem.size).toBe(memSize);
      }),
      propertyRuns(),
    );
    stream.finish();
    expect(plugin.failed).toBe(false);
    plugin.close();
  });
});

describe('every host function under out-of-range pointers, lengths and sizes', () => {
  // [name, arity] of the probe's t_<name> re-exports (i64 arguments excluded: metrics take any value).
  const fns: Array<[string, number]> = [
    ['log', 3], ['get_log_level', 1], ['get_current_time_nanoseconds', 1], ['get_buffer_bytes', 5], ['set_buffer_bytes', 5],
    ['get_buffer_status', 3], ['get_header_map_size', 2], ['get_header_map_pairs', 3], ['set_header_map_pairs', 3],
    ['get_header_map_value', 5], ['add_header_map_value', 5], ['replace_header_map_value', 5], ['remove_header_map_value', 3],
    ['continue_stream', 1], ['close_stream', 1], ['send_local_response', 8], ['http_call', 10], ['set_shared_data', 5],
    ['get_shared_data', 5], ['register_shared_queue', 3], ['resolve_shared_queue', 5], ['enqueue_shared_queue', 3],
    ['dequeue_shared_queue', 3], ['define_metric', 4], ['get_metric', 2], ['get_property', 4], ['set_property', 4],
    ['set_effective_context', 1], ['get_status', 3], ['grpc_call', 12], ['grpc_cancel', 1],
  ];
  const mem = 2 * 65536;
  const arg = fc.oneof(
    fc.constantFrom(0, 1, -1, 2, 7, 8, mem, mem - 1, mem - 4, mem - 8, 0x7fffffff, -0x80000000, 65536),
    fc.integer({ min: 0, max: mem }),
    fc.integer(),
  );

  it('answers a status for any arguments, in a stream and in the root context, and the host keeps serving', async () => {
    const { plugin, vm } = await loadProbe();
    let stream = plugin.newStream();
    stream.onRequestHeaders(new HeaderMap({ ':method': 'GET', ':path': '/', 'x-a': 'b' }), false);
    let calls = 0;
    holds(
      'host: any host call arguments',
      fc.property(fc.constantFrom(...fns), fc.array(arg, { minLength: 12, maxLength: 12 }), fc.boolean(), ([name, arity], args, inRoot) => {
        if (stream.closed || stream.localResponse) {
          stream.finish();
          stream = plugin.newStream();
          stream.onRequestHeaders(new HeaderMap({ ':method': 'GET', ':path': '/' }), false);
        }
        const status = t(vm, inRoot ? 1 : stream.id, name, ...args.slice(0, arity));
        calls++;
        expect(statuses.has(status), `${name}(${args.slice(0, arity).join(', ')}) answered ${status}`).toBe(true);
      }),
      propertyRuns(),
    );
    expect(calls).toBeGreaterThanOrEqual(propertyRuns());
    expect(plugin.failed).toBe(false);
    stream.finish();
    // Still a working host: a fresh stream goes through.
    const next = plugin.newStream();
    expect(next.onRequestHeaders(new HeaderMap({ ':method': 'GET', ':path': '/' }), true).kind).toBe('continue');
    next.finish();
    expect(plugin.vm?.openStreams).toBe(0);
  });

  it('reads any bytes given as a serialized header map (set_header_map_pairs) as a map or BAD_ARGUMENT', async () => {
    const { plugin, vm } = await loadProbe();
    const stream = plugin.newStream();
    stream.onRequestHeaders(new HeaderMap({ ':method': 'GET', ':path': '/' }), false);
    const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
    const pairsLike = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // A plausible header followed by garbage: huge counts and lengths, truncated bodies.
      fc.tuple(fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(0xffffffff, 0x7fffffff, 0x10000000)), fc.array(fc.oneof(fc.integer({ min: 0, max: 16 }), fc.constantFrom(0xffffffff, 0xfffffff0)), { maxLength: 16 }), fc.uint8Array({ maxLength: 64 })).map(
        ([count, lengths, rest]) => new Uint8Array([...u32(count), ...lengths.flatMap(u32), ...rest]),
      ),
    );
    holds(
      'host: serialized header maps',
      fc.property(pairsLike, (bytes) => {
        const [p, l] = put(vm, bytes);
        const status = t(vm, stream.id, 'set_header_map_pairs', 0, p, l);
        expect([Status.OK, Status.BAD_ARGUMENT] as number[]).toContain(status);
      }),
      propertyRuns(),
    );
    expect(plugin.failed).toBe(false);
    stream.finish();
  });
});
