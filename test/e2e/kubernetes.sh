#!/usr/bin/env bash
# End to end on a real Kubernetes API (`npm run test:e2e:k8s:api`): installs what it needs (Debian
# packages, npm dependencies), builds the Pulumi engine with its Kubernetes provider and the local
# control plane (both cached), starts the control plane (tools/k8s/up.sh: a real API server,
# controller manager and scheduler, kwok's simulated node) and an image registry on
# 127.0.0.1:5000, then deploys the voting app with Pulumi.k8se2e.yaml on a local file backend and
# checks with kubectl what the cluster accepted and made of it. Pods are scheduled and marked
# Running/Ready by kwok but no container runs: this checks the objects, Pulumi's readiness waits,
# rollouts and destroy, not the app's traffic (test/e2e/docker.sh does that).
# Talks only to 127.0.0.1. Ends with "N passed, N failed".
#   E2E_KEEP=1   leave the stack, the control plane and the registry up afterwards
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
t0=$SECONDS
section() { printf '\n== %s (%ds)\n' "$1" $((SECONDS - t0)); }

STACK=k8se2e
NS=k8se2e
REGISTRY=127.0.0.1:5000
PASSWORD="k8s-e2e-db-password-1"
state="$root/.state/k8s-e2e"
log="$state/log"

section "setup: packages, node, engine, Docker, base images, control plane"
# A setup step that fails ends the run here, in the closing line's terms.
need() {
  local what="$1"; shift
  if ! "$@"; then
    echo "  FAIL  setup: $what ($*)"
    echo "0 passed, 1 failed"
    exit 1
  fi
}
need "Debian packages" bash tools/k8s/packages.sh
eval "$(bash scripts/node.sh)"
[ -d node_modules/@pulumi/kubernetes ] || need "npm dependencies" npm ci --ignore-scripts --no-audit --no-fund
# Images are built and pushed here with the docker CLI, as a CI pipeline would, and the stack runs
# them as prebuilt images (services.<name>.image): only the Kubernetes provider is
# needed, which builds from the Go module proxy (the Docker provider does not).
need "the Pulumi engine with its Kubernetes provider plugin" bash tools/engine/build.sh kubernetes
# shellcheck source=/dev/null
source tools/engine/env.sh
need "a Docker engine" bash tools/ensure-dockerd.sh
need "the local base images" bash tools/base-images/build.sh
need "the local control plane's binaries" bash tools/k8s/build.sh
setup_done=$SECONDS

# A fresh cluster each run: nothing left over from an earlier one can make a check pass.
bash tools/k8s/down.sh --purge
if ! bash tools/k8s/up.sh; then
  bash tools/k8s/down.sh
  need "the local control plane" false
fi
cluster_done=$SECONDS
export KUBECONFIG="$root/.state/k8s/kubeconfig"
kubectl() { "$root/.tools/k8s/bin/kubectl" "$@"; }
k() { kubectl -n "$NS" "$@"; }

rm -rf "$state" && mkdir -p "$state/backend" "$state/registry/data" "$log"
cp Pulumi.k8se2e.yaml "$state/Pulumi.$STACK.yaml"
# `pulumi stack init` writes the passphrase salt into the project's Pulumi.k8se2e.yaml: put it back on exit.
cp Pulumi.k8se2e.yaml "$state/Pulumi.$STACK.yaml.tracked"
export PULUMI_BACKEND_URL="file://$state/backend"
export PULUMI_CONFIG_PASSPHRASE="k8s-e2e-only-passphrase"

passed=0
failed=0
ok() { passed=$((passed + 1)); printf '  ok    %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf '  FAIL  %s\n' "$1"; [ -z "${2:-}" ] || printf '        %s\n' "$2"; }
# check "what" expected actual
check() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "expected [$2], got [$3]"; fi; }
# eventually "what" expected seconds command...: the command's output must become the expected one
eventually() {
  local what="$1" want="$2" secs="$3" got="" i
  shift 3
  for ((i = 0; i < secs; i++)); do
    got="$("$@" 2>&1 || true)"
    [ "$got" = "$want" ] && break
    sleep 1
  done
  check "$what" "$want" "$got"
}

