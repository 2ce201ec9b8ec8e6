import { randomFillSync } from 'node:crypto';
import { MemoryAccessError, type GuestMemory } from './memory.js';

/**
 * The WASI preview1 functions that Rust, TinyGo, C and C++ Proxy-Wasm builds import, as Envoy provides
 * them: stdout/stderr go to the plugin log (INFO/ERROR, line by line), environment from vmConfig env,
 * no arguments, clocks, randomness; files are absent (EBADF) and proc_exit stops the callback.
 */
export const Errno = { SUCCESS: 0, BADF: 8, INVAL: 28, NOSYS: 52 } as const;

export class ProcExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`the plugin called proc_exit(${code})`);
    this.name = 'ProcExit';
    this.code = code;
  }
}

export interface WasiHost {
  memory(): GuestMemory;
  env: Record<string, string>;
  /** A complete line the plugin wrote to stdout (fd 1) or stderr (fd 2). */
  writeLine(fd: 1 | 2, line: string): void;
  now(): bigint;
}

export const wasiModuleNames = ['wasi_snapshot_preview1', 'wasi_unstable'] as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function wasiImports(host: WasiHost): Record<string, (...args: never[]) => number | bigint | void> {
  const pending: Record<1 | 2, string> = { 1: '', 2: '' };
  const guard =
    <A extends unknown[]>(fn: (...args: A) => number) =>
    (...args: A): number => {
      try {
        return fn(...args);
      } catch (error) {
        if (error instanceof MemoryAccessError) return Errno.INVAL;
        throw error;
      }
    };
  const envEntries = () => Object.entries(host.env).map(([k, v]) => encoder.encode(`${k}=${v}\0`));
  const start = process.hrtime.bigint();

  const fns = {
    fd_write: guard((fd: number, iovs: number, iovsLen: number, nwritten: number): number => {
      if (fd !== 1 && fd !== 2) return Errno.BADF;
      const mem = host.memory();
      let total = 0;
      let text = '';
      for (let i = 0; i < iovsLen; i++) {
        const ptr = mem.u32(iovs + i * 8);
        const len = mem.u32(iovs + i * 8 + 4);
        text += decoder.decode(mem.view(ptr, len));
        total += len;
      }
      const key = fd as 1 | 2;
      const lines = (pending[key] + text).split('\n');
      pending[key] = lines.pop() ?? '';
      for (const line of lines) host.writeLine(key, line);
      mem.setU32(nwritten, total);
      return Errno.SUCCESS;
    }),
    fd_read: guard((): number => Errno.BADF),
    fd_close: guard((): number => Errno.BADF),
    fd_seek: guard((): number => Errno.BADF),
    fd_tell: guard((): number => Errno.BADF),
    fd_sync: guard((): number => Errno.BADF),
    fd_filestat_get: guard((): number => Errno.BADF),
    fd_readdir: guard((): number => Errno.BADF),
    fd_pread: guard((): number => Errno.BADF),
    fd_pwrite: guard((): number => Errno.BADF),
    fd_fdstat_set_flags: guard((): number => Errno.BADF),
    fd_fdstat_get: guard((fd: number, stat: number): number => {
      if (fd > 2) return Errno.BADF;
      const mem = host.memory();
      // filetype CHARACTER_DEVICE (2), no flags, rights: fd_write for 1/2, fd_read for 0.
      mem.write(stat, new Uint8Array(24));
      mem.setU8(stat, 2);
      mem.setU64(stat + 8, fd === 0 ? 2n : 64n);
      return Errno.SUCCESS;
    }),
    fd_prestat_get: guard((): number => Errno.BADF),
    fd_prestat_dir_name: guard((): number => Errno.BADF),
    path_open: guard((): number => Errno.BADF),
    path_filestat_get: guard((): number => Errno.BADF),
    path_create_directory: guard((): number => Errno.BADF),
    path_unlink_file: guard((): number => Errno.BADF),
    path_remove_directory: guard((): number => Errno.BADF),
    path_rename: guard((): number => Errno.BADF),
    path_readlink: guard((): number => Errno.BADF),
    environ_sizes_get: guard((countOut: number, sizeOut: number): number => {
      const entries = envEntries();
      const mem = host.memory();
      mem.setU32(countOut, entries.length);
      mem.setU32(sizeOut, entries.reduce((n, e) => n + e.byteLength, 0));
      return Errno.SUCCESS;
    }),
    environ_get: guard((environ: number, buf: number): number => {
      const mem = host.memory();
      let at = buf;
      envEntries().forEach((e, i) => {
        mem.setU32(environ + i * 4, at);
        mem.write(at, e);
        at += e.byteLength;
      });
      return Errno.SUCCESS;
    }),
    args_sizes_get: guard((countOut: number, sizeOut: number): number => {
      const mem = host.memory();
      mem.setU32(countOut, 0);
      mem.setU32(sizeOut, 0);
      return Errno.SUCCESS;
    }),
    args_get: guard((): number => Errno.SUCCESS),
    clock_res_get: guard((_id: number, out: number): number => {
      host.memory().setU64(out, 1n);
      return Errno.SUCCESS;
    }),
    clock_time_get: guard((id: number, _precision: bigint, out: number): number => {
      // 0 realtime, 1 monotonic, 2/3 process/thread cputime.
      const value = id === 0 ? host.now() : process.hrtime.bigint() - (id === 1 ? 0n : start);
      host.memory().setU64(out, value);
      return Errno.SUCCESS;
    }),
    random_get: guard((buf: number, len: number): number => {
      const bytes = new Uint8Array(len);
      randomFillSync(bytes);
      host.memory().write(buf, bytes);
      return Errno.SUCCESS;
    }),
    sched_yield: guard((): number => Errno.SUCCESS),
    poll_oneoff: guard((): number => Errno.NOSYS),
    sock_accept: guard((): number => Errno.NOSYS),
    sock_recv: guard((): number => Errno.NOSYS),
    sock_send: guard((): number => Errno.NOSYS),
    sock_shutdown: guard((): number => Errno.NOSYS),
    proc_raise: guard((): number => Errno.NOSYS),
    proc_exit: (code: number): void => {
      throw new ProcExit(code);
    },
  };
  return fns as unknown as Record<string, (...args: never[]) => number | bigint | void>;
}
