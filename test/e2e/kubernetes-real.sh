#!/usr/bin/env bash
# End to end on a real Kubernetes node (`npm run test:e2e:k8s`): the voting app's pods really
# run. Installs what it needs like test/e2e/kubernetes.sh, starts the control plane with a real
# node (tools/k8s/up.sh --node real: containerd, kubelet, kube-proxy, CoreDNS, kube-router in a
# sealed network namespace), builds vote, result and worker with the docker CLI, imports them and
# the redis and postgres images into the node's containerd (tools/k8s/node-images.sh: no registry,
# no pull), then deploys the app with `dockyard up` (and removes it with `dockyard down`), from a copy
# of Pulumi.k8se2e.yaml whose services.<name>.image name those images, on a local file backend, and
# checks what really happens:
#   dockyard up prints a line per Kubernetes object as it is created; `dockyard ps` shows every
#   service ready and `dockyard logs worker` the worker's pod's log;
#   every Deployment available through real readiness probes; a vote posted to the vote Service
#   from a pod is counted on result's API; the namespace enforces Pod Security level restricted,
#   every app pod is admitted and a pod that breaks it is refused by the API server; names resolve
#   through cluster DNS; the stack's limits are in the pods' cgroups (and a process over the memory
#   limit is OOM-killed); NetworkPolicy keeps a pod without the app's network label away from redis
#   and db, and keeps the app's pods from opening anything outside the app (a listener in a namespace
#   the suite makes) while they still resolve names; vote's PodDisruptionBudget lets one eviction
#   through and refuses the next; votes survive the db pod's
#   replacement (the claim's data is on disk); a second up changes nothing; a new vote image rolls
#   out to a new ReplicaSet, one that never gets ready makes the up fail by itself once
#   rolloutTimeout has passed (the old pods keep serving; dockyard up shows the new pod's events)
#   and the previous config rolls it back; destroy with
#   volumes.<name>.retain keeps the claims, an up does not take the kept namespace over while its Pod
#   Security level is someone else's label, and once it is not, the up counts the old votes; destroy
#   without it leaves nothing.
# Needs root. Talks only to 127.0.0.1 and the node's namespace. Ends with "N passed, N failed".
#   E2E_KEEP=1   leave the stack and the cluster up afterwards
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
t0=$SECONDS
section() { printf '\n== %s (%ds)\n' "$1" $((SECONDS - t0)); }

# A stack name of its own: the dockyard verbs read Pulumi.<stack>.yaml in the project, so the suite
# writes its config there; under the stage's own name it would overwrite the tracked Pulumi.k8se2e.yaml,
# which other suites read while this one runs beside them (compat's registrations).
STACK=k8sreal
NS=k8se2e
if [ -e "Pulumi.$STACK.yaml" ]; then
  echo "Pulumi.$STACK.yaml exists: another run of this suite, or a stack of that name of yours; remove it first" >&2
  exit 1
fi
TAG=real1
PASSWORD="k8s-real-db-password-1"
state="$root/.state/k8s-real"
log="$state/log"

section "setup: packages, node, engine, Docker, base images, control plane binaries"
need() {
  local what="$1"; shift
  if ! "$@"; then
    echo "  FAIL  setup: $what ($*)"
    echo "0 passed, 1 failed"
    exit 1
  fi
}
[ "$(id -u)" -eq 0 ] || need "root (the real node needs a network namespace, mounts, cgroups)" false
need "Debian packages" bash tools/k8s/packages.sh
need "Debian packages for the node" bash tools/k8s/packages.sh --node
eval "$(bash scripts/node.sh)"
[ -d node_modules/@pulumi/kubernetes ] || need "npm dependencies" npm ci --ignore-scripts --no-audit --no-fund
need "the Pulumi engine with its Kubernetes provider plugin" bash tools/engine/build.sh kubernetes
# shellcheck source=/dev/null
source tools/engine/env.sh
need "a Docker engine" bash tools/ensure-dockerd.sh
need "the local base images" bash tools/base-images/build.sh
need "the local control plane's and the node's binaries" bash tools/k8s/build.sh --node
setup_done=$SECONDS

rm -rf "$state" && mkdir -p "$state/backend" "$log"
passed=0
failed=0
ok() { passed=$((passed + 1)); printf '  ok    %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf '  FAIL  %s\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | tail -25 | sed 's/^/        /'; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "expected [$2], got [$3]"; fi; }
# Stopped by a signal (Ctrl-C, a CI job's timeout), the suite leaves through its EXIT trap, so the node
# and the namespace are torn down: bash runs an EXIT trap on exit, not when a signal ends it.
trap 'exit 130' INT
trap 'exit 143' TERM
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

# A fresh cluster each run (etcd, volumes): nothing left over from an earlier one can make a check
# pass. The node keeps its containerd root, so images imported by an earlier run are not imported again.
bash tools/k8s/down.sh --purge-cluster >"$log/down-before.txt" 2>&1 || true
t=$SECONDS
if ! bash tools/k8s/up.sh --node real >"$log/up-cluster.txt" 2>&1; then
  tail -30 "$log/up-cluster.txt"
  bash tools/k8s/down.sh >"$log/down.txt" 2>&1
  need "the local control plane with a real node (log: .state/k8s-real/log/up-cluster.txt)" false
fi
cluster_secs=$((SECONDS - t))
cluster_done=$SECONDS
printf '        (control plane and real node up: %ds)\n' "$cluster_secs"
export KUBECONFIG="$root/.state/k8s/kubeconfig"
kubectl() { "$root/.tools/k8s/bin/kubectl" "$@"; }
k() { kubectl -n "$NS" "$@"; }
node_name="$(. tools/k8s/node-env.sh && echo "$NODE")"

# vote's autoscaler at most 3 pods, not the stage's 4: dockyard up refuses a maxReplicas the node
# cannot place (cli/capacity.ts), and this 2-CPU node has room for 3 of vote's pods beside the rest.
sed 's/^\(      autoscaling: { minReplicas: 2, \)maxReplicas: 4,/\1maxReplicas: 3,/' Pulumi.k8se2e.yaml >"$state/Pulumi.$STACK.yaml"
grep -q '^      autoscaling: { minReplicas: 2, maxReplicas: 3, targetCpuPercent: 70 }$' "$state/Pulumi.$STACK.yaml" ||
  { echo "Pulumi.k8se2e.yaml: vote's autoscaling line is not the one this suite lowers to 3 pods" >&2; exit 1; }
