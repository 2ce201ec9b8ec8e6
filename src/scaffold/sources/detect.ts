import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../../errors.js';
import { manifestFileName } from '../manifest.js';
import { listFiles } from '../template-files.js';
import { cargoGenerateBuiltinNames } from './cargo-generate-names.js';
import { cargoGenerateConfigName } from './cargo-generate-config.js';

/**
 * What a template directory is, in this order: one of ours (template.json), a cargo-generate
 * template (cargo-generate.toml, or cargo-generate's built-in placeholders in its files or file
 * names), or any other repository (copied as it is).
 */
export type TemplateFormat = 'template.json' | 'cargo-generate' | 'plain';

const placeholderUse = new RegExp(`\\{\\{-?\\s*(${cargoGenerateBuiltinNames.map((n) => n.replace(/-/g, '\\-')).join('|')})\\s*(\\||-?\\}\\})`);
const scanLimit = { files: 2000, bytes: 1 << 20 };

async function usesCargoGeneratePlaceholders(dir: string): Promise<boolean> {
  const files = (await listFiles(dir, new Set())).slice(0, scanLimit.files);
  for (const file of files) {
    if (placeholderUse.test(file)) return true;
    const full = path.join(dir, file);
    if ((await stat(full)).size > scanLimit.bytes) continue;
    const text = await readFile(full, 'utf8');
    if (placeholderUse.test(text)) return true;
  }
  return false;
}

/** Folders below the root (three levels at most) holding a template of either kind. */
async function nestedTemplates(dir: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (current: string, depth: number): Promise<void> => {
    if (depth > 3) return;
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === '.git' || entry.name === 'node_modules' || entry.name === 'target') continue;
      const sub = path.join(current, entry.name);
      if (existsSync(path.join(sub, manifestFileName)) || existsSync(path.join(sub, cargoGenerateConfigName))) found.push(path.relative(dir, sub).split(path.sep).join('/'));
      else await visit(sub, depth + 1);
    }
  };
  await visit(dir, 1);
  return found.sort();
}

export async function detectFormat(dir: string, source: string): Promise<TemplateFormat> {
  if (existsSync(path.join(dir, manifestFileName))) return 'template.json';
  if (existsSync(path.join(dir, cargoGenerateConfigName))) return 'cargo-generate';
  if (await usesCargoGeneratePlaceholders(dir)) return 'cargo-generate';
  const nested = await nestedTemplates(dir);
  if (nested.length > 0) {
    throw new CliError('TEMPLATE_AMBIGUOUS', `${source} has no ${manifestFileName} or ${cargoGenerateConfigName} at its root, but templates in ${nested.join(', ')}`, {
      hint: `pick one with --subdir ${nested[0] ?? ''}`,
    });
  }
  return 'plain';
}
