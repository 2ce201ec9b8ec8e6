import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CliError } from '../errors.js';
import { versions } from '../versions.js';
import { runTool, toolVersion } from './exec.js';
import type { BuildContext, LanguageBuilder, ToolCheck } from './types.js';

const target = versions.rustTarget;
const dockerHint = 'or `istio-wasm build --docker` to build in the Dockerfile';
const cargoFix = `install Rust from https://rustup.rs and run \`rustup target add ${target}\`, ${dockerHint}`;
const targetFix = `run \`rustup target add ${target}\` (the target was called wasm32-wasi before Rust 1.78), ${dockerHint}`;

const distroFix = `this rustc is not rustup's: install its ${target} standard library and linker (Debian/Ubuntu: \`apt-get install libstd-rust-dev-wasm32 rust-llvm lld\`, with rustc >= 1.78), or install Rust from https://rustup.rs, ${dockerHint}`;

/** What compiling an empty library for the target said. */
interface TargetProbe {
  ok: boolean;
  /** The compiler's first error line, when it failed. */
  error?: string;
  /** Whether the rustc is rustup's (then `rustup target add` is the fix). */
  rustup: boolean;
}

/**
 * Whether the rustc that cargo runs here (PATH, rust-toolchain.toml honoured, rustup never
 * installing anything as a side effect) can build for the target: it compiles an empty library for
 * it, which needs the target's standard library, whoever installed it (rustup, a distribution, a
 * wrapper running another root).
 */
async function probeTarget(root: string): Promise<TargetProbe> {
  const { execa } = await import('execa');
  const env = { ...process.env, RUSTUP_AUTO_INSTALL: '0' };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'istio-wasm-rustc-'));
  try {
    const result = await execa('rustc', ['--target', target, '--crate-type', 'lib', '--crate-name', 'probe', '--emit', 'metadata', '-o', path.join(dir, 'probe.rmeta'), '-'], {
      cwd: root, env, input: '', reject: false, timeout: 120_000,
    });
    const sysroot = await execa('rustc', ['--print', 'sysroot'], { cwd: root, env, reject: false, timeout: 20_000 });
    const rustup = /[\\/]\.?rustup[\\/]/.test(String(sysroot.stdout));
    if (result.exitCode === 0) return { ok: true, rustup };
    const error = String(result.stderr).split('\n').find((line) => line.startsWith('error'))?.trim();
    return { ok: false, rustup, ...(error ? { error } : {}) };
  } catch {
    return { ok: false, rustup: false };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The library name cargo gives the .wasm: `[lib] name`, else the package name, `-` → `_`. */
export function crateLibName(cargoToml: string): string | undefined {
  let section = '';
  let packageName: string | undefined;
  let libName: string | undefined;
  for (const raw of cargoToml.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]!.trim();
      continue;
    }
    const name = /^name\s*=\s*"([^"]+)"/.exec(line);
    if (!name) continue;
    if (section === 'package') packageName = name[1];
    if (section === 'lib') libName = name[1];
  }
  return (libName ?? packageName)?.replace(/-/g, '_');
}

/** The module cargo wrote: target/<target>/release/<lib>.wasm (or the only .wasm there). */
function builtModule(root: string): string | undefined {
  const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(root, process.env.CARGO_TARGET_DIR) : path.join(root, 'target');
  const releaseDir = path.join(targetDir, target, 'release');
  const manifest = path.join(root, 'Cargo.toml');
  const lib = existsSync(manifest) ? crateLibName(readFileSync(manifest, 'utf8')) : undefined;
  if (lib && existsSync(path.join(releaseDir, `${lib}.wasm`))) return path.join(releaseDir, `${lib}.wasm`);
  const modules = existsSync(releaseDir) ? readdirSync(releaseDir).filter((file) => file.endsWith('.wasm')) : [];
  return modules.length === 1 ? path.join(releaseDir, modules[0]!) : undefined;
}

export const rustBuilder: LanguageBuilder = {
  language: 'rust',

  async toolchain(root: string): Promise<ToolCheck[]> {
    const cargo = await toolVersion('cargo', ['--version'], root);
    const cargoCheck: ToolCheck = { tool: 'cargo', found: cargo !== undefined, fix: cargoFix };
    if (cargo) cargoCheck.version = cargo.replace(/^cargo\s+/, '');
    const probe = cargo !== undefined ? await probeTarget(root) : undefined;
    const targetCheck: ToolCheck = {
      tool: `rust target ${target}`,
      found: probe?.ok ?? false,
      fix: !probe ? cargoFix : probe.rustup ? targetFix : distroFix,
    };
    if (probe && !probe.ok && probe.error) targetCheck.version = `rustc says: ${probe.error}`;
    return [cargoCheck, targetCheck];
  },

  async build(ctx: BuildContext): Promise<void> {
    const [cargo, wasmTarget] = await this.toolchain(ctx.root);
    if (!cargo?.found) {
      throw new CliError('TOOLCHAIN_MISSING', 'cargo is not installed (the Rust toolchain builds this plugin)', { hint: cargoFix });
    }
    if (!wasmTarget?.found) {
      const found = cargo.version ? `cargo ${cargo.version}` : 'cargo';
      throw new CliError('TOOLCHAIN_MISSING', `the Rust target ${target} is not installed (${found} is, without the standard library for ${target})`, {
        hint: wasmTarget?.fix ?? targetFix,
      });
    }
    if (!existsSync(path.join(ctx.root, 'Cargo.toml'))) {
      throw new CliError('BUILD_FAILED', 'Cargo.toml not found in the project', { hint: 'a Rust plugin is a cargo crate with crate-type = ["cdylib"]' });
    }
    await runTool('cargo', ['build', '--target', target, '--release'], {
      cwd: ctx.root,
      signal: ctx.signal,
      onOutput: ctx.onOutput,
      missingHint: cargoFix,
    });
    const module = builtModule(ctx.root);
    if (!module) {
      throw new CliError('BUILD_FAILED', `cargo finished but wrote no .wasm under target/${target}/release`, {
        hint: 'the crate must be a cdylib: [lib] crate-type = ["cdylib"] in Cargo.toml',
      });
    }
    await copyFile(module, ctx.output);
  },
};
