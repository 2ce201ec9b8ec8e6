import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A fresh temp dir; call the returned cleanup in afterEach/afterAll. */
export async function makeTempDir(prefix = 'ciw-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Fails under CI when a tool the test needs is missing; elsewhere the caller may skip with a reason. */
export function requireToolInCi(tool: string, present: boolean): void {
  if (!present && process.env.CI) throw new Error(`${tool} is required under CI=true but is not installed (scripts/test-tools.sh installs it)`);
}
