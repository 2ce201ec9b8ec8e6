#!/usr/bin/env bash
# Installs the Debian packages the integration tests talk to, only when one is missing:
# the CNCF distribution registry, skopeo (an independent OCI client), htpasswd, buildah,
# wabt (wasm inspection), clang + lld + wasi-libc (a C plugin against the raw ABI), git,
# kubectl (offline `kubectl patch --local` checks; Debian ships it as kubernetes-client); and, through
# scripts/toolchains.sh, the Rust (cargo, wasm32-wasip1) and C++ (em++) toolchains the templates build with;
# openssl (certificates for the test API server) and, through test/apiserver/build.sh, kube-apiserver
# and etcd built from their Go modules (cached per pin) for the deploy tests; chromium (Debian's, driven
# by playwright-core for serve's timeline page).
# Under CI=true a tool that cannot be installed fails the run; elsewhere it says what to install.
set -euo pipefail

# The real Rust and C++ toolchains (a cached Debian trixie root, wrappers on a PATH the tests use).
bash "$(dirname "$0")/toolchains.sh" >/dev/null

# kube-apiserver and etcd for test/e2e/deploy-cluster.test.ts (minutes once per machine, then cached).
if ! bash "$(dirname "$0")/../test/apiserver/build.sh" >/dev/null; then
  echo "test-tools: kube-apiserver and etcd could not be built (see above; they need go >= 1.26 and the Go module proxy)" >&2
  if [ -n "${CI:-}" ] && [ "${CI}" != "false" ]; then exit 1; fi
fi

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
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "test-tools: installing ${packages[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
fi
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
  exit 0
fi
echo "test-tools: missing ${packages[*]}; install them with: apt-get install ${packages[*]}" >&2
if [ -n "${CI:-}" ] && [ "${CI}" != "false" ]; then
  exit 1
fi
