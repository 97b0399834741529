#!/usr/bin/env bash
# End to end: `dockyard up -f compose.yaml` on Docker with no Pulumi project around the file
# (`npm run test:e2e:compose-up`), the way `docker compose up` works in a folder with only a compose
# file. A compose file of three services from the local base images (web, built from its context; cache,
# the redis stand-in, from a file it includes; locked, with a read-only root, extending a service of
# another file, with no network at all (network_mode: none) and an anonymous volume) with a secret read
# from a file and two configs (a file's and an inline one, checked in the containers with their modes,
# and edited), in a temp folder outside the checkout; dockyard's
# project for it in a temp DOCKYARD_STATE_HOME. Checks: bad input (no such file, not a compose file,
# an unknown target) is one line, exit 2, nothing created; up deploys with progress lines; the folder
# the user ran it in stays as it was; the state folder holds the backend and a 0600 passphrase;
# `dockyard ps -f` shows both healthy, web answers on 127.0.0.1 (it counts in the cache, and reads the
# secret); `dockyard logs -f` shows web's log; up again changes nothing; `dockyard down -f` leaves no
# container, network or volume of it. Ends with "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root" || exit 1
# ok, fail, check, section, engine_before, engine_as_found, remove_images
# shellcheck source=checks.sh
source test/e2e/checks.sh
need() {
  local what="$1"; shift
  if ! "$@"; then
    echo "  FAIL  setup: $what ($*)"
    echo "0 passed, 1 failed"
    exit 1
  fi
}

eval "$(bash scripts/node.sh)"
[ -d node_modules/@pulumi/pulumi ] || need "npm dependencies" npm ci --ignore-scripts --no-audit --no-fund
need "the Pulumi engine" bash tools/engine/build.sh
need "a Docker engine" bash tools/ensure-dockerd.sh
need "the local base images" bash tools/base-images/build.sh
PORT=18470
APP=shop
STACK=dev
# What the engine holds before the suite, without a label filter; web's image of an earlier run removed first.
remove_images "$APP-web:v1"
engine_before

