#!/usr/bin/env bash
# End to end on a real Pulumi engine and a real Docker swarm (`npm run test:e2e:swarm`): makes the
# local engine a one-node swarm (docker swarm init --advertise-addr 127.0.0.1), deploys the voting app
# with target swarm and test/e2e/swarm.yaml on a local file backend, checks what users rely on, and
# leaves the swarm at the end, whatever happened. It refuses an engine that is already in a swarm.
# Talks only to 127.0.0.1 and to the containers it created. Ends with "N passed, N failed".
set -euo pipefail
export LC_ALL=C # stable sort order in the checks
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=/dev/null
source test/e2e/env.sh

STACK=swarme2e
PREFIX="voting-$STACK"
VOTE=http://127.0.0.1:18580
RESULT=http://127.0.0.1:18590
# The swarm's own networks (ingress, and any it creates) come from this pool, which no suite uses.
ADDR_POOL=10.242.0.0/16
PASSWORD="swarm-e2e-db-password-1"
state="$root/.state/swarm-e2e"
log="$state/log"
bash tools/system-packages.sh curl
rm -rf "$state" && mkdir -p "$state/backend" "$log"
cp test/e2e/swarm.yaml "$state/Pulumi.$STACK.yaml"
export PULUMI_BACKEND_URL="file://$state/backend"
export PULUMI_CONFIG_PASSPHRASE="swarm-e2e-only-passphrase"

# ok, fail, check, section, engine_before, engine_as_found, swarm_as_found, remove_images
# shellcheck source=checks.sh
source test/e2e/checks.sh

p() { pulumi --non-interactive --stack "$STACK" "$@"; }
pc() { pulumi --non-interactive config --stack "$STACK" --config-file "$state/Pulumi.$STACK.yaml" "$@"; }
# pulumi up/preview/destroy with the stack's config file; output kept in $log/NAME.txt
run() {
  local name="$1"; shift
  p "$@" --config-file "$state/Pulumi.$STACK.yaml" >"$log/$name.txt" 2>&1
}

swarm_state() { docker info -f '{{.Swarm.LocalNodeState}}'; }
if [ "$(swarm_state)" != "inactive" ]; then
  echo "the Docker engine is already in a swarm ($(swarm_state)); this suite makes and leaves its own: run it on an engine outside any swarm" >&2
  exit 1
fi

ours() { docker "$1" ls -q --filter "label=dockyard.stack=$STACK"; }
# The images the suite builds: the stack's, and a worker whose health check fails (built on the stack's).
own_images() { remove_images "voting-worker-unhealthy:$STACK" "voting-*:$STACK"; }
# What the engine holds before the suite, without a label filter (the stack's images of an earlier run
# removed first): at the end, the swarm left, it holds that again.
own_images
engine_before
# swarm init creates docker_gwbridge and leaving keeps it: removed at the end unless it was there before.
gwbridge_before="$(docker network ls -q --filter name='^docker_gwbridge$')"
# Leaves the swarm the suite made, and the bridge network it made for it.
leave_swarm() {
  docker swarm leave --force >/dev/null 2>&1 || true
  [ -n "$gwbridge_before" ] || docker network rm docker_gwbridge >/dev/null 2>&1 || true
}
cleanup() {
  set +e
  # `pulumi stack init` wrote the passphrase's salt into the project's Pulumi.<stack>.yaml.
  rm -f "$root/Pulumi.$STACK.yaml"
  if [ "${E2E_KEEP:-}" != "1" ]; then
    p destroy --yes --config-file "$state/Pulumi.$STACK.yaml" >"$log/cleanup.txt" 2>&1
    # (out of the swarm already when the suite ran to its end: nothing to list)
    ours service 2>/dev/null | xargs -r docker service rm >/dev/null
    ours secret 2>/dev/null | xargs -r docker secret rm >/dev/null
    sleep 2
    docker ps -aq --filter "label=dockyard.stack=$STACK" | xargs -r docker rm -f >/dev/null
    ours network | xargs -r docker network rm >/dev/null
    ours volume | xargs -r docker volume rm >/dev/null
    own_images
    leave_swarm
    echo "cleanup: the engine left the swarm (state: $(swarm_state))"
  else
    echo "E2E_KEEP=1: the stack and the swarm stay up; docker swarm leave --force ends the swarm"
  fi
}
trap cleanup EXIT

# Posts one vote with its own voter id; prints the HTTP status.
vote() { curl -s -o /dev/null -w '%{http_code}' -b "voter_id=$1" --data-urlencode "vote=$2" "$VOTE/"; }
counted() {
  curl -s "$RESULT/api/results" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const r = JSON.parse(s); const o = (r.options ?? r)[process.argv[1]];
      console.log(typeof o === "number" ? o : (o?.votes ?? o?.count ?? "?"));
    });' "$1"
}
wait_counts() {
  local a b
  for _ in $(seq 1 60); do
    a=$(counted a 2>/dev/null || echo ?); b=$(counted b 2>/dev/null || echo ?)
    [ "$a $b" = "$1 $2" ] && break
    sleep 1
  done
  echo "$a $b"
}
# The running task containers of a service (by the app's name: vote), sorted ids.
tasks() { docker ps -q --no-trunc --filter "label=com.docker.swarm.service.name=$PREFIX-$1" | sort; }
task() { tasks "$1" | head -1; }
health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1" 2>/dev/null || echo missing; }
all_health() { for s in db redis result vote worker; do printf '%s=%s ' "$s" "$(health "$(task "$s")")"; done; }
replicas() { docker service ls --filter "label=dockyard.stack=$STACK" --format '{{.Name}}={{.Replicas}}' | sed "s/^$PREFIX-//" | sort | tr '\n' '|'; }
# Steps of a `preview --json` that change something: "op type name" lines.
changes() { node -e '
  const steps = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).steps ?? [];
  for (const s of steps) if (s.op !== "same") console.log(s.op, s.urn.split("::")[2].split("$").pop(), s.urn.split("::").pop());' "$1"; }

