import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { CliError, messageOf } from '../errors.js';
import type { Project } from '../project/load.js';
import { checkWasmPlugin, wasmPluginKind } from './validate.js';
import { loadTrapContext, ociHostsIn, parseYamlDocuments } from './validate-files.js';
import type { IstioTarget } from './versions.js';

/**
 * `istio-wasm deploy`: validates the generated manifests again and applies them with kubectl —
 * the pull Secret and the module ConfigMap first (when the WasmPlugin uses them), then the
 * WasmPlugin. Server-side apply: a client-side apply would copy a ConfigMap's module into the
 * last-applied annotation, which is capped at 256 KiB.
 */
export interface DeployDocument {
  kind: string;
  name: string;
  namespace: string | undefined;
  file: string;
  object: Record<string, unknown>;
}

export interface DeployPlan {
  documents: DeployDocument[];
  /** Exactly what is piped to `kubectl apply -f -`. */
  yaml: string;
  /** The same with Secret data replaced by a placeholder, for printing. */
  redactedYaml: string;
  /** The kubectl arguments (before the stdin stream). */
  kubectlArgs: string[];
  notes: string[];
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

async function readDocuments(file: string): Promise<Obj[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError('MANIFEST_MISSING', `cannot read ${file}: ${messageOf(error)}`, { hint: 'generate it first: istio-wasm manifest' });
  }
  try {
    return parseYamlDocuments(text).filter(isObject);
  } catch (error) {
    throw new CliError('MANIFEST_UNPARSEABLE', `${file} is not valid YAML: ${messageOf(error)}`, { exitCode: 2 });
  }
}

export function kubectlBaseArgs(options: { kubeconfig?: string | undefined; context?: string | undefined }): string[] {
  return [...(options.kubeconfig ? ['--kubeconfig', options.kubeconfig] : []), ...(options.context ? ['--context', options.context] : [])];
}

