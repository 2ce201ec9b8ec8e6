import type { Command } from 'commander';
import { cancelSignal } from '../runtime.js';
import { debug, json, result, step, success } from '../ui/output.js';

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('build the plugin with its native toolchain and check the module against the Proxy-Wasm ABI')
    .option('--docker', 'build through the project\'s Dockerfile with a Docker engine (or podman)')
    .option('--json', 'print {"module","size","sha256","abiVersion"} on stdout')
    .addHelpText(
      'after',
      `
Toolchains, by the language in istio-wasm.yaml:
  assemblyscript  the project's asc (npm install)
  rust            cargo build --target wasm32-wasip1 --release (rustup target add wasm32-wasip1)
  go (tinygo)     go >= 1.24: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared; else tinygo
  cpp             make -f Makefile.build with em++ >= 3.1.55 and proxy-wasm-cpp-sdk ($PROXY_WASM_CPP_SDK)
\`istio-wasm doctor\` names what is missing and how to install it.

Examples:
  $ istio-wasm build
  $ istio-wasm build --json
  $ istio-wasm build --verbose       # the toolchain's own output
  $ istio-wasm build --docker        # Rust/Go/C++ without a local toolchain`,
    )
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
