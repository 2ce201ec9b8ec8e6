import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

// src/commands/index.ts: a run registers only the command its first word names; anything else
// registers every command. What a user sees must not depend on which were registered.
describe('the command a run registers', () => {
  it('a misspelt command is still answered with a suggestion from every command', async () => {
    const r = await runCli(['pussh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'pussh'/);
    expect(r.stderr).toMatch(/Did you mean push\?/);
  });

  it('logout is registered with login (one module registers both)', async () => {
    const r = await runCli(['logout']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing required argument 'registry'/);
  });

  it('global options before the command still select it', async () => {
    const r = await runCli(['--verbose', 'push', '--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-option'/);
  });

  it('help COMMAND (no command named first) prints that command\'s help', async () => {
    const r = await runCli(['help', 'pull']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: istio-wasm pull \[options\] <image>/);
  });
});
