/**
 * One line of `istio-wasm doctor`. `required` checks decide the exit code (what the project needs to
 * build: Node and its language's toolchain); the rest inform (engines, sealos, kubectl, registry,
 * cluster), because every command that needs them says so itself when it runs.
 */
export type CheckStatus = 'ok' | 'missing' | 'warn' | 'skipped';

export interface DoctorCheck {
  /** Group: node, toolchain, tools, registry, cluster. */
  group: 'node' | 'toolchain' | 'tools' | 'registry' | 'cluster';
  name: string;
  status: CheckStatus;
  required: boolean;
  /** What was found (a version, an address); never a credential. */
  detail?: string;
  /** How to fix it, when not ok. */
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  project: { root: string; language: string; image: string; istioVersion: string } | null;
  checks: DoctorCheck[];
}
