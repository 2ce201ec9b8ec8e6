import { describe, expect, it } from 'vitest';
import { CONFIGURATION_LIMIT, configurationText, isSecretConfigKey, istioPluginConfiguration, maskConfiguration, maskSecrets, recordedConfigurationBytes, traceConfiguration } from '../../../src/host/index.js';
import type { Project } from '../../../src/project/load.js';
import { replayPluginSpecs } from '../../../src/replay/plugins.js';
import { loadPlugin } from '../../../src/testing/index.js';
import { wat } from '../host/fixtures.js';

// A trace says which configuration each plugin ran with; replay runs it again unless --plugin-config
// overrides it, and says when the recorded and the current configuration differ.
const enc = (s: string) => new TextEncoder().encode(s);

describe('the configuration in a trace', () => {
  it('is JSON when the bytes are istiod\'s rendering, else text or base64; replay gets the same bytes back', () => {
    const value = { z: 1.5, a: ['<x>', true], m: { k: 'v' } };
    const bytes = istioPluginConfiguration(value);
    expect(new TextDecoder().decode(bytes)).toBe('{"a":["\\u003cx\\u003e",true],"m":{"k":"v"},"z":1.5}');
    const c = traceConfiguration(bytes);
    expect(c).toEqual({ size: bytes.byteLength, json: { a: ['<x>', true], m: { k: 'v' }, z: 1.5 } });
    expect(recordedConfigurationBytes(c)).toEqual(bytes);
    // JSON, but not as istiod writes it (spaces, key order): kept as the text it is.
    expect(traceConfiguration(enc('{ "b": 1, "a": 2 }'))).toEqual({ size: 18, text: '{ "b": 1, "a": 2 }' });
    expect(traceConfiguration(enc('plain text'))).toEqual({ size: 10, text: 'plain text' });
    const binary = new Uint8Array([0xff, 0x00, 0x01]);
    expect(traceConfiguration(binary)).toEqual({ size: 3, base64: '/wAB' });
    expect(recordedConfigurationBytes(traceConfiguration(binary))).toEqual(binary);
    expect(traceConfiguration(new Uint8Array(0))).toEqual({ size: 0 });
    const big = traceConfiguration(enc(JSON.stringify({ k: 'x'.repeat(CONFIGURATION_LIMIT) })));
    expect(big).toMatchObject({ size: CONFIGURATION_LIMIT + 8, truncated: true });
    expect(recordedConfigurationBytes(big)).toBeUndefined();
    expect(configurationText(c)).toBe('{"a":["<x>",true],"m":{"k":"v"},"z":1.5}');
    expect(configurationText(big, 10)).toBe(`{"k":"xxxx… (${CONFIGURATION_LIMIT + 8} bytes)`);
    expect(configurationText(traceConfiguration(binary))).toBe('(3 bytes, binary)');
  });

  it('masks credential-looking values of a JSON configuration on the way out, unless secrets were asked for', () => {
    for (const k of ['accessToken', 'client_secret', 'apiKey', 'api-key', 'PRIVATE_KEY', 'password', 'tokens', 'x.credential']) expect(isSecretConfigKey(k), k).toBe(true);
    for (const k of ['authCluster', 'session_ttl', 'keyspace', 'tokenizer', 'responseHeader', 'secretary']) expect(isSecretConfigKey(k), k).toBe(false);
    const c = traceConfiguration(istioPluginConfiguration({ mode: 'strict', upstream: { clientSecret: 's3', id: 'app' }, keys: [{ apiKey: 'k1' }], password: '' }));
    const masked = maskConfiguration(c);
    expect(masked).toEqual({ size: c.size, json: { keys: [{ apiKey: '***' }], mode: 'strict', password: '', upstream: { clientSecret: '***', id: 'app' } }, masked: true });
    expect(maskConfiguration(c)).toBe(masked);
    expect(recordedConfigurationBytes(masked)).toBeUndefined();
    const plain = traceConfiguration(istioPluginConfiguration({ mode: 'strict' }));
    expect(maskConfiguration(plain)).toBe(plain);
    // maskSecrets, as serve's file and page and the test API use it, masks it in an exchange.
    const exchange = { plugins: [{ name: 'p', configuration: c, callouts: [] }] };
    expect(maskSecrets(exchange).plugins[0]?.configuration).toBe(masked);
    expect(exchange.plugins[0]?.configuration).toBe(c);
  });

  it('is recorded per plugin in every exchange of the test API', async () => {
    const plugin = await loadPlugin(await wat('continue-only.wat'), { pluginConfig: { mode: 'strict' } });
    const exchange = await plugin.request({ path: '/' });
    expect(exchange.trace?.plugins[0]?.configuration).toEqual({ size: 17, json: { mode: 'strict' } });
    const none = await loadPlugin(await wat('continue-only.wat'));
    expect((await none.request()).trace?.plugins[0]?.configuration).toEqual({ size: 0 });
  });
});

