#!/usr/bin/env bash
# End to end on a real Pulumi engine and a real Docker engine (`npm run test:e2e`):
# builds the engine (cached), starts Docker if needed, builds stand-in base images, then deploys the
# voting app with Pulumi.e2e.yaml on a local file backend and checks what users rely on. Talks only
# to 127.0.0.1 and to containers it created. Ends with "N passed, N failed".
set -euo pipefail
export LC_ALL=C # stable sort order in the checks
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=/dev/null
source test/e2e/env.sh

STACK=e2e
PREFIX="voting-$STACK"
VOTE=http://127.0.0.1:18080
RESULT=http://127.0.0.1:18090
state="$root/.state/e2e"
log="$state/log"
# The test's image registries: Debian's docker-registry (the registry:2 server); htpasswd (apache2-utils)
# writes the login of the one that requires one.
bash tools/system-packages.sh docker-registry curl apache2-utils
# Stops the registries this script started (pid files in $state; an E2E_KEEP=1 run leaves them up).
stop_registries() {
  local pidfile pid
  for pidfile in "$state"/registry-*.pid; do
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [ -n "$pid" ] && grep -qa docker-registry "/proc/$pid/cmdline" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
    rm -f "$pidfile"
  done
}
stop_registries
rm -rf "$state" && mkdir -p "$state/backend" "$log"
cp Pulumi.e2e.yaml "$state/Pulumi.$STACK.yaml"
# `pulumi stack init` writes the passphrase salt into the project's Pulumi.e2e.yaml: put it back on exit.
cp Pulumi.e2e.yaml "$state/Pulumi.$STACK.yaml.tracked"
export PULUMI_BACKEND_URL="file://$state/backend"
export PULUMI_CONFIG_PASSPHRASE="e2e-only-passphrase"

# ok, fail, check, section, remove_leftovers, engine_before, engine_as_found (and engine_state, added)
# shellcheck source=checks.sh
source test/e2e/checks.sh

p() { pulumi --non-interactive --stack "$STACK" "$@"; }
pc() { pulumi --non-interactive config --stack "$STACK" --config-file "$state/Pulumi.$STACK.yaml" "$@"; }
# pulumi up/preview/destroy with the e2e config file; output kept in $log/NAME.txt
run() {
  local name="$1"; shift
  if p "$@" --config-file "$state/Pulumi.$STACK.yaml" >"$log/$name.txt" 2>&1; then return 0; fi
  return 1
}

cleanup() {
  set +e
  cp "$state/Pulumi.$STACK.yaml.tracked" "$root/Pulumi.$STACK.yaml"
  if [ "${E2E_KEEP:-}" != "1" ]; then
    p destroy --yes --config-file "$state/Pulumi.$STACK.yaml" >"$log/cleanup.txt" 2>&1
    docker ps -aq --filter "label=dockyard.stack=$STACK" | xargs -r docker rm -f >/dev/null
    docker network ls -q --filter "label=dockyard.stack=$STACK" | xargs -r docker network rm >/dev/null
    docker volume ls -q --filter "label=dockyard.stack=$STACK" | xargs -r docker volume rm >/dev/null
    stop_registries
    # This run's names for its registries (a new port each run): untag them (tags and repo digests),
    # never by id, since another stack may run the same image; --no-prune keeps the build cache.
    for r in ${REGISTRY:-} ${LOCKED:-}; do
      docker images --digests --format '{{.Repository}}:{{.Tag}} {{.Repository}}@{{.Digest}}' "$r/voting-*" | tr ' ' '\n' |
        grep -v -e ':<none>$' -e '@<none>$' | sort -u | xargs -r docker rmi --no-prune >/dev/null 2>&1
    done
    # The run's base image, then what this run left untagged (vote's image built on it).
    docker rmi "$RUN_BASE" >/dev/null 2>&1
    [ -z "${dangling_before+x}" ] || added "$dangling_before" "$(engine_state images -q --no-trunc --filter dangling=true)" | xargs -r docker rmi >/dev/null 2>&1
  else
    echo "E2E_KEEP=1: the registries stay up (${REGISTRY:-} open, ${LOCKED:-} with a login); the next run stops them"
  fi
}
trap cleanup EXIT

