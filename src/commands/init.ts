import type { Command } from 'commander';
import path from 'node:path';
import { cancelSignal } from '../runtime.js';
import { json, paint, result, success } from '../ui/output.js';

interface InitFlags {
  name?: string;
  language?: string;
  image?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  cliSpec?: string;
}

const examples = `
Examples:
  $ istio-wasm init                          # in an existing plugin project: detect, ask, add what is missing
  $ istio-wasm init ../wasm-auth --yes       # headless: the defaults for every value not given
  $ istio-wasm init --name wasm-auth --image sealos.hub:5000/wasm/wasm-auth:v1 --yes
  $ istio-wasm init --language rust --dry-run --json

It detects the language (Cargo.toml with a cdylib → rust; go.mod with a Proxy-Wasm Go SDK → go;
package.json with assemblyscript → assemblyscript; Makefile/CMake with proxy_wasm_intrinsics → cpp),
writes istio-wasm.yaml, and adds the Makefile, deploy/, Dockerfile, Sealfile, CI workflow,
package.json and smoke tests only where no file of that name exists. It never overwrites a file, and
says what it left alone and why. Running it twice changes nothing.`;

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('adopt an existing plugin project: write istio-wasm.yaml and add the missing project files')
    .argument('[dir]', 'the plugin project (default: the current directory)')
    .option('--name <name>', 'plugin name, a DNS-1123 label (default: the directory name)')
    .option('--language <language>', 'assemblyscript, rust, go (or tinygo) or cpp (default: detected from the build files)')
    .option('--image <ref>', 'image to push, registry/repo:tag (default $REPO/$IMG, else localhost:5000/wasm/<name>:v0.1.0)')
    .option('--dry-run', 'say what would be written, write nothing')
    .option('-y, --yes', 'accept the defaults for every value not given')
    .option('--json', 'print {dir, language, module, added, leftAlone} on stdout')
    .option('--cli-spec <npm-spec>', 'how an added package.json depends on create-istio-wasm')
    .addHelpText('after', examples)
    .action(async (dir: string | undefined, opts: InitFlags) => {
      const { initProject } = await import('../scaffold/init.js');
      const { isInteractive, terminalPrompter } = await import('../ui/prompts.js');
      const signal = cancelSignal();
      const prompter = isInteractive() && !opts.json && !opts.yes ? await terminalPrompter(signal) : undefined;
      const done = await initProject({
        dir: path.resolve(process.cwd(), dir ?? '.'),
        name: opts.name,
        language: opts.language,
        image: opts.image,
        yes: Boolean(opts.yes),
        dryRun: Boolean(opts.dryRun),
        cliSpec: opts.cliSpec,
        env: process.env,
        cwd: process.cwd(),
        prompter,
        signal,
      });
      if (opts.json) {
        json(done);
        return;
      }
      const rel = (p: string) => (path.relative(process.cwd(), path.join(done.dir, p)) || p);
      const lines = [
        `${done.name}: ${done.language}${done.detected ? ` (${done.detected.evidence}; the toolchain writes ${done.detected.toolchainOutput})` : ''}, module ${done.module}, image ${done.image}`,
        done.added.length ? (done.dryRun ? 'Would add:' : 'Added:') : 'Nothing to add: every file exists.',
        ...done.added.map((f) => `  ${rel(f)}`),
      ];
      if (done.leftAlone.length) lines.push('Left alone:', ...done.leftAlone.map((k) => `  ${rel(k.path)}  ${paint('dim', k.reason, 'stdout')}`));
      if (!done.dryRun) success(done.added.length ? `initialised ${done.dir}` : `${done.dir} is already initialised`);
      result([...lines, '', 'Next: npm install (for the CLI and vitest), then npx istio-wasm build, test, push, manifest --pin'].join('\n'));
    });
}