export PULUMI_BACKEND_URL="file://$state/backend"
export PULUMI_CONFIG_PASSPHRASE="k8s-real-only-passphrase"
p() { pulumi --non-interactive --stack "$STACK" "$@"; }
pc() { pulumi --non-interactive config --stack "$STACK" --config-file "$state/Pulumi.$STACK.yaml" "$@"; }
# The dockyard verbs read Pulumi.<stack>.yaml in the project: the suite's config file, as it is now
# (the suite's kubectl on PATH for dockyard ps, logs and a failed rollout's pod).
dockyard() {
  cp "$state/Pulumi.$STACK.yaml" "$root/Pulumi.$STACK.yaml" && PATH="$root/.tools/k8s/bin:$PATH" node cli/dockyard.js "$@"
}
run() { # $1 = log name, $2 = up or destroy (dockyard down), then their flags
  local name="$1" verb="$2"; shift 2
  [ "$verb" != destroy ] || verb=down
  local t=$SECONDS rc=0
  dockyard "$verb" "$STACK" "$@" >"$log/$name.txt" 2>&1 || rc=$?
  printf '        (dockyard %s: %ds)\n' "$verb" $((SECONDS - t))
  return "$rc"
}
destroyed=0
cleanup() {
  local rc=$?
  set +e
  rm -f "$root/Pulumi.$STACK.yaml"
  if [ "${E2E_KEEP:-}" != "1" ]; then
    [ "$destroyed" = 1 ] || p destroy --yes --config-file "$state/Pulumi.$STACK.yaml" >"$log/cleanup.txt" 2>&1
    local t=$SECONDS
    bash tools/k8s/down.sh >"$log/down.txt" 2>&1
    printf '        (tools/k8s/down.sh: %ds)\n' $((SECONDS - t))
    docker rmi "dockyard-local/voting-vote:$TAG" "dockyard-local/voting-result:$TAG" "dockyard-local/voting-worker:$TAG" \
      dockyard-local/voting-vote:real2-noserve dockyard-local/voting-vote:real2 >/dev/null 2>&1
    local left
    left="$(ip netns list | grep -c "^$(. tools/k8s/node-env.sh && echo "$NETNS")\b" || true)"
    [ "$left" = 0 ] || echo "        WARNING: the node's network namespace is still there"
  else
    echo "E2E_KEEP=1: stack $STACK and the cluster (KUBECONFIG=.state/k8s/kubeconfig) are left up"
  fi
  exit "$rc"
}
trap cleanup EXIT

# --- the images: built with the docker CLI, imported into the node's containerd ---------------
section "the app images, built with the docker CLI and imported into the node"
build() { # $1 = service, then BUILD_ARG=value ...
  local service="$1" args=() kv context="apps/$1"
  shift
  case "$service" in
    worker) context=apps args=(-f apps/node-common/Dockerfile --build-arg APP=worker --build-arg PORT=8082) ;;
    result) context=apps args=(-f apps/node-common/Dockerfile --build-arg APP=result --build-arg PORT=8081) ;;
  esac
  for kv in "$@"; do args+=(--build-arg "$kv"); done
  DOCKER_BUILDKIT=0 docker build -q "${args[@]}" -t "dockyard-local/voting-$service:$TAG" "$context" >"$log/build-$service.txt" 2>&1
}
# The classic builder keeps each earlier stage of a multi-stage Dockerfile (vote's deps, result's and
# worker's build and deps) as an untagged image: the ones this suite's builds left are removed at once,
# since the suites that run beside it check that the engine holds no untagged image they did not find.
dangling() { docker images -q --no-trunc --filter dangling=true | sort; }
remove_stage_images() { comm -13 <(printf '%s\n' "$1") <(dangling) | xargs -r docker rmi >/dev/null 2>&1 || true; }
t=$SECONDS
dangling_before_build="$(dangling)"
if build vote PYTHON_IMAGE=dockyard-local/python:3.11 && build result NODE_IMAGE=dockyard-local/node:22 &&
  build worker NODE_IMAGE=dockyard-local/node:22; then
  ok "vote, result and worker built as dockyard-local/voting-*:$TAG ($((SECONDS - t))s)"
else
  fail "build the app images" "$(tail -5 "$log"/build-*.txt 2>/dev/null)"
  exit 1
fi
remove_stage_images "$dangling_before_build"
check "the builds' stage images removed: no untagged image left by them" "" "$(comm -13 <(printf '%s\n' "$dangling_before_build") <(dangling) | tr '\n' ' ')"
IMAGES=("dockyard-local/voting-vote:$TAG" "dockyard-local/voting-result:$TAG" "dockyard-local/voting-worker:$TAG"
  dockyard-local/redis:7 dockyard-local/postgres:15)
t=$SECONDS
if bash tools/k8s/node-images.sh "${IMAGES[@]}" >"$log/node-images.txt" 2>&1; then
  ok "five images imported into the node's containerd ($((SECONDS - t))s)"
else
  fail "import the images into the node" "$(cat "$log/node-images.txt")"
  exit 1
fi

section "stack $STACK: a copy of Pulumi.k8se2e.yaml with the imported images"
pulumi --non-interactive stack init "$STACK" >/dev/null
pc set kubeconfig "$KUBECONFIG"
pc set --secret --path secrets.db-password "$PASSWORD"
for s in vote result worker; do pc set --path "services.$s.image" "dockyard-local/voting-$s:$TAG"; done
# A rollout that has not finished in 90 s fails (the default is 600 s, the API's own deadline).
ROLLOUT_TIMEOUT=90
pc set rolloutTimeout "$ROLLOUT_TIMEOUT"
pc set --path services.worker.stopGracePeriodSeconds 20
ok "stack created; kubeconfig, secrets.db-password, services.{vote,result,worker}.image, rolloutTimeout $ROLLOUT_TIMEOUT and services.worker.stopGracePeriodSeconds 20 set"

jp() { k get "$1" "$2" -o jsonpath="$3"; }
available() { jp deployment "$1" '{.spec.replicas}/{.status.availableReplicas}/{.status.updatedReplicas}'; }
names() { k get "$1" -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' "${@:2}" | sort | tr '\n' ' '; }
pod_of() { k get pods -l "app.kubernetes.io/name=$1" --field-selector=status.phase=Running -o jsonpath='{.items[0].metadata.name}'; }
# A pod of the suite's own, from the result image (node, getent), that meets the restricted Pod
# Security level the stage's namespace enforces: $1 = namespace, $2 = name, $3 = labels (a YAML flow
# map), $4 = command (a YAML flow list).
suite_pod() {
  kubectl -n "$1" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: { name: $2, labels: $3 }
spec:
  securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: RuntimeDefault } }
  containers:
  - name: c
    image: "dockyard-local/voting-result:$TAG"
    imagePullPolicy: Never
    command: $4
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] }, readOnlyRootFilesystem: true }
EOF
}
client_pod() { suite_pod "$NS" client '{}' '[sleep, infinity]'; }

section "dockyard up: Pulumi waits for real readiness"
t=$SECONDS
if run up1 up --yes; then
  ok "dockyard up ($((SECONDS - t))s)"
else
  fail "dockyard up" "$(tail -40 "$log/up1.txt")"
  k get pods -o wide 2>&1 | sed 's/^/        /'
  for d in db redis result vote worker; do k describe pods -l "app.kubernetes.io/name=$d" 2>&1 | tail -12 | sed "s/^/        $d: /"; done
  exit 1
fi
up_secs=$((SECONDS - t))
check "dockyard up: a progress line per Deployment as it is created, and the summary" "5|up done" \
  "$(grep -cE '^\[[0-9]+\] created kubernetes Deployment (db|redis|result|vote|worker) \(' "$log/up1.txt")|$(grep -oE '^up done' "$log/up1.txt")"

