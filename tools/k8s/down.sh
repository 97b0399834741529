#!/usr/bin/env bash
# Stops the local control plane that tools/k8s/up.sh started: each process by the id recorded in
# .state/k8s/pids (TERM, then KILL after 15 s), newest first. Its data (etcd, certificates,
# kubeconfig) stays, so up.sh brings the same cluster back; --purge deletes .state/k8s as well.
# A real node (up.sh --node real) is stopped first, by tools/k8s/node-down.sh (with --purge, its
# state .state/k8s-node goes too). --purge-cluster deletes .state/k8s but keeps the node's state
# (its containerd root with the images node-images.sh imported; node-up.sh re-makes its
# certificates for the new CA): a fresh cluster without importing every image again.
#   tools/k8s/down.sh [--purge|--purge-cluster]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
state="$root/.state/k8s"
pids="$state/pids"
purge=0
case "${1:-}" in
  "") ;;
  --purge) purge=1 ;;
  --purge-cluster) purge=cluster ;;
  *) echo "usage: tools/k8s/down.sh [--purge|--purge-cluster]" >&2; exit 2 ;;
esac
log() { printf '[k8s-down] %s\n' "$*"; }

if [ -e "$root/.state/k8s-node/node.up" ]; then
  bash "$root/tools/k8s/node-down.sh"
fi
if [ "$purge" = 1 ] && [ -d "$root/.state/k8s-node" ]; then
  bash "$root/tools/k8s/node-down.sh" --purge
fi

for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  f="$pids/$name.pid"
  [ -s "$f" ] || continue
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      log "stopped $name (pid $pid, killed)"
    else
      log "stopped $name (pid $pid)"
    fi
  fi
  rm -f "$f"
done
rm -f "$pids/kube-apiserver.flags"
if [ "$purge" != 0 ] && [ -d "$state" ]; then
  rm -rf "$state"
  log "removed .state/k8s"
fi
