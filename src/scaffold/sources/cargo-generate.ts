import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CliError, messageOf } from '../../errors.js';
import type { RenderedFile } from '../render.js';
import { listFiles } from '../template-files.js';
import { evaluateCondition } from './condition.js';
import { cargoGenerateConfigName, type CargoGenerateConfig, type FileRules } from './cargo-generate-config.js';
import { hasLiquid, renderLiquid } from './liquid.js';
import { byCodeUnit } from '../../util/compare.js';

const genignoreName = '.genignore';
/** Never part of the generated project, as in cargo-generate. */
const alwaysLeftOut = [cargoGenerateConfigName, genignoreName, '.cargo-ok'];

export interface CargoGenerateRender {
  files: RenderedFile[];
  /** Files copied without rendering, hooks not run, settings not acted on. */
  warnings: string[];
}

/** The conditional blocks whose condition holds for these values (an unreadable condition is an error). */
export function activeBlocks<T extends { condition: string }>(blocks: T[], values: Record<string, unknown>, source: string): T[] {
  return blocks.filter((block) => {
    try {
      return evaluateCondition(block.condition, values);
    } catch (error) {
      throw new CliError('TEMPLATE_INVALID', `${cargoGenerateConfigName} of ${source}: cannot evaluate [conditional.'${block.condition}']: ${messageOf(error)}`, {
        hint: 'conditions may compare placeholders with ==, !=, <, >, combine them with && || !, and use .contains(x) / .is_empty',
      });
    }
  });
}

async function ignoreMatcher(patterns: string[]): Promise<(file: string) => boolean> {
  if (patterns.length === 0) return () => false;
  const ignore = (await import('ignore')).default;
  const matcher = ignore().add(patterns);
  return (file) => matcher.ignores(file);
}

function isText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/**
 * Renders a cargo-generate template as cargo-generate does: Liquid in file contents and in file
 * and folder names, `.liquid` suffixes dropped, `[template]` and the active `[conditional]` blocks'
 * include / exclude / ignore applied, `.genignore` honoured, cargo-generate.toml and hook scripts
 * left out. Unlike cargo-generate, a variable nobody defined is not rendered as an empty string:
 * the file is copied byte for byte and named in a warning (its `{{ }}` belongs to another tool).
 */
export async function renderCargoGenerate(dir: string, config: CargoGenerateConfig | undefined, context: Record<string, unknown>, source: string): Promise<CargoGenerateRender> {
  const warnings: string[] = [];
  const blocks = config ? activeBlocks(config.conditionals, context, source) : [];
  const rules: FileRules[] = [config?.rules ?? {}, ...blocks];
  const include = rules.flatMap((r) => r.include ?? []);
  const exclude = rules.flatMap((r) => r.exclude ?? []);
  const ignored = new Set(rules.flatMap((r) => r.ignore ?? []).map((p) => p.replace(/^\.\//, '').replace(/\/+$/, '')));
  if (include.length > 0 && exclude.length > 0) {
    warnings.push(`${cargoGenerateConfigName} has both include and exclude lists: only include is used, as cargo-generate does`);
  }
  const hookFiles = new Set((config?.hooks ?? []).map((h) => h.file.replace(/^\.\//, '')));
  for (const hook of config?.hooks ?? []) {
    warnings.push(`${cargoGenerateConfigName} [hooks] ${hook.stage}: ${hook.file} was not run (create-istio-wasm runs no scripts from a template; read it and run what it does yourself if you trust it)`);
  }
  for (const setting of config?.unsupported ?? []) warnings.push(`${cargoGenerateConfigName} ${setting} is not acted on`);

  const genignore = existsSync(path.join(dir, genignoreName)) ? (await readFile(path.join(dir, genignoreName), 'utf8')).split(/\r?\n/) : [];
  const dropped = await ignoreMatcher(genignore);
  const included = await ignoreMatcher(include);
  const excluded = await ignoreMatcher(exclude);
  const rendered = (file: string) => (include.length > 0 ? included(file) : !excluded(file));

  const files: RenderedFile[] = [];
  for (const relative of await listFiles(dir, new Set(alwaysLeftOut))) {
    const file = relative.split(path.sep).join('/');
    const unsuffixed = file.replace(/\.liquid$/, '');
    if (hookFiles.has(file) || dropped(file)) continue;
    if ([...ignored].some((i) => unsuffixed === i || unsuffixed.startsWith(`${i}/`))) continue;
    const full = path.join(dir, relative);
    const bytes = await readFile(full);
    const { mode } = await stat(full);
    let contents = bytes;
    if (rendered(file) && isText(bytes) && hasLiquid(bytes.toString('utf8'))) {
      const outcome = await renderLiquid(bytes.toString('utf8'), context);
      if (outcome.rendered) contents = Buffer.from(outcome.text, 'utf8');
      else warnings.push(`${file} copied byte for byte, not rendered: its {{ }} is not Liquid for this template (${outcome.reason})`);
    }
    const target = await renderPath(unsuffixed, context, warnings);
    files.push({ path: target, contents, executable: (mode & 0o111) !== 0 });
  }
  return { files: files.sort((a, b) => byCodeUnit(a.path, b.path)), warnings };
}

/** Liquid in each name of a path (`src/{{crate_name}}.rs`); a name that does not render is kept. */
async function renderPath(file: string, context: Record<string, unknown>, warnings: string[]): Promise<string> {
  const parts: string[] = [];
  for (const part of file.split('/')) {
    if (!hasLiquid(part)) {
      parts.push(part);
      continue;
    }
    const outcome = await renderLiquid(part, context);
    const name = outcome.rendered ? outcome.text.replace(/[/\\\0]/g, '_').trim() : part;
    if (!outcome.rendered) warnings.push(`the name ${file} was kept as it is: ${outcome.reason}`);
    if (name === '' || name === '.' || name === '..') {
      throw new CliError('TEMPLATE_RENDER_FAILED', `the file name ${file} renders to "${name}", which cannot be a file name`, { hint: 'give the placeholder in the file name a value' });
    }
    parts.push(name);
  }
  return parts.join('/');
}
