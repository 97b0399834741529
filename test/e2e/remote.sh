#!/usr/bin/env bash
# shellcheck disable=SC2016 # node -e programs in single quotes: their ${...} are JavaScript
# A remote Docker engine over TLS (`npm run test:e2e:remote`): the voting app deployed by `dockyard up`
# to a second dockerd that is not the local socket, reached only as tcp://<address>:2376 with client
# certificates, as a user's engine on another machine would be.
# - tools/remote-engine/up.sh starts it in a network namespace of its own (a veth pair, no default
#   route), with its own data root, exec root, containerd and sockets, and certificates made here with
#   openssl (a CA, the server's, a client's; and a client certificate of another CA);
# - the engine has no way out (only the host's end of its veth answers it), so the app's images, whose
#   builds fetch packages, are built here with the docker CLI (as the Kubernetes real-node suite does)
#   and loaded into it over TLS with redis and postgres (docker save | docker load), as a user pushes
#   or pulls them to an engine without a way out; the stage names them (services.<name>.image);
# - stack "remote" (its own backend under .state/remote, Pulumi.remote.yaml) sets dockerHost to the
#   engine's TLS port and dockyard:dockerTls as secrets (pulumi config set --secret --path), publishes
#   on the engine's address; `dockyard up` deploys it: the containers run there and not on the local
#   engine; a vote posted to vote at that address is counted by result; `dockyard ps` reads it over
#   TLS; a second up changes nothing;
# - refused, each before anything changes: a client certificate of another CA (one line naming the
#   host), tcp://…:2375 outside dev (the plain port), the engine stopped (one line naming the host);
# - `dockyard down`; the engine stopped and removed (tools/remote-engine/down.sh), and the machine as
#   found: no network namespace, interface, mount or process left, the local engine as it was.
# Ends with "N passed, N failed". E2E_KEEP=1 leaves the stack and the engine up.
set -uo pipefail
export LC_ALL=C
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root" || exit 1
# shellcheck source=/dev/null
source test/e2e/env.sh || exit 1
# shellcheck source=checks.sh
source test/e2e/checks.sh
# shellcheck source=../../tools/remote-engine/env.sh
source tools/remote-engine/env.sh

STACK=remote
PREFIX="voting-$STACK"
VOTE_PORT=18880
RESULT_PORT=18890
state="$root/.state/$STACK"
log="$state/log"
if [ -e "Pulumi.$STACK.yaml" ]; then
  echo "Pulumi.$STACK.yaml exists: another run of this suite, or a stack of that name of yours; remove it first" >&2
  exit 1
fi
if [ -e "/run/netns/$RNETNS" ] || [ -e "$rstate" ]; then
  echo "a remote engine of an earlier run is up ($RNETNS, .state/remote-engine): bash tools/remote-engine/down.sh first" >&2
  exit 1
fi
rm -rf "$state" && mkdir -p "$state/backend" "$log"
export PULUMI_BACKEND_URL="file://$state/backend"
export PULUMI_CONFIG_PASSPHRASE="remote-only-passphrase"
[ ! -e .state/env.sh ] || cp .state/env.sh "$state/env.sh.saved"
dockyard() { node cli/dockyard.js "$@"; }
p() { pulumi --non-interactive --stack "$STACK" "$@"; }
# The remote engine, through its unix socket (the suite's own view, not the stack's TLS path).
rdocker() { docker -H "unix://$RSOCK" "$@"; }
summary() { sed -nE 's/^up (done|FAILED) in [0-9.ms]+: (.*)$/up \1: \2/p' "$1"; }
# What of the engine's the machine holds: network namespaces, interfaces, mounts (and /run/netns's
# own, which the first namespace makes), processes. Only the engine's kind: the Kubernetes suite may
# run beside this one and add its own.
host_state() {
  echo "netns: $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep '^dockyard-re-' | sort | tr '\n' ' ')"
  echo "links: $(ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | grep '^dkr' | sort | tr '\n' ' ')"
  echo "mounts: $(awk -v dir="$rstate" 'index($2, dir) == 1 || $2 == "/run/netns" || index($2, "/run/netns/dockyard-re-") == 1 { print $2 }' /proc/self/mounts | sort | tr '\n' ' ')"
  echo "processes: $(rprocesses | tr '\n' ' ')"
}