section "a one-node swarm on the local engine"
docker swarm init --advertise-addr 127.0.0.1 --default-addr-pool "$ADDR_POOL" >"$log/swarm-init.txt" 2>&1
check "the engine is a swarm manager" "active true 1" "$(docker info -f '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.Nodes}}')"
pulumi --non-interactive stack init "$STACK" >/dev/null
pc set --secret --path secrets.db-password "$PASSWORD"
pc set --path services.worker.stopGracePeriodSeconds 20
ok "stack created; secrets.db-password set as a secret, services.worker.stopGracePeriodSeconds 20"

section "preview, then dockyard up: it returns once every task runs and is healthy"
if run preview preview; then ok "pulumi preview"; else fail "pulumi preview" "$(tail -20 "$log/preview.txt")"; fi
# The dockyard verbs read Pulumi.<stack>.yaml in the project: the suite's config file, as it is now
# (removed again by cleanup). PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE above are theirs too.
dockyard() { cp "$state/Pulumi.$STACK.yaml" "$root/Pulumi.$STACK.yaml" && node cli/dockyard.js "$@"; }
up_start=$SECONDS
if dockyard up "$STACK" --yes >"$log/up1.txt" 2>&1; then ok "dockyard up ($((SECONDS - up_start))s)"; else fail "dockyard up" "$(tail -30 "$log/up1.txt")"; exit 1; fi
check "dockyard up: a progress line per swarm service, and the summary" "5|up done" \
  "$(grep -cE '^\[[0-9]+\] created docker Service [a-z0-9-]+ \([0-9]+s, at [0-9ms]+\)$' "$log/up1.txt")|$(grep -oE '^up done' "$log/up1.txt")"
# Right after the up, without waiting: convergeConfig held it until the tasks ran, healthy.
check "five services, one task each, running (at most one per node where a task binds a host port or holds data)" \
  "db=1/1 (max 1 per node)|redis=1/1 (max 1 per node)|result=1/1 (max 1 per node)|vote=1/1 (max 1 per node)|worker=1/1|" "$(replicas)"
check "each task's container healthy as the up returned" "db=healthy redis=healthy result=healthy vote=healthy worker=healthy " "$(all_health)"
check "the up warned that published ports listen on every interface" "yes" \
  "$(grep -q 'target swarm publishes result 18590, vote 18580 on every interface' "$log/up1.txt" && echo yes || echo no)"
check "the up warned once that no privilege escalation cannot be said on swarm, naming all five services and the engine's option" \
  "1|app \"voting\": services.db.security.noNewPrivileges, services.redis.security.noNewPrivileges, services.result.security.noNewPrivileges, services.vote.security.noNewPrivileges and services.worker.security.noNewPrivileges is ignored on target swarm|1" \
  "$(grep -c 'noNewPrivileges' "$log/up1.txt")|$(grep -o '^warning: .*noNewPrivileges is ignored on target swarm' "$log/up1.txt" | sed 's/^warning: //')|$(grep -c 'dockerd --no-new-privileges, or "no-new-privileges": true in /etc/docker/daemon.json' "$log/up1.txt")"

section "dockyard ps on the swarm stack"
dockyard ps "$STACK" >"$log/ps.txt" 2>&1
check "dockyard ps: every service's replicas running and healthy" \
  "SERVICE REPLICAS HEALTH|db 1/1 healthy|redis 1/1 healthy|result 1/1 healthy|vote 1/1 healthy|worker 1/1 healthy|" \
  "$(awk '{ print $1, $2, $3 }' "$log/ps.txt" | tr '\n' '|')"
check "dockyard ps: the URLs" "result http://127.0.0.1:18590|vote http://127.0.0.1:18580|" \
  "$(awk 'NF == 4 && $1 != "SERVICE" { print $1, $4 }' "$log/ps.txt" | tr '\n' '|')"
dockyard logs worker --stack "$STACK" >"$log/logs.txt" 2>&1
check "dockyard logs worker: exit 0, the worker's start from its task" "0|yes" \
  "$?|$(grep -qE ': health on http://0.0.0.0:[0-9]+/healthz, moving votes' "$log/logs.txt" && echo yes || echo "no: $(head -3 "$log/logs.txt" | tr '\n' ' ')")"

section "votes go through"
for i in 1 2 3; do vote "aaaa000$i" a >/dev/null; done
for i in 1 2; do vote "bbbb000$i" b >/dev/null; done
check "vote answers 200 on 127.0.0.1:18580" "200" "$(vote bbbb0003 b)"
vote aaaa0003 b >/dev/null
check "result counts 2 a, 4 b" "2 4" "$(wait_counts 2 4)"

