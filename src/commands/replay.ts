import type { Command } from 'commander';
import type { ReplayFlags, ReplayReport } from '../replay/index.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function printReport(report: ReplayReport, out: typeof import('../ui/output.js')): void {
  for (const w of report.warnings) out.warn(w);
  for (const e of report.exchanges) {
    const head = `#${e.id} ${e.method} ${e.path}`;
    if (!e.changed) {
      out.result(`${head}: unchanged (${e.status ?? 'reset'})`);
      continue;
    }
    out.result(`${head}: CHANGED`);
    for (const d of e.differences) out.result(`  ${d.what}: ${d.recorded} -> ${d.replayed}`);
    if (e.note) out.result(`  note: ${e.note}`);
  }
  const what = `${report.source === 'har' ? 'request' : 'exchange'}${report.total === 1 ? '' : 's'}`;
  out.result(report.changed === 0 ? `${report.total} ${what} replayed: nothing changed` : `${report.total} ${what} replayed: ${report.changed} changed`);
}

/** `istio-wasm replay FILE`: recorded traffic through the current build; exit 1 when anything changed. */
export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('re-run recorded exchanges (serve --trace FILE) through the current build and show what changed; or send a HAR file\'s requests through the plugin to a live --upstream')
    .argument('<file>', 'a trace file (JSON Lines from `istio-wasm serve --trace FILE`) or a HAR file')
    .option('--wasm <file>', 'the plugin module (repeat for a chain, in the recorded order); default: the project\'s module', collect)
    .option('--plugin-config <json|@file>', 'pluginConfig as JSON, or @file (JSON or YAML); default: the one recorded with each exchange, else istio-wasm.yaml\'s')
    .option('--root-id <id>', 'root id; default from istio-wasm.yaml, else the recorded one')
    .option('--env <k=v>', 'vmConfig env the plugin reads; repeatable', collect)
    .option('--upstream <url>', 'HAR files: the live service the requests go to through the plugin')
    .option('--cluster <name=url>', 'HAR files: a cluster the plugin calls, as serve --cluster; repeatable', collect)
    .option('--ignore-header <name>', 'HAR files: a response header to leave out of the comparison (x-cache, x-amz-*); repeatable', collect)
    .option('--json', 'print the report as JSON on stdout')
    .addHelpText(
      'after',
      `
A trace file replays with no network: each exchange's request goes through the plugin again, the
recorded upstream answer comes back, and callouts are answered from the recording: HTTP calls, gRPC
calls and gRPC streams, each matched to the next recorded call to the same cluster (gRPC: and the
same service and method). A call the recording has no answer for fails as an unreachable cluster
would and is reported as a change. Each plugin runs with the configuration recorded with the
exchange unless --plugin-config is given; replay says when the recorded and the current
configuration (--plugin-config, else istio-wasm.yaml's) differ. Per exchange it prints what changed:
status, who answered, local replies, headers and bodies sent upstream and downstream, callouts made,
traps.

A HAR file (as browsers save it) sends its requests through the plugin to a live --upstream and
compares each answer with the HAR's response:
  - the status;
  - the response headers, when the HAR lists any, except hop-by-hop ones (connection, keep-alive,
    proxy-connection, transfer-encoding, te, trailer, upgrade), volatile or mesh-added ones (date,
    age, expires, server, via, alt-svc, x-request-id, x-envoy-*) and each --ignore-header;
    content-length only when both sides have it with the same content-encoding; set-cookie by
    cookie names; credential-looking values are shown masked;
  - the body, when the HAR has its text (content.text, base64 when content.encoding says so), after
    undoing the new answer's gzip, deflate or br encoding (browsers save bodies decoded).
Differences are printed per entry as for a trace; --json gives the report described in
docs/trace-format.md ("The replay report").

Exit codes: 0 nothing changed, 1 something changed, 2 bad input.

Examples:
  $ istio-wasm serve --upstream http://127.0.0.1:3000 --trace traces.jsonl      # record real traffic
  $ istio-wasm replay traces.jsonl                                             # after a change: same behaviour?
  $ istio-wasm replay traces.jsonl --wasm build/plugin.wasm --plugin-config @config.json --json
  $ istio-wasm replay session.har --upstream http://127.0.0.1:3000 --ignore-header x-cache`,
    )
    .action(async (file: string, flags: ReplayFlags) => {
      const [{ runReplay }, { tryLoadProject }, out, { CliError }] = await Promise.all([import('../replay/index.js'), import('../project/load.js'), import('../ui/output.js'), import('../errors.js')]);
      let report: ReplayReport;
      try {
        const project = await tryLoadProject(process.cwd());
        report = await runReplay(file, flags, process.cwd(), project);
      } catch (error) {
        // Bad input is exit 2, so that 1 keeps meaning "the plugin's behaviour changed".
        if (error instanceof CliError && error.exitCode === 1) throw new CliError(error.code, error.message, { ...(error.hint ? { hint: error.hint } : {}), exitCode: 2, cause: error });
        throw error;
      }
      if (flags.json) out.json(report);
      else printReport(report, out);
      process.exitCode = report.changed > 0 ? 1 : 0;
    });
}
