import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cppBuilder, findCppSdk } from '../../src/build/cpp.js';
import { buildProject, partialModulePath } from '../../src/build/index.js';
import { crateLibName, rustBuilder } from '../../src/build/rust.js';
import { goBuilder, goVersionOf, tinygoVersionOf, versionAtLeast } from '../../src/build/go.js';
import type { BuildContext } from '../../src/build/types.js';
import { CliError } from '../../src/errors.js';
import type { ProjectConfig } from '../../src/project/schema.js';
import { makeTempDir } from '../helpers/tmp.js';
import { wat } from './host/fixtures.js';

/**
 * The builders find their tools on PATH. Each test points PATH at a directory of fake tools (shell
 * scripts printing what the real ones print) so the detection logic runs for real, whatever this
 * machine has installed.
 */
let tmp: { dir: string; cleanup: () => Promise<void> };
let bin: string;
let project: string;
const savedPath = process.env.PATH;
const savedSdk = process.env.PROXY_WASM_CPP_SDK;
const savedTargetDir = process.env.CARGO_TARGET_DIR;

async function fakeTool(name: string, script: string): Promise<void> {
  const file = path.join(bin, name);
  await writeFile(file, `#!/bin/sh\n${script}\n`);
  await chmod(file, 0o755);
}

function context(language: ProjectConfig['language']): BuildContext {
  const config: ProjectConfig = {
    name: 'wasm-auth',
    language,
    module: 'build/plugin.wasm',
    image: 'sealos.hub:5000/wasm/wasm-auth:v1',
    istio: { version: '1.30' },
    wasmPlugin: { namespace: 'istio-system' },
  };
  return { root: project, config, output: path.join(project, 'build', 'plugin.wasm.partial'), onOutput: () => {} };
}

