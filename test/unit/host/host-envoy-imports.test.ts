import { describe, expect, it } from 'vitest';
import { Plugin, compilePluginModule, emscriptenFunctions, envFunctionNames, wasiFunctions } from '../../../src/host/index.js';
import { envImports } from '../../../src/host/abi-imports.js';
import { wasiImports } from '../../../src/host/wasi.js';
import { wat } from './fixtures.js';

// Every WASI function Envoy registers, each re-exported as w_<name> with its own signature.
const wasiSignatures: Record<string, string> = {
  fd_write: '(param i32 i32 i32 i32) (result i32)', fd_pwrite: '(param i32 i32 i32 i64 i32) (result i32)',
  fd_read: '(param i32 i32 i32 i32) (result i32)', fd_pread: '(param i32 i32 i32 i64 i32) (result i32)',
  fd_seek: '(param i32 i64 i32 i32) (result i32)', fd_close: '(param i32) (result i32)', fd_tell: '(param i32 i32) (result i32)',
  fd_advise: '(param i32 i64 i64 i32) (result i32)', fd_allocate: '(param i32 i64 i64) (result i32)',
  fd_datasync: '(param i32) (result i32)', fd_sync: '(param i32) (result i32)',
  fd_fdstat_get: '(param i32 i32) (result i32)', fd_fdstat_set_flags: '(param i32 i32) (result i32)',
  fd_fdstat_set_rights: '(param i32 i64 i64) (result i32)', fd_filestat_get: '(param i32 i32) (result i32)',
  fd_filestat_set_size: '(param i32 i64) (result i32)', fd_filestat_set_times: '(param i32 i64 i64 i32) (result i32)',
  fd_prestat_get: '(param i32 i32) (result i32)', fd_prestat_dir_name: '(param i32 i32 i32) (result i32)',
  fd_readdir: '(param i32 i32 i32 i64 i32) (result i32)', fd_renumber: '(param i32 i32) (result i32)',
  path_open: '(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)', path_filestat_get: '(param i32 i32 i32 i32 i32) (result i32)',
  path_create_directory: '(param i32 i32 i32) (result i32)', path_filestat_set_times: '(param i32 i32 i32 i32 i64 i64 i32) (result i32)',
  path_link: '(param i32 i32 i32 i32 i32 i32 i32) (result i32)', path_readlink: '(param i32 i32 i32 i32 i32 i32) (result i32)',
  path_remove_directory: '(param i32 i32 i32) (result i32)', path_rename: '(param i32 i32 i32 i32 i32 i32) (result i32)',
  path_symlink: '(param i32 i32 i32 i32 i32) (result i32)', path_unlink_file: '(param i32 i32 i32) (result i32)',
  environ_get: '(param i32 i32) (result i32)', environ_sizes_get: '(param i32 i32) (result i32)',
  args_get: '(param i32 i32) (result i32)', args_sizes_get: '(param i32 i32) (result i32)',
  clock_time_get: '(param i32 i64 i32) (result i32)', clock_res_get: '(param i32 i32) (result i32)',
  random_get: '(param i32 i32) (result i32)', sched_yield: '(result i32)', poll_oneoff: '(param i32 i32 i32 i32) (result i32)',
  sock_accept: '(param i32 i32 i32) (result i32)', sock_recv: '(param i32 i32 i32 i32 i32 i32) (result i32)',
  sock_send: '(param i32 i32 i32 i32 i32) (result i32)', sock_shutdown: '(param i32 i32) (result i32)',
  proc_exit: '(param i32)',
};

function paramCount(sig: string): number {
  return /\(param ([^)]*)\)/.exec(sig)?.[1]?.split(' ').length ?? 0;
}

