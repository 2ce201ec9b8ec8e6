// Types of apiserver.mjs (a real Kubernetes API server on 127.0.0.1 for tests and the bench).

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface StartedApiServer {
  /** https://127.0.0.1:PORT */
  url: string;
  /** A kubeconfig whose current context is the admin user (client certificate, group system:masters). */
  kubeconfig: string;
  /** The temp dir holding certificates, the kubeconfig, etcd's data and both servers' logs. */
  dir: string;
  /** Milliseconds from spawning etcd to the API server's /readyz answering 200 (CRDs not included). */
  startMs: number;
  /** Milliseconds from spawning etcd to its /health answering 200. */
  etcdMs: number;
  pids: { etcd: number | undefined; apiserver: number | undefined };
  /** kubectl against this server (`--kubeconfig` added), never throwing on a non-zero exit. */
  kubectl(args: string[], input?: string): Promise<Ran>;
  /** A kubeconfig for another user (a client certificate: CN user, O groups), with only what RBAC grants it. */
  kubeconfigFor(user: string, groups?: string[]): Promise<string>;
  /** Stops kube-apiserver, then etcd, by PID (SIGTERM, SIGKILL after 10 s), and removes the temp dir. */
  stop(): Promise<void>;
}

export interface ApiServerOptions {
  /** Install Istio's WasmPlugin and TrafficExtension CRDs (default true). */
  istioCrds?: boolean;
  /** Bound on each server's start-up, default 180 s: two shared cores. */
  timeoutMs?: number;
  /** The directory holding kube-apiserver and etcd (default: apiServerBinaries()). */
  binaries?: string;
}

export const apiServerBuildScript: string;
export const istioCrdFixtures: string[];
export function apiServerBinaries(): string;
export function hasTool(tool: string): boolean;
export function run(command: string, args: string[], options?: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Promise<Ran>;
export function installIstioCrds(server: Pick<StartedApiServer, 'kubectl'>): Promise<void>;
export function startApiServer(options?: ApiServerOptions): Promise<StartedApiServer>;
