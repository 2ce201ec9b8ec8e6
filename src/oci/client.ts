import { CliError } from '../errors.js';
import { throwIfCancelled } from '../runtime.js';
import { parseChallenges, preferredChallenge } from './challenge.js';
import { authFailed, httpError, networkCode, networkError, retryableNetworkCodes, type RegistryErrorBody } from './errors.js';
import { digestOf } from './image.js';
import { digestCheck } from '../util/sha256.js';
import { manifestAccept, type Descriptor } from './media-types.js';
import { apiHost, isLoopbackRegistry } from './reference.js';
import type { Credentials } from './auth-files.js';
import { httpRequest, type HttpResponse } from './http.js';

/**
 * A client for the OCI distribution API (v1.1) on Node's fetch: /v2/ probe, Basic and Bearer auth
 * (with token reuse per scope), blob HEAD/mount/upload (monolithic POST+PUT, chunked PATCH),
 * manifests, redirects without Authorization to other hosts, retries with backoff on 5xx and
 * connection resets, and a time limit on every request. It never logs headers or bodies.
 */
export interface ClientOptions {
  credentials?: Credentials | undefined;
  plainHttp?: boolean | undefined;
  insecure?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Base time limit per request (ms); large bodies get 1 s more per MiB. */
  timeoutMs?: number;
  /** Attempts after the first on 5xx and connection resets. */
  retries?: number;
  /** Blobs above this size go up in PATCH chunks of `chunkSize`. */
  monolithicLimit?: number;
  chunkSize?: number;
  /** Debug lines (method, url without query, status); never secrets. */
  log?: ((line: string) => void) | undefined;
  /** Scope actions asked for by default (`pull,push` for a push, so one token serves every request). */
  actions?: 'pull' | 'pull,push';
  /** Forces the scheme (tests: HTTPS against a loopback registry). */
  scheme?: 'http' | 'https';
}

export interface AuthInfo {
  scheme: 'basic' | 'bearer' | 'none';
  realm?: string;
  service?: string;
}

export interface ProgressEvent {
  digest: string;
  sent: number;
  total: number;
}

interface RequestOptions {
  method: string;
  url: string;
  repository?: string | undefined;
  actions?: 'pull' | 'pull,push';
  extraScopes?: string[];
  headers?: Record<string, string>;
  body?: Uint8Array;
  what: string;
  /** Statuses returned to the caller instead of thrown. */
  ok: number[];
  /** No retry (for requests whose repetition is not safe). */
  noRetry?: boolean;
  onBodyProgress?: (sent: number) => void;
  /** A check of the body made while it is sent (see HttpRequest.checkBody); what it throws is the request's error. */
  checkBody?: () => (piece: Uint8Array, last: boolean) => void;
}

interface Token {
  value: string;
  expiresAt: number;
}

/** A blob to upload; see uploadBlob for `mismatch`. */
export interface UploadBlob {
  descriptor: Descriptor;
  data: Uint8Array;
  mismatch?: () => Error;
}

const retryStatuses = new Set([500, 502, 503, 504]);

/** Manifests larger than this are refused (containerd's and distribution's limit is 4 MiB). */
export const maxManifestBytes = 4 * 1024 * 1024;

