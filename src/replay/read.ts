import { readFile } from 'node:fs/promises';
import { CliError, messageOf } from '../errors.js';
import { TRACE_FORMAT, TRACE_VERSION, type TraceExchange } from '../host/index.js';

/** One request of a HAR file (as browsers save them: DevTools, Firefox, Charles). */
export interface HarRequest {
  method: string;
  /** Path and query of the URL. */
  path: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
  /** The status the browser saw, when the HAR has it. */
  status: number | undefined;
  /** The response the browser saw, when the HAR has one (status > 0). */
  response?: HarResponse;
}

/** A HAR entry's response: what replay compares the new answer with. */
export interface HarResponse {
  status: number;
  /** Names lower-case, in order, duplicates kept. */
  headers: Array<[string, string]>;
  /** The body as the browser decoded it (content.text, base64 when content.encoding says so); undefined when the HAR has no text. */
  body: Uint8Array | undefined;
}

export type ReplaySource = { kind: 'trace'; exchanges: TraceExchange[] } | { kind: 'har'; requests: HarRequest[] };

/** HTTP/2 pseudo-headers and per-hop headers a HAR lists but a new request must not copy. */
const harSkipped = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'proxy-connection']);

function fromHar(data: { log?: { entries?: unknown } }, file: string): HarRequest[] {
  const entries = data.log?.entries;
  if (!Array.isArray(entries)) throw new CliError('REPLAY_BAD_FILE', `${file} looks like a HAR file but has no log.entries list`);
  return entries.map((raw, i) => {
    const e = raw as { request?: { method?: string; url?: string; headers?: Array<{ name?: string; value?: string }>; postData?: { text?: string; encoding?: string } }; response?: { status?: number; headers?: Array<{ name?: string; value?: string }>; content?: { text?: unknown; encoding?: unknown } } };
    const r = e.request;
    if (!r?.method || !r.url) throw new CliError('REPLAY_BAD_FILE', `${file}: HAR entry ${i + 1} has no request method or url`);
    let url: URL;
    try {
      url = new URL(r.url);
    } catch {
      throw new CliError('REPLAY_BAD_FILE', `${file}: HAR entry ${i + 1} has an invalid url "${r.url}"`);
    }
    const headers: Array<[string, string]> = [];
    for (const h of r.headers ?? []) {
      const name = String(h.name ?? '').toLowerCase();
      if (!name || name.startsWith(':') || harSkipped.has(name)) continue;
      headers.push([name, String(h.value ?? '')]);
    }
    const text = r.postData?.text ?? '';
    const body = r.postData?.encoding === 'base64' ? new Uint8Array(Buffer.from(text, 'base64')) : new TextEncoder().encode(text);
    const status = typeof e.response?.status === 'number' && e.response.status > 0 ? e.response.status : undefined;
    const out: HarRequest = { method: r.method.toUpperCase(), path: `${url.pathname}${url.search}`, headers, body, status };
    if (status !== undefined && e.response) out.response = harResponse(status, e.response, file, i);
    return out;
  });
}

function harResponse(status: number, r: { headers?: Array<{ name?: string; value?: string }>; content?: { text?: unknown; encoding?: unknown } }, file: string, i: number): HarResponse {
  const headers: Array<[string, string]> = [];
  for (const h of Array.isArray(r.headers) ? r.headers : []) {
    const name = String(h.name ?? '').toLowerCase();
    if (name && !name.startsWith(':')) headers.push([name, String(h.value ?? '')]);
  }
  const text = r.content?.text;
  let body: Uint8Array | undefined;
  if (typeof text === 'string') {
    if (r.content?.encoding === 'base64') {
      if (!/^[A-Za-z0-9+/=\s_-]*$/.test(text)) throw new CliError('REPLAY_BAD_FILE', `${file}: HAR entry ${i + 1}'s response content says base64 but is not base64`);
      body = new Uint8Array(Buffer.from(text, 'base64'));
    } else if (r.content?.encoding !== undefined && r.content.encoding !== '') {
      throw new CliError('REPLAY_BAD_FILE', `${file}: HAR entry ${i + 1}'s response content has encoding "${String(r.content.encoding)}"; HAR 1.2 knows only base64`);
    } else body = new TextEncoder().encode(text);
  }
  return { status, headers, body };
}

/**
 * Reads what replay re-runs: a trace file (JSON Lines written by `serve --trace`, docs/trace-format.md)
 * or a HAR file (one JSON document with log.entries). Bad input names the line and what is wrong.
 */
export async function readReplaySource(file: string): Promise<ReplaySource> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError('REPLAY_BAD_FILE', `cannot read ${file}: ${messageOf(error)}`, { hint: 'pass a trace file written by `istio-wasm serve --trace FILE`, or a HAR file' });
  }
  const trimmed = text.trim();
  if (trimmed === '') throw new CliError('REPLAY_BAD_FILE', `${file} is empty: no exchanges to replay`, { hint: 'send requests through `istio-wasm serve --trace FILE` first' });
  if (trimmed.startsWith('{') && !trimmed.includes('\n')) {
    // One line: a trace with one exchange, or a HAR document on one line.
    const one = parseLine(trimmed, file, 1);
    if ((one as { log?: unknown }).log !== undefined) return { kind: 'har', requests: fromHar(one as { log?: { entries?: unknown } }, file) };
  } else if (trimmed.startsWith('{') && /^\{\s*"log"\s*:/.test(trimmed)) {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch (error) {
      throw new CliError('REPLAY_BAD_FILE', `${file} is not valid JSON (a HAR file?): ${messageOf(error)}`);
    }
    return { kind: 'har', requests: fromHar(data as { log?: { entries?: unknown } }, file) };
  }
  const exchanges: TraceExchange[] = [];
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const value = parseLine(line, file, i + 1) as Partial<TraceExchange>;
    if (value.format !== TRACE_FORMAT) throw new CliError('REPLAY_BAD_FILE', `${file}:${i + 1} is not an istio-wasm trace (format "${String(value.format)}")`, { hint: 'pass a file written by `istio-wasm serve --trace FILE`, or a HAR file' });
    if (value.version !== TRACE_VERSION) throw new CliError('REPLAY_BAD_FILE', `${file}:${i + 1} is trace format version ${String(value.version)}; this istio-wasm reads version ${TRACE_VERSION}`, { hint: 'record it again with this version of istio-wasm serve' });
    if (!value.request || !Array.isArray(value.request.headers) || !Array.isArray(value.plugins)) throw new CliError('REPLAY_BAD_FILE', `${file}:${i + 1}: the exchange has no request headers or plugins`);
    exchanges.push(value as TraceExchange);
  }
  return { kind: 'trace', exchanges };
}

function parseLine(line: string, file: string, n: number): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (error) {
    throw new CliError('REPLAY_BAD_FILE', `${file}:${n} is not JSON: ${messageOf(error)}`, { hint: 'a trace file has one JSON object per line (JSON Lines)' });
  }
}
