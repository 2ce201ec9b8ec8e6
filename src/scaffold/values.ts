import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError, messageOf } from '../errors.js';
import { dns1123LabelProblem, parseLabels } from '../project/names.js';
import { parseReference } from '../oci/reference.js';
import { imageFromEnv } from '../project/image.js';
import { isPluginKind, requireKind } from '../istio/kinds.js';
import { parseIstioVersion } from '../istio/versions.js';
import { builtinVariables, type BuiltinVariable } from './builtin-variables.js';
import type { TemplateVariable } from './manifest.js';
import type { Prompter } from './prompter.js';

/** Everything a project is made from, once resolved. */
export interface ScaffoldValues {
  name: string;
  namespace: string;
  selector?: Record<string, string>;
  targetRef?: { group: string; kind: string; name: string };
  phase: string;
  priority: number;
  failStrategy: string;
  pluginConfig: Record<string, unknown>;
  image: string;
  istioVersion: string;
  /** WasmPlugin or TrafficExtension (Istio 1.30+). */
  kind: string;
  /** The template's own variables. */
  extra: Record<string, unknown>;
}

/** Raw inputs: flags as given (undefined when not given), the values file, the environment. */
export interface ValueSources {
  flags: Record<string, unknown>;
  valuesFile?: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Base directory for `@file` references in flags. */
  cwd: string;
  /** Directory name the plugin name defaults to. */
  dirName: string;
  prompter?: Prompter | undefined;
  yes: boolean;
}

