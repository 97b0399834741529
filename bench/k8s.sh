#!/usr/bin/env bash
# Benchmark (not a test), run by bench/e2e.sh (or alone, root): the voting app's converge on a real
# Kubernetes node, `pulumi up` of the stage stack against `kubectl apply -f` of the very objects
# that stack made, plus `kubectl rollout status` of every Deployment, on the same cluster
# (tools/k8s/up.sh --node real), RUNS runs each (default 5), medians and the ratio (goal <= 1.5).
#   converge:  a new namespace to every Deployment available (Pulumi waits; kubectl: apply, then
#              rollout status of each)
#   no change: a second `pulumi up --skip-preview` against a second `kubectl apply`
# The objects for kubectl are read back from the cluster after the first up (kubectl get -o json,
# server-set fields removed), so both sides create the same Deployments, Services, ConfigMaps,
# Secrets, claims and NetworkPolicies from the same images (imported into the node; nothing pulled).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=/dev/null
source test/e2e/env.sh
bash tools/engine/build.sh kubernetes >/dev/null
# shellcheck source=/dev/null
source tools/engine/env.sh
bash tools/k8s/build.sh --node >/dev/null

RUNS=${RUNS:-5}
STACK=benchk8s
NS=benchk8s
KNS=benchk8s-kubectl
TAG=benchk8s
state="$root/.state/bench-k8s"
rm -rf "$state" && mkdir -p "$state/backend"
export PULUMI_BACKEND_URL="file://$state/backend" PULUMI_CONFIG_PASSPHRASE="bench-only-passphrase"
export KUBECONFIG="$root/.state/k8s/kubeconfig"
kubectl() { "$root/.tools/k8s/bin/kubectl" "$@"; }
cfg=(--stack "$STACK" --config-file "$state/Pulumi.$STACK.yaml")
p() { pulumi --non-interactive "$@" "${cfg[@]}"; }

cleanup() {
  set +e
  rm -f "$root/Pulumi.$STACK.yaml"
  p destroy --yes >/dev/null 2>&1
  kubectl delete namespace "$KNS" --wait=true >/dev/null 2>&1
  bash tools/k8s/down.sh >/dev/null 2>&1
}
trap cleanup EXIT

bash tools/k8s/down.sh --purge-cluster >/dev/null 2>&1 || true
bash tools/k8s/up.sh --node real >"$state/up-cluster.txt" 2>&1 || { tail -20 "$state/up-cluster.txt"; exit 1; }
echo "[bench-k8s] images: vote, result, worker built with the docker CLI; imported into the node with redis and postgres"
DOCKER_BUILDKIT=0 docker build -q --build-arg PYTHON_IMAGE=dockyard-local/python:3.11 -t "dockyard-local/voting-vote:$TAG" apps/vote >/dev/null
for app in result:8081 worker:8082; do
  DOCKER_BUILDKIT=0 docker build -q -f apps/node-common/Dockerfile --build-arg NODE_IMAGE=dockyard-local/node:22 \
    --build-arg "APP=${app%%:*}" --build-arg "PORT=${app#*:}" -t "dockyard-local/voting-${app%%:*}:$TAG" apps >/dev/null
done
bash tools/k8s/node-images.sh "dockyard-local/voting-vote:$TAG" "dockyard-local/voting-result:$TAG" \
  "dockyard-local/voting-worker:$TAG" dockyard-local/redis:7 dockyard-local/postgres:15 >/dev/null

cp Pulumi.k8se2e.yaml "$state/Pulumi.$STACK.yaml"
pulumi stack init "$STACK" >/dev/null
pulumi config "${cfg[@]}" set kubeconfig "$KUBECONFIG"
pulumi config "${cfg[@]}" set namespace "$NS"
pulumi config "${cfg[@]}" set --secret --path secrets.db-password bench-db-password
for s in vote result worker; do pulumi config "${cfg[@]}" set --path "services.$s.image" "dockyard-local/voting-$s:$TAG"; done
npm run --silent build

# shellcheck source=measure.sh
source bench/measure.sh
# The pre-provisioned volumes are Retain: a deleted claim leaves its volume Released; hand it out again.
recycle_volumes() {
  for pv in $(kubectl get pv -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name}{" "}{end}'); do
    kubectl patch pv "$pv" --type json -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null
  done
}
# What the stack made, as objects kubectl can apply in namespace $KNS (server-set fields removed).
export_objects() {
  kubectl get -n "$NS" deployments,services,configmaps,secrets,persistentvolumeclaims,networkpolicies -o json |
    node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        const list = JSON.parse(s);
        list.items = list.items
          .filter((o) => !(o.kind === "ConfigMap" && o.metadata.name === "kube-root-ca.crt"))
          .map((o) => {
            const { name, labels, annotations = {} } = o.metadata;
            const kept = Object.fromEntries(Object.entries(annotations).filter(([k]) => !/kubernetes\.io\/|pulumi/.test(k)));
            const object = { apiVersion: o.apiVersion, kind: o.kind, metadata: { name, namespace: process.argv[1], labels, annotations: kept } };
            for (const key of ["spec", "data", "type"]) if (o[key] !== undefined) object[key] = o[key];
            if (o.kind === "Service") { delete object.spec.clusterIP; delete object.spec.clusterIPs; }
            if (o.kind === "PersistentVolumeClaim") delete object.spec.volumeName;
            return object;
          });
        console.log(JSON.stringify(list));
      });' "$KNS"
}
kubectl_converge() {
  kubectl create namespace "$KNS" && kubectl apply -f "$state/objects.json" &&
    for d in $(kubectl get -n "$KNS" deployments -o name); do kubectl rollout status -n "$KNS" "$d" --timeout=300s || return 1; done
}

declare -A t
for i in $(seq 1 "$RUNS"); do
  recycle_volumes
  t[pulumi_converge]+="$(ms p up --yes --skip-preview) "
  t[pulumi_same]+="$(ms p up --yes --skip-preview) "
  [ -s "$state/objects.json" ] || export_objects >"$state/objects.json"
  p destroy --yes >/dev/null
  kubectl delete namespace "$NS" --wait=true >/dev/null 2>&1 || true
  recycle_volumes
  t[kubectl_converge]+="$(ms kubectl_converge) "
  t[kubectl_same]+="$(ms kubectl apply -f "$state/objects.json") "
  kubectl delete namespace "$KNS" --wait=true >/dev/null
  echo "[bench-k8s] run $i/$RUNS done"
done
echo "[bench-k8s] objects applied by kubectl: $(node -e 'const l = require(process.argv[1]); const c = {}; for (const o of l.items) c[o.kind] = (c[o.kind] ?? 0) + 1; console.log(Object.entries(c).map(([k, v]) => v + " " + k).join(", "))' "$state/objects.json")"

table "pulumi_converge|kubernetes: pulumi up, new namespace to all available" \
  "kubectl_converge|kubernetes: kubectl apply + rollout status" \
  "pulumi_same|kubernetes: pulumi up --skip-preview, no change" \
  "kubectl_same|kubernetes: kubectl apply, no change"
r="$(ratio pulumi_converge kubectl_converge)"
echo
echo "converge, pulumi / kubectl apply + rollout status:             x$r   (goal <= 1.5: $(goal "$r" 1.5))"
echo "no change, pulumi / kubectl apply:                             x$(ratio pulumi_same kubectl_same)"
