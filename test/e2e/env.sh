# Sourced by the real-engine scripts (test/e2e, bench/e2e.sh): Node 22, the Pulumi engine
# (built offline once, then cached), a running Docker engine and the locally built base images.
# shellcheck shell=bash
eval "$(bash scripts/node.sh)"
bash tools/engine/build.sh
# shellcheck source=/dev/null
source tools/engine/env.sh
bash tools/ensure-dockerd.sh
bash tools/base-images/build.sh
# program.js runs the program transpile-only (no type check at each run: `npm test` and
# `npm run build` type-check it); compiled by `npm run build`, it also skips loading TypeScript.

# The account of a vote load, shared by the fault suites (kubernetes-faults.sh sources it by itself).
# shellcheck source=vote-account.sh
source test/e2e/vote-account.sh