section "the password: a swarm secret named by a fingerprint, a file in db, worker and result, in no inspect"
secret_names="$(docker secret ls --filter "label=dockyard.stack=$STACK" --format '{{.Name}}')"
check "one swarm secret, voting-swarme2e-db-password-<12 hex digits>" "1" "$(grep -cE "^$PREFIX-db-password-[0-9a-f]{12}\$" <<<"$secret_names" || true)"
password_env() { docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$(task "$1")" | grep -E 'PASSWORD' | tr '\n' ' '; }
check "db gets POSTGRES_PASSWORD_FILE, worker and result DB_PASSWORD_FILE" \
  "POSTGRES_PASSWORD_FILE=/run/secrets/db-password |DB_PASSWORD_FILE=/run/secrets/db-password |DB_PASSWORD_FILE=/run/secrets/db-password " \
  "$(password_env db)|$(password_env worker)|$(password_env result)"
secret_file() { docker exec "$(task "$1")" sh -c 'stat -c "%a %u" /run/secrets/db-password; cat /run/secrets/db-password' | tr '\n' ' '; }
check "the file in db, worker, result: mode 444, owned by root, the password" \
  "444 0 $PASSWORD|444 0 $PASSWORD|444 0 $PASSWORD" "$(secret_file db)|$(secret_file worker)|$(secret_file result)"
check "the password is in no docker inspect of a container, service or secret" "0" \
  "$( (docker ps -q --filter "label=dockyard.stack=$STACK" | xargs docker inspect; ours service | xargs docker service inspect; ours secret | xargs docker secret inspect) | grep -c "$PASSWORD" || true)"
check "the password is encrypted in the state and not in the outputs" "0 0" \
  "$(grep -rc "$PASSWORD" "$state/backend" | awk -F: '{s+=$2} END {print s+0}') $(p stack output --json --show-secrets | grep -c "$PASSWORD" || true)"

section "limits in the tasks' containers, reservations in the tasks"
limits() { docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' "$(task "$1")"; }
check "vote's container: 128 MiB, 0.5 CPU" "134217728 500000000" "$(limits vote)"
check "db's container: 512 MiB, 1 CPU" "536870912 1000000000" "$(limits db)"
check "cgroup memory limit inside vote" "134217728" "$(docker exec "$(task vote)" cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
task_id() { docker inspect -f '{{index .Config.Labels "com.docker.swarm.task.id"}}' "$(task "$1")"; }
reservation() { docker inspect --type task -f '{{.Spec.Resources.Reservations.MemoryBytes}} {{.Spec.Resources.Reservations.NanoCPUs}}' "$(task_id "$1")"; }
check "vote's task reserves 128 MiB and 0.125 CPU (a quarter of its limit)" "134217728 125000000" "$(reservation vote)"
check "db's task reserves 512 MiB and 0.25 CPU" "536870912 250000000" "$(reservation db)"
check "the node counts the reservations: 0.75 CPU of 2 reserved" "750000000" \
  "$(docker inspect --type task -f '{{.Spec.Resources.Reservations.NanoCPUs}}' $(docker service ps -q --filter desired-state=running $(ours service)) | awk '{s+=$1} END {print s}')"

section "overlay networks, published ports, placement"
# An overlay network's name ends in a fingerprint of its settings (a change is a new network).
netname() { docker network ls --filter "label=dockyard.stack=$STACK" --format '{{.Name}}' | grep -E "^$PREFIX-$1-[0-9a-f]{8}\$" || true; }
net() { docker network inspect -f "{{.Driver}} {{.Scope}} attachable={{.Attachable}} {{(index .IPAM.Config 0).Subnet}}" "$(netname "$1")"; }
check "frontend: an attachable overlay network, 10.241.1.0/24, named <prefix>-frontend-<8 hex digits>" "overlay swarm attachable=true 10.241.1.0/24 1" "$(net frontend) $(netname frontend | wc -l)"
check "backend: an attachable overlay network, 10.241.2.0/24, named <prefix>-backend-<8 hex digits>" "overlay swarm attachable=true 10.241.2.0/24 1" "$(net backend) $(netname backend | wc -l)"
FRONTEND="$(netname frontend)"
BACKEND="$(netname backend)"
networks_of() { docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$(task "$1")"; }
check "db, redis and worker only on backend; vote and result on both" \
  "$BACKEND |$BACKEND |$BACKEND |$BACKEND $FRONTEND |$BACKEND $FRONTEND " \
  "$(networks_of db)|$(networks_of redis)|$(networks_of worker)|$(networks_of vote)|$(networks_of result)"
check "vote published in host mode on 18580, result on 18590; nothing else" \
  "db= redis= result=8081/tcp->0.0.0.0:18590 vote=8080/tcp->0.0.0.0:18580 worker= " \
  "$(for s in db redis result vote worker; do printf '%s=%s ' "$s" "$(docker inspect -f '{{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{$p}}->{{if .HostIp}}{{.HostIp}}{{else}}0.0.0.0{{end}}:{{.HostPort}}{{end}}{{end}}' "$(task "$s")")"; done)"
check "endpoint mode dnsrr for every service" "dnsrr dnsrr dnsrr dnsrr dnsrr" \
  "$(ours service | xargs docker service inspect -f '{{.Spec.EndpointSpec.Mode}}' | tr '\n' ' ' | sed 's/ $//')"
check "db and redis pinned to the manager, one task per node" "[node.role == manager] 1|[node.role == manager] 1" \
  "$(docker service inspect -f '{{.Spec.TaskTemplate.Placement.Constraints}} {{.Spec.TaskTemplate.Placement.MaxReplicas}}' "$PREFIX-db")|$(docker service inspect -f '{{.Spec.TaskTemplate.Placement.Constraints}} {{.Spec.TaskTemplate.Placement.MaxReplicas}}' "$PREFIX-redis")"
check "update order: start-first for worker, stop-first for db, redis (data) and vote, result (host ports); failure action rollback" \
  "db stop-first rollback|redis stop-first rollback|result stop-first rollback|vote stop-first rollback|worker start-first rollback|" \
  "$(for s in db redis result vote worker; do printf '%s %s|' "$s" "$(docker service inspect -f '{{.Spec.UpdateConfig.Order}} {{.Spec.UpdateConfig.FailureAction}}' "$PREFIX-$s")"; done)"
check "stop grace period: worker 20 s (its stopGracePeriodSeconds), vote Docker's 10 s" "20s 10s" \
  "$(docker service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.StopGracePeriod}}' "$PREFIX-worker" "$PREFIX-vote" | xargs)"
# What each service's task spec says: capabilities dropped and added, read-only root, user, tmpfs paths.
# The tmpfs paths sorted: the spec keeps mounts in the provider's set order.
confinement() {
  local spec tmpfs
  spec="$(docker service inspect -f '{{with .Spec.TaskTemplate.ContainerSpec}}{{.CapabilityDrop}} {{.CapabilityAdd}} {{.ReadOnly}} {{.User}}{{end}}' "$PREFIX-$1")"
  tmpfs="$(docker service inspect -f '{{range .Spec.TaskTemplate.ContainerSpec.Mounts}}{{if eq .Type "tmpfs"}}{{println .Target}}{{end}}{{end}}' "$PREFIX-$1" | sed '/^$/d' | sort | tr '\n' ' ')"
  printf '%s %s' "$spec" "${tmpfs% }"
}
check "every service: all capabilities dropped, none added, a read-only root, its own numeric user, the tmpfs it writes" \
  "db=[ALL] [] true 999:999 /tmp /var/run/postgresql|redis=[ALL] [] true 999:999 /tmp|result=[ALL] [] true 1000:1000 /tmp|vote=[ALL] [] true 10001:10001 /tmp|worker=[ALL] [] true 1000:1000 /tmp|" \
  "$(for s in db redis result vote worker; do printf '%s=%s|' "$s" "$(confinement "$s")"; done)"
check "each task's container runs read-only, as the spec says" "db=true redis=true result=true vote=true worker=true " \
  "$(for s in db redis result vote worker; do printf '%s=%s ' "$s" "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$(task "$s")")"; done)"
# touch /x in a running task: the error it ends with and its exit status.
root_write() {
  local out rc
  out="$(docker exec "$(task "$1")" touch /x 2>&1)" && rc=0 || rc=$?
  printf '%s exit=%s' "${out##*: }" "$rc"
}
check "no task can write its root filesystem (touch /x fails: Read-only file system)" \
  "db=Read-only file system exit=1|redis=Read-only file system exit=1|result=Read-only file system exit=1|vote=Read-only file system exit=1|worker=Read-only file system exit=1|" \
  "$(for s in db redis result vote worker; do printf '%s=%s|' "$s" "$(root_write "$s")"; done)"
check "every task can write its /tmp" "db=yes redis=yes result=yes vote=yes worker=yes " \
  "$(for s in db redis result vote worker; do printf '%s=%s ' "$s" "$(docker exec "$(task "$s")" sh -c 'touch /tmp/probe && rm /tmp/probe' >/dev/null 2>&1 && echo yes || echo no)"; done)"
check "every task's /tmp is a tmpfs of mode 1777 (the kernel's default: no mode is sent)" "db=1777 redis=1777 result=1777 vote=1777 worker=1777 " \
  "$(for s in db redis result vote worker; do printf '%s=%s ' "$s" "$(docker exec "$(task "$s")" stat -c %a /tmp 2>&1)"; done)"
db_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$BACKEND\").IPAddress}}" "$(task db)")
redis_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$BACKEND\").IPAddress}}" "$(task redis)")
# Whether PostgreSQL and Redis answer, in their own protocols: a bare TCP connect is not proof, since
# an address no network of the container routes goes out through docker_gwbridge to the host's
# default route, where a proxy may accept any connection. PostgreSQL answers an SSLRequest with one
# byte (N or S); Redis answers PING with +PONG.
probe() {
  docker run --rm --network "$(netname "$1")" --label "dockyard.stack=$STACK" dockyard-local/debian:bookworm bash -c "
    getent hosts db >/dev/null && echo db-resolves || echo db-unknown
    timeout 5 bash -c 'exec 3<>/dev/tcp/$db_ip/5432; printf \"\\x00\\x00\\x00\\x08\\x04\\xd2\\x16\\x2f\" >&3; head -c1 <&3' 2>/dev/null | grep -qE '^[NS]\$' && echo postgres-answers || echo postgres-silent
    timeout 5 bash -c 'exec 3<>/dev/tcp/$redis_ip/6379; printf \"PING\\r\\n\" >&3; head -c5 <&3' 2>/dev/null | grep -q '+PONG' && echo redis-answers || echo redis-silent" | tr '\n' ' '
}
check "from the frontend network, db and redis are out of reach (by name and by address)" "db-unknown postgres-silent redis-silent " "$(probe frontend)"
check "from the backend network they answer" "db-resolves postgres-answers redis-answers " "$(probe backend)"

