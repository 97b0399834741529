#!/usr/bin/env bash
# Tests of the voting app's services (apps/vote, apps/worker, apps/result) against a real Redis and
# a real PostgreSQL, which this script starts on free loopback ports in a temp dir and stops on exit:
#   common  node:test, no servers                      apps/node-common/test
#   vote    pytest (Flask test client)                 apps/vote/tests
#   worker  node:test                                  apps/worker/test
#   result  node:test                                  apps/result/test
#   e2e     node:test, the three real processes and    apps/tests/test
#           headless Debian Chromium (playwright-core)
# Installs the apps' own dependencies first: `npm ci` in each Node package (node-common, the module
# worker and result share, is built first) and a venv in .tools/apps-venv with the pinned
# requirements. Needs Debian's redis-server, postgresql, chromium
# and python3 (with python3-venv). Each suite prints its runner's own summary; whether it passed
# is its exit code. Run alone, it ends with one line counting the suites (scripts/suites.sh); run by
# scripts/test.sh, that line is test.sh's. Exits non-zero on any failure.
#   scripts/test-apps.sh [common|vote|worker|result|e2e ...]   # default: all suites
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

suites=("$@")
[ "${#suites[@]}" -gt 0 ] || suites=(common vote worker result e2e)
for suite in "${suites[@]}"; do
  case "$suite" in
    common | vote | worker | result | e2e) ;;
    *) echo "test-apps.sh: unknown suite $suite (common, vote, worker, result, e2e)" >&2; exit 2 ;;
  esac
done

say() { printf '\n[apps] %s\n' "$*"; }
# shellcheck source=suites.sh
source scripts/suites.sh
# shellcheck source=services/apps-setup.sh
source scripts/services/apps-setup.sh

eval "$(bash scripts/node.sh)"
apps_prerequisites
[ -x "$APPS_CHROMIUM" ] || apps_die "$APPS_CHROMIUM is missing (apt-get install chromium)"
say "installing the apps' dependencies"
apps_install
say "building"
apps_build
say "starting redis-server and PostgreSQL"
apps_start_servers fast
venv="$APPS_VENV"

# --- suites -------------------------------------------------------------------------------------
run_pytest() {
  (cd apps/vote && PYTHONDONTWRITEBYTECODE=1 timeout 900 "$venv/bin/pytest" -p no:cacheprovider -v)
}
run_node() { # $1 = folder, $2 = test files
  (cd "$1" && timeout 900 node --test --test-concurrency=1 --test-reporter=spec "$2")
}

for suite in "${suites[@]}"; do
  case "$suite" in
    common) say "node-common: node:test"; suite "node-common (node:test)" run_node apps/node-common '.build/test/*.test.js' ;;
    vote) say "vote: pytest"; suite "vote (pytest)" run_pytest ;;
    worker) say "worker: node:test"; suite "worker (node:test)" run_node apps/worker '.build/test/*.test.js' ;;
    result) say "result: node:test"; suite "result (node:test)" run_node apps/result '.build/test/*.test.js' ;;
    e2e) say "cross-service and browser: node:test"; suite "e2e (node:test)" run_node apps/tests '.build/test/*.test.js' ;;
  esac
done
suites_end
