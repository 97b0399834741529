# shellcheck shell=bash
# shellcheck disable=SC2154 # STACK, PREFIX, VOTE, log and the helpers are the suite's
# Faults on the one-node swarm under a vote load (issue 28's swarm half), sourced by test/e2e/swarm.sh
# once the stack is deployed (`swarm_faults` runs them all); it uses the suite's helpers (check, ok,
# fail, section, tasks, health):
# - swarm_faults_kill: the task of each service killed in turn (`docker kill` of its container, as the
#   kernel's OOM killer or a crash does): the swarm starts a new task by the service's restart policy;
#   db's new task mounts the same volume, and the votes from before are still there;
# - swarm_faults_roll: vote and worker rolled at once (`docker service update --force`, what an operator
#   runs to restart a service): each by its update config (vote stop-first, it holds a host port; worker
#   start-first).
# The load is test/e2e/vote-load.js posting to vote's published port on 127.0.0.1 (a fixed count at a
# fixed rate, each vote with its own voter id, stopping by itself); then every vote vote acknowledged
# must be in PostgreSQL exactly once with its choice (read with psql in db's task), and no other vote
# of the load (vote_account, test/e2e/vote-account.sh); the requests that failed and the time each service took
# to be healthy again are printed as figures. The suite runs under set -euo pipefail: every command
# here that may fail says so.

# One query in the stack's PostgreSQL, in db's running task (psql -tA).
swarm_sql() { docker exec "$(task db)" psql -U postgres -tAc "$1"; }
# A hex prefix for each load's voter ids, new to this run (the suite's own votes are aaaa... and bbbb...).
swarm_run_hex="$(printf 'c%07x' $(($(date +%s) % 268435456)))"
swarm_load_pid=""
# swarm_load_start NAME COUNT RATE PREFIX: the load in the background; swarm_load_end waits for it.
swarm_load_start() {
  node test/e2e/vote-load.js "$VOTE/" "$2" "$3" "$4" "$log/$1.acked" >"$log/$1.json" 2>"$log/$1.err" &
  swarm_load_pid=$!
}
swarm_load_end() {
  wait "$swarm_load_pid" || true
  swarm_load_pid=""
}
# The service's running task containers, when there are as many as it wants and every one is healthy
# (else nothing): "id id ...".
swarm_healthy_tasks() {
  local want ids c
  want="$(docker service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$PREFIX-$1" 2>/dev/null || true)"
  ids="$(tasks "$1" 2>/dev/null | tr '\n' ' ' || true)"
  [ "$(wc -w <<<"$ids")" = "$want" ] || return 0
  for c in $ids; do [ "$(health "$c")" = healthy ] || return 0; done
  echo "$ids"
}
swarm_all_healthy() {
  local s
  for s in db redis result vote worker; do [ -n "$(swarm_healthy_tasks "$s")" ] || return 1; done
}
# The named volumes a container mounts, sorted.
swarm_volumes_of() { docker inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{println .Name}}{{end}}{{end}}' "$1" 2>/dev/null | sed '/^$/d' | sort | tr '\n' ' ' || true; }

