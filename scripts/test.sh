#!/usr/bin/env bash
# `npm test`: the unit tests (the program under Pulumi mocks), then the voting app's services
# against real Redis and PostgreSQL (scripts/test-apps.sh starts them). Prints one summary line per
# suite and exits non-zero when any failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
eval "$(bash scripts/node.sh)"

status=0
echo "== lint (ESLint, Prettier) =="
npm run --silent lint || status=1
echo "== unit tests (Pulumi mocks) =="
npx jest --config jest.config.js "$@" || status=1

if [ "$#" -eq 0 ]; then
  echo "== services (real Redis and PostgreSQL) =="
  bash scripts/test-apps.sh || status=1
fi
exit $status
