#!/usr/bin/env bash
# shellcheck disable=SC2016 # node -e programs in single quotes: their ${...} are JavaScript
# Faults on the real Docker engine (`npm run test:e2e:faults`), what a user meets on a bad day, each with
# an account at the end:
# - `dockyard up` SIGKILLed (its whole process group: node, the Pulumi engine, the language host, the
#   provider) during a cold up, right after the networks (images still building), and while the
#   containers start; the next `dockyard up` removes the stale lock and what the interrupted creates left,
#   clears the pending operations and converges; then no change, and the engine holds exactly the stack's
#   containers, networks and volumes (by its labels and without them);
# - `dockyard up` interrupted by SIGINT (Ctrl-C, once: the signal a terminal sends its foreground process
#   group) during a cold up, right after the networks: it stops once the operations under way finish,
#   with every process it started, exits 130 saying so, and leaves no lock and no pending operation; the
#   next `dockyard up` creates the rest, then changes nothing, and the engine holds exactly the stack's
#   objects;
# - a second `dockyard up` while one runs: refused with one line naming the lock; the first completes;
# - `dockyard up` SIGKILLed during an update (vote and worker replaced), under a vote load: the next up
#   converges, every vote acknowledged is counted once, then no change and exactly the stack's objects;
# - Ctrl-C twice during an update, under a vote load: the second stops dockyard up at once (exit 130)
#   with every process it started; the next up settles what that cut off and converges, as above;
# - the Docker engine restarted under a vote load: the containers come back healthy by their restart
#   policy and the next up is a no-change;
# - the Docker engine restarted during an up (vote and worker being replaced): that up fails, saying what
#   to run; the next converges, every vote acknowledged before is still counted once, then no change.
# Under the concurrent up, the killed update and the engine restart a bounded vote load runs
# (test/e2e/vote-load.js: fixed rate and count, 127.0.0.1 only); every vote acknowledged must be in
# PostgreSQL exactly once (read with psql in the db container), and the failed requests are counted. Stack "faults" on its own backend (.state/faults),
# ports 18780/18790, subnets 10.243.1.0/24 and 10.243.2.0/24. Leaves the engine as it found it.
# Ends with "N passed, N failed"; E2E_KEEP=1 leaves the stack up.
set -uo pipefail
export LC_ALL=C
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root" || exit 1
# shellcheck source=/dev/null
source test/e2e/env.sh || exit 1

STACK=faults
PREFIX="voting-$STACK"
VOTE=http://127.0.0.1:18780
state="$root/.state/faults"
log="$state/log"
if [ -e "Pulumi.$STACK.yaml" ]; then
  echo "Pulumi.$STACK.yaml exists: another run of this suite, or a stack of that name of yours; remove it first" >&2
  exit 1
fi
rm -rf "$state" && mkdir -p "$state/backend" "$log"
export PULUMI_BACKEND_URL="file://$state/backend"
export PULUMI_CONFIG_PASSPHRASE="faults-only-passphrase"
# dockyard up writes .state/env.sh for the backend it used: keep the user's.
[ ! -e .state/env.sh ] || cp .state/env.sh "$state/env.sh.saved"

# ok, fail, check, section, remove_leftovers, remove_images (and engine_state, added)
# shellcheck source=checks.sh
source test/e2e/checks.sh
# A measured figure, printed and kept for docs/faults.md.
figure() { printf '  figure  %s\n' "$1" | tee -a "$log/figures.txt"; }

dockyard() { node cli/dockyard.js "$@"; }
p() { pulumi --non-interactive --stack "$STACK" "$@"; }

# vote is built on a base image new to this run, so a cold up really builds (and can be killed while
# it does); removed at the end.
RUN_BASE=dockyard-local/python:faults-run
# What a run stopped before its cleanup left: the stack's objects, its images and its base image.
remove_leftovers "$STACK"
remove_images "voting-*:$STACK" "$RUN_BASE"
printf 'FROM dockyard-local/python:3.11\nLABEL dockyard.faults.run=%s\n' "$$-$(date +%s%N)" |
  docker build -q -t "$RUN_BASE" - >/dev/null 2>&1
cat >"Pulumi.$STACK.yaml" <<EOF
config:
  dockyard:target: docker
  dockyard:bindAddress: 127.0.0.1
  dockyard:imageTag: faults
  dockyard:services:
    vote:
      ports: { http: 18780 }
    result:
      ports: { http: 18790 }
    redis:
      image: dockyard-local/redis:7
    db:
      image: dockyard-local/postgres:15
  dockyard:buildArgs:
    PYTHON_IMAGE: $RUN_BASE
    NODE_IMAGE: dockyard-local/node:22
  dockyard:networks:
    frontend: { subnet: 10.243.1.0/24 }
    backend: { subnet: 10.243.2.0/24 }
EOF

containers_before="$(engine_state ps -aq --no-trunc)"
# Networks by name: the engine's default bridge network gets a new id each time dockerd starts.
networks_before="$(engine_state network ls --format '{{.Name}}')"
volumes_before="$(engine_state volume ls -q)"
dangling_before="$(engine_state images -q --no-trunc --filter dangling=true)"

