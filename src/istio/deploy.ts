import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { CliError, messageOf } from '../errors.js';
import { kubectlErrorLine } from '../util/kubectl-error.js';
import type { Project } from '../project/load.js';
import { checkPluginResource } from './validate.js';
import { loadTrapContext, ociHostsIn, parseYamlDocuments } from './validate-files.js';
import { defaultKind, isPluginKind, kindFacts, moduleSpecOf, otherKind, type PluginKind } from './kinds.js';
import { readLastDeploy, recordDeploy, type DeployedResource } from './last-deploy.js';
import type { IstioTarget } from './versions.js';

/**
 * `istio-wasm deploy`: validates the generated manifests again and applies them with kubectl —
 * the pull Secret and the module ConfigMap first (when the plugin uses them), then the
 * WasmPlugin or TrafficExtension. Server-side apply: a client-side apply would copy a ConfigMap's
 * module into the last-applied annotation, which is capped at 256 KiB.
 *
 * Switching kinds leaves the old resource in the cluster, and a plugin applied as both kinds runs
 * twice. What the project deployed before (.istio-wasm/last-deploy.json) and the other kind's
 * manifest in deploy/ say so before anything is applied; `--prune` deletes the other kind's
 * resource of the same name after the new one is applied.
 */
export interface StaleResource extends DeployedResource {
  /** Why it is believed to exist. */
  evidence: string;
}
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
  /** The plugins of this deploy, as recorded afterwards. */
  plugins: DeployedResource[];
  /** Resources of the other kind with a plugin's name that a previous deploy left (locally known). */
  stale: StaleResource[];
  /** Deletions `--prune` runs after the apply: the other kind, for every plugin of this deploy. */
  prune: Array<{ resource: DeployedResource; kubectlArgs: string[] }>;
}

/** `kubectl delete` of a plugin resource, by its fully qualified resource name; absent is fine. */
export function deleteArgs(resource: DeployedResource, base: string[]): string[] {
  return [...base, 'delete', `${kindFacts[resource.kind].plural}.extensions.istio.io`, resource.name, ...(resource.namespace ? ['-n', resource.namespace] : []), '--ignore-not-found'];
}

export function getArgs(resource: DeployedResource, base: string[]): string[] {
  return [...base, 'get', `${kindFacts[resource.kind].plural}.extensions.istio.io`, resource.name, ...(resource.namespace ? ['-n', resource.namespace] : []), '--ignore-not-found', '-o', 'name'];
}

