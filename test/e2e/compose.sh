#!/usr/bin/env bash
# A compose file deployed by `pulumi up` on a real Docker engine (`npm run test:e2e:compose`): the
# voting app as compose (examples/voting-compose.yaml: builds, named volumes, two networks,
# health-gated dependencies, published ports) with one config line, the stage's settings laid over
# it as for any app (ports, subnets, the locally built base images). Checks what the Docker suite
# checks of the typed app: containers healthy, networks and subnets, limits, no host port for the
# unpublished services, votes flowing, a second up with no changes. Talks only to 127.0.0.1 and the
# containers it created. Ends with "N passed, N failed".
set -euo pipefail
export LC_ALL=C
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=/dev/null
source test/e2e/env.sh

STACK=composee2e
PREFIX="voting-$STACK"
state="$root/.state/compose-e2e"
log="$state/log"
rm -rf "$state" && mkdir -p "$state/backend" "$log"
export PULUMI_BACKEND_URL="file://$state/backend"
export PULUMI_CONFIG_PASSPHRASE="compose-e2e-only-passphrase"
config="$state/Pulumi.$STACK.yaml"
# ok, fail, check, section, remove_leftovers, engine_before, engine_as_found, remove_images
# shellcheck source=checks.sh
source test/e2e/checks.sh
# What the engine holds before the suite, without a label filter; the stack's images of an earlier
# run removed first.
remove_images "voting-*:$STACK"
remove_leftovers "$STACK"
remove_leftovers composeshape
engine_before
p() { pulumi --non-interactive --stack "$STACK" "$@" --config-file "$config"; }
run() { local name="$1"; shift; p "$@" >"$log/$name.txt" 2>&1; }

cleanup() {
  set +e
  p destroy --yes >"$log/cleanup.txt" 2>&1
  docker ps -aq --filter "label=dockyard.stack=$STACK" | xargs -r docker rm -f >/dev/null
  docker network ls -q --filter "label=dockyard.stack=$STACK" | xargs -r docker network rm >/dev/null
  docker volume ls -q --filter "label=dockyard.stack=$STACK" | xargs -r docker volume rm >/dev/null
  rm -f "$root/Pulumi.$STACK.yaml"
}
trap cleanup EXIT

# The compose file with one config line; the rest is this stage's, as for the typed app.
cat >"$config" <<'EOF'
config:
  dockyard:target: docker
  dockyard:compose:
    file: examples/voting-compose.yaml
  dockyard:imageTag: composee2e
  dockyard:services:
    vote:
      ports: { http: 18280 }
    result:
      ports: { http: 18290 }
    redis:
      image: dockyard-local/redis:7
    db:
      image: dockyard-local/postgres:15
  dockyard:buildArgs:
    PYTHON_IMAGE: dockyard-local/python:3.11
    NODE_IMAGE: dockyard-local/node:22
  dockyard:networks:
    frontend: { subnet: 10.234.1.0/24 }
    backend: { subnet: 10.234.2.0/24 }
EOF

section "stack $STACK: dockyard:compose.file examples/voting-compose.yaml"
pulumi --non-interactive stack init "$STACK" >/dev/null
pulumi --non-interactive config --stack "$STACK" --config-file "$config" set --secret --path secrets.db-password compose-e2e-password-1
if run up up --yes; then ok "pulumi up"; else fail "pulumi up" "$(tail -20 "$log/up.txt")"; fi
check "the fidelity report is in the log" "yes" \
  "$(grep -q 'examples/voting-compose.yaml: secrets.db-password.environment: changed: not read' "$log/up.txt" && echo yes || echo no)"
check "no warning about keys of the other target (the engine passes Pulumi.yaml's defaults as set)" "0" \
  "$(grep -c 'is ignored on target docker' "$log/up.txt")"
health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$PREFIX-$1-1" 2>/dev/null || echo missing; }
states=""
for _ in $(seq 1 60); do
  states="$(for s in db redis result vote worker; do printf '%s=%s ' "$s" "$(health "$s")"; done)"
  [ "$states" = "db=healthy redis=healthy result=healthy vote=healthy worker=healthy " ] && break
  sleep 2
done
check "five containers, all healthy" "db=healthy redis=healthy result=healthy vote=healthy worker=healthy " "$states"

