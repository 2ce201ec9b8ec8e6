import { Option, type Command } from 'commander';
import { json, result, success } from '../ui/output.js';

interface PackageOptions {
  wasm?: string;
  output: string;
  variant?: 'compat' | 'wasm' | 'docker';
  tag?: string;
  json?: boolean;
}

export function registerPackage(program: Command): void {
  program
    .command('package')
    .description('package the plugin as an OCI image layout (directory) or oci-archive (.tar), without a registry or Docker')
    .option('--wasm <file>', 'the .wasm module (default: module in istio-wasm.yaml)')
    .requiredOption('-o, --output <dir|file.tar>', 'an OCI layout directory, or an oci-archive when it ends in .tar')
    .addOption(new Option('--variant <variant>', 'image format').choices(['compat', 'wasm', 'docker']).default('compat'))
    .option('--tag <tag>', 'tag inside the layout (default: the tag of image in istio-wasm.yaml, else latest)')
    .option('--json', 'print {"output","format","tag","variant","digest","moduleSha256","size"} on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  $ istio-wasm package --output build/oci\n  $ istio-wasm package --wasm plugin.wasm --output plugin.tar --tag v0.1.0\n  $ skopeo inspect --raw oci:build/oci:latest',
    )
    .action(async (opts: PackageOptions) => {
      const { tryLoadProject } = await import('../project/load.js'); // YAML loads only when a project is found
      const { readModuleFile, formatBytes } = await import('../oci/module-file.js');
      const { packageImage } = await import('../oci/package.js');
      const { parseReference } = await import('../oci/reference.js');
      const project = await tryLoadProject(process.cwd());
      const { file, bytes } = await readModuleFile(opts.wasm, project, process.cwd());
      let tag = opts.tag;
      if (!tag && project) {
        try {
          tag = parseReference(project.config.image).tag;
        } catch {
          tag = undefined;
        }
      }
      const packaged = await packageImage(bytes, { output: opts.output, tag, variant: opts.variant });
      if (opts.json) {
        json(packaged);
        return;
      }
      success(`packaged ${file} (${formatBytes(bytes.length)}) as ${packaged.format} ${packaged.output}:${packaged.tag}`);
      result(`${packaged.format === 'oci-archive' ? 'oci-archive' : 'oci'}:${packaged.output}:${packaged.tag}  ${packaged.variant}  ${packaged.digest}`);
    });
}
