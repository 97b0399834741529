#!/usr/bin/env bash
# Builds a real Pulumi engine without Pulumi's download site, from pinned Go modules and pinned
# source archives:
#   pulumi                         the CLI                    (module pins: tools/engine/cli/go.mod)
#   pulumi-language-nodejs         the Node.js language host  (source archive + tools/engine/nodejs/go.mod)
#   pulumi-resource-pulumi-nodejs  the dynamic-provider shim, copied from the sdk/v3 module
#   pulumi-language-python         the Python language host   (source archive + tools/engine/python/go.mod)
#   pulumi-language-python-exec    the script it runs a program with, from the same archive
#   pulumi-resource-pulumi-python  Python's dynamic-provider shim, copied from the sdk/v3 module
#   pulumi-language-yaml           the YAML language host     (module pins: tools/engine/yaml/go.mod)
#   pulumi-resource-docker         the Docker provider        (two source archives; pins: DOCKER_* below)
#   pulumi-resource-kubernetes     the Kubernetes provider    (module pins: K8S_* below)
# (the Python and YAML hosts and the Kubernetes provider only when asked for)
# into .tools/pulumi/bin, and installs the providers into PULUMI_HOME=.tools/pulumi/home under the
# plugin version that the installed @pulumi/<name> npm package asks for.
#
# Usage:
#   tools/engine/build.sh              CLI + language host + docker provider
#   tools/engine/build.sh cli          CLI + language host only
#   tools/engine/build.sh kubernetes   CLI + language host + kubernetes provider
#   tools/engine/build.sh python       CLI + language host + the Python language host
#   tools/engine/build.sh yaml         CLI + language host + the YAML language host
#   tools/engine/build.sh all          CLI + language host + docker + kubernetes + python + yaml
#   (targets add up: `python yaml docker` is what Python and YAML programs of the Docker provider need)
#   source tools/engine/env.sh         then use `pulumi` (see env.sh)
#
# Source archives (DOCKYARD_ENGINE_SOURCES): the Go module proxy does not serve pulumi-docker's
# provider module nor its Terraform upstream, the Node.js language host's module only at old commits
# and the Python language host's not at all.
# They are built from `git archive` snapshots of the upstream repositories, in the directory that
# DOCKYARD_ENGINE_SOURCES names. Each archive's sha256 is checked against the pin below before it
# is unpacked; a missing or different archive stops the build with the file, the expected and the
# actual sum. tools/README.md says how to make them.
#
# Cache: finished binaries are kept outside the checkout, keyed by recipe (pinned versions, archive
# sums, go.mod/go.sum, Go version, this script's RECIPE_REV), in
#   ${DOCKYARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dockyard}/engine/<binary>/<key>/
# so a fresh clone on the same machine copies them instead of building; a fresh machine builds cold.
# Go's own caches (`go env GOCACHE GOMODCACHE`) make a rebuild after a pin change cheaper.
# Build logs: <cache>/engine/work/<component>/build.log (a failure names it).
#
# An existing install is used instead: when a `pulumi` on PATH is not ours and the user's plugin
# cache (${PULUMI_HOME:-~/.pulumi}/plugins) already has every provider the target needs at the
# version the npm package asks for (and, for python and yaml, that language host is next to that
# `pulumi` or on PATH), nothing is built; env.sh then leaves PATH and PULUMI_HOME alone.
# DOCKYARD_ENGINE_BUILD=1 builds ours anyway (and env.sh prefers ours whenever it exists).
#
# Every component asked for is attempted, even after one fails; the exit code is 1 when any failed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/tools/engine"
bin="$root/.tools/pulumi/bin"
home="$root/.tools/pulumi/home"
stamps="$bin/.stamps"
cache="${DOCKYARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dockyard}/engine"
scratch="$cache/work"
sources="${DOCKYARD_ENGINE_SOURCES:-}"
RECIPE_REV=2 # bump to force rebuilding everything after a change to this script's recipes

