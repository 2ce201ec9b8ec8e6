import http from 'node:http';
import { access } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { CliError, messageOf } from '../errors.js';
import { TraceStore, createHostEnvironment, logLevelName, urlClusters, type LogEntry, type Plugin } from '../host/index.js';
import { loadConfiguredPlugin } from './load-plugin.js';
import { orderPlugins, type PluginSpec } from './chain-order.js';
import { nodeMaxHeaderSize, refuseRequestHeaders, requestHeadersOverLimit } from './limits.js';
import { proxyHandler } from './proxy.js';
import { prometheusText, statsServer } from './stats.js';
import { buildForWatch, watchSources } from './watch.js';
import { uiRoutes } from './ui/routes.js';
import type { ServeConfig } from './options.js';

export { resolveServeConfig, readPluginConfig, parseHostPort, type ServeConfig, type ServeFlags } from './options.js';
export { readManifest } from './manifest-plugins.js';
export { orderPlugins, explainOrder, type PluginSpec } from './chain-order.js';

/** What serve reports while it runs; the command prints it (plugin logs with level and context id). */
export type ServeEvent =
  | { type: 'log'; plugin: string; level: string; contextId: number; message: string }
  | { type: 'plugin-failed'; plugin: string; message: string; strategy: string }
  | { type: 'rebuild'; phase: 'start' | 'done' | 'failed'; message: string }
  | { type: 'error'; message: string };

