import type { Command } from 'commander';
import { cancelSignal } from '../runtime.js';
import { info, paint, result, success, warn, write } from '../ui/output.js';
import type { ServeEvent, ServeFlags } from '../serve/index.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function printEvent(e: ServeEvent): void {
  switch (e.type) {
    case 'log': {
      const style = e.level === 'error' || e.level === 'critical' ? 'red' : e.level === 'warn' ? 'yellow' : 'dim';
      write('stderr', `${paint(style, `[${e.plugin}] [${e.level}] [ctx ${e.contextId}]`)} ${e.message}\n`);
      return;
    }
    case 'plugin-failed':
      warn(`plugin ${e.plugin} failed (${e.strategy}): ${e.message}`);
      return;
    case 'rebuild':
      if (e.phase === 'failed') warn(e.message);
      else info(`${paint('cyan', '›')} ${e.message}`);
      return;
    case 'error':
      warn(e.message);
  }
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the plugin in a local HTTP/1.1 proxy in front of an upstream: every request goes through it, as in Envoy')
    .option('--wasm <file>', 'a plugin module (repeat to chain several); default: the project\'s module', collect)
    .option('--upstream <url>', 'the service behind the proxy, e.g. http://127.0.0.1:3000')
    .option('--listen <host:port>', 'where to listen (127.0.0.1:0 picks a free port)', '127.0.0.1:8080')
    .option('--plugin-config <json|@file>', 'pluginConfig as JSON, or @file (JSON or YAML); default from istio-wasm.yaml')
    .option('--root-id <id>', 'root id (the WasmPlugin\'s pluginName); default from istio-wasm.yaml')
    .option('--cluster <name=url>', 'map a cluster the plugin calls (e.g. outbound|8080||auth.default.svc.cluster.local=http://127.0.0.1:9000); repeatable', collect)
    .option('--env <k=v>', 'vmConfig env the plugin reads; repeatable', collect)
    .option('--fail-strategy <strategy>', 'FAIL_CLOSE, FAIL_OPEN or FAIL_RELOAD; default from istio-wasm.yaml')
    .option('--manifest <file>', 'a WasmPlugin or TrafficExtension YAML whose url is a local module (repeat to chain several)', collect)
    .option('--explain-order', 'print the plugin chain in Istio\'s order (phase, priority, name) and exit')
    .option('--watch', 'rebuild and reload the project\'s plugin when its sources change (the listener stays up)')
    .option('--stats-listen <host:port>', 'where the Prometheus stats endpoint listens (default: a free port on the listen host)')
    .option('--log-level <level>', 'lowest plugin log level shown: trace, debug, info, warn, error, critical', 'info')
    .option('--trace <file>', 'also append every exchange\'s trace to FILE as JSON Lines (format: docs/trace-format.md; replay it with `istio-wasm replay FILE`)')
    .option('--no-trace', 'record nothing (no timeline page, no trace file; for load tests: recording costs a few microseconds per exchange)')
    .option('--route-timeout <ms>', 'answer 504 "upstream request timeout" when the upstream has not answered this long after the request, as a VirtualService timeout does (Istio\'s default: 0, none)', '0')
    .option('--trace-secrets', 'keep credential-looking header values (authorization, cookie, x-api-key…) in traces instead of masking them')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ istio-wasm serve --upstream http://127.0.0.1:3000                    # inside a project',
        '  $ istio-wasm serve --wasm build/plugin.wasm --upstream http://127.0.0.1:3000 --listen 127.0.0.1:0 \\',
        "      --plugin-config '{\"authCluster\":\"outbound|8080||auth\"}' --cluster 'outbound|8080||auth=http://127.0.0.1:9000'",
        '  $ istio-wasm serve --manifest authn.yaml --manifest stats.yaml --upstream http://127.0.0.1:3000 --explain-order',
        '  $ curl -i http://127.0.0.1:8080/v2/things',
        '  $ istio-wasm serve --upstream http://127.0.0.1:3000 --route-timeout 15000   # 504 after 15 s, as a VirtualService timeout: 15s',
        '  $ istio-wasm serve --upstream http://127.0.0.1:3000 --trace traces.jsonl   # then open the ui: line, and later',
        '  $ istio-wasm replay traces.jsonl                                          # did my change alter any exchange?',
        '',
        'The admin listener (the stats: line) also serves a live timeline of the last 200 exchanges at /ui/:',
        'each plugin\'s callbacks and host calls, header diffs per phase, logs, callouts and trap stacks.',
        '',
        'The plugin reads what Envoy gives it: pluginName as its root id, and as plugin_name the filter name',
        'istiod builds (NAMESPACE.NAME; from Istio 1.30 a WasmPlugin\'s is NAMESPACE.NAME~istio-translated-wasmplugin).',
      ].join('\n'),
    )
    .action(async (flags: ServeFlags) => {
      const { resolveServeConfig, startServe, explainOrder, orderPlugins } = await import('../serve/index.js');
      const { tryLoadProject } = await import('../project/load.js');
      const project = await tryLoadProject(process.cwd());
      const config = await resolveServeConfig(flags, process.cwd(), project);
      if (flags.explainOrder) {
        result(explainOrder(orderPlugins(config.plugins)));
        return;
      }
      const signal = cancelSignal();
      const handle = await startServe(config, { onEvent: printEvent, signal });
      for (const [i, p] of handle.order.entries()) info(`plugin ${i + 1}: ${p.name} (root id ${p.rootId || '""'}, ${p.failStrategy}) from ${p.source}`);
      info(`stats: ${handle.statsUrl}`);
      if (handle.uiUrl) info(`ui: ${handle.uiUrl}`);
      if (config.traceFile) info(`trace: appending every exchange to ${config.traceFile}${config.traceSecrets ? ' (secrets kept)' : ''}`);
      success(`serving on ${handle.url} -> ${config.upstream.href}${config.watch ? ' (watching sources)' : ''}`);
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await handle.close();
      info('stopped');
    });
}