section "networks, limits, ports"
check "two networks with the stage's subnets" "$PREFIX-backend 10.234.2.0/24|$PREFIX-frontend 10.234.1.0/24|" \
  "$(docker network ls --filter "label=dockyard.stack=$STACK" --format '{{.Name}}' | sort | while read -r n; do printf '%s %s|' "$n" "$(docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$n")"; done)"
check "vote: 128 MiB, 0.5 CPU (deploy.resources.limits)" "134217728 500000000" "$(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' "$PREFIX-vote-1")"
check "db: 512 MiB, 1 CPU" "536870912 1000000000" "$(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' "$PREFIX-db-1")"
check "vote published on 127.0.0.1:18280, result on :18290" "8080/tcp -> 127.0.0.1:18280|8081/tcp -> 127.0.0.1:18290" \
  "$(docker port "$PREFIX-vote-1")|$(docker port "$PREFIX-result-1")"
check "db, redis and worker (expose only) have no host port" "||" \
  "$(docker port "$PREFIX-db-1")|$(docker port "$PREFIX-redis-1")|$(docker port "$PREFIX-worker-1")"
check "named volumes db-data and redis-data" "$PREFIX-db-data $PREFIX-redis-data " \
  "$(docker volume ls -q --filter "label=dockyard.stack=$STACK" | sort | tr '\n' ' ')"
check "the password is a file (secrets: + DB_PASSWORD_FILE), not in the environment" "DB_PASSWORD_FILE=/run/secrets/db-password" \
  "$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$PREFIX-worker-1" | grep PASSWORD)"

section "votes go through"
curl -s -o /dev/null -b voter_id=c0de0001 --data-urlencode vote=a http://127.0.0.1:18280/
counts=""
for _ in $(seq 1 30); do
  counts="$(curl -s http://127.0.0.1:18290/api/results | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      try { const r = JSON.parse(s); console.log(`${r.options.a.votes} ${r.options.b.votes}`); } catch { console.log("?"); }
    });')"
  [ "$counts" = "1 0" ] && break
  sleep 1
done
check "result counts the vote" "1 0" "$counts"

section "a second up changes nothing"
if run up2 up --yes --expect-no-changes; then ok "pulumi up --expect-no-changes"; else fail "second up had changes" "$(grep -E '^\s+[~+-]' "$log/up2.txt" | head -20)"; fi

section "destroy"
if run destroy destroy --yes; then ok "pulumi destroy"; else fail "pulumi destroy" "$(tail -10 "$log/destroy.txt")"; fi
check "nothing left" "" "$(docker ps -aq --filter "label=dockyard.stack=$STACK"; docker network ls -q --filter "label=dockyard.stack=$STACK"; docker volume ls -q --filter "label=dockyard.stack=$STACK")"

# Issue 26, the service's shape: a compose file with a service name compose allows and no target
# takes (cache_store), anonymous volumes (short and long form), network_mode: none and a secret
# without a <VAR>_FILE variable, as written: up, checked, a second up with no change, destroyed.
SHAPE=composeshape
SHAPE_PREFIX="shape-$SHAPE"
shape_config="$state/Pulumi.$SHAPE.yaml"
shape_file="$state/shape/compose.yaml"
ps_() { pulumi --non-interactive --stack "$SHAPE" "$@" --config-file "$shape_config"; }
cleanup_shape() {
  set +e
  ps_ destroy --yes >"$log/shape-cleanup.txt" 2>&1
  docker ps -aq --filter "label=dockyard.stack=$SHAPE" | xargs -r docker rm -f >/dev/null
  docker volume ls -q --filter "label=dockyard.stack=$SHAPE" | xargs -r docker volume rm >/dev/null
  docker network ls -q --filter "label=dockyard.stack=$SHAPE" | xargs -r docker network rm >/dev/null
  rm -f "$root/Pulumi.$SHAPE.yaml"
}
trap 'cleanup; cleanup_shape' EXIT
mkdir -p "$state/shape"
cat >"$shape_file" <<'YAML'
name: shape
services:
  cache_store:
    image: dockyard-local/redis:7
    volumes:
      - /data
    secrets: [api-key]
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 2s
      timeout: 2s
      retries: 10
  batch:
    image: dockyard-local/debian:bookworm
    command: ["sleep", "infinity"]
    network_mode: none
    volumes:
      - type: volume
        target: /scratch
secrets:
  api-key:
    file: ./api-key.txt
