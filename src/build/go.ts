import { existsSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { versions } from '../versions.js';
import { runTool, toolVersion } from './exec.js';
import type { BuildContext, LanguageBuilder, ToolCheck } from './types.js';

const minimumGo = versions.goVersion;
const dockerHint = 'or `istio-wasm build --docker` to build in the Dockerfile';
const goFix = `install Go ${minimumGo} or newer from https://go.dev/dl (the proxy-wasm Go SDK builds WASI reactors with it) or TinyGo from https://tinygo.org, ${dockerHint}`;

/** `1.24.3` from `go version go1.24.3 linux/amd64`. */
export function goVersionOf(line: string): string | undefined {
  return /\bgo(\d+\.\d+(?:\.\d+)?)/.exec(line)?.[1];
}

/** `0.37.0` from `tinygo version 0.37.0 linux/amd64 (using go version go1.24.1 …)`. */
export function tinygoVersionOf(line: string): string | undefined {
  return /tinygo version (\d+\.\d+(?:\.\d+)?)/.exec(line)?.[1];
}

/** a >= b for dotted versions. */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

interface GoToolchain {
  /** `go` >= 1.24, when present. */
  go?: string;
  /** Version of a `go` that is too old. */
  oldGo?: string;
  tinygo?: string;
}

async function findToolchain(root: string): Promise<GoToolchain> {
  const found: GoToolchain = {};
  const goLine = await toolVersion('go', ['version'], root);
  const go = goLine ? goVersionOf(goLine) : undefined;
  if (go && versionAtLeast(go, minimumGo)) found.go = go;
  else if (go) found.oldGo = go;
  const tinygoLine = await toolVersion('tinygo', ['version'], root);
  const tinygo = tinygoLine ? tinygoVersionOf(tinygoLine) : undefined;
  if (tinygo) found.tinygo = tinygo;
  return found;
}

/**
 * The Go template's builder: `go` >= 1.24 when present (what proxy-wasm-go-sdk recommends: a WASI
 * reactor with -buildmode=c-shared), else `tinygo`; it says which it uses and why.
 */
export const goBuilder: LanguageBuilder = {
  language: 'go',

  async toolchain(root: string): Promise<ToolCheck[]> {
    const found = await findToolchain(root);
    const check: ToolCheck = { tool: `go >= ${minimumGo} (or tinygo)`, found: Boolean(found.go ?? found.tinygo), fix: goFix };
    if (found.go) check.version = `go ${found.go}`;
    else if (found.tinygo) check.version = `tinygo ${found.tinygo}`;
    else if (found.oldGo) check.version = `go ${found.oldGo} (too old)`;
    return [check];
  },

  async build(ctx: BuildContext): Promise<void> {
    const found = await findToolchain(ctx.root);
    if (!found.go && !found.tinygo) {
      const message = found.oldGo
        ? `go ${found.oldGo} is installed, but the proxy-wasm Go SDK needs Go ${minimumGo} or newer (and tinygo is not installed)`
        : `neither go (>= ${minimumGo}) nor tinygo is installed`;
      throw new CliError('TOOLCHAIN_MISSING', message, { hint: goFix });
    }
    if (!existsSync(path.join(ctx.root, 'go.mod'))) {
      throw new CliError('BUILD_FAILED', 'go.mod not found in the project', { hint: 'a Go plugin is a Go module requiring github.com/proxy-wasm/proxy-wasm-go-sdk' });
    }
    const common = { cwd: ctx.root, signal: ctx.signal, onOutput: ctx.onOutput, missingHint: goFix };
    const tool = found.go ? 'go' : 'tinygo';
    ctx.onNote?.(found.go
      ? `using go ${found.go} (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared)`
      : `using tinygo ${found.tinygo ?? ''} (${found.oldGo ? `go ${found.oldGo} is older than ${minimumGo}` : 'go is not installed'})`);
    if (!existsSync(path.join(ctx.root, 'go.sum'))) {
      // First build: resolve the SDK and write go.sum (needs the module proxy once). TinyGo uses
      // the go command for modules too; without it, tinygo reports what is missing itself.
      await runTool('go', ['mod', 'tidy'], common).catch((error: unknown) => {
        if (!found.go && error instanceof CliError && error.code === 'TOOLCHAIN_MISSING') return;
        throw error;
      });
    }
    if (found.go) {
      await runTool('go', ['build', '-buildmode=c-shared', '-o', ctx.output, '.'], {
        ...common,
        env: { ...process.env, GOOS: 'wasip1', GOARCH: 'wasm' },
      });
    } else {
      await runTool('tinygo', ['build', '-o', ctx.output, '-scheduler=none', '-target=wasip1', '-buildmode=c-shared', '.'], common);
    }
    if (!existsSync(ctx.output)) {
      throw new CliError('BUILD_FAILED', `${tool} finished but wrote no module`, { hint: 'check the build output above' });
    }
  },
};
