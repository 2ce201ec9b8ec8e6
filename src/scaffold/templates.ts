import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CliError, messageOf } from '../errors.js';
import { canonicalLanguage, languageList } from '../project/schema.js';
import { builtinFiles, builtinManifestText, builtinNames } from './builtin-templates.js';
import { manifestFileName, type TemplateManifest, type TemplateVariable } from './manifest.js';
import type { ForeignTemplate } from './sources/foreign.js';
import { readTemplateFiles, type TemplateFile } from './template-files.js';
import { byCodeUnit } from '../util/compare.js';

export const defaultTemplate = 'assemblyscript';

/** Other names of built-in templates: `tinygo` is the Go template's name from before Go 1.24. */
export const builtinTemplateAliases: Readonly<Record<string, string>> = { tinygo: 'go' };

/** Aliases of one built-in template. */
export function aliasesOf(name: string): string[] {
  return Object.keys(builtinTemplateAliases).filter((alias) => builtinTemplateAliases[alias] === name);
}

/** A template ready to render: its manifest, its files, and how to clean up a clone. */
export interface ResolvedTemplate {
  format: 'template.json';
  /** What the user asked for (`assemblyscript`, a path or a git url). */
  source: string;
  kind: 'builtin' | 'directory' | 'git';
  manifest: TemplateManifest;
  /** The template's files (a built-in's are in the package; see builtin-templates.ts). */
  files: () => Promise<TemplateFile[]>;
  cleanup: () => Promise<void>;
}

/** Layers any template may include: built-in folders whose names start with "_". */
export function builtinLayerNames(): string[] {
  return builtinNames().filter((n) => n.startsWith('_'));
}

/** The files of a built-in template or layer (a folder of templates/ in this package). */
export function builtinTemplateFiles(name: string): Promise<TemplateFile[]> {
  return builtinFiles(name);
}

/** Layers a template renders before its own files, in order. */
export function layersOf(manifest: TemplateManifest): string[] {
  return [...(manifest.shared ? ['_shared'] : []), ...(manifest.layers ?? []).filter((l) => l !== '_shared')];
}

/** Names of the templates shipped in this package, first-class first. */
export function builtinTemplateNames(): string[] {
  const names = builtinNames().filter((n) => !n.startsWith('_') && builtinManifestText(n) !== undefined);
  return names.sort((a, b) => (a === defaultTemplate ? -1 : b === defaultTemplate ? 1 : byCodeUnit(a, b)));
}

export async function readManifest(dir: string, source: string): Promise<TemplateManifest> {
  const file = path.join(dir, manifestFileName);
  if (!existsSync(file)) {
    throw new CliError('TEMPLATE_INVALID', `${source} is not a create-istio-wasm template: it has no ${manifestFileName}`, {
      hint: `add a ${manifestFileName} with {"name", "description", "language", "variables": []} (see the built-in templates), or use --subdir to point at the template inside the repository`,
    });
  }
  return parseManifest(await readFile(file, 'utf8'), source);
}

/** The manifest of a built-in template (one of builtinTemplateNames). */
export function builtinManifest(name: string): TemplateManifest {
  const text = builtinManifestText(name);
  if (text === undefined) throw new CliError('TEMPLATE_NOT_FOUND', `unknown template "${name}"`, { hint: `use one of ${builtinTemplateNames().join(', ')}` });
  return parseManifest(text, name);
}

