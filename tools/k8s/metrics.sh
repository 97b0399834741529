#!/usr/bin/env bash
# The resource metrics pipeline of the real node (tools/k8s/node-up.sh calls it last): metrics-server,
# built by tools/k8s/build.sh --node into a one-file image (dockyard-local/metrics-server), imported
# into the node's containerd and run as a Deployment in kube-system, aggregated into the API server
# as v1beta1.metrics.k8s.io. Then `kubectl top` and the HorizontalPodAutoscaler see CPU and memory.
#
#   host network  the pod listens on NODE_IP:4443, which the API server (on the host) reaches
#                 through the veth; up.sh --node real starts the API server with
#                 --enable-aggregator-routing (it dials the Service's endpoint, not its cluster IP,
#                 which only exists inside the node's namespace) and the front-proxy client
#                 certificate (CN front-proxy-client, signed by the CA of --requestheader-client-ca-file)
#   TLS           its serving certificate (DNS metrics-server.kube-system.svc) is signed by the
#                 control plane's CA, which the APIService's caBundle holds; it checks the kubelet's
#                 serving certificate against the same CA (no --kubelet-insecure-tls)
#   RBAC          upstream's roles: nodes/metrics, pods and nodes read; auth delegation; the
#                 extension-apiserver-authentication ConfigMap; metrics readable by view/edit/admin
#
# Idempotent (kubectl apply). Without .tools/k8s/bin/metrics-server.tar (build.sh could not build it)
# it says so and leaves the node without metrics. Needs root and a running node.
#   tools/k8s/metrics.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=node-env.sh
. "$root/tools/k8s/node-env.sh"
log() { printf '[k8s-metrics] %s\n' "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }
t0=$(date +%s)
kubectl() { "$bin/kubectl" --kubeconfig "$cp_kubeconfig" "$@"; }

if [ ! -s "$bin/metrics-server.tar" ]; then
  log "no .tools/k8s/bin/metrics-server.tar (tools/k8s/build.sh --node did not build it): the node has no resource metrics"
  exit 0
fi
[ -s "$cp_pki/ca.key" ] && [ -d "$npki" ] || die "the node is not set up: run tools/k8s/node-up.sh"
ctr_ images import "$bin/metrics-server.tar" >/dev/null

# The serving certificate, made again when the control plane's CA is new (down.sh --purge-cluster).
crt="$npki/metrics-server.crt"
key="$npki/metrics-server.key"
if ! { [ -s "$crt" ] && openssl verify -CAfile "$cp_pki/ca.crt" "$crt" >/dev/null 2>&1; }; then
  printf '[ext]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\nsubjectAltName = DNS:metrics-server.kube-system.svc, DNS:metrics-server.kube-system.svc.cluster.local, IP:%s\n' \
    "$NODE_IP" >"$npki/metrics-server.ext"
  openssl genrsa -out "$key" 2048 2>/dev/null
  openssl req -new -key "$key" -subj "/CN=metrics-server.kube-system.svc" -out "$npki/metrics-server.csr"
  openssl x509 -req -in "$npki/metrics-server.csr" -CA "$cp_pki/ca.crt" -CAkey "$cp_pki/ca.key" -CAcreateserial -days 3650 \
    -sha256 -extfile "$npki/metrics-server.ext" -extensions ext -out "$crt" 2>/dev/null
  rm -f "$npki/metrics-server.csr" "$npki/metrics-server.ext"
fi
kubectl -n kube-system create secret tls metrics-server-tls --cert "$crt" --key "$key" --dry-run=client -o yaml |
  kubectl apply -f - >/dev/null

kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: { name: metrics-server, namespace: kube-system, labels: { k8s-app: metrics-server } }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: "system:aggregated-metrics-reader"
  labels:
    k8s-app: metrics-server
    rbac.authorization.k8s.io/aggregate-to-admin: "true"
    rbac.authorization.k8s.io/aggregate-to-edit: "true"
    rbac.authorization.k8s.io/aggregate-to-view: "true"
rules:
- apiGroups: [metrics.k8s.io]
  resources: [pods, nodes]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "system:metrics-server", labels: { k8s-app: metrics-server } }
rules:
- apiGroups: [""]
  resources: [nodes/metrics]
  verbs: [get]
- apiGroups: [""]
  resources: [pods, nodes]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "system:metrics-server", labels: { k8s-app: metrics-server } }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:metrics-server" }
