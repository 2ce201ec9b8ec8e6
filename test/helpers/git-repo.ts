import { execFileSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** Writes the files (path → text, bytes, or {contents, executable}) and commits them as a git repository; returns its file:// url. */
export async function makeGitRepo(dir: string, files: Record<string, string | Buffer | { contents: string; executable: true }>): Promise<string> {
  for (const [file, value] of Object.entries(files)) {
    const full = path.join(dir, file);
    await mkdir(path.dirname(full), { recursive: true });
    if (typeof value === 'object' && !Buffer.isBuffer(value)) {
      await writeFile(full, value.contents);
      await chmod(full, 0o755);
    } else await writeFile(full, value);
  }
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'template');
  return `file://${dir}`;
}
