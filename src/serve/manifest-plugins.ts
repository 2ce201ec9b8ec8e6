import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CliError, messageOf } from '../errors.js';
import { envoyPluginName } from '../istio/filter-name.js';
import type { IstioTarget } from '../istio/versions.js';
import { failStrategies, phases, type FailStrategy, type Phase } from '../project/schema.js';
import type { PluginSpec } from './chain-order.js';

export function checkStrategy(value: string | undefined, where: string): FailStrategy | undefined {
  if (value === undefined) return undefined;
  if (!(failStrategies as readonly string[]).includes(value)) throw new CliError('BAD_FLAG', `${where} must be one of ${failStrategies.join(', ')}, got "${value}"`);
  return value as FailStrategy;
}

/**
 * vmConfig.env as Envoy hands it to the plugin: istiod sends INLINE entries as key/values (an
 * absent value is "") and HOST entries as host_env_keys, which Envoy fills from its own
 * environment when set — here, serve's environment.
 */
export function envList(env: Array<{ name: string; value?: string; valueFrom?: string } | null> | undefined, hostEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    if (!e || typeof e.name !== 'string') continue;
    if (e.valueFrom === 'HOST') {
      const value = hostEnv[e.name];
      if (value !== undefined) out[e.name] = value;
    } else out[e.name] = e.value ?? '';
  }
  return out;
}

/** The module fields, which a WasmPlugin holds in `spec` and a TrafficExtension in `spec.wasm`. */
interface ModuleFields {
  url?: string;
  pluginConfig?: unknown;
  pluginName?: string;
  failStrategy?: string;
  type?: string;
  vmConfig?: { env?: Array<{ name: string; value?: string; valueFrom?: string }> };
}

interface PluginDocument {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: ModuleFields & { phase?: string; priority?: number; wasm?: ModuleFields; lua?: unknown };
}

/**
 * Every WasmPlugin and TrafficExtension (wasm) document of a manifest file becomes one plugin of the
 * chain; other kinds are passed over. `target` is the Istio version the filter names follow.
 */
export async function readManifest(file: string, target: IstioTarget): Promise<PluginSpec[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError('BAD_FLAG', `cannot read --manifest ${file}: ${messageOf(error)}`);
  }
  const specs: PluginSpec[] = [];
  for (const doc of parseAllDocuments(text)) {
    const data = doc.toJS() as PluginDocument | null;
    if (!data || (data.kind !== 'WasmPlugin' && data.kind !== 'TrafficExtension')) continue;
    const kind = data.kind;
    const name = data.metadata?.name ?? path.basename(file);
    const spec = data.spec ?? {};
    const where = `${file}: ${kind} ${name}`;
    if (kind === 'TrafficExtension' && !spec.wasm) {
      throw new CliError('BAD_MANIFEST', `${where} ${spec.lua !== undefined ? 'is an inline Lua filter' : 'has no spec.wasm'}; serve runs Wasm plugins only`, {
        hint: 'serve the Wasm plugins from a manifest without it (Lua filters run in Envoy itself)',
      });
    }
    const fields: ModuleFields = kind === 'TrafficExtension' ? (spec.wasm ?? {}) : spec;
    const field = kind === 'TrafficExtension' ? 'spec.wasm' : 'spec';
    if (!fields.url) throw new CliError('BAD_MANIFEST', `${where} has no ${field}.url`);
    if (fields.type === 'NETWORK') {
      throw new CliError('BAD_MANIFEST', `${where} is a NETWORK (TCP) plugin; serve runs HTTP plugins`, { hint: `set ${field}.type to HTTP, or leave it out` });
    }
    let url = fields.url;
    if (url.startsWith('file://')) url = url.slice('file://'.length);
    else if (/^[a-z]+:\/\//i.test(url)) {
      throw new CliError('BAD_MANIFEST', `${where} loads ${fields.url}; serve runs local modules only`, {
        hint: `set ${field}.url to the built file (file:///path/plugin.wasm or a path relative to the manifest), or pass --wasm`,
      });
    }
    // A TrafficExtension spells the unset phase UNSPECIFIED; the chain order knows WasmPlugin's names.
    const phase = spec.phase === 'UNSPECIFIED' ? 'UNSPECIFIED_PHASE' : spec.phase;
    if (phase !== undefined && !(phases as readonly string[]).includes(phase)) {
      throw new CliError('BAD_MANIFEST', `${where}: spec.phase must be one of ${(kind === 'TrafficExtension' ? ['UNSPECIFIED', 'AUTHN', 'AUTHZ', 'STATS'] : phases).join(', ')}`);
    }
    specs.push({
      name,
      wasmPath: path.resolve(path.dirname(file), url),
      pluginConfig: fields.pluginConfig,
      rootId: fields.pluginName ?? '', // istiod: root_id is pluginName, empty when unset
      envoyName: envoyPluginName(kind, data.metadata?.namespace ?? 'default', name, target),
      env: envList(fields.vmConfig?.env),
      failStrategy: checkStrategy(fields.failStrategy, `${where}: ${field}.failStrategy`) ?? 'FAIL_CLOSE',
      ...(phase ? { phase: phase as Phase } : {}),
      ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
      source: `manifest ${path.basename(file)}`,
      fromProject: false,
    });
  }
  if (specs.length === 0) throw new CliError('BAD_MANIFEST', `${file} holds no WasmPlugin or TrafficExtension`);
  return specs;
}
