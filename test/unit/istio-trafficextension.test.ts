import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/cli.js';
import { celRules, schemaErrors } from '../helpers/crd-schema.js';
import { checkTrafficExtension } from '../../src/istio/check-trafficextension.js';
import { checkPluginResource } from '../../src/istio/validate.js';
import { enumValuesFor, limits, parseIstioVersion, trafficExtensionFields } from '../../src/istio/versions.js';

/**
 * TrafficExtension validation against Istio 1.30's CRD (test/fixtures/istio, istio/api 1.30.3):
 * every row is checked by `validate` and by an evaluator of the CRD file's own schema and CEL
 * rules. Rows marked `crd` must be refused by both; rows marked `istiod` are rules only istiod's
 * webhook applies (the CRD accepts them, and the table proves it); valid rows pass both.
 */
type Doc = Record<string, any>;
type Schema = Record<string, any>;

const crd = parse(readFileSync(path.resolve(repoRoot, 'test/fixtures/istio/istio-trafficextension-crd.yaml'), 'utf8')) as Schema;
const root = crd.spec.versions[0].schema.openAPIV3Schema as Schema;
const specSchema = root.properties.spec as Schema;
const v130 = parseIstioVersion('1.30');

const sha = 'a'.repeat(64);
const gw = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' };
const url = 'oci://ghcr.io/acme/demo:v1.0.0';
const selector = { matchLabels: { istio: 'ingressgateway' } };

function doc(spec: Doc): Doc {
  return { apiVersion: 'extensions.istio.io/v1alpha1', kind: 'TrafficExtension', metadata: { name: 'demo', namespace: 'istio-system' }, spec };
}
/** A valid wasm spec with the module fields changed. */
const wasm = (fields: Doc, rest: Doc = { selector }): Doc => ({ ...rest, wasm: { url, ...fields } });
const env = (...items: Doc[]) => wasm({ vmConfig: { env: items } });

/** [case, spec, error path (null: valid), message, who refuses it] */
type Row = [string, Doc, string | null, RegExp | null, 'crd' | 'istiod' | null];

