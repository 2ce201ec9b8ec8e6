import { describe, expect, it } from 'vitest';
import { checkWasmPlugin } from '../../src/istio/check-wasmplugin.js';
import { parseIstioVersion } from '../../src/istio/versions.js';
import { parsePluginUrl } from '../../src/istio/url.js';
import { agentRefusal, registryTrapVerdict } from '../../src/istio/registry-trap.js';
import type { TrapContext } from '../../src/istio/traps.js';

type Doc = Record<string, any>;

function base(spec: Doc = {}): Doc {
  return {
    apiVersion: 'extensions.istio.io/v1alpha1',
    kind: 'WasmPlugin',
    metadata: { name: 'demo', namespace: 'istio-system' },
    spec: { url: 'oci://ghcr.io/acme/demo:v1.0.0', ...spec },
  };
}

function check(doc: Doc, version: string, context: TrapContext = {}) {
  return checkWasmPlugin(doc, parseIstioVersion(version), context);
}

/** [case, version, spec (merged into a valid base), expected error path or null for valid, message pattern] */
type Row = [string, string, Doc, string | null, RegExp?];

const sha = 'a'.repeat(64);
const gw = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' };

const rows: Row[] = [
  // url
  ['oci url', '1.30', {}, null],
  ['scheme-less registry with IP', '1.30', { url: '127.0.0.1:5000/wasm/x:v1' }, null],
  ['scheme-less localhost is read as a scheme', '1.30', { url: 'localhost:5000/wasm/x:v1' }, 'spec.url', /scheme "localhost"/],
  ['scheme-less sealos.hub is read as a scheme', '1.12', { url: 'sealos.hub:5000/wasm/x:v1' }, 'spec.url', /oci:\/\/sealos\.hub/],
  ['ftp scheme', '1.30', { url: 'ftp://example.com/x.wasm' }, 'spec.url', /not supported/],
  ['https url', '1.30', { url: 'https://example.com/x.wasm' }, null],
  ['file url', '1.30', { url: 'file:///opt/x.wasm' }, null],
  ['empty url', '1.30', { url: '' }, 'spec.url', /must not be empty/],
  ['missing url', '1.30', { url: undefined }, 'spec.url', /required/],
  ['url not a string', '1.30', { url: 5 }, 'spec.url', /must be a string/],
  ['url bad escape', '1.30', { url: 'oci://host/%zz' }, 'spec.url', /escape/],
  // istiod retries with http:// prepended, so "http://oci://host:abc/x" parses (host "oci"): accepted
  ['url bad port passes istiod', '1.30', { url: 'oci://host:abc/x' }, null],
  ['url with control char', '1.30', { url: 'oci://host/x\n' }, 'spec.url', /control character/],
  // sha256
  ['sha256 ok', '1.12', { sha256: sha }, null],
  ['sha256 empty ok', '1.30', { sha256: '' }, null],
  ['sha256 upper case', '1.30', { sha256: 'A'.repeat(64) }, 'spec.sha256', /64 lower-case hex/],
  ['sha256 with prefix', '1.30', { sha256: `sha256:${sha}` }, 'spec.sha256', /no "sha256:" prefix/],
  // imagePullPolicy
  ['pull policy Always', '1.12', { imagePullPolicy: 'Always' }, null],
  ['pull policy typo', '1.30', { imagePullPolicy: 'Never' }, 'spec.imagePullPolicy', /allowed: UNSPECIFIED_POLICY, IfNotPresent, Always/],
  // imagePullSecret
  ['pull secret', '1.30', { imagePullSecret: 'pull' }, null],
  ['pull secret empty (CRD 1.20)', '1.20', { imagePullSecret: '' }, 'spec.imagePullSecret', /must not be empty/],
  ['pull secret empty before CRD schema', '1.19', { imagePullSecret: '' }, null],
  ['pull secret too long', '1.30', { imagePullSecret: 'x'.repeat(254) }, 'spec.imagePullSecret', /at most 253/],
  // pluginConfig
  ['pluginConfig object', '1.30', { pluginConfig: { a: { b: [1, 2] } } }, null],
  ['pluginConfig list', '1.30', { pluginConfig: [1] }, 'spec.pluginConfig', /must be a mapping/],
  // pluginName
  ['pluginName', '1.30', { pluginName: 'root' }, null],
  ['pluginName too long', '1.30', { pluginName: 'x'.repeat(257) }, 'spec.pluginName', /at most 256/],
  ['pluginName empty (1.20)', '1.20', { pluginName: '' }, 'spec.pluginName', /must not be empty/],
  // phase
  ['phase AUTHZ', '1.12', { phase: 'AUTHZ' }, null],
  ['phase lower case', '1.30', { phase: 'authn' }, 'spec.phase', /allowed: UNSPECIFIED_PHASE, AUTHN, AUTHZ, STATS/],
  // priority
  ['priority', '1.30', { priority: 10 }, null],
  ['priority null', '1.30', { priority: null }, null],
  ['priority not integer', '1.30', { priority: 1.5 }, 'spec.priority', /integer/],
  ['priority over int32 (1.19)', '1.19', { priority: 2 ** 31 }, 'spec.priority', /32-bit/],
  ['priority over int32 is int64 in 1.18', '1.18', { priority: 2 ** 31 }, null],
  // failStrategy
  ['failStrategy needs 1.19', '1.18', { failStrategy: 'FAIL_OPEN' }, 'spec.failStrategy', /needs Istio 1\.19/],
  ['failStrategy 1.19', '1.19', { failStrategy: 'FAIL_OPEN' }, null],
  ['FAIL_RELOAD in 1.26', '1.26', { failStrategy: 'FAIL_RELOAD' }, 'spec.failStrategy', /"FAIL_RELOAD" needs Istio 1\.27/],
  ['FAIL_RELOAD in 1.27', '1.27', { failStrategy: 'FAIL_RELOAD' }, null],
  ['failStrategy UNSPECIFIED', '1.30', { failStrategy: 'UNSPECIFIED' }, 'spec.failStrategy', /allowed: FAIL_CLOSE, FAIL_OPEN, FAIL_RELOAD/],
  // type
  ['type needs 1.20', '1.19', { type: 'HTTP' }, 'spec.type', /needs Istio 1\.20/],
  ['type NETWORK', '1.20', { type: 'NETWORK' }, null],
  ['type bad', '1.30', { type: 'TCP' }, 'spec.type', /allowed: UNSPECIFIED_PLUGIN_TYPE, HTTP, NETWORK/],
  // vmConfig
  ['vmConfig needs 1.14', '1.13', { vmConfig: { env: [{ name: 'A', value: 'x' }] } }, 'spec.vmConfig', /needs Istio 1\.14/],
  ['vmConfig 1.14', '1.14', { vmConfig: { env: [{ name: 'A', value: 'x' }, { name: 'B', valueFrom: 'HOST' }] } }, null],
  ['env name missing', '1.30', { vmConfig: { env: [{ name: 'A' }, { value: 'x' }] } }, 'spec.vmConfig.env[1].name', /required/],
  ['env duplicate', '1.14', { vmConfig: { env: [{ name: 'A' }, { name: 'A' }] } }, 'spec.vmConfig.env[1].name', /duplicate env name "A"/],
  ['env HOST with value', '1.14', { vmConfig: { env: [{ name: 'A', valueFrom: 'HOST', value: 'x' }] } }, 'spec.vmConfig.env[0].value', /must be absent when valueFrom is HOST/],
  ['env HOST with empty value (CRD 1.20)', '1.20', { vmConfig: { env: [{ name: 'A', valueFrom: 'HOST', value: '' }] } }, 'spec.vmConfig.env[0].value', /absent/],
  ['env HOST with empty value before 1.20', '1.19', { vmConfig: { env: [{ name: 'A', valueFrom: 'HOST', value: '' }] } }, null],
  ['env valueFrom bad', '1.30', { vmConfig: { env: [{ name: 'A', valueFrom: 'SECRET' }] } }, 'spec.vmConfig.env[0].valueFrom', /allowed: INLINE, HOST/],
  ['env value too long', '1.30', { vmConfig: { env: [{ name: 'A', value: 'x'.repeat(2049) }] } }, 'spec.vmConfig.env[0].value', /at most 2048/],
  ['env name too long', '1.30', { vmConfig: { env: [{ name: 'x'.repeat(257) }] } }, 'spec.vmConfig.env[0].name', /at most 256/],
  ['env too many', '1.30', { vmConfig: { env: Array.from({ length: 257 }, (_, i) => ({ name: `E${i}` })) } }, 'spec.vmConfig.env', /at most 256/],
  ['env unknown field', '1.30', { vmConfig: { env: [{ name: 'A', valueFom: 'HOST' }] } }, 'spec.vmConfig.env[0].valueFom', /unknown field/],
  // match
  ['match needs 1.16', '1.15', { match: [{ mode: 'SERVER' }] }, 'spec.match', /needs Istio 1\.16/],
  ['match 1.16', '1.16', { match: [{ mode: 'CLIENT_AND_SERVER', ports: [{ number: 8080 }] }] }, null],
  ['match mode bad', '1.30', { match: [{ mode: 'BOTH' }] }, 'spec.match[0].mode', /allowed: UNDEFINED, CLIENT, SERVER, CLIENT_AND_SERVER/],
  ['match null entry', '1.16', { match: [null] }, 'spec.match[0]', /must not be null/],
  ['match null port', '1.16', { match: [{ ports: [null] }] }, 'spec.match[0].ports[0]', /must not be null/],
  ['port 0', '1.16', { match: [{ ports: [{ number: 0 }] }] }, 'spec.match[0].ports[0].number', /out of range/],
  ['port 65536', '1.30', { match: [{ ports: [{ number: 65536 }] }] }, 'spec.match[0].ports[0].number', /out of range/],
  ['port missing', '1.30', { match: [{ ports: [{}] }] }, 'spec.match[0].ports[0].number', /required/],
  ['duplicate ports (CRD 1.20)', '1.20', { match: [{ ports: [{ number: 80 }, { number: 80 }] }] }, 'spec.match[0].ports[1].number', /duplicate port 80/],
  ['duplicate ports pass before 1.20', '1.19', { match: [{ ports: [{ number: 80 }, { number: 80 }] }] }, null],
  // selector
  ['selector', '1.12', { selector: { matchLabels: { istio: 'ingressgateway' } } }, null],
  ['selector wildcard value', '1.12', { selector: { matchLabels: { app: 'web-*' } } }, 'spec.selector.matchLabels.app', /wildcard not allowed in label value/],
  ['selector wildcard key', '1.30', { selector: { matchLabels: { 'a*': 'x' } } }, 'spec.selector.matchLabels["a*"]', /wildcard not allowed in label key/],
  ['selector empty key', '1.30', { selector: { matchLabels: { '': 'x' } } }, 'spec.selector.matchLabels[""]', /must not be empty/],
  ['label value 64 chars (1.23)', '1.23', { selector: { matchLabels: { app: 'x'.repeat(64) } } }, 'spec.selector.matchLabels.app', /at most 63/],
  ['label value 64 chars before 1.23', '1.22', { selector: { matchLabels: { app: 'x'.repeat(64) } } }, null],
  ['label value not string', '1.30', { selector: { matchLabels: { app: 1 } } }, 'spec.selector.matchLabels.app', /must be a string/],
  ['4097 labels (1.23)', '1.23', { selector: { matchLabels: Object.fromEntries(Array.from({ length: 4097 }, (_, i) => [`k${i}`, 'v'])) } }, 'spec.selector.matchLabels', /at most 4096/],
  ['4097 labels before 1.23', '1.22', { selector: { matchLabels: Object.fromEntries(Array.from({ length: 4097 }, (_, i) => [`k${i}`, 'v'])) } }, null],
  ['selector unknown field', '1.30', { selector: { matchExpressions: [] } }, 'spec.selector.matchExpressions', /unknown field/],
  // targetRef / targetRefs
  ['targetRef needs 1.20', '1.19', { targetRef: gw }, 'spec.targetRef', /needs Istio 1\.20/],
  ['targetRef Gateway 1.20', '1.20', { targetRef: gw }, null],
  ['targetRefs needs 1.22', '1.21', { targetRefs: [gw] }, 'spec.targetRefs', /needs Istio 1\.22/],
  ['targetRefs Gateway 1.22', '1.22', { targetRefs: [gw] }, null],
  ['Service needs 1.22', '1.21', { targetRef: { kind: 'Service', name: 'svc' } }, 'spec.targetRef.kind', /not a target Istio 1\.21 supports/],
  ['Service 1.22', '1.22', { targetRefs: [{ kind: 'Service', group: '', name: 'svc' }] }, null],
  ['ServiceEntry needs 1.24', '1.23', { targetRefs: [{ kind: 'ServiceEntry', group: 'networking.istio.io', name: 'se' }] }, 'spec.targetRefs[0].kind', /not a target/],
  ['ServiceEntry 1.24', '1.24', { targetRefs: [{ kind: 'ServiceEntry', group: 'networking.istio.io', name: 'se' }] }, null],
  ['GatewayClass needs 1.25', '1.24', { targetRefs: [{ kind: 'GatewayClass', group: 'gateway.networking.k8s.io', name: 'istio' }] }, 'spec.targetRefs[0].kind', /not a target/],
  ['GatewayClass 1.25', '1.25', { targetRefs: [{ kind: 'GatewayClass', group: 'gateway.networking.k8s.io', name: 'istio' }] }, null],
  ['Gateway without group', '1.30', { targetRefs: [{ kind: 'Gateway', name: 'gw' }] }, 'spec.targetRefs[0].kind', /Gateway needs group "gateway\.networking\.k8s\.io"/],
  ['Deployment kind', '1.30', { targetRefs: [{ kind: 'Deployment', group: 'apps', name: 'x' }] }, 'spec.targetRefs[0].kind', /allowed: Gateway/],
  ['targetRef namespace', '1.20', { targetRef: { ...gw, namespace: 'other' } }, 'spec.targetRef.namespace', /cross namespace/],
  ['targetRef name missing', '1.30', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io' }] }, 'spec.targetRefs[0].name', /required/],
  ['targetRef kind missing', '1.30', { targetRefs: [{ name: 'x' }] }, 'spec.targetRefs[0].kind', /required/],
  ['targetRef kind pattern (1.23)', '1.23', { targetRefs: [{ ...gw, kind: '9Gateway' }] }, 'spec.targetRefs[0].kind', /start with a letter/],
  ['targetRef group pattern (1.23)', '1.23', { targetRefs: [{ ...gw, group: 'Gateway.Networking' }] }, 'spec.targetRefs[0].group', /DNS subdomain/],
  ['targetRef name too long (1.23)', '1.23', { targetRefs: [{ ...gw, name: 'x'.repeat(254) }] }, 'spec.targetRefs[0].name', /at most 253/],
  ['targetRef kind too long (1.23)', '1.23', { targetRefs: [{ ...gw, kind: `G${'a'.repeat(63)}` }] }, 'spec.targetRefs[0].kind', /at most 63/],
  ['targetRef group too long (1.23)', '1.23', { targetRefs: [{ ...gw, group: `${'a'.repeat(251)}.io` }] }, 'spec.targetRefs[0].group', /at most 253/],
  ['targetRef unknown field', '1.30', { targetRefs: [{ ...gw, sectionName: 'http' }] }, 'spec.targetRefs[0].sectionName', /unknown field/],
  ['targetRefs 17 items (1.24)', '1.24', { targetRefs: Array.from({ length: 17 }, (_, i) => ({ ...gw, name: `gw${i}` })) }, 'spec.targetRefs', /at most 16/],
  ['targetRefs 17 items before 1.24', '1.23', { targetRefs: Array.from({ length: 17 }, (_, i) => ({ ...gw, name: `gw${i}` })) }, null],
  // one-of
  ['selector + targetRef (istiod 1.20)', '1.20', { selector: { matchLabels: { a: 'b' } }, targetRef: gw }, 'spec.targetRef', /only one of/],
  ['selector + targetRefs (istiod 1.22)', '1.22', { selector: { matchLabels: { a: 'b' } }, targetRefs: [gw] }, 'spec.targetRefs', /only one of/],
  ['targetRef + targetRefs', '1.24', { targetRef: gw, targetRefs: [gw] }, 'spec.targetRefs', /only one of/],
  // unknown and unsupported fields
  ['unknown spec field', '1.30', { urls: 'x' }, 'spec.urls', /unknown field/],
  ['verificationKey is accepted', '1.30', { verificationKey: 'k' }, null],
  ['imagePullSecret not a string', '1.30', { imagePullSecret: 5 }, 'spec.imagePullSecret', /must be a string/],
  ['vmConfig not a mapping', '1.30', { vmConfig: [] }, 'spec.vmConfig', /must be a mapping/],
  ['match not a list', '1.30', { match: { mode: 'SERVER' } }, 'spec.match', /must be a list/],
];

describe('validate: CRD and istiod rules, per field and version boundary', () => {
  it.each(rows)('%s (Istio %s)', (_name, version, spec, path, message) => {
    const doc = base(spec);
    for (const [k, v] of Object.entries(spec)) if (v === undefined) delete doc.spec[k];
    const { errors } = check(doc, version);
    if (path === null) {
      expect(errors).toEqual([]);
    } else {
      const hit = errors.find((e) => e.path === path);
      expect(hit, `expected an error at ${path}, got ${JSON.stringify(errors)}`).toBeDefined();
      if (message) expect(hit?.message).toMatch(message);
    }
  });
});

describe('validate: document and metadata', () => {
  it('requires apiVersion, metadata.name and spec', () => {
    const { errors } = check({ apiVersion: 'extensions.istio.io/v1beta1', kind: 'WasmPlugin', metadata: {} }, '1.30');
    expect(errors.map((e) => e.path)).toEqual(['apiVersion', 'metadata.name', 'spec']);
  });
  it('checks the metadata name and namespace', () => {
    const doc = base();
    doc.metadata = { name: 'Bad_Name', namespace: 'Istio System' };
    expect(check(doc, '1.30').errors.map((e) => e.path)).toEqual(['metadata.name', 'metadata.namespace']);
  });
  it('refuses the istio.io/dry-run annotation', () => {
    const doc = base();
    doc.metadata.annotations = { 'istio.io/dry-run': 'true' };
    expect(check(doc, '1.12').errors[0]?.path).toBe('metadata.annotations["istio.io/dry-run"]');
  });
  it('checks label syntax', () => {
    const doc = base();
    doc.metadata.labels = { app: 'bad value' };
    expect(check(doc, '1.30').errors[0]?.path).toBe('metadata.labels.app');
  });
});

describe('validate: warnings for the traps', () => {
  const paths = (doc: Doc, version = '1.30', context: TrapContext = {}) => check(doc, version, context).warnings.map((w) => w.path);

  it('mutable tag with IfNotPresent', () => {
    expect(paths(base({ url: 'oci://ghcr.io/a/b:latest', imagePullPolicy: 'IfNotPresent' }))).toContain('spec.imagePullPolicy');
    // unspecified policy and a non-latest mutable tag behaves as IfNotPresent
    expect(paths(base({ url: 'oci://ghcr.io/a/b:main' }))).toContain('spec.imagePullPolicy');
    // ":latest" with unspecified policy is Always in Istio
    expect(paths(base({ url: 'oci://ghcr.io/a/b:latest' }))).not.toContain('spec.imagePullPolicy');
    expect(paths(base({ url: 'oci://ghcr.io/a/b:v1.2.3', imagePullPolicy: 'IfNotPresent' }))).toEqual([]);
    expect(paths(base({ url: 'oci://ghcr.io/a/b:latest', imagePullPolicy: 'Always' }))).toEqual([]);
  });
  it('sha256 on a file:// url', () => {
    expect(paths(base({ url: 'file:///opt/p.wasm', sha256: sha }))).toEqual(['spec.sha256']);
  });
  it('http url whose sha256 is a known manifest digest, and oci url with a file hash', () => {
    const context: TrapContext = { manifestDigests: new Map([[sha, 'the last push']]), moduleDigests: new Map([['b'.repeat(64), 'build/plugin.wasm']]) };
    expect(check(base({ url: 'https://x.example/p.wasm', sha256: sha }), '1.30', context).warnings[0]?.message).toMatch(/manifest digest of the last push/);
    expect(check(base({ url: 'https://x.example/p.wasm', sha256: 'c'.repeat(64) }), '1.30', context).warnings).toEqual([]);
    expect(check(base({ sha256: 'b'.repeat(64) }), '1.30', context).warnings[0]?.message).toMatch(/sha256 of the \.wasm file build\/plugin\.wasm/);
  });
  it('credential-looking pluginConfig keys', () => {
    expect(paths(base({ pluginConfig: { registry: { username: 'u', password: 'p' }, apiKey: 'k', header: 'x-user' } }))).toEqual([
      'spec.pluginConfig.registry.password',
      'spec.pluginConfig.apiKey',
    ]);
    // keys that say where a credential is, not what it is, pass
    expect(paths(base({ pluginConfig: { credentialHeader: 'authorization', tokenCookie: 'sid', secretName: 'x', tokenTtl: 60, client_secret: 's3' } }))).toEqual([
      'spec.pluginConfig.client_secret',
    ]);
  });
  it('Basic-auth registry for an affected version only', () => {
    const doc = base({ url: 'oci://registry.example:5000/wasm/p:v1' });
    const basic: TrapContext = { challenges: new Map([['registry.example:5000', { scheme: 'basic', realm: 'Registry Realm' }]]) };
    expect(check(doc, '1.29.1', basic).warnings[0]?.message).toMatch(/refuses registry\.example:5000/);
    expect(check(doc, '1.29.0', basic).warnings).toEqual([]);
    expect(check(doc, '1.26', basic).warnings).toEqual([]);
    const bearer: TrapContext = { challenges: new Map([['registry.example:5000', { scheme: 'bearer', realm: 'https://auth.example.com/token' }]]) };
    expect(check(doc, '1.30', bearer).warnings).toEqual([]);
    const privateRealm: TrapContext = { challenges: new Map([['registry.example:5000', { scheme: 'bearer', realm: 'http://10.0.0.5/token' }]]) };
    expect(check(doc, '1.30', privateRealm).warnings[0]?.message).toMatch(/private address/);
    const creds: TrapContext = { credentialHosts: new Map([['registry.example:5000', 'auth.json']]) };
    expect(check(doc, '1.30', creds).warnings[0]?.message).toMatch(/credentials for registry\.example:5000 are in auth\.json/);
    expect(check(base({ url: 'oci://ghcr.io/a/b:v1' }), '1.30', { credentialHosts: new Map([['ghcr.io', 'auth.json']]) }).warnings).toEqual([]);
    expect(check(base({ url: 'oci://sealos.hub:5000/wasm/p:v1' }), '1.30').warnings.map((w) => w.message).join('\n')).toMatch(/htpasswd/);
  });
});

describe('registry trap: which challenges the agent refuses', () => {
  it.each([
    [{ scheme: 'none' }, undefined],
    [{ scheme: 'basic', realm: 'Registry Realm' }, /Basic \(htpasswd\) auth with realm "Registry Realm"/],
    // No realm: the agent's guard checks realms only, so it follows the challenge (test/integration/oracle checks this against Istio's code).
    [{ scheme: 'basic' }, undefined],
    [{ scheme: 'bearer', realm: 'http://localhost.:5001/token' }, undefined],
    [{ scheme: 'bearer', realm: 'http://metadata.google.internal/token' }, /cloud metadata/],
    [{ scheme: 'bearer', realm: 'https://auth.docker.io/token' }, undefined],
    [{ scheme: 'bearer', realm: 'https://localhost:5001/auth' }, /local or private/],
    [{ scheme: 'bearer', realm: 'http://192.168.1.20/token' }, /local or private/],
    [{ scheme: 'bearer', realm: 'http://169.254.169.254/token' }, /local or private/],
    [{ scheme: 'bearer', realm: 'https://[::1]/token' }, /local or private/],
    [{ scheme: 'bearer', realm: 'ftp://auth.example.com/' }, /not an http\(s\) URL/],
  ] as const)('%o', (challenge, expected) => {
    const why = agentRefusal(challenge);
    if (expected === undefined) expect(why).toBeUndefined();
    else expect(why).toMatch(expected);
  });
  it('combines challenge and version', () => {
    const basic = { scheme: 'basic', realm: 'x' } as const;
    expect(registryTrapVerdict(basic, parseIstioVersion('1.28.5'), 'h:5000').refused).toBe(true);
    expect(registryTrapVerdict(basic, parseIstioVersion('1.28.4'), 'h:5000').refused).toBe(false);
    const later = registryTrapVerdict(basic, parseIstioVersion('1.28'), 'h:5000');
    expect(later).toMatchObject({ refused: true, laterPatchesOnly: true });
    expect(later.message).toMatch(/Istio 1\.28 \(from patch 1\.28\.5 on\) cannot pull from h:5000/);
  });
});

describe('url parsing like istiod', () => {
  it.each([
    ['oci://ghcr.io/a/b:v1', 'oci'],
    ['ghcr.io/a/b:v1', 'oci'],
    ['127.0.0.1:5000/a:v1', 'oci'],
    ['http://h/p.wasm', 'http'],
    ['FILE:///x.wasm', 'file'],
  ])('%s has scheme %s', (url, scheme) => {
    const parsed = parsePluginUrl(url);
    expect(parsed.ok && parsed.url.effectiveScheme).toBe(scheme);
  });
  it('reads localhost:5000/x as scheme localhost, like Go', () => {
    const parsed = parsePluginUrl('localhost:5000/x');
    expect(parsed.ok && parsed.url.scheme).toBe('localhost');
  });
});
