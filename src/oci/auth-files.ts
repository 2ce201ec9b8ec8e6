import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError, messageOf } from '../errors.js';
import { dockerHub } from './reference.js';
import { writeFileAtomic } from '../util/write-atomic.js';

/**
 * Where registry credentials live, read in the order containers/image (podman, skopeo, sealos)
 * reads them, then Docker's config.json with its credential helpers:
 * 1. `--authfile` / REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json
 *    (root without XDG_RUNTIME_DIR: /run/containers/0/auth.json);
 * 2. $XDG_CONFIG_HOME/containers/auth.json (~/.config/containers/auth.json);
 * 3. $DOCKER_CONFIG/config.json (~/.docker/config.json).
 * Keys may be `host[:port]` or `host[:port]/namespace…` (the longest match wins); Docker's keys may
 * carry a scheme and path (`https://index.docker.io/v1/`).
 */
export interface Credentials {
  username: string;
  password: string;
  /**
   * Docker's `identitytoken` (an OAuth2 refresh token from `docker login` to a token service): sent
   * as refresh_token in a POST to the Bearer realm, as Docker does, instead of the password.
   */
  identityToken?: string;
}

export interface AuthFileOptions {
  authfile?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface AuthFileContent {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [key: string]: unknown;
}

export interface AuthFileLocation {
  path: string;
  kind: 'containers' | 'docker';
}

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : -1;
}

/** The auth.json `login` writes and `logout` edits. */
export function writableAuthFile(options: AuthFileOptions = {}): string {
  const env = options.env ?? process.env;
  if (options.authfile) return options.authfile;
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  if (uid() === 0) return '/run/containers/0/auth.json';
  return path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config'), 'containers', 'auth.json');
}

/** Every file read for credentials, in priority order. */
export function authFileLookupOrder(options: AuthFileOptions = {}): AuthFileLocation[] {
  const env = options.env ?? process.env;
  const home = env.HOME || os.homedir();
  const out: AuthFileLocation[] = [{ path: writableAuthFile(options), kind: 'containers' }];
  const configHome = path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'containers', 'auth.json');
  if (!out.some((l) => l.path === configHome)) out.push({ path: configHome, kind: 'containers' });
  out.push({ path: path.join(env.DOCKER_CONFIG || path.join(home, '.docker'), 'config.json'), kind: 'docker' });
  return out;
}

async function readAuthFile(file: string): Promise<AuthFileContent | undefined> {
  let text: string;
  try {
    // Synchronous: a small file, read before the first request (the promise API would load
    // fs/promises and wait on the thread pool, a few ms of every push).
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as AuthFileContent;
  } catch (error) {
    throw new CliError('AUTH_FILE_INVALID', `${file} is not valid JSON: ${messageOf(error)}`, { hint: 'fix or remove that file' });
  }
}

/** `https://index.docker.io/v1/` → `docker.io`; `http://host:5000/x` → `host:5000/x` (Docker keys carry no path meaning). */
export function normalizeAuthKey(key: string, kind: 'containers' | 'docker' = 'containers'): string {
  let k = key.trim();
  const hadScheme = /^[a-z]+:\/\//i.test(k);
  k = k.replace(/^[a-z]+:\/\//i, '');
  if (kind === 'docker' || hadScheme) k = k.split('/')[0] ?? k;
  k = k.replace(/\/+$/, '');
  const host = k.split('/')[0] ?? k;
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') k = dockerHub + k.slice(host.length);
  return k;
}

/** Longest key matching `registry[/repository]`: exact host, or a namespace prefix at a `/` boundary. */
function matchKey(keys: string[], target: string, kind: 'containers' | 'docker'): string | undefined {
  let best: string | undefined;
  let bestLength = -1;
  for (const key of keys) {
    const k = normalizeAuthKey(key, kind);
    if (target === k || target.startsWith(`${k}/`)) {
      if (k.length > bestLength) {
        best = key;
        bestLength = k.length;
      }
    }
  }
  return best;
}

function decodeEntry(entry: AuthEntry | undefined): Credentials | undefined {
  if (!entry) return undefined;
  if (entry.identitytoken) {
    const text = entry.auth ? Buffer.from(entry.auth, 'base64').toString('utf8') : '';
    const colon = text.indexOf(':');
    return { username: colon > 0 ? text.slice(0, colon) : (entry.username ?? ''), password: '', identityToken: entry.identitytoken };
  }
  if (entry.auth) {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  return undefined;
}

/** Runs `docker-credential-<helper> get` with the server on stdin. */
export async function credentialsFromHelper(helper: string, server: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  // Loaded here: most pushes use no helper, and child_process costs a few ms of start-up.
  const { spawn } = await import('node:child_process');
  const output = await new Promise<string | undefined>((resolve) => {
    let out = '';
    let child;
    try {
      child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'ignore'], env });
    } catch {
      resolve(undefined);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? out : undefined);
    });
    child.stdin.end(server);
  });
  if (!output) return undefined;
  try {
    const value = JSON.parse(output) as { Username?: string; Secret?: string };
    if (!value.Secret) return undefined;
    // Username "<token>" means the secret is an identity token (a refresh token), as in Docker.
    if (value.Username === '<token>') return { username: '', password: '', identityToken: value.Secret };
    return { username: value.Username ?? '', password: value.Secret };
  } catch {
    return undefined;
  }
}

