#!/usr/bin/env bash
# Starts a local Kubernetes control plane on 127.0.0.1 from the binaries tools/k8s/build.sh built
# (it is called first, and only checks when they are built): etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, and kwok's controller, which plays the kubelet of one
# simulated node: pods are scheduled onto it and marked Running and Ready with an IP, so
# Deployments become Available and Services get endpoints, but no container ever runs.
# Then a default StorageClass with pre-provisioned PersistentVolumes, so claims bind.
#
# Everything lives in .state/k8s (git-ignored): pki/ (a CA, serving and client certificates,
# service-account keys, all made here with openssl), kubeconfig (cluster-admin), etcd/, logs/, pids/.
# Idempotent: a control plane that is already up is left running; only the node, the StorageClass
# and the volumes are checked (Released volumes are made Available again). Stop it: tools/k8s/down.sh.
#
#   tools/k8s/up.sh && export KUBECONFIG="$PWD/.state/k8s/kubeconfig" && kubectl get nodes
#
# Ports (all on 127.0.0.1): API server K8S_API_PORT (16443), etcd 16379/16380, controller manager
# 16257, scheduler 16259. K8S_VOLUMES (8) volumes of K8S_VOLUME_SIZE (10Gi) each.
#
# --node real: instead of kwok's simulated node, a real one (containerd, kubelet, kube-proxy,
# CoreDNS, kube-router) in a network namespace of its own: tools/k8s/node-up.sh, which says more.
# The API server then also advertises the host's end of the node's veth (and has it in its
# certificate) and keeps the `kubernetes` Service's endpoints, so pods reach it. Needs root.
#   tools/k8s/up.sh [--node kwok|real]     (default kwok; an API server started with the other
#                                           mode's flags is restarted)
set -euo pipefail
mode=kwok
case "${1:-}" in
  "") ;;
  --node) case "${2:-}" in kwok|real) mode="$2" ;; *) echo "usage: tools/k8s/up.sh [--node kwok|real]" >&2; exit 2 ;; esac ;;
  --node=kwok|--node=real) mode="${1#--node=}" ;;
  *) echo "usage: tools/k8s/up.sh [--node kwok|real]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$root/.tools/k8s/bin"
state="$root/.state/k8s"
pki="$state/pki"
logs="$state/logs"
pids="$state/pids"
kubeconfig="$state/kubeconfig"
API_PORT="${K8S_API_PORT:-16443}"
ETCD_PORT=16379
ETCD_PEER_PORT=16380
KCM_PORT=16257
SCHED_PORT=16259
VOLUMES="${K8S_VOLUMES:-8}"
VOLUME_SIZE="${K8S_VOLUME_SIZE:-10Gi}"
NODE=kwok-node-0
SERVICE_CIDR=10.96.0.0/16

log() { printf '[k8s-up] %s\n' "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }
t0=$(date +%s)
since() { echo "$(( $(date +%s) - t0 ))s"; }

if [ "$mode" = real ]; then
  bash "$root/tools/k8s/packages.sh" --node
  bash "$root/tools/k8s/build.sh" --node
  advertise="$(. "$root/tools/k8s/node-env.sh" && echo "$NODE_HOST_IP")" # the host's end of the node's veth
else
  bash "$root/tools/k8s/build.sh"
  advertise=127.0.0.1
fi
command -v openssl >/dev/null 2>&1 || die "openssl is needed (apt-get install openssl)"
mkdir -p "$pki" "$logs" "$pids" "$state/etcd" "$state/volumes"
chmod 700 "$state/etcd"
kubectl() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }

# --- certificates and keys (kept across restarts) ---------------------------------------------
# $1 = name, $2 = subject, $3 = extensions (openssl config lines); signed by the CA.
cert() {
  [ -s "$pki/$1.crt" ] && return 0
  printf '[ext]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\n%s\n' "$3" > "$pki/$1.ext"
  openssl genrsa -out "$pki/$1.key" 2048 2>/dev/null
  openssl req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
    -sha256 -extfile "$pki/$1.ext" -extensions ext -out "$pki/$1.crt" 2>/dev/null
  rm -f "$pki/$1.csr" "$pki/$1.ext"
}
if [ ! -s "$pki/ca.crt" ]; then
  log "generating a CA, certificates and service-account keys in .state/k8s/pki"
  printf '[req]\ndistinguished_name = dn\nx509_extensions = ca\n[dn]\n[ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign, digitalSignature\nsubjectKeyIdentifier = hash\n' > "$pki/ca.cnf"
  openssl genrsa -out "$pki/ca.key" 2048 2>/dev/null
  openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=dockyard-local-ca" -days 3650 -sha256 -config "$pki/ca.cnf" -out "$pki/ca.crt"
  rm -f "$pki/ca.cnf"
