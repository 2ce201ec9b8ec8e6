import { HeaderMap, serializePairs } from './header-map.js';

/**
 * Properties as proxy_get_property answers them: a path of segments (joined by NUL bytes on the wire)
 * walked through a tree whose leaves are encoded as Envoy encodes them: strings as bytes, integers
 * as 8-byte little-endian int64, booleans as one byte, maps (headers, labels) as serialized pairs.
 */
export type PropertyValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | HeaderMap
  | undefined
  | PropertyTree
  | (() => PropertyValue);
export interface PropertyTree {
  [segment: string]: PropertyValue;
}

const encoder = new TextEncoder();

export function encodeProperty(value: PropertyValue): Uint8Array | undefined {
  const v = typeof value === 'function' ? value() : value;
  if (v === undefined) return undefined;
  if (typeof v === 'string') return encoder.encode(v);
  if (typeof v === 'boolean') return Uint8Array.of(v ? 1 : 0);
  if (typeof v === 'number' || typeof v === 'bigint') {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigInt64(0, typeof v === 'bigint' ? v : BigInt(Math.trunc(v)), true);
    return out;
  }
  if (v instanceof Uint8Array) return v;
  if (v instanceof HeaderMap) return serializePairs(v.pairs);
  // A map of leaves: string pairs, as Envoy hands over a metadata map.
  const pairs: Array<[string, string]> = [];
  for (const [k, leaf] of Object.entries(v)) {
    const resolved = typeof leaf === 'function' ? leaf() : leaf;
    if (resolved === undefined) continue;
    pairs.push([k, typeof resolved === 'object' && !(resolved instanceof Uint8Array) ? JSON.stringify(resolved) : String(resolved)]);
  }
  return serializePairs(pairs);
}

/** Walks a path through the trees, first tree that knows the path wins. */
export function lookupProperty(path: string[], trees: PropertyTree[]): Uint8Array | undefined {
  for (const tree of trees) {
    let node: PropertyValue = tree;
    for (const segment of path) {
      if (typeof node === 'function') node = node();
      if (node instanceof HeaderMap) {
        node = node.getJoined(segment);
        continue;
      }
      if (node === undefined || typeof node !== 'object' || node instanceof Uint8Array) {
        node = undefined;
        break;
      }
      node = Object.prototype.hasOwnProperty.call(node, segment) ? (node as PropertyTree)[segment] : undefined;
    }
    const encoded = path.length === 0 ? undefined : encodeProperty(node);
    if (encoded !== undefined) return encoded;
  }
  return undefined;
}

/** Splits a wire path (`request\0path`, or dotted `request.path` as some SDKs send) into segments. */
export function splitPropertyPath(raw: string): string[] {
  const trimmed = raw.endsWith('\0') ? raw.slice(0, -1) : raw;
  if (trimmed.includes('\0')) return trimmed.split('\0');
  return trimmed.split('.');
}

/** Deep merge of property trees (right wins); plain objects only. */
export function mergeProperties(...trees: Array<PropertyTree | undefined>): PropertyTree {
  const out: PropertyTree = {};
  for (const tree of trees) {
    if (!tree) continue;
    for (const [k, v] of Object.entries(tree)) {
      const existing = out[k];
      if (isPlainTree(existing) && isPlainTree(v)) out[k] = mergeProperties(existing, v);
      else out[k] = v;
    }
  }
  return out;
}

function isPlainTree(v: unknown): v is PropertyTree {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !(v instanceof HeaderMap);
}

/** The node metadata Istio's sidecar sets, for a local workload named `name` in `namespace`. */
export function istioNodeProperties(options: { name?: string; namespace?: string; istioVersion?: string } = {}): PropertyTree {
  const name = options.name ?? 'local-workload';
  const namespace = options.namespace ?? 'default';
  return {
    node: {
      id: `sidecar~127.0.0.1~${name}-0.${namespace}~${namespace}.svc.cluster.local`,
      cluster: `${name}.${namespace}`,
      metadata: {
        NAME: `${name}-0`,
        NAMESPACE: namespace,
        CLUSTER_ID: 'Kubernetes',
        MESH_ID: 'cluster.local',
        WORKLOAD_NAME: name,
        ISTIO_VERSION: options.istioVersion ?? '1.27.0',
        INSTANCE_IPS: '127.0.0.1',
        LABELS: { app: name, 'service.istio.io/canonical-name': name },
        OWNER: `kubernetes://apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
        PLATFORM_METADATA: {},
      },
    },
    listener_direction: 1n,
  };
}
