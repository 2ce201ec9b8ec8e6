import { CliError } from '../../errors.js';
import { canonicalLanguage, languageList, languages, type Language } from '../../project/schema.js';
import { planAdoption, adoptedModule } from '../adopt.js';
import type { Prompter } from '../prompter.js';
import { renderContext } from '../render-context.js';
import { mergeLayers, renderDirectory, type RenderedFile } from '../render.js';
import { resolveTemplateVariables, resolveValues, throwIfMissing, type ScaffoldValues, type ValueSources } from '../values.js';
import { activeBlocks, renderCargoGenerate } from './cargo-generate.js';
import { cargoGenerateBuiltins } from './cargo-generate-builtins.js';
import type { ForeignTemplate } from './foreign.js';
import { memoryFiles } from './project-files.js';

export interface ForeignRender {
  files: RenderedFile[];
  values: ScaffoldValues;
  language: Language;
  /** Files copied without rendering, hooks not run, and the like. */
  warnings: string[];
}

/** `--language`, else what the template's build files show, else a prompt; headless without one, an error naming the flag. */
export async function chooseLanguage(given: string | undefined, detected: Language | undefined, prompter: Prompter | undefined, what: string): Promise<Language> {
  if (given !== undefined) {
    const wanted = canonicalLanguage(given);
    if (!wanted) {
      throw new CliError('INVALID_VALUE', `--language ${given} is not one of ${languageList()}`, { hint: `pass --language ${languages.join('|')}` });
    }
    return wanted;
  }
  if (detected) return detected;
  if (prompter) {
    return (await prompter.select({ message: `Language of the plugin in ${what}`, choices: languages.map((l) => ({ value: l })) })) as Language;
  }
  throw new CliError('MISSING_VALUES', `cannot tell the plugin's language from ${what} (no Cargo.toml with a cdylib, go.mod with a Proxy-Wasm SDK, package.json with assemblyscript, or Makefile using proxy_wasm_intrinsics)`, {
    hint: `pass --language ${languages.join('|')}`,
  });
}

/**
 * Renders a template without template.json: a cargo-generate template through Liquid (its
 * placeholders asked or taken from --set, then its conditional ones), or any other repository
 * copied as it is (`.hbs` rendered, `_gitignore` renamed). Then istio-wasm.yaml and the files `init`
 * adds, only where the template has no file of that name.
 */
export async function renderForeign(
  template: ForeignTemplate,
  sources: ValueSources,
  options: { language?: string | undefined; target: string; cwd: string; cliSpec: string },
): Promise<ForeignRender> {
  const values = await resolveValues(sources, template.variables, { alsoKnown: template.conditionalVariables.map((v) => v.name) });
  const language = await chooseLanguage(options.language, template.detected?.language, sources.prompter, template.source);
  const warnings: string[] = [];
  let files: RenderedFile[];
  if (template.format === 'cargo-generate') {
    const context: Record<string, unknown> = {
      ...cargoGenerateBuiltins({ name: values.name, target: options.target, cwd: options.cwd, env: sources.env }),
      ...values.extra,
    };
    const blocks = activeBlocks(template.cargoGenerate?.conditionals ?? [], context, template.source);
    const missing: string[] = [];
    Object.assign(context, await resolveTemplateVariables(sources, blocks.flatMap((b) => b.placeholders), missing));
    throwIfMissing(missing);
    // A placeholder of a block that is not active renders empty, as in cargo-generate.
    for (const v of template.conditionalVariables) if (!(v.name in context)) context[v.name] = '';
    const rendered = await renderCargoGenerate(template.dir, template.cargoGenerate, context, template.source);
    files = rendered.files;
    warnings.push(...rendered.warnings);
  } else {
    const context = renderContext(values, language, adoptedModule, options.cliSpec);
    files = await renderDirectory(template.dir, context, template.source, {
      onForeign: (file, reason) => warnings.push(`${file} copied byte for byte, not rendered: it is not a Handlebars template for this project (${reason})`),
    });
  }
  const plan = await planAdoption({ files: memoryFiles(files), values, language, cliSpec: options.cliSpec });
  return { files: mergeLayers(files, plan.add), values, language, warnings };
}

