#!/usr/bin/env bash
# Stops the real node that tools/k8s/node-up.sh started and leaves the machine as it found it
# (tools/k8s/down.sh calls it first). Also cleans up after a node that crashed. In order:
#   kube-router, kube-proxy, kubelet (by their pid files) -> the pods' processes (the pids in the
#   node's cgroups) and containerd's shims (the pids whose command names this node's socket) ->
#   containerd -> every mount under .state/k8s-node, deepest first -> the cgroup subtrees,
#   depth-first -> the network namespace (its veth goes with it) and the API forwarder ->
#   the sysctls the kubelet changed, back to their recorded values.
# Never kills by name. The Node object is deleted when the API server answers. The state stays
# (certificates, images in containerd's root) unless --purge.
#   tools/k8s/node-down.sh [--purge]
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=node-env.sh
. "$root/tools/k8s/node-env.sh"
purge=0
case "${1:-}" in
  "") ;;
  --purge) purge=1 ;;
  *) echo "usage: tools/k8s/node-down.sh [--purge]" >&2; exit 2 ;;
esac
log() { printf '[k8s-node-down] %s\n' "$*"; }
[ "$(id -u)" -eq 0 ] || { log "ERROR: needs root"; exit 1; }
[ -d "$nstate" ] || { log "no node state (.state/k8s-node): nothing to do"; exit 0; }

stop_pid() { # $1 = label, $2 = pid: TERM, then KILL after $3 (10) seconds
  local pid="$2" i
  running "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < ${3:-10} * 2; i++)); do running "$pid" || { log "stopped $1 (pid $pid)"; return 0; }; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null
  log "stopped $1 (pid $pid, killed)"
}
stop_named() { # by pid file
  [ -s "$npids/$1.pid" ] && stop_pid "$1" "$(cat "$npids/$1.pid")" "${2:-10}"
  rm -f "$npids/$1.pid"
}

if [ -s "$cp_kubeconfig" ] && "$bin/kubectl" --kubeconfig "$cp_kubeconfig" --request-timeout 5s get node "$NODE" >/dev/null 2>&1; then
  "$bin/kubectl" --kubeconfig "$cp_kubeconfig" --request-timeout 10s delete node "$NODE" --wait=false >/dev/null 2>&1 &&
    log "deleted Node $NODE"
fi
for name in kube-router kube-proxy kubelet; do stop_named "$name"; done

# The pods' processes: whatever is left in the node's cgroups (pids, not names).
pids_in_cgroups() {
  local h
  for h in $(cgroup_hierarchies); do
    [ -d "$h$CGROUP_ROOT" ] && find "$h$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}
# containerd's shims for this node: the processes whose command line names its socket.
shim_pids() {
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -qF -- "-address $CONTAINERD_SOCK " && echo "${p#/proc/}"
  done
}
left="$(pids_in_cgroups)"
if [ -n "$left" ]; then
  log "killing the pods' processes: $(echo $left)"
  kill -KILL $left 2>/dev/null
  sleep 1
fi
for pid in $(shim_pids); do stop_pid containerd-shim "$pid" 5; done
stop_named containerd 15
stop_named socat 5

# Mounts under the state dir (the kubelet's volumes, containerd's snapshots, rootfs and netns
# files), deepest first; lazily when busy.
mounts() { awk -v p="$nstate/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-; }
n=0
for pass in 1 2 3; do
  for m in $(mounts); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; n=$((n + 1)); done
  [ -z "$(mounts)" ] && break
done
[ "$n" = 0 ] || log "unmounted $n mounts under .state/k8s-node"
[ -z "$(mounts)" ] || log "WARNING: still mounted: $(mounts | tr '\n' ' ')"

# Cgroups, depth-first (an emptied v1 cgroup is removed with rmdir).
for h in $(cgroup_hierarchies); do
  [ -d "$h$CGROUP_ROOT" ] || continue
  find "$h$CGROUP_ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
  [ -d "$h$CGROUP_ROOT" ] && log "WARNING: $h$CGROUP_ROOT could not be removed (processes left: $(cat "$h$CGROUP_ROOT/cgroup.procs" 2>/dev/null | tr '\n' ' '))"
done

# libcni's cache of this node's attachments (networks "dockyard" and containerd's "cni-loopback";
# no other CNI user runs here), left when pods die without a DEL.
rm -f /var/lib/cni/results/dockyard-* /var/lib/cni/results/cni-loopback-* 2>/dev/null
rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null

if [ -e "/run/netns/$NETNS" ]; then
  ip netns delete "$NETNS" && log "deleted network namespace $NETNS"
fi
ip link show "$VETH_HOST" >/dev/null 2>&1 && ip link delete "$VETH_HOST"

if [ -s "$nstate/sysctls.saved" ]; then
  while IFS='=' read -r k v; do
    [ "$(sysctl -n "$k")" = "$v" ] || { sysctl -qw "$k=$v" && log "restored $k=$v"; }
  done < "$nstate/sysctls.saved"
  rm -f "$nstate/sysctls.saved"
fi
rm -f "$nstate/node.up"
if [ "$purge" = 1 ]; then
  rm -rf "$nstate" && log "removed .state/k8s-node"
fi
log "node stopped: no process, mount, cgroup or namespace of it is left$( [ -n "$(mounts)" ] && echo ' (except the mounts above)')"
