import type { Command } from 'commander';

export interface DeployOptions {
  dryRun?: boolean;
  kubeconfig?: string;
  context?: string;
  istioVersion?: string;
  file?: string[];
  showSecrets?: boolean;
}

/** `istio-wasm deploy`: validate again, then kubectl apply the WasmPlugin (and its Secret/ConfigMap). */
export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('validate the generated manifests again and apply them with kubectl')
    .option('--dry-run', 'print exactly what would be applied, apply nothing')
    .option('--kubeconfig <file>', 'kubeconfig for kubectl')
    .option('--context <name>', 'kubeconfig context for kubectl')
    .option('--istio-version <x.y>', 'Istio version to validate for (default: istio.version in istio-wasm.yaml)')
    .option('-f, --file <file...>', 'manifest files (default: deploy/wasmplugin.yaml, plus deploy/secret.yaml and deploy/wasm-configmap.yaml when it uses them)')
    .option('--show-secrets', 'with --dry-run, print Secret data instead of a placeholder')
    .addHelpText(
      'after',
      `
Examples:
  istio-wasm deploy --dry-run
  istio-wasm deploy --context kind-istio`,
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
  const plan = await planDeploy({ project, target, files: options.file, kubeconfig: options.kubeconfig, context: options.context });
  for (const note of plan.notes) (note.startsWith('warning: ') ? out.warn(note.slice(9)) : out.info(`note: ${note}`));
  const summary = plan.documents.map((d) => `${d.kind}/${d.name}${d.namespace ? ` -n ${d.namespace}` : ''}`).join(', ');
  if (options.dryRun) {
    out.info(`dry run: would pipe the following to kubectl ${plan.kubectlArgs.join(' ')}`);
    out.result(options.showSecrets ? plan.yaml : plan.redactedYaml);
    out.info(`validated for Istio ${target.text}: ${summary}; nothing applied`);
    return;
  }
  out.step(`applying ${summary}`);
  const applied = await applyPlan(plan, { kubeconfig: options.kubeconfig, context: options.context, signal: cancelSignal() });
  out.result(applied.trim());
  out.success(`applied for Istio ${target.text}`);
}
