import { CliError } from '../errors.js';

/**
 * Registry failures turned into one-line CliErrors with a hint. Messages name the registry, the
 * repository and the status; never a header, a password or a token.
 */
export interface RegistryErrorBody {
  errors?: Array<{ code?: string; message?: string }>;
}

const tlsCodes = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'EPROTO', 'ERR_SSL_HTTP_REQUEST']);
const certCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
export const retryableNetworkCodes = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ETIMEDOUT']);

/** The innermost string `field` of a fetch failure (e.g. the `hostname` a DNS lookup failed for). */
function innerField(error: unknown, field: string): string | undefined {
  let current: unknown = error;
  let value: string | undefined;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const v = (current as Record<string, unknown>)[field];
    if (typeof v === 'string' && v) value = v;
    current = (current as { cause?: unknown }).cause;
  }
  return value;
}

/** The innermost `code` of a fetch failure (undici wraps the socket error in `cause`). */
export function networkCode(error: unknown): string | undefined {
  return innerField(error, 'code');
}

function innerMessage(error: unknown): string {
  return innerField(error, 'message') ?? '';
}

export function networkError(error: unknown, registry: string, scheme: 'http' | 'https', timeoutMs: number): CliError {
  const code = networkCode(error);
  const message = innerMessage(error);
  if ((error as { name?: string })?.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new CliError('REGISTRY_TIMEOUT', `the registry ${registry} did not answer within ${Math.round(timeoutMs / 1000)} s`, {
      hint: 'check the network and that the registry is healthy, then retry',
      cause: error,
    });
  }
  if (code === 'ECONNREFUSED') {
    return new CliError('REGISTRY_UNREACHABLE', `cannot connect to the registry ${registry}: connection refused`, {
      hint: 'is the registry running and listening on that host and port?',
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    const host = registry.replace(/:\d+$/, '');
    const unresolved = innerField(error, 'hostname');
    if (unresolved && unresolved !== host) {
      // Not the registry itself: a host it sent us to (its token server, or a redirect's target).
      return new CliError('REGISTRY_DNS', `cannot resolve ${unresolved}, a host the registry ${registry} sent this client to (its token server or a redirect)`, {
        hint: `the registry names ${unresolved} in its answer; check that this machine's DNS resolves it`,
      });
    }
    return new CliError('REGISTRY_DNS', `cannot resolve the registry host ${host}`, {
      hint: 'check the spelling of the registry in the image reference, and your DNS',
    });
  }
  if ((code && tlsCodes.has(code)) || /wrong version number|packet length too long|http request/i.test(message)) {
    return new CliError('REGISTRY_TLS', `TLS handshake with ${registry} failed: it looks like a plain HTTP registry`, {
      hint: 'pass --plain-http for a registry without TLS',
    });
  }
  if ((code && certCodes.has(code)) || /certificate/i.test(message)) {
    return new CliError('REGISTRY_CERT', `the TLS certificate of ${registry} is not trusted (${code ?? 'certificate error'})`, {
      hint: 'pass --insecure to skip verification for a test registry, or add its CA to NODE_EXTRA_CA_CERTS',
    });
  }
  return new CliError('REGISTRY_NETWORK', `request to the registry ${registry} over ${scheme} failed: ${code ?? message ?? 'network error'}`, {
    hint: 'check the network and the registry address, then retry',
  });
}

export function httpError(options: { status: number; registry: string; repository?: string | undefined; what: string; body?: RegistryErrorBody | undefined }): CliError {
  const first = options.body?.errors?.[0];
  const code = first?.code;
  const detail = first?.message ? `: ${first.message.split('\n')[0]}` : '';
  const repo = options.repository ? `${options.registry}/${options.repository}` : options.registry;
  switch (options.status) {
    case 401:
      return authFailed(options.registry);
    case 403:
      return new CliError('REGISTRY_DENIED', `access to ${repo} denied (${options.what})${detail}`, {
        hint: 'the account lacks permission for this repository; check it on the registry',
      });
    case 404:
      if (code === 'NAME_UNKNOWN') {
        return new CliError('REPOSITORY_NOT_FOUND', `repository ${repo} not found`, { hint: 'check the repository name (push creates it)' });
      }
      if (code === 'MANIFEST_UNKNOWN' || options.what.startsWith('manifest')) {
        return new CliError('MANIFEST_NOT_FOUND', `${options.what} not found in ${repo}${detail}`, { hint: 'check the tag or digest; `skopeo list-tags docker://…` shows the tags' });
      }
      return new CliError('NOT_FOUND', `${options.what} not found in ${repo} (404)${detail}`, { hint: 'check the registry path; is it a distribution (/v2/) registry?' });
    case 413:
      return new CliError('TOO_LARGE', `the registry ${options.registry} refused ${options.what} as too large (413)`, {
        hint: 'raise the body size limit of the registry or its proxy (e.g. nginx client_max_body_size)',
      });
    case 405:
      return new CliError('REGISTRY_UNSUPPORTED', `the registry ${options.registry} does not allow ${options.what} (405)${detail}`, {
        hint: 'the registry may be read-only or a pull-through cache',
      });
    default:
      return new CliError('REGISTRY_ERROR', `the registry ${options.registry} answered ${options.status}${code ? ` ${code}` : ''} to ${options.what}${detail}`, {
        hint: options.status >= 500 ? 'the registry is failing; retry later or check its logs' : 'check the image reference and the registry',
      });
  }
}

export function authFailed(registry: string, why?: string): CliError {
  return new CliError('AUTH_FAILED', `authentication failed for ${registry}${why ? ` (${why})` : ''}`, {
    hint: `check the user name and password, then run \`istio-wasm login ${registry} -u USER --password-stdin\` or pass --creds USER:PASSWORD`,
  });
}
