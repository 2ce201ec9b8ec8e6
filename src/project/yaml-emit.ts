/**
 * A YAML writer for JSON values (what istio-wasm.yaml holds), so that scaffolding does not load
 * a YAML library (~30 ms of start-up). Strings are written plain when that is unambiguous, else
 * double-quoted with JSON escapes, which YAML reads back unchanged; keys likewise.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const plainKey = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Strings safe to write unquoted: no leading digit or indicator, no ": " or " #", not a keyword. */
const plainString = /^[A-Za-z_/][A-Za-z0-9_./:@-]*$/;
/** A leading digit is plain only with a "/" in the string (no YAML number, date or time has one). */
const plainPath = /^[0-9][A-Za-z0-9_./:@-]*\/[A-Za-z0-9_./:@-]*$/;
/** Words YAML 1.1 readers take as booleans or null when unquoted. */
const reserved = new Set(['y', 'yes', 'n', 'no', 'true', 'false', 'on', 'off', 'null']);

function key(k: string): string {
  return plainKey.test(k) && !reserved.has(k.toLowerCase()) ? k : JSON.stringify(k);
}

function scalar(value: Json): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as YAML`);
    return String(value);
  }
  if (typeof value === 'string') {
    const plain = (plainString.test(value) || plainPath.test(value)) && !value.endsWith(':') && !reserved.has(value.toLowerCase());
    return plain ? value : JSON.stringify(value);
  }
  if (Array.isArray(value) && value.length === 0) return '[]';
  if (!Array.isArray(value) && Object.keys(value).length === 0) return '{}';
  return undefined;
}

function lines(value: Json, indent: string): string[] {
  const out: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      const s = scalar(item);
      if (s !== undefined) out.push(`${indent}- ${s}`);
      else {
        const inner = lines(item, `${indent}  `);
        out.push(`${indent}- ${(inner[0] ?? '').trimStart()}`, ...inner.slice(1));
      }
    }
    return out;
  }
  for (const [k, v] of Object.entries(value as Record<string, Json>)) {
    const s = scalar(v);
    if (s !== undefined) out.push(`${indent}${key(k)}: ${s}`);
    else out.push(`${indent}${key(k)}:`, ...lines(v, `${indent}  `));
  }
  return out;
}

/** YAML for a JSON object (a mapping at the top level). */
export function toYaml(value: Record<string, unknown>): string {
  return `${lines(value as Json, '').join('\n')}\n`;
}
