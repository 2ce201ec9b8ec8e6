import { loadCredentials } from './auth-files.js';
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
  /** Client tuning (tests, benchmarks). */
  client?: Pick<ClientOptions, 'timeoutMs' | 'retries' | 'monolithicLimit' | 'chunkSize' | 'actions'>;
}

/** A client for the reference's registry with the credentials found for it. */
export async function connect(ref: ImageReference, options: RemoteOptions): Promise<RegistryClient> {
  const credentials = await loadCredentials(`${ref.registry}/${ref.repository}`, {
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
