# shellcheck shell=bash
# shellcheck disable=SC2154 # log, state, NS, TAG, node_name and the helpers are the suite's
# Faults on the real Kubernetes node under a vote load (issue 28's Kubernetes half), sourced by
# test/e2e/kubernetes-real.sh, whose helpers (k, check, eventually, pod_of, available, section) and
# client pod it uses:
# - faults_pods: a pod of each service deleted in turn (vote, worker, redis, db, result) while a load
#   posts votes to vote's Service;
# - faults_rollouts: vote and worker rolled (kubectl rollout restart) under a load; then faults_kubelet:
#   the node's kubelet stopped for 15 s and started again as tools/k8s/node-up.sh starts it, under a
#   load run by a pod of its own (a kubectl exec streams through the kubelet).
# The load is test/e2e/vote-load.js, run in the client pod (in the suite's namespace; vote's Service is
# open to it) from its stdin: a fixed count at a fixed rate, each vote with its own voter id. Every
# vote vote acknowledged must then be in PostgreSQL exactly once with its choice (read with psql in the
# db pod), and no other vote of the load; the requests that failed are counted and printed as figures.
# The suite runs under set -e: every command here that may fail says so.

# vote_account and load_summary (kubernetes-real.sh does not source test/e2e/env.sh).
# shellcheck source=vote-account.sh
source test/e2e/vote-account.sh
# load_start NAME COUNT RATE PREFIX: the load in the background; load_end NAME waits for it.
load_start() {
  k exec -i client -- node - http://vote:5000/ "$2" "$3" "$4" - <test/e2e/vote-load.js >"$log/$1.out" 2>"$log/$1.err" &
  load_pid=$!
}
load_end() {
  wait "$load_pid" || true
  { grep -E '^[0-9a-f]+ [ab]$' "$log/$1.out" || true; } | sort >"$log/$1.acked"
  tail -1 "$log/$1.out" >"$log/$1.json" || true
}
# One query in the stack's PostgreSQL, in the db pod (psql -tA), for vote_account (test/e2e/vote-account.sh).
k8s_sql() { k exec "$(pod_of db)" -- psql -U postgres -tAc "$1"; }
all_available() { echo "$(available vote) $(available worker) $(available redis) $(available db) $(available result)"; }
# A hex prefix for each load's voter ids, new to this run.
k8s_run_hex="$(printf '%06x' $(($(date +%s) % 16777216)))"

faults_pods() {
  section "5b. under a vote load (600 votes, 10/s): a pod of vote, worker, redis, db and result deleted in turn"
  local prefix="${k8s_run_hex}a1" t0 when
  local before
  before="$(all_available)"
  load_start kill-load 600 10 "$prefix"
  t0=$SECONDS
  for when in "5 vote" "12 worker" "20 redis" "32 db" "45 result"; do
    # shellcheck disable=SC2086 # "seconds service", split on purpose
    set -- $when
    while [ $((SECONDS - t0)) -lt "$1" ]; do sleep 0.5; done
    printf '        (at %ds: pod %s of %s deleted)\n' $((SECONDS - t0)) "$(pod_of "$2")" "$2"
    k delete pod "$(pod_of "$2")" --wait=false >>"$log/kill-pods.txt" 2>&1 || true
  done
  load_end kill-load
  eventually "every Deployment available again, as before the faults" "$before" 120 all_available
  printf '  figure  pods deleted under load: all available again %ds after the first deletion\n' $((SECONDS - t0))
  vote_account "pods deleted under load" "$prefix" "$log/kill-load.json" "$log/kill-load.acked" k8s_sql
}

