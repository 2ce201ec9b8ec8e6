import type { Command } from 'commander';

export interface DeployOptions {
  dryRun?: boolean;
  kubeconfig?: string;
  context?: string;
  istioVersion?: string;
  file?: string[];
  showSecrets?: boolean;
  prune?: boolean;
  forceConflicts?: boolean;
}

/** `istio-wasm deploy`: validate again, then kubectl apply the WasmPlugin or TrafficExtension (and its Secret/ConfigMap). */
export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('validate the generated manifests again and apply them with kubectl')
    .option('--dry-run', 'print exactly what would be applied, apply nothing')
    .option('--kubeconfig <file>', 'kubeconfig for kubectl')
    .option('--context <name>', 'kubeconfig context for kubectl')
    .option('--istio-version <x.y>', 'Istio version to validate for (default: istio.version in istio-wasm.yaml)')
    .option('-f, --file <file...>', 'manifest files (default: deploy/wasmplugin.yaml, or deploy/trafficextension.yaml for kind TrafficExtension, plus deploy/secret.yaml and deploy/wasm-configmap.yaml when it uses them)')
    .option('--show-secrets', 'with --dry-run, print Secret data instead of a placeholder')
    .option('--prune', 'after applying, delete the resource of the other kind with the same name (left by a deploy before the project switched between WasmPlugin and TrafficExtension)')
    .option('--force-conflicts', 'take over fields someone changed in the cluster since the last deploy (kubectl edit/patch); without it the server refuses and names them')
    .addHelpText(
      'after',
      `
Applies the kind the project uses (kind in istio-wasm.yaml: WasmPlugin, or TrafficExtension on
Istio 1.30+). After switching kinds the old resource stays in the cluster and the plugin would run
twice: deploy says so, and --prune deletes it once the new one is applied.

Server-side apply with the field manager istio-wasm: deploying the same manifests again changes
nothing in the cluster. A field someone else changed since (kubectl edit) is a conflict the API
server refuses, naming the field and its manager; --force-conflicts takes it back.

Examples:
  istio-wasm deploy --dry-run
  istio-wasm deploy --context kind-istio
  istio-wasm deploy --prune          # after switching to TrafficExtension: remove the old WasmPlugin
  istio-wasm deploy --force-conflicts`,
    )
    .action(async (options: DeployOptions) => {
      await runDeploy(options);
    });
}

export async function runDeploy(options: DeployOptions): Promise<void> {
  const [{ planDeploy, applyPlan }, { parseIstioVersion }, { loadProject }, { cancelSignal }, out] = await Promise.all([
    import('../istio/deploy.js'),
    import('../istio/versions.js'),
    import('../project/load.js'),
    import('../runtime.js'),
    import('../ui/output.js'),
  ]);
  const project = await loadProject(process.cwd());
  const target = parseIstioVersion(options.istioVersion ?? project.config.istio.version);
  const plan = await planDeploy({ project, target, files: options.file, kubeconfig: options.kubeconfig, context: options.context, prune: options.prune, forceConflicts: options.forceConflicts });
  for (const note of plan.notes) (note.startsWith('warning: ') ? out.warn(note.slice(9)) : out.info(`note: ${note}`));
  const summary = plan.documents.map((d) => `${d.kind}/${d.name}${d.namespace ? ` -n ${d.namespace}` : ''}`).join(', ');
  if (options.dryRun) {
    out.info(`dry run: would pipe the following to kubectl ${plan.kubectlArgs.join(' ')}`);
    out.result(options.showSecrets ? plan.yaml : plan.redactedYaml);
    for (const p of plan.prune) out.info(`then, with --prune: kubectl ${p.kubectlArgs.join(' ')}`);
    out.info(`validated for Istio ${target.text}: ${summary}; nothing applied`);
    return;
  }
  out.step(`applying ${summary}`);
  const applied = await applyPlan(plan, { project, kubeconfig: options.kubeconfig, context: options.context, signal: cancelSignal() });
  out.result(applied.output.trim());
  for (const line of applied.pruned) out.success(`pruned ${line}`);
  for (const w of applied.warnings) out.warn(w);
  out.success(`applied for Istio ${target.text}`);
}
