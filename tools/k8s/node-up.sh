#!/usr/bin/env bash
# Starts a real Kubernetes node beside the local control plane (tools/k8s/up.sh --node real calls
# it after the control plane is up): pods really run, Services route, cluster DNS answers.
#
#   network namespace  dockyard-<h> (h: a hash of the checkout's path, so checkouts do not clash),
#                      a veth pair to the host (host end NODE_HOST_IP, node end NODE_IP), NO default
#                      route, and every packet leaving it for anything but NODE_HOST_IP dropped
#   socat              on the host, NODE_HOST_IP:API_PORT -> 127.0.0.1:API_PORT (the API server
#                      stays on loopback; it advertises NODE_HOST_IP, so `kubernetes.default` works)
#   containerd         Debian's, with its own root, state, socket and config (CRI; sandbox image
#                      dockyard-local/pause, imported from .tools/k8s/bin/pause.tar, never pulled)
#   kubelet            cgroupfs driver under its own cgroup root (created in every v1 hierarchy),
#                      resolvConf "", a client certificate CN=system:node:NODE, O=system:nodes
#   kube-proxy         iptables mode (no IPVS in this kernel), conntrack sysctls left alone
#   CoreDNS            a Deployment in kube-system, Service kube-dns at 10.96.0.10, no `forward`
#   kube-router        firewall only (NetworkPolicy), when tools/k8s/build.sh --node could build it
#   metrics-server     the resource metrics API (kubectl top, HPAs), by tools/k8s/metrics.sh, when
#                      tools/k8s/build.sh --node could build it
#   bridge CNI         cni0, pods in POD_CIDR, host-local IPAM data in the state dir
# Every process is started with `nsenter --net=/run/netns/NAME` (not `ip netns exec`, whose private
# mount namespace hides the kubelet's volume mounts from containerd). The global sysctls the kubelet
# changes are recorded first (sysctls.saved) and restored by tools/k8s/node-down.sh.
#
# State, logs and pids: .state/k8s-node (git-ignored). Idempotent: running processes are kept;
# after a crash, run it again (it first cleans up what a dead node left, with node-down.sh).
# Images: tools/k8s/node-images.sh IMAGE... copies images from the local Docker engine.
# Needs root. Usage: tools/k8s/node-up.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/tools/k8s"
# shellcheck source=node-env.sh
. "$here/node-env.sh"

