#!/usr/bin/env bash
# Installs the Debian packages the integration tests talk to, only when one is missing:
# the CNCF distribution registry, skopeo (an independent OCI client), htpasswd, buildah,
# wabt (wasm inspection), clang + lld + wasi-libc (a C plugin against the raw ABI), git,
# kubectl (offline `kubectl patch --local` checks; Debian ships it as kubernetes-client); and, through
# scripts/toolchains.sh, the Rust (cargo, wasm32-wasip1) and C++ (em++) toolchains the templates build with;
# openssl (certificates for the test API server) and, through test/apiserver/build.sh, kube-apiserver
# and etcd built from their Go modules (cached per pin) for the deploy tests; chromium (Debian's, driven
# by playwright-core for serve's timeline page).
# Order: the Debian packages first (one apt run, debootstrap among them), then the slow builds side
# by side: the trixie root downloads and unpacks (network and disk) while kube-apiserver, etcd and the
# Istio oracle compile (CPU). On a fresh machine that overlap saves most of the root's minutes; on a
# machine that ran the tests before, every step is a cache hit.
# Under CI=true a tool that cannot be installed fails the run; elsewhere it says what to install.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
in_ci() { [ -n "${CI:-}" ] && [ "${CI}" != "false" ]; }

declare -A tools=(
  [docker-registry]=docker-registry
  [skopeo]=skopeo
  [htpasswd]=apache2-utils
  [buildah]=buildah
  [wasm-validate]=wabt
  [wasm-objdump]=wabt
  [wat2wasm]=wabt
  [clang]=clang
  [wasm-ld]=lld
  [git]=git
  [make]=make
  [kubectl]=kubernetes-client
  [openssl]=openssl
  [chromium]=chromium
  [debootstrap]=debootstrap
)
# Files that only packages provide (no command to look for).
declare -A files=(
  [/usr/include/wasm32-wasi/stdlib.h]=wasi-libc
  [/usr/lib/llvm-14/lib/clang/14.0.6/lib/wasi/libclang_rt.builtins-wasm32.a]=libclang-rt-14-dev-wasm32
)

missing=()
for tool in "${!tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${tools[$tool]}")
done
for file in "${!files[@]}"; do
  [ -e "$file" ] || missing+=("${files[$file]}")
done
install_packages() {
  [ ${#missing[@]} -eq 0 ] && return 0
  mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "test-tools: installing ${packages[*]}" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
    return 0
  fi
  echo "test-tools: missing ${packages[*]}; install them with: apt-get install ${packages[*]}" >&2
  if in_ci; then return 1; fi
  return 0
}
install_packages

# The real Rust and C++ toolchains (a cached Debian trixie root, wrappers on a PATH the tests use)
# in the background...
bash "$here/toolchains.sh" >/dev/null &
toolchains=$!

# ...while the Go programs the tests run compile: kube-apiserver and etcd for
# test/e2e/deploy-cluster.test.ts, and the Istio oracle (both minutes once per machine, then cached).
if ! bash "$here/../test/apiserver/build.sh" >/dev/null; then
  echo "test-tools: kube-apiserver and etcd could not be built (see above; they need go >= 1.26 and the Go module proxy)" >&2
  if in_ci; then kill "$toolchains" 2>/dev/null || true; exit 1; fi
fi
if ! node "$here/../test/oracle/build.mjs" >/dev/null; then
  echo "test-tools: the Istio oracle (test/oracle) could not be built (see above; it needs go >= 1.26 and the Go module proxy)" >&2
  kill "$toolchains" 2>/dev/null || true
  exit 1
fi

if ! wait "$toolchains"; then
  echo "test-tools: the Rust and C++ toolchains could not be installed (see above)" >&2
  exit 1
fi
