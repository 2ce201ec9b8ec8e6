import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../version.js';
import { manifestFileName } from './manifest.js';
import { readTemplateFiles, type TemplateFile } from './template-files.js';

/**
 * The templates and layers shipped in this package: the folders of templates/. Run from source (a
 * checkout, the unit tests) they are read from that folder. `npm run build` puts a generated module
 * in this one's place (scripts/build/builtin-templates.mjs) that holds every file, each `*.hbs`
 * compiled to a plain function, so the published CLI neither walks a directory nor loads
 * Handlebars; it keeps these three functions and their meaning.
 */
const templatesRoot = path.join(packageRoot, 'templates');

/** Folder names under templates/: templates, and layers (names starting with "_"). */
export function builtinNames(): string[] {
  return readdirSync(templatesRoot, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/** The text of a built-in's template.json, or undefined for a layer (which has none). */
export function builtinManifestText(name: string): string | undefined {
  const file = path.join(templatesRoot, name, manifestFileName);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** The files of a built-in template or layer, sorted by path. */
export function builtinFiles(name: string): Promise<TemplateFile[]> {
  return readTemplateFiles(path.join(templatesRoot, name));
}
