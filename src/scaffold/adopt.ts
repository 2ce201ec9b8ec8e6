import type { Language, ProjectConfig } from '../project/schema.js';
import { configFileName } from '../project/schema.js';
import { keepKindManifest, projectConfig, renderProjectFile } from './project-file.js';
import { renderContext } from './render-context.js';
import { renderFiles, type RenderedFile } from './render.js';
import { builtinTemplateFiles } from './templates.js';
import type { ScaffoldValues } from './values.js';
import { byCodeUnit } from '../util/compare.js';

/** What `init` (and a scaffold from a repository without template.json) adds to a project. */
export interface AdoptionPlan {
  config: ProjectConfig;
  /** Files to write: no file of that name exists. */
  add: RenderedFile[];
  /** Files it would have written, kept because a file of that name exists, and why that matters. */
  leftAlone: Array<{ path: string; reason: string }>;
}

/** Where every adopted project's build writes its module: what the Sealfile, Dockerfile, CI and tests read. */
export const adoptedModule = 'build/plugin.wasm';

/** From the language's own template: the container build, ignore files and the CI workflow. */
const fromLanguageTemplate = new Set(['Dockerfile', '.dockerignore', '.gitignore', '.github/workflows/ci.yml']);

function reasonKept(file: string, existing: string | undefined): string {
  if (file === configFileName) return 'exists: its values are used as they are';
  if (file === 'package.json') {
    return existing !== undefined && !/"create-istio-wasm"\s*:/.test(existing)
      ? 'exists without create-istio-wasm: run `npm install --save-dev create-istio-wasm vitest` so npm scripts, the Makefile and the tests find istio-wasm'
      : 'exists: kept as it is';
  }
  if (file === 'Makefile') return 'exists: its targets stay yours (`npx istio-wasm build|test|push|manifest` do what the generated targets would)';
  if (file === '.gitignore') return 'exists: kept (add build/ and node_modules/ to it)';
  return 'exists: kept as it is';
}

/**
 * The files that make a project an istio-wasm project: istio-wasm.yaml, the shared Makefile,
 * Sealfile and deploy/, the language's Dockerfile, ignore files and CI workflow, and a package.json
 * with smoke tests. Each is added only where no file of that name exists; nothing is overwritten.
 */
export async function planAdoption(options: {
  files: { exists(relative: string): boolean; read(relative: string): string | undefined };
  values: ScaffoldValues;
  language: Language;
  cliSpec: string;
  /** istio-wasm.yaml as it is, when the project has one. */
  existingConfig?: ProjectConfig | undefined;
}): Promise<AdoptionPlan> {
  const { files, values, language, cliSpec } = options;
  const module = options.existingConfig?.module ?? adoptedModule;
  const config = options.existingConfig ?? projectConfig(values, language, module);
  const context = renderContext(values, language, module, cliSpec);
  const candidates: RenderedFile[] = [
    { path: configFileName, contents: Buffer.from(renderProjectFile(config)), executable: false },
    ...keepKindManifest(await renderFiles(await builtinTemplateFiles('_shared'), context, '_shared'), config.kind ?? values.kind),
    ...(await renderFiles(await builtinTemplateFiles(language), context, language)).filter((f) => fromLanguageTemplate.has(f.path)),
    ...(await renderFiles(await builtinTemplateFiles('_adopted'), context, '_adopted')),
  ];
  const plan: AdoptionPlan = { config, add: [], leftAlone: [] };
  for (const file of candidates) {
    if (files.exists(file.path)) plan.leftAlone.push({ path: file.path, reason: reasonKept(file.path, files.read(file.path)) });
    else plan.add.push(file);
  }
  plan.add.sort((a, b) => byCodeUnit(a.path, b.path));
  return plan;
}
