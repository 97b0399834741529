#!/usr/bin/env bash
# `npm test`: the unit tests (the program under Pulumi mocks), then the voting app's services
# against real Redis and PostgreSQL (scripts/test-apps.sh starts them). Prints one summary line per
# suite and exits non-zero when any failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
eval "$(bash scripts/node.sh)"
# The npm dependencies, as scripts/deploy.sh installs them: when missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm dependencies (npm ci) =="
  npm ci --ignore-scripts --no-audit --no-fund || { echo "all: 0 passed, 1 failed"; exit 1; }
fi

status=0
passed=0
failed=0
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

echo "== lint (ESLint, Prettier) =="
if npm run --silent lint; then passed=$((passed + 1)); else failed=$((failed + 1)) status=1; fi

echo "== unit tests (Pulumi mocks) =="
npx jest --config jest.config.js --json --outputFile="$results/jest.json" "$@" || status=1
if [ -s "$results/jest.json" ]; then
  read -r p f < <(node -p 'const r = require(process.argv[1]); `${r.numPassedTests} ${r.numFailedTests + r.numRuntimeErrorTestSuites}`' "$results/jest.json")
  passed=$((passed + p)) failed=$((failed + f))
else
  failed=$((failed + 1))
fi

if [ "$#" -eq 0 ]; then
  echo "== services (real Redis and PostgreSQL) =="
  bash scripts/test-apps.sh | tee "$results/apps.txt" || status=1
  line="$(grep -E '^apps: [0-9]+ passed, [0-9]+ failed' "$results/apps.txt" | tail -1)"
  if [ -n "$line" ]; then
    read -r p f < <(echo "$line" | sed -E 's/^apps: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
    passed=$((passed + p)) failed=$((failed + f))
  else
    failed=$((failed + 1))
  fi
fi
# One closing line for the whole run (the lint counts as one check).
echo "all: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
