#!/usr/bin/env bash
# Builds a real Pulumi engine from pinned Go modules, without Pulumi's download site:
#   pulumi                         the CLI                    (module pins: scripts/engine/cli/go.mod)
#   pulumi-language-nodejs         the Node.js language host  (module pins: scripts/engine/nodejs/go.mod)
#   pulumi-resource-pulumi-nodejs  the dynamic-provider shim, copied from the sdk/v3 module
#   pulumi-resource-docker         the Docker provider        (pins: DOCKER_* below)
#   pulumi-resource-kubernetes     the Kubernetes provider    (pins: K8S_* below; only when asked for)
# into .tools/pulumi/bin, and installs the providers into PULUMI_HOME=.tools/pulumi/home under the
# plugin version that the installed @pulumi/<name> npm package asks for. Scratch work: .tools/engine-build.
#
# Usage:
#   scripts/engine/build.sh              CLI + language host + docker provider
#   scripts/engine/build.sh cli          CLI + language host only
#   scripts/engine/build.sh kubernetes   CLI + language host + kubernetes provider
#   scripts/engine/build.sh all          CLI + language host + docker + kubernetes
#   source scripts/engine/env.sh         then use `pulumi` (see env.sh)
#
# Reuse: every binary has a stamp (.tools/pulumi/bin/.stamps/NAME) naming the pinned version and a
# hash of its recipe; a binary whose stamp matches is not rebuilt, so a second run only checks.
# Go's own build cache (`go env GOCACHE`) and module cache make a rebuild after a pin change cheaper.
#
# An existing install is used instead: when a `pulumi` on PATH is not ours and the user's plugin
# cache (${PULUMI_HOME:-~/.pulumi}/plugins) already has every provider the target needs at the
# version the npm package asks for, nothing is built; env.sh then leaves PATH and PULUMI_HOME alone.
# DOCKYARD_ENGINE_BUILD=1 builds ours anyway (and env.sh prefers ours whenever it exists).
#
# Every component asked for is attempted, even after one fails; the exit code is 1 when any failed,
# and each failure is written to .tools/engine-build/<component>/FAILED.log with its command and output.
#
# Known limit (2026-11): the Go module proxy this project reaches refuses pulumi-docker's provider
# module and the upstream kreuzwerker/terraform-provider-docker (403 "This module version is not
# available"), so the docker step fails at `go mod download`. When a resource-docker plugin at the
# version @pulumi/docker asks for is already in .tools/pulumi/home, that step says so and uses it
# instead of failing. The rest of the docker recipe below has not run for that reason.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/scripts/engine"
bin="$root/.tools/pulumi/bin"
home="$root/.tools/pulumi/home"
scratch="$root/.tools/engine-build"
stamps="$bin/.stamps"
RECIPE_REV=1 # bump to force rebuilding everything after a change to this script's recipes

# --- Docker provider pins --------------------------------------------------------------------
# pulumi-docker's provider module has no tags of its own, only pseudo-versions. v5.1.0 is commit
# e944612c4c97; its upstream submodule is kreuzwerker/terraform-provider-docker at 5074970c71ce.
DOCKER_MODULE=github.com/pulumi/pulumi-docker/provider/v5
DOCKER_MODULE_VERSION=v5.0.0-20260626165050-e944612c4c97
DOCKER_PROVIDER_VERSION=5.1.0
DOCKER_UPSTREAM_MODULE=github.com/kreuzwerker/terraform-provider-docker
DOCKER_UPSTREAM_VERSION=v0.0.0-20260618190003-5074970c71ce
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
# Targets add up: `docker kubernetes` = `all`; no target = docker.
want_docker=0 want_k8s=0
[ "$#" -gt 0 ] || want_docker=1
for arg in "$@"; do
  case "$arg" in
    cli) ;;
    docker) want_docker=1 ;;
    kubernetes | k8s) want_k8s=1 ;;
    all) want_docker=1 want_k8s=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown target '$arg' (expected: cli, docker, kubernetes, all)" ;;
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
    cache="${PULUMI_HOME:-$HOME/.pulumi}/plugins"
    have=1
    [ "$want_docker" = 1 ] && [ ! -d "$cache/resource-docker-v$docker_plugin_version" ] && have=0
    [ "$want_k8s" = 1 ] && [ ! -d "$cache/resource-kubernetes-v$k8s_plugin_version" ] && have=0
    if [ "$have" = 1 ]; then
      log "using the installed $existing ($(pulumi version 2>/dev/null)) and the plugins in $cache; nothing to build"
      exit 0
    fi
    log "found $existing, but $cache lacks a plugin this target needs: building our own"
  fi