work="$(mktemp -d /tmp/dockyard-compose-up.XXXXXX)"
app="$work/shop"
log="$root/.state/compose-up-e2e/log"
rm -rf "$log" && mkdir -p "$app/web" "$log"
export DOCKYARD_STATE_HOME="$work/state"
# The engine's own passphrase variables would be used instead of the folder's: not here.
unset PULUMI_CONFIG_PASSPHRASE PULUMI_CONFIG_PASSPHRASE_FILE PULUMI_BACKEND_URL
dockyard() { (cd "$app" && node "$root/cli/dockyard.js" "$@"); }
ours() { docker "$1" ls -q --filter "label=dockyard.stack=$STACK" --filter "name=$APP-$STACK-"; }
containers() { docker ps -aq --filter "label=dockyard.stack=$STACK" --filter "name=$APP-$STACK-"; }
cleanup() {
  local rc=$?
  set +e
  if [ -n "$(containers)" ]; then dockyard down -f compose.yaml --yes >"$log/cleanup.txt" 2>&1; fi
  docker rmi "$APP-web:v1" >/dev/null 2>&1
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# Both services drop every capability: with compose's default (dockyard drops NET_RAW only), the
# engine reads the dropped capability back as CAP_NET_RAW, and each up after the refresh replaces the
# containers (a defect of the Docker component, not of up -f).
# cache comes from a file the compose file includes, locked extends a service of another file.
cat >"$app/compose.yaml" <<EOF
name: $APP
include:
  - ./cache.yaml
services:
  web:
    build: ./web
    ports: ["127.0.0.1:$PORT:8000"]
    secrets: [api-key]
    cap_drop: [ALL]
    configs:
      - app-conf
      - source: motd
        target: /etc/motd
        mode: 0440
    depends_on:
      cache: { condition: service_healthy }
    healthcheck:
      test: ["CMD", "python3", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz')"]
      interval: 2s
      retries: 30
  locked:
    extends:
      file: ./base.yaml
      service: sleeper
    read_only: true
    network_mode: none
    volumes: [/scratch]
    configs:
      - source: app-conf
        target: /etc/locked/app.conf
      - source: motd
        target: /etc/locked/motd
        mode: 0400
secrets:
  api-key:
    file: ./api-key.txt
configs:
  app-conf:
    file: ./app.conf
  motd:
    content: "hello from a config"
EOF
cat >"$app/cache.yaml" <<'EOF'
services:
  cache:
    image: dockyard-local/redis:7
    user: "999:999"
    cap_drop: [ALL]
    volumes: [cache-data:/data]
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 2s
      retries: 30
volumes:
  cache-data: {}
EOF
cat >"$app/base.yaml" <<'EOF'
services:
  sleeper:
    image: dockyard-local/debian:bookworm
    command: ["sleep", "infinity"]
    user: "65534:65534"
    cap_drop: [ALL]
EOF
printf 'compose-up-secret-1' >"$app/api-key.txt"
printf 'server_name compose-up;\n' >"$app/app.conf"
cat >"$app/web/Dockerfile" <<'EOF'
FROM dockyard-local/python:3.11
COPY app.py /app.py
USER 65534
CMD ["python3", "-u", "/app.py"]
EOF
cat >"$app/web/app.py" <<'EOF'
# Counts its hits in the cache (redis, spoken over a socket) and says whether it read its secret;
# /healthz (the health check) counts nothing.
import http.server, socket

def incr():
    with socket.create_connection(("cache", 6379), timeout=5) as s:
        s.sendall(b"*2\r\n$4\r\nINCR\r\n$4\r\nhits\r\n")
        return int(s.recv(64).decode().strip().lstrip(":"))

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with open("/run/secrets/api-key") as f:
            secret = "yes" if f.read() == "compose-up-secret-1" else "no"
        body = f"hits {incr()} secret {secret}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

print("web: listening on 8000", flush=True)
http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
EOF
printf '# notes\n' >"$app/notes.md"
before="$(cd "$app" && find . | sort | tr '\n' ' ')"

section "bad input: one line, exit 2, nothing created"
bad() { # $1 = what, $2 = the line, then the arguments
  local what="$1" want="$2" out rc=0
  shift 2
  out="$(dockyard "$@" 2>&1)" || rc=$?
  check "$what" "2|$want" "$rc|$out"
}
bad "no such file" "dockyard up: -f/--file nope.yaml: no such file" up -f nope.yaml
bad "a file that is not compose" "dockyard up: -f/--file notes.md is not a compose file: it is not a YAML mapping (give a file such as docker compose's compose.yaml)" up -f notes.md
bad "an unknown target" 'dockyard up: --target must be one of docker, swarm, kubernetes, got "nomad"' up -f compose.yaml --target nomad
check "nothing created: no state folder, no container" "no|" "$([ -e "$DOCKYARD_STATE_HOME" ] && echo yes || echo no)|$(containers)"

section "dockyard up -f compose.yaml"
t=$SECONDS
if dockyard up -f compose.yaml --yes >"$log/up1.txt" 2>&1; then ok "dockyard up -f compose.yaml ($((SECONDS - t))s)"; else fail "dockyard up -f compose.yaml" "$(tail -30 "$log/up1.txt")"; exit 1; fi
check "a progress line per container, image and volume, and the summary" "2|1|1|up done" \
  "$(grep -cE '^\[[0-9]+\] created docker Container (web|cache)-1 \(' "$log/up1.txt")|$(grep -cE '^\[[0-9]+\] created docker Image web \(' "$log/up1.txt")|$(grep -cE '^\[[0-9]+\] created docker Volume cache-data \(' "$log/up1.txt")|$(grep -oE '^up done' "$log/up1.txt")"
check "the secret read from the file the compose file names" "yes" \
  "$(grep -q '^secrets.api-key: read from ./api-key.txt, stored encrypted in ' "$log/up1.txt" && echo yes || echo no)"
check "the URL from the stack's outputs" "web: http://127.0.0.1:$PORT" "$(grep -E '^web: ' "$log/up1.txt")"
check "the folder it ran in is as it was (nothing written beside the compose file)" "$before" "$(cd "$app" && find . | sort | tr '\n' ' ')"
folder="$(ls -d "$DOCKYARD_STATE_HOME"/compose/shop-* 2>/dev/null)"
check "dockyard's project for the file: <state>/compose/shop-<digest>, named in the output" "yes|yes" \
  "$([ -n "$folder" ] && [ -d "$folder/backend" ] && [ -f "$folder/Pulumi.yaml" ] && [ -f "$folder/Pulumi.$STACK.yaml" ] && echo yes || echo "no: $(ls -R "$DOCKYARD_STATE_HOME" | head)")|$(grep -qF "state: $folder " "$log/up1.txt" && echo yes || echo no)"
check "its passphrase, mode 0600" "600" "$(stat -c %a "$folder/passphrase" 2>&1)"
check "the stack file holds the target, the compose file and the secret encrypted (not in plain text)" "docker|$app/compose.yaml|secure|0" \
  "$(grep -oE 'dockyard:target: [a-z]+' "$folder/Pulumi.$STACK.yaml" | awk '{print $2}')|$(grep -oE 'file: .*' "$folder/Pulumi.$STACK.yaml" | awk '{print $2}')|$(grep -oE 'secure' "$folder/Pulumi.$STACK.yaml" | head -1)|$(grep -c compose-up-secret-1 "$folder/Pulumi.$STACK.yaml")"

check "on the engine: its three containers and locked's config holder, its network, its volume, locked's anonymous one and the holder's" "4|1|3" \
  "$(containers | wc -l)|$(ours network | wc -l)|$(ours volume | wc -l)"

section "configs: a file's and an inline one, with a mode; into a read-only root through a holder volume"
cx() { docker exec -u 0 "$APP-$STACK-$1-1" "${@:2}" 2>&1; }
check "web: /app-conf holds the file's text, root's, 0444 (compose's default)" "server_name compose-up;|0:0 444" \
  "$(cx web cat /app-conf)|$(cx web stat -c '%u:%g %a' /app-conf)"
check "web: /etc/motd holds the inline text, 0440" "hello from a config|0:0 440" \
  "$(cx web cat /etc/motd)|$(cx web stat -c '%u:%g %a' /etc/motd)"
check "locked: a read-only root; its configs in a volume mounted read-only at /etc/locked, /scratch writable" \
  "true|$APP-$STACK-locked-1-secrets:/etc/locked:false $APP-$STACK-locked-scratch:/scratch:true" \
  "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$APP-$STACK-locked-1")|$(docker inspect -f '{{range .Mounts}}{{.Name}}:{{.Destination}}:{{.RW}}{{"\n"}}{{end}}' "$APP-$STACK-locked-1" | awk NF | sort | paste -sd ' ')"
check "locked: both files with their modes, and nobody can write them" "server_name compose-up;|0:0 444|0:0 400|refused" \
  "$(cx locked cat /etc/locked/app.conf)|$(cx locked stat -c '%u:%g %a' /etc/locked/app.conf)|$(cx locked stat -c '%u:%g %a' /etc/locked/motd)|$(cx locked sh -c 'echo x >/etc/locked/motd' >/dev/null 2>&1 && echo written || echo refused)"

section "network_mode: none and an anonymous volume (locked)"
check "locked: no network but its loopback (network_mode none), web and cache on the app's network" "none|lo|1" \
  "$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$APP-$STACK-locked-1")|$(cx locked ls /sys/class/net | tr '\n' ' ' | sed 's/ $//')|$(docker inspect -f '{{len .NetworkSettings.Networks}}' "$APP-$STACK-web-1")"
