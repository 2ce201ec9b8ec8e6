import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError, messageOf } from '../errors.js';
import type { Project } from '../project/load.js';
import { projectPluginName } from '../istio/filter-name.js';
import { parseIstioVersion } from '../istio/versions.js';
import type { PluginSpec } from './chain-order.js';
import { checkStrategy, envList, readManifest } from './manifest-plugins.js';

/** Flags of `istio-wasm serve` as commander hands them over. */
export interface ServeFlags {
  wasm?: string[];
  upstream?: string;
  listen?: string;
  pluginConfig?: string;
  rootId?: string;
  cluster?: string[];
  env?: string[];
  failStrategy?: string;
  manifest?: string[];
  explainOrder?: boolean;
  watch?: boolean;
  statsListen?: string;
  logLevel?: string;
  /** --trace FILE appends every exchange as JSON Lines; --no-trace (false) records nothing. */
  trace?: string | boolean;
  traceSecrets?: boolean;
  /** --route-timeout MS: the route timeout (a VirtualService's `timeout`); Istio's default 0 is none. */
  routeTimeout?: string;
}

export interface ServeConfig {
  plugins: PluginSpec[];
  upstream: URL;
  host: string;
  port: number;
  statsHost: string;
  statsPort: number;
  clusters: Record<string, string>;
  watch: boolean;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';
  project: Project | undefined;
  /** Record exchanges (the page, --trace FILE); false with --no-trace. */
  trace: boolean;
  /** Append every exchange to this JSON Lines file. */
  traceFile: string | undefined;
  /** Keep credential-looking header values in traces (--trace-secrets). */
  traceSecrets: boolean;
  /** The route timeout in ms (0: none, Istio's default). */
  routeTimeoutMs?: number;
}

export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value) ?? /^(\d+)$/.exec(value);
  if (!m) throw new CliError('BAD_FLAG', `${flag} must be HOST:PORT (e.g. 127.0.0.1:8080), got "${value}"`);
  if (m.length === 2) return { host: '127.0.0.1', port: Number(m[1]) };
  const port = Number(m[3]);
  if (port > 65535) throw new CliError('BAD_FLAG', `${flag}: port ${port} is out of range`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** NAME=VALUE flags (--env, --cluster) as a record, or BAD_FLAG naming the one that is not. */
export function flagPairs(values: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const at = v.indexOf('=');
    if (at <= 0) throw new CliError('BAD_FLAG', `${flag} takes NAME=VALUE, got "${v}"`);
    out[v.slice(0, at)] = v.slice(at + 1);
  }
  return out;
}

/** --cluster NAME=URL flags (serve, replay of HAR files): the clusters a plugin calls, each a URL. */
export function clusterFlags(values: string[] | undefined): Record<string, string> {
  const clusters = flagPairs(values, '--cluster');
  for (const [name, url] of Object.entries(clusters)) {
    try {
      new URL(url);
    } catch {
      throw new CliError('BAD_FLAG', `--cluster ${name}= must map to a URL, got "${url}"`);
    }
  }
  return clusters;
}

/** --plugin-config: inline JSON, or @file holding JSON or YAML. */
export async function readPluginConfig(value: string, cwd: string): Promise<unknown> {
  let text = value;
  let where = '--plugin-config';
  if (value.startsWith('@')) {
    const file = path.resolve(cwd, value.slice(1));
    where = file;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CliError('BAD_FLAG', `cannot read --plugin-config file ${file}: ${messageOf(error)}`);
    }
    if (/\.ya?ml$/i.test(file)) {
      const { parse } = await import('yaml');
      return parse(text) as unknown;
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError('BAD_PLUGIN_CONFIG', `${where} is not JSON: ${messageOf(error)}`, {
      hint: `pass a JSON object, e.g. --plugin-config '{"key":"value"}', or @file.json`,
    });
  }
}

/**
 * Resolves serve's settings: flags first, then istio-wasm.yaml (pluginConfig, vmConfig env,
 * pluginName as root id, failStrategy, phase, priority) when run inside a project.
 */
