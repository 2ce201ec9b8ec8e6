import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/write-atomic.js';
import type { PluginKind } from './kinds.js';
import { stateDirName } from './project-state.js';

/**
 * What `istio-wasm deploy` applied last (`.istio-wasm/last-deploy.json`): the plugin resources by
 * kind, name and namespace. A later deploy of the other kind reads it to say that the old resource
 * is still in the cluster.
 */
export interface DeployedResource {
  kind: PluginKind;
  name: string;
  namespace: string | undefined;
}

export interface LastDeploy {
  deployedAt: string;
  resources: DeployedResource[];
}

export function lastDeployPath(root: string): string {
  return path.join(root, stateDirName, 'last-deploy.json');
}

export async function readLastDeploy(root: string): Promise<LastDeploy | undefined> {
  try {
    const value = JSON.parse(await readFile(lastDeployPath(root), 'utf8')) as LastDeploy;
    return Array.isArray(value.resources) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps what was applied before of the other kind (it is still there until pruned), replaces the rest. */
export async function recordDeploy(root: string, resources: DeployedResource[], options: { pruned: boolean }): Promise<void> {
  const previous = options.pruned ? [] : ((await readLastDeploy(root))?.resources ?? []);
  const key = (r: DeployedResource) => `${r.name}/${r.namespace ?? ''}`;
  const names = new Set(resources.map(key));
  const kept = previous.filter((r) => names.has(key(r)) && !resources.some((n) => key(n) === key(r) && n.kind === r.kind));
  await writeFileAtomic(lastDeployPath(root), `${JSON.stringify({ deployedAt: new Date().toISOString(), resources: [...resources, ...kept] }, null, 2)}\n`);
}