/** Checks a template.json's text: the fields the scaffold relies on, each variable, its layers. */
export function parseManifest(text: string, source: string): TemplateManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CliError('TEMPLATE_INVALID', `${manifestFileName} of ${source} is not valid JSON: ${messageOf(error)}`);
  }
  const manifest = data as TemplateManifest;
  const problems: string[] = [];
  if (typeof manifest.name !== 'string') problems.push('"name" must be a string');
  for (const layer of manifest.layers ?? []) {
    if (typeof layer !== 'string' || !layer.startsWith('_') || !builtinLayerNames().includes(layer)) {
      problems.push(`"layers" entry ${JSON.stringify(layer)} is not a built-in layer (${builtinLayerNames().join(', ')})`);
    }
  }
  const language = typeof manifest.language === 'string' ? canonicalLanguage(manifest.language) : undefined;
  if (language) manifest.language = language;
  else problems.push(`"language" must be one of ${languageList()}`);
  for (const [i, v] of (manifest.variables ?? []).entries()) problems.push(...variableProblems(v, i));
  if (problems.length > 0) throw new CliError('TEMPLATE_INVALID', `${manifestFileName} of ${source}: ${problems.join('; ')}`);
  return manifest;
}

function variableProblems(v: TemplateVariable, i: number): string[] {
  const at = `variables[${i}]`;
  const out: string[] = [];
  if (typeof v.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.name)) out.push(`${at}.name must be an identifier`);
  if (!['string', 'bool', 'choice', 'json'].includes(v.type)) out.push(`${at}.type must be string, bool, choice or json`);
  if (v.type === 'choice' && (!Array.isArray(v.choices) || v.choices.length === 0)) out.push(`${at}.choices must list the choices`);
  if (v.pattern !== undefined) {
    try {
      new RegExp(v.pattern);
    } catch {
      out.push(`${at}.pattern is not a valid regular expression`);
    }
  }
  return out;
}

const gitUrl = /^(https?:\/\/|git@|ssh:\/\/|git:\/\/|file:\/\/)|\.git$/;

export function isGitSource(source: string): boolean {
  return gitUrl.test(source) || /^(gh|gitlab|bb):[\w.-]+\/[\w.-]+$/.test(source);
}

/**
 * A git url as it may be shown: a password or token in its user info (`https://user:TOKEN@host/…`,
 * as CI jobs pass them) is replaced by `***`. Clone errors, manifest errors and `--json` output
 * show this form, never the credential.
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/i, (_all, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon >= 0 ? `${userinfo.slice(0, colon)}:***` : '***'}@`;
  });
}

function expandShorthand(source: string): string {
  const m = /^(gh|gitlab|bb):([\w.-]+\/[\w.-]+)$/.exec(source);
  if (!m) return source;
  const host = m[1] === 'gh' ? 'github.com' : m[1] === 'gitlab' ? 'gitlab.com' : 'bitbucket.org';
  return `https://${host}/${m[2]}.git`;
}

/** A template directory from a path or git: ours (template.json), cargo-generate, or any repository. */
async function describeTemplate(base: { source: string; kind: 'directory' | 'git'; dir: string; cleanup: () => Promise<void> }, subdir: string | undefined): Promise<ResolvedTemplate | ForeignTemplate> {
  // Loaded only for a template from a path or git: a built-in template (the scaffold's default)
  // needs neither format detection nor the readers of foreign formats.
  const { detectFormat } = await import('./sources/detect.js');
  const format = await detectFormat(base.dir, base.source);
  if (format === 'template.json') {
    const { dir, ...rest } = base;
    return { ...rest, format, manifest: await readManifest(dir, base.source), files: () => readTemplateFiles(dir) };
  }
  const { describeForeign } = await import('./sources/foreign.js');
  return describeForeign(base, format, subdir);
}

/**
 * Finds the template: a built-in name, a local directory, or a git repository (cloned to a temp
 * dir). A directory or repository without template.json is a cargo-generate template or is copied
 * as it is (see sources/detect.ts).
 */
