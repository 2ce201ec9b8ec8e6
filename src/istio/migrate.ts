import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { CliError, messageOf } from '../errors.js';
import type { Project } from '../project/load.js';
import { writeFileAtomic } from '../util/write-atomic.js';
import { checkWasmPlugin } from './check-wasmplugin.js';
import { checkTrafficExtension } from './check-trafficextension.js';
import { kindFacts, pluginApiVersion, requireKind } from './kinds.js';
import type { Problem } from './problem.js';
import { trafficExtensionPhase } from './render-trafficextension.js';
import { parseYamlDocuments } from './validate-files.js';
import { trafficExtensionFields, type IstioTarget } from './versions.js';

/**
 * `istio-wasm migrate`: WasmPlugin documents converted to TrafficExtensions (Istio 1.30+), as the
 * table of istio-trafficextension.md maps them: selector/targetRefs, phase, priority and match stay
 * at spec level (a singular targetRef becomes targetRefs, UNSPECIFIED_PHASE becomes UNSPECIFIED),
 * every module field moves under spec.wasm. A document that is not a valid WasmPlugin, or whose
 * conversion would not be a valid TrafficExtension, is refused with the field that stops it;
 * nothing is written when anything is refused. Other kinds pass through unchanged.
 */
type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Conversion {
  name: string;
  /** Set when converted. */
  trafficExtension?: Obj;
  /** Set when refused: the fields that stop a faithful conversion. */
  refused?: Problem[];
  notes: string[];
}

/** Metadata the API server sets, or that describes the WasmPlugin object itself: not carried over. */
const serverMetadata = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'];
const ownAnnotations = ['kubectl.kubernetes.io/last-applied-configuration'];

export function convertWasmPlugin(doc: Obj, target: IstioTarget): Conversion {
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '(no name)';
  const notes: string[] = [];
  const invalid = checkWasmPlugin(doc, target).errors;
  if (invalid.length > 0) return { name, refused: invalid.map((e) => ({ path: e.path, message: `the WasmPlugin is not valid for Istio ${target.text}, so its conversion would not be faithful: ${e.message}` })), notes };
  const spec = doc.spec as Obj;

  const metadata: Obj = {};
  for (const [key, value] of Object.entries(meta)) {
    if (serverMetadata.includes(key)) continue;
    if (key === 'annotations' && isObject(value)) {
      const kept = Object.fromEntries(Object.entries(value).filter(([k]) => !ownAnnotations.includes(k)));
      if (Object.keys(kept).length < Object.keys(value).length) notes.push(`${name}: left out ${ownAnnotations.join(', ')} (it describes the WasmPlugin)`);
      if (Object.keys(kept).length > 0) metadata.annotations = kept;
      continue;
    }
    metadata[key] = value;
  }
  if (Object.keys(meta).some((k) => serverMetadata.includes(k))) notes.push(`${name}: left out the metadata the API server sets (${serverMetadata.filter((k) => k in meta).join(', ')})`);
  if (doc.status !== undefined) notes.push(`${name}: left out status (the API server writes it)`);

  const out: Obj = {};
  if (spec.selector !== undefined) out.selector = spec.selector;
  if (spec.targetRef !== undefined && spec.targetRef !== null) {
    out.targetRefs = [spec.targetRef];
    notes.push(`${name}: the singular targetRef became targetRefs (a TrafficExtension has only the list)`);
  } else if (spec.targetRefs !== undefined) out.targetRefs = spec.targetRefs;
  if (spec.phase !== undefined) out.phase = typeof spec.phase === 'string' ? trafficExtensionPhase(spec.phase) : spec.phase;
  if (spec.priority !== undefined) out.priority = spec.priority;
  if (spec.match !== undefined) out.match = spec.match;
  const wasm: Obj = {};
  for (const field of trafficExtensionFields.wasm) if (spec[field] !== undefined) wasm[field] = spec[field];
  out.wasm = wasm;
  // Every WasmPlugin spec field has a place above; a field that had none would be lost.
  const placed = new Set(['selector', 'targetRef', 'targetRefs', 'phase', 'priority', 'match', ...trafficExtensionFields.wasm]);
  const lost = Object.keys(spec).filter((k) => !placed.has(k));
  if (lost.length > 0) return { name, refused: lost.map((k) => ({ path: `spec.${k}`, message: 'has no place in a TrafficExtension' })), notes };

  const trafficExtension: Obj = { apiVersion: pluginApiVersion, kind: 'TrafficExtension', metadata, spec: out };
  const errors = checkTrafficExtension(trafficExtension, target).errors;
  if (errors.length > 0) return { name, refused: errors.map((e) => ({ path: e.path, message: `the TrafficExtension would not be valid: ${e.message}` })), notes };
  return { name, trafficExtension, notes };
}

