import path from 'node:path';
import { Option, type Command } from 'commander';
import type { PushOptions as PushImageOptions } from '../oci/push.js';
import { debug, info, json, result, success, warn } from '../ui/output.js';

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
      const { tryLoadProject } = await import('../project/load.js'); // YAML loads only when a project is found
      const { resolveImage } = await import('../project/image.js');
      const { readModuleFile, formatBytes } = await import('../oci/module-file.js');
      const { pushImage, pushLayout } = await import('../oci/push.js');
      const { readLastPush, writeLastPush } = await import('../oci/last-push.js');
      const { isMutableTag, parseReference } = await import('../oci/reference.js');
      const { cancelSignal } = await import('../runtime.js');
      const cwd = process.cwd();
      const project = await tryLoadProject(cwd);
      const { reference } = resolveImage({ flag: image, env: process.env, config: project?.config.image });
      let layout: { dir: string; tag: string | undefined } | undefined;
      if (opts.layout) {
        const m = /^(.*?):([A-Za-z0-9_][A-Za-z0-9._-]{0,127})$/.exec(opts.layout);
        layout = m && m[1] ? { dir: m[1], tag: m[2] } : { dir: opts.layout, tag: undefined };
      }
      const { file, bytes } = layout ? { file: layout.dir, bytes: undefined } : await readModuleFile(opts.wasm, project, cwd);

      let mountFrom: string | undefined;
      const last = project ? await readLastPush(project.root) : undefined;
      if (last) {
        try {
          const previous = parseReference(last.image);
          if (previous.registry === reference.registry && previous.repository !== reference.repository) mountFrom = previous.repository;
        } catch {
          mountFrom = undefined;
        }
      }

      const tty = process.stderr.isTTY === true && !opts.json;
      const large = 4 * 1024 * 1024;
      // On a terminal, one line per large blob redrawn in place (at most 10 times a second), ending
      // with a plain "uploaded" line; elsewhere only the plain lines.
      const drawn = new Map<string, number>();
      let drawing = false;
      const line = (text: string) => {
        if (drawing) process.stderr.write('\r\x1b[2K');
        drawing = false;
        info(text);
      };
      const drawProgress = (short: string, sent: number, total: number) => {
        const now = Date.now();
        if (sent < total && now - (drawn.get(short) ?? 0) < 100) return;
        drawn.set(short, now);
        const percent = Math.floor((sent / total) * 100);
        if (sent < total) {
          process.stderr.write(`\r\x1b[2K  uploading ${short} ${formatBytes(sent)} / ${formatBytes(total)} (${percent}%)`);
          drawing = true;
        } else line(`  uploaded ${short} (${formatBytes(total)})`);
      };
      info(`pushing ${file}${bytes ? ` (${formatBytes(bytes.length)})` : ''} to ${reference.registry}/${reference.repository}:${reference.tag ?? 'latest'}`);
      const pushOptions: PushImageOptions = {
        authfile: opts.authfile,
        creds: opts.creds,
        plainHttp: opts.plainHttp,
        insecure: opts.insecure,
        variant: opts.variant,
        signal: cancelSignal(),
        log: debug,
        mountFrom,
        ...(project?.config.wasmPlugin.pluginName ? { rootIds: [project.config.wasmPlugin.pluginName] } : project ? { rootIds: [project.config.name] } : {}),
        onProgress: (event) => {
          const short = event.digest.slice(7, 19);
          if (event.phase !== 'upload') debug(`${event.phase === 'skip' ? 'exists' : 'mounted'} ${short}`);
          else if (tty && event.total >= large) drawProgress(short, event.sent, event.total);
          else if (event.sent === event.total) line(`  uploaded ${short} (${formatBytes(event.total)})`);
        },
      };
      const pushed = layout ? await pushLayout(path.resolve(cwd, layout.dir), layout.tag, reference, pushOptions) : await pushImage(bytes!, reference, pushOptions);
      for (const w of pushed.warnings) warn(w);

      const policy = project?.config.wasmPlugin.imagePullPolicy;
      const tag = reference.digest && !reference.tag ? undefined : (reference.tag ?? 'latest');
      const effective = policy && policy !== 'UNSPECIFIED_POLICY' ? policy : tag === 'latest' ? 'Always' : 'IfNotPresent';
      if (tag !== undefined && isMutableTag(tag) && effective === 'IfNotPresent') {
        warn(`the tag "${tag}" is meant to move, but the WasmPlugin would use imagePullPolicy IfNotPresent: proxies that cached the old module keep it. Pin sha256 (istio-wasm manifest --pin) or push an immutable tag`);
      }
      if (pushed.challenge.scheme !== 'none') {
        try {
          const { agentRefusal } = await import('../istio/registry-trap.js');
          const why = agentRefusal({ scheme: pushed.challenge.scheme, realm: pushed.challenge.realm, service: pushed.challenge.service });
          if (why) warn(`Istio 1.27.8+, 1.28.5+, 1.29.1+ and 1.30+ agents cannot pull from this registry: ${why}`);
        } catch {
          // the Istio checks are optional here
        }
      }
      if (project) await writeLastPush(project.root, { image: pushed.image, digest: pushed.digest, url: pushed.url, pushedAt: new Date().toISOString() });

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
