import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir('ciw-init-e2e-');
});
afterAll(async () => tmp?.cleanup());

async function project(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(tmp.dir, name);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

const cdylib = '[package]\nname = "guard"\nversion = "0.1.0"\n\n[lib]\ncrate-type = ["cdylib"]\n';

describe('istio-wasm init, bad input and dry runs', () => {
  it.each([
    ['a directory whose language cannot be told', { 'main.zig': 'pub fn main() void {}\n' }, ['--yes'], /cannot tell the plugin's language/, /--language/],
    ['an unknown --language', { 'Cargo.toml': cdylib }, ['--yes', '--language', 'cobol'], /--language cobol is not one of assemblyscript, rust, go \(or tinygo\), cpp/, /--language/],
    ['no --yes and no terminal', { 'Cargo.toml': cdylib }, [], /no value was given for --namespace/, /--yes/],
    ['a bad --image', { 'Cargo.toml': cdylib }, ['--yes', '--image', 'Not A Ref'], /image from --image/, /--image/],
  ])('%s fails clearly and writes nothing', async (name, files, args, message, hint) => {
    const dir = await project(name.replace(/\W+/g, '-'), files);
    const r = await runCli(['init', ...args], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(hint);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(files).sort());
  });

  it('a directory that does not exist is an error naming it', async () => {
    const r = await runCli(['init', 'nowhere', '--yes'], { cwd: tmp.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nowhere is not a directory/);
  });

  it('--dry-run lists what it would add and writes nothing; --language wins over detection', async () => {
    const dir = await project('dry', { 'Cargo.toml': cdylib, 'Makefile': 'build:\n\tcargo build\n' });
    const r = await runCli(['init', '--dry-run', '--yes', '--language', 'cpp', '--name', 'guard'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^guard: cpp, module build\/plugin\.wasm, image localhost:5000\/wasm\/guard:v0\.1\.0$/m);
    expect(r.stdout).toMatch(/Would add:\n(.|\n)*  istio-wasm\.yaml/);
    expect(r.stdout).toMatch(/Left alone:\n  Makefile  exists: its targets stay yours/);
    expect(readdirSync(dir).sort()).toEqual(['Cargo.toml', 'Makefile']);
  });

  it('a second run keeps istio-wasm.yaml and says which flags it did not apply', async () => {
    const dir = await project('twice', { 'Cargo.toml': cdylib });
    expect((await runCli(['init', '--yes', '--name', 'guard'], { cwd: dir })).code).toBe(0);
    const config = readFileSync(path.join(dir, 'istio-wasm.yaml'), 'utf8');
    const r = await runCli(['init', '--yes', '--name', 'other', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { name: string; added: string[]; leftAlone: Array<{ path: string; reason: string }> };
    expect(out.name).toBe('guard');
    expect(out.added).toEqual([]);
    expect(out.leftAlone.find((k) => k.path === 'istio-wasm.yaml')?.reason).toMatch(/--name not applied: edit istio-wasm\.yaml/);
    expect(readFileSync(path.join(dir, 'istio-wasm.yaml'), 'utf8')).toBe(config);
  });
});
