import type { Command } from 'commander';

interface SealosCommonOptions {
  clusterImage?: string;
  istioVersion?: string;
  clusterRegistry?: string;
  registryIp?: string;
  authfile?: string;
  creds?: string;
  plainHttp?: boolean;
  insecure?: boolean;
  withSealos?: boolean;
  json?: boolean;
}

interface SealosBuildOptions extends SealosCommonOptions {
  output?: string;
}

const imageHelp = 'IMAGE is the wasm image: the argument, else REPO/IMG from the environment, else image in istio-wasm.yaml.';

function addCommonOptions(command: Command): Command {
  return command
    .option('--cluster-image <ref>', 'the cluster image reference (default: <wasm repository>-cluster:<tag>; never the wasm image itself)')
    .option('--istio-version <x.y[.z]>', 'target Istio version (default: istio.version in istio-wasm.yaml); picks the delivery')
    .option('--cluster-registry <host:port>', "the cluster's own registry, which gets a ServiceEntry when the plugin is pulled from it", 'sealos.hub:5000')
    .option('--registry-ip <ip>', "the cluster registry node's IP for that ServiceEntry (else `sealos run -e REGISTRY_IP=…`)")
    .option('--authfile <file>', 'registry credentials file (default: REGISTRY_AUTH_FILE, containers auth.json as `sealos login` writes it, Docker config.json)')
    .option('--creds <user:password>', 'registry credentials (prefer `sealos login` or `istio-wasm login`)')
    .option('--plain-http', 'talk to the registry over HTTP (automatic for localhost and 127.0.0.1)')
    .option('--insecure', 'skip TLS certificate verification')
    .option('--with-sealos', 'build/push with the installed sealos (buildah) instead of istio-wasm itself');
}

export function registerSealos(program: Command): void {
  const sealos = program
    .command('sealos')
    .description('sealos application cluster images: the pinned WasmPlugin (or TrafficExtension) and the wasm image, for `sealos run`')
    .addHelpText(
      'after',
      `
Examples:
  $ REPO=sealos.hub:5000 IMG=wasm/wasm-auth:v1 istio-wasm sealos push
  $ istio-wasm sealos build --output build/cluster.tar
  $ sealos run sealos.hub:5000/wasm/wasm-auth-cluster:v1`,
    );

  addCommonOptions(
    sealos
      .command('build [image]')
      .description('build the cluster image (manifests/ + registry/) into an OCI layout or oci-archive, without sealos or a Docker engine')
      .option('--output <dir|file.tar>', 'an OCI layout directory, or an oci-archive when it ends in .tar (default: build/sealos/cluster-image)'),
  )
    .option('--json', 'print a summary as JSON on stdout')
    .addHelpText(
      'after',
      `
${imageHelp}
The project's kind (kind in istio-wasm.yaml: WasmPlugin, or TrafficExtension on Istio 1.30+) goes
into manifests/, pinned to the digest of the wasm image as istio-wasm builds it (the same bytes
\`istio-wasm push\` sends). The context (Kubefile, manifests/, registry/) is written to
build/sealos/context.

Examples:
  $ istio-wasm sealos build
  $ istio-wasm sealos build 127.0.0.1:5000/wasm/wasm-auth:v1 --output build/cluster.tar
  $ skopeo inspect --config oci:build/sealos/cluster-image:v1`,
    )
    .action(async (image: string | undefined, opts: SealosBuildOptions) => {
      await runSealos('build', image, opts);
    });

  addCommonOptions(sealos.command('push [image]').description('push the wasm image, then the cluster image pinned to it; prints the `sealos run` to apply it'))
    .option('--json', 'print a summary as JSON on stdout')
    .addHelpText(
      'after',
      `
${imageHelp}

Examples:
  $ REPO=127.0.0.1:5000 IMG=wasm/wasm-auth:v1 istio-wasm sealos push
  $ istio-wasm sealos push sealos.hub:5000/wasm/wasm-auth:v1 --cluster-image sealos.hub:5000/apps/wasm-auth:v1`,
    )
    .action(async (image: string | undefined, opts: SealosCommonOptions) => {
      await runSealos('push', image, opts);
    });
}

