import { Checker, checkEnvelope, checkMatch, checkModuleFields, checkPriority, checkSelector, checkTargetRef, isObject, keyPath, typeName, type Obj } from './check-fields.js';
import { kindAvailable, pluginApiVersion } from './kinds.js';
import type { ResourceCheck } from './problem.js';
import { trapWarnings, type TrapContext } from './traps.js';
import { kindSince, limits, trafficExtensionFields, type IstioTarget, type SpecField } from './versions.js';

/**
 * A TrafficExtension (Istio 1.30+) checked as its CRD (schema + CEL rules) and istiod's
 * ValidateTrafficExtension check it: exactly one of wasm or lua; selector or targetRefs (never
 * both, no singular targetRef); the module's fields under `spec.wasm` by the same rules as a
 * WasmPlugin's; inline Lua of 1..65536 characters (istiod: at most 64 KiB). Before 1.30 the kind
 * does not exist, and that is the one error.
 */
export function checkTrafficExtension(doc: unknown, target: IstioTarget, context: TrapContext = {}): ResourceCheck {
  const c = new Checker(target, 'TrafficExtension');
  if (!kindAvailable('TrafficExtension', target)) {
    c.error('kind', `TrafficExtension does not exist in Istio ${target.text}: it arrived in Istio 1.${kindSince.TrafficExtension} (kubectl apply fails with "no matches for kind"); use a WasmPlugin for this version, or target 1.${kindSince.TrafficExtension} or newer`);
    return { errors: c.errors, warnings: [] };
  }
  const spec = checkEnvelope(c, doc, pluginApiVersion, ' (with wasm or lua)');
  if (!spec) return { errors: c.errors, warnings: [] };
  checkSpec(c, spec);
  const warnings = isObject(spec.wasm) ? trapWarnings(spec.wasm, 'spec.wasm', spec, target, context) : [];
  return { errors: c.errors, warnings };
}

const moduleFields = trafficExtensionFields.wasm as readonly string[];
const set = (value: unknown) => value !== undefined && value !== null;

function checkSpec(c: Checker, spec: Obj): void {
  const known = trafficExtensionFields.spec as readonly string[];
  for (const key of Object.keys(spec)) {
    if (known.includes(key)) continue;
    const path = keyPath('spec', key);
    if (key === 'targetRef') c.error(path, 'a TrafficExtension has no singular targetRef: write it as targetRefs, a list of one');
    else if (moduleFields.includes(key)) c.error(path, `belongs under spec.wasm in a TrafficExtension (spec.wasm.${key})`);
    else c.error(path, `unknown field; a TrafficExtension spec has: ${known.join(', ')}`);
  }

  if (set(spec.phase)) {
    if (spec.phase === 'UNSPECIFIED_PHASE') c.error('spec.phase', '"UNSPECIFIED_PHASE" is the WasmPlugin spelling; a TrafficExtension says UNSPECIFIED (allowed: UNSPECIFIED, AUTHN, AUTHZ, STATS)');
    else c.enumValue('spec.phase', spec.phase, 'trafficExtension.phase');
  }
  if (spec.priority !== undefined) checkPriority(c, spec.priority);
  if (set(spec.match)) checkMatch(c, spec.match);
  if (set(spec.selector)) checkSelector(c, spec.selector);
  if (set(spec.targetRefs)) {
    if (!Array.isArray(spec.targetRefs)) c.error('spec.targetRefs', `must be a list of {group, kind, name}, not ${typeName(spec.targetRefs)}`);
    else {
      if (spec.targetRefs.length > limits.targetRefsMaxItems) c.error('spec.targetRefs', `must have at most ${limits.targetRefsMaxItems} items (it has ${spec.targetRefs.length})`);
      spec.targetRefs.forEach((ref, i) => checkTargetRef(c, `spec.targetRefs[${i}]`, ref));
    }
  }
  // The CRD's rule counts a field that is present, an empty targetRefs list too (istiod alone would not).
  if (set(spec.selector) && set(spec.targetRefs)) {
    c.error('spec.targetRefs', 'only one of targetRefs or selector can be set; use selector for sidecars and classic gateways, targetRefs for Gateway API gateways and waypoints');
  }

  const hasWasm = set(spec.wasm);
  const hasLua = set(spec.lua);
  if (!hasWasm && !hasLua) c.error('spec', 'exactly one of wasm or lua must be set (neither is)');
  if (hasWasm && hasLua) c.error('spec.lua', 'exactly one of wasm or lua must be set (both are): a TrafficExtension is one filter');
  if (hasWasm) checkWasm(c, spec.wasm);
  if (hasLua) checkLua(c, spec.lua);
}

function checkWasm(c: Checker, wasm: unknown): void {
  if (!isObject(wasm)) {
    c.error('spec.wasm', `must be a mapping with url (and the module's other fields), not ${typeName(wasm)}`);
    return;
  }
  c.unknownFields('spec.wasm', wasm, moduleFields);
  checkModuleFields(c, 'spec.wasm', wasm, (field: SpecField) => moduleFields.includes(field) && wasm[field] !== undefined);
}

function checkLua(c: Checker, lua: unknown): void {
  if (!isObject(lua)) {
    c.error('spec.lua', `must be a mapping with inlineCode, not ${typeName(lua)}`);
    return;
  }
  c.unknownFields('spec.lua', lua, trafficExtensionFields.lua);
  const code = lua.inlineCode;
  if (code === undefined || code === null) {
    c.error('spec.lua.inlineCode', 'is required: the Lua source (function envoy_on_request(handle) … end)');
    return;
  }
  if (!c.string('spec.lua.inlineCode', code)) return;
  // The CRD counts characters (code points), istiod bytes.
  const characters = [...code].length;
  const bytes = Buffer.byteLength(code, 'utf8');
  const max = limits.luaInlineCodeMaxLength;
  if (characters === 0) c.error('spec.lua.inlineCode', 'must not be empty');
  else if (characters > max) c.error('spec.lua.inlineCode', `must be at most ${max} characters (it has ${characters})`);
  else if (bytes > max) c.error('spec.lua.inlineCode', `must be at most 64 KiB: istiod counts bytes, and it has ${bytes} in UTF-8 (${characters} characters)`);
}