swarm_faults_kill() {
  section "under a vote load (600 votes, 10/s): the task of vote, worker, redis, db and result killed in turn (docker kill)"
  local prefix="${swarm_run_hex}1" t0 now s when done_all healthy before_votes db_volumes db_before
  local -A kill_at=() killed=() back_after=()
  local schedule="vote:5 worker:15 redis:25 db:35 result:45"
  # The up before may have left a rolling update's new task still starting its health check (60 s at most).
  for _ in $(seq 1 60); do swarm_all_healthy && break; sleep 1; done
  swarm_all_healthy || fail "every service healthy before the faults" "$(all_health)"
  before_votes="$(swarm_sql "SELECT count(*) FROM votes WHERE id NOT LIKE '$prefix%'" 2>&1 || true)"
  db_before="$(task db)"
  db_volumes="$(swarm_volumes_of "$db_before")"
  swarm_load_start kill-load 600 10 "$prefix"
  t0=$SECONDS
  # One loop: each service's task killed at its second of the load; each second and a half, whether a
  # killed service runs healthy new tasks again (the killed container not among them).
  while :; do
    now=$((SECONDS - t0))
    for when in $schedule; do
      s="${when%%:*}"
      if [ -z "${killed[$s]:-}" ] && [ "$now" -ge "${when#*:}" ]; then
        killed[$s]="$(task "$s" || true)"
        kill_at[$s]=$now
        printf '        (at %ds: task %s of %s killed)\n' "$now" "${killed[$s]:0:12}" "$s"
        docker kill "${killed[$s]}" >>"$log/kill-tasks.txt" 2>&1 || true
      fi
    done
    done_all=yes
    for when in $schedule; do
      s="${when%%:*}"
      if [ -z "${killed[$s]:-}" ]; then
        done_all=no
      elif [ -z "${back_after[$s]:-}" ]; then
        healthy="$(swarm_healthy_tasks "$s")"
        if [ -n "$healthy" ] && ! grep -qw "${killed[$s]}" <<<"$healthy"; then
          back_after[$s]=$((now - kill_at[$s]))
        else
          done_all=no
        fi
      fi
    done
    [ "$done_all" = no ] && [ "$now" -lt 180 ] || break
    sleep 1.5
  done
  swarm_load_end
  check "each killed service runs a new task, healthy, the killed one gone (within 180 s)" \
    "db=yes redis=yes result=yes vote=yes worker=yes " \
    "$(for s in db redis result vote worker; do printf '%s=%s ' "$s" "$([ -n "${back_after[$s]:-}" ] && echo yes || echo "no: $(tasks "$s" | cut -c1-12 | tr '\n' ',') $(all_health)")"; done)"
  printf '  figure  tasks killed under load: healthy again after (seconds from the kill): %s\n' \
    "$(for when in $schedule; do s="${when%%:*}"; printf '%s %ss (killed at %ss), ' "$s" "${back_after[$s]:-?}" "${kill_at[$s]:-?}"; done | sed 's/, $//')"
  check "db's new task mounts the same volumes" "$db_volumes|new task" \
    "$(swarm_volumes_of "$(task db)")|$([ "$(task db)" != "$db_before" ] && echo "new task" || echo "the same task")"
  check "the votes from before the faults are all still in PostgreSQL" "$before_votes" \
    "$(swarm_sql "SELECT count(*) FROM votes WHERE id NOT LIKE '$prefix%'" 2>&1 || true)"
  vote_account "tasks killed under load" "$prefix" "$log/kill-load.json" "$log/kill-load.acked" swarm_sql
}

swarm_faults_roll() {
  section "under a vote load (400 votes, 10/s): vote and worker rolled at once (docker service update --force)"
  local prefix="${swarm_run_hex}2" t0 s old kept vote_pid worker_pid vote_old worker_old vote_rc=0 worker_rc=0 vote_secs="" worker_secs=""
  vote_old="$(tasks vote | tr '\n' ' ')"
  worker_old="$(tasks worker | tr '\n' ' ')"
  swarm_load_start roll-load 400 10 "$prefix"
  sleep 3
  t0=$SECONDS
  # --detach=false: each command returns once its service has converged (or failed, and rolled back).
  (
    rc=0
    docker service update --force --detach=false "$PREFIX-vote" >"$log/roll-vote.txt" 2>&1 || rc=$?
    echo "$rc $((SECONDS - t0))" >"$log/roll-vote.rc"
  ) &
  vote_pid=$!
  (
    rc=0
    docker service update --force --detach=false "$PREFIX-worker" >"$log/roll-worker.txt" 2>&1 || rc=$?
    echo "$rc $((SECONDS - t0))" >"$log/roll-worker.rc"
  ) &
  worker_pid=$!
  wait "$vote_pid" "$worker_pid" || true
  read -r vote_rc vote_secs <"$log/roll-vote.rc" || vote_rc="?"
  read -r worker_rc worker_secs <"$log/roll-worker.rc" || worker_rc="?"
  swarm_load_end
  check "docker service update --force of vote and of worker: both complete" "0 completed|0 completed" \
    "$vote_rc $(docker service inspect -f '{{.UpdateStatus.State}}' "$PREFIX-vote" 2>&1 || true)|$worker_rc $(docker service inspect -f '{{.UpdateStatus.State}}' "$PREFIX-worker" 2>&1 || true)"
  for s in vote worker; do
    if [ "$s" = vote ]; then old="$vote_old"; else old="$worker_old"; fi
    kept=0
    for c in $(tasks "$s"); do if grep -qw "$c" <<<"$old"; then kept=$((kept + 1)); fi; done
    check "$s: as many tasks as before, every one new and healthy" "$(wc -w <<<"$old") tasks, 0 old, healthy" \
      "$(tasks "$s" | wc -l) tasks, $kept old, $([ -n "$(swarm_healthy_tasks "$s")" ] && echo healthy || echo "not healthy: $(all_health)")"
  done
  printf '  figure  vote and worker rolled under load: vote converged %ss and worker %ss after the update began\n' "${vote_secs:-?}" "${worker_secs:-?}"
  vote_account "vote and worker rolled under load" "$prefix" "$log/roll-load.json" "$log/roll-load.acked" swarm_sql
}

swarm_faults() {
  swarm_faults_kill
  swarm_faults_roll
}
