#!/usr/bin/env bash
# shellcheck disable=SC2016 # node -e programs in single quotes: their ${...} are JavaScript
# A remote Docker engine over TLS and over SSH (`npm run test:e2e:remote`): the voting app deployed by
# `dockyard up` to a second dockerd that is not the local socket, reached only as tcp://<address>:2376
# with client certificates, or as ssh://root@<address> with a key, as a user's engine on another
# machine would be.
# - tools/remote-engine/up.sh starts it in a network namespace of its own (a veth pair, no default
#   route), with its own data root, exec root, containerd and sockets, and certificates made here with
#   openssl (a CA, the server's, a client's; and a client certificate of another CA), and an sshd of
#   its own on the engine's address (keys made with ssh-keygen: its host key, a client key root may log
#   in with, a key it does not take, another machine's host key), whose sessions' docker reaches
#   this engine's socket;
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
#   host), tcp://…:2375 outside dev (the plain port);
# - the same stack switched to dockerHost ssh://root@<address> with dockyard:dockerSsh (the key set
#   with --secret, known_hosts with the engine's host key): the provider's new arguments update it in
#   place, so `dockyard up` keeps every container (the same ids); a vote is counted; `dockyard ps`
#   reads it over ssh; a second up changes nothing; the key's text is in neither the stack file nor
#   the state (its sshOpts name private files); refused before anything: a key sshd does not take, a
#   knownHosts of another host key, dockerSsh with a tcp:// dockerHost. The SSH part's time is printed;
# - `dockyard down` (over ssh); refused with one line naming the host: sshd stopped, then (the stack
#   back on TLS) the engine stopped;
# - the engine stopped and removed (tools/remote-engine/down.sh), and the machine as found: no network
#   namespace, interface, mount, process, sshd folder or SSH key folder left, the local engine as it was.
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
# Where dockyard writes an SSH login's files for this user (stacks/dockerSsh.ts sshBaseFolder).
sshdir="$(node -p 'require("os").tmpdir()')/dockyard-ssh-$(id -u)"
ssh_dir_before="$([ -d "$sshdir" ] && echo yes)"
ssh_files_before="$([ -d "$sshdir" ] && ls "$sshdir" | sort | xargs)"
# The folders of SSH logins this run made: removed at the end, the user's folder too when it made it.
remove_ssh_files() {
  local entry
  [ -d "$sshdir" ] || return 0
  for entry in "$sshdir"/*; do
    [ -e "$entry" ] || continue
    case " $ssh_files_before " in *" ${entry##*/} "*) ;; *) rm -rf "$entry" ;; esac
  done
  [ -n "$ssh_dir_before" ] || rmdir "$sshdir" 2>/dev/null
  return 0
}
summary() { sed -nE 's/^up (done|FAILED) in [0-9.ms]+: (.*)$/up \1: \2/p' "$1"; }
# What of the engine's the machine holds: network namespaces, interfaces, mounts (and /run/netns's
# own, which the first namespace makes), processes. Only the engine's kind: the Kubernetes suite may
# run beside this one and add its own.
host_state() {
  echo "netns: $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep '^dockyard-re-' | sort | tr '\n' ' ')"
  echo "links: $(ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | grep '^dkr' | sort | tr '\n' ' ')"
  echo "mounts: $(awk -v dir="$rstate" 'index($2, dir) == 1 || $2 == "/run/netns" || index($2, "/run/netns/dockyard-re-") == 1 { print $2 }' /proc/self/mounts | sort | tr '\n' ' ')"
  echo "processes: $(rprocesses | tr '\n' ' ')"
  echo "sshd on port 22 here: $(ss -Hltn 'sport = :22' | awk '{ print $4 }' | sort | xargs)"
  echo "/run/sshd: $([ -d /run/sshd ] && echo yes || echo no)"
  echo "ssh files: $([ -d "$sshdir" ] && ls "$sshdir" | sort | xargs)"
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
    remove_ssh_files
    remove_images "dockyard-local/voting-*:$TAG"
    rm -f "Pulumi.$STACK.yaml"
    rm -rf "$state"
  fi
  if [ -e "$state/env.sh.saved" ]; then cp "$state/env.sh.saved" .state/env.sh; elif [ "${E2E_KEEP:-}" != "1" ]; then rm -f .state/env.sh; fi
}
trap cleanup EXIT

