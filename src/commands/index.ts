import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Every `istio-wasm` command, in the order `--help` lists them, by the names it answers to. Each
 * module is its own chunk: it registers its options and loads its core only when it runs.
 */
const registrations: Array<[names: string[], load: () => Promise<Register>]> = [
  [['new'], async () => (await import('./new.js')).registerNew],
  [['init'], async () => (await import('./init.js')).registerInit],
  [['build'], async () => (await import('./build.js')).registerBuild],
  [['test'], async () => (await import('./test.js')).registerTest],
  [['serve'], async () => (await import('./serve.js')).registerServe],
  [['replay'], async () => (await import('./replay.js')).registerReplay],
  [['inspect'], async () => (await import('./inspect.js')).registerInspect],
  [['package'], async () => (await import('./package.js')).registerPackage],
  [['login', 'logout'], async () => (await import('./login.js')).registerLogin],
  [['push'], async () => (await import('./push.js')).registerPush],
  [['pull'], async () => (await import('./pull.js')).registerPull],
  [['manifest'], async () => (await import('./manifest.js')).registerManifest],
  [['validate'], async () => (await import('./validate.js')).registerValidate],
  [['deploy'], async () => (await import('./deploy.js')).registerDeploy],
  [['migrate'], async () => (await import('./migrate.js')).registerMigrate],
  [['sealos'], async () => (await import('./sealos.js')).registerSealos],
  [['doctor'], async () => (await import('./doctor.js')).registerDoctor],
];

/**
 * Registers the command `args` run (the first word that is not an option; the program's own
 * options, --verbose and --version, take no value), so a run loads and builds only that one;
 * anything else (no command, `help`, a misspelt one commander suggests a name for) gets them all.
 */
export async function registerCommands(program: Command, args: readonly string[] = []): Promise<void> {
  const word = args.find((a) => !a.startsWith('-'));
  const only = word === undefined ? undefined : registrations.find(([names]) => names.includes(word));
  const chosen = only ? [only] : registrations;
  const registers = await Promise.all(chosen.map(([, load]) => load()));
  for (const register of registers) register(program);
}
