import { CliError, messageOf } from '../errors.js';
import { toolVersion } from '../build/exec.js';
import { builderFor } from '../build/index.js';
import type { Project } from '../project/load.js';
import { kubectlErrorLine } from '../util/kubectl-error.js';
import type { DoctorCheck } from './types.js';

/** The individual checks; each returns lines and never throws. */
export const minimumNode = '20.17.0';

export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.replace(/^v/, '').split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function checkNode(version: string = process.versions.node): DoctorCheck {
  const ok = compareVersions(version, minimumNode) >= 0;
  return {
    group: 'node',
    name: 'node',
    status: ok ? 'ok' : 'missing',
    required: true,
    detail: `v${version.replace(/^v/, '')}`,
    ...(ok ? {} : { fix: `install Node.js ${minimumNode} or newer (https://nodejs.org, or nvm install 22)` }),
  };
}

export async function checkToolchain(project: Project): Promise<DoctorCheck[]> {
  try {
    const builder = await builderFor(project.config.language);
    const tools = await builder.toolchain(project.root);
    return tools.map((t) => ({
      group: 'toolchain' as const,
      name: t.tool,
      status: t.found ? ('ok' as const) : ('missing' as const),
      required: true,
      ...(t.version ? { detail: t.version } : {}),
      ...(t.found ? {} : { fix: t.fix }),
    }));
  } catch (error) {
    return [{ group: 'toolchain', name: `${project.config.language} toolchain`, status: 'missing', required: true, detail: messageOf(error), fix: 'reinstall create-istio-wasm' }];
  }
}

interface ToolSpec {
  name: string;
  command: string;
  args: string[];
  fix: string;
  detail?: (version: string) => string;
}

const tools: ToolSpec[] = [
  { name: 'docker engine', command: 'docker', args: ['info', '--format', '{{.ServerVersion}}'], fix: 'only for `make docker-build` (`istio-wasm build --docker`): start a Docker engine; `make push` needs none', detail: (v) => `server ${v}` },
  { name: 'podman', command: 'podman', args: ['--version'], fix: 'optional: another engine for `istio-wasm build --docker`' },
  { name: 'buildah', command: 'buildah', args: ['--version'], fix: 'optional: what sealos builds with; `istio-wasm sealos build` needs none' },
  { name: 'sealos', command: 'sealos', args: ['version', '--short'], fix: 'only for `--with-sealos` and for `sealos run` on the cluster: https://sealos.io/docs' },
  { name: 'kubectl', command: 'kubectl', args: ['version', '--client'], fix: 'for `istio-wasm deploy`: https://kubernetes.io/docs/tasks/tools/' },
];

export async function checkTools(): Promise<DoctorCheck[]> {
  return Promise.all(
    tools.map(async (t) => {
      const version = await toolVersion(t.command, t.args);
      if (!version && t.command === 'docker') {
        const client = await toolVersion('docker', ['--version']);
        if (client) return { group: 'tools' as const, name: t.name, status: 'missing' as const, required: false, detail: `${client}, but no engine answers \`docker info\``, fix: t.fix };
      }
      return {
        group: 'tools' as const,
        name: t.name,
        status: version ? ('ok' as const) : ('missing' as const),
        required: false,
        ...(version ? { detail: t.detail ? t.detail(version) : version } : {}),
        ...(version ? {} : { fix: t.fix }),
      };
    }),
  );
}