section "a second up changes nothing"
if run preview2 preview --expect-no-changes; then ok "pulumi preview --expect-no-changes"; else fail "preview shows changes" "$(grep -E '^\s+[~+-]|\[diff' "$log/preview2.txt" | head -20)"; fi
if run up2 up --yes --expect-no-changes; then ok "pulumi up --expect-no-changes"; else fail "second up had changes" "$(grep -E '^\s+[~+-]|\[diff' "$log/up2.txt" | head -20)"; fi

section "dockyard drift: a service scaled by hand is named, and dockyard up puts it back"
# dockyard up refreshes first on swarm too: the program sends what the engine reads back (an overlay
# network's gateway, a tmpfs without a mode), so the refresh replaces nothing nobody changed.
rc=0
dockyard drift "$STACK" >"$log/drift0.txt" 2>&1 || rc=$?
check "dockyard drift on the fresh stack: exit 0, nothing drifted" "0|stack $STACK: no drift: the engine matches the stack|" \
  "$rc|$(grep -v '^note:' "$log/drift0.txt" | tr '\n' '|')"
docker service scale -d "$PREFIX-worker=2" >"$log/scale-by-hand.txt" 2>&1
check "worker scaled to 2 by hand (docker service scale)" "2" "$(docker service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$PREFIX-worker")"
rc=0
dockyard drift "$STACK" >"$log/drift1.txt" 2>&1 || rc=$?
check "dockyard drift: exit 1, worker named with the field, the stack's value and the engine's" \
  "1|stack $STACK: 1 resource drifted|  docker Service worker: 1 field changed on the engine|    mode.replicated.replicas: stack 1, engine 2|" \
  "$rc|$(grep -v '^note:' "$log/drift1.txt" | tr '\n' '|')"