describe('which configuration replay runs a plugin with', () => {
  const recorded = (json: unknown) => ({ name: 'p', rootId: 'r', configuration: traceConfiguration(istioPluginConfiguration(json)) });
  const project = (pluginConfig: unknown): Project => ({ root: '/p', configPath: '/p/istio-wasm.yaml', config: { name: 'p', module: 'build/plugin.wasm', istio: { version: '1.30' }, wasmPlugin: { namespace: 'istio-system', pluginConfig } } as unknown as Project['config'] });
  const bytesOf = (v: unknown) => new TextDecoder().decode(v instanceof Uint8Array ? v : enc(JSON.stringify(v)));

  it('the recorded one, silently when it is the current one', async () => {
    const notices = new Set<string>();
    const [spec] = await replayPluginSpecs({ wasm: ['x.wasm'] }, '/tmp', undefined, [recorded({ a: 1 })], notices);
    expect(bytesOf(spec?.pluginConfig)).toBe('{"a":1}');
    expect([...notices]).toEqual([]);
    const fromProject = await replayPluginSpecs({}, '/p', project({ a: 1 }), [recorded({ a: 1 })], notices);
    expect(bytesOf(fromProject[0]?.pluginConfig)).toBe('{"a":1}');
    expect([...notices]).toEqual([]);
  });

  it('the recorded one over istio-wasm.yaml\'s, saying they differ', async () => {
    const notices = new Set<string>();
    const [spec] = await replayPluginSpecs({}, '/p', project({ a: 2 }), [recorded({ a: 1 })], notices);
    expect(bytesOf(spec?.pluginConfig)).toBe('{"a":1}');
    expect([...notices]).toEqual([`p: replaying with the recorded configuration {"a":1}; istio-wasm.yaml's pluginConfig differs ({"a":2}); pass --plugin-config to replay with another`]);
  });

  it('--plugin-config over the recorded one, saying they differ; the current one when the recording has none or a cut one', async () => {
    const notices = new Set<string>();
    const [spec] = await replayPluginSpecs({ wasm: ['x.wasm'], pluginConfig: '{"a":3}' }, '/tmp', undefined, [recorded({ a: 1 })], notices);
    expect(spec?.pluginConfig).toEqual({ a: 3 });
    expect([...notices]).toEqual(['p: --plugin-config differs from the recorded configuration: recorded {"a":1}, now {"a":3}']);
    notices.clear();
    const [old] = await replayPluginSpecs({}, '/p', project({ a: 2 }), [{ name: 'p', rootId: 'r' }], notices);
    expect(old?.pluginConfig).toEqual({ a: 2 });
    const [cut] = await replayPluginSpecs({}, '/p', project({ a: 2 }), [{ name: 'p', rootId: 'r', configuration: { size: 20_000, text: 'x', truncated: true } }], notices);
    expect(cut?.pluginConfig).toEqual({ a: 2 });
    expect([...notices]).toEqual([`p: the recording kept only the first ${CONFIGURATION_LIMIT} of the configuration's 20000 bytes: replaying with istio-wasm.yaml's pluginConfig`]);
  });

  it('the current one when the recording masked credentials, saying whether it is the recorded one', async () => {
    const masked = { name: 'p', rootId: 'r', configuration: maskConfiguration(traceConfiguration(istioPluginConfiguration({ mode: 'a', apiToken: 'real' }))) };
    const notices = new Set<string>();
    const [same] = await replayPluginSpecs({}, '/p', project({ mode: 'a', apiToken: 'other' }), [masked], notices);
    expect(same?.pluginConfig).toEqual({ mode: 'a', apiToken: 'other' });
    expect([...notices]).toEqual(["p: the recording masked credentials in the configuration: replaying with istio-wasm.yaml's pluginConfig; record with `serve --trace-secrets` to replay the configuration as it was"]);
    notices.clear();
    await replayPluginSpecs({ wasm: ['x.wasm'], pluginConfig: '{"mode":"b","apiToken":"x"}' }, '/tmp', undefined, [masked], notices);
    expect([...notices]).toEqual(['p: the recording masked credentials in the configuration: replaying with --plugin-config, which differs from the recorded one (recorded {"apiToken":"***","mode":"a"}, now {"apiToken":"***","mode":"b"}); record with `serve --trace-secrets` to replay the configuration as it was']);
  });
});
