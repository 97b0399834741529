#!/usr/bin/env bash
# Builds a local Kubernetes control plane from pinned Go modules, without any download site or
# container image, into .tools/k8s/bin (git-ignored):
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl   k8s.io/kubernetes (pins: modules/go.mod)
#   etcd                                                               go.etcd.io/etcd/server/v3 (same module graph)
#   kwok                                                               sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION
# tools/k8s/up.sh starts them; kwok stands in for the kubelet of a simulated node.
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod reaches its ~31 staging modules through
# local ./staging replaces. tools/k8s/modules/go.mod (written by tools/k8s/pin.sh) requires it
# and replaces each staging module by its published version; its go.sum is committed. The five
# control-plane binaries are built in ONE `go build` so their shared packages compile once.
#
# Reuse: each group has a stamp (.tools/k8s/bin/.stamps/NAME) holding a hash of its recipe (pins,
# flags, Go version); a group whose stamp matches is not rebuilt, so a second run only checks.
# Go's own build and module caches make a rebuild after a pin change cheaper.
# Cold (empty Go build cache) on 2 idle cores: about 6 minutes for the control plane and 2 for kwok,
# plus about 1 minute of module downloads (~600 MB) on an empty module cache; 16-20 minutes in all
# when another build shares the cores. A second run with nothing changed takes well under a second.
#
# Usage: tools/k8s/build.sh            (K8S_BUILD_VERBOSE=1 prints every compiled package)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/tools/k8s"
mod="$here/modules"
bin="$root/.tools/k8s/bin"
stamps="$bin/.stamps"
logs="$root/.tools/k8s/logs"
RECIPE_REV=1 # bump to force a rebuild after a change to the recipes below
KWOK_MODULE=sigs.k8s.io/kwok
KWOK_VERSION=v0.8.0

log() { printf '[k8s-build] %s\n' "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }
elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

command -v go >/dev/null 2>&1 || die "go is not on PATH (Go >= 1.24 is needed; kwok $KWOK_VERSION needs >= 1.26)"
export GOTOOLCHAIN=local CGO_ENABLED=0 GO111MODULE=on
unset GOFLAGS GOWORK
mkdir -p "$bin" "$stamps" "$logs"

# The versions come from the committed go.mod, so there is one place to change them (pin.sh).
k8s_version="$(sed -n 's/^[[:space:]]*k8s.io\/kubernetes \(v[0-9.]*\).*/\1/p' "$mod/go.mod" | head -1)"
etcd_version="$(sed -n 's/^[[:space:]]*go.etcd.io\/etcd\/server\/v3 \(v[0-9.]*\).*/\1/p' "$mod/go.mod" | head -1)"
[ -n "$k8s_version" ] && [ -n "$etcd_version" ] || die "no k8s.io/kubernetes or etcd server version in $mod/go.mod"

key_of() { # recipe key: name + what decides the binaries
  printf '%s rev%s %s %s\n' "$1" "$RECIPE_REV" "$(go env GOVERSION)" "$(cat "${@:2}" | sha256sum | cut -c1-16)"
}
is_current() { # $1 = stamp name, $2 = key, rest = binaries that must exist
  local s="$1" k="$2"; shift 2
  for b in "$@"; do [ -x "$bin/$b" ] || return 1; done
  [ -f "$stamps/$s" ] && [ "$(cat "$stamps/$s")" = "$k" ]
}

# Prints a line per minute while a build runs: elapsed time and packages compiled so far.
ticker() { # $1 = start, $2 = log with `go build -v` output, $3 = label
  while sleep 60; do
    log "  ... $3: $(elapsed "$1"), $(grep -cv '^#' "$2" 2>/dev/null || echo 0) packages compiled"
  done
}
run_build() { # $1 = label, $2 = log file, rest = command; output to the log, progress on stdout
  local label="$1" logf="$2" t tick rc=0
  shift 2
  t=$(date +%s)
  : > "$logf"
  ticker "$t" "$logf" "$label" &
  tick=$!
  if [ "${K8S_BUILD_VERBOSE:-}" = 1 ]; then
    "$@" 2>&1 | tee -a "$logf" || rc=$?
  else
    "$@" >> "$logf" 2>&1 || rc=$?
  fi
  kill "$tick" 2>/dev/null; wait "$tick" 2>/dev/null || true
  if [ "$rc" != 0 ]; then
    log "FAILED: $label after $(elapsed "$t"); last lines of ${logf#"$root"/}:" >&2
    tail -30 "$logf" | sed 's/^/    /' >&2
    return 1
  fi
  log "built $label in $(elapsed "$t")"
}

start=$(date +%s)
log "go: $(go env GOVERSION); kubernetes $k8s_version, etcd $etcd_version, kwok $KWOK_VERSION -> .tools/k8s/bin"

# --- kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd -------------------
cp_bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd)
cp_key="$(key_of "$k8s_version+etcd-$etcd_version" "$mod/go.mod" "$mod/go.sum")"
if is_current control-plane "$cp_key" "${cp_bins[@]}"; then
  log "control plane $k8s_version is built ($("$bin/kube-apiserver" --version))"
