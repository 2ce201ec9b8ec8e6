import { createHash } from 'node:crypto';

/** Lower-case hex sha256 of some bytes (a module's hash, a blob's digest without "sha256:"). */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A check that bytes arriving in pieces hash to `digest` ("sha256:…"): each piece is hashed as it
 * comes, and with the last one `mismatch()` is thrown unless the whole matched.
 */
export function digestCheck(digest: string, mismatch: () => Error): (piece: Uint8Array, last: boolean) => void {
  const hash = createHash('sha256');
  return (piece, last) => {
    hash.update(piece);
    if (last && `sha256:${hash.digest('hex')}` !== digest) throw mismatch();
  };
}
