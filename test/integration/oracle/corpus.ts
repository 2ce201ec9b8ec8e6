/**
 * Documents for the validate-vs-Istio comparison: valid bases of both kinds, and mutations of them
 * field by field — every enum value and a wrong one, each limit at and past its edge, wrong types,
 * missing required fields, the CEL rules, unknown fields. Each has a name that says what changed.
 */
export type Doc = Record<string, unknown>;

export interface Case {
  name: string;
  doc: Doc;
}

const sha = 'a'.repeat(64);
type Path = Array<string | number>;

/** A copy of doc with the value at path set (undefined deletes it). */
export function withValue(doc: Doc, path: Path, value: unknown): Doc {
  const copy = structuredClone(doc);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = typeof key === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(node) && typeof last === 'number') node.splice(last, 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

export const wasmPluginBase: Doc = {
  apiVersion: 'extensions.istio.io/v1alpha1',
  kind: 'WasmPlugin',
  metadata: { name: 'demo', namespace: 'istio-system' },
  spec: {
    selector: { matchLabels: { istio: 'ingressgateway' } },
    url: 'oci://ghcr.io/acme/demo:v1.0.0',
    sha256: sha,
    imagePullPolicy: 'IfNotPresent',
    imagePullSecret: 'pull-secret',
    pluginName: 'demo',
    phase: 'AUTHN',
    priority: 10,
    failStrategy: 'FAIL_CLOSE',
    pluginConfig: { header: 'x-auth', limits: { rps: 10.5, burst: 20 }, paths: ['/a', '/b'], on: true, none: null },
    vmConfig: { env: [{ name: 'POD_NAME', valueFrom: 'HOST' }, { name: 'MODE', value: 'strict' }] },
    match: [{ mode: 'SERVER', ports: [{ number: 8080 }] }],
    type: 'HTTP',
  },
};

export const trafficExtensionBase: Doc = {
  apiVersion: 'extensions.istio.io/v1alpha1',
  kind: 'TrafficExtension',
  metadata: { name: 'demo', namespace: 'istio-system' },
  spec: {
    selector: { matchLabels: { istio: 'ingressgateway' } },
    phase: 'AUTHN',
    priority: 10,
    match: [{ mode: 'SERVER', ports: [{ number: 8080 }] }],
    wasm: {
      url: 'oci://ghcr.io/acme/demo:v1.0.0',
      sha256: sha,
      imagePullPolicy: 'IfNotPresent',
      imagePullSecret: 'pull-secret',
      pluginName: 'demo',
      failStrategy: 'FAIL_CLOSE',
      pluginConfig: { header: 'x-auth' },
      vmConfig: { env: [{ name: 'POD_NAME', valueFrom: 'HOST' }, { name: 'MODE', value: 'strict' }] },
      type: 'HTTP',
    },
  },
};

const gateway = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' };
const wrongTypes: Array<[string, unknown]> = [
  ['number', 5],
  ['string', 'x'],
  ['list', ['x']],
  ['mapping', { x: 1 }],
  ['boolean', true],
];

/** Mutations of the fields a WasmPlugin spec and a TrafficExtension's wasm block share. */
function wasmFieldCases(kind: string, base: Doc, at: Path): Case[] {
  const out: Case[] = [];
  const add = (name: string, path: Path, value: unknown, from: Doc = base) => out.push({ name: `${kind}: ${name}`, doc: withValue(from, [...at, ...path], value) });
  // url
  for (const url of ['oci://ghcr.io/acme/demo:v1', 'https://example.com/x.wasm', 'http://example.com/x.wasm', 'file:///opt/x.wasm', 'ghcr.io/acme/demo:v1', '127.0.0.1:5000/wasm/x:v1', 'localhost:5000/wasm/x:v1', 'sealos.hub:5000/wasm/x:v1', 'ftp://example.com/x.wasm', 'oci://host/%zz', 'oci://host:abc/x', 'x', '', 'oci://', 'OCI://ghcr.io/acme/demo:v1', 'oci://host/x\n', ' oci://host/x', 'oci://host/x y']) {
    add(`url ${JSON.stringify(url)}`, ['url'], url);
  }
  add('url missing', ['url'], undefined);
  add('url null', ['url'], null);
  // sha256
  for (const [name, value] of [['empty', ''], ['63 hex', 'a'.repeat(63)], ['65 hex', 'a'.repeat(65)], ['upper case', 'A'.repeat(64)], ['prefixed', `sha256:${sha}`], ['non-hex', 'g'.repeat(64)]] as const) add(`sha256 ${name}`, ['sha256'], value);
  // enums
  for (const v of ['UNSPECIFIED_POLICY', 'IfNotPresent', 'Always', 'Never', 'always', '']) add(`imagePullPolicy ${JSON.stringify(v)}`, ['imagePullPolicy'], v);
  for (const v of ['FAIL_CLOSE', 'FAIL_OPEN', 'FAIL_RELOAD', 'UNSPECIFIED', 'fail_open']) add(`failStrategy ${v}`, ['failStrategy'], v);
  for (const v of ['UNSPECIFIED_PLUGIN_TYPE', 'HTTP', 'NETWORK', 'TCP']) add(`type ${v}`, ['type'], v);
  // lengths
  for (const n of [0, 1, 253, 254]) add(`imagePullSecret length ${n}`, ['imagePullSecret'], 's'.repeat(n));
  for (const n of [0, 1, 255, 256, 257]) add(`pluginName length ${n}`, ['pluginName'], 'p'.repeat(n));
  // pluginConfig
  add('pluginConfig empty', ['pluginConfig'], {});
  add('pluginConfig list', ['pluginConfig'], [1, 2]);
  add('pluginConfig string', ['pluginConfig'], 'x');
  add('pluginConfig nested', ['pluginConfig'], { a: { b: [1, { c: null }] }, n: 1e21, f: 0.1 });
  add('verificationKey', ['verificationKey'], 'key');
  // vmConfig.env
  const env = (...items: unknown[]) => ({ env: items });
  add('env HOST', ['vmConfig'], env({ name: 'A', valueFrom: 'HOST' }));
  add('env INLINE', ['vmConfig'], env({ name: 'A', valueFrom: 'INLINE', value: 'x' }));
  add('env INLINE without value', ['vmConfig'], env({ name: 'A', valueFrom: 'INLINE' }));
  add('env HOST with value', ['vmConfig'], env({ name: 'A', valueFrom: 'HOST', value: 'x' }));
  add('env HOST with empty value', ['vmConfig'], env({ name: 'A', valueFrom: 'HOST', value: '' }));
  add('env valueFrom SECRET', ['vmConfig'], env({ name: 'A', valueFrom: 'SECRET' }));
  add('env name missing', ['vmConfig'], env({ value: 'x' }));
  add('env name empty', ['vmConfig'], env({ name: '', value: 'x' }));
  add('env duplicate names', ['vmConfig'], env({ name: 'A', value: 'x' }, { name: 'A', value: 'y' }));
  add('env null entry', ['vmConfig'], env(null));
  for (const n of [1, 256, 257]) add(`env name length ${n}`, ['vmConfig'], env({ name: 'n'.repeat(n) }));
  for (const n of [2048, 2049]) add(`env value length ${n}`, ['vmConfig'], env({ name: 'A', value: 'v'.repeat(n) }));
  for (const n of [256, 257]) add(`env ${n} items`, ['vmConfig'], { env: Array.from({ length: n }, (_, i) => ({ name: `E${i}`, value: 'x' })) });
  add('env unknown field', ['vmConfig'], env({ name: 'A', valueFom: 'HOST' }));
  add('vmConfig unknown field', ['vmConfig'], { env: [], extra: 1 });
  add('vmConfig empty', ['vmConfig'], {});
  // wrong types
  for (const field of ['url', 'sha256', 'imagePullPolicy', 'imagePullSecret', 'pluginName', 'failStrategy', 'type', 'vmConfig']) {
    for (const [tname, value] of wrongTypes) {
      if (field === 'vmConfig' && tname === 'mapping') continue;
      add(`${field} as ${tname}`, [field], value);
    }
  }
  add('env as mapping', ['vmConfig', 'env'], { name: 'A' });
  add('env value as number', ['vmConfig', 'env', 1, 'value'], 5);
  add('unknown field', ['extraField'], 'x');
  return out;
}

/** Mutations of what both kinds share at spec level: selector, targetRefs, match, phase, priority. */
function placementCases(kind: string, base: Doc, phases: string[]): Case[] {
  const out: Case[] = [];
  const add = (name: string, path: Path, value: unknown, from: Doc = base) => out.push({ name: `${kind}: ${name}`, doc: withValue(from, ['spec', ...path], value) });
  const noSelector = withValue(base, ['spec', 'selector'], undefined);
  for (const v of [...phases, 'authn', 'BOTH']) add(`phase ${v}`, ['phase'], v);
  for (const v of [0, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 1.5, null, '10']) add(`priority ${JSON.stringify(v)}`, ['priority'], v);
  // selector
  add('selector missing', ['selector'], undefined);
  add('selector empty', ['selector'], {});
  add('selector empty matchLabels', ['selector'], { matchLabels: {} });
  add('selector wildcard value', ['selector', 'matchLabels'], { app: 'web-*' });
  add('selector wildcard key', ['selector', 'matchLabels'], { 'a*': 'x' });
  add('selector empty key', ['selector', 'matchLabels'], { '': 'x' });
  add('selector key with slash', ['selector', 'matchLabels'], { 'istio.io/rev': 'canary' });
  add('selector odd label characters', ['selector', 'matchLabels'], { 'not a label!': 'sp ace' });
  for (const n of [63, 64]) add(`selector value length ${n}`, ['selector', 'matchLabels'], { app: 'v'.repeat(n) });
  for (const n of [4096, 4097]) add(`selector ${n} labels`, ['selector', 'matchLabels'], Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'])));
  add('selector value as number', ['selector', 'matchLabels'], { app: 1 });
  add('selector matchExpressions', ['selector'], { matchExpressions: [] });
  // targetRefs
  const refs = (...r: unknown[]) => r;
  for (const [name, ref] of [
    ['Gateway', gateway],
    ['GatewayClass', { group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio' }],
    ['Service', { group: '', kind: 'Service', name: 'svc' }],
    ['Service without group', { kind: 'Service', name: 'svc' }],
    ['ServiceEntry', { group: 'networking.istio.io', kind: 'ServiceEntry', name: 'se' }],
    ['Pod', { group: '', kind: 'Pod', name: 'p' }],
    ['Gateway without group', { kind: 'Gateway', name: 'gw' }],
    ['Gateway in istio group', { group: 'networking.istio.io', kind: 'Gateway', name: 'gw' }],
    ['kind lower case', { group: 'gateway.networking.k8s.io', kind: 'gateway', name: 'gw' }],
    ['kind missing', { group: 'gateway.networking.k8s.io', name: 'gw' }],
    ['name missing', { group: 'gateway.networking.k8s.io', kind: 'Gateway' }],
    ['name empty', { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: '' }],
    ['namespace set', { ...gateway, namespace: 'other' }],
    ['namespace empty', { ...gateway, namespace: '' }],
    ['group bad', { group: 'Gateway_API', kind: 'Gateway', name: 'gw' }],
    ['group 254', { group: 'g'.repeat(254), kind: 'Gateway', name: 'gw' }],
    ['kind 64', { group: 'gateway.networking.k8s.io', kind: `G${'a'.repeat(63)}`, name: 'gw' }],
    ['name 253', { ...gateway, name: 'n'.repeat(253) }],
    ['name 254', { ...gateway, name: 'n'.repeat(254) }],
    ['unknown field', { ...gateway, sectionName: 'http' }],
  ] as const) {
    out.push({ name: `${kind}: targetRefs ${name}`, doc: withValue(noSelector, ['spec', 'targetRefs'], refs(ref)) });
  }
  for (const n of [16, 17]) out.push({ name: `${kind}: targetRefs ${n} items`, doc: withValue(noSelector, ['spec', 'targetRefs'], Array.from({ length: n }, (_, i) => ({ ...gateway, name: `gw${i}` }))) });
  out.push({ name: `${kind}: targetRefs empty list`, doc: withValue(noSelector, ['spec', 'targetRefs'], []) });
  add('selector and targetRefs', ['targetRefs'], [gateway]);
  add('selector and empty targetRefs', ['targetRefs'], []);
  // match
  add('match empty', ['match'], []);
  for (const mode of ['UNDEFINED', 'CLIENT', 'SERVER', 'CLIENT_AND_SERVER', 'BOTH']) add(`match mode ${mode}`, ['match'], [{ mode }]);
  for (const n of [0, 1, 65535, 65536, -1]) add(`match port ${n}`, ['match'], [{ ports: [{ number: n }] }]);
  add('match port missing', ['match'], [{ ports: [{}] }]);
  add('match port as string', ['match'], [{ ports: [{ number: '80' }] }]);
  add('match duplicate ports', ['match'], [{ ports: [{ number: 80 }, { number: 80 }] }]);
  add('match null entry', ['match'], [null]);
  add('match null port', ['match'], [{ ports: [null] }]);
  add('match unknown field', ['match'], [{ mode: 'SERVER', port: 80 }]);
  add('match as mapping', ['match'], { mode: 'SERVER' });
  return out;
}

function metadataCases(kind: string, base: Doc): Case[] {
  const out: Case[] = [];
  const add = (name: string, path: Path, value: unknown) => out.push({ name: `${kind}: ${name}`, doc: withValue(base, path, value) });
  add('valid', ['kind'], kind);
  add('name missing', ['metadata', 'name'], undefined);
  add('name upper case', ['metadata', 'name'], 'Demo');
  add('name with dots', ['metadata', 'name'], 'demo.v1');
  add('name 253', ['metadata', 'name'], 'n'.repeat(253));
  add('name 254', ['metadata', 'name'], 'n'.repeat(254));
  add('name with underscore', ['metadata', 'name'], 'my_plugin');
  add('namespace missing', ['metadata', 'namespace'], undefined);
  add('namespace bad', ['metadata', 'namespace'], 'Istio_System');
  add('labels', ['metadata', 'labels'], { app: 'demo', 'app.kubernetes.io/name': 'demo' });
  add('label value bad', ['metadata', 'labels'], { app: 'has space' });
  add('label value number', ['metadata', 'labels'], { app: 1 });
  add('annotation dry-run', ['metadata', 'annotations'], { 'istio.io/dry-run': 'true' });
  add('annotation other', ['metadata', 'annotations'], { note: 'x' });
  add('metadata unknown field', ['metadata', 'nickname'], 'x');
  add('spec missing', ['spec'], undefined);
  add('spec empty', ['spec'], {});
  add('spec as list', ['spec'], []);
  add('apiVersion v1beta1', ['apiVersion'], 'extensions.istio.io/v1beta1');
  add('apiVersion wrong group', ['apiVersion'], 'networking.istio.io/v1alpha1');
  add('top-level unknown field', ['status2'], {});
  return out;
}

export function wasmPluginCases(): Case[] {
  const kind = 'WasmPlugin';
  const base = wasmPluginBase;
  const noSelector = withValue(base, ['spec', 'selector'], undefined);
  const out = [
    ...metadataCases(kind, base),
    ...placementCases(kind, base, ['UNSPECIFIED_PHASE', 'AUTHN', 'AUTHZ', 'STATS', 'UNSPECIFIED']),
    ...wasmFieldCases(kind, base, ['spec']),
  ];
  const add = (name: string, doc: Doc) => out.push({ name: `${kind}: ${name}`, doc });
  add('targetRef', withValue(noSelector, ['spec', 'targetRef'], gateway));
  add('targetRef and selector', withValue(base, ['spec', 'targetRef'], gateway));
  add('targetRef and targetRefs', withValue(withValue(noSelector, ['spec', 'targetRef'], gateway), ['spec', 'targetRefs'], [gateway]));
  add('targetRef Service', withValue(noSelector, ['spec', 'targetRef'], { group: '', kind: 'Service', name: 'svc' }));
  add('minimal', { apiVersion: base.apiVersion, kind, metadata: { name: 'm', namespace: 'default' }, spec: { url: 'oci://ghcr.io/acme/m:v1' } });
  return out;
}

export function trafficExtensionCases(): Case[] {
  const kind = 'TrafficExtension';
  const base = trafficExtensionBase;
  const out = [
    ...metadataCases(kind, base),
    ...placementCases(kind, base, ['UNSPECIFIED', 'AUTHN', 'AUTHZ', 'STATS', 'UNSPECIFIED_PHASE']),
    ...wasmFieldCases(kind, base, ['spec', 'wasm']),
  ];
  const add = (name: string, doc: Doc) => out.push({ name: `${kind}: ${name}`, doc });
  const lua = (code: string) => withValue(withValue(base, ['spec', 'wasm'], undefined), ['spec', 'lua'], { inlineCode: code });
  add('lua', lua('function envoy_on_request(h) end'));
  add('lua empty', lua(''));
  for (const n of [65536, 65537]) add(`lua ${n} characters`, lua('-'.repeat(n)));
  add('lua and wasm', withValue(base, ['spec', 'lua'], { inlineCode: 'function envoy_on_request(h) end' }));
  add('neither wasm nor lua', withValue(base, ['spec', 'wasm'], undefined));
  add('wasm empty', withValue(base, ['spec', 'wasm'], {}));
  add('targetRef singular', withValue(withValue(base, ['spec', 'selector'], undefined), ['spec', 'targetRef'], gateway));
  add('url at spec level', withValue(base, ['spec', 'url'], 'oci://ghcr.io/acme/demo:v1'));
  add('lua unknown field', withValue(lua('x'), ['spec', 'lua', 'file'], 'x.lua'));
  add('minimal', { apiVersion: base.apiVersion, kind, metadata: { name: 'm', namespace: 'default' }, spec: { wasm: { url: 'oci://ghcr.io/acme/m:v1' } } });
  return out;
}