const rows: Row[] = [
  // valid
  ['minimal wasm with a selector', wasm({}), null, null, null],
  ['every wasm field', wasm({ sha256: sha, imagePullPolicy: 'IfNotPresent', imagePullSecret: 'pull', pluginConfig: { a: [1] }, pluginName: 'root', failStrategy: 'FAIL_OPEN', vmConfig: { env: [{ name: 'POD', valueFrom: 'HOST' }, { name: 'MODE', value: 'strict' }] }, type: 'HTTP' }, { selector, phase: 'AUTHN', priority: 10, match: [{ mode: 'SERVER', ports: [{ number: 8080 }] }] }), null, null, null],
  ['targetRefs to a Gateway', wasm({}, { targetRefs: [gw] }), null, null, null],
  ['16 targetRefs', wasm({}, { targetRefs: Array.from({ length: 16 }, (_, i) => ({ ...gw, name: `gw${i}` })) }), null, null, null],
  ['neither selector nor targetRefs', wasm({}, {}), null, null, null],
  ['inline lua', { selector, lua: { inlineCode: 'function envoy_on_request(h) end' } }, null, null, null],
  ['lua of 65536 characters', { lua: { inlineCode: 'x'.repeat(65536) } }, null, null, null],
  ['phase UNSPECIFIED', wasm({}, { phase: 'UNSPECIFIED' }), null, null, null],
  ['priority null', wasm({}, { priority: null }), null, null, null],
  ['empty sha256', wasm({ sha256: '' }), null, null, null],
  ['scheme-less registry with an IP', wasm({ url: '127.0.0.1:5000/wasm/x:v1' }), null, null, null],
  ['https url', wasm({ url: 'https://example.com/x.wasm' }), null, null, null],
  ['FAIL_RELOAD', wasm({ failStrategy: 'FAIL_RELOAD' }), null, null, null],
  ['type NETWORK', wasm({ type: 'NETWORK' }), null, null, null],
  ['256 env entries', wasm({ vmConfig: { env: Array.from({ length: 256 }, (_, i) => ({ name: `E${i}` })) } }), null, null, null],
  // one of wasm / lua
  ['neither wasm nor lua', { selector }, 'spec', /exactly one of wasm or lua must be set \(neither/, 'crd'],
  ['both wasm and lua', { ...wasm({}), lua: { inlineCode: 'x' } }, 'spec.lua', /exactly one of wasm or lua must be set \(both/, 'crd'],
  // lua
  ['lua without inlineCode', { lua: {} }, 'spec.lua.inlineCode', /required/, 'crd'],
  ['lua empty', { lua: { inlineCode: '' } }, 'spec.lua.inlineCode', /must not be empty/, 'crd'],
  ['lua of 65537 characters', { lua: { inlineCode: 'x'.repeat(65537) } }, 'spec.lua.inlineCode', /at most 65536 characters/, 'crd'],
  ['lua over 64 KiB in bytes (istiod)', { lua: { inlineCode: '€'.repeat(30000) } }, 'spec.lua.inlineCode', /64 KiB: istiod counts bytes/, 'istiod'],
  ['lua unknown field', { lua: { inlineCode: 'x', file: 'a.lua' } }, 'spec.lua.file', /unknown field/, 'crd'],
  // spec shape
  ['singular targetRef', wasm({}, { targetRef: gw }), 'spec.targetRef', /no singular targetRef: write it as targetRefs/, 'crd'],
  ['module field at spec level', { ...wasm({}), url }, 'spec.url', /belongs under spec.wasm/, 'crd'],
  ['unknown spec field', { ...wasm({}), filter: 'x' }, 'spec.filter', /unknown field/, 'crd'],
  ['wasm unknown field', wasm({ urls: [url] }), 'spec.wasm.urls', /unknown field/, 'crd'],
  ['wasm not a mapping', { wasm: 'oci://x' }, 'spec.wasm', /must be a mapping/, 'crd'],
  // phase, priority, match
  ['phase UNSPECIFIED_PHASE (the WasmPlugin spelling)', wasm({}, { phase: 'UNSPECIFIED_PHASE' }), 'spec.phase', /WasmPlugin spelling; a TrafficExtension says UNSPECIFIED/, 'crd'],
  ['phase lower case', wasm({}, { phase: 'authn' }), 'spec.phase', /allowed: UNSPECIFIED, AUTHN, AUTHZ, STATS/, 'crd'],
  ['priority over int32', wasm({}, { priority: 2 ** 31 }), 'spec.priority', /32-bit/, 'crd'],
  ['priority not an integer', wasm({}, { priority: 1.5 }), 'spec.priority', /integer/, 'crd'],
  ['match mode bad', wasm({}, { match: [{ mode: 'BOTH' }] }), 'spec.match[0].mode', /allowed: UNDEFINED, CLIENT, SERVER, CLIENT_AND_SERVER/, 'crd'],
  ['port 0', wasm({}, { match: [{ ports: [{ number: 0 }] }] }), 'spec.match[0].ports[0].number', /out of range/, 'crd'],
  ['port 65536', wasm({}, { match: [{ ports: [{ number: 65536 }] }] }), 'spec.match[0].ports[0].number', /out of range/, 'crd'],
  ['port without number', wasm({}, { match: [{ ports: [{}] }] }), 'spec.match[0].ports[0].number', /required/, 'crd'],
  ['duplicate ports', wasm({}, { match: [{ ports: [{ number: 80 }, { number: 80 }] }] }), 'spec.match[0].ports[1].number', /duplicate port 80/, 'crd'],
  // url
  ['url missing', { selector, wasm: { pluginName: 'x' } }, 'spec.wasm.url', /required/, 'crd'],
  ['url empty', wasm({ url: '' }), 'spec.wasm.url', /must not be empty/, 'crd'],
  ['url ftp scheme', wasm({ url: 'ftp://example.com/x.wasm' }), 'spec.wasm.url', /not supported/, 'crd'],
  ['scheme-less localhost is read as a scheme', wasm({ url: 'localhost:5000/wasm/x:v1' }), 'spec.wasm.url', /scheme "localhost"/, 'crd'],
  ['url with a bad escape', wasm({ url: 'oci://host/%zz' }), 'spec.wasm.url', /escape/, 'crd'],
  // sha256, pull policy and Secret, pluginName, failStrategy, type, pluginConfig
  ['sha256 upper case', wasm({ sha256: 'A'.repeat(64) }), 'spec.wasm.sha256', /64 lower-case hex/, 'crd'],
  ['sha256 with prefix', wasm({ sha256: `sha256:${sha}` }), 'spec.wasm.sha256', /no "sha256:" prefix/, 'crd'],
  ['pull policy Never', wasm({ imagePullPolicy: 'Never' }), 'spec.wasm.imagePullPolicy', /allowed: UNSPECIFIED_POLICY, IfNotPresent, Always/, 'crd'],
  ['pull Secret empty', wasm({ imagePullSecret: '' }), 'spec.wasm.imagePullSecret', /must not be empty/, 'crd'],
  ['pull Secret of 254', wasm({ imagePullSecret: 'x'.repeat(254) }), 'spec.wasm.imagePullSecret', /at most 253/, 'crd'],
  ['pluginName empty', wasm({ pluginName: '' }), 'spec.wasm.pluginName', /must not be empty/, 'crd'],
  ['pluginName of 257', wasm({ pluginName: 'x'.repeat(257) }), 'spec.wasm.pluginName', /at most 256/, 'crd'],
  ['failStrategy UNSPECIFIED', wasm({ failStrategy: 'UNSPECIFIED' }), 'spec.wasm.failStrategy', /allowed: FAIL_CLOSE, FAIL_OPEN, FAIL_RELOAD/, 'crd'],
  ['type TCP', wasm({ type: 'TCP' }), 'spec.wasm.type', /allowed: UNSPECIFIED_PLUGIN_TYPE, HTTP, NETWORK/, 'crd'],
  ['pluginConfig a list', wasm({ pluginConfig: [1] }), 'spec.wasm.pluginConfig', /must be a mapping/, 'crd'],
  // vmConfig.env
  ['env value with valueFrom HOST', env({ name: 'A' }, { name: 'B', valueFrom: 'HOST', value: 'x' }), 'spec.wasm.vmConfig.env[1].value', /value may only be set when valueFrom is INLINE/, 'crd'],
  ['env without name', env({ value: 'x' }), 'spec.wasm.vmConfig.env[0].name', /required/, 'crd'],
  ['env name of 257', env({ name: 'x'.repeat(257) }), 'spec.wasm.vmConfig.env[0].name', /at most 256/, 'crd'],
  ['env value of 2049', env({ name: 'A', value: 'x'.repeat(2049) }), 'spec.wasm.vmConfig.env[0].value', /at most 2048/, 'crd'],
  ['env duplicate names', env({ name: 'A' }, { name: 'A' }), 'spec.wasm.vmConfig.env[1].name', /duplicate env name "A"/, 'crd'],
  ['257 env entries', wasm({ vmConfig: { env: Array.from({ length: 257 }, (_, i) => ({ name: `E${i}` })) } }), 'spec.wasm.vmConfig.env', /at most 256/, 'crd'],
  ['env valueFrom SECRET', env({ name: 'A', valueFrom: 'SECRET' }), 'spec.wasm.vmConfig.env[0].valueFrom', /allowed: INLINE, HOST/, 'crd'],
  // selector
  ['selector wildcard value', wasm({}, { selector: { matchLabels: { app: 'web-*' } } }), 'spec.selector.matchLabels.app', /wildcard not allowed in label value/, 'crd'],
  ['selector wildcard key', wasm({}, { selector: { matchLabels: { 'a*': 'x' } } }), 'spec.selector.matchLabels["a*"]', /wildcard not allowed in label key/, 'crd'],
  ['selector empty key', wasm({}, { selector: { matchLabels: { '': 'x' } } }), 'spec.selector.matchLabels[""]', /must not be empty/, 'crd'],
  ['label value of 64', wasm({}, { selector: { matchLabels: { app: 'x'.repeat(64) } } }), 'spec.selector.matchLabels.app', /at most 63/, 'crd'],
  // targetRefs
  ['selector and targetRefs', wasm({}, { selector, targetRefs: [gw] }), 'spec.targetRefs', /only one of targetRefs or selector/, 'crd'],
  ['17 targetRefs', wasm({}, { targetRefs: Array.from({ length: 17 }, (_, i) => ({ ...gw, name: `gw${i}` })) }), 'spec.targetRefs', /at most 16/, 'crd'],
  ['targetRef with a namespace', wasm({}, { targetRefs: [{ ...gw, namespace: 'other' }] }), 'spec.targetRefs[0].namespace', /cross namespace/, 'crd'],
  ['targetRef without kind', wasm({}, { targetRefs: [{ group: gw.group, name: 'gw' }] }), 'spec.targetRefs[0].kind', /required/, 'crd'],
  ['targetRef without name', wasm({}, { targetRefs: [{ group: gw.group, kind: 'Gateway' }] }), 'spec.targetRefs[0].name', /required/, 'crd'],
  ['targetRef kind pattern', wasm({}, { targetRefs: [{ ...gw, kind: 'Gate way' }] }), 'spec.targetRefs[0].kind', /must start with a letter/, 'crd'],
  ['targetRef group pattern', wasm({}, { targetRefs: [{ ...gw, group: 'Gateway.Networking' }] }), 'spec.targetRefs[0].group', /DNS subdomain/, 'crd'],
  ['targetRef kind istiod does not support', wasm({}, { targetRefs: [{ group: 'apps', kind: 'Deployment', name: 'x' }] }), 'spec.targetRefs[0].kind', /not a target Istio 1\.30 supports/, 'istiod'],
  ['Gateway in the wrong group', wasm({}, { targetRefs: [{ group: '', kind: 'Gateway', name: 'gw' }] }), 'spec.targetRefs[0].kind', /Gateway needs group "gateway\.networking\.k8s\.io"/, 'istiod'],
];

describe('TrafficExtension: validate agrees with the 1.30 CRD', () => {
  it('has at least 40 cases, valid and invalid', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
    expect(rows.filter((r) => r[2] === null).length).toBeGreaterThanOrEqual(10);
  });

  it.each(rows)('%s', (_name, spec, path, message, by) => {
    const result = checkTrafficExtension(doc(spec), v130);
    const crdErrors = schemaErrors(root, { spec });
    if (path === null) {
      expect(result.errors).toEqual([]);
      expect(crdErrors).toEqual([]);
      return;
    }
    const found = result.errors.find((e) => e.path === path);
    expect(found, `errors: ${JSON.stringify(result.errors)}`).toBeDefined();
    if (message) expect(found?.message).toMatch(message);
    if (by === 'crd') expect(crdErrors.length, 'the CRD refuses it too').toBeGreaterThan(0);
    else expect(crdErrors, 'only istiod refuses it; the CRD accepts it').toEqual([]);
  });
});

describe('TrafficExtension: versions and kinds', () => {
  it('does not exist before 1.30: one error saying so', () => {
    const result = checkPluginResource('TrafficExtension', doc(wasm({})), parseIstioVersion('1.29.1'));
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ path: 'kind' });
    expect(result.errors[0]?.message).toMatch(/does not exist in Istio 1\.29\.1: it arrived in Istio 1\.30/);
  });

  it('holds for later minor versions without another data entry', () => {
    expect(checkTrafficExtension(doc(wasm({})), { text: '1.31', minor: 31, patch: undefined }).errors).toEqual([]);
  });

  it('checks metadata and apiVersion like any object', () => {
    const bad = { ...doc(wasm({})), apiVersion: 'extensions.istio.io/v1', metadata: { name: 'Bad_Name', namespace: 'istio-system' } };
    const paths = checkTrafficExtension(bad, v130).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['apiVersion', 'metadata.name']));
  });

  it('warns about run-time traps under spec.wasm', () => {
    const result = checkTrafficExtension(doc(wasm({ sha256: sha, pluginConfig: { password: 'hunter2' }, verificationKey: 'k' })), v130, { moduleDigests: new Map([[sha, 'build/plugin.wasm']]) });
    const paths = result.warnings.map((w) => w.path);
    expect(paths).toEqual(expect.arrayContaining(['spec.wasm.sha256', 'spec.wasm.pluginConfig.password', 'spec.wasm.verificationKey']));
  });

  it('warns about a Basic-auth registry the 1.30 agent refuses', () => {
    const result = checkTrafficExtension(doc(wasm({ url: 'oci://sealos.hub:5000/wasm/x:v1', sha256: sha })), v130);
    expect(result.warnings.find((w) => w.path === 'spec.wasm.url' && /htpasswd/.test(w.message))).toBeDefined();
  });
});

