# Sourced by the real-engine scripts (test/e2e, bench/compose.sh): Node 22, the Pulumi engine
# (built offline once, then cached), a running Docker engine and the locally built base images.
# shellcheck shell=bash
eval "$(bash scripts/node.sh)"
bash tools/engine/build.sh
# shellcheck source=/dev/null
source tools/engine/env.sh
bash tools/ensure-dockerd.sh
bash tools/base-images/build.sh
# The program is type-checked by `npm test` (tsc through ts-jest); skipping ts-node's own check at
# every `pulumi` run halves the program's start (measured: no-change `up` 37 s -> 16 s here).
export PULUMI_NODEJS_TRANSPILE_ONLY=true
