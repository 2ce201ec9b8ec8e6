import type { Command } from 'commander';

export interface ManifestOptions {
  image?: string;
  pin?: boolean;
  istioVersion?: string;
  output?: string;
  delivery?: string;
  authfile?: string;
  creds?: string;
  plainHttp?: boolean;
  insecure?: boolean;
  showSecret?: boolean;
  json?: boolean;
  kind?: string;
}

/** `istio-wasm manifest`: the project's WasmPlugin or TrafficExtension (and pull Secret / ConfigMap), validated. */
export function registerManifest(program: Command): void {
  program
    .command('manifest')
    .description('write the WasmPlugin (or TrafficExtension) for this project, validated for the target Istio version')
    .option('--kind <kind>', 'WasmPlugin or TrafficExtension (Istio 1.30+) (default: kind in istio-wasm.yaml, else WasmPlugin)')
    .option('--image <ref>', 'image reference (default: REPO/IMG, else image in istio-wasm.yaml)')
    .option('--pin', 'pin sha256 to the image manifest digest (from the registry, else the last push)')
    .option('--istio-version <x.y>', 'target Istio version (default: istio.version in istio-wasm.yaml)')
    .option('--output <file>', 'where to write the resource; "-" for stdout (default: deploy/wasmplugin.yaml, or deploy/trafficextension.yaml)')
    .option('--delivery <how>', 'oci (pull the image) or configmap (module in a ConfigMap, url file://)', 'oci')
    .option('--authfile <file>', 'registry credentials file (default: REGISTRY_AUTH_FILE, containers auth.json, Docker config.json)')
    .option('--creds <user:password>', 'registry credentials (prefer `istio-wasm login`)')
    .option('--plain-http', 'talk to the registry over HTTP (automatic for localhost and 127.0.0.1)')
    .option('--insecure', 'skip TLS certificate verification')
    .option('--show-secret', 'also print the pull Secret on stdout (it holds credentials)')
    .option('--json', 'print a summary as JSON on stdout')
    .addHelpText(
      'after',
      `
The pull Secret (when credentials for the registry are configured) goes to deploy/secret.yaml with
mode 0600, never into pluginConfig, and on stdout only with --show-secret.

Both kinds come from the same istio-wasm.yaml: a TrafficExtension holds selector/targetRefs, phase,
priority and match at spec level and the module's fields under spec.wasm.

Examples:
  istio-wasm manifest --pin
  istio-wasm manifest --pin --kind TrafficExtension     # Istio 1.30+: deploy/trafficextension.yaml
  istio-wasm manifest --istio-version 1.22 --output - --image ghcr.io/acme/auth:v1.0.0
  istio-wasm manifest --delivery configmap      # for Basic-auth registries on Istio 1.27.8+/1.28.5+/1.29.1+/1.30`,
    )
    .action(async (options: ManifestOptions) => {
      await runManifest(options);
    });
}

export async function runManifest(options: ManifestOptions): Promise<void> {
  const [{ generateManifest, writeManifestFiles, toYaml, defaultManifestPath, moduleSpecOf }, { parseKind, requireKind, defaultKind, trafficExtensionAvailableNote }, { sayOnce }, { parseIstioVersion }, { loadProject }, { CliError }, { cancelSignal }, out, path] = await Promise.all([
    import('../istio/manifest.js'),
    import('../istio/kinds.js'),
    import('../istio/project-state.js'),
    import('../istio/versions.js'),
    import('../project/load.js'),
    import('../errors.js'),
    import('../runtime.js'),
    import('../ui/output.js'),
    import('node:path'),
  ]);
  const delivery = options.delivery ?? 'oci';
  if (delivery !== 'oci' && delivery !== 'configmap') {
    throw new CliError('BAD_DELIVERY', `--delivery must be oci or configmap, not "${delivery}"`, { exitCode: 2 });
  }
  const project = await loadProject(process.cwd());
  const target = parseIstioVersion(options.istioVersion ?? project.config.istio.version);
  const kind = options.kind ? parseKind(options.kind) : (project.config.kind ?? defaultKind);
  requireKind(kind, target);
  if (options.pin) out.step(`resolving the manifest digest of the image for Istio ${target.text}`);
  const result = await generateManifest({
    project,
    target,
    kind,
    image: options.image,
    pin: Boolean(options.pin),
    delivery,
    authfile: options.authfile,
    creds: options.creds,
    plainHttp: options.plainHttp,
    insecure: options.insecure,
    signal: cancelSignal(),
  });
  const deployDir = path.join(project.root, 'deploy');
  const output = options.output === '-' ? '-' : path.resolve(options.output ?? path.join(project.root, defaultManifestPath(kind)));
  const dir = output === '-' ? deployDir : path.dirname(output);
  const secretPath = path.join(dir, 'secret.yaml');
  const written = await writeManifestFiles(result, { output, secretPath, dir, target });

  for (const note of result.notes) out.info(`note: ${note}`);
  const available = kind === 'WasmPlugin' ? trafficExtensionAvailableNote(target) : undefined;
  if (available && (await sayOnce(project.root, 'trafficextension-available'))) out.info(`note: ${available}`);
  // The pin's own account of the registry trap (with --delivery configmap offered) replaces the
  // validator's shorter warning about the same url.
  const trap = result.pin?.trap?.refused ? result.pin.trap.message : undefined;
  for (const w of result.warnings) {
    if (trap && w.path.endsWith('url') && w.message.includes(' refuses ')) continue;
    out.warn(`${w.path}: ${w.message}`);
  }
  if (trap) out.warn(trap);
  const rel = (p: string) => path.relative(process.cwd(), p) || p;
  if (written.resource) out.success(`${kind} ${project.config.name} for Istio ${target.text} → ${rel(written.resource)} (validated)`);
  if (result.pin) out.success(`pinned ${result.image} to ${result.pin.digest} (from ${result.pin.source === 'registry' ? 'the registry' : 'the last push'})`);
  if (written.secret) out.success(`pull Secret ${result.secret?.name} for ${result.secret?.registry} → ${rel(written.secret)} (mode 0600; keep it out of git)`);
  if (written.configMap) {
    out.success(`module as ConfigMap ${result.configMap?.configMapName} → ${rel(written.configMap)}`);
    out.info(`  gateway patches: ${rel(written.injectedPatch ?? '')} (injected gateways), ${rel(written.classicPatch ?? '')} (classic istio-ingressgateway)`);
  }

  if (options.json) {
    const spec = moduleSpecOf(result.resource);
    out.json({
      kind,
      file: written.resource ?? null,
      istioVersion: target.text,
      url: spec.url,
      sha256: spec.sha256 ?? null,
      pin: result.pin
        ? {
            digest: result.pin.digest,
            source: result.pin.source,
            challenge: result.pin.challenge ?? null,
            registryTrap: result.pin.trap?.refused ?? false,
            registryTrapMessage: result.pin.trap?.message ?? null,
          }
        : null,
      secretFile: written.secret ?? null,
      configMapFile: written.configMap ?? null,
      gatewayPatches: written.injectedPatch ? { injected: written.injectedPatch, classic: written.classicPatch } : null,
      notes: result.notes,
      warnings: result.warnings,
    });
  } else if (output === '-') {
    out.result(toYaml([result.resource]));
  }
  if (options.showSecret && result.secret) {
    out.result(`---\n${toYaml([result.secret.object])}`);
  }
}
