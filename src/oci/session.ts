import { loadCredentials, type Credentials } from './auth-files.js';
import { RegistryClient, type ClientOptions } from './client.js';
import type { ImageReference } from './reference.js';

/** What every remote operation takes from the command line. */
export interface RemoteOptions {
  authfile?: string | undefined;
  creds?: string | undefined;
  plainHttp?: boolean | undefined;
  insecure?: boolean | undefined;
  signal?: AbortSignal | undefined;
  log?: ((line: string) => void) | undefined;
  /** Credentials already looked up (null: anonymous); the auth files are then not read again. */
  credentials?: Credentials | null | undefined;
  /** Client tuning (tests, benchmarks). */
  client?: Pick<ClientOptions, 'timeoutMs' | 'retries' | 'monolithicLimit' | 'chunkSize' | 'actions'>;
}

/** A client for the reference's registry with the credentials found for it. */
export async function connect(ref: ImageReference, options: RemoteOptions): Promise<RegistryClient> {
  const credentials =
    options.credentials !== undefined
      ? (options.credentials ?? undefined)
      : await loadCredentials(`${ref.registry}/${ref.repository}`, {
          ...(options.authfile ? { authfile: options.authfile } : {}),
          ...(options.creds ? { creds: options.creds } : {}),
        });
  return new RegistryClient(ref.registry, {
    credentials,
    plainHttp: options.plainHttp,
    insecure: options.insecure,
    signal: options.signal,
    log: options.log,
    ...(options.client ?? {}),
  });
}