# The app's images of an earlier run first: a rebuild under a taken name leaves the old one untagged.
TAG=remote
remove_images "dockyard-local/voting-*:$TAG"
engine_before
host_before="$(host_state)"
cleanup() {
  set +e
  if [ "${E2E_KEEP:-}" != "1" ]; then
    if ralive "$rrun/dockerd.pid" && [ -n "$(rdocker ps -aq --filter "label=dockyard.stack=$STACK" 2>/dev/null)" ]; then
      dockyard down "$STACK" --yes >"$log/cleanup.txt" 2>&1 || p cancel --yes >/dev/null 2>&1
    fi
    bash tools/remote-engine/down.sh >>"$log/cleanup.txt" 2>&1
    remove_images "dockyard-local/voting-*:$TAG"
    rm -f "Pulumi.$STACK.yaml"
    rm -rf "$state"
  fi
  if [ -e "$state/env.sh.saved" ]; then cp "$state/env.sh.saved" .state/env.sh; elif [ "${E2E_KEEP:-}" != "1" ]; then rm -f .state/env.sh; fi
}
trap cleanup EXIT

section "a second Docker engine in a network namespace, TLS only (tools/remote-engine/up.sh)"
if bash tools/remote-engine/up.sh >"$log/engine-up.txt" 2>&1; then ok "tools/remote-engine/up.sh: dockerd answers"; else
  fail "tools/remote-engine/up.sh: dockerd answers" "$(tail -20 "$log/engine-up.txt")"
  echo "$passed passed, $failed failed"
  exit 1
fi
tls=(--tlsverify --tlscacert "$rpki/ca.pem" --tlscert "$rpki/client-cert.pem" --tlskey "$rpki/client-key.pem" -H "$RHOST")
check "docker --tlsverify with the client certificate reaches it over $RHOST" "yes" \
  "$(docker "${tls[@]}" version --format '{{.Server.Version}}' >/dev/null 2>&1 && echo yes || echo no)"
check "without a client certificate it is refused" "refused" \
  "$(docker --tlsverify --tlscacert "$rpki/ca.pem" -H "$RHOST" version >/dev/null 2>&1 && echo answered || echo refused)"
check "it is another engine than the local one: its own data root" "$RDATA" "$(docker "${tls[@]}" info -f '{{.DockerRootDir}}')"
check "the namespace has no default route" "" "$(rnsx ip route show default)"

section "the app images, built here and loaded into it over TLS"
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
s=$SECONDS
if build vote PYTHON_IMAGE=dockyard-local/python:3.11 && build result NODE_IMAGE=dockyard-local/node:22 &&
  build worker NODE_IMAGE=dockyard-local/node:22; then
  ok "vote, result and worker built as dockyard-local/voting-*:$TAG ($((SECONDS - s))s)"
else
  fail "build the app images" "$(tail -5 "$log"/build-*.txt 2>/dev/null)"
fi
images=("dockyard-local/voting-vote:$TAG" "dockyard-local/voting-result:$TAG" "dockyard-local/voting-worker:$TAG"
  dockyard-local/redis:7 dockyard-local/postgres:15)
s=$SECONDS
docker save "${images[@]}" | docker "${tls[@]}" load -q >"$log/load.txt" 2>&1
check "docker save | docker --tlsverify load: the five images are on the remote engine ($((SECONDS - s))s)" "5" \
  "$(for i in "${images[@]}"; do rdocker image inspect -f ok "$i" 2>/dev/null; done | grep -c ok)"

section "stack $STACK: dockerHost $RHOST, dockyard:dockerTls set as secrets"
cat >"Pulumi.$STACK.yaml" <<YAML
config:
  dockyard:target: docker
  dockyard:dockerHost: $RHOST
  dockyard:bindAddress: $RENGINE_IP
  dockyard:imageTag: remote
  dockyard:services:
    vote:
      image: dockyard-local/voting-vote:$TAG
      ports: { http: $VOTE_PORT }
    result:
      image: dockyard-local/voting-result:$TAG
      ports: { http: $RESULT_PORT }
    worker:
      image: dockyard-local/voting-worker:$TAG
    redis:
      image: dockyard-local/redis:7
    db:
      image: dockyard-local/postgres:15
  dockyard:networks:
    frontend: { subnet: 10.246.1.0/24 }
    backend: { subnet: 10.246.2.0/24 }
