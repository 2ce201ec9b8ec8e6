import { existsSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { versions } from '../versions.js';
import { runTool, toolVersion } from './exec.js';
import { versionAtLeast } from './go.js';
import type { BuildContext, LanguageBuilder, ToolCheck } from './types.js';

const dockerHint = 'or `istio-wasm build --docker` to build in the Dockerfile';
const minimumEmxx = versions.emscriptenMinimum;
const emxxFix = `install Emscripten ${minimumEmxx} or newer (\`./emsdk install latest && ./emsdk activate latest && source emsdk_env.sh\`, https://emscripten.org/docs/getting_started/downloads.html; Debian trixie: \`apt-get install emscripten\`), ${dockerHint}`;

/** `3.1.69` from `emcc (Emscripten gcc/clang-like replacement + linker emulating GNU ld) 3.1.69 (…)`. */
export function emxxVersionOf(line: string): string | undefined {
  return /\)\s+(\d+\.\d+\.\d+)/.exec(line)?.[1] ?? /\b(\d+\.\d+\.\d+)\b/.exec(line)?.[1];
}
const makeFix = `install make (Debian/Ubuntu: \`apt-get install make\`), ${dockerHint}`;
const sdkFix = `clone https://github.com/proxy-wasm/proxy-wasm-cpp-sdk and set PROXY_WASM_CPP_SDK to it (or put it in ./proxy-wasm-cpp-sdk or ../proxy-wasm-cpp-sdk), ${dockerHint}`;
const buildFile = 'Makefile.build';

/** proxy-wasm-cpp-sdk: $PROXY_WASM_CPP_SDK, else ./proxy-wasm-cpp-sdk or ../proxy-wasm-cpp-sdk. */
export function findCppSdk(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [
    ...(env.PROXY_WASM_CPP_SDK ? [path.resolve(root, env.PROXY_WASM_CPP_SDK)] : []),
    path.join(root, 'proxy-wasm-cpp-sdk'),
    path.resolve(root, '..', 'proxy-wasm-cpp-sdk'),
  ];
  return candidates.find((dir) => existsSync(path.join(dir, 'proxy_wasm_intrinsics.h')) && existsSync(path.join(dir, 'proxy_wasm_intrinsics.cc')));
}

export const cppBuilder: LanguageBuilder = {
  language: 'cpp',

  async toolchain(root: string): Promise<ToolCheck[]> {
    const emxx = await toolVersion('em++', ['--version'], root);
    const make = await toolVersion('make', ['--version'], root);
    const sdk = findCppSdk(root);
    const version = emxx ? emxxVersionOf(emxx) : undefined;
    // Makefile.build sets -sINITIAL_HEAP, which older em++ refuses ("Attempt to set a non-existent setting").
    const tooOld = version !== undefined && !versionAtLeast(version, minimumEmxx);
    const emxxCheck: ToolCheck = { tool: 'em++ (Emscripten)', found: emxx !== undefined && !tooOld, fix: emxxFix };
    if (emxx) emxxCheck.version = tooOld ? `${version} (too old: Makefile.build's -sINITIAL_HEAP needs ${minimumEmxx} or newer)` : (version ?? emxx);
    const makeCheck: ToolCheck = { tool: 'make', found: make !== undefined, fix: makeFix };
    if (make) makeCheck.version = make;
    const sdkCheck: ToolCheck = { tool: 'proxy-wasm-cpp-sdk', found: sdk !== undefined, fix: sdkFix };
    if (sdk) sdkCheck.version = sdk;
    return [emxxCheck, makeCheck, sdkCheck];
  },

  async build(ctx: BuildContext): Promise<void> {
    const [emxx, make, sdk] = await this.toolchain(ctx.root);
    if (!emxx?.found) {
      const message = emxx?.version ? `em++ ${emxx.version}` : 'em++ (Emscripten) is not installed (the C++ SDK builds with it)';
      throw new CliError('TOOLCHAIN_MISSING', message, { hint: emxxFix });
    }
    if (!make?.found) throw new CliError('TOOLCHAIN_MISSING', 'make is not installed', { hint: makeFix });
    const sdkDir = findCppSdk(ctx.root);
    if (!sdk?.found || !sdkDir) {
      throw new CliError('TOOLCHAIN_MISSING', 'proxy-wasm-cpp-sdk was not found (its headers and proxy_wasm_intrinsics.cc are needed)', { hint: sdkFix });
    }
    if (!existsSync(path.join(ctx.root, buildFile))) {
      throw new CliError('BUILD_FAILED', `${buildFile} not found in the project`, { hint: 'restore the build file the template generated' });
    }
    await runTool('make', ['-f', buildFile, `PROXY_WASM_CPP_SDK=${sdkDir}`, `OUT=${ctx.output}`], {
      cwd: ctx.root,
      signal: ctx.signal,
      onOutput: ctx.onOutput,
      missingHint: makeFix,
    });
    if (!existsSync(ctx.output)) {
      throw new CliError('BUILD_FAILED', `make -f ${buildFile} finished but wrote no module`, { hint: 'check the build output above' });
    }
  },
};
