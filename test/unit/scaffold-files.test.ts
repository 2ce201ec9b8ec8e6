import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkTarget, placeFiles } from '../../src/scaffold/place.js';
import { outputPath, renderDirectory, mergeLayers, type RenderedFile } from '../../src/scaffold/render.js';
import type { RenderContext } from '../../src/scaffold/render-context.js';
import { versions } from '../../src/versions.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ciw-files-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const context = { name: 'demo', versions, pluginConfigJson: '{}' } as unknown as RenderContext;
const file = (p: string, text: string): RenderedFile => ({ path: p, contents: Buffer.from(text), executable: false });

describe('render', () => {
  it('maps template paths to project paths', () => {
    expect(outputPath('README.md.hbs')).toBe('README.md');
    expect(outputPath('_gitignore')).toBe('.gitignore');
    expect(outputPath('sub/_gitignore')).toBe('sub/.gitignore');
    expect(outputPath('Chart.yaml')).toBe('Chart.yaml');
  });

  it('renders only .hbs files and copies the rest byte for byte', async () => {
    await writeFile(path.join(dir, 'a.txt.hbs'), 'name={{name}}');
    await writeFile(path.join(dir, 'values.yaml'), 'image: {{ .Values.image }}');
    await writeFile(path.join(dir, 'blob.bin'), Buffer.from([0xde, 0xad, 0x7b, 0x7b, 0]));
    await writeFile(path.join(dir, 'template.json'), '{}');
    const files = await renderDirectory(dir, context, 't');
    expect(files.map((f) => f.path)).toEqual(['a.txt', 'blob.bin', 'values.yaml']);
    expect(files[0]?.contents.toString()).toBe('name=demo');
    expect(files[2]?.contents.toString()).toBe('image: {{ .Values.image }}');
    expect([...(files[1]?.contents ?? [])]).toEqual([0xde, 0xad, 0x7b, 0x7b, 0]);
  });

  it('names the file and the problem when a variable is unknown', async () => {
    await writeFile(path.join(dir, 'x.hbs'), '{{nope}}');
    await expect(renderDirectory(dir, context, 'tpl')).rejects.toThrow(/cannot render tpl\/x\.hbs: "nope" not defined/);
  });

  it('lets a template replace a shared file', () => {
    const merged = mergeLayers([file('Makefile', 'shared'), file('a', '1')], [file('Makefile', 'own')]);
    // Sorted by code unit (the same order on every machine, whatever the locale).
    expect(merged.map((f) => [f.path, f.contents.toString()])).toEqual([['Makefile', 'own'], ['a', '1']]);
  });
});

describe('place', () => {
  it('refuses a non-empty directory unless overwriting, and accepts one holding only .git', async () => {
    await mkdir(path.join(dir, 'p', '.git'), { recursive: true });
    expect(checkTarget(path.join(dir, 'p'), false)).toEqual({ exists: true });
    await writeFile(path.join(dir, 'p', 'x'), '');
    expect(() => checkTarget(path.join(dir, 'p'), false)).toThrow(/not empty/);
    expect(checkTarget(path.join(dir, 'p'), true)).toEqual({ exists: true });
    await writeFile(path.join(dir, 'f'), '');
    expect(() => checkTarget(path.join(dir, 'f'), true)).toThrow(/not a directory/);
  });

  it('moves a new project into place and rolls it back completely', async () => {
    const target = path.join(dir, 'deep', 'new');
    const placed = await placeFiles(target, [file('a/b.txt', 'x'), file('c', 'y')], false);
    expect(readFileSync(path.join(target, 'a/b.txt'), 'utf8')).toBe('x');
    expect(readdirSync(path.join(dir, 'deep'))).toEqual(['new']);
    await placed.rollback();
    expect(existsSync(path.join(dir, 'deep'))).toBe(false);
  });

  it('overwrites only its own files and restores them on rollback', async () => {
    const target = path.join(dir, 'old');
    await mkdir(target);
    await writeFile(path.join(target, 'Makefile'), 'mine');
    await writeFile(path.join(target, 'notes'), 'keep');
    const placed = await placeFiles(target, [file('Makefile', 'new'), file('src/x', 'y')], true);
    expect(readFileSync(path.join(target, 'Makefile'), 'utf8')).toBe('new');
    expect(readFileSync(path.join(target, 'notes'), 'utf8')).toBe('keep');
    await placed.rollback();
    expect(readFileSync(path.join(target, 'Makefile'), 'utf8')).toBe('mine');
    expect(readdirSync(target).sort()).toEqual(['Makefile', 'notes']);
  });
});

describe('template manifests', () => {
  it('accepts built-in layers and refuses anything else', async () => {
    const { readManifest, layersOf } = await import('../../src/scaffold/templates.js');
    const write = (m: object) => writeFile(path.join(dir, 'template.json'), JSON.stringify(m));
    await write({ name: 't', description: 'd', language: 'rust', layers: ['_example-tests'] });
    const manifest = await readManifest(dir, 't');
    expect(layersOf({ ...manifest, shared: true })).toEqual(['_shared', '_example-tests']);
    await write({ name: 't', description: 'd', language: 'rust', layers: ['../../etc'] });
    await expect(readManifest(dir, 't')).rejects.toThrow(/"layers" entry "..\/..\/etc" is not a built-in layer/);
    await write({ name: 't', description: 'd', language: 'cobol' });
    await expect(readManifest(dir, 't')).rejects.toThrow(/"language" must be one of/);
    await write({ name: 't', description: 'd', language: 'rust', variables: [{ name: 'x', type: 'choice', prompt: 'p' }] });
    await expect(readManifest(dir, 't')).rejects.toThrow(/variables\[0\]\.choices/);
  });
});

describe('git template urls', () => {
  it('never shows a token from the url in a clone error', async () => {
    const { resolveTemplate, redactUrl } = await import('../../src/scaffold/templates.js');
    expect(redactUrl('https://ci:SECRET-TOKEN@git.example.com/t.git')).toBe('https://ci:***@git.example.com/t.git');
    expect(redactUrl('https://SECRET-TOKEN@git.example.com/t.git')).toBe('https://***@git.example.com/t.git');
    expect(redactUrl('git@github.com:o/r.git')).toBe('git@github.com:o/r.git');
    // Port 1 on loopback refuses at once: the clone fails and its error names the url.
    const error = await resolveTemplate('https://ci:SECRET-TOKEN@127.0.0.1:1/t.git', { cwd: dir }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('https://ci:***@127.0.0.1:1/t.git');
    expect((error as Error).message).not.toContain('SECRET-TOKEN');
    expect(JSON.stringify(error)).not.toContain('SECRET-TOKEN');
  });
});
