import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadPlugin } from '../../../src/testing/index.js';
import { runCli } from '../../helpers/cli.js';
import { startOracle, type FilterAnswer, type Oracle } from '../../helpers/oracle.js';
import { echoHandler, startServe, startServer } from '../../helpers/serve.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { readEcho } from '../../helpers/echo-config.js';
import { wat } from '../../unit/host/fixtures.js';

/**
 * What a plugin receives — its configuration bytes, its root id, its environment — compared
 * with the Envoy filter istiod builds (BuildHTTPWasmFilter) and the istio-agent rewrites, for the
 * same WasmPlugin: `serve` in a project (istio-wasm.yaml, the WasmPlugin `manifest` writes from it)
 * and the test API (the WasmPlugin's pluginConfig and pluginName).
 */

interface Variant {
  name: string;
  /** The project's kind (istio-wasm.yaml `kind`); WasmPlugin when absent. */
  kind?: 'TrafficExtension';
  pluginName?: string;
  pluginConfig?: Record<string, unknown>;
  env?: Array<{ name: string; value?: string; valueFrom?: 'INLINE' | 'HOST' }>;
}

const variants: Variant[] = [
  { name: 'no pluginConfig, no env', pluginName: 'echo' },
  { name: 'empty pluginConfig', pluginName: 'echo', pluginConfig: {} },
  { name: 'keys out of order, nested', pluginName: 'echo', pluginConfig: { zeta: 1, alpha: { b: 2, a: [3, { y: true, x: null }] }, Mid: 'm', _u: 'u', '10': 'ten', '9': 'nine' } },
  { name: 'numbers as float64', pluginConfig: { int: 10, big: 12345678901234567890, tiny: 0.000001, tinier: 1e-7, huge: 1e21, justBelow: 999999999999999900000, frac: 0.1, neg: -2.5, exp: 1.5e300, maxSafe: 9007199254740993 } },
  { name: 'strings Go escapes', pluginName: 'root', pluginConfig: { html: '<a href="x">&amp;</a>', ctl: 'tab\there\nnl\r\u0001\u001f\b\f', seps: 'a\u2028b\u2029c', unicode: 'héllo ☃ 𝄞', slash: 'a/b\\c', 'ключ': 'значение', é: 1, z: 2 } },
  { name: 'env INLINE and HOST', pluginName: 'echo', env: [{ name: 'MODE', value: 'strict' }, { name: 'EMPTY', valueFrom: 'INLINE' }, { name: 'ORACLE_HOST_VAR', valueFrom: 'HOST' }, { name: 'ORACLE_UNSET_VAR', valueFrom: 'HOST' }] },
  { name: 'no pluginName', pluginConfig: { a: 1 } },
  { name: 'as a TrafficExtension', kind: 'TrafficExtension', pluginName: 'echo', pluginConfig: { a: [1, 'two'] }, env: [{ name: 'MODE', value: 'strict' }] },
];

let oracle: Oracle;
let tmp: { dir: string; cleanup: () => Promise<void> };
let echoWasm: Uint8Array;
beforeAll(async () => {
  oracle = await startOracle();
  tmp = await makeTempDir('ciw-oracle-config-');
  echoWasm = await wat('echo-config.wat');
}, 45 * 60_000);
afterAll(async () => {
  await oracle?.stop();
  await tmp?.cleanup();
});

/** The environment Envoy gives the plugin: the agent-rewritten key/values, then host keys read from the proxy's own environment. */
function expectedEnv(filter: FilterAnswer, hostEnv: NodeJS.ProcessEnv): Record<string, string> {
  const env = { ...filter.pluginEnv.keyValues };
  for (const key of filter.pluginEnv.hostEnvKeys) if (hostEnv[key] !== undefined) env[key] = hostEnv[key]!;
  return env;
}