# The images are pushed to registries the test starts: Debian's docker-registry on 127.0.0.1, each on
# a free port with its storage in $state. Docker treats 127.0.0.0/8 registries as insecure (plain
# HTTP) by default (checked below). REGISTRY takes pushes without a login (no registryUsername, the
# stack's default); LOCKED requires one (htpasswd, bcrypt).
LOCKED_USER=e2e-pusher
LOCKED_PASSWORD="e2e-registry-password-1"
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'; }
# start_registry NAME [USER PASSWORD]: sets registry_addr to 127.0.0.1:PORT
start_registry() {
  local name="$1" dir="$state/registry-$1" port auth="" pid want=200
  mkdir -p "$dir/data"
  port="$(free_port)"
  if [ -n "${2:-}" ]; then
    htpasswd -Bbn "$2" "$3" >"$dir/htpasswd"
    auth="auth: { htpasswd: { realm: dockyard-e2e, path: $dir/htpasswd } }"
    want=401
  fi
  printf 'version: 0.1\nlog: { level: warn }\nstorage:\n  filesystem: { rootdirectory: %s }\nhttp:\n  addr: 127.0.0.1:%s\n%s\n' \
    "$dir/data" "$port" "$auth" >"$dir/config.yml"
  setsid nohup docker-registry serve "$dir/config.yml" >"$log/registry-$name.txt" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$state/registry-$name.pid"
  for _ in $(seq 1 40); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" = "$want" ] && break
    sleep 0.25
  done
  # Answering, and it is ours (not another process that took the port in between).
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" != "$want" ] || ! kill -0 "$pid" 2>/dev/null; then
    fail "registry $name on 127.0.0.1:$port" "$(tail -5 "$log/registry-$name.txt")"
    exit 1
  fi
  registry_addr="127.0.0.1:$port"
}
start_registry open
REGISTRY="$registry_addr"
start_registry locked "$LOCKED_USER" "$LOCKED_PASSWORD"
LOCKED="$registry_addr"
# catalog REGISTRY [curl options]: its repositories, as JSON without spaces
catalog() { curl -s "${@:2}" "http://$1/v2/_catalog" | tr -d ' \n'; }
# tags REGISTRY REPOSITORY [curl options]: the repository's tags, sorted
tags() {
  curl -s "${@:3}" "http://$1/v2/$2/tags/list" |
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log((JSON.parse(s).tags || []).sort().join(" ")))'
}
# digest REGISTRY REPOSITORY TAG [curl options]: the manifest digest the registry serves for the tag
digest() {
  curl -sI "${@:4}" -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$1/v2/$2/manifests/$3" |
    tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
# The image a container runs (.Config.Image), by its name after the prefix (vote-2).
config_image() { docker inspect -f '{{.Config.Image}}' "$PREFIX-$1" 2>/dev/null; }
# What result, vote and worker run, and what REGISTRY serves for their tag e2e.
ran_images() { for s in result vote worker; do printf '%s ' "$(config_image "$s-1")"; done; }
served_images() { for s in result vote worker; do printf '%s ' "$1/voting-$s@$(digest "$1" "voting-$s" e2e "${@:2}")"; done; }
# Requests that write to a registry (blob uploads, manifest puts), from its access log.
registry_writes() { grep -cE '"(PUT|POST|PATCH|DELETE) /v2/' "$log/registry-$1.txt" || true; }

# Posts one vote with its own voter id; prints the HTTP status.
vote() { curl -s -o /dev/null -w '%{http_code}' -b "voter_id=$1" --data-urlencode "vote=$2" "$VOTE/"; }
# Count of votes for option a or b in result's JSON.
counted() {
  curl -s "$RESULT/api/results" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const r = JSON.parse(s); const o = (r.options ?? r)[process.argv[1]];
      console.log(typeof o === "number" ? o : (o?.votes ?? o?.count ?? "?"));
    });' "$1"
}
# Waits until result counts a and b as given (the worker drains asynchronously).
wait_counts() {
  local a b
  for _ in $(seq 1 60); do
    a=$(counted a 2>/dev/null || echo ?); b=$(counted b 2>/dev/null || echo ?)
    [ "$a $b" = "$1 $2" ] && break
    sleep 1
  done
  echo "$a $b"
}
health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1" 2>/dev/null || echo missing; }
all_health() { for s in db redis result vote worker; do printf '%s=%s ' "$s" "$(health "$PREFIX-$s-1")"; done; }
cid() { docker inspect -f '{{.Id}}' "$1" 2>/dev/null || echo missing; }
# Steps of a `preview --json` that change something: "op type name" lines.
changes() { node -e '
  const steps = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).steps ?? [];
  for (const s of steps) if (s.op !== "same") console.log(s.op, s.urn.split("::")[2].split("$").pop(), s.urn.split("::").pop());' "$1"; }

