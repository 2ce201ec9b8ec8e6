import { describe, expect, it } from 'vitest';
import { loadPlugin } from '../../../src/testing/index.js';
import { wat } from './fixtures.js';
import { put, t, trace, clearTrace } from './probe.js';

describe('create-istio-wasm/testing', () => {
  it('ticks on demand, reports the tick period, logs by level, metrics and properties read', async () => {
    const plugin = await loadPlugin(await wat('probe.wat'), { rootId: 'r' });
    const vm = plugin.host.vm!;
    expect(t(vm, 1, 'set_tick_period_milliseconds', 1000)).toBe(0);
    expect(plugin.tickPeriodMs).toBe(1000);
    clearTrace(vm);
    await plugin.tick();
    expect(trace(vm)).toEqual([[13, 1]]);
    const [m, ml] = put(vm, 'careful');
    t(vm, 1, 'log', 3, m, ml);
    t(vm, 1, 'log', 0, m, ml);
    expect(plugin.logsAt('warn')).toEqual(['careful']);
    expect(plugin.logsAt('trace')).toEqual(['careful']);
    const [n, nl] = put(vm, 'hits');
    t(vm, 1, 'define_metric', 0, n, nl, 24);
    t(vm, 1, 'increment_metric', vm.mem.u32(24), 3n);
    expect(plugin.metric('hits')).toBe(3);
    expect(plugin.metrics()).toEqual({ hits: { kind: 'counter', value: 3 } });
    const [p, pl] = put(vm, 'plugin_root_id');
    t(vm, 1, 'get_property', p, pl, 16, 20);
    expect(plugin.propertiesRead).toEqual(['plugin_root_id']);
  });

  it('passes bodies and trailers both ways', async () => {
    const plugin = await loadPlugin(await wat('probe.wat'));
    const ex = await plugin.request({ method: 'POST', path: '/up', body: 'request body', trailers: { 'x-t': '1' } });
    expect(ex.state).toBe('upstream');
    expect(ex.upstream?.body).toBe('request body');
    expect(ex.upstream?.headers[':method']).toBe('POST');
    expect(ex.upstream?.trailers).toEqual({ 'x-t': '1' });
    const res = await ex.respond({ status: 201, headers: { 'x-r': 'y' }, body: 'response body', trailers: { 'grpc-status': '0' } });
    expect(res).toMatchObject({ status: 201, body: 'response body', trailers: { 'grpc-status': '0' } });
    expect(res.headers['x-r']).toBe('y');
    await expect(ex.respond()).rejects.toThrow(/needs a request that reached the upstream/);
  });

  it('stops a callback that loops forever with a clear error', async () => {
    const spin = await wat(`(module (memory (export "memory") 1) (func (export "proxy_abi_version_0_2_1"))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (loop (br 0)) (i32.const 0)))`);
    const plugin = await loadPlugin(spin, { callbackTimeoutMs: 100 });
    const ex = await plugin.request({ path: '/' });
    expect(ex.response?.status).toBe(503);
    expect(plugin.failure?.message).toMatch(/proxy_on_request_headers: it ran longer than 100 ms/);
  });
});

describe('gRPC calls (unary)', () => {
  it('dispatches to a gRPC cluster and delivers metadata, messages and close with the status', async () => {
    const { serializePairs, Status, BufferType, MapType, deserializePairs } = await import('../../../src/host/index.js');
    const plugin = await loadPlugin(await wat('probe.wat'), {
      grpcClusters: {
        'outbound|9000||ratelimit': (call) => ({
          status: call.method === 'ShouldRateLimit' ? 0 : 12,
          initialMetadata: { 'x-md': '1' },
          messages: ['reply!'],
          trailingMetadata: { 'x-tr': '2' },
        }),
      },
    });
    const vm = plugin.host.vm!;
    clearTrace(vm);
    const grpc = (cluster: string) => {
      const [c, cl] = put(vm, cluster);
      const [s, sl] = put(vm, 'envoy.service.ratelimit.v3.RateLimitService');
      const [m, ml] = put(vm, 'ShouldRateLimit');
      const [h, hl] = put(vm, serializePairs([['x-req', 'a']]));
      const [b, bl] = put(vm, 'request-bytes');
      return t(vm, 1, 'grpc_call', c, cl, s, sl, m, ml, h, hl, b, bl, 1000, 24);
    };
    expect(grpc('outbound|9000||nope')).toBe(Status.BAD_ARGUMENT);
    expect(grpc('outbound|9000||ratelimit')).toBe(Status.OK);
    const token = vm.mem.u32(24);
    // Read the message inside the receive callback, as a plugin does.
    let received = '';
    let metadata: Array<[string, string]> = [];
    const original = vm.call.bind(vm);
    vm.call = (name: string, ctx: number, ...args: number[]) => {
      if (name === 'proxy_on_grpc_receive') {
        original('t_get_buffer_bytes', 1, BufferType.GRPC_RECEIVE_BUFFER, 0, 100, 16, 20);
        received = vm.mem.readString(vm.mem.u32(16), vm.mem.u32(20));
      }
      if (name === 'proxy_on_grpc_receive_initial_metadata') {
        original('t_get_header_map_pairs', 1, MapType.GRPC_RECEIVE_INITIAL_METADATA, 16, 20);
        metadata = deserializePairs(vm.mem.read(vm.mem.u32(16), vm.mem.u32(20)));
      }
      return original(name, ctx, ...args);
    };
    await plugin.settled();
    expect(trace(vm)).toEqual([[16, token], [17, token], [18, token], [19, token]]);
    expect(received).toBe('reply!');
    expect(metadata).toEqual([['x-md', '1']]);
    expect(vm.mem.u32(2068)).toBe(0);
    expect(plugin.grpcCalls[0]).toMatchObject({ service: 'envoy.service.ratelimit.v3.RateLimitService', method: 'ShouldRateLimit', metadata: { 'x-req': 'a' } });
    expect(new TextDecoder().decode(plugin.grpcCalls[0]?.message)).toBe('request-bytes');
    expect(t(vm, 1, 'grpc_cancel', 999)).toBe(Status.NOT_FOUND);
  });
});
