import { dockerHub } from '../oci/reference.js';

/**
 * The pull Secret `imagePullSecret` names: type kubernetes.io/dockerconfigjson in the plugin's
 * namespace, `{"auths":{"<host[:port]>":{"auth":"base64(user:pass)"}}}`. Docker Hub's key is
 * `https://index.docker.io/v1/`. It is written to its own file (mode 0600), never into pluginConfig.
 */
export function dockerConfigJson(registry: string, credentials: { username: string; password: string }): string {
  const key = registry === dockerHub ? 'https://index.docker.io/v1/' : registry;
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  return JSON.stringify({ auths: { [key]: { auth } } });
}

export function pullSecret(options: {
  name: string;
  namespace: string;
  registry: string;
  credentials: { username: string; password: string };
  labels: Record<string, string>;
}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: options.name, namespace: options.namespace, labels: options.labels },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(dockerConfigJson(options.registry, options.credentials)).toString('base64') },
  };
}