YAML
cat >"$shape_config" <<YAML
config:
  dockyard:target: docker
  dockyard:compose:
    file: $shape_file
YAML

section "stack $SHAPE: anonymous volumes, network_mode none, cache_store, a secret file"
pulumi --non-interactive stack init "$SHAPE" >/dev/null
pulumi --non-interactive config --stack "$SHAPE" --config-file "$shape_config" set --secret --path secrets.api-key shape-e2e-key-1
if ps_ up --yes >"$log/shape-up.txt" 2>&1; then ok "pulumi up"; else fail "pulumi up" "$(tail -20 "$log/shape-up.txt")"; fi
check "the report names the mapping and each anonymous volume" "3" \
  "$(grep -oE 'services\.cache_store: changed: named "cache-store"|services\.cache_store\.volumes\[0\]: changed: anonymous volume /data: the app.s volume "cache-store-data"|services\.batch\.volumes\[0\]: changed: anonymous volume /scratch: the app.s volume "batch-scratch"' "$log/shape-up.txt" | sort -u | wc -l)"
shape_health=""
for _ in $(seq 1 30); do
  shape_health="$(docker inspect -f '{{.State.Health.Status}}' "$SHAPE_PREFIX-cache-store-1" 2>/dev/null || echo missing)"
  [ "$shape_health" = healthy ] && break
  sleep 2
done
check "cache_store runs as cache-store, healthy" "healthy" "$shape_health"
check "two volumes named after service and path" "$SHAPE_PREFIX-batch-scratch $SHAPE_PREFIX-cache-store-data " \
  "$(docker volume ls -q --filter "label=dockyard.stack=$SHAPE" | sort | tr '\n' ' ')"
check "cache-store mounts its volume at /data" "$SHAPE_PREFIX-cache-store-data:/data " \
  "$(docker inspect -f '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}' "$SHAPE_PREFIX-cache-store-1")"
check "the secret is the file /run/secrets/api-key, no variable names it" "shape-e2e-key-1|0" \
  "$(docker exec "$SHAPE_PREFIX-cache-store-1" cat /run/secrets/api-key)|$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$SHAPE_PREFIX-cache-store-1" | grep -c API_KEY || true)"
check "batch: network mode none, a loopback interface only, its volume at /scratch" "none|lo|$SHAPE_PREFIX-batch-scratch:/scratch " \
  "$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$SHAPE_PREFIX-batch-1")|$(docker exec "$SHAPE_PREFIX-batch-1" ls /sys/class/net | tr '\n' ' ' | sed 's/ $//')|$(docker inspect -f '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}' "$SHAPE_PREFIX-batch-1")"
if ps_ up --yes --expect-no-changes >"$log/shape-up2.txt" 2>&1; then ok "a second up changes nothing"; else fail "second up had changes" "$(grep -E '^\s+[~+-]' "$log/shape-up2.txt" | head -20)"; fi
if ps_ destroy --yes >"$log/shape-destroy.txt" 2>&1; then ok "pulumi destroy"; else fail "pulumi destroy" "$(tail -10 "$log/shape-destroy.txt")"; fi
check "nothing left" "" "$(docker ps -aq --filter "label=dockyard.stack=$SHAPE"; docker network ls -q --filter "label=dockyard.stack=$SHAPE"; docker volume ls -q --filter "label=dockyard.stack=$SHAPE")"

# The voting sample's own docker-stack.yml (test/e2e/voting-sample, unchanged), on stack dev of a
# backend of its own: the file's literal POSTGRES_PASSWORD is allowed in the dev stack only. No
# registry can be reached, so the images it names are tagged here from local ones, as an air-gapped
# user's mirror would (test/e2e/voting-sample/README.md); the tags this suite made are removed at exit.
SAMPLE=test/e2e/voting-sample/docker-stack.yml
SPREFIX=voting-sample-dev
sample_state="$state/sample"
sample_config="$sample_state/Pulumi.dev.yaml"
made_tags=()
sp() { PULUMI_BACKEND_URL="file://$sample_state/backend" pulumi --non-interactive --stack dev "$@" --config-file "$sample_config"; }
srun() { local name="$1"; shift; sp "$@" >"$log/$name.txt" 2>&1; }
sample_cleanup() {
  set +e
  [ -d "$sample_state/backend" ] && sp destroy --yes >"$log/sample-cleanup.txt" 2>&1
  docker ps -aq --filter "label=dockyard.app=voting-sample" --filter "label=dockyard.stack=dev" | xargs -r docker rm -f >/dev/null
  docker network ls -q --filter "label=dockyard.app=voting-sample" --filter "label=dockyard.stack=dev" | xargs -r docker network rm >/dev/null
  docker volume ls -q --filter "label=dockyard.app=voting-sample" --filter "label=dockyard.stack=dev" | xargs -r docker volume rm >/dev/null
  for tag in "${made_tags[@]}"; do docker rmi "$tag" >/dev/null 2>&1; done
}
trap 'sample_cleanup; cleanup; cleanup_shape' EXIT
stand_in() { # tag FROM-image [extra Dockerfile line]: builds the tag unless it is there already
  if docker image inspect "$1" >/dev/null 2>&1; then return 0; fi
  printf 'FROM %s\n%s\n' "$2" "${3:-}" | docker build -q -t "$1" - >/dev/null 2>>"$log/stand-in.txt" && made_tags+=("$1")
}

