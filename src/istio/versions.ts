import { CliError } from '../errors.js';
import { defaultIstioVersion, istioVersions } from '../versions.js';

/**
 * What changed in the WasmPlugin API between Istio releases, as data. Everything version-dependent
 * that validate and manifest know is here; test/unit/istio-versions.test.ts checks the newest
 * version's facts against Istio's own CRD in test/fixtures/istio/.
 *
 * Sources: the CRDs of istio/api per release, istio/istio `pkg/config/validation/validation.go`
 * (istiod's webhook rules) and `pkg/wasm/imagefetcher.go` (the registry trap), as summarised in
 * istio-wasmplugin.md.
 */

/** A minor version as [major, minor], e.g. 1.27 -> 27. Istio 1.x only. */
export type Minor = number;

export interface IstioTarget {
  /** As the user wrote it: "1.29" or "1.29.1". */
  text: string;
  minor: Minor;
  /** Undefined when only the minor version was given. */
  patch: number | undefined;
}

export const oldestMinor: Minor = minorOf(istioVersions[istioVersions.length - 1] ?? '1.12');
export const newestMinor: Minor = minorOf(istioVersions[0] ?? defaultIstioVersion);

function minorOf(text: string): Minor {
  return Number(text.split('.')[1]);
}

/** Parses "1.29" / "1.29.1"; refuses versions before WasmPlugin existed or newer than we know. */
export function parseIstioVersion(text: string | undefined): IstioTarget {
  const value = (text ?? defaultIstioVersion).trim().replace(/^v/, '');
  const match = /^1\.(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) {
    throw new CliError('BAD_ISTIO_VERSION', `"${value}" is not an Istio version`, {
      hint: `use a version like ${defaultIstioVersion} or ${defaultIstioVersion}.1 (supported: 1.${oldestMinor} to 1.${newestMinor})`,
      exitCode: 2,
    });
  }
  const minor = Number(match[1]);
  const patch = match[2] === undefined ? undefined : Number(match[2]);
  if (minor < oldestMinor) {
    throw new CliError('UNSUPPORTED_ISTIO_VERSION', `Istio ${value} has no WasmPlugin API (it appeared in 1.${oldestMinor})`, {
      hint: `target Istio 1.${oldestMinor} or newer`,
      exitCode: 2,
    });
  }
  if (minor > newestMinor) {
    throw new CliError('UNSUPPORTED_ISTIO_VERSION', `Istio ${value} is newer than this tool knows (newest: 1.${newestMinor})`, {
      hint: `use --istio-version 1.${newestMinor}, or update create-istio-wasm`,
      exitCode: 2,
    });
  }
  return { text: value, minor, patch };
}

export function since(target: IstioTarget, minorSince: Minor): boolean {
  return target.minor >= minorSince;
}

/** Top-level `spec` fields and the minor version that introduced each. */
export const specFieldSince = {
  selector: 12,
  url: 12,
  sha256: 12,
  imagePullPolicy: 12,
  imagePullSecret: 12,
  verificationKey: 12,
  pluginConfig: 12,
  pluginName: 12,
  phase: 12,
  priority: 12,
  vmConfig: 14,
  match: 16,
  failStrategy: 19,
  type: 20,
  targetRef: 20,
  targetRefs: 22,
} as const satisfies Record<string, Minor>;

export type SpecField = keyof typeof specFieldSince;

/** Fields of the nested objects (unchanged since each parent appeared). */
export const nestedFields = {
  selector: ['matchLabels'],
  targetRef: ['group', 'kind', 'name', 'namespace'],
  vmConfig: ['env'],
  'vmConfig.env': ['name', 'value', 'valueFrom'],
  match: ['mode', 'ports'],
  'match.ports': ['number'],
} as const satisfies Record<string, readonly string[]>;

/**
 * The resource kinds a plugin can be deployed as, and the minor version that introduced each.
 * TrafficExtension (Istio 1.30, istio/api extensions/v1alpha1) supersedes WasmPlugin, which is
 * still served. Its rules are the 1.30 CRD's and hold for every later minor version.
 */
export const kindSince = { WasmPlugin: 12, TrafficExtension: 30 } as const satisfies Record<string, Minor>;

/** TrafficExtension `spec` fields (all since 1.30) and the module fields under `spec.wasm`. */
export const trafficExtensionFields = {
  spec: ['selector', 'targetRefs', 'phase', 'priority', 'match', 'wasm', 'lua'],
  wasm: ['url', 'sha256', 'imagePullPolicy', 'imagePullSecret', 'verificationKey', 'failStrategy', 'pluginName', 'pluginConfig', 'vmConfig', 'type'],
  lua: ['inlineCode'],
} as const;

/** Enum values, each with the minor version it appeared in. */
export const enumValues = {
  imagePullPolicy: { UNSPECIFIED_POLICY: 12, IfNotPresent: 12, Always: 12 },
  phase: { UNSPECIFIED_PHASE: 12, AUTHN: 12, AUTHZ: 12, STATS: 12 },
  /** TrafficExtension says UNSPECIFIED where WasmPlugin says UNSPECIFIED_PHASE. */
  'trafficExtension.phase': { UNSPECIFIED: 30, AUTHN: 30, AUTHZ: 30, STATS: 30 },
  failStrategy: { FAIL_CLOSE: 19, FAIL_OPEN: 19, FAIL_RELOAD: 27 },
  type: { UNSPECIFIED_PLUGIN_TYPE: 20, HTTP: 20, NETWORK: 20 },
  'vmConfig.env.valueFrom': { INLINE: 14, HOST: 14 },
  'match.mode': { UNDEFINED: 16, CLIENT: 16, SERVER: 16, CLIENT_AND_SERVER: 16 },
} as const satisfies Record<string, Record<string, Minor>>;

