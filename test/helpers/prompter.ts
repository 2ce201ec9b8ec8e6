import type { Prompter } from '../../src/scaffold/prompter.js';

/**
 * A prompter that answers from a script and records what was asked: the first answer whose key
 * starts the message, else the prompt's default. A confirm is yes when its answer is "yes".
 */
export function scripted(answers: Record<string, string>): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const answer = (message: string, fallback?: string) => {
    asked.push(message);
    const key = Object.keys(answers).find((k) => message.startsWith(k));
    return key !== undefined ? (answers[key] as string) : (fallback ?? '');
  };
  return {
    asked,
    text: async (o) => answer(o.message, o.default),
    select: async (o) => answer(o.message, o.default),
    confirm: async (o) => answer(o.message, o.default === undefined ? undefined : o.default ? 'yes' : 'no') === 'yes',
  };
}
