#!/usr/bin/env bash
# Checks that the real node (tools/k8s/up.sh --node real) really runs things, in a scratch
# namespace it deletes afterwards:
#   the node is Ready; a pod from a locally imported image runs (`kubectl exec` answers); its
#   memory limit is in its cgroup; a Service resolves through cluster DNS and answers from another
#   pod; a pod over its memory limit is OOMKilled; with kube-router, a NetworkPolicy blocks and
#   its removal releases traffic.
# The image (K8S_CHECK_IMAGE, default dockyard-local/redis:7: redis-server and redis-cli) comes
# from the local Docker engine (tools/base-images/build.sh redis makes it). Prints
# "N passed, N failed"; exits 1 when any check failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=node-env.sh
. "$root/tools/k8s/node-env.sh"
IMAGE="${K8S_CHECK_IMAGE:-dockyard-local/redis:7}"
ns=dockyard-node-check
kubectl() { "$bin/kubectl" --kubeconfig "$cp_kubeconfig" "$@"; }
passed=0 failed=0
ok() { passed=$((passed + 1)); printf '  ok    %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf '  FAIL  %s\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | tail -8 | sed 's/^/        /'; }
# $1 = description, rest = command whose success is the check
check() { local d="$1" out; shift; if out="$("$@" 2>&1)"; then ok "$d"; else bad "$d" "$out"; fi; }
t0=$(date +%s)

