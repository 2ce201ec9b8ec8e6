import { CliError } from '../errors.js';
import { moduleLimits } from './versions.js';
import { sha256Hex } from '../util/sha256.js';

/**
 * Delivering the module without a registry: a ConfigMap whose binaryData holds the .wasm, mounted
 * into the gateway's istio-proxy container, and `url: file://…` in the WasmPlugin. The way round
 * the registry trap for Basic-auth cluster registries (sealos.hub:5000), for modules up to ~1 MiB.
 *
 * The key carries a hash of the module, so a new build changes the url and Envoy loads the new
 * file (Envoy does not reload a file:// module whose url stayed the same).
 */
export const wasmMountRoot = '/var/local/lib/wasm-plugins';

export interface ConfigMapDelivery {
  configMap: Record<string, unknown>;
  /** Patch for a Deployment whose gateway pods are injected (`inject.istio.io/templates: gateway`). */
  injectedPatch: Record<string, unknown>;
  /** Strategic-merge patch for a classic istio-ingressgateway Deployment (istio-proxy container in the spec). */
  classicPatch: Record<string, unknown>;
  url: string;
  configMapName: string;
  volumeName: string;
  mountPath: string;
  key: string;
  moduleBytes: number;
}

export function configMapDelivery(options: { name: string; namespace: string; module: Uint8Array; labels: Record<string, string> }): ConfigMapDelivery {
  const { name, namespace, module } = options;
  if (module.length < 8 || module[0] !== 0 || module[1] !== 0x61 || module[2] !== 0x73 || module[3] !== 0x6d) {
    throw new CliError('NOT_WASM', 'the module does not start with the WebAssembly magic \\0asm', { hint: 'build the plugin first (istio-wasm build)' });
  }
  const digest = sha256Hex(module);
  const key = `plugin-${digest.slice(0, 12)}.wasm`;
  const total = module.length + key.length;
  if (total > moduleLimits.configMapMaxBytes) {
    throw new CliError(
      'MODULE_TOO_LARGE_FOR_CONFIGMAP',
      `the module is ${module.length} bytes; a ConfigMap holds at most ${moduleLimits.configMapMaxBytes} bytes of keys and values (1 MiB), so ${total - moduleLimits.configMapMaxBytes} bytes too many`,
      { hint: 'shrink it (release build, wasm-opt -Oz, strip debug sections), or serve it over http(s) from an in-cluster server without auth and use an https:// url with the .wasm sha256' },
    );
  }
  const configMapName = `${name}-wasm`;
  const volumeName = `wasm-${name}`.slice(0, 63).replace(/-+$/, '');
  const mountPath = `${wasmMountRoot}/${name}`;
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configMapName, namespace, labels: options.labels, annotations: { 'istio-wasm/module-sha256': digest } },
    binaryData: { [key]: Buffer.from(module).toString('base64') },
  };
  const volume = { name: volumeName, configMap: { name: configMapName } };
  const mount = { name: volumeName, mountPath, readOnly: true };
  const injectedPatch = {
    spec: {
      template: {
        metadata: {
          annotations: {
            'sidecar.istio.io/userVolume': JSON.stringify([volume]),
            'sidecar.istio.io/userVolumeMount': JSON.stringify([mount]),
          },
        },
      },
    },
  };
  const classicPatch = {
    spec: {
      template: {
        spec: {
          containers: [{ name: 'istio-proxy', volumeMounts: [mount] }],
          volumes: [volume],
        },
      },
    },
  };
  return { configMap, injectedPatch, classicPatch, url: `file://${mountPath}/${key}`, configMapName, volumeName, mountPath, key, moduleBytes: module.length };
}
