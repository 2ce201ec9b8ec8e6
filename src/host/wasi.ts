import { randomFillSync } from 'node:crypto';
import { MemoryAccessError, type GuestMemory } from './memory.js';

/**
 * The WASI preview 1 functions Envoy registers (proxy-wasm-cpp-host src/exports.cc), each answering
 * as Envoy does: what a call writes to stdout/stderr is one log entry at INFO/ERROR (a trailing
 * newline dropped), the environment is vmConfig env, there are no arguments, realtime and
 * monotonic clocks, randomness up to 64 KiB a call, no files or sockets; proc_exit, fd_seek and
 * fd_close only leave a trace-level note (Envoy's Context::error) and return, so after proc_exit the
 * guest's own code traps. A bad guest pointer answers EFAULT.
 */
export const Errno = { SUCCESS: 0, BADF: 8, FAULT: 21, INVAL: 28, NOENT: 44, NOSYS: 52, NOTDIR: 20, NOTSUP: 58 } as const;

/** Envoy's limit on one random_get (PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES). */
export const randomGetMaxBytes = 64 * 1024;

export interface WasiHost {
  memory(): GuestMemory;
  env: Record<string, string>;
  /** What one fd_write/fd_pwrite call wrote to stdout (fd 1) or stderr (fd 2), as one message. */
  writeLine(fd: 1 | 2, line: string): void;
  /** A note Envoy logs at trace level about the plugin (its Context::error). */
  error(message: string): void;
  now(): bigint;
}

export const wasiModuleNames = ['wasi_snapshot_preview1', 'wasi_unstable'] as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const isStdio = (fd: number): boolean => fd === 1 || fd === 2;