export async function planDeploy(options: {
  project: Project;
  target: IstioTarget;
  files?: string[] | undefined;
  kubeconfig?: string | undefined;
  context?: string | undefined;
}): Promise<DeployPlan> {
  const deployDir = path.join(options.project.root, 'deploy');
  const files = options.files && options.files.length > 0 ? options.files.map((f) => path.resolve(f)) : [path.join(deployDir, 'wasmplugin.yaml')];
  const notes: string[] = [];
  const plugins: DeployDocument[] = [];
  const others: DeployDocument[] = [];
  const texts: string[] = [];
  for (const file of files) {
    texts.push(await readFile(file, 'utf8').catch(() => ''));
    for (const object of await readDocuments(file)) {
      const meta = isObject(object.metadata) ? object.metadata : {};
      const doc: DeployDocument = {
        kind: typeof object.kind === 'string' ? object.kind : '(no kind)',
        name: typeof meta.name === 'string' ? meta.name : '(no name)',
        namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined,
        file,
        object,
      };
      (doc.kind === wasmPluginKind ? plugins : others).push(doc);
    }
  }
  if (plugins.length === 0) throw new CliError('NO_WASMPLUGIN', `no WasmPlugin in ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`, { hint: 'generate it: istio-wasm manifest' });

  // Validate again: a hand edit since `manifest` must not reach the cluster unchecked.
  const context = await loadTrapContext({ project: options.project, hosts: ociHostsIn(texts) });
  const problems: string[] = [];
  for (const p of plugins) {
    const { errors, warnings } = checkWasmPlugin(p.object, options.target, context);
    for (const e of errors) problems.push(`${path.relative(process.cwd(), p.file)}: WasmPlugin ${p.name}: ${e.path}: ${e.message}`);
    for (const w of warnings) notes.push(`warning: WasmPlugin ${p.name}: ${w.path}: ${w.message}`);
  }
  if (problems.length > 0) {
    throw new CliError('MANIFEST_INVALID', `not deploying: the manifest is invalid for Istio ${options.target.text}:\n  ${problems.join('\n  ')}`, {
      hint: 'regenerate it with `istio-wasm manifest` (or fix the file); nothing was applied',
    });
  }

  // The companions the WasmPlugins use, from deploy/.
  const companions: DeployDocument[] = [];
  const specOf = (d: DeployDocument) => (isObject(d.object.spec) ? d.object.spec : {});
  const secretNames = new Set(plugins.map((p) => specOf(p).imagePullSecret).filter((s): s is string => typeof s === 'string'));
  const usesFile = plugins.some((p) => typeof specOf(p).url === 'string' && (specOf(p).url as string).startsWith('file://'));
  const secretFile = path.join(deployDir, 'secret.yaml');
  if (secretNames.size > 0 && !files.includes(secretFile)) {
    const secrets = await readDocuments(secretFile).catch(() => [] as Obj[]);
    for (const object of secrets) {
      const meta = isObject(object.metadata) ? object.metadata : {};
      if (object.kind === 'Secret' && typeof meta.name === 'string' && secretNames.has(meta.name)) {
        companions.push({ kind: 'Secret', name: meta.name, namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined, file: secretFile, object });
        secretNames.delete(meta.name);
      }
    }
    for (const missing of secretNames) notes.push(`the WasmPlugin names imagePullSecret ${missing}, which is not in ${path.relative(process.cwd(), secretFile)}: it must already exist in the cluster`);
  }
  const configMapFile = path.join(deployDir, 'wasm-configmap.yaml');
  if (usesFile && !files.includes(configMapFile)) {
    const cms = await readDocuments(configMapFile).catch(() => [] as Obj[]);
    for (const object of cms) {
      const meta = isObject(object.metadata) ? object.metadata : {};
      if (object.kind === 'ConfigMap') companions.push({ kind: 'ConfigMap', name: String(meta.name), namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined, file: configMapFile, object });
    }
    if (cms.length > 0) notes.push('the gateway must mount the ConfigMap: apply deploy/gateway-patch-injected.yaml or deploy/gateway-patch-classic.yaml to it once (kubectl patch)');
  }
  const documents = [...companions, ...others, ...plugins];
  const render = (redact: boolean) =>
    documents
      .map((d) => {
        let object = d.object;
        if (redact && d.kind === 'Secret' && isObject(object.data)) {
          object = { ...object, data: Object.fromEntries(Object.keys(object.data).map((k) => [k, `<redacted: from ${path.relative(process.cwd(), d.file)}; --show-secrets prints it>`])) };
        }
        return stringify(object, { lineWidth: 0 });
      })
      .join('---\n');
  return {
    documents,
    yaml: render(false),
    redactedYaml: render(true),
    kubectlArgs: [...kubectlBaseArgs(options), 'apply', '--server-side', '--field-manager=istio-wasm', '-f', '-'],
    notes,
  };
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], input: string, signal?: AbortSignal): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Applies the plan; refuses with a clear error when no cluster answers (nothing applied then). */
export async function applyPlan(plan: DeployPlan, options: { kubeconfig?: string | undefined; context?: string | undefined; signal?: AbortSignal; kubectl?: string }): Promise<string> {
  const kubectl = options.kubectl ?? 'kubectl';
  let probe: Ran;
  try {
    probe = await run(kubectl, [...kubectlBaseArgs(options), 'get', '--raw', '/version', '--request-timeout=10s'], '', options.signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError('NO_KUBECTL', 'kubectl is not installed or not on PATH', { hint: 'install kubectl, or use `istio-wasm deploy --dry-run` and apply the output yourself' });
    }
    throw error;
  }
  if (probe.code !== 0) {
    const why = probe.stderr.trim().split('\n').pop() ?? '';
    throw new CliError('NO_CLUSTER', `no Kubernetes cluster reachable${why ? ` (kubectl: ${why})` : ''}; nothing was applied`, {
      hint: `check the connection with \`kubectl${kubectlBaseArgs(options).map((a) => ` ${a}`).join('')} cluster-info\` (pick a cluster with --kubeconfig/--context), or preview with --dry-run`,
    });
  }
  const applied = await run(kubectl, plan.kubectlArgs, plan.yaml, options.signal);
  if (applied.code !== 0) {
    const text = applied.stderr.trim();
    const hint = /no matches for kind "WasmPlugin"|resource mapping not found/.test(text)
      ? 'the cluster has no WasmPlugin CRD: is Istio installed?'
      : 'see kubectl\'s message above; objects listed before the failure may have been applied';
    throw new CliError('APPLY_FAILED', `kubectl apply failed: ${text}`, { hint });
  }
  return applied.stdout;
}
