import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { istioWasmBin, repoRoot } from './cli.js';

/** A real node:http server on 127.0.0.1 (free port); `close()` stops it. */
export async function startServer(handler: http.RequestListener, options: http.ServerOptions = {}): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  const server = http.createServer(options, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An upstream that echoes what it received as JSON. */
export function echoHandler(): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  };
}

export interface ServeProcess {
  url: string;
  statsUrl: string;
  child: ChildProcess;
  stderr: () => string;
  /** SIGINT by PID; resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/** Starts the BUILT CLI's `serve` and waits for its `http://HOST:PORT` line (bounded in time). */
export function startServe(args: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [istioWasmBin, 'serve', '--listen', '127.0.0.1:0', ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let exited: Promise<number | null> = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start in time:\n${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      const s = /stats: (http:\/\/\S+)/.exec(stderr);
      if (m?.[1] && s?.[1]) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          statsUrl: s[1],
          child,
          stderr: () => stderr,
          stop: async () => {
            if (child.exitCode === null) child.kill('SIGINT');
            const t = setTimeout(() => child.kill('SIGKILL'), 5000);
            const code = await exited;
            clearTimeout(t);
            return code;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${stderr}`));
    });
    exited = exited.then((c) => c);
  });
}
