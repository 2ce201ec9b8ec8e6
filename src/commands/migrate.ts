import type { Command } from 'commander';

export interface MigrateOptions {
  write?: boolean;
  istioVersion?: string;
  json?: boolean;
}

/** `istio-wasm migrate [FILE...]`: WasmPlugins converted to TrafficExtensions, validated. */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('convert WasmPlugin manifests to TrafficExtensions (Istio 1.30+), validated; prints them, or writes with --write')
    .argument('[files...]', 'YAML files with WasmPlugin documents (default: the project\'s deploy/wasmplugin.yaml)')
    .option('--write', 'write the result: each file in place, or for the project deploy/trafficextension.yaml and kind: TrafficExtension in istio-wasm.yaml')
    .option('--istio-version <x.y>', 'target Istio version, 1.30 or newer (default: istio.version of the project, else the newest)')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText(
      'after',
      `
selector/targetRefs, phase, priority and match stay at spec level (targetRef becomes targetRefs,
UNSPECIFIED_PHASE becomes UNSPECIFIED); url, sha256, pull policy and Secret, pluginConfig,
pluginName, failStrategy, vmConfig and type move under spec.wasm. A document that cannot be converted
faithfully is refused, naming the field, and nothing is written. Other kinds pass through unchanged.
After migrating a deployed project, \`istio-wasm deploy --prune\` replaces the WasmPlugin in the cluster.

Exit codes: 0 converted, 1 a document refused, 2 a file unreadable or not YAML.

Examples:
  istio-wasm migrate                          # the project's WasmPlugin, printed
  istio-wasm migrate --write && istio-wasm deploy --prune
  istio-wasm migrate manifests/*.yaml --write`,
    )
    .action(async (files: string[], options: MigrateOptions) => {
      process.exitCode = await runMigrate(files, options);
    });
}

export async function runMigrate(files: string[], options: MigrateOptions): Promise<number> {
  const [{ migrate, writeMigration }, { parseIstioVersion }, { tryLoadProject }, out, path] = await Promise.all([
    import('../istio/migrate.js'),
    import('../istio/versions.js'),
    import('../project/load.js'),
    import('../ui/output.js'),
    import('node:path'),
  ]);
  const cwd = process.cwd();
  const project = await tryLoadProject(cwd).catch(() => undefined);
  const target = parseIstioVersion(options.istioVersion ?? project?.config.istio.version);
  const result = await migrate({ files, project, target, cwd });
  const rel = (p: string) => path.relative(cwd, p) || p;
  for (const f of result.files) {
    for (const c of f.conversions) {
      for (const n of c.notes) out.info(`note: ${n}`);
      if (c.refused) for (const p of c.refused) out.warn(`${rel(f.source)}: WasmPlugin ${c.name}: refused: ${p.path}: ${p.message}`);
    }
  }
  const written = options.write && !result.refused ? await writeMigration(result) : [];
  if (options.json) {
    out.json({
      istioVersion: result.istioVersion,
      written,
      files: result.files.map((f) => ({
        source: f.source,
        file: f.file,
        documents: f.conversions.map((c) => ({ name: c.name, converted: !c.refused, refused: c.refused ?? [], notes: c.notes, trafficExtension: c.trafficExtension ?? null })),
      })),
    });
  } else if (!options.write && !result.refused) {
    out.result(result.files.map((f) => (result.files.length > 1 ? `# ${rel(f.source)}\n${f.text}` : f.text)).join('---\n'));
  }
  if (result.refused) {
    out.warn(`nothing ${options.write ? 'written' : 'printed'}: fix the refused documents (or keep them as WasmPlugins) and run istio-wasm migrate again`);
    return 1;
  }
  for (const file of written) out.success(`wrote ${rel(file)}`);
  if (result.project && written.length > 0) out.info('next: istio-wasm deploy --prune applies the TrafficExtension and deletes the WasmPlugin from the cluster');
  return 0;
}