check "locked: /scratch is the app's volume locked-scratch, writable, labelled for the stack" "$APP-$STACK-locked-scratch:/scratch:true|$STACK" \
  "$(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/scratch"}}{{.Name}}:{{.Destination}}:{{.RW}}{{end}}{{end}}' "$APP-$STACK-locked-1")|$(docker volume inspect -f '{{index .Labels "dockyard.stack"}}' "$APP-$STACK-locked-scratch" 2>&1)"
cx locked sh -c 'echo kept >/scratch/mark' >/dev/null
locked_id="$(docker inspect -f '{{.Id}}' "$APP-$STACK-locked-1")"

section "dockyard ps -f, a request through the published port, dockyard logs -f"
dockyard ps -f compose.yaml >"$log/ps.txt" 2>&1
check "dockyard ps -f: the three services running (locked has no health check), web's URL" "SERVICE REPLICAS HEALTH URL|cache 1/1 healthy|locked 1/1 no check|web 1/1 healthy http://127.0.0.1:$PORT|" \
  "$(awk '{ $1 = $1; print }' "$log/ps.txt" | tr '\n' '|')"
check "GET http://127.0.0.1:$PORT/ twice: web counts in the cache and read its secret" "hits 1 secret yes|hits 2 secret yes" \
  "$(curl -fsS "http://127.0.0.1:$PORT/" 2>&1)|$(curl -fsS "http://127.0.0.1:$PORT/" 2>&1)"
