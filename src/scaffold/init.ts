import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { throwIfCancelled } from '../runtime.js';
import { loadProjectAt } from '../project/load.js';
import { configFileName, type Language, type ProjectConfig } from '../project/schema.js';
import { planAdoption } from './adopt.js';
import { defaultCliSpec } from './cli-spec.js';
import { placeFiles } from './place.js';
import type { Prompter } from './prompter.js';
import { caseFilters } from './sources/case-filters.js';
import { detectLanguage, type DetectedLanguage } from './sources/detect-language.js';
import { directoryFiles } from './sources/project-files.js';
import { chooseLanguage } from './sources/render-foreign.js';
import { resolveValues, type ScaffoldValues } from './values.js';

export interface InitOptions {
  /** The project directory (absolute). */
  dir: string;
  name?: string | undefined;
  language?: string | undefined;
  image?: string | undefined;
  yes: boolean;
  dryRun: boolean;
  cliSpec?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  prompter?: Prompter | undefined;
  signal?: AbortSignal | undefined;
}

export interface InitResult {
  dir: string;
  name: string;
  language: Language;
  /** What the build files showed (undefined when the language came from --language or istio-wasm.yaml alone). */
  detected?: DetectedLanguage;
  /** The module path istio-wasm.yaml names (what build writes and push reads). */
  module: string;
  image: string;
  /** Files written (or, with --dry-run, that would be). */
  added: string[];
  /** Files kept because a file of that name exists, and why it matters. */
  leftAlone: Array<{ path: string; reason: string }>;
  dryRun: boolean;
}

/** The values the generated files are rendered with, read back from an existing istio-wasm.yaml. */
function valuesFromConfig(config: ProjectConfig): ScaffoldValues {
  const wp = config.wasmPlugin;
  const values: ScaffoldValues = {
    name: config.name,
    namespace: wp.namespace,
    phase: wp.phase ?? 'UNSPECIFIED_PHASE',
    priority: wp.priority ?? 0,
    failStrategy: wp.failStrategy ?? 'FAIL_CLOSE',
    pluginConfig: wp.pluginConfig ?? {},
    image: config.image,
    istioVersion: config.istio.version,
    kind: config.kind ?? 'WasmPlugin',
    extra: {},
  };
  if (wp.selector) values.selector = wp.selector.matchLabels;
  const ref = wp.targetRefs?.[0];
  if (ref) values.targetRef = { group: ref.group ?? 'gateway.networking.k8s.io', kind: ref.kind, name: ref.name };
  return values;
}

/**
 * Adopts an existing plugin project: detects its language, resolves the same values as the
 * scaffolder (or reads istio-wasm.yaml when there is one), and writes istio-wasm.yaml and the
 * generated project files only where no file of that name exists. Running it again changes nothing.
 */
export async function initProject(options: InitOptions): Promise<InitResult> {
  const dir = options.dir;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CliError('INIT_NO_DIRECTORY', `${dir} is not a directory`, { hint: 'run `istio-wasm init` in the plugin project, or pass its directory: istio-wasm init path/to/plugin' });
  }
  const files = directoryFiles(dir);
  const detected = detectLanguage(files);
  const cliSpec = options.cliSpec ?? defaultCliSpec(options.env);
  let values: ScaffoldValues;
  let language: Language;
  let existingConfig: ProjectConfig | undefined;
  if (existsSync(path.join(dir, configFileName))) {
    existingConfig = (await loadProjectAt(dir)).config;
    values = valuesFromConfig(existingConfig);
    language = existingConfig.language;
  } else {
    language = await chooseLanguage(options.language, detected?.language, options.prompter, dir);
    values = await resolveValues({
      flags: { name: options.name, image: options.image },
      env: options.env,
      cwd: options.cwd,
      dirName: caseFilters.kebab_case!(path.basename(dir)),
      prompter: options.prompter,
      yes: options.yes,
    }, []);
  }
  throwIfCancelled(options.signal);
  const plan = await planAdoption({ files, values, language, cliSpec, existingConfig });
  const result: InitResult = {
    dir,
    name: plan.config.name,
    language: plan.config.language,
    module: plan.config.module,
    image: plan.config.image,
    added: plan.add.map((f) => f.path),
    leftAlone: plan.leftAlone,
    dryRun: options.dryRun,
  };
  if (detected && detected.language === result.language) result.detected = detected;
  const ignored = existingConfig ? (['name', 'language', 'image'] as const).filter((flag) => options[flag] !== undefined) : [];
  if (ignored.length > 0) {
    const kept = result.leftAlone.find((k) => k.path === configFileName);
    if (kept) kept.reason += ` (${ignored.map((f) => `--${f}`).join(', ')} not applied: edit ${configFileName} to change them)`;
  }
  if (options.dryRun || plan.add.length === 0) return result;
  throwIfCancelled(options.signal);
  const placement = await placeFiles(dir, plan.add, true);
  try {
    throwIfCancelled(options.signal);
  } catch (error) {
    await placement.rollback();
    throw error;
  }
  await placement.commit();
  return result;
}