/** Registry reachability (a 5 s /v2/ probe), its auth challenge, and whether credentials are configured for the image. */
export async function checkRegistry(image: string, istioVersion: string, env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  const { parseReference } = await import('../oci/reference.js');
  const { loadCredentials } = await import('../oci/auth-files.js');
  const { RegistryClient } = await import('../oci/client.js');
  let ref;
  try {
    ref = parseReference(image);
  } catch (error) {
    return [{ group: 'registry', name: 'image', status: 'missing', required: false, detail: `${image}: ${messageOf(error)}`, fix: 'fix image in istio-wasm.yaml (registry/repository:tag)' }];
  }
  const out: DoctorCheck[] = [];
  let credentials;
  try {
    credentials = await loadCredentials(`${ref.registry}/${ref.repository}`, { env });
  } catch (error) {
    out.push({ group: 'registry', name: `credentials for ${ref.registry}`, status: 'warn', required: false, detail: `the auth file is unreadable: ${error instanceof CliError ? error.message : messageOf(error)}`, fix: 'fix or remove the auth file named above' });
  }
  let auth;
  try {
    auth = await new RegistryClient(ref.registry, { timeoutMs: 5_000, retries: 0 }).ping();
    out.push({ group: 'registry', name: `registry ${ref.registry}`, status: 'ok', required: false, detail: auth.scheme === 'none' ? 'reachable, anonymous access' : `reachable, ${auth.scheme === 'basic' ? 'Basic (htpasswd)' : 'Bearer token'} auth` });
  } catch (error) {
    out.push({
      group: 'registry',
      name: `registry ${ref.registry}`,
      status: 'missing',
      required: false,
      detail: (error instanceof CliError ? error.message : messageOf(error)).split('\n')[0] ?? '',
      fix: `start or reach the registry, or set image in istio-wasm.yaml (REPO/IMG override it); \`istio-wasm push\` needs it`,
    });
  }
  if (!out.some((c) => c.name.startsWith('credentials'))) {
    if (credentials) out.push({ group: 'registry', name: `credentials for ${ref.registry}`, status: 'ok', required: false, detail: 'configured (not shown)' });
    else if (auth && auth.scheme !== 'none') out.push({ group: 'registry', name: `credentials for ${ref.registry}`, status: 'missing', required: false, detail: 'none configured, and the registry asks for them', fix: `istio-wasm login ${ref.registry} (or sealos login / podman login / docker login)` });
    else if (auth) out.push({ group: 'registry', name: `credentials for ${ref.registry}`, status: 'ok', required: false, detail: 'none needed (anonymous access)' });
    else out.push({ group: 'registry', name: `credentials for ${ref.registry}`, status: 'skipped', required: false, detail: 'none configured; whether the registry needs them is unknown (not reached)', fix: `if it needs them: istio-wasm login ${ref.registry}` });
  }
  if (auth && auth.scheme !== 'none') {
    const { registryTrapVerdict } = await import('../istio/registry-trap.js');
    const { parseIstioVersion } = await import('../istio/versions.js');
    try {
      const verdict = registryTrapVerdict({ scheme: auth.scheme, realm: auth.realm, service: auth.service }, parseIstioVersion(istioVersion), ref.registry);
      if (verdict.refused) {
        out.push({ group: 'registry', name: `Istio ${istioVersion} pulling from ${ref.registry}`, status: 'warn', required: false, detail: verdict.reason ?? 'refused', fix: 'istio-wasm manifest --delivery configmap, or `istio-wasm sealos build` (it picks the ConfigMap delivery for this version)' });
      }
    } catch {
      // a bad istio.version is reported by the commands that use it
    }
  }
  return out;
}

/**
 * Whether the cluster of kubectl's current context (KUBECONFIG) answers: GET /version, which every
 * user may read (system:public-info-viewer), where `kubectl cluster-info` lists kube-system's
 * services and so fails for a user whose RBAC stops at their namespace. With the server's address
 * and Kubernetes version.
 */
export async function checkCluster(): Promise<DoctorCheck> {
  const { execa } = await import('execa');
  const env = { ...process.env, NO_COLOR: '1' };
  try {
    const [result, config] = await Promise.all([
      execa('kubectl', ['get', '--raw', '/version', '--request-timeout=5s'], { reject: false, timeout: 8_000, env }),
      execa('kubectl', ['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}'], { reject: false, timeout: 8_000, env }),
    ]);
    const cause = result.cause as NodeJS.ErrnoException | undefined;
    if (cause?.code === 'ENOENT') return { group: 'cluster', name: 'cluster', status: 'skipped', required: false, detail: 'kubectl is not installed', fix: 'install kubectl to reach a cluster' };
    const server = `${config.stdout}`.trim();
    if (result.exitCode === 0) {
      let gitVersion: unknown;
      try {
        gitVersion = (JSON.parse(`${result.stdout}`) as { gitVersion?: unknown }).gitVersion;
      } catch {
        // answered, but not with a version document
      }
      return { group: 'cluster', name: 'cluster', status: 'ok', required: false, detail: `reachable${server ? ` at ${server}` : ''}${typeof gitVersion === 'string' ? `, Kubernetes ${gitVersion}` : ''}` };
    }
    // kubectl ends with its own summary ("The connection to the server … was refused"); klog lines (E1124 …) come before it.
    const why = kubectlErrorLine(`${result.stderr}`, result.timedOut ? 'timed out' : `exit ${result.exitCode ?? '?'}`).slice(0, 200);
    if (/\bUnauthorized\b|must be logged in/i.test(why)) {
      return { group: 'cluster', name: 'cluster', status: 'missing', required: false, detail: `${server || 'the cluster'} answers, but refuses kubectl's credentials: ${why}`, fix: 'renew the credentials of the current context (an expired token or certificate), or pick another with KUBECONFIG' };
    }
    return { group: 'cluster', name: 'cluster', status: 'missing', required: false, detail: why, fix: 'point KUBECONFIG at a cluster (only `istio-wasm deploy` and `sealos run` need one)' };
  } catch (error) {
    return { group: 'cluster', name: 'cluster', status: 'missing', required: false, detail: messageOf(error), fix: 'point KUBECONFIG at a cluster' };
  }
}
