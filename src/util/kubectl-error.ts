/**
 * The one line of a failed kubectl run that says why: the API server's own refusals ("Error from
 * server (Invalid): WasmPlugin.extensions.istio.io "x" is invalid: spec: … only one of targetRefs or
 * selector can be set"), else kubectl's own "error: …" lines, else its last line. klog's lines
 * (E1202 12:00:00.000 … memcache.go …) repeat the same cause with noise and are dropped; several
 * refusals (one per document) are joined with "; ", and a list of conflicting fields under its line
 * is folded into it.
 */
export function kubectlErrorLine(stderr: string, fallback = 'kubectl failed without a message'): string {
  const lines = stderr
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^[EWI]\d{4} \d/.test(l));
  const picked: string[] = [];
  lines.forEach((line, i) => {
    if (!/^Error from server\b/.test(line) && !/^error:/i.test(line)) return;
    // "Apply failed with 2 conflicts: conflicts with "kubectl-edit":" lists the fields below it.
    let text = line;
    for (let j = i + 1; line.endsWith(':') && j < lines.length && lines[j]?.startsWith('- '); j++) text += `${j === i + 1 ? ' ' : ', '}${lines[j]?.slice(2)}`;
    picked.push(text);
  });
  if (picked.length === 0) picked.push(...lines.slice(-1));
  const text = picked.join('; ').replace(/\s+/g, ' ').trim();
  return text || fallback;
}