async function buildError(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

beforeEach(async () => {
  tmp = await makeTempDir('ciw-builders-');
  bin = path.join(tmp.dir, 'bin');
  project = path.join(tmp.dir, 'project');
  await mkdir(bin);
  await mkdir(path.join(project, 'build'), { recursive: true });
  process.env.PATH = bin;
  delete process.env.PROXY_WASM_CPP_SDK;
  delete process.env.CARGO_TARGET_DIR;
});

afterEach(async () => {
  process.env.PATH = savedPath;
  if (savedSdk === undefined) delete process.env.PROXY_WASM_CPP_SDK;
  else process.env.PROXY_WASM_CPP_SDK = savedSdk;
  if (savedTargetDir !== undefined) process.env.CARGO_TARGET_DIR = savedTargetDir;
  await tmp.cleanup();
});

describe('rust builder', () => {
  const cargoVersion = '[ "$1" = --version ] && { echo "cargo 1.95.0 (f2d3ce0bd 2026-03-21)"; exit 0; }';

  // rustc compiling an empty library for the target: fails as a rustc without its std does.
  const rustcWithout = (sysroot: string) => `[ "$1 $2" = "--print sysroot" ] && { echo "${sysroot}"; exit 0; }
echo "error[E0463]: can't find crate for \\\`std\\\`" >&2
echo "  = note: the \\\`wasm32-wasip1\\\` target may not be installed" >&2
exit 1`;
  const rustcWith = (sysroot: string) => `[ "$1 $2" = "--print sysroot" ] && { echo "${sysroot}"; exit 0; }
case "$*" in *"--target wasm32-wasip1 "*"--emit metadata -o "*) exit 0 ;; esac
exit 9`;

  it('reports cargo present and the wasm32-wasip1 target absent, with rustup\'s fix for a rustup rustc', async () => {
    await fakeTool('cargo', cargoVersion);
    await fakeTool('rustc', rustcWithout('/home/u/.rustup/toolchains/stable-x86_64-unknown-linux-gnu'));
    const checks = await rustBuilder.toolchain(project);
    expect(checks).toEqual([
      expect.objectContaining({ tool: 'cargo', found: true, version: '1.95.0 (f2d3ce0bd 2026-03-21)' }),
      expect.objectContaining({ tool: 'rust target wasm32-wasip1', found: false, version: "rustc says: error[E0463]: can't find crate for `std`" }),
    ]);
    expect(checks[1]!.fix).toContain('rustup target add wasm32-wasip1');
    expect(checks[1]!.fix).toContain('istio-wasm build --docker');
  });

  it('a distribution\'s rustc without the wasm32 std gets the packages to install, not rustup', async () => {
    await fakeTool('cargo', cargoVersion);
    await fakeTool('rustc', rustcWithout('/usr'));
    const [, wasmTarget] = await rustBuilder.toolchain(project);
    expect(wasmTarget!.found).toBe(false);
    expect(wasmTarget!.fix).toContain('apt-get install libstd-rust-dev-wasm32 rust-llvm lld');
    expect(wasmTarget!.fix).not.toContain('rustup target add');
  });

  it('build() says the target is missing and how to build with --docker instead', async () => {
    await fakeTool('cargo', `${cargoVersion}\necho "cargo build must not run" >&2; exit 3`);
    await fakeTool('rustc', rustcWithout('/root/.rustup/toolchains/stable'));
    await writeFile(path.join(project, 'Cargo.toml'), '[package]\nname = "wasm-auth"\n');
    const error = await buildError(rustBuilder.build(context('rust')));
    expect(error.code).toBe('TOOLCHAIN_MISSING');
    expect(error.message).toContain('the Rust target wasm32-wasip1 is not installed');
    expect(error.message).toContain('cargo 1.95.0');
    expect(error.hint).toContain('rustup target add wasm32-wasip1');
    expect(error.hint).toContain('`istio-wasm build --docker`');
  });

  it('finds the target by compiling for it, whoever installed its std (rustup, a distribution, another root)', async () => {
    await fakeTool('cargo', cargoVersion);
    await fakeTool('rustc', rustcWith('/usr'));
    expect((await rustBuilder.toolchain(project))[1]).toEqual(expect.objectContaining({ found: true }));
  });

  it('build() without cargo is TOOLCHAIN_MISSING naming cargo', async () => {
    const error = await buildError(rustBuilder.build(context('rust')));
    expect(error.code).toBe('TOOLCHAIN_MISSING');
    expect(error.message).toMatch(/^cargo is not installed/);
    expect(error.hint).toContain('https://rustup.rs');
    expect(error.hint).toContain('--docker');
  });

  it('build() runs cargo for wasm32-wasip1 and copies the crate module to the output', async () => {
    await fakeTool('rustc', rustcWith('/usr'));
    await fakeTool(
      'cargo',
      `${cargoVersion}
[ "$*" = "build --target wasm32-wasip1 --release" ] || exit 2
echo "   Compiling wasm-auth v0.1.0"
/bin/mkdir -p target/wasm32-wasip1/release && printf 'module' > target/wasm32-wasip1/release/wasm_auth.wasm`,
    );
    await writeFile(path.join(project, 'Cargo.toml'), '[package]\nname = "wasm-auth"\n\n[lib]\ncrate-type = ["cdylib"]\n');
    const lines: string[] = [];
    const ctx = { ...context('rust'), onOutput: (line: string) => lines.push(line) };
    await rustBuilder.build(ctx);
    expect(await readFile(ctx.output, 'utf8')).toBe('module');
    expect(lines).toContain('   Compiling wasm-auth v0.1.0');
  });

  it('build() failing is BUILD_FAILED with the compiler output', async () => {
    await fakeTool('rustc', rustcWith('/usr'));
    await fakeTool('cargo', `${cargoVersion}\necho "error[E0425]: cannot find value" >&2; exit 101`);
    await writeFile(path.join(project, 'Cargo.toml'), '[package]\nname = "wasm-auth"\n');
    const error = await buildError(rustBuilder.build(context('rust')));
    expect(error.code).toBe('BUILD_FAILED');
    expect(error.message).toContain('error[E0425]');
  });

  it('names the .wasm after [lib] name or the package name', () => {
    expect(crateLibName('[package]\nname = "wasm-auth"\nversion = "0.1.0"\n')).toBe('wasm_auth');
    expect(crateLibName('[package]\nname = "wasm-auth"\n\n[lib]\nname = "plugin"\ncrate-type = ["cdylib"]\n')).toBe('plugin');
    expect(crateLibName('[dependencies]\nname = "x"\n')).toBeUndefined();
  });
});

describe('go builder', () => {
  it('parses go and tinygo versions', () => {
    expect(goVersionOf('go version go1.24.3 linux/amd64')).toBe('1.24.3');
    expect(tinygoVersionOf('tinygo version 0.37.0 linux/amd64 (using go version go1.24.1 and LLVM version 19.1.2)')).toBe('0.37.0');
    expect(versionAtLeast('1.24', '1.24')).toBe(true);
    expect(versionAtLeast('1.25.1', '1.24')).toBe(true);
    expect(versionAtLeast('1.23.9', '1.24')).toBe(false);
  });

  it('nothing installed: TOOLCHAIN_MISSING with the --docker hint', async () => {
    expect(await goBuilder.toolchain(project)).toEqual([expect.objectContaining({ found: false })]);
    const error = await buildError(goBuilder.build(context('go')));
    expect(error.code).toBe('TOOLCHAIN_MISSING');
    expect(error.message).toContain('neither go (>= 1.24) nor tinygo is installed');
    expect(error.hint).toContain('istio-wasm build --docker');
  });

  it('a Go older than 1.24 does not count, and says so', async () => {
    await fakeTool('go', 'echo "go version go1.22.5 linux/amd64"');
    expect(await goBuilder.toolchain(project)).toEqual([expect.objectContaining({ found: false, version: 'go 1.22.5 (too old)' })]);
    const error = await buildError(goBuilder.build(context('go')));
    expect(error.code).toBe('TOOLCHAIN_MISSING');
    expect(error.message).toContain('go 1.22.5 is installed, but the proxy-wasm Go SDK needs Go 1.24 or newer');
  });

  it('builds with go for GOOS=wasip1 as a c-shared reactor', async () => {
    await fakeTool(
      'go',
      `[ "$1" = version ] && { echo "go version go1.24.3 linux/amd64"; exit 0; }
[ "$1 $2" = "mod tidy" ] && { : > go.sum; exit 0; }
[ "$GOOS/$GOARCH" = wasip1/wasm ] || exit 4
[ "$1 $2" = "build -buildmode=c-shared" ] || exit 5
printf 'module' > "$4"`,
    );
    await writeFile(path.join(project, 'go.mod'), 'module wasm-auth\n');
    expect(await goBuilder.toolchain(project)).toEqual([expect.objectContaining({ found: true, version: 'go 1.24.3' })]);
    const lines: string[] = [];
    const ctx = { ...context('go'), onNote: (line: string) => lines.push(line) };
    await goBuilder.build(ctx);
    expect(await readFile(ctx.output, 'utf8')).toBe('module');
    expect(lines[0]).toBe('using go 1.24.3 (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared)');
  });

  it('falls back to tinygo when go is too old, and says why', async () => {
    await fakeTool('go', `[ "$1" = version ] && { echo "go version go1.22.5 linux/amd64"; exit 0; }
[ "$1 $2" = "mod tidy" ] && { : > go.sum; exit 0; }
exit 7`);
    await fakeTool('tinygo', `[ "$1" = version ] && { echo "tinygo version 0.37.0 linux/amd64 (using go version go1.24.1 and LLVM version 19.1.2)"; exit 0; }
[ "$1 $2 $3" = "build -o $3" ] || true
[ "$*" = "build -o $3 -scheduler=none -target=wasip1 -buildmode=c-shared ." ] || exit 6
printf 'tiny' > "$3"`);
    await writeFile(path.join(project, 'go.mod'), 'module wasm-auth\n');
    expect(await goBuilder.toolchain(project)).toEqual([expect.objectContaining({ found: true, version: 'tinygo 0.37.0' })]);
    const lines: string[] = [];
    const ctx = { ...context('go'), onNote: (line: string) => lines.push(line) };
    await goBuilder.build(ctx);
    expect(await readFile(ctx.output, 'utf8')).toBe('tiny');
    expect(lines[0]).toBe('using tinygo 0.37.0 (go 1.22.5 is older than 1.24)');
  });
});

describe('cpp builder', () => {
  it('nothing installed: TOOLCHAIN_MISSING naming em++ with the --docker hint', async () => {
    const checks = await cppBuilder.toolchain(project);
    expect(checks.map((c) => [c.tool, c.found])).toEqual([
      ['em++ (Emscripten)', false],
      ['make', false],
      ['proxy-wasm-cpp-sdk', false],
    ]);
    const error = await buildError(cppBuilder.build(context('cpp')));
    expect(error.code).toBe('TOOLCHAIN_MISSING');
    expect(error.message).toContain('em++ (Emscripten) is not installed');
    expect(error.hint).toContain('istio-wasm build --docker');
  });

  it('em++ and make but no SDK: says where it looked', async () => {
    await fakeTool('em++', 'echo "emcc (Emscripten gcc/clang-like replacement + linker emulating GNU ld) 3.1.67"');
    await fakeTool('make', 'echo "GNU Make 4.3"');
    const error = await buildError(cppBuilder.build(context('cpp')));
    expect(error.code).toBe('TOOLCHAIN_MISSING');
    expect(error.message).toContain('proxy-wasm-cpp-sdk was not found');
    expect(error.hint).toContain('PROXY_WASM_CPP_SDK');
  });

  it('finds the SDK from PROXY_WASM_CPP_SDK or next to the project, and runs make with it', async () => {
    const sdk = path.join(tmp.dir, 'proxy-wasm-cpp-sdk');
    await mkdir(sdk);
    await writeFile(path.join(sdk, 'proxy_wasm_intrinsics.h'), '');
    await writeFile(path.join(sdk, 'proxy_wasm_intrinsics.cc'), '');
    expect(findCppSdk(project, {})).toBe(sdk);
    expect(findCppSdk(project, { PROXY_WASM_CPP_SDK: path.join(tmp.dir, 'nowhere') })).toBe(sdk);

    await fakeTool('em++', 'echo "emcc 3.1.67"');
    await fakeTool(
      'make',
      `[ "$1" = --version ] && { echo "GNU Make 4.3"; exit 0; }
[ "$1 $2 $3" = "-f Makefile.build PROXY_WASM_CPP_SDK=${sdk}" ] || exit 6
out="\${4#OUT=}"; printf 'module' > "$out"`,
    );
    await writeFile(path.join(project, 'Makefile.build'), 'all:\n');
    const ctx = context('cpp');
    await cppBuilder.build(ctx);
    expect(await readFile(ctx.output, 'utf8')).toBe('module');
  });
});

describe('buildProject output', () => {
  it('builds into a temporary name ending in .wasm beside the module (toolchains pick the format from the suffix)', () => {
    const partial = partialModulePath(path.join('/p', 'build', 'plugin.wasm'), 42);
    expect(partial).toBe(path.join('/p', 'build', '.plugin.partial-42.wasm'));
    expect(partialModulePath(path.join('/p', 'out', 'auth'), 7)).toBe(path.join('/p', 'out', '.auth.partial-7.wasm'));
  });

  it('a C++ build whose compiler writes JavaScript to any name not ending in .wasm (as em++ does) lands the module', async () => {
    const sdk = path.join(tmp.dir, 'proxy-wasm-cpp-sdk');
    await mkdir(sdk);
    await writeFile(path.join(sdk, 'proxy_wasm_intrinsics.h'), '');
    await writeFile(path.join(sdk, 'proxy_wasm_intrinsics.cc'), '');
    const module = path.join(tmp.dir, 'module.wasm');
    await writeFile(module, await wat(`(module
  (import "env" "emscripten_notify_memory_growth" (func (param i32)))
  (import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 0))
  (func (export "proxy_on_context_create") (param i32 i32)))`));
    await fakeTool('em++', 'echo "emcc 3.1.69"');
    // em++'s rule: -o X.wasm writes the module; any other suffix gets JavaScript, the module beside it.
    await fakeTool(
      'make',
      `[ "$1" = --version ] && { echo "GNU Make 4.3"; exit 0; }
out="\${4#OUT=}"
case "$out" in
  *.wasm) /bin/cp "${module}" "$out" ;;
  *) echo "var Module = {};" > "$out"; /bin/cp "${module}" "\${out%.*}.wasm" ;;
esac`,
    );
    await writeFile(path.join(project, 'Makefile.build'), 'all:\n');
    const config = context('cpp').config;
    const result = await buildProject({ root: project, config });
    expect(result.abiVersion).toBe('0.2.1');
    expect((await readFile(path.join(project, 'build', 'plugin.wasm')).then((b) => b.subarray(0, 4))).toString('hex')).toBe('0061736d');
    expect((await readdir(path.join(project, 'build'))).sort()).toEqual(['plugin.wasm']);
  });
});
