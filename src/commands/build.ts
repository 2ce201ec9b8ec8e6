import type { Command } from 'commander';
import { cancelSignal } from '../runtime.js';
import { debug, json, result, step, success } from '../ui/output.js';

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('build the plugin with its native toolchain and check the module against the Proxy-Wasm ABI')
    .option('--docker', 'build through the project\'s Dockerfile with a Docker engine (or podman)')
    .option('--json', 'print {"module","size","sha256","abiVersion"} on stdout')
    .addHelpText('after', '\nExamples:\n  $ istio-wasm build\n  $ istio-wasm build --json\n  $ istio-wasm build --docker        # Rust/Go/C++ without a local toolchain')
    .action(async (opts: { docker?: boolean; json?: boolean }) => {
      const { loadProject } = await import('../project/load.js');
      const { buildProject } = await import('../build/index.js');
      const project = await loadProject(process.cwd());
      step(`building ${project.config.name} (${project.config.language}${opts.docker ? ', in a container' : ''})`);
      const built = await buildProject({
        root: project.root,
        config: project.config,
        docker: Boolean(opts.docker),
        signal: cancelSignal(),
        onOutput: (line) => debug(line),
        onNote: (line) => step(line),
      });
      if (opts.json) {
        json(built);
        return;
      }
      success(`built ${built.module}`);
      result(`${built.module}  ${built.size} bytes  sha256:${built.sha256}  ABI ${built.abiVersion ?? 'none'}`);
    });
}
