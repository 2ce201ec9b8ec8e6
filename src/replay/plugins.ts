import path from 'node:path';
import { CliError } from '../errors.js';
import { CONFIGURATION_LIMIT, Plugin, configurationBytes, configurationText, maskConfiguration, recordedConfigurationBytes, traceConfiguration, type HttpCallDispatcher, type TraceConfiguration } from '../host/index.js';
import type { Project } from '../project/load.js';
import { flagPairs, readPluginConfig } from '../serve/options.js';
import { envList } from '../serve/manifest-plugins.js';
import { loadConfiguredPlugin, type ConfiguredSpec } from '../serve/load-plugin.js';
import { projectPluginName } from '../istio/filter-name.js';

export interface ReplayFlags {
  wasm?: string[];
  pluginConfig?: string;
  rootId?: string;
  env?: string[];
  /** HAR files: the live upstream, and clusters the plugins call (NAME=URL, as serve --cluster). */
  upstream?: string;
  cluster?: string[];
  /** HAR files: more response headers to leave out of the comparison (a trailing * matches a prefix). */
  ignoreHeader?: string[];
  json?: boolean;
}

/** A plugin of the chain replay runs: the current build, configured like the recorded one. */
export type ReplayPluginSpec = ConfiguredSpec;

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/**
 * The configuration a replayed plugin runs with: --plugin-config when given, else the one recorded
 * with the exchange, else istio-wasm.yaml's. Adds a notice when the recorded and the current
 * configuration (the flag's, else the project's) differ, or when the recording cannot say.
 */
function chooseConfiguration(was: { name: string; configuration?: TraceConfiguration } | undefined, flag: unknown, fromProject: unknown, notices: Set<string>): unknown {
  const recorded = was?.configuration;
  const current = flag ?? fromProject;
  if (!recorded) return current;
  const recordedBytes = recordedConfigurationBytes(recorded);
  const source = flag !== undefined ? '--plugin-config' : "istio-wasm.yaml's pluginConfig";
  const using = current !== undefined ? source : 'no configuration';
  // Shown as a trace shows them: credential-looking values masked.
  const shown = (c: TraceConfiguration) => configurationText(maskConfiguration(c));
  const currentShown = shown(traceConfiguration(configurationBytes(current)));
  if (!recordedBytes) {
    if (recorded.truncated) notices.add(`${was.name}: the recording kept only the first ${CONFIGURATION_LIMIT} of the configuration's ${recorded.size} bytes: replaying with ${using}`);
    else {
      // Masked: the recording cannot give the bytes back, but it can tell whether the current one is the same.
      const differs = currentShown !== shown(recorded) ? `, which differs from the recorded one (recorded ${shown(recorded)}, now ${currentShown})` : '';
      notices.add(`${was.name}: the recording masked credentials in the configuration: replaying with ${using}${differs}; record with \`serve --trace-secrets\` to replay the configuration as it was`);
    }
    return current;
  }
  if (flag !== undefined) {
    if (!same(recordedBytes, configurationBytes(flag))) notices.add(`${was.name}: --plugin-config differs from the recorded configuration: recorded ${shown(recorded)}, now ${currentShown}`);
    return flag;
  }
  if (fromProject !== undefined && !same(recordedBytes, configurationBytes(fromProject))) notices.add(`${was.name}: replaying with the recorded configuration ${shown(recorded)}; ${source} differs (${currentShown}); pass --plugin-config to replay with another`);
  return recordedBytes;
}

/**
 * The chain to replay through: each --wasm (in order), or the project's module, named and rooted as
 * the recording's plugins were (so the comparison lines up), configured from the flags, else from
 * istio-wasm.yaml.
 */
export async function replayPluginSpecs(flags: ReplayFlags, cwd: string, project: Project | undefined, recorded: ReadonlyArray<{ name: string; rootId: string; configuration?: TraceConfiguration }>, notices: Set<string> = new Set()): Promise<ReplayPluginSpec[]> {
  const flagConfig = flags.pluginConfig !== undefined ? await readPluginConfig(flags.pluginConfig, cwd) : undefined;
  const env = flagPairs(flags.env, '--env');
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
      pluginConfig: chooseConfiguration(was, flagConfig, fromProject ? wp?.pluginConfig : undefined, notices),
      rootId: flags.rootId ?? (fromProject ? wp?.pluginName : undefined) ?? was?.rootId ?? '',
      // As serve runs the project's plugin: the same env (HOST entries from this environment) and filter name.
      ...(fromProject && project ? { envoyName: projectPluginName(project.config) } : {}),
      env: { ...(fromProject ? envList(wp?.vmConfig?.env) : {}), ...env },
      failStrategy: (fromProject ? wp?.failStrategy : undefined) ?? 'FAIL_CLOSE',
    };
  });
}

/** Loads the chain with tracing on; each plugin answers callouts through its own RecordedCallouts. */
export async function loadReplayPlugins(specs: ReplayPluginSpec[], dispatcher: (i: number) => HttpCallDispatcher): Promise<Plugin[]> {
  const plugins: Plugin[] = [];
  for (const [i, spec] of specs.entries()) {
    const plugin = await loadConfiguredPlugin(spec, 'run `istio-wasm build` first, or pass --wasm FILE', {
      logLevel: 'trace',
      dispatcher: dispatcher(i),
      callbackTimeoutMs: 5000,
      trace: true,
    });
    if (plugin.failed) throw new CliError('PLUGIN_FAILED', `${spec.name} failed to start with configuration ${configurationText(plugin.traceConfiguration)}: ${plugin.failure?.message ?? 'unknown'}`, { hint: 'check --plugin-config (by default replay uses the configuration recorded with the exchange, else istio-wasm.yaml\'s)' });
    plugins.push(plugin);
  }
  return plugins;
}
