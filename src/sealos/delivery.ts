import { agentRefusal, knownBasicAuthHosts, type RegistryChallenge } from '../istio/registry-trap.js';
import { registryTrapExposure, registryTrapVersions, type IstioTarget } from '../istio/versions.js';

/**
 * How the cluster image hands the module to the gateway, chosen from the target Istio version and
 * the registry's auth challenge:
 * - `oci`: the WasmPlugin pulls `oci://<registry>/<repository>:<tag>` pinned to the manifest digest,
 *   with a pull Secret when the registry needs credentials (and a ServiceEntry when the registry is
 *   the cluster's, e.g. sealos.hub:5000);
 * - `configmap`: the module travels in a ConfigMap mounted into the gateway (`file://` url), for
 *   Istio versions whose agent refuses the registry's challenge (1.27.8+, 1.28.5+, 1.29.1+, 1.30+
 *   with a Basic-auth registry).
 *
 * A version given without its patch number (`1.29`) counts as affected when the minor's current
 * patch releases are, because that is what a fresh install gets: give the patch (`1.29.0`) to get
 * the oci delivery for an older installation.
 */
export type ClusterDelivery = 'oci' | 'configmap';

export type ChallengeSource = 'push' | 'probe' | 'recorded' | 'known-host' | 'unknown';

export interface DeliveryChoice {
  delivery: ClusterDelivery;
  /** One sentence: why this delivery. */
  reason: string;
}

export function chooseDelivery(options: { target: IstioTarget; registry: string; challenge: RegistryChallenge | undefined; source: ChallengeSource }): DeliveryChoice {
  const { target, registry, challenge } = options;
  const exposure = registryTrapExposure(target);
  if (!challenge) {
    return {
      delivery: 'oci',
      reason: `the auth challenge of ${registry} is unknown (it could not be reached), so the oci:// url is used; if it is a Basic-auth (htpasswd) registry and the cluster runs Istio 1.27.8+/1.28.5+/1.29.1+/1.30+, run this again when it is reachable`,
    };
  }
  if (challenge.scheme === 'none') return { delivery: 'oci', reason: `${registry} allows anonymous pulls, which every Istio version's agent follows` };
  const refusal = agentRefusal(challenge);
  const learnt = options.source === 'known-host' ? ' (known as the sealos cluster registry, which uses htpasswd)' : '';
  if (!refusal) return { delivery: 'oci', reason: `${registry} uses a Bearer token server on a public host${learnt}, which every Istio version's agent follows` };
  if (exposure === 'unaffected') {
    return { delivery: 'oci', reason: `Istio ${target.text} still pulls from ${registry}${learnt} (${refusal}; only ${registryTrapVersions()} and later refuse that)` };
  }
  if (exposure === 'affected-in-later-patches') {
    return {
      delivery: 'configmap',
      reason: `Istio ${target.text} names no patch release, and its current patches (from ${registryTrapVersions()}) refuse ${registry}${learnt}: ${refusal}; so the module goes in a ConfigMap (give --istio-version ${target.text}.0 for an older installation that still pulls)`,
    };
  }
  return { delivery: 'configmap', reason: `Istio ${target.text}'s agent refuses ${registry}${learnt}: ${refusal}; so the module goes in a ConfigMap mounted into the gateway` };
}

/** A challenge for hosts known without asking them (the sealos cluster registry uses htpasswd). */
export function knownChallenge(registry: string): RegistryChallenge | undefined {
  return knownBasicAuthHosts.includes(registry.toLowerCase()) ? { scheme: 'basic', realm: 'Registry Realm' } : undefined;
}