section "a second Docker engine in a network namespace, TLS and SSH only (tools/remote-engine/up.sh)"
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
check "up.sh prints what a client needs" "RHOST=$RHOST|RSSH_HOST=$RSSH_HOST|RSSH_KEY=$rssh/client|RSSH_KNOWN_HOSTS=$rssh/known_hosts|" \
  "$(grep -E '^(RHOST|RSSH_HOST|RSSH_KEY|RSSH_KNOWN_HOSTS)=' "$log/engine-up.txt" | tr '\n' '|')"
check "its sshd listens on $RENGINE_IP:22 only, and no sshd listens on port 22 outside the namespace" "$RENGINE_IP:22|" \
  "$(rnsx ss -Hltn 'sport = :22' | awk '{ print $4 }' | xargs)|$(ss -Hltn 'sport = :22' | awk '{ print $4 }' | xargs)"
ssh_as() { # KEY KNOWN_HOSTS COMMAND...
  local key="$1" known="$2"
  shift 2
  ssh -i "$key" -o IdentitiesOnly=yes -o "UserKnownHostsFile=$known" -o GlobalKnownHostsFile=/dev/null \
    -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10 "root@$RENGINE_IP" "$@"
}
check "ssh root@$RENGINE_IP with the client key: docker there is this engine (its data root), not the main one" "$RDATA" \
  "$(ssh_as "$rssh/client" "$rssh/known_hosts" 'docker info -f {{.DockerRootDir}}' 2>&1)"
check "the other key is refused" "root@$RENGINE_IP: Permission denied (publickey)." \
  "$(ssh_as "$rssh/other" "$rssh/known_hosts" true 2>&1 | tr -d '\r' | tail -1)"

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

section "over SSH: the same stack, dockerHost $RSSH_HOST with dockyard:dockerSsh"
ssh_s=$SECONDS
cp "Pulumi.$STACK.yaml" "$state/Pulumi.tls.yaml" # the stack on TLS, to go back to at the end
set_ssh() { # KEY KNOWN_HOSTS: the private key (--secret) and the known_hosts lines, from files
  p config set --secret --path dockerSsh.privateKey -- "$(cat "$1")" && p config set --path dockerSsh.knownHosts -- "$(cat "$2")"
}
{ p config rm dockerTls && p config set dockerHost "$RSSH_HOST" && set_ssh "$rssh/client" "$rssh/known_hosts"; } >"$log/config-ssh.txt" 2>&1 ||
  fail "pulumi config: dockerHost $RSSH_HOST, dockerSsh" "$(cat "$log/config-ssh.txt")"
check "the stack file holds no private key text (privateKey encrypted), and the pinned host key" "0|1" \
  "$(grep -c 'PRIVATE KEY' "Pulumi.$STACK.yaml")|$(grep -c "$(cut -d' ' -f2 "$rssh/host_key.pub")" "Pulumi.$STACK.yaml")"
s=$SECONDS
dockyard up "$STACK" --yes >"$log/up-ssh.txt" 2>&1
rc=$?
# The engine's summary counts the provider (a line per resource leaves it out): updated in place, not replaced.
check "dockyard up over ssh exits 0: the provider updated in place, every other resource unchanged, no line of a resource ($((SECONDS - s))s)" \
  "0|up done: 1 updated, $((created - 1)) unchanged|0" "$rc|$(summary "$log/up-ssh.txt")|$(grep -cE '^\[[0-9]+\] ' "$log/up-ssh.txt")"
check "it names the engine it checked, over ssh" "yes" "$(grep -qE "^Docker engine: [0-9.a-z+~-]+ at $RSSH_HOST\$" "$log/up-ssh.txt" && echo yes || echo no)"
check "the same containers run (none replaced)" "$ids" "$(rdocker ps -q --no-trunc --filter "label=dockyard.stack=$STACK" | sort | xargs)"
check "a vote is accepted" "200" \
  "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -b voter_id=remote02 --data-urlencode vote=b "http://$RENGINE_IP:$VOTE_PORT/")"