section "dockyard ps and dockyard logs on the Kubernetes stack"
# vote's replicas are its autoscaler's (minReplicas 2): the Deployment starts with one pod and the
# HPA adds the second at its next sync, so ps is asked again until it shows both (up to 90 s).
ps_expected="SERVICE REPLICAS HEALTH|db 1/1 healthy|redis 1/1 healthy|result 1/1 healthy|vote 2/2 healthy|worker 1/1 healthy|"
for _ in $(seq 1 30); do
  dockyard ps "$STACK" >"$log/ps.txt" 2>&1
  [ "$(awk '{ print $1, $2, $3 }' "$log/ps.txt" | tr '\n' '|')" = "$ps_expected" ] && break
  sleep 3
done
check "dockyard ps: every service's replicas ready and healthy" "$ps_expected" \
  "$(awk '{ print $1, $2, $3 }' "$log/ps.txt" | tr '\n' '|')"
rc=0
dockyard logs worker --stack "$STACK" >"$log/logs-worker.txt" 2>&1 || rc=$?
check "dockyard logs worker: exit 0, the worker's pod's start line" "0|yes" \
  "$rc|$(grep -qE '^\[pod/worker-[a-z0-9-]+/worker\] .*: health on http://0.0.0.0:8082/healthz, moving votes' "$log/logs-worker.txt" && echo yes || echo "no: $(head -3 "$log/logs-worker.txt")")"

# --- 1. Deployments, then a vote through the Services --------------------------------------------
section "1. five Deployments available on the real node; a vote posted to vote is counted by result"
check "pull policy: IfNotPresent (the imported images are used, nothing is pulled)" \
  "IfNotPresent IfNotPresent IfNotPresent IfNotPresent IfNotPresent" \
  "$(for d in db redis result vote worker; do jp deployment "$d" '{.spec.template.spec.containers[0].imagePullPolicy} '; done | xargs)"
check "five Deployments" "db redis result vote worker " "$(names deployment)"
eventually "vote 2/2/2, result, worker, redis, db 1/1/1 (spec/available/updated)" "2/2/2 1/1/1 1/1/1 1/1/1 1/1/1" 120 \
  bash -c "for d in vote result worker redis db; do '$root/.tools/k8s/bin/kubectl' -n $NS get deployment \$d -o jsonpath='{.spec.replicas}/{.status.availableReplicas}/{.status.updatedReplicas} '; done | xargs"
check "every app pod Running, Ready, on node $node_name" "6 Running/True/$node_name" \
  "$(k get pods -l app.kubernetes.io/part-of=voting -o jsonpath='{range .items[*]}{.status.phase}/{.status.conditions[?(@.type=="Ready")].status}/{.spec.nodeName}{"\n"}{end}' | sort | uniq -c | awk '{print $1, $2}' | xargs)"
check "readiness is real: vote, result and worker probe GET /healthz, redis and db run their command" \
  "vote:/healthz result:/healthz worker:/healthz redis:exec db:exec" \
  "$(for d in vote result worker redis db; do printf '%s:%s ' "$d" "$(jp deployment "$d" '{.spec.template.spec.containers[0].readinessProbe.httpGet.path}{.spec.template.spec.containers[0].readinessProbe.exec.command[0]}' | sed 's/^[a-z][a-z_-]*$/exec/')"; done | xargs)"
check "liveness and startup ask only that the port accepts connections (a redis outage makes vote unready, not restarted)" \
  "vote:8080/8080 result:8081/8081 worker:8082/8082 redis:6379/6379 db:5432/5432" \
  "$(for d in vote result worker redis db; do printf '%s:%s ' "$d" "$(jp deployment "$d" '{.spec.template.spec.containers[0].livenessProbe.tcpSocket.port}/{.spec.template.spec.containers[0].startupProbe.tcpSocket.port}')"; done | xargs)"
check "every container requests 64Mi of the node's disk (ephemeral-storage) and may use 1Gi" "5x64Mi/1Gi" \
  "$(for d in db redis result vote worker; do jp deployment "$d" '{.spec.template.spec.containers[0].resources.requests.ephemeral-storage}/{.spec.template.spec.containers[0].resources.limits.ephemeral-storage}{"\n"}'; done | sort | uniq -c | awk '{print $1 "x" $2}' | xargs)"
check "rolloutTimeout is every Deployment's progress deadline" "90 90 90 90 90" \
  "$(for d in db redis result vote worker; do jp deployment "$d" '{.spec.progressDeadlineSeconds} '; done | xargs)"
check "stop grace period: worker 20 s (its stopGracePeriodSeconds), vote the API's 30 s" "20 30" \
  "$(jp deployment worker '{.spec.template.spec.terminationGracePeriodSeconds}') $(jp deployment vote '{.spec.template.spec.terminationGracePeriodSeconds}')"
check "every pod: the runtime's seccomp profile; every container: no privilege escalation, all capabilities dropped, not root, read-only" \
  "db=RuntimeDefault false [\"ALL\"] true true|redis=RuntimeDefault false [\"ALL\"] true true|result=RuntimeDefault false [\"ALL\"] true true|vote=RuntimeDefault false [\"ALL\"] true true|worker=RuntimeDefault false [\"ALL\"] true true|" \
  "$(for d in db redis result vote worker; do printf '%s=%s|' "$d" "$(jp deployment "$d" '{.spec.template.spec.securityContext.seccompProfile.type} {.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation} {.spec.template.spec.containers[0].securityContext.capabilities.drop} {.spec.template.spec.containers[0].securityContext.runAsNonRoot} {.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem}')"; done)"
psa() { kubectl get namespace "$NS" -o jsonpath="{.metadata.labels.pod-security\.kubernetes\.io/$1}"; }
check "the namespace enforces Pod Security level restricted (v1.34), audits and warns at restricted (latest)" \
  "enforce=restricted@v1.34 audit=restricted@latest warn=restricted@latest" \
  "$(for m in enforce audit warn; do printf '%s=%s@%s ' "$m" "$(psa "$m")" "$(psa "$m-version")"; done | xargs)"
# The API server's own Pod Security admission judges the running pods: moving the namespace to the
# latest restricted (a server-side dry run, nothing changed) warns about every pod it would refuse.
check "the API server finds no running pod that the latest restricted level would refuse" "" \
  "$(kubectl label --dry-run=server --overwrite namespace "$NS" pod-security.kubernetes.io/enforce-version=latest 2>&1 >/dev/null | grep -i 'violate\|forbidden' || true)"
rootfs() { # $1 = service, $2... = writable paths: "root:no /tmp:yes ..."
  local service="$1"
  shift
  k exec "deploy/$service" -- sh -c 'printf "root:"; touch /probe 2>/dev/null && printf yes || printf no; for p; do printf " %s:" "$p"; touch "$p/probe" 2>/dev/null && rm -f "$p/probe" && printf yes || printf no; done' sh "$@"
}
check "no service can write its root filesystem; /tmp (an in-memory emptyDir) each can, db also /var/run/postgresql" \
  "vote=root:no /tmp:yes|redis=root:no /tmp:yes|worker=root:no /tmp:yes|result=root:no /tmp:yes|db=root:no /tmp:yes /var/run/postgresql:yes|" \
  "$(for d in vote redis worker result; do printf '%s=%s|' "$d" "$(rootfs "$d" /tmp)"; done; printf 'db=%s|' "$(rootfs db /tmp /var/run/postgresql)")"
check "containers really started: a container ID per pod, from containerd" "6" \
  "$(k get pods -l app.kubernetes.io/part-of=voting -o jsonpath='{range .items[*]}{.status.containerStatuses[0].containerID}{"\n"}{end}' | grep -c '^containerd://' || true)"
