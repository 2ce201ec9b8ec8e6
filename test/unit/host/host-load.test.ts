import { describe, expect, it } from 'vitest';
import { HeaderMap, Plugin, Status, compilePluginModule } from '../../../src/host/index.js';
import { CliError } from '../../../src/errors.js';
import { wat } from './fixtures.js';
import { inspectWasm } from '../../../src/wasm/inspect.js';
import { loadProbe, put, trace, clearTrace, OUT_3 } from './probe.js';

describe('loading modules', () => {
  it('refuses what is not wasm, truncated modules, modules without ABI marker, unknown imports', async () => {
    await expect(compilePluginModule(new TextEncoder().encode('hello world'))).rejects.toMatchObject({ code: 'WASM_INVALID' });
    const probe = await wat('probe.wat');
    await expect(compilePluginModule(probe.subarray(0, probe.byteLength - 40))).rejects.toMatchObject({ code: 'WASM_INVALID', message: expect.stringMatching(/truncated or corrupt/) });
    await expect(compilePluginModule(await wat('no-abi.wat'))).rejects.toMatchObject({ code: 'WASM_NO_ABI' });
    const error = await compilePluginModule(await wat('unknown-import.wat')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toMatch(/env\.abort, env\.proxy_does_not_exist/);
    expect((error as CliError).hint).toMatch(/--use abort/);
  });

  it('runs ABI 0.1.0 with _start, malloc and proxy_get_configuration', async () => {
    const logs: string[] = [];
    const plugin = await Plugin.load({ module: await wat('minimal-0_1_0.wat'), pluginConfig: { old: true }, onLog: (e) => logs.push(e.message) });
    expect(plugin.abiVersion).toBe('0.1.0');
    expect(plugin.vm?.call('started', 1)).toBe(1);
    expect(logs).toEqual(['{"old":true}']);
    const s = plugin.newStream();
    expect(s.onRequestHeaders(new HeaderMap({ ':path': '/' }), true).kind).toBe('continue');
  });
});

describe('WASI', () => {
  it('fd_write goes to the log a call at a time, environ from vmConfig env, random, clock, proc_exit returns', async () => {
    const { vm, logs } = await loadProbe({ env: { A: '1', GREETING: 'hi there' } });
    const [text, len] = put(vm, 'line one\nline ');
    const iov = 40000;
    vm.mem.setU32(iov, text);
    vm.mem.setU32(iov + 4, len);
    expect(vm.call('w_fd_write', 1, 1, iov, 1, OUT_3)).toBe(0);
    expect(vm.mem.u32(OUT_3)).toBe(len);
    const [t2, l2] = put(vm, 'two\n');
    vm.mem.setU32(iov, t2);
    vm.mem.setU32(iov + 4, l2);
    vm.call('w_fd_write', 1, 2, iov, 1, OUT_3);
    // As Envoy: one message a call, only a trailing newline dropped (no joining of partial lines).
    expect(logs.map((l) => [l.level, l.message])).toEqual([[2, 'line one\nline '], [4, 'two']]);
    expect(vm.call('w_fd_write', 1, 7, iov, 1, OUT_3)).toBe(8); // EBADF
    expect(vm.call('w_environ_sizes_get', 1, 100, 104)).toBe(0);
    expect(vm.mem.u32(100)).toBe(2);
    expect(vm.mem.u32(104)).toBe('A=1\0GREETING=hi there\0'.length);
    expect(vm.call('w_environ_get', 1, 200, 300)).toBe(0);
    expect(vm.mem.readString(vm.mem.u32(204), 16)).toBe('GREETING=hi ther');
    expect(vm.call('w_random_get', 1, 400, 16)).toBe(0);
    expect(vm.mem.read(400, 16).some((b) => b !== 0)).toBe(true);
    expect(vm.call('w_clock_time_get', 1, 0, 1n as unknown as number, 500)).toBe(0);
    expect(vm.call('w_args_sizes_get', 1, 100, 104)).toBe(0);
    expect(vm.mem.u32(100)).toBe(0);
    expect(vm.call('w_random_get', 1, 0x7fff_fff0, 64)).toBe(21); // EFAULT for a bad pointer, as Envoy
    vm.call('w_proc_exit', 1, 3); // returns, as in Envoy (the guest's own code traps after it)
    expect(vm.failure).toBeUndefined();
  });
});

describe('fail strategies', () => {
  const trapInRequestHeaders = async (failStrategy: 'FAIL_CLOSE' | 'FAIL_OPEN' | 'FAIL_RELOAD') => {
    const { plugin, vm } = await loadProbe({ failStrategy });
    vm.call('set_trap_in', 1, 4);
    const s = plugin.newStream();
    const outcome = s.onRequestHeaders(new HeaderMap({ ':path': '/' }), true);
    s.finish();
    plugin.noteStreamFailure(s);
    return { plugin, outcome, s };
  };

  it('FAIL_CLOSE: 503 and stays failed', async () => {
    const { plugin, outcome, s } = await trapInRequestHeaders('FAIL_CLOSE');
    expect(outcome.kind === 'local' && outcome.response.status).toBe(503);
    expect(s.failure?.message).toMatch(/trapped in proxy_on_request_headers/);
    expect(plugin.failed).toBe(true);
    const next = plugin.newStream().onRequestHeaders(new HeaderMap({ ':path': '/' }), true);
    expect(next.kind === 'local' && next.response.status).toBe(503);
    expect(plugin.vmStarts).toBe(1);
  });

  it('FAIL_OPEN: the stream and later ones bypass the plugin', async () => {
    const { plugin, outcome } = await trapInRequestHeaders('FAIL_OPEN');
    expect(outcome.kind).toBe('continue');
    const s = plugin.newStream();
    expect(s.bypassed).toBe(true);
    expect(s.onRequestHeaders(new HeaderMap({ ':path': '/' }), true).kind).toBe('continue');
  });

  it('FAIL_RELOAD: 503 now, a fresh VM (configured again) for the next request', async () => {
    const { plugin, outcome } = await trapInRequestHeaders('FAIL_RELOAD');
    expect(outcome.kind === 'local' && outcome.response.status).toBe(503);
    const s = plugin.newStream();
    expect(plugin.vmStarts).toBe(2);
    expect(plugin.vm?.call('configured', 1)).toBe(1);
    expect(s.onRequestHeaders(new HeaderMap({ ':path': '/' }), true).kind).toBe('continue');
  });

  it('a plugin refusing its configuration is failed from the start, per strategy', async () => {
    const refuses = await wat(`(module (memory (export "memory") 1) (func (export "proxy_abi_version_0_2_1"))
      (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 0)))`);
    const closed = await Plugin.load({ module: refuses, failStrategy: 'FAIL_CLOSE' });
    expect(closed.failed).toBe(true);
    expect(closed.failure?.message).toMatch(/proxy_on_configure returned false/);
    const r = closed.newStream().onRequestHeaders(new HeaderMap({ ':path': '/' }), true);
    expect(r.kind === 'local' && r.response.status).toBe(503);
    const open = await Plugin.load({ module: refuses, failStrategy: 'FAIL_OPEN' });
    expect(open.newStream().onRequestHeaders(new HeaderMap({ ':path': '/' }), true).kind).toBe('continue');
  });

});

describe('memory', () => {
  it('keeps no per-request state after proxy_on_delete', async () => {
    const { plugin, vm } = await loadProbe();
    clearTrace(vm);
    for (let i = 0; i < 2000; i++) {
      const s = plugin.newStream();
      s.onRequestHeaders(new HeaderMap({ ':path': `/${i}` }), true);
      s.onResponseHeaders(new HeaderMap({ ':status': '200' }), true);
      s.finish();
      if (i % 500 === 0) clearTrace(vm);
    }
    expect(vm.openStreams).toBe(0);
    expect(trace(vm).length).toBeGreaterThan(0);
    expect(Status.OK).toBe(0);
  });
});

describe('a plugin that loops forever', () => {
  it('is stopped by the per-callback time limit with a clear error (FAIL_CLOSE answers 503)', async () => {
    const spin = await wat(`(module (memory (export "memory") 1) (func (export "proxy_abi_version_0_2_1"))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (loop (br 0)) (i32.const 0)))`);
    const plugin = await Plugin.load({ module: spin, callbackTimeoutMs: 100 });
    const started = Date.now();
    const s = plugin.newStream();
    const o = s.onRequestHeaders(new HeaderMap({ ':path': '/' }), true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(o.kind === 'local' && o.response.status).toBe(503);
    expect(s.failure?.message).toBe('plugin trapped in proxy_on_request_headers: it ran longer than 100 ms (an endless loop?) and was stopped');
  });
});

/** A plugin whose memory and table are imported (wasm-ld --import-memory --import-table), as Envoy links it. */
const importsMemory = (memory: string) => `(module
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "memory" ${memory})
  (import "env" "__indirect_function_table" (table 1 funcref))
  (data (i32.const 16) "x-memorypages")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $add (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 24) (i32.const 5)))
    (i32.const 0)))`;

describe('a module that imports its memory and table', () => {
  it('gets them made with its own limits, as proxy-wasm-cpp-host links it; the host reads that memory', async () => {
    const plugin = await Plugin.load({ module: await wat(importsMemory('(memory 2)')) });
    const headers = new HeaderMap({ ':path': '/' });
    expect(plugin.newStream().onRequestHeaders(headers, true).kind).toBe('continue');
    expect(headers.get('x-memory')).toBe('pages');
    // The same 1 GiB ceiling as a memory the module defines.
    expect(plugin.vm?.call('grow', 0, 16383)).toBe(-1);
    expect(plugin.vm?.call('grow', 0, 1)).toBe(2);
  });

  it('refuses an imported memory that starts above 1 GiB, naming the import', async () => {
    await expect(compilePluginModule(await wat(importsMemory('(memory 16385)')))).rejects.toMatchObject({
      code: 'WASM_MEMORY_LIMIT',
      message: expect.stringMatching(/imported memory env\.memory starts at 16385 pages/),
    });
  });
});

describe('a module exporting two ABI markers', () => {
  const twoMarkers = (first: string, second: string) => `(module
    (memory (export "memory") 1)
    (global (export "proxy_abi_version_0_3_0") i32 (i32.const 0))
    (func (export "${first}"))
    (func (export "${second}"))
    (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
    (func (export "proxy_on_context_create") (param i32 i32)))`;

  it('runs with the first function marker in export order, as Envoy does, and inspect says the same', async () => {
    for (const [first, second, version] of [
      ['proxy_abi_version_0_2_1', 'proxy_abi_version_0_1_0', '0.2.1'],
      ['proxy_abi_version_0_1_0', 'proxy_abi_version_0_2_1', '0.1.0'],
    ] as const) {
      const bytes = await wat(twoMarkers(first, second));
      expect((await compilePluginModule(bytes)).abiVersion).toBe(version);
      expect(inspectWasm(bytes).abiVersion).toBe(version);
    }
  });
});
