import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan, planDeploy } from '../../src/istio/deploy.js';
import { generateManifest, toYaml } from '../../src/istio/manifest.js';
import { readLastDeploy } from '../../src/istio/last-deploy.js';
import { parseIstioVersion } from '../../src/istio/versions.js';
import { loadProjectAt } from '../../src/project/load.js';
import { makeTempDir } from '../helpers/tmp.js';
import { writeProject } from './sealos-fixtures.js';

/**
 * deploy's apply path for both kinds against a stand-in kubectl (a script that records its
 * arguments and answers as kubectl does): the cluster is asked for the other kind after the apply,
 * --prune deletes it after the apply (never before: no moment without the plugin), and what was
 * applied is recorded for the next deploy.
 */
let dir: string;
let cleanup: () => Promise<void>;
let kubectl: string;
let log: string;
const target = parseIstioVersion('1.30');

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('ciw-deploy-kinds-'));
  log = path.join(dir, 'kubectl.log');
  kubectl = path.join(dir, 'kubectl');
  // `get` always finds the resource: the cluster holds the other kind.
  await writeFile(
    kubectl,
    `#!/bin/sh
echo "$*" >> "${log}"
case "$*" in
  "get --raw /version"*) echo '{"gitVersion":"v1.33.0"}' ;;
  apply*) cat > /dev/null; echo "applied" ;;
  get*) echo "$2/$3" ;;
  delete*) echo "$2 \\"$3\\" deleted" ;;
esac
`,
  );
  await chmod(kubectl, 0o755);
});
afterEach(async () => cleanup());

async function projectOfKind(kind: 'WasmPlugin' | 'TrafficExtension') {
  await writeProject(dir, { kind, image: 'ghcr.io/acme/wasm-auth:v1', istio: { version: '1.30' } });
  const project = await loadProjectAt(dir);
  const result = await generateManifest({ project, target, env: {} });
  await writeFile(path.join(dir, 'deploy.yaml'), toYaml([result.resource]));
  return project;
}

const calls = async () => (await readFile(log, 'utf8')).trim().split('\n');

describe('deploy: the other kind in the cluster', () => {
  it('without --prune: applies, then warns that the WasmPlugin of the same name still runs', async () => {
    const project = await projectOfKind('TrafficExtension');
    const plan = await planDeploy({ project, target, files: [path.join(dir, 'deploy.yaml')] });
    expect(plan.documents.map((d) => d.kind)).toEqual(['TrafficExtension']);
    const result = await applyPlan(plan, { project, kubectl });
    expect(result.pruned).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/the WasmPlugin wasm-auth in istio-system exists in the cluster and is not removed by applying a TrafficExtension: a plugin applied as both kinds runs twice/);
    const ran = await calls();
    expect(ran[1]).toMatch(/^apply --server-side/);
    expect(ran[2]).toBe('get wasmplugins.extensions.istio.io wasm-auth -n istio-system --ignore-not-found -o name');
    expect((await readLastDeploy(dir))?.resources).toEqual([{ kind: 'TrafficExtension', name: 'wasm-auth', namespace: 'istio-system' }]);
  });

  it('--prune deletes the other kind after the apply, and the record forgets it', async () => {
    const project = await projectOfKind('TrafficExtension');
    const plan = await planDeploy({ project, target, files: [path.join(dir, 'deploy.yaml')], prune: true });
    const result = await applyPlan(plan, { project, kubectl });
    expect(result.pruned).toEqual(['wasmplugins.extensions.istio.io "wasm-auth" deleted']);
    const ran = await calls();
    expect(ran.map((c) => c.split(' ')[0])).toEqual(['get', 'apply', 'delete']);
    expect(ran[2]).toBe('delete wasmplugins.extensions.istio.io wasm-auth -n istio-system --ignore-not-found');
  });

  it('switching back: the record of the last deploy says the TrafficExtension is there, before anything is applied', async () => {
    let project = await projectOfKind('TrafficExtension');
    await applyPlan(await planDeploy({ project, target, files: [path.join(dir, 'deploy.yaml')] }), { project, kubectl });
    project = await projectOfKind('WasmPlugin');
    const plan = await planDeploy({ project, target, files: [path.join(dir, 'deploy.yaml')] });
    expect(plan.stale).toEqual([expect.objectContaining({ kind: 'TrafficExtension', name: 'wasm-auth', namespace: 'istio-system' })]);
    expect(plan.notes.join('\n')).toMatch(/the TrafficExtension wasm-auth in istio-system was applied by istio-wasm deploy at .* runs twice/);
    // Applied as both kinds now: the record keeps the TrafficExtension until it is pruned.
    await applyPlan(plan, { project, kubectl });
    expect((await readLastDeploy(dir))?.resources.map((r) => r.kind)).toEqual(['WasmPlugin', 'TrafficExtension']);
    await applyPlan(await planDeploy({ project, target, files: [path.join(dir, 'deploy.yaml')], prune: true }), { project, kubectl });
    expect((await readLastDeploy(dir))?.resources.map((r) => r.kind)).toEqual(['WasmPlugin']);
  });
});
