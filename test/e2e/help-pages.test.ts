import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';

// The bins print `[command…] --help` from dist/help.json without loading the CLI (bin/start.js).
// Each stored page must be what the CLI itself prints: `--verbose` before the command makes the bin
// pass the request on to commander.
const stored = JSON.parse(readFileSync(path.join(repoRoot, 'dist', 'help.json'), 'utf8')) as Record<string, Record<string, { narrow: string; wide: string; wideFrom: number }>>;
const pages = Object.entries(stored).flatMap(([bin, byCommand]) => Object.keys(byCommand).map((command) => ({ bin: bin as 'istio-wasm' | 'create-istio-wasm', command })));

describe('stored --help pages', () => {
  it('cover both bins and every istio-wasm command', () => {
    expect(Object.keys(stored).sort()).toEqual(['create-istio-wasm', 'istio-wasm']);
    expect(Object.keys(stored['istio-wasm']!)).toEqual(expect.arrayContaining(['', 'new', 'push', 'serve', 'sealos build']));
  });

  it.each(pages)('$bin $command --help is what the CLI prints', async ({ bin, command }) => {
    const words = command ? command.split(' ') : [];
    const [fast, full] = await Promise.all([runCli([...words, '--help'], { bin }), runCli(['--verbose', ...words, '--help'], { bin })]);
    expect(full.code).toBe(0);
    expect(full.stdout).toContain('Usage:');
    expect(fast).toEqual(full);
  });

  it('-h is --help', async () => {
    const [short, long] = await Promise.all([runCli(['push', '-h']), runCli(['push', '--help'])]);
    expect(short).toEqual(long);
  });
});