YAML
pulumi --non-interactive stack init "$STACK" >"$log/init.txt" 2>&1 || fail "pulumi stack init $STACK" "$(cat "$log/init.txt")"
set_tls() { # CERT KEY: the client certificate and key files (the CA stays)
  p config set --secret --path dockerTls.caCert -- "$(cat "$rpki/ca.pem")" &&
    p config set --secret --path dockerTls.clientCert -- "$(cat "$1")" &&
    p config set --secret --path dockerTls.clientKey -- "$(cat "$2")"
}
set_tls "$rpki/client-cert.pem" "$rpki/client-key.pem" >"$log/config.txt" 2>&1 || fail "pulumi config set --secret --path dockerTls.*" "$(cat "$log/config.txt")"
check "the stack file holds no PEM text (only encrypted values)" "0" "$(grep -c 'BEGIN' "Pulumi.$STACK.yaml")"

section "dockyard up $STACK"
s=$SECONDS
dockyard up "$STACK" --yes >"$log/up1.txt" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok "dockyard up exits 0 ($((SECONDS - s))s)"; else fail "dockyard up exits 0" "$(tail -20 "$log/up1.txt")"; fi
check "it names the engine it checked" "yes" "$(grep -qE "^Docker engine: [0-9.a-z+~-]+ at $RHOST\$" "$log/up1.txt" && echo yes || echo no)"
created="$(summary "$log/up1.txt" | sed -nE 's/^up done: ([0-9]+) created$/\1/p')"
check "the summary: every resource created" "yes" "$([ -n "$created" ] && echo yes || echo "no: $(summary "$log/up1.txt")")"
check "it prints the URLs at the engine's address" "result: http://$RENGINE_IP:$RESULT_PORT|vote:   http://$RENGINE_IP:$VOTE_PORT|" \
  "$(grep -E '^(vote|result): ' "$log/up1.txt" | tr '\n' '|')"
check "the five containers run on the remote engine" "$PREFIX-db-1 $PREFIX-redis-1 $PREFIX-result-1 $PREFIX-vote-1 $PREFIX-worker-1" \
  "$(rdocker ps --filter "label=dockyard.stack=$STACK" --format '{{.Names}}' | sort | xargs)"
check "and none on the local engine (no container, network or volume of the stack)" "" \
  "$(docker ps -aq --filter "label=dockyard.stack=$STACK"; docker network ls -q --filter "label=dockyard.stack=$STACK"; docker volume ls -q --filter "label=dockyard.stack=$STACK")"
# The stack runs each image by its id: the id of the image loaded there under that name.
running_images() {
  local service image
  for service in db redis result vote worker; do
    case "$service" in
      db) image=dockyard-local/postgres:15 ;;
      redis) image=dockyard-local/redis:7 ;;
      *) image="dockyard-local/voting-$service:$TAG" ;;
    esac
    [ "$(rdocker inspect -f '{{.Image}}' "$PREFIX-$service-1" 2>/dev/null)" = "$(rdocker image inspect -f '{{.Id}}' "$image" 2>/dev/null)" ] &&
      printf '%s ' "$service"
  done
}
check "the containers run the images loaded there (by id)" "db redis result vote worker " "$(running_images)"
healthy=""
for _ in $(seq 1 90); do
  healthy="$(for svc in db redis result vote worker; do rdocker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$PREFIX-$svc-1" 2>/dev/null; done | sort | uniq -c | xargs)"
  [ "$healthy" = "5 healthy" ] && break
  sleep 1
done
check "every container healthy" "5 healthy" "$healthy"
check "vote answers at $RENGINE_IP:$VOTE_PORT" "200" "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://$RENGINE_IP:$VOTE_PORT/")"
check "a vote is accepted" "200" \
  "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -b voter_id=remote01 --data-urlencode vote=a "http://$RENGINE_IP:$VOTE_PORT/")"
votes=""
for _ in $(seq 1 30); do
  votes="$(curl -s -m 5 "http://$RENGINE_IP:$RESULT_PORT/api/results" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      try { const r = JSON.parse(s); console.log(`${r.options.a.votes} ${r.options.b.votes}`); } catch { console.log("?"); }
    });')"
  [ "$votes" = "1 0" ] && break
  sleep 1
done
check "result counts it" "1 0" "$votes"
dockyard ps "$STACK" >"$log/ps.txt" 2>&1
check "dockyard ps reads the remote engine over TLS: every service healthy" \
  "0|db 1/1 healthy|redis 1/1 healthy|result 1/1 healthy http://$RENGINE_IP:$RESULT_PORT|vote 1/1 healthy http://$RENGINE_IP:$VOTE_PORT|worker 1/1 healthy|" \
  "$?|$(grep -vE '^(note:|SERVICE)' "$log/ps.txt" | tr -s ' ' | tr '\n' '|')"