rc=0
dockyard up "$STACK" --yes >"$log/up-repair.txt" 2>&1 || rc=$?
check "dockyard up puts it back: exit 0, worker updated, nothing created, replaced or deleted" \
  "0|[1] updated docker Service worker|up done: 1 updated, 29 unchanged|" \
  "$rc|$(grep -E '^\[[0-9]+\] ' "$log/up-repair.txt" | sed -E 's/ \([^)]*\)$//' | tr '\n' '|')$(sed -nE 's/^up (done) in [0-9ms]+: (.*)$/up \1: \2/p' "$log/up-repair.txt")|"
for _ in $(seq 1 60); do [ "$(replicas)" = "db=1/1 (max 1 per node)|redis=1/1 (max 1 per node)|result=1/1 (max 1 per node)|vote=1/1 (max 1 per node)|worker=1/1|" ] && break; sleep 1; done
check "the engine runs worker's one task again, the networks and every other service as they were" \
  "1|db=1/1 (max 1 per node)|redis=1/1 (max 1 per node)|result=1/1 (max 1 per node)|vote=1/1 (max 1 per node)|worker=1/1||$FRONTEND $BACKEND" \
  "$(docker service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$PREFIX-worker")|$(replicas)|$(netname frontend) $(netname backend)"
rc=0
dockyard drift "$STACK" >"$log/drift2.txt" 2>&1 || rc=$?
check "dockyard drift afterwards: exit 0, nothing drifted" "0|stack $STACK: no drift: the engine matches the stack|" \
  "$rc|$(grep -v '^note:' "$log/drift2.txt" | tr '\n' '|')"
if [ "$(cat "$log/drift0.txt" "$log/drift1.txt" "$log/drift2.txt" | grep -c 'drifted')" != 1 ] || ! grep -q '^up done' "$log/up-repair.txt"; then
  p preview --refresh --diff --config-file "$state/Pulumi.$STACK.yaml" >"$log/preview-refresh-diff.txt" 2>&1 || true
  grep -E '^\s+[~+-]|\(replace\)|\(update\)' "$log/preview-refresh-diff.txt" | head -30 | sed 's/^/        /'
fi

# The picture of the deployed stack: Graphviz (dot) renders it, with the five services in it.
check "dockyard diagram $STACK --format svg: Graphviz renders the stack, its five services in it" "<svg|db redis result vote worker" \
  "$(dockyard diagram "$STACK" --format svg 2>"$log/diagram.err" >"$log/diagram.svg"; grep -o '<svg' "$log/diagram.svg" | head -1)|$(grep -oE '>(db|redis|result|vote|worker)<' "$log/diagram.svg" | tr -d '<>' | sort -u | xargs)"

section "worker 1 -> 3 tasks (no host port)"
pc set --path services.worker.replicas 3
run preview-scale preview --json || true
check "the plan updates the worker service alone" "update docker:index/service:Service worker|" "$(changes "$log/preview-scale.txt" | sort | tr '\n' '|')"
env_before="$(docker service inspect -f '{{json .Spec.TaskTemplate.ContainerSpec.Env}}' "$PREFIX-worker")"
first_task="$(tasks worker)"
if run up-scale up --yes; then ok "pulumi up (scale)"; else fail "pulumi up (scale)" "$(tail -20 "$log/up-scale.txt")"; fi
# The provider sends the environment in Go's random map order, so the swarm sees a new task spec and
# rolls the service (start-first) besides scaling it; its converge wait counts a running task per
# slot, so it can return while that rolling update still runs. Wait for the swarm's own status.
for _ in $(seq 1 60); do [ "$(docker service inspect -f '{{.UpdateStatus.State}}' "$PREFIX-worker")" = updating ] || break; sleep 1; done
env_after="$(docker service inspect -f '{{json .Spec.TaskTemplate.ContainerSpec.Env}}' "$PREFIX-worker")"
check "the same environment, in another order (provider trap: a scale rolls the tasks too)" "same set, order changed" \
  "$([ "$(tr -d '[]' <<<"$env_before" | tr ',' '\n' | sort)" = "$(tr -d '[]' <<<"$env_after" | tr ',' '\n' | sort)" ] && echo "same set" || echo "another set"), $([ "$env_before" != "$env_after" ] && echo "order changed" || echo "same order")"