export async function resolveServeConfig(flags: ServeFlags, cwd: string, project: Project | undefined): Promise<ServeConfig> {
  if (!flags.upstream) throw new CliError('BAD_FLAG', 'serve needs --upstream URL (the service the plugin sits in front of)', { hint: 'e.g. --upstream http://127.0.0.1:3000' });
  let upstream: URL;
  try {
    upstream = new URL(flags.upstream);
  } catch {
    throw new CliError('BAD_FLAG', `--upstream must be a URL like http://127.0.0.1:3000, got "${flags.upstream}"`);
  }
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') throw new CliError('BAD_FLAG', `--upstream must be http:// or https://, got ${upstream.protocol}`);
  const listen = parseHostPort(flags.listen ?? '127.0.0.1:8080', '--listen');
  const stats = parseHostPort(flags.statsListen ?? `${listen.host}:0`, '--stats-listen');
  const clusters = clusterFlags(flags.cluster);
  const flagEnv = flagPairs(flags.env, '--env');
  const flagConfig = flags.pluginConfig !== undefined ? await readPluginConfig(flags.pluginConfig, cwd) : undefined;
  const flagStrategy = checkStrategy(flags.failStrategy, '--fail-strategy');
  const wp = project?.config.wasmPlugin;
  // The Istio version filter names follow: the project's, else the newest this tool targets.
  const target = parseIstioVersion(project?.config.istio.version);

  const plugins: PluginSpec[] = [];
  for (const file of flags.manifest ?? []) plugins.push(...(await readManifest(path.resolve(cwd, file), target)));
  const wasmFlags = flags.wasm ?? [];
  const projectModule = project ? path.resolve(project.root, project.config.module) : undefined;
  const fromProjectDefaults = (wasmPath: string, source: string): PluginSpec => ({
    name: project?.config.name ?? path.basename(wasmPath, '.wasm'),
    wasmPath,
    pluginConfig: flagConfig ?? wp?.pluginConfig,
    rootId: flags.rootId ?? wp?.pluginName ?? '', // istiod: root_id is pluginName, empty when unset
    ...(project ? { envoyName: projectPluginName(project.config) } : {}),
    env: { ...envList(wp?.vmConfig?.env), ...flagEnv },
    failStrategy: flagStrategy ?? wp?.failStrategy ?? 'FAIL_CLOSE',
    ...(wp?.phase ? { phase: wp.phase } : {}),
    ...(wp?.priority !== undefined ? { priority: wp.priority } : {}),
    source,
    fromProject: wasmPath === projectModule,
  });
  for (const w of wasmFlags) {
    const wasmPath = path.resolve(cwd, w);
    if (project && wasmPath === projectModule) plugins.push(fromProjectDefaults(wasmPath, 'istio-wasm.yaml'));
    else
      plugins.push({
        name: wasmFlags.length > 1 ? path.basename(w, '.wasm') : (project?.config.name ?? path.basename(w, '.wasm')),
        wasmPath,
        pluginConfig: flagConfig,
        rootId: flags.rootId ?? (wasmFlags.length > 1 ? path.basename(w, '.wasm') : ''),
        env: flagEnv,
        failStrategy: flagStrategy ?? 'FAIL_CLOSE',
        source: `--wasm ${w}`,
        fromProject: false,
      });
  }
  if (wasmFlags.length === 0 && (flags.manifest ?? []).length === 0) {
    if (!project || !projectModule) {
      throw new CliError('NO_PLUGIN', 'serve needs a plugin: --wasm FILE, --manifest FILE, or run it inside a project made by create-istio-wasm');
    }
    plugins.push(fromProjectDefaults(projectModule, 'istio-wasm.yaml'));
  }
  const level = flags.logLevel ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'critical'].includes(level)) throw new CliError('BAD_FLAG', `--log-level must be trace, debug, info, warn, error or critical`);
  if (flags.trace === false && flags.traceSecrets) throw new CliError('BAD_FLAG', '--trace-secrets needs tracing on; drop --no-trace');
  if (flags.trace === '') throw new CliError('BAD_FLAG', '--trace needs a file, e.g. --trace traces.jsonl');
  const routeTimeoutMs = flags.routeTimeout === undefined ? 0 : Number(flags.routeTimeout);
  if (!Number.isInteger(routeTimeoutMs) || routeTimeoutMs < 0) {
    throw new CliError('BAD_FLAG', `--route-timeout must be milliseconds (0 for none), got "${flags.routeTimeout}"`, { hint: 'e.g. --route-timeout 15000 (Envoy\'s own default; Istio sets none unless a VirtualService has a timeout)' });
  }
  return {
    routeTimeoutMs,
    plugins,
    upstream,
    host: listen.host,
    port: listen.port,
    statsHost: stats.host,
    statsPort: stats.port,
    clusters,
    watch: Boolean(flags.watch),
    logLevel: level as ServeConfig['logLevel'],
    project,
    trace: flags.trace !== false,
    traceFile: typeof flags.trace === 'string' ? path.resolve(cwd, flags.trace) : undefined,
    traceSecrets: Boolean(flags.traceSecrets),
  };
}
