import { existsSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Project } from '../project/load.js';

/**
 * Rebuilds the project when its sources change: `buildProject` from the build module, or
 * `npm run build` in the project when that module is not available.
 */
export async function buildForWatch(project: Project, signal: AbortSignal | undefined): Promise<string> {
  let build: ((o: { root: string; config: Project['config']; signal?: AbortSignal }) => Promise<{ module: string }>) | undefined;
  try {
    const mod = (await import('../build/index.js')) as { buildProject?: typeof build };
    build = mod.buildProject;
  } catch {
    build = undefined;
  }
  if (build) {
    const built = await build({ root: project.root, config: project.config, ...(signal ? { signal } : {}) });
    return path.resolve(project.root, built.module);
  }
  const { execa } = await import('execa');
  await execa('npm', ['run', 'build'], { cwd: project.root, ...(signal ? { cancelSignal: signal } : {}) });
  return path.resolve(project.root, project.config.module);
}

const ignored = /(^|[/\\])(node_modules|build|dist|target|\.git)([/\\]|$)/;
/** Source folders of the languages' templates; the project root itself is watched without recursion. */
const sourceDirs = ['assembly', 'src', 'include', 'cmd', 'pkg', 'internal', 'plugin'];

/**
 * Calls `onChange` (debounced) when a source file of the project changes; returns a stop function.
 * Only source folders are watched recursively: node_modules and build output never are.
 */
export function watchSources(root: string, moduleRelative: string, onChange: (file: string) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let last = '';
  const moduleAbs = path.resolve(root, moduleRelative);
  const changed = (dir: string) => (_event: string, file: string | Buffer | null) => {
    if (!file) return;
    const name = path.join(dir, String(file));
    if (ignored.test(name) || path.resolve(root, name) === moduleAbs || name.endsWith('.wasm')) return;
    last = name;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => onChange(last), 250);
  };
  const watchers: FSWatcher[] = [watch(root, { recursive: false }, changed(''))];
  for (const dir of sourceDirs) {
    const abs = path.join(root, dir);
    if (existsSync(abs)) watchers.push(watch(abs, { recursive: true }, changed(dir)));
  }
  return () => {
    if (timer) clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
