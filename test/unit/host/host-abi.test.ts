import { describe, expect, it } from 'vitest';
import { BufferType, HeaderMap, MapType, Status, serializePairs, deserializePairs, type HttpCallDispatcher } from '../../../src/host/index.js';
import { HttpStream } from '../../../src/host/stream.js';
import { loadProbe, put, t, handed, handedString, trace, clearTrace, OUT_PTR, OUT_LEN, OUT_3 } from './probe.js';

const newStream = (plugin: Awaited<ReturnType<typeof loadProbe>>['plugin']) => plugin.newStream();

describe('call order (Envoy)', () => {
  it('starts root context, vm, configure; per stream create, request, response, done, log, delete', async () => {
    const { plugin, vm } = await loadProbe();
    expect(trace(vm)).toEqual([[1, 1], [2, 1], [3, 1]]);
    clearTrace(vm);
    const s = newStream(plugin);
    expect(s.onRequestHeaders(new HeaderMap({ ':path': '/' }), false).kind).toBe('continue');
    expect(s.onRequestBody(new TextEncoder().encode('hi'), true).kind).toBe('continue');
    s.onRequestTrailers(new HeaderMap({ t: '1' }));
    s.onResponseHeaders(new HeaderMap({ ':status': '200' }), false);
    s.onResponseBody(new Uint8Array(0), true);
    s.onResponseTrailers(new HeaderMap());
    s.finish();
    expect(trace(vm).map(([c]) => c)).toEqual([1, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(trace(vm).every(([, ctx]) => ctx === s.id)).toBe(true);
    expect(vm.openStreams).toBe(0);
  });
});

describe('header maps', () => {
  it('get, add, replace, remove, pairs, size, set pairs', async () => {
    const { plugin, vm } = await loadProbe();
    const s = newStream(plugin);
    s.onRequestHeaders(new HeaderMap([[':path', '/a'], ['x-a', '1'], ['x-a', '2']]), true);
    const [k, kl] = put(vm, 'x-a');
    expect(t(vm, s.id, 'get_header_map_value', MapType.HTTP_REQUEST_HEADERS, k, kl, OUT_PTR, OUT_LEN)).toBe(Status.OK);
    expect(handedString(vm)).toBe('1'); // Envoy: the first value of a repeated header, not a joined list
    const [nk, nkl] = put(vm, 'X-New');
    const [v, vl] = put(vm, 'v');
    expect(t(vm, s.id, 'add_header_map_value', 0, nk, nkl, v, vl)).toBe(Status.OK);
    expect(t(vm, s.id, 'replace_header_map_value', 0, k, kl, v, vl)).toBe(Status.OK);
    expect(s.requestHeaders?.pairs).toEqual([[':path', '/a'], ['x-a', 'v'], ['x-new', 'v']]);
    expect(t(vm, s.id, 'remove_header_map_value', 0, k, kl)).toBe(Status.OK);
    expect(t(vm, s.id, 'get_header_map_pairs', 0, OUT_PTR, OUT_LEN)).toBe(Status.OK);
    expect(deserializePairs(handed(vm))).toEqual([[':path', '/a'], ['x-new', 'v']]);
    expect(t(vm, s.id, 'get_header_map_size', 0, OUT_3)).toBe(Status.OK);
    expect(vm.mem.u32(OUT_3)).toBe(serializePairs([[':path', '/a'], ['x-new', 'v']]).byteLength);
    const [p, pl] = put(vm, serializePairs([['a', 'b']]));
    expect(t(vm, s.id, 'set_header_map_pairs', 0, p, pl)).toBe(Status.OK);
    expect(s.requestHeaders?.pairs).toEqual([['a', 'b']]);
  });

  it('answers NOT_FOUND, BAD_ARGUMENT and INVALID_MEMORY_ACCESS instead of crashing', async () => {
    const { plugin, vm } = await loadProbe();
    const s = newStream(plugin);
    s.onRequestHeaders(new HeaderMap({ ':path': '/' }), true);
    const [k, kl] = put(vm, 'absent');
    expect(t(vm, s.id, 'get_header_map_value', 0, k, kl, OUT_PTR, OUT_LEN)).toBe(Status.NOT_FOUND);
    expect(t(vm, s.id, 'get_header_map_value', 99, k, kl, OUT_PTR, OUT_LEN)).toBe(Status.BAD_ARGUMENT);
    expect(t(vm, s.id, 'get_header_map_value', 0, 0x7fff_fff0, 100, OUT_PTR, OUT_LEN)).toBe(Status.INVALID_MEMORY_ACCESS);
    expect(t(vm, s.id, 'get_header_map_pairs', 0, 0x7fff_fff0, OUT_LEN)).toBe(Status.INVALID_MEMORY_ACCESS);
    const [bad, badLen] = put(vm, Uint8Array.of(9, 0, 0, 0, 1));
    expect(t(vm, s.id, 'set_header_map_pairs', 0, bad, badLen)).toBe(Status.BAD_ARGUMENT);
    // response headers do not exist yet
    expect(t(vm, s.id, 'get_header_map_pairs', MapType.HTTP_RESPONSE_HEADERS, OUT_PTR, OUT_LEN)).toBe(Status.NOT_FOUND);
    // in the root context there is no stream
    expect(t(vm, 1, 'get_header_map_pairs', 0, OUT_PTR, OUT_LEN)).toBe(Status.NOT_FOUND);
    expect(t(vm, s.id, 'log', 2, 0x7fff_0000, 10)).toBe(Status.INVALID_MEMORY_ACCESS);
  });
});

describe('buffers', () => {
  it('reads and writes the body with Envoy rules; configuration buffers are JSON', async () => {
    const { plugin, vm } = await loadProbe({ pluginConfig: { a: 1 }, vmConfig: 'vm-cfg' });
    expect(t(vm, 1, 'get_buffer_bytes', BufferType.PLUGIN_CONFIGURATION, 0, 100, OUT_PTR, OUT_LEN)).toBe(Status.OK);
    expect(handedString(vm)).toBe('{"a":1}');
    expect(t(vm, 1, 'get_buffer_bytes', BufferType.VM_CONFIGURATION, 0, 100, OUT_PTR, OUT_LEN)).toBe(Status.OK);
    expect(handedString(vm)).toBe('vm-cfg');
    vm.call('set_ret', 1, 5, 1); // PAUSE in request body before end of stream
    const s = newStream(plugin);
    s.onRequestHeaders(new HeaderMap({ ':path': '/' }), false);
    expect(s.onRequestBody(new TextEncoder().encode('hello'), false).kind).toBe('buffer');
    expect(t(vm, s.id, 'get_buffer_bytes', BufferType.HTTP_REQUEST_BODY, 1, 3, OUT_PTR, OUT_LEN)).toBe(Status.OK);
    expect(handedString(vm)).toBe('ell');
    expect(t(vm, s.id, 'get_buffer_status', BufferType.HTTP_REQUEST_BODY, OUT_3, OUT_LEN)).toBe(Status.OK);
    expect(vm.mem.u32(OUT_3)).toBe(5);
    const [p, pl] = put(vm, '>>');
    expect(t(vm, s.id, 'set_buffer_bytes', 0, 0, 0, p, pl)).toBe(Status.OK); // prepend
    const [q, ql] = put(vm, '<<');
    expect(t(vm, s.id, 'set_buffer_bytes', 0, 100, 0, q, ql)).toBe(Status.OK); // append
    expect(t(vm, s.id, 'set_buffer_bytes', 0, 2, 1, q, ql)).toBe(Status.BAD_ARGUMENT);
    expect(new TextDecoder().decode(s.requestBody.bytes())).toBe('>>hello<<');
    const [r, rl] = put(vm, '[[');
    expect(t(vm, s.id, 'set_buffer_bytes', 0, 0, 2, r, rl)).toBe(Status.OK); // Envoy: drain the first 2 bytes, prepend
    expect(new TextDecoder().decode(s.requestBody.bytes())).toBe('[[hello<<');
    expect(t(vm, s.id, 'set_buffer_bytes', 0, 0, 999, q, ql)).toBe(Status.OK); // replace
    expect(s.onRequestBody(new Uint8Array(0), true).kind).toBe('continue');
    expect(new TextDecoder().decode(s.requestBody.drain())).toBe('<<');
    expect(t(vm, s.id, 'get_buffer_bytes', 42, 0, 1, OUT_PTR, OUT_LEN)).toBe(Status.BAD_ARGUMENT);
    expect(t(vm, 1, 'set_buffer_bytes', BufferType.PLUGIN_CONFIGURATION, 0, 0, q, ql)).toBe(Status.BAD_ARGUMENT);
  });

  it('has no body buffer outside the body callbacks, as Envoy: reads give nothing, writes are BAD_ARGUMENT', async () => {
    const { plugin, vm } = await loadProbe();
    const s = newStream(plugin);
    s.onRequestHeaders(new HeaderMap({ ':path': '/', 'content-length': '5' }), false);
    // After the headers callback (as from inside it): the body's length already went upstream.
    const [p, pl] = put(vm, 'y');
    expect(t(vm, s.id, 'set_buffer_bytes', BufferType.HTTP_REQUEST_BODY, 0, 0, p, pl)).toBe(Status.BAD_ARGUMENT);
    expect(t(vm, s.id, 'set_buffer_bytes', BufferType.HTTP_RESPONSE_BODY, 0, 0, p, pl)).toBe(Status.BAD_ARGUMENT);
    expect(t(vm, s.id, 'get_buffer_bytes', BufferType.HTTP_REQUEST_BODY, 0, 100, OUT_PTR, OUT_LEN)).toBe(Status.OK);
    expect(vm.mem.u32(OUT_LEN)).toBe(0);
    expect(t(vm, s.id, 'get_buffer_status', BufferType.HTTP_REQUEST_BODY, OUT_3, OUT_LEN)).toBe(Status.OK);
    expect(vm.mem.u32(OUT_3)).toBe(0);
    // The chunk that comes next is exactly what the client sent.
    const d = s.onRequestBody(new TextEncoder().encode('hello'), true);
    expect(d.kind).toBe('continue');
    expect(new TextDecoder().decode(s.requestBody.drain())).toBe('hello');
    // After a body callback that continued, the body is gone again.
    expect(t(vm, s.id, 'set_buffer_bytes', BufferType.HTTP_REQUEST_BODY, 0, 0, p, pl)).toBe(Status.BAD_ARGUMENT);
    expect(s.requestBody.size).toBe(0);
  });

  it('answers 413 when a pausing plugin buffers past the limit (500 on the response)', async () => {
    const { plugin, vm } = await loadProbe({ bufferLimit: 8 });
    vm.call('set_ret', 1, 5, 1);
    vm.call('set_ret', 1, 8, 1);
    const s = newStream(plugin);
    s.onRequestHeaders(new HeaderMap({ ':path': '/' }), false);
    expect(s.onRequestBody(new Uint8Array(5), false).kind).toBe('buffer');
    const o = s.onRequestBody(new Uint8Array(5), false);
    expect(o.kind === 'local' && o.response.status).toBe(413);
    const r = newStream(plugin);
    r.onResponseHeaders(new HeaderMap({ ':status': '200' }), false);
    r.onResponseBody(new Uint8Array(6), false);
    const o2 = r.onResponseBody(new Uint8Array(6), false);
    expect(o2.kind === 'local' && o2.response.status).toBe(500);
  });
});

describe('logs, time, ticks', () => {
  it('logs with level and context, filtered by log level', async () => {
    const { plugin, vm, logs } = await loadProbe({ logLevel: 'info' });
    const s = newStream(plugin);
    const [m, ml] = put(vm, 'hello');
    expect(t(vm, s.id, 'log', 1, m, ml)).toBe(Status.OK);
    expect(t(vm, s.id, 'log', 3, m, ml)).toBe(Status.OK);
    expect(t(vm, s.id, 'log', 9, m, ml)).toBe(Status.BAD_ARGUMENT);
    expect(logs).toEqual([{ level: 3, message: 'hello', contextId: s.id, plugin: 'plugin' }]);
    expect(t(vm, 1, 'get_log_level', OUT_3)).toBe(Status.OK);
    expect(vm.mem.u32(OUT_3)).toBe(2);
  });

  it('gives the time in nanoseconds and runs ticks at the period asked', async () => {
    const { plugin, vm } = await loadProbe({ now: () => 1_700_000_000_000_000_000n });
    expect(t(vm, 1, 'get_current_time_nanoseconds', OUT_3)).toBe(Status.OK);
    const view = new DataView(vm.mem.read(OUT_3, 8).buffer);
    expect(view.getBigUint64(0, true)).toBe(1_700_000_000_000_000_000n);
    expect(t(vm, 1, 'set_tick_period_milliseconds', 250)).toBe(Status.OK);
    expect(plugin.tickPeriodMs).toBe(250);
    clearTrace(vm);
    plugin.tick();
    expect(trace(vm)).toEqual([[13, 1]]);
  });
});

describe('local responses, pause, continue, close', () => {
  it('a local response from request headers ends the request side', async () => {
    const { plugin, vm } = await loadProbe();
    const s = newStream(plugin);
    s.onRequestHeaders(new HeaderMap({ ':path': '/' }), true);
    const [d, dl] = put(vm, 'denied_by_plugin');
    const [b, bl] = put(vm, 'no\n');
    const [h, hl] = put(vm, serializePairs([['x-why', 'test']]));
    expect(t(vm, s.id, 'send_local_response', 403, d, dl, b, bl, h, hl, -1)).toBe(Status.OK);
    expect(s.localResponse).toMatchObject({ status: 403, details: 'denied_by_plugin', headers: [['x-why', 'test']] });
    expect(new TextDecoder().decode(s.localResponse?.body)).toBe('no\n');
  });

  it('PAUSE holds the stream until proxy_continue_stream; close resets it', async () => {
    const { plugin, vm } = await loadProbe();
    vm.call('set_ret', 1, 4, 1);
    const s = newStream(plugin);
    expect(s.onRequestHeaders(new HeaderMap({ ':path': '/' }), true).kind).toBe('pause');
    const resumed = s.resumed();
    expect(t(vm, s.id, 'continue_stream', 0)).toBe(Status.OK);
    expect((await resumed).kind).toBe('continue');
    const c = newStream(plugin);
    c.onRequestHeaders(new HeaderMap({ ':path': '/' }), true);
    const closed = c.resumed();
    expect(t(vm, c.id, 'close_stream', 0)).toBe(Status.OK);
    expect((await closed).kind).toBe('closed');
    expect(t(vm, c.id, 'continue_stream', 7)).toBe(Status.BAD_ARGUMENT);
  });
});

describe('HTTP calls', () => {
  const answers: HttpCallDispatcher = {
    knows: (c) => c === 'outbound|80||auth',
    dispatch: async (req) => (req.headers.some(([k, v]) => k === ':path' && v === '/fail') ? { headers: [] } : { headers: [[':status', '200'], ['x-a', 'b']], body: new TextEncoder().encode('body!') }),
  };
  const call = (vm: Awaited<ReturnType<typeof loadProbe>>['vm'], ctx: number, cluster: string, headers: Array<[string, string]>) => {
    const [u, ul] = put(vm, cluster);
    const [h, hl] = put(vm, serializePairs(headers));
    return t(vm, ctx, 'http_call', u, ul, h, hl, 0, 0, 0, 0, 1000, OUT_3);
  };
  const full: Array<[string, string]> = [[':method', 'GET'], [':path', '/check'], [':authority', 'auth']];

  it('dispatches to a known cluster, answers on the root context, and the plugin resumes the stream', async () => {
    const { plugin, vm } = await loadProbe({ dispatcher: answers });
    vm.call('set_ret', 1, 4, 1);
    const s = newStream(plugin);
    expect(s.onRequestHeaders(new HeaderMap({ ':path': '/' }), true).kind).toBe('pause');
    vm.call('set_resume_ctx', 1, s.id);
    expect(call(vm, s.id, 'outbound|80||auth', full)).toBe(Status.OK);
    const token = vm.mem.u32(OUT_3);
    expect(token).toBeGreaterThan(0);
    expect((await s.resumed()).kind).toBe('continue');
    expect([vm.mem.u32(2048), vm.mem.u32(2052), vm.mem.u32(2056)]).toEqual([token, 2, 5]);
  });

  it('reads the call response headers and body inside the callback only', async () => {
    const { plugin, vm } = await loadProbe({ dispatcher: answers });
    const s = newStream(plugin);
    let seen = '';
    const original = vm.call.bind(vm);
    vm.call = (name: string, ctx: number, ...args: number[]) => {
      const r = original(name, ctx, ...args);
      if (name === 'proxy_on_http_call_response') {
        expect(original('t_get_buffer_bytes', 1, BufferType.HTTP_CALL_RESPONSE_BODY, 0, 100, OUT_PTR, OUT_LEN)).toBe(Status.OK);
        seen = handedString(vm);
        expect(original('t_get_header_map_pairs', 1, MapType.HTTP_CALL_RESPONSE_HEADERS, OUT_PTR, OUT_LEN)).toBe(Status.OK);
        seen += ` ${JSON.stringify(deserializePairs(handed(vm)))}`;
      }
      return r;
    };
    call(vm, s.id, 'outbound|80||auth', full);
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toBe('body! [[":status","200"],["x-a","b"]]');
    expect(t(vm, 1, 'get_header_map_pairs', MapType.HTTP_CALL_RESPONSE_HEADERS, OUT_PTR, OUT_LEN)).toBe(Status.NOT_FOUND);
  });

  it('unknown cluster and missing pseudo-headers are BAD_ARGUMENT; a failed call has zero headers', async () => {
    const { plugin, vm } = await loadProbe({ dispatcher: answers });
    const s = newStream(plugin);
    expect(call(vm, s.id, 'outbound|80||nope', full)).toBe(Status.BAD_ARGUMENT);
    expect(call(vm, s.id, 'outbound|80||auth', [[':method', 'GET']])).toBe(Status.BAD_ARGUMENT);
    expect(call(vm, s.id, 'outbound|80||auth', [[':method', 'GET'], [':path', '/fail'], [':authority', 'a']])).toBe(Status.OK);
    await new Promise((r) => setTimeout(r, 10));
    expect(vm.mem.u32(2052)).toBe(0);
  });
});

describe('shared data, queues, metrics', () => {
  it('shared data with compare-and-swap', async () => {
    const { vm } = await loadProbe();
    const [k, kl] = put(vm, 'key');
    const [v, vl] = put(vm, 'one');
    expect(t(vm, 1, 'get_shared_data', k, kl, OUT_PTR, OUT_LEN, OUT_3)).toBe(Status.NOT_FOUND);
    expect(t(vm, 1, 'set_shared_data', k, kl, v, vl, 0)).toBe(Status.OK);
    expect(t(vm, 1, 'get_shared_data', k, kl, OUT_PTR, OUT_LEN, OUT_3)).toBe(Status.OK);
    const cas = vm.mem.u32(OUT_3);
    expect(handedString(vm)).toBe('one');
    expect(t(vm, 1, 'set_shared_data', k, kl, v, vl, cas + 100)).toBe(Status.CAS_MISMATCH);
    expect(t(vm, 1, 'set_shared_data', k, kl, v, vl, cas)).toBe(Status.OK);
    expect(t(vm, 1, 'set_shared_data', k, kl, v, vl, cas)).toBe(Status.CAS_MISMATCH);
  });

  it('queues: register, resolve, enqueue (notifies), dequeue, EMPTY, NOT_FOUND', async () => {
    const { vm } = await loadProbe({ vmId: 'vm1' });
    const [n, nl] = put(vm, 'q');
    expect(t(vm, 1, 'register_shared_queue', n, nl, OUT_3)).toBe(Status.OK);
    const id = vm.mem.u32(OUT_3);
    const [vmId, vmIdLen] = put(vm, 'vm1');
    expect(t(vm, 1, 'resolve_shared_queue', vmId, vmIdLen, n, nl, OUT_3)).toBe(Status.OK);
    expect(vm.mem.u32(OUT_3)).toBe(id);
    expect(t(vm, 1, 'resolve_shared_queue', vmId, vmIdLen, vmId, vmIdLen, OUT_3)).toBe(Status.NOT_FOUND);
    expect(t(vm, 1, 'dequeue_shared_queue', id, OUT_PTR, OUT_LEN)).toBe(Status.EMPTY);
    clearTrace(vm);
    const [v, vl] = put(vm, 'item');
    expect(t(vm, 1, 'enqueue_shared_queue', id, v, vl)).toBe(Status.OK);
    await Promise.resolve();
    expect(trace(vm)).toEqual([[15, id]]);
    expect(t(vm, 1, 'dequeue_shared_queue', id, OUT_PTR, OUT_LEN)).toBe(Status.OK);
    expect(handedString(vm)).toBe('item');
    expect(t(vm, 1, 'enqueue_shared_queue', 999, v, vl)).toBe(Status.NOT_FOUND);
  });

  it('metrics: counter, gauge, histogram', async () => {
    const { plugin, vm } = await loadProbe();
    const define = (type: number, name: string) => {
      const [p, l] = put(vm, name);
      expect(t(vm, 1, 'define_metric', type, p, l, OUT_3)).toBe(Status.OK);
      return vm.mem.u32(OUT_3);
    };
    const c = define(0, 'requests_total');
    const g = define(1, 'in_flight');
    const h = define(2, 'latency_ms');
    expect(define(0, 'requests_total')).toBe(c);
    expect(t(vm, 1, 'increment_metric', c, 2n)).toBe(Status.OK);
    expect(t(vm, 1, 'increment_metric', c, -1n)).toBe(Status.BAD_ARGUMENT);
    expect(t(vm, 1, 'increment_metric', g, -3n)).toBe(Status.OK);
    expect(t(vm, 1, 'record_metric', h, 12n)).toBe(Status.OK);
    expect(t(vm, 1, 'get_metric', c, OUT_3)).toBe(Status.OK);
    expect(new DataView(vm.mem.read(OUT_3, 8).buffer).getBigUint64(0, true)).toBe(2n);
    expect(t(vm, 1, 'get_metric', h, OUT_3)).toBe(Status.BAD_ARGUMENT);
    expect(t(vm, 1, 'get_metric', 12345, OUT_3)).toBe(Status.NOT_FOUND);
    expect(t(vm, 1, 'define_metric', 7, 0, 0, OUT_3)).toBe(Status.BAD_ARGUMENT);
    expect(plugin.metrics.byName('in_flight')?.value).toBe(-3n);
    expect(plugin.metrics.byName('latency_ms')?.samples).toEqual([12]);
  });
});

describe('properties', () => {
  it('request, plugin, node metadata; set_property; unknown is NOT_FOUND', async () => {
    const { plugin, vm } = await loadProbe({ rootId: 'my-root', properties: { node: { metadata: { NAMESPACE: 'shop' } } } });
    const s: HttpStream = plugin.newStream({ sourceAddress: '10.0.0.1', sourcePort: 5555 });
    s.onRequestHeaders(new HeaderMap({ ':path': '/a?b=1', ':method': 'POST', ':authority': 'svc' }), true);
    const get = (path: string) => {
      const [p, l] = put(vm, path);
      const status = t(vm, s.id, 'get_property', p, l, OUT_PTR, OUT_LEN);
      return status === Status.OK ? handed(vm) : status;
    };
    const str = (path: string) => {
      const r = get(path);
      return typeof r === 'number' ? r : new TextDecoder().decode(r);
    };
    expect(str('request\0path')).toBe('/a?b=1');
    expect(str('request\0url_path')).toBe('/a');
    expect(str('request\0method')).toBe('POST');
    expect(str('request\0host')).toBe('svc');
    expect(str('request\0headers\0:authority')).toBe('svc');
    expect(str('plugin_root_id')).toBe('my-root');
    expect(str('node\0metadata\0NAMESPACE')).toBe('shop');
    expect(str('node\0metadata\0MESH_ID')).toBe('cluster.local');
    expect(str('source\0address')).toBe('10.0.0.1:5555');
    const port = get('source\0port');
    expect(port instanceof Uint8Array && new DataView(port.buffer).getBigInt64(0, true)).toBe(5555n);
    expect(get('no\0such')).toBe(Status.NOT_FOUND);
    const [p, pl] = put(vm, 'my\0prop');
    const [v, vl] = put(vm, 'value');
    expect(t(vm, s.id, 'set_property', p, pl, v, vl)).toBe(Status.OK);
    expect(str('my\0prop')).toBe('value');
    expect(t(vm, s.id, 'get_property', p, pl, 0x7fff_fff0, OUT_LEN)).toBe(Status.INVALID_MEMORY_ACCESS);
  });
});

describe('effective context', () => {
  it('unknown context ids are BAD_ARGUMENT', async () => {
    const { vm } = await loadProbe();
    expect(t(vm, 1, 'set_effective_context', 4242)).toBe(Status.BAD_ARGUMENT);
    expect(t(vm, 1, 'set_effective_context', 1)).toBe(Status.OK);
  });
});
