import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { cancelSignal } from '../runtime.js';
import { debug, step, success } from '../ui/output.js';

export function registerTest(program: Command): void {
  program
    .command('test')
    .description("run the project's plugin tests (vitest, with create-istio-wasm/testing), building the module first if it is missing")
    .argument('[vitest-args...]', 'passed to `vitest run` (e.g. a file filter, -t "401")')
    .option('--build', 'build the module even when it exists')
    .allowUnknownOption(true)
    .addHelpText('after', '\nExamples:\n  $ istio-wasm test\n  $ istio-wasm test --build\n  $ istio-wasm test -- -t "401"')
    .action(async (args: string[], opts: { build?: boolean }) => {
      const { loadProject } = await import('../project/load.js');
      const project = await loadProject(process.cwd());
      const signal = cancelSignal();
      const modulePath = path.resolve(project.root, project.config.module);
      if (opts.build || !existsSync(modulePath)) {
        step(`building ${project.config.module}`);
        const { buildProject } = await import('../build/index.js');
        await buildProject({ root: project.root, config: project.config, signal, onOutput: (line) => debug(line) });
      }
      step(`vitest run ${args.join(' ')}`.trim());
      const { execa } = await import('execa');
      const run = await execa('npx', ['--no-install', 'vitest', 'run', ...args], {
        cwd: project.root,
        stdio: 'inherit',
        reject: false,
        cancelSignal: signal,
      });
      if (run.isCanceled) throw signal.reason instanceof Error ? signal.reason : new CliError('CANCELLED', 'Operation cancelled', { exitCode: 130 });
      if (run.exitCode !== 0) {
        throw new CliError('TESTS_FAILED', `the plugin's tests failed (vitest exited with ${run.exitCode ?? run.signal})`, {
          exitCode: run.exitCode ?? 1,
          ...(run.failed && run.exitCode === undefined ? { hint: 'is vitest installed? run npm install in the project' } : {}),
        });
      }
      success('tests passed');
    });
}