# --- Source archives ------------------------------------------------------------------------
# name | upstream repository and commit | sha256 of `git archive --format=tar.gz` (see tools/README.md)
LANGHOST_ARCHIVE=pulumi-language-nodejs-1b5949891b3c.tar.gz
LANGHOST_ARCHIVE_SHA256=10f7a5a178d7ce35f6e7e34ec15666f7ccd71f4087f1d14e774dfc8019eeccd0
LANGHOST_COMMIT=1b5949891b3cefcb9974752b24a5ecef0acc86c8 # github.com/pulumi/pulumi, after v3.259.0
LANGHOST_VERSION=v3.260.0 # the sdk/v3 and pkg/v3 it is built against (tools/engine/nodejs/go.mod)
PYTHON_ARCHIVE=pulumi-language-python-1b5949891b3c.tar.gz
PYTHON_ARCHIVE_SHA256=530df1265e555f17c0c6770c86a30622c71b4ebda6116c1aa18f76a6e0439f9c
PYTHON_COMMIT=1b5949891b3cefcb9974752b24a5ecef0acc86c8 # github.com/pulumi/pulumi, the Node.js host's commit
PYTHON_HOST_VERSION=v3.260.0 # the sdk/v3 and pkg/v3 it is built against (tools/engine/python/go.mod)
DOCKER_ARCHIVE=pulumi-docker-provider-e944612c4c97.tar.gz
DOCKER_ARCHIVE_SHA256=da7f250fe79ade4586d10cedf5de47bff8b3e11976a2d7109989f3ce0158324a
DOCKER_COMMIT=e944612c4c970123d9a16a48c40d37dc84c89a70 # github.com/pulumi/pulumi-docker, tag v5.1.0
DOCKER_UPSTREAM_ARCHIVE=terraform-provider-docker-5074970c71ce.tar.gz
DOCKER_UPSTREAM_ARCHIVE_SHA256=287dfbb60846838ad269f9949ad8e6fe2fc2f14df6c173b0130c68828d57a7a3
DOCKER_UPSTREAM_COMMIT=5074970c71ce6cc393c74942d5d628943834beb9 # kreuzwerker/terraform-provider-docker v4.5.0
DOCKER_MODULE=github.com/pulumi/pulumi-docker/provider/v5
DOCKER_PROVIDER_VERSION=5.1.0
# --- Kubernetes provider pins ----------------------------------------------------------------
# The only provider/v4 version the Go module proxy serves here is commit f47bc2d6 (2026-01-15), one
# day before sdk/v4.25.0 was tagged; its go.mod replaces sdk/v4 with ../sdk (same commit), which the
# tagged sdk/v4 v4.25.0 stands in for. The version stamp says what it is: a 4.25.0 pre-release.
K8S_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
K8S_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
K8S_MODULE_SUM="h1:j2bphCf7c2YhnBrhwht2f3TNRRgcMImltUlAgzxr9H4="
K8S_SDK_MODULE=github.com/pulumi/pulumi-kubernetes/sdk/v4
K8S_SDK_VERSION=v4.25.0
K8S_PROVIDER_VERSION=4.25.0-alpha.1768448096+f47bc2d6f199

log() { printf '[engine] %s\n' "$*"; }
die() { log "error: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Targets add up: `docker kubernetes python yaml` = `all`; no target = docker.
want_docker=0 want_k8s=0 want_python=0 want_yaml=0
[ "$#" -gt 0 ] || want_docker=1
for arg in "$@"; do
  case "$arg" in
    cli) ;;
    docker) want_docker=1 ;;
    kubernetes | k8s) want_k8s=1 ;;
    python) want_python=1 ;;
    yaml) want_yaml=1 ;;
    all) want_docker=1 want_k8s=1 want_python=1 want_yaml=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown target '$arg' (expected: cli, docker, kubernetes, python, yaml, all)" ;;
  esac
done