# vote is built on a base image new to this run, so its build runs every step: a cached build leaves
# nothing behind with either builder, a real one is where the classic builder kept its containers.
RUN_BASE=dockyard-local/python:e2e-run
remove_leftovers "$STACK"
printf 'FROM dockyard-local/python:3.11\nLABEL dockyard.e2e.run=%s\n' "$$-$(date +%s%N)" |
  docker build -q -t "$RUN_BASE" - >/dev/null 2>&1
# What the engine holds before the stack, without a label filter: what the stack leaves behind is
# compared against it (build containers and intermediate images carry none of the stack's labels).
engine_before

section "stack $STACK on a local file backend"
pulumi --non-interactive stack init "$STACK" >/dev/null
pc set --secret --path secrets.db-password "e2e-db-password-1"
pc set --path buildArgs.PYTHON_IMAGE "$RUN_BASE"
# A per-service key all three targets honour: the worker has 20 s to stop; the others the engine's 10.
pc set --path services.worker.stopGracePeriodSeconds 20
ok "stack created; secrets.db-password set as a secret"
# The whole suite runs with a registry: the built images are pushed there, the containers run the
# pushed digests. No registryUsername: pushed without a login.
pc set registry "$REGISTRY"
check "Docker pushes to 127.0.0.1 over plain HTTP (127.0.0.0/8 is an insecure registry range by default)" "yes" \
  "$(docker info -f '{{range .RegistryConfig.InsecureRegistryCIDRs}}{{.}} {{end}}' | grep -qw '127.0.0.0/8' && echo yes || echo no)"
check "the test's registry is empty" '{"repositories":[]}' "$(catalog "$REGISTRY")"

section "preview, then up"
if run preview preview; then ok "pulumi preview"; else fail "pulumi preview" "$(tail -20 "$log/preview.txt")"; fi
if run up1 up --yes; then ok "pulumi up"; else fail "pulumi up" "$(tail -30 "$log/up1.txt")"; exit 1; fi
check "all five services healthy" "db=healthy redis=healthy result=healthy vote=healthy worker=healthy " "$(all_health)"
check "services.worker.stopGracePeriodSeconds 20 is the worker's stop timeout; vote has the engine's (none set)" "20 <nil>" \
  "$(docker inspect -f '{{.Config.StopTimeout}}' "$PREFIX-worker-1") $(docker inspect -f '{{.Config.StopTimeout}}' "$PREFIX-vote-1")"
confinement() { docker inspect -f '{{.HostConfig.CapDrop}} {{.HostConfig.CapAdd}} {{.HostConfig.SecurityOpt}} {{.HostConfig.ReadonlyRootfs}} {{.Config.User}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' "$PREFIX-$1-1"; }
check "every container: all capabilities dropped, none added, no-new-privileges, read-only, its own numeric user, unless-stopped" \
  "db=[ALL] [] [no-new-privileges:true] true 999:999 unless-stopped:0|redis=[ALL] [] [no-new-privileges:true] true 999:999 unless-stopped:0|result=[ALL] [] [no-new-privileges:true] true 1000:1000 unless-stopped:0|vote=[ALL] [] [no-new-privileges:true] true 10001:10001 unless-stopped:0|worker=[ALL] [] [no-new-privileges:true] true 1000:1000 unless-stopped:0|" \
  "$(for s in db redis result vote worker; do printf '%s=%s|' "$s" "$(confinement "$s")"; done)"