else
  # Without the stamp, clients (Pulumi's provider and kubectl included) see a v0.0.0 server.
  build_date="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$k8s_version.info" 2>/dev/null || true)"
  minor="$(echo "$k8s_version" | cut -d. -f2)"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=${build_date:-1970-01-01T00:00:00Z} -X $pkg.gitCommit="
  done
  log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $k8s_version and etcd $etcd_version"
  log "  (one go build; cold about 6 minutes on 2 idle cores; log: .tools/k8s/logs/control-plane.log)"
  out="$root/.tools/k8s/build-out"
  rm -rf "$out" && mkdir -p "$out"
  (cd "$mod" && run_build "control plane" "$logs/control-plane.log" \
    go build -mod=readonly -trimpath -buildvcs=false -v -ldflags "$ldflags" -o "$out" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl go.etcd.io/etcd/server/v3)
  mv -f "$out/server" "$out/etcd" # main package go.etcd.io/etcd/server/v3 is named "server"
  for b in "${cp_bins[@]}"; do mv -f "$out/$b" "$bin/$b"; done
  rmdir "$out"
  printf '%s\n' "$cp_key" > "$stamps/control-plane"
fi

# --- kwok: the simulated node's kubelet ------------------------------------------------------
# A module of its own (its k8s.io libraries are newer than the control plane's), installed at its
# tag: `go install` checks it against the checksum database, no replaces needed.
kwok_key="$(key_of "$KWOK_MODULE@$KWOK_VERSION" /dev/null)"
if is_current kwok "$kwok_key" kwok; then
  log "kwok $KWOK_VERSION is built"
else
  log "building kwok $KWOK_VERSION (cold about 2 minutes; log: .tools/k8s/logs/kwok.log)"
  out="$root/.tools/k8s/build-kwok"
  rm -rf "$out" && mkdir -p "$out"
  (cd "$root/.tools/k8s" && GOBIN="$out" run_build "kwok $KWOK_VERSION" "$logs/kwok.log" \
    go install -trimpath -buildvcs=false -v -ldflags "-s -w" "$KWOK_MODULE/cmd/kwok@$KWOK_VERSION")
  mv -f "$out/kwok" "$bin/kwok"
  rmdir "$out"
  printf '%s\n' "$kwok_key" > "$stamps/kwok"
fi

# kwok's controller does nothing without Stages: the ones `kwokctl create cluster` uses by default,
# taken from the same module (node: initialize + heartbeat with lease; pod: ready, complete, delete).
stages="$root/.tools/k8s/kwok-stages.yaml"
if [ ! -s "$stages" ] || [ "$(head -1 "$stages")" != "# kwok $KWOK_VERSION" ]; then
  kdir="$(cd "$root/.tools/k8s" && go mod download -json "$KWOK_MODULE@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  [ -d "$kdir/kustomize/stage" ] || die "no kustomize/stage in the kwok $KWOK_VERSION module"
  {
    echo "# kwok $KWOK_VERSION"
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      echo "---"
      cat "$kdir/kustomize/stage/$f"
    done
  } > "$stages.partial" && mv -f "$stages.partial" "$stages"
  log "wrote kwok's stages to .tools/k8s/kwok-stages.yaml"
fi

log "done in $(elapsed "$start"): $(cd "$bin" && ls | tr '\n' ' ')"
