import type { HeaderMap } from '../header-map.js';
import type { TracePairs } from './format.js';

/**
 * Headers as a trace keeps them until it is read: one flat [name, value, name, value, …] array. A
 * snapshot holds no pair arrays of the live map, so a kept exchange is a few objects for the garbage
 * collector to move, not one per header; `pairsOf` makes the format's pairs when the trace is read.
 */
export type HeaderSnapshot = readonly string[];

export const noHeaders: HeaderSnapshot = [];

/** The map (or pair list) as it is now. */
export function snapshotHeaders(map: HeaderMap | TracePairs | undefined): HeaderSnapshot {
  if (!map) return noHeaders;
  const pairs = Array.isArray(map) ? map : map.pairs;
  const out = new Array<string>(pairs.length * 2);
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i] as [string, string];
    out[2 * i] = p[0];
    out[2 * i + 1] = p[1];
  }
  return out;
}

/** True when `map` still holds exactly what `snapshot` recorded. */
export function sameHeaders(snapshot: HeaderSnapshot, map: HeaderMap | TracePairs | undefined): boolean {
  const pairs = map ? (Array.isArray(map) ? map : map.pairs) : [];
  if (snapshot.length !== pairs.length * 2) return false;
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i] as [string, string];
    if (p[0] !== snapshot[2 * i] || p[1] !== snapshot[2 * i + 1]) return false;
  }
  return true;
}

/**
 * Snapshots of one exchange's maps, sharing one while the map is unchanged: the request as the client
 * sent it is the first plugin's `before`, its `after` what went upstream, and so on, kept once.
 */
export class HeaderSnapshots {
  #map: HeaderMap | TracePairs | undefined;
  #last: HeaderSnapshot = noHeaders;

  take(map: HeaderMap | TracePairs | undefined): HeaderSnapshot {
    if (map !== undefined && map === this.#map && sameHeaders(this.#last, map)) return this.#last;
    const snapshot = snapshotHeaders(map);
    this.#map = map;
    this.#last = snapshot;
    return snapshot;
  }

  /** The exchange is over: the live map is not kept alive. */
  forget(): void {
    this.#map = undefined;
    this.#last = noHeaders;
  }
}

/** The format's [name, value] pairs, after `first` when given (serve's `:status`). */
export function pairsOf(snapshot: HeaderSnapshot, first?: [string, string]): TracePairs {
  const out: TracePairs = first ? [first] : [];
  for (let i = 0; i + 1 < snapshot.length; i += 2) out.push([snapshot[i] as string, snapshot[i + 1] as string]);
  return out;
}
