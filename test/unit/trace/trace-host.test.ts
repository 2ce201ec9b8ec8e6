import { describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { loadPlugin } from '../../../src/testing/index.js';

// A plugin in WAT, with a name section, that reads and writes headers, logs, answers locally for
// /deny, and traps in a named function on a request body.
const source = `
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $local (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "x-added")
  (data (i32.const 120) "yes")
  (data (i32.const 140) "hello from wat")
  (data (i32.const 160) "authorization")
  (data (i32.const 180) "denied")
  (data (i32.const 190) ":path")
  (global $heap (mut i32) (i32.const 4096))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $p))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $get (i32.const 0) (i32.const 160) (i32.const 13) (i32.const 200) (i32.const 204)))
    (drop (call $add (i32.const 0) (i32.const 100) (i32.const 7) (i32.const 120) (i32.const 3)))
    (drop (call $log (i32.const 2) (i32.const 140) (i32.const 14)))
    ;; /deny (5 bytes, starting with "/d") answers 403 locally
    (drop (call $get (i32.const 0) (i32.const 190) (i32.const 5) (i32.const 208) (i32.const 212)))
    (if (i32.eq (i32.load8_u offset=1 (i32.load (i32.const 208))) (i32.const 100))
      (then
        (drop (call $local (i32.const 403) (i32.const 180) (i32.const 6) (i32.const 180) (i32.const 6) (i32.const 0) (i32.const 0) (i32.const -1)))
        (return (i32.const 1))))
    (i32.const 0))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
    (call $explode_on_body)
    (i32.const 0))
  (func $explode_on_body unreachable))
`;

async function module(): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const parsed = wabt.parseWat('traced.wat', source);
  parsed.resolveNames();
  try {
    return parsed.toBinary({ write_debug_names: true }).buffer;
  } finally {
    parsed.destroy();
  }
}

