#!/usr/bin/env node
// Benchmarks of the CLI itself (issues 3 and 17), standalone or called by bench/run.mjs:
//   node bench/cli.mjs [--runs N] [--json]
// - `istio-wasm --version` and `--help` cold start against `node -e 0`  (goal <= 1.2x)
// - scaffold of the AssemblyScript template with --no-install --no-git against create-vite's
//   vanilla-ts scaffold (create-vite is a devDependency, run the same way) (goal <= 1x), the same
//   on a first run, before the CLI's compile cache exists, and on a second run, which writes it
//   (reported), and against a `git clone` of the same files from a local repository (reported)
// (The example modules' sizes, AssemblyScript's 16 KB budget among them, are bench/sizes.mjs.)
// Needs `npm run build` first (bench/run.mjs does) and git.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'istio-wasm.js');
const createBin = path.join(root, 'bin', 'create-istio-wasm.js');
const createVite = path.join(root, 'node_modules', 'create-vite', 'index.js');
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 15;
const asJson = args.includes('--json');

/**
 * Median wall time in ms of each function, after one warm-up each. Runs interleave (one of each,
 * in turn), so a machine that gets busier or quieter meanwhile weighs on all of them alike.
 */
function medians(fns) {
  // A function made by secondRunOf() is prepared (untimed) before each timed call.
  const timed = (fn) => (typeof fn === 'function' ? fn : fn.prepare());
  for (const fn of fns) timed(fn)();
  const times = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    fns.forEach((fn, k) => {
      const call = timed(fn);
      const start = process.hrtime.bigint();
      call();
      times[k].push(Number(process.hrtime.bigint() - start) / 1e6);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

/** For medians(): `prepare` runs untimed and returns the function to time. */
function secondRunOf(prepare) {
  return { prepare };
}

function run(cmd, argv, cwd, env = {}) {
  const r = spawnSync(cmd, argv, { cwd, stdio: 'ignore', env: { ...process.env, CI: 'true', ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed`);
}

const results = [];
function report(name, value, baselineName, baseline, goal) {
  const ratio = value / baseline;
  results.push({ name, value: Number(value.toFixed(2)), baseline: baselineName, baselineValue: Number(baseline.toFixed(2)), ratio: Number(ratio.toFixed(2)), goal, met: goal === undefined ? null : ratio <= goal });
}

// 1. Cold start.
const [node0, version, help] = medians([
  () => run(process.execPath, ['-e', '0']),
  () => run(process.execPath, [bin, '--version']),
  () => run(process.execPath, [bin, '--help']),
]);
report('istio-wasm --version (ms)', version, 'node -e 0', node0, 1.2);
report('istio-wasm --help (ms)', help, 'node -e 0', node0, 1.2);

// 2. Scaffold against create-vite's and against a git clone of the same files.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ciw-bench-'));
try {
  execFileSync(process.execPath, [createBin, 'same', '--yes', '--no-install', '--no-git'], { cwd: tmp, env: { ...process.env, CI: 'true' }, stdio: 'ignore' });
  const repo = path.join(tmp, 'repo');
  cpSync(path.join(tmp, 'same'), repo, { recursive: true });
  const git = (...a) => execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', ...a], { cwd: repo, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'x');
  let n = 0;
  // The CLI's compile cache (bin/load-cli.js) lives under XDG_CACHE_HOME, one of its own here, so
  // what else ran on this machine (tests, other checkouts) does not weigh on it. A first run lists
  // the chunks the command loads; the second compiles them as one script from source and writes
  // its cache; later runs use it. The warm-up run of medians() is the first, so of the timed runs
  // only the first is a second run; a first run ever (npx on a new machine) and a second run are
  // measured on their own, each with a new cache directory, and reported.
  const fresh = () => ({ XDG_CACHE_HOME: mkdtempSync(path.join(tmp, 'cache-')) });
  const warm = fresh();
  const [scaffold, vite, clone, firstRun, secondRun] = medians([
    () => run(process.execPath, [createBin, `s${n++}`, '--yes', '--no-install', '--no-git'], tmp, warm),
    () => run(process.execPath, [createVite, `v${n++}`, '--template', 'vanilla-ts', '--no-interactive', '--no-immediate'], tmp),
    () => run('git', ['clone', '-q', `file://${repo}`, `c${n++}`], tmp),
    () => run(process.execPath, [createBin, `f${n++}`, '--yes', '--no-install', '--no-git'], tmp, fresh()),
    // Timed: the second run only.
    secondRunOf(() => {
      const cache = fresh();
      run(process.execPath, [createBin, `p${n++}`, '--yes', '--no-install', '--no-git'], tmp, cache);
      return () => run(process.execPath, [createBin, `q${n++}`, '--yes', '--no-install', '--no-git'], tmp, cache);
    }),
  ]);
  report('scaffold assemblyscript --no-install --no-git (ms)', scaffold, 'create-vite vanilla-ts', vite, 1);
  report('the same, first run (no compile cache yet) (ms)', firstRun, 'create-vite vanilla-ts', vite);
  report('the same, second run (writes the compile cache) (ms)', secondRun, 'create-vite vanilla-ts', vite);
  report('scaffold assemblyscript --no-install --no-git (ms)', scaffold, 'git clone of the same files', clone);
  // Context for the ratio above: Node's own start-up against the same clone.
  report('node -e 0 (ms)', node0, 'git clone of the same files', clone);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

if (asJson) console.log(JSON.stringify({ suite: 'cli', results }, null, 2));
else {
  console.log('cli benchmarks (median of %d runs)', runs);
  for (const r of results) {
    const ratio = r.ratio === null ? '' : `${r.ratio}x ${r.baseline}`;
    const goal = r.goal === undefined ? '' : ` (goal <= ${r.goal}${r.name.includes('KB') ? '' : 'x'}: ${r.met ? 'met' : 'NOT met'})`;
    console.log(`  ${r.name.padEnd(52)} ${String(r.value).padStart(9)}  ${ratio}${goal}`);
  }
}