# Plugin version an installed npm package asks for: package.json "pulumi.version", else "version".
npm_plugin_version() { # $1 = npm package name, e.g. @pulumi/docker
  local pj="$root/node_modules/$1/package.json"
  [ -f "$pj" ] || return 1
  if command -v node >/dev/null 2>&1; then
    node -e 'const p=require(process.argv[1]); console.log((p.pulumi && p.pulumi.version) || p.version)' "$pj"
  else
    python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(p.get("pulumi",{}).get("version") or p["version"])' "$pj"
  fi
}
docker_plugin_version="$(npm_plugin_version @pulumi/docker || echo "$DOCKER_PROVIDER_VERSION")"
k8s_plugin_version="$(npm_plugin_version @pulumi/kubernetes || echo "${K8S_PROVIDER_VERSION%%-*}")"

# --- An existing pulumi install --------------------------------------------------------------
if [ "${DOCKYARD_ENGINE_BUILD:-}" != "1" ] && [ ! -x "$bin/pulumi" ]; then
  existing="$(command -v pulumi 2>/dev/null || true)"
  if [ -n "$existing" ] && [ "$(cd "$(dirname "$existing")" && pwd -P)" != "$(mkdir -p "$bin" && cd "$bin" && pwd -P)" ]; then
    plugins="${PULUMI_HOME:-$HOME/.pulumi}/plugins"
    have=1
    [ "$want_docker" = 1 ] && [ ! -d "$plugins/resource-docker-v$docker_plugin_version" ] && have=0
    [ "$want_k8s" = 1 ] && [ ! -d "$plugins/resource-kubernetes-v$k8s_plugin_version" ] && have=0
    # Pulumi's releases ship the language hosts beside `pulumi`; the CLI looks there, then on PATH.
    lacks_host() { [ ! -x "$(dirname "$existing")/pulumi-language-$1" ] && ! command -v "pulumi-language-$1" >/dev/null 2>&1; }
    hosts=""
    [ "$want_python" = 1 ] && lacks_host python && hosts+=" pulumi-language-python"
    [ "$want_yaml" = 1 ] && lacks_host yaml && hosts+=" pulumi-language-yaml"
    if [ "$have" = 1 ] && [ -z "$hosts" ]; then
      log "using the installed $existing ($(pulumi version 2>/dev/null)) and the plugins in $plugins; nothing to build"
      exit 0
    fi
    [ "$have" = 1 ] || log "found $existing, but $plugins lacks a plugin this target needs: building our own"
    [ -z "$hosts" ] || log "found $existing, but no$hosts beside it or on PATH: building our own"
  fi
fi

# --- Go ---------------------------------------------------------------------------------------
command -v go >/dev/null 2>&1 || die "go is not on PATH (Go >= 1.26.6 is needed)"
export GOTOOLCHAIN=local CGO_ENABLED=0 GO111MODULE=on
unset GOFLAGS GOWORK
go_minor="$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
[ "${go_minor:-0}" -ge 26 ] || die "$(go version): Go >= 1.26.6 is needed"
mkdir -p "$bin" "$stamps" "$home" "$scratch" || die "cannot create $bin or $scratch"

# One build at a time per machine: test scripts and other checkouts share the cache.
if command -v flock >/dev/null 2>&1; then
  exec 9> "$cache/.lock"
  if ! flock -n 9; then
    log "waiting for another tools/engine/build.sh on this machine ..."
    flock 9
  fi
fi

elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
sha256() { sha256sum "$1" | cut -d' ' -f1; }

