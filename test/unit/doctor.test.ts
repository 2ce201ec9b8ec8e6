import { describe, expect, it } from 'vitest';
import { checkNode, compareVersions, minimumNode } from '../../src/doctor/checks.js';

describe('doctor: node', () => {
  it('compares versions numerically', () => {
    expect(compareVersions('20.17.0', '20.17.0')).toBe(0);
    expect(compareVersions('v20.9.0', '20.17.0')).toBeLessThan(0);
    expect(compareVersions('22.0.0', '20.17.0')).toBeGreaterThan(0);
  });

  it('requires Node 20.17 or newer, with the fix when older', () => {
    expect(minimumNode).toBe('20.17.0');
    expect(checkNode('20.17.0')).toMatchObject({ status: 'ok', required: true, detail: 'v20.17.0' });
    const old = checkNode('20.16.1');
    expect(old).toMatchObject({ status: 'missing', required: true });
    expect(old.fix).toMatch(/20\.17/);
  });
});
