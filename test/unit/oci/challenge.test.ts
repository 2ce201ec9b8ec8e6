import { describe, expect, it } from 'vitest';
import { parseChallenges, preferredChallenge } from '../../../src/oci/challenge.js';

describe('parseChallenges', () => {
  it('reads a Docker Hub Bearer challenge', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } },
    ]);
  });

  it('reads an htpasswd Basic challenge', () => {
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  });

  it('keeps commas and escaped quotes inside quoted values; scope lists with commas', () => {
    const [c] = parseChallenges('Bearer realm="https://a/token?x=1",scope="repository:a/b:pull,push",error="say \\"hi\\""');
    expect(c?.params).toEqual({ realm: 'https://a/token?x=1', scope: 'repository:a/b:pull,push', error: 'say "hi"' });
  });

  it('reads several challenges and unquoted values, case-insensitive scheme', () => {
    const all = parseChallenges('Basic realm=simple, BEARER realm="https://t/token" , service=svc');
    expect(all).toEqual([
      { scheme: 'basic', params: { realm: 'simple' } },
      { scheme: 'bearer', params: { realm: 'https://t/token', service: 'svc' } },
    ]);
    expect(preferredChallenge(all)?.scheme).toBe('bearer');
  });

  it('reads a token68 and empty headers', () => {
    expect(parseChallenges('Negotiate abc123==')).toEqual([{ scheme: 'negotiate', params: { token68: 'abc123==' } }]);
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges(null)).toEqual([]);
    expect(parseChallenges('Basic')).toEqual([{ scheme: 'basic', params: {} }]);
  });
});