# Recipe key: name, version and a hash of everything that decides the binary.
recipe_key() { # $1 = version, $2 = extra text (pins), rest = files
  local v="$1" extra="$2"; shift 2
  printf '%s rev%s %s %s\n' "$v" "$RECIPE_REV" "$(go env GOVERSION)" \
    "$( { printf '%s\n' "$extra"; cat "$@" /dev/null; } | sha256sum | cut -c1-16)"
}
cache_slot() { # $1 = binary name, $2 = key; prints the cache folder for that recipe
  printf '%s/%s/%s' "$cache" "$1" "$(printf '%s' "$2" | sha256sum | cut -c1-16)"
}
stamp() { printf '%s\n' "$2" > "$stamps/$1"; }
# Copies a binary from its cache slot into .tools/pulumi/bin (only when the bytes differ).
place() { # $1 = binary name, $2 = key
  local from
  from="$(cache_slot "$1" "$2")/$1"
  if ! cmp -s "$from" "$bin/$1"; then
    cp "$from" "$bin/$1.partial" && chmod 755 "$bin/$1.partial" && mv -f "$bin/$1.partial" "$bin/$1" || return 1
  fi
  stamp "$1" "$2"
}
placed() { # $1 = binary name, $2 = key: .tools/pulumi/bin holds this recipe's binary
  [ -x "$bin/$1" ] && [ "$(cat "$stamps/$1" 2>/dev/null)" = "$2" ]
}
cached() { # $1 = binary name, $2 = key: the cache holds this recipe's binary
  [ -x "$(cache_slot "$1" "$2")/$1" ]
}
# True when .tools/pulumi/bin or the cache already has this recipe.
have() { placed "$1" "$2" || cached "$1" "$2"; }
# True (and the binary placed) when .tools/pulumi/bin or the cache already has this recipe.
reuse() { # $1 = binary name, $2 = key
  if placed "$1" "$2"; then
    log "$1 is built ($2)"
    return 0
  fi
  if cached "$1" "$2"; then
    place "$1" "$2" && log "$1 from the cache ($2)" && return 0
  fi
  return 1
}
# Moves a freshly built binary into its cache slot, then places it.
keep() { # $1 = binary name, $2 = key, $3 = built file
  local slot
  slot="$(cache_slot "$1" "$2")"
  mkdir -p "$slot" && printf '%s\n' "$2" > "$slot/recipe" && mv -f "$3" "$slot/$1" && place "$1" "$2"
}

failed=()
fail() { # $1 = component; the rest of the message. Details are in $scratch/$1/build.log.
  failed+=("$1")
  log "FAILED: $1: ${*:2}" >&2
  [ ! -f "$scratch/$1/build.log" ] || log "        details: $scratch/$1/build.log" >&2
}

