/**
 * `istio-wasm.yaml`: the one source of truth every command reads. Written by the scaffolder,
 * edited by the user; flags and the seed's REPO/IMG variables override it.
 */
export const languages = ['assemblyscript', 'rust', 'tinygo', 'cpp'] as const;
export type Language = (typeof languages)[number];

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