# The images the stack built, by name: never by id (-f by id would untag the same image in other stacks);
# removed with their untagged parents (the classic builder's steps), which would be left dangling.
stack_images() { docker images --format '{{.Repository}}:{{.Tag}}' --filter "reference=voting-*:$STACK"; }
cleanup() {
  set +e
  if [ "${E2E_KEEP:-}" != "1" ]; then
    [ -z "${load_pid:-}" ] || kill "$load_pid" 2>/dev/null
    dockyard down "$STACK" --yes >"$log/cleanup.txt" 2>&1 || p cancel --yes >/dev/null 2>&1
    docker ps -aq --filter "label=dockyard.stack=$STACK" | xargs -r docker rm -f >/dev/null
    docker network ls -q --filter "label=dockyard.stack=$STACK" | xargs -r docker network rm >/dev/null
    docker volume ls -q --filter "label=dockyard.stack=$STACK" | xargs -r docker volume rm >/dev/null
    stack_images | xargs -r docker rmi >/dev/null 2>&1
    docker rmi "$RUN_BASE" >/dev/null 2>&1
    added "$dangling_before" "$(engine_state images -q --no-trunc --filter dangling=true)" | xargs -r docker rmi >/dev/null 2>&1
    rm -f "Pulumi.$STACK.yaml"
  fi
  if [ -e "$state/env.sh.saved" ]; then cp "$state/env.sh.saved" .state/env.sh; else rm -f .state/env.sh; fi
}
trap cleanup EXIT

