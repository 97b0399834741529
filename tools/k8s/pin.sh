#!/usr/bin/env bash
# Rewrites tools/k8s/modules/go.mod and go.sum for another Kubernetes patch release:
#   tools/k8s/pin.sh v1.34.4
# k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/client-go, ...) at v0.0.0 and
# finds them through local ./staging replaces, so a module that requires it must replace each one
# by its published version (k8s.io/X v0.MINOR.PATCH). The list is read from k8s.io/kubernetes's own
# go.mod; etcd's server is pinned to the version of the etcd client that Kubernetes uses.
# Then `go mod tidy` completes go.mod/go.sum; commit both. tools/k8s/build.sh builds from them.
set -euo pipefail
version="${1:?usage: tools/k8s/pin.sh v1.MINOR.PATCH}"
case "$version" in v1.*.*) ;; *) echo "not a Kubernetes version: $version" >&2; exit 2 ;; esac
staging="v0.${version#v1.}"
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/modules"
export GOTOOLCHAIN=local GO111MODULE=on
unset GOFLAGS GOWORK
mkdir -p "$dir"
gomod="$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
[ -f "$gomod" ] || { echo "go mod download k8s.io/kubernetes@$version gave no go.mod" >&2; exit 1; }
etcd="$(sed -n 's/^[[:space:]]*go.etcd.io\/etcd\/client\/v3 \(v[0-9.]*\).*/\1/p' "$gomod" | head -1)"
godirective="$(sed -n 's/^go \(.*\)$/\1/p' "$gomod")"
godebug="$(grep '^godebug ' "$gomod" || true)"
{
  echo "// Pins of the local control plane that tools/k8s/build.sh compiles. Written by"
  echo "// tools/k8s/pin.sh $version from k8s.io/kubernetes's own go.mod: its staging modules are"
  echo "// replaced by their published versions, which k8s.io/kubernetes itself can only reach through"
  echo "// local ./staging paths."
  echo "module dockyard/k8s-control-plane"
  echo
  echo "go $godirective"
  [ -z "$godebug" ] || { echo; echo "$godebug"; }
  echo
  echo "tool ("
  for t in go.etcd.io/etcd/server/v3 k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl \
    k8s.io/kubernetes/cmd/kubelet; do
    printf '\t%s\n' "$t"
  done
  echo ")"
  echo
  echo "require ("
  printf '\tgo.etcd.io/etcd/server/v3 %s\n' "$etcd"
  printf '\tk8s.io/kubernetes %s\n' "$version"
  echo ")"
  echo
  echo "replace ("
  for m in $(sed -n 's/^[[:space:]]*\(k8s.io\/[^ ]*\) => \.\/staging.*/\1/p' "$gomod"); do
    printf '\t%s => %s %s\n' "$m" "$m" "$staging"
  done
  echo ")"
} > "$dir/go.mod"
rm -f "$dir/go.sum"
(cd "$dir" && GOFLAGS=-mod=mod go mod tidy)
echo "pinned k8s.io/kubernetes $version (staging $staging, etcd $etcd) in tools/k8s/modules/go.mod"
