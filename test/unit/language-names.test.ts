import { describe, expect, it } from 'vitest';
import { goModulePath, rustCrateName } from '../../src/scaffold/language-names.js';

describe('the names a plugin gets in Go and Rust files', () => {
  it('keeps an ordinary name as the go.mod module path', () => {
    expect(goModulePath('my-plugin')).toBe('my-plugin');
    expect(goModulePath('golang')).toBe('golang');
    expect(goModulePath('1st')).toBe('1st');
  });

  it('derives a module path where the go command refuses the name', () => {
    for (const reserved of ['go', 'toolchain', 'std', 'cmd', 'all', 'con', 'nul', 'com1', 'lpt9']) {
      expect(goModulePath(reserved)).toBe(`${reserved}-plugin`);
    }
  });

  it('snake-cases the Cargo package name and never lets it start with a digit', () => {
    expect(rustCrateName('my-plugin')).toBe('my_plugin');
    expect(rustCrateName('go')).toBe('go');
    expect(rustCrateName('1st-plugin')).toBe('plugin_1st_plugin');
  });
});