tmpfs_of() { docker inspect -f '{{range $path, $options := .HostConfig.Tmpfs}}{{$path}} {{end}}' "$PREFIX-$1-1"; }
check "the tmpfs each writes: /tmp, and postgres's socket directory" \
  "db=/tmp /var/run/postgresql |redis=/tmp |result=/tmp |vote=/tmp |worker=/tmp |" \
  "$(for s in db redis result vote worker; do printf '%s=%s|' "$s" "$(tmpfs_of "$s")"; done)"
writes() { docker exec "$1" sh -c 'printf "root:"; touch /x 2>/dev/null && printf yes || printf no; printf " tmp:"; touch /tmp/probe 2>/dev/null && printf yes || printf no'; }
check "no container can write its root filesystem (touch /x fails); its /tmp (tmpfs) it can" \
  "db root:no tmp:yes|redis root:no tmp:yes|result root:no tmp:yes|vote root:no tmp:yes|worker root:no tmp:yes|" \
  "$(for s in db redis result vote worker; do printf '%s %s|' "$s" "$(writes "$PREFIX-$s-1")"; done)"
# The password of the read-only db, worker and result: in a volume their never-started holder filled.
secrets_mount() { docker inspect -f '{{range .Mounts}}{{if eq .Destination "/run/secrets"}}{{.Name}} rw={{.RW}}{{end}}{{end}}' "$PREFIX-$1-1"; }
check "db, worker, result mount their secrets volume read-only at /run/secrets" \
  "$PREFIX-db-1-secrets rw=false|$PREFIX-worker-1-secrets rw=false|$PREFIX-result-1-secrets rw=false" \
  "$(secrets_mount db)|$(secrets_mount worker)|$(secrets_mount result)"
check "their holders were created and never started" "created created created" \
  "$(for s in db worker result; do docker inspect -f '{{.State.Status}}' "$PREFIX-$s-1-secrets"; done | tr '\n' ' ' | sed 's/ $//')"
check "nothing in them writes the password file" "no no no" \
  "$(for s in db worker result; do docker exec "$PREFIX-$s-1" sh -c 'touch /run/secrets/db-password 2>/dev/null && printf yes || printf no'; printf ' '; done | sed 's/ $//')"
# Every container the up added is one of the stack's, running, or one of its three secret holders;
# the builds left no stopped build container and no untagged intermediate image.
check "the up added the stack's 5 containers and 3 secret holders, nothing else (no build containers)" \
  "$(engine_state ps -aq --no-trunc --filter "label=dockyard.stack=$STACK")| 5 running, 3 created" \
  "$(added "$containers_before" "$(engine_state ps -aq --no-trunc)" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')| $(docker ps -q --filter "label=dockyard.stack=$STACK" --filter status=running | wc -l) running, $(docker ps -aq --filter "label=dockyard.stack=$STACK" --filter status=created | wc -l) created"
check "the builds left no dangling image" "" "$(added "$dangling_before" "$(engine_state images -q --no-trunc --filter dangling=true)")"

section "votes go through"
# Voter ids are what vote's cookie carries: 8-64 hex digits.
for i in 1 2 3; do vote "aaaa000$i" a >/dev/null; done
for i in 1 2; do vote "bbbb000$i" b >/dev/null; done
check "vote answers 200" "200" "$(vote bbbb0003 b)"
vote aaaa0003 b >/dev/null # a voter changes their mind: the latest vote wins
check "result counts 2 a, 4 b" "2 4" "$(wait_counts 2 4)"
check "the password is not in the stack outputs" "0" "$(p stack output --json --show-secrets | grep -c e2e-db-password-1 || true)"
check "the password is encrypted in the state" "0" "$(grep -rc 'e2e-db-password-1' "$state/backend" | awk -F: '{s+=$2} END {print s+0}')"

