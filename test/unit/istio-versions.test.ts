import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/cli.js';
import {
  enumValuesFor,
  limits,
  nestedFields,
  parseIstioVersion,
  registryTrapExposure,
  specFieldSince,
  type EnumName,
} from '../../src/istio/versions.js';
import { istioVersions } from '../../src/versions.js';

/**
 * The version facts must agree with Istio's own CRD for the newest version (the CRD in the
 * fixtures is istio/api's 1.30 line).
 */
type Schema = Record<string, any>;

const crdPath = path.resolve(repoRoot, 'test/fixtures/istio/istio-wasmplugin-crd.yaml');
const crd = parse(readFileSync(crdPath, 'utf8')) as Schema;
const spec = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec as Schema;
const props = spec.properties as Schema;
const newest = parseIstioVersion(istioVersions[0]);

const keys = (o: Schema) => Object.keys(o).sort();
const messages = (s: Schema) => ((s['x-kubernetes-validations'] ?? []) as Array<{ message: string; rule: string }>).map((v) => v.message);

describe('Istio version facts against the 1.30 CRD', () => {
  it('the CRD is the 1.30 line and the newest supported version is 1.30', () => {
    expect(readFileSync(crdPath, 'utf8')).toContain('1.30');
    expect(newest.minor).toBe(30);
  });

  it('knows exactly the spec fields of the CRD', () => {
    expect(keys(props)).toEqual(Object.keys(specFieldSince).sort());
    expect(spec.required).toEqual(['url']);
  });

  it('knows the nested fields', () => {
    expect(keys(props.selector.properties)).toEqual([...nestedFields.selector].sort());
    expect(keys(props.targetRef.properties)).toEqual([...nestedFields.targetRef].sort());
    expect(keys(props.targetRefs.items.properties)).toEqual([...nestedFields.targetRef].sort());
    expect(keys(props.vmConfig.properties)).toEqual([...nestedFields.vmConfig].sort());
    expect(keys(props.vmConfig.properties.env.items.properties)).toEqual([...nestedFields['vmConfig.env']].sort());
    expect(keys(props.match.items.properties)).toEqual([...nestedFields.match].sort());
    expect(keys(props.match.items.properties.ports.items.properties)).toEqual([...nestedFields['match.ports']].sort());
  });

  const enums: Array<[EnumName, Schema]> = [
    ['imagePullPolicy', props.imagePullPolicy],
    ['phase', props.phase],
    ['failStrategy', props.failStrategy],
    ['type', props.type],
    ['vmConfig.env.valueFrom', props.vmConfig.properties.env.items.properties.valueFrom],
    ['match.mode', props.match.items.properties.mode],
  ];
  it.each(enums)('enum %s matches the CRD', (name, schema) => {
    expect(enumValuesFor(name, newest)).toEqual(schema.enum);
  });

  it('limits and patterns match the CRD', () => {
    expect(props.imagePullSecret).toMatchObject({ minLength: 1, maxLength: limits.imagePullSecretMaxLength });
    expect(props.pluginName).toMatchObject({ minLength: 1, maxLength: limits.pluginNameMaxLength });
    expect(props.sha256.pattern).toBe(limits.sha256Pattern);
    expect(props.url.minLength).toBe(1);
    expect(props.priority).toMatchObject({ format: 'int32', nullable: true, type: 'integer' });
    const env = props.vmConfig.properties.env;
    expect(env.maxItems).toBe(limits.envMaxItems);
    expect(env['x-kubernetes-list-map-keys']).toEqual(['name']);
    expect(env.items.required).toEqual(['name']);
    expect(env.items.properties.name).toMatchObject({ minLength: 1, maxLength: limits.envNameMaxLength });
    expect(env.items.properties.value.maxLength).toBe(limits.envValueMaxLength);
    const ports = props.match.items.properties.ports;
    expect(ports['x-kubernetes-list-map-keys']).toEqual(['number']);
    expect(ports.items.required).toEqual(['number']);
    expect(ports.items.properties.number).toMatchObject({ minimum: limits.portMin, maximum: limits.portMax });
    const labels = props.selector.properties.matchLabels;
    expect(labels.maxProperties).toBe(limits.matchLabelsMaxProperties);
    expect(labels.additionalProperties.maxLength).toBe(limits.labelValueMaxLength);
    expect(props.targetRefs.maxItems).toBe(limits.targetRefsMaxItems);
    for (const ref of [props.targetRef, props.targetRefs.items]) {
      expect(ref.required).toEqual(['kind', 'name']);
      expect(ref.properties.group).toMatchObject({ maxLength: limits.targetRefGroupMaxLength, pattern: limits.targetRefGroupPattern });
      expect(ref.properties.kind).toMatchObject({ minLength: 1, maxLength: limits.targetRefKindMaxLength, pattern: limits.targetRefKindPattern });
      expect(ref.properties.name).toMatchObject({ minLength: 1, maxLength: limits.targetRefNameMaxLength });
      expect(messages(ref.properties.namespace)).toEqual(['cross namespace referencing is not currently supported']);
    }
  });

  it('has the CEL rules validate implements', () => {
    expect(messages(spec)).toEqual(['only one of targetRefs or selector can be set']);
    expect(messages(props.vmConfig.properties.env.items)).toEqual(['value may only be set when valueFrom is INLINE']);
    expect(messages(props.selector.properties.matchLabels)).toEqual(['wildcard not allowed in label key match', 'key must not be empty']);
    expect(messages(props.selector.properties.matchLabels.additionalProperties)).toEqual(['wildcard not allowed in label value match']);
    const urlRule = props.url['x-kubernetes-validations'][0].rule as string;
    for (const scheme of limits.urlSchemes) expect(urlRule).toContain(`"${scheme}"`);
    expect(urlRule).toContain('isURL("http://" + self)');
  });
});

describe('version parsing and the registry trap', () => {
  it.each([
    ['1.26', 'unaffected'],
    ['1.27.7', 'unaffected'],
    ['1.27.8', 'affected'],
    ['1.27', 'affected-in-later-patches'],
    ['1.28.4', 'unaffected'],
    ['1.28.5', 'affected'],
    ['1.29.0', 'unaffected'],
    ['1.29.1', 'affected'],
    ['1.30.0', 'affected'],
    ['1.30', 'affected'],
    ['1.12', 'unaffected'],
  ])('Istio %s is %s', (version, exposure) => {
    expect(registryTrapExposure(parseIstioVersion(version))).toBe(exposure);
  });

  it('refuses versions without WasmPlugin or unknown ones', () => {
    expect(() => parseIstioVersion('1.11')).toThrow(/no WasmPlugin/);
    expect(() => parseIstioVersion('1.99')).toThrow(/newer than this tool knows/);
    expect(() => parseIstioVersion('latest')).toThrow(/not an Istio version/);
  });
});
