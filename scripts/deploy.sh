#!/usr/bin/env bash
# One command from a fresh clone to the running voting app (`npm run deploy`): what a machine needs
# before `dockyard up` can run, then `dockyard up`.
#
#   bash scripts/deploy.sh [STACK] [dockyard up's options]   # STACK (or DOCKYARD_STACK): default dev
#
#   1. Node.js 22 (scripts/node.sh installs it into .tools/node when the machine's node is older)
#   2. npm dependencies (npm ci, when node_modules is missing or older than package-lock.json)
#   3. a Pulumi engine: an installed `pulumi` whose plugins include the Docker provider the npm
#      package asks for, else ours (.tools/pulumi), built by tools/engine/build.sh when missing
#   4. a Docker engine that answers at the stack's dockerHost (docker and swarm stacks)
#   5. the program and the command compiled (npm run build: dist/, which program.js and the dockyard
#      bin run while they are up to date), then `dockyard up STACK --yes` (cli/up.ts): the backend and
#      passphrase, the stack and its generated secrets, the images, the port check, the deployment
#      with one line per resource, and the URLs
#
# Idempotent: a second run reuses everything and its update changes nothing (and says so).
# Logs of steps 1-5: .state/deploy/*.log. Afterwards `source .state/env.sh` gives a shell the same
# Node, engine, backend and passphrase, for plain pulumi commands.
#
# Environment:
#   DOCKYARD_ENGINE_SOURCES=DIR     source archives for building the engine (README, "Air-gapped engine")
#   DOCKYARD_START_DOCKERD=1        no Docker engine answers: install Debian's docker.io, start dockerd
#   DOCKYARD_LOCAL_BASE_IMAGES=1    base images cannot be pulled: build dockyard-local/* stand-ins
#                                   (tools/base-images/build.sh) and point the stack at them (dockyard up)
#   PULUMI_CONFIG_PASSPHRASE(_FILE) your passphrase instead of a generated one
#   PULUMI_BACKEND_URL              your backend instead of .state/backend
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

stack="${DOCKYARD_STACK:-dev}"
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then stack="$1"; shift; fi
state="$root/.state"
logs="$state/deploy"
mkdir -p "$logs"

