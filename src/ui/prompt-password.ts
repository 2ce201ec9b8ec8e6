import { isTerminal, stream } from './output.js';

/**
 * The password prompt of `istio-wasm login` (drawn on stderr, masked). Kept beside prompts.ts so
 * @inquirer stays in src/ui; only used when stdin is a TTY and CI is unset.
 */
export function canPromptForPassword(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI;
  return process.stdin.isTTY === true && isTerminal('stderr') && (ci === undefined || ci === '' || ci === 'false' || ci === '0');
}

export async function promptPassword(message: string, signal?: AbortSignal): Promise<string> {
  const { password } = await import('./inquirer.js');
  return password({ message, mask: '*' }, { output: stream('stderr'), ...(signal ? { signal } : {}) });
}
