#!/usr/bin/env bash
# Builds tools/compose-oracle (compose-go, pinned in go.mod and go.sum, printing a file's canonical
# model) into a cache outside the checkout, beside a copy of compose-go's own testdata folders at
# that version, and prints the binary's path on its last line:
#   bin=$(bash tools/compose-oracle/build.sh | tail -n 1)
#   "$bin" compose.yaml                     # the model, as `docker compose config --format json`
#   ls "$(dirname "$bin")/testdata"         # compose-go's loader/testdata as loader/, cli/testdata as cli/
# Cache: ${DOCKYARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dockyard}/compose-oracle/<key>/, the key
# a hash of go.mod, go.sum, main.go and this script's RECIPE_REV. A cached build is used as it is,
# without Go and without network; otherwise Go 1.24 or newer builds it from the Go module proxy
# (or Go's module cache, offline, when it holds the modules). Build log: <cache>/<key>.log.
set -euo pipefail

RECIPE_REV=1 # bump to rebuild after a change to this recipe

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${DOCKYARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dockyard}/compose-oracle"
module=github.com/compose-spec/compose-go/v2

log() { echo "[compose-oracle] $*" >&2; }

key="$( (cat "$here/go.mod" "$here/go.sum" "$here/main.go"; echo "recipe $RECIPE_REV") | sha256sum | cut -c1-16)"
dir="$cache/$key"
bin="$dir/compose-oracle"
if [ -x "$bin" ] && [ -d "$dir/testdata" ]; then
  log "cached in $dir"
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "no go on PATH and no cached build in $dir: install Go 1.24 or newer"
  exit 1
fi
version="$(awk -v m="$module" '$1 == m { print $2 } $1 == "require" && $2 == m { print $3 }' "$here/go.mod")"
[ -n "$version" ] || { log "go.mod does not require $module"; exit 1; }

mkdir -p "$cache"
work="$(mktemp -d "$cache/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
buildlog="$cache/$key.log"
log "building with $(go env GOVERSION) and $module $version (log: $buildlog)"
start=$SECONDS
# readonly: a go.sum that misses an entry stops the build instead of being rewritten in the checkout;
# local: go.mod's go line never makes Go fetch a toolchain.
if ! (cd "$here" && export GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" &&
  go build -trimpath -o "$work/compose-oracle" . && go mod download -json "$module@$version" >"$work/module.json") \
  >"$buildlog" 2>&1; then
  log "build failed; see $buildlog"
  tail -n 20 "$buildlog" >&2
  exit 1
fi
moddir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' "$work/module.json")"
for folder in loader cli; do
  [ -d "$moddir/$folder/testdata" ] || { log "$moddir has no $folder/testdata"; exit 1; }
  mkdir -p "$work/testdata"
  cp -R "$moddir/$folder/testdata" "$work/testdata/$folder"
done
cp "$moddir/LICENSE" "$moddir/NOTICE" "$work/testdata/"
chmod -R u+w "$work/testdata"
rm -f "$work/module.json"
# Another build of the same key may have finished first: theirs is as good as ours.
if mv -T "$work" "$dir" 2>/dev/null; then
  trap - EXIT
fi
log "built in $((SECONDS - start))s: $dir"
echo "$bin"
