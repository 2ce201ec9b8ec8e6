#!/usr/bin/env node
// `npm run bench`: every benchmark suite, each printing ratios against a baseline measured in the
// same run. Suites: cli (start-up, scaffold), package (what npx installs, beside create-vite's),
// sizes (the four example modules), host (serve throughput, host call cost, memory), trace (serve
// recording vs --no-trace, memory of the trace ring), push (against skopeo), apiserver (the deploy
// tests' Kubernetes API server: one-time build cost, start-up), harden (issue 15: property-based
// cases per area, serve under hostile traffic), oracle (the Istio harness's build and corpus run).
// `npm run bench -- cli` runs one.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const all = ['cli', 'package', 'sizes', 'host', 'trace', 'push', 'apiserver', 'harden', 'oracle'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
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
  const r = spawnSync(process.execPath, ['--expose-gc', file, ...process.argv.slice(2).filter((a) => a.startsWith('-'))], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