function tooLarge(what: string, limit: number): CliError {
  return new CliError('TOO_LARGE', `${what} is larger than ${limit} bytes; refused`, { hint: 'the registry sent more than it should: check the image, or the registry (or a proxy in front of it)' });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function withoutQuery(url: string): string {
  const q = url.indexOf('?');
  return q >= 0 ? `${url.slice(0, q)}?…` : url;
}

async function readErrorBody(response: HttpResponse): Promise<RegistryErrorBody | undefined> {
  try {
    const text = await response.text();
    return JSON.parse(text) as RegistryErrorBody;
  } catch {
    return undefined;
  }
}

export class RegistryClient {
  readonly registry: string;
  readonly scheme: 'http' | 'https';
  readonly baseUrl: string;
  /** Things the caller should tell the user (e.g. automatic plain HTTP). */
  readonly warnings: string[] = [];
  /** Requests made, by method (the benchmark and tests read it). */
  readonly requestCounts: Record<string, number> = {};
  private readonly options: ClientOptions;
  private auth: AuthInfo | undefined;
  private readonly tokens = new Map<string, Token>();
  private readonly pendingTokens = new Map<string, Promise<Token>>();
  private readonly openUploads = new Set<string>();

  constructor(registry: string, options: ClientOptions = {}) {
    this.registry = registry;
    this.options = options;
    const loopback = isLoopbackRegistry(registry);
    this.scheme = options.scheme ?? (options.plainHttp || loopback ? 'http' : 'https');
    if (loopback && !options.plainHttp && !options.scheme) {
      this.warnings.push(`using plain HTTP for the loopback registry ${registry} (pass --plain-http to say so)`);
    }
    this.baseUrl = `${this.scheme}://${apiHost(registry)}`;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? 30_000;
  }

  /** `GET /v2/`: learns the auth challenge. */
  async ping(): Promise<AuthInfo> {
    if (this.auth) return this.auth;
    const response = await this.send('GET', `${this.baseUrl}/v2/`, {}, undefined, 'the /v2/ probe');
    await response.body?.cancel();
    if (response.status === 401) {
      this.auth = this.authFromChallenge(response.headers.get('www-authenticate'));
    } else if (response.ok) {
      this.auth = { scheme: 'none' };
    } else if (response.status === 404) {
      throw new CliError('NOT_A_REGISTRY', `${this.baseUrl}/v2/ answered 404: ${this.registry} is not an OCI distribution registry`, {
        hint: 'check the registry host and port',
      });
    } else {
      throw httpError({ status: response.status, registry: this.registry, what: 'the /v2/ probe' });
    }
    return this.auth;
  }

  private authFromChallenge(header: string | null): AuthInfo {
    const challenge = preferredChallenge(parseChallenges(header));
    if (!challenge) return { scheme: 'basic' };
    if (challenge.scheme === 'bearer') {
      const info: AuthInfo = { scheme: 'bearer' };
      if (challenge.params.realm) info.realm = challenge.params.realm;
      if (challenge.params.service) info.service = challenge.params.service;
      return info;
    }
    const info: AuthInfo = { scheme: 'basic' };
    if (challenge.params.realm) info.realm = challenge.params.realm;
    return info;
  }

  private scopesFor(options: RequestOptions): string[] {
    const scopes: string[] = [];
    if (options.repository) scopes.push(`repository:${options.repository}:${options.actions ?? this.options.actions ?? 'pull'}`);
    for (const extra of options.extraScopes ?? []) scopes.push(extra);
    return scopes;
  }

  private basicHeader(): string | undefined {
    const c = this.options.credentials;
    if (c?.identityToken) return undefined;
    return c ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` : undefined;
  }

  private async authorization(scopes: string[], force = false): Promise<string | undefined> {
    const auth = this.auth;
    if (!auth || auth.scheme === 'none') return undefined;
    if (auth.scheme === 'basic') return this.basicHeader();
    const key = [...scopes].sort().join(' ');
    const cached = this.tokens.get(key);
    if (cached && !force && cached.expiresAt > Date.now() + 5_000) return `Bearer ${cached.value}`;
    // Requests in parallel share one token request.
    let pending = this.pendingTokens.get(key);
    if (!pending) {
      pending = this.fetchToken(auth, scopes).finally(() => this.pendingTokens.delete(key));
      this.pendingTokens.set(key, pending);
    }
    const token = await pending;
    this.tokens.set(key, token);
    return `Bearer ${token.value}`;
  }

  private async fetchToken(auth: AuthInfo, scopes: string[]): Promise<Token> {
    if (!auth.realm) throw authFailed(this.registry, 'the Bearer challenge names no realm');
    let url: URL;
    try {
      url = new URL(auth.realm);
    } catch {
      throw authFailed(this.registry, 'the Bearer realm is not a URL');
    }
    const identityToken = this.options.credentials?.identityToken;
    let response: HttpResponse;
    if (identityToken) {
      // OAuth2 refresh-token grant, as Docker does with the identitytoken of config.json.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: identityToken, client_id: 'create-istio-wasm' });
      if (auth.service) form.set('service', auth.service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      response = await this.send('POST', url.toString(), { 'content-type': 'application/x-www-form-urlencoded' }, new TextEncoder().encode(form.toString()), 'the token request', undefined, url.origin);
    } else {
      if (auth.service) url.searchParams.set('service', auth.service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      const headers: Record<string, string> = {};
      const basic = this.basicHeader();
      if (basic) headers.authorization = basic;
      response = await this.send('GET', url.toString(), headers, undefined, 'the token request', undefined, url.origin);
    }
    if (response.status === 401 || response.status === 403 || (identityToken && response.status === 400)) {
      await response.body?.cancel();
      throw authFailed(this.registry, identityToken ? 'the token server refused the identity token; log in again' : this.options.credentials ? 'the token server refused the credentials' : 'no credentials found');
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new CliError('TOKEN_ERROR', `the token server of ${this.registry} answered ${response.status}`, { hint: 'check the registry and its auth service' });
    }
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new CliError('TOKEN_ERROR', `the token server of ${this.registry} answered something other than JSON`, { hint: 'check the registry and its auth service' });
    }
    const value = body.token ?? body.access_token;
    if (!value) throw new CliError('TOKEN_ERROR', `the token server of ${this.registry} returned no token`, { hint: 'check the registry and its auth service' });
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    return { value, expiresAt: Date.now() + expiresIn * 1000 };
  }

  /**
   * One HTTP exchange with timeout and manual redirects; Authorization only to `authOrigin`: the
   * registry's origin, or for a token request the realm's (the registry named it in its challenge;
   * Docker Hub's realm auth.docker.io is another host than registry-1.docker.io).
   */
  private async send(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
    what: string,
    onBodyProgress?: (sent: number) => void,
    authOrigin?: string,
    checkBody?: () => (piece: Uint8Array, last: boolean) => void,
  ): Promise<HttpResponse> {
    let current = url;
    // Credentials go to the registry's own origin (scheme, host and port) only: not to an upload
    // Location or a redirect on another host (a blob store, a CDN), not over a downgrade to http, and
    // not back to the registry once a hop left it (as fetch drops Authorization on cross-origin redirects).
    const registryOrigin = authOrigin ?? new URL(this.baseUrl).origin;
    let leftRegistry = false;
    const timeoutMs = this.timeoutMs + (body ? Math.ceil(body.length / (1024 * 1024)) * 1000 : 0);
    for (let hop = 0; hop < 6; hop++) {
      throwIfCancelled(this.options.signal);
      if (new URL(current).origin !== registryOrigin) leftRegistry = true;
      const sendHeaders: Record<string, string> = { ...headers };
      if (leftRegistry) delete sendHeaders.authorization;
      const signals = [AbortSignal.timeout(timeoutMs)];
      if (this.options.signal) signals.push(this.options.signal);
      let response: HttpResponse;
      this.requestCounts[method] = (this.requestCounts[method] ?? 0) + 1;
      try {
        response = await httpRequest({ method, url: current, headers: sendHeaders, body, signal: AbortSignal.any(signals), insecure: this.options.insecure, onBodyProgress, checkBody });
      } catch (error) {
        throwIfCancelled(this.options.signal);
        if (error instanceof CliError) throw error; // the body's check refused it
        throw Object.assign(networkError(error, this.registry, this.scheme, timeoutMs), { networkCode: networkCode(error) });
      }
      this.log(`${method} ${withoutQuery(current)} -> ${response.status}`);
      if ([301, 302, 303, 307, 308].includes(response.status)) {
        const location = response.headers.get('location');
        await response.body?.cancel();
        if (!location) throw new CliError('REGISTRY_ERROR', `the registry ${this.registry} redirected ${what} without a Location`);
        current = new URL(location, current).toString();
        if (response.status === 303) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      return response;
    }
    throw new CliError('REGISTRY_ERROR', `too many redirects for ${what} on ${this.registry}`);
  }

  /** A request with auth (answering one 401 challenge) and retries. */
  private async request(options: RequestOptions): Promise<HttpResponse> {
    // No separate /v2/ probe: the first request learns the challenge from its 401 (one round trip less).
    const scopes = this.scopesFor(options);
    const attempts = options.noRetry ? 1 : 1 + (this.options.retries ?? 3);
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(Math.min(4_000, 250 * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5), this.options.signal);
      try {
        let authorization = await this.authorization(scopes);
        let response = await this.send(options.method, options.url, this.headersWith(options.headers, authorization), options.body, options.what, options.onBodyProgress, undefined, options.checkBody);
        if (response.status === 401) {
          const challenge = this.authFromChallenge(response.headers.get('www-authenticate'));
          await response.body?.cancel();
          if (authorization && (challenge.scheme === 'basic' || this.auth?.scheme === 'basic')) throw authFailed(this.registry);
          if (challenge.scheme === 'basic' && this.options.credentials?.identityToken) throw authFailed(this.registry, 'an identity token needs a Bearer token service, and this registry asks for Basic auth');
          if (!this.options.credentials && challenge.scheme === 'basic') throw authFailed(this.registry, 'no credentials found');
          this.auth = challenge;
          // A fresh token only when the one sent was refused (parallel first requests share one).
          authorization = await this.authorization(scopes, authorization !== undefined);
          response = await this.send(options.method, options.url, this.headersWith(options.headers, authorization), options.body, options.what, options.onBodyProgress, undefined, options.checkBody);
          if (response.status === 401) {
            await response.body?.cancel();
            throw authFailed(this.registry, this.options.credentials ? undefined : 'no credentials found');
          }
        }
        if (options.ok.includes(response.status)) return response;
        if (retryStatuses.has(response.status) && attempt + 1 < attempts) {
          await response.body?.cancel();
          lastError = httpError({ status: response.status, registry: this.registry, repository: options.repository, what: options.what });
          continue;
        }
        throw httpError({ status: response.status, registry: this.registry, repository: options.repository, what: options.what, body: await readErrorBody(response) });
      } catch (error) {
        const code = (error as { networkCode?: string }).networkCode;
        if (code && retryableNetworkCodes.has(code) && attempt + 1 < attempts) {
          lastError = error;
          this.log(`retrying ${options.what} after ${code}`);
          continue;
        }
        throw error;
      }
    }
    throw lastError;
  }

  private headersWith(headers: Record<string, string> | undefined, authorization: string | undefined): Record<string, string> {
    const out: Record<string, string> = { 'user-agent': 'create-istio-wasm', ...(headers ?? {}) };
    if (authorization) out.authorization = authorization;
    return out;
  }

  private url(path: string): string {
    return `${this.baseUrl}/v2/${path}`;
  }

  /** The challenge the registry answers with (what Istio's agent will meet when it pulls). */
  async authInfo(): Promise<AuthInfo> {
    return this.auth ?? this.ping();
  }

  /** What requests so far learned about auth (no request made): `none` when nothing challenged. */
  knownAuth(): AuthInfo {
    return this.auth ?? { scheme: 'none' };
  }

  /** Checks that the credentials are accepted (for `login`). */
  async verifyCredentials(): Promise<void> {
    const auth = await this.ping();
    if (auth.scheme === 'none') return;
    if (!this.options.credentials) throw authFailed(this.registry, 'no credentials given');
    if (auth.scheme === 'bearer') {
      await this.authorization([], true);
      return;
    }
    const response = await this.send('GET', `${this.baseUrl}/v2/`, this.headersWith({}, this.basicHeader()), undefined, 'the /v2/ probe');
    await response.body?.cancel();
    if (response.status === 401) throw authFailed(this.registry);
    if (!response.ok) throw httpError({ status: response.status, registry: this.registry, what: 'the /v2/ probe' });
  }

  async blobExists(repository: string, digest: string, actions: 'pull' | 'pull,push' = 'pull'): Promise<boolean> {
    const response = await this.request({ method: 'HEAD', url: this.url(`${repository}/blobs/${digest}`), repository, actions, what: `blob ${digest.slice(0, 19)}`, ok: [200, 404] });
    await response.body?.cancel();
    return response.status === 200;
  }

  /** Cross-repository mount; true when mounted, false when the registry opened an upload instead (cancelled here). */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const url = `${this.url(`${repository}/blobs/uploads/`)}?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const response = await this.request({ method: 'POST', url, repository, actions: 'pull,push', extraScopes: [`repository:${from}:pull`], what: `mount of ${digest.slice(0, 19)}`, ok: [201, 202] });
    await response.body?.cancel();
    if (response.status === 201) return true;
    const location = response.headers.get('location');
    if (location) await this.cancelUpload(new URL(location, this.url('')).toString());
    return false;
  }

  private withDigest(location: string, digest: string): string {
    const url = new URL(location);
    url.searchParams.append('digest', digest);
    return url.toString();
  }

  /**
   * Opens an upload session (POST) for a blob and returns its URL, counted as open (cancelled on
   * failure or Ctrl-C) until an upload finishes it or cancelUpload drops it. Any session serves any
   * blob: the digest names the blob in messages only, and is given when the upload is finished.
   */
  async openUpload(repository: string, digest: string): Promise<string> {
    const short = digest.slice(0, 19);
    const start = await this.request({ method: 'POST', url: this.url(`${repository}/blobs/uploads/`), repository, actions: 'pull,push', what: `upload of ${short}`, ok: [202] });
    await start.body?.cancel();
    const location = this.locationOf(start, `upload of ${short}`);
    this.openUploads.add(location);
    return location;
  }

  /**
   * Uploads one blob: POST, then one PUT, or PATCH chunks and a closing PUT for large blobs. A blob
   * with `mismatch` has bytes not yet checked against its digest (read from a layout): they are
   * hashed while they are sent, and `mismatch()` is thrown before the last piece goes out if they
   * differ, so the registry never receives the blob whole. The blob may still be on its way (being
   * read from disk): the upload session is opened meanwhile. `session`: one opened already with
   * openUpload (a push opens them while it asks which blobs the registry has); its failure is the
   * upload's.
   */
  async uploadBlob(repository: string, descriptor: Descriptor, source: UploadBlob | Promise<UploadBlob>, onProgress?: (event: ProgressEvent) => void, session?: Promise<string>): Promise<void> {
    const pending = Promise.resolve(source);
    pending.catch(() => {}); // awaited below, once the session is open
    const { digest } = descriptor;
    const short = digest.slice(0, 19);
    const monolithicLimit = this.options.monolithicLimit ?? 64 * 1024 * 1024;
    let location = await (session ?? this.openUpload(repository, digest));
    try {
      const blob = await pending;
      const data = blob.data;
      // Sent in several requests, a blob is checked whole first.
      if (blob.mismatch && data.length > monolithicLimit) digestCheck(digest, blob.mismatch)(data, true);
      if (data.length > monolithicLimit) {
        const chunkSize = Math.max(1, this.options.chunkSize ?? 16 * 1024 * 1024);
        let offset = 0;
        let resumes = 0;
        while (offset < data.length) {
          const end = Math.min(data.length, offset + chunkSize);
          let response: HttpResponse;
          try {
            response = await this.request({
              method: 'PATCH',
              url: location,
              repository,
              actions: 'pull,push',
              headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${end - 1}` },
              body: data.subarray(offset, end),
              what: `upload of ${short}`,
              ok: [202, 204],
              noRetry: true,
              onBodyProgress: (sent) => onProgress?.({ digest, sent: Math.min(offset + sent, end), total: data.length }),
            });
          } catch (error) {
            // The connection broke mid-PATCH: ask the session how much it kept, and go on from there.
            const code = (error as { networkCode?: string }).networkCode;
            if (!code || !retryableNetworkCodes.has(code) || resumes >= (this.options.retries ?? 3)) throw error;
            resumes++;
            await sleep(Math.min(2_000, 100 * 2 ** (resumes - 1)), this.options.signal);
            const status = await this.request({ method: 'GET', url: location, repository, actions: 'pull,push', what: `upload status of ${short}`, ok: [204, 200, 404, 400, 416] });
            await status.body?.cancel();
            if (status.status === 204 || status.status === 200) {
              this.openUploads.delete(location);
              location = this.locationOf(status, `upload of ${short}`, location);
              this.openUploads.add(location);
              const range = /(\d+)-(\d+)/.exec(status.headers.get('range') ?? '');
              offset = range ? Number(range[2]) + 1 : 0;
            } else {
              // The session cannot tell (the CNCF registry signs the offset into the URL, which the
              // broken PATCH made stale): start the blob again in a new session.
              await this.cancelUpload(location);
              const restart = await this.request({ method: 'POST', url: this.url(`${repository}/blobs/uploads/`), repository, actions: 'pull,push', what: `upload of ${short}`, ok: [202] });
              await restart.body?.cancel();
              location = this.locationOf(restart, `upload of ${short}`);
              this.openUploads.add(location);
              offset = 0;
              this.log(`restarting upload of ${short} in a new session after ${code} (the registry cannot resume it)`);
              continue;
            }
            this.log(`resuming upload of ${short} at byte ${offset} after ${code}`);
            continue;
          }
          await response.body?.cancel();
          this.openUploads.delete(location);
          location = this.locationOf(response, `upload of ${short}`, location);
          this.openUploads.add(location);
          offset = end;
          onProgress?.({ digest, sent: offset, total: data.length });
        }
        const done = await this.request({ method: 'PUT', url: this.withDigest(location, digest), repository, actions: 'pull,push', what: `upload of ${short}`, ok: [201, 204], headers: { 'content-length': '0' } });
        await done.body?.cancel();
      } else {
        const done = await this.request({
          method: 'PUT',
          url: this.withDigest(location, digest),
          repository,
          actions: 'pull,push',
          headers: { 'content-type': 'application/octet-stream' },
          body: data,
          what: `upload of ${short}`,
          ok: [201, 204],
          ...(blob.mismatch ? { checkBody: () => digestCheck(digest, blob.mismatch!) } : {}),
          onBodyProgress: (sent) => {
            if (sent < data.length) onProgress?.({ digest, sent, total: data.length });
          },
        });
        await done.body?.cancel();
        onProgress?.({ digest, sent: data.length, total: data.length });
      }
      this.openUploads.delete(location);
    } catch (error) {
      await this.cancelOpenUploads();
      throw error;
    }
  }

  private locationOf(response: HttpResponse, what: string, fallback?: string): string {
    const location = response.headers.get('location');
    if (!location) {
      if (fallback) return fallback;
      throw new CliError('REGISTRY_ERROR', `the registry ${this.registry} answered ${what} without a Location`, { hint: 'the registry does not follow the distribution spec' });
    }
    return new URL(location, this.baseUrl).toString();
  }

  /** Best-effort DELETE of an upload session, with its own short time limit (also after Ctrl-C). */
  async cancelUpload(location: string): Promise<void> {
    this.openUploads.delete(location);
    try {
      const headers: Record<string, string> = {};
      const auth = this.auth?.scheme === 'basic' ? this.basicHeader() : [...this.tokens.values()][0] ? `Bearer ${[...this.tokens.values()][0]?.value}` : undefined;
      if (auth && new URL(location).origin === new URL(this.baseUrl).origin) headers.authorization = auth;
      const response = await httpRequest({ method: 'DELETE', url: location, headers, signal: AbortSignal.timeout(5_000), insecure: this.options.insecure });
      this.log(`DELETE ${withoutQuery(location)} -> ${response.status}`);
      await response.body?.cancel();
    } catch {
      // The registry expires abandoned uploads itself.
    }
  }

  async cancelOpenUploads(): Promise<void> {
    await Promise.all([...this.openUploads].map((l) => this.cancelUpload(l)));
  }

  /** PUT of a manifest; returns the digest the registry reports (checked against ours). */
  async putManifest(repository: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const response = await this.request({
      method: 'PUT',
      url: this.url(`${repository}/manifests/${reference}`),
      repository,
      actions: 'pull,push',
      headers: { 'content-type': mediaType },
      body: bytes,
      what: `manifest ${reference}`,
      ok: [201, 200, 202],
    });
    await response.body?.cancel();
    const ours = digestOf(bytes);
    const theirs = response.headers.get('docker-content-digest');
    if (theirs && theirs !== ours) {
      throw new CliError('DIGEST_MISMATCH', `the registry stored the manifest as ${theirs}, not ${ours}`, { hint: 'the registry rewrote the manifest; pin the digest it reports' });
    }
    return ours;
  }

  async getManifest(repository: string, reference: string): Promise<{ bytes: Uint8Array; mediaType: string; digest: string }> {
    const response = await this.request({ method: 'GET', url: this.url(`${repository}/manifests/${reference}`), repository, headers: { accept: manifestAccept }, what: `manifest ${reference}`, ok: [200] });
    const bytes = await response.bytes(maxManifestBytes, () => tooLarge(`the manifest ${reference} from ${this.registry}`, maxManifestBytes));
    const digest = digestOf(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new CliError('DIGEST_MISMATCH', `the manifest ${reference} from ${this.registry} has digest ${digest}`, { hint: 'the registry or a proxy altered the content' });
    }
    let mediaType = response.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
    try {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { mediaType?: string };
      if (parsed.mediaType) mediaType = parsed.mediaType;
    } catch {
      // reported by the caller when it parses the manifest
    }
    return { bytes, mediaType, digest };
  }

  /** HEAD of a manifest: its digest and media type without the body. */
  async headManifest(repository: string, reference: string): Promise<{ digest: string; mediaType: string } | undefined> {
    const response = await this.request({ method: 'HEAD', url: this.url(`${repository}/manifests/${reference}`), repository, headers: { accept: manifestAccept }, what: `manifest ${reference}`, ok: [200, 404] });
    await response.body?.cancel();
    if (response.status === 404) return undefined;
    const digest = response.headers.get('docker-content-digest');
    const mediaType = response.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
    if (!digest) return undefined;
    return { digest, mediaType };
  }

  /** GET of a blob, checked against its digest. */
  async getBlob(repository: string, descriptor: Descriptor, maxBytes = 512 * 1024 * 1024): Promise<Uint8Array> {
    if (descriptor.size > maxBytes) throw new CliError('TOO_LARGE', `blob ${descriptor.digest} is ${descriptor.size} bytes, over the ${maxBytes} limit`);
    const response = await this.request({ method: 'GET', url: this.url(`${repository}/blobs/${descriptor.digest}`), repository, what: `blob ${descriptor.digest.slice(0, 19)}`, ok: [200] });
    // Never more than the manifest advertised: a registry streaming on is refused, not buffered.
    const bytes = await response.bytes(descriptor.size, () => tooLarge(`blob ${descriptor.digest} from ${this.registry} (advertised as ${descriptor.size} bytes)`, descriptor.size));
    if (digestOf(bytes) !== descriptor.digest) {
      throw new CliError('DIGEST_MISMATCH', `blob ${descriptor.digest} from ${this.registry} does not match its digest`, { hint: 'the registry or a proxy altered the content' });
    }
    return bytes;
  }
}
