import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli.js';
import { startOracle, type Oracle } from '../../helpers/oracle.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { wasmPluginCases } from './corpus.js';
import { validateCorpus } from './validate-run.js';

/**
 * The version-specific rules (fields and enum values missing before 1.19/1.20/1.22/1.27, the CRD's
 * patterns and limits that arrived over the 1.2x releases) against an older Istio: the WasmPlugin
 * CRD of istio/api 1.24.2 served by the API server code. The Go module proxy holds no istio.io/istio
 * release older than the 1.30 line, so 1.24's istiod webhook cannot be built: a document our
 * `validate --istio-version 1.24` refuses while the 1.24 CRD accepts it must be refused by istiod's
 * webhook (1.30's, whose WasmPlugin rules 1.24 already had) or be written down below.
 */
const crd124 = path.join(repoRoot, 'test', 'fixtures', 'istio', '1.24', 'istio-wasmplugin-crd.yaml');

/** Documents we refuse for 1.24 although its CRD and 1.30's istiod accept them, with the reason. */
const explained: Record<string, string> = {};

let oracle124: Oracle;
let oracle130: Oracle;
let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  oracle124 = await startOracle([crd124]);
  oracle130 = await startOracle();
  tmp = await makeTempDir('ciw-oracle-124-');
}, 45 * 60_000);
afterAll(async () => {
  await oracle124?.stop();
  await oracle130?.stop();
  await tmp?.cleanup();
});

describe('validate --istio-version 1.24 against Istio 1.24\'s WasmPlugin CRD', () => {
  it('refuses everything the 1.24 API server refuses, and nothing else than istiod refuses', async () => {
    const cases = wasmPluginCases();
    const verdicts = await validateCorpus(cases, path.join(tmp.dir, 'corpus'), '1.24');
    const crdMissed: string[] = [];
    const unexplained: string[] = [];
    let refusedByIstiod = 0;
    for (const [i, c] of cases.entries()) {
      const ours = verdicts[i]!;
      const api = await oracle124.apiserver(c.doc);
      if (ours.valid === 'skipped') continue; // not a WasmPlugin for validate (wrong apiVersion): the API server has no such kind either
      if (!api.allowed && ours.valid) crdMissed.push(`${c.name}: the 1.24 CRD refuses (${(api.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ')})`);
      if (api.allowed && !ours.valid) {
        const hook = await oracle130.istiod(api.object);
        if (!hook.allowed) refusedByIstiod++;
        else if (!(c.name in explained)) unexplained.push(`${c.name}: we refuse (${ours.errors.join('; ')}), the 1.24 CRD and istiod accept`);
      }
    }
    console.log(`oracle 1.24: ${cases.length} WasmPlugin documents; ${refusedByIstiod} refused by us and istiod only`);
    expect(crdMissed).toEqual([]);
    expect(unexplained).toEqual([]);
  }, 30 * 60_000);
});
