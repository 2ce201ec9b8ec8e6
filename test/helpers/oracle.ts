import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { buildOracle } from '../oracle/build.mjs';
import { repoRoot } from './cli.js';

/**
 * The Istio oracle (test/oracle, Go): answers with Istio's own code what the API server, istiod
 * and the istio-agent do with a document or an image. One long-lived process per test file,
 * JSON lines on stdin/stdout; built once per source change (see test/oracle/build.mjs).
 */
export interface ApiServerAnswer {
  allowed: boolean;
  errors: Array<{ path: string; message: string }> | null;
  object?: Record<string, unknown>;
}

export interface IstiodAnswer {
  allowed: boolean;
  message?: string;
  warnings: string[];
}

export interface VmEnv {
  keyValues: Record<string, string>;
  hostEnvKeys: string[];
}

export interface FilterAnswer {
  error?: string;
  filter: boolean;
  name: string;
  rootId: string;
  failurePolicy: string;
  configurationType: string;
  configuration: string;
  runtime: string;
  codeRemoteUri?: string;
  codeSha256?: string;
  codeLocalFile?: string;
  istiodEnv: VmEnv;
  pluginEnv: VmEnv;
}

export interface FetchAnswer {
  ok: boolean;
  refused: boolean;
  error?: string;
  digest?: string;
  module?: string;
  moduleSha256?: string;
  pinned: boolean;
  pinnedError?: string;
}

/** The whole verdict of a cluster on `kubectl apply`: the API server first, then istiod's webhook. */
export interface Verdict {
  accepted: boolean;
  apiserver: ApiServerAnswer;
  istiod?: IstiodAnswer;
}

export const crdFixtures = ['istio-wasmplugin-crd.yaml', 'istio-trafficextension-crd.yaml'].map((f) => path.join(repoRoot, 'test', 'fixtures', 'istio', f));

export interface Oracle {
  apiserver(doc: unknown): Promise<ApiServerAnswer>;
  istiod(doc: unknown): Promise<IstiodAnswer>;
  /** API server, then (only when it accepts) istiod's webhook on the stored object, as kubectl apply meets them. */
  verdict(doc: unknown): Promise<Verdict>;
  translate(doc: unknown): Promise<FilterAnswer>;
  fetch(image: string, options?: { pullSecret?: string; sha256?: string }): Promise<FetchAnswer>;
  versions(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** Starts the oracle; `crds` are the CRD files the API server serves (default: Istio 1.30's, test/fixtures/istio). */
export async function startOracle(crds: string[] = crdFixtures): Promise<Oracle> {
  const { binary } = await buildOracle();
  // A clean home: the agent's default keychain must not read this machine's Docker credentials.
  const home = await mkdtemp(path.join(os.tmpdir(), 'ciw-oracle-'));
  const child: ChildProcess = spawn(binary, crds, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, DOCKER_CONFIG: path.join(home, '.docker'), NO_PROXY: '*' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited: Error | undefined;
  child.on('exit', (code, signal) => {
    exited = new Error(`the oracle exited (${code ?? signal}):\n${stderr}`);
    for (const p of pending.values()) p.reject(exited);
    pending.clear();
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{"id":')) return; // a stray log line
    const answer = JSON.parse(line) as { id: number; result: unknown };
    const p = pending.get(answer.id);
    pending.delete(answer.id);
    p?.resolve(answer.result);
  });
  const ask = <T>(op: string, payload: Record<string, unknown>): Promise<T> => {
    if (exited) return Promise.reject(exited);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.stdin!.write(`${JSON.stringify({ id, op, ...payload })}\n`);
    });
  };
  const apiserver = (doc: unknown) => ask<ApiServerAnswer>('apiserver', { doc });
  const istiod = (doc: unknown) => ask<IstiodAnswer>('istiod', { doc });
  return {
    apiserver,
    istiod,
    async verdict(doc) {
      const api = await apiserver(doc);
      if (!api.allowed) return { accepted: false, apiserver: api };
      const hook = await istiod(api.object);
      return { accepted: hook.allowed, apiserver: api, istiod: hook };
    },
    translate: (doc) => ask<FilterAnswer>('translate', { doc }),
    fetch: (image, options = {}) => ask<FetchAnswer>('fetch', { image, ...options }),
    versions: () => ask<Record<string, string>>('version', {}),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.stdin?.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await done;
        clearTimeout(timer);
      }
      await rm(home, { recursive: true, force: true });
    },
  };
}
