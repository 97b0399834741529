#!/usr/bin/env bash
# Copies images from the local Docker engine into the real node's containerd (namespace k8s.io,
# where the kubelet looks), e.g. the stand-in base images of tools/base-images:
#   tools/k8s/node-images.sh dockyard-local/redis:7 voting-vote:dev
# A pod then uses them without any pull, as long as its tag is not `latest` (or imagePullPolicy is
# IfNotPresent/Never): the node has no registry to pull from. An image whose ID containerd already
# holds under that name is skipped. Needs root; tools/k8s/node-up.sh must have started the node.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=node-env.sh
. "$root/tools/k8s/node-env.sh"
log() { printf '[k8s-node-images] %s\n' "$*"; }
[ "$#" -gt 0 ] || { echo "usage: tools/k8s/node-images.sh IMAGE..." >&2; exit 2; }
[ -S "$CONTAINERD_SOCK" ] && ctr_ version >/dev/null 2>&1 || { log "ERROR: the node's containerd does not answer: run tools/k8s/node-up.sh" >&2; exit 1; }
n=0
for image in "$@"; do
  id="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null)" || { log "ERROR: no image $image in the Docker engine" >&2; exit 1; }
  # containerd names it as the CRI does: docker.io/ for a name without a registry, :latest without a tag
  name="$image"
  case "$name" in
    */*) case "${name%%/*}" in *.*|*:*|localhost) ;; *) name="docker.io/$name" ;; esac ;;
    *) name="docker.io/library/$name" ;;
  esac
  case "${name##*/}" in *:*|*@*) ;; *) name="$name:latest" ;; esac
  record="$nstate/images/$(printf '%s' "$name" | tr '/:@' '___')"
  if [ "$(cat "$record" 2>/dev/null)" = "$id" ] && ctr_ images ls -q "name==$name" | grep -q .; then
    log "$image is in the node already"
    continue
  fi
  t=$(date +%s)
  docker save "$image" | ctr_ images import - >/dev/null
  mkdir -p "$nstate/images" && echo "$id" > "$record"
  log "imported $image as $name in $(( $(date +%s) - t ))s"
  n=$((n + 1))
done
log "$n of $# images imported into the node's containerd"
