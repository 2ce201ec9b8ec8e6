import path from 'node:path';
import { tryLoadProject } from '../project/load.js';
import { resolveImage } from '../project/image.js';
import { readModuleFile } from '../oci/module-file.js';
import { pushImage, pushLayout, type PushOptions, type PushResult } from '../oci/push.js';
import { readLastPush, writeLastPush } from '../oci/last-push.js';
import { isMutableTag, parseReference, type ImageReference } from '../oci/reference.js';

/**
 * `istio-wasm push` as the core sees it: flags resolved against the project, no printing. It lives
 * with Istio, not in src/oci, because it reads the project's plugin settings and warns about what
 * Istio's agent will do with the image; the registry client knows nothing of Istio.
 */
export interface ProjectPushRequest extends Omit<PushOptions, 'mountFrom' | 'rootIds'> {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Image argument (else REPO/IMG, else istio-wasm.yaml). */
  image?: string | undefined;
  wasm?: string | undefined;
  /** `DIR[:TAG]` of an OCI layout or oci-archive to push instead of building from the .wasm. */
  layout?: string | undefined;
  /** Told what is about to be pushed, before any request. */
  onStart?: ((what: { file: string; size: number | undefined; reference: ImageReference }) => void) | undefined;
}

export interface ProjectPushResult {
  pushed: PushResult;
  /** Everything the user should hear about: the client's notes and the traps this push walks into. */
  warnings: string[];
  /** Where the last push was recorded (inside a project), for `manifest --pin`. */
  recordedIn?: string;
}

function parseLayoutArgument(text: string): { dir: string; tag: string | undefined } {
  const m = /^(.*?):([A-Za-z0-9_][A-Za-z0-9._-]{0,127})$/.exec(text);
  return m && m[1] ? { dir: m[1], tag: m[2] } : { dir: text, tag: undefined };
}

/** A repository of the same registry pushed last time, to mount unchanged blobs from. */
async function mountSource(root: string | undefined, reference: ImageReference): Promise<string | undefined> {
  if (!root) return undefined;
  const last = await readLastPush(root);
  if (!last) return undefined;
  try {
    const previous = parseReference(last.image);
    return previous.registry === reference.registry && previous.repository !== reference.repository ? previous.repository : undefined;
  } catch {
    return undefined;
  }
}

/** The proxies' pull policy for this image, as istiod defaults it. */
function effectivePullPolicy(configured: string | undefined, tag: string | undefined): string {
  if (configured && configured !== 'UNSPECIFIED_POLICY') return configured;
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * Pushes the project's module (or a prepared layout) to the image from the argument, REPO/IMG or
 * istio-wasm.yaml; warns about a moving tag that proxies would cache and a registry current Istio
 * cannot pull from; records the push for `manifest --pin`.
 */
export async function pushProjectImage(request: ProjectPushRequest): Promise<ProjectPushResult> {
  const project = await tryLoadProject(request.cwd);
  const { reference } = resolveImage({ flag: request.image, env: request.env, config: project?.config.image });
  const layout = request.layout ? parseLayoutArgument(request.layout) : undefined;
  const { file, bytes } = layout ? { file: layout.dir, bytes: undefined } : await readModuleFile(request.wasm, project, request.cwd);
  request.onStart?.({ file, size: bytes?.length, reference });

  const rootId = project ? (project.config.wasmPlugin.pluginName ?? project.config.name) : undefined;
  const options: PushOptions = { ...request, mountFrom: await mountSource(project?.root, reference), ...(rootId ? { rootIds: [rootId] } : {}) };
  const pushed = layout
    ? await pushLayout(path.resolve(request.cwd, layout.dir), layout.tag, reference, options)
    : await pushImage(bytes as Uint8Array, reference, options);

  const warnings = [...pushed.warnings];
  const tag = reference.digest && !reference.tag ? undefined : (reference.tag ?? 'latest');
  if (tag !== undefined && isMutableTag(tag) && effectivePullPolicy(project?.config.wasmPlugin.imagePullPolicy, tag) === 'IfNotPresent') {
    warnings.push(`the tag "${tag}" is meant to move, but the ${project?.config.kind ?? 'WasmPlugin'} would use imagePullPolicy IfNotPresent: proxies that cached the old module keep it. Pin sha256 (istio-wasm manifest --pin) or push an immutable tag`);
  }
  if (pushed.challenge.scheme !== 'none') {
    // Only a registry that asks for credentials can be one the agent refuses: an anonymous push does not load the check.
    const [{ agentRefusal }, { registryTrapVersions }] = await Promise.all([import('./registry-trap.js'), import('./versions.js')]);
    const why = agentRefusal({ scheme: pushed.challenge.scheme, realm: pushed.challenge.realm, service: pushed.challenge.service });
    if (why) warnings.push(`the istio-agent of Istio ${registryTrapVersions()} and later cannot pull from this registry: ${why}`);
  }
  const result: ProjectPushResult = { pushed, warnings };
  if (project) {
    await writeLastPush(project.root, { image: pushed.image, digest: pushed.digest, url: pushed.url, pushedAt: new Date().toISOString() });
    result.recordedIn = path.relative(request.cwd, path.join(project.root, '.istio-wasm', 'last-push.json'));
  }
  return result;
}
