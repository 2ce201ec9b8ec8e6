import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlugin } from '../../src/testing/index.js';
import { buildCPlugin } from '../unit/host/fixtures.js';
import { makeTempDir } from '../helpers/tmp.js';

// The example plugin written in C against the raw ABI with WASI imports: another SDK than ours.
let wasm: Uint8Array | undefined;
let cleanup: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const tmp = await makeTempDir('ciw-c-');
  cleanup = tmp.cleanup;
  wasm = buildCPlugin('example-plugin.c', tmp.dir);
});
afterAll(async () => cleanup?.());

const authCluster = 'outbound|8080||auth.default.svc.cluster.local';

describe('a C plugin (wasm32-wasi, raw ABI) through the test API', () => {
  it('logs its config, marks requests, adds the response header', async ({ skip }) => {
    if (!wasm) return skip('clang for wasm32-wasi is not installed');
    const plugin = await loadPlugin(wasm, { rootId: 'demo', pluginConfig: { responseHeader: 'x-demo' }, env: { GREETING: 'hi' } });
    expect(plugin.failed).toBe(false);
    expect(plugin.logsAt('info')).toContain('config: {"responseHeader":"x-demo"}');
    expect(plugin.logsAt('info')).toContain('vm start: GREETING=hi');
    const ex = await plugin.request({ path: '/public' });
    expect(ex.state).toBe('upstream');
    expect(ex.upstream?.headers['x-wasm-plugin-request']).toBe('demo');
    const res = await ex.respond({ status: 200, body: 'ok' });
    expect(res.status).toBe(200);
    expect(res.headers['x-demo']).toBe('demo');
    expect(res.body).toBe('ok');
    expect(plugin.metric('example_requests_total')).toBe(1);
    expect(plugin.propertiesRead).toContain('plugin_root_id');
    expect(plugin.host.vm?.openStreams).toBe(0);
  });

  it('answers 401 on a protected path without credential', async ({ skip }) => {
    if (!wasm) return skip('clang missing');
    const plugin = await loadPlugin(wasm, { pluginConfig: {} });
    const ex = await plugin.request({ path: '/v2/things' });
    expect(ex.state).toBe('local');
    expect(ex.response?.status).toBe(401);
    expect(ex.response?.headers['www-authenticate']).toBe('Bearer');
    expect(ex.response?.body).toBe('unauthorized: missing authorization header\n');
    expect(ex.response?.headers['x-wasm-plugin']).toBe('istio-wasm');
    expect(plugin.logsAt('warn')).toEqual(['missing authorization header']);
  });

  it('checks the credential with an HTTP call answered by the test (200, then 403, then failed)', async ({ skip }) => {
    if (!wasm) return skip('clang missing');
    const plugin = await loadPlugin(wasm, { pluginConfig: { authCluster }, clusters: [authCluster] });
    const ok = await plugin.request({ path: '/v2/x', headers: { authorization: 'Bearer good' } });
    expect(ok.state).toBe('paused');
    expect(ok.pendingCalls).toHaveLength(1);
    const call = ok.pendingCalls[0]!;
    expect(call.cluster).toBe(authCluster);
    expect(call.headers).toMatchObject({ ':method': 'GET', ':path': '/check', ':authority': 'auth.default.svc.cluster.local', authorization: 'Bearer good' });
    expect(call.timeoutMs).toBe(5000);
    await call.respond({ status: 200 });
    expect(ok.state).toBe('upstream');

    const denied = await plugin.request({ path: '/v2/x', headers: { authorization: 'Bearer bad' } });
    await denied.pendingCalls[0]!.respond({ status: 401 });
    expect(denied.state).toBe('local');
    expect(denied.response?.status).toBe(403);
    expect(denied.response?.body).toBe('forbidden\n');

    const failed = await plugin.request({ path: '/v2/x', headers: { authorization: 'Bearer x' } });
    await failed.pendingCalls[0]!.fail();
    expect(failed.response?.status).toBe(403);
  });

  it('answers calls with a handler, and an unknown cluster fails the dispatch', async ({ skip }) => {
    if (!wasm) return skip('clang missing');
    const plugin = await loadPlugin(wasm, {
      pluginConfig: { authCluster },
      clusters: { [authCluster]: (call) => ({ status: call.headers.authorization === 'Bearer good' ? 200 : 403 }) },
    });
    expect((await plugin.request({ path: '/v2/a', headers: { authorization: 'Bearer good' } })).state).toBe('upstream');
    expect((await plugin.request({ path: '/v2/a', headers: { authorization: 'Bearer no' } })).response?.status).toBe(403);
    const unknown = await loadPlugin(wasm, { pluginConfig: { authCluster } });
    const ex = await unknown.request({ path: '/v2/a', headers: { authorization: 'x' } });
    expect(ex.response?.status).toBe(403);
    expect(unknown.logsAt('error')).toContain('http call failed to dispatch');
  });

  it('a configuration that is not a JSON object fails configure: FAIL_CLOSE answers 503', async ({ skip }) => {
    if (!wasm) return skip('clang missing');
    const plugin = await loadPlugin(wasm, { pluginConfig: '[1,2]' });
    expect(plugin.failed).toBe(true);
    const ex = await plugin.request({ path: '/' });
    expect(ex.response?.status).toBe(503);
    const open = await loadPlugin(wasm, { pluginConfig: 'nope', failStrategy: 'FAIL_OPEN' });
    expect((await open.request({ path: '/v2/x' })).state).toBe('upstream');
  });
});
