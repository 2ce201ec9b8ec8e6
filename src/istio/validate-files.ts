import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { messageOf } from '../errors.js';
import type { Project } from '../project/load.js';
import { checkPluginResource } from './validate.js';
import { isPluginKind, moduleSpecOf, type PluginKind } from './kinds.js';
import type { Problem } from './problem.js';
import { ociReferenceOf, type TrapContext } from './traps.js';
import { readChallenges, readLastPush, sha256File } from './project-state.js';
import type { IstioTarget } from './versions.js';

/**
 * `istio-wasm validate FILE...`: every WasmPlugin and TrafficExtension document in each file,
 * checked for one Istio version. Other kinds are skipped with a note; a file that cannot be read or parsed is reported
 * as such (exit 2 at the command).
 */
export interface DocumentResult {
  kind: PluginKind;
  name: string;
  /** 0-based position of the document in its file. */
  index: number;
  valid: boolean;
  errors: Problem[];
  warnings: Problem[];
}

export interface FileResult {
  file: string;
  documents: DocumentResult[];
  /** Documents of other kinds, skipped. */
  skipped: Array<{ index: number; kind: string; name: string }>;
  /** Set when the file could not be read or parsed. */
  error?: string;
}

export interface ValidationReport {
  istioVersion: string;
  files: FileResult[];
}

export function reportExitCode(report: ValidationReport): 0 | 1 | 2 {
  if (report.files.some((f) => f.error !== undefined)) return 2;
  if (report.files.some((f) => f.documents.some((d) => !d.valid))) return 1;
  return 0;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses YAML text into documents; throws with a line number when it is not YAML. */
export function parseYamlDocuments(text: string): unknown[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(docs)) return []; // an empty stream
  const out: unknown[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line;
      throw new Error(`${line === undefined ? '' : `line ${line}: `}${error.message.split('\n')[0]}`);
    }
    out.push(doc.toJS({ maxAliasCount: 100 }));
  }
  return out;
}

/** Flattens `kind: List` documents into their items; drops empty documents. */
function flatten(docs: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc === null || doc === undefined) continue;
    if (isObject(doc) && typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items)) out.push(...doc.items);
    else out.push(doc);
  }
  return out;
}

function nameOf(doc: unknown, index: number): string {
  const meta = isObject(doc) && isObject(doc.metadata) ? doc.metadata : undefined;
  return typeof meta?.name === 'string' && meta.name !== '' ? meta.name : `(document ${index + 1})`;
}

export function validateText(file: string, text: string, target: IstioTarget, context: TrapContext): FileResult {
  let docs: unknown[];
  try {
    docs = flatten(parseYamlDocuments(text));
  } catch (error) {
    return { file, documents: [], skipped: [], error: `not valid YAML: ${messageOf(error)}` };
  }
  const result: FileResult = { file, documents: [], skipped: [] };
  docs.forEach((doc, index) => {
    const kind = isObject(doc) && typeof doc.kind === 'string' ? doc.kind : undefined;
    if (!isPluginKind(kind)) {
      result.skipped.push({ index, kind: kind ?? '(no kind)', name: nameOf(doc, index) });
      return;
    }
    const { errors, warnings } = checkPluginResource(kind, doc, target, context);
    result.documents.push({ kind, name: nameOf(doc, index), index, valid: errors.length === 0, errors, warnings });
  });
  return result;
}

/** The trap context: what the project recorded, and which registries have credentials configured. */
export async function loadTrapContext(options: { project?: Project | undefined; hosts?: Iterable<string>; authfile?: string | undefined }): Promise<TrapContext> {
  const context: TrapContext = { manifestDigests: new Map(), moduleDigests: new Map(), challenges: new Map(), credentialHosts: new Map() };
  const project = options.project;
  if (project) {
    const last = await readLastPush(project.root);
    if (last) context.manifestDigests?.set(last.digest.replace(/^sha256:/, ''), `the last push (${last.image})`);
    const moduleFile = path.resolve(project.root, project.config.module);
    const moduleSha = await sha256File(moduleFile);
    if (moduleSha) context.moduleDigests?.set(moduleSha, path.relative(project.root, moduleFile) || moduleFile);
    for (const [host, challenge] of await readChallenges(project.root)) context.challenges?.set(host, challenge);
  }
  const hosts = [...new Set(options.hosts ?? [])];
  if (hosts.length > 0) {
    const { loadCredentials } = await import('../oci/auth-files.js');
    for (const host of hosts) {
      try {
        const creds = await loadCredentials(host, { ...(options.authfile ? { authfile: options.authfile } : {}) });
        if (creds) context.credentialHosts?.set(host, options.authfile ?? 'your registry auth files');
      } catch {
        // an unreadable auth file is push's and login's business; validation goes on without it
      }
    }
  }
  return context;
}

/** Registry hosts named by oci urls in the documents (for the Basic-auth warning). */
export function ociHostsIn(texts: string[]): string[] {
  const hosts = new Set<string>();
  for (const text of texts) {
    let docs: unknown[];
    try {
      docs = flatten(parseYamlDocuments(text));
    } catch {
      continue;
    }
    for (const doc of docs) {
      if (!isObject(doc) || !isPluginKind(doc.kind)) continue;
      const url = moduleSpecOf(doc).url;
      if (typeof url !== 'string') continue;
      if (/^(https?|file):/i.test(url)) continue;
      const ref = ociReferenceOf(url);
      if (ref) hosts.add(ref.registry);
    }
  }
  return [...hosts];
}

export async function validateFiles(files: string[], options: { target: IstioTarget; project?: Project | undefined; authfile?: string | undefined; cwd: string }): Promise<ValidationReport> {
  const texts = new Map<string, string | Error>();
  for (const file of files) {
    try {
      texts.set(file, await readFile(path.resolve(options.cwd, file), 'utf8'));
    } catch (error) {
      texts.set(file, error instanceof Error ? error : new Error(String(error)));
    }
  }
  const readable = [...texts.values()].filter((t): t is string => typeof t === 'string');
  const context = await loadTrapContext({ project: options.project, hosts: ociHostsIn(readable), authfile: options.authfile });
  const report: ValidationReport = { istioVersion: options.target.text, files: [] };
  for (const file of files) {
    const text = texts.get(file);
    if (typeof text !== 'string') {
      const code = (text as NodeJS.ErrnoException | undefined)?.code;
      report.files.push({ file, documents: [], skipped: [], error: code === 'ENOENT' ? 'no such file' : `cannot read: ${messageOf(text)}` });
      continue;
    }
    report.files.push(validateText(file, text, options.target, context));
  }
  return report;
}