check "the first worker task was replaced by the rolling update, not kept" "yes" "$(tasks worker | grep -qx "$first_task" && echo no || echo yes)"
check "worker runs 3/3" "3/3" "$(docker service ls --filter "name=$PREFIX-worker" --format '{{.Replicas}}')"
check "three healthy worker containers" "healthy healthy healthy " "$(for c in $(tasks worker); do printf '%s ' "$(health "$c")"; done)"
check "worker resolves to its three tasks on backend (dnsrr)" "3" \
  "$(docker run --rm --network "$BACKEND" --label "dockyard.stack=$STACK" dockyard-local/debian:bookworm getent ahostsv4 worker | awk '{print $1}' | sort -u | wc -l)"
vote aaaa0004 a >/dev/null
check "votes still flow" "3 4" "$(wait_counts 3 4)"

section "an update whose health check fails rolls back; the old tasks keep serving"
docker build -q -t "voting-worker-unhealthy:$STACK" - >/dev/null <<DOCKERFILE
FROM voting-worker:$STACK
USER root
RUN ln -sf /bin/false /usr/local/bin/healthcheck
USER node
DOCKERFILE
before="$(tasks worker | tr '\n' ' ')"
pc set --path services.worker.image "voting-worker-unhealthy:$STACK"
# Watch the old tasks while the up runs: each second, how many of the three are running and healthy,
# and the swarm's update state then (updating, then rollback_started once the new task failed).
(
  while [ ! -e "$state/up-bad.done" ]; do
    n=0
    for c in $before; do [ "$(health "$c")" = healthy ] && n=$((n + 1)); done
    echo "$n $(docker service inspect -f '{{.UpdateStatus.State}}' "$PREFIX-worker" 2>/dev/null)"
    sleep 1
  done
) >"$log/old-tasks-during-update.txt" &
watcher=$!
bad_start=$SECONDS
if run up-bad up --yes; then fail "the up with an unhealthy image must fail"; else ok "the up with an unhealthy image fails ($((SECONDS - bad_start))s)"; fi
touch "$state/up-bad.done"
wait "$watcher" || true
check "it says the swarm rolled the update back" "yes" "$(grep -q 'rollback completed' "$log/up-bad.txt" && echo yes || echo no)"
check "the swarm's update status" "rollback_completed" "$(docker service inspect -f '{{.UpdateStatus.State}}' "$PREFIX-worker")"
# While the update runs, start-first keeps all three old tasks serving (stop-first would stop one at
# once). The swarm's rollback may then replace an old task with a fresh one of the same spec (seen
# once in about three runs), so after it: three healthy tasks of the old image, most of them the old ones.
check "the old tasks were healthy at every second of the update, until the rollback began" "3" \
  "$(awk '$2 == "updating" { print $1 }' "$log/old-tasks-during-update.txt" | sort -n | head -1)"
check "the update ran for a few seconds before it failed" "yes" \
  "$([ "$(grep -c ' updating$' "$log/old-tasks-during-update.txt")" -ge 3 ] && echo yes || echo no)"
kept=0
for c in $before; do tasks worker | grep -qx "$c" && kept=$((kept + 1)); done
check "after the rollback: three healthy tasks, at least two of them the old ones" "3 healthy, kept >= 2" \
  "$(tasks worker | while read -r c; do health "$c"; done | grep -c healthy) healthy, kept $([ "$kept" -ge 2 ] && echo ">= 2" || echo "$kept")"
check "the service runs the built worker image again" "voting-worker:$STACK" "$(docker service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$PREFIX-worker")"
vote bbbb0004 b >/dev/null
check "votes still flow after the rollback" "3 5" "$(wait_counts 3 5)"
pc rm --path services.worker.image
if run up-restore up --yes; then ok "pulumi up with the previous config"; else fail "pulumi up with the previous config" "$(tail -20 "$log/up-restore.txt")"; fi
if run preview3 preview --expect-no-changes; then ok "then no changes"; else fail "changes after the restore" "$(grep -E '^\s+[~+-]|\[diff' "$log/preview3.txt" | head -20)"; fi
check "three healthy worker tasks" "healthy healthy healthy " "$(for c in $(tasks worker); do printf '%s ' "$(health "$c")"; done)"

section "the same app as a compose file: one config line, no change"
pc set --path compose.file examples/voting-compose.yaml
if run up-compose up --yes --expect-no-changes; then ok "compose.file examples/voting-compose.yaml: pulumi up --expect-no-changes"; else fail "the compose form changes something" "$(grep -E '^\s+[~+-]|\[diff' "$log/up-compose.txt" | head -20)"; fi
pc rm --path compose.file

section "a new password is a new secret; the services switch to it"
old_secret="$(ours secret | xargs docker secret inspect -f '{{.Spec.Name}}')"
# As an operator rotates a database password: in the database first, then the secret the apps read.
docker exec "$(task db)" psql -q -U postgres -d postgres -c "ALTER USER postgres PASSWORD '$PASSWORD-2'" >"$log/alter-user.txt" 2>&1 ||
  fail "ALTER USER in db" "$(cat "$log/alter-user.txt")"
