import type { Command } from 'commander';

interface DoctorOptions {
  json?: boolean;
}

/** `istio-wasm doctor`: toolchains, tools, registry and cluster, each ok/missing with the fix. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check Node, the language toolchain, container and cluster tools, the registry, the cluster and its Istio CRDs')
    .option('--json', 'print {"ok","project","checks":[{group,name,status,required,detail,fix}]} on stdout')
    .addHelpText(
      'after',
      `
Exit code 0 when what the project needs to build is there (Node >= 20.17 and the toolchain of its
language), 1 otherwise. Docker, podman, buildah, sealos, kubectl, the registry and the cluster are
reported but do not fail it: the commands that need them say so when they run. Credentials are
checked for presence only, never shown. Outside a project, only Node, the tools and the cluster.
When the cluster (kubectl's current context, KUBECONFIG) answers: whether Istio's WasmPlugin and
TrafficExtension CRDs are installed, and which Istio release they come from (the labels Istio's
charts set, else what their schema has), with a warning when the project targets a newer Istio.

Examples:
  $ istio-wasm doctor
  $ REPO=sealos.hub:5000 IMG=wasm/wasm-auth:v1 istio-wasm doctor --json
  $ KUBECONFIG=~/.kube/staging istio-wasm doctor`,
    )
    .action(async (opts: DoctorOptions) => {
      const [{ runDoctor }, out] = await Promise.all([import('../doctor/index.js'), import('../ui/output.js')]);
      const report = await runDoctor({ cwd: process.cwd() });
      if (opts.json) out.json(report);
      else {
        const mark = { ok: out.paint('green', '✔', 'stdout'), missing: out.paint('red', '✘', 'stdout'), warn: out.paint('yellow', '!', 'stdout'), skipped: out.paint('dim', '-', 'stdout') };
        const lines: string[] = [];
        if (report.project) lines.push(`project ${report.project.root} (${report.project.language}, image ${report.project.image}, Istio ${report.project.istioVersion})`);
        else lines.push('no istio-wasm.yaml here: checking Node, the tools and the cluster only');
        for (const c of report.checks) {
          const label = c.status === 'ok' ? 'ok' : c.status;
          lines.push(`${mark[c.status]} ${c.name}: ${label}${c.detail ? ` — ${c.detail}` : ''}${c.required ? '' : c.status === 'ok' ? '' : ' (optional)'}`);
          if (c.status !== 'ok' && c.fix) lines.push(`    fix: ${c.fix}`);
        }
        lines.push(report.ok ? 'everything the project needs is there' : 'something the project needs is missing (see the fixes above)');
        out.result(lines.join('\n'));
      }
      if (!report.ok) process.exitCode = 1;
    });
}