async function runSealos(action: 'build' | 'push', image: string | undefined, opts: SealosBuildOptions): Promise<void> {
  const [{ loadProject }, out, { cancelSignal }, { formatReference }, path] = await Promise.all([
    import('../project/load.js'),
    import('../ui/output.js'),
    import('../runtime.js'),
    import('../oci/reference.js'),
    import('node:path'),
  ]);
  const cwd = process.cwd();
  const project = await loadProject(cwd);
  const request = {
    project,
    cwd,
    image,
    env: process.env,
    clusterImage: opts.clusterImage,
    istioVersion: opts.istioVersion,
    clusterRegistry: opts.clusterRegistry,
    registryIp: opts.registryIp,
    authfile: opts.authfile,
    creds: opts.creds,
    plainHttp: opts.plainHttp,
    insecure: opts.insecure,
    signal: cancelSignal(),
    log: out.debug,
  };
  const rel = (p: string) => path.relative(cwd, p) || '.';
  const { prepareClusterImage, buildSealosImage } = await import('../sealos/index.js');
  const { moduleSpecOf } = await import('../istio/kinds.js');

  type Prepared = Awaited<ReturnType<typeof prepareClusterImage>>;
  const explain = (prepared: Prepared) => {
    const { context } = prepared;
    out.info(`delivery: ${context.delivery.delivery} — ${context.delivery.reason}`);
    for (const note of context.notes) out.info(`note: ${note}`);
    for (const w of context.warnings) out.warn(w);
  };
  const summary = (prepared: Prepared) => ({
    wasmImage: formatReference(prepared.wasmRef),
    wasmDigest: prepared.wasmImage.manifest.descriptor.digest,
    clusterImage: formatReference(prepared.clusterRef),
    clusterDigest: prepared.image.manifest.descriptor.digest,
    istioVersion: prepared.target.text,
    delivery: prepared.context.delivery.delivery,
    reason: prepared.context.delivery.reason,
    kind: prepared.context.kind,
    url: moduleSpecOf(prepared.context.resource).url,
    sha256: moduleSpecOf(prepared.context.resource).sha256 ?? null,
    manifests: prepared.context.manifests,
    cmd: prepared.context.cmd,
    context: prepared.contextDir,
  });

  if (opts.withSealos) {
    const { sealosBuild, sealosPush, requireSealos } = await import('../sealos/with-sealos.js');
    requireSealos();
    if (action === 'push') {
      const { pushWasmAndPrepare } = await import('../sealos/push.js');
      const { prepared } = await pushWasmAndPrepare(request, {
        onWasmPushed: (wasm) => {
          for (const w of wasm.warnings) out.warn(w);
          out.success(`pushed the wasm image ${wasm.image} (${wasm.digest})`);
        },
      });
      explain(prepared);
      const ref = formatReference(prepared.clusterRef);
      await sealosBuild(prepared.contextDir, ref, { signal: cancelSignal(), onOutput: out.info });
      await sealosPush(ref, { authfile: opts.authfile, creds: opts.creds, plainHttp: opts.plainHttp, cwd: prepared.contextDir, signal: cancelSignal(), onOutput: out.info });
      out.success(`sealos built and pushed ${ref}`);
      if (opts.json) out.json({ ...summary(prepared), builtWith: 'sealos' });
      else out.result(`next: sealos run ${ref}`);
      return;
    }
    const prepared = await prepareClusterImage(request);
    explain(prepared);
    const ref = formatReference(prepared.clusterRef);
    await sealosBuild(prepared.contextDir, ref, { signal: cancelSignal(), onOutput: out.info });
    out.success(`sealos built ${ref} from ${rel(prepared.contextDir)}`);
    if (opts.json) out.json({ ...summary(prepared), builtWith: 'sealos' });
    else out.result(`next: sealos push ${ref} && sealos run ${ref}`);
    return;
  }

  if (action === 'build') {
    const built = await buildSealosImage({ ...request, output: opts.output });
    explain(built.prepared);
    const ref = formatReference(built.prepared.clusterRef);
    out.success(`cluster image ${ref} → ${built.format}:${rel(built.output)}:${built.prepared.clusterRef.tag} (context in ${rel(built.prepared.contextDir)})`);
    if (opts.json) {
      out.json({ ...summary(built.prepared), output: built.output, format: built.format });
      return;
    }
    out.result(
      [
        `cluster image: ${ref}  ${built.prepared.image.manifest.descriptor.digest}`,
        `wasm image:    ${formatReference(built.prepared.wasmRef)}  ${built.prepared.wasmImage.manifest.descriptor.digest} (in registry/)`,
        `next: istio-wasm sealos push${image ? ` ${image}` : ''}${opts.clusterImage ? ` --cluster-image ${opts.clusterImage}` : ''}   (or skopeo copy ${built.format}:${rel(built.output)}:${built.prepared.clusterRef.tag} docker://${ref}), then sealos run ${ref}`,
      ].join('\n'),
    );
    return;
  }

  const { pushSealosImage } = await import('../sealos/push.js');
  const pushed = await pushSealosImage(request, {
    onWasmPushed: (wasm) => {
      for (const w of wasm.warnings) out.warn(w);
      out.success(`pushed the wasm image ${wasm.image} (${wasm.digest})`);
    },
  });
  explain(pushed.prepared);
  out.success(`pushed the cluster image ${pushed.cluster.image} (${pushed.cluster.digest}; ${pushed.cluster.uploaded} uploaded, ${pushed.cluster.skipped} already there)`);
  if (opts.json) {
    out.json({ ...summary(pushed.prepared), clusterDigest: pushed.cluster.digest, next: `sealos run ${pushed.cluster.image}` });
    return;
  }
  out.result(
    [
      `wasm image:    ${pushed.wasm.image}  ${pushed.wasm.digest}`,
      `cluster image: ${pushed.cluster.image}  ${pushed.cluster.digest}`,
      `next: sealos run ${pushed.cluster.image}`,
    ].join('\n'),
  );
}