export async function resolveTemplate(source: string, options: { ref?: string | undefined; subdir?: string | undefined; cwd: string; signal?: AbortSignal | undefined }): Promise<ResolvedTemplate | ForeignTemplate> {
  const noop = async () => {};
  const builtin = builtinTemplateAliases[source] ?? source;
  if (!isGitSource(source) && builtinTemplateNames().includes(builtin)) {
    if (options.ref || options.subdir) throw new CliError('INVALID_VALUE', '--ref and --subdir apply only to templates from git or a directory');
    return { format: 'template.json', source: builtin, kind: 'builtin', manifest: { shared: true, ...builtinManifest(builtin) }, files: () => builtinFiles(builtin), cleanup: noop };
  }
  if (!isGitSource(source)) {
    const dir = path.resolve(options.cwd, source);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new CliError('TEMPLATE_NOT_FOUND', `unknown template "${source}"`, {
        hint: `use one of ${builtinTemplateNames().join(', ')}, a local directory, or a git url (https://…, git@…, file://…, gh:owner/repo)`,
      });
    }
    if (options.ref) throw new CliError('INVALID_VALUE', '--ref applies only to templates from git');
    const templateDir = options.subdir ? path.resolve(dir, options.subdir) : dir;
    ensureSubdir(templateDir, dir, options.subdir);
    return describeTemplate({ source, kind: 'directory', dir: templateDir, cleanup: noop }, options.subdir);
  }
  const url = expandShorthand(source);
  const shown = redactUrl(source);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'create-istio-wasm-template-'));
  const cleanup = () => rm(tmp, { recursive: true, force: true });
  try {
    await cloneTemplate(url, tmp, options.ref, options.signal);
    const templateDir = options.subdir ? path.resolve(tmp, options.subdir) : tmp;
    ensureSubdir(templateDir, tmp, options.subdir);
    return await describeTemplate({ source: shown, kind: 'git', dir: templateDir, cleanup }, options.subdir);
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function ensureSubdir(dir: string, root: string, subdir: string | undefined): void {
  const inside = path.relative(root, dir);
  if (inside.startsWith('..') || path.isAbsolute(inside)) throw new CliError('INVALID_VALUE', `--subdir ${subdir ?? ''} leaves the template repository`);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CliError('TEMPLATE_NOT_FOUND', `--subdir ${subdir ?? ''} does not exist in the template`, { hint: 'check the folder name inside the repository' });
  }
}

async function cloneTemplate(url: string, into: string, ref: string | undefined, signal: AbortSignal | undefined): Promise<void> {
  const { simpleGit } = await import('simple-git');
  // simple-git refuses environments carrying editor/pager overrides; hand git only what cloning needs.
  const keep = ['PATH', 'HOME', 'USERPROFILE', 'SSH_AUTH_SOCK', 'LANG', 'LC_ALL', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'GIT_SSL_CAINFO', 'XDG_CONFIG_HOME'];
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  for (const key of keep) if (process.env[key] !== undefined) env[key] = process.env[key] as string;
  const git = simpleGit({ ...(signal ? { abort: signal } : {}), timeout: { block: 120_000 } }).env(env);
  const isCommit = ref !== undefined && /^[0-9a-f]{7,40}$/i.test(ref);
  try {
    if (isCommit) {
      await git.clone(url, into, ['--no-checkout', '--quiet']);
      await simpleGit(into).env(env).checkout(['--quiet', ref]);
    } else {
      await git.clone(url, into, ['--depth', '1', '--quiet', ...(ref ? ['--branch', ref] : [])]);
    }
  } catch (error) {
    const shown = redactUrl(url);
    const text = messageOf(error).split(url).join(shown);
    if (signal?.aborted) throw signal.reason;
    if (ref && /(Remote branch .* not found|did not match any file|reference is not a tree|not a valid|unknown revision|pathspec)/i.test(text)) {
      throw new CliError('TEMPLATE_REF_NOT_FOUND', `git ref "${ref}" does not exist in ${shown}`, { hint: 'pass an existing branch, tag or commit with --ref' });
    }
    throw new CliError('TEMPLATE_CLONE_FAILED', `cannot clone ${shown}: ${text.trim().split('\n').pop() ?? text}`, {
      hint: 'check the url and your access to it (private repositories need git credentials)',
    });
  }
  await rm(path.join(into, '.git'), { recursive: true, force: true });
}