function helperServerNames(registry: string): string[] {
  return registry === dockerHub ? ['https://index.docker.io/v1/', 'index.docker.io', dockerHub] : [registry, `https://${registry}`];
}

/** Parses `--creds USER:PASSWORD` (the password may hold colons). */
export function parseCreds(creds: string): Credentials {
  const colon = creds.indexOf(':');
  if (colon <= 0) throw new CliError('BAD_CREDS', '--creds must be USER:PASSWORD', { hint: 'or log in once with `istio-wasm login REGISTRY -u USER --password-stdin`' });
  return { username: creds.slice(0, colon), password: creds.slice(colon + 1) };
}

/**
 * Credentials for a registry (optionally `registry/repository` for namespace keys): `--creds`, then
 * the auth files in lookup order. Undefined means anonymous.
 */
export async function loadCredentials(registry: string, options: { authfile?: string; creds?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Credentials | undefined> {
  if (options.creds) return parseCreds(options.creds);
  const env = options.env ?? process.env;
  const target = normalizeAuthKey(registry);
  const host = target.split('/')[0] ?? target;
  for (const location of authFileLookupOrder({ authfile: options.authfile, env })) {
    const content = await readAuthFile(location.path);
    if (!content) continue;
    const helpers = content.credHelpers ?? {};
    const helperKey = matchKey(Object.keys(helpers), host, 'docker');
    const helper = helperKey === undefined ? undefined : helpers[helperKey];
    if (helper) {
      for (const server of helperServerNames(host)) {
        const found = await credentialsFromHelper(helper, server, env);
        if (found) return found;
      }
      continue;
    }
    const auths = content.auths ?? {};
    const key = matchKey(Object.keys(auths), location.kind === 'docker' ? host : target, location.kind);
    const entry = key === undefined ? undefined : decodeEntry(auths[key]);
    if (entry) return entry;
    if (location.kind === 'docker' && content.credsStore) {
      for (const server of helperServerNames(host)) {
        const found = await credentialsFromHelper(content.credsStore, server, env);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function writeAuthFileAtomic(file: string, content: AuthFileContent): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(content, null, '\t')}\n`, { mode: 0o600, dirMode: 0o700 });
}

/** Adds or replaces the entry for `registry` in auth.json, keeping everything else. */
export async function storeCredentials(registry: string, credentials: Credentials, options: AuthFileOptions = {}): Promise<string> {
  const file = writableAuthFile(options);
  const content = (await readAuthFile(file)) ?? {};
  const auths = { ...(content.auths ?? {}) };
  auths[normalizeAuthKey(registry)] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') };
  try {
    await writeAuthFileAtomic(file, { ...content, auths });
  } catch (error) {
    throw new CliError('AUTH_FILE_WRITE_FAILED', `cannot write ${file}: ${messageOf(error)}`, { hint: 'pass --authfile FILE or set REGISTRY_AUTH_FILE to a writable path' });
  }
  return file;
}

/** Removes the entry for `registry`; returns the file edited, or undefined when there was none. */
export async function removeCredentials(registry: string, options: AuthFileOptions = {}): Promise<string | undefined> {
  const file = writableAuthFile(options);
  const content = await readAuthFile(file);
  const target = normalizeAuthKey(registry);
  const auths = { ...(content?.auths ?? {}) };
  const keys = Object.keys(auths).filter((k) => normalizeAuthKey(k) === target);
  if (!content || keys.length === 0) return undefined;
  for (const key of keys) delete auths[key];
  try {
    await writeAuthFileAtomic(file, { ...content, auths });
  } catch (error) {
    throw new CliError('AUTH_FILE_WRITE_FAILED', `cannot write ${file}: ${messageOf(error)}`, { hint: 'pass --authfile FILE or set REGISTRY_AUTH_FILE to a writable path' });
  }
  return file;
}