# What the stack holds in its state, by kind: "container NAME" ... one per line, sorted.
state_objects() {
  p stack export 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const kinds = { "docker:index/container:Container": "container", "docker:index/network:Network": "network", "docker:index/volume:Volume": "volume" };
      const out = [];
      for (const r of JSON.parse(s).deployment.resources ?? []) if (kinds[r.type]) out.push(`${kinds[r.type]} ${r.outputs?.name ?? r.inputs?.name}`);
      console.log(out.sort().join("\n"));
    });'
}
# The stack's lock files in the backend (1 while an update holds the lock, or after one was killed).
lock_count() { ls "$state"/backend/.pulumi/locks/*/*/"$STACK"/*.json 2>/dev/null | wc -l; }
# The state's pending operations, "creating vote-1, ..." (empty when there is none).
pending_ops() {
  p stack export 2>/dev/null | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log((JSON.parse(s).deployment.pending_operations ?? []).map((o) => o.type + " " + o.resource.urn.split("::").pop()).join(", ")))'
}
# What the engine holds that it did not before the suite (no label filter), as "kind NAME" lines.
engine_objects() {
  local id name
  for id in $(added "$containers_before" "$(engine_state ps -aq --no-trunc)"); do echo "container $(docker inspect -f '{{.Name}}' "$id" | sed 's|^/||')"; done
  for name in $(added "$networks_before" "$(engine_state network ls --format '{{.Name}}')"); do echo "network $name"; done
  for id in $(added "$volumes_before" "$(engine_state volume ls -q)"); do echo "volume $id"; done
}
# The same, by the stack's label.
labelled_objects() {
  docker ps -a --filter "label=dockyard.stack=$STACK" --format 'container {{.Names}}'
  docker network ls --filter "label=dockyard.stack=$STACK" --format 'network {{.Name}}'
  docker volume ls --filter "label=dockyard.stack=$STACK" --format 'volume {{.Name}}'
}
# The engine holds exactly what the state records: by label and without a label filter.
check_exact() {
  local want
  want="$(state_objects | tr '\n' '|')"
  check "$1: the state holds 5 containers, 2 networks, the volumes" "5 2" \
    "$(state_objects | grep -c '^container ') $(state_objects | grep -c '^network ')"
  check "$1: the engine's new objects (no label filter) are exactly the state's" "$want" "$(engine_objects | sort | tr '\n' '|')"
  check "$1: the stack's labelled objects are exactly the state's" "$want" "$(labelled_objects | sort | tr '\n' '|')"
}
health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1" 2>/dev/null || echo missing; }
all_health() { for s in db redis result vote worker; do printf '%s=%s ' "$s" "$(health "$PREFIX-$s-1")"; done; }
HEALTHY="db=healthy redis=healthy result=healthy vote=healthy worker=healthy "
# A dockyard up's summary line, without its time: "up done: 28 unchanged".
summary() { sed -nE 's/^up (done|FAILED) in [0-9.ms]+: (.*)$/up \1: \2/p' "$1"; }
# no_change NAME LOG [dockyard]: the next dockyard up (it refreshes first) changes nothing; then, unless
# "dockyard" is given, so does pulumi up --expect-no-changes --refresh (after the faults where the engine
# itself was cut off or restarted: the rest rely on dockyard up's own refresh, to keep the suite short).
no_change() {
  dockyard up "$STACK" --yes >"$log/$2.txt" 2>&1
  check "$1: the next dockyard up changes nothing" "0|up done: 28 unchanged" "$?|$(summary "$log/$2.txt")"
  [ "${3:-}" != dockyard ] || return 0
  if p up --yes --expect-no-changes --refresh >"$log/$2-pulumi.txt" 2>&1; then ok "$1: pulumi up --expect-no-changes --refresh"
  else fail "$1: pulumi up --expect-no-changes --refresh" "$(grep -E '^\s+[~+-]|error' "$log/$2-pulumi.txt" | head -10)"; fi
}
# A process and all its descendants, by parent pid, deepest last.
tree() {
  local child
  echo "$1"
  for child in $(pgrep -P "$1"); do tree "$child"; done
}
# kill_up PID WHAT: SIGKILL of a background `dockyard up` (its own process group) and of every process
# under it, as an OOM kill of a CI job or a lost session does: the engine starts the language host and
# the providers in process groups of their own, so killing the group alone would leave them running.
# Checks that none of them is left.
kill_up() {
  local pids
  # Stopped first, so that nothing starts a process between the walk and the kill.
  read -ra pids <<<"$(tree "$1" | tr '\n' ' ')"
  kill -STOP -- "-$1" "${pids[@]}" 2>/dev/null
  read -ra pids <<<"$(tree "$1" | tr '\n' ' ')"
  kill -STOP "${pids[@]}" 2>/dev/null
  read -ra pids <<<"$(tree "$1" | tr '\n' ' ')"
  kill -KILL -- "-$1" "${pids[@]}" 2>/dev/null
  wait "$1" 2>/dev/null
  # Still running (not a zombie waiting for init to reap it).
  alive() { local pid; for pid in "${pids[@]}"; do ps -o pid=,stat=,comm= -p "$pid" 2>/dev/null | awk '$2 !~ /^Z/'; done; }
  for _ in $(seq 1 50); do [ -z "$(alive)" ] && break; sleep 0.1; done
  check "$2: no process of the killed up is left (${#pids[@]} killed: node, pulumi, language host, provider)" "" "$(alive | tr -s ' \n' ' ')"
}
# up_in_background NAME: starts dockyard up in its own process group; sets up_pid.
# Waits (up to 120 s) until the up in the background has a container of the stack on the engine, or
# has ended, then a second more: the moment "while the containers start".
until_containers_start() {
  for _ in $(seq 1 1200); do
    [ -n "$(docker ps -aq --filter "label=dockyard.stack=$STACK")" ] && break
    kill -0 "$up_pid" 2>/dev/null || break
    sleep 0.1
  done
  sleep 1
}
up_in_background() {
  set -m
  dockyard up "$STACK" --yes >"$log/$1.txt" 2>&1 &
  up_pid=$!
  set +m
}
# restart_dockerd NAME: stops dockerd (SIGTERM, as a host shutdown does), waits 5 s, starts it again
# with tools/ensure-dockerd.sh; checks it stopped, came back with the same arguments and holds none of
# this run's open files.
restart_dockerd() {
  local dockerd_pid dockerd_args down_at=$SECONDS
  dockerd_pid="$(cat /var/run/docker.pid)"
  dockerd_args="$(tr '\0' ' ' </proc/"$dockerd_pid"/cmdline)"
  kill -TERM "$dockerd_pid"
  for _ in $(seq 1 600); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
  figure "$1: dockerd stopped in $((SECONDS - down_at)) s"
  check "$1: dockerd has stopped" "gone" "$(kill -0 "$dockerd_pid" 2>/dev/null && echo running || echo gone)"
  sleep 5
  # The daemon outlives this suite: it must not inherit the suite's open files, above all the e2e lock
  # that flock holds for this run (it would stay locked as long as dockerd runs).
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd="${fd##*/}"
      [ "$fd" -le 2 ] || eval "exec $fd>&-"
    done
    exec bash tools/ensure-dockerd.sh
  ) >"$log/ensure-dockerd.txt" 2>&1
  check "$1: tools/ensure-dockerd.sh starts it again" "0" "$?"
  check "$1: with the same arguments" "$dockerd_args" "$(tr '\0' ' ' </proc/"$(cat /var/run/docker.pid)"/cmdline)"
  check "$1: holding none of this run's open files (the e2e lock among them)" "" \
    "$(comm -12 <(find /proc/$$/fd -mindepth 1 -printf '%l\n' | grep '^/' | grep -v '^/dev/' | sort -u) \
      <(find /proc/"$(cat /var/run/docker.pid)"/fd -mindepth 1 -printf '%l\n' 2>/dev/null | sort -u) | tr '\n' ' ')"
}
# One query in the stack's PostgreSQL (psql in the db container), for vote_account (test/e2e/vote-account.sh).
faults_sql() { docker exec "$PREFIX-db-1" psql -U postgres -tAc "$1"; }
# A hex prefix for each load's voter ids, new to this run.
run_hex="$(printf '%08x' $(($(date +%s) % 4294967296)))"