section "the voting sample's docker-stack.yml, unchanged, on stack dev"
mkdir -p "$sample_state/backend"
cat >"$sample_config" <<EOF
config:
  dockyard:target: docker
  dockyard:bindAddress: 127.0.0.1
  dockyard:compose:
    file: $SAMPLE
  dockyard:networks:
    frontend: { subnet: 10.235.1.0/24 }
    backend: { subnet: 10.235.2.0/24 }
EOF
check "the file is the sample's, byte for byte" "ea7a28ce6ff22e8c6a5a5b749a1c8421882898ef3fbb403d2e17df562f3fb7e2" "$(sha256sum "$SAMPLE" | cut -d' ' -f1)"
PULUMI_BACKEND_URL="file://$sample_state/backend" pulumi --non-interactive stack init dev >/dev/null
# The sample has no secrets of its own (its password is a literal, allowed in dev): none are set.
# The check lists what pulumi up would refuse, with no engine: the file's 2 vote replicas on one host.
dcheck() { node cli/dockyard.js check dev --config-file "$sample_config" >"$log/$1.txt" 2>&1 && echo 0 || echo $?; }
check "dockyard check with the file as it is: exit 1" "1" "$(dcheck sample-check1)"
check "its one refusal: two vote containers, one host port" "1" \
  "$(grep -c '^refused (the target.s plan): .*services.vote.ports\[0\]: host port 8081 is used by both service "result" and service "vote"' "$log/sample-check1.txt")"
if srun sample-up-refused up --yes; then
  fail "pulumi up accepted what the check refused"
else
  check "pulumi up refuses it too, with the same message" "yes" \
    "$(grep -q 'error: .*services.vote.ports\[0\]: host port 8081 is used by both service "result" and service "vote"' "$log/sample-up-refused.txt" && echo yes || echo no)"
fi
sp config set --path 'services.vote.replicas' 1 >/dev/null
check "with the stage's services.vote.replicas 1: dockyard check exits 0" "0" "$(dcheck sample-check2)"

stand_in redis:alpine dockyard-local/redis:7
stand_in postgres:15-alpine dockyard-local/postgres:15
for app in vote result worker; do
  if docker image inspect "voting-$app:$STACK" >/dev/null 2>&1; then
    stand_in "dockersamples/examplevotingapp_$app" "voting-$app:$STACK" "ENV PORT=80"
  else
    fail "no image voting-$app:$STACK to stand in for dockersamples/examplevotingapp_$app (the first up builds it)"
  fi
done
if srun sample-up up --yes; then ok "pulumi up"; else fail "pulumi up" "$(tail -20 "$log/sample-up.txt")"; fi
running=""
for _ in $(seq 1 60); do
  running="$(for s in db redis result vote worker; do printf '%s=%s ' "$s" "$(docker inspect -f '{{.State.Status}}' "$SPREFIX-$s-1" 2>/dev/null || echo missing)"; done)"
  [ "$running" = "db=running redis=running result=running vote=running worker=running " ] && break
  sleep 2
done
check "five containers running, under the file's names" "db=running redis=running result=running vote=running worker=running " "$running"
check "vote on 127.0.0.1:8080 and result on :8081, as the file publishes them" "80/tcp -> 127.0.0.1:8080|80/tcp -> 127.0.0.1:8081" \
  "$(docker port "$SPREFIX-vote-1")|$(docker port "$SPREFIX-result-1")"
