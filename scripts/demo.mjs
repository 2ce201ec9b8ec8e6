#!/usr/bin/env node
// The main job on embedded defaults: scaffold an AssemblyScript plugin into a fresh directory,
// install, build and inspect it, run its tests, send a request through it with `serve`, package
// it as an OCI image layout, build the sealos cluster image that `make sealos-push` pushes, and
// end with the validated WasmPlugin manifest.
// Usage: npm run demo [-- <dir>]   (default: a new temp directory, kept so you can look around)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const create = path.join(root, 'bin', 'create-istio-wasm.js');
const istioWasm = path.join(root, 'bin', 'istio-wasm.js');
const parent = process.argv[2] ? path.resolve(process.argv[2]) : mkdtempSync(path.join(os.tmpdir(), 'istio-wasm-demo-'));
const project = path.join(parent, 'demo-plugin');
const env = { ...process.env };
delete env.REPO;
delete env.IMG;

function title(text) {
  process.stderr.write(`\n\u001b[1m== ${text}\u001b[0m\n`);
}

function run(command, args, cwd) {
  process.stderr.write(`$ ${[path.basename(command) === path.basename(process.execPath) ? 'node' : command, ...args].join(' ')}\n`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env });
  if (result.status !== 0) {
    process.stderr.write(`\ndemo failed at: ${args.join(' ')} (exit ${result.status})\n`);
    process.exit(result.status || 1);
  }
}

const cli = (args) => run(process.execPath, [istioWasm, ...args], project);

title('1. scaffold an AssemblyScript plugin and install its dependencies');
run(process.execPath, [create, 'demo-plugin', '--yes', '--image', '127.0.0.1:5000/wasm/demo-plugin:v0.1.0'], parent);

title('2. build it (asc) and check the module against the Proxy-Wasm ABI');
cli(['build']);
cli(['inspect', 'build/plugin.wasm']);

title('3. run the plugin\'s own tests on the local Proxy-Wasm host (no Envoy, no Docker)');
run('npm', ['test', '--silent'], project);

title('4. serve: the plugin in front of a real local HTTP service');
await serveDemo();

title('5. package the plugin as an OCI image layout (what Istio pulls), no Docker engine');
cli(['package', '--output', 'build/oci']);
cli(['inspect', 'build/oci']);

title('6. the sealos application cluster image (what `make sealos-push` pushes and `sealos run` applies)');
cli(['sealos', 'build']);

title('7. the WasmPlugin manifest for Istio, validated');
cli(['manifest', '--output', 'deploy/wasmplugin.yaml']);
cli(['validate', 'deploy/wasmplugin.yaml']);
process.stderr.write(`\n${readFileSync(path.join(project, 'deploy/wasmplugin.yaml'), 'utf8')}`);

process.stderr.write(`\n\u001b[32mdemo complete\u001b[0m: the project is in ${project}\n`);

async function serveDemo() {
  const upstream = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, sawPluginHeader: req.headers['x-wasm-plugin-request'] ?? null }));
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;
  process.stderr.write(`$ istio-wasm serve --upstream ${upstreamUrl} --listen 127.0.0.1:0\n`);
  const child = spawn(process.execPath, [istioWasm, 'serve', '--upstream', upstreamUrl, '--listen', '127.0.0.1:0'], { cwd: project, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const proxyUrl = await new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${seen}`)), 30_000);
    child.stderr.on('data', (chunk) => {
      seen += chunk;
      const match = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${seen}`)));
  });
  try {
    for (const [p, headers] of [['/hello', {}], ['/v2/secret', {}], ['/v2/secret', { authorization: 'Bearer demo' }]]) {
      const res = await fetch(`${proxyUrl}${p}`, { headers });
      const body = await res.text();
      process.stderr.write(`GET ${p}${headers.authorization ? ' (with authorization)' : ''} -> ${res.status} x-wasm-plugin=${res.headers.get('x-wasm-plugin')} ${body.trim()}\n`);
    }
  } finally {
    child.kill('SIGINT');
    upstream.close();
  }
}
