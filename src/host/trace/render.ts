import type { TraceBody, TraceCallback, TraceExchange, TraceHostCall, TracePairs } from './format.js';
import { configurationText } from './configuration.js';
import { formatFrames } from './wasm-stack.js';

export interface HeaderChange {
  op: 'added' | 'removed' | 'changed';
  key: string;
  before?: string;
  after?: string;
}

/** What changed between two header lists, by name (values of repeated names joined with ", "). */
export function headerDiff(before: TracePairs, after: TracePairs): HeaderChange[] {
  const index = (pairs: TracePairs) => {
    const m = new Map<string, string>();
    for (const [k, v] of pairs) m.set(k, m.has(k) ? `${m.get(k)}, ${v}` : v);
    return m;
  };
  const a = index(before);
  const b = index(after);
  const out: HeaderChange[] = [];
  for (const [k, v] of a) {
    if (!b.has(k)) out.push({ op: 'removed', key: k, before: v });
    else if (b.get(k) !== v) out.push({ op: 'changed', key: k, before: v, after: b.get(k) as string });
  }
  for (const [k, v] of b) if (!a.has(k)) out.push({ op: 'added', key: k, after: v });
  return out;
}

const clip = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n)}…` : s);
export const bodyText = (b: TraceBody | undefined): string =>
  !b || b.size === 0 ? '(empty)' : `${b.text !== undefined ? JSON.stringify(clip(b.text)) : `base64 ${clip(b.base64 ?? '')}`} (${b.size} bytes${b.truncated ? ', truncated' : ''})`;

function callLine(c: TraceHostCall): string {
  const name = c.call.replace(/^proxy_/, '');
  const parts: string[] = [];
  const skip = new Set(['call', 't', 'status', 'preview', 'pairs', 'body']);
  for (const [k, v] of Object.entries(c)) {
    if (skip.has(k) || v === undefined) continue;
    parts.push(`${k}=${typeof v === 'string' ? JSON.stringify(clip(v, 80)) : JSON.stringify(v)}`);
  }
  const preview = (c.preview ?? c.body) as TraceBody | undefined;
  if (preview) parts.push(`data=${bodyText(preview)}`);
  if (c.pairs) parts.push(`headers=${c.pairs.map(([k, v]) => `${k}: ${clip(v, 40)}`).join('; ')}`);
  return `${name} ${parts.join(' ')}${c.status ? ` -> ${c.status}` : ''}`;
}

function callbackLines(cb: TraceCallback): string[] {
  const result = cb.result !== undefined ? ` -> ${cb.result}` : '';
  const lines = [`  ${cb.t.toFixed(3)} ms  ${cb.callback}(${cb.args.join(', ')})${result}  [${cb.ms} ms, ${cb.memoryPages} pages]`];
  for (const c of cb.calls) lines.push(`      ${callLine(c)}`);
  if (cb.before && cb.after) {
    for (const d of headerDiff(cb.before, cb.after)) {
      lines.push(`      header ${d.op} ${d.key}${d.op === 'removed' ? ` (was ${JSON.stringify(d.before)})` : d.op === 'changed' ? `: ${JSON.stringify(d.before)} -> ${JSON.stringify(d.after)}` : `: ${JSON.stringify(d.after)}`}`);
    }
  }
  if (cb.trap) {
    lines.push(`      TRAP: ${cb.trap.message}`);
    lines.push(...formatFrames(cb.trap.stack).map((l) => `      ${l}`));
  }
  return lines;
}

const headerLines = (indent: string, pairs: TracePairs) => pairs.map(([k, v]) => `${indent}${k}: ${clip(v)}`);

/** A trace in readable form (test failures, replay output): one exchange, every plugin's callbacks. */
export function renderTrace(e: TraceExchange): string {
  const lines = [`exchange #${e.id}: ${e.method} ${e.path} -> ${e.response?.status ?? 'no response'} (answered by ${e.answeredBy}, ${e.durationMs} ms)`];
  lines.push('request headers:', ...headerLines('  ', e.request.headers));
  if (e.request.body.size > 0) lines.push(`request body: ${bodyText(e.request.body)}`);
  if (e.upstreamRequest) {
    const d = headerDiff(e.request.headers, e.upstreamRequest.headers);
    lines.push(`sent upstream: ${d.length === 0 ? 'headers unchanged' : d.map((c) => `${c.op} ${c.key}`).join(', ')}${e.upstreamRequest.body.size !== e.request.body.size ? `; body ${bodyText(e.upstreamRequest.body)}` : ''}`);
  }
  if (e.upstreamResponse) lines.push(`upstream answered ${e.upstreamResponse.status}`);
  if (e.local) lines.push(`local reply ${e.local.status} by ${e.local.by}${e.local.details ? ` (${e.local.details})` : ''}`);
  if (e.response) lines.push(`client got ${e.response.status}:`, ...headerLines('  ', e.response.headers), ...(e.response.body.size > 0 ? [`  body: ${bodyText(e.response.body)}`] : []));
  for (const p of e.plugins) {
    lines.push(`plugin ${p.name} (root id ${JSON.stringify(p.rootId)}, context ${p.contextId})${p.note ? `: ${p.note}` : ''}`);
    if (p.configuration) lines.push(`  configuration: ${configurationText(p.configuration)}`);
    for (const cb of p.callbacks) lines.push(...callbackLines(cb));
    for (const c of p.callouts) {
      const r = c.response;
      const answer = r ? (r.failed ? 'failed' : `${r.headers.find(([k]) => k === ':status')?.[1] ?? r.status ?? 'answered'}${r.statusMessage ? ` (${r.statusMessage})` : ''}`) : 'pending';
      const stream = c.kind === 'grpc-stream' ? `; sent ${c.sent ?? 0}, received ${(c.events ?? []).filter((e) => e.message).length}` : '';
      lines.push(`  callout ${c.kind} #${c.token} to ${c.cluster}${c.request.service ? ` ${c.request.service}/${c.request.method}` : ''}: ${answer}${stream}`);
    }
    if (p.dropped) lines.push(`  (${p.dropped} more events not kept)`);
  }
  return lines.join('\n');
}
