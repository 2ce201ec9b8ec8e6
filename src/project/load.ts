import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError, messageOf } from '../errors.js';
import { canonicalLanguage, configFileName, failStrategies, languageList, phases, pullPolicies, resourceKinds, type ProjectConfig } from './schema.js';
import { dns1123LabelProblem } from './names.js';
import { findProjectRoot } from './find.js';

export { findProjectRoot };

export interface Project {
  /** Directory holding istio-wasm.yaml. */
  root: string;
  configPath: string;
  config: ProjectConfig;
}

/** Loads the project around `cwd`, or throws NO_PROJECT naming what to do. */
export async function loadProject(cwd: string): Promise<Project> {
  const root = findProjectRoot(cwd);
  if (!root) {
    throw new CliError('NO_PROJECT', `no ${configFileName} found in ${cwd} or any parent directory`, {
      hint: 'run this inside a project made by `create-istio-wasm`, or pass the file or image explicitly',
    });
  }
  return loadProjectAt(root);
}

export async function tryLoadProject(cwd: string): Promise<Project | undefined> {
  const root = findProjectRoot(cwd);
  return root ? loadProjectAt(root) : undefined;
}

export async function loadProjectAt(root: string): Promise<Project> {
  const configPath = path.join(root, configFileName);
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    throw new CliError('CONFIG_UNREADABLE', `cannot read ${configPath}: ${messageOf(error)}`);
  }
  const { parse: parseYaml, YAMLParseError } = await import('yaml');
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` (line ${error.linePos[0].line})` : '';
    throw new CliError('CONFIG_INVALID', `${configFileName} is not valid YAML${where}: ${messageOf(error).split('\n')[0]}`, {
      hint: `fix ${configPath}`,
    });
  }
  const problems = checkConfig(data);
  if (problems.length > 0) {
    throw new CliError('CONFIG_INVALID', `${configFileName} is invalid: ${problems.join('; ')}`, { hint: `fix ${configPath}` });
  }
  const config = data as ProjectConfig;
  // `language: tinygo` (an alias) reads as the language it names.
  config.language = canonicalLanguage(config.language) ?? config.language;
  return { root, configPath, config };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shape checks of istio-wasm.yaml (the WasmPlugin rules themselves are checked by `validate`). */
export function checkConfig(data: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(data)) return ['the file must hold a mapping (name, language, module, image, istio, wasmPlugin)'];
  const need = (key: string, ok: boolean, what: string) => {
    if (!ok) problems.push(`${key} ${what}`);
  };
  need('name', typeof data.name === 'string' && dns1123LabelProblem(data.name) === undefined, 'must be a DNS-1123 label (lower-case letters, digits, "-")');
  need('language', typeof data.language === 'string' && canonicalLanguage(data.language) !== undefined, `must be one of ${languageList()}`);
  need('module', typeof data.module === 'string' && data.module.length > 0, 'must be the path of the built .wasm');
  need('image', typeof data.image === 'string' && data.image.length > 0, 'must be an image reference like registry/repo:tag');
  need('istio.version', isObject(data.istio) && typeof data.istio.version === 'string' && /^1\.\d+(\.\d+)?$/.test(data.istio.version), 'must be an Istio version like "1.30"');
  if (data.kind !== undefined) need('kind', typeof data.kind === 'string' && (resourceKinds as readonly string[]).includes(data.kind), `must be ${resourceKinds.join(' or ')} (TrafficExtension needs Istio 1.30 or newer)`);
  if (!isObject(data.wasmPlugin)) {
    problems.push('wasmPlugin must be a mapping with at least namespace');
    return problems;
  }
  const wp = data.wasmPlugin;
  need('wasmPlugin.namespace', typeof wp.namespace === 'string' && dns1123LabelProblem(wp.namespace) === undefined, 'must be a namespace name');
  const oneOf = (key: string, allowed: readonly string[]) => {
    if (wp[key] !== undefined) need(`wasmPlugin.${key}`, typeof wp[key] === 'string' && allowed.includes(wp[key] as string), `must be one of ${allowed.join(', ')}`);
  };
  oneOf('phase', phases);
  oneOf('failStrategy', failStrategies);
  oneOf('imagePullPolicy', pullPolicies);
  if (wp.priority !== undefined) need('wasmPlugin.priority', Number.isInteger(wp.priority), 'must be an integer');
  if (wp.pluginConfig !== undefined) need('wasmPlugin.pluginConfig', isObject(wp.pluginConfig), 'must be a mapping (it is handed to the plugin as JSON)');
  if (wp.selector !== undefined) need('wasmPlugin.selector.matchLabels', isObject(wp.selector) && isObject(wp.selector.matchLabels), 'must be a mapping of labels');
  if (wp.targetRefs !== undefined) need('wasmPlugin.targetRefs', Array.isArray(wp.targetRefs), 'must be a list of {kind, name, group}');
  return problems;
}
