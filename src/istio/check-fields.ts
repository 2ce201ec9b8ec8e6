import {
  enumValues,
  enumValuesFor,
  limits,
  nestedFields,
  ruleSince,
  since,
  targetRefKindsFor,
  type EnumName,
  type IstioTarget,
  type SpecField,
  targetRefGroupRequiredIn,
} from './versions.js';
import { parsePluginUrl } from './url.js';
import type { Problem } from './problem.js';
import { labelKeyProblem, labelValueProblem } from '../project/names.js';

/**
 * The field checks both plugin kinds share, each taking the path of the object it checks (`spec`
 * for a WasmPlugin, `spec.wasm` for a TrafficExtension's module fields): the CRD's openAPIV3Schema
 * and x-kubernetes-validations (from 1.20, when the WasmPlugin CRD got a schema), istiod's
 * validation webhook, and the Kubernetes object rules for metadata. Each error names the field
 * path and what is allowed.
 */
export type Obj = Record<string, unknown>;

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

/** `spec.selector.matchLabels["istio.io/rev"]` for keys that are not plain identifiers. */
export function keyPath(base: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class Checker {
  readonly errors: Problem[] = [];
  constructor(
    readonly target: IstioTarget,
    /** The kind being checked, for messages. */
    readonly kind: string = 'WasmPlugin',
  ) {}

  error(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  has(minor: number): boolean {
    return since(this.target, minor);
  }

  get version(): string {
    return `Istio ${this.target.text}`;
  }

  string(path: string, value: unknown, opts: { min?: number; max?: number; minSince?: number; maxSince?: number } = {}): value is string {
    if (typeof value !== 'string') {
      this.error(path, `must be a string, not ${typeName(value)}`);
      return false;
    }
    const { min, max } = opts;
    if (min !== undefined && value.length < min && this.has(opts.minSince ?? ruleSince.crdSchema)) {
      this.error(path, min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
    }
    if (max !== undefined && value.length > max && this.has(opts.maxSince ?? ruleSince.crdSchema)) {
      this.error(path, `must be at most ${max} characters (it has ${value.length})`);
    }
    return true;
  }

  enumValue(path: string, value: unknown, name: EnumName): void {
    if (typeof value !== 'string') {
      this.error(path, `must be a string, one of ${enumValuesFor(name, this.target).join(', ')}; got ${typeName(value)}`);
      return;
    }
    const allowed = enumValuesFor(name, this.target);
    if (allowed.includes(value)) return;
    const introduced = (enumValues[name] as Record<string, number>)[value];
    if (introduced !== undefined) {
      this.error(path, `"${value}" needs Istio 1.${introduced} or newer (target is ${this.target.text}); allowed: ${allowed.join(', ')}`);
    } else {
      this.error(path, `"${value}" is not allowed; allowed: ${allowed.join(', ')}`);
    }
  }

  unknownFields(path: string, value: Obj, known: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) this.error(path === '' ? keyPath('', key).replace(/^\./, '') : keyPath(path, key), `unknown field; allowed here: ${known.join(', ')}`);
    }
  }
}

const topLevelFields = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
/** Kubernetes ObjectMeta (what a client may send; the server sets the rest and ignores none). */
const objectMetaFields = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'];

export function checkMetadata(c: Checker, metadata: unknown): void {
  if (!isObject(metadata)) {
    c.error('metadata', metadata === undefined ? 'is required (with name and namespace)' : `must be a mapping, not ${typeName(metadata)}`);
    return;
  }
  c.unknownFields('metadata', metadata, objectMetaFields);
  const { name, generateName, namespace, labels, annotations } = metadata;
  if (name === undefined) {
    if (generateName === undefined) c.error('metadata.name', 'is required');
  } else if (c.string('metadata.name', name)) {
    if (name.length === 0 || name.length > 253 || !dns1123Subdomain.test(name)) {
      c.error('metadata.name', `"${name}" must be a DNS-1123 subdomain: lower-case letters, digits, "-" and ".", at most 253, starting and ending with a letter or digit`);
    }
  }
  if (namespace !== undefined && c.string('metadata.namespace', namespace)) {
    if (namespace.length > 63 || !dns1123Label.test(namespace)) {
      c.error('metadata.namespace', `"${namespace}" must be a namespace name (DNS-1123 label: lower-case letters, digits, "-", at most 63)`);
    }
  }
  if (labels !== undefined) {
    if (!isObject(labels)) c.error('metadata.labels', `must be a mapping of label keys to values, not ${typeName(labels)}`);
    else {
      for (const [k, v] of Object.entries(labels)) {
        const path = keyPath('metadata.labels', k);
        const keyProblem = labelKeyProblem(k);
        if (keyProblem) c.error(path, keyProblem);
        if (typeof v !== 'string') c.error(path, `label values must be strings, not ${typeName(v)} (quote it)`);
        else {
          const valueProblem = labelValueProblem(v);
          if (valueProblem) c.error(path, valueProblem);
        }
      }
    }
  }
  if (annotations !== undefined) {
    if (!isObject(annotations)) c.error('metadata.annotations', `must be a mapping, not ${typeName(annotations)}`);
    else {
      for (const [k, v] of Object.entries(annotations)) {
        if (typeof v !== 'string') c.error(keyPath('metadata.annotations', k), `annotation values must be strings, not ${typeName(v)} (quote it)`);
      }
      if ('istio.io/dry-run' in annotations) {
        c.error(keyPath('metadata.annotations', 'istio.io/dry-run'), `istiod refuses the istio.io/dry-run annotation on a ${c.kind} (only AuthorizationPolicy supports it); remove it`);
      }
    }
  }
}

export function checkPriority(c: Checker, value: unknown): void {
  if (value === null) return; // nullable
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    c.error('spec.priority', `must be an integer, not ${typeName(value)}`);
    return;
  }
  const int32 = c.has(limits.priorityInt32Since);
  const [min, max] = int32 ? [-(2 ** 31), 2 ** 31 - 1] : [-(2 ** 63), 2 ** 63 - 1];
  if (value < min || value > max) {
    c.error('spec.priority', `must fit a ${int32 ? '32' : '64'}-bit signed integer (${min} to ${max}) in ${c.version}`);
  }
}

