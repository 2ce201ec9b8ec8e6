import { bodyText, headerDiff, type TraceBody, type TraceExchange, type TracePairs } from '../host/index.js';
import { calloutTarget } from './recorded-callouts.js';

/** One thing that changed in an exchange between the recording and the replay. */
export interface Difference {
  /** What changed: "status", "header sent upstream x-user", "body sent downstream", "callouts"… */
  what: string;
  recorded: string;
  replayed: string;
}

const absent = '(absent)';

function sameBody(a: TraceBody | undefined, b: TraceBody | undefined): boolean {
  const x = a ?? { size: 0 };
  const y = b ?? { size: 0 };
  return x.size === y.size && (x.text ?? x.base64 ?? '') === (y.text ?? y.base64 ?? '');
}

function headerChanges(where: string, recorded: TracePairs, replayed: TracePairs): Difference[] {
  return headerDiff(recorded, replayed).map((c) => ({ what: `header ${where} ${c.key}`, recorded: c.before ?? absent, replayed: c.after ?? absent }));
}

const callouts = (e: TraceExchange) => e.plugins.flatMap((p) => p.callouts.map((c) => `${p.name}: ${calloutTarget(c)}`));

const traps = (e: TraceExchange) => e.plugins.flatMap((p) => p.callbacks.filter((c) => c.trap).map((c) => `${p.name}: ${c.trap?.message ?? ''}`));

const localText = (e: TraceExchange) => (e.local ? `${e.local.status} by ${e.local.by}${e.local.details ? ` (${e.local.details})` : ''}` : absent);

/**
 * What a replay changed: who answered and with which status, the headers and body sent upstream and
 * downstream, local replies, callouts made, traps. Empty when the plugin behaved the same.
 */
export function diffExchanges(recorded: TraceExchange, replayed: TraceExchange): Difference[] {
  const out: Difference[] = [];
  const push = (what: string, a: string, b: string) => {
    if (a !== b) out.push({ what, recorded: a, replayed: b });
  };
  push('status', String(recorded.response?.status ?? 'reset'), String(replayed.response?.status ?? 'reset'));
  push('answered by', recorded.answeredBy, replayed.answeredBy);
  push('local reply', localText(recorded), localText(replayed));
  const ru = recorded.upstreamRequest;
  const pu = replayed.upstreamRequest;
  if (ru && pu) {
    out.push(...headerChanges('sent upstream', ru.headers, pu.headers));
    if (!sameBody(ru.body, pu.body)) out.push({ what: 'body sent upstream', recorded: bodyText(ru.body), replayed: bodyText(pu.body) });
  } else push('request reached the upstream', ru ? 'yes' : 'no', pu ? 'yes' : 'no');
  const rr = recorded.response;
  const pr = replayed.response;
  if (rr && pr) {
    // Another answerer sent another message: its headers differ wholesale; the lines above say why.
    if (recorded.answeredBy === replayed.answeredBy) out.push(...headerChanges('sent downstream', rr.headers, pr.headers));
    if (!sameBody(rr.body, pr.body)) out.push({ what: 'body sent downstream', recorded: bodyText(rr.body), replayed: bodyText(pr.body) });
  }
  push('callouts', callouts(recorded).join('; ') || '(none)', callouts(replayed).join('; ') || '(none)');
  push('traps', traps(recorded).join('; ') || '(none)', traps(replayed).join('; ') || '(none)');
  return out;
}
