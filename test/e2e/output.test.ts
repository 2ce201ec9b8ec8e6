import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBin, istioWasmBin } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

// src/ui/output.ts: what goes to a file, a pipe or /dev/null is written straight to the descriptor;
// a terminal gets Node's stream. Either way the reader sees the same text, in order.
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  tmp = await makeTempDir('ciw-output-');
});
afterAll(async () => tmp?.cleanup());

// No colour settings at all: whether to colour is the CLI's own choice here.
const { NO_COLOR: _noColor, FORCE_COLOR: _forceColor, ...inherited } = process.env;
const env = { ...inherited, CI: 'true' };

/** The CLI with stdout and stderr read through pipes. */
function toPipes(bin: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: tmp.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The CLI with stdout and stderr written to files, as `cli > out 2> err` does. */
function toFiles(bin: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const out = path.join(tmp.dir, `out-${Math.random().toString(36).slice(2)}`);
  const fds = [openSync(`${out}.1`, 'w'), openSync(`${out}.2`, 'w')];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: tmp.dir, env, stdio: ['ignore', fds[0], fds[1]] });
    child.on('error', reject);
    child.on('close', (code) => {
      for (const fd of fds) closeSync(fd);
      resolve({ code, stdout: readFileSync(`${out}.1`, 'utf8'), stderr: readFileSync(`${out}.2`, 'utf8') });
    });
  });
}

describe('output', () => {
  it('a scaffold into files writes what it writes into pipes, without colour', async () => {
    const files = await toFiles(createBin, ['in-files', '--yes', '--no-install', '--no-git']);
    const pipes = await toPipes(createBin, ['in-pipes', '--yes', '--no-install', '--no-git']);
    expect(files.code, files.stderr).toBe(0);
    expect(pipes.code, pipes.stderr).toBe(0);
    const same = (text: string, name: string) => text.replaceAll(name, 'NAME');
    expect(same(files.stdout, 'in-files')).toBe(same(pipes.stdout, 'in-pipes'));
    expect(same(files.stderr, 'in-files')).toBe(same(pipes.stderr, 'in-pipes'));
    expect(files.stderr).toMatch(/created in-files/);
    expect(files.stdout + files.stderr).not.toMatch(/\u001b\[/);
  });

  it('errors, commander\'s included, reach a file as they reach a pipe', async () => {
    const files = await toFiles(istioWasmBin, ['inspec']);
    const pipes = await toPipes(istioWasmBin, ['inspec']);
    expect(files.code).toBe(2);
    expect(pipes.code).toBe(2);
    expect(files.stderr).toBe(pipes.stderr);
    expect(files.stderr).toMatch(/unknown command 'inspec'[\s\S]*Did you mean inspect/);
  });

  it('a reader that goes away early (`| head`) ends the run quietly with its own exit code', async () => {
    const child = spawn(process.execPath, [createBin, '--list-templates', '--json'], { cwd: tmp.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