export function checkVmConfig(c: Checker, base: string, vmConfig: unknown): void {
  if (!isObject(vmConfig)) {
    c.error(`${base}.vmConfig`, `must be a mapping with env, not ${typeName(vmConfig)}`);
    return;
  }
  c.unknownFields(`${base}.vmConfig`, vmConfig, nestedFields.vmConfig);
  const env = vmConfig.env;
  if (env === undefined || env === null) return;
  if (!Array.isArray(env)) {
    c.error(`${base}.vmConfig.env`, `must be a list of {name, value, valueFrom}, not ${typeName(env)}`);
    return;
  }
  if (env.length > limits.envMaxItems && c.has(ruleSince.crdSchema)) {
    c.error(`${base}.vmConfig.env`, `must have at most ${limits.envMaxItems} items (it has ${env.length})`);
  }
  const seen = new Map<string, number>();
  env.forEach((item, i) => {
    const path = `${base}.vmConfig.env[${i}]`;
    if (item === null) {
      // istiod skips null entries; the CRD's schema (1.20+) wants a mapping.
      if (c.has(ruleSince.crdSchema)) c.error(path, 'must be a mapping {name, value, valueFrom}, not null (the CRD refuses null entries)');
      return;
    }
    if (!isObject(item)) {
      c.error(path, `must be a mapping {name, value, valueFrom}, not ${typeName(item)}`);
      return;
    }
    c.unknownFields(path, item, nestedFields['vmConfig.env']);
    if (item.name === undefined || item.name === '') {
      c.error(`${path}.name`, 'is required and must not be empty (istiod: "spec.vmConfig.env invalid")');
    } else if (c.string(`${path}.name`, item.name, { max: limits.envNameMaxLength })) {
      const first = seen.get(item.name);
      if (first !== undefined) {
        c.error(`${path}.name`, `duplicate env name "${item.name}" (also ${base}.vmConfig.env[${first}]); names must be unique`);
      } else seen.set(item.name, i);
    }
    if (item.valueFrom !== undefined) c.enumValue(`${path}.valueFrom`, item.valueFrom, 'vmConfig.env.valueFrom');
    if (item.value !== undefined) c.string(`${path}.value`, item.value, { max: limits.envValueMaxLength });
    if (item.valueFrom === 'HOST') {
      // istiod refuses a non-empty value; the CRD rule (1.20+) refuses any value at all.
      const refused = c.has(ruleSince.crdSchema) ? item.value !== undefined : typeof item.value === 'string' && item.value !== '';
      if (refused) c.error(`${path}.value`, 'must be absent when valueFrom is HOST (the value comes from the proxy\'s environment); value may only be set when valueFrom is INLINE');
    }
  });
}

