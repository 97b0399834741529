#!/usr/bin/env bash
# Builds a local Kubernetes control plane from pinned Go modules, without any download site or
# container image, into .tools/k8s/bin (git-ignored):
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
#   kubelet, kube-proxy                                                k8s.io/kubernetes (pins: modules/go.mod)
#   etcd                                                               go.etcd.io/etcd/server/v3 (same module graph)
#   kwok                                                               sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION
# With --node, also what the real node needs (tools/k8s/node-up.sh):
#   coredns, coredns.tar    github.com/coredns/coredns (pins: coredns/go.mod; coredns/main.go, no `forward`);
#                           coredns.tar is a one-file image (dockyard-local/coredns:VERSION)
#   pause, pause.tar        build/pause/linux/pause.c from the k8s.io/kubernetes module, gcc -Os -static;
#                           pause.tar is a one-file image (dockyard-local/pause:$PAUSE_TAG) for containerd
#   kube-router             github.com/cloudnativelabs/kube-router/v2 (pins: kube-router/go.mod); a failure
#                           here is reported and the rest is kept (the node then runs without NetworkPolicy)
#   metrics-server,         sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION, installed at
#   metrics-server.tar      its tag like kwok; metrics-server.tar is a one-file image
#                           (dockyard-local/metrics-server:VERSION) that tools/k8s/metrics.sh deploys; a
#                           failure is reported and the rest kept (the node then has no resource metrics)
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
# Finished binaries are also kept outside the checkout, keyed by the same recipe hash, in
# ${DOCKYARD_CACHE:-${XDG_CACHE_HOME:-~/.cache}/dockyard}/k8s/<group>/<key>/: a fresh clone on the
# same machine copies them in seconds instead of building.
#
# Usage: tools/k8s/build.sh [--node]   (K8S_BUILD_VERBOSE=1 prints every compiled package)
set -euo pipefail
node=0
case "${1:-}" in
  "") ;;
  --node) node=1 ;;
  *) echo "usage: tools/k8s/build.sh [--node]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/tools/k8s"
mod="$here/modules"
bin="$root/.tools/k8s/bin"
stamps="$bin/.stamps"
logs="$root/.tools/k8s/logs"
cache="${DOCKYARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dockyard}/k8s"
RECIPE_REV=1 # bump to force a rebuild after a change to the recipes below
KWOK_MODULE=sigs.k8s.io/kwok
KWOK_VERSION=v0.8.0
PAUSE_TAG=3.10.1 # build/pause/Makefile's TAG in the pinned k8s.io/kubernetes
METRICS_SERVER_MODULE=sigs.k8s.io/metrics-server
METRICS_SERVER_VERSION=v0.8.0 # also in tools/k8s/node-env.sh (METRICS_SERVER_IMAGE)

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
is_current() { # $1 = stamp name, $2 = key, rest = files that must exist in .tools/k8s/bin
  local s="$1" k="$2"; shift 2
  for b in "$@"; do [ -s "$bin/$b" ] || return 1; done
  [ -f "$stamps/$s" ] && [ "$(cat "$stamps/$s")" = "$k" ] && return 0
  from_cache "$s" "$k" "$@"
}
cache_dir() { printf '%s/%s/%s' "$cache" "$1" "$(printf '%s' "$2" | sha256sum | cut -c1-16)"; }
from_cache() { # same arguments: copies the group from the machine's cache when it holds this key
  local s="$1" k="$2" d b; shift 2
  d="$(cache_dir "$s" "$k")"
  for b in "$@"; do [ -s "$d/$b" ] || return 1; done
  for b in "$@"; do cp -f "$d/$b" "$bin/$b.partial" && mv -f "$bin/$b.partial" "$bin/$b"; done
  printf '%s\n' "$k" > "$stamps/$s"
  log "$s: copied from the cache (${d/#$HOME/\~})"
}
done_group() { # same arguments: stamps the group and keeps a copy in the machine's cache
  local s="$1" k="$2" d b; shift 2
  d="$(cache_dir "$s" "$k")"
  mkdir -p "$d.partial" && for b in "$@"; do cp -f "$bin/$b" "$d.partial/$b"; done
  rm -rf "$d" && mv "$d.partial" "$d"
  printf '%s\n' "$k" > "$stamps/$s"
}

