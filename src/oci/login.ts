import { CliError } from '../errors.js';
import { removeCredentials, storeCredentials, type Credentials } from './auth-files.js';
import { RegistryClient } from './client.js';
import { dockerHub, parseReference } from './reference.js';

/**
 * `login`: verify the credentials against the registry, then store them in containers' auth.json
 * (mode 0600, merged with what is there). `logout`: remove them.
 */
export interface LoginOptions {
  authfile?: string | undefined;
  plainHttp?: boolean | undefined;
  insecure?: boolean | undefined;
  signal?: AbortSignal | undefined;
  log?: ((line: string) => void) | undefined;
}

/** `REGISTRY` as users type it: host[:port], maybe with a scheme or a path (`https://index.docker.io/v1/`). */
export function normalizeRegistry(input: string): string {
  const trimmed = input.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (!trimmed) throw new CliError('BAD_REGISTRY', 'no registry given', { hint: 'e.g. istio-wasm login 127.0.0.1:5000 -u USER --password-stdin' });
  try {
    const ref = parseReference(`${trimmed}/x`);
    return ref.registry === dockerHub && !trimmed.includes('docker.io') ? trimmed : ref.registry;
  } catch {
    throw new CliError('BAD_REGISTRY', `"${input}" is not a registry host[:port]`, { hint: 'e.g. 127.0.0.1:5000 or ghcr.io' });
  }
}

export async function login(registryInput: string, credentials: Credentials, options: LoginOptions = {}): Promise<{ registry: string; file: string; warnings: string[] }> {
  const registry = normalizeRegistry(registryInput);
  if (!credentials.username) throw new CliError('BAD_CREDS', 'the user name is empty', { hint: 'pass -u USER' });
  if (!credentials.password) throw new CliError('BAD_CREDS', 'the password is empty', { hint: 'pipe it: echo "$PASSWORD" | istio-wasm login REGISTRY -u USER --password-stdin' });
  const client = new RegistryClient(registry, { credentials, plainHttp: options.plainHttp, insecure: options.insecure, signal: options.signal, log: options.log });
  await client.verifyCredentials();
  const file = await storeCredentials(registry, credentials, { authfile: options.authfile });
  return { registry, file, warnings: client.warnings };
}

export async function logout(registryInput: string, options: { authfile?: string | undefined } = {}): Promise<{ registry: string; file: string | undefined }> {
  const registry = normalizeRegistry(registryInput);
  const file = await removeCredentials(registry, { authfile: options.authfile });
  return { registry, file };
}
