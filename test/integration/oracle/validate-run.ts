import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli } from '../../helpers/cli.js';
import type { Case } from './corpus.js';

export interface OurVerdict {
  /** 'skipped': validate saw no plugin document in the file. */
  valid: boolean | 'skipped';
  errors: string[];
}

/**
 * Runs the built CLI once, `istio-wasm validate --json --istio-version V`, over the documents
 * written one per file (as JSON, which is YAML: validate and the oracle read the same text).
 */
export async function validateCorpus(cases: Case[], dir: string, istioVersion: string): Promise<OurVerdict[]> {
  await mkdir(dir, { recursive: true });
  const files = await Promise.all(
    cases.map(async (c, i) => {
      const file = path.join(dir, `${String(i).padStart(4, '0')}.yaml`);
      await writeFile(file, `${JSON.stringify(c.doc)}\n`);
      return file;
    }),
  );
  const run = await runCli(['validate', '--json', '--istio-version', istioVersion, ...files], { cwd: dir, timeoutMs: 180_000 });
  if (run.code === 2 || run.stdout === '') throw new Error(`validate failed: ${run.stderr}`);
  const report = JSON.parse(run.stdout) as { files: Array<{ documents: Array<{ valid: boolean; errors: Array<{ path: string; message: string }> }>; error?: string }> };
  return report.files.map((f) => {
    const d = f.documents[0];
    if (!d) return { valid: 'skipped', errors: [f.error ?? 'skipped'] };
    return { valid: d.valid, errors: d.errors.map((e) => `${e.path}: ${e.message}`) };
  });
}
