import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { requireToolInCi } from '../../helpers/tmp.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const fixturesDir = path.resolve(here, '../../fixtures');

let wabt: Awaited<ReturnType<typeof wabtInit>> | undefined;

/** Compiles test/fixtures/wat/<name> (or WAT source text) in-process with the wabt package. */
export async function wat(nameOrSource: string): Promise<Uint8Array> {
  wabt ??= await wabtInit();
  const source = nameOrSource.endsWith('.wat') ? readFileSync(path.join(fixturesDir, 'wat', nameOrSource), 'utf8') : nameOrSource;
  const parsed = wabt.parseWat(nameOrSource.endsWith('.wat') ? nameOrSource : 'inline.wat', source, { bulk_memory: true, mutable_globals: true, sign_extension: true });
  try {
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}

function hasClang(): boolean {
  try {
    execFileSync('clang', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds test/fixtures/c/<name> with clang --target=wasm32-wasi as a reactor. Returns undefined when
 * clang is missing (tests skip), except under CI=true where a missing clang fails.
 */
export function buildCPlugin(name: string, outDir: string): Uint8Array | undefined {
  const present = hasClang();
  requireToolInCi('clang (with lld, wasi-libc and libclang-rt-14-dev-wasm32)', present);
  if (!present) return undefined;
  const out = path.join(outDir, name.replace(/\.c$/, '.wasm'));
  try {
    execFileSync('clang', ['--target=wasm32-wasi', '-O2', '-mexec-model=reactor', '-o', out, path.join(fixturesDir, 'c', name)], { stdio: 'pipe' });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    requireToolInCi(`a working clang wasm32-wasi toolchain (${stderr.split('\n')[0]})`, false);
    if (/wasi|crt1|libc|clang_rt/i.test(stderr)) return undefined;
    throw error;
  }
  return new Uint8Array(readFileSync(out));
}
