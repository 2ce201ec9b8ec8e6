import { CliError } from '../errors.js';
import { maskSecrets, urlClusters, type Plugin, type TraceExchange } from '../host/index.js';
import type { Project } from '../project/load.js';
import { diffExchanges, type Difference } from './differ.js';
import { replayHar } from './har.js';
import { diffHarResponse } from './har-differ.js';
import { loadReplayPlugins, replayPluginSpecs, type ReplayFlags } from './plugins.js';
import { clusterFlags } from '../serve/options.js';
import { RecordedCallouts } from './recorded-callouts.js';
import { readReplaySource } from './read.js';
import { replayExchange } from './replay-exchange.js';

export { diffExchanges, type Difference } from './differ.js';
export { readReplaySource, type ReplaySource, type HarRequest } from './read.js';
export type { ReplayFlags } from './plugins.js';
export { diffHarResponse, ignoredHeader, HOP_BY_HOP_HEADERS, VOLATILE_HEADERS } from './har-differ.js';
export { RecordedCallouts, calloutTarget } from './recorded-callouts.js';

export interface ReplayedExchange {
  id: number;
  method: string;
  path: string;
  /** The status recorded (or in the HAR), and the status now. */
  recordedStatus: number | null;
  status: number | null;
  changed: boolean;
  differences: Difference[];
  /** Why the comparison is partial (the exchange did not finish, a body was truncated, …). */
  note?: string;
  /** The new run's trace (masked). */
  trace?: TraceExchange;
}

/** The --json report's format and version (docs/trace-format.md, "The replay report"): fields are only added within a version. */
export const REPLAY_REPORT_FORMAT = 'istio-wasm-replay';
export const REPLAY_REPORT_VERSION = 1;

export interface ReplayReport {
  format: typeof REPLAY_REPORT_FORMAT;
  version: typeof REPLAY_REPORT_VERSION;
  source: 'trace' | 'har';
  total: number;
  changed: number;
  exchanges: ReplayedExchange[];
  /** Set when the recording had credentials masked: a plugin that checks them saw "***". */
  warnings: string[];
}

const hasMasked = (e: TraceExchange) => !e.secrets && e.request.headers.some(([, v]) => v === '***' || v.endsWith(' ***'));

/**
 * `istio-wasm replay`: a trace file's exchanges re-run through the current build with the recorded
 * upstream and callout answers (no network), or a HAR file's requests sent through the plugins to a
 * live upstream; each compared with what was recorded.
 */
export async function runReplay(file: string, flags: ReplayFlags, cwd: string, project: Project | undefined): Promise<ReplayReport> {
  const source = await readReplaySource(file);
  const warnings: string[] = [];
  if (source.kind === 'har') {
    if (!flags.upstream) throw new CliError('BAD_FLAG', `${file} is a HAR file: replaying it needs a live --upstream URL`, { hint: 'e.g. istio-wasm replay session.har --upstream http://127.0.0.1:3000' });
    let upstream: URL;
    try {
      upstream = new URL(flags.upstream);
    } catch {
      throw new CliError('BAD_FLAG', `--upstream must be a URL like http://127.0.0.1:3000, got "${flags.upstream}"`);
    }
    const specs = await replayPluginSpecs(flags, cwd, project, []);
    const clusters = clusterFlags(flags.cluster);
    const plugins = await loadReplayPlugins(specs, () => urlClusters(clusters));
    try {
      const outcomes = await replayHar(source.requests, plugins, upstream);
      const exchanges = outcomes.map((o, i): ReplayedExchange => {
        const status = o.answer?.status ?? null;
        const recorded = o.request.response;
        const recordedStatus = recorded?.status ?? null;
        let differences: Difference[] = [];
        const notes: string[] = o.error ? [o.error] : [];
        if (recorded && o.answer) {
          const diff = diffHarResponse(recorded, o.answer, flags.ignoreHeader ?? []);
          differences = diff.differences;
          notes.push(...diff.notes);
        } else if (recorded) differences = [{ what: 'status', recorded: String(recorded.status), replayed: 'reset' }];
        else notes.push('the HAR has no response for this request: nothing to compare');
        return { id: i + 1, method: o.request.method, path: o.request.path, recordedStatus, status, changed: differences.length > 0, differences, ...(notes.length > 0 ? { note: notes.join('; ') } : {}), ...(o.trace ? { trace: maskSecrets(o.trace) } : {}) };
      });
      return { format: REPLAY_REPORT_FORMAT, version: REPLAY_REPORT_VERSION, source: 'har', total: exchanges.length, changed: exchanges.filter((e) => e.changed).length, exchanges, warnings };
    } finally {
      plugins.forEach((p) => p.close());
    }
  }
  if (source.exchanges.some(hasMasked)) warnings.push('the recording masked credential headers ("***"): a plugin that checks them sees "***" now; record with `serve --trace-secrets` to replay them');
  const notices = new Set<string>();
  let answers: RecordedCallouts[] = [];
  let plugins: Plugin[] = [];
  let loadedFor: string | undefined;
  try {
    const exchanges: ReplayedExchange[] = [];
    for (const recorded of source.exchanges) {
      // The chain is loaded as the first exchange recorded it, and again whenever a later one ran
      // with other configurations (serve reloaded them); --plugin-config pins one for all.
      const key = flags.pluginConfig !== undefined ? '' : JSON.stringify(recorded.plugins.map((p) => p.configuration ?? null));
      if (key !== loadedFor) {
        plugins.forEach((p) => p.close());
        plugins = [];
        const specs = await replayPluginSpecs(flags, cwd, project, recorded.plugins, notices);
        answers = specs.map(() => new RecordedCallouts());
        plugins = await loadReplayPlugins(specs, (i) => answers[i] as RecordedCallouts);
        loadedFor = key;
      }
      answers.forEach((a, i) => a.reset(recorded.plugins[i]));
      const { trace: raw, note } = await replayExchange(recorded, plugins);
      // Compared as recorded: a masked recording against the new run masked the same way (a
      // credential the plugin sets is neither a false change nor printed).
      const trace = recorded.secrets ? raw : maskSecrets(raw);
      let differences = diffExchanges(recorded, trace);
      // Reaching an upstream the recording has no answer for: "reset" would mislead; the rest says it.
      if (note && trace.upstreamRequest && !recorded.upstreamResponse) differences = differences.filter((d) => d.what !== 'status' && d.what !== 'answered by');
      answers.forEach((a, i) => {
        if (a.unanswered.length > 0) differences.push({ what: `callouts without a recorded answer (${plugins[i]?.name ?? i})`, recorded: '(none)', replayed: a.unanswered.join('; ') });
      });
      const truncated = [recorded.request.body, recorded.upstreamResponse?.body].some((b) => b?.truncated);
      const notes = [note, truncated ? 'a recorded body was truncated: bodies are compared on their first bytes' : undefined].filter(Boolean).join('; ');
      exchanges.push({
        id: recorded.id,
        method: recorded.method,
        path: recorded.path,
        recordedStatus: recorded.response?.status ?? null,
        status: trace.response?.status ?? null,
        changed: differences.length > 0 || note !== undefined,
        differences,
        ...(notes ? { note: notes } : {}),
        trace,
      });
    }
    warnings.push(...notices);
    return { format: REPLAY_REPORT_FORMAT, version: REPLAY_REPORT_VERSION, source: 'trace', total: exchanges.length, changed: exchanges.filter((e) => e.changed).length, exchanges, warnings };
  } finally {
    plugins.forEach((p) => p.close());
  }
}
