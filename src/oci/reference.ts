/**
 * Image references: `[registry[:port]/]repository[:tag][@sha256:digest]`, with Docker Hub's defaults
 * (`docker.io`, `library/` for single-component names, tag `latest`).
 */
export interface ImageReference {
  /** Registry host[:port] as written (Docker Hub normalised to `docker.io`). */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const component = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const repositoryPattern = new RegExp(`^${component}(?:/${component})*$`);
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const digestPattern = /^sha256:[a-f0-9]{64}$/;

export const dockerHub = 'docker.io';

export class ReferenceError extends Error {}

/** Parses a reference or throws ReferenceError with what is wrong. */
export function parseReference(input: string): ImageReference {
  let rest = input.trim();
  if (rest.startsWith('oci://')) rest = rest.slice('oci://'.length);
  if (rest.length === 0) throw new ReferenceError('image reference is empty');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) throw new ReferenceError(`digest "${digest}" must be sha256: followed by 64 lower-case hex digits`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagPattern.test(tag)) throw new ReferenceError(`tag "${tag}" may hold only letters, digits, "_", "." and "-" (at most 128, not starting with "." or "-")`);
  }
  let registry = dockerHub;
  let repository = rest;
  const firstSlash = rest.indexOf('/');
  if (firstSlash >= 0) {
    const first = rest.slice(0, firstSlash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z]/.test(first)) {
      registry = first;
      repository = rest.slice(firstSlash + 1);
    }
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = dockerHub;
  if (registry === dockerHub && !repository.includes('/')) repository = `library/${repository}`;
  if (!repositoryPattern.test(repository)) {
    throw new ReferenceError(`repository "${repository}" must be lower-case letters and digits separated by "/", ".", "_" or "-"`);
  }
  if (repository.length > 255) throw new ReferenceError('repository name must be at most 255 characters');
  const ref: ImageReference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** `registry/repository[:tag][@digest]`, as other clients print it. */
export function formatReference(ref: ImageReference): string {
  let out = `${ref.registry}/${ref.repository}`;
  if (ref.tag) out += `:${ref.tag}`;
  if (ref.digest) out += `@${ref.digest}`;
  return out;
}

/** Tag or digest to address the manifest with (tag `latest` when neither is given). */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** Tags that are meant to move: re-pushing them does not reach proxies that cached the old module. */
export function isMutableTag(tag: string | undefined): boolean {
  if (tag === undefined) return true;
  return ['latest', 'main', 'master', 'dev', 'develop', 'edge', 'nightly', 'stable', 'snapshot'].includes(tag.toLowerCase());
}

/** The host the distribution API answers on (Docker Hub's API lives on registry-1.docker.io). */
export function apiHost(registry: string): string {
  return registry === dockerHub ? 'registry-1.docker.io' : registry;
}

/** Host name without the port (IPv6 literals keep their brackets). */
export function hostName(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(0, registry.indexOf(']') + 1);
  const colon = registry.lastIndexOf(':');
  return colon >= 0 ? registry.slice(0, colon) : registry;
}

/** Registries other clients talk to over plain HTTP without being told: loopback ones. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = hostName(registry).toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host) || host.endsWith('.localhost');
}

/** The `oci://` url a WasmPlugin uses for this reference. */
export function wasmPluginUrl(ref: ImageReference): string {
  return `oci://${formatReference(ref)}`;
}