type Parsed = { ok: true; value: unknown } | { ok: false; problem: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and checks one built-in value, whatever its source. */
async function parseBuiltin(variable: BuiltinVariable, raw: unknown, cwd: string): Promise<Parsed> {
  const fail = (problem: string): Parsed => ({ ok: false, problem });
  switch (variable.name) {
    case 'name':
    case 'namespace': {
      const text = String(raw).trim();
      const problem = dns1123LabelProblem(text);
      return problem ? fail(problem) : { ok: true, value: text };
    }
    case 'selector': {
      if (isObject(raw)) raw = Object.entries(raw).map(([k, v]) => `${k}=${String(v)}`).join(',');
      const labels = parseLabels(String(raw));
      return typeof labels === 'string' ? fail(labels) : { ok: true, value: labels };
    }
    case 'targetRef': {
      if (isObject(raw)) {
        const kind = String(raw.kind ?? 'Gateway');
        const name = String(raw.name ?? '');
        if (!name) return fail('needs a name');
        return { ok: true, value: { group: String(raw.group ?? (kind === 'Service' ? '' : 'gateway.networking.k8s.io')), kind, name } };
      }
      const text = String(raw).trim();
      const match = /^(?:([A-Za-z][-A-Za-z0-9]*)\/)?([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(text);
      if (!match) return fail('must be Kind/name, e.g. Gateway/my-gateway');
      const kind = match[1] ?? 'Gateway';
      const group = kind === 'Service' ? '' : kind === 'ServiceEntry' ? 'networking.istio.io' : 'gateway.networking.k8s.io';
      return { ok: true, value: { group, kind, name: match[2] } };
    }
    case 'phase':
    case 'failStrategy':
    case 'kind':
    case 'istioVersion': {
      const text = String(raw).trim();
      const choices = variable.choices ?? [];
      const found = choices.find((c) => c.toLowerCase() === text.toLowerCase());
      return found ? { ok: true, value: found } : fail(`must be one of ${choices.join(', ')}`);
    }
    case 'priority': {
      const number = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isInteger(number) || number < -2147483648 || number > 2147483647) return fail('must be a 32-bit integer');
      return { ok: true, value: number };
    }
    case 'pluginConfig': {
      if (isObject(raw)) return { ok: true, value: raw };
      let text = String(raw).trim();
      if (text.startsWith('@')) {
        const file = path.resolve(cwd, text.slice(1));
        try {
          text = await readFile(file, 'utf8');
        } catch (error) {
          return fail(`cannot read ${file}: ${messageOf(error)}`);
        }
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        return fail(`is not valid JSON: ${messageOf(error)}`);
      }
      return isObject(value) ? { ok: true, value } : fail('must be a JSON object, e.g. {"protectedPrefix":"/v2"}');
    }
    case 'image': {
      const text = String(raw).trim();
      try {
        const ref = parseReference(text);
        if (ref.digest && !ref.tag) return fail('must have a tag to push to (registry/repo:tag), not only a digest');
        return { ok: true, value: text };
      } catch (error) {
        return fail(messageOf(error));
      }
    }
    default:
      return { ok: true, value: raw };
  }
}

/** Parses one template-declared variable. */
function parseTemplateVariable(variable: TemplateVariable, raw: unknown): Parsed {
  switch (variable.type) {
    case 'bool': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      const text = String(raw).trim().toLowerCase();
      if (['true', 'yes', 'y', '1', 'on'].includes(text)) return { ok: true, value: true };
      if (['false', 'no', 'n', '0', 'off'].includes(text)) return { ok: true, value: false };
      return { ok: false, problem: 'must be true or false' };
    }
    case 'choice': {
      const text = String(raw);
      return variable.choices?.includes(text) ? { ok: true, value: text } : { ok: false, problem: `must be one of ${(variable.choices ?? []).join(', ')}` };
    }
    case 'list': {
      const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(',').map((s) => s.trim()).filter(Boolean);
      const outside = variable.choices ? items.filter((i) => !variable.choices?.includes(i)) : [];
      if (outside.length > 0) return { ok: false, problem: `${outside.join(', ')}: each must be one of ${(variable.choices ?? []).join(', ')}` };
      return { ok: true, value: items };
    }
    case 'json': {
      if (typeof raw !== 'string') return { ok: true, value: raw };
      try {
        return { ok: true, value: JSON.parse(raw) };
      } catch (error) {
        return { ok: false, problem: `is not valid JSON: ${messageOf(error)}` };
      }
    }
    default: {
      const text = String(raw);
      if (variable.pattern && !new RegExp(variable.pattern).test(text)) return { ok: false, problem: `must match ${variable.pattern}` };
      return { ok: true, value: text };
    }
  }
}

function defaultText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Loads a `--values` file (YAML or JSON; keys as in `--list-templates --json`). */
export async function loadValuesFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError('VALUES_UNREADABLE', `cannot read values file ${file}: ${messageOf(error)}`, {
      hint: 'pass the path of a YAML or JSON file of values (see `create-istio-wasm --list-templates --json` for the keys)',
    });
  }
  const { parse: parseYaml } = await import('yaml');
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new CliError('VALUES_INVALID', `values file ${file} is not valid YAML or JSON: ${messageOf(error).split('\n')[0]}`);
  }
  if (data === null || data === undefined) return {};
  if (!isObject(data)) throw new CliError('VALUES_INVALID', `values file ${file} must hold a mapping of value names to values`);
  return data;
}

/**
 * Resolves every value: flag → values file → environment → prompt (interactive only) → default
 * (with --yes). Values still missing are reported together, each with the flag that sets it.
 */
