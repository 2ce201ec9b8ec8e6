import { describe, expect, it } from 'vitest';
import { networkError } from '../../../src/oci/errors.js';

/** Real fetch failures (the .invalid top-level domain never resolves), turned into one line. */
async function fetchFailure(url: string): Promise<unknown> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    return error;
  }
  throw new Error(`${url} answered`);
}

describe('registry network errors', () => {
  it('names the registry when the registry host does not resolve', async () => {
    const error = networkError(await fetchFailure('http://registry.invalid:5000/v2/'), 'registry.invalid:5000', 'http', 30_000);
    expect(error).toMatchObject({ code: 'REGISTRY_DNS', message: 'cannot resolve the registry host registry.invalid' });
  });

  it('names the host that failed when it is the token server, not the registry', async () => {
    const error = networkError(await fetchFailure('http://token.invalid/token?service=x'), '127.0.0.1:5000', 'http', 30_000);
    expect(error.code).toBe('REGISTRY_DNS');
    expect(error.message).toBe('cannot resolve token.invalid, a host the registry 127.0.0.1:5000 sent this client to (its token server or a redirect)');
    expect(error.message).not.toContain('registry host 127.0.0.1');
  });
});
