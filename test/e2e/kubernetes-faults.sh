# shellcheck shell=bash
# shellcheck disable=SC2016,SC2154 # node -e programs in single quotes (their ${...} are JavaScript); log, NS and the helpers are the suite's
# Faults on the real Kubernetes node under a vote load (issue 28's Kubernetes half), sourced by
# test/e2e/kubernetes-real.sh, whose helpers (k, check, eventually, pod_of, available, section) and
# client pod it uses:
# - faults_pods: a pod of each service deleted in turn (vote, worker, redis, db, result) while a load
#   posts votes to vote's Service;
# - faults_rollouts: vote and worker rolled (kubectl rollout restart) under a load.
# The load is test/e2e/vote-load.js, run in the client pod (in the suite's namespace; vote's Service is
# open to it) from its stdin: a fixed count at a fixed rate, each vote with its own voter id. Every
# vote vote acknowledged must then be in PostgreSQL exactly once with its choice (read with psql in the
# db pod), and no other vote of the load; the requests that failed are counted and printed as figures.
# The suite runs under set -e: every command here that may fail says so.

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
k8s_db_votes() { # the votes of PREFIX in PostgreSQL, "id choice" per line, sorted
  k exec "$(pod_of db)" -- psql -U postgres -tAc "SELECT id || ' ' || vote FROM votes WHERE id LIKE '$1%' ORDER BY id" 2>/dev/null
}
# k8s_account LOAD NAME PREFIX: every acknowledged vote of the load LOAD (its files in the log) in
# the db once, none other (the worker given 90 s); NAME is how the checks say it.
k8s_account() {
  local want load="$1"
  shift
  want="$(wc -l <"$log/$load.acked" || echo 0)"
  for _ in $(seq 1 90); do
    [ "$(k8s_db_votes "$2" | wc -l)" -ge "$want" ] && break
    sleep 1
  done
  check "$1: the load ran (acknowledged votes, a summary)" "yes" \
    "$([ "$want" -gt 0 ] && grep -q '"sent"' "$log/$load.json" && echo yes || echo "no: $want acknowledged; $(tail -3 "$log/$load.err" "$log/$load.out" | tr '\n' ' ')")"
  check "$1: every acknowledged vote is counted in PostgreSQL with its choice, and nothing else (0 lost)" \
    "$(tr '\n' '|' <"$log/$load.acked")" "$(k8s_db_votes "$2" | tr '\n' '|')"
  check "$1: no vote counted twice" "0" \
    "$(k exec "$(pod_of db)" -- psql -U postgres -tAc "SELECT count(*) FROM (SELECT id FROM votes WHERE id LIKE '$2%' GROUP BY id HAVING count(*) > 1) d" 2>&1)"
  printf '  figure  %s: %s; %s counted\n' "$1" \
    "$(node -e 'try { const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`${s.sent} sent, ${s.acknowledged} acknowledged, ${s.failed} failed (${Object.entries(s.errors).map(([k, v]) => `${v} ${k}`).join(", ") || "none"})${s.failed ? `, from ${(s.firstFailureMs / 1000).toFixed(1)} s to ${(s.lastFailureMs / 1000).toFixed(1)} s` : ""}`) } catch { console.log("no summary") }' "$log/$load.json")" \
    "$(k8s_db_votes "$2" | wc -l)"
}
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
  k8s_account kill-load "pods deleted under load" "$prefix"
}

faults_rollouts() {
  section "7b. under a vote load (300 votes, 10/s): vote and worker rolled (kubectl rollout restart)"
  local prefix="${k8s_run_hex}b2" t0
  load_start roll-load 300 10 "$prefix"
  sleep 3
  t0=$SECONDS
  k rollout restart deployment/vote deployment/worker >"$log/rollout-restart.txt" 2>&1 || true
  if k rollout status deployment/vote --timeout=120s >>"$log/rollout-restart.txt" 2>&1 &&
    k rollout status deployment/worker --timeout=120s >>"$log/rollout-restart.txt" 2>&1; then
    ok "vote and worker rolled out ($((SECONDS - t0))s)"
  else
    fail "vote and worker rolled out" "$(tail -10 "$log/rollout-restart.txt")"
  fi
  load_end roll-load
  k8s_account roll-load "vote and worker rolled under load" "$prefix"
}