export async function resolveValues(sources: ValueSources, templateVariables: TemplateVariable[], options: { alsoKnown?: string[] } = {}): Promise<ScaffoldValues> {
  const resolved: Record<string, unknown> = {};
  const missing: string[] = [];
  const { prompter, yes } = sources;
  const fromFile = sources.valuesFile ?? {};

  const computedDefault = (v: BuiltinVariable): unknown => {
    if (v.name === 'image') return `localhost:5000/wasm/${String(resolved.name ?? 'plugin')}:v0.1.0`;
    return v.default;
  };

  for (const variable of builtinVariables) {
    // selector and targetRef are one choice: a targetRef given anywhere replaces the default selector.
    if (variable.name === 'selector' && (sources.flags.targetRef !== undefined || fromFile.targetRef !== undefined) &&
        sources.flags.selector === undefined && fromFile.selector === undefined) continue;
    if (variable.name === 'targetRef' && resolved.selector !== undefined &&
        sources.flags.targetRef === undefined && fromFile.targetRef === undefined) continue;

    let raw: unknown;
    let source = '';
    if (sources.flags[variable.name] !== undefined) {
      raw = sources.flags[variable.name];
      source = variable.flag;
    } else if (fromFile[variable.key] !== undefined) {
      raw = fromFile[variable.key];
      source = `${variable.key} in the values file`;
    } else if (variable.name === 'image' && imageFromEnv(sources.env)) {
      raw = imageFromEnv(sources.env);
      source = 'REPO/IMG';
    } else if (variable.name === 'name' && dns1123LabelProblem(sources.dirName) === undefined) {
      raw = sources.dirName;
      source = 'the directory name';
    }

    if (raw !== undefined) {
      const parsed = await parseBuiltin(variable, raw, sources.cwd);
      if (!parsed.ok) {
        throw new CliError('INVALID_VALUE', `${variable.name} from ${source} ${parsed.problem}`, { hint: `fix ${variable.flag}` });
      }
      resolved[variable.name] = parsed.value;
      continue;
    }

    if (prompter) {
      const value = await promptBuiltin(prompter, variable, computedDefault(variable), sources.cwd);
      if (value !== undefined) resolved[variable.name] = value;
      continue;
    }

    const fallback = computedDefault(variable);
    if (yes && fallback !== undefined) {
      const parsed = await parseBuiltin(variable, fallback, sources.cwd);
      if (parsed.ok) resolved[variable.name] = parsed.value;
      continue;
    }
    if (variable.name === 'targetRef') continue;
    // Optional: projects (and values files) from before TrafficExtension keep working unchanged.
    if (variable.name === 'kind') {
      resolved.kind = variable.default;
      continue;
    }
    if (variable.name === 'name') {
      missing.push(`${variable.flag} (the directory name "${sources.dirName}" is not a valid plugin name: ${dns1123LabelProblem(sources.dirName) ?? ''})`);
      continue;
    }
    missing.push(variable.flag);
  }

  if (resolved.selector === undefined && resolved.targetRef === undefined && missing.length === 0) {
    missing.push('--selector or --target-ref');
  }

  const extra = await resolveTemplateVariables(sources, templateVariables, missing);
  const sets = (sources.flags.set ?? {}) as Record<string, string>;
  const known = [...templateVariables.map((v) => v.name), ...(options.alsoKnown ?? [])];
  const unknownSets = Object.keys(sets).filter((key) => !known.includes(key));
  if (unknownSets.length > 0) {
    throw new CliError('INVALID_VALUE', `--set ${unknownSets.join(', ')}: the template declares no such variable`, {
      hint: `its variables: ${known.join(', ') || '(none)'}; see --list-templates`,
    });
  }
  throwIfMissing(missing);
  const values: ScaffoldValues = {
    name: resolved.name as string,
    namespace: resolved.namespace as string,
    phase: resolved.phase as string,
    priority: resolved.priority as number,
    failStrategy: resolved.failStrategy as string,
    pluginConfig: resolved.pluginConfig as Record<string, unknown>,
    image: resolved.image as string,
    istioVersion: resolved.istioVersion as string,
    kind: resolved.kind as string,
    extra,
  };
  const kindProblem = kindVersionProblem(values.kind, values.istioVersion);
  if (kindProblem) throw new CliError('INVALID_VALUE', kindProblem, { hint: 'pass --kind WasmPlugin, or --istio-version 1.30 or newer' });
  if (resolved.selector !== undefined) values.selector = resolved.selector as Record<string, string>;
  if (resolved.targetRef !== undefined) values.targetRef = resolved.targetRef as { group: string; kind: string; name: string };
  if (values.selector && values.targetRef) {
    throw new CliError('INVALID_VALUE', 'a WasmPlugin takes a selector or a targetRef, not both', { hint: 'pass only one of --selector and --target-ref' });
  }
  return values;
}

/** Why the kind cannot be used with that Istio version (TrafficExtension arrived in 1.30), or undefined. */
function kindVersionProblem(kind: string, istioVersion: string): string | undefined {
  if (!isPluginKind(kind)) return undefined;
  try {
    requireKind(kind, parseIstioVersion(istioVersion));
    return undefined;
  } catch (error) {
    return `--kind ${kind} with --istio-version ${istioVersion}: ${messageOf(error)}`;
  }
}

