/**
 * Versions of what generated projects depend on, in one place (data only). Bump here, and every
 * template follows. Istio facts per version (fields, enums, limits) live in src/istio/.
 */
export const versions = {
  /** asc compiler used by AssemblyScript projects (our SDK is written for 0.28). */
  assemblyscript: '~0.28.9',
  /** Test runner in generated projects. */
  vitest: '^3.2.4',
  /** Rust: the proxy-wasm crate (proxy-wasm-rust-sdk) and its target. */
  proxyWasmRust: '0.2.5', // latest on crates.io/docs.rs (MSRV 1.68)
  rustTarget: 'wasm32-wasip1',
  rustToolchainImage: 'rust:1.86-slim',
  /**
   * TinyGo / Go: github.com/proxy-wasm/proxy-wasm-go-sdk. The SDK has no tags; this pseudo-version
   * names its commit ab4161dcf924 (Feb 2025, after the Go 1.24 port), as pinned in the go.mod of
   * projects built on it. `go get github.com/proxy-wasm/proxy-wasm-go-sdk@latest` moves a project on.
   */
  proxyWasmGoSdk: 'v0.0.0-20250212164326-ab4161dcf924',
  /** The SDK builds WASI reactors (-buildmode=c-shared), new in Go 1.24. */
  goVersion: '1.24',
  /** Builder stage of the Go Dockerfile (the SDK documents Go 1.24, not TinyGo, as its toolchain). */
  goImage: 'golang:1.24',
  tinygoImage: 'tinygo/tinygo:0.37.0',
  /**
   * C++: github.com/proxy-wasm/proxy-wasm-cpp-sdk, the git ref the Dockerfile fetches. The SDK has
   * no release tags and no commit could be confirmed as current, so this is `HEAD` (its default
   * branch, always valid); set a commit SHA here, or `--build-arg PROXY_WASM_CPP_SDK_REF=<sha>`, to pin.
   */
  proxyWasmCppSdk: 'HEAD',
  /** Emscripten release the C++ SDK's docs/building.md names as known to work. */
  emscriptenImage: 'emscripten/emsdk:3.1.67',
  /** Oldest em++ that knows the template's -sINITIAL_HEAP (added in Emscripten 3.1.55). */
  emscriptenMinimum: '3.1.55',
  /** Node image for the AssemblyScript Dockerfile's builder stage. */
  nodeImage: 'node:20-slim',
} as const;

/** Istio minor versions a project can target, newest first. The default is the newest. */
export const istioVersions = [
  '1.30', '1.29', '1.28', '1.27', '1.26', '1.25', '1.24', '1.23', '1.22', '1.21', '1.20',
  '1.19', '1.18', '1.17', '1.16', '1.15', '1.14', '1.13', '1.12',
] as const;

export type IstioVersion = (typeof istioVersions)[number];
export const defaultIstioVersion: IstioVersion = '1.30';
