import { Option, type Command } from 'commander';
import { debug, info, isTerminal, json, result, success, warn } from '../ui/output.js';

interface PushOptions {
  wasm?: string;
  authfile?: string;
  creds?: string;
  plainHttp?: boolean;
  insecure?: boolean;
  variant?: 'compat' | 'wasm' | 'docker';
  json?: boolean;
  layout?: string;
}

export function registerPush(program: Command): void {
  program
    .command('push [image]')
    .description('push the plugin as an OCI image Istio can pull, and print the WasmPlugin url and sha256')
    .option('--wasm <file>', 'the .wasm module (default: module in istio-wasm.yaml)')
    .option('--authfile <file>', 'registry credentials file (default: REGISTRY_AUTH_FILE, containers auth.json, Docker config.json)')
    .option('--creds <user:password>', 'registry credentials (prefer `istio-wasm login`)')
    .option('--plain-http', 'talk to the registry over HTTP (automatic for localhost and 127.0.0.1)')
    .option('--insecure', 'skip TLS certificate verification')
    .addOption(new Option('--variant <variant>', 'image format').choices(['compat', 'wasm', 'docker']).default('compat'))
    .option('--layout <dir[:tag]>', 'push the image of an OCI layout or oci-archive (from `istio-wasm package`) instead of building it from the .wasm')
    .option('--json', 'print {"image","digest","url","wasmSha256"} on stdout')
    .addHelpText(
      'after',
      [
        '',
        'The image is the argument, else REPO/IMG from the environment, else image in istio-wasm.yaml.',
        'wasmSha256 is the WasmPlugin `sha256` for an oci:// url: the manifest digest, not the hash of the .wasm.',
        '',
        'Examples:',
        '  $ istio-wasm push',
        '  $ istio-wasm push 127.0.0.1:5000/wasm/my-plugin:v0.1.0 --wasm build/plugin.wasm',
        '  $ REPO=sealos.hub:5000 IMG=wasm/my-plugin:v1 istio-wasm push --json',
      ].join('\n'),
    )
    .action(async (image: string | undefined, opts: PushOptions) => {
      const { pushProjectImage } = await import('../istio/push-project.js');
      const { formatBytes } = await import('../oci/module-file.js');
      const { cancelSignal } = await import('../runtime.js');
      const { uploadProgress } = await import('../ui/progress.js');
      const { pushed, warnings } = await pushProjectImage({
        cwd: process.cwd(),
        env: process.env,
        image,
        wasm: opts.wasm,
        layout: opts.layout,
        authfile: opts.authfile,
        creds: opts.creds,
        plainHttp: opts.plainHttp,
        insecure: opts.insecure,
        variant: opts.variant,
        signal: cancelSignal(),
        log: debug,
        onStart: ({ file, size, reference }) =>
          info(`pushing ${file}${size !== undefined ? ` (${formatBytes(size)})` : ''} to ${reference.registry}/${reference.repository}:${reference.tag ?? 'latest'}`),
        onProgress: uploadProgress({ tty: !opts.json && isTerminal('stderr') }),
      });
      for (const w of warnings) warn(w);

      if (opts.json) {
        json({ image: pushed.image, digest: pushed.digest, url: pushed.url, wasmSha256: pushed.wasmSha256 });
        return;
      }
      success(
        pushed.uploaded === 0 && pushed.manifestUnchanged
          ? `${pushed.image} is already up to date`
          : `pushed ${pushed.image} (${pushed.uploaded} uploaded, ${pushed.skipped} already there${pushed.mounted ? `, ${pushed.mounted} mounted` : ''})`,
      );
      result(
        [
          `image:   ${pushed.image}`,
          `digest:  ${pushed.digest}`,
          'WasmPlugin:',
          `  url: ${pushed.url}`,
          `  sha256: ${pushed.wasmSha256}   # the manifest digest${pushed.moduleSha256 ? `; the .wasm itself is sha256:${pushed.moduleSha256}` : ', not the hash of the .wasm'}`,
        ].join('\n'),
      );
    });
}
