# Shared by tools/k8s/node-up.sh, node-down.sh, node-images.sh and node-check.sh (sourced; needs
# $root). Names are unique per checkout: h is a hash of its path.
h="$(printf '%s' "$root" | sha256sum | cut -c1-6)"
bin="$root/.tools/k8s/bin"
cp_state="$root/.state/k8s"
cp_pki="$cp_state/pki"
cp_kubeconfig="$cp_state/kubeconfig"
nstate="$root/.state/k8s-node"
npki="$nstate/pki"
nlogs="$nstate/logs"
npids="$nstate/pids"
API_PORT="${K8S_API_PORT:-16443}"
NETNS="dockyard-$h"
VETH_HOST="dky${h}h"
VETH_NODE="dky${h}n"
# The veth's /30: K8S_NODE_NET (three octets) or one derived from the hash, in 10.213.0.0/16.
NODE_NET="${K8S_NODE_NET:-10.213.$(( 16#${h:0:2} ))}"
NODE_HOST_IP="$NODE_NET.1"
NODE_IP="$NODE_NET.2"
NODE="${K8S_NODE_NAME:-dockyard-node}"
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
DNS_IP=10.96.0.10
CGROUP_ROOT="/dockyard-k8s-$h"
CONTAINERD_SOCK="$nstate/containerd/containerd.sock"
PAUSE_IMAGE=dockyard-local/pause:3.10.1
COREDNS_IMAGE=dockyard-local/coredns:1.15.0
METRICS_SERVER_IMAGE=dockyard-local/metrics-server:0.8.0 # tools/k8s/build.sh's METRICS_SERVER_VERSION
# The global sysctls the kubelet sets (pkg/kubelet/cm/container_manager_linux.go setupKernelTunables).
KUBELET_SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes"

NSX=(nsenter "--net=/run/netns/$NETNS") # the command prefix of every process of the node
nsx() { "${NSX[@]}" "$@"; }
ctr_() { ctr -a "$CONTAINERD_SOCK" -n k8s.io "$@"; }
# Alive: the pid answers and is not a zombie (PID 1 here may reap orphans late, or never).
alive() { [ -s "$npids/$1.pid" ] && running "$(cat "$npids/$1.pid")"; }
running() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
# $1 = name, $2 = unused ("-"), rest = command; detached, output to logs/NAME.log, pid in pids/NAME.pid
start() {
  local name="$1"
  shift 2
  if alive "$name"; then return 0; fi
  log "starting $name ($(since))"
  setsid nohup "$@" >> "$nlogs/$name.log" 2>&1 < /dev/null &
  echo $! > "$npids/$name.pid"
}
# $1 = name (whose log is shown on failure), $2 = seconds, rest = check command
wait_for() {
  local name="$1" secs="$2" i
  shift 2
  for ((i = 0; i < secs * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    alive "$name" || { tail -30 "$nlogs/$name.log" >&2; die "$name exited (log: .state/k8s-node/logs/$name.log)"; }
    sleep 0.5
  done
  tail -30 "$nlogs/$name.log" >&2
  die "$name: not ready after ${secs}s (log: .state/k8s-node/logs/$name.log)"
}
cgroup_hierarchies() { # mount points of the cgroup hierarchies: v1, and the hybrid's unified (v2) one
  awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts
}
