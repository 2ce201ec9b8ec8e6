import type { versions } from '../versions.js';

/**
 * What every `*.hbs` file sees. Built-in values first; a template's own variables
 * (template.json `variables`) are added under their names.
 */
export interface RenderContext {
  /** Plugin name, a DNS-1123 label: `my-plugin`. */
  name: string;
  /** `my_plugin` (Rust crate / C identifiers). */
  snakeName: string;
  /** `MyPlugin` (type names). */
  pascalName: string;
  language: string;
  /** Path of the built module, relative to the project root: `build/plugin.wasm`. */
  module: string;
  /** Full image reference `registry/repository:tag`. */
  image: string;
  /** `registry/repository` without tag. */
  imageRepository: string;
  imageTag: string;
  registry: string;
  namespace: string;
  istioVersion: string;
  /** `selector.matchLabels` as an object, when a selector is used. */
  selectorLabels?: Record<string, string>;
  /** Gateway API targetRef, when one is used instead of a selector. */
  targetRef?: { group: string; kind: string; name: string };
  phase: string;
  priority: number;
  failStrategy: string;
  /** IfNotPresent, or Always for a moving tag such as latest. */
  imagePullPolicy: string;
  /** pluginConfig object and its JSON forms. */
  pluginConfig: Record<string, unknown>;
  pluginConfigJson: string;
  pluginConfigPretty: string;
  /** npm spec of create-istio-wasm for the generated package.json (`^0.1.0` or `file:…`). */
  cliSpec: string;
  cliVersion: string;
  versions: typeof versions;
  [variable: string]: unknown;
}