export type EnumName = keyof typeof enumValues;

export function enumValuesFor(name: EnumName, target: IstioTarget): string[] {
  return Object.entries(enumValues[name] as Record<string, Minor>)
    .filter(([, minor]) => target.minor >= minor)
    .map(([value]) => value);
}

/** Lengths, counts and patterns, as the CRD of the newest version states them. */
export const limits = {
  imagePullSecretMaxLength: 253,
  pluginNameMaxLength: 256,
  envMaxItems: 256,
  envNameMaxLength: 256,
  envValueMaxLength: 2048,
  matchLabelsMaxProperties: 4096,
  labelValueMaxLength: 63,
  targetRefsMaxItems: 16,
  targetRefGroupMaxLength: 253,
  targetRefKindMaxLength: 63,
  targetRefNameMaxLength: 253,
  portMin: 1,
  portMax: 65535,
  sha256Pattern: '(^$|^[a-f0-9]{64}$)',
  targetRefGroupPattern: '^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  targetRefKindPattern: '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$',
  urlSchemes: ['', 'http', 'https', 'oci', 'file'],
  /** TrafficExtension lua.inlineCode: 1..65536 characters (CRD); istiod: at most 64 KiB. */
  luaInlineCodeMaxLength: 65536,
  /** priority: int64 until 1.18, int32 from 1.19. */
  priorityInt32Since: 19,
} as const;

/**
 * When each rule starts to be enforced, by whom. Before 1.20 the CRD carried no schema (only
 * istiod's webhook checked); 1.20 brought the generated openAPIV3Schema with lengths, enums, the
 * url rule, env rules, the port range and list-map keys (duplicate env names and ports).
 */
export const ruleSince = {
  /** istiod: url parse + scheme, sha256 pattern, selector (no `*`, no empty key). */
  istiodBase: 12,
  /** istiod: env name set, unique, HOST without value (with vmConfig). */
  istiodEnv: 14,
  /** istiod: match ports in 1..65535, no null entries (with match). */
  istiodMatch: 16,
  /** CRD: lengths, enums, url CEL rule, env CEL rule, port range, list-map uniqueness. */
  crdSchema: 20,
  /** istiod: selector and targetRef together refused. */
  istiodOneOfSelectorTargetRef: 20,
  /** istiod: any pair of selector / targetRef / targetRefs refused. */
  istiodOneOfTargetRefs: 22,
  /** CRD: matchLabels value length and count, targetRef group/kind/name lengths and patterns. */
  crdLabelAndTargetRefPatterns: 23,
  /** CRD: targetRefs at most 16 items, and the spec-level one-of CEL rule. */
  crdTargetRefsCapAndOneOf: 24,
} as const;

/**
 * Minor versions whose WasmPlugin CRD checks targetRef kinds with a CEL rule that reads
 * `self.group` without has(): a targetRef without `group` is refused ("no such key: group"). Seen
 * in istio/api 1.24.2, gone in 1.26.0-beta.0 (test/integration/oracle/older-versions.test.ts);
 * 1.22, 1.23 and 1.25 were not available to check.
 */
export const targetRefGroupRequiredIn: readonly number[] = [24];

/** targetRef kinds istiod accepts, by group and the minor version that allowed them. */
export const targetRefKinds = [
  { group: 'gateway.networking.k8s.io', kind: 'Gateway', since: 20 },
  { group: '', kind: 'Service', since: 22 },
  { group: 'networking.istio.io', kind: 'ServiceEntry', since: 24 },
  { group: 'gateway.networking.k8s.io', kind: 'GatewayClass', since: 25 },
] as const;

export function targetRefKindsFor(target: IstioTarget): Array<{ group: string; kind: string }> {
  return targetRefKinds.filter((k) => target.minor >= k.since).map(({ group, kind }) => ({ group, kind }));
}

/**
 * The registry trap (istio/istio #58969, released 2026-03-10): from these patch releases on, the
 * istio-agent rejects every 401 whose realm is not an http(s) URL on a non-local host — every
 * Basic-auth registry, and token servers on localhost/private IPs. Minors after the newest listed
 * one are affected from their first release.
 */
export const registryTrapFirstPatch: Record<number, number> = { 27: 8, 28: 5, 29: 1, 30: 0 };
export const registryTrapFirstMinorAffectedFromStart = 30;

export type TrapExposure = 'affected' | 'unaffected' | 'affected-in-later-patches';

/**
 * Whether the target version refuses Basic/private-realm registries. A minor version without a
 * patch ("1.29") counts as affected when its current patches are: a fresh install gets the latest.
 */
export function registryTrapExposure(target: IstioTarget): TrapExposure {
  if (target.minor >= registryTrapFirstMinorAffectedFromStart) return 'affected';
  const first = registryTrapFirstPatch[target.minor];
  if (first === undefined) return 'unaffected';
  if (target.patch === undefined) return 'affected-in-later-patches';
  return target.patch >= first ? 'affected' : 'unaffected';
}

export function registryTrapVersions(): string {
  return Object.entries(registryTrapFirstPatch)
    .map(([minor, patch]) => `1.${minor}.${patch}`)
    .join(', ');
}

/** Istio's module limits. */
export const moduleLimits = {
  /** ISTIO_WASM_MAX_BINARY_SIZE_BYTES default; above it the module is silently truncated. */
  maxBinaryBytes: 256 * 1024 * 1024,
  /** Kubernetes: the sum of keys and values of a ConfigMap's data and binaryData. */
  configMapMaxBytes: 1024 * 1024,
};