section "the password reaches db, worker and result as a file, in no docker inspect"
stack_ids=$(docker ps -aq --filter "label=dockyard.stack=$STACK" | tr '\n' ' ')
check "eight stack containers to inspect (five services, three secret holders)" "8" "$(wc -w <<<"$stack_ids" | tr -d ' ')"
# shellcheck disable=SC2086 # one argument per container id
check "the password is in no container's docker inspect" "0" "$(docker inspect $stack_ids | grep -c e2e-db-password-1 || true)"
p stack export >"$log/stack-export.json" 2>&1 || true
check "pulumi stack export (plain) holds the eight containers" "8" "$(grep -c '"type": "docker:index/container:Container"' "$log/stack-export.json" || true)"
check "the password is not in pulumi stack export (plain)" "0" "$(grep -c e2e-db-password-1 "$log/stack-export.json" || true)"
password_env() { docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$PREFIX-$1-1" | grep -E 'PASSWORD' | tr '\n' ' '; }
check "db gets POSTGRES_PASSWORD_FILE, no POSTGRES_PASSWORD" "POSTGRES_PASSWORD_FILE=/run/secrets/db-password " "$(password_env db)"
check "worker and result get DB_PASSWORD_FILE, no DB_PASSWORD" "DB_PASSWORD_FILE=/run/secrets/db-password |DB_PASSWORD_FILE=/run/secrets/db-password " "$(password_env worker)|$(password_env result)"
secret_file() { docker exec "$PREFIX-$1-1" sh -c 'stat -c "%a %u" /run/secrets/db-password; cat /run/secrets/db-password' | tr '\n' ' '; }
check "the file in db, worker, result: mode 444, owned by root, the password" \
  "444 0 e2e-db-password-1|444 0 e2e-db-password-1|444 0 e2e-db-password-1" "$(secret_file db)|$(secret_file worker)|$(secret_file result)"

section "the app images: pushed to the registry, the containers run the pushed digests"
check "the registry lists the three app repositories" '{"repositories":["voting-result","voting-vote","voting-worker"]}' "$(catalog "$REGISTRY")"
check "the up pushed through the registry's API (writes in its access log)" "yes" "$([ "$(registry_writes open)" -gt 0 ] && echo yes || echo no)"
check "each has the stack's tag" "e2e e2e e2e" "$(tags "$REGISTRY" voting-result) $(tags "$REGISTRY" voting-vote) $(tags "$REGISTRY" voting-worker)"
served="$(served_images "$REGISTRY")"
check "the registry serves a sha256 manifest digest for each tag" "3" "$(grep -oE "$REGISTRY/voting-[a-z]+@sha256:[0-9a-f]{64} " <<<"$served" | grep -c . || true)"
check "result, vote and worker run those digests (.Config.Image), not the local tag" "$served" "$(ran_images)"
check "the stack's images output is the pushed digests" "$served" \
  "$(p stack output images --json | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { const o = JSON.parse(s); console.log(["result", "vote", "worker"].map((k) => o[k] + " ").join("")); })')"
# worker and result share one Dockerfile and the apps/ context: each image holds only its own app.
image_files() { docker run --rm --entrypoint sh "$(config_image "$1-1")" -c 'cd /apps && ls -d * node-common/* "$0"/*' "$1" | tr '\n' ' '; }
check "the worker and result images hold only their app and node-common's compiled code" \
  "node-common node-common/dist node-common/package.json worker worker/dist worker/node_modules worker/package.json |node-common node-common/dist node-common/package.json result result/dist result/node_modules result/package.json " \
  "$(image_files worker)|$(image_files result)"

section "what Docker really applied"
check "vote limits: 128 MiB, 0.5 CPU" "134217728 500000000" "$(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' "$PREFIX-vote-1")"
check "db limits: 512 MiB, 1 CPU" "536870912 1000000000" "$(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' "$PREFIX-db-1")"
check "cgroup memory limit inside vote (no swap on top)" "134217728 134217728" "$(docker exec "$PREFIX-vote-1" cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes | tr '\n' ' ' | sed 's/ $//')"
check "frontend subnet" "10.231.1.0/24" "$(docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$PREFIX-frontend")"
check "backend subnet" "10.231.2.0/24" "$(docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$PREFIX-backend")"
networks_of() { docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$1"; }
check "db only on backend" "$PREFIX-backend " "$(networks_of "$PREFIX-db-1")"
check "redis only on backend" "$PREFIX-backend " "$(networks_of "$PREFIX-redis-1")"
check "worker only on backend" "$PREFIX-backend " "$(networks_of "$PREFIX-worker-1")"
check "vote on both" "$PREFIX-backend $PREFIX-frontend " "$(networks_of "$PREFIX-vote-1")"
check "published on 127.0.0.1 only" "127.0.0.1:18080" "$(docker port "$PREFIX-vote-1" 8080/tcp | head -1)"
# Host ports: db and redis have none (only other services reach them, over the networks); vote and
# result one each, on the bindAddress (127.0.0.1) only.
bindings() { docker inspect -f '{{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{$p}}->{{.HostIp}}:{{.HostPort}} {{end}}{{end}}' "$1"; }
check "db: docker port shows nothing" "" "$(docker port "$PREFIX-db-1")"
check "redis: docker port shows nothing" "" "$(docker port "$PREFIX-redis-1")"
check "db and redis: HostConfig.PortBindings empty" "[] []" "[$(bindings "$PREFIX-db-1")] [$(bindings "$PREFIX-redis-1")]"
check "vote binds only 127.0.0.1:18080" "8080/tcp->127.0.0.1:18080 | 8080/tcp -> 127.0.0.1:18080" \
  "$(bindings "$PREFIX-vote-1")| $(docker port "$PREFIX-vote-1" | tr '\n' ' ' | sed 's/ $//')"
check "result binds only 127.0.0.1:18090" "8081/tcp->127.0.0.1:18090 | 8081/tcp -> 127.0.0.1:18090" \
  "$(bindings "$PREFIX-result-1")| $(docker port "$PREFIX-result-1" | tr '\n' ' ' | sed 's/ $//')"
redis_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$PREFIX-backend\").IPAddress}}" "$PREFIX-redis-1")
db_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$PREFIX-backend\").IPAddress}}" "$PREFIX-db-1")
probe() {
  docker run --rm --network "$1" --label "dockyard.stack=$STACK" dockyard-local/debian:bookworm bash -c "
    getent hosts redis >/dev/null && echo redis-resolves || echo redis-unknown
    timeout 3 bash -c '</dev/tcp/$redis_ip/6379' 2>/dev/null && echo redis-reached || echo redis-blocked
    timeout 3 bash -c '</dev/tcp/$db_ip/5432' 2>/dev/null && echo db-reached || echo db-blocked" | tr '\n' ' '
}
check "from the frontend network alone, redis and db are out of reach" "redis-unknown redis-blocked db-blocked " "$(probe "$PREFIX-frontend")"
check "from the backend network they answer" "redis-resolves redis-reached db-reached " "$(probe "$PREFIX-backend")"

