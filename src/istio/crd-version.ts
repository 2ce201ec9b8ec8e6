import { enumValues, kindSince, ruleSince, specFieldSince, type Minor } from './versions.js';

/**
 * Which Istio release installed a cluster's WasmPlugin / TrafficExtension CRD, read off the CRD
 * object (`kubectl get crd … -o json`). Istio's charts label what they install: the base chart
 * (helm, and istioctl since 1.24) sets `app.kubernetes.io/version` and `helm.sh/chart: base-<v>`;
 * istioctl's operator before that set `operator.istio.io/version`. A CRD applied by hand from
 * crd-all.gen.yaml carries only `chart: istio`, so then the schema tells a range: the spec fields
 * and enum values it has (each appeared in a known release) and those it lacks.
 */
export interface CrdIstioVersion {
  /** "1.30.3", "1.27 or newer", "1.22 to 1.26", "before 1.20". */
  text: string;
  /** Where it was read: a label, or the schema. */
  source: string;
  /** The oldest minor it can be (for comparing with a project's target). */
  minMinor: Minor;
  /** The newest minor it can be, when the schema rules newer ones out. */
  maxMinor: Minor | undefined;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const versionLabels = ['app.kubernetes.io/version', 'operator.istio.io/version'];

function fromLabels(labels: Obj): CrdIstioVersion | undefined {
  for (const label of versionLabels) {
    const value = labels[label];
    const match = typeof value === 'string' ? /^v?1\.(\d+)(\.\d+)?(?:[-+].*)?$/.exec(value) : null;
    if (match) return exact(value as string, Number(match[1]), `label ${label}`);
  }
  const chart = labels['helm.sh/chart'];
  const match = typeof chart === 'string' ? /^base-(1\.(\d+)(?:\.\d+)?)/.exec(chart) : null;
  if (match) return exact(match[1] as string, Number(match[2]), 'label helm.sh/chart');
  return undefined;
}

function exact(text: string, minor: Minor, source: string): CrdIstioVersion {
  return { text: text.replace(/^v/, ''), source, minMinor: minor, maxMinor: minor };
}

/** The spec schema of the served storage version (or the first served one). */
function specSchema(crd: Obj): Obj | undefined {
  const spec = isObject(crd.spec) ? crd.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  const version = versions.find((v) => v.served !== false && v.storage === true) ?? versions.find((v) => v.served !== false);
  const schema = isObject(version?.schema) && isObject(version.schema.openAPIV3Schema) ? version.schema.openAPIV3Schema : undefined;
  const specProperty = schema && isObject(schema.properties) && isObject(schema.properties.spec) ? schema.properties.spec : undefined;
  return specProperty && isObject(specProperty.properties) ? specProperty : undefined;
}

function range(lo: Minor, hi: Minor | undefined, source: string): CrdIstioVersion {
  const text = hi === undefined ? `1.${lo} or newer` : hi === lo ? `1.${lo}` : `1.${lo} to 1.${hi}`;
  return { text, source, minMinor: lo, maxMinor: hi };
}

function wasmPluginFromSchema(crd: Obj): CrdIstioVersion {
  const spec = specSchema(crd);
  // Before 1.20 the CRD had no structural schema for spec (x-kubernetes-preserve-unknown-fields).
  if (!spec) return { text: 'before 1.20', source: 'no schema', minMinor: 12, maxMinor: ruleSince.crdSchema - 1 };
  const properties = spec.properties as Obj;
  let lo: Minor = ruleSince.crdSchema;
  let hi: Minor | undefined;
  const present = (minor: Minor) => (lo = Math.max(lo, minor));
  const absent = (minor: Minor) => (hi = Math.min(hi ?? Number.POSITIVE_INFINITY, minor - 1));
  for (const [field, minor] of Object.entries(specFieldSince)) (field in properties ? present : absent)(minor);
  for (const [field, values] of Object.entries(enumValues)) {
    if (field.includes('.')) continue;
    const property = properties[field];
    const listed = isObject(property) && Array.isArray(property.enum) ? (property.enum as unknown[]) : undefined;
    if (!listed) continue;
    for (const [value, minor] of Object.entries(values as Record<string, Minor>)) (listed.includes(value) ? present : absent)(minor);
  }
  // 1.24 added the spec-level CEL rule "only one of targetRefs or selector can be set".
  if (Array.isArray(spec['x-kubernetes-validations']) && spec['x-kubernetes-validations'].length > 0) present(ruleSince.crdTargetRefsCapAndOneOf);
  return range(lo, hi !== undefined && hi >= lo ? hi : undefined, 'its schema');
}

/** The Istio version a WasmPlugin or TrafficExtension CRD comes from. */
export function crdIstioVersion(crd: unknown): CrdIstioVersion {
  const object = isObject(crd) ? crd : {};
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const labelled = fromLabels(isObject(metadata.labels) ? metadata.labels : {});
  if (labelled) return labelled;
  const spec = isObject(object.spec) ? object.spec : {};
  const names = isObject(spec.names) ? spec.names : {};
  if (names.kind === 'TrafficExtension') return range(kindSince.TrafficExtension, undefined, 'the kind exists');
  return wasmPluginFromSchema(object);
}