dockyard logs web -f compose.yaml >"$log/logs.txt" 2>&1
check "dockyard logs web -f: web's log" "yes" "$(grep -q '^web: listening on 8000' "$log/logs.txt" && echo yes || echo "no: $(head -3 "$log/logs.txt")")"

section "up again: no change"
t=$SECONDS
if dockyard up -f compose.yaml --yes >"$log/up2.txt" 2>&1; then ok "dockyard up -f again ($((SECONDS - t))s)"; else fail "dockyard up -f again" "$(tail -20 "$log/up2.txt")"; fi
check "nothing created, updated or replaced: only unchanged" "yes|0" \
  "$(grep -qE '^up done in [0-9ms]+: [0-9]+ unchanged$' "$log/up2.txt" && echo yes || echo "no: $(grep -E '^up ' "$log/up2.txt")")|$(grep -cE '^\[[0-9]+\] ' "$log/up2.txt")"
check "the target is the stack's: --target swarm on it is refused, exit 2" "2" \
  "$(dockyard up -f compose.yaml --target swarm >/dev/null 2>&1; echo $?)"

section "the config file edited, and locked given an environment variable: up puts the new text in both containers and replaces locked"
printf 'server_name compose-up-2;\n' >"$app/app.conf"
sed -i 's/^    read_only: true$/    read_only: true\n    environment: [ROUND=2]/' "$app/compose.yaml"
t=$SECONDS
if dockyard up -f compose.yaml --yes >"$log/up3.txt" 2>&1; then ok "dockyard up -f after the edit ($((SECONDS - t))s)"; else fail "dockyard up -f after the edit" "$(tail -20 "$log/up3.txt")"; fi
check "the new text in web and in locked" "server_name compose-up-2;|server_name compose-up-2;" \
  "$(cx web cat /app-conf)|$(cx locked cat /etc/locked/app.conf)"
check "locked replaced (a new container), its anonymous volume kept: the file written before is there" "yes|kept" \
  "$([ "$(docker inspect -f '{{.Id}}' "$APP-$STACK-locked-1")" != "$locked_id" ] && echo yes || echo "no: the same container")|$(cx locked cat /scratch/mark)"

section "dockyard down -f"
t=$SECONDS
if dockyard down -f compose.yaml --yes >"$log/down.txt" 2>&1; then ok "dockyard down -f compose.yaml ($((SECONDS - t))s)"; else fail "dockyard down -f" "$(tail -20 "$log/down.txt")"; fi
check "no container, network or volume of it left" "||" "$(containers)|$(ours network)|$(ours volume)"
check "dockyard ps -f after down: every service 0/1 not deployed" "cache 0/1 not deployed|locked 0/1 not deployed|web 0/1 not deployed|" \
  "$(dockyard ps -f compose.yaml 2>&1 | awk 'NR > 1 { $1 = $1; print }' | tr '\n' '|')"
remove_images "$APP-web:v1"
engine_as_found "the engine holds the containers, networks, volumes and untagged images it held before the suite, no more"

printf '\ncompose-up e2e: %ds; logs in .state/compose-up-e2e/log\n' $((SECONDS - t0))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
