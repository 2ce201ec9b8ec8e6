import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadProjectAt, type Project } from '../../src/project/load.js';
import type { ProjectConfig } from '../../src/project/schema.js';

/** A module that passes the agent's checks: `\0asm`, version 1, then filler bytes. */
export function smallModule(size = 4096, seed = 7): Uint8Array {
  const out = new Uint8Array(size);
  out.set([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  let x = seed >>> 0;
  for (let i = 8; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A project on disk (istio-wasm.yaml + build/plugin.wasm) as the scaffolder would leave it after a build. */
export async function writeProject(dir: string, overrides: Partial<ProjectConfig> = {}, module = smallModule()): Promise<Project> {
  const config: ProjectConfig = {
    name: 'wasm-auth',
    language: 'assemblyscript',
    module: 'build/plugin.wasm',
    image: 'sealos.hub:5000/wasm/wasm-auth:latest',
    istio: { version: '1.16.2' },
    wasmPlugin: {
      namespace: 'istio-system',
      selector: { matchLabels: { istio: 'ingressgateway' } },
      pluginName: 'wasm-auth',
      phase: 'AUTHN',
      pluginConfig: { protectedPrefix: '/v2' },
    },
    ...overrides,
  };
  await mkdir(path.join(dir, 'build'), { recursive: true });
  await writeFile(path.join(dir, 'istio-wasm.yaml'), stringify(config));
  await writeFile(path.join(dir, 'build', 'plugin.wasm'), module);
  return loadProjectAt(dir);
}