echo "[k8s-node-check] node $NODE, image $IMAGE"
node_ready() { [ "$(kubectl get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
check "node $NODE is Ready" node_ready
check "cluster DNS (CoreDNS) is ready" bash -c "[ \"\$('$bin/kubectl' --kubeconfig '$cp_kubeconfig' -n kube-system get deploy coredns -o jsonpath='{.status.readyReplicas}')\" = 1 ]"
check "image $IMAGE imported from the Docker engine" bash "$root/tools/k8s/node-images.sh" "$IMAGE"

kubectl delete namespace "$ns" --ignore-not-found --wait=true --timeout=90s >/dev/null 2>&1
kubectl create namespace "$ns" >/dev/null
kubectl -n "$ns" wait --for=jsonpath='{.metadata.name}'=default serviceaccount/default --timeout=30s >/dev/null 2>&1
kubectl -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: { name: redis, labels: { app: redis } }
spec:
  containers:
  - name: redis
    image: $IMAGE
    imagePullPolicy: Never
    args: [redis-server, --protected-mode, "no"]
    ports: [{ containerPort: 6379 }]
    resources: { limits: { memory: 64Mi, cpu: 500m } }
    readinessProbe: { exec: { command: [redis-cli, ping] }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: redis }
spec:
  selector: { app: redis }
  ports: [{ port: 6379 }]
---
apiVersion: v1
kind: Pod
metadata: { name: client, labels: { app: client } }
spec:
  containers:
  - name: client
    image: $IMAGE
    imagePullPolicy: Never
    command: [sleep, infinity]
---
apiVersion: v1
kind: Pod
metadata: { name: hog }
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: $IMAGE
    imagePullPolicy: Never
    # The shell keeps the whole output of the substitution in memory: 200 MB against a 32 MiB limit.
    command: [sh, -c, 'x="\$(head -c 200000000 /dev/zero | tr "\\\\0" a)"; echo survived \${#x}']
    resources: { limits: { memory: 32Mi } }
EOF
if kubectl -n "$ns" wait --for=condition=Ready pod/redis pod/client --timeout=120s >/dev/null 2>&1; then
  ok "pods from $IMAGE are Running and Ready"
else
  bad "pods from $IMAGE are Running and Ready" "$(kubectl -n "$ns" get pods -o wide 2>&1; kubectl -n "$ns" describe pod redis 2>&1 | tail -15)"
fi
check "kubectl exec into the pod: redis-cli ping answers PONG" bash -c "'$bin/kubectl' --kubeconfig '$cp_kubeconfig' -n $ns exec redis -- redis-cli ping | grep -x PONG"
check "kubectl logs shows the server's start" bash -c "'$bin/kubectl' --kubeconfig '$cp_kubeconfig' -n $ns logs redis | grep -i 'ready to accept connections'"
check "the pod's memory limit is in its cgroup (64Mi = 67108864)" bash -c "'$bin/kubectl' --kubeconfig '$cp_kubeconfig' -n $ns exec redis -- cat /sys/fs/cgroup/memory/memory.limit_in_bytes | grep -x 67108864"
check "cluster DNS: redis.$ns.svc.cluster.local resolves to the Service's IP from another pod" bash -c \
  "ip=\$('$bin/kubectl' --kubeconfig '$cp_kubeconfig' -n $ns get svc redis -o jsonpath='{.spec.clusterIP}'); '$bin/kubectl' --kubeconfig '$cp_kubeconfig' -n $ns exec client -- getent hosts redis.$ns.svc.cluster.local | grep \"^\$ip \""
check "the Service answers by its short name from another pod (redis-cli -h redis ping)" bash -c \
  "'$bin/kubectl' --kubeconfig '$cp_kubeconfig' -n $ns exec client -- timeout 10 redis-cli -h redis ping | grep -x PONG"
check "a name outside the cluster does not resolve (no upstream)" bash -c \
  "! '$bin/kubectl' --kubeconfig '$cp_kubeconfig' -n $ns exec client -- timeout 10 getent hosts deb.debian.org"
# The seal: 10.96.255.254 is in the Service range but no Service's, so kube-proxy does not DNAT it
# and the packet takes the namespace's route out through the veth, where it must be dropped.
sealed() {
  local before after
  before="$(nsx iptables -t mangle -L POSTROUTING -v -n -x | awk '$3 == "DROP" { print $1 }')"
  ! nsx timeout 3 bash -c 'exec 3<>/dev/tcp/10.96.255.254/80' 2>/dev/null || return 1
  after="$(nsx iptables -t mangle -L POSTROUTING -v -n -x | awk '$3 == "DROP" { print $1 }')"
  [ -z "$(nsx ip route show default)" ] && [ "${after:-0}" -gt "${before:-0}" ]
}
check "the node's namespace has no default route and drops what leaves it for anything but the host's veth end" sealed
oom() { [ "$(kubectl -n "$ns" get pod hog -o jsonpath='{.status.containerStatuses[0].state.terminated.reason}')" = OOMKilled ]; }
for _ in $(seq 1 60); do oom && break; sleep 1; done
check "a pod over its memory limit is OOMKilled" bash -c "'$bin/kubectl' --kubeconfig '$cp_kubeconfig' -n $ns get pod hog -o jsonpath='{.status.containerStatuses[0].state.terminated.reason}' | grep -x OOMKilled"

if [ -x "$bin/kube-router" ] && alive kube-router; then
  redis_ip="$(kubectl -n "$ns" get pod redis -o jsonpath='{.status.podIP}')"
  blocked() { # only meaningful when the client reached redis before the policy
    local i
    kubectl -n "$ns" exec client -- timeout 10 redis-cli -h "$redis_ip" ping 2>&1 | grep -qx PONG || { echo "no PONG from $redis_ip even before the policy"; return 1; }
    kubectl -n "$ns" apply -f - <<EOF2
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: redis-deny-all }
spec:
  podSelector: { matchLabels: { app: redis } }
  policyTypes: [Ingress]
EOF2
    for i in $(seq 1 20); do
      kubectl -n "$ns" exec client -- timeout 3 redis-cli -h "$redis_ip" ping >/dev/null 2>&1 || return 0
      sleep 1
    done
    return 1
  }
  check "NetworkPolicy (kube-router): a deny-all policy blocks the client" blocked
  kubectl -n "$ns" delete networkpolicy redis-deny-all --ignore-not-found >/dev/null
  released() {
    local i
    for i in $(seq 1 20); do
      kubectl -n "$ns" exec client -- timeout 3 redis-cli -h "$redis_ip" ping 2>/dev/null | grep -qx PONG && return 0
      sleep 1
    done
    return 1
  }
  check "NetworkPolicy (kube-router): deleting it lets the client in again" released
else
  echo "  skip  NetworkPolicy: kube-router is not running on this node"
fi

kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1
echo "[k8s-node-check] $passed passed, $failed failed ($(( $(date +%s) - t0 ))s)"
[ "$failed" = 0 ]