fi

# --- Go ---------------------------------------------------------------------------------------
command -v go >/dev/null 2>&1 || die "go is not on PATH (Go >= 1.26.6 is needed)"
export GOTOOLCHAIN=local CGO_ENABLED=0 GO111MODULE=on
unset GOFLAGS GOWORK
go_minor="$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
[ "${go_minor:-0}" -ge 26 ] || die "$(go version): Go >= 1.26.6 is needed"
mkdir -p "$bin" "$stamps" "$home" "$scratch"

# One build at a time per checkout: test scripts may call build.sh side by side.
if command -v flock >/dev/null 2>&1; then
  exec 9> "$scratch/.lock"
  if ! flock -n 9; then
    log "waiting for another scripts/engine/build.sh in this checkout ..."
    flock 9
  fi
fi

# Recipe key: name, version and a hash of everything that decides the binary.
recipe_key() { # $1 = version, rest = files
  local v="$1"; shift
  printf '%s rev%s go=%s %s\n' "$v" "$RECIPE_REV" "$(go env GOVERSION)" "$(cat "$@" | sha256sum | cut -c1-16)"
}
is_current() { # $1 = binary name, $2 = key
  [ -x "$bin/$1" ] && [ -f "$stamps/$1" ] && [ "$(cat "$stamps/$1")" = "$2" ]
}
stamp() { printf '%s\n' "$2" > "$stamps/$1"; }
elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

failed=()
fail() { # $1 = component; the rest of the message; the log is in $scratch/$1/FAILED.log
  failed+=("$1")
  log "FAILED: $1: ${*:2} (details: .tools/engine-build/$1/FAILED.log)" >&2
}

