import path from 'node:path';
import { CliError } from '../errors.js';
import { throwIfCancelled } from '../runtime.js';
import { defaultCliSpec } from './cli-spec.js';
import { checkTarget, placeFiles, type Placement } from './place.js';
import { mergeLayers, renderFiles, type RenderedFile } from './render.js';
import { renderContext } from './render-context.js';
import { trafficExtensionAvailableNote } from '../istio/kinds.js';
import { parseIstioVersion } from '../istio/versions.js';
import { keepKindManifest, projectConfig, renderProjectFile } from './project-file.js';
import { detectPackageManager, initGit, runInstall, type PackageManager, type QueuedStep } from './tasks.js';
import { builtinTemplateFiles, builtinTemplateNames, defaultTemplate, layersOf, resolveTemplate, type ResolvedTemplate } from './templates.js';
import { resolveValues, type ScaffoldValues, type ValueSources } from './values.js';
import { manifestFileName } from './manifest.js';
import type { TemplateFormat } from './sources/detect.js';
import type { Prompter } from './prompter.js';
import { configFileName } from '../project/schema.js';
import { byCodeUnit } from '../util/compare.js';

export interface CreateOptions {
  /** Project directory (relative to cwd), or undefined to ask / default. */
  dir?: string | undefined;
  /** Template name, path or git url; asked for when interactive, else the default. */
  template?: string | undefined;
  ref?: string | undefined;
  subdir?: string | undefined;
  /** Language of a template without template.json (default: what its build files show). */
  language?: string | undefined;
  /** Flag values as given (undefined = not given). */
  flags: Record<string, unknown>;
  valuesFile?: Record<string, unknown> | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  prompter?: Prompter | undefined;
  yes: boolean;
  overwrite: boolean;
  install: boolean;
  git: boolean;
  dryRun: boolean;
  cliSpec?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Progress and tool output (the command prints them on stderr). */
  onProgress?: ((message: string) => void) | undefined;
  onOutput?: ((line: string) => void) | undefined;
}

export interface CreateResult {
  dir: string;
  template: string;
  files: string[];
  steps: Array<QueuedStep & { status: 'done' | 'skipped' | 'planned' }>;
  packageManager: PackageManager;
  values: ScaffoldValues;
  /** template.json, cargo-generate, or plain (a repository copied as it is). */
  format: TemplateFormat;
  /** Files copied without rendering, hooks not run, settings not acted on. */
  warnings: string[];
  /** What the user should know about the choices made (e.g. TrafficExtension on Istio 1.30+). */
  notes: string[];
}

/** Renders every file of the project in memory: built-in layers, the template's, istio-wasm.yaml. */
export async function renderProject(template: ResolvedTemplate, values: ScaffoldValues, cliSpec: string): Promise<RenderedFile[]> {
  const context = renderContext(values, template.manifest.language, template.manifest.module ?? 'build/plugin.wasm', cliSpec);
  const layers: RenderedFile[][] = [];
  for (const layer of layersOf(template.manifest)) layers.push(await renderFiles(await builtinTemplateFiles(layer), context, layer));
  layers.push(await renderFiles(await template.files(), context, template.source));
  const files = keepKindManifest(mergeLayers(...layers), values.kind);
  if (!files.some((f) => f.path === configFileName)) {
    const config = projectConfig(values, template.manifest.language, context.module);
    files.push({ path: configFileName, contents: Buffer.from(renderProjectFile(config)), executable: false });
    files.sort((a, b) => byCodeUnit(a.path, b.path));
  }
  return files;
}

/**
 * The scaffold, as steps over one context: resolve the directory and values, fetch the template,
 * render in memory, place atomically, then the queued steps (install, git). Ctrl-C or a failure
 * before the end undoes the placement.
 */
