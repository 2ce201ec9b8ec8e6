import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError, messageOf } from '../../errors.js';
import type { TemplateVariable } from '../manifest.js';

export const cargoGenerateConfigName = 'cargo-generate.toml';

/** Include/exclude/ignore lists of `[template]` or of a `[conditional.'…']` block. */
export interface FileRules {
  /** Only these files are rendered (gitignore patterns); wins over exclude, as in cargo-generate. */
  include?: string[];
  /** These files are copied without rendering (gitignore patterns). */
  exclude?: string[];
  /** These files or folders are left out (paths, no wildcards, as cargo-generate). */
  ignore?: string[];
}

export interface ConditionalBlock extends FileRules {
  /** The Rhai condition, e.g. `crate_type == "lib"`. */
  condition: string;
  placeholders: TemplateVariable[];
}

/** What a cargo-generate template declares in cargo-generate.toml (all optional). */
export interface CargoGenerateConfig {
  rules: FileRules;
  placeholders: TemplateVariable[];
  conditionals: ConditionalBlock[];
  /** Rhai hook scripts: reported, never run. */
  hooks: Array<{ stage: string; file: string }>;
  /** Settings read but not acted on (cargo_generate_version, vcs, …), for the warnings. */
  unsupported: string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, at: string, problems: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    problems.push(`${at} must be a list of strings`);
    return undefined;
  }
  return value as string[];
}

function rulesOf(table: Record<string, unknown>, at: string, problems: string[]): FileRules {
  const rules: FileRules = {};
  const include = stringList(table.include, `${at}.include`, problems);
  const exclude = stringList(table.exclude, `${at}.exclude`, problems);
  const ignore = stringList(table.ignore, `${at}.ignore`, problems);
  if (include) rules.include = include;
  if (exclude) rules.exclude = exclude;
  if (ignore) rules.ignore = ignore;
  return rules;
}

/** One `[placeholders]` entry as a template variable (prompted, `--set`, values file, default). */
function placeholderOf(name: string, spec: unknown, at: string, problems: string[]): TemplateVariable | undefined {
  if (!isObject(spec)) {
    problems.push(`${at}.${name} must be a table { type, prompt, … }`);
    return undefined;
  }
  const type = spec.type ?? 'string';
  const prompt = typeof spec.prompt === 'string' ? spec.prompt : name;
  const choices = stringList(spec.choices, `${at}.${name}.choices`, problems);
  const variable: TemplateVariable = { name, prompt, type: 'string' };
  switch (type) {
    case 'string':
    case 'text':
    case 'editor':
      variable.type = choices ? 'choice' : 'string';
      if (spec.default !== undefined && typeof spec.default !== 'string') problems.push(`${at}.${name}.default must be a string`);
      break;
    case 'bool':
      variable.type = 'bool';
      if (spec.default !== undefined && typeof spec.default !== 'boolean') problems.push(`${at}.${name}.default must be true or false`);
      break;
    case 'array':
      variable.type = 'list';
      if (spec.default !== undefined && (!Array.isArray(spec.default) || spec.default.some((v) => typeof v !== 'string'))) {
        problems.push(`${at}.${name}.default must be a list of strings`);
      }
      break;
    default:
      problems.push(`${at}.${name}.type must be string, text, editor, bool or array (got ${JSON.stringify(type)})`);
      return undefined;
  }
  if (choices) variable.choices = choices;
  if (spec.default !== undefined) variable.default = spec.default as TemplateVariable['default'];
  if (spec.regex !== undefined) {
    if (typeof spec.regex !== 'string') problems.push(`${at}.${name}.regex must be a string`);
    else {
      try {
        new RegExp(spec.regex, 'u');
        variable.pattern = spec.regex;
      } catch (error) {
        problems.push(`${at}.${name}.regex is not a regular expression this tool can use: ${messageOf(error)}`);
      }
    }
  }
  return variable;
}

function placeholdersOf(table: unknown, at: string, problems: string[]): TemplateVariable[] {
  if (table === undefined) return [];
  if (!isObject(table)) {
    problems.push(`${at} must be a table of placeholders`);
    return [];
  }
  const out: TemplateVariable[] = [];
  for (const [name, spec] of Object.entries(table)) {
    const v = placeholderOf(name, spec, at, problems);
    if (v) out.push(v);
  }
  return out;
}

/** Reads cargo-generate.toml in `dir`; a template without one has no settings (undefined). */
export async function readCargoGenerateConfig(dir: string, source: string): Promise<CargoGenerateConfig | undefined> {
  const file = path.join(dir, cargoGenerateConfigName);
  if (!existsSync(file)) return undefined;
  const { parse } = await import('smol-toml');
  let data: Record<string, unknown>;
  try {
    data = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new CliError('TEMPLATE_INVALID', `${cargoGenerateConfigName} of ${source} is not valid TOML: ${messageOf(error).split('\n')[0]}`, {
      hint: `fix ${cargoGenerateConfigName} in the template`,
    });
  }
  const problems: string[] = [];
  const template = isObject(data.template) ? data.template : {};
  const unsupported: string[] = [];
  for (const key of ['vcs', 'init', 'sub_templates']) {
    if (template[key] !== undefined) unsupported.push(`[template] ${key}`);
  }
  const config: CargoGenerateConfig = {
    rules: rulesOf(template, '[template]', problems),
    placeholders: placeholdersOf(data.placeholders, '[placeholders]', problems),
    conditionals: [],
    hooks: [],
    unsupported,
  };
  if (data.conditional !== undefined) {
    if (!isObject(data.conditional)) problems.push('[conditional] must hold tables named by their condition');
    else {
      for (const [condition, block] of Object.entries(data.conditional)) {
        const at = `[conditional.'${condition}']`;
        if (!isObject(block)) {
          problems.push(`${at} must be a table`);
          continue;
        }
        config.conditionals.push({ condition, ...rulesOf(block, at, problems), placeholders: placeholdersOf(block.placeholders, `${at}.placeholders`, problems) });
      }
    }
  }
  if (data.hooks !== undefined) {
    if (!isObject(data.hooks)) problems.push('[hooks] must be a table of lists');
    else {
      for (const [stage, files] of Object.entries(data.hooks)) {
        for (const f of stringList(files, `[hooks].${stage}`, problems) ?? []) config.hooks.push({ stage, file: f });
      }
    }
  }
  if (problems.length > 0) throw new CliError('TEMPLATE_INVALID', `${cargoGenerateConfigName} of ${source}: ${problems.join('; ')}`, { hint: `fix ${cargoGenerateConfigName} in the template` });
  return config;
}
