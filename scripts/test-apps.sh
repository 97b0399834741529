#!/usr/bin/env bash
# Tests of the voting app's services (apps/vote, apps/worker, apps/result) against a real Redis and
# a real PostgreSQL, which this script starts on free loopback ports in a temp dir and stops on exit:
#   vote    pytest (Flask test client)                 apps/vote/tests
#   worker  node:test                                  apps/worker/test
#   result  node:test                                  apps/result/test
#   e2e     node:test, the three real processes and    apps/tests/test
#           headless Debian Chromium (playwright-core)
# Installs the apps' own dependencies first: `npm ci` in each Node package and a venv in
# .tools/apps-venv with the pinned requirements. Needs Debian's redis-server, postgresql, chromium
# and python3 (with python3-venv). Ends with one line `apps: N passed, N failed`; exits non-zero on
# any failure.
#   scripts/test-apps.sh [vote|worker|result|e2e ...]   # default: all suites
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

suites=("$@")
[ "${#suites[@]}" -gt 0 ] || suites=(vote worker result e2e)

say() { printf '\n[apps] %s\n' "$*"; }
die() { printf '[apps] error: %s\n' "$*" >&2; exit 1; }

# --- prerequisites ------------------------------------------------------------------------------
eval "$(bash scripts/node.sh)"
command -v redis-server >/dev/null || die "redis-server is missing (apt-get install redis-server)"
command -v redis-cli >/dev/null || die "redis-cli is missing (apt-get install redis-tools)"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${PG_BIN:-}" ] || die "PostgreSQL is missing (apt-get install postgresql)"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$chromium" ] || die "$chromium is missing (apt-get install chromium)"
python="${PYTHON:-python3}"
command -v "$python" >/dev/null || die "python3 is missing (apt-get install python3 python3-venv)"
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  die "running as root needs the user postgres to run the database (apt-get install postgresql creates it)"
fi

# --- dependencies -------------------------------------------------------------------------------
say "installing the apps' dependencies"
for app in worker result tests; do
  (cd "apps/$app" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in apps/$app failed"
done
venv="$root/.tools/apps-venv"
wanted="$(cat apps/vote/requirements.txt apps/vote/requirements-test.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$wanted" ] || [ ! -x "$venv/bin/pytest" ]; then
  rm -rf "$venv"
  "$python" -m venv "$venv" || die "cannot create a venv with $python (apt-get install python3-venv)"
  "$venv/bin/pip" install --disable-pip-version-check -q -r apps/vote/requirements-test.txt || die "pip install failed"
  echo "$wanted" > "$venv/.requirements.sha256"
fi

say "building"
for app in worker result; do
  (cd "apps/$app" && rm -rf dist .build && npx tsc -p tsconfig.json && npx tsc -p tsconfig.test.json) || die "apps/$app does not compile"
done
(cd apps/tests && rm -rf .build && npx tsc -p tsconfig.json) || die "apps/tests does not compile"

# --- servers ------------------------------------------------------------------------------------
tmp="$(mktemp -d -t dockyard-apps.XXXXXX)"
chmod 755 "$tmp" # the postgres user must reach its data dir inside
cleanup() {
  bash scripts/services/redis.sh stop "$tmp/redis" >/dev/null 2>&1 || true
  bash scripts/services/postgres.sh stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

say "starting redis-server and PostgreSQL on 127.0.0.1"
redis_port="$(free_port)"
pg_port="$(free_port)"
pg_password="$(node -p "require('crypto').randomBytes(12).toString('hex')")"
bash scripts/services/redis.sh start "$tmp/redis" "$redis_port" || die "redis-server did not start"
bash scripts/services/postgres.sh init "$tmp/pg" "$pg_port" "$pg_password" fast || die "PostgreSQL did not start"
echo "redis on port $redis_port, PostgreSQL on port $pg_port"
export TEST_REDIS_PORT="$redis_port" TEST_PG_PORT="$pg_port" TEST_PG_PASSWORD="$pg_password" TEST_PG_DIR="$tmp/pg"
export TEST_PYTHON_BIN="$venv/bin" CHROMIUM_PATH="$chromium"

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
    vote) say "vote: pytest"; run_pytest ;;
    worker) say "worker: node:test"; run_node worker apps/worker '.build/test/*.test.js' ;;
    result) say "result: node:test"; run_node result apps/result '.build/test/*.test.js' ;;
    e2e) say "cross-service and browser: node:test"; run_node e2e apps/tests '.build/test/*.test.js' ;;
    *) die "unknown suite $suite (vote, worker, result, e2e)" ;;
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