p() { pulumi --non-interactive --stack "$STACK" "$@"; }
pc() { pulumi --non-interactive config --stack "$STACK" --config-file "$state/Pulumi.$STACK.yaml" "$@"; }
# pulumi up/preview/destroy with the stack's config file; output kept in $log/NAME.txt
run() {
  local name="$1"; shift
  local t=$SECONDS rc=0
  p "$@" --config-file "$state/Pulumi.$STACK.yaml" >"$log/$name.txt" 2>&1 || rc=$?
  printf '        (pulumi %s: %ds)\n' "$1" $((SECONDS - t))
  return "$rc"
}

cleanup() {
  local rc=$?
  set +e
  [ -f "$state/Pulumi.$STACK.yaml.tracked" ] && cp "$state/Pulumi.$STACK.yaml.tracked" "$root/Pulumi.$STACK.yaml"
  if [ "${E2E_KEEP:-}" != "1" ]; then
    p destroy --yes --config-file "$state/Pulumi.$STACK.yaml" >"$log/cleanup.txt" 2>&1
    [ -s "$state/registry.pid" ] && kill "$(cat "$state/registry.pid")" 2>/dev/null
    bash tools/k8s/down.sh >"$log/down.txt" 2>&1
  else
    echo "E2E_KEEP=1: stack $STACK, the control plane (KUBECONFIG=.state/k8s/kubeconfig) and the registry are left up"
  fi
  exit "$rc"
}
trap cleanup EXIT

# The image registry: Debian's docker-registry (distribution's registry:2) on 127.0.0.1:5000.
# Docker pushes to a registry on localhost over plain HTTP without further setup.
cat > "$state/registry/config.yml" <<EOF
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $state/registry/data }
  delete: { enabled: true }
http:
  addr: $REGISTRY