pc set --secret --path secrets.db-password "$PASSWORD-2"
if run up-rotate up --yes; then ok "pulumi up (new password)"; else fail "pulumi up (new password)" "$(tail -20 "$log/up-rotate.txt")"; fi
new_secret="$(ours secret | xargs docker secret inspect -f '{{.Spec.Name}}')"
check "one secret, with another name; the old one removed" "1 yes" "$(wc -w <<<"$new_secret" | tr -d ' ') $([ "$new_secret" != "$old_secret" ] && echo yes || echo no)"
# Every running task of a service, as the password it reads: with start-first, the update is complete
# once the new tasks run, and an old one may still be stopping for a few seconds (up to 30 s here).
passwords() { # $1 = service: the distinct passwords its running tasks read
  local values=""
  for _ in $(seq 1 30); do
    values="$(for c in $(tasks "$1"); do docker exec "$c" cat /run/secrets/db-password 2>/dev/null; echo; done | sed '/^$/d' | sort -u | paste -sd ' ')"
    [ "$values" = "$PASSWORD-2" ] && break
    sleep 1
  done
  printf '%s' "$values"
}
check "db, worker and result read the new password from their file (every running task)" "$PASSWORD-2|$PASSWORD-2|$PASSWORD-2" \
  "$(passwords db)|$(passwords worker)|$(passwords result)"
vote aaaa0005 a >/dev/null
check "votes still flow" "4 5" "$(wait_counts 4 5)"

section "a new subnet: a new network beside the old one, the services moved onto it, the old one removed"
# The network's name carries a fingerprint of its settings, so Pulumi creates the new one first,
# replaces the services that use it (a service's networks cannot change in place), and removes the
# old one last, once no service uses it. The backend and its services are left as they are.
db_before="$(tasks db)"
pc set --path networks.frontend.subnet 10.241.3.0/24
if run up-subnet up --yes; then ok "pulumi up (frontend 10.241.3.0/24)"; else fail "pulumi up (frontend 10.241.3.0/24)" "$(tail -20 "$log/up-subnet.txt")"; fi
frontend_new="$(netname frontend)"
check "frontend: one network, another name, on 10.241.3.0/24; the old one removed" "1 renamed overlay swarm attachable=true 10.241.3.0/24 gone" \
  "$(wc -l <<<"$frontend_new") $([ "$frontend_new" != "$FRONTEND" ] && echo renamed || echo same) $(net frontend) $(docker network inspect "$FRONTEND" >/dev/null 2>&1 && echo present || echo gone)"
