import { builtinVariables } from './builtin-variables.js';
import type { TemplateVariable } from './manifest.js';
import { builtinTemplateNames, readManifest, resolveTemplate, templatesRoot } from './templates.js';
import path from 'node:path';

export interface TemplateListing {
  templates: Array<{ name: string; source: string; description: string; language: string; variables: TemplateVariable[] }>;
  /** Values every template takes, with their flags and keys for a --values file. */
  variables: typeof builtinVariables;
}

/** Describes the built-in templates (or one given template) for humans and wizards. */
export async function listTemplates(one?: { source: string; ref?: string | undefined; subdir?: string | undefined; cwd: string }): Promise<TemplateListing> {
  const templates: TemplateListing['templates'] = [];
  if (one) {
    const t = await resolveTemplate(one.source, one);
    try {
      templates.push({ name: t.manifest.name, source: one.source, description: t.manifest.description, language: t.manifest.language, variables: t.manifest.variables ?? [] });
    } finally {
      await t.cleanup();
    }
  } else {
    for (const name of builtinTemplateNames()) {
      const m = await readManifest(path.join(templatesRoot, name), name);
      templates.push({ name, source: name, description: m.description, language: m.language, variables: m.variables ?? [] });
    }
  }
  return { templates, variables: builtinVariables };
}