export function staleWarning(resource: DeployedResource, replacement: PluginKind, evidence: string): string {
  return `the ${resource.kind} ${resource.name}${resource.namespace ? ` in ${resource.namespace}` : ''} ${evidence} and is not removed by applying a ${replacement}: a plugin applied as both kinds runs twice. Deploy with --prune to delete it, or run \`kubectl delete ${kindFacts[resource.kind].plural}.extensions.istio.io ${resource.name}${resource.namespace ? ` -n ${resource.namespace}` : ''}\``;
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
  prune?: boolean | undefined;
  /** Take over fields another field manager (kubectl edit/patch, a controller) changed since the last deploy. */
  forceConflicts?: boolean | undefined;
}): Promise<DeployPlan> {
  const deployDir = path.join(options.project.root, 'deploy');
  const projectKind = options.project.config.kind ?? defaultKind;
  const files = options.files && options.files.length > 0 ? options.files.map((f) => path.resolve(f)) : [path.join(deployDir, kindFacts[projectKind].file)];
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
      (isPluginKind(doc.kind) ? plugins : others).push(doc);
    }
  }
  if (plugins.length === 0) {
    throw new CliError('NO_WASMPLUGIN', `no WasmPlugin or TrafficExtension in ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`, { hint: `generate it: istio-wasm manifest${projectKind === defaultKind ? '' : ` (the project's kind is ${projectKind})`}` });
  }

  // Validate again: a hand edit since `manifest` must not reach the cluster unchecked.
  const context = await loadTrapContext({ project: options.project, hosts: ociHostsIn(texts) });
  const problems: string[] = [];
  for (const p of plugins) {
    const { errors, warnings } = checkPluginResource(p.kind as PluginKind, p.object, options.target, context);
    for (const e of errors) problems.push(`${path.relative(process.cwd(), p.file)}: ${p.kind} ${p.name}: ${e.path}: ${e.message}`);
    for (const w of warnings) notes.push(`warning: ${p.kind} ${p.name}: ${w.path}: ${w.message}`);
  }
  if (problems.length > 0) {
    throw new CliError('MANIFEST_INVALID', `not deploying: the manifest is invalid for Istio ${options.target.text}:\n  ${problems.join('\n  ')}`, {
      hint: 'regenerate it with `istio-wasm manifest` (or fix the file); nothing was applied',
    });
  }

  // The companions the plugins use, from deploy/.
  const companions: DeployDocument[] = [];
  const specOf = (d: DeployDocument) => moduleSpecOf(d.object);
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
    for (const missing of secretNames) notes.push(`the plugin names imagePullSecret ${missing}, which is not in ${path.relative(process.cwd(), secretFile)}: it must already exist in the cluster`);
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
  const deployed: DeployedResource[] = plugins.map((p) => ({ kind: p.kind as PluginKind, name: p.name, namespace: p.namespace }));
  const stale = await staleResources(options.project.root, deployDir, deployed, files);
  const base = kubectlBaseArgs(options);
  const prune = options.prune ? deployed.map((d) => ({ kind: otherKind(d.kind), name: d.name, namespace: d.namespace })).map((resource) => ({ resource, kubectlArgs: deleteArgs(resource, base) })) : [];
  if (!options.prune) for (const s of stale) notes.push(`warning: ${staleWarning(s, otherKind(s.kind), s.evidence)}`);
  return {
    documents,
    yaml: render(false),
    redactedYaml: render(true),
    kubectlArgs: [...base, 'apply', '--server-side', '--field-manager=istio-wasm', ...(options.forceConflicts ? ['--force-conflicts'] : []), '-f', '-'],
    notes,
    plugins: deployed,
    stale,
    prune,
  };
}

/** What the project knows of the other kind: the last deploy's record, and the other kind's manifest left in deploy/. */
async function staleResources(root: string, deployDir: string, deployed: DeployedResource[], files: string[]): Promise<StaleResource[]> {
  const out: StaleResource[] = [];
  const last = await readLastDeploy(root);
  for (const d of deployed) {
    const other = otherKind(d.kind);
    const same = (r: DeployedResource) => r.kind === other && r.name === d.name && (r.namespace ?? '') === (d.namespace ?? '');
    const recorded = last?.resources.find(same);
    if (recorded) {
      out.push({ ...recorded, evidence: `was applied by istio-wasm deploy${last?.deployedAt ? ` at ${last.deployedAt}` : ''}` });
      continue;
    }
    const otherFile = path.join(deployDir, kindFacts[other].file);
    if (files.includes(otherFile)) continue;
    const docs = await readDocuments(otherFile).catch(() => [] as Obj[]);
    const found = docs.some((o) => o.kind === other && isObject(o.metadata) && o.metadata.name === d.name && (o.metadata.namespace ?? '') === (d.namespace ?? ''));
    if (found) out.push({ kind: other, name: d.name, namespace: d.namespace, evidence: `is still in ${path.relative(process.cwd(), otherFile) || otherFile}, so it may have been applied before,` });
  }
  return out;
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
export interface ApplyResult {
  /** kubectl apply's output. */
  output: string;
  /** Resources of the other kind `--prune` deleted (kubectl's lines). */
  pruned: string[];
  /** Resources of the other kind the cluster still holds (without --prune). */
  warnings: string[];
}

/**
 * Applies the plan; refuses with a clear error when no cluster answers (nothing applied then).
 * Then asks the cluster for the other kind of each plugin: deletes it with --prune, else warns.
 */
export async function applyPlan(plan: DeployPlan, options: { project?: Project; kubeconfig?: string | undefined; context?: string | undefined; signal?: AbortSignal; kubectl?: string }): Promise<ApplyResult> {
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
    const missingKind = /no matches for kind "(WasmPlugin|TrafficExtension)"/.exec(text)?.[1];
    const hint = missingKind === 'TrafficExtension'
      ? 'the cluster has no TrafficExtension CRD: it arrived in Istio 1.30. Upgrade Istio, or set kind: WasmPlugin in istio-wasm.yaml and run istio-wasm manifest again'
      : missingKind || /resource mapping not found/.test(text)
        ? 'the cluster has no WasmPlugin CRD: is Istio installed?'
        : /Apply failed with \d+ conflicts?/.test(text)
          ? 'another field manager (kubectl edit/patch, a controller) changed these fields since the last deploy: put the change into istio-wasm.yaml, or take the fields over with `istio-wasm deploy --force-conflicts`'
          : /\(Forbidden\)|is forbidden: User/.test(text)
            ? 'the cluster\'s RBAC does not let this user apply it: ask for get/create/patch on the resource named above, in its namespace, or pick another context (--context, --kubeconfig)'
            : 'kubectl applies each document on its own: the others may have been applied (kubectl get them to see)';
    throw new CliError('APPLY_FAILED', `kubectl apply failed: ${kubectlErrorLine(text)}`, { hint });
  }
  const pruned: string[] = [];
  const warnings: string[] = [];
  if (plan.prune.length > 0) {
    for (const p of plan.prune) {
      const deleted = await run(kubectl, p.kubectlArgs, '', options.signal);
      // A cluster without the other kind's CRD (TrafficExtension before 1.30) has nothing to prune.
      if (deleted.code !== 0 && !/the server doesn't have a resource type|no matches for kind/.test(deleted.stderr)) {
        throw new CliError('PRUNE_FAILED', `applied, but deleting the ${p.resource.kind} ${p.resource.name} failed: ${kubectlErrorLine(deleted.stderr)}`, { hint: `delete it yourself: kubectl ${p.kubectlArgs.join(' ')}` });
      }
      if (deleted.stdout.trim()) pruned.push(deleted.stdout.trim());
    }
  } else {
    const base = kubectlBaseArgs(options);
    for (const d of plan.plugins) {
      const other = { kind: otherKind(d.kind), name: d.name, namespace: d.namespace };
      if (plan.stale.some((s) => s.kind === other.kind && s.name === other.name)) continue; // already said
      const found = await run(kubectl, getArgs(other, base), '', options.signal);
      if (found.code === 0 && found.stdout.trim()) warnings.push(staleWarning(other, d.kind, 'exists in the cluster'));
    }
  }
  if (options.project) await recordDeploy(options.project.root, plan.plugins, { pruned: plan.prune.length > 0 }).catch(() => undefined);
  return { output: applied.stdout, pruned, warnings };
}