# Prints a line per minute while a build runs: elapsed time and packages compiled so far.
ticker() { # $1 = start, $2 = log with `go build -v` output, $3 = label
  while sleep 60; do
    log "  ... $3: $(elapsed "$1"), $(awk '!/^#/ { n++ } END { print n + 0 }' "$2" 2>/dev/null || echo 0) packages compiled"
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
cp_bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kubelet kube-proxy)
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
  log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kubelet, kube-proxy $k8s_version and etcd $etcd_version"
  log "  (one go build; cold about 7 minutes on 2 idle cores; log: .tools/k8s/logs/control-plane.log)"
  out="$root/.tools/k8s/build-out"
  rm -rf "$out" && mkdir -p "$out"
  (cd "$mod" && run_build "control plane" "$logs/control-plane.log" \
    go build -mod=readonly -trimpath -buildvcs=false -v -ldflags "$ldflags" -o "$out" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl go.etcd.io/etcd/server/v3 \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy)
  mv -f "$out/server" "$out/etcd" # main package go.etcd.io/etcd/server/v3 is named "server"
  for b in "${cp_bins[@]}"; do mv -f "$out/$b" "$bin/$b"; done
  rmdir "$out"
  done_group control-plane "$cp_key" "${cp_bins[@]}"
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
  done_group kwok "$kwok_key" kwok
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