section "SIGKILL of dockyard up during a cold up, right after the networks (images still building)"
started=$SECONDS
up_in_background up-killed1
for _ in $(seq 1 600); do grep -q 'created docker Network' "$log/up-killed1.txt" && break; kill -0 "$up_pid" 2>/dev/null || break; sleep 0.1; done
kill_up "$up_pid" "killed after the networks"
figure "killed after the networks: at $((SECONDS - started)) s; $(grep -c '\] created ' "$log/up-killed1.txt") resources created; $(docker ps -aq --filter "label=dockyard.stack=$STACK" | wc -l) containers and $(docker network ls -q --filter "label=dockyard.stack=$STACK" | wc -l) networks of the stack on the engine"
check "the kill came after the networks and before any container was recorded" "yes|0" \
  "$(grep -q 'created docker Network' "$log/up-killed1.txt" && echo yes || echo no)|$(grep -c 'created docker Container' "$log/up-killed1.txt")"
started=$SECONDS
dockyard up "$STACK" --yes >"$log/up-after1.txt" 2>&1
rc=$?
figure "killed after the networks: the next dockyard up converged in $((SECONDS - started)) s (exit $rc): $(grep '^dockyard up: \(removed\|cleared\|stack .*pending\)' "$log/up-after1.txt" | cut -c1-160 | tr '\n' ' ')"
check "the next dockyard up exits 0" "0" "$rc"
check "it says it removed the stale lock (the process is gone)" "1" "$(grep -c '^dockyard up: removed the lock an interrupted update left (pid [0-9]* .*that process is gone): pulumi cancel$' "$log/up-after1.txt")"
check "all five services healthy" "$HEALTHY" "$(all_health)"
no_change "after the first kill" up-check1
check_exact "after the first kill"
dockyard down "$STACK" --yes >"$log/down1.txt" 2>&1
check "dockyard down leaves no object of the stack" "0|" "$?|$(labelled_objects | tr '\n' ' ')"

section "SIGKILL of dockyard up during a cold up, while the containers start"
started=$SECONDS
up_in_background up-killed2
until_containers_start
kill_up "$up_pid" "killed while containers start"
on_engine="$(docker ps -a --filter "label=dockyard.stack=$STACK" --format '{{.Names}}' | sort | tr '\n' ' ')"
recorded="$(grep -c 'created docker Container' "$log/up-killed2.txt")"
figure "killed while containers start: at $((SECONDS - started)) s; containers on the engine: $on_engine; recorded as created: $recorded"
check "the kill left a container on the engine that the state does not record" "yes" \
  "$([ "$(wc -w <<<"$on_engine")" -gt "$recorded" ] && echo yes || echo "no: $on_engine / $recorded")"
check "the state holds pending creates" "yes" "$(p stack export | grep -q '"pending_operations"' && echo yes || echo no)"
started=$SECONDS
dockyard up "$STACK" --yes >"$log/up-after2.txt" 2>&1
rc=$?
figure "killed while containers start: the next dockyard up converged in $((SECONDS - started)) s (exit $rc); it said: $(grep -E '^(dockyard up: (removed|cleared|stack .*pending)|  (removed|kept|image|container|network) )' "$log/up-after2.txt" | cut -c1-200 | tr '\n' ' ')"
check "the next dockyard up exits 0" "0" "$rc"
check "it removed the lock, names the pending creates, removes each container left and clears them from the state" "1 1 yes 1" \
  "$(grep -c '^dockyard up: removed the lock' "$log/up-after2.txt") $(grep -c "^dockyard up: stack $STACK: an interrupted update left [0-9]* pending operations\?: " "$log/up-after2.txt") $(grep -q "^  removed container $PREFIX-[a-z]*-1 (created by the interrupted update, never recorded in the state): docker rm -f $PREFIX-[a-z]*-1$" "$log/up-after2.txt" && echo yes || echo no) $(grep -c "^dockyard up: cleared the pending operations from the state: pulumi refresh --clear-pending-creates --yes -s $STACK$" "$log/up-after2.txt")"
check "all five services healthy" "$HEALTHY" "$(all_health)"
no_change "after the second kill" up-check2 dockyard
check_exact "after the second kill"

section "SIGINT (Ctrl-C) of dockyard up during a cold up, right after the networks (images still building)"
dockyard down "$STACK" --yes >"$log/down-int.txt" 2>&1
check "dockyard down leaves no object of the stack" "0|" "$?|$(labelled_objects | tr '\n' ' ')"
started=$SECONDS
up_in_background up-int
for _ in $(seq 1 600); do grep -q 'created docker Network' "$log/up-int.txt" && break; kill -0 "$up_pid" 2>/dev/null || break; sleep 0.1; done
read -ra int_pids <<<"$(tree "$up_pid" | tr '\n' ' ')"
# As a terminal's Ctrl-C: SIGINT to the foreground process group (node and the Pulumi CLI it runs; the
# engine starts the language host and the provider in process groups of their own), once.
kill -INT -- "-$up_pid"
interrupted=$SECONDS
wait "$up_pid"
int_rc=$?
stopped_after=$((SECONDS - interrupted))
int_alive() { local pid; for pid in "${int_pids[@]}"; do ps -o pid=,stat=,comm= -p "$pid" 2>/dev/null | awk '$2 !~ /^Z/'; done; }
for _ in $(seq 1 300); do [ -z "$(int_alive)" ] && break; sleep 0.1; done
# The first Ctrl-C lets the operations under way finish (a container's create waits for its health
# check), so the stop takes a while, bounded by the longest of them.
check "dockyard up stops after the Ctrl-C, and so does every process it started (${#int_pids[@]}: node, pulumi, language host, provider) within 120 s" \
  "stopped|" "$([ "$stopped_after" -le 120 ] && echo stopped || echo "after ${stopped_after}s")|$(int_alive | tr -s ' \n' ' ')"