echo "        restarts: $(k get pods -l app.kubernetes.io/part-of=voting -o jsonpath='{range .items[*]}{.metadata.labels.app\.kubernetes\.io/name}={.status.containerStatuses[0].restartCount} {end}')"

# A client pod in the namespace with no app labels: the NetworkPolicies do not let it in anywhere
# but the published ports of vote and result, and select it for no egress rule. The result image has
# node (fetch) and getent.
client_pod
# A pod with the app's labels and the backend network's: the policies let it reach redis and db.
suite_pod "$NS" backend-member \
  "{ app.kubernetes.io/part-of: voting, app.kubernetes.io/instance: $STACK, dockyard.dev/network-backend: \"true\" }" '[sleep, infinity]'
if k wait --for=condition=Ready pod/client pod/backend-member --timeout=60s >"$log/client.txt" 2>&1; then
  ok "client pods Running"
else
  fail "client pods Running" "$(cat "$log/client.txt"; k describe pod client | tail -10)"
fi
cx() { k exec client -- "$@"; }
vote() { # $1 = voter id, $2 = a|b: the HTTP status of the POST to the vote Service
  cx node -e 'fetch("http://vote:5000/", { method: "POST", headers: { cookie: "voter_id=" + process.argv[1], "content-type": "application/x-www-form-urlencoded" }, body: "vote=" + process.argv[2], signal: AbortSignal.timeout(10000) }).then((r) => console.log(r.status), (e) => console.log("error " + (e.cause?.code ?? e.message)))' "$1" "$2"
}
counts() { # "a b" as result's API counts them
  cx node -e 'fetch("http://result:5001/api/results", { signal: AbortSignal.timeout(10000) }).then((r) => r.json()).then((r) => { const o = r.options ?? r; const n = (x) => (typeof x === "number" ? x : (x?.votes ?? x?.count ?? "?")); console.log(n(o.a) + " " + n(o.b)); }, (e) => console.log("error " + (e.cause?.code ?? e.message)))'
}
check "vote's page answers through its Service (GET http://vote:5000/)" "200" \
  "$(cx node -e 'fetch("http://vote:5000/", { signal: AbortSignal.timeout(10000) }).then((r) => console.log(r.status), (e) => console.log("error " + e.message))' 2>&1)"
check "three votes posted to the vote Service (a, a, b)" "200 200 200" "$(echo "$(vote v1 a) $(vote v2 a) $(vote v3 b)")"
eventually "result's API counts them (2 a, 1 b): vote -> redis -> worker -> db -> result" "2 1" 60 counts

# --- 1b. Pod Security admission ------------------------------------------------------------------
section "1b. Pod Security admission: the API server refuses a pod that breaks restricted"
# A pod with no security context at all: root allowed, capabilities kept, privilege escalation allowed.
refused="$(k apply -f - 2>&1 >/dev/null <<EOF || true
apiVersion: v1
kind: Pod
metadata: { name: unconfined }
spec:
  containers:
  - { name: c, image: "dockyard-local/voting-result:$TAG", imagePullPolicy: Never, command: [sleep, infinity] }
EOF
)"
printf '        the API server: %s\n' "$refused"
check "refused for each thing restricted requires: privilege escalation, capabilities, root, seccomp" "forbidden restricted:v1.34 4" \
  "$(echo "$refused" | grep -q 'is forbidden' && printf 'forbidden ' || printf 'admitted ')$(echo "$refused" | grep -o 'violates PodSecurity "restricted:v1.34"' | grep -o 'restricted:v1.34' || printf none) $(echo "$refused" | grep -oE 'allowPrivilegeEscalation != false|unrestricted capabilities|runAsNonRoot != true|seccompProfile' | sort -u | wc -l)"
check "and it does not exist" "NotFound" "$({ k get pod unconfined -o name 2>&1 || true; } | grep -o NotFound || echo present)"

# --- 2. DNS ---------------------------------------------------------------------------------
section "2. services find each other by name through cluster DNS"
svc_ip() { jp service "$1" '{.spec.clusterIP}'; }
check "redis, db, vote, result: short names resolve to their Service IPs (from a pod, getent)" \
  "$(svc_ip redis) $(svc_ip db) $(svc_ip vote) $(svc_ip result)" \
  "$(for s in redis db vote result; do cx getent hosts "$s" | awk '{print $1}'; done | xargs)"
check "db.$NS.svc.cluster.local resolves from the vote pod (what the app pods use)" "$(svc_ip db)" \
  "$(k exec "$(pod_of vote)" -- getent hosts "db.$NS.svc.cluster.local" | awk '{print $1}')"
check "the pods' resolver is CoreDNS's Service (10.96.0.10), search $NS.svc.cluster.local" "10.96.0.10 $NS.svc.cluster.local" \
  "$(k exec "$(pod_of worker)" -- sh -c 'echo $(sed -n "s/^nameserver //p" /etc/resolv.conf) $(sed -n "s/^search //p" /etc/resolv.conf | cut -d" " -f1)')"
check "a name outside the cluster does not resolve (no upstream)" "no" \
  "$(cx timeout 10 getent hosts deb.debian.org >/dev/null 2>&1 && echo yes || echo no)"

# --- 3. limits in the cgroups -------------------------------------------------------------------
section "3. the stack's limits are in the pods' cgroups"
# memory limit in bytes and CPU quota per 100 ms period, cgroup v1 or v2
cg() {
  k exec "$(pod_of "$1")" -- sh -c '
    if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
      m=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
      d=/sys/fs/cgroup/cpu; [ -f $d/cpu.cfs_quota_us ] || d=/sys/fs/cgroup/cpu,cpuacct
      q=$(cat $d/cpu.cfs_quota_us); per=$(cat $d/cpu.cfs_period_us)
    else
      m=$(cat /sys/fs/cgroup/memory.max); read q per < /sys/fs/cgroup/cpu.max
    fi
    echo "$m $((q * 100000 / per))"'
}
check "vote: 128Mi (134217728), 500m (50000/100000)" "134217728 50000" "$(cg vote)"
check "result (limits override): 96Mi (100663296), 250m (25000)" "100663296 25000" "$(cg result)"
check "worker: 128Mi, 500m" "134217728 50000" "$(cg worker)"
check "redis: 128Mi, 500m" "134217728 50000" "$(cg redis)"
check "db: 512Mi (536870912), 1 CPU (100000)" "536870912 100000" "$(cg db)"
oom_pod="$(pod_of vote)"
oom_restarts="$(jp pod "$oom_pod" '{.status.containerStatuses[0].restartCount}')"
oom_rc=0
k exec "$oom_pod" -- python3 -c 'b = b"x" * (400 * 1024 * 1024); print(len(b))' >"$log/oom.txt" 2>&1 || oom_rc=$?
check "a process in vote's container over its 128Mi is OOM-killed (exit 137)" "137" "$oom_rc"
sleep 2
check "vote's container itself kept running (same restart count) and stays Ready" "$oom_restarts True" \
  "$(jp pod "$oom_pod" '{.status.containerStatuses[0].restartCount} {.status.conditions[?(@.type=="Ready")].status}')"