# Checks one source archive against its pin; prints its path. The message names the file, the
# expected and the actual sum (and the commit a `git archive` recorded in it, when there is one).
archive() { # $1 = what is built, $2 = file name, $3 = pinned sha256, $4 = upstream and commit
  local path actual commit
  if [ -z "$sources" ]; then
    log "error: $1 is built from a source archive: set DOCKYARD_ENGINE_SOURCES to a directory holding $2 ($4, sha256 $3); see tools/README.md" >&2
    return 1
  fi
  path="$sources/$2"
  if [ ! -f "$path" ]; then
    log "error: DOCKYARD_ENGINE_SOURCES=$sources has no $2 ($4, sha256 $3)" >&2
    return 1
  fi
  actual="$(sha256 "$path")"
  if [ "$actual" != "$3" ]; then
    commit="$( (gzip -dc "$path" | git get-tar-commit-id) 2>/dev/null || true)"
    log "error: $path: sha256 $actual, expected $3 ($4)${commit:+; the archive says it is commit $commit}" >&2
    return 1
  fi
  printf '%s' "$path"
}
langhost_archive() {
  archive "the Node.js language host" "$LANGHOST_ARCHIVE" "$LANGHOST_ARCHIVE_SHA256" "github.com/pulumi/pulumi at $LANGHOST_COMMIT"
}
python_archive() {
  archive "the Python language host" "$PYTHON_ARCHIVE" "$PYTHON_ARCHIVE_SHA256" "github.com/pulumi/pulumi at $PYTHON_COMMIT"
}
docker_archive() {
  archive "the Docker provider" "$DOCKER_ARCHIVE" "$DOCKER_ARCHIVE_SHA256" "github.com/pulumi/pulumi-docker at $DOCKER_COMMIT, tag v$DOCKER_PROVIDER_VERSION"
}
docker_upstream_archive() {
  archive "the Docker provider" "$DOCKER_UPSTREAM_ARCHIVE" "$DOCKER_UPSTREAM_ARCHIVE_SHA256" "github.com/kreuzwerker/terraform-provider-docker at $DOCKER_UPSTREAM_COMMIT"
}
unpack() { # $1 = archive, $2 = destination (emptied first); drops the archive's top folder
  rm -rf "$2" && mkdir -p "$2" && tar -xzf "$1" -C "$2" --strip-components=1
}
# `go build` into a temp name, so an interrupted build leaves no half binary; prints the file.
go_build() { # $1 = log file, $2 = output binary, rest = go build args
  local logf="$1" out="$2"; shift 2
  if go build -trimpath -buildvcs=false -o "$out.partial" "$@" >> "$logf" 2>&1; then
    mv -f "$out.partial" "$out"
  else
    rm -f "$out.partial"
    return 1
  fi
}
# Starts a component's scratch folder and log.
begin() { # $1 = component
  rm -rf "${scratch:?}/$1" && mkdir -p "$scratch/$1"
}
# `go build` in a folder, then the binary into its cache slot and .tools/pulumi/bin; the source
# folder $scratch/<component>/src is removed after a success.
build_and_keep() { # $1 = component, $2 = binary name, $3 = key, $4 = start time, $5 = folder, rest = go build args
  local component="$1" name="$2" key="$3" t="$4" dir="$5" w="$scratch/$1"
  shift 5
  if (cd "$dir" && go_build "$w/build.log" "$w/$name" "$@") && keep "$name" "$key" "$w/$name"; then
    log "built $name ($key) in $(elapsed "$t")"
    rm -rf "$w/src"
  else
    fail "$component" "go build of $name"
    return 1
  fi
}
# `go mod download -json MOD@VER` into a log; prints the module's Dir. Fails on a refusal.
mod_dir() { # $1 = component (for logs), $2 = module@version
  local out
  out="$(cd "$scratch" && go mod download -json "$2" 2>&1)"
  if printf '%s' "$out" | grep -q '"Error"' || ! printf '%s' "$out" | grep -q '"Dir"'; then
    { echo "\$ go mod download -json $2"; echo "$out"; } >> "$scratch/$1/build.log"
    return 1
  fi
  printf '%s' "$out" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p'
}
mod_sum() { # $1 = module@version (already downloaded); prints its h1: hash
  (cd "$scratch" && go mod download -json "$1" 2>/dev/null) | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",*$/\1/p'
}
# A writable copy of a module's read-only Dir.
copy_mod() { # $1 = source Dir, $2 = destination
  rm -rf "$2" && mkdir -p "$(dirname "$2")" && cp -R "$1" "$2" && chmod -R u+w "$2"
}
# Installs a provider binary into PULUMI_HOME unless the same bytes are already there.
install_plugin() { # $1 = name (docker), $2 = plugin version
  local dir="$home/plugins/resource-$1-v$2" b="$bin/pulumi-resource-$1"
  if [ -f "$dir/pulumi-resource-$1" ] && cmp -s "$dir/pulumi-resource-$1" "$b"; then
    log "plugin resource $1 v$2 already installed in .tools/pulumi/home"
    return 0
  fi
  log "installing plugin resource $1 v$2 into .tools/pulumi/home"
  PULUMI_HOME="$home" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
    "$bin/pulumi" plugin install resource "$1" "$2" --file "$b" --reinstall
}

# --- CLI + dynamic-provider shim -------------------------------------------------------------
build_cli() {
  local mod="$here/cli" ver key t
  ver="$(cd "$mod" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
  key="$(recipe_key "$ver" "" "$mod/go.mod" "$mod/go.sum")"
  if ! reuse pulumi "$key"; then
    log "building pulumi $ver (a cold build takes 10-20 minutes on 2 cores) ..."
    t=$(date +%s)
    begin cli
    build_and_keep cli pulumi "$key" "$t" "$mod" -mod=readonly \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$ver" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi || return 1
  fi

  # The shims ship in the sdk/v3 module at the CLI's version.
  local sdkdir
  sdkdir="$(cd "$mod" && go mod download -json github.com/pulumi/pulumi/sdk/v3 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  copy_shim cli nodejs "$sdkdir" "$ver" || return 1
  # Python's is what a Python program's dynamic providers (pulumi.dynamic) run; the CLI finds it
  # beside itself, as the Node.js one. A failure there is the python target's, not the CLI's
  # (which the providers wait for).
  if [ "$want_python" = 1 ]; then copy_shim python python "$sdkdir" "$ver"; fi
  return 0
}
copy_shim() { # $1 = component, $2 = language, $3 = sdk/v3 module Dir, $4 = its version
  local f="$3/$2/dist/pulumi-resource-pulumi-$2" b="$bin/pulumi-resource-pulumi-$2"
  if [ ! -f "$f" ]; then
    fail "$1" "no $2/dist/pulumi-resource-pulumi-$2 in the sdk/v3 module ($3)"
    return 1
  fi
  if ! cmp -s "$f" "$b"; then
    cp "$f" "$b" && chmod 755 "$b" || { fail "$1" "cannot copy $f to $b"; return 1; }
    log "copied pulumi-resource-pulumi-$2 from sdk/v3 $4"
  fi
}