votes=""
for _ in $(seq 1 30); do
  votes="$(curl -s -m 5 "http://$RENGINE_IP:$RESULT_PORT/api/results" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      try { const r = JSON.parse(s); console.log(`${r.options.a.votes} ${r.options.b.votes}`); } catch { console.log("?"); }
    });')"
  [ "$votes" = "1 1" ] && break
  sleep 1
done
check "result counts both votes" "1 1" "$votes"
dockyard ps "$STACK" >"$log/ps-ssh.txt" 2>&1
check "dockyard ps reads the remote engine over ssh: every service healthy" \
  "0|db 1/1 healthy|redis 1/1 healthy|result 1/1 healthy http://$RENGINE_IP:$RESULT_PORT|vote 1/1 healthy http://$RENGINE_IP:$VOTE_PORT|worker 1/1 healthy|" \
  "$?|$(grep -vE '^(note:|SERVICE)' "$log/ps-ssh.txt" | tr -s ' ' | tr '\n' '|')"
dockyard up "$STACK" --yes >"$log/up-ssh2.txt" 2>&1
check "a second dockyard up over ssh changes nothing" "0|up done: $created unchanged" "$?|$(summary "$log/up-ssh2.txt")"
p stack export --show-secrets >"$state/export.json" 2>"$log/export.txt"
sshopts="$(node -e '
  const state = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const provider = state.deployment.resources.find((r) => r.type === "pulumi:providers:docker");
  console.log(JSON.parse(provider.inputs.sshOpts).join(" "));' "$state/export.json" 2>&1)"
keyfile="$(printf '%s' "$sshopts" | awk '{ print $2 }')"
check "the provider's sshOpts in the state name private files in $sshdir" \
  "-i $sshdir/*/id -o IdentitiesOnly=yes -o UserKnownHostsFile=$sshdir/*/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes" \
  "$(printf '%s' "$sshopts" | sed -E "s#$sshdir/[0-9a-f]+/#$sshdir/*/#g")"
check "the folder 0700, the key and known_hosts 0600, the key the one set" "700 600 600|yes" \
  "$(stat -c %a "$(dirname "$keyfile")" "$keyfile" "$(dirname "$keyfile")/known_hosts" | xargs)|$(cmp -s "$keyfile" "$rssh/client" && echo yes || echo no)"
check "the state holds no private key text, even with its secrets shown" "0" "$(grep -c 'PRIVATE KEY' "$state/export.json")"

section "over SSH, refused before anything: a key sshd does not take, another host key, dockerSsh with tcp://"
p config set --secret --path dockerSsh.privateKey -- "$(cat "$rssh/other")" >/dev/null 2>&1
dockyard up "$STACK" --yes >"$log/up-ssh-other-key.txt" 2>&1
rc=$?
check "a key sshd does not take: exit 1, one line naming the host, the key's fingerprint and what to fix" \
  "1|dockyard up: the SSH server at $RSSH_HOST (dockyard:dockerHost) refused the key dockyard:dockerSsh.privateKey (ssh-ed25519 $(ssh-keygen -lf "$rssh/other" | awk '{ print $2 }')): its public key (ssh-keygen -y -f <the key's file>) must be in ~root/.ssh/authorized_keys on that machine, or set dockyard:dockerSsh.privateKey to a key that is; ssh said: root@$RENGINE_IP: Permission denied (publickey).|0" \
  "$rc|$(grep -m1 '^dockyard up: ' "$log/up-ssh-other-key.txt")|$(grep -cE '^\[[0-9]+\] |^up (done|FAILED)' "$log/up-ssh-other-key.txt")"
{ p config set --secret --path dockerSsh.privateKey -- "$(cat "$rssh/client")" &&
  p config set --path dockerSsh.knownHosts -- "$(cat "$rssh/other_known_hosts")"; } >/dev/null 2>&1