EOF
if (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null; then
  need "127.0.0.1:5000 for the test's registry (another process has it)" false
fi
setsid nohup docker-registry serve "$state/registry/config.yml" > "$log/registry.txt" 2>&1 < /dev/null &
echo $! > "$state/registry.pid"
for _ in $(seq 1 40); do curl -sf "http://$REGISTRY/v2/" >/dev/null && break; sleep 0.25; done
if ! curl -sf "http://$REGISTRY/v2/" >/dev/null; then
  need "the registry on $REGISTRY (log: .state/k8s-e2e/log/registry.txt)" false
fi

# "field field ..." of one object by jsonpath
jp() { k get "$1" "$2" -o jsonpath="$3"; }
# Names of the objects of a kind in the namespace, sorted, space-separated.
names() { k get "$1" -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' "${@:2}" | sort | tr '\n' ' '; }
# Names of a service's ReplicaSets that want pods (spec.replicas > 0).
replicasets() { k get rs -l "app.kubernetes.io/name=$1" -o jsonpath='{range .items[?(@.spec.replicas>0)]}{.metadata.name}{"\n"}{end}' | sort | tr '\n' ' '; }
available() { jp deployment "$1" '{.spec.replicas}/{.status.availableReplicas}/{.status.updatedReplicas}'; }
ready_endpoints() { # ready addresses behind a Service, across its EndpointSlices
  k get endpointslices -l "kubernetes.io/service-name=$1" \
    -o jsonpath='{range .items[*]}{range .endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{"\n"}{end}{end}' | grep -c . || true
}
digest() { # $1 = repository, $2 = tag: the manifest digest the registry serves
  curl -sI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REGISTRY/v2/$1/manifests/$2" |
    tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
catalog() { curl -s "http://$REGISTRY/v2/_catalog" | tr -d ' \n'; }
tags() { curl -s "http://$REGISTRY/v2/$1/tags/list" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log((JSON.parse(s).tags||[]).sort().join(" ")))'; }

# The pipeline's part: build the app images from their Dockerfiles and push them.
REGISTRY_NAME=localhost:5000
build_push() { # $1 = service, $2 = tag, then BUILD_ARG=value ...
  local service="$1" tag="$2" args=() kv context="apps/$1"
  shift 2
  # worker and result: the Node services' one Dockerfile on the apps/ context, as stacks/votingApp.ts builds them.
  case "$service" in
    worker) context=apps args=(-f apps/node-common/Dockerfile --build-arg APP=worker --build-arg PORT=8082) ;;
    result) context=apps args=(-f apps/node-common/Dockerfile --build-arg APP=result --build-arg PORT=8081) ;;
  esac
  for kv in "$@"; do args+=(--build-arg "$kv"); done
  DOCKER_BUILDKIT=0 docker build -q "${args[@]}" -t "$REGISTRY_NAME/voting-$service:$tag" "$context" >"$log/build-$service-$tag.txt" 2>&1 &&
    docker push "$REGISTRY_NAME/voting-$service:$tag" >"$log/push-$service-$tag.txt" 2>&1
}
section "the app images, built and pushed by the pipeline"
if build_push vote e2e1 PYTHON_IMAGE=dockyard-local/python:3.11 && build_push result e2e1 NODE_IMAGE=dockyard-local/node:22 &&
  build_push worker e2e1 NODE_IMAGE=dockyard-local/node:22; then
  ok "vote, result and worker built and pushed to $REGISTRY_NAME"
else
  fail "build and push the app images" "$(tail -5 "$log"/build-*.txt "$log"/push-*.txt 2>/dev/null)"
  exit 1
fi

section "stack $STACK on a local file backend"
pulumi --non-interactive stack init "$STACK" >/dev/null
pc set kubeconfig "$KUBECONFIG"
pc set --secret --path secrets.db-password "$PASSWORD"
ok "stack created; kubeconfig and a secret secrets.db-password set on a copy of Pulumi.k8se2e.yaml"
check "the API server reports its real version" "v1.34" "$(kubectl version -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).serverVersion.gitVersion.split(".").slice(0,2).join(".")))')"

section "preview, then up"
if run preview preview; then ok "pulumi preview"; else fail "pulumi preview" "$(tail -20 "$log/preview.txt")"; fi
if run up1 up --yes; then ok "pulumi up (Pulumi waited for every object to be ready)"; else fail "pulumi up" "$(tail -40 "$log/up1.txt")"; exit 1; fi

section "images: built by the pipeline, pushed to the registry, run by the stack"
check "the registry has the three app images" '{"repositories":["voting-result","voting-vote","voting-worker"]}' "$(catalog)"
check "tagged e2e1" "e2e1 e2e1 e2e1" "$(tags voting-result) $(tags voting-vote) $(tags voting-worker)"
check "vote runs the pushed image" "$REGISTRY_NAME/voting-vote:e2e1" "$(jp deployment vote '{.spec.template.spec.containers[0].image}')"
check "db runs the configured image" "dockyard-local/postgres:15" "$(jp deployment db '{.spec.template.spec.containers[0].image}')"

section "Deployments available"
check "five Deployments" "db redis result vote worker " "$(names deployment)"
eventually "vote: 2 replicas (the HPA's minimum), all available" "2/2/2" 90 available vote
check "result: 1 replica available" "1/1/1" "$(available result)"
check "worker: 1 replica available" "1/1/1" "$(available worker)"
check "redis: 1 replica available" "1/1/1" "$(available redis)"
check "db: 1 replica available" "1/1/1" "$(available db)"
check "db and redis replace their pod (Recreate), the rest roll" "Recreate Recreate RollingUpdate RollingUpdate RollingUpdate" \
  "$(for d in db redis result vote worker; do jp deployment "$d" '{.spec.strategy.type} '; done | xargs)"
check "every pod Running and Ready on the kwok node" "6 Running/True/kwok-node-0" \
  "$(k get pods -o jsonpath='{range .items[*]}{.status.phase}/{.status.conditions[?(@.type=="Ready")].status}/{.spec.nodeName}{"\n"}{end}' | sort | uniq -c | awk '{print $1, $2}' | xargs)"

section "Services: ports and endpoints"
svc() { jp service "$1" '{.spec.type} {range .spec.ports[*]}{.name}:{.port}->{.targetPort}/{.protocol}{end}'; }
check "four Services (worker has no port)" "db redis result vote " "$(names service)"
check "vote: ClusterIP, 5000 -> container port 8080" "ClusterIP http:5000->8080/TCP" "$(svc vote)"
check "result: ClusterIP, 5001 -> container port 8081" "ClusterIP http:5001->8081/TCP" "$(svc result)"
check "redis: 6379 -> 6379" "ClusterIP redis:6379->6379/TCP" "$(svc redis)"
check "db: 5432 -> 5432" "ClusterIP postgres:5432->5432/TCP" "$(svc db)"
check "the container ports match" "8080 8081 6379 5432" \
  "$(for d in vote result redis db; do jp deployment "$d" '{.spec.template.spec.containers[0].ports[0].containerPort} '; done | xargs)"
check "ready endpoints: vote 2, result 1, redis 1, db 1" "2 1 1 1" \
  "$(echo "$(ready_endpoints vote) $(ready_endpoints result) $(ready_endpoints redis) $(ready_endpoints db)")"

section "storage, secret, config"
pvc() { jp pvc "$1" '{.status.phase} {.spec.resources.requests.storage} {.spec.storageClassName} {.spec.accessModes[0]}'; }
check "db-data Bound, 2Gi as configured, default StorageClass" "Bound 2Gi local ReadWriteOnce" "$(pvc db-data)"
check "redis-data Bound, 256Mi" "Bound 256Mi local ReadWriteOnce" "$(pvc redis-data)"
db_pv_before="$(jp pvc db-data '{.spec.volumeName}')"
check "Secret voting-db-password holds the password" "$PASSWORD" "$(jp secret voting-db-password '{.data.value}' | base64 -d)"
check "db and worker and result read it from the Secret" "voting-db-password/value voting-db-password/value voting-db-password/value" \
  "$(for d in db worker result; do jp deployment "$d" '{.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name}/{.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.key} '; done | xargs)"
check "the password is in no ConfigMap" "0" "$(k get configmaps -o json | grep -c "$PASSWORD" || true)"
check "nor in a Deployment" "0" "$(k get deployments -o json | grep -c "$PASSWORD" || true)"
check "the password is encrypted in the state" "0" "$(grep -rc "$PASSWORD" "$state/backend" | awk -F: '{s+=$2} END {print s+0}')"
check "env ConfigMaps are immutable" "true true true true" \
  "$(k get configmaps -l app.kubernetes.io/managed-by=dockyard -o jsonpath='{range .items[*]}{.immutable} {end}' | xargs)"
check "vote's env: REDIS_HOST=redis through its ConfigMap" "redis" \
  "$(k get configmap "$(jp deployment vote '{.spec.template.spec.containers[0].envFrom[0].configMapRef.name}')" -o jsonpath='{.data.REDIS_HOST}')"

section "requests and limits (exact quantities)"
res() { jp deployment "$1" '{.spec.template.spec.containers[0].resources.requests.cpu} {.spec.template.spec.containers[0].resources.requests.memory} {.spec.template.spec.containers[0].resources.limits.cpu} {.spec.template.spec.containers[0].resources.limits.memory}'; }
check "vote: requests 250m 128Mi, limits 500m 128Mi" "250m 128Mi 500m 128Mi" "$(res vote)"
check "result (limits override 0.25 CPU, 96m): requests 125m 96Mi, limits 250m 96Mi" "125m 96Mi 250m 96Mi" "$(res result)"
check "db: requests 500m 512Mi, limits 1 512Mi" "500m 512Mi 1 512Mi" "$(res db)"
check "redis and worker: requests 250m 128Mi, limits 500m 128Mi" "250m 128Mi 500m 128Mi|250m 128Mi 500m 128Mi" "$(res redis)|$(res worker)"

section "NetworkPolicies and the HPA"
check "NetworkPolicies: default deny both ways, cluster DNS, one per network, one per published service" \
  "voting-default-deny voting-default-deny-egress voting-dns voting-network-backend voting-network-frontend voting-result-published voting-vote-published " "$(names networkpolicy)"
check "default deny: every app pod, ingress, no rule" 'Ingress|{"app.kubernetes.io/instance":"k8se2e","app.kubernetes.io/part-of":"voting"}|' \
  "$(jp networkpolicy voting-default-deny '{.spec.policyTypes[0]}|{.spec.podSelector.matchLabels}|{.spec.ingress}')"
check "backend members: db redis result vote worker" "db redis result vote worker" \
  "$(k get pods -l dockyard.dev/network-backend=true -o jsonpath='{range .items[*]}{.metadata.labels.app\.kubernetes\.io/name}{"\n"}{end}' | sort -u | xargs)"
check "frontend members: result vote" "result vote" \
  "$(k get pods -l dockyard.dev/network-frontend=true -o jsonpath='{range .items[*]}{.metadata.labels.app\.kubernetes\.io/name}{"\n"}{end}' | sort -u | xargs)"
check "vote published on TCP 8080" "TCP 8080" "$(jp networkpolicy voting-vote-published '{.spec.ingress[0].ports[0].protocol} {.spec.ingress[0].ports[0].port}')"
check "one HPA, for vote" "vote " "$(names hpa)"
check "HPA: Deployment vote, 2-4 replicas, 70% CPU" "Deployment/vote 2 4 cpu 70" \
  "$(jp hpa vote '{.spec.scaleTargetRef.kind}/{.spec.scaleTargetRef.name} {.spec.minReplicas} {.spec.maxReplicas} {.spec.metrics[0].resource.name} {.spec.metrics[0].resource.target.averageUtilization}')"
check "vote's Deployment leaves the replica count to the HPA (no replicas in Pulumi's inputs)" "0" \
  "$(p stack export | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).deployment.resources.find(r=>r.type==="kubernetes:apps/v1:Deployment"&&r.urn.endsWith("::vote"));console.log(r.inputs.spec.replicas===undefined?0:1)})')"

section "a second up changes nothing"
if run up2 up --yes --expect-no-changes; then ok "pulumi up --expect-no-changes"; else fail "second up had changes" "$(grep -E '^\s+[~+-]|error' "$log/up2.txt" | head -20)"; fi

section "the same app as a compose file (examples/voting-compose.yaml) changes nothing"
# The compose form of the voting app, with this stage's settings laid over it as over the typed app,
# deploys exactly the same objects on the cluster.
pc set --path compose.file examples/voting-compose.yaml
if run up-compose up --yes --expect-no-changes; then
  ok "pulumi up --expect-no-changes with dockyard:compose.file"
else
  fail "the compose file changes the cluster" "$(grep -E '^\s+[~+-]|error' "$log/up-compose.txt" | head -20)"
fi
check "its fidelity report is in the log" "yes" \
  "$(grep -q 'examples/voting-compose.yaml: secrets.db-password.environment: changed: not read' "$log/up-compose.txt" && echo yes || echo no)"
pc rm --path compose.file

section "result replicas 1 -> 3 (a scale, not a rollout)"
result_rs="$(replicasets result)"
pc set --path services.result.replicas 3
if run up-scale up --yes; then ok "pulumi up (scale)"; else fail "pulumi up (scale)" "$(tail -20 "$log/up-scale.txt")"; fi
check "result: 3 replicas available" "3/3/3" "$(available result)"
check "same ReplicaSet" "$result_rs" "$(replicasets result)"
check "3 ready endpoints behind result" "3" "$(ready_endpoints result)"

section "kubectl set image as config: services.vote.image e2e1 -> e2e2 rolls vote out (new ReplicaSet)"
# A new python base (one label more) changes vote's build output; the pipeline pushes it as e2e2.
printf 'FROM dockyard-local/python:3.11\nLABEL dev.dockyard.e2e=k8s-next\n' |
  docker build -q -t dockyard-local/python:3.11-k8se2e-next - >"$log/base-next.txt" 2>&1 ||
  fail "docker build of a new python base" "$(tail -5 "$log/base-next.txt")"
build_push vote e2e2 PYTHON_IMAGE=dockyard-local/python:3.11-k8se2e-next
check "the registry has e2e2 next to e2e1, with new content" "e2e1 e2e2 different" \
  "$(tags voting-vote) $([ "$(digest voting-vote e2e1)" != "$(digest voting-vote e2e2)" ] && echo different || echo same)"
vote_rs="$(replicasets vote)"
db_rs="$(replicasets db)"
worker_rs="$(replicasets worker)"
pc set --path services.vote.image "$REGISTRY_NAME/voting-vote:e2e2"
if run up-image up --yes; then ok "pulumi up (services.vote.image e2e2)"; else fail "pulumi up (services.vote.image e2e2)" "$(tail -20 "$log/up-image.txt")"; fi
if kubectl -n "$NS" rollout status deployment/vote --timeout 120s >"$log/rollout-image.txt" 2>&1; then ok "kubectl rollout status deployment/vote"; else fail "kubectl rollout status deployment/vote" "$(tail -3 "$log/rollout-image.txt")"; fi
new_image="$(jp deployment vote '{.spec.template.spec.containers[0].image}')"
check "vote's Deployment names the new image" "$REGISTRY_NAME/voting-vote:e2e2" "$new_image"
new_rs="$(replicasets vote)"
if [ -n "$new_rs" ] && [ "$new_rs" != "$vote_rs" ]; then ok "vote runs a new ReplicaSet ($vote_rs-> $new_rs)"; else fail "vote runs a new ReplicaSet" "before [$vote_rs], after [$new_rs]"; fi
check "vote's pods run it" "$new_image $new_image" "$(k get pods -l app.kubernetes.io/name=vote -o jsonpath='{.items[*].spec.containers[0].image}')"
check "vote: 2 available" "2/2/2" "$(available vote)"
check "worker and db untouched (same ReplicaSets)" "$worker_rs|$db_rs" "$(replicasets worker)|$(replicasets db)"

section "a new redis image rolls redis out (Recreate: new ReplicaSet, same claim)"
redis_rs="$(replicasets redis)"
docker tag dockyard-local/redis:7 dockyard-local/redis:7-k8se2e-next
pc set --path services.redis.image dockyard-local/redis:7-k8se2e-next
if run up-redis up --yes; then ok "pulumi up (services.redis.image)"; else fail "pulumi up (services.redis.image)" "$(tail -20 "$log/up-redis.txt")"; fi
if kubectl -n "$NS" rollout status deployment/redis --timeout 120s >"$log/rollout-redis.txt" 2>&1; then ok "kubectl rollout status deployment/redis"; else fail "kubectl rollout status deployment/redis" "$(tail -3 "$log/rollout-redis.txt")"; fi
new_rs="$(replicasets redis)"
if [ -n "$new_rs" ] && [ "$new_rs" != "$redis_rs" ]; then ok "redis runs a new ReplicaSet ($redis_rs-> $new_rs)"; else fail "redis runs a new ReplicaSet" "before [$redis_rs], after [$new_rs]"; fi
check "its pod runs the new image" "dockyard-local/redis:7-k8se2e-next" "$(k get pods -l app.kubernetes.io/name=redis -o jsonpath='{.items[*].spec.containers[0].image}')"
check "redis: 1 available" "1/1/1" "$(available redis)"
check "redis-data kept (same claim, Bound)" "Bound" "$(jp pvc redis-data '{.status.phase}')"

section "an env change rolls vote out (new ConfigMap, new ReplicaSet)"
vote_rs="$(replicasets vote)"
old_cm="$(jp deployment vote '{.spec.template.spec.containers[0].envFrom[0].configMapRef.name}')"
pc set --path app.optionA Lions
if run up-env up --yes; then ok "pulumi up (app.optionA)"; else fail "pulumi up (app.optionA)" "$(tail -20 "$log/up-env.txt")"; fi
if kubectl -n "$NS" rollout status deployment/vote --timeout 120s >"$log/rollout-vote.txt" 2>&1; then ok "kubectl rollout status deployment/vote"; else fail "kubectl rollout status deployment/vote" "$(tail -3 "$log/rollout-vote.txt")"; fi
new_cm="$(jp deployment vote '{.spec.template.spec.containers[0].envFrom[0].configMapRef.name}')"
check "vote's new ConfigMap has OPTION_A=Lions" "Lions" "$(k get configmap "$new_cm" -o jsonpath='{.data.OPTION_A}')"
if [ "$new_cm" != "$old_cm" ]; then ok "a new ConfigMap ($old_cm -> $new_cm)"; else fail "a new ConfigMap" "still $old_cm"; fi
new_rs="$(replicasets vote)"
if [ -n "$new_rs" ] && [ "$new_rs" != "$vote_rs" ]; then ok "vote runs a new ReplicaSet ($vote_rs-> $new_rs)"; else fail "vote runs a new ReplicaSet" "before [$vote_rs], after [$new_rs]"; fi
check "vote: 2 available" "2/2/2" "$(available vote)"
check "db untouched (same ReplicaSet)" "$db_rs" "$(replicasets db)"

section "destroy with volumes.<name>.retain: the namespace and the claims stay"
pc set --path volumes.db-data.retain true
pc set --path volumes.redis-data.retain true
if run up-retain up --yes; then ok "pulumi up (retain true)"; else fail "pulumi up (retain)" "$(tail -20 "$log/up-retain.txt")"; fi
if run destroy1 destroy --yes; then ok "pulumi destroy"; else fail "pulumi destroy" "$(tail -20 "$log/destroy1.txt")"; fi
check "namespace kept" "Active" "$(kubectl get namespace "$NS" -o jsonpath='{.status.phase}' 2>&1)"
check "claims kept, still Bound" "db-data=Bound redis-data=Bound" "$(k get pvc -o jsonpath='{range .items[*]}{.metadata.name}={.status.phase}{"\n"}{end}' | sort | xargs)"
eventually "nothing else left: deployments, services, secrets, configmaps, policies, HPAs, pods" "" 60 \
  k get deployments,services,secrets,networkpolicies,hpa,pods -o name
check "no env ConfigMap left" "" "$(k get configmaps -l app.kubernetes.io/managed-by=dockyard -o name)"

section "up again adopts the kept claims; destroy without retain removes everything"
pc set --path volumes.db-data.retain false
pc set --path volumes.redis-data.retain false
if run up-again up --yes; then ok "pulumi up on the kept claims"; else fail "pulumi up on the kept claims" "$(tail -30 "$log/up-again.txt")"; fi
check "db-data is the same volume as before" "$db_pv_before" "$(jp pvc db-data '{.spec.volumeName}')"
eventually "vote: 2 available again" "2/2/2" 60 available vote
if run destroy2 destroy --yes; then ok "pulumi destroy"; else fail "pulumi destroy" "$(tail -20 "$log/destroy2.txt")"; fi
eventually "the namespace is gone" "NotFound" 90 sh -c "'$root/.tools/k8s/bin/kubectl' get namespace $NS -o name 2>&1 | grep -o NotFound || echo present"
check "its volumes were released (claims deleted)" "Released Released" \
  "$(kubectl get pv -o jsonpath='{range .items[?(@.spec.claimRef.namespace=="k8se2e")]}{.status.phase}{"\n"}{end}' | sort | xargs)"
check "the stack is empty" "0" "$(p stack export | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log((JSON.parse(s).deployment.resources||[]).length))')"
docker rmi dockyard-local/redis:7-k8se2e-next dockyard-local/python:3.11-k8se2e-next \
  localhost:5000/voting-vote:e2e1 localhost:5000/voting-vote:e2e2 localhost:5000/voting-result:e2e1 localhost:5000/voting-worker:e2e1 >/dev/null 2>&1 || true

printf '\nk8s e2e finished in %ds (setup and builds %ds, control plane up %ds, deploy and checks %ds); logs in .state/k8s-e2e/log\n' \
  $((SECONDS - t0)) "$setup_done" $((cluster_done - setup_done)) $((SECONDS - cluster_done))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
