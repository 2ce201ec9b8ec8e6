import { describe, expect, it } from 'vitest';
import { apiHost, formatReference, isLoopbackRegistry, parseReference, wasmPluginUrl } from '../../../src/oci/reference.js';

describe('parseReference', () => {
  it.each([
    ['nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['user/app:v1', { registry: 'docker.io', repository: 'user/app', tag: 'v1' }],
    ['127.0.0.1:5000/wasm/auth:latest', { registry: '127.0.0.1:5000', repository: 'wasm/auth', tag: 'latest' }],
    ['localhost/x', { registry: 'localhost', repository: 'x' }],
    ['sealos.hub:5000/wasm/wasm-auth', { registry: 'sealos.hub:5000', repository: 'wasm/wasm-auth' }],
    ['oci://ghcr.io/o/p:1.0', { registry: 'ghcr.io', repository: 'o/p', tag: '1.0' }],
    ['index.docker.io/library/busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    [`r.io/a@sha256:${'a'.repeat(64)}`, { registry: 'r.io', repository: 'a', digest: `sha256:${'a'.repeat(64)}` }],
    [`r.io/a:t@sha256:${'b'.repeat(64)}`, { registry: 'r.io', repository: 'a', tag: 't', digest: `sha256:${'b'.repeat(64)}` }],
  ])('%s', (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  it.each(['', 'Upper/Case', 'r.io/a:-bad', 'r.io/a@sha256:xyz', 'r.io/a//b', `r.io/a:${'t'.repeat(129)}`])('rejects %j', (input) => {
    expect(() => parseReference(input)).toThrow();
  });

  it('formats back, with the oci:// url', () => {
    const ref = parseReference('127.0.0.1:5000/wasm/auth:v1');
    expect(formatReference(ref)).toBe('127.0.0.1:5000/wasm/auth:v1');
    expect(wasmPluginUrl(ref)).toBe('oci://127.0.0.1:5000/wasm/auth:v1');
  });

  it('knows Docker Hub\'s API host and loopback registries', () => {
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('ghcr.io')).toBe('ghcr.io');
    expect(isLoopbackRegistry('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackRegistry('localhost:5000')).toBe(true);
    expect(isLoopbackRegistry('[::1]:5000')).toBe(true);
    expect(isLoopbackRegistry('sealos.hub:5000')).toBe(false);
    expect(isLoopbackRegistry('10.0.0.1:5000')).toBe(false);
  });
});