log() { printf '[k8s-node] %s\n' "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }
t0=$(date +%s)
since() { echo "$(( $(date +%s) - t0 ))s"; }
# Writes stdin to $1 only when it differs: kube-proxy exits when its config file is rewritten.
put() { cat > "$1.new"; if cmp -s "$1.new" "$1"; then rm -f "$1.new"; else mv -f "$1.new" "$1"; fi; }

[ "$(id -u)" -eq 0 ] || die "needs root (network namespace, mounts, cgroups)"
[ -s "$cp_pki/ca.key" ] && [ -s "$cp_kubeconfig" ] || die "the control plane is not set up: run tools/k8s/up.sh --node real"
for b in kubelet kube-proxy coredns pause.tar; do
  [ -s "$bin/$b" ] || die "missing .tools/k8s/bin/$b: run tools/k8s/build.sh --node"
done
for c in containerd containerd-shim-runc-v2 runc ctr iptables ip nsenter conntrack socat; do
  command -v "$c" >/dev/null 2>&1 || die "missing $c: run tools/k8s/packages.sh --node"
done
[ -x /usr/lib/cni/bridge ] || die "missing /usr/lib/cni/bridge: run tools/k8s/packages.sh --node"
kubectl() { "$bin/kubectl" --kubeconfig "$cp_kubeconfig" "$@"; }
kubectl get --raw /readyz >/dev/null 2>&1 || die "the API server does not answer: run tools/k8s/up.sh --node real"

# A node that died (machine reboot, killed shell) leaves mounts, cgroups, the namespace: clear them.
if [ -e "$nstate/node.up" ] && ! alive kubelet; then
  log "a previous node did not stop cleanly: cleaning up first"
  bash "$here/node-down.sh"
fi
mkdir -p "$nstate" "$npki" "$nlogs" "$npids" "$nstate/cni/net.d" "$nstate/cni/ipam" "$nstate/containerd" \
  "$nstate/kubelet" "$nstate/config"
touch "$nstate/node.up"

# --- network namespace --------------------------------------------------------------------------
if [ ! -e "/run/netns/$NETNS" ]; then
  ip -o addr show | grep -q " $NODE_NET\.[0-3]/" && die "$NODE_NET.0/30 is in use on this machine: set K8S_NODE_NET (three octets)"
  log "creating network namespace $NETNS (veth $VETH_HOST $NODE_HOST_IP <-> $VETH_NODE $NODE_IP)"
  ip netns add "$NETNS"
  ip link add "$VETH_HOST" type veth peer name "$VETH_NODE"
  ip link set "$VETH_NODE" netns "$NETNS"
  ip addr add "$NODE_HOST_IP/30" dev "$VETH_HOST"
  ip link set "$VETH_HOST" up
  nsx ip link set lo up
  nsx ip addr add "$NODE_IP/30" dev "$VETH_NODE"
  nsx ip link set "$VETH_NODE" up
  # No default route. Node-originated ClusterIP traffic needs a route to be DNATed at all.
  nsx ip route add "$SERVICE_CIDR" dev "$VETH_NODE"
  # Seal: whatever leaves through the veth goes to the host's end or nowhere. mangle/POSTROUTING
  # sees the final destination (after kube-proxy's DNAT) and kube-proxy/kube-router never touch it.
  nsx iptables -t mangle -A POSTROUTING -o "$VETH_NODE" -d "$NODE_HOST_IP/32" -j ACCEPT
  nsx iptables -t mangle -A POSTROUTING -o "$VETH_NODE" -j DROP
  # Pods reach the host's end (the API server) with the node's address: the host has no route back.
  nsx iptables -t nat -A POSTROUTING -o "$VETH_NODE" -s "$POD_CIDR" -j MASQUERADE
  nsx sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.ipv4.conf.all.route_localnet=1 \
    2>/dev/null || nsx sysctl -qw net.ipv4.ip_forward=1
fi

# --- the API server on the host's end of the veth -------------------------------------------------
start socat - socat "TCP-LISTEN:$API_PORT,bind=$NODE_HOST_IP,reuseaddr,fork" "TCP:127.0.0.1:$API_PORT"

# --- certificates and kubeconfigs -----------------------------------------------------------------
# $1 = name, $2 = subject, $3 = extensions; signed by the control plane's CA.
cert() {
  [ -s "$npki/$1.crt" ] && openssl verify -CAfile "$cp_pki/ca.crt" "$npki/$1.crt" >/dev/null 2>&1 && return 0
  printf '[ext]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\n%s\n' "$3" > "$npki/$1.ext"
  openssl genrsa -out "$npki/$1.key" 2048 2>/dev/null
  openssl req -new -key "$npki/$1.key" -subj "$2" -out "$npki/$1.csr"
  openssl x509 -req -in "$npki/$1.csr" -CA "$cp_pki/ca.crt" -CAkey "$cp_pki/ca.key" -CAcreateserial -days 3650 \
    -sha256 -extfile "$npki/$1.ext" -extensions ext -out "$npki/$1.crt" 2>/dev/null
  rm -f "$npki/$1.csr" "$npki/$1.ext"
}
cert kubelet "/O=system:nodes/CN=system:node:$NODE" "extendedKeyUsage = clientAuth"
cert kubelet-serving "/CN=$NODE" "extendedKeyUsage = serverAuth
subjectAltName = IP:$NODE_IP, DNS:$NODE"
cert kube-proxy "/CN=system:kube-proxy" "extendedKeyUsage = clientAuth"
kubeconfig_for() { # $1 = cert name, $2 = its directory -> config/$1.kubeconfig, API through the veth
  local d="${2:-$npki}"
  b64() { base64 -w0 < "$1"; }
  put "$nstate/config/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: dockyard-local
  cluster:
    server: https://$NODE_HOST_IP:$API_PORT
    certificate-authority-data: $(b64 "$cp_pki/ca.crt")
users:
- name: $1
  user:
    client-certificate-data: $(b64 "$d/$1.crt")
    client-key-data: $(b64 "$d/$1.key")
contexts:
- name: default
  context: { cluster: dockyard-local, user: $1 }
current-context: default
EOF
  chmod 600 "$nstate/config/$1.kubeconfig"
}
kubeconfig_for kubelet
kubeconfig_for kube-proxy
kubeconfig_for admin "$cp_pki" # kube-router's (a test cluster: cluster-admin)

# --- cgroups: the kubelet's root in every v1 hierarchy ---------------------------------------------
for h in $(cgroup_hierarchies); do
  [ -d "$h$CGROUP_ROOT" ] && continue
  mkdir -p "$h$CGROUP_ROOT"
  if [ -f "$h/cpuset.cpus" ]; then
    cat "$h/cpuset.cpus" > "$h$CGROUP_ROOT/cpuset.cpus"
    cat "$h/cpuset.mems" > "$h$CGROUP_ROOT/cpuset.mems"
  fi
done

# --- containerd -------------------------------------------------------------------------------------
put "$nstate/cni/net.d/10-dockyard.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "dockyard",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$nstate/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR" }]], "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
put "$nstate/config/containerd.toml" <<EOF
# Written by tools/k8s/node-up.sh: the real node's own containerd (never the Debian service's).
version = 2
root = "$nstate/containerd/root"
state = "$nstate/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$nstate/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  netns_mounts_under_state_dir = true
  # The kubelet asks for oom_score_adj -998 (sandboxes) and -997 (Guaranteed pods); lowering it
  # needs CAP_SYS_RESOURCE, which root may lack here (runc: "failed to update
  # /proc/self/oom_score_adj: Permission denied"). Clamp to containerd's own value instead.
  restrict_oom_score_adj = true
  enable_unprivileged_ports = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$nstate/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$nstate/cni/net.d"
    max_conf_num = 1
