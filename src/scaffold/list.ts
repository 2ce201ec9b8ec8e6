import { builtinVariables } from './builtin-variables.js';
import type { TemplateVariable } from './manifest.js';
import { aliasesOf, builtinManifest, builtinTemplateNames, resolveTemplate } from './templates.js';
import type { TemplateFormat } from './sources/detect.js';

export interface TemplateListing {
  templates: Array<{
    name: string;
    source: string;
    description: string;
    /** The plugin's language; empty for a repository whose build files do not show it (pass --language). */
    language: string;
    /** template.json, cargo-generate, or plain (a repository copied as it is). */
    format: TemplateFormat;
    /** Variables; a cargo-generate placeholder of a `[conditional]` block carries its condition in `when`. */
    variables: Array<TemplateVariable & { when?: string }>;
    /** Other names --template accepts for this built-in template. */
    aliases?: string[];
    /** cargo-generate hook scripts, which are never run. */
    hooks?: string[];
  }>;
  /** Values every template takes, with their flags and keys for a --values file. */
  variables: typeof builtinVariables;
}

/** Describes the built-in templates (or one given template) for humans and wizards. */
export async function listTemplates(one?: { source: string; ref?: string | undefined; subdir?: string | undefined; cwd: string }): Promise<TemplateListing> {
  const templates: TemplateListing['templates'] = [];
  if (one) {
    const t = await resolveTemplate(one.source, one);
    try {
      if (t.format === 'template.json') {
        templates.push({ name: t.manifest.name, source: t.source, description: t.manifest.description, language: t.manifest.language, format: t.format, variables: t.manifest.variables ?? [] });
      } else {
        templates.push({
          name: t.name,
          source: t.source,
          description: t.description,
          language: t.detected?.language ?? '',
          format: t.format,
          variables: [...t.variables, ...t.conditionalVariables.map(({ condition, ...v }) => ({ ...v, when: condition }))],
          ...(t.cargoGenerate?.hooks.length ? { hooks: t.cargoGenerate.hooks.map((h) => `${h.stage}: ${h.file}`) } : {}),
        });
      }
    } finally {
      await t.cleanup();
    }
  } else {
    for (const name of builtinTemplateNames()) {
      const m = builtinManifest(name);
      const aliases = aliasesOf(name);
      templates.push({ name, source: name, description: m.description, language: m.language, format: 'template.json', variables: m.variables ?? [], ...(aliases.length > 0 ? { aliases } : {}) });
    }
  }
  return { templates, variables: builtinVariables };
}
