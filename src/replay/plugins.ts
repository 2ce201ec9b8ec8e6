import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError, messageOf } from '../errors.js';
import { Plugin, compilePluginModule, type FailStrategy, type HttpCallDispatcher, type HttpCallResponse, type TraceCallout } from '../host/index.js';
import type { Project } from '../project/load.js';
import { readPluginConfig } from '../serve/options.js';

export interface ReplayFlags {
  wasm?: string[];
  pluginConfig?: string;
  rootId?: string;
  env?: string[];
  /** HAR files: the live upstream, and clusters the plugins call (NAME=URL, as serve --cluster). */
  upstream?: string;
  cluster?: string[];
  json?: boolean;
}

/** A plugin of the chain replay runs: the current build, configured like the recorded one. */
export interface ReplayPluginSpec {
  name: string;
  wasmPath: string;
  pluginConfig: unknown;
  rootId: string;
  env: Record<string, string>;
  failStrategy: FailStrategy;
}

function envPairs(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const at = v.indexOf('=');
    if (at <= 0) throw new CliError('BAD_FLAG', `--env takes NAME=VALUE, got "${v}"`);
    out[v.slice(0, at)] = v.slice(at + 1);
  }
  return out;
}

/**
 * The chain to replay through: each --wasm (in order), or the project's module, named and rooted as
 * the recording's plugins were (so the comparison lines up), configured from the flags, else from
 * istio-wasm.yaml.
 */
export async function replayPluginSpecs(flags: ReplayFlags, cwd: string, project: Project | undefined, recorded: ReadonlyArray<{ name: string; rootId: string }>): Promise<ReplayPluginSpec[]> {
  const flagConfig = flags.pluginConfig !== undefined ? await readPluginConfig(flags.pluginConfig, cwd) : undefined;
  const env = envPairs(flags.env);
  const wp = project?.config.wasmPlugin;
  const projectModule = project ? path.resolve(project.root, project.config.module) : undefined;
  const files = (flags.wasm ?? []).map((w) => path.resolve(cwd, w));
  if (files.length === 0) {
    if (!projectModule) throw new CliError('NO_PLUGIN', 'replay needs a plugin: --wasm FILE, or run it inside a project made by create-istio-wasm', { hint: 'e.g. istio-wasm replay traces.jsonl --wasm build/plugin.wasm' });
    files.push(projectModule);
  }
  return files.map((wasmPath, i) => {
    const fromProject = wasmPath === projectModule;
    const was = recorded[i];
    return {
      name: was?.name ?? (fromProject ? (project?.config.name ?? 'plugin') : path.basename(wasmPath, '.wasm')),
      wasmPath,
      pluginConfig: flagConfig ?? (fromProject ? wp?.pluginConfig : undefined),
      rootId: flags.rootId ?? (fromProject ? wp?.pluginName : undefined) ?? was?.rootId ?? '',
      env: { ...(fromProject ? Object.fromEntries((wp?.vmConfig?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string])) : {}), ...env },
      failStrategy: (fromProject ? wp?.failStrategy : undefined) ?? 'FAIL_CLOSE',
    };
  });
}

/**
 * Answers a plugin's callouts from the recording of the exchange being replayed: the next recorded
 * callout to the same cluster (in order) gives its answer; a callout the recording does not have
 * fails (the plugin sees zero headers) and is reported by the differ.
 */
export class RecordedCallouts implements HttpCallDispatcher {
  #recorded: TraceCallout[] = [];
  #used = new Set<TraceCallout>();

  /** The callouts of the exchange about to be replayed. */
  reset(recorded: TraceCallout[]): void {
    this.#recorded = recorded.filter((c) => c.kind === 'http');
    this.#used.clear();
  }

  knows(): boolean {
    return true;
  }

  dispatch(request: { cluster: string }): Promise<HttpCallResponse> {
    const match = this.#recorded.find((c) => !this.#used.has(c) && c.cluster === request.cluster);
    if (!match?.response || match.response.failed) return Promise.resolve({ headers: [] });
    this.#used.add(match);
    const r = match.response;
    const body = r.body.text !== undefined ? new TextEncoder().encode(r.body.text) : r.body.base64 !== undefined ? new Uint8Array(Buffer.from(r.body.base64, 'base64')) : new Uint8Array(0);
    return Promise.resolve({ headers: r.headers, body, trailers: r.trailers ?? [] });
  }
}

/** Loads the chain with tracing on; each plugin answers callouts through its own RecordedCallouts. */
export async function loadReplayPlugins(specs: ReplayPluginSpec[], dispatcher: (i: number) => HttpCallDispatcher): Promise<Plugin[]> {
  const plugins: Plugin[] = [];
  for (const [i, spec] of specs.entries()) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(spec.wasmPath));
    } catch (error) {
      throw new CliError('WASM_MISSING', `cannot read the module ${spec.wasmPath}: ${messageOf(error)}`, { hint: 'run `istio-wasm build` first, or pass --wasm FILE' });
    }
    const plugin = await Plugin.load({
      module: await compilePluginModule(bytes, spec.wasmPath),
      name: spec.name,
      rootId: spec.rootId,
      pluginConfig: spec.pluginConfig,
      env: spec.env,
      failStrategy: spec.failStrategy,
      logLevel: 'trace',
      dispatcher: dispatcher(i),
      callbackTimeoutMs: 5000,
      trace: true,
    });
    if (plugin.failed) throw new CliError('PLUGIN_FAILED', `${spec.name} failed to start: ${plugin.failure?.message ?? 'unknown'}`, { hint: 'check --plugin-config (replay does not know the recorded configuration)' });
    plugins.push(plugin);
  }
  return plugins;
}
