import path from 'node:path';
import { CliError, messageOf } from '../errors.js';
import type { RenderContext } from './render-context.js';
import { readTemplateFiles, type TemplateFile } from './template-files.js';
import { byCodeUnit } from '../util/compare.js';
import { templateRuntime, type Helper, type TemplateRuntime } from './template-functions.js';

/** A file the scaffold will write: path relative to the project root, bytes, and mode. */
export interface RenderedFile {
  path: string;
  contents: Buffer;
  executable: boolean;
}

/** npm drops these from published packages, so templates store them with a leading underscore. */
const renamed: Record<string, string> = { _gitignore: '.gitignore', _npmrc: '.npmrc', _gitattributes: '.gitattributes', _dockerignore: '.dockerignore' };

type Handlebars = typeof import('handlebars');
let compiler: Promise<Handlebars> | undefined;
let builtinRuntime: TemplateRuntime | undefined;

/** The helpers every `*.hbs` file may call, built-in or from a repository. */
export const templateHelpers: Record<string, Helper> = {
  json: (value: unknown) => JSON.stringify(value),
  jsonPretty: (value: unknown) => JSON.stringify(value, null, 2),
  eq: (a: unknown, b: unknown) => a === b,
};

/**
 * The template of one `*.hbs` file. A built-in one was compiled to a plain function when the package
 * was built (scripts/build/template-functions.mjs), which needs no part of Handlebars; any other is
 * compiled here by Handlebars.
 */
async function templateOf(file: TemplateFile): Promise<(context: RenderContext) => string> {
  if (file.render !== undefined) {
    const render = file.render;
    const runtime = (builtinRuntime ??= templateRuntime(templateHelpers));
    return (context) => render(context, runtime);
  }
  compiler ??= import('handlebars').then(({ default: handlebars }) => {
    const instance = handlebars.create();
    for (const [name, helper] of Object.entries(templateHelpers)) instance.registerHelper(name, helper);
    return instance;
  });
  return (await compiler).compile(file.contents.toString('utf8'), { strict: true, noEscape: true });
}

/** Target path of a template file: `.hbs` stripped, `_gitignore` → `.gitignore`. */
export function outputPath(relative: string): string {
  let out = relative.endsWith('.hbs') ? relative.slice(0, -'.hbs'.length) : relative;
  const dir = path.dirname(out);
  const base = path.basename(out);
  if (renamed[base]) out = dir === '.' ? renamed[base] : path.join(dir, renamed[base]);
  return out.split(path.sep).join('/');
}

export interface RenderOptions {
  /** A repository that is not a create-istio-wasm template: a `.hbs` file that does not render is copied as it is, under its own name, and reported here. */
  onForeign?: (file: string, reason: string) => void;
}

/**
 * Renders a template's files. Only `*.hbs` files go through Handlebars (strict: an unknown
 * variable is an error naming the file); everything else is copied byte for byte.
 */
export async function renderFiles(files: TemplateFile[], context: RenderContext, label: string, options: RenderOptions = {}): Promise<RenderedFile[]> {
  const out: RenderedFile[] = [];
  for (const file of files) {
    let contents = file.contents;
    if (file.path.endsWith('.hbs')) {
      try {
        contents = Buffer.from((await templateOf(file))(context), 'utf8');
      } catch (error) {
        if (options.onForeign) {
          options.onForeign(file.path, (messageOf(error).split('\n')[0] ?? 'not Handlebars').replace(' in [object Object]', ''));
          out.push({ path: file.path, contents: file.contents, executable: file.executable });
          continue;
        }
        throw new CliError('TEMPLATE_RENDER_FAILED', `cannot render ${label}/${file.path}: ${messageOf(error).split('\n')[0]}`, {
          hint: 'the template uses a variable that is not defined, or has a Handlebars syntax error',
        });
      }
    }
    out.push({ path: outputPath(file.path), contents, executable: file.executable });
  }
  return out;
}

/** Renders one template directory (a template from git or a local folder); `skip` as in listFiles. */
export async function renderDirectory(dir: string, context: RenderContext, label: string, options: RenderOptions & { skip?: ReadonlySet<string> } = {}): Promise<RenderedFile[]> {
  return renderFiles(await readTemplateFiles(dir, options.skip), context, label, options);
}

/** Later layers win: the template's own files replace shared ones of the same path. */
export function mergeLayers(...layers: RenderedFile[][]): RenderedFile[] {
  const byPath = new Map<string, RenderedFile>();
  for (const layer of layers) for (const file of layer) byPath.set(file.path, file);
  return [...byPath.values()].sort((a, b) => byCodeUnit(a.path, b.path));
}