check "the certificate folder dockyard wrote is gone after it exits" "" "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'dockyard-tls-*' -newer "$log/up1.txt" 2>/dev/null)"
ids="$(rdocker ps -q --no-trunc --filter "label=dockyard.stack=$STACK" | sort | xargs)"

section "a second dockyard up changes nothing"
dockyard up "$STACK" --yes >"$log/up2.txt" 2>&1
check "exit 0, every resource unchanged" "0|up done: $created unchanged" "$?|$(summary "$log/up2.txt")"

section "refused: a client certificate of another CA"
set_tls "$rpki/other-cert.pem" "$rpki/other-key.pem" >"$log/config-other.txt" 2>&1 || fail "pulumi config set (the other CA's client certificate)" "$(cat "$log/config-other.txt")"
dockyard up "$STACK" --yes >"$log/up-other.txt" 2>&1
rc=$?
check "dockyard up exits 1 with one line naming the host and the certificate" \
  "1|dockyard up: the Docker engine at $RHOST refused the client certificate (dockyard:dockerTls.clientCert): it is not signed by the CA the engine trusts (dockerd's --tlscacert), or it has expired; the docker CLI said: remote error: tls: " \
  "$rc|$(grep -m1 '^dockyard up: ' "$log/up-other.txt" | grep -oE '^.*remote error: tls: ')"
check "nothing ran: no progress line" "0" "$(grep -cE '^\[[0-9]+\] |^up (done|FAILED)' "$log/up-other.txt")"
set_tls "$rpki/client-cert.pem" "$rpki/client-key.pem" >"$log/config-back.txt" 2>&1 || fail "pulumi config set (the client certificate back)" "$(cat "$log/config-back.txt")"

section "refused: tcp://…:2375 outside dev"
p config set dockerHost "tcp://$RENGINE_IP:2375" >/dev/null 2>&1
dockyard up "$STACK" --yes >"$log/up-2375.txt" 2>&1
rc=$?
check "dockyard up refuses it before anything, naming the key, the value and what is allowed" \
  "1|error: dockyard:dockerHost \"tcp://$RENGINE_IP:2375\" is Docker's plain port (no encryption, no authentication: whoever reaches it runs containers as root there), allowed only in the dev stack (stack is \"$STACK\"): use the engine's TLS port, tcp://$RENGINE_IP:2376, with dockyard:dockerTls, or ssh://user@$RENGINE_IP" \
  "$rc|$(grep -m1 '^error: ' "$log/up-2375.txt")"
p config set dockerHost "$RHOST" >/dev/null 2>&1
check "the refusals changed nothing on the engine (the same containers)" "$ids" \
  "$(rdocker ps -q --no-trunc --filter "label=dockyard.stack=$STACK" | sort | xargs)"

section "dockyard down"
dockyard down "$STACK" --yes >"$log/down.txt" 2>&1
check "dockyard down exits 0" "0" "$?"
check "the remote engine holds nothing of the stack" "" \
  "$(rdocker ps -aq --filter "label=dockyard.stack=$STACK"; rdocker network ls -q --filter "label=dockyard.stack=$STACK"; rdocker volume ls -q --filter "label=dockyard.stack=$STACK")"

section "refused: the engine stopped"
kill -TERM "$(cat "$rrun/dockerd.pid")"
for _ in $(seq 1 60); do ralive "$rrun/dockerd.pid" || break; sleep 0.5; done
dockyard up "$STACK" --yes >"$log/up-stopped.txt" 2>&1
rc=$?
check "dockyard up exits 1 with one line naming the host, what failed and what to check" \
  "1|dockyard up: no Docker engine answers at $RHOST (dockyard:dockerHost): nothing accepts connections there; check that dockerd runs there and listens on that address and port (dockerd -H), and that nothing between here and there blocks it" \
  "$rc|$(grep -m1 '^dockyard up: ' "$log/up-stopped.txt")"

section "the machine as found"
bash tools/remote-engine/down.sh >"$log/engine-down.txt" 2>&1
check "tools/remote-engine/down.sh exits 0" "0" "$?"
check "no network namespace, interface, mount or process of the engine left" "$host_before" "$(host_state)"
check "its state folder (data root, exec root, certificates) is gone" "no" "$([ -e "$rstate" ] && echo yes || echo no)"
remove_images "dockyard-local/voting-*:$TAG"
engine_as_found "the local engine as found"
rm -f "Pulumi.$STACK.yaml"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