check "vote and result on the new frontend and on backend" "$BACKEND $frontend_new |$BACKEND $frontend_new " "$(networks_of vote)|$(networks_of result)"
check "vote's task has an address in 10.241.3.0/24" "10.241.3." \
  "$(docker inspect -f "{{(index .NetworkSettings.Networks \"$frontend_new\").IPAddress}}" "$(task vote)" | grep -oE '^10\.241\.3\.')"
check "db (backend only) kept its task" "$db_before" "$(tasks db)"
check "vote answers" "200" "$(vote bbbb0005 b)"
check "votes counted" "4 6" "$(wait_counts 4 6)"
if run up-subnet2 up --yes --expect-no-changes; then ok "then pulumi up --expect-no-changes"; else fail "changes after the new subnet" "$(grep -E '^\s+[~+-]|\[diff' "$log/up-subnet2.txt" | head -20)"; fi

section "the stack file form: compose v3 deploy keys with one config line"
stack_start=$SECONDS
pc set --path compose.file examples/voting-stack.yaml
run preview-stack preview --json || true
check "the plan updates the five services in place, nothing else (no replacement)" \
  "update docker:index/service:Service db|update docker:index/service:Service redis|update docker:index/service:Service result|update docker:index/service:Service vote|update docker:index/service:Service worker|" \
  "$(changes "$log/preview-stack.txt" | sort | tr '\n' '|')"
if run up-stack up --yes; then ok "compose.file examples/voting-stack.yaml: pulumi up ($((SECONDS - stack_start))s)"; else fail "pulumi up (stack file)" "$(tail -30 "$log/up-stack.txt")"; fi
spec() { docker service inspect -f "$2" "$PREFIX-$1"; }
strategy='{{.Parallelism}} {{.Delay}} {{.Monitor}} {{.MaxFailureRatio}} {{.Order}} {{.FailureAction}}'
check "UpdateConfig (parallelism delay monitor ratio order action): update_config, order and monitor by dockyard's rule where not given" \
  "db=1 0s 5s 0 stop-first rollback|redis=2 10s 5s 0 stop-first rollback|result=2 10s 5s 0 stop-first rollback|vote=2 10s 5s 0 stop-first rollback|worker=2 5s 10s 0 start-first rollback|" \
  "$(for s in db redis result vote worker; do printf '%s=%s|' "$s" "$(spec "$s" "{{with .Spec.UpdateConfig}}$strategy{{end}}")"; done)"
check "RollbackConfig: rollback_config where given (result, worker), else the update's, pausing" \
  "db=1 0s 5s 0 stop-first pause|redis=2 10s 5s 0 stop-first pause|result=1 10s 5s 0 stop-first continue|vote=2 10s 5s 0 stop-first pause|worker=1 0s 10s 0 start-first pause|" \
  "$(for s in db redis result vote worker; do printf '%s=%s|' "$s" "$(spec "$s" "{{with .Spec.RollbackConfig}}$strategy{{end}}")"; done)"
check "RestartPolicy (condition delay attempts window): restart_policy" \
  "db=any 5s 0 0s|redis=on-failure 5s 0 0s|result=on-failure 5s 0 0s|vote=on-failure 5s 0 0s|worker=on-failure 10s 3 2m0s|" \
  "$(for s in db redis result vote worker; do printf '%s=%s|' "$s" "$(spec "$s" '{{with .Spec.TaskTemplate.RestartPolicy}}{{.Condition}} {{.Delay}} {{.MaxAttempts}} {{.Window}}{{end}}')"; done)"
check "Placement: node.role == manager for db (once, with its pin) and worker; one task per node where data or a host port" \
  "db=[node.role == manager] 1|redis=[node.role == manager] 1|result=[] 1|vote=[] 1|worker=[node.role == manager] 0|" \
  "$(for s in db redis result vote worker; do printf '%s=%s|' "$s" "$(spec "$s" '{{.Spec.TaskTemplate.Placement.Constraints}} {{.Spec.TaskTemplate.Placement.MaxReplicas}}')"; done)"
check "Resources.Reservations (NanoCPUs MemoryBytes): reservations replace the derived ones; limits unchanged" \
  "db=250000000 268435456 1000000000 536870912|redis=100000000 67108864 500000000 134217728|result=100000000 67108864 500000000 134217728|vote=100000000 67108864 500000000 134217728|worker=100000000 67108864 500000000 134217728|" \
  "$(for s in db redis result vote worker; do printf '%s=%s|' "$s" "$(spec "$s" '{{with .Spec.TaskTemplate.Resources}}{{.Reservations.NanoCPUs}} {{.Reservations.MemoryBytes}} {{.Limits.NanoCPUs}} {{.Limits.MemoryBytes}}{{end}}')"; done)"
# The converge wait can return while worker's rolling update (3 tasks, two at a time) still runs
# (the provider trap the scale section shows): wait for the swarm's own status.
for _ in $(seq 1 120); do [ "$(spec worker '{{.UpdateStatus.State}}')" = updating ] || break; sleep 1; done
check "worker's rolling update completed; every task runs, healthy (worker keeps the suite's 3 replicas)" \
  "completed|db=1/1 (max 1 per node)|redis=1/1 (max 1 per node)|result=1/1 (max 1 per node)|vote=1/1 (max 1 per node)|worker=3/3||db=healthy redis=healthy result=healthy vote=healthy worker=healthy |healthy healthy healthy " \
  "$(spec worker '{{.UpdateStatus.State}}')|$(replicas)|$(all_health)|$(for c in $(tasks worker); do printf '%s ' "$(health "$c")"; done)"
vote bbbb0006 b >/dev/null
check "votes still flow" "4 7" "$(wait_counts 4 7)"
if run up-stack2 up --yes --expect-no-changes; then ok "a second pulumi up --expect-no-changes"; else fail "the stack file form changes on a second up" "$(grep -E '^\s+[~+-]|\[diff' "$log/up-stack2.txt" | head -20)"; fi
pc rm --path compose.file
if run up-stack-back up --yes; then ok "pulumi up with the previous config"; else fail "pulumi up with the previous config" "$(tail -20 "$log/up-stack-back.txt")"; fi
check "back to the previous update config and reservations" "1 0s 5s start-first|125000000 134217728" \
  "$(spec worker '{{with .Spec.UpdateConfig}}{{.Parallelism}} {{.Delay}} {{.Monitor}} {{.Order}}{{end}}')|$(spec worker '{{.Spec.TaskTemplate.Resources.Reservations.NanoCPUs}} {{.Spec.TaskTemplate.Resources.Reservations.MemoryBytes}}')"
printf '  (section: %ds)\n' $((SECONDS - stack_start))

source test/e2e/swarm-faults.sh && swarm_faults # tasks killed and services rolled under a vote load
section "destroy with volumes.<name>.retain: nothing left but the volumes"
pc set --path volumes.db-data.retain true
pc set --path volumes.redis-data.retain true
run up-retain up --yes || fail "pulumi up (retain)" "$(tail -20 "$log/up-retain.txt")"
if dockyard down "$STACK" --yes >"$log/destroy.txt" 2>&1; then ok "dockyard down"; else fail "dockyard down" "$(tail -20 "$log/destroy.txt")"; fi
sleep 3
check "no service, secret, network or container left" "" \
  "$(ours service; ours secret; ours network; docker ps -aq --filter "label=dockyard.stack=$STACK"; docker ps -aq --filter "label=com.docker.swarm.service.name")"
check "the data volumes kept" "$PREFIX-db-data $PREFIX-redis-data " "$(ours volume | sort | tr '\n' ' ')"

section "the engine as the suite found it"
swarm_as_found "the swarm holds no service, secret or config (checked before the suite leaves it)"
if [ "${E2E_KEEP:-}" = 1 ]; then
  echo "E2E_KEEP=1: the kept volumes and the swarm stay; the engine is not compared with what it held before"
else
  ours volume | xargs -r docker volume rm >/dev/null || true
  own_images
  leave_swarm
  # The stopped task containers go a moment after their services.
  for _ in $(seq 1 30); do [ -n "$(engine_added)" ] || break; sleep 1; done
  engine_as_found "the engine is out of any swarm again and holds the containers, networks, volumes and untagged images it held before the suite, no more"
fi

printf '\nswarm e2e finished in %ds; logs in .state/swarm-e2e/log\n' $((SECONDS - t0))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
