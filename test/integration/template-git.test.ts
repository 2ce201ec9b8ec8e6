import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let repoUrl: string;
let firstCommit: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** A template repository on disk: v1 tag, a later commit on main, the template in `istio/`. */
beforeAll(async () => {
  tmp = await makeTempDir('ciw-git-');
  const repo = path.join(tmp.dir, 'templates-repo');
  const t = path.join(repo, 'istio');
  await mkdir(path.join(t, 'src'), { recursive: true });
  await writeFile(path.join(t, 'template.json'), JSON.stringify({
    name: 'team-rust', description: 'our rust template', language: 'rust', module: 'build/plugin.wasm',
    variables: [
      { name: 'owner', prompt: 'Owning team', type: 'string', default: 'platform', pattern: '^[a-z]+$' },
      { name: 'metrics', prompt: 'Emit metrics?', type: 'bool', default: true },
    ],
  }));
  await writeFile(path.join(t, 'README.md.hbs'), '# {{name}} owned by {{owner}} metrics={{metrics}}\n');
  await writeFile(path.join(t, 'workflow.yml'), 'run: echo ${{ github.sha }} {{not-rendered}}\n');
  await writeFile(path.join(t, 'src', 'lib.rs'), '// v1\n');
  await writeFile(path.join(t, '_gitignore'), 'target/\n');
  await writeFile(path.join(t, 'logo.bin'), Buffer.from([0, 1, 2, 0xff, 0xfe, 0x7b, 0x7b]));
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'v1');
  git(repo, 'tag', 'v1');
  firstCommit = git(repo, 'rev-parse', 'HEAD');
  await writeFile(path.join(t, 'src', 'lib.rs'), '// v2\n');
  git(repo, 'commit', '-q', '-am', 'v2');
  repoUrl = `file://${repo}`;
});
afterAll(async () => tmp.cleanup());

const create = (args: string[]) => runCli([...args, '--no-install', '--no-git'], { cwd: tmp.dir, bin: 'create-istio-wasm' });

describe('templates from git and directories', () => {
  it('clones a ref and subdir, renders only .hbs, copies the rest byte for byte', async () => {
    const r = await create(['from-tag', '--template', repoUrl, '--ref', 'v1', '--subdir', 'istio', '--set', 'owner=edge', '--yes']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const dir = path.join(tmp.dir, 'from-tag');
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toBe('# from-tag owned by edge metrics=true\n');
    expect(readFileSync(path.join(dir, 'workflow.yml'), 'utf8')).toBe('run: echo ${{ github.sha }} {{not-rendered}}\n');
    expect(readFileSync(path.join(dir, 'src', 'lib.rs'), 'utf8')).toBe('// v1\n');
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('target/\n');
    expect([...readFileSync(path.join(dir, 'logo.bin'))]).toEqual([0, 1, 2, 0xff, 0xfe, 0x7b, 0x7b]);
    expect(readdirSync(dir)).not.toContain('template.json');
    expect(readFileSync(path.join(dir, 'istio-wasm.yaml'), 'utf8')).toMatch(/language: rust/);
  });

  it('takes the default branch without --ref, and a commit sha with it', async () => {
    expect((await create(['from-main', '--template', repoUrl, '--subdir', 'istio', '--yes'])).code).toBe(0);
    expect(readFileSync(path.join(tmp.dir, 'from-main', 'src', 'lib.rs'), 'utf8')).toBe('// v2\n');
    expect((await create(['from-sha', '--template', repoUrl, '--ref', firstCommit.slice(0, 10), '--subdir', 'istio', '--yes'])).code).toBe(0);
    expect(readFileSync(path.join(tmp.dir, 'from-sha', 'src', 'lib.rs'), 'utf8')).toBe('// v1\n');
  });

  it('a local directory works as a template', async () => {
    const r = await create(['from-dir', '--template', path.join(tmp.dir, 'templates-repo'), '--subdir', 'istio', '--yes', '--set', 'metrics=false']);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(tmp.dir, 'from-dir', 'README.md'), 'utf8')).toMatch(/metrics=false/);
  });

  it('--list-templates --json describes a git template\'s variables', async () => {
    const r = await runCli(['--list-templates', '--json', '--template', repoUrl, '--subdir', 'istio'], { cwd: tmp.dir, bin: 'create-istio-wasm' });
    expect(r.code).toBe(0);
    const listing = JSON.parse(r.stdout) as { templates: Array<{ name: string; variables: Array<{ name: string; type: string }> }> };
    expect(listing.templates[0]?.variables.map((v) => [v.name, v.type])).toEqual([['owner', 'string'], ['metrics', 'bool']]);
  });

  it.each([
    [['--ref', 'no-such-tag', '--subdir', 'istio'], /git ref "no-such-tag" does not exist/],
    [['--ref', 'deadbeef00', '--subdir', 'istio'], /git ref "deadbeef00" does not exist/],
    [['--subdir', 'nowhere'], /--subdir nowhere does not exist/],
    [[], /has no template\.json or cargo-generate\.toml at its root, but templates in istio/],
    [['--subdir', 'istio', '--set', 'owner=UP'], /owner must match/],
  ])('%j fails with a clear error and leaves nothing', async (extra, message) => {
    const r = await create(['bad-git', '--template', repoUrl, ...extra, '--yes']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(existsSync(path.join(tmp.dir, 'bad-git'))).toBe(false);
  });

  it('an unreachable repository is a clone error', async () => {
    const r = await create(['bad-url', '--template', `file://${tmp.dir}/nothing-here.git`, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot clone/);
  });
});