export function wasiImports(host: WasiHost): Record<string, (...args: never[]) => number | bigint | void> {
  const guard =
    <A extends unknown[]>(fn: (...args: A) => number) =>
    (...args: A): number => {
      try {
        return fn(...args);
      } catch (error) {
        if (error instanceof MemoryAccessError) return Errno.FAULT;
        throw error;
      }
    };
  const envEntries = () => Object.entries(host.env).map(([k, v]) => encoder.encode(`${k}=${v}\0`));
  const start = process.hrtime.bigint();

  /** Envoy's writevImpl: the iovecs joined, one message, the trailing newline dropped. */
  const writev = (fd: number, iovs: number, iovsLen: number, nwritten: number): number => {
    if (!isStdio(fd)) return Errno.BADF;
    const mem = host.memory();
    let text = '';
    let total = 0;
    for (let i = 0; i < iovsLen; i++) {
      const ptr = mem.u32(iovs + i * 8);
      const len = mem.u32(iovs + i * 8 + 4);
      if (len === 0) continue;
      text += decoder.decode(mem.view(ptr, len), { stream: true });
      total += len;
    }
    text += decoder.decode();
    if (total > 0) host.writeLine(fd as 1 | 2, text.endsWith('\n') ? text.slice(0, -1) : text);
    mem.setU32(nwritten, total);
    return Errno.SUCCESS;
  };
  const badfUnlessStdio = guard((fd: number): number => (isStdio(fd) ? Errno.SUCCESS : Errno.BADF));
  const notSupported = guard((): number => Errno.NOTSUP);

  const fns = {
    fd_write: guard(writev),
    fd_pwrite: guard((fd: number, iovs: number, iovsLen: number, _offset: bigint, nwritten: number): number => writev(fd, iovs, iovsLen, nwritten)),
    fd_read: guard((): number => Errno.NOSYS),
    fd_pread: guard((): number => Errno.NOSYS),
    fd_seek: guard((): number => {
      host.error('wasi_unstable fd_seek');
      return Errno.SUCCESS;
    }),
    fd_close: guard((): number => {
      host.error('wasi_unstable fd_close');
      return Errno.SUCCESS;
    }),
    fd_tell: guard((fd: number, out: number): number => {
      if (!isStdio(fd)) return Errno.BADF;
      host.memory().setU64(out, 0n);
      return Errno.SUCCESS;
    }),
    fd_advise: guard((): number => Errno.SUCCESS),
    fd_allocate: badfUnlessStdio,
    fd_datasync: badfUnlessStdio,
    fd_sync: badfUnlessStdio,
    fd_fdstat_set_rights: badfUnlessStdio,
    fd_filestat_set_size: badfUnlessStdio,
    fd_filestat_set_times: badfUnlessStdio,
    fd_renumber: guard((fd: number, to: number): number => (isStdio(fd) && isStdio(to) ? Errno.NOTSUP : Errno.BADF)),
    fd_readdir: guard((_fd: number, _buf: number, _len: number, _cookie: bigint, nread: number): number => {
      host.memory().setU32(nread, 0);
      return Errno.NOTDIR;
    }),
    fd_filestat_get: guard((): number => Errno.BADF),
    fd_fdstat_set_flags: guard((): number => Errno.NOSYS),
    fd_fdstat_get: guard((fd: number, stat: number): number => {
      if (!isStdio(fd)) return Errno.BADF;
      // Envoy's 24 bytes: filetype and flags 0, rights_base FD_WRITE (64), rights_inheriting 0.
      const mem = host.memory();
      mem.write(stat, new Uint8Array(24));
      mem.setU64(stat + 8, 64n);
      return Errno.SUCCESS;
    }),
    fd_prestat_get: guard((): number => Errno.BADF),
    fd_prestat_dir_name: guard((): number => Errno.NOSYS),
    path_open: guard((): number => Errno.NOENT),
    path_filestat_get: notSupported,
    path_create_directory: notSupported,
    path_filestat_set_times: notSupported,
    path_link: notSupported,
    path_remove_directory: notSupported,
    path_rename: notSupported,
    path_symlink: notSupported,
    path_unlink_file: notSupported,
    path_readlink: guard((_fd: number, _path: number, _pathLen: number, _buf: number, _bufLen: number, out: number): number => {
      host.memory().setU32(out, 0);
      return Errno.NOTSUP;
    }),
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
    clock_res_get: guard((id: number, out: number): number => {
      if (id !== 0 && id !== 1) return Errno.NOTSUP;
      host.memory().setU64(out, 1n);
      return Errno.SUCCESS;
    }),
    clock_time_get: guard((id: number, _precision: bigint, out: number): number => {
      // 0 realtime, 1 monotonic; Envoy has no process or thread CPU-time clock.
      if (id !== 0 && id !== 1) return Errno.NOTSUP;
      host.memory().setU64(out, id === 0 ? host.now() : process.hrtime.bigint() - start);
      return Errno.SUCCESS;
    }),
    random_get: guard((buf: number, len: number): number => {
      if (len >>> 0 > randomGetMaxBytes) return Errno.INVAL;
      if (len === 0) return Errno.SUCCESS;
      const bytes = new Uint8Array(len >>> 0);
      randomFillSync(bytes);
      host.memory().write(buf, bytes);
      return Errno.SUCCESS;
    }),
    sched_yield: guard((): number => Errno.SUCCESS),
    // The Go runtime needs poll_oneoff to succeed; Envoy polls nothing and reports no events.
    poll_oneoff: guard((_in: number, _out: number, _n: number, nevents: number): number => {
      host.memory().setU32(nevents, 0);
      return Errno.SUCCESS;
    }),
    sock_accept: guard((_fd: number, _flags: number, out: number): number => {
      host.memory().setU64(out, 0n); // Envoy writes a 64-bit zero there
      return Errno.NOTSUP;
    }),
    sock_recv: guard((_fd: number, _data: number, _len: number, _flags: number, nread: number, roflags: number): number => {
      const mem = host.memory();
      mem.setU32(nread, 0);
      mem.write(roflags, new Uint8Array(2));
      return Errno.NOTSUP;
    }),
    sock_send: guard((_fd: number, _data: number, _len: number, _flags: number, nsent: number): number => {
      host.memory().setU32(nsent, 0);
      return Errno.NOTSUP;
    }),
    sock_shutdown: notSupported,
    proc_exit: (): void => {
      host.error('wasi_unstable proc_exit');
    },
  };
  return fns as unknown as Record<string, (...args: never[]) => number | bigint | void>;
}
