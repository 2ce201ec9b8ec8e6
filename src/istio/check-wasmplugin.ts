import { Checker, checkEnvelope, checkMatch, checkModuleFields, checkPriority, checkSelector, checkTargetRef, keyPath, typeName, type Obj } from './check-fields.js';
import { pluginApiVersion } from './kinds.js';
import type { ResourceCheck } from './problem.js';
import { trapWarnings, type TrapContext } from './traps.js';
import { limits, ruleSince, specFieldSince, type IstioTarget, type SpecField } from './versions.js';

/**
 * A WasmPlugin checked the way a cluster running the target Istio would check it: every field by
 * the version that introduced it, the CRD schema from 1.20, istiod's rules in every version.
 * Warnings (traps.ts) are what a cluster accepts but what breaks at run time.
 */
export function checkWasmPlugin(doc: unknown, target: IstioTarget, context: TrapContext = {}): ResourceCheck {
  const c = new Checker(target, 'WasmPlugin');
  const spec = checkEnvelope(c, doc, pluginApiVersion, '');
  if (!spec) return { errors: c.errors, warnings: [] };
  checkSpec(c, spec);
  return { errors: c.errors, warnings: trapWarnings(spec, 'spec', spec, target, context) };
}

const specFields = Object.keys(specFieldSince) as SpecField[];

function checkSpec(c: Checker, spec: Obj): void {
  for (const key of Object.keys(spec)) {
    const introduced = (specFieldSince as Record<string, number>)[key];
    if (introduced === undefined) {
      const known = specFields.filter((f) => c.has(specFieldSince[f]));
      c.error(keyPath('spec', key), `unknown field; a WasmPlugin spec in ${c.version} has: ${known.join(', ')}`);
    } else if (!c.has(introduced)) {
      c.error(keyPath('spec', key), `needs Istio 1.${introduced} or newer (target is ${c.target.text}); remove it or target a newer Istio`);
    }
  }
  const present = (field: SpecField) => spec[field] !== undefined && c.has(specFieldSince[field]);
  checkModuleFields(c, 'spec', spec, present);
  if (present('phase')) c.enumValue('spec.phase', spec.phase, 'phase');
  if (present('priority')) checkPriority(c, spec.priority);
  if (present('match')) checkMatch(c, spec.match);
  if (present('selector')) checkSelector(c, spec.selector);
  if (present('targetRef')) checkTargetRef(c, 'spec.targetRef', spec.targetRef);
  if (present('targetRefs')) {
    if (!Array.isArray(spec.targetRefs)) c.error('spec.targetRefs', `must be a list of {group, kind, name}, not ${typeName(spec.targetRefs)}`);
    else {
      if (spec.targetRefs.length > limits.targetRefsMaxItems && c.has(ruleSince.crdTargetRefsCapAndOneOf)) {
        c.error('spec.targetRefs', `must have at most ${limits.targetRefsMaxItems} items (it has ${spec.targetRefs.length})`);
      }
      spec.targetRefs.forEach((ref, i) => checkTargetRef(c, `spec.targetRefs[${i}]`, ref));
    }
  }
  checkOneOf(c, spec);
}

function checkOneOf(c: Checker, spec: Obj): void {
  const fields = ['selector', 'targetRef', 'targetRefs'] as const;
  const present = (f: (typeof fields)[number]) => spec[f] !== undefined && spec[f] !== null && c.has(specFieldSince[f]);
  // The CRD's rule (1.24+) counts a present field, an empty targetRefs list too; istiod only non-empty ones.
  const set = fields.filter(present);
  const setForIstiod = set.filter((f) => !(f === 'targetRefs' && Array.isArray(spec[f]) && spec[f].length === 0));
  if (set.length < 2) return;
  const withTargetRefs = setForIstiod.includes('targetRefs');
  const refused =
    c.has(ruleSince.crdTargetRefsCapAndOneOf) ||
    (setForIstiod.length >= 2 && withTargetRefs && c.has(ruleSince.istiodOneOfTargetRefs)) ||
    (setForIstiod.length >= 2 && !withTargetRefs && c.has(ruleSince.istiodOneOfSelectorTargetRef));
  if (refused) {
    c.error(`spec.${set[1]}`, `only one of selector, targetRef or targetRefs may be set (found ${set.join(' and ')}); use selector for sidecars and classic gateways, targetRefs for Gateway API gateways`);
  }
}
