#!/usr/bin/env bash
# One command from a fresh clone to the running voting app (`npm run deploy`):
#
#   bash scripts/deploy.sh [STACK]        # STACK (or DOCKYARD_STACK): default dev
#
#   1. Node.js 22 (scripts/node.sh installs it into .tools/node when the machine's node is older)
#   2. npm dependencies (npm ci, when node_modules is missing or older than package-lock.json)
#   3. a Pulumi engine: an installed `pulumi` whose plugins include the Docker provider the npm
#      package asks for, else ours (.tools/pulumi), built by tools/engine/build.sh when missing
#   4. a Docker engine that answers at the stack's dockerHost
#   5. a backend (PULUMI_BACKEND_URL, else the one you are logged in to, else the file backend
#      .state/backend) and a passphrase for the stack's secrets (yours, else .state/passphrase)
#   6. the stack, with a generated database password (secrets.db-password) when none is set
#   7. the images the stack needs on the engine (`npm run resolved` lists them: pulled images and the
#      builds' base images): on the engine, pulled, or local stand-ins
#   8. the program compiled (npm run build: dist/, which program.js runs while it is up to date),
#      pulumi up, then the URLs from the stack outputs
#
# Idempotent: a second run reuses everything and its `pulumi up` changes nothing (and says so).
# Logs: .state/deploy/*.log. Afterwards `source .state/env.sh` gives a shell the same Node, engine,
# backend and passphrase, for plain pulumi commands (pulumi stack output, pulumi destroy).
#
# Environment:
#   DOCKYARD_ENGINE_SOURCES=DIR     source archives for building the engine (README, "Air-gapped engine")
#   DOCKYARD_START_DOCKERD=1        no Docker engine answers: install Debian's docker.io, start dockerd
#   DOCKYARD_LOCAL_BASE_IMAGES=1    base images cannot be pulled: build dockyard-local/* stand-ins
#                                   (tools/base-images/build.sh) and point the stack at them
#   PULUMI_CONFIG_PASSPHRASE(_FILE) your passphrase instead of a generated one
#   PULUMI_BACKEND_URL              your backend instead of .state/backend
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

stack="${1:-${DOCKYARD_STACK:-dev}}"
state="$root/.state"
logs="$state/deploy"
mkdir -p "$logs"
started=$SECONDS

say() { printf '%s\n' "$*"; }
step() { printf '[%s/8] %s\n' "$1" "$2"; }
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
[ "$target" = docker ] ||
  die "stack $stack has target $target: this script deploys Docker stacks; for a cluster see the README's \"The Kubernetes stack\" (pulumi up)"

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
p() { pulumi --non-interactive "$@"; }

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

# --- 5. Backend and passphrase ---------------------------------------------------------------
local_backend="file://$state/backend"
if [ -n "${PULUMI_BACKEND_URL:-}" ]; then
  backend="$PULUMI_BACKEND_URL"
  step 5 "backend: $(rel "${backend#file://}") (PULUMI_BACKEND_URL)"
elif [ -d "$state/backend" ]; then
  export PULUMI_BACKEND_URL="$local_backend"
  backend="$local_backend"
  step 5 "backend: .state/backend (a local file backend, from an earlier run)"
elif whoami="$(timeout 60 pulumi whoami --verbose --non-interactive 2>/dev/null)"; then
  backend="$(sed -n 's/^Backend URL: *//p' <<<"$whoami")"
  step 5 "backend: ${backend:-the one you are logged in to} (pulumi login)"
else
  mkdir -p "$state/backend"
  export PULUMI_BACKEND_URL="$local_backend"
  backend="$local_backend"
  step 5 "backend: .state/backend (a local file backend, created; git-ignored)"
fi
passphrase_file=""
if [ -n "${PULUMI_CONFIG_PASSPHRASE:-}" ] || [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  more "passphrase: yours (PULUMI_CONFIG_PASSPHRASE${PULUMI_CONFIG_PASSPHRASE_FILE:+_FILE})"
else
  case "$backend" in
    http://* | https://*) ;; # a Pulumi service encrypts the stack's secrets itself
    *)
      passphrase_file="$state/passphrase"
      if [ -s "$passphrase_file" ]; then
        more "passphrase: .state/passphrase (generated by an earlier run; it encrypts this stack's secrets: keep it)"
      else
        (umask 077 && node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))' >"$passphrase_file")
        more "passphrase: generated into .state/passphrase (mode 0600); it encrypts this stack's secrets: keep it (your own instead: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE before the first run)"
      fi
      chmod 600 "$passphrase_file"
      export PULUMI_CONFIG_PASSPHRASE_FILE="$passphrase_file"
      ;;
  esac
