import { parseRequestUri } from '../../src/istio/url.js';

/**
 * A small evaluator of a CRD's structural openAPIV3Schema as the API server applies it (types,
 * enums, lengths in characters, patterns, item and property caps, required fields, numeric ranges,
 * list-map keys, oneOf, unknown fields) plus its x-kubernetes-validations. CEL is not interpreted:
 * each rule's text is looked up in `celRules`, so a CRD with a rule this file does not know fails
 * the test that uses it instead of passing unchecked. Used to check that `validate` agrees with the
 * CRD file itself, not with a copy of its rules.
 */
type Schema = Record<string, any>;
export interface SchemaError {
  path: string;
  rule: string;
}

const has = (o: unknown, key: string) => typeof o === 'object' && o !== null && !Array.isArray(o) && (o as Record<string, unknown>)[key] !== undefined && (o as Record<string, unknown>)[key] !== null;

/** CEL's isURL: Go's url.ParseRequestURI succeeds (src/istio/url.ts is a port of it). */
const isURL = (s: string) => parseRequestUri(s).ok;
const urlScheme = (s: string) => (parseRequestUri(s) as { ok: true; url: { scheme: string } }).url.scheme;

/** The CEL rules of Istio's extension CRDs, by their text (whitespace collapsed). */
export const celRules: Record<string, (self: any) => boolean> = {
  '!self.contains("*")': (self: string) => !self.includes('*'),
  'self.all(key, !key.contains("*"))': (self: Record<string, unknown>) => Object.keys(self).every((k) => !k.includes('*')),
  'self.all(key, key.size() != 0)': (self: Record<string, unknown>) => Object.keys(self).every((k) => k.length !== 0),
  'self.size() == 0': (self: string) => [...self].length === 0,
  'isURL(self) ? (url(self).getScheme() in ["", "http", "https", "file", "oci"]) : (isURL("http://" + self) && url("http://" + self).getScheme() in ["", "http", "https", "file", "oci"])': (self: string) => {
    const schemes = ['', 'http', 'https', 'file', 'oci'];
    if (isURL(self)) return schemes.includes(urlScheme(self));
    return isURL(`http://${self}`) && schemes.includes(urlScheme(`http://${self}`));
  },
  '(has(self.valueFrom) ? self.valueFrom : "") != "HOST" || !has(self.value)': (self: Record<string, unknown>) => (has(self, 'valueFrom') ? self.valueFrom : '') !== 'HOST' || !has(self, 'value'),
  '(has(self.selector) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1': (self: Record<string, unknown>) => (has(self, 'selector') ? 1 : 0) + (has(self, 'targetRefs') ? 1 : 0) <= 1,
  '(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1': (self: Record<string, unknown>) =>
    (has(self, 'selector') ? 1 : 0) + (has(self, 'targetRef') ? 1 : 0) + (has(self, 'targetRefs') ? 1 : 0) <= 1,
  'has(self.wasm) != has(self.lua)': (self: Record<string, unknown>) => has(self, 'wasm') !== has(self, 'lua'),
};

const normalize = (rule: string) => rule.replace(/\s+/g, ' ').trim();

function typeOk(schema: Schema, value: unknown): boolean {
  switch (schema.type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case undefined:
      return true;
    default:
      return typeof value === schema.type;
  }
}

/** Errors of `value` against `schema`, as the API server would find them. */
export function schemaErrors(schema: Schema, value: unknown, path = ''): SchemaError[] {
  const errors: SchemaError[] = [];
  const fail = (rule: string, at = path) => errors.push({ path: at, rule });
  if (value === null) {
    if (!schema.nullable) fail('null'); // the API server drops nulls of non-nullable fields only in some cases; the table avoids them
    return errors;
  }
  if (!typeOk(schema, value)) {
    fail(`type ${schema.type}`);
    return errors;
  }
  if (schema.enum && !schema.enum.includes(value)) fail('enum');
  if (typeof value === 'string') {
    const chars = [...value].length;
    if (schema.minLength !== undefined && chars < schema.minLength) fail('minLength');
    if (schema.maxLength !== undefined && chars > schema.maxLength) fail('maxLength');
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) fail('pattern');
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) fail('minimum');
    if (schema.maximum !== undefined && value > schema.maximum) fail('maximum');
    if (schema.format === 'int32' && (value < -(2 ** 31) || value > 2 ** 31 - 1)) fail('int32');
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) fail('maxItems');
    const keys = schema['x-kubernetes-list-map-keys'] as string[] | undefined;
    if (keys) {
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const key = JSON.stringify(keys.map((k) => (item as Record<string, unknown> | null)?.[k]));
        if (seen.has(key)) fail('duplicate list-map key', `${path}[${i}]`);
        seen.add(key);
      });
    }
    value.forEach((item, i) => errors.push(...schemaErrors(schema.items ?? {}, item, `${path}[${i}]`)));
  } else if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (schema.maxProperties !== undefined && Object.keys(obj).length > schema.maxProperties) fail('maxProperties');
    for (const req of (schema.required ?? []) as string[]) if (obj[req] === undefined) fail('required', `${path}.${req}`);
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [key, child] of Object.entries(obj)) {
      const at = path ? `${path}.${key}` : key;
      if (props[key]) errors.push(...schemaErrors(props[key], child, at));
      else if (schema.additionalProperties) errors.push(...schemaErrors(schema.additionalProperties, child, at));
      else if (!schema['x-kubernetes-preserve-unknown-fields'] && schema.properties) fail('unknown field', at);
    }
    if (schema.oneOf) {
      const matching = (schema.oneOf as Schema[]).filter((alt) => oneOfMatches(alt, obj)).length;
      if (matching !== 1) fail('oneOf');
    }
  }
  for (const validation of (schema['x-kubernetes-validations'] ?? []) as Array<{ rule: string; message: string }>) {
    const rule = celRules[normalize(validation.rule)];
    if (!rule) throw new Error(`unknown CEL rule in the CRD: ${validation.rule}`);
    if (!rule(value)) fail(`CEL: ${validation.message}`);
  }
  return errors;
}

/** The structural oneOf alternatives CRDs use: required lists and not/anyOf of them. */
function oneOfMatches(alt: Schema, obj: Record<string, unknown>): boolean {
  if (alt.required) return (alt.required as string[]).every((k) => obj[k] !== undefined);
  if (alt.not?.anyOf) return !(alt.not.anyOf as Schema[]).some((a) => oneOfMatches(a, obj));
  throw new Error(`unknown oneOf alternative: ${JSON.stringify(alt)}`);
}
