#!/usr/bin/env bash
# `npm test`: lint, the unit tests (the program under Pulumi mocks), then the voting app's services
# against real Redis and PostgreSQL (scripts/test-apps.sh starts them). Each suite prints its own
# runner's summary; the run ends with one line counting the suites (scripts/suites.sh) and exits
# non-zero when any failed. `npm test -- <jest args>` passes them to jest and skips the services.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=suites.sh
source scripts/suites.sh
eval "$(bash scripts/node.sh)"
# The npm dependencies, as scripts/deploy.sh installs them: when missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm dependencies (npm ci) =="
  npm ci --ignore-scripts --no-audit --no-fund || { suite_failed "npm dependencies"; suites_end; exit 1; }
fi
# The policy pack's own dependencies: its unit tests load @pulumi/policy and the provider SDKs from policy/.
if [ ! -f policy/node_modules/.package-lock.json ] || [ policy/package-lock.json -nt policy/node_modules/.package-lock.json ]; then
  echo "== npm dependencies of the policy pack (npm ci in policy/) =="
  (cd policy && npm ci --ignore-scripts --no-audit --no-fund) || { suite_failed "npm dependencies (policy)"; suites_end; exit 1; }
fi

echo "== lint (ESLint, Prettier) =="
suite lint npm run --silent lint

echo "== unit tests (Pulumi mocks) =="
suite "unit tests" npx jest --config jest.config.js "$@"

if [ "$#" -eq 0 ]; then
  echo "== services (real Redis and PostgreSQL) =="
  nested services bash scripts/test-apps.sh
fi
suites_end
