import { maskConfiguration } from './configuration.js';
import type { TraceConfiguration } from './format.js';

/**
 * Credential-looking header values are masked when a trace leaves the process (file, page, test
 * output), unless secrets were asked for: authorization, cookies, API keys, tokens, passwords.
 */
const exact = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token', 'x-amz-security-token', 'x-csrf-token', 'x-xsrf-token']);
const pattern = /(^|[-_.])(token|secret|password|passwd|api[-_]?key|session|credential|auth)([-_.]|$)/i;

export function isSecretHeader(name: string): boolean {
  const k = name.toLowerCase();
  return exact.has(k) || pattern.test(k);
}

/** "Bearer abc" -> "Bearer ***"; anything else -> "***". The length is not kept either. */
export function maskValue(value: string): string {
  const scheme = /^([A-Za-z][A-Za-z0-9-]*) \S/.exec(value);
  return scheme && /^(bearer|basic|digest|negotiate|token|apikey|aws4-hmac-sha256)$/i.test(scheme[1] as string) ? `${scheme[1]} ***` : '***';
}

function isPairList(value: unknown[]): value is Array<[string, string]> {
  return value.length > 0 && value.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string');
}

/**
 * A copy of a trace value with secrets masked: every header pair list, every host call's key/value,
 * property reads of request.headers.<secret>, and credential-looking values of a plugin's JSON
 * configuration (maskConfiguration). Generic, so every place headers appear is covered.
 */
export function maskSecrets<T>(value: T): T {
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (Array.isArray(value)) {
    if (isPairList(value)) return value.map(([k, v]) => [k, isSecretHeader(k) ? maskValue(v) : v]);
    return value.map(walk);
  }
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = k === 'configuration' && v !== null && typeof v === 'object' && typeof (v as TraceConfiguration).size === 'number' ? maskConfiguration(v as TraceConfiguration) : walk(v);
  const key = typeof obj.key === 'string' ? obj.key : typeof obj.path === 'string' && /headers\.[^.]+$/.test(obj.path) ? (obj.path.split('.').pop() as string) : undefined;
  if (key !== undefined && typeof obj.value === 'string' && isSecretHeader(key)) out.value = maskValue(obj.value);
  return out;
}
