import type { Prompter } from '../scaffold/prompter.js';
import { isTerminal, stream } from './output.js';

/** Interactive only when stdin and stderr are terminals and CI is unset. */
export function isInteractive(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI;
  // CI first: asking process.stdin makes Node build the stream (a few ms of start-up).
  return (ci === undefined || ci === '' || ci === 'false' || ci === '0') && process.stdin.isTTY === true && isTerminal('stderr');
}

/** The prompts of the scaffold (@inquirer's, through inquirer.ts). They draw on stderr so stdout stays for results. */
export async function terminalPrompter(signal?: AbortSignal): Promise<Prompter> {
  const { input, select, confirm } = await import('./inquirer.js');
  const context = { output: stream('stderr'), ...(signal ? { signal } : {}) };
  return {
    text: (o) => input({ message: o.message, ...(o.default !== undefined ? { default: o.default } : {}), ...(o.validate ? { validate: o.validate } : {}) }, context),
    select: (o) => select({ message: o.message, choices: o.choices.map((c) => ({ value: c.value, name: c.name ?? c.value, ...(c.description ? { description: c.description } : {}) })), ...(o.default !== undefined ? { default: o.default } : {}) }, context),
    confirm: (o) => confirm({ message: o.message, ...(o.default !== undefined ? { default: o.default } : {}) }, context),
  };
}
