import path from 'node:path';
import type { TemplateVariable } from '../manifest.js';
import { readCargoGenerateConfig, type CargoGenerateConfig } from './cargo-generate-config.js';
import { detectLanguage, type DetectedLanguage } from './detect-language.js';
import { directoryFiles } from './project-files.js';

/** A template that is not one of ours: a cargo-generate template or any other repository. */
export interface ForeignTemplate {
  format: 'cargo-generate' | 'plain';
  /** What the user asked for (a path or a git url, credentials masked). */
  source: string;
  kind: 'directory' | 'git';
  dir: string;
  name: string;
  description: string;
  /** cargo-generate.toml, when the template has one. */
  cargoGenerate?: CargoGenerateConfig;
  /** The language its build files show, before rendering (undefined: ask, or --language). */
  detected?: DetectedLanguage;
  /** `[placeholders]`: asked (or `--set`) before the conditions are evaluated. */
  variables: TemplateVariable[];
  /** Placeholders of `[conditional.'…']` blocks, asked only when their condition holds. */
  conditionalVariables: Array<TemplateVariable & { condition: string }>;
  cleanup: () => Promise<void>;
}

function nameOf(source: string, subdir: string | undefined): string {
  const base = subdir ? path.basename(subdir) : path.basename(source.replace(/[/\\]+$/, '').replace(/\.git$/, ''));
  return base || 'template';
}

export async function describeForeign(
  base: { source: string; kind: 'directory' | 'git'; dir: string; cleanup: () => Promise<void> },
  format: 'cargo-generate' | 'plain',
  subdir: string | undefined,
): Promise<ForeignTemplate> {
  const config = format === 'cargo-generate' ? await readCargoGenerateConfig(base.dir, base.source) : undefined;
  const detected = detectLanguage(directoryFiles(base.dir, ['', '.liquid', '.hbs']));
  const template: ForeignTemplate = {
    ...base,
    format,
    name: nameOf(base.source, subdir),
    description: format === 'cargo-generate' ? 'cargo-generate template' : 'repository copied as it is',
    variables: config?.placeholders ?? [],
    conditionalVariables: (config?.conditionals ?? []).flatMap((block) => block.placeholders.map((v) => ({ ...v, condition: block.condition }))),
  };
  if (config) template.cargoGenerate = config;
  if (detected) template.detected = detected;
  return template;
}
