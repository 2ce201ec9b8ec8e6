#!/usr/bin/env bash
# Installs the real toolchains the integration tests build the Rust and C++ templates with, once per
# machine, and caches them under ~/.cache/create-istio-wasm/toolchains (or $CREATE_ISTIO_WASM_CACHE):
#   trixie/  a `debootstrap --variant=minbase trixie` root with rustc 1.85 + cargo + the wasm32 std
#            (libstd-rust-dev-wasm32, rust-llvm, lld-19) and Emscripten (em++ 3.1.69)
#   bin/     wrappers (cargo, rustc, em++, emcc) that run those inside the root, in a private mount
#            namespace where the host's /tmp, /work, /home, /root … appear at the same paths, so
#            `istio-wasm build` runs `cargo build --target wasm32-wasip1` / `make -f Makefile.build`
#            exactly as a user's machine would, with the project where it is.
# Go needs nothing here: the machine's `go` (>= 1.24) builds the Go template; the SDK comes from the
# module proxy. Prints the bin directory on stdout. Needs root (debootstrap, chroot, mount).
# Under CI=true a failure fails the run; elsewhere it says what is missing and exits non-zero too.
set -euo pipefail

cache="${CREATE_ISTIO_WASM_CACHE:-$HOME/.cache/create-istio-wasm}/toolchains"
root="$cache/trixie"
bin="$cache/bin"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Bump when the package list or the wrappers change: a stale root is rebuilt, never half-reused.
stamp_version="1"
packages=(rustc cargo libstd-rust-dev-wasm32 rust-llvm lld-19 emscripten ca-certificates)

log() { echo "toolchains: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "needs root (debootstrap and chroot); run the tests as root or install the toolchains yourself"
  exit 1
fi

mkdir -p "$cache"
# One installer at a time on a machine (parallel test runs share the cache).
exec 9>"$cache/.lock"
flock 9

if [ "$(cat "$root/.create-istio-wasm-stamp" 2>/dev/null || true)" != "$stamp_version" ]; then
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2
  fi
  started=$(date +%s)
  partial="$root.partial-$$"
  rm -rf "$root" "$partial"
  trap 'rm -rf "$partial"' EXIT
  log "creating a Debian trixie root with ${packages[*]} (once per machine; a few minutes)"
  include=$(IFS=,; echo "${packages[*]}")
  debootstrap --variant=minbase --include="$include" trixie "$partial" "$mirror" >&2 \
    || { log "debootstrap failed (see $partial/debootstrap/debootstrap.log)"; cp "$partial/debootstrap/debootstrap.log" "$cache/debootstrap.log" 2>/dev/null || true; exit 1; }
  rm -rf "$partial/var/cache/apt/archives/"*.deb
  echo "$stamp_version" >"$partial/.create-istio-wasm-stamp"
  mv "$partial" "$root"
  trap - EXIT
  log "trixie root ready in $(( $(date +%s) - started ))s"
fi

# The wrappers: one script, and one line per tool naming it. Each is replaced atomically (a test
# may be running one) and only when it changed.
mkdir -p "$bin"
install_file() { # name, content
  if [ "$(cat "$bin/$1" 2>/dev/null || true)" != "$2" ]; then
    printf '%s\n' "$2" >"$bin/.$1.$$"
    chmod +x "$bin/.$1.$$"
    mv -f "$bin/.$1.$$" "$bin/$1"
  fi
}
install_file run-in-trixie "$(cat <<'WRAPPER'
#!/usr/bin/env bash
# Runs a tool of the trixie root with the host's user directories at the same paths.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")/trixie"
tool="$1"; shift
if [ -z "${CREATE_ISTIO_WASM_IN_NS:-}" ]; then
  export CREATE_ISTIO_WASM_IN_NS=1
  exec unshare --mount --propagation private "$0" "$tool" "$@"
fi
# Inside a private mount namespace: these mounts vanish with the process.
for dir in /*; do
  name="${dir#/}"
  case "$name" in
    bin|boot|dev|etc|lib|lib32|lib64|libx32|lost+found|proc|run|sbin|sys|usr|var) continue ;;
  esac
  [ -d "$dir" ] && [ ! -L "$dir" ] || continue
  mkdir -p "$root/$name"
  mount --rbind "$dir" "$root/$name"
done
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
# The host's name resolution and the certificate authorities it trusts (a proxy's own CA included).
for file in /etc/resolv.conf /etc/hosts; do
  [ -e "$file" ] && cp -L "$file" "$root$file" 2>/dev/null || true
done
[ -d /etc/ssl/certs ] && mount --rbind /etc/ssl/certs "$root/etc/ssl/certs"
cwd="$(pwd)"
chroot="$(command -v chroot)"
export PATH=/usr/local/bin:/usr/bin:/bin
export CARGO_HOME="${TRIXIE_CARGO_HOME:-$(dirname "$here")/cargo-home}"
# Emscripten keeps Debian's prebuilt, frozen cache of system libraries (no EM_CACHE of ours).
unset EM_CACHE
mkdir -p "$CARGO_HOME"
exec "$chroot" "$root" /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$cwd" "$tool" "$@"
WRAPPER
)"
for tool in cargo rustc em++ emcc; do
  install_file "$tool" "$(printf '#!/bin/sh\nexec "$(dirname "$0")/run-in-trixie" %s "$@"' "$tool")"
done
echo "$bin"
