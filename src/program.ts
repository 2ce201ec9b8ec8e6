import { Command } from 'commander';
import { setOutputMode, write } from './ui/output.js';
import { packageInfo } from './version.js';

export type Entry = 'istio-wasm' | 'create-istio-wasm';

/**
 * Builds the commander program. Commands register their options here and load their core lazily;
 * `create-istio-wasm` loads only the registration of `new`; given the arguments, `istio-wasm` only
 * that of the command they run (all of them without).
 */
export async function buildProgram(entry: Entry, args?: readonly string[]): Promise<Command> {
  const program = new Command(entry);
  program
    .version(packageInfo().version, '-v, --version', 'print the version')
    .option('--verbose', 'print debug output and error stacks')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    // commander's help and errors go out as the rest does (ui/output).
    .configureOutput({ writeOut: (text) => write('stdout', text), writeErr: (text) => write('stderr', text) })
    .exitOverride();
  program.hook('preAction', (_this, action) => {
    const opts = action.optsWithGlobals();
    setOutputMode({ verbose: Boolean(opts.verbose), quiet: Boolean(opts.json) || Boolean(opts.quiet) });
  });
  if (entry === 'create-istio-wasm') (await import('./commands/new.js')).registerCreateRoot(program);
  else await (await import('./commands/index.js')).registerCommands(program, args);
  return program;
}