# `go mod download -json MOD@VER` into a log; prints the module's Dir. Fails on a refusal.
mod_dir() { # $1 = component (for logs), $2 = module@version
  local out
  out="$(cd "$scratch" && go mod download -json "$2" 2>&1)"
  if printf '%s' "$out" | grep -q '"Error"' || ! printf '%s' "$out" | grep -q '"Dir"'; then
    mkdir -p "$scratch/$1"
    { echo "\$ go mod download -json $2"; echo "$out"; } >> "$scratch/$1/FAILED.log"
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
# `go build` into a temp name, then move into place, so an interrupted build leaves no half binary.
go_build() { # $1 = log file, $2 = output binary, rest = go build args
  local logf="$1" out="$2"; shift 2
  if go build -trimpath -buildvcs=false -o "$out.partial" "$@" >> "$logf" 2>&1; then
    mv -f "$out.partial" "$out"
  else
    rm -f "$out.partial"
    return 1
  fi
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

# --- CLI + language host + dynamic-provider shim ---------------------------------------------
build_cli() {
  local mod="$here/cli" ver key t logf="$scratch/cli/build.log"
  mkdir -p "$scratch/cli"
  ver="$(cd "$mod" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
  key="$(recipe_key "$ver" "$mod/go.mod" "$mod/go.sum")"
  if is_current pulumi "$key"; then
    log "pulumi $ver is built ($("$bin/pulumi" version))"
  else
    log "building pulumi $ver (a cold build takes 10-20 minutes on 2 cores) ..."
    t=$(date +%s)
    if (cd "$mod" && go_build "$logf" "$bin/pulumi" -mod=readonly \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$ver" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi); then
      stamp pulumi "$key"
      log "built pulumi $ver in $(elapsed "$t")"
    else
      cp "$logf" "$scratch/cli/FAILED.log"; fail cli "go build of pulumi $ver"; return 1
    fi
  fi

  # The shim ships in the sdk/v3 module at the CLI's version.
  local sdkdir
  sdkdir="$(cd "$mod" && go mod download -json github.com/pulumi/pulumi/sdk/v3 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  if [ -f "$sdkdir/nodejs/dist/pulumi-resource-pulumi-nodejs" ]; then
    if ! cmp -s "$sdkdir/nodejs/dist/pulumi-resource-pulumi-nodejs" "$bin/pulumi-resource-pulumi-nodejs"; then
      cp "$sdkdir/nodejs/dist/pulumi-resource-pulumi-nodejs" "$bin/pulumi-resource-pulumi-nodejs"
      chmod 755 "$bin/pulumi-resource-pulumi-nodejs"
      log "copied pulumi-resource-pulumi-nodejs from sdk/v3 $ver"
    fi
  else
    echo "no nodejs/dist/pulumi-resource-pulumi-nodejs in '$sdkdir'" > "$scratch/cli/FAILED.log"
    fail cli "the dynamic-provider shim is missing from the sdk/v3 module"
  fi

  mod="$here/nodejs" logf="$scratch/nodejs/build.log"
  mkdir -p "$scratch/nodejs"
  ver="$(cd "$mod" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)"
  key="$(recipe_key "$ver" "$mod/go.mod" "$mod/go.sum")"
  if is_current pulumi-language-nodejs "$key"; then
    log "pulumi-language-nodejs $ver is built"
  else
    log "building pulumi-language-nodejs $ver ..."
    t=$(date +%s)
    if (cd "$mod" && go_build "$logf" "$bin/pulumi-language-nodejs" -mod=readonly \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$ver" \
      github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs); then
      stamp pulumi-language-nodejs "$key"
      log "built pulumi-language-nodejs $ver in $(elapsed "$t")"
    else
      cp "$logf" "$scratch/nodejs/FAILED.log"; fail nodejs "go build of pulumi-language-nodejs $ver"; return 1
    fi
  fi
}

# --- Docker provider ------------------------------------------------------------------------
build_docker() {
  local w="$scratch/docker" key t pdir udir logf
  logf="$w/build.log"
  key="$(printf '%s %s %s' "$DOCKER_MODULE_VERSION" "$DOCKER_UPSTREAM_VERSION" "$RECIPE_REV" | sha256sum | cut -c1-16)"
  key="$DOCKER_PROVIDER_VERSION $key"
  if is_current pulumi-resource-docker "$key"; then
    log "pulumi-resource-docker $DOCKER_PROVIDER_VERSION is built"
    install_plugin docker "$docker_plugin_version" || fail docker "plugin install"
    return
  fi
  log "building pulumi-resource-docker $DOCKER_PROVIDER_VERSION ($DOCKER_MODULE@$DOCKER_MODULE_VERSION) ..."
  t=$(date +%s)
  rm -rf "$w" && mkdir -p "$w"
  pdir="$(mod_dir docker "$DOCKER_MODULE@$DOCKER_MODULE_VERSION")" || pdir=""
  udir="$(mod_dir docker "$DOCKER_UPSTREAM_MODULE@$DOCKER_UPSTREAM_VERSION")" || udir=""
  if [ -z "$pdir" ] || [ -z "$udir" ]; then
    local cached="$home/plugins/resource-docker-v$docker_plugin_version/pulumi-resource-docker"
    if [ -x "$cached" ]; then
      # Like an existing pulumi install (see the top): a plugin already in the plugin cache is used.
      log "NOTE: docker: the Go module proxy refused the provider's modules (.tools/engine-build/docker/FAILED.log);"
      log "      using the resource-docker v$docker_plugin_version already in .tools/pulumi/home (not built by this script)"
      return 0
    fi
    fail docker "the Go module proxy refused a module the provider is built from (go mod download)"
    sed 's/^/    /' "$w/FAILED.log" >&2
    return 1
  fi
  # Laid out side by side as in the pulumi-docker repo, so the provider's `../upstream` replace resolves.
  copy_mod "$pdir" "$w/src/provider" && copy_mod "$udir" "$w/src/upstream"
  # pulumi-docker adds one package to the upstream provider: shim.NewProvider, the upstream
  # provider.New at its given version.
  mkdir -p "$w/src/upstream/shim"
  cat > "$w/src/upstream/shim/shim.go" <<EOF
// Package shim exposes the upstream provider (in an internal package) to the Pulumi bridge.
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the upstream Terraform Docker provider.
func NewProvider() *schema.Provider { return provider.New("$DOCKER_PROVIDER_VERSION")() }
EOF
  # schema-embed.json (git-ignored upstream, so absent from the module zip) is schema.json with
  # the version set, written by the cmd's `go:generate go run ./generate.go`.
  if ! (cd "$w/src/provider" && VERSION="$DOCKER_PROVIDER_VERSION" GOFLAGS=-mod=mod \
    go generate ./cmd/pulumi-resource-docker >> "$logf" 2>&1); then
    cp "$logf" "$w/FAILED.log"; fail docker "go generate (schema-embed.json)"; return 1
  fi
  if (cd "$w/src/provider" && GOFLAGS=-mod=mod go_build "$logf" "$bin/pulumi-resource-docker" -tags no_compose \
    -ldflags "-s -w -X $DOCKER_MODULE/pkg/version.Version=$DOCKER_PROVIDER_VERSION" \
    ./cmd/pulumi-resource-docker); then
    stamp pulumi-resource-docker "$key"
    log "built pulumi-resource-docker $DOCKER_PROVIDER_VERSION in $(elapsed "$t")"
  else
    cp "$logf" "$w/FAILED.log"; fail docker "go build"; return 1
  fi
  install_plugin docker "$docker_plugin_version" || fail docker "plugin install"
}

# --- Kubernetes provider --------------------------------------------------------------------
build_kubernetes() {
  local w="$scratch/kubernetes" key t pdir sdir sum logf
  logf="$w/build.log"
  key="$K8S_PROVIDER_VERSION $(printf '%s %s %s' "$K8S_MODULE_VERSION" "$K8S_SDK_VERSION" "$RECIPE_REV" | sha256sum | cut -c1-16)"
  if is_current pulumi-resource-kubernetes "$key"; then
    log "pulumi-resource-kubernetes $K8S_PROVIDER_VERSION is built"
    install_plugin kubernetes "$k8s_plugin_version" || fail kubernetes "plugin install"
    return
  fi
  log "building pulumi-resource-kubernetes $K8S_PROVIDER_VERSION ($K8S_MODULE@$K8S_MODULE_VERSION) ..."
  t=$(date +%s)
  rm -rf "$w" && mkdir -p "$w"
  pdir="$(mod_dir kubernetes "$K8S_MODULE@$K8S_MODULE_VERSION")" || pdir=""
  sdir="$(mod_dir kubernetes "$K8S_SDK_MODULE@$K8S_SDK_VERSION")" || sdir=""
  if [ -z "$pdir" ] || [ -z "$sdir" ]; then
    fail kubernetes "the Go module proxy refused a module the provider is built from (go mod download)"
    sed 's/^/    /' "$w/FAILED.log" >&2
    return 1
  fi
  sum="$(mod_sum "$K8S_MODULE@$K8S_MODULE_VERSION")"
  if [ "$sum" != "$K8S_MODULE_SUM" ]; then
    echo "$K8S_MODULE@$K8S_MODULE_VERSION: sum $sum, pinned $K8S_MODULE_SUM" > "$w/FAILED.log"
    fail kubernetes "module hash mismatch"; return 1
  fi
  # Side by side as in the pulumi-kubernetes repo, so the provider's `../sdk` replace resolves.
  copy_mod "$pdir" "$w/src/provider" && copy_mod "$sdir" "$w/src/sdk"
  # schema-embed.json and terraform-mapping-embed.json come from the cmd's generate.go.
  if ! (cd "$w/src/provider/cmd/pulumi-resource-kubernetes" && VERSION="$K8S_PROVIDER_VERSION" GOFLAGS=-mod=mod \
    go run -trimpath generate.go >> "$logf" 2>&1); then
    cp "$logf" "$w/FAILED.log"; fail kubernetes "go run generate.go (schema-embed.json)"; return 1
  fi
  if (cd "$w/src/provider" && GOFLAGS=-mod=mod go_build "$logf" "$bin/pulumi-resource-kubernetes" \
    -ldflags "-s -w -X $K8S_MODULE/pkg/version.Version=$K8S_PROVIDER_VERSION" \
    ./cmd/pulumi-resource-kubernetes); then
    stamp pulumi-resource-kubernetes "$key"
    log "built pulumi-resource-kubernetes $K8S_PROVIDER_VERSION in $(elapsed "$t")"
  else
    cp "$logf" "$w/FAILED.log"; fail kubernetes "go build"; return 1
  fi
  install_plugin kubernetes "$k8s_plugin_version" || fail kubernetes "plugin install"
}

# ---------------------------------------------------------------------------------------------
start=$(date +%s)
build_cli
cli_ok=$?
if [ "$cli_ok" = 0 ] && [ "$want_docker" = 1 ]; then build_docker; fi
if [ "$cli_ok" = 0 ] && [ "$want_k8s" = 1 ]; then build_kubernetes; fi
if [ "${#failed[@]}" -gt 0 ]; then
  log "done in $(elapsed "$start"); FAILED: ${failed[*]}"
  exit 1
fi
log "done in $(elapsed "$start"); now: source scripts/engine/env.sh"