# --- Node.js language host, from a source archive of github.com/pulumi/pulumi -----------------
langhost_key="$(recipe_key "$LANGHOST_VERSION" "$LANGHOST_ARCHIVE_SHA256" "$here/nodejs/go.mod" "$here/nodejs/go.sum")"
build_langhost() {
  local mod="$here/nodejs" key="$langhost_key" t src tarball w="$scratch/nodejs"
  reuse pulumi-language-nodejs "$key" && return 0
  begin nodejs
  tarball="$(langhost_archive)" ||
    { fail nodejs "source archive"; return 1; }
  log "building pulumi-language-nodejs ($LANGHOST_COMMIT, sdk/v3 and pkg/v3 $LANGHOST_VERSION) ..."
  t=$(date +%s)
  unpack "$tarball" "$w/src" || { fail nodejs "cannot unpack $tarball"; return 1; }
  src="$w/src/sdk/nodejs/cmd/pulumi-language-nodejs"
  # The archive's go.mod replaces pkg/v3 and sdk/v3 with folders of the pulumi repository; ours
  # requires the served releases instead (and nothing else differs).
  cp "$mod/go.mod" "$mod/go.sum" "$src/" || { fail nodejs "cannot write go.mod into $src"; return 1; }
  build_and_keep nodejs pulumi-language-nodejs "$key" "$t" "$src" -mod=readonly \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGHOST_VERSION" .
}

# --- Python language host, from a source archive of github.com/pulumi/pulumi -------------------
# The same recipe as the Node.js host (the Go module proxy refuses this module). The host runs a
# program through `pulumi-language-python-exec`, a Python script it looks for beside its own binary
# only: it comes from the same archive and is cached and placed under the same key.
python_key="$(recipe_key "$PYTHON_HOST_VERSION" "$PYTHON_ARCHIVE_SHA256" "$here/python/go.mod" "$here/python/go.sum")"
have_python() { have pulumi-language-python "$python_key" && have pulumi-language-python-exec "$python_key"; }
build_python() {
  local mod="$here/python" key="$python_key" t src tarball w="$scratch/python"
  if reuse pulumi-language-python "$key" && reuse pulumi-language-python-exec "$key"; then return 0; fi
  begin python
  tarball="$(python_archive)" ||
    { fail python "source archive"; return 1; }
  log "building pulumi-language-python ($PYTHON_COMMIT, sdk/v3 and pkg/v3 $PYTHON_HOST_VERSION; seconds after the Node.js host, 3 minutes from an empty Go cache) ..."
  t=$(date +%s)
  unpack "$tarball" "$w/src" || { fail python "cannot unpack $tarball"; return 1; }
  src="$w/src/sdk/python/cmd/pulumi-language-python"
  # The archive's go.mod replaces pkg/v3 and sdk/v3 with folders of the pulumi repository; ours
  # requires the served releases instead (tools/engine/python/go.mod says what else tidy changed).
  cp "$mod/go.mod" "$mod/go.sum" "$src/" || { fail python "cannot write go.mod into $src"; return 1; }
  # Out of src/ first: build_and_keep removes src/ after a success.
  cp "$w/src/sdk/python/cmd/pulumi-language-python-exec" "$w/pulumi-language-python-exec" ||
    { fail python "no sdk/python/cmd/pulumi-language-python-exec in $tarball"; return 1; }
  build_and_keep python pulumi-language-python "$key" "$t" "$src" -mod=readonly \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PYTHON_HOST_VERSION" . || return 1
  keep pulumi-language-python-exec "$key" "$w/pulumi-language-python-exec" ||
    { fail python "cannot keep pulumi-language-python-exec (cache slot $(cache_slot pulumi-language-python-exec "$key"))"; return 1; }
}

