import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { caseFilters } from './case-filters.js';

function gitConfig(key: string, env: NodeJS.ProcessEnv): string | undefined {
  try {
    const out = execFileSync('git', ['config', '--get', key], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

/** Who is generating, found as cargo (and so cargo-generate) finds it: environment, git config, login name. */
export function discoverAuthor(env: NodeJS.ProcessEnv): { authors: string; username: string } {
  const first = (keys: string[]) => keys.map((k) => env[k]?.trim()).find((v) => v);
  const name = first(['CARGO_NAME', 'GIT_AUTHOR_NAME', 'GIT_COMMITTER_NAME']) ?? gitConfig('user.name', env) ?? first(['USER', 'USERNAME', 'NAME']) ?? '';
  const email = first(['CARGO_EMAIL', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_EMAIL']) ?? gitConfig('user.email', env) ?? first(['EMAIL']);
  return { authors: email ? `${name} <${email}>` : name, username: name };
}

/** `linux-x86_64`, `macos-aarch64`, … as Rust's std::env::consts name them. */
export function osArch(platform: string = process.platform, arch: string = process.arch): string {
  const os = platform === 'darwin' ? 'macos' : platform === 'win32' ? 'windows' : platform;
  const cpu = arch === 'x64' ? 'x86_64' : arch === 'arm64' ? 'aarch64' : arch === 'ia32' ? 'x86' : arch;
  return `${os}-${cpu}`;
}

/** Whether the target sits inside a cargo project (a Cargo.toml in it or any parent). */
export function withinCargoProject(target: string): boolean {
  let dir = path.resolve(target);
  for (;;) {
    if (existsSync(path.join(dir, 'Cargo.toml'))) return true;
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

/**
 * cargo-generate's built-in placeholders. `crate_type` is `lib`: a Proxy-Wasm plugin is a cdylib
 * (override it with `--set crate_type=bin`). `is_init` is true when generating into the current
 * directory, as `cargo generate --init` does.
 */
export function cargoGenerateBuiltins(options: { name: string; target: string; cwd: string; env: NodeJS.ProcessEnv }): Record<string, unknown> {
  const { authors, username } = discoverAuthor(options.env);
  return {
    'project-name': options.name,
    crate_name: caseFilters.snake_case!(options.name),
    crate_type: 'lib',
    authors,
    username,
    'os-arch': osArch(),
    within_cargo_project: withinCargoProject(options.target),
    is_init: path.resolve(options.target) === path.resolve(options.cwd),
  };
}

/** Names of the built-in placeholders (they are not template variables). */
export { cargoGenerateBuiltinNames } from './cargo-generate-names.js';