fi
# The real node reaches the API server at the host's end of its veth: that address is in the
# certificate too (a certificate without it is made again).
san="IP:127.0.0.1, IP:10.96.0.1"
[ "$advertise" = 127.0.0.1 ] || san+=", IP:$advertise"
if [ -s "$pki/apiserver.crt" ] && [ "$advertise" != 127.0.0.1 ] &&
  ! openssl x509 -in "$pki/apiserver.crt" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$advertise\(,\|$\)"; then
  rm -f "$pki/apiserver.crt" "$pki/apiserver.key"
fi
cert apiserver "/CN=kube-apiserver" "extendedKeyUsage = serverAuth
subjectAltName = $san, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local"
# One cluster-admin client certificate for the controllers, kwok and the user: a test cluster.
cert admin "/O=system:masters/CN=dockyard-admin" "extendedKeyUsage = clientAuth"
# The API server's client certificate towards aggregated API servers (the real node's metrics-server):
# its CN is the one --requestheader-allowed-names admits, signed by the --requestheader-client-ca-file CA.
cert front-proxy-client "/CN=front-proxy-client" "extendedKeyUsage = clientAuth"
if [ ! -s "$pki/sa.key" ]; then
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
fi
b64() { base64 -w0 < "$1"; }
cat > "$kubeconfig.partial" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: dockyard-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: dockyard-admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
contexts:
- name: dockyard-local
  context:
    cluster: dockyard-local
    user: dockyard-admin
current-context: dockyard-local
EOF
chmod 600 "$kubeconfig.partial" && mv -f "$kubeconfig.partial" "$kubeconfig"

