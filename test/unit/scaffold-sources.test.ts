import { describe, expect, it } from 'vitest';
import { caseFilters, splitWords } from '../../src/scaffold/sources/case-filters.js';
import { evaluateCondition } from '../../src/scaffold/sources/condition.js';
import { renderLiquid } from '../../src/scaffold/sources/liquid.js';
import { osArch } from '../../src/scaffold/sources/cargo-generate-builtins.js';
import { detectLanguage } from '../../src/scaffold/sources/detect-language.js';

describe('cargo-generate case filters', () => {
  it('split words as heck does', () => {
    expect(splitWords('my-plugin_nameV2 HTTPServer')).toEqual(['my', 'plugin', 'name', 'V2', 'HTTP', 'Server']);
    expect(splitWords('wasm2Auth')).toEqual(['wasm2', 'Auth']);
  });

  it.each([
    ['kebab_case', 'My_Plugin name', 'my-plugin-name'],
    ['snake_case', 'my-plugin', 'my_plugin'],
    ['shouty_snake_case', 'my-plugin', 'MY_PLUGIN'],
    ['shouty_kebab_case', 'my_plugin', 'MY-PLUGIN'],
    ['upper_camel_case', 'my-plugin', 'MyPlugin'],
    ['pascal_case', 'my-plugin', 'MyPlugin'],
    ['lower_camel_case', 'my-plugin-x', 'myPluginX'],
    ['title_case', 'my-plugin', 'My Plugin'],
  ])('%s(%j) = %j', (filter, input, output) => {
    expect(caseFilters[filter]?.(input)).toBe(output);
  });
});

describe('Liquid rendering', () => {
  const context = { 'project-name': 'wasm-auth', crate_name: 'wasm_auth', metrics: true };

  it('renders placeholders with hyphens, case filters and tags', async () => {
    expect(await renderLiquid('{{project-name}} {{ crate_name }} {{ project-name | upper_camel_case }}{% if metrics %}!{% endif %}', context))
      .toEqual({ rendered: true, text: 'wasm-auth wasm_auth WasmAuth!' });
  });

  it.each([
    ['a workflow', 'run: echo ${{ github.sha }} {{crate_name}}'],
    ['a Helm chart', 'name: {{ .Values.name }}'],
    ['a Helm function', '{{- include "chart.labels" . | nindent 4 }}'],
    ['an unknown filter', '{{ crate_name | shout }}'],
    ['an include', "{% include '/etc/passwd' %}"],
  ])('refuses %s instead of half-rendering it', async (_what, text) => {
    expect((await renderLiquid(text, context)).rendered).toBe(false);
  });
});

describe('[conditional] conditions', () => {
  const values = { license: 'MIT', metrics: false, features: ['serde'], count: 3 };
  it.each([
    ['license == "MIT"', true],
    ["license != 'MIT'", false],
    ['!metrics && license == "MIT"', true],
    ['metrics || (count > 2 && features.contains("serde"))', true],
    ['features.is_empty', false],
    ['features.len() == 1', true],
  ])('%s → %s', (condition, expected) => {
    expect(evaluateCondition(condition, values)).toBe(expected);
  });

  it.each([
    ['nope == "x"', /unknown variable nope/],
    ['license', /not true or false/],
    ['license == ', /expected a value/],
    ['license.to_upper() == "MIT"', /not supported/],
    ['license = "MIT"', /unexpected "="/],
  ])('%s is an error that says why', (condition, message) => {
    expect(() => evaluateCondition(condition, values)).toThrow(message);
  });
});

describe('built-in placeholders and language detection', () => {
  it('names the platform as Rust does', () => {
    expect(osArch('linux', 'x64')).toBe('linux-x86_64');
    expect(osArch('darwin', 'arm64')).toBe('macos-aarch64');
    expect(osArch('win32', 'ia32')).toBe('windows-x86');
  });

  const files = (map: Record<string, string>) => ({ read: (p: string) => map[p], rootFiles: () => Object.keys(map) });
  it.each([
    [{ 'Cargo.toml': '[package]\nname = "wasm-auth"\n[lib]\ncrate-type = ["cdylib"]\n' }, 'rust', 'target/wasm32-wasip1/release/wasm_auth.wasm'],
    [{ 'go.mod': 'module x\nrequire github.com/proxy-wasm/proxy-wasm-go-sdk v0.0.0\n' }, 'go', undefined],
    [{ 'package.json': '{"devDependencies":{"assemblyscript":"^0.28.0"}}' }, 'assemblyscript', undefined],
    [{ 'Makefile': 'include $(PROXY_WASM_CPP_SDK)/Makefile\nLIBS = proxy_wasm_intrinsics\n' }, 'cpp', undefined],
    [{ 'plugin.cc': '#include "proxy_wasm_intrinsics.h"\n' }, 'cpp', undefined],
  ])('%j → %s', (map, language, output) => {
    const found = detectLanguage(files(map));
    expect(found?.language).toBe(language);
    if (output) expect(found?.toolchainOutput).toBe(output);
  });

  it('finds nothing in a project of another kind', () => {
    expect(detectLanguage(files({ 'Cargo.toml': '[package]\nname = "cli"\n', 'package.json': '{"dependencies":{"react":"1"}}' }))).toBeUndefined();
  });
});