# --- 4. NetworkPolicy -------------------------------------------------------------------------
section "4. NetworkPolicy: a pod without the app's network label cannot open redis or db; the app's pods open nothing outside the app"
kr_running=no
(. tools/k8s/node-env.sh && alive kube-router) && kr_running=yes
check "kube-router (NetworkPolicy) runs on the node" "yes" "$kr_running"
tcp() { # $1 = pod, $2 = host, $3 = port: open | closed
  k exec "$1" -- node -e 'const s = require("net").connect(+process.argv[2], process.argv[1]); s.setTimeout(4000); s.on("connect", () => { console.log("open"); s.destroy(); }); s.on("timeout", () => { console.log("closed"); s.destroy(); }); s.on("error", () => console.log("closed"));' "$2" "$3" 2>&1
}
check "a pod with the backend label (the policies' member) opens redis:6379 and db:5432" "open open" \
  "$(echo "$(tcp backend-member redis 6379) $(tcp backend-member db 5432)")"
check "the client pod (no app labels) cannot open redis:6379 nor db:5432" "closed closed" \
  "$(echo "$(tcp client redis 6379) $(tcp client db 5432)")"
check "nor redis's or db's pod IP directly" "closed closed" \
  "$(echo "$(tcp client "$(jp pod "$(pod_of redis)" '{.status.podIP}')" 6379) $(tcp client "$(jp pod "$(pod_of db)" '{.status.podIP}')" 5432)")"
check "but it opens the published vote:5000 and result:5001" "open open" "$(echo "$(tcp client vote 5000) $(tcp client result 5001)")"
# Egress: a listener in a namespace the suite makes (no policy there), which a pod no egress policy
# selects (client) can open, and the app's pods cannot.
OUT="$NS-outside"
kubectl create namespace "$OUT" >/dev/null
suite_pod "$OUT" listener '{ app: listener }' \
  "[node, -e, 'require(\"net\").createServer((s) => s.end(\"outside\")).listen(9000)']"
kubectl -n "$OUT" expose pod listener --port 9000 >/dev/null
if kubectl -n "$OUT" wait --for=condition=Ready pod/listener --timeout=60s >"$log/listener.txt" 2>&1; then
  ok "a listener on 9000 in namespace $OUT (the suite's own), behind Service listener"
else
  fail "the listener in $OUT" "$(cat "$log/listener.txt"; kubectl -n "$OUT" describe pod listener | tail -10)"
fi
listener_ip="$(kubectl -n "$OUT" get pod listener -o jsonpath='{.status.podIP}')"
worker_pod="$(pod_of worker)"
# The control: the listener is reachable (kube-router resyncs its rules as the pods and the Service
# appear, so it may take a moment), which makes the closed connections below the policies' doing.
client_to_listener() { echo "$(tcp client "listener.$OUT" 9000) $(tcp client "$listener_ip" 9000)"; }
eventually "the client pod (selected by no egress policy) opens listener.$OUT:9000 and its pod IP" "open open" 30 client_to_listener
check "worker's pod (default-deny egress) opens neither" "closed closed" \
  "$(echo "$(tcp "$worker_pod" "listener.$OUT" 9000) $(tcp "$worker_pod" "$listener_ip" 9000)")"
check "nor does vote's pod (python: a socket from the app's own image)" "closed" \
  "$(k exec "$(pod_of vote)" -- python3 -c 'import socket,sys
try:
    socket.create_connection((sys.argv[1], 9000), timeout=4); print("open")
except OSError:
    print("closed")' "$listener_ip" 2>&1)"
check "while worker's pod still resolves names through cluster DNS: listener.$OUT and db" \
  "$(kubectl -n "$OUT" get service listener -o jsonpath='{.spec.clusterIP}') $(jp service db '{.spec.clusterIP}')" \
  "$(echo "$(k exec "$worker_pod" -- getent hosts "listener.$OUT" | awk '{print $1}') $(k exec "$worker_pod" -- getent hosts db | awk '{print $1}')")"
check "and opens its own edges: redis:6379, db:5432 (and the other backend members' ports, vote:5000)" "open open open" \
  "$(echo "$(tcp "$worker_pod" redis 6379) $(tcp "$worker_pod" db 5432) $(tcp "$worker_pod" vote 5000)")"
check "but no other port of the members' pods (db's pod on 22)" "closed" "$(tcp "$worker_pod" "$(jp pod "$(pod_of db)" '{.status.podIP}')" 22)"
kubectl delete namespace "$OUT" --wait=false >/dev/null 2>&1
check "the app keeps working under the policies: one more vote (b) is counted" "200" "$(vote v4 b)"
eventually "result counts 2 a, 2 b (vote -> redis and worker -> db allowed)" "2 2" 60 counts

# --- 4b. PodDisruptionBudget ----------------------------------------------------------------------
section "4b. vote's PodDisruptionBudget: evictions take its pods one at a time"
check "one PodDisruptionBudget, vote's (the other services run one pod)" "vote " "$(names pdb)"
check "vote's: at most 1 unavailable, its Deployment's selector, a not-Ready pod always evictable" \
  "1 $(jp deployment vote '{.spec.selector.matchLabels}') AlwaysAllow" \
  "$(jp pdb vote '{.spec.maxUnavailable} {.spec.selector.matchLabels} {.spec.unhealthyPodEvictionPolicy}')"
check "vote's selector, exactly" '{"app.kubernetes.io/instance":"'"$STACK"'","app.kubernetes.io/name":"vote","app.kubernetes.io/part-of":"voting"}' \
  "$(jp pdb vote '{.spec.selector.matchLabels}')"
eventually "it counts vote's 2 Ready pods: 1 disruption allowed (expected/healthy/desired/allowed)" "2/2/1/1" 60 \
  jp pdb vote '{.status.expectedPods}/{.status.currentHealthy}/{.status.desiredHealthy}/{.status.disruptionsAllowed}'
evict() { # $1 = pod: what the API server answers to its eviction
  kubectl create --raw "/api/v1/namespaces/$NS/pods/$1/eviction" -f - 2>&1 <<EOF || true
{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"$1","namespace":"$NS"}}
EOF
}
read -r vote1 vote2 _ <<<"$(k get pods -l app.kubernetes.io/name=vote --field-selector=status.phase=Running -o jsonpath='{.items[*].metadata.name}')"
first="$(evict "$vote1")"
second="$(evict "$vote2")"
printf '        eviction of %s: %s\n        eviction of %s: %s\n' "$vote1" "$first" "$vote2" "$second"
check "the first eviction is granted; the second, right after, is refused by the budget (429)" "granted refused" \
  "$(echo "$first" | grep -q '"status":"Success"' && printf granted || printf 'not-granted'; printf ' '; echo "$second" | grep -q 'TooManyRequests' && echo "$second" | grep -q 'disruption budget' && printf refused || printf not-refused)"
check "the second pod is still there, not being deleted" "Running/" \
  "$(jp pod "$vote2" '{.status.phase}/{.metadata.deletionTimestamp}')"
eventually "vote 2/2/2 again: the Deployment replaced the evicted pod" "2/2/2" 90 available vote

