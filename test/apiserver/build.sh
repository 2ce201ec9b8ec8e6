#!/usr/bin/env bash
# Builds kube-apiserver and etcd from their Go modules (go.mod beside this script, through the Go
# module proxy) once per machine, and caches the binaries under
# ~/.cache/create-istio-wasm/apiserver/<key>/ (or $CREATE_ISTIO_WASM_CACHE), where <key> hashes
# go.mod, go.sum, this script and the Go version: a new pin, new flags or a new Go build again,
# anything else reuses them.
# The Go build cache (go env GOCACHE) keeps the compiled packages, so a rebuild after a pin change
# only compiles what changed. Prints the directory holding both binaries on stdout.
# Concurrent runs (vitest workers, npm test) wait for one build under a lock instead of racing.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${CREATE_ISTIO_WASM_CACHE:-$HOME/.cache/create-istio-wasm}/apiserver"
log() { echo "apiserver: $*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  log "go is not on PATH; the API server tests build kube-apiserver and etcd with Go >= 1.26"
  exit 1
fi
key="$( { cat "$here/go.mod" "$here/go.sum" "$here/build.sh"; go env GOVERSION GOOS GOARCH; } | sha256sum | cut -c1-16)"
out="$cache/$key"
ready() { [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ]; }

if ready; then
  echo "$out"
  exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if ready; then
  echo "$out"
  exit 0
fi

partial="$cache/.partial-$$"
rm -rf "$partial"
trap 'rm -rf "$partial"' EXIT
mkdir -p "$partial"
log "building kube-apiserver and etcd (once per machine and pin; minutes on 2 cores)"
started=$(date +%s)
# The version the API server reports (/version, `kubectl version`), as Kubernetes' own build stamps
# it (hack/lib/version.sh); unstamped it says v0.0.0-master+$Format:%H$, which kubectl cannot parse.
k8s="$(awk '$1 == "k8s.io/kubernetes" { print $2 }' "$here/go.mod")"
minor="$(echo "$k8s" | cut -d. -f2)"
ldflags="-s"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
# `tool` is the go.mod's tool block: k8s.io/kubernetes/cmd/kube-apiserver and etcd's server main.
(cd "$here" && GOFLAGS="${GOFLAGS:-} -mod=readonly -buildvcs=false" nice -n 10 go build -trimpath -ldflags="$ldflags" -o "$partial/" tool) >&2
# etcd's main package is go.etcd.io/etcd/server/v3: go names that binary after "server".
mv "$partial/server" "$partial/etcd"
seconds=$(( $(date +%s) - started ))
echo "$seconds" >"$partial/build-seconds"
# CPU seconds of the build (this shell's children: go and its compilers), a measure that does not
# depend on what else the machine ran meanwhile.
# (`times` in a pipe would run in a subshell, which has no children: write it to a file first.)
times >"$partial/times"
tail -1 "$partial/times" | awk '{ split($1, u, "m"); split($2, s, "m"); printf "%d\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' >"$partial/build-cpu-seconds"
rm "$partial/times"
rm -rf "$out"
mv "$partial" "$out"
trap - EXIT
# Under the lock, any other directory is an older pin's binaries or a killed build's leftovers.
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
log "built in ${seconds}s ($(cat "$out/build-cpu-seconds") CPU seconds): $out"
echo "$out"