describe('TrafficExtension version facts against the CRD', () => {
  const props = specSchema.properties as Schema;
  const keys = (o: Schema) => Object.keys(o).sort();
  it('knows exactly the spec, wasm and lua fields', () => {
    expect(keys(props)).toEqual([...trafficExtensionFields.spec].sort());
    expect(keys(props.wasm.properties)).toEqual([...trafficExtensionFields.wasm].sort());
    expect(keys(props.lua.properties)).toEqual([...trafficExtensionFields.lua].sort());
    expect(props.wasm.required).toEqual(['url']);
  });

  it('enums and limits match', () => {
    expect(enumValuesFor('trafficExtension.phase', v130)).toEqual(props.phase.enum);
    expect(enumValuesFor('failStrategy', v130)).toEqual(props.wasm.properties.failStrategy.enum);
    expect(enumValuesFor('imagePullPolicy', v130)).toEqual(props.wasm.properties.imagePullPolicy.enum);
    expect(enumValuesFor('type', v130)).toEqual(props.wasm.properties.type.enum);
    expect(props.lua.properties.inlineCode).toMatchObject({ minLength: 1, maxLength: limits.luaInlineCodeMaxLength });
    expect(props.targetRefs.maxItems).toBe(limits.targetRefsMaxItems);
    expect(props.wasm.properties.sha256.pattern).toBe(limits.sha256Pattern);
  });

  it('the evaluator knows every CEL rule of the CRD (a new rule fails here)', () => {
    const rules: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (typeof node === 'object' && node !== null) {
        for (const [k, v] of Object.entries(node)) {
          if (k === 'x-kubernetes-validations') rules.push(...(v as Array<{ rule: string }>).map((r) => r.rule.replace(/\s+/g, ' ').trim()));
          else walk(v);
        }
      }
    };
    walk(specSchema);
    expect(rules.length).toBe(8);
    for (const rule of rules) expect(Object.keys(celRules)).toContain(rule);
  });
});