export async function createProject(options: CreateOptions): Promise<CreateResult> {
  const progress = options.onProgress ?? (() => {});
  // 1. Directory.
  let dir = options.dir;
  if (dir === undefined) {
    if (options.prompter) {
      dir = await options.prompter.text({ message: 'Project directory', default: 'my-plugin', validate: (v) => (v.trim() ? true : 'a directory is needed') });
    } else if (options.yes) {
      dir = 'my-plugin';
    } else {
      throw new CliError('MISSING_VALUES', 'no project directory given', { hint: 'pass it as the first argument: create-istio-wasm my-plugin (or --yes for ./my-plugin)' });
    }
  }
  const target = path.resolve(options.cwd, dir.trim());
  const { exists } = checkTarget(target, options.overwrite);
  throwIfCancelled(options.signal);

  // 2. Template.
  let source = options.template;
  if (source === undefined && options.prompter) {
    source = await options.prompter.select({
      message: 'Template',
      choices: builtinTemplateNames().map((n) => ({ value: n, name: n === defaultTemplate ? `${n} (builds with npm alone)` : n })),
      default: defaultTemplate,
    });
  }
  const template = await resolveTemplate(source ?? defaultTemplate, { ref: options.ref, subdir: options.subdir, cwd: options.cwd, signal: options.signal });
  let placement: Placement | undefined;
  try {
    // 3. Values, 4. render in memory.
    const sources: ValueSources = {
      flags: options.flags,
      env: options.env,
      cwd: options.cwd,
      dirName: path.basename(target),
      prompter: options.prompter,
      yes: options.yes,
      ...(options.valuesFile ? { valuesFile: options.valuesFile } : {}),
    };
    const cliSpec = options.cliSpec ?? defaultCliSpec(options.env);
    let values: ScaffoldValues;
    let files: RenderedFile[];
    const warnings: string[] = [];
    if (template.format === 'template.json') {
      if (options.language !== undefined) {
        throw new CliError('INVALID_VALUE', `--language applies only to templates without ${manifestFileName} (${template.source} declares its language)`);
      }
      values = await resolveValues(sources, template.manifest.variables ?? []);
      throwIfCancelled(options.signal);
      files = await renderProject(template, values, cliSpec);
    } else {
      const { renderForeign } = await import('./sources/render-foreign.js');
      const rendered = await renderForeign(template, sources, { language: options.language, target, cwd: options.cwd, cliSpec });
      ({ values, files } = rendered);
      warnings.push(...rendered.warnings);
    }
    throwIfCancelled(options.signal);
    const pm = detectPackageManager(options.env);
    const wantsInstall = options.install && files.some((f) => f.path === 'package.json');
    const steps: CreateResult['steps'] = [];
    if (wantsInstall) steps.push({ id: 'install', command: `${pm} install`, status: 'planned' });
    if (options.git) steps.push({ id: 'git', command: 'git init && git add -A && git commit -m "Initial commit from create-istio-wasm"', status: 'planned' });
    const note = values.kind === 'TrafficExtension' ? undefined : trafficExtensionAvailableNote(parseIstioVersion(values.istioVersion));
    const notes = note ? [note] : [];
    const result: CreateResult = { dir: target, template: template.source, files: files.map((f) => f.path), steps, packageManager: pm, values, format: template.format, warnings, notes };
    if (options.dryRun) return result;

    // 5. Place.
    throwIfCancelled(options.signal);
    progress(`writing ${files.length} files to ${target}`);
    placement = await placeFiles(target, files, exists);
    throwIfCancelled(options.signal);

    // 6. Queued steps.
    for (const s of steps) {
      throwIfCancelled(options.signal);
      if (s.id === 'install') {
        progress(`installing dependencies with ${pm}`);
        await runInstall(target, pm, { signal: options.signal, onOutput: options.onOutput });
        s.status = 'done';
      } else {
        progress('initialising a git repository');
        const outcome = await initGit(target);
        s.status = outcome === 'initialized' ? 'done' : 'skipped';
      }
    }
    await placement.commit();
    return result;
  } catch (error) {
    const keep = error instanceof CliError && error.code === 'INSTALL_FAILED';
    if (placement && !keep) await placement.rollback();
    else if (placement) await placement.commit();
    throw error;
  } finally {
    await template.cleanup();
  }
}
