import { isMutableTag, parseReference, type ImageReference } from '../oci/reference.js';
import { parsePluginUrl } from './url.js';
import { agentRefusal, knownBasicAuthHosts, isWellKnownBearerRegistry, type RegistryChallenge } from './registry-trap.js';
import { registryTrapExposure, registryTrapFirstPatch, type IstioTarget } from './versions.js';
import type { Problem } from './problem.js';

/**
 * What a cluster accepts but what breaks at run time. Each is a warning, never an error: some
 * are heuristics, and each message says how sure it is.
 */
export interface TrapContext {
  /** Manifest digests (64 hex) known to be image manifests, e.g. from .istio-wasm/last-push.json → where from. */
  manifestDigests?: Map<string, string>;
  /** sha256 (64 hex) of local .wasm files → their path. */
  moduleDigests?: Map<string, string>;
  /** Challenges a registry answered with, learnt by `manifest --pin` (host → challenge). */
  challenges?: Map<string, RegistryChallenge>;
  /** Hosts with credentials in the auth files (host → where they were found). */
  credentialHosts?: Map<string, string>;
}

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys that look like they hold a secret. */
const credentialKey = /(pass(word|wd)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|^auth$|bearer|htpasswd)/i;
/** …unless they name where a credential is, not the credential (credentialHeader: authorization). */
const referenceSuffix = /(header|name|field|path|file|prefix|param|query|cookie|env|ref|url|uri|location|source|claim|type|ttl|length|mode|enabled|required|header[-_]?name)s?$/i;

function credentialPaths(value: unknown, path: string, out: string[], depth = 0): void {
  if (depth > 20) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => credentialPaths(v, `${path}[${i}]`, out, depth + 1));
    return;
  }
  if (!isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const p = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
    // A key naming a credential with a non-empty literal value (not a nested object of its own).
    if (credentialKey.test(k) && !referenceSuffix.test(k) && typeof v === 'string' && v !== '') out.push(p);
    credentialPaths(v, p, out, depth + 1);
  }
}

