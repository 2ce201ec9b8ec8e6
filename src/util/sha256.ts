import { createHash } from 'node:crypto';

/** Lower-case hex sha256 of some bytes (a module's hash, a blob's digest without "sha256:"). */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