# --- processes --------------------------------------------------------------------------------
# Alive: the pid answers and is not a zombie (PID 1 here may reap orphans late, or never).
alive() { [ -s "$pids/$1.pid" ] && kill -0 "$(cat "$pids/$1.pid")" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$(cat "$pids/$1.pid")/status" 2>/dev/null; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# $1 = name, $2 = port that must be free, rest = command; detached, output to logs/NAME.log
start() {
  local name="$1" port="$2"
  shift 2
  if alive "$name"; then return 0; fi
  [ "$port" = - ] || ! port_busy "$port" || die "127.0.0.1:$port (for $name) is taken by another process; stop it or free the port"
  log "starting $name ($(since))"
  setsid nohup "$@" >> "$logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$pids/$name.pid"
}
# $1 = name (whose log is shown on failure), $2 = seconds, rest = check command
wait_for() {
  local name="$1" secs="$2" i
  shift 2
  for ((i = 0; i < secs * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    alive "$name" || { tail -30 "$logs/$name.log" >&2; die "$name exited (log: .state/k8s/logs/$name.log)"; }
    sleep 0.5
  done
  tail -30 "$logs/$name.log" >&2
  die "$name is not ready after ${secs}s (log: .state/k8s/logs/$name.log)"
}
https_ok() { curl -sf --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$1"; }
# The controller manager and the scheduler serve /healthz with a certificate they make themselves.
healthz() { curl -sfk "https://127.0.0.1:$1/healthz"; }

start etcd "$ETCD_PORT" "$bin/etcd" --name dockyard --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "dockyard=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
  --unsafe-no-fsync --log-level warn
wait_for etcd 60 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

# With a real node: advertise the veth's host end, keep the `kubernetes` endpoints (pods use them),
# and let the API server reach kubelets (logs, exec, port-forward) with the admin certificate, and
# aggregated API servers (metrics-server, tools/k8s/metrics.sh) at their endpoints, since cluster IPs
# exist only inside the node's namespace, with the front-proxy client certificate.
if [ "$mode" = real ]; then
  node_flags=(--endpoint-reconciler-type lease --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key"
    --kubelet-preferred-address-types InternalIP,Hostname --enable-aggregator-routing=true
    --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key")
else
  node_flags=(--endpoint-reconciler-type none)
fi
# An API server started with other flags (the other mode, a new certificate) is restarted.
apiserver_flags="$mode $advertise $(sha256sum "$pki/apiserver.crt" | cut -c1-16) ${node_flags[*]}"
if alive kube-apiserver && [ "$(cat "$pids/kube-apiserver.flags" 2>/dev/null)" != "$apiserver_flags" ]; then
  log "restarting kube-apiserver for the $mode node"
  pid="$(cat "$pids/kube-apiserver.pid")"
  kill -TERM "$pid"
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || port_busy "$API_PORT" || break; sleep 0.5; done
  rm -f "$pids/kube-apiserver.pid"
fi
echo "$apiserver_flags" > "$pids/kube-apiserver.flags"
start kube-apiserver "$API_PORT" "$bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address "$advertise" --secure-port "$API_PORT" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --cert-dir "$pki/serving" \
  --client-ca-file "$pki/ca.crt" --requestheader-client-ca-file "$pki/ca.crt" \
  --requestheader-allowed-names front-proxy-client --requestheader-username-headers X-Remote-User \
  --requestheader-group-headers X-Remote-Group --requestheader-extra-headers-prefix X-Remote-Extra- \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range "$SERVICE_CIDR" --authorization-mode Node,RBAC --allow-privileged=true \
  "${node_flags[@]}" --profiling=false --v 1
wait_for kube-apiserver 120 https_ok "https://127.0.0.1:$API_PORT/readyz"

start kube-controller-manager "$KCM_PORT" "$bin/kube-controller-manager" \
  --kubeconfig "$kubeconfig" --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --cert-dir "$pki/kcm" --leader-elect=false \
  --root-ca-file "$pki/ca.crt" --service-account-private-key-file "$pki/sa.key" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --flex-volume-plugin-dir "$state/flexvolume" \
  --service-cluster-ip-range "$SERVICE_CIDR" --kube-api-qps 100 --kube-api-burst 200 --profiling=false --v 1
start kube-scheduler "$SCHED_PORT" "$bin/kube-scheduler" \
  --kubeconfig "$kubeconfig" --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --cert-dir "$pki/scheduler" --leader-elect=false \
  --profiling=false --v 1
# kwok: manages only nodes annotated kwok.x-k8s.io/node=fake, with kwokctl's default stages.
if [ "$mode" = kwok ]; then
start kwok - "$bin/kwok" --kubeconfig "$kubeconfig" --config "$root/.tools/k8s/kwok-stages.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds 40 --cidr 10.0.0.1/24 --node-ip 192.0.2.1
elif alive kwok; then
  pid="$(cat "$pids/kwok.pid")"; kill -TERM "$pid"; rm -f "$pids/kwok.pid"; log "stopped kwok (pid $pid): a real node instead"
fi
wait_for kube-controller-manager 90 healthz "$KCM_PORT"
wait_for kube-scheduler 90 healthz "$SCHED_PORT"

# --- the simulated node, storage ---------------------------------------------------------------
# 192.0.2.1 and 10.0.0.0/24 only label the fake node and its pods: nothing is ever sent there. Its
# disk (ephemeral-storage) is declared like its CPUs and memory: pods that request some fit on it.
if [ "$mode" = real ]; then
  kubectl delete node "$NODE" --ignore-not-found --wait=false >/dev/null
else
kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: $NODE
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
spec:
  podCIDR: 10.0.0.0/24
  podCIDRs: [10.0.0.0/24]
status:
  addresses: [{ address: 192.0.2.1, type: InternalIP }]
  allocatable: { cpu: "32", memory: 64Gi, ephemeral-storage: 100Gi, pods: "110" }
  capacity: { cpu: "32", memory: 64Gi, ephemeral-storage: 100Gi, pods: "110" }
  nodeInfo: { architecture: amd64, operatingSystem: linux }
EOF
fi
{
  cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
reclaimPolicy: Retain
EOF
  for i in $(seq 1 "$VOLUMES"); do
    # Writable by any user, as local-path-provisioner makes its folders: a hostPath volume takes no
    # fsGroup, and the stores run as their own non-root users.
    install -d -m 0777 "$state/volumes/pv-$i"
    chmod 0777 "$state/volumes/pv-$i"
    cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: local-pv-$i
  labels: { dockyard.dev/local-volume: "true" }
spec:
  storageClassName: local
  capacity: { storage: $VOLUME_SIZE }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: { path: $state/volumes/pv-$i, type: DirectoryOrCreate }
EOF
  done
} | kubectl apply -f - >/dev/null
# Retain keeps a volume Released after its claim is gone; hand it out again (the data is fake).
for pv in $(kubectl get pv -l dockyard.dev/local-volume=true -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name}{" "}{end}'); do
  kubectl patch pv "$pv" --type json -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null
  log "volume $pv was Released: made Available again"
done

wait_for kube-controller-manager 60 kubectl get serviceaccount default -n default
if [ "$mode" = real ]; then
  bash "$root/tools/k8s/node-up.sh"
  NODE="$(. "$root/tools/k8s/node-env.sh" && echo "$NODE") (real)"
else
  node_ready() { [ "$(kubectl get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
  wait_for kwok 60 node_ready
  NODE="$NODE (kwok)"
fi
log "up in $(since): Kubernetes $(kubectl version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1) on https://127.0.0.1:$API_PORT, node $NODE, StorageClass local (default), $VOLUMES volumes"
log "kubeconfig: .state/k8s/kubeconfig   (export KUBECONFIG=\"\$PWD/.state/k8s/kubeconfig\"; kubectl: .tools/k8s/bin/kubectl)"