/** The image an oci (or scheme-less) url names, or undefined when it does not parse as one. */
export function ociReferenceOf(url: string): ImageReference | undefined {
  try {
    return parseReference(url.replace(/^oci:\/\//, ''));
  } catch {
    return undefined;
  }
}

/**
 * The warnings for a plugin's module fields on `base` (`spec` for a WasmPlugin, `spec.wasm` for a
 * TrafficExtension), and for the placement fields of `spec`.
 */
export function trapWarnings(module: Obj, base: string, spec: Obj, target: IstioTarget, context: TrapContext): Problem[] {
  const warnings: Problem[] = [];
  const at = (field: string) => `${base}.${field}`;
  const warn = (path: string, message: string) => warnings.push({ path, message });
  const url = typeof module.url === 'string' ? module.url : undefined;
  const sha = typeof module.sha256 === 'string' && module.sha256 !== '' ? module.sha256 : undefined;
  const policy = typeof module.imagePullPolicy === 'string' ? module.imagePullPolicy : 'UNSPECIFIED_POLICY';
  const parsed = url === undefined ? undefined : parsePluginUrl(url);
  const scheme = parsed?.ok ? parsed.url.effectiveScheme : undefined;

  if (url !== undefined && scheme === 'oci') {
    const ref = ociReferenceOf(url);
    if (!ref) {
      warn(at('url'), `"${url}" is not a valid image reference; istiod accepts it, but the agent's pull will fail (deny-all under FAIL_CLOSE)`);
    } else {
      // Istio: unspecified means Always only for a literal ":latest" tag, otherwise IfNotPresent.
      const effective = policy === 'UNSPECIFIED_POLICY' ? (url.endsWith(':latest') ? 'Always' : 'IfNotPresent') : policy;
      if (!ref.digest && isMutableTag(ref.tag) && effective === 'IfNotPresent' && !sha) {
        const why = policy === 'IfNotPresent' ? 'imagePullPolicy IfNotPresent' : 'an unspecified imagePullPolicy (Istio treats it as IfNotPresent unless the url ends in :latest)';
        warn(at('imagePullPolicy'),
          `the tag "${ref.tag ?? '(none: latest)'}" moves, but ${why} reuses a cached module forever: a re-push never reaches running proxies. Pin the digest (istio-wasm manifest --pin), push an immutable tag, or set imagePullPolicy: Always`,
        );
      }
      if (!ref.digest && isMutableTag(ref.tag) && sha) {
        warn(at('url'), `the tag "${ref.tag ?? 'latest'}" moves but sha256 pins one manifest: after a re-push of that tag, new pulls fail the checksum (deny-all under FAIL_CLOSE) until you pin again. Prefer an immutable tag`);
      }
      if (ref.digest && sha && ref.digest !== `sha256:${sha}`) {
        warn(at('sha256'), `differs from the digest in the url (${ref.digest}); the pull fails the checksum unless the url's digest is an index whose linux/amd64 child is ${sha}`);
      }
      if (sha && context.moduleDigests?.has(sha)) {
        warn(at('sha256'), `is the sha256 of the .wasm file ${context.moduleDigests.get(sha)}, but for oci:// urls Istio expects the image manifest's digest: the pull will fail the checksum. Use istio-wasm manifest --pin`);
      }
      const host = ref.registry;
      const hostname = host.replace(/:\d+$/, '');
      if (hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '::1' || hostname === '[::1]') {
        warn(at('url'), `the registry ${host} is loopback: the istio-agent pulls from inside the gateway pod, where ${host} is the pod itself`);
      }
      if (hostname === 'sealos.hub') {
        warn(at('url'), 'sealos.hub resolves only through the nodes\' /etc/hosts; the istio-agent in the gateway pod needs it resolvable (a ServiceEntry with a static endpoint, a CoreDNS hosts entry, or the registry\'s IP)');
      }
      basicAuthWarning(host, target, context, (message) => warn(at('url'), message));
    }
  }

  if (url !== undefined && scheme === 'file' && sha) {
    warn(at('sha256'), 'is ignored for file:// urls (the module is read from the proxy\'s disk as is); remove it');
  }
  if (url !== undefined && (scheme === 'http' || scheme === 'https') && sha) {
    const from = context.manifestDigests?.get(sha);
    if (from) {
      warn(at('sha256'), `is the image manifest digest of ${from}, but for http(s) urls Istio checks the sha256 of the downloaded .wasm bytes: the download will fail the checksum (deny-all under FAIL_CLOSE)`);
    }
  }
  if (isObject(module.pluginConfig)) {
    const found: string[] = [];
    credentialPaths(module.pluginConfig, at('pluginConfig'), found);
    for (const p of found) {
      warn(p, 'looks like a credential: pluginConfig is shown in every proxy\'s config dump. Keep secrets out of it (pull credentials belong in imagePullSecret)');
    }
  }
  if (typeof module.verificationKey === 'string' && module.verificationKey !== '') {
    warn(at('verificationKey'), 'is not implemented by Istio and is ignored; it verifies nothing');
  }
  if (isObject(spec.selector) && (spec.selector.matchLabels === undefined || (isObject(spec.selector.matchLabels) && Object.keys(spec.selector.matchLabels).length === 0))) {
    warn('spec.selector', 'has no labels: the plugin applies to every workload in the namespace (istiod: "workload selector specified without labels")');
  }
  return warnings;
}

function basicAuthWarning(host: string, target: IstioTarget, context: TrapContext, warn: (message: string) => void): void {
  const exposure = registryTrapExposure(target);
  if (exposure === 'unaffected') return;
  const scope = exposure === 'affected' ? `Istio ${target.text}` : `Istio ${target.text} (from patch 1.${target.minor}.${registryTrapFirstPatch[target.minor] ?? 0} on)`;
  const consequence = 'the pull fails and the gateway turns deny-all under FAIL_CLOSE. Use `istio-wasm manifest --delivery configmap`, or a registry with anonymous pulls or Bearer tokens on a public host';
  const challenge = context.challenges?.get(host);
  if (challenge) {
    const reason = agentRefusal(challenge);
    if (reason) warn(`${scope} refuses ${host}: ${reason} (learnt when pinning); ${consequence}`);
    return;
  }
  if (knownBasicAuthHosts.includes(host)) {
    warn(`${host} is an htpasswd (Basic auth) registry, which ${scope} refuses to pull from; ${consequence}`);
    return;
  }
  const where = context.credentialHosts?.get(host);
  if (where && !isWellKnownBearerRegistry(host)) {
    warn(
      `credentials for ${host} are in ${where}; if it is an htpasswd (Basic auth) registry or its token server is on a private address, ${scope} refuses to pull from it: ${consequence}. \`istio-wasm manifest --pin\` reads the registry's challenge and says for sure`,
    );
  }
}
