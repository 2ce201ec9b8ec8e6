/**
 * `istio-wasm.yaml`: the one source of truth every command reads. Written by the scaffolder,
 * edited by the user; flags and the seed's REPO/IMG variables override it.
 */
export const languages = ['assemblyscript', 'rust', 'go', 'cpp'] as const;
export type Language = (typeof languages)[number];

/**
 * Other names a language answers to: `tinygo` is what the Go template was called while the Go SDK
 * needed TinyGo; it now builds with Go >= 1.24 (TinyGo still works) and is the same language.
 */
export const languageAliases: Readonly<Record<string, Language>> = { tinygo: 'go' };

/** A language or one of its aliases, as the language; undefined for anything else. */
export function canonicalLanguage(name: string): Language | undefined {
  const lower = name.trim().toLowerCase();
  if ((languages as readonly string[]).includes(lower)) return lower as Language;
  return languageAliases[lower];
}

/** `assemblyscript, rust, go (or tinygo), cpp`: for messages. */
export function languageList(separator = ', '): string {
  return languages
    .map((l) => {
      const aliases = Object.keys(languageAliases).filter((a) => languageAliases[a] === l);
      return aliases.length > 0 ? `${l} (or ${aliases.join(', ')})` : l;
    })
    .join(separator);
}

export const phases = ['AUTHN', 'AUTHZ', 'STATS', 'UNSPECIFIED_PHASE'] as const;
export type Phase = (typeof phases)[number];

export const failStrategies = ['FAIL_CLOSE', 'FAIL_OPEN', 'FAIL_RELOAD'] as const;
export type FailStrategy = (typeof failStrategies)[number];

export const pullPolicies = ['UNSPECIFIED_POLICY', 'IfNotPresent', 'Always'] as const;
export type PullPolicy = (typeof pullPolicies)[number];

export interface TargetRef {
  group?: string;
  kind: string;
  name: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: 'INLINE' | 'HOST';
}

export interface PortMatch {
  mode?: 'UNDEFINED' | 'CLIENT' | 'SERVER' | 'CLIENT_AND_SERVER';
  ports?: Array<{ number: number }>;
}

/** The WasmPlugin this project deploys: metadata plus the spec fields a user sets. */
export interface WasmPluginSettings {
  namespace: string;
  selector?: { matchLabels: Record<string, string> };
  targetRefs?: TargetRef[];
  pluginName?: string;
  phase?: Phase;
  priority?: number;
  failStrategy?: FailStrategy;
  imagePullPolicy?: PullPolicy;
  imagePullSecret?: string;
  pluginConfig?: Record<string, unknown>;
  vmConfig?: { env?: EnvVar[] };
  match?: PortMatch[];
  type?: 'UNSPECIFIED_PLUGIN_TYPE' | 'HTTP' | 'NETWORK';
}

export interface ProjectConfig {
  /** Plugin name: a DNS-1123 label; the WasmPlugin's metadata.name and default root id. */
  name: string;
  language: Language;
  /** Path of the built module, relative to the project root. */
  module: string;
  /** Image reference `registry/repository:tag` the plugin is pushed to. */
  image: string;
  istio: { version: string };
  /**
   * The resource `manifest`, `deploy` and `sealos` produce: WasmPlugin (absent = WasmPlugin) or
   * TrafficExtension (Istio 1.30+). Both are rendered from the settings under `wasmPlugin`.
   */
  kind?: 'WasmPlugin' | 'TrafficExtension';
  wasmPlugin: WasmPluginSettings;
}

export const resourceKinds = ['WasmPlugin', 'TrafficExtension'] as const;

export const configFileName = 'istio-wasm.yaml';
