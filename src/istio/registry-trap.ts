import net from 'node:net';
import { registryTrapExposure, registryTrapFirstPatch, type IstioTarget } from './versions.js';

/**
 * The registry trap of current Istio: from 1.27.8/1.28.5/1.29.1/1.30.0 the istio-agent refuses a
 * 401 whose `WWW-Authenticate` realm is not an http(s) URL on a non-local host ("rejected unsafe
 * bearer realm"). Every htpasswd (Basic) registry has a free-text realm, and token servers on
 * localhost or private/loopback/link-local IP literals are refused too. The pull fails and, under
 * FAIL_CLOSE, the gateway turns deny-all.
 */
export interface RegistryChallenge {
  scheme: 'basic' | 'bearer' | 'none';
  realm?: string | undefined;
  service?: string | undefined;
}

/** Go's net.ParseIP: dotted-quad IPv4 (no leading zeros) or IPv6; as 16 bytes, IPv4 mapped. */
function parseGoIp(host: string): number[] | undefined {
  const kind = net.isIP(host);
  if (kind === 4) {
    const parts = host.split('.');
    if (parts.some((p) => p.length > 1 && p.startsWith('0'))) return undefined;
    return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...parts.map(Number)];
  }
  if (kind !== 6 || host.includes('%')) return undefined;
  const [head = '', tail] = host.split('::') as [string, string | undefined];
  const groups = (text: string): number[] => {
    if (text === '') return [];
    const out: number[] = [];
    for (const g of text.split(':')) {
      if (g.includes('.')) {
        const v4 = g.split('.').map(Number);
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const words = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** Go's ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast(), on ParseIP's 16 bytes. */
function isPrivateLoopbackOrLinkLocal(ip: number[]): boolean {
  const mapped = ip.slice(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
  if (mapped) {
    const [a = 0, b = 0] = ip.slice(12);
    return a === 127 || a === 10 || (a === 172 && (b & 0xf0) === 16) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  const loopback = ip.slice(0, 15).every((b) => b === 0) && ip[15] === 1;
  return loopback || ((ip[0] ?? 0) & 0xfe) === 0xfc || (ip[0] === 0xfe && ((ip[1] ?? 0) & 0xc0) === 0x80);
}

/**
 * Why the agent would refuse this challenge, or undefined when it would follow it. The rules of
 * istio/istio pkg/wasm/imagefetcher.go (validateRealmURL), checked against that code by the
 * tests in test/integration/oracle: a realm must be an http(s) URL with a host that is not
 * `localhost`, `metadata.google.internal`, or a private, loopback or link-local IP literal. A
 * challenge without a realm is not checked; a host *name* is never resolved (so `localhost.` or a
 * name in /etc/hosts passes).
 */
export function agentRefusal(challenge: RegistryChallenge): string | undefined {
  if (challenge.scheme === 'none') return undefined;
  const realm = challenge.realm;
  if (realm === undefined) return undefined;
  const what = challenge.scheme === 'basic' ? 'Basic (htpasswd) auth' : 'a Bearer token server';
  // Go's url.Parse keeps the host's case; the WHATWG parser lower-cases it and rewrites IPv4 forms.
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(?:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*))?/.exec(realm);
  const scheme = m?.[1]?.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    return `the registry asks for ${what} with realm "${realm}", which is not an http(s) URL`;
  }
  try {
    new URL(realm);
  } catch {
    return `the registry asks for ${what} with realm "${realm}", which is not a valid URL`;
  }
  const host = (m?.[2] ?? '').replace(/^\[|\]$/g, '');
  if (host === '') return `the registry's realm "${realm}" names no host`;
  if (host === 'metadata.google.internal') return `the registry's token realm ${realm} is the cloud metadata service`;
  const ip = parseGoIp(host);
  if (host === 'localhost' || (ip && isPrivateLoopbackOrLinkLocal(ip))) return `the registry's token realm ${realm} is on a local or private address`;
  return undefined;
}

export interface TrapVerdict {
  /** The agent of the target version refuses this registry. */
  refused: boolean;
  /** Only later patch releases of the target minor version refuse it. */
  laterPatchesOnly: boolean;
  reason: string | undefined;
  message: string | undefined;
}

/** Combines the registry's challenge with the target version. */
export function registryTrapVerdict(challenge: RegistryChallenge, target: IstioTarget, host: string): TrapVerdict {
  const reason = agentRefusal(challenge);
  const exposure = registryTrapExposure(target);
  if (!reason || exposure === 'unaffected') return { refused: false, laterPatchesOnly: false, reason, message: undefined };
  const laterPatchesOnly = exposure === 'affected-in-later-patches';
  const versions = laterPatchesOnly ? `Istio ${target.text} (from patch 1.${target.minor}.${registryTrapFirstPatch[target.minor] ?? 0} on)` : `Istio ${target.text}`;
  const message =
    `${versions} cannot pull from ${host}: ${reason}, and the istio-agent rejects such challenges ("rejected unsafe bearer realm"). ` +
    'The pull would fail and, with FAIL_CLOSE, the gateway would deny all traffic. ' +
    'Deliver the module another way: `istio-wasm manifest --delivery configmap` (a ConfigMap mounted into the gateway, url file://…), ' +
    'an http(s) url to an in-cluster server that needs no auth, or a registry that allows anonymous pulls or uses Bearer tokens on a public host name.';
  return { refused: true, laterPatchesOnly, reason, message };
}

/** Hosts known to run htpasswd registries: the sealos cluster registry. */
export const knownBasicAuthHosts = ['sealos.hub:5000', 'sealos.hub'];

/** Registries that answer with Bearer tokens on public hosts (never the trap). */
export function isWellKnownBearerRegistry(host: string): boolean {
  const h = host.toLowerCase();
  return (
    ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'ghcr.io', 'quay.io', 'gcr.io', 'registry.gitlab.com', 'public.ecr.aws', 'mcr.microsoft.com', 'registry.k8s.io'].includes(h) ||
    /\.(gcr\.io|pkg\.dev|azurecr\.io|amazonaws\.com|aliyuncs\.com)$/.test(h)
  );
}