fi
# The same environment for the user's own pulumi commands: `source .state/env.sh`.
{
  echo "# Written by scripts/deploy.sh: \`source .state/env.sh\` gives this shell the Node.js, Pulumi engine,"
  echo "# backend and passphrase that deploy.sh used, for plain pulumi commands (pulumi stack output, destroy)."
  echo 'if [ -n "${BASH_SOURCE[0]:-}" ]; then _dockyard_state_env="${BASH_SOURCE[0]}"; else _dockyard_state_env="${(%):-%x}"; fi'
  echo '_dockyard_state_root="$(cd "$(dirname "$_dockyard_state_env")/.." && pwd)"'
  echo 'eval "$(bash "$_dockyard_state_root/scripts/node.sh" 2>/dev/null)"'
  echo 'source "$_dockyard_state_root/tools/engine/env.sh"'
  [ "$backend" != "$local_backend" ] || echo 'export PULUMI_BACKEND_URL="file://$_dockyard_state_root/.state/backend"'
  [ -z "$passphrase_file" ] || echo 'export PULUMI_CONFIG_PASSPHRASE_FILE="$_dockyard_state_root/.state/passphrase"'
  echo 'unset _dockyard_state_env _dockyard_state_root'
} >"$state/env.sh"

# --- 6. Stack and database password ----------------------------------------------------------
if p stack select "$stack" >"$logs/stack.log" 2>&1; then
  stack_note="selected"
elif p stack init "$stack" >>"$logs/stack.log" 2>&1; then
  stack_note="created"
else
  show_tail "$logs/stack.log" 10
  die "cannot select or create stack $stack on $(rel "${backend#file://}") (log: $(rel "$logs/stack.log"))"
fi
if p config get --path secrets.db-password --stack "$stack" >/dev/null 2>"$logs/config.log"; then
  step 6 "stack $stack: $stack_note; secrets.db-password is set"
elif grep -qiE 'not found|missing' "$logs/config.log"; then
  node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("base64url"))' |
    p config set --secret --path secrets.db-password --stack "$stack" >>"$logs/config.log" 2>&1 ||
    { show_tail "$logs/config.log" 5; die "cannot set secrets.db-password on stack $stack"; }
  step 6 "stack $stack: $stack_note; secrets.db-password generated and stored encrypted (pulumi config get --path secrets.db-password shows it)"
else
  show_tail "$logs/config.log" 5
  die "cannot read the secrets of stack $stack (above): use the passphrase it was created with (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE; unset both for .state/passphrase)"
fi

# --- 7. Images --------------------------------------------------------------------------------
# The stack's resolved app says which images it needs and which config key names each one.
if ! npx --no-install ts-node --transpile-only scripts/resolved.ts "$stack" >"$logs/resolved.json" 2>"$logs/resolved.log"; then
  show_tail "$logs/resolved.log" 5
  die "the stack config of $stack does not resolve (above)"
fi
resolved() { node -e 'const r = require(process.argv[1]); for (const line of eval(process.argv[2])) console.log(line);' "$logs/resolved.json" "$1"; }
declare -A image_of=()
while IFS=$'\t' read -r key image; do image_of[$key]="$image"; done < <(resolved 'Object.entries(r.images).map(([k, v]) => k + "\t" + v)')
# Stand-ins tools/base-images/build.sh makes, by repository name.
declare -A stand_in=([python]=dockyard-local/python:3.11 [node]=dockyard-local/node:22 [redis]=dockyard-local/redis:7 [postgres]=dockyard-local/postgres:15)
present=() pulled=() missing=()
: >"$logs/images.log"
for key in $(printf '%s\n' "${!image_of[@]}" | sort); do
  image="${image_of[$key]}"
  if dk image inspect "$image" >/dev/null 2>&1; then
    present+=("$image")
  elif [[ "$image" != dockyard-local/* ]] && { echo "\$ docker pull $image" && dk pull "$image"; } >>"$logs/images.log" 2>&1; then
    pulled+=("$image")
  else
    missing+=("$key")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  step 7 "images: ${#present[@]} on the engine${pulled[*]:+, pulled ${pulled[*]}}"
elif [ "${DOCKYARD_LOCAL_BASE_IMAGES:-}" = 1 ]; then
  names=()
  for key in "${missing[@]}"; do names+=("${image_of[$key]}"); done
  step 7 "images: ${names[*]} cannot be pulled; building local stand-ins (DOCKYARD_LOCAL_BASE_IMAGES=1; log: $(rel "$logs/base-images.log"))"
  t=$SECONDS rc=0
  on_engine bash tools/base-images/build.sh >"$logs/base-images.log" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || { show_tail "$logs/base-images.log"; die "tools/base-images/build.sh failed (log: $(rel "$logs/base-images.log"))"; }
  changed=()
  for key in "${missing[@]}"; do
    repository="${image_of[$key]%%[:@]*}"
    replacement="${stand_in[${repository##*/}]:-}"
    [ -n "$replacement" ] || die "no local stand-in for ${image_of[$key]} ($key): point $key at a mirror (pulumi config set --path $key <mirror>/${image_of[$key]##*/})"
    p config set --path "$key" "$replacement" --stack "$stack" >/dev/null
    changed+=("$key=$replacement")
  done
  more "ready in $(secs $((SECONDS - t))); stack $stack now uses them: ${changed[*]}"
