import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fromSource from '../../src/scaffold/builtin-templates.js';
import { renderFiles } from '../../src/scaffold/render.js';
import type { RenderContext } from '../../src/scaffold/render-context.js';
import type { TemplateFile } from '../../src/scaffold/template-files.js';
import { versions } from '../../src/versions.js';
import { repoRoot } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

/**
 * The bundle carries the built-in templates as a generated module (scripts/build/builtin-templates.mjs)
 * in place of src/scaffold/builtin-templates.ts. Both must answer the same: the same names,
 * manifests and bytes, and each precompiled `*.hbs` must render what compiling it renders.
 */
type Builtins = typeof fromSource;
let generated: Builtins;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  tmp = await makeTempDir('ciw-builtins-');
  const generator = (await import(pathToFileURL(path.join(repoRoot, 'scripts', 'build', 'builtin-templates.mjs')).href)) as { builtinTemplatesModule: (root: string) => Promise<string> };
  const file = path.join(tmp.dir, 'builtin-templates.mjs');
  await writeFile(file, await generator.builtinTemplatesModule(repoRoot));
  generated = (await import(pathToFileURL(file).href)) as Builtins;
}, 60_000);
afterAll(async () => tmp?.cleanup());

const context = {
  name: 'wasm-auth', snakeName: 'wasm_auth', pascalName: 'WasmAuth', language: 'rust', module: 'build/plugin.wasm',
  image: 'ghcr.io/acme/wasm-auth:v1', imageRepository: 'ghcr.io/acme/wasm-auth', imageTag: 'v1', registry: 'ghcr.io',
  namespace: 'istio-system', istioVersion: '1.30', selectorLabels: { istio: 'ingressgateway' }, phase: 'AUTHN', priority: 10,
  failStrategy: 'FAIL_CLOSE', imagePullPolicy: 'IfNotPresent', pluginConfig: { header: '<x & "y">' },
  pluginConfigJson: '{"header":"<x & \\"y\\">"}', pluginConfigPretty: '{\n  "header": "<x & \\"y\\">"\n}',
  cliSpec: 'file:../create-istio-wasm-0.1.0.tgz', cliVersion: '0.1.0', versions,
} as unknown as RenderContext;

const plain = (files: TemplateFile[]) => files.map(({ path: p, contents, executable }) => ({ path: p, contents: contents.toString('base64'), executable }));

describe('built-in templates in the bundle', () => {
  it('names the same templates and layers, with the same manifests', () => {
    expect(generated.builtinNames()).toEqual(fromSource.builtinNames());
    expect(generated.builtinNames()).toContain('assemblyscript');
    for (const name of fromSource.builtinNames()) expect(generated.builtinManifestText(name), name).toBe(fromSource.builtinManifestText(name));
    expect(generated.builtinManifestText('no-such-template')).toBeUndefined();
  });

  it('holds every file byte for byte, with its mode, and a precompiled template for each .hbs', async () => {
    for (const name of fromSource.builtinNames()) {
      const built = await generated.builtinFiles(name);
      expect(plain(built), name).toEqual(plain(await fromSource.builtinFiles(name)));
      for (const file of built) expect(file.precompiled !== undefined, `${name}/${file.path}`).toBe(file.path.endsWith('.hbs'));
    }
  });

  it('renders each template exactly as compiling it at run time does', async () => {
    for (const name of fromSource.builtinNames()) {
      const precompiled = await renderFiles(await generated.builtinFiles(name), context, name);
      const compiled = await renderFiles(await fromSource.builtinFiles(name), context, name);
      expect(precompiled.map((f) => [f.path, f.contents.toString()]), name).toEqual(compiled.map((f) => [f.path, f.contents.toString()]));
    }
  });

  it('a precompiled template is still strict: an unknown variable names the file', async () => {
    const files = await generated.builtinFiles('assemblyscript');
    const { name: _left, ...withoutName } = context;
    await expect(renderFiles(files, withoutName as unknown as RenderContext, 'assemblyscript')).rejects.toThrow(/cannot render assemblyscript\/.+\.hbs: "name" not defined/);
  });

  it('refuses a name that is not built in', async () => {
    await expect(generated.builtinFiles('../etc')).rejects.toThrow(/no built-in template or layer named/);
  });
});