subjects: [{ kind: ServiceAccount, name: metrics-server, namespace: kube-system }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "metrics-server:system:auth-delegator", labels: { k8s-app: metrics-server } }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:auth-delegator" }
subjects: [{ kind: ServiceAccount, name: metrics-server, namespace: kube-system }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: metrics-server-auth-reader, namespace: kube-system, labels: { k8s-app: metrics-server } }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader }
subjects: [{ kind: ServiceAccount, name: metrics-server, namespace: kube-system }]
---
apiVersion: v1
kind: Service
metadata: { name: metrics-server, namespace: kube-system, labels: { k8s-app: metrics-server } }
spec:
  selector: { k8s-app: metrics-server }
  ports: [{ name: https, port: 443, protocol: TCP, targetPort: 4443 }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: metrics-server, namespace: kube-system, labels: { k8s-app: metrics-server } }
spec:
  replicas: 1
  strategy: { type: Recreate } # one host port
  selector: { matchLabels: { k8s-app: metrics-server } }
  template:
    metadata: { labels: { k8s-app: metrics-server } }
    spec:
      serviceAccountName: metrics-server
      priorityClassName: system-cluster-critical
      hostNetwork: true
      dnsPolicy: ClusterFirstWithHostNet
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: RuntimeDefault } }
      containers:
      - name: metrics-server
        image: $METRICS_SERVER_IMAGE
        imagePullPolicy: Never
        args:
        - --bind-address=$NODE_IP
        - --secure-port=4443
        - --tls-cert-file=/tls/tls.crt
        - --tls-private-key-file=/tls/tls.key
        - --kubelet-certificate-authority=/ca/ca.crt
        - --kubelet-preferred-address-types=InternalIP
        - --kubelet-use-node-status-port
        - --metric-resolution=15s
        ports: [{ name: https, containerPort: 4443, protocol: TCP }]
        readinessProbe: { httpGet: { path: /readyz, port: https, scheme: HTTPS }, periodSeconds: 5, failureThreshold: 3 }
        livenessProbe: { httpGet: { path: /livez, port: https, scheme: HTTPS }, periodSeconds: 10, failureThreshold: 3 }
        resources: { requests: { cpu: 50m, memory: 64Mi }, limits: { memory: 200Mi } }
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
        volumeMounts:
        - { name: tls, mountPath: /tls, readOnly: true }
        - { name: ca, mountPath: /ca, readOnly: true }
        - { name: tmp, mountPath: /tmp }
      volumes:
      - { name: tls, secret: { secretName: metrics-server-tls } }
      - { name: ca, configMap: { name: kube-root-ca.crt } }
      - { name: tmp, emptyDir: {} }
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: { name: v1beta1.metrics.k8s.io, labels: { k8s-app: metrics-server } }
spec:
  group: metrics.k8s.io
  version: v1beta1
  service: { name: metrics-server, namespace: kube-system, port: 443 }
  caBundle: $(base64 -w0 <"$cp_pki/ca.crt")
  groupPriorityMinimum: 100
  versionPriority: 100
EOF

# Available: the API server reached it; figures: its first scrape of the kubelet is in.
wait_until() { # $1 = seconds, $2 = what, rest = check
  local secs="$1" what="$2" i
  shift 2
  for ((i = 0; i < secs * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  kubectl -n kube-system get pods -l k8s-app=metrics-server -o wide >&2 || true
  kubectl -n kube-system logs deployment/metrics-server --tail 20 >&2 || true
  kubectl get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions}' >&2 || true
  # An APIService that never answers makes every client's discovery complain: take it away.
  kubectl delete apiservice v1beta1.metrics.k8s.io --ignore-not-found >/dev/null 2>&1 || true
  die "metrics-server: $what not after ${secs}s (the APIService is removed again: no resource metrics)"
}
available() { [ "$(kubectl get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].status}')" = True ]; }
node_figures() { kubectl top node "$NODE" --no-headers | grep -q .; }
wait_until 90 "the APIService v1beta1.metrics.k8s.io Available" available
wait_until 90 "figures for node $NODE (kubectl top node)" node_figures
log "metrics-server ready in $(($(date +%s) - t0))s: $(kubectl top node "$NODE" --no-headers | awk '{print "node CPU " $2 ", memory " $4}')"
