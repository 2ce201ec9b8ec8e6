import { tryLoadProject } from '../project/load.js';
import { checkCluster, checkNode, checkRegistry, checkToolchain, checkTools } from './checks.js';
import type { DoctorReport } from './types.js';

/**
 * `istio-wasm doctor`: what this machine has for the project around `cwd` (or, outside a project,
 * for using istio-wasm at all). ok is false only when a required check fails: Node, and the
 * project's language toolchain. When the cluster answers: Istio's CRDs there, and their version.
 */
export async function runDoctor(options: { cwd: string; env?: NodeJS.ProcessEnv; image?: string | undefined }): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const project = await tryLoadProject(options.cwd);
  const checks = [checkNode()];
  const [toolchain, tools, cluster] = await Promise.all([project ? checkToolchain(project) : Promise.resolve([]), checkTools(), checkCluster()]);
  checks.push(...toolchain, ...tools);
  let image: string | undefined;
  if (project) {
    const { imageFromEnv } = await import('../project/image.js');
    image = options.image ?? imageFromEnv(env) ?? project.config.image;
    checks.push(...(await checkRegistry(image, project.config.istio.version, env)));
  }
  checks.push(cluster);
  if (cluster.status === 'ok') {
    const { checkIstioCrds } = await import('./istio-crds.js');
    const minor = project ? /^v?1\.(\d+)/.exec(project.config.istio.version)?.[1] : undefined;
    checks.push(...(await checkIstioCrds({ projectIstioMinor: minor === undefined ? undefined : Number(minor) })));
  }
  return {
    ok: checks.every((c) => !c.required || c.status === 'ok'),
    project: project ? { root: project.root, language: project.config.language, image: image ?? project.config.image, istioVersion: project.config.istio.version } : null,
    checks,
  };
}

export type { DoctorCheck, DoctorReport } from './types.js';