# --- 5. votes survive the db pod's replacement ----------------------------------------------
# shellcheck source=kubernetes-faults.sh
source test/e2e/kubernetes-faults.sh
section "5. votes survive deleting the db pod (the claim's data on disk)"
db_pod="$(pod_of db)"
pv="$(jp pvc db-data '{.spec.volumeName}')"
pv_path="$(kubectl get pv "$pv" -o jsonpath='{.spec.hostPath.path}')"
check "db-data's volume holds the database on disk (pgdata/PG_VERSION)" "yes" \
  "$([ -n "$pv_path" ] && [ -f "$pv_path/pgdata/PG_VERSION" ] && echo yes || echo "no ($pv: ${pv_path:-no hostPath})")"
k delete pod "$db_pod" --wait=true --timeout=90s >"$log/delete-db.txt" 2>&1 || true
eventually "a new db pod, available" "1/1/1 new" 120 \
  bash -c "n=\$('$root/.tools/k8s/bin/kubectl' -n $NS get pods -l app.kubernetes.io/name=db -o jsonpath='{.items[*].metadata.name}'); echo \"\$('$root/.tools/k8s/bin/kubectl' -n $NS get deployment db -o jsonpath='{.spec.replicas}/{.status.availableReplicas}/{.status.updatedReplicas}') \$([ -n \"\$n\" ] && [ \"\$n\" != '$db_pod' ] && echo new || echo \"old:\$n\")\""
check "the same volume (claim not recreated)" "$pv" "$(jp pvc db-data '{.spec.volumeName}')"
eventually "result still counts 2 a, 2 b" "2 2" 90 counts
check "a vote after the replacement is accepted" "200" "$(vote v5 a)"
eventually "and counted (3 a, 2 b): worker reconnected to the new db" "3 2" 90 counts
faults_pods

# --- 6. a second up; destroy with and without retain ---------------------------------------------
section "6. a second up changes nothing"
k delete pod client backend-member --grace-period=1 --wait=true --timeout=60s >/dev/null 2>&1
t=$SECONDS
if run up2 up --yes && grep -qE '^up done in [0-9ms]+: [0-9]+ unchanged$' "$log/up2.txt"; then
  ok "dockyard up: $(grep -oE '[0-9]+ unchanged$' "$log/up2.txt"), nothing else ($((SECONDS - t))s)"
else
  fail "second up had changes" "$(grep -E '^\[|^up |error' "$log/up2.txt" | head -20)"
fi

# --- 6b. drift: changed and removed by hand, found, put back ---------------------------------------
section "6b. dockyard drift: a Deployment scaled and a Service deleted by hand are named; dockyard up puts them back"
# dockyard up refreshes first on Kubernetes too; the Deployment's patchForce lets its server-side apply
# take back replicas from kubectl's field manager.
drift_out() { grep -v '^note:' "$log/$1.txt" | tr '\n' '|'; }
rc=0
dockyard drift "$STACK" >"$log/drift0.txt" 2>&1 || rc=$?
check "dockyard drift on the fresh stack: exit 0, nothing drifted" "0|stack $STACK: no drift: the engine matches the stack|" "$rc|$(drift_out drift0)"
k scale deployment/worker --replicas=2 >"$log/by-hand.txt" 2>&1
k delete service result --wait=true >>"$log/by-hand.txt" 2>&1
check "by hand: worker scaled to 2 (kubectl scale), result's Service deleted" "2|" \
  "$(jp deployment worker '{.spec.replicas}')|$(k get service result -o name 2>/dev/null)"
rc=0
dockyard drift "$STACK" >"$log/drift1.txt" 2>&1 || rc=$?
check "dockyard drift: exit 1, result's Service missing, worker's replicas with the stack's value and the engine's" \
  "1|stack $STACK: 2 resources drifted|  kubernetes Service result: missing on the engine (dockyard up creates it again)|  kubernetes Deployment worker: 1 field changed on the engine|    spec.replicas: stack 1, engine 2|" \
  "$rc|$(drift_out drift1)"
t=$SECONDS
rc=0
run up-repair up --yes || rc=$?
check "dockyard up puts them back: exit 0, result's Service created, worker updated, nothing else ($((SECONDS - t))s)" \
  "0|[n] created kubernetes Service result|[n] updated kubernetes Deployment worker|up done: 1 created, 1 updated, 34 unchanged|" \
  "$rc|$(grep -E '^\[[0-9]+\] ' "$log/up-repair.txt" | sed -E 's/^\[[0-9]+\]/[n]/; s/ \([^)]*\)$//' | sort | tr '\n' '|')$(sed -nE 's/^up (done) in [0-9ms]+: (.*)$/up \1: \2/p' "$log/up-repair.txt")|"
eventually "worker back to 1/1/1 (spec/available/updated), result's Service there again" "1/1/1 service/result" 60 \
  bash -c "echo \"\$('$root/.tools/k8s/bin/kubectl' -n $NS get deployment worker -o jsonpath='{.spec.replicas}/{.status.availableReplicas}/{.status.updatedReplicas}') \$('$root/.tools/k8s/bin/kubectl' -n $NS get service result -o name)\""
rc=0
dockyard drift "$STACK" >"$log/drift2.txt" 2>&1 || rc=$?
check "dockyard drift afterwards: exit 0, nothing drifted" "0|stack $STACK: no drift: the engine matches the stack|" "$rc|$(drift_out drift2)"
# The picture of the deployed stack: Graphviz (dot) renders it, with the five services in it.
check "dockyard diagram $STACK --format svg: Graphviz renders the stack, its five services in it" "<svg|db redis result vote worker" \
  "$(dockyard diagram "$STACK" --format svg 2>"$log/diagram.err" >"$log/diagram.svg"; grep -o '<svg' "$log/diagram.svg" | head -1)|$(grep -oE '>(db|redis|result|vote|worker)<' "$log/diagram.svg" | tr -d '<>' | sort -u | xargs)"

# --- 7. rollouts: a new image, one that never gets ready, and back -------------------------------
section "7. rollouts: a new vote image rolls out; one that never gets ready fails the up while the old pods serve; the previous config rolls back"
TAG2=real2
BROKEN=real2-noserve
vote_pods() { # image/Ready of each vote pod not being deleted, sorted
  k get pods -l app.kubernetes.io/name=vote -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}|{.spec.containers[0].image}/{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
    grep '^|' | cut -c2- | sort | uniq -c | awk '{print $1 "x" $2}' | xargs
}
vote_state() { echo "$(available vote) $(vote_pods)"; }
vote_rs() { jp deployment vote '{.metadata.annotations.deployment\.kubernetes\.io/revision}'; }
rs_of() { # the pod-template-hash of vote's pods with image $1 (one value, or several)
  k get pods -l app.kubernetes.io/name=vote -o jsonpath='{range .items[*]}{.spec.containers[0].image} {.metadata.labels.pod-template-hash}{"\n"}{end}' | awk -v i="$1" '$1 == i { print $2 }' | sort -u | xargs
}
# real2: the same app with one more label, so a new image ID (a new tag of the same ID would not roll anything)
t=$SECONDS
dangling_before_build="$(dangling)"
if DOCKER_BUILDKIT=0 docker build -q --build-arg PYTHON_IMAGE=dockyard-local/python:3.11 --label dockyard.dev/e2e-build=$TAG2 \
  -t "dockyard-local/voting-vote:$TAG2" apps/vote >"$log/build-vote-$TAG2.txt" 2>&1 &&
  printf 'FROM dockyard-local/voting-vote:%s\nCMD ["sleep", "infinity"]\n' "$TAG2" |
  DOCKER_BUILDKIT=0 docker build -q -t "dockyard-local/voting-vote:$BROKEN" - >"$log/build-vote-$BROKEN.txt" 2>&1 &&
  bash tools/k8s/node-images.sh "dockyard-local/voting-vote:$TAG2" "dockyard-local/voting-vote:$BROKEN" >"$log/node-images-rollout.txt" 2>&1; then
  ok "vote:$TAG2 (new label) and vote:$BROKEN (sleeps instead of serving) built and imported ($((SECONDS - t))s)"