say() { printf '%s\n' "$*"; }
step() { printf '[%s/5] %s\n' "$1" "$2"; }
more() { printf '      %s\n' "$*"; }
die() { printf 'deploy: %s\n' "$*" >&2; exit 1; }
rel() { case "$1" in "$root"/*) printf '%s' "${1#"$root"/}" ;; *) printf '%s' "$1" ;; esac; }
secs() { local s=$(($1)); if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi; }
# The last lines of a log, indented, on stderr.
show_tail() { tail -n "${2:-20}" "$1" | sed 's/^/      | /' >&2; }

# --- 1. Node.js 22 ---------------------------------------------------------------------------
if ! node_env="$(bash scripts/node.sh 2>"$logs/node.log")"; then
  show_tail "$logs/node.log" 5
  command -v npm >/dev/null 2>&1 ||
    die "Node.js 22 is needed, and npm to fetch it (scripts/node.sh): install Node.js 22, or Debian's npm (sudo apt-get install -y npm) and rerun"
  die "scripts/node.sh could not install Node.js 22 (log: $(rel "$logs/node.log"))"
fi
eval "$node_env"
node_bin="$(command -v node)"
if grep -q installing "$logs/node.log"; then
  step 1 "Node.js $(node -v): installed into $(rel "$(dirname "$(dirname "$node_bin")")") (the machine's node is older than 22)"
else
  step 1 "Node.js $(node -v) ($(rel "$(dirname "$node_bin")"))"
fi

# --- 2. npm dependencies ---------------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  t=$SECONDS
  npm ci --ignore-scripts --no-audit --no-fund >"$logs/npm.log" 2>&1 ||
    { show_tail "$logs/npm.log"; die "npm ci failed (log: $(rel "$logs/npm.log"))"; }
  step 2 "npm dependencies: installed with npm ci in $(secs $((SECONDS - t)))"
else
  step 2 "npm dependencies: up to date"
fi

# Stack config as the stack file and Pulumi.yaml defaults give it: cfg KEY
cfg() {
  node -e '
    const fs = require("fs"), YAML = require("yaml");
    const [key, stack] = process.argv.slice(1);
    const read = (f) => { try { return YAML.parse(fs.readFileSync(f, "utf8")) ?? {}; } catch { return {}; } };
    const s = read(`Pulumi.${stack}.yaml`).config ?? {};
    const p = (read("Pulumi.yaml").config ?? {})[key];
    let v = s[`dockyard:${key}`] ?? s[key];
    if (v === undefined) v = p !== null && typeof p === "object" ? p.default : p;
    process.stdout.write(v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
  ' "$1" "$stack"
}
target="$(cfg target)"

# --- 3. Pulumi engine ------------------------------------------------------------------------
docker_plugin="$(node -p 'const p = require("@pulumi/docker/package.json"); (p.pulumi && p.pulumi.version) || p.version')"
ours="$root/.tools/pulumi"
have_ours() {
  [ -x "$ours/bin/pulumi" ] && [ -x "$ours/bin/pulumi-language-nodejs" ] &&
    [ -x "$ours/home/plugins/resource-docker-v$docker_plugin/pulumi-resource-docker" ]
}
system_pulumi=""
if [ ! -x "$ours/bin/pulumi" ]; then system_pulumi="$(command -v pulumi 2>/dev/null || true)"; fi
have_system() {
  [ -n "$system_pulumi" ] && [ -d "${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-docker-v$docker_plugin" ]
}
engine_built=""
# Ours is always passed through build.sh: it returns in about a second when the binaries match
# their recipes, and rebuilds what a changed pin (after a git pull) asks for.
if ! have_system; then
  have_ours ||
    step 3 "Pulumi engine: none with the Docker provider $docker_plugin; tools/engine/build.sh builds one or reuses its cache (cold: 15-30 min on 2 cores; log: $(rel "$logs/engine.log"))"
  t=$SECONDS
  set +e
  bash tools/engine/build.sh 2>&1 | tee "$logs/engine.log" |
    grep --line-buffered -E '\] (waiting|building|built |error|FAILED)' | sed -u 's/^/      /'
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" -ne 0 ]; then
    [ -z "$system_pulumi" ] ||
      more "or, with internet access, add the provider to your pulumi: pulumi plugin install resource docker $docker_plugin"
    die "no Pulumi engine: tools/engine/build.sh failed, see above (log: $(rel "$logs/engine.log"))"
  fi
  have_ours && [ $((SECONDS - t)) -lt 5 ] || engine_built=", set up by tools/engine/build.sh in $(secs $((SECONDS - t)))"
fi
# shellcheck source=../tools/engine/env.sh
source tools/engine/env.sh 2>/dev/null
[ "${DOCKYARD_ENGINE:-none}" != none ] && command -v pulumi >/dev/null 2>&1 ||
  die "no pulumi after tools/engine/build.sh and tools/engine/env.sh"
pulumi_version="$(pulumi version 2>/dev/null || echo '?')"
case "$DOCKYARD_ENGINE" in
  local)
    # The provider built from source may be older than the plugin version the npm package asks
    # for; it is installed under that version (README, "Plugin versions").
    built_as="$(cut -d' ' -f1 "$ours/bin/.stamps/pulumi-resource-docker" 2>/dev/null || echo "$docker_plugin")"
    [ "$built_as" = "$docker_plugin" ] || built_as="$built_as (installed as $docker_plugin)"
    step 3 "Pulumi engine: pulumi $pulumi_version, Docker provider $built_as (.tools/pulumi)$engine_built" ;;
  *) step 3 "Pulumi engine: pulumi $pulumi_version, Docker provider $docker_plugin (installed: $(command -v pulumi))" ;;
esac

# --- 4. Docker engine ------------------------------------------------------------------------
docker_host="$(cfg dockerHost)"
[ -n "$docker_host" ] || docker_host="${DOCKER_HOST:-unix:///var/run/docker.sock}"
if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "$docker_host" ]; then
  more "note: DOCKER_HOST is $DOCKER_HOST, but stack $stack deploys to its dockerHost $docker_host (pulumi config set dockerHost ... to change it)"
fi
dk() { DOCKER_HOST="$docker_host" docker "$@"; }
# Runs one of the project's Docker scripts against the stack's engine. The default socket is passed
# as no DOCKER_HOST at all: ensure-dockerd.sh would otherwise start a daemon listening on it again.
on_engine() {
  if [ "$docker_host" = unix:///var/run/docker.sock ]; then env -u DOCKER_HOST "$@"; else DOCKER_HOST="$docker_host" "$@"; fi
}
docker_err=""
if [ "$target" = kubernetes ]; then
  step 4 "Docker engine: not needed to reach a kubernetes stack (dockyard up says so when its images need building)"
else
  docker_answers() { command -v docker >/dev/null 2>&1 && docker_err="$(dk info 2>&1 >/dev/null)"; }
  if ! docker_answers; then
    case "$docker_err" in
      *"permission denied"*)
        die "the Docker engine at $docker_host refuses your user (permission denied): sudo usermod -aG docker $(id -un), then log in again" ;;
    esac
    if [ "${DOCKYARD_START_DOCKERD:-}" != 1 ]; then
      die "no Docker engine answers at $docker_host: start one (Debian: sudo apt-get install docker.io && sudo systemctl start docker), or rerun with DOCKYARD_START_DOCKERD=1 to install and start one here"
    fi
    step 4 "Docker engine: none answers at $docker_host; starting one (DOCKYARD_START_DOCKERD=1; log: $(rel "$logs/docker.log"))"
    t=$SECONDS rc=0
    on_engine bash tools/ensure-dockerd.sh >"$logs/docker.log" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] && docker_answers || { show_tail "$logs/docker.log"; die "could not start a Docker engine (log: $(rel "$logs/docker.log"))"; }
    step 4 "Docker engine: $(dk version --format '{{.Server.Version}}' 2>/dev/null) at $docker_host, started in $(secs $((SECONDS - t)))"
  else
    step 4 "Docker engine: $(dk version --format '{{.Server.Version}}' 2>/dev/null) at $docker_host"
  fi
fi

# --- 5. Build, then dockyard up -------------------------------------------------------------
# Compiled, the program and the command start without the TypeScript compiler (each falls back to
# the sources when they are newer); an incremental build that changes nothing takes a few seconds.
t=$SECONDS
if ! npm run --silent build >"$logs/build.log" 2>&1; then
  show_tail "$logs/build.log" 25
  die "the program does not compile (log: $(rel "$logs/build.log"))"
fi
step 5 "compiled in $(secs $((SECONDS - t))); dockyard up $stack"
rc=0
node cli/dockyard.js up "$stack" --yes "$@" || rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
say "next: dockyard ps $stack, dockyard logs SERVICE --stack $stack, dockyard down $stack; for plain pulumi commands: source .state/env.sh"