describe('the plugin sees what istiod and the istio-agent give it (Istio\'s own code)', () => {
  it('serve, in a project and from the manifest it writes: configuration bytes, root id, filter name and env', async () => {
    const created = await runCli(['echo', '--yes', '--no-install', '--no-git'], { bin: 'create-istio-wasm', cwd: tmp.dir });
    expect(created.code, created.stderr).toBe(0);
    const project = path.join(tmp.dir, 'echo');
    const configFile = path.join(project, 'istio-wasm.yaml');
    const original = parse(await readFile(configFile, 'utf8')) as { module: string; wasmPlugin: Record<string, unknown> };
    await mkdir(path.dirname(path.join(project, original.module)), { recursive: true });
    await writeFile(path.join(project, original.module), echoWasm);
    const upstream = await startServer(echoHandler());
    process.env.ORACLE_HOST_VAR = 'from the proxy';
    try {
      for (const v of variants) {
        const wasmPlugin = { ...original.wasmPlugin };
        for (const key of ['pluginName', 'pluginConfig', 'vmConfig'] as const) delete wasmPlugin[key];
        if (v.pluginName !== undefined) wasmPlugin.pluginName = v.pluginName;
        if (v.pluginConfig !== undefined) wasmPlugin.pluginConfig = v.pluginConfig;
        if (v.env !== undefined) wasmPlugin.vmConfig = { env: v.env };
        await writeFile(`${configFile}.new`, stringify({ ...original, ...(v.kind ? { kind: v.kind } : {}), wasmPlugin }));
        await rename(`${configFile}.new`, configFile);
        const manifest = await runCli(['manifest', '--output', '-'], { cwd: project });
        expect(manifest.code, manifest.stderr).toBe(0);
        const filter = await oracle.translate(parse(manifest.stdout));
        expect(filter.error, v.name).toBeUndefined();
        // The same document as --manifest, its url pointing at the module (serve runs local files).
        const doc = parse(manifest.stdout) as { kind: string; spec: { url?: string; wasm?: { url?: string } } };
        const moduleUrl = `file://${path.join(project, original.module)}`;
        if (doc.kind === 'TrafficExtension') doc.spec.wasm!.url = moduleUrl;
        else doc.spec.url = moduleUrl;
        const manifestFile = path.join(tmp.dir, 'served.yaml');
        await writeFile(manifestFile, stringify(doc));
        for (const [how, args] of [['istio-wasm.yaml', []], ['--manifest', ['--manifest', manifestFile]]] as const) {
          const serve = await startServe(['--upstream', upstream.url, ...args], { cwd: project });
          try {
            const res = await fetch(`${serve.url}/`);
            const seen = readEcho(new Uint8Array(await res.arrayBuffer()));
            const label = `${v.name} (${how})`;
            expect(seen.configuration, `${label}: configuration bytes`).toBe(filter.configuration);
            expect(seen.rootId, `${label}: root id`).toBe(filter.rootId);
            expect(seen.pluginName, `${label}: filter name`).toBe(filter.name);
            expect(seen.env, `${label}: env`).toEqual(expectedEnv(filter, process.env));
          } finally {
            await serve.stop();
          }
        }
      }
    } finally {
      delete process.env.ORACLE_HOST_VAR;
      await upstream.close();
    }
  }, 10 * 60_000);

  it('the test API: configuration bytes and root id of the WasmPlugin', async () => {
    for (const v of variants) {
      const doc = {
        apiVersion: 'extensions.istio.io/v1alpha1',
        kind: 'WasmPlugin',
        metadata: { name: 'echo', namespace: 'istio-system' },
        spec: { url: 'oci://ghcr.io/acme/echo:v1', ...(v.pluginName !== undefined ? { pluginName: v.pluginName } : {}), ...(v.pluginConfig !== undefined ? { pluginConfig: v.pluginConfig } : {}) },
      };
      const filter = await oracle.translate(doc);
      expect(filter.error, v.name).toBeUndefined();
      const plugin = await loadPlugin(echoWasm, { pluginConfig: v.pluginConfig, ...(v.pluginName !== undefined ? { rootId: v.pluginName } : {}) });
      const exchange = await plugin.request({ path: '/' });
      const seen = readEcho(new TextEncoder().encode(exchange.response?.body ?? ''));
      expect(seen.configuration, `${v.name}: configuration bytes`).toBe(filter.configuration);
      expect(seen.rootId, `${v.name}: root id`).toBe(filter.rootId);
    }
  });
});