section "a second up changes nothing"
images_before=$(docker images -q --no-trunc "$REGISTRY/voting-*:e2e" | sort | tr '\n' ' ')
check "three app images built, tagged for the registry" "3" "$(wc -w <<<"$images_before" | tr -d ' ')"
writes_before=$(registry_writes open)
if run up2 up --yes --expect-no-changes; then ok "pulumi up --expect-no-changes"; else fail "second up had changes" "$(grep -E '^\s+[~+-]' "$log/up2.txt" | head -20)"; fi
check "no image rebuilt" "$images_before" "$(docker images -q --no-trunc "$REGISTRY/voting-*:e2e" | sort | tr '\n' ' ')"
check "nothing pushed (no write in the registry's access log)" "$writes_before" "$(registry_writes open)"

section "vote replicas 1 -> 3"
pc set --path services.vote.replicas 3
run preview-scale preview --json || true
check "the plan creates exactly two vote containers and touches nothing else" \
  "create docker:index/container:Container vote-2|create docker:index/container:Container vote-3|create dockyard:index:Container vote-2|create dockyard:index:Container vote-3|" \
  "$(changes "$log/preview-scale.txt" | sort | tr '\n' '|')"
if run up-scale up --yes; then ok "pulumi up (scale)"; else fail "pulumi up (scale)" "$(tail -20 "$log/up-scale.txt")"; fi
check "three healthy vote replicas" "healthy healthy healthy" "$(health "$PREFIX-vote-1") $(health "$PREFIX-vote-2") $(health "$PREFIX-vote-3")"
check "replica 3 answers on 18082" "200" "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18082/)"
vote_digest="$REGISTRY/voting-vote@$(digest "$REGISTRY" voting-vote e2e)"
check "the new replicas run the same pushed digest" "$vote_digest $vote_digest" "$(config_image vote-2) $(config_image vote-3)"