# --- the real node (--node): coredns, pause and its image, kube-router -------------------------
# A Docker-archive image made by hand (no engine needed): one layer holding /$1, its entrypoint.
one_file_image() { # $1 = binary in .tools/k8s/bin, $2 = tag, $3 = output tar there, $4 = extra config JSON
  local t layer config
  t="$(mktemp -d)"
  mkdir -p "$t/rootfs" "$t/image"
  cp "$bin/$1" "$t/rootfs/$1"
  chmod 755 "$t/rootfs/$1"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$t/rootfs" -cf "$t/layer.tar" "$1"
  layer="$(sha256sum "$t/layer.tar" | cut -d' ' -f1)"
  mkdir "$t/image/$layer" && mv "$t/layer.tar" "$t/image/$layer/layer.tar"
  printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/%s"],%s"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$1" "${4:-}" "$layer" > "$t/config.json"
  config="$(sha256sum "$t/config.json" | cut -d' ' -f1)"
  mv "$t/config.json" "$t/image/$config.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config" "$2" "$layer" > "$t/image/manifest.json"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$t/image" -cf "$bin/$3.partial" .
  mv -f "$bin/$3.partial" "$bin/$3"
  rm -rf "$t"
}
missing=""
if [ "$node" = 1 ]; then
  dns="$here/coredns"
  dns_version="$(sed -n 's/^[[:space:]]*\(require \)\{0,1\}github.com\/coredns\/coredns \(v[0-9.]*\).*/\2/p' "$dns/go.mod" | head -1)"
  dns_key="$(key_of "coredns-$dns_version" "$dns/go.mod" "$dns/go.sum" "$dns/main.go")"
  if is_current coredns "$dns_key" coredns coredns.tar; then
    log "coredns $dns_version is built"
  else
    log "building coredns $dns_version (cold about 2 minutes; log: .tools/k8s/logs/coredns.log)"
    (cd "$dns" && run_build "coredns $dns_version" "$logs/coredns.log" \
      go build -mod=readonly -trimpath -buildvcs=false -v -ldflags "-s -w" -o "$bin/coredns.partial" .)
    mv -f "$bin/coredns.partial" "$bin/coredns"
    one_file_image coredns "dockyard-local/coredns:${dns_version#v}" coredns.tar
    done_group coredns "$dns_key" coredns coredns.tar
  fi

  # pause: the sandbox ("infra") container of every pod; containerd never pulls a present image.
  command -v gcc >/dev/null 2>&1 || die "gcc is needed for the pause binary (apt-get install gcc libc6-dev)"
  pause_key="$(key_of "pause-$k8s_version-$PAUSE_TAG gcc-$(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)" /dev/null)"
  if is_current pause "$pause_key" pause pause.tar; then
    log "pause $PAUSE_TAG is built"
  else
    kdir="$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$k8s_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
    [ -f "$kdir/build/pause/linux/pause.c" ] || die "no build/pause/linux/pause.c in the k8s.io/kubernetes $k8s_version module"
    gcc -Os -static -Wall -Werror -DVERSION="v$PAUSE_TAG-dockyard" -o "$bin/pause" "$kdir/build/pause/linux/pause.c"
    strip "$bin/pause"
    one_file_image pause "dockyard-local/pause:$PAUSE_TAG" pause.tar '"User":"65535:65535",'
    done_group pause "$pause_key" pause pause.tar
    log "built pause $PAUSE_TAG ($(du -k "$bin/pause" | cut -f1) KB) and its image dockyard-local/pause:$PAUSE_TAG (pause.tar)"
  fi

  kr="$here/kube-router"
  kr_version="$(sed -n 's/^[[:space:]]*github.com\/cloudnativelabs\/kube-router\/v2 \(v[0-9.]*\).*/\1/p' "$kr/go.mod" | head -1)"
  kr_key="$(key_of "kube-router-$kr_version" "$kr/go.mod" "$kr/go.sum")"
  if is_current kube-router "$kr_key" kube-router; then
    log "kube-router $kr_version is built"
  else
    log "building kube-router $kr_version (cold about 3 minutes; log: .tools/k8s/logs/kube-router.log)"
    if (cd "$kr" && run_build "kube-router $kr_version" "$logs/kube-router.log" \
      go build -mod=readonly -trimpath -buildvcs=false -v -o "$bin/kube-router.partial" \
      -ldflags "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$kr_version" \
      github.com/cloudnativelabs/kube-router/v2/cmd/kube-router); then
      mv -f "$bin/kube-router.partial" "$bin/kube-router"
      done_group kube-router "$kr_key" kube-router
    else
      rm -f "$bin/kube-router.partial"
      missing=" (kube-router did not build: the node will run without NetworkPolicy; log .tools/k8s/logs/kube-router.log)"
    fi
  fi

  # metrics-server: the resource metrics API (kubectl top, the HorizontalPodAutoscaler's CPU figures).
  # A module of its own at its tag, like kwok; its image runs as nobody (65534).
  ms_key="$(key_of "$METRICS_SERVER_MODULE@$METRICS_SERVER_VERSION" /dev/null)"
  if is_current metrics-server "$ms_key" metrics-server metrics-server.tar; then
    log "metrics-server $METRICS_SERVER_VERSION is built"
  else
    log "building metrics-server $METRICS_SERVER_VERSION (cold about 3 minutes; log: .tools/k8s/logs/metrics-server.log)"
    out="$root/.tools/k8s/build-metrics-server"
    rm -rf "$out" && mkdir -p "$out"
    if (cd "$root/.tools/k8s" && GOBIN="$out" run_build "metrics-server $METRICS_SERVER_VERSION" "$logs/metrics-server.log" \
      go install -trimpath -buildvcs=false -v -ldflags "-s -w" "$METRICS_SERVER_MODULE/cmd/metrics-server@$METRICS_SERVER_VERSION"); then
      mv -f "$out/metrics-server" "$bin/metrics-server"
      one_file_image metrics-server "dockyard-local/metrics-server:${METRICS_SERVER_VERSION#v}" metrics-server.tar '"User":"65534:65534",'
      done_group metrics-server "$ms_key" metrics-server metrics-server.tar
    else
      missing+=" (metrics-server did not build: the node will have no resource metrics; log .tools/k8s/logs/metrics-server.log)"
    fi
    rm -rf "$out"
  fi
fi

log "done in $(elapsed "$start"): $(cd "$bin" && ls | tr '\n' ' ')$missing"
