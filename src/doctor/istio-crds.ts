import { messageOf } from '../errors.js';
import { crdIstioVersion } from '../istio/crd-version.js';
import { kindSince } from '../istio/versions.js';
import { kubectlErrorLine } from '../util/kubectl-error.js';
import type { DoctorCheck } from './types.js';

/**
 * Whether the cluster kubectl points at has Istio's WasmPlugin and TrafficExtension CRDs, and
 * which Istio release they come from (its labels, else its schema). Asked only when the cluster
 * answered; a project's target version that the CRDs are older than is a warning, because the API
 * server would drop or refuse the fields that version brought.
 */
const crds = [
  { kind: 'WasmPlugin', name: 'wasmplugins.extensions.istio.io', fix: 'install Istio (istioctl install, or helm install istio-base istio/base): `istio-wasm deploy` applies WasmPlugins' },
  {
    kind: 'TrafficExtension',
    name: 'trafficextensions.extensions.istio.io',
    fix: `only for kind: TrafficExtension, which Istio 1.${kindSince.TrafficExtension} brought: upgrade Istio's CRDs, or keep kind: WasmPlugin`,
  },
] as const;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function servedVersions(crd: Obj): string {
  const spec = isObject(crd.spec) ? crd.spec : {};
  const group = typeof spec.group === 'string' ? spec.group : 'extensions.istio.io';
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject).filter((v) => v.served !== false) : [];
  return versions.map((v) => `${group}/${String(v.name)}`).join(', ');
}

function established(crd: Obj): boolean {
  const status = isObject(crd.status) ? crd.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isObject) : [];
  return conditions.some((c) => c.type === 'Established' && c.status === 'True');
}

export async function checkIstioCrds(options: { projectIstioMinor?: number | undefined; kubectl?: string } = {}): Promise<DoctorCheck[]> {
  const { execa } = await import('execa');
  const args = ['get', 'customresourcedefinitions.apiextensions.k8s.io', ...crds.map((c) => c.name), '--ignore-not-found', '-o', 'json', '--request-timeout=5s'];
  let items: Obj[];
  try {
    const result = await execa(options.kubectl ?? 'kubectl', args, { reject: false, timeout: 10_000, env: { ...process.env, NO_COLOR: '1' } });
    if (result.exitCode !== 0) {
      const why = kubectlErrorLine(`${result.stderr}`, result.timedOut ? 'timed out' : `exit ${result.exitCode ?? '?'}`);
      return [{ group: 'cluster', name: 'Istio CRDs', status: 'warn', required: false, detail: `cannot read the cluster's CRDs: ${why}`.slice(0, 300), fix: 'kubectl needs permission to get customresourcedefinitions (cluster scope) to check them' }];
    }
    const text = `${result.stdout}`.trim();
    const parsed: unknown = text ? JSON.parse(text) : { items: [] };
    items = isObject(parsed) && Array.isArray(parsed.items) ? parsed.items.filter(isObject) : isObject(parsed) ? [parsed] : [];
  } catch (error) {
    return [{ group: 'cluster', name: 'Istio CRDs', status: 'warn', required: false, detail: `cannot read the cluster's CRDs: ${messageOf(error)}` }];
  }
  return crds.map((c): DoctorCheck => {
    const crd = items.find((i) => isObject(i.metadata) && i.metadata.name === c.name);
    const name = `${c.kind} CRD`;
    if (!crd) return { group: 'cluster', name, status: 'missing', required: false, detail: `not installed (no ${c.name})`, fix: c.fix };
    const version = crdIstioVersion(crd);
    const detail = `installed (${servedVersions(crd)}), from Istio ${version.text} (${version.source})`;
    if (!established(crd)) return { group: 'cluster', name, status: 'warn', required: false, detail: `${detail}, but not Established: the API server does not serve it yet`, fix: `kubectl describe crd ${c.name}` };
    const wanted = options.projectIstioMinor;
    if (wanted !== undefined && version.maxMinor !== undefined && version.maxMinor < wanted) {
      return {
        group: 'cluster',
        name,
        status: 'warn',
        required: false,
        detail: `${detail}; the project targets Istio 1.${wanted}`,
        fix: `set istio.version in istio-wasm.yaml to the cluster's (${version.text}) so manifest and deploy leave out what it lacks, or upgrade Istio`,
      };
    }
    return { group: 'cluster', name, status: 'ok', required: false, detail };
  });
}
