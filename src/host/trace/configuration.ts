import { istioPluginConfiguration } from '../plugin-configuration.js';
import { traceBody, traceBodyBytes } from './body.js';
import { CONFIGURATION_LIMIT, type TraceConfiguration } from './format.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/**
 * A plugin's configuration bytes as a trace records them: `json` when the bytes are exactly istiod's
 * rendering of a JSON value (what serve hands a plugin for an istio-wasm.yaml or --plugin-config
 * object), so the file shows it as JSON and replay renders the same bytes again; else text or base64,
 * the first CONFIGURATION_LIMIT bytes.
 */
export function traceConfiguration(bytes: Uint8Array): TraceConfiguration {
  if (bytes.byteLength === 0) return { size: 0 };
  if (bytes.byteLength <= CONFIGURATION_LIMIT) {
    try {
      const json = JSON.parse(decoder.decode(bytes)) as unknown;
      if (json !== null && typeof json === 'object' && sameBytes(istioPluginConfiguration(json), bytes)) return { size: bytes.byteLength, json };
    } catch {
      /* not JSON: recorded as text or base64 */
    }
  }
  return traceBody(bytes, CONFIGURATION_LIMIT);
}

/** The exact bytes a recorded configuration stands for; undefined when only its first bytes were kept, or credentials were masked. */
export function recordedConfigurationBytes(c: TraceConfiguration): Uint8Array | undefined {
  if (c.truncated || c.masked) return undefined;
  if (c.json !== undefined) return istioPluginConfiguration(c.json);
  return traceBodyBytes(c);
}

/** A configuration in one line for messages: its JSON or text (shortened), or its size. */
export function configurationText(c: TraceConfiguration | undefined, max = 120): string {
  if (!c || c.size === 0) return '(empty)';
  const text = c.json !== undefined ? JSON.stringify(c.json) : c.text;
  if (text === undefined) return `(${c.size} bytes, binary)`;
  return text.length > max ? `${text.slice(0, max)}… (${c.size} bytes)` : text;
}

/**
 * Keys of a JSON configuration whose string values are credentials: a word token, secret, password,
 * passwd, credential(s), apikey / api key or private key, in any case style (accessToken, client_secret,
 * api-key, PRIVATE_KEY). Narrower than the header rule: `authCluster` or `session_ttl` are not secrets.
 */
const secretKey = /(^|[-_. ])(tokens?|secrets?|passwords?|passwd|credentials?|api[-_ ]?keys?|private[-_ ]?keys?)([-_. ]|$)/i;

export function isSecretConfigKey(key: string): boolean {
  return secretKey.test(key.replace(/([a-z0-9])([A-Z])/g, '$1-$2'));
}

function maskJson(value: unknown, hit: { masked: boolean }): unknown {
  if (Array.isArray(value)) return value.map((v) => maskJson(v, hit));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string' && v !== '' && isSecretConfigKey(k)) {
      out[k] = '***';
      hit.masked = true;
    } else out[k] = maskJson(v, hit);
  }
  return out;
}

const maskedCache = new WeakMap<TraceConfiguration, TraceConfiguration>();

/**
 * A JSON configuration with credential-looking string values (isSecretConfigKey) as "***" and
 * `masked` set; unchanged when it has none or is not JSON (text is recorded as it is, like bodies).
 * One result per recorded configuration (exchanges share it).
 */
export function maskConfiguration(c: TraceConfiguration): TraceConfiguration {
  if (c.json === undefined || c.masked) return c;
  let out = maskedCache.get(c);
  if (!out) {
    const hit = { masked: false };
    const json = maskJson(c.json, hit);
    out = hit.masked ? { size: c.size, json, masked: true } : c;
    maskedCache.set(c, out);
  }
  return out;
}
