import type { Command } from 'commander';

export interface ValidateOptions {
  istioVersion?: string;
  json?: boolean;
  authfile?: string;
}

/** `istio-wasm validate FILE...`: WasmPlugin and TrafficExtension documents checked against the CRD and istiod's rules. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check WasmPlugin and TrafficExtension manifests against the CRD schema and istiod rules of an Istio version')
    .argument('<files...>', 'YAML files (other kinds in them are skipped)')
    .option('--istio-version <x.y>', 'target Istio version, e.g. 1.30 or 1.29.1 (default: istio.version of the project, else the newest)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--authfile <file>', 'registry auth file to read for the Basic-auth registry warning')
    .addHelpText(
      'after',
      `
Every WasmPlugin and TrafficExtension (Istio 1.30+; wasm or inline lua) is checked; errors name the
field path, e.g. spec.wasm.vmConfig.env[1].value. A TrafficExtension for Istio before 1.30 is an
error: the kind does not exist there.

Exit codes: 0 all valid, 1 any document invalid, 2 a file unreadable or not YAML.

Examples:
  istio-wasm validate deploy/wasmplugin.yaml
  istio-wasm validate --istio-version 1.22 manifests/*.yaml --json
  istio-wasm validate deploy/trafficextension.yaml --istio-version 1.30`,
    )
    .action(async (files: string[], options: ValidateOptions) => {
      process.exitCode = await runValidate(files, options);
    });
}

export async function runValidate(files: string[], options: ValidateOptions): Promise<number> {
  const [{ validateFiles, reportExitCode }, { parseIstioVersion }, { tryLoadProject }, out] = await Promise.all([
    import('../istio/validate-files.js'),
    import('../istio/versions.js'),
    import('../project/load.js'),
    import('../ui/output.js'),
  ]);
  const cwd = process.cwd();
  const project = await tryLoadProject(cwd).catch(() => undefined);
  const target = parseIstioVersion(options.istioVersion ?? project?.config.istio.version);
  const report = await validateFiles(files, { target, project, authfile: options.authfile, cwd });
  const code = reportExitCode(report);
  if (options.json) {
    out.json({
      istioVersion: report.istioVersion,
      files: report.files.map((f) => ({
        file: f.file,
        documents: f.documents.map((d) => ({ kind: d.kind, name: d.name, valid: d.valid, errors: d.errors, warnings: d.warnings })),
        ...(f.skipped.length > 0 ? { skipped: f.skipped.map((s) => ({ kind: s.kind, name: s.name })) } : {}),
        ...(f.error !== undefined ? { error: f.error } : {}),
      })),
    });
    return code;
  }
  const lines: string[] = [];
  for (const f of report.files) {
    if (f.error !== undefined) {
      // Not a verdict on the file's contents: said on stderr as an error, the report goes on.
      out.write('stderr', `error: ${f.file}: ${f.error}\n`);
      continue;
    }
    if (f.documents.length === 0) lines.push(`${f.file}: no WasmPlugin or TrafficExtension documents`);
    for (const d of f.documents) {
      const status = d.valid ? `valid for Istio ${report.istioVersion}` : `invalid for Istio ${report.istioVersion} (${d.errors.length} error${d.errors.length === 1 ? '' : 's'})`;
      lines.push(`${f.file}: ${d.kind} ${d.name}: ${status}`);
      for (const e of d.errors) lines.push(`  error   ${e.path || '(document)'}: ${e.message}`);
      for (const w of d.warnings) lines.push(`  warning ${w.path}: ${w.message}`);
    }
    for (const s of f.skipped) lines.push(`${f.file}: skipped ${s.kind} ${s.name} (not a WasmPlugin or TrafficExtension)`);
  }
  out.result(lines.join('\n'));
  return code;
}
