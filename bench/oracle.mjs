#!/usr/bin/env node
// The Istio oracle (test/oracle, issue 10), standalone or called by bench/run.mjs:
//   node bench/oracle.mjs [--fresh] [--json]
// - harness build: what the test run pays for the Go harness — the cached binary, a relink with
//   Go's build cache warm, and with --fresh a build with an empty Go build cache (what a fresh CI
//   machine pays; minutes on 2 cores) — against `go version` as the baseline.
// - corpus run: test/integration/oracle/validate-agrees.test.ts (every document through our
//   `validate` and through Istio's API server + istiod code), with the corpus size it prints; the
//   oracle's share against our `validate` over the same documents.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOracle, oracleDir } from '../test/oracle/build.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const asJson = args.includes('--json');
const results = [];
const seconds = (ms) => Number((ms / 1000).toFixed(2));
function timed(fn) {
  const start = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}
function report(name, ms, baselineName, baselineMs, note) {
  results.push({ name, seconds: seconds(ms), baseline: baselineName, baselineSeconds: seconds(baselineMs), ratio: Number((ms / baselineMs).toFixed(1)), note });
}

const goVersion = timed(() => spawnSync('go', ['version'], { stdio: 'ignore' }));
if (goVersion.value.status !== 0) {
  console.error('bench oracle: go is not installed');
  process.exit(1);
}
const started = Date.now();
const built = await buildOracle();
report('harness: cached binary or first build (s)', Date.now() - started, 'go version', goVersion.ms, built.built ? 'built now' : 'binary cache hit');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ciw-bench-oracle-'));
try {
  const relink = timed(() => spawnSync('nice', ['-n', '10', 'go', 'build', '-o', path.join(tmp, 'oracle'), '.'], { cwd: oracleDir, stdio: 'ignore' }));
  if (relink.value.status !== 0) throw new Error('go build failed');
  report('harness: go build, Go build cache warm (s)', relink.ms, 'go version', goVersion.ms);
  if (args.includes('--fresh')) {
    const fresh = timed(() =>
      spawnSync('nice', ['-n', '10', 'go', 'build', '-o', path.join(tmp, 'oracle-fresh'), '.'], { cwd: oracleDir, stdio: 'ignore', env: { ...process.env, GOCACHE: path.join(tmp, 'gocache') } }),
    );
    if (fresh.value.status !== 0) throw new Error('fresh go build failed');
    report('harness: go build, empty Go build cache (s)', fresh.ms, 'go version', goVersion.ms, 'what a fresh CI machine pays (modules already downloaded)');
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const corpus = timed(() => spawnSync(process.execPath, [vitest, 'run', 'test/integration/oracle/validate-agrees.test.ts'], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } }));
const out = `${corpus.value.stdout}${corpus.value.stderr}`;
const size = /oracle corpus: (\d+) documents/.exec(out)?.[1];
const times = /oracle timing: validate (\d+) ms, oracle (\d+) ms/.exec(out);
if (corpus.value.status !== 0 || !size || !times) {
  console.error(out.slice(-4000));
  console.error('bench oracle: the corpus run failed');
  process.exit(1);
}
report(`corpus run: ${size} documents, whole test file (s)`, corpus.ms, 'go version', goVersion.ms);
report(`corpus: Istio's API server + istiod code over ${size} documents (s)`, Number(times[2]), `istio-wasm validate over the same ${size}`, Number(times[1]));

if (asJson) console.log(JSON.stringify(results, null, 2));
else for (const r of results) console.log(`${r.name.padEnd(72)} ${String(r.seconds).padStart(8)}  = ${String(r.ratio).padStart(7)}x ${r.baseline}${r.note ? `  (${r.note})` : ''}`);