/** An Emscripten-shaped module (as the C++ SDK's Makefile flags produce) importing all of Envoy's WASI. */
function emscriptenModule(extraImports = ''): string {
  const imports = Object.entries(wasiSignatures)
    .map(([name, sig]) => `(import "wasi_snapshot_preview1" "${name}" (func $${name} ${sig}))`)
    .join('\n  ');
  const wrappers = Object.entries(wasiSignatures)
    .map(([name, sig]) => {
      const n = paramCount(sig);
      const args = Array.from({ length: n }, (_, i) => `(local.get ${i})`).join(' ');
      return `(func (export "w_${name}") ${sig} (call $${name} ${args}))`;
    })
    .join('\n  ');
  return `(module
  (import "env" "emscripten_notify_memory_growth" (func $grown (param i32)))
  (import "env" "pthread_equal" (func $pthread_equal (param i32 i32) (result i32)))
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  ${extraImports}
  ${imports}
  (memory (export "memory") 1 100)
  (global $heap (mut i32) (i32.const 4096))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "malloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $p))
  (func (export "proxy_on_context_create") (param i32 i32))
  ;; grows memory as emscripten's sbrk does, then tells the host
  (func (export "grow") (param i32) (result i32) (local $old i32)
    (local.set $old (memory.grow (local.get 0)))
    (call $grown (i32.const 0))
    (local.get $old))
  (func (export "eq") (param i32 i32) (result i32) (call $pthread_equal (local.get 0) (local.get 1)))
  ${wrappers})`;
}

async function load(env: Record<string, string> = {}) {
  const logs: Array<{ level: number; message: string }> = [];
  const plugin = await Plugin.load({ module: await wat(emscriptenModule()), logLevel: 'trace', env, onLog: (e) => logs.push(e) });
  const vm = plugin.vm;
  if (!vm) throw new Error(`module failed to start: ${plugin.failure?.message}`);
  return { vm, logs };
}

describe('the imports Envoy registers (proxy-wasm-cpp-host registerCallbacks)', () => {
  it('are exactly what the host implements: every env and WASI function, nothing more', () => {
    const stub = { memory: () => { throw new Error('unused'); }, env: {}, writeLine: () => {}, error: () => {}, now: () => 0n };
    expect(Object.keys(wasiImports(stub)).sort()).toEqual([...wasiFunctions].sort());
    expect(Object.keys(wasiSignatures).sort()).toEqual([...wasiFunctions].sort());
    expect(Object.keys(envImports({} as never)).sort()).toEqual([...envFunctionNames].sort());
    expect(emscriptenFunctions).toEqual(['pthread_equal', 'emscripten_notify_memory_growth']);
  });

  it('loads an Emscripten build: memory growth is noticed, pthread_equal compares', async () => {
    const { vm } = await load();
    const pages = vm.call('grow', 1, 3);
    expect(pages).toBe(1);
    // The host sees the grown memory at once (what em++ -sALLOW_MEMORY_GROWTH=1 relies on).
    vm.mem.setU32(4 * 65536 - 4, 0xdeadbeef);
    expect(vm.mem.u32(4 * 65536 - 4)).toBe(0xdeadbeef);
    expect(vm.call('eq', 1, 7, 7)).toBe(1);
    expect(vm.call('eq', 1, 7, 8)).toBe(0);
  });

  it('refuses what Envoy does not register: proc_raise, a global, an ABI 0.1.0 function in a 0.2.1 module', async () => {
    await expect(compilePluginModule(await wat(emscriptenModule('(import "wasi_snapshot_preview1" "proc_raise" (func (param i32) (result i32)))'))))
      .rejects.toMatchObject({ code: 'WASM_UNKNOWN_IMPORTS', message: expect.stringMatching(/wasi_snapshot_preview1\.proc_raise/) });
    await expect(compilePluginModule(await wat(emscriptenModule('(import "env" "__stack_pointer" (global (mut i32)))'))))
      .rejects.toMatchObject({ code: 'WASM_UNKNOWN_IMPORTS', message: expect.stringMatching(/env\.__stack_pointer/) });
    await expect(compilePluginModule(await wat(emscriptenModule('(import "env" "proxy_continue_request" (func (result i32)))'))))
      .rejects.toMatchObject({ code: 'WASM_UNKNOWN_IMPORTS', message: expect.stringMatching(/env\.proxy_continue_request/) });
  });
});

