import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { json, result } from '../ui/output.js';
import type { WasmInspection } from '../wasm/inspect.js';

interface InspectOptions {
  json?: boolean;
  authfile?: string;
  creds?: string;
  plainHttp?: boolean;
  insecure?: boolean;
}

function describeModule(report: WasmInspection, label: string): string {
  const lines = [
    `${label}`,
    `  size:        ${report.size} bytes`,
    `  sha256:      ${report.sha256}`,
    `  ABI:         ${report.abiVersion ?? 'none'}`,
    `  imports:     ${report.imports.length === 0 ? '(none)' : ''}`,
    ...report.imports.map((i) => `    ${i.module}.${i.name} (${i.kind})`),
    `  exports:     ${report.exports.filter((e) => e.kind === 'function').length} functions${report.exports.some((e) => e.kind === 'memory') ? ', memory' : ''}`,
    ...report.exports.filter((e) => e.name.startsWith('proxy_') || e.name.startsWith('_') || e.kind === 'memory').map((e) => `    ${e.name}`),
  ];
  lines.push(report.problems.length === 0 ? '  problems:    none' : `  problems:\n${report.problems.map((p) => `    - ${p}`).join('\n')}`);
  return lines.join('\n');
}

export function registerInspect(program: Command): void {
  program
    .command('inspect <target>')
    .description('check a .wasm module (ABI marker, imports, exports, problems), or an image in a registry or OCI layout')
    .option('--json', 'print the report as JSON on stdout')
    .option('--authfile <file>', 'registry credentials file (containers auth.json)')
    .option('--creds <user:password>', 'registry credentials')
    .option('--plain-http', 'talk to the registry over HTTP')
    .option('--insecure', 'skip TLS verification')
    .addHelpText('after', '\nExamples:\n  $ istio-wasm inspect build/plugin.wasm\n  $ istio-wasm inspect build/plugin.wasm --json\n  $ istio-wasm inspect 127.0.0.1:5000/wasm/my-plugin:v0.1.0')
    .action(async (target: string, opts: InspectOptions) => {
      if (existsSync(target) && statSync(target).isFile()) {
        const { readFile } = await import('node:fs/promises');
        const { inspectWasm } = await import('../wasm/inspect.js');
        const report = inspectWasm(await readFile(target));
        if (opts.json) json({ abiVersion: report.abiVersion, exports: report.exports, imports: report.imports, size: report.size, sha256: report.sha256, problems: report.problems });
        else result(describeModule(report, target));
        if (report.problems.length > 0) process.exitCode = 1;
        return;
      }
      if (/\.wasm$/i.test(target) || target.startsWith('.') || target.startsWith('/')) {
        if (!existsSync(target)) {
          const { CliError } = await import('../errors.js');
          throw new CliError('FILE_NOT_FOUND', `${target} does not exist`, {
            hint: 'pass a built module (e.g. build/plugin.wasm after `istio-wasm build`), an OCI layout directory, or an image reference',
          });
        }
      }
      const { inspectImage } = await import('../oci/inspect-image.js');
      const { cancelSignal } = await import('../runtime.js');
      const inspection = await inspectImage(target, {
        ...(opts.authfile ? { authfile: opts.authfile } : {}),
        ...(opts.creds ? { creds: opts.creds } : {}),
        ...(opts.plainHttp ? { plainHttp: true } : {}),
        ...(opts.insecure ? { insecure: true } : {}),
        signal: cancelSignal(),
      });
      if (opts.json) {
        json(inspection);
        return;
      }
      const module = inspection.module;
      const { reference, variant, digest, mediaType, layers } = inspection;
      result([
        `${reference}`,
        `  variant:     ${variant}`,
        `  digest:      ${digest}  (use as the WasmPlugin sha256 without "sha256:")`,
        `  mediaType:   ${mediaType}`,
        `  layers:`,
        ...layers.map((l) => `    ${l.mediaType}  ${l.digest}  ${l.size} bytes`),
      ].join('\n'));
      result(describeModule(module, '  module:'));
      if (module.problems.length > 0) process.exitCode = 1;
    });
}