EOF
start containerd - "${NSX[@]}" containerd --config "$nstate/config/containerd.toml" --log-level warn
wait_for containerd 60 ctr_ version
ctr_ images import "$bin/pause.tar" >/dev/null
ctr_ images label "docker.io/$PAUSE_IMAGE" io.cri-containerd.pinned=pinned >/dev/null 2>&1 || true

# --- kubelet ------------------------------------------------------------------------------------------
# The global (not per-namespace) sysctls the kubelet sets; kept from the first start until node-down.
if [ ! -s "$nstate/sysctls.saved" ]; then
  for s in $KUBELET_SYSCTLS; do printf '%s=%s\n' "$s" "$(sysctl -n "$s")"; done > "$nstate/sysctls.saved.partial"
  mv "$nstate/sysctls.saved.partial" "$nstate/sysctls.saved"
fi
put "$nstate/config/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $npki/kubelet-serving.crt
tlsPrivateKeyFile: $npki/kubelet-serving.key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $cp_pki/ca.crt }
authorization: { mode: Webhook }
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
cgroupRoot: $CGROUP_ROOT
failCgroupV1: false
failSwapOn: false
resolvConf: ""
clusterDNS: [$DNS_IP]
clusterDomain: cluster.local
staticPodPath: ""
podLogsDir: $nstate/pod-logs
registerNode: true
serializeImagePulls: false
# A shared disk: never evict for disk pressure, never collect images by disk usage.
evictionHard: { memory.available: 100Mi, nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%" }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
maxPods: 110
EOF
start kubelet - "${NSX[@]}" "$bin/kubelet" --config "$nstate/config/kubelet.yaml" \
  --kubeconfig "$nstate/config/kubelet.kubeconfig" --root-dir "$nstate/kubelet" --cert-dir "$npki/kubelet-certs" \
  --hostname-override "$NODE" --node-ip "$NODE_IP" --v 1
node_registered() { kubectl get node "$NODE"; }
wait_for kubelet 90 node_registered
# kube-router and kube-proxy read the pod range from the node (nothing allocates it here).
if [ -z "$(kubectl get node "$NODE" -o jsonpath='{.spec.podCIDR}')" ]; then
  kubectl patch node "$NODE" --type merge -p "{\"spec\":{\"podCIDR\":\"$POD_CIDR\",\"podCIDRs\":[\"$POD_CIDR\"]}}" >/dev/null
fi

# --- kube-proxy --------------------------------------------------------------------------------------
put "$nstate/config/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $nstate/config/kube-proxy.kubeconfig }
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# nf_conntrack_max is read-only outside the initial namespace: leave conntrack's settings alone.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
EOF
start kube-proxy - "${NSX[@]}" "$bin/kube-proxy" --config "$nstate/config/kube-proxy.yaml" --v 1

# --- kube-router: NetworkPolicy only --------------------------------------------------------------------
if [ -x "$bin/kube-router" ]; then
  start kube-router - "${NSX[@]}" "$bin/kube-router" --kubeconfig "$nstate/config/admin.kubeconfig" --hostname-override "$NODE" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-ipv4=true --enable-ipv6=false \
    --enable-cni=false --metrics-port 0 --health-port 20244 --v 1
else
  log "no kube-router (tools/k8s/build.sh --node could not build it): NetworkPolicy is not enforced"
fi

# --- CoreDNS -------------------------------------------------------------------------------------------
ctr_ images import "$bin/coredns.tar" >/dev/null
kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: { name: coredns, namespace: kube-system }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "system:coredns" }
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "system:coredns" }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns" }
subjects: [{ kind: ServiceAccount, name: coredns, namespace: kube-system }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: coredns, namespace: kube-system }
data:
  Corefile: |
    .:53 {
        errors
        health {
            lameduck 5s
        }
        ready
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
            ttl 30
        }
        cache 30
        loop
        reload
        loadbalance
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: coredns, namespace: kube-system, labels: { k8s-app: kube-dns } }
spec:
  replicas: 1
  selector: { matchLabels: { k8s-app: kube-dns } }
  template:
    metadata: { labels: { k8s-app: kube-dns } }
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      dnsPolicy: Default
      containers:
      - name: coredns
        image: $COREDNS_IMAGE
        imagePullPolicy: Never
        args: [-conf, /etc/coredns/Corefile]
        ports:
        - { name: dns, containerPort: 53, protocol: UDP }
        - { name: dns-tcp, containerPort: 53, protocol: TCP }
        resources: { limits: { memory: 170Mi }, requests: { cpu: 50m, memory: 70Mi } }
        volumeMounts: [{ name: config, mountPath: /etc/coredns, readOnly: true }]
        livenessProbe: { httpGet: { path: /health, port: 8080 }, initialDelaySeconds: 10, periodSeconds: 10 }
        readinessProbe: { httpGet: { path: /ready, port: 8181 }, periodSeconds: 2 }
      volumes: [{ name: config, configMap: { name: coredns } }]
