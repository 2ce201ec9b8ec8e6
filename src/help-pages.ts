import type { Command } from 'commander';
import { buildProgram, type Entry } from './program.js';

/**
 * What `--help` prints for every command of one bin (keyed by the command's path, '' for the bin
 * itself, aliases too), laid out `width` columns wide and without colour, exactly as commander
 * prints it (its own outputHelp, addHelpText included). The build stores these pages
 * (scripts/build/help-pages.mjs) so the bins answer `--help` without loading the CLI.
 */
export async function helpPages(entry: Entry, width: number): Promise<Record<string, string>> {
  const program = await buildProgram(entry);
  const commands: Array<{ command: Command; paths: string[] }> = [];
  const visit = (command: Command, paths: string[]): void => {
    commands.push({ command, paths });
    for (const sub of command.commands) visit(sub, paths.flatMap((p) => [sub.name(), ...sub.aliases()].map((n) => (p ? `${p} ${n}` : n))));
  };
  visit(program, ['']);
  let text = '';
  for (const { command } of commands) {
    command.configureHelp({ ...command.configureHelp(), helpWidth: width });
    command.configureOutput({ ...command.configureOutput(), writeOut: (s: string) => void (text += s), getOutHasColors: () => false });
  }
  const pages: Record<string, string> = {};
  for (const { command, paths } of commands) {
    text = '';
    command.outputHelp();
    for (const p of paths) pages[p] = text;
  }
  return pages;
}