# --- YAML language host, from the Go module proxy ------------------------------------------------
# github.com/pulumi/pulumi-yaml is served, but its go.mod asks for pkg/v3 and sdk/v3 v3.206.0, and
# built against those the host starts the Node.js host with a flag the v3.260.0 one no longer has
# (`-root`): a YAML program could not use a TypeScript component package. tools/engine/yaml/go.mod
# raises them (to which version and why: its header).
build_yaml() {
  local mod="$here/yaml" ver sdkver key t
  ver="$(cd "$mod" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi-yaml)"
  sdkver="$(cd "$mod" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)"
  if [ -z "$ver" ] || [ -z "$sdkver" ]; then
    fail yaml "cannot read the pulumi-yaml and sdk/v3 versions from $mod/go.mod (go list -m, above)"
    return 1
  fi
  key="$(recipe_key "$ver" "" "$mod/go.mod" "$mod/go.sum")"
  reuse pulumi-language-yaml "$key" && return 0
  log "building pulumi-language-yaml $ver (sdk/v3 and pkg/v3 $sdkver; 1.5-3 minutes on 2 cores) ..."
  t=$(date +%s)
  begin yaml
  build_and_keep yaml pulumi-language-yaml "$key" "$t" "$mod" -mod=readonly \
    -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$ver" \
    github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
}

# --- Docker provider, from source archives of pulumi-docker and its Terraform upstream --------
# pulumi-docker adds one package to the upstream provider: shim.NewProvider, the upstream
# provider.New at its given version.
docker_shim() {
  cat <<SHIM
// Package shim exposes the upstream provider (in an internal package) to the Pulumi bridge.
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the upstream Terraform Docker provider.
func NewProvider() *schema.Provider { return provider.New("$DOCKER_PROVIDER_VERSION")() }
SHIM
}
docker_key="$(recipe_key "$DOCKER_PROVIDER_VERSION" "$DOCKER_ARCHIVE_SHA256 $DOCKER_UPSTREAM_ARCHIVE_SHA256 $(docker_shim)")"
build_docker() {
  local w="$scratch/docker" key="$docker_key" t provider upstream
  if ! reuse pulumi-resource-docker "$key"; then
    begin docker
    provider="$(docker_archive)" ||
      { fail docker "source archive"; return 1; }
    upstream="$(docker_upstream_archive)" ||
      { fail docker "source archive"; return 1; }
    log "building pulumi-resource-docker $DOCKER_PROVIDER_VERSION (a cold build takes 5-10 minutes on 2 cores) ..."
    t=$(date +%s)
    # Side by side as in the pulumi-docker repository, so the provider's `../upstream` replace resolves.
    unpack "$provider" "$w/src" && unpack "$upstream" "$w/src/upstream" || { fail docker "cannot unpack the archives"; return 1; }
    mkdir -p "$w/src/upstream/shim" && docker_shim > "$w/src/upstream/shim/shim.go"
    # schema-embed.json (git-ignored upstream, so absent from a source archive) is schema.json with
    # the version set, written by the cmd's `go:generate go run ./generate.go`.
    if ! (cd "$w/src/provider" && VERSION="$DOCKER_PROVIDER_VERSION" GOFLAGS=-mod=mod \
      go generate ./cmd/pulumi-resource-docker >> "$w/build.log" 2>&1); then
      fail docker "go generate (schema-embed.json)"; return 1
    fi
    build_and_keep docker pulumi-resource-docker "$key" "$t" "$w/src/provider" -mod=mod -tags no_compose \
      -ldflags "-s -w -X $DOCKER_MODULE/pkg/version.Version=$DOCKER_PROVIDER_VERSION" \
      ./cmd/pulumi-resource-docker || return 1
  fi
  install_plugin docker "$docker_plugin_version" || fail docker "plugin install"
}