answer() { for _ in $(seq 1 60); do code="$(curl -s -o /dev/null -w '%{http_code}' "$1")"; [ "$code" = 200 ] && break; sleep 1; done; echo "$code"; }
check "vote answers" "200" "$(answer http://127.0.0.1:8080/)"
check "result answers" "200" "$(answer http://127.0.0.1:8081/)"
curl -s -o /dev/null -b voter_id=5a3b1e01 --data-urlencode vote=b http://127.0.0.1:8080/
counts=""
for _ in $(seq 1 30); do
  # (no votes table until the worker has made it)
  counts="$(docker exec "$SPREFIX-db-1" psql -U postgres -tAc 'SELECT vote, count(*) FROM votes GROUP BY vote' 2>/dev/null | tr '\n' ' ' || true)"
  [ "$counts" = "b|1 " ] && break
  sleep 1
done
check "the vote reached the database through redis and the worker" "b|1 " "$counts"
if srun sample-up2 up --yes --expect-no-changes; then ok "a second pulumi up changes nothing"; else fail "second up had changes" "$(grep -E '^\s+[~+-]' "$log/sample-up2.txt" | head -20)"; fi
if srun sample-destroy destroy --yes; then ok "pulumi destroy"; else fail "pulumi destroy" "$(tail -10 "$log/sample-destroy.txt")"; fi
check "nothing of the sample left" "" \
  "$(docker ps -aq --filter label=dockyard.app=voting-sample --filter label=dockyard.stack=dev; docker network ls -q --filter label=dockyard.app=voting-sample --filter label=dockyard.stack=dev; docker volume ls -q --filter label=dockyard.app=voting-sample --filter label=dockyard.stack=dev)"

section "a service that says nothing about confinement is hardened by default"
# One service, no cap_drop, security_opt or user: NET_RAW dropped and no-new-privileges, and the
# image (the redis stand-in, which starts as root) still serves.
printf 'name: bare\nservices:\n  cache:\n    image: dockyard-local/redis:7\n' >"$state/bare.yaml"
{
  printf 'config:\n  dockyard:target: docker\n  dockyard:compose: { file: .state/compose-e2e/bare.yaml }\n'
  grep '^encryptionsalt:' "$config" || true
} >"$state/bare-config.yaml"
bare() { pulumi --non-interactive --stack "$STACK" "$@" --config-file "$state/bare-config.yaml"; }
if bare up --yes >"$log/up-bare.txt" 2>&1; then ok "pulumi up (bare.yaml)"; else fail "pulumi up (bare.yaml)" "$(tail -20 "$log/up-bare.txt")"; fi
check "the report names the defaults" "yes" \
  "$(grep -q 'bare.yaml: services.cache: changed: hardened by default: cap_drop: \[NET_RAW\]' "$log/up-bare.txt" && echo yes || echo no)"
# (the engine keeps the capability under its kernel name, CAP_NET_RAW)
check "docker inspect: NET_RAW dropped, none added, no-new-privileges" "[CAP_NET_RAW] [] [no-new-privileges:true]" \
  "$(docker inspect -f '{{.HostConfig.CapDrop}} {{.HostConfig.CapAdd}} {{.HostConfig.SecurityOpt}}' "bare-$STACK-cache-1" 2>&1)"
pong=""
for _ in $(seq 1 20); do
  pong="$(docker exec "bare-$STACK-cache-1" redis-cli ping 2>/dev/null || true)"
  [ "$pong" = PONG ] && break
  sleep 1
done
check "redis answers under the defaults" "PONG" "$pong"
if bare destroy --yes >"$log/destroy-bare.txt" 2>&1; then ok "pulumi destroy (bare.yaml)"; else fail "pulumi destroy (bare.yaml)" "$(tail -10 "$log/destroy-bare.txt")"; fi

section "the engine as the suite found it"
# The sample's stand-in tags this suite made (one is built on voting-vote:$STACK), then the images it built.
for tag in "${made_tags[@]}"; do docker rmi "$tag" >/dev/null 2>&1 || true; done
remove_images "voting-*:$STACK"
engine_as_found "the engine holds the containers, networks, volumes and untagged images it held before the suite, no more"

printf '\ncompose e2e finished in %ds; logs in .state/compose-e2e/log\n' $((SECONDS - t0))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