---
apiVersion: v1
kind: Service
metadata: { name: kube-dns, namespace: kube-system, labels: { k8s-app: kube-dns } }
spec:
  clusterIP: $DNS_IP
  selector: { k8s-app: kube-dns }
  ports:
  - { name: dns, port: 53, protocol: UDP }
  - { name: dns-tcp, port: 53, protocol: TCP }
EOF

node_ready() { [ "$(kubectl get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
wait_for kubelet 120 node_ready
# A CoreDNS pod on this node that became Ready after the node did (a pod object from before a
# restart still says Ready until the kubelet reports it again).
dns_ready() {
  local since
  since="$(kubectl get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')"
  kubectl -n kube-system get pods -l k8s-app=kube-dns --field-selector "spec.nodeName=$NODE" \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].lastTransitionTime}{"\n"}{end}' |
    awk -v since="$since" '$1 == "True" && $2 >= since { ok = 1 } END { exit !ok }'
}
wait_for kubelet 120 dns_ready
# The metrics pipeline; without it the node still runs pods (kubectl top and HPAs see no figures).
bash "$here/metrics.sh" || log "WARNING: tools/k8s/metrics.sh failed: the node has no resource metrics"
log "node $NODE Ready in $(since): pods in $POD_CIDR, cluster DNS $DNS_IP, network namespace $NETNS$( [ -x "$bin/kube-router" ] || echo ', no NetworkPolicy')"