export interface ServeHandle {
  url: string;
  statsUrl: string;
  /** The timeline page (undefined with --no-trace). */
  uiUrl: string | undefined;
  /** The exchanges recorded (undefined with --no-trace). */
  traces: TraceStore | undefined;
  /** The chain as loaded, in order. */
  order: PluginSpec[];
  /** Reloads the project's module (what --watch does after a rebuild). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

function loadSpec(spec: PluginSpec, config: ServeConfig, env: ReturnType<typeof createHostEnvironment>, onEvent: (e: ServeEvent) => void): Promise<Plugin> {
  return loadConfiguredPlugin(spec, spec.fromProject ? 'run `istio-wasm build` first (or serve --watch builds it)' : 'check the --wasm path or the manifest url', {
    logLevel: config.logLevel,
    environment: env,
    dispatcher: urlClusters(config.clusters),
    autoTick: true,
    trace: config.trace,
    onLog: (e: LogEntry) => onEvent({ type: 'log', plugin: e.plugin, level: logLevelName(e.level), contextId: e.contextId, message: e.message }),
    onFailure: (error) => onEvent({ type: 'plugin-failed', plugin: spec.name, message: error.message, strategy: spec.failStrategy }),
  });
}

function listen(server: http.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new CliError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${error.code ?? error.message}`, { hint: 'pick another --listen port, or 127.0.0.1:0 for a free one' })),
    );
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}

const urlOf = (a: AddressInfo) => `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;

/**
 * Starts the local proxy: loads every plugin (own VM and root context each), orders them as Istio
 * does, listens, and serves until close(). Rebuilds and reloads the project's plugin on changes when
 * `config.watch` is set, keeping the listener.
 */
export async function startServe(config: ServeConfig, options: { onEvent: (e: ServeEvent) => void; signal?: AbortSignal }): Promise<ServeHandle> {
  const { onEvent } = options;
  const order = orderPlugins(config.plugins);
  const env = createHostEnvironment();
  if (config.watch && config.project && order.some((p) => p.fromProject)) {
    // A missing module is built before the first load.
    const missing = await access(order.find((p) => p.fromProject)?.wasmPath ?? '').then(
      () => false,
      () => true,
    );
    if (missing) {
      onEvent({ type: 'rebuild', phase: 'start', message: 'module missing: building' });
      await buildForWatch(config.project, options.signal);
      onEvent({ type: 'rebuild', phase: 'done', message: 'built' });
    }
  }
  let plugins: Plugin[] = [];
  for (const spec of order) plugins.push(await loadSpec(spec, config, env, onEvent));
  for (const [i, p] of plugins.entries()) {
    if (p.failed) onEvent({ type: 'plugin-failed', plugin: p.name, message: p.failure?.message ?? 'failed', strategy: order[i]?.failStrategy ?? 'FAIL_CLOSE' });
  }
  const served = { requests: 0 };
  const traces = config.trace ? new TraceStore({ capacity: 200, secrets: config.traceSecrets }) : undefined;
  if (traces && config.traceFile) await traces.appendTo(config.traceFile, (message) => onEvent({ type: 'error', message }));
  const handler = proxyHandler({ upstream: config.upstream, plugins: () => plugins, onError: (message) => onEvent({ type: 'error', message }), routeTimeoutMs: config.routeTimeoutMs ?? 0, ...(traces ? { traces } : {}) });
  // maxHeadersCount 0: node would drop headers past 2000 silently; the Envoy limits below decide.
  const server = http.createServer({ maxHeaderSize: nodeMaxHeaderSize }, (req, res) => {
    served.requests++;
    const over = requestHeadersOverLimit(req.rawHeaders);
    if (over) {
      onEvent({ type: 'error', message: `431 for ${req.method ?? ''} ${req.url ?? ''}: ${over}` });
      return refuseRequestHeaders(res);
    }
    handler(req, res);
  });
  server.maxHeadersCount = 0;
  server.keepAliveTimeout = 5000;
  const stats = statsServer(() => prometheusText(plugins, served), traces ? uiRoutes(traces) : undefined);
  const address = await listen(server, config.host, config.port);
  let statsAddress: AddressInfo;
  try {
    statsAddress = await listen(stats, config.statsHost, config.statsPort);
  } catch (error) {
    server.close();
    throw error;
  }

  const reload = async () => {
    const next: Plugin[] = [];
    for (const [i, spec] of order.entries()) {
      const current = plugins[i];
      next.push(spec.fromProject || !current ? await loadSpec(spec, config, env, onEvent) : current);
    }
    const old = plugins;
    plugins = next;
    // In-flight exchanges keep the VM they started with; it stops a little later.
    setTimeout(() => old.forEach((p, i) => p !== next[i] && p.close()), 30_000).unref();
  };

  let stopWatching: (() => void) | undefined;
  if (config.watch && config.project) {
    const project = config.project;
    let building = false;
    let again = false;
    const rebuild = async (file: string) => {
      if (building) {
        again = true;
        return;
      }
      building = true;
      onEvent({ type: 'rebuild', phase: 'start', message: `${file} changed: rebuilding` });
      try {
        await buildForWatch(project, options.signal);
        await reload();
        onEvent({ type: 'rebuild', phase: 'done', message: 'reloaded the plugin' });
      } catch (error) {
        onEvent({ type: 'rebuild', phase: 'failed', message: `rebuild failed, still serving the previous module: ${messageOf(error)}` });
      } finally {
        building = false;
        if (again) {
          again = false;
          void rebuild(file);
        }
      }
    };
    stopWatching = watchSources(project.root, project.config.module, (file) => void rebuild(file));
  }

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    stopWatching?.();
    server.closeIdleConnections();
    const closing = Promise.all([new Promise<void>((r) => server.close(() => r())), new Promise<void>((r) => stats.close(() => r()))]);
    setTimeout(() => server.closeAllConnections(), 2000).unref();
    // The page's event streams never end on their own.
    stats.closeAllConnections();
    await closing;
    plugins.forEach((p) => p.close());
    await traces?.close();
  };
  options.signal?.addEventListener('abort', () => void close(), { once: true });

  return { url: urlOf(address), statsUrl: `${urlOf(statsAddress)}/stats/prometheus`, uiUrl: traces ? `${urlOf(statsAddress)}/ui/` : undefined, traces, order, reload, close };
}