int_created="$(sed -nE 's/^up stopped in [0-9.ms]+: ([0-9]+) created.*$/\1/p' "$log/up-int.txt")"
check "the up stopped part-way: its summary says stopped, with fewer than the stack's 28 resources created" "1|yes" \
  "$(grep -c '^up stopped in ' "$log/up-int.txt")|$([ "${int_created:-0}" -lt 28 ] && echo yes || echo "no: ${int_created:-none}")"
check "dockyard up exits 130 and says it stops once the operations under way finish, then that they did" \
  "130|1|1" "$int_rc|$(grep -c '^dockyard up: Ctrl-C: stopping once the operations under way finish, so the state records them (Ctrl-C again stops at once)$' "$log/up-int.txt")|$(grep -c "^dockyard up: stopped by Ctrl-C; what was under way finished and is recorded: stack $STACK is part-way deployed; run dockyard up $STACK again (dockyard down $STACK removes it)$" "$log/up-int.txt")"
int_lock="$(lock_count)"
int_pending="$(p stack export 2>/dev/null | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log((JSON.parse(s).deployment.pending_operations ?? []).length))')"
check "the stopped up left no lock and no pending operation (the engine's own cancel: what was begun is recorded)" "0 0" "$int_lock $int_pending"
on_engine="$(docker ps -a --filter "label=dockyard.stack=$STACK" --format '{{.Names}}' | sort | tr '\n' ' ')"
figure "Ctrl-C after the networks: sent $((interrupted - started)) s into the up; dockyard up exited $int_rc ${stopped_after} s later, its last words: $(tail -2 "$log/up-int.txt" | cut -c1-160 | tr '\n' ' '); the state: $int_lock lock, $int_pending pending operations, $(grep -c 'created docker Container' "$log/up-int.txt") containers recorded as created; on the engine: $on_engine"
started=$SECONDS
dockyard up "$STACK" --yes >"$log/up-after-int.txt" 2>&1
rc=$?
figure "Ctrl-C after the networks: the next dockyard up converged in $((SECONDS - started)) s (exit $rc), $(summary "$log/up-after-int.txt"); it said: $(grep -E '^(dockyard up: (removed|cleared|stack .*pending)|  (removed|kept|image|container|network) )' "$log/up-after-int.txt" | cut -c1-200 | tr '\n' ' ')"
check "the next dockyard up exits 0, creating what the stopped one had not" "0|$((28 - ${int_created:-0}))" \
  "$rc|$(sed -nE 's/^up done in [0-9.ms]+: ([0-9]+) created.*$/\1/p' "$log/up-after-int.txt")"
# What the interrupted up left, and what the next one says it settled: the lock when one was left, the
# pending operations when there were some (named, then cleared), nothing else.
check "it says it removed the lock and cleared the pending operations exactly when the interrupted up left them" \
  "$int_lock|$([ "$int_pending" -gt 0 ] && echo "1 $int_pending 1" || echo "0 0 0")" \
  "$(grep -c '^dockyard up: removed the lock an interrupted update left (pid [0-9]* .*that process is gone): pulumi cancel$' "$log/up-after-int.txt")|$(grep -c "^dockyard up: stack $STACK: an interrupted update left [0-9]* pending operations\?: " "$log/up-after-int.txt") $(grep -oE "^dockyard up: stack $STACK: an interrupted update left [0-9]+" "$log/up-after-int.txt" | grep -oE '[0-9]+$' || echo 0) $(grep -c "^dockyard up: cleared the pending operations from the state: pulumi refresh --clear-pending-creates --yes -s $STACK$" "$log/up-after-int.txt")"
check "all five services healthy" "$HEALTHY" "$(all_health)"
no_change "after the Ctrl-C" up-check-int dockyard
check_exact "after the Ctrl-C"

