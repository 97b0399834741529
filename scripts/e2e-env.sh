# Sourced by the real-engine scripts (test/e2e, bench/compose.sh): Node 22, the Pulumi engine
# (built offline once, then cached), a running Docker engine and the locally built base images.
# shellcheck shell=bash
eval "$(bash scripts/node.sh)"
bash scripts/engine/build.sh
# shellcheck source=/dev/null
source scripts/engine/env.sh
bash scripts/docker/ensure-dockerd.sh
bash scripts/docker/base-images.sh
