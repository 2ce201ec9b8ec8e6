import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../errors.js';
import { versions } from '../versions.js';
import { runTool, toolVersion } from './exec.js';
import type { BuildContext, LanguageBuilder, ToolCheck } from './types.js';

const target = versions.rustTarget;
const dockerHint = 'or `istio-wasm build --docker` to build in the Dockerfile';
const cargoFix = `install Rust from https://rustup.rs and run \`rustup target add ${target}\`, ${dockerHint}`;
const targetFix = `run \`rustup target add ${target}\` (the target was called wasm32-wasi before Rust 1.78), ${dockerHint}`;

/** Output of a command, or undefined when it cannot run or fails. */
async function output(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string | undefined> {
  const { execa } = await import('execa');
  try {
    const result = await execa(command, args, { cwd, reject: false, timeout: 20_000, ...(env ? { env } : {}) });
    return result.exitCode === 0 ? String(result.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the Rust standard library for the wasm target is installed: `rustup target list
 * --installed` (run in the project, so rust-toolchain.toml picks the toolchain; never installing
 * one as a side effect), or, without rustup, the target's directory in rustc's sysroot.
 */
async function targetInstalled(root: string): Promise<boolean> {
  const listed = await output('rustup', ['target', 'list', '--installed'], root, { RUSTUP_AUTO_INSTALL: '0' });
  if (listed !== undefined) return listed.split(/\r?\n/).some((line) => line.trim() === target);
  const sysroot = (await output('rustc', ['--print', 'sysroot'], root))?.trim();
  return sysroot ? existsSync(path.join(sysroot, 'lib', 'rustlib', target)) : false;
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
    const targetCheck: ToolCheck = {
      tool: `rust target ${target}`,
      found: cargo !== undefined && (await targetInstalled(root)),
      fix: cargo ? targetFix : cargoFix,
    };
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
        hint: targetFix,
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