else
  fail "build and import vote:$TAG2 and vote:$BROKEN" "$(tail -5 "$log/build-vote-$TAG2.txt" "$log/build-vote-$BROKEN.txt" "$log/node-images-rollout.txt" 2>/dev/null)"
fi
remove_stage_images "$dangling_before_build"
img_id() { docker image inspect -f '{{.Id}}' "dockyard-local/voting-vote:$1" 2>/dev/null; }
check "vote:$TAG2 is a new image ID (not vote:$TAG's)" "new" "$([ -n "$(img_id $TAG2)" ] && [ "$(img_id $TAG2)" != "$(img_id $TAG)" ] && echo new || echo same)"

# (a) a new image with real readiness
rev1="$(vote_rs)"
hash1="$(rs_of "dockyard-local/voting-vote:$TAG")"
pc set --path services.vote.image "dockyard-local/voting-vote:$TAG2"
t=$SECONDS
if run up-rollout up --yes; then ok "dockyard up with services.vote.image = vote:$TAG2 ($((SECONDS - t))s)"; else fail "dockyard up with vote:$TAG2" "$(tail -30 "$log/up-rollout.txt")"; fi
hash2="$(rs_of "dockyard-local/voting-vote:$TAG2")"
check "vote's Deployment rolled to a new ReplicaSet (new revision, new pod-template-hash)" "yes" \
  "$([ "$(vote_rs)" != "$rev1" ] && [ -n "$hash2" ] && [ "$hash2" != "$hash1" ] && echo yes || echo "no (revision $rev1 -> $(vote_rs), hash $hash1 -> $hash2)")"
eventually "vote 2/2/2, both pods Ready with vote:$TAG2, none of vote:$TAG left" "2/2/2 2xdockyard-local/voting-vote:$TAG2/True" 90 \
  vote_state

# (b) an image whose readiness never passes: dockyard up fails on its own once rolloutTimeout has
# passed, and the old pods serve all along.
client_pod
k wait --for=condition=Ready pod/client --timeout=60s >/dev/null 2>&1 || true
pc set --path services.vote.image "dockyard-local/voting-vote:$BROKEN"
t=$SECONDS
( rc=0; run up-broken up --yes || rc=$?; echo "$rc" >"$state/up-broken.rc" ) &
up_pid=$!
# wait (up to 90 s) for the new, never ready pod, then 30 requests to the vote Service, one every 0.5 s
for ((i = 0; i < 90; i++)); do
  [ -n "$(rs_of "dockyard-local/voting-vote:$BROKEN")" ] && break
  sleep 1
done
check "a pod of vote:$BROKEN was started (the rollout began)" "yes" "$([ -n "$(rs_of "dockyard-local/voting-vote:$BROKEN")" ] && echo yes || echo no)"
check "it is not Ready (its readiness probe never passes)" "False" \
  "$(k get pods -l app.kubernetes.io/name=vote -o jsonpath='{range .items[*]}{.spec.containers[0].image} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | awk -v i="dockyard-local/voting-vote:$BROKEN" '$1 == i { print $2 }' | sort -u | xargs)"
