import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

/**
 * `istio-wasm doctor` in a Rust, Go or C++ project names the piece of the toolchain that is
 * missing and the command that installs it. PATH holds only fake tools printing what the real
 * ones print (a rustc without the wasm32 std, a Go too old, a bookworm em++), so the checks
 * themselves run for real whatever this machine has.
 */
interface Report {
  ok: boolean;
  checks: Array<{ group: string; name: string; status: string; detail?: string; fix?: string }>;
}

let dir: string;
let cleanup: () => Promise<void>;
let bin: string;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('ciw-doctor-tc-'));
  bin = path.join(dir, 'bin');
  await mkdir(bin);
});
afterAll(async () => cleanup());

async function tool(name: string, script: string): Promise<void> {
  await writeFile(path.join(bin, name), `#!/bin/sh\n${script}\n`);
  await chmod(path.join(bin, name), 0o755);
}

async function doctor(language: string): Promise<{ code: number | null; report: Report; text: string }> {
  const root = path.join(dir, language);
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, 'istio-wasm.yaml'), stringify({ name: `${language}-x`, language, module: 'build/plugin.wasm', image: '127.0.0.1:1/wasm/x:v1', istio: { version: '1.30' }, wasmPlugin: { namespace: 'istio-system' } }));
  const env = { PATH: bin, HOME: dir, KUBECONFIG: path.join(dir, 'none'), DOCKER_CONFIG: path.join(dir, 'docker'), REGISTRY_AUTH_FILE: '' };
  const json = await runCli(['doctor', '--json'], { cwd: root, env });
  const text = await runCli(['doctor'], { cwd: root, env });
  return { code: json.code, report: JSON.parse(json.stdout) as Report, text: text.stdout };
}

const toolchain = (report: Report) => report.checks.filter((c) => c.group === 'toolchain');

describe('doctor names the missing piece of a language toolchain and how to install it', () => {
  it('rust: rustup\'s rustc without wasm32-wasip1 → rustup target add wasm32-wasip1', async () => {
    await tool('cargo', 'echo "cargo 1.95.0 (f2d3ce0bd 2026-03-21)"');
    await tool('rustc', `[ "$1 $2" = "--print sysroot" ] && { echo "/home/dev/.rustup/toolchains/stable-x86_64-unknown-linux-gnu"; exit 0; }
echo "error[E0463]: can't find crate for \\\`std\\\`" >&2; exit 1`);
    const { code, report, text } = await doctor('rust');
    expect(code).toBe(1);
    expect(toolchain(report)).toEqual([
      expect.objectContaining({ name: 'cargo', status: 'ok' }),
      expect.objectContaining({ name: 'rust target wasm32-wasip1', status: 'missing', detail: "rustc says: error[E0463]: can't find crate for `std`" }),
    ]);
    expect(text).toMatch(/✘ rust target wasm32-wasip1: missing/);
    expect(text).toMatch(/fix: run `rustup target add wasm32-wasip1`/);
  });

  it('go: a Go older than 1.24 and no TinyGo → says so and where to get Go 1.24', async () => {
    await tool('go', '[ "$1" = version ] && echo "go version go1.22.5 linux/amd64"');
    const { code, report, text } = await doctor('go');
    expect(code).toBe(1);
    expect(toolchain(report)).toEqual([expect.objectContaining({ name: 'go >= 1.24 (or tinygo)', status: 'missing', detail: 'go 1.22.5 (too old)' })]);
    expect(text).toMatch(/fix: install Go 1\.24 or newer from https:\/\/go\.dev\/dl/);
  });

  it('go: tinygo in the project\'s old language name reads the same', async () => {
    await tool('go', '[ "$1" = version ] && echo "go version go1.26.0 linux/amd64"');
    const { code, report } = await doctor('tinygo');
    expect(code).toBe(0);
    expect(toolchain(report)).toEqual([expect.objectContaining({ status: 'ok', detail: 'go 1.26.0' })]);
  });

  it('cpp: an em++ without INITIAL_HEAP (bookworm\'s 3.1.6), and the SDK → the version needed and both installs', async () => {
    await tool('em++', 'echo "emcc (Emscripten gcc/clang-like replacement + linker emulating GNU ld) 3.1.6 ()"');
    await tool('make', 'echo "GNU Make 4.3"');
    const { code, report, text } = await doctor('cpp');
    expect(code).toBe(1);
    expect(toolchain(report)).toEqual([
      expect.objectContaining({ name: 'em++ (Emscripten)', status: 'missing', detail: "3.1.6 (too old: Makefile.build's -sINITIAL_HEAP needs 3.1.55 or newer)" }),
      expect.objectContaining({ name: 'make', status: 'ok' }),
      expect.objectContaining({ name: 'proxy-wasm-cpp-sdk', status: 'missing' }),
    ]);
    expect(text).toMatch(/fix: install Emscripten 3\.1\.55 or newer \(`\.\/emsdk install latest/);
    expect(text).toMatch(/fix: clone https:\/\/github\.com\/proxy-wasm\/proxy-wasm-cpp-sdk and set PROXY_WASM_CPP_SDK/);
  });

  it('cpp: em++ 3.1.69 counts', async () => {
    await tool('em++', 'echo "emcc (Emscripten gcc/clang-like replacement + linker emulating GNU ld) 3.1.69 ()"');
    const { report } = await doctor('cpp');
    expect(toolchain(report)[0]).toMatchObject({ status: 'ok', detail: '3.1.69' });
  });
});
