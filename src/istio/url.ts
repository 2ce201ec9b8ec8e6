/**
 * The url rule as Istio applies it: istiod parses `spec.url` with Go's `url.ParseRequestURI`,
 * retrying with `http://` prepended; the CRD's CEL rule (`isURL`, from 1.20) does the same. This is
 * a port of the parts of Go's parser that decide success and the scheme, so that e.g.
 * `localhost:5000/x` (read as scheme `localhost`) and `sealos.hub:5000/x` are refused as Istio
 * refuses them, while `127.0.0.1:5000/x` passes.
 */
export interface ParsedUrl {
  /** Lower-cased scheme; '' when none was written (Istio then treats the url as oci://). */
  scheme: string;
  /** The scheme Istio acts on: '' becomes 'oci'. */
  effectiveScheme: string;
  host: string;
  /** Everything after the host (or the opaque part). */
  rest: string;
}

export type UrlParse = { ok: true; url: ParsedUrl } | { ok: false; error: string };

function hasCtlByte(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function getScheme(raw: string): { scheme: string; rest: string } | { error: string } {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+.-]/.test(c)) {
      if (i === 0) return { scheme: '', rest: raw };
      continue;
    }
    if (c === ':') {
      if (i === 0) return { error: 'missing protocol scheme' };
      return { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    }
    return { scheme: '', rest: raw };
  }
  return { scheme: '', rest: raw };
}

const hostAllowed = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%]*$/;

function checkEscapes(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      if (!/^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) return false;
      i += 2;
    }
  }
  return true;
}

function parseAuthority(authority: string): { host: string } | { error: string } {
  const at = authority.lastIndexOf('@');
  const host = at >= 0 ? authority.slice(at + 1) : authority;
  if (at >= 0 && !/^[A-Za-z0-9\-._~!$&'()*+,;=:%@]*$/.test(authority.slice(0, at))) return { error: 'invalid userinfo' };
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) return { error: 'missing \']\' in host' };
    const port = host.slice(close + 1);
    if (port !== '' && !/^:\d*$/.test(port)) return { error: `invalid port "${port}" after host` };
    return { host };
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && !/^\d*$/.test(host.slice(colon + 1))) return { error: `invalid port "${host.slice(colon)}" after host` };
  if (!hostAllowed.test(host) || !checkEscapes(host)) return { error: `invalid character in host name "${host}"` };
  return { host };
}

/** Go's url.ParseRequestURI, reduced to success/failure, scheme and host. */
export function parseRequestUri(raw: string): UrlParse {
  if (hasCtlByte(raw)) return { ok: false, error: 'invalid control character in URL' };
  if (raw === '') return { ok: false, error: 'empty url' };
  const s = getScheme(raw);
  if ('error' in s) return { ok: false, error: s.error };
  const scheme = s.scheme.toLowerCase();
  let rest = s.rest;
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { ok: true, url: { scheme, effectiveScheme: scheme, host: '', rest } };
    return { ok: false, error: 'invalid URI for request' };
  }
  let host = '';
  if (scheme !== '' && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    const parsed = parseAuthority(authority);
    if ('error' in parsed) return { ok: false, error: parsed.error };
    host = parsed.host;
  }
  if (!checkEscapes(rest)) return { ok: false, error: 'invalid URL escape' };
  return { ok: true, url: { scheme, effectiveScheme: scheme || 'oci', host, rest } };
}

/** istiod's strictParseURL: as written, else with `http://` prepended (a scheme-less reference). */
export function parsePluginUrl(raw: string): UrlParse {
  const first = parseRequestUri(raw);
  if (first.ok) return first;
  const retry = parseRequestUri(`http://${raw}`);
  if (!retry.ok) return first;
  // Written without a scheme: Istio pulls it as an OCI image.
  return { ok: true, url: { ...retry.url, scheme: '', effectiveScheme: 'oci' } };
}
