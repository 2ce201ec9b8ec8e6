import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { toYaml } from '../../src/project/yaml-emit.js';

describe('toYaml', () => {
  it('writes what a YAML parser reads back unchanged', () => {
    const value = {
      name: 'p',
      istio: { version: '1.30' },
      wasmPlugin: {
        selector: { matchLabels: { 'app.kubernetes.io/name': 'gw', istio: 'ingressgateway' } },
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }],
        priority: -5,
        pluginConfig: {
          'key with space': 'a: b # not a comment',
          yes: 'no',
          on: true,
          multi: 'line1\nline2\t"quoted"\\',
          unicode: 'héllo ☃',
          empty: {},
          list: [],
          nested: [[1, 2], { a: null }, 'x'],
          number: 1.5e-7,
          '': 'empty key',
          '1.0': 'numeric key',
          strings: ['1.30', 'localhost:5000/wasm/p:v1', 'a:', 'Yes', 'NULL', '/v2', '-x', '@x', 'a: b', 'x #y', '0x10', '1e3', '.5', 'user@host', '12:30', '127.0.0.1:5000/wasm/demo:v1', '1/2', '2024-01-01', '1_000'],
        },
        vmConfig: { env: [] },
      },
    };
    expect(parse(toYaml(value))).toEqual(value);
  });

  it('refuses numbers YAML cannot hold', () => {
    expect(() => toYaml({ n: Number.NaN })).toThrow(/NaN/);
  });
});
