import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fromSource from '../../src/scaffold/builtin-templates.js';
import { renderFiles } from '../../src/scaffold/render.js';
import type { TemplateManifest } from '../../src/scaffold/manifest.js';
import { renderContext, type RenderContext } from '../../src/scaffold/render-context.js';
import type { TemplateFile } from '../../src/scaffold/template-files.js';
import { resolveValues } from '../../src/scaffold/values.js';
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
  const generator = (await import(pathToFileURL(path.join(repoRoot, 'scripts', 'build', 'builtin-templates.mjs')).href)) as {
    builtinTemplatesModule: (root: string, specifier: (name: string) => string) => Promise<string>;
    templateFilesModule: (root: string, name: string) => Promise<string>;
  };
  // The generated module and, beside it, the module of each template's files (chunks in the bundle).
  for (const name of fromSource.builtinNames()) await writeFile(path.join(tmp.dir, `files-${name}.mjs`), await generator.templateFilesModule(repoRoot, name));
  const file = path.join(tmp.dir, 'builtin-templates.mjs');
  await writeFile(file, await generator.builtinTemplatesModule(repoRoot, (name) => `./files-${name}.mjs`));
  generated = (await import(pathToFileURL(file).href)) as Builtins;
}, 60_000);
afterAll(async () => tmp?.cleanup());

/** The context a scaffold renders with: every value at its default, a config with characters Handlebars would escape. */
async function contextFor(name: string): Promise<RenderContext> {
  const text = fromSource.builtinManifestText(name);
  const manifest = (text ? JSON.parse(text) : { language: 'assemblyscript', variables: [] }) as TemplateManifest;
  const flags = { pluginConfig: '{"header":"<x & \\"y\\">"}' };
  const values = await resolveValues({ flags, env: {}, cwd: tmp.dir, dirName: 'wasm-auth', yes: true }, manifest.variables ?? []);
  return renderContext(values, manifest.language, manifest.module ?? 'build/plugin.wasm', 'file:../create-istio-wasm-0.1.0.tgz');
}

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
      const context = await contextFor(name);
      const precompiled = await renderFiles(await generated.builtinFiles(name), context, name);
      const compiled = await renderFiles(await fromSource.builtinFiles(name), context, name);
      expect(precompiled.map((f) => [f.path, f.contents.toString()]), name).toEqual(compiled.map((f) => [f.path, f.contents.toString()]));
    }
  });

  it('a precompiled template is still strict: an unknown variable names the file', async () => {
    const files = await generated.builtinFiles('assemblyscript');
    const { name: _left, ...withoutName } = await contextFor('assemblyscript');
    await expect(renderFiles(files, withoutName as unknown as RenderContext, 'assemblyscript')).rejects.toThrow(/cannot render assemblyscript\/.+\.hbs: "name" not defined/);
  });

  it('refuses a name that is not built in', async () => {
    await expect(generated.builtinFiles('../etc')).rejects.toThrow(/no built-in template or layer named/);
  });
});
