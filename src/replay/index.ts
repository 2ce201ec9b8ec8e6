import { CliError } from '../errors.js';
import { maskSecrets, urlClusters, type TraceExchange } from '../host/index.js';
import type { Project } from '../project/load.js';
import { diffExchanges, type Difference } from './differ.js';
import { replayHar } from './har.js';
import { RecordedCallouts, loadReplayPlugins, replayPluginSpecs, type ReplayFlags } from './plugins.js';
import { readReplaySource } from './read.js';
import { replayExchange } from './replay-exchange.js';

export { diffExchanges, type Difference } from './differ.js';
export { readReplaySource, type ReplaySource, type HarRequest } from './read.js';
export type { ReplayFlags } from './plugins.js';

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

export interface ReplayReport {
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
    const clusters: Record<string, string> = {};
    for (const c of flags.cluster ?? []) {
      const at = c.indexOf('=');
      if (at <= 0) throw new CliError('BAD_FLAG', `--cluster takes NAME=URL, got "${c}"`);
      clusters[c.slice(0, at)] = c.slice(at + 1);
    }
    const plugins = await loadReplayPlugins(specs, () => urlClusters(clusters));
    try {
      const outcomes = await replayHar(source.requests, plugins, upstream);
      const exchanges = outcomes.map((o, i): ReplayedExchange => {
        const status = o.status ?? null;
        const recordedStatus = o.request.status ?? null;
        const differences: Difference[] = recordedStatus !== null && status !== recordedStatus ? [{ what: 'status', recorded: String(recordedStatus), replayed: String(status ?? 'reset') }] : [];
        return { id: i + 1, method: o.request.method, path: o.request.path, recordedStatus, status, changed: differences.length > 0, differences, ...(o.error ? { note: o.error } : {}), ...(o.trace ? { trace: maskSecrets(o.trace) } : {}) };
      });
      return { source: 'har', total: exchanges.length, changed: exchanges.filter((e) => e.changed).length, exchanges, warnings };
    } finally {
      plugins.forEach((p) => p.close());
    }
  }
  const first = source.exchanges[0] as TraceExchange;
  if (source.exchanges.some(hasMasked)) warnings.push('the recording masked credential headers ("***"): a plugin that checks them sees "***" now; record with `serve --trace-secrets` to replay them');
  const specs = await replayPluginSpecs(flags, cwd, project, first.plugins);
  const answers = specs.map(() => new RecordedCallouts());
  const plugins = await loadReplayPlugins(specs, (i) => answers[i] as RecordedCallouts);
  try {
    const exchanges: ReplayedExchange[] = [];
    for (const recorded of source.exchanges) {
      answers.forEach((a, i) => a.reset(recorded.plugins[i]?.callouts ?? []));
      const { trace, note } = await replayExchange(recorded, plugins);
      let differences = diffExchanges(recorded, trace);
      // Reaching an upstream the recording has no answer for: "reset" would mislead; the rest says it.
      if (note && trace.upstreamRequest && !recorded.upstreamResponse) differences = differences.filter((d) => d.what !== 'status' && d.what !== 'answered by');
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
        trace: recorded.secrets ? trace : maskSecrets(trace),
      });
    }
    return { source: 'trace', total: exchanges.length, changed: exchanges.filter((e) => e.changed).length, exchanges, warnings };
  } finally {
    plugins.forEach((p) => p.close());
  }
}
