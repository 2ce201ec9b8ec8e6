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
import { istioVersions } from '../../src/versions.js';
import { makeTempDir } from '../helpers/tmp.js';

/**
 * The bundle carries the built-in templates as a generated module (scripts/build/builtin-templates.mjs)
 * in place of src/scaffold/builtin-templates.ts. Both must answer the same: the same names,
 * manifests and bytes, and each `*.hbs` (a plain function in the bundle, scripts/build/template-functions.mjs)
 * must render what Handlebars renders, for every template and many answers.
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
async function contextFor(name: string, flags: Record<string, unknown> = { pluginConfig: '{"header":"<x & \\"y\\">"}' }, dirName = 'wasm-auth', cliSpec = 'file:../create-istio-wasm-0.1.0.tgz'): Promise<RenderContext> {
  const text = fromSource.builtinManifestText(name);
  const manifest = (text ? JSON.parse(text) : { language: 'assemblyscript', variables: [] }) as TemplateManifest;
  const values = await resolveValues({ flags, env: {}, cwd: tmp.dir, dirName, yes: true }, manifest.variables ?? []);
  return renderContext(values, manifest.language, manifest.module ?? 'build/plugin.wasm', cliSpec);
}

/** Answers that take every branch of the templates: selector or targetRef, both kinds, each phase and fail strategy, odd numbers and names. */
const answerSets: Array<{ flags: Record<string, unknown>; dirName?: string; cliSpec?: string }> = [
  { flags: { pluginConfig: '{"header":"<x & \\"y\\">"}' } },
  { flags: {}, dirName: 'p', cliSpec: '^0.1.0' },
  { flags: { targetRef: 'Gateway/my-gateway', kind: 'TrafficExtension', phase: 'AUTHZ', priority: '-5', failStrategy: 'FAIL_OPEN', istioVersion: istioVersions[0] } },
  { flags: { selector: 'app=reviews,version=v2,tier=back-end', phase: 'STATS', priority: '0', failStrategy: 'FAIL_OPEN', istioVersion: istioVersions[istioVersions.length - 1], namespace: 'bookinfo' } },
  { flags: { name: '1st-plugin', image: 'registry.example.com:5443/team/plugins/first:latest', pluginConfig: '{"nested":{"list":[1,2,{"k":null}],"text":"{{x}} é ✓ \\u2028"},"n":0}', kind: 'TrafficExtension' } },
  { flags: { name: 'go', image: 'ghcr.io/o/go:1.2.3-rc.1', targetRef: 'Gateway/edge.gw', pluginConfig: '{}', phase: 'UNSPECIFIED_PHASE' } },
];

const plain = (files: TemplateFile[]) => files.map(({ path: p, contents, executable }) => ({ path: p, contents: contents.toString('base64'), executable }));

describe('built-in templates in the bundle', () => {
  it('names the same templates and layers, with the same manifests', () => {
    expect(generated.builtinNames()).toEqual(fromSource.builtinNames());
    expect(generated.builtinNames()).toContain('assemblyscript');
    for (const name of fromSource.builtinNames()) expect(generated.builtinManifestText(name), name).toBe(fromSource.builtinManifestText(name));
    expect(generated.builtinManifestText('no-such-template')).toBeUndefined();
  });

  it('holds every file byte for byte, with its mode, and a compiled template for each .hbs', async () => {
    for (const name of fromSource.builtinNames()) {
      const built = await generated.builtinFiles(name);
      expect(plain(built), name).toEqual(plain(await fromSource.builtinFiles(name)));
      for (const file of built) expect(file.render !== undefined, `${name}/${file.path}`).toBe(file.path.endsWith('.hbs'));
    }
  });

  it('renders each template exactly as Handlebars does, for every set of answers', async () => {
    let rendered = 0;
    for (const name of fromSource.builtinNames()) {
      for (const { flags, dirName, cliSpec } of answerSets) {
        const context = await contextFor(name, flags, dirName, cliSpec);
        const built = await renderFiles(await generated.builtinFiles(name), context, name);
        const byHandlebars = await renderFiles(await fromSource.builtinFiles(name), context, name);
        expect(built.map((f) => [f.path, f.contents.toString('base64')]), `${name} with ${JSON.stringify(flags)}`).toEqual(byHandlebars.map((f) => [f.path, f.contents.toString('base64')]));
        rendered += built.length;
      }
    }
    expect(rendered).toBeGreaterThan(0);
  });

  it('the answer sets differ where the templates branch (the comparison above is not of one output)', async () => {
    const outputs = new Set<string>();
    for (const { flags, dirName, cliSpec } of answerSets) {
      const files = await renderFiles(await generated.builtinFiles('_shared'), await contextFor('assemblyscript', flags, dirName, cliSpec), '_shared');
      outputs.add(files.map((f) => f.contents.toString()).join('\0'));
    }
    expect(outputs.size).toBe(answerSets.length);
  });

  it('a compiled template is still strict: an unknown variable names the file', async () => {
    const files = await generated.builtinFiles('assemblyscript');
    const { name: _left, ...withoutName } = await contextFor('assemblyscript');
    await expect(renderFiles(files, withoutName as unknown as RenderContext, 'assemblyscript')).rejects.toThrow(/cannot render assemblyscript\/.+\.hbs: "name" not defined/);
  });

  it('refuses a name that is not built in', async () => {
    await expect(generated.builtinFiles('../etc')).rejects.toThrow(/no built-in template or layer named/);
  });
});
