import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CliError, messageOf } from '../errors.js';
import { manifestFileName } from './manifest.js';
import type { RenderContext } from './render-context.js';

/** A file the scaffold will write: path relative to the project root, bytes, and mode. */
export interface RenderedFile {
  path: string;
  contents: Buffer;
  executable: boolean;
}

/** npm drops these from published packages, so templates store them with a leading underscore. */
const renamed: Record<string, string> = { _gitignore: '.gitignore', _npmrc: '.npmrc', _gitattributes: '.gitattributes', _dockerignore: '.dockerignore' };
const skipped = new Set([manifestFileName, '.git', 'node_modules', '.DS_Store']);

/**
 * Files of a template directory, relative and sorted; `.git` and `node_modules` anywhere are left
 * out, and so are the root-level names in `skip` (by default template.json and .DS_Store).
 */
export async function listFiles(dir: string, skip: ReadonlySet<string> = skipped, base = dir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (skip.has(entry.name) && dir === base) continue;
    if (entry.name === '.git' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(full, skip, base)));
    else if (entry.isFile()) files.push(path.relative(base, full));
  }
  return files.sort();
}

let engine: typeof import('handlebars') | undefined;

async function handlebars(): Promise<typeof import('handlebars')> {
  if (!engine) {
    const hb = (await import('handlebars')).default;
    const instance = hb.create();
    instance.registerHelper('json', (value: unknown) => JSON.stringify(value));
    instance.registerHelper('jsonPretty', (value: unknown) => JSON.stringify(value, null, 2));
    instance.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    engine = instance as unknown as typeof import('handlebars');
  }
  return engine;
}

/** Target path of a template file: `.hbs` stripped, `_gitignore` → `.gitignore`. */
export function outputPath(relative: string): string {
  let out = relative.endsWith('.hbs') ? relative.slice(0, -'.hbs'.length) : relative;
  const dir = path.dirname(out);
  const base = path.basename(out);
  if (renamed[base]) out = dir === '.' ? renamed[base] : path.join(dir, renamed[base]);
  return out.split(path.sep).join('/');
}

/**
 * Renders one template directory. Only `*.hbs` files go through Handlebars (strict: an unknown
 * variable is an error naming the file); everything else is copied byte for byte. With
 * `onForeign` (a repository that is not a create-istio-wasm template), a `.hbs` file that does not
 * render is copied as it is, under its own name, and reported instead.
 */
export async function renderDirectory(
  dir: string,
  context: RenderContext,
  label: string,
  options: { skip?: ReadonlySet<string>; onForeign?: (file: string, reason: string) => void } = {},
): Promise<RenderedFile[]> {
  const hb = await handlebars();
  const out: RenderedFile[] = [];
  for (const relative of await listFiles(dir, options.skip)) {
    const full = path.join(dir, relative);
    const bytes = await readFile(full);
    const { mode } = await stat(full);
    let contents = bytes;
    const target = outputPath(relative);
    if (relative.endsWith('.hbs')) {
      try {
        const template = hb.compile(bytes.toString('utf8'), { strict: true, noEscape: true });
        contents = Buffer.from(template(context), 'utf8');
      } catch (error) {
        if (options.onForeign) {
          options.onForeign(relative, (messageOf(error).split('\n')[0] ?? 'not Handlebars').replace(' in [object Object]', ''));
          out.push({ path: relative.split(path.sep).join('/'), contents: bytes, executable: (mode & 0o111) !== 0 });
          continue;
        }
        throw new CliError('TEMPLATE_RENDER_FAILED', `cannot render ${label}/${relative}: ${messageOf(error).split('\n')[0]}`, {
          hint: 'the template uses a variable that is not defined, or has a Handlebars syntax error',
        });
      }
    }
    out.push({ path: target, contents, executable: (mode & 0o111) !== 0 });
  }
  return out;
}

/** Later layers win: the template's own files replace shared ones of the same path. */
export function mergeLayers(...layers: RenderedFile[][]): RenderedFile[] {
  const byPath = new Map<string, RenderedFile>();
  for (const layer of layers) for (const file of layer) byPath.set(file.path, file);
  return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
}
