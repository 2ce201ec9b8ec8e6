import path from 'node:path';
import type { CreateResult } from './index.js';

/** The "next steps" block printed after a project is created. */
export function nextSteps(created: CreateResult, cwd = process.cwd()): string {
  const rel = path.relative(cwd, created.dir) || '.';
  const pm = created.packageManager;
  const run = (script: string) => (pm === 'npm' ? `npm run ${script}` : `${pm} ${script}`);
  const installed = created.steps.some((s) => s.id === 'install' && s.status === 'done');
  const hasPackageJson = created.files.includes('package.json');
  const lines = ['', 'Next steps:', `  cd ${rel.includes(' ') ? JSON.stringify(rel) : rel}`];
  if (hasPackageJson && !installed) lines.push(`  ${pm} install`);
  lines.push(
    `  ${run('build')}                    # ${created.values.name} → ${'build/plugin.wasm'}, checked against the Proxy-Wasm ABI`,
    `  ${pm === 'npm' ? 'npm test' : `${pm} test`}                         # the plugin's tests on the local Proxy-Wasm host`,
    '  npx istio-wasm serve --upstream http://127.0.0.1:8080   # the plugin in front of a local service',
    `  npx istio-wasm push                 # to ${created.values.image}`,
    `  npx istio-wasm manifest --pin       # ${created.values.kind ?? 'WasmPlugin'} pinned to the pushed digest`,
    '  npx istio-wasm deploy',
    '',
  );
  return lines.join('\n');
}
