/**
 * The one line of a failed kubectl run that says why: the API server's own refusals ("Error from
 * server (Invalid): WasmPlugin.extensions.istio.io "x" is invalid: spec: … only one of targetRefs or
 * selector can be set"), else kubectl's own "error: …" lines, else its last line. klog's lines
 * (E1202 12:00:00.000 … memcache.go …) repeat the same cause with noise and are dropped; several
 * refusals (one per document) are joined with "; ".
 */
export function kubectlErrorLine(stderr: string, fallback = 'kubectl failed without a message'): string {
  const lines = stderr
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^[EWI]\d{4} \d/.test(l));
  const refusals = lines.filter((l) => /^Error from server\b/.test(l) || /^error:/i.test(l));
  const picked = refusals.length > 0 ? refusals : lines.slice(-1);
  const text = picked.join('; ').replace(/\s+/g, ' ').trim();
  return text || fallback;
}