export function checkMatch(c: Checker, match: unknown): void {
  if (!Array.isArray(match)) {
    c.error('spec.match', `must be a list of {mode, ports}, not ${typeName(match)}`);
    return;
  }
  match.forEach((sel, i) => {
    const path = `spec.match[${i}]`;
    if (sel === null) {
      c.error(path, 'must not be null (istiod refuses null match entries)');
      return;
    }
    if (!isObject(sel)) {
      c.error(path, `must be a mapping {mode, ports}, not ${typeName(sel)}`);
      return;
    }
    c.unknownFields(path, sel, nestedFields.match);
    if (sel.mode !== undefined) c.enumValue(`${path}.mode`, sel.mode, 'match.mode');
    if (sel.ports === undefined || sel.ports === null) return;
    if (!Array.isArray(sel.ports)) {
      c.error(`${path}.ports`, `must be a list of {number}, not ${typeName(sel.ports)}`);
      return;
    }
    const seen = new Map<number, number>();
    sel.ports.forEach((port, j) => {
      const ppath = `${path}.ports[${j}]`;
      if (port === null) {
        c.error(ppath, 'must not be null (istiod refuses null port entries)');
        return;
      }
      if (!isObject(port)) {
        c.error(ppath, `must be a mapping {number: <port>}, not ${typeName(port)}`);
        return;
      }
      c.unknownFields(ppath, port, nestedFields['match.ports']);
      const n = port.number;
      if (n === undefined) {
        // istiod reads a missing number as 0, which is out of range.
        c.error(`${ppath}.number`, `is required: a port from ${limits.portMin} to ${limits.portMax}`);
        return;
      }
      if (typeof n !== 'number' || !Number.isInteger(n)) {
        c.error(`${ppath}.number`, `must be an integer port from ${limits.portMin} to ${limits.portMax}, not ${typeName(n)}`);
        return;
      }
      if (n < limits.portMin || n > limits.portMax) {
        c.error(`${ppath}.number`, `${n} is out of range: a port from ${limits.portMin} to ${limits.portMax}`);
        return;
      }
      const first = seen.get(n);
      if (first !== undefined && c.has(ruleSince.crdSchema)) {
        c.error(`${ppath}.number`, `duplicate port ${n} (also ${path}.ports[${first}]); ports must be unique within a match`);
      } else if (first === undefined) seen.set(n, j);
    });
  });
}

