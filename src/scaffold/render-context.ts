import { versions } from '../versions.js';
import { formatReference, parseReference } from '../oci/reference.js';
import { packageInfo } from '../version.js';
import { pullPolicyFor } from './project-file.js';
import type { ScaffoldValues } from './values.js';
import { trafficExtensionPhase } from '../istio/render-trafficextension.js';
import { goModulePath, rustCrateName } from './language-names.js';

/**
 * What every `*.hbs` file sees. Built-in values first; a template's own variables
 * (template.json `variables`) are added under their names.
 */
export interface RenderContext {
  /** Plugin name, a DNS-1123 label: `my-plugin`. */
  name: string;
  /** `my_plugin` (C identifiers). */
  snakeName: string;
  /** The Cargo package name: `my_plugin`; `plugin_1st` for `1st` (cargo refuses a leading digit). */
  crateName: string;
  /** The go.mod module path: `my-plugin`; `go-plugin` for `go` (the go command refuses `go`, `std`, …). */
  goModule: string;
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
  /** WasmPlugin or TrafficExtension. */
  kind: string;
  phase: string;
  /** The phase as a TrafficExtension spells it (UNSPECIFIED for UNSPECIFIED_PHASE). */
  trafficExtensionPhase: string;
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

function words(name: string): string[] {
  return name.split(/[-_.]+/).filter(Boolean);
}

/** The context every `*.hbs` file is rendered with, from the resolved values. */
export function renderContext(values: ScaffoldValues, language: string, module: string, cliSpec: string): RenderContext {
  const ref = parseReference(values.image);
  const context: RenderContext = {
    ...values.extra,
    name: values.name,
    snakeName: words(values.name).join('_'),
    pascalName: words(values.name).map((w) => w[0]?.toUpperCase() + w.slice(1)).join(''),
    crateName: rustCrateName(values.name),
    goModule: goModulePath(values.name),
    language,
    module,
    image: values.image,
    imageRepository: formatReference({ registry: ref.registry, repository: ref.repository }),
    imageTag: ref.tag ?? 'latest',
    registry: ref.registry,
    namespace: values.namespace,
    istioVersion: values.istioVersion,
    kind: values.kind,
    phase: values.phase,
    trafficExtensionPhase: trafficExtensionPhase(values.phase),
    priority: values.priority,
    failStrategy: values.failStrategy,
    imagePullPolicy: pullPolicyFor(values.image),
    pluginConfig: values.pluginConfig,
    pluginConfigJson: JSON.stringify(values.pluginConfig),
    pluginConfigPretty: JSON.stringify(values.pluginConfig, null, 2),
    cliSpec,
    cliVersion: packageInfo().version,
    versions,
  };
  if (values.selector) context.selectorLabels = values.selector;
  if (values.targetRef) context.targetRef = values.targetRef;
  return context;
}