/** Fails with every value that is still missing, each named by the flag that sets it. */
export function throwIfMissing(missing: string[]): void {
  if (missing.length > 0) {
    throw new CliError('MISSING_VALUES', `not running interactively, and no value was given for ${missing.join(', ')}`, {
      hint: 'pass the flags, a --values file, or --yes to accept the defaults',
    });
  }
}

/**
 * A template's own variables: `--set` → values file → prompt (interactive only) → default (with
 * --yes, or as the prompt's answer). What is still missing is appended to `missing`.
 */
export async function resolveTemplateVariables(sources: ValueSources, variables: TemplateVariable[], missing: string[]): Promise<Record<string, unknown>> {
  const extra: Record<string, unknown> = {};
  const sets = (sources.flags.set ?? {}) as Record<string, string>;
  const fromFile = sources.valuesFile ?? {};
  for (const variable of variables) {
    let raw: unknown = sets[variable.name] ?? fromFile[variable.name];
    if (raw === undefined && sources.prompter) {
      raw = await promptTemplateVariable(sources.prompter, variable);
    }
    if (raw === undefined && variable.default !== undefined && (sources.yes || sources.prompter)) raw = variable.default;
    if (raw === undefined) {
      missing.push(`--set ${variable.name}=…`);
      continue;
    }
    const parsed = parseTemplateVariable(variable, raw);
    if (!parsed.ok) throw new CliError('INVALID_VALUE', `template variable ${variable.name} ${parsed.problem}`, { hint: `fix --set ${variable.name}=…` });
    extra[variable.name] = parsed.value;
  }
  return extra;
}

async function promptBuiltin(prompter: Prompter, variable: BuiltinVariable, fallback: unknown, cwd: string): Promise<unknown> {
  if (variable.type === 'choice') {
    const choice = await prompter.select({
      message: variable.prompt,
      choices: (variable.choices ?? []).map((c) => ({ value: c })),
      ...(fallback !== undefined ? { default: String(fallback) } : {}),
    });
    const parsed = await parseBuiltin(variable, choice, cwd);
    return parsed.ok ? parsed.value : undefined;
  }
  const optional = variable.name === 'selector';
  const defaultValue = defaultText(fallback);
  const text = await prompter.text({
    message: optional ? `${variable.prompt} (empty: attach to a Gateway instead)` : variable.prompt,
    ...(defaultValue !== undefined ? { default: defaultValue } : {}),
    validate: async (value: string) => {
      if (value.trim() === '') return optional ? true : 'a value is needed';
      const parsed = await parseBuiltin(variable, value, cwd);
      return parsed.ok ? true : parsed.problem;
    },
  });
  if (optional && text.trim() === '') return undefined;
  const parsed = await parseBuiltin(variable, text, cwd);
  if (!parsed.ok) throw new CliError('INVALID_VALUE', `${variable.name} ${parsed.problem}`);
  return parsed.value;
}

async function promptTemplateVariable(prompter: Prompter, variable: TemplateVariable): Promise<unknown> {
  if (variable.type === 'bool') {
    return prompter.confirm({ message: variable.prompt, ...(typeof variable.default === 'boolean' ? { default: variable.default } : {}) });
  }
  if (variable.type === 'choice') {
    const def = defaultText(variable.default);
    return prompter.select({ message: variable.prompt, choices: (variable.choices ?? []).map((c) => ({ value: c })), ...(def !== undefined ? { default: def } : {}) });
  }
  const def = defaultText(variable.default);
  return prompter.text({
    message: variable.type === 'list' ? `${variable.prompt} (comma-separated${variable.choices ? `: ${variable.choices.join(', ')}` : ''})` : variable.prompt,
    ...(def !== undefined ? { default: def } : {}),
    validate: (value) => {
      const parsed = parseTemplateVariable(variable, value);
      return parsed.ok ? true : parsed.problem;
    },
  });
}
