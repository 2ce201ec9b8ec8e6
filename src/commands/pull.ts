import type { Command } from 'commander';
import { debug, json, result, success, warn } from '../ui/output.js';

interface PullOptions {
  output: string;
  authfile?: string;
  creds?: string;
  plainHttp?: boolean;
  insecure?: boolean;
  json?: boolean;
}

export function registerPull(program: Command): void {
  program
    .command('pull <image>')
    .description('extract the Wasm module from an image (registry, OCI layout or oci-archive) exactly as Istio\'s agent would')
    .requiredOption('-o, --output <file>', 'where to write the module')
    .option('--authfile <file>', 'registry credentials file')
    .option('--creds <user:password>', 'registry credentials')
    .option('--plain-http', 'talk to the registry over HTTP (automatic for localhost and 127.0.0.1)')
    .option('--insecure', 'skip TLS certificate verification')
    .option('--json', 'print {"image","digest","variant","output","size","moduleSha256"} on stdout')
    .addHelpText('after', '\nExamples:\n  $ istio-wasm pull 127.0.0.1:5000/wasm/my-plugin:v0.1.0 -o plugin.wasm\n  $ istio-wasm pull build/oci:latest -o plugin.wasm')
    .action(async (image: string, opts: PullOptions) => {
      const { existsSync } = await import('node:fs');
      const { writeFileAtomic } = await import('../util/write-atomic.js');
      const { CliError, messageOf } = await import('../errors.js');
      const { sha256Hex } = await import('../oci/image.js');
      const { pullModule, readLayoutModule } = await import('../oci/pull.js');
      const { checkedReference } = await import('../project/image.js');
      const { cancelSignal } = await import('../runtime.js');
      const colon = image.lastIndexOf(':');
      const pulled = existsSync(image)
        ? await readLayoutModule(image)
        : colon > 0 && existsSync(image.slice(0, colon))
          ? await readLayoutModule(image.slice(0, colon), image.slice(colon + 1))
          : await pullModule(checkedReference(image, 'the image'), {
              authfile: opts.authfile,
              creds: opts.creds,
              plainHttp: opts.plainHttp,
              insecure: opts.insecure,
              signal: cancelSignal(),
              log: debug,
            });
      for (const w of pulled.warnings) warn(w);
      try {
        await writeFileAtomic(opts.output, pulled.bytes);
      } catch (error) {
        throw new CliError('WRITE_FAILED', `cannot write ${opts.output}: ${messageOf(error)}`, { hint: 'check the --output path' });
      }
      const moduleSha256 = sha256Hex(pulled.bytes);
      if (opts.json) {
        json({ image: pulled.reference, digest: pulled.digest, variant: pulled.variant, output: opts.output, size: pulled.bytes.length, moduleSha256 });
        return;
      }
      success(`extracted the module from ${pulled.reference} (${pulled.variant} variant, ${pulled.digest})`);
      result(`${opts.output}  ${pulled.bytes.length} bytes  sha256:${moduleSha256}`);
    });
}
