import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { result, success, warn, debug } from '../ui/output.js';

interface LoginOptions {
  username?: string;
  passwordStdin?: boolean;
  authfile?: string;
  plainHttp?: boolean;
  insecure?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function registerLogin(program: Command): void {
  program
    .command('login <registry>')
    .description('check credentials against a registry and store them in containers\' auth.json (where podman, skopeo and sealos look)')
    .option('-u, --username <user>', 'user name')
    .option('--password-stdin', 'read the password from standard input')
    .option('--authfile <file>', 'auth file to write (default: REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json)')
    .option('--plain-http', 'talk to the registry over HTTP')
    .option('--insecure', 'skip TLS verification')
    .addHelpText('after', '\nExamples:\n  $ echo "$PASSWORD" | istio-wasm login 127.0.0.1:5000 -u admin --password-stdin\n  $ istio-wasm login ghcr.io -u me            # prompts for the password on a terminal')
    .action(async (registry: string, opts: LoginOptions) => {
      const { cancelSignal } = await import('../runtime.js');
      const { canPromptForPassword, promptPassword } = await import('../ui/prompt-password.js');
      if (!opts.username) throw new CliError('NO_USERNAME', 'no user name given', { hint: 'pass -u USER' });
      let password: string;
      if (opts.passwordStdin) password = await readStdin();
      else if (canPromptForPassword()) password = await promptPassword(`Password for ${opts.username}@${registry}:`, cancelSignal());
      else throw new CliError('NO_PASSWORD', 'no password given', { hint: `pipe it in: echo "$PASSWORD" | istio-wasm login ${registry} -u ${opts.username} --password-stdin` });
      const { login } = await import('../oci/login.js');
      const done = await login(registry, { username: opts.username, password }, { authfile: opts.authfile, plainHttp: opts.plainHttp, insecure: opts.insecure, signal: cancelSignal(), log: debug });
      for (const w of done.warnings) warn(w);
      success(`login succeeded for ${done.registry}`);
      result(`credentials for ${done.registry} stored in ${done.file}`);
    });

  program
    .command('logout <registry>')
    .description('remove stored credentials for a registry')
    .option('--authfile <file>', 'auth file to edit (default as for login)')
    .addHelpText('after', '\nExample:\n  $ istio-wasm logout 127.0.0.1:5000')
    .action(async (registry: string, opts: { authfile?: string }) => {
      const { logout } = await import('../oci/login.js');
      const done = await logout(registry, { authfile: opts.authfile });
      if (!done.file) {
        throw new CliError('NOT_LOGGED_IN', `not logged in to ${done.registry}`, { hint: 'pass --authfile if the credentials are stored elsewhere' });
      }
      result(`removed credentials for ${done.registry} from ${done.file}`);
    });
}
