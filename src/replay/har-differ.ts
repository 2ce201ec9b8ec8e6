import zlib from 'node:zlib';
import { bodyText, headerDiff, isSecretHeader, maskValue, traceBody } from '../host/index.js';
import type { Difference } from './differ.js';
import type { HarAnswer } from './har.js';
import type { HarResponse } from './read.js';

/** Hop-by-hop headers: they describe one connection, not the response (RFC 9110 7.6.1). */
export const HOP_BY_HOP_HEADERS = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade'];
/** Headers that differ between two fetches of the same response, or that the mesh adds, not the plugin. */
export const VOLATILE_HEADERS = ['date', 'age', 'expires', 'server', 'via', 'alt-svc', 'x-request-id', 'x-envoy-*'];

const absent = '(absent)';
/** Bytes of a body shown in a difference. */
const SHOWN = 64 * 1024;

/** Whether a header name is left out of the comparison: hop-by-hop, volatile, or one the user named (a trailing * matches a prefix). */
export function ignoredHeader(name: string, extra: readonly string[] = []): boolean {
  return [...HOP_BY_HOP_HEADERS, ...VOLATILE_HEADERS, ...extra.map((e) => e.toLowerCase())].some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

const headerValue = (pairs: ReadonlyArray<[string, string]>, name: string) => pairs.find(([k]) => k === name)?.[1];

/** The body as the browser would have recorded it: content-encoding undone. Undefined for an encoding Node cannot undo. */
function decoded(answer: HarAnswer): Uint8Array | undefined {
  const encoding = (headerValue(answer.headers, 'content-encoding') ?? 'identity').trim().toLowerCase();
  try {
    if (encoding === 'identity' || encoding === '') return answer.body;
    if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.gunzipSync(answer.body);
    if (encoding === 'deflate') return zlib.inflateSync(answer.body);
    if (encoding === 'br') return zlib.brotliDecompressSync(answer.body);
  } catch {
    return undefined;
  }
  return undefined;
}

/** set-cookie compares by cookie names: its values (session ids) differ on every fetch. */
const comparable = (pairs: Array<[string, string]>): Array<[string, string]> => pairs.map(([k, v]) => [k, k === 'set-cookie' ? `${v.split('=')[0]?.trim() ?? ''}=…` : v]);

/** Credential-looking values are shown masked, as in a trace; two masked values that look alike say they differ. */
function shown(key: string, before: string | undefined, after: string | undefined): [string, string] {
  if (!isSecretHeader(key) || key === 'set-cookie') return [before ?? absent, after ?? absent];
  const a = before === undefined ? absent : maskValue(before);
  const b = after === undefined ? absent : maskValue(after);
  return [a, a === b ? `${b} (another value)` : b];
}

/**
 * What changed between the response a HAR recorded and the one the plugin gives now: the status;
 * the response headers (when the HAR lists any), left out hop-by-hop and volatile ones (HOP_BY_HOP_HEADERS, VOLATILE_HEADERS,
 * `ignore`) and content-length unless both sides have it with the same content-encoding, set-cookie
 * by cookie names, credential-looking values shown masked; the body,
 * when the HAR has its text (compared after undoing the new answer's gzip, deflate or br encoding,
 * as browsers record bodies decoded). `notes` says what could not be compared.
 */
export function diffHarResponse(recorded: HarResponse, answer: HarAnswer, ignore: readonly string[] = []): { differences: Difference[]; notes: string[] } {
  const differences: Difference[] = [];
  const notes: string[] = [];
  if (recorded.status !== answer.status) differences.push({ what: 'status', recorded: String(recorded.status), replayed: String(answer.status) });
  const sameEncoding = (headerValue(recorded.headers, 'content-encoding') ?? 'identity') === (headerValue(answer.headers, 'content-encoding') ?? 'identity');
  const compared = (pairs: ReadonlyArray<[string, string]>, other: ReadonlyArray<[string, string]>) =>
    pairs.filter(([k]) => !ignoredHeader(k, ignore) && (k !== 'content-length' || (sameEncoding && headerValue(other, k) !== undefined)));
  // A browser lists every response header; a HAR with none had them stripped (shared HARs often are).
  if (recorded.headers.length === 0) notes.push('the HAR lists no response headers: headers were not compared');
  else {
    for (const c of headerDiff(comparable(compared(recorded.headers, answer.headers)), comparable(compared(answer.headers, recorded.headers)))) {
      const [before, after] = shown(c.key, c.before, c.after);
      differences.push({ what: `header sent downstream ${c.key}`, recorded: before, replayed: after });
    }
  }
  if (recorded.body !== undefined) {
    const now = decoded(answer);
    if (!now) notes.push(`the body was not compared: its content-encoding "${headerValue(answer.headers, 'content-encoding') ?? ''}" cannot be decoded here`);
    else if (answer.size > answer.body.byteLength) notes.push(`the body was not compared: the answer had ${answer.size} bytes, more than replay keeps`);
    else if (Buffer.compare(recorded.body, now) !== 0) differences.push({ what: 'body sent downstream', recorded: bodyText(traceBody(recorded.body, SHOWN)), replayed: bodyText(traceBody(now, SHOWN)) });
  }
  return { differences, notes };
}