export function checkSelector(c: Checker, selector: unknown): void {
  if (!isObject(selector)) {
    c.error('spec.selector', `must be a mapping with matchLabels, not ${typeName(selector)}`);
    return;
  }
  c.unknownFields('spec.selector', selector, nestedFields.selector);
  const labels = selector.matchLabels;
  if (labels === undefined || labels === null) return;
  if (!isObject(labels)) {
    c.error('spec.selector.matchLabels', `must be a mapping of label keys to values, not ${typeName(labels)}`);
    return;
  }
  const entries = Object.entries(labels);
  if (entries.length > limits.matchLabelsMaxProperties && c.has(ruleSince.crdLabelAndTargetRefPatterns)) {
    c.error('spec.selector.matchLabels', `must have at most ${limits.matchLabelsMaxProperties} labels (it has ${entries.length})`);
  }
  for (const [key, value] of entries) {
    const path = keyPath('spec.selector.matchLabels', key);
    if (key === '') c.error(path, 'label key must not be empty');
    if (key.includes('*')) c.error(path, `wildcard not allowed in label key match ("${key}")`);
    if (typeof value !== 'string') {
      c.error(path, `label value must be a string, not ${typeName(value)} (quote it)`);
      continue;
    }
    if (value.includes('*')) c.error(path, `wildcard not allowed in label value match ("${value}")`);
    if (value.length > limits.labelValueMaxLength && c.has(ruleSince.crdLabelAndTargetRefPatterns)) {
      c.error(path, `label value must be at most ${limits.labelValueMaxLength} characters (it has ${value.length})`);
    }
  }
}

export function checkTargetRef(c: Checker, path: string, ref: unknown): void {
  if (!isObject(ref)) {
    c.error(path, `must be a mapping {group, kind, name}, not ${typeName(ref)}`);
    return;
  }
  c.unknownFields(path, ref, nestedFields.targetRef);
  if (ref.group === undefined && c.kind === 'WasmPlugin' && targetRefGroupRequiredIn.includes(c.target.minor)) {
    c.error(`${path}.group`, `is required by the WasmPlugin CRD of Istio 1.${c.target.minor} (its rule on kinds reads group): write group: "" for a Service, gateway.networking.k8s.io for a Gateway`);
  }
  const patterns = c.has(ruleSince.crdLabelAndTargetRefPatterns);
  let group = '';
  if (ref.group !== undefined && c.string(`${path}.group`, ref.group, { max: limits.targetRefGroupMaxLength, maxSince: ruleSince.crdLabelAndTargetRefPatterns })) {
    group = ref.group;
    if (patterns && !new RegExp(limits.targetRefGroupPattern).test(group)) {
      c.error(`${path}.group`, `"${group}" must be empty or a DNS subdomain (lower-case letters, digits, "-", ".")`);
    }
  }
  let kind: string | undefined;
  if (ref.kind === undefined) c.error(`${path}.kind`, 'is required');
  else if (c.string(`${path}.kind`, ref.kind, { min: 1, max: limits.targetRefKindMaxLength, minSince: ruleSince.crdLabelAndTargetRefPatterns, maxSince: ruleSince.crdLabelAndTargetRefPatterns })) {
    kind = ref.kind;
    if (patterns && kind !== '' && !new RegExp(limits.targetRefKindPattern).test(kind)) {
      c.error(`${path}.kind`, `"${kind}" must start with a letter and hold only letters, digits and "-"`);
    }
  }
  if (ref.name === undefined || ref.name === '') c.error(`${path}.name`, 'is required and must not be empty (istiod: "targetRef name must be set")');
  else c.string(`${path}.name`, ref.name, { max: limits.targetRefNameMaxLength, maxSince: ruleSince.crdLabelAndTargetRefPatterns });
  if (ref.namespace !== undefined && ref.namespace !== '') {
    c.error(`${path}.namespace`, 'must not be set: cross namespace referencing is not supported (the target must be in the ${c.kind}\'s namespace)');
  }
  if (kind !== undefined) {
    const allowed = targetRefKindsFor(c.target);
    if (!allowed.some((a) => a.kind === kind && a.group === group)) {
      const list = allowed.map((a) => `${a.kind} (group "${a.group}")`).join(', ');
      const sameKind = allowed.find((a) => a.kind === kind);
      const hint = sameKind ? `; ${kind} needs group "${sameKind.group}"` : '';
      c.error(`${path}.kind`, `${group ? `${group}/` : ''}${kind} is not a target ${c.version} supports${hint}; allowed: ${list}`);
    }
  }
}