describe('WASI as Envoy answers it', () => {
  it('fd_write: one log entry a call (stdout INFO, stderr ERROR), a trailing newline dropped; other fds EBADF', async () => {
    const { vm, logs } = await load();
    const text = new TextEncoder().encode('line one\nline two\n');
    vm.mem.write(9000, text);
    vm.mem.setU32(8000, 9000);
    vm.mem.setU32(8004, 9);
    vm.mem.setU32(8008, 9009);
    vm.mem.setU32(8012, text.length - 9);
    expect(vm.call('w_fd_write', 1, 1, 8000, 2, 8100)).toBe(0);
    expect(vm.mem.u32(8100)).toBe(text.length);
    expect(vm.call('w_fd_pwrite', 1, 2, 8000, 1, 5n as unknown as number, 8100)).toBe(0);
    expect(vm.mem.u32(8100)).toBe(9);
    expect(logs.map((l) => [l.level, l.message])).toEqual([[2, 'line one\nline two'], [4, 'line one']]);
    expect(vm.call('w_fd_write', 1, 3, 8000, 1, 8100)).toBe(8);
    expect(vm.call('w_fd_write', 1, 1, 0x7fff_fff0, 1, 8100)).toBe(21); // EFAULT
  });

  it('answers files, sockets and clocks with Envoy\'s codes', async () => {
    const { vm, logs } = await load({ A: '1' });
    const big = 0n as unknown as number;
    expect(vm.call('w_fd_read', 1, 0, 8000, 1, 8100)).toBe(52);
    expect(vm.call('w_fd_pread', 1, 0, 8000, 1, big, 8100)).toBe(52);
    expect(vm.call('w_path_open', 1, 3, 0, 8000, 4, 0, big, big, 0, 8100)).toBe(44);
    expect(vm.call('w_fd_prestat_get', 1, 3, 8100)).toBe(8);
    expect(vm.call('w_fd_prestat_dir_name', 1, 3, 8100, 4)).toBe(52);
    expect(vm.call('w_fd_fdstat_get', 1, 0, 8100)).toBe(8);
    expect(vm.call('w_fd_fdstat_get', 1, 1, 8100)).toBe(0);
    expect([...vm.mem.read(8100, 24)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(vm.call('w_fd_fdstat_set_flags', 1, 1, 0)).toBe(52);
    expect(vm.call('w_fd_sync', 1, 1)).toBe(0);
    expect(vm.call('w_fd_sync', 1, 5)).toBe(8);
    expect(vm.call('w_fd_renumber', 1, 1, 2)).toBe(58);
    expect(vm.call('w_fd_renumber', 1, 1, 5)).toBe(8);
    expect(vm.call('w_fd_readdir', 1, 3, 8000, 10, big, 8100)).toBe(20);
    expect(vm.call('w_path_unlink_file', 1, 3, 8000, 4)).toBe(58);
    vm.mem.setU32(8100, 99);
    vm.mem.setU32(8104, 99);
    expect(vm.call('w_sock_accept', 1, 3, 0, 8100)).toBe(58);
    expect(vm.mem.u32(8100)).toBe(0);
    expect(vm.mem.u32(8104)).toBe(0); // a 64-bit zero, as Envoy writes
    expect(vm.call('w_clock_time_get', 1, 0, big, 8200)).toBe(0);
    expect(vm.call('w_clock_time_get', 1, 1, big, 8200)).toBe(0);
    expect(vm.call('w_clock_time_get', 1, 2, big, 8200)).toBe(58); // no CPU-time clocks
    expect(vm.call('w_clock_res_get', 1, 3, 8200)).toBe(58);
    vm.mem.setU32(8300, 7);
    expect(vm.call('w_poll_oneoff', 1, 0, 0, 1, 8300)).toBe(0); // Go's runtime needs success
    expect(vm.mem.u32(8300)).toBe(0);
    vm.call('grow', 1, 2);
    expect(vm.call('w_random_get', 1, 8400, 65536)).toBe(0);
    expect(vm.call('w_random_get', 1, 8400, 65537)).toBe(28);
    expect(vm.call('w_environ_sizes_get', 1, 8500, 8504)).toBe(0);
    expect([vm.mem.u32(8500), vm.mem.u32(8504)]).toEqual([1, 4]);
    expect(vm.call('w_sched_yield', 1)).toBe(0);
    expect(vm.call('w_fd_close', 1, 3)).toBe(0);
    // proc_exit returns, as in Envoy: only a trace-level note; the guest's own code traps after it.
    vm.call('w_proc_exit', 1, 3);
    expect(logs.filter((l) => l.level === 0).map((l) => l.message)).toEqual(['wasi_unstable fd_close', 'wasi_unstable proc_exit']);
  });
});