# --- Kubernetes provider, from the Go module proxy ---------------------------------------------
build_kubernetes() {
  local w="$scratch/kubernetes" key t pdir sdir sum
  key="$(recipe_key "$K8S_PROVIDER_VERSION" "$K8S_MODULE_VERSION $K8S_MODULE_SUM $K8S_SDK_VERSION")"
  if ! reuse pulumi-resource-kubernetes "$key"; then
    log "building pulumi-resource-kubernetes $K8S_PROVIDER_VERSION ($K8S_MODULE@$K8S_MODULE_VERSION) ..."
    t=$(date +%s)
    begin kubernetes
    pdir="$(mod_dir kubernetes "$K8S_MODULE@$K8S_MODULE_VERSION")" || pdir=""
    sdir="$(mod_dir kubernetes "$K8S_SDK_MODULE@$K8S_SDK_VERSION")" || sdir=""
    if [ -z "$pdir" ] || [ -z "$sdir" ]; then
      fail kubernetes "the Go module proxy refused a module the provider is built from (go mod download)"
      return 1
    fi
    sum="$(mod_sum "$K8S_MODULE@$K8S_MODULE_VERSION")"
    if [ "$sum" != "$K8S_MODULE_SUM" ]; then
      echo "$K8S_MODULE@$K8S_MODULE_VERSION: sum $sum, pinned $K8S_MODULE_SUM" >> "$w/build.log"
      fail kubernetes "module hash mismatch"; return 1
    fi
    # Side by side as in the pulumi-kubernetes repo, so the provider's `../sdk` replace resolves.
    copy_mod "$pdir" "$w/src/provider" && copy_mod "$sdir" "$w/src/sdk"
    # schema-embed.json and terraform-mapping-embed.json come from the cmd's generate.go.
    if ! (cd "$w/src/provider/cmd/pulumi-resource-kubernetes" && VERSION="$K8S_PROVIDER_VERSION" GOFLAGS=-mod=mod \
      go run -trimpath generate.go >> "$w/build.log" 2>&1); then
      fail kubernetes "go run generate.go (schema-embed.json)"; return 1
    fi
    build_and_keep kubernetes pulumi-resource-kubernetes "$key" "$t" "$w/src/provider" -mod=mod \
      -ldflags "-s -w -X $K8S_MODULE/pkg/version.Version=$K8S_PROVIDER_VERSION" \
      ./cmd/pulumi-resource-kubernetes || return 1
  fi
  install_plugin kubernetes "$k8s_plugin_version" || fail kubernetes "plugin install"
}

# ---------------------------------------------------------------------------------------------
start=$(date +%s)
# Every source archive a build will need is checked first, so a wrong one stops the run before the
# long builds start rather than after them.
archives_ok=1
if ! have pulumi-language-nodejs "$langhost_key"; then
  langhost_archive >/dev/null || archives_ok=0
fi
if [ "$want_docker" = 1 ] && ! have pulumi-resource-docker "$docker_key"; then
  docker_archive >/dev/null || archives_ok=0
  docker_upstream_archive >/dev/null || archives_ok=0
fi
if [ "$want_python" = 1 ] && ! have_python; then
  python_archive >/dev/null || archives_ok=0
fi
[ "$archives_ok" = 1 ] || die "nothing was built: the source archives above are missing or differ from their pins"
build_cli
cli_ok=$?
build_langhost
if [ "$cli_ok" = 0 ] && [ "$want_docker" = 1 ]; then build_docker; fi
if [ "$cli_ok" = 0 ] && [ "$want_k8s" = 1 ]; then build_kubernetes; fi
# The language hosts do not need the CLI to build; they are of no use without it either.
if [ "$want_python" = 1 ]; then build_python; fi
if [ "$want_yaml" = 1 ]; then build_yaml; fi
if [ "${#failed[@]}" -gt 0 ]; then
  log "done in $(elapsed "$start"); FAILED: ${failed[*]}"
  exit 1
fi
log "done in $(elapsed "$start"); now: source tools/engine/env.sh"