served="$(cx node -e '
  (async () => {
    const seen = {};
    for (let i = 0; i < 30; i++) {
      let s;
      try { s = String((await fetch("http://vote:5000/", { signal: AbortSignal.timeout(5000) })).status); } catch (e) { s = "error-" + (e.cause?.code ?? e.name); }
      seen[s] = (seen[s] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(Object.entries(seen).map(([k, v]) => v + "x" + k).sort().join(" "));
  })()' 2>&1 || true)"
check "during the failing up, 30 requests to http://vote:5000/ from a pod all answer 200" "30x200" "$served"
# Nothing interrupts it: the up ends by itself, failed, once rolloutTimeout (90 s) has passed.
for ((i = 0; i < ROLLOUT_TIMEOUT + 120; i++)); do kill -0 "$up_pid" 2>/dev/null || break; sleep 1; done
if kill -0 "$up_pid" 2>/dev/null; then
  fail "dockyard up with vote:$BROKEN still running $((SECONDS - t)) s after it began (rolloutTimeout $ROLLOUT_TIMEOUT)" "$(tail -20 "$log/up-broken.txt")"
  up_child="$(pgrep -f "cli/dockyard.js up $STACK" || true)"
  [ -z "$up_child" ] || kill -INT $up_child 2>/dev/null || true
  wait "$up_pid" 2>/dev/null || true
else
  wait "$up_pid" 2>/dev/null || true
  broken_secs=$((SECONDS - t))
  check "dockyard up with vote:$BROKEN fails by itself (after ${broken_secs}s; rolloutTimeout $ROLLOUT_TIMEOUT s)" "failed" \
    "$([ "$(cat "$state/up-broken.rc" 2>/dev/null)" != 0 ] && echo failed || echo succeeded)"
fi
check "its error names vote's Deployment and the timeout" "yes" \
  "$(grep -q 'Deployment.*vote' "$log/up-broken.txt" && grep -qiE 'timed out|timeout' "$log/up-broken.txt" && echo yes || echo "no: $(grep -iE 'error' "$log/up-broken.txt" | head -3)")"
grep -iE 'error:|timed out|ProgressDeadline' "$log/up-broken.txt" | head -4 | sed 's/^/        /'
check "dockyard up shows the cluster's view: vote's newest pod (vote:$BROKEN's), not ready" "yes" \
  "$(grep -qE "^  Deployment vote: newest pod vote-[a-z0-9-]+, Running \([a-z-]+: (running|waiting [A-Za-z]+|terminated [A-Za-z0-9 ]+), not ready(, [0-9]+ restarts?)?\)" "$log/up-broken.txt" && echo yes || echo "no: $(grep -A3 'what the cluster says' "$log/up-broken.txt" | head -4)")"
check "and that pod's events: its probe failing (Warning Unhealthy: the port never opens)" "yes" \
  "$(grep -qE '^      Warning Unhealthy: (Startup|Readiness) probe failed: dial tcp [0-9.]+:[0-9]+: connect: connection refused' "$log/up-broken.txt" && echo yes || echo "no: $(sed -n '/what the cluster says/,$p' "$log/up-broken.txt" | head -12)")"
check "and its log (the image sleeps: no line)" "    logs: none" "$(grep -E '^    (logs|last [0-9]+ log line)' "$log/up-broken.txt")"
eventually "the controller marked vote's rollout failed (Progressing False, ProgressDeadlineExceeded)" "False/ProgressDeadlineExceeded" 30 \
  jp deployment vote '{.status.conditions[?(@.type=="Progressing")].status}/{.status.conditions[?(@.type=="Progressing")].reason}'
check "the old pods still serve: vote available 2, two vote:$TAG2 pods Ready" "2 2xdockyard-local/voting-vote:$TAG2/True" \
  "$(jp deployment vote '{.status.availableReplicas}') $(vote_pods | tr ' ' '\n' | grep -F ":$TAG2/" | xargs)"

# (c) the previous config rolls it back: the failed update recorded vote:$BROKEN as the
# Deployment's inputs, so a plain up with vote:$TAG2 again sees the change and rolls back.
pc set --path services.vote.image "dockyard-local/voting-vote:$TAG2"
t=$SECONDS
if run up-rollback up --yes; then ok "dockyard up with the previous config (vote:$TAG2) succeeds ($((SECONDS - t))s)"; else fail "dockyard up back to vote:$TAG2" "$(tail -30 "$log/up-rollback.txt")"; fi
eventually "vote 2/2/2 again, both pods Ready with vote:$TAG2, none of vote:$BROKEN left" "2/2/2 2xdockyard-local/voting-vote:$TAG2/True" 90 \
  vote_state
check "back on vote:$TAG2's ReplicaSet (same pod-template-hash as before)" "$hash2" "$(rs_of "dockyard-local/voting-vote:$TAG2")"
check "vote's rollout is complete again (Progressing True, NewReplicaSetAvailable)" "True/NewReplicaSetAvailable" \
  "$(jp deployment vote '{.status.conditions[?(@.type=="Progressing")].status}/{.status.conditions[?(@.type=="Progressing")].reason}')"
check "vote's page answers through its Service" "200" \
  "$(cx node -e 'fetch("http://vote:5000/", { signal: AbortSignal.timeout(10000) }).then((r) => console.log(r.status), (e) => console.log("error " + e.message))' 2>&1)"
faults_rollouts
source test/e2e/kubernetes-hpa.sh && hpa_scaling || fail "7d. scaling by load: test/e2e/kubernetes-hpa.sh could not be read"
# Every vote in the db now (the faults' loads added theirs), as result's API must count them after the re-up.
kept_counts="$(k exec "$(pod_of db)" -- psql -U postgres -tAc "SELECT count(*) FILTER (WHERE vote = 'a') || ' ' || count(*) FILTER (WHERE vote = 'b') FROM votes" 2>&1)" || kept_counts="(the db not read)"
k delete pod client --grace-period=1 --wait=true --timeout=60s >/dev/null 2>&1

section "destroy with volumes.<name>.retain: the claims and their data stay; up again counts the old votes"
pc set --path volumes.db-data.retain true
pc set --path volumes.redis-data.retain true
if run up-retain up --yes; then ok "dockyard up (retain true)"; else fail "dockyard up (retain true)" "$(tail -20 "$log/up-retain.txt")"; fi
if run destroy-retain destroy --yes; then ok "dockyard down"; else fail "dockyard down (retain)" "$(tail -20 "$log/destroy-retain.txt")"; fi
eventually "no pods, services or deployments left" "" 90 k get pods,services,deployments -o name
check "the namespace and the claims stay, Bound to the same volume" "Active db-data=Bound/$pv redis-data=Bound" \
  "$(kubectl get namespace "$NS" -o jsonpath='{.status.phase}' 2>&1) $(k get pvc -o jsonpath='{range .items[*]}{.metadata.name}={.status.phase}{"\n"}{end}' | sort | xargs | sed "s|db-data=Bound|db-data=Bound/$(jp pvc db-data '{.spec.volumeName}')|")"
pc set --path volumes.db-data.retain false
pc set --path volumes.redis-data.retain false
# Someone sets the kept namespace's Pod Security level by hand: the up that would take the namespace
# over does not overrule them. It stops at the namespace, before anything is created in it, and
# names the label and who set it (a server-side apply field conflict).
kubectl label --overwrite namespace "$NS" pod-security.kubernetes.io/enforce=privileged >/dev/null
check "the kept namespace, its level set by hand: enforce=privileged" "privileged" "$(psa enforce)"
if run up-loosened up --yes; then
  fail "dockyard up over a namespace whose level someone else set succeeded" "$(tail -20 "$log/up-loosened.txt")"
else
  grep -o 'conflict with "[^"]*"[^:]*: [^ ]*' "$log/up-loosened.txt" | head -1 | sed 's/^/        /'
  check "it fails on the namespace: a conflict with kubectl's label on pod-security.kubernetes.io/enforce" "yes" \
    "$(grep -q 'conflict with "kubectl-label".*metadata.labels.pod-security.kubernetes.io/enforce' "$log/up-loosened.txt" && echo yes || echo no)"
fi
check "nothing was created in the namespace, and the hand-set level stands" " privileged" \
  "$(k get deployments,services,networkpolicies,poddisruptionbudgets -o name 2>&1 | xargs) $(psa enforce)"
# Once the label is the stack's again (removed by hand), the up takes the namespace over.
kubectl label namespace "$NS" pod-security.kubernetes.io/enforce- >/dev/null
t=$SECONDS
if run up-again up --yes; then ok "dockyard up on the kept claims ($((SECONDS - t))s)"; else fail "dockyard up on the kept claims" "$(tail -30 "$log/up-again.txt")"; fi
check "the namespace it took over enforces restricted again (v1.34)" "restricted@v1.34" "$(psa enforce)@$(psa enforce-version)"
client_pod
k wait --for=condition=Ready pod/client --timeout=60s >/dev/null 2>&1 || true
eventually "result counts the votes from before the destroy ($kept_counts: a, b)" "$kept_counts" 90 counts
k delete pod client --grace-period=1 --wait=true --timeout=60s >/dev/null 2>&1

section "destroy without retain leaves nothing"
t=$SECONDS
if run destroy destroy --yes; then ok "dockyard down ($((SECONDS - t))s)"; destroyed=1; else fail "dockyard down" "$(tail -20 "$log/destroy.txt")"; fi
# Every namespaced object takes the namespace by the Namespace's name output, so it depends on it.
check "the Namespace is deleted last, after every object in it" "kubernetes Namespace" \
  "$(grep -E '^\[[0-9]+\] deleted ' "$log/destroy.txt" | tail -1 | awk '{print $3, $4}')"
eventually "no pods, services or claims left in $NS" "" 90 k get pods,services,pvc -o name
eventually "the namespace is gone" "NotFound" 90 sh -c "'$root/.tools/k8s/bin/kubectl' get namespace $NS -o name 2>&1 | grep -o NotFound || echo present"
check "db-data's volume was released (its claim deleted)" "Released" "$(kubectl get pv "$pv" -o jsonpath='{.status.phase}')"
# The kubelet removes the exited containers of deleted pods in its container GC (once a minute).
app_containers() { (. tools/k8s/node-env.sh && ctr_ containers ls 2>/dev/null | awk 'NR > 1 && $2 ~ /voting-|redis|postgres/ { print $2 }' | sort | uniq -c | xargs); }
eventually "no container of the app left in the node's containerd" "" 120 app_containers
check "the stack is empty" "0" "$(p stack export | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log((JSON.parse(s).deployment.resources||[]).length))')"

printf '\nk8s real-node e2e: %ds in all (setup and builds %ds, control plane + real node up %ds, first dockyard up %ds, deploy and checks %ds); logs in .state/k8s-real/log\n' \
  $((SECONDS - t0)) "$setup_done" "$cluster_secs" "$up_secs" $((SECONDS - cluster_done))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
