// Tests of the example plugin on create-istio-wasm's local Proxy-Wasm host (no Envoy, no Docker).
// They load the module the build wrote: `npm test` builds it first (`istio-wasm build`); without a
// local toolchain, build it with `npx istio-wasm build --docker` and run `npx vitest run`.
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlugin, type HttpCallHandler } from 'create-istio-wasm/testing';

const wasm = new URL('../build/plugin.wasm', import.meta.url);
// Istio hands the plugin its root id (the WasmPlugin's pluginName, here the project name).
const rootId = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string }).name;
const authCluster = 'outbound|8080||auth.default.svc.cluster.local';

function load(pluginConfig: unknown = {}, clusters: Record<string, HttpCallHandler> = {}) {
  return loadPlugin(wasm, { rootId, pluginConfig, clusters });
}

beforeAll(() => {
  if (!existsSync(wasm)) {
    throw new Error('build/plugin.wasm is missing: run `npm test` (it builds first), or `npx istio-wasm build --docker` without a local toolchain');
  }
});

describe('example plugin', () => {
  it('logs its configuration at INFO', async () => {
    const plugin = await load({ protectedPrefix: '/api' });
    expect(plugin.failed).toBe(false);
    expect(plugin.logsAt('info').some((line) => line.startsWith('config: ') && line.includes('"protectedPrefix":"/api"'))).toBe(true);
  });

  it('fails on configuration that is not a JSON object', async () => {
    const plugin = await load('[1, 2, 3]');
    expect(plugin.failed).toBe(true);
  });

  it('marks the request for the upstream and the response for the client', async () => {
    const plugin = await load();
    const exchange = await plugin.request({ path: '/public' });
    expect(exchange.state).toBe('upstream');
    expect(exchange.upstream?.headers['x-wasm-plugin-request']).toBe(rootId);
    const response = await exchange.respond({ status: 200, body: 'hello' });
    expect(response.status).toBe(200);
    expect(response.headers['x-wasm-plugin']).toBe(rootId);
  });

  it('uses the configured response header', async () => {
    const plugin = await load({ responseHeader: 'x-checked-by' });
    const response = await (await plugin.request({ path: '/public' })).respond();
    expect(response.headers['x-checked-by']).toBe(rootId);
  });

  it('answers 401 on the protected prefix without a credential', async () => {
    const plugin = await load();
    const exchange = await plugin.request({ path: '/v2/items' });
    expect(exchange.state).toBe('local');
    expect(exchange.response?.status).toBe(401);
    expect(exchange.response?.headers['www-authenticate']).toBe('Bearer');
    expect(exchange.response?.headers['content-type']).toBe('text/plain');
    expect(exchange.response?.body).toBe('unauthorized: missing authorization header\n');
    expect(plugin.logsAt('warn').length).toBeGreaterThan(0);
  });

  it('lets a request with the credential through', async () => {
    const plugin = await load();
    const exchange = await plugin.request({ path: '/v2/items', headers: { authorization: 'Bearer token' } });
    expect(exchange.state).toBe('upstream');
    expect(plugin.httpCalls).toHaveLength(0);
  });

  it('protects the configured prefix with the configured header', async () => {
    const plugin = await load({ protectedPrefix: '/admin', credentialHeader: 'x-api-key' });
    expect((await plugin.request({ path: '/v2/items' })).state).toBe('upstream');
    const refused = await plugin.request({ path: '/admin/users' });
    expect(refused.response?.status).toBe(401);
    expect(refused.response?.body).toBe('unauthorized: missing x-api-key header\n');
    expect((await plugin.request({ path: '/admin/users', headers: { 'x-api-key': 'k' } })).state).toBe('upstream');
  });

  describe('with an auth cluster', () => {
    const request = { path: '/v2/items', headers: { authorization: 'Bearer token' } };

    it('checks the credential with an HTTP call and resumes on 200', async () => {
      const plugin = await load({ authCluster }, { [authCluster]: () => ({ status: 200 }) });
      const exchange = await plugin.request(request);
      expect(plugin.httpCalls).toHaveLength(1);
      const call = plugin.httpCalls[0]!;
      expect(call.cluster).toBe(authCluster);
      expect(call.headers[':method']).toBe('GET');
      expect(call.headers[':path']).toBe('/check');
      expect(call.headers[':authority']).toBe('auth.default.svc.cluster.local');
      expect(call.headers.authorization).toBe('Bearer token');
      expect(call.timeoutMs).toBe(5000);
      expect(exchange.state).toBe('upstream');
    });

    it('answers 403 when the auth cluster refuses', async () => {
      const plugin = await load({ authCluster, authPath: '/verify' }, { [authCluster]: () => ({ status: 401 }) });
      const exchange = await plugin.request(request);
      expect(plugin.httpCalls[0]?.headers[':path']).toBe('/verify');
      expect(exchange.state).toBe('local');
      expect(exchange.response?.status).toBe(403);
      expect(exchange.response?.body).toBe('forbidden\n');
    });

    it('answers 403 when the call fails', async () => {
      const plugin = await load({ authCluster }, { [authCluster]: () => 'fail' });
      const exchange = await plugin.request(request);
      expect(exchange.response?.status).toBe(403);
    });
  });
});
