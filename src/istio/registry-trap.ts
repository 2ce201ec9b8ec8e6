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

function isLocalOrPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const kind = net.isIP(host);
  if (kind === 4) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  if (kind === 6) {
    return host === '::1' || host === '::' || /^f[cd]/.test(host) || /^fe[89ab]/.test(host) || host.startsWith('::ffff:');
  }
  return false;
}

/** Why the agent would refuse this challenge, or undefined when it would follow it. */
export function agentRefusal(challenge: RegistryChallenge): string | undefined {
  if (challenge.scheme === 'none') return undefined;
  const realm = challenge.realm;
  const what = challenge.scheme === 'basic' ? 'Basic (htpasswd) auth' : 'a Bearer token server';
  if (realm === undefined || realm === '') return `the registry asks for ${what} without a realm URL`;
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    return `the registry asks for ${what} with realm "${realm}", which is not an http(s) URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `the registry's realm "${realm}" is not an http(s) URL`;
  if (isLocalOrPrivateHost(url.hostname)) return `the registry's token realm ${realm} is on a local or private address`;
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