/**
 * The module's fields, on `base` (`spec` for a WasmPlugin, `spec.wasm` for a TrafficExtension):
 * url (required; istiod parses it strictly, the CRD adds minLength and the same parse as CEL),
 * sha256, pull policy and Secret, pluginConfig, pluginName, failStrategy, type and vmConfig.
 * `present` says whether a field is set and known to the target version.
 */
export function checkModuleFields(c: Checker, base: string, module: Obj, present: (field: SpecField) => boolean): void {
  const at = (field: string) => `${base}.${field}`;
  if (module.url === undefined || module.url === null) {
    c.error(at('url'), 'is required: oci://registry/repository:tag, https://…/plugin.wasm or file:///path/plugin.wasm');
  } else if (c.string(at('url'), module.url)) {
    if (module.url.length === 0) c.error(at('url'), 'must not be empty (istiod: "url field needs to be set")');
    else {
      const parsed = parsePluginUrl(module.url);
      if (!parsed.ok) {
        c.error(at('url'), `cannot be parsed as a URL (${parsed.error}); use oci://, http://, https:// or file://`);
      } else if (!(limits.urlSchemes as readonly string[]).includes(parsed.url.scheme)) {
        c.error(at('url'), `scheme "${parsed.url.scheme}" is not supported; allowed: oci, http, https, file, or none (= oci)${/^[a-z0-9.-]+$/.test(parsed.url.scheme) ? ` — "${module.url}" reads "${parsed.url.scheme}" as the scheme: write oci://${module.url}` : ''}`);
      }
    }
  }
  if (present('sha256') && c.string(at('sha256'), module.sha256)) {
    if (!new RegExp(limits.sha256Pattern).test(module.sha256)) {
      c.error(at('sha256'), 'must be empty or 64 lower-case hex digits (no "sha256:" prefix)');
    }
  }
  if (present('imagePullPolicy')) c.enumValue(at('imagePullPolicy'), module.imagePullPolicy, 'imagePullPolicy');
  if (present('imagePullSecret')) c.string(at('imagePullSecret'), module.imagePullSecret, { min: 1, max: limits.imagePullSecretMaxLength });
  if (present('verificationKey')) c.string(at('verificationKey'), module.verificationKey);
  if (present('pluginConfig') && !isObject(module.pluginConfig)) {
    c.error(at('pluginConfig'), `must be a mapping (it is handed to the plugin as a JSON object), not ${typeName(module.pluginConfig)}`);
  }
  if (present('pluginName')) c.string(at('pluginName'), module.pluginName, { min: 1, max: limits.pluginNameMaxLength });
  if (present('failStrategy')) c.enumValue(at('failStrategy'), module.failStrategy, 'failStrategy');
  if (present('type')) c.enumValue(at('type'), module.type, 'type');
  if (present('vmConfig')) checkVmConfig(c, base, module.vmConfig);
}

/**
 * The envelope every plugin resource shares: a mapping, apiVersion, metadata and a `spec` mapping.
 * Returns the spec to check further, or undefined when there is none (the error is recorded).
 */
export function checkEnvelope(c: Checker, doc: unknown, apiVersion: string, specHint: string): Obj | undefined {
  if (!isObject(doc)) {
    c.error('', `a ${c.kind} must be a mapping, not ${typeName(doc)}`);
    return undefined;
  }
  if (doc.apiVersion !== apiVersion) {
    c.error('apiVersion', `must be ${apiVersion} (the only ${c.kind} API version), not ${JSON.stringify(doc.apiVersion)}`);
  }
  // kubectl apply asks for strict field validation: the API server refuses fields it does not know.
  c.unknownFields('', doc, topLevelFields);
  checkMetadata(c, doc.metadata);
  if (doc.spec === undefined || doc.spec === null) {
    c.error('spec', `is required${specHint}`);
    return undefined;
  }
  if (!isObject(doc.spec)) {
    c.error('spec', `must be a mapping, not ${typeName(doc.spec)}`);
    return undefined;
  }
  return doc.spec;
}
