// A real Kubernetes API server on 127.0.0.1 for the tests and `npm run bench` (plain JavaScript so
// the bench can load it; types in apiserver.d.mts): etcd and kube-apiserver built from their Go
// modules by test/apiserver/build.sh (once per machine, cached), started with a CA, serving and
// client certificates made by openssl, a service-account key pair and a kubeconfig in a temp dir,
// and stopped by PID. Istio 1.30's WasmPlugin and TrafficExtension CRDs (test/fixtures/istio) are
// installed and Established before it is handed out, unless asked not to. No controller-manager
// runs: objects are stored and validated (schema, CEL rules, admission) but nothing reconciles
// them — a Deployment gets no pods, a deleted namespace stays Terminating.
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { request } from 'node:https';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const apiServerBuildScript = path.join(repoRoot, 'test', 'apiserver', 'build.sh');
export const istioCrdFixtures = ['istio-wasmplugin-crd.yaml', 'istio-trafficextension-crd.yaml'].map((f) => path.join(repoRoot, 'test', 'fixtures', 'istio', f));

/** The directory holding kube-apiserver and etcd (and build-seconds), building them first when the pins changed. */
export function apiServerBinaries() {
  const built = spawnSync('bash', [apiServerBuildScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 60 * 60_000 });
  if (built.status !== 0) throw new Error(`test/apiserver/build.sh failed (exit ${built.status ?? built.signal}); see its output above`);
  return built.stdout.trim().split('\n').pop() ?? '';
}

export function hasTool(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Runs a command to the end, never throwing on a non-zero exit; killed after timeoutMs (60 s). */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, ...(options.cwd ? { cwd: options.cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d.toString()));
    child.stderr.on('data', (d) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function openssl(args, cwd) {
  const done = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (done.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${done.error?.message ?? done.stderr}`);
}

const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function leafCertificate(dir, name, subject, extensions) {
  await writeFile(path.join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], dir);
}

/** A client certificate: the API server takes CN as the user name and each O as a group. */
function clientCertificate(dir, file, user, groups) {
  return leafCertificate(dir, file, `${groups.map((g) => `/O=${g}`).join('')}/CN=${user}`, ['extendedKeyUsage=clientAuth', 'keyUsage=critical,digitalSignature']);
}

/** A CA, a serving certificate for 127.0.0.1/localhost and an admin client certificate (ECDSA P-256), plus the service-account RSA key pair. */
async function writeCertificates(dir) {
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=istio-wasm-test-ca'], dir);
  await leafCertificate(dir, 'apiserver', '/CN=kube-apiserver', ['subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc', 'extendedKeyUsage=serverAuth', 'keyUsage=critical,digitalSignature']);
  await clientCertificate(dir, 'admin', 'istio-wasm-test-admin', ['system:masters']);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(path.join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(path.join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
}

async function writeKubeconfig(dir, url, file = 'admin') {
  const b64 = async (file) => (await readFile(path.join(dir, file))).toString('base64');
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    `  cluster: { server: "${url}", certificate-authority-data: ${await b64('ca.crt')} }`,
    'users:',
    `- name: ${file}`,
    `  user: { client-certificate-data: ${await b64(`${file}.crt`)}, client-key-data: ${await b64(`${file}.key`)} }`,
    'contexts:',
    '- name: test',
    `  context: { cluster: test, user: ${file}, namespace: default }`,
    'current-context: test',
    '',
  ].join('\n');
  const out = path.join(dir, file === 'admin' ? 'kubeconfig' : `kubeconfig-${file}`);
  await writeFile(out, text, { mode: 0o600 });
  return out;
}

function startProcess(binary, args, logFile) {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: path.dirname(logFile) } });
  const log = createWriteStream(logFile);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  return child;
}

async function tail(file) {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-25).join('\n');
}

/** Polls until probe() is true, failing early when the process exits, and after timeoutMs. */
async function waitFor(what, child, logFile, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${await tail(logFile)}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs / 1000} s:\n${await tail(logFile)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function answersOk(url, tls) {
  return new Promise((resolve) => {
    const onResponse = (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    };
    const req = tls ? request(url, { ...tls, timeout: 2_000 }, onResponse) : httpGet(url, { timeout: 2_000 }, onResponse);
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

/** Applies Istio 1.30's WasmPlugin and TrafficExtension CRDs (as crd-all.gen.yaml has them) and waits until they are served. */
export async function installIstioCrds(server) {
  const applied = await server.kubectl(['apply', '--server-side', '--field-manager=istio-wasm-tests', ...istioCrdFixtures.flatMap((f) => ['-f', f])]);
  if (applied.code !== 0) throw new Error(`installing Istio's CRDs failed: ${applied.stderr}`);
  const established = await server.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/wasmplugins.extensions.istio.io', 'crd/trafficextensions.extensions.istio.io']);
  if (established.code !== 0) throw new Error(`Istio's CRDs did not become Established: ${established.stderr}`);
}

export async function startApiServer(options = {}) {
  const bin = options.binaries ?? apiServerBinaries();
  const timeoutMs = options.timeoutMs ?? 180_000;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ciw-apiserver-'));
  const children = [];
  const stop = async () => {
    for (const child of [...children].reverse()) await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await writeCertificates(dir);
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const started = Date.now();
    const etcdLog = path.join(dir, 'etcd.log');
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = startProcess(
      path.join(bin, 'etcd'),
      [
        '--name=test',
        `--data-dir=${path.join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=test=${peerUrl}`,
        // A throwaway store: no fsync per write.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      etcdLog,
    );
    children.push(etcd);
    await waitFor('etcd', etcd, etcdLog, timeoutMs, () => answersOk(`${etcdUrl}/health`));
    const etcdMs = Date.now() - started;

    const apiLog = path.join(dir, 'kube-apiserver.log');
    const url = `https://127.0.0.1:${apiPort}`;
    const apiserver = startProcess(
      path.join(bin, 'kube-apiserver'),
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${dir}`,
        `--tls-cert-file=${path.join(dir, 'apiserver.crt')}`,
        `--tls-private-key-file=${path.join(dir, 'apiserver.key')}`,
        `--client-ca-file=${path.join(dir, 'ca.crt')}`,
        `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=RBAC',
        '--allow-privileged=true',
        // No controller-manager creates service accounts; no pod is ever created here anyway.
        '--disable-admission-plugins=ServiceAccount',
      ],
      apiLog,
    );
    children.push(apiserver);
    const tls = { ca: await readFile(path.join(dir, 'ca.crt')), cert: await readFile(path.join(dir, 'admin.crt')), key: await readFile(path.join(dir, 'admin.key')) };
    await waitFor('kube-apiserver', apiserver, apiLog, timeoutMs, () => answersOk(`${url}/readyz`, tls));
    const startMs = Date.now() - started;
    const kubeconfig = await writeKubeconfig(dir, url);
    const kubectl = (args, input) => run('kubectl', ['--kubeconfig', kubeconfig, ...args], input === undefined ? {} : { input });
    let users = 0;
    const kubeconfigFor = async (user, groups = []) => {
      const file = `user-${users++}`;
      await clientCertificate(dir, file, user, groups);
      return writeKubeconfig(dir, url, file);
    };
    const server = { url, kubeconfig, dir, startMs, etcdMs, pids: { etcd: etcd.pid, apiserver: apiserver.pid }, kubectl, kubeconfigFor, stop };
    if (options.istioCrds ?? true) await installIstioCrds(server);
    return server;
  } catch (error) {
    await stop();
    throw error;
  }
}