export interface MigratedFile {
  /** Where the result goes: the file itself, or deploy/trafficextension.yaml for the project. */
  file: string;
  source: string;
  text: string;
  conversions: Conversion[];
}

export interface MigrationResult {
  istioVersion: string;
  files: MigratedFile[];
  /** Set in project mode: istio-wasm.yaml gets kind: TrafficExtension with --write. */
  project?: { configPath: string; source: string };
  refused: boolean;
}

/** Converts one file's documents; other kinds are kept as they are. */
export function migrateText(text: string, target: IstioTarget, source: string): { text: string; conversions: Conversion[] } {
  let docs: unknown[];
  try {
    docs = parseYamlDocuments(text);
  } catch (error) {
    throw new CliError('MANIFEST_UNPARSEABLE', `${source} is not valid YAML: ${messageOf(error)}`, { exitCode: 2 });
  }
  const conversions: Conversion[] = [];
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc === null || doc === undefined) continue;
    if (isObject(doc) && doc.kind === 'WasmPlugin') {
      const c = convertWasmPlugin(doc, target);
      conversions.push(c);
      out.push(c.trafficExtension ?? doc);
    } else out.push(doc);
  }
  const body = out.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
  const header = `# Converted from WasmPlugin by istio-wasm migrate for Istio ${target.text}; validated against its TrafficExtension CRD and istiod rules.\n`;
  return { text: header + body, conversions };
}

export async function migrate(options: { files: string[]; project?: Project | undefined; target: IstioTarget; cwd: string }): Promise<MigrationResult> {
  requireKind('TrafficExtension', options.target);
  const result: MigrationResult = { istioVersion: options.target.text, files: [], refused: false };
  let sources = options.files.map((f) => ({ source: path.resolve(options.cwd, f), file: path.resolve(options.cwd, f) }));
  if (sources.length === 0) {
    const project = options.project;
    if (!project) {
      throw new CliError('NO_PROJECT', 'no files given and no istio-wasm.yaml here', { hint: 'pass WasmPlugin files (istio-wasm migrate FILE...), or run it in a project' });
    }
    const source = path.join(project.root, 'deploy', kindFacts.WasmPlugin.file);
    sources = [{ source, file: path.join(project.root, 'deploy', kindFacts.TrafficExtension.file) }];
    result.project = { configPath: project.configPath, source };
  }
  for (const { source, file } of sources) {
    let text: string;
    try {
      text = await readFile(source, 'utf8');
    } catch (error) {
      const hint = result.project ? 'generate it first (istio-wasm manifest --kind WasmPlugin), or render the TrafficExtension directly: istio-wasm manifest --kind TrafficExtension' : 'check the path';
      throw new CliError('MANIFEST_MISSING', `cannot read ${path.relative(options.cwd, source) || source}: ${messageOf(error)}`, { hint, exitCode: 2 });
    }
    const migrated = migrateText(text, options.target, path.relative(options.cwd, source) || source);
    if (migrated.conversions.length === 0) {
      throw new CliError('NO_WASMPLUGIN', `no WasmPlugin in ${path.relative(options.cwd, source) || source}`, { hint: 'migrate converts WasmPlugin documents', exitCode: 1 });
    }
    if (migrated.conversions.some((c) => c.refused)) result.refused = true;
    result.files.push({ file, source, ...migrated });
  }
  return result;
}

/** Writes every converted file, and `kind: TrafficExtension` into istio-wasm.yaml (comments kept). Only when nothing was refused. */
export async function writeMigration(result: MigrationResult): Promise<string[]> {
  if (result.refused) throw new CliError('INTERNAL', 'a refused migration is not written');
  const written: string[] = [];
  for (const f of result.files) {
    await writeFileAtomic(f.file, f.text);
    written.push(f.file);
  }
  if (result.project) {
    const text = await readFile(result.project.configPath, 'utf8');
    const doc = parseDocument(text);
    doc.set('kind', 'TrafficExtension');
    await writeFileAtomic(result.project.configPath, doc.toString({ lineWidth: 0 }));
    written.push(result.project.configPath);
  }
  return written;
}