else
  list=""
  for key in "${missing[@]}"; do list+="${image_of[$key]} ($key), "; done
  [ "${#missing[@]}" -eq 1 ] && what="image ${list%, } is" || what="images ${list%, } are"
  die "$what not on the Docker engine and cannot be pulled (log: $(rel "$logs/images.log")): point each key at a mirror (pulumi config set --path ${missing[0]} <mirror>/${image_of[${missing[0]}]##*/}), or rerun with DOCKYARD_LOCAL_BASE_IMAGES=1 to build local stand-ins"
fi

# --- 8. pulumi up ----------------------------------------------------------------------------
# A published port that something else already holds would fail half-way: check it first (only
# for a local engine, and only before this stack has containers of its own).
case "$docker_host" in
  unix://*)
    if [ -z "$(dk ps -aq --filter "label=dockyard.stack=$stack")" ]; then
      address="$(cfg bindAddress)"
      [ "$address" != 0.0.0.0 ] && [ -n "$address" ] || address=127.0.0.1
      while IFS=$'\t' read -r port key; do
        if (exec 3<>"/dev/tcp/$address/$port") 2>/dev/null; then
          die "port $port ($key) on $address is already in use: stop what listens there, or pulumi config set --path $key <another port>"
        fi
      done < <(resolved 'r.app.order.flatMap((s) => r.app.services[s].ports.filter((p) => p.publishedPort !== undefined).map((p) => p.publishedPort + "\t" + `services.${s}.ports.${p.name}`))')
    fi
    ;;
esac
step 8 "pulumi up on stack $stack (log: $(rel "$logs/up.log"))"
t=$SECONDS
# Compiled, the program starts without the TypeScript compiler (program.js falls back to the
# sources when they are newer); an incremental build that changes nothing takes a few seconds.
if ! npm run --silent build >"$logs/build.log" 2>&1; then
  show_tail "$logs/build.log" 25
  die "the program does not compile (log: $(rel "$logs/build.log"))"
fi
if ! p up --yes --stack "$stack" >"$logs/up.log" 2>&1; then
  show_tail "$logs/up.log" 25
  die "pulumi up failed (log: $(rel "$logs/up.log"))"
fi
# The update's (last) "Resources:" block: "+ 25 created", "~ 1 updated", "25 unchanged", ...
summary="$(awk '/^Resources:/ { f = 1; b = ""; next } f && /^[[:space:]]*$/ { f = 0; next }
  f { sub(/^[[:space:]]+/, ""); b = b $0 "\n" } END { printf "%s", b }' "$logs/up.log")"
if [ -n "$summary" ] && ! grep -qv 'unchanged$' <<<"$summary"; then
  more "no changes ($summary) in $(secs $((SECONDS - t)))"
else
  more "$(paste -sd, <<<"$summary" | sed 's/,/, /g') in $(secs $((SECONDS - t)))"
fi
p stack output urls --json --stack "$stack" 2>/dev/null | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const urls = JSON.parse(s || "{}");
    const names = ["vote", "result", ...Object.keys(urls).filter((n) => n !== "vote" && n !== "result")];
    for (const name of names) if (urls[name]) console.log(`${(name + ":").padEnd(8)}${urls[name]}`);
  });'
say "done in $(secs $((SECONDS - started))). For pulumi commands on this stack (pulumi stack output, pulumi destroy): source .state/env.sh"
