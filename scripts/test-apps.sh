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
# and python3 (with python3-venv). Ends with one line `apps: N passed, N failed`; exits non-zero on
# any failure.
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
tmp="$APPS_TMP"
venv="$APPS_VENV"

# --- suites -------------------------------------------------------------------------------------
names=() passed=() failed=() skipped=()
record() { names+=("$1"); passed+=("$2"); failed+=("$3"); skipped+=("$4"); }
count() { grep -Eo "$1" <<<"$2" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}'; }

run_pytest() {
  local log="$tmp/vote.log" code
  (cd apps/vote && PYTHONDONTWRITEBYTECODE=1 timeout 900 "$venv/bin/pytest" -p no:cacheprovider -v) 2>&1 | tee "$log"
  code=${PIPESTATUS[0]}
  local last; last="$(tail -n 1 "$log")"
  local p f e s
  p="$(count '[0-9]+ passed' "$last")"; f="$(count '[0-9]+ failed' "$last")"
  e="$(count '[0-9]+ errors?' "$last")"; s="$(count '[0-9]+ skipped' "$last")"
  f=$((f + e))
  if [ "$code" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  record "vote (pytest)" "$p" "$f" "$s"
}

run_node() {
  local name="$1" dir="$2" pattern="$3" tap="$tmp/$1.tap" code
  (cd "$dir" && timeout 900 node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "$pattern")
  code=$?
  local summary; summary="$(grep -E '^# (pass|fail|skipped|todo|cancelled) [0-9]+$' "$tap" 2>/dev/null || true)"
  local p f s
  p="$(count '# pass [0-9]+' "$summary")"
  f=$(( $(count '# fail [0-9]+' "$summary") + $(count '# cancelled [0-9]+' "$summary") ))
  s=$(( $(count '# skipped [0-9]+' "$summary") + $(count '# todo [0-9]+' "$summary") ))
  if [ "$code" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  record "$name (node:test)" "$p" "$f" "$s"
}

for suite in "${suites[@]}"; do
  case "$suite" in
    common) say "node-common: node:test"; run_node node-common apps/node-common '.build/test/*.test.js' ;;
    vote) say "vote: pytest"; run_pytest ;;
    worker) say "worker: node:test"; run_node worker apps/worker '.build/test/*.test.js' ;;
    result) say "result: node:test"; run_node result apps/result '.build/test/*.test.js' ;;
    e2e) say "cross-service and browser: node:test"; run_node e2e apps/tests '.build/test/*.test.js' ;;
  esac
done

# --- summary ------------------------------------------------------------------------------------
say "summary"
total_passed=0 total_failed=0 total_skipped=0
for i in "${!names[@]}"; do
  printf '  %-22s %4d passed, %d failed, %d skipped\n' "${names[$i]}" "${passed[$i]}" "${failed[$i]}" "${skipped[$i]}"
  total_passed=$((total_passed + passed[i]))
  total_failed=$((total_failed + failed[i]))
  total_skipped=$((total_skipped + skipped[i]))
done
# A skipped test is a test that did not run: it fails the run.
if [ "$total_skipped" -gt 0 ]; then
  echo "  $total_skipped test(s) skipped: none may be"
  total_failed=$((total_failed + total_skipped))
fi
echo "apps: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ] && [ "$total_passed" -gt 0 ]