section "replacing the db container keeps the votes (named volume)"
db_before=$(cid "$PREFIX-db-1")
# A CPU limit change cannot be applied to a running container: the provider replaces it.
pc set --path services.db.limits.cpus 0.75
if run up-db up --yes; then ok "pulumi up (db cpus 1 -> 0.75)"; else fail "pulumi up (db cpus 1 -> 0.75)" "$(tail -20 "$log/up-db.txt")"; fi
check "db runs with the new limit" "750000000" "$(docker inspect -f '{{.HostConfig.NanoCpus}}' "$PREFIX-db-1")"
if [ "$(cid "$PREFIX-db-1")" != "$db_before" ]; then ok "db container replaced"; else fail "db container replaced" "same id $db_before"; fi
check "votes still counted after the db replacement" "2 4" "$(wait_counts 2 4)"
vote aaaa0004 a >/dev/null
check "new votes still flow" "3 4" "$(wait_counts 3 4)"

section "a container removed by hand comes back with up --refresh"
docker rm -f "$PREFIX-worker-1" >/dev/null
if run up-refresh up --yes --refresh; then ok "pulumi up --refresh"; else fail "pulumi up --refresh" "$(tail -20 "$log/up-refresh.txt")"; fi
check "worker is back and healthy" "healthy" "$(health "$PREFIX-worker-1")"
vote bbbb0004 b >/dev/null
check "votes intact and flowing" "3 5" "$(wait_counts 3 5)"

section "a registry that requires a login: registryUsername and a secret registryPassword"
login=(-u "$LOCKED_USER:$LOCKED_PASSWORD")
check "without the login it refuses (401)" "401" "$(curl -s -o /dev/null -w '%{http_code}' "http://$LOCKED/v2/_catalog")"
pc set registry "$LOCKED"
pc set registryUsername "$LOCKED_USER"
pc set --secret registryPassword "$LOCKED_PASSWORD"
if run up-login up --yes; then ok "pulumi up (push with the login)"; else fail "pulumi up (push with the login)" "$(tail -20 "$log/up-login.txt")"; fi
check "it lists the three app repositories" '{"repositories":["voting-result","voting-vote","voting-worker"]}' "$(catalog "$LOCKED" "${login[@]}")"
check "result, vote and worker run the digests it serves" "$(served_images "$LOCKED" "${login[@]}")" "$(ran_images)"
check "all five services healthy" "db=healthy redis=healthy result=healthy vote=healthy worker=healthy " "$(all_health)"
check "votes intact" "3 5" "$(wait_counts 3 5)"
check "the registry password is in no docker inspect and not in the state in plain text" "0 0" \
  "$(docker ps -aq --filter "label=dockyard.stack=$STACK" | xargs -r docker inspect | grep -c "$LOCKED_PASSWORD" || true) $(grep -rc "$LOCKED_PASSWORD" "$state/backend" | awk -F: '{s+=$2} END {print s+0}')"

section "bad config fails before anything changes"
ids_before=$(docker ps -q --no-trunc --filter "label=dockyard.stack=$STACK" | sort | tr '\n' ' ')
pc set --path networks.backend.subnet 10.231.0.0/16
if run up-bad up --yes; then fail "up with overlapping subnets must fail"; else ok "up with overlapping subnets fails"; fi
if grep -q 'dockyard:networks.frontend.subnet 10.231.1.0/24 overlaps network "backend" (10.231.0.0/16)' "$log/up-bad.txt"; then
  ok "the error names the networks and subnets"
else
  fail "the error names the networks and subnets" "$(grep -i error "$log/up-bad.txt" | head -5)"
fi
# A refusal is the run's one error, as Pulumi prints a RunError: no "unhandled exception", no stack trace.
clean_error() { grep -cE 'unhandled exception|^\s+at .*\(.*:[0-9]+:[0-9]+\)' "$log/$1.txt" || true; }
check "the refusal prints as one error: no unhandled exception, no stack trace" "0" "$(clean_error up-bad)"
pc set --path networks.backend.subnet 10.231.2.0/24
pc set --path services.vote.replica 2
if run up-typo up --yes; then fail "up with a misspelt service setting must fail"; else ok "up with a misspelt service setting fails"; fi
check "it names the key and what is allowed, as one error" "yes 0" \
  "$(grep -q 'dockyard:services.vote has unknown key "replica"; allowed: replicas, ports' "$log/up-typo.txt" && echo yes) $(clean_error up-typo)"
