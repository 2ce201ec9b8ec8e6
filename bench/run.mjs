#!/usr/bin/env node
// `npm run bench`: every benchmark suite, each printing ratios against a baseline measured in the
// same run. Suites: cli (start-up, scaffold), package (what npx installs, beside create-vite's),
// sizes (the four example modules), host (serve throughput, host call cost, memory), trace (serve
// recording vs --no-trace, memory of the trace ring), push (against skopeo), apiserver (the deploy
// tests' Kubernetes API server: one-time build cost, start-up), harden (issue 15: property-based
// cases per area, serve under hostile traffic), oracle (the Istio harness's build and corpus run).
// `npm run bench -- cli` runs one; options go to each suite (`npm run bench -- host --duration 3`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const all = ['cli', 'package', 'sizes', 'host', 'trace', 'push', 'apiserver', 'harden', 'oracle'];
// Options that take a value as the next word (`--duration 3`; `--duration=3` is one word); every
// other word is a suite's name.
const valued = new Set(['--runs', '--duration', '--connections', '--rounds']);
const wanted = [];
const options = [];
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (!a.startsWith('-')) wanted.push(a);
  else if (valued.has(a) && i + 1 < process.argv.length) options.push(a, process.argv[++i]);
  else options.push(a);
}
const suites = wanted.length > 0 ? wanted : all;
let failed = false;
for (const suite of suites) {
  const file = path.join(here, `${suite}.mjs`);
  if (!existsSync(file)) {
    console.error(`bench: no suite "${suite}" (have ${all.join(', ')})`);
    failed = true;
    continue;
  }
  console.log(`\n== ${suite}`);
  const r = spawnSync(process.execPath, ['--expose-gc', file, ...options], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
