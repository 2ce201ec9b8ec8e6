#!/usr/bin/env node
// Builds the Istio oracle (this folder's Go program) once per source change and keeps the binary
// under ~/.cache/create-istio-wasm/oracle/<hash of the sources and the Go version>/oracle, so a
// later run on the same machine reuses it (Go's own build cache keeps the compiled dependencies).
// `node test/oracle/build.mjs` builds and prints where and how long; tests and bench import it.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const oracleDir = path.dirname(fileURLToPath(import.meta.url));

async function sourceHash() {
  const files = (await readdir(oracleDir)).filter((f) => f === 'go.mod' || f === 'go.sum' || f.endsWith('.go')).sort();
  const hash = createHash('sha256');
  hash.update(execFileSync('go', ['version'], { encoding: 'utf8' }));
  for (const f of files) {
    hash.update(`${f}\0`);
    hash.update(await readFile(path.join(oracleDir, f)));
  }
  return hash.digest('hex').slice(0, 16);
}

function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'create-istio-wasm', 'oracle');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Returns the oracle binary, building it when its sources changed. Never runs two builds at once. */
export async function buildOracle() {
  const started = Date.now();
  const dir = path.join(cacheRoot(), await sourceHash());
  const binary = path.join(dir, 'oracle');
  if (existsSync(binary)) return { binary, built: false, ms: Date.now() - started };
  await mkdir(path.dirname(dir), { recursive: true });
  const lock = `${dir}.lock`;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (existsSync(binary)) return { binary, built: false, ms: Date.now() - started };
      const age = Date.now() - (await stat(lock).then((s) => s.mtimeMs, () => Date.now()));
      if (age > 45 * 60_000) await rm(lock, { recursive: true, force: true }); // a build that died
      await sleep(1000);
    }
  }
  try {
    if (existsSync(binary)) return { binary, built: false, ms: Date.now() - started };
    await mkdir(dir, { recursive: true });
    const partial = `${binary}.partial-${process.pid}`;
    await new Promise((resolve, reject) => {
      const child = spawn('nice', ['-n', '10', 'go', 'build', '-o', partial, '.'], { cwd: oracleDir, stdio: ['ignore', 'inherit', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go build of the Istio oracle failed (exit ${code}):\n${stderr}`))));
    });
    await rename(partial, binary);
    // Binaries of older sources are never used again.
    for (const other of await readdir(path.dirname(dir))) {
      if (other !== path.basename(dir) && !other.endsWith('.lock')) await rm(path.join(path.dirname(dir), other), { recursive: true, force: true });
    }
    return { binary, built: true, ms: Date.now() - started };
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildOracle().then(
    (r) => process.stderr.write(`oracle: ${r.built ? `built in ${(r.ms / 1000).toFixed(1)} s` : 'up to date'}: ${r.binary}\n`),
    (e) => {
      process.stderr.write(`oracle: ${e.message}\n`);
      process.exit(1);
    },
  );
}
