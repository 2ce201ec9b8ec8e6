// Tests of the example plugin (assembly/index.ts), run on create-istio-wasm's Proxy-Wasm host: no
// Envoy, no Docker. `npm test` builds build/plugin.wasm first; `istio-wasm test` does the same.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPlugin } from 'create-istio-wasm/testing';

const wasm = fileURLToPath(new URL('../build/plugin.wasm', import.meta.url));
const authCluster = 'outbound|8080||auth.default.svc.cluster.local';

describe('example plugin', () => {
  it('logs the configuration it receives as JSON', async () => {
    const plugin = await loadPlugin(wasm, { rootId: 'my-plugin', pluginConfig: { protectedPrefix: '/admin' } });
    expect(plugin.failed).toBe(false);
    expect(plugin.logsAt('info')).toContain('config: {"protectedPrefix":"/admin"}');
  });

  it('tags the request for the upstream and the response for the client', async () => {
    const plugin = await loadPlugin(wasm, { rootId: 'my-plugin' });
    const exchange = await plugin.request({ path: '/public' });
    expect(exchange.state).toBe('upstream');
    expect(exchange.upstream?.headers['x-wasm-plugin-request']).toBe('my-plugin');
    const response = await exchange.respond({ status: 200, body: 'hello' });
    expect(response.status).toBe(200);
    expect(response.headers['x-wasm-plugin']).toBe('my-plugin');
    expect(response.body).toBe('hello');
  });

  it('answers 401 on the protected prefix without a credential', async () => {
    const plugin = await loadPlugin(wasm, { pluginConfig: {} });
    const exchange = await plugin.request({ path: '/v2/things' });
    expect(exchange.state).toBe('local');
    expect(exchange.response?.status).toBe(401);
    expect(exchange.response?.headers['www-authenticate']).toBe('Bearer');
    expect(exchange.response?.body).toBe('unauthorized: missing authorization header\n');
    expect(plugin.logsAt('warn').join('\n')).toMatch(/missing authorization header/);
  });

  it('lets a credential through when no auth cluster is configured', async () => {
    const plugin = await loadPlugin(wasm, { pluginConfig: { credentialHeader: 'x-api-key' } });
    const exchange = await plugin.request({ path: '/v2/things', headers: { 'x-api-key': 'k' } });
    expect(exchange.state).toBe('upstream');
  });

  it('checks the credential with an HTTP call: 200 lets the request through', async () => {
    const plugin = await loadPlugin(wasm, { pluginConfig: { authCluster }, clusters: [authCluster] });
    const exchange = await plugin.request({ path: '/v2/things', headers: { authorization: 'Bearer good' } });
    expect(exchange.state).toBe('paused');
    const [call] = exchange.pendingCalls;
    expect(call?.cluster).toBe(authCluster);
    expect(call?.headers).toMatchObject({ ':method': 'GET', ':path': '/check', ':authority': 'auth.default.svc.cluster.local', authorization: 'Bearer good' });
    expect(call?.timeoutMs).toBe(5000);
    await call?.respond({ status: 200 });
    expect(exchange.state).toBe('upstream');
  });

  it('checks the credential with an HTTP call: 403 or a failed call forbids', async () => {
    const plugin = await loadPlugin(wasm, {
      pluginConfig: { authCluster },
      clusters: { [authCluster]: (call) => (call.headers.authorization === 'Bearer down' ? 'fail' : { status: 403 }) },
    });
    const denied = await plugin.request({ path: '/v2/things', headers: { authorization: 'Bearer bad' } });
    expect(denied.response?.status).toBe(403);
    expect(denied.response?.body).toBe('forbidden\n');
    const failed = await plugin.request({ path: '/v2/things', headers: { authorization: 'Bearer down' } });
    expect(failed.response?.status).toBe(403);
  });

  it('refuses a configuration that is not a JSON object (the failStrategy applies)', async () => {
    const plugin = await loadPlugin(wasm, { pluginConfig: '[1, 2]' });
    expect(plugin.failed).toBe(true);
    const exchange = await plugin.request({ path: '/' });
    expect(exchange.response?.status).toBe(503);
  });

  it('frees its contexts: the host keeps nothing after the stream', async () => {
    const plugin = await loadPlugin(wasm);
    for (let i = 0; i < 200; i++) await (await plugin.request({ path: '/x' })).respond();
    expect(plugin.host.vm?.openStreams).toBe(0);
  });
});