pc rm --path services.vote.replica
check "no container changed" "$ids_before" "$(docker ps -q --no-trunc --filter "label=dockyard.stack=$STACK" | sort | tr '\n' ' ')"

section "a new subnet: the network and the containers on it are replaced; the others and the votes stay"
# A network's every change replaces it, delete-first (its name is fixed). The containers refer to it
# by its name output, so Pulumi replaces them with it, deleting them before it.
db_before="$(cid "$PREFIX-db-1") $(cid "$PREFIX-redis-1")"
vote_before="$(cid "$PREFIX-vote-1")"
pc set --path networks.frontend.subnet 10.231.3.0/24
if run up-subnet up --yes; then ok "pulumi up (frontend 10.231.3.0/24)"; else fail "pulumi up (frontend 10.231.3.0/24)" "$(tail -20 "$log/up-subnet.txt")"; fi
check "frontend on 10.231.3.0/24" "10.231.3.0/24" "$(docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$PREFIX-frontend")"
check "vote-1 replaced, with an address in 10.231.3.0/24" "replaced 10.231.3." \
  "$([ "$(cid "$PREFIX-vote-1")" != "$vote_before" ] && echo replaced || echo kept) $(docker inspect -f "{{(index .NetworkSettings.Networks \"$PREFIX-frontend\").IPAddress}}" "$PREFIX-vote-1" | grep -oE '^10\.231\.3\.')"
check "db and redis (backend only) kept their containers" "$db_before" "$(cid "$PREFIX-db-1") $(cid "$PREFIX-redis-1")"
check "all five services healthy" "db=healthy redis=healthy result=healthy vote=healthy worker=healthy " "$(all_health)"
vote aaaa0006 a >/dev/null
check "votes intact and flowing" "4 5" "$(wait_counts 4 5)"
if run up-subnet2 up --yes --expect-no-changes; then ok "then pulumi up --expect-no-changes"; else fail "changes after the new subnet" "$(grep -E '^\s+[~+-]|\[diff' "$log/up-subnet2.txt" | head -20)"; fi

section "destroy with volumes.<name>.retain: the volumes and their data stay"
pc set --path volumes.db-data.retain true
pc set --path volumes.redis-data.retain true
run up-retain up --yes || fail "pulumi up (retain)" "$(tail -20 "$log/up-retain.txt")"
if run destroy1 destroy --yes; then ok "pulumi destroy"; else fail "pulumi destroy" "$(tail -20 "$log/destroy1.txt")"; fi
check "no container left" "" "$(docker ps -aq --filter "label=dockyard.stack=$STACK")"
check "no network left" "" "$(docker network ls -q --filter "label=dockyard.stack=$STACK")"
check "data volumes kept" "$PREFIX-db-data $PREFIX-redis-data " "$(docker volume ls -q --filter "label=dockyard.stack=$STACK" | sort | tr '\n' ' ')"

section "up again adopts the kept data; destroy without retain removes it"
pc set --path volumes.db-data.retain false
pc set --path volumes.redis-data.retain false
pc set --path services.vote.replicas 1
if run up-again up --yes; then ok "pulumi up on the kept volumes"; else fail "pulumi up on the kept volumes" "$(tail -20 "$log/up-again.txt")"; fi
check "the votes from before the destroy are back" "4 5" "$(wait_counts 4 5)"
if run destroy2 destroy --yes; then ok "pulumi destroy"; else fail "pulumi destroy" "$(tail -20 "$log/destroy2.txt")"; fi
check "nothing left: containers, networks, volumes" "" "$(docker ps -aq --filter "label=dockyard.stack=$STACK"; docker network ls -q --filter "label=dockyard.stack=$STACK"; docker volume ls -q --filter "label=dockyard.stack=$STACK")"
engine_as_found "the engine holds the containers, networks, volumes and untagged images it held before the suite, no more"

printf '\ne2e finished in %ds; logs in .state/e2e/log\n' $((SECONDS - t0))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
