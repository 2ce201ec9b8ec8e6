import type { Command } from 'commander';
import { Option } from 'commander';
import { cancelSignal } from '../runtime.js';
import { info, json, paint, result, step, success, warn } from '../ui/output.js';

interface NewOptions {
  template?: string;
  ref?: string;
  subdir?: string;
  language?: string;
  name?: string;
  namespace?: string;
  selector?: string;
  targetRef?: string;
  phase?: string;
  priority?: string;
  failStrategy?: string;
  pluginConfig?: string;
  image?: string;
  istioVersion?: string;
  kind?: string;
  set?: Record<string, string>;
  values?: string;
  yes?: boolean;
  overwrite?: boolean;
  install: boolean;
  git: boolean;
  dryRun?: boolean;
  json?: boolean;
  listTemplates?: boolean;
  cliSpec?: string;
}

function collectSet(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new Error(`--set expects key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

const examples = `
Non-interactive usage (CI, IDE wizards):
  $ create-istio-wasm my-plugin --yes
  $ create-istio-wasm my-plugin --template rust --no-install --no-git --yes
  $ create-istio-wasm my-plugin --namespace istio-system --selector istio=ingressgateway \\
      --phase AUTHN --priority 10 --fail-strategy FAIL_CLOSE \\
      --plugin-config '{"protectedPrefix":"/v2"}' --image 127.0.0.1:5000/wasm/my-plugin:v0.1.0 \\
      --istio-version 1.30
  $ create-istio-wasm my-plugin --kind TrafficExtension --yes   # Istio 1.30+: deploy/trafficextension.yaml
  $ REPO=sealos.hub:5000 IMG=wasm/wasm-auth:v1 create-istio-wasm wasm-auth --yes
  $ create-istio-wasm my-plugin --values values.yaml
  $ create-istio-wasm my-plugin --template https://example.com/team/templates.git --ref v2 --subdir istio --yes
  $ create-istio-wasm --list-templates --json        # every template and its variables, for a form
  $ create-istio-wasm my-plugin --template https://github.com/labring-actions/istio-wasm-template.git --yes
      # a cargo-generate template: {{project-name}}, {{crate_name}}, cargo-generate.toml placeholders (--set key=value)
  $ create-istio-wasm my-plugin --template ../some-plugin-repo --language rust --yes   # any repository, copied as it is

Values are taken from flags, then --values, then REPO/IMG, then a prompt (on a terminal with CI
unset), then the defaults with --yes. A value still missing is an error naming its flag.`;

/** Options shared by `create-istio-wasm [dir]` and `istio-wasm new [dir]`. */
function defineOptions(command: Command): Command {
  return command
    .argument('[dir]', 'project directory (its name is the default plugin name)')
    .option('-t, --template <name|path|git-url>', 'assemblyscript (default), rust, go (alias tinygo), cpp, or a directory or git repository: a template.json template, a cargo-generate template, or any plugin repository')
    .option('--ref <ref>', 'branch, tag or commit of a git template')
    .option('--subdir <path>', 'folder of the template inside the repository or directory')
    .option('--language <language>', 'language of a template without template.json (default: what its build files show)')
    .option('--name <name>', 'plugin name (DNS-1123 label)')
    .option('--namespace <ns>', 'namespace of the WasmPlugin (default istio-system)')
    .option('--selector <k=v,...>', 'workload selector labels (default istio=ingressgateway)')
    .option('--target-ref <Kind/name>', 'attach to a Gateway (Gateway/name) instead of a selector')
    .addOption(new Option('--phase <phase>', 'filter phase (default AUTHN)').choices(['AUTHN', 'AUTHZ', 'STATS', 'UNSPECIFIED_PHASE']))
    .option('--priority <n>', 'priority within the phase (default 10)')
    .addOption(new Option('--fail-strategy <strategy>', 'FAIL_CLOSE (default), FAIL_OPEN or FAIL_RELOAD').choices(['FAIL_CLOSE', 'FAIL_OPEN', 'FAIL_RELOAD']))
    .option('--plugin-config <json|@file>', 'plugin configuration, a JSON object')
    .option('--image <ref>', 'image to push, registry/repo:tag (default $REPO/$IMG, else localhost:5000/wasm/<name>:v0.1.0)')
    .option('--istio-version <x.y>', 'target Istio version (default the newest supported)')
    .addOption(new Option('--kind <kind>', 'the resource to deploy as: WasmPlugin (default) or TrafficExtension (Istio 1.30+)').choices(['WasmPlugin', 'TrafficExtension']))
    .option('--set <key=value>', 'a template variable (repeatable)', collectSet)
    .option('--values <file>', 'YAML/JSON file of values (keys as in --list-templates --json)')
    .option('-y, --yes', 'accept the defaults for every value not given')
    .option('--overwrite', 'write into a non-empty directory, replacing only the files the template writes')
    .option('--no-install', 'do not install dependencies')
    .option('--no-git', 'do not initialise a git repository')
    .option('--dry-run', 'list the files and steps, write nothing')
    .option('--json', 'print {dir, template, files, steps} on stdout')
    .option('--list-templates', 'describe the templates and their variables')
    .option('--cli-spec <npm-spec>', 'how the project depends on create-istio-wasm (default: this copy, via file: when run from a checkout)')
    .addHelpText('after', examples)
    .action(async (dir: string | undefined, opts: NewOptions) => run(dir, opts));
}

export function registerNew(program: Command): void {
  defineOptions(program.command('new').description('create a plugin project from a template (same as create-istio-wasm)'));
}

export function registerCreateRoot(program: Command): void {
  defineOptions(program.description('Create an Istio WebAssembly (Proxy-Wasm) plugin project'));
}

async function run(dir: string | undefined, opts: NewOptions): Promise<void> {
  if (opts.listTemplates) {
    const { listTemplates } = await import('../scaffold/list.js');
    const listing = await listTemplates(opts.template ? { source: opts.template, ref: opts.ref, subdir: opts.subdir, cwd: process.cwd() } : undefined);
    if (opts.json) json(listing);
    else {
      const lines = listing.templates.map((t) => `  ${(t.aliases?.length ? `${t.name} (${t.aliases.join(', ')})` : t.name).padEnd(16)} ${t.description}`);
      result(['Templates:', ...lines, '', 'Values (flag, default):', ...listing.variables.map((v) => `  ${v.flag.padEnd(18)} ${v.default === undefined ? '' : JSON.stringify(v.default)}  ${v.help ?? ''}`)].join('\n'));
    }
    return;
  }
  const { createProject } = await import('../scaffold/index.js');
  const { loadValuesFile } = await import('../scaffold/values.js');
  const { isInteractive, terminalPrompter } = await import('../ui/prompts.js');
  const signal = cancelSignal();
  const prompter = isInteractive() && !opts.json ? await terminalPrompter(signal) : undefined;
  const valuesFile = opts.values ? await loadValuesFile(opts.values) : undefined;
  const created = await createProject({
    dir,
    template: opts.template ?? (typeof valuesFile?.template === 'string' ? valuesFile.template : undefined),
    ref: opts.ref,
    subdir: opts.subdir,
    language: opts.language,
    flags: {
      name: opts.name,
      namespace: opts.namespace,
      selector: opts.selector,
      targetRef: opts.targetRef,
      phase: opts.phase,
      priority: opts.priority,
      failStrategy: opts.failStrategy,
      pluginConfig: opts.pluginConfig,
      image: opts.image,
      istioVersion: opts.istioVersion,
      kind: opts.kind,
      set: opts.set,
    },
    valuesFile,
    env: process.env,
    cwd: process.cwd(),
    prompter,
    yes: Boolean(opts.yes),
    overwrite: Boolean(opts.overwrite),
    install: opts.install,
    git: opts.git,
    dryRun: Boolean(opts.dryRun),
    cliSpec: opts.cliSpec,
    signal,
    onProgress: (m) => step(m),
    onOutput: (line) => info(paint('dim', `  ${line}`)),
  });
  for (const line of created.warnings) warn(line);
  if (opts.json) {
    json({
      dir: created.dir, template: created.template, format: created.format, files: created.files,
      steps: created.steps.map(({ id, command, status }) => ({ id, command, status })), warnings: created.warnings, notes: created.notes,
    });
    return;
  }
  if (opts.dryRun) {
    result([`Would create ${created.dir} from ${created.template}:`, ...created.files.map((f) => `  ${f}`), 'Then:', ...(created.steps.length ? created.steps.map((s) => `  ${s.command}`) : ['  (nothing)'])].join('\n'));
    return;
  }
  success(`created ${created.values.name} in ${created.dir}`);
  for (const note of created.notes) info(`note: ${note}`);
  const { nextSteps } = await import('../scaffold/next-steps.js');
  result(nextSteps(created));
}