section "a second dockyard up while one runs (putting back a container removed by hand), under a vote load"
load1="$run_hex"01
node test/e2e/vote-load.js "$VOTE/" 200 10 "$load1" "$log/acked1.txt" >"$log/load1.json" 2>"$log/load1.err" &
load_pid=$!
# The first up has something to do, so it holds the lock a while: the worker, removed by hand, is
# created again (the acknowledged votes wait in Redis meanwhile).
docker rm -f "$PREFIX-worker-1" >/dev/null
up_in_background up-first
for _ in $(seq 1 600); do
  ls "$state"/backend/.pulumi/locks/*/*/"$STACK"/*.json >/dev/null 2>&1 && break
  sleep 0.05
done
dockyard up "$STACK" --yes >"$log/up-second.txt" 2>&1
rc=$?
wait "$up_pid"
first_rc=$?
check "the second up is refused: exit 1, one line of its own" "1|1" "$rc|$(grep -c '^dockyard up: ' "$log/up-second.txt")"
check "the line names the lock file and says to wait, then how to remove the lock if its process is gone" "yes" \
  "$(grep -qE "^dockyard up: stack $STACK is locked by another update \(pid [0-9]+ of [^ ]+, since [^;]+; lock file $state/backend/\.pulumi/locks/.+\.json\): wait for it to end, then run dockyard up $STACK again; if that process is gone for good, pulumi cancel --yes -s $STACK removes the lock$" "$log/up-second.txt" && echo yes || echo no)"
figure "concurrent up: $(grep '^dockyard up: ' "$log/up-second.txt" | sed -E "s|$root/||")"
check "the first up completes: the worker created again" "0|up done: 1 created, 27 unchanged" "$first_rc|$(summary "$log/up-first.txt")"
wait "$load_pid"
load_pid=""
no_change "after the concurrent up" up-check3 dockyard
vote_account "concurrent up" "$load1" "$log/load1.json" "$log/acked1.txt" faults_sql

section "SIGKILL of dockyard up during an update (vote and worker replaced: a new CPU limit), under a vote load"
load3="$run_hex"03
node test/e2e/vote-load.js "$VOTE/" 300 10 "$load3" "$log/acked3.txt" >"$log/load3.json" 2>"$log/load3.err" &
load_pid=$!
sleep 3
replaced() { docker inspect -f '{{.Id}}' "$PREFIX-vote-1" "$PREFIX-worker-1" 2>/dev/null | tr '\n' ' '; }
ids_before="$(replaced)"
p config set --path 'dockyard:services.vote.limits.cpus' 0.6
p config set --path 'dockyard:services.worker.limits.cpus' 0.6
started=$SECONDS
up_in_background up-update-killed
# Killed as soon as the first of the two containers is being replaced (deleted before its new one is
# created: the names are fixed), so the app is half old, half new, with a replacement under way.
for _ in $(seq 1 1200); do
  [ "$(replaced)" != "$ids_before" ] && break
  kill -0 "$up_pid" 2>/dev/null || break
  sleep 0.1
done
killed_at=$((SECONDS - started))
kill_up "$up_pid" "killed update"
upd_lock="$(lock_count)"
upd_pending="$(pending_ops)"
check "the update was killed part-way (it had not ended)" "0" "$(grep -c '^up done' "$log/up-update-killed.txt")"
figure "update killed ${killed_at} s in: the state held $upd_lock lock, pending operations: ${upd_pending:-none}; vote and worker on the engine: $(docker ps -a --filter "label=dockyard.stack=$STACK" --format '{{.Names}} {{.Status}}' | grep -E 'vote|worker' | tr '\n' ';')"
started=$SECONDS
dockyard up "$STACK" --yes >"$log/up-after-update-kill.txt" 2>&1
rc=$?
figure "update killed: the next dockyard up converged in $((SECONDS - started)) s (exit $rc); it said: $(grep -E '^(dockyard up: (removed|cleared|stack .*pending)|  (removed|kept|image|container|network) )' "$log/up-after-update-kill.txt" | cut -c1-200 | tr '\n' ' ')"
check "the next dockyard up exits 0" "0" "$rc"
check "vote and worker run with the new CPU limit (0.6 CPUs)" "600000000 600000000" \
  "$(docker inspect -f '{{.HostConfig.NanoCpus}}' "$PREFIX-vote-1" "$PREFIX-worker-1" | tr '\n' ' ' | sed 's/ $//')"
check "all five services healthy" "$HEALTHY" "$(all_health)"
wait "$load_pid"
load_pid=""
vote_account "update killed" "$load3" "$log/load3.json" "$log/acked3.txt" faults_sql
no_change "after the killed update" up-check-upd
check_exact "after the killed update"

section "Ctrl-C twice during an update (vote and worker replaced: a new CPU limit), under a vote load"
load4="$run_hex"04
node test/e2e/vote-load.js "$VOTE/" 200 10 "$load4" "$log/acked4.txt" >"$log/load4.json" 2>"$log/load4.err" &
load_pid=$!
sleep 2
ids_before="$(replaced)"
p config set --path 'dockyard:services.vote.limits.cpus' 0.7
p config set --path 'dockyard:services.worker.limits.cpus' 0.7
started=$SECONDS
up_in_background up-update-int2
for _ in $(seq 1 1200); do
  [ "$(replaced)" != "$ids_before" ] && break
  kill -0 "$up_pid" 2>/dev/null || break
  sleep 0.1
done
read -ra int_pids <<<"$(tree "$up_pid" | tr '\n' ' ')"
# A terminal's Ctrl-C twice, a second apart: SIGINT to the foreground process group each time.
kill -INT -- "-$up_pid"
sleep 1
kill -INT -- "-$up_pid"
interrupted=$SECONDS
wait "$up_pid"
int_rc=$?
stopped_after=$((SECONDS - interrupted))
for _ in $(seq 1 300); do [ -z "$(int_alive)" ] && break; sleep 0.1; done
figure "Ctrl-C twice during an update: the first $((interrupted - 1 - started)) s in; dockyard up exited $int_rc ${stopped_after} s after the second; the state: $(lock_count) lock, pending operations: $(pending_ops | sed 's/^$/none/')"
check "the second Ctrl-C stops dockyard up at once (exit 130 within 10 s, saying so), and every process it started (${#int_pids[@]}) within 30 s" \
  "130|stopped|1|" \
  "$int_rc|$([ "$stopped_after" -le 10 ] && echo stopped || echo "after ${stopped_after}s")|$(grep -c '^dockyard up: Ctrl-C again: stopping at once; what was under way is cut off, and the next dockyard up settles what it leaves$' "$log/up-update-int2.txt")|$(int_alive | tr -s ' \n' ' ')"
started=$SECONDS
dockyard up "$STACK" --yes >"$log/up-after-int2.txt" 2>&1
rc=$?
figure "Ctrl-C twice during an update: the next dockyard up converged in $((SECONDS - started)) s (exit $rc); it said: $(grep -E '^(dockyard up: (removed|cleared|stack .*pending)|  (removed|kept|image|container|network) )' "$log/up-after-int2.txt" | cut -c1-200 | tr '\n' ' ')"
check "the next dockyard up exits 0" "0" "$rc"
check "vote and worker run with the new CPU limit (0.7 CPUs)" "700000000 700000000" \
  "$(docker inspect -f '{{.HostConfig.NanoCpus}}' "$PREFIX-vote-1" "$PREFIX-worker-1" | tr '\n' ' ' | sed 's/ $//')"
for _ in $(seq 1 120); do [ "$(all_health)" = "$HEALTHY" ] && break; sleep 1; done
check "all five services healthy" "$HEALTHY" "$(all_health)"
wait "$load_pid"
load_pid=""
vote_account "Ctrl-C twice during an update" "$load4" "$log/load4.json" "$log/acked4.txt" faults_sql
no_change "after the Ctrl-C twice" up-check-int2 dockyard
check_exact "after the Ctrl-C twice"

section "the Docker engine restarted under a vote load"
load2="$run_hex"02
before="$run_hex"00
node test/e2e/vote-load.js "$VOTE/" 20 10 "$before" "$log/acked0.txt" >"$log/load0.json" 2>&1
node test/e2e/vote-load.js "$VOTE/" 600 10 "$load2" "$log/acked2.txt" >"$log/load2.json" 2>"$log/load2.err" &
load_pid=$!
sleep 10
ids_before="$(for s in db redis result vote worker; do docker inspect -f '{{.Id}}' "$PREFIX-$s-1"; done | tr '\n' ' ')"
stopped=$SECONDS
restart_dockerd "engine restart"
for _ in $(seq 1 180); do [ "$(all_health)" = "$HEALTHY" ] && break; sleep 1; done
check "the containers come back healthy by their restart policy (unless-stopped)" "$HEALTHY" "$(all_health)"
figure "engine restart: healthy again $((SECONDS - stopped)) s after the stop"
check "the containers are the same ones (restarted by the engine, not replaced), restart policy unless-stopped" \
  "$ids_before|unless-stopped unless-stopped unless-stopped unless-stopped unless-stopped " \
  "$(for s in db redis result vote worker; do docker inspect -f '{{.Id}}' "$PREFIX-$s-1"; done | tr '\n' ' ')|$(for s in db redis result vote worker; do docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' "$PREFIX-$s-1"; done | tr '\n' ' ')"
wait "$load_pid"
load_pid=""
vote_account "votes before the restart" "$before" "$log/load0.json" "$log/acked0.txt" faults_sql
vote_account "engine restart" "$load2" "$log/load2.json" "$log/acked2.txt" faults_sql
check "requests failed while the engine was down (counted as failed, not acknowledged)" "yes" \
  "$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).failed > 0 ? "yes" : "no")' "$log/load2.json")"
# What a refresh reads back now, against the program (kept in the log: the first up after a restart).
p preview --refresh --diff >"$log/restart-preview.txt" 2>&1
no_change "after the engine restart" up-check4
check_exact "after the engine restart"

section "the Docker engine restarted during a dockyard up (vote and worker being replaced)"
replaced_before="$(replaced)"
p config set --path 'dockyard:services.vote.limits.cpus' 0.5
p config set --path 'dockyard:services.worker.limits.cpus' 0.5
up_in_background up-during-restart
for _ in $(seq 1 1200); do
  [ "$(replaced)" != "$replaced_before" ] && break
  kill -0 "$up_pid" 2>/dev/null || break
  sleep 0.1
done
stopped=$SECONDS
restart_dockerd "restart during an up"
# The up fails on the lost engine, or outlives it; bounded: what is still running after 5 minutes is killed.
for _ in $(seq 1 300); do kill -0 "$up_pid" 2>/dev/null || break; sleep 1; done
if kill -0 "$up_pid" 2>/dev/null; then
  fail "the up cut off by the restart ends within 5 minutes" "still running; killed"
  kill_up "$up_pid" "the up left running after the restart"
fi
wait "$up_pid"
rc=$?
figure "engine restarted during an up: that up exited $rc; it said: $(grep -E '^dockyard up: ' "$log/up-during-restart.txt" | cut -c1-240 | tr '\n' ' ')"
check "the up that the restart cut off fails, saying the stack is part-way deployed and what to run" "1|1" \
  "$rc|$(grep -c "^dockyard up: stack $STACK is part-way deployed; fix the error above and run dockyard up $STACK again (dockyard down $STACK removes it)$" "$log/up-during-restart.txt")"
# The engine starts the stack's containers again by their restart policy as it comes back; an update
# that starts a container the engine is starting too fails on the engine's race ("task ... already
# exists"), so, as a user would, the next up waits until none of them is still being started (60 s at most).
settled_at=$SECONDS
for _ in $(seq 1 60); do
  [ -z "$(docker ps -aq --filter "label=dockyard.stack=$STACK" --filter status=restarting --filter status=created)" ] &&
    [ -z "$(docker ps -q --filter "label=dockyard.stack=$STACK" --filter health=starting)" ] && break
  sleep 1
done
figure "engine restarted during an up: the engine had started the stack's containers again $((SECONDS - settled_at)) s after that up ended"
started=$SECONDS
dockyard up "$STACK" --yes >"$log/up-after-restart.txt" 2>&1
rc=$?
figure "engine restarted during an up: the next dockyard up converged in $((SECONDS - started)) s (exit $rc); it said: $(grep -E '^(dockyard up: (removed|cleared|stack .*pending|container)|  (removed|kept|image|container|network) )' "$log/up-after-restart.txt" | cut -c1-200 | tr '\n' ' ')"
# When dockerd stopped while it was starting a container, containerd keeps that container's task and
# every start of it fails ("task ...: already exists"): dockyard up names the container and the commands
# that deploy it again, and the user runs them.
# Each up stops at the first such container, so a user runs what it prints until the up converges (5 rounds at most).
stale_of() { sed -nE "s/^dockyard up: container ($PREFIX-[a-z]+-1) cannot start: the engine still holds its task from before dockerd stopped \(it was starting then\), so every start fails; remove it and deploy again, which creates it again with its volumes: docker rm -f \1 && dockyard up $STACK$/\1/p" "$1" | tr '\n' ' ' | sed 's/ $//'; }
round=0
last="$log/up-after-restart.txt"
stale="$(stale_of "$last")"
while [ "$rc" != 0 ] && [ -n "$stale" ] && [ "$round" -lt 5 ]; do
  round=$((round + 1))
  figure "engine restarted during an up: the engine held the task of $stale; dockyard up named it and the commands; running them"
  # shellcheck disable=SC2086 # container names, one word each
  docker rm -f $stale >/dev/null
  last="$log/up-after-restart$((round + 1)).txt"
  dockyard up "$STACK" --yes >"$last" 2>&1
  rc=$?
  figure "engine restarted during an up: after docker rm -f $stale, dockyard up exited $rc: $(summary "$last")"
  stale="$(stale_of "$last")"
done
check "the next dockyard up exits 0 (after the commands it gave for a container whose task the engine kept, when there was one)" "0" "$rc"
check "vote and worker run with the limit of that up (0.5 CPUs)" "500000000 500000000" \
  "$(docker inspect -f '{{.HostConfig.NanoCpus}}' "$PREFIX-vote-1" "$PREFIX-worker-1" | tr '\n' ' ' | sed 's/ $//')"
# The containers the cut-off up had created are adopted as they are, and may still be starting.
for _ in $(seq 1 180); do [ "$(all_health)" = "$HEALTHY" ] && break; sleep 1; done
check "all five services healthy" "$HEALTHY" "$(all_health)"
check "every vote the earlier loads had acknowledged is still counted ($(cat "$log"/acked[0-4].txt | wc -l) votes), none twice" "|0" \
  "$(LC_ALL=C comm -23 <(cat "$log"/acked[0-4].txt | LC_ALL=C sort) <(faults_sql "SELECT id || ' ' || vote FROM votes WHERE id LIKE '$run_hex%'" | LC_ALL=C sort) | head -5 | tr '\n' ' ')|$(faults_sql "SELECT count(*) FROM (SELECT id FROM votes WHERE id LIKE '$run_hex%' GROUP BY id HAVING count(*) > 1) d")"
no_change "after the restart during an up" up-check5
check_exact "after the restart during an up"

section "down, and the engine as it was"
if [ "${E2E_KEEP:-}" != "1" ]; then
  dockyard down "$STACK" --yes >"$log/down2.txt" 2>&1
  check "dockyard down exits 0" "0" "$?"
  stack_images | xargs -r docker rmi >/dev/null 2>&1
  docker rmi "$RUN_BASE" >/dev/null 2>&1
  check "the engine holds the containers, networks, volumes and dangling images it held before the suite, no more" "|||" \
    "$(added "$containers_before" "$(engine_state ps -aq --no-trunc)")|$(added "$networks_before" "$(engine_state network ls --format '{{.Name}}')")|$(added "$volumes_before" "$(engine_state volume ls -q)")|$(for id in $(added "$dangling_before" "$(engine_state images -q --no-trunc --filter dangling=true)"); do docker image inspect -f '{{.Id}} created {{.Created}} labels {{json .Config.Labels}}' "$id"; done)"
fi

printf '\nfaults finished in %ds; logs in .state/faults/log\n' $((SECONDS - t0))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