faults_rollouts() {
  section "7b. under a vote load (300 votes, 10/s): vote and worker rolled (kubectl rollout restart)"
  local prefix="${k8s_run_hex}b2" rolled
  load_start roll-load 300 10 "$prefix"
  sleep 3
  rolled=$SECONDS
  k rollout restart deployment/vote deployment/worker >"$log/rollout-restart.txt" 2>&1 || true
  if k rollout status deployment/vote --timeout=120s >>"$log/rollout-restart.txt" 2>&1 &&
    k rollout status deployment/worker --timeout=120s >>"$log/rollout-restart.txt" 2>&1; then
    ok "vote and worker rolled out ($((SECONDS - rolled))s)"
  else
    fail "vote and worker rolled out" "$(tail -10 "$log/rollout-restart.txt")"
  fi
  load_end roll-load
  vote_account "vote and worker rolled under load" "$prefix" "$log/roll-load.json" "$log/roll-load.acked" k8s_sql
  faults_kubelet
}

# The node's kubelet: its pid, from the pid file node-up.sh keeps (tools/k8s/node-env.sh's names).
kubelet_pid() { (. tools/k8s/node-env.sh && cat "$npids/kubelet.pid") 2>/dev/null || true; }
# The app's pods, each with its containers and their restart counts: "pod uid container-id:restarts ...".
app_pods() {
  k get pods -l app.kubernetes.io/name -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.uid}{range .status.containerStatuses[*]} {.containerID}:{.restartCount}{end}{"\n"}{end}' 2>&1 | sort || true
}
node_ready() { kubectl get node "$node_name" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>&1 || true; }
kubelet_answers() { kubectl get --raw "/api/v1/nodes/$node_name/proxy/healthz" 2>/dev/null || echo no; }

