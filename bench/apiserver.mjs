#!/usr/bin/env node
// The real Kubernetes API server the deploy tests run against (test/helpers/apiserver.mjs),
// standalone or called by bench/run.mjs:  node bench/apiserver.mjs [--runs N] [--json]
// - the one-time build of kube-apiserver and etcd from their Go modules (test/apiserver/build.sh):
//   wall and CPU seconds as recorded when it was built on this machine (it is cached; a new pin
//   or Go version builds again, and then this run measures it);
// - start-up: certificates, etcd and kube-apiserver until /readyz answers, against etcd alone
//   (ready on /health) measured in the same starts;
// - installing Istio's two CRDs until Established.
// Needs go, openssl and kubectl (scripts/test-tools.sh installs them).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { apiServerBinaries, installIstioCrds, startApiServer } from '../test/helpers/apiserver.mjs';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
const asJson = args.includes('--json');

const before = Date.now();
const bin = apiServerBinaries();
const builtNow = Date.now() - before > 30_000;
const recorded = (name) => (existsSync(path.join(bin, name)) ? Number(readFileSync(path.join(bin, name), 'utf8').trim()) : undefined);
const build = { wallSeconds: recorded('build-seconds'), cpuSeconds: recorded('build-cpu-seconds'), builtInThisRun: builtNow };

const starts = [];
for (let i = 0; i < runs; i++) {
  const server = await startApiServer({ binaries: bin, istioCrds: false });
  try {
    const crdStart = Date.now();
    await installIstioCrds(server);
    starts.push({ startMs: server.startMs, etcdMs: server.etcdMs, crdsMs: Date.now() - crdStart });
  } finally {
    await server.stop();
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const m = { startMs: median(starts.map((s) => s.startMs)), etcdMs: median(starts.map((s) => s.etcdMs)), crdsMs: median(starts.map((s) => s.crdsMs)) };
const results = { build, runs, ...m, startVsEtcd: m.startMs / m.etcdMs };

if (asJson) {
  console.log(JSON.stringify({ suite: 'apiserver', results, starts }, null, 2));
} else {
  const s = (v) => (v === undefined ? '   (unknown)' : `${String(v).padStart(6)} s`);
  console.log(`kube-apiserver + etcd ${path.basename(bin)} (built from their Go modules; median of ${runs} starts)`);
  console.log(`  one-time build, wall (${build.builtInThisRun ? 'in this run' : 'recorded when built'})`.padEnd(47) + s(build.wallSeconds));
  console.log(`  one-time build, CPU (whatever else ran)      ${s(build.cpuSeconds)}${build.cpuSeconds ? `  ~${Math.round(build.cpuSeconds / 2)} s wall on 2 idle cores` : ''}`);
  console.log(`  start-up: etcd + kube-apiserver ready        ${String(m.startMs).padStart(6)} ms  ${(m.startMs / m.etcdMs).toFixed(1)}x etcd alone (${m.etcdMs} ms)`);
  console.log(`  Istio's WasmPlugin + TrafficExtension CRDs   ${String(m.crdsMs).padStart(6)} ms  until Established`);
}
