import { rename } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../../helpers/cli.js';
import { startOracle, type Oracle, type Verdict } from '../../helpers/oracle.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { trafficExtensionCases, wasmPluginCases, type Case, type Doc } from './corpus.js';
import { validateCorpus } from './validate-run.js';

/**
 * `istio-wasm validate --istio-version 1.30` must give the verdict a 1.30 cluster gives on
 * `kubectl apply`: the API server (the CRD's schema, defaults and CEL rules) and then istiod's
 * validating webhook — both answered by Istio's own code (test/oracle). The corpus: mutations of
 * valid documents of both kinds, and every WasmPlugin `manifest` writes per template and option.
 */

/** Disagreements that are understood, each with the reason it stays. Keys are case names. */
const explained: Record<string, string> = {};

interface Judged {
  name: string;
  ours: boolean | 'skipped';
  ourErrors: string[];
  istio: Verdict;
}

let oracle: Oracle;
let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  oracle = await startOracle();
  tmp = await makeTempDir('ciw-oracle-validate-');
}, 45 * 60_000);
afterAll(async () => {
  await oracle?.stop();
  await tmp?.cleanup();
});

const templates = ['assemblyscript', 'rust', 'tinygo', 'cpp'];
const scaffoldOptions: Array<[string, string[]]> = [
  ['defaults', []],
  ['target-ref', ['--target-ref', 'Gateway/public-gw']],
  ['phase AUTHZ', ['--phase', 'AUTHZ']],
  ['phase STATS', ['--phase', 'STATS']],
  ['phase UNSPECIFIED_PHASE', ['--phase', 'UNSPECIFIED_PHASE']],
  ['FAIL_OPEN', ['--fail-strategy', 'FAIL_OPEN']],
  ['FAIL_RELOAD', ['--fail-strategy', 'FAIL_RELOAD']],
  ['priority -5', ['--priority', '-5']],
  ['selector', ['--selector', 'app=web,istio.io/rev=canary', '--namespace', 'shop']],
  ['plugin config', ['--plugin-config', '{"z":1,"a":{"b":[true,null,2.5]},"s":"x"}']],
  ['image', ['--image', '127.0.0.1:5000/team/plugin:v2']],
];

async function manifestCases(): Promise<Case[]> {
  const out: Case[] = [];
  const variants: Array<[string, string, string[]]> = [
    ...templates.map((t): [string, string, string[]] => [t, 'defaults', []]),
    ...scaffoldOptions.slice(1).map(([name, args]): [string, string, string[]] => ['assemblyscript', name, args]),
  ];
  for (const [template, name, args] of variants) {
    const dir = path.join(tmp.dir, `p-${template}-${name.replace(/[^a-z0-9]+/gi, '-')}`);
    const created = await runCli(['p', '--template', template, '--yes', '--no-install', '--no-git', '--istio-version', '1.30', ...args], { bin: 'create-istio-wasm', cwd: tmp.dir, env: {} });
    if (created.code !== 0) throw new Error(`scaffold ${template} ${name}: ${created.stderr}`);
    await rename(path.join(tmp.dir, 'p'), dir);
    for (const kind of ['WasmPlugin', 'TrafficExtension']) {
      const m = await runCli(['manifest', '--kind', kind, '--output', '-'], { cwd: dir });
      if (m.code !== 0) throw new Error(`manifest ${kind} ${template} ${name}: ${m.stderr}`);
      out.push({ name: `${kind}: manifest ${template} ${name}`, doc: parse(m.stdout) as Doc });
    }
  }
  return out;
}

describe('validate agrees with the API server and istiod of Istio 1.30 (Istio\'s own code)', () => {
  it('gives the same verdict on every document of the corpus', async () => {
    const cases = [...wasmPluginCases(), ...trafficExtensionCases(), ...(await manifestCases())];
    let start = Date.now();
    const ours = await validateCorpus(cases, path.join(tmp.dir, 'corpus'), '1.30');
    const oursMs = Date.now() - start;
    start = Date.now();
    const istio = await Promise.all(cases.map((c) => oracle.verdict(c.doc)));
    const oracleMs = Date.now() - start;
    const judged: Judged[] = cases.map((c, i) => ({ name: c.name, ours: ours[i]!.valid, ourErrors: ours[i]!.errors, istio: istio[i]! }));
    const kinds = (k: string) => cases.filter((c) => c.name.startsWith(`${k}:`)).length;
    const accepted = judged.filter((j) => j.istio.accepted).length;
    console.log(`oracle corpus: ${cases.length} documents (${kinds('WasmPlugin')} WasmPlugin, ${kinds('TrafficExtension')} TrafficExtension); Istio accepts ${accepted}, refuses ${cases.length - accepted}`);
    console.log(`oracle timing: validate ${oursMs} ms, oracle ${oracleMs} ms`);
    expect(cases.length).toBeGreaterThanOrEqual(200);

    const disagreements = judged
      .filter((j) => j.ours !== j.istio.accepted)
      .map((j) => ({
        name: j.name,
        ours: j.ours,
        istio: j.istio.accepted,
        istioSays: j.istio.accepted ? (j.istio.istiod?.warnings ?? []).join('; ') : j.istio.istiod ? j.istio.istiod.message : (j.istio.apiserver.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; '),
        oursSays: j.ourErrors.join('; '),
      }));
    const unexplained = disagreements.filter((d) => !(d.name in explained));
    const stale = Object.keys(explained).filter((name) => !disagreements.some((d) => d.name === name));
    console.log(`oracle: ${disagreements.length} disagreements, ${disagreements.length - unexplained.length} explained, ${unexplained.length} unexplained`);
    expect(unexplained).toEqual([]);
    expect(stale).toEqual([]);
  }, 30 * 60_000);
});
