#!/usr/bin/env bash
# Shared by scripts/test-apps.sh and apps/bench/load.sh (source it from the repository root):
#   apps_prerequisites         checks the Debian tools the apps' tests and benchmark need
#   apps_install               npm ci in each Node package, a venv in .tools/apps-venv (pinned)
#   apps_build                 compiles the TypeScript apps and their tests
#   apps_start_servers [fast]  redis-server and PostgreSQL on free 127.0.0.1 ports in a temp dir,
#                              stopped by an EXIT trap; exports TEST_* for the tests
# Needs Node 22 on PATH (eval "$(bash scripts/node.sh)").

apps_die() { printf '[apps] error: %s\n' "$*" >&2; exit 1; }

APPS_VENV="$PWD/.tools/apps-venv"
APPS_CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

apps_prerequisites() {
  command -v redis-server >/dev/null || apps_die "redis-server is missing (apt-get install redis-server)"
  command -v redis-cli >/dev/null || apps_die "redis-cli is missing (apt-get install redis-tools)"
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${PG_BIN:-}" ] \
    || apps_die "PostgreSQL is missing (apt-get install postgresql)"
  command -v "${PYTHON:-python3}" >/dev/null || apps_die "python3 is missing (apt-get install python3 python3-venv)"
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    apps_die "as root, the database runs as the user postgres (apt-get install postgresql creates it)"
  fi
}

apps_install() {
  local app wanted
  for app in node-common worker result tests; do
    (cd "apps/$app" && npm ci --no-audit --no-fund --loglevel=error) || apps_die "npm ci in apps/$app failed"
  done
  wanted="$(cat apps/vote/requirements.txt apps/vote/requirements-test.txt | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$APPS_VENV/.requirements.sha256" 2>/dev/null)" != "$wanted" ] || [ ! -x "$APPS_VENV/bin/pytest" ]; then
    rm -rf "$APPS_VENV"
    "${PYTHON:-python3}" -m venv "$APPS_VENV" || apps_die "cannot create a venv (apt-get install python3-venv)"
    "$APPS_VENV/bin/pip" install --disable-pip-version-check -q -r apps/vote/requirements-test.txt \
      || apps_die "pip install -r apps/vote/requirements-test.txt failed"
    echo "$wanted" > "$APPS_VENV/.requirements.sha256"
  fi
}

apps_build() {
  local app
  # node-common first: worker and result import its compiled dist (a file: dependency).
  for app in node-common worker result; do
    (cd "apps/$app" && rm -rf dist .build && npx tsc -p tsconfig.json && npx tsc -p tsconfig.test.json) \
      || apps_die "apps/$app does not compile"
  done
  (cd apps/tests && rm -rf .build && npx tsc -p tsconfig.json) || apps_die "apps/tests does not compile"
}

apps_free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

apps_stop_servers() {
  [ -n "${APPS_TMP:-}" ] || return 0
  bash scripts/services/redis.sh stop "$APPS_TMP/redis" >/dev/null 2>&1 || true
  bash scripts/services/postgres.sh stop "$APPS_TMP/pg" >/dev/null 2>&1 || true
  rm -rf "$APPS_TMP"
  APPS_TMP=""
}

apps_start_servers() {
  local mode="${1:-}" redis_port pg_port password
  APPS_TMP="$(mktemp -d -t dockyard-apps.XXXXXX)"
  chmod 755 "$APPS_TMP" # the postgres user must reach its data dir inside
  trap apps_stop_servers EXIT
  trap 'exit 130' INT TERM
  redis_port="$(apps_free_port)"
  pg_port="$(apps_free_port)"
  password="$(node -p "require('crypto').randomBytes(12).toString('hex')")"
  bash scripts/services/redis.sh start "$APPS_TMP/redis" "$redis_port" || apps_die "redis-server did not start"
  bash scripts/services/postgres.sh init "$APPS_TMP/pg" "$pg_port" "$password" $mode || apps_die "PostgreSQL did not start"
  echo "redis-server on 127.0.0.1:$redis_port, PostgreSQL on 127.0.0.1:$pg_port (data in $APPS_TMP)"
  export TEST_REDIS_PORT="$redis_port" TEST_PG_PORT="$pg_port" TEST_PG_PASSWORD="$password" TEST_PG_DIR="$APPS_TMP/pg"
  export TEST_PYTHON_BIN="$APPS_VENV/bin" CHROMIUM_PATH="$APPS_CHROMIUM"
}