faults_kubelet() {
  section "7b2. under a vote load (400 votes, 10/s): the node's kubelet stopped for 15 s, then started again as tools/k8s/node-up.sh starts it"
  local prefix="${k8s_run_hex}c3" t0 pid netns before pods_before stopped started back new_pid watcher cmdline="$log/kubelet.cmdline"
  pid="$(kubelet_pid)"
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    fail "the node's kubelet runs (its pid file)" "pid [$pid]"
    return 0
  fi
  # The rollouts before may leave an old pod terminating (worker's grace period is 20 s): let it go.
  for _ in $(seq 1 60); do
    [ -z "$(k get pods -l app.kubernetes.io/name -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{end}' 2>&1 || true)" ] && break
    sleep 1
  done
  # The load runs as the command of a pod of its own (a kubectl exec streams through the kubelet, and
  # would break with it), its script from a ConfigMap; its output is read from the pod's log after.
  k delete pod loader --ignore-not-found --wait=true >/dev/null 2>&1 || true
  k delete configmap vote-load --ignore-not-found >/dev/null 2>&1 || true
  k create configmap vote-load --from-file=vote-load.js=test/e2e/vote-load.js >"$log/kubelet-load.txt" 2>&1 || true
  kubectl -n "$NS" apply -f - >>"$log/kubelet-load.txt" 2>&1 <<EOF || true
apiVersion: v1
kind: Pod
metadata: { name: loader }
spec:
  restartPolicy: Never
  securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: RuntimeDefault } }
  volumes: [{ name: load, configMap: { name: vote-load } }]
  containers:
  - name: c
    image: "dockyard-local/voting-result:$TAG"
    imagePullPolicy: Never
    command: [node, /load/vote-load.js, "http://vote:5000/", "400", "10", "$prefix", "-"]
    volumeMounts: [{ name: load, mountPath: /load, readOnly: true }]
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] }, readOnlyRootFilesystem: true }
EOF
  before="$(all_available)"
  pods_before="$(app_pods)"
  netns="$(readlink "/proc/$pid/ns/net" 2>&1 || true)"
  tr '\0' '\n' <"/proc/$pid/cmdline" >"$cmdline" 2>/dev/null || true
  k wait --for=jsonpath='{.status.phase}'=Running pod/loader --timeout=60s >>"$log/kubelet-load.txt" 2>&1 || true
  t0=$SECONDS
  sleep 5
  # Each second while the kubelet is away and back: the node's Ready, each Deployment's availability.
  rm -f "$state/kubelet.done"
  (
    while [ ! -e "$state/kubelet.done" ]; do
      echo "$((SECONDS - t0)) $(node_ready) $(all_available)"
      sleep 1
    done
  ) >"$log/kubelet-watch.txt" 2>&1 &
  watcher=$!
  stopped=$SECONDS
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  check "the kubelet (pid $pid) has stopped" "gone" "$(kill -0 "$pid" 2>/dev/null && echo running || echo gone)"
  printf '  figure  kubelet restart: stopped in %ds, at %ds of the load\n' $((SECONDS - stopped)) $((stopped - t0))
  sleep 15
  started=$SECONDS
  # As tools/k8s/node-up.sh starts it (node-env.sh's start): setsid nohup in the node's network
  # namespace, its log appended to, its pid in the node's pid file (tools/k8s/down.sh stops it by
  # that), with the command line it ran with.
  (
    set +e
    . tools/k8s/node-env.sh
    log() { printf '[k8s-node] %s\n' "$*"; }
    since() { echo "a restart"; }
    mapfile -t args <"$cmdline"
    [ "${#args[@]}" -gt 1 ] && start kubelet - "${NSX[@]}" "${args[@]}"
  ) >>"$log/kubelet-load.txt" 2>&1 </dev/null
  new_pid="$(kubelet_pid)"
  check "the kubelet runs again: a new process, the same command line, in the node's network namespace" \
    "new|$(tr '\n' ' ' <"$cmdline")|$netns" \
    "$([ -n "$new_pid" ] && [ "$new_pid" != "$pid" ] && kill -0 "$new_pid" 2>/dev/null && echo new || echo "no: $new_pid")|$(tr '\0' ' ' <"/proc/$new_pid/cmdline" 2>/dev/null || true)|$(readlink "/proc/$new_pid/ns/net" 2>&1 || true)"
  back=""
  for _ in $(seq 1 120); do
    if [ "$(kubelet_answers)" = ok ] && [ "$(node_ready)" = True ] && [ "$(all_available)" = "$before" ]; then
      back=$((SECONDS - stopped))
      break
    fi
    sleep 1
  done
  touch "$state/kubelet.done"
  wait "$watcher" 2>/dev/null || true
  rm -f "$state/kubelet.done"
  check "the kubelet answers, the node is Ready and every Deployment available as before (within 120 s of the start)" "yes" \
    "$([ -n "$back" ] && echo yes || echo "no: kubelet $(kubelet_answers), Ready $(node_ready), $(all_available)")"
  check "the app's pods kept running: the same pods, the same containers, no restart" "$pods_before" "$(app_pods)"
  printf '  figure  kubelet restart: down %ds; answering, the node Ready and every Deployment available %ss after the stop; %s\n' \
    $((started - stopped)) "${back:-?}" \
    "$(awk -v want="True $before" '{ t = $1; $1 = ""; sub(/^ /, "") } $0 != want { n++; if (!f) f = t; l = t } END { print n ? n " samples not Ready or not available (from " f " s to " l " s of the load)" : "the node Ready and every Deployment available at every second" }' "$log/kubelet-watch.txt")"
  k wait --for=jsonpath='{.status.phase}'=Succeeded pod/loader --timeout=90s >>"$log/kubelet-load.txt" 2>&1 || true
  k logs loader >"$log/kubelet-load.out" 2>&1 || true
  { grep -E '^[0-9a-f]+ [ab]$' "$log/kubelet-load.out" || true; } >"$log/kubelet-load.acked"
  tail -1 "$log/kubelet-load.out" >"$log/kubelet-load.json" || true
  vote_account "kubelet restarted under load" "$prefix" "$log/kubelet-load.json" "$log/kubelet-load.acked" k8s_sql
  k delete pod loader --wait=false >/dev/null 2>&1 || true
  k delete configmap vote-load >/dev/null 2>&1 || true
}