dockyard up "$STACK" --yes >"$log/up-ssh-other-host.txt" 2>&1
rc=$?
check "a knownHosts of another host key: exit 1, one line naming the host key it presents and the key to fix" \
  "1|dockyard up: the machine at $RSSH_HOST (dockyard:dockerHost) presents a host key that dockyard:dockerSsh.knownHosts does not pin for $RENGINE_IP (it presents $(ssh-keygen -lf "$rssh/host_key.pub" | awk '{ print $2 }')): if its key changed, put the new one in dockyard:dockerSsh.knownHosts (ssh-keyscan -t ed25519 $RENGINE_IP, its key checked against ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on that machine); if not, something else answers at that address, and nothing was sent to it|0" \
  "$rc|$(grep -m1 '^dockyard up: ' "$log/up-ssh-other-host.txt")|$(grep -cE '^\[[0-9]+\] |^up (done|FAILED)' "$log/up-ssh-other-host.txt")"
{ p config set --path dockerSsh.knownHosts -- "$(cat "$rssh/known_hosts")" && p config set dockerHost "$RHOST"; } >/dev/null 2>&1
dockyard up "$STACK" --yes >"$log/up-ssh-tcp.txt" 2>&1
rc=$?
check "dockerSsh with dockerHost $RHOST: refused naming the keys, the value and what is allowed" \
  "1|error: dockyard:dockerSsh is set, but dockyard:dockerHost \"$RHOST\" is not an ssh:// engine: an SSH key and known_hosts are for logging in to the engine's machine (ssh://user@host), and tcp:// takes TLS certificates (dockyard:dockerTls) instead; remove dockyard:dockerSsh (pulumi config rm dockerSsh), or point dockyard:dockerHost at ssh://user@host" \
  "$rc|$(grep -m1 '^error: ' "$log/up-ssh-tcp.txt")"
p config set dockerHost "$RSSH_HOST" >/dev/null 2>&1
check "the refusals changed nothing on the engine (the same containers)" "$ids" \
  "$(rdocker ps -q --no-trunc --filter "label=dockyard.stack=$STACK" | sort | xargs)"
ssh_time=$((SECONDS - ssh_s))

section "dockyard down (over ssh)"
dockyard down "$STACK" --yes >"$log/down.txt" 2>&1
check "dockyard down exits 0" "0" "$?"
check "the remote engine holds nothing of the stack" "" \
  "$(rdocker ps -aq --filter "label=dockyard.stack=$STACK"; rdocker network ls -q --filter "label=dockyard.stack=$STACK"; rdocker volume ls -q --filter "label=dockyard.stack=$STACK")"

section "refused: sshd stopped, then (the stack back on TLS) the engine stopped"
s=$SECONDS
kill -TERM "$(cat "$rrun/sshd.pid")"
for _ in $(seq 1 20); do ralive "$rrun/sshd.pid" || break; sleep 0.5; done
dockyard up "$STACK" --yes >"$log/up-sshd-stopped.txt" 2>&1
rc=$?
check "sshd stopped: dockyard up exits 1 with one line naming the host, what failed and what to check" \
  "1|dockyard up: no SSH server answers at $RENGINE_IP port 22 (dockyard:dockerHost \"$RSSH_HOST\"): connection refused; check that sshd runs there and listens on that address and port, and that nothing between here and there blocks it" \
  "$rc|$(grep -m1 '^dockyard up: ' "$log/up-sshd-stopped.txt")"
ssh_time=$((ssh_time + SECONDS - s))
check "the SSH part took under 90 s (${ssh_time}s)" "yes" "$([ "$ssh_time" -lt 90 ] && echo yes || echo no)"
echo "the SSH part: ${ssh_time}s"
cp "$state/Pulumi.tls.yaml" "Pulumi.$STACK.yaml"
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
check "no network namespace, interface, mount, process, sshd or /run/sshd of the engine left" \
  "$(grep -v '^ssh files:' <<<"$host_before")" "$(host_state | grep -v '^ssh files:')"
check "its state folder (data root, exec root, certificates, keys) is gone" "no" "$([ -e "$rstate" ] && echo yes || echo no)"
remove_ssh_files
check "the SSH login's files dockyard wrote removed: the machine as found" "$host_before" "$(host_state)"
remove_images "dockyard-local/voting-*:$TAG"
engine_as_found "the local engine as found"
rm -f "Pulumi.$STACK.yaml"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