describe('traces of the test API', () => {
  it('records callbacks, host calls with their answers, and the header diff of a phase', async () => {
    const plugin = await loadPlugin(await module(), { rootId: 'r' });
    const ex = await plugin.request({ path: '/ok', headers: { authorization: 'Bearer sekret' } });
    await ex.respond({ status: 200, body: 'fine' });
    const trace = ex.trace!;
    expect(trace).toMatchObject({ format: 'istio-wasm-trace', version: 1, method: 'GET', path: '/ok', answeredBy: 'upstream', response: { status: 200, body: { size: 4, text: 'fine' } } });
    const p = trace.plugins[0]!;
    expect(p.callbacks.map((c) => c.callback)).toEqual(['proxy_on_context_create', 'proxy_on_request_headers']);
    const headers = p.callbacks[1]!;
    expect(headers.result).toBe('continue');
    expect(headers.args).toEqual([5, 1]);
    expect(headers.memoryPages).toBe(1);
    expect(headers.calls.map((c) => c.call)).toEqual(['proxy_get_header_map_value', 'proxy_add_header_map_value', 'proxy_log', 'proxy_get_header_map_value']);
    expect(headers.calls[0]).toMatchObject({ map: 'request_headers', key: 'authorization', value: 'Bearer sekret' });
    expect(headers.calls[2]).toMatchObject({ level: 'info', message: 'hello from wat' });
    expect(headers.before?.some(([k]) => k === 'x-added')).toBe(false);
    expect(headers.after).toContainEqual(['x-added', 'yes']);
    expect(trace.upstreamRequest?.headers).toContainEqual(['x-added', 'yes']);
    // Printed traces mask the credential the plugin read.
    const text = ex.traceText();
    expect(text).toContain('header added x-added: "yes"');
    expect(text).toContain('Bearer ***');
    expect(text).not.toContain('sekret');
  });

  it('names the plugin that answered locally', async () => {
    const plugin = await loadPlugin(await module());
    const ex = await plugin.request({ path: '/deny' });
    expect(ex.state).toBe('local');
    expect(ex.trace).toMatchObject({ answeredBy: 'plugin', local: { status: 403, details: 'denied', by: 'plugin' }, response: { status: 403 } });
    expect(ex.trace?.upstreamRequest).toBeUndefined();
    // A host call that did not answer OK names its status; one that did has none.
    const calls = ex.trace!.plugins[0]!.callbacks[1]!.calls;
    expect(calls[0]).toMatchObject({ call: 'proxy_get_header_map_value', key: 'authorization', value: null, status: 'NOT_FOUND' });
    expect(calls[1]).toMatchObject({ call: 'proxy_add_header_map_value', key: 'x-added', value: 'yes' });
    expect(calls[1]!.status).toBeUndefined();
    const send = calls.find((c) => c.call === 'proxy_send_local_response');
    expect(send).toMatchObject({ responseStatus: 403, details: 'denied', body: { size: 6, text: 'denied' } });
  });

  it('records a trap with its Wasm stack named from the name section', async () => {
    const plugin = await loadPlugin(await module());
    const ex = await plugin.request({ method: 'POST', path: '/up', body: 'x' });
    expect(ex.state).toBe('local');
    const cb = ex.trace!.plugins[0]!.callbacks.find((c) => c.trap);
    expect(cb?.callback).toBe('proxy_on_request_body');
    expect(cb?.trap?.message).toMatch(/unreachable/);
    expect(cb?.trap?.stack[0]?.name).toMatch(/explode_on_body/);
    expect(cb?.trap?.stack.length).toBeGreaterThanOrEqual(2);
    expect(cb?.trap?.stack.every((f) => typeof f.index === 'number' && typeof f.offset === 'number')).toBe(true);
    expect(ex.trace!.plugins[0]!.note).toMatch(/plugin failed \(FAIL_CLOSE\)/);
    expect(ex.traceText()).toMatch(/TRAP: .*unreachable[\s\S]*at \$?explode_on_body/);
  });

  it('a failing assertion in exchange.assert prints the exchange trace', async () => {
    const plugin = await loadPlugin(await module());
    const ex = await plugin.request({ path: '/deny' });
    await expect(ex.assert((e) => expect(e.response?.status).toBe(200))).rejects.toThrow(/expected 403 to be 200[\s\S]*exchange #1: GET \/deny -> 403[\s\S]*proxy_on_request_headers\(\d+, 1\) -> pause[\s\S]*send_local_response/);
    await expect(ex.assert((e) => expect(e.response?.status).toBe(403))).resolves.toBe(ex);
  });

  it('a finished stream lets go of its trace; the trace keeps every callback', async () => {
    // Nothing that outlives the exchange unseen (the stream) may keep the record's young objects alive.
    const plugin = await loadPlugin(await module(), { rootId: 'r' });
    const ex = await plugin.request({ path: '/ok' });
    expect(ex.stream.trace).toBeDefined();
    await ex.respond({ status: 200, body: 'fine' });
    expect(ex.stream.trace).toBeUndefined();
    const p = ex.trace!.plugins[0]!;
    expect(p.callbacks.map((c) => c.callback)).toEqual(['proxy_on_context_create', 'proxy_on_request_headers']);
    expect(p.callbacks[1]!.calls).toHaveLength(4);
    expect(p.contextId).toBeGreaterThan(1);
  });

  it('proxy_on_log and proxy_on_delete start when the callback before them ended (run back to back)', async () => {
    const wat = (done: boolean) => `(module
      (memory (export "memory") 1)
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
      (func (export "proxy_on_context_create") (param i32 i32))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
      ${done ? '(func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))' : ''}
      (func (export "proxy_on_log") (param i32))
      (func (export "proxy_on_delete") (param i32)))`;
    const wabt = await wabtInit();
    const callbacks = async (done: boolean) => {
      const parsed = wabt.parseWat('finish.wat', wat(done));
      const bytes = parsed.toBinary({}).buffer;
      parsed.destroy();
      const ex = await (await loadPlugin(bytes)).request({ path: '/' });
      await new Promise((resolve) => setTimeout(resolve, 30));
      await ex.respond({ status: 200 });
      return Object.fromEntries(ex.trace!.plugins[0]!.callbacks.map((c) => [c.callback, { start: Math.round(c.t * 1000), end: Math.round((c.t + c.ms) * 1000) }]));
    };
    const all = await callbacks(true);
    expect(all.proxy_on_log!.start).toBe(all.proxy_on_done!.end);
    expect(all.proxy_on_delete!.start).toBe(all.proxy_on_log!.end);
    // Without proxy_on_done, proxy_on_log follows nothing of the plugin: it reads the clock, so it
    // starts after the 30 ms wait, not when proxy_on_request_headers ended.
    const noDone = await callbacks(false);
    expect(noDone.proxy_on_log!.start - noDone.proxy_on_request_headers!.end).toBeGreaterThanOrEqual(25_000);
    expect(noDone.proxy_on_delete!.start).toBe(noDone.proxy_on_log!.end);
  });

  it('trace: false records nothing', async () => {
    const plugin = await loadPlugin(await module(), { trace: false });
    const ex = await plugin.request({ path: '/ok' });
    expect(ex.trace).toBeUndefined();
    expect(ex.traceText()).toMatch(/no trace/);
  });
});
