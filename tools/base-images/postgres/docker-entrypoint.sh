#!/usr/bin/env bash
# Entrypoint of dockyard-local/postgres:15, following the official postgres image's contract for what
# dockyard relies on:
#   POSTGRES_PASSWORD | POSTGRES_PASSWORD_FILE   superuser password (required unless
#                                                POSTGRES_HOST_AUTH_METHOD=trust)
#   POSTGRES_USER (default postgres), POSTGRES_DB (default $POSTGRES_USER), POSTGRES_INITDB_ARGS,
#   POSTGRES_HOST_AUTH_METHOD (default scram-sha-256) for connections over the network,
#   /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz run once, after initdb.
# initdb runs only when $PGDATA holds no database; an existing data directory (say a named volume reused
# by a replacement container) is used untouched, so the env of the new container does not change the
# password. The server runs as `postgres`; SIGTERM and SIGINT both trigger a fast shutdown.
set -Eeo pipefail

# file_env VAR [DEFAULT]: VAR from $VAR or from the file named by $VAR_FILE (both set is an error;
# the file's trailing newlines are dropped, as by the official image's `$(< file)`).
file_env() {
  local var="$1" fileVar="${1}_FILE" def="${2:-}" val
  if [ -n "${!var:-}" ] && [ -n "${!fileVar:-}" ]; then
    echo >&2 "error: both $var and $fileVar are set (but are exclusive)"
    exit 1
  fi
  val="$def"
  if [ -n "${!var:-}" ]; then
    val="${!var}"
  elif [ -n "${!fileVar:-}" ]; then
    val="$(<"${!fileVar}")"
  fi
  export "$var"="$val"
  unset "$fileVar"
}

# Runs postgres as a child so that SIGTERM (whose meaning for postgres is "smart" shutdown: wait for
# every client to disconnect) becomes SIGINT ("fast": roll back, disconnect, checkpoint, exit).
run_postgres() {
  postgres "$@" &
  local pid=$!
  trap 'kill -INT "$pid" 2>/dev/null || true' TERM INT
  trap 'kill -HUP "$pid" 2>/dev/null || true' HUP
  trap 'kill -QUIT "$pid" 2>/dev/null || true' QUIT
  trap 'kill -USR1 "$pid" 2>/dev/null || true' USR1
  trap 'kill -USR2 "$pid" 2>/dev/null || true' USR2
  # `wait` returns early whenever a trapped signal arrives; keep waiting until postgres is gone.
  while kill -0 "$pid" 2>/dev/null; do
    wait "$pid" || true
  done
  local status=0
  wait "$pid" || status=$?
  exit "$status"
}

process_init_files() {
  local f
  for f in "$@"; do
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then echo "$0: running $f"; "$f"
        else
          echo "$0: sourcing $f"
          # shellcheck source=/dev/null
          . "$f"
        fi ;;
      *.sql)    echo "$0: running $f"; psql_init "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | psql_init "$POSTGRES_DB" ;;
      *)        echo "$0: ignoring $f" ;;
    esac
  done
}

# psql_init DBNAME [psql args]: psql over the unix socket as the superuser.
psql_init() {
  local db="$1"; shift
  PGHOST='' PGHOSTADDR='' psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc \
    --dbname "$db" "$@"
}

init_database() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != "trust" ]; then
    cat >&2 <<'EOM'
error: the database is uninitialized and the superuser password is not specified.
       Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a non-empty value, or
       POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without a password (not recommended).
EOM
    exit 1
  fi

  local pwfile
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of arguments
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" $POSTGRES_INITDB_ARGS
  rm -f "$pwfile"

  # initdb leaves local (socket and loopback) connections on trust, as in the official image; every
  # other client must authenticate.
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

  # Temporary server on the unix socket only, for POSTGRES_DB and the init scripts.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
  if [ "$POSTGRES_DB" != "postgres" ]; then
    psql_init postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  shopt -s nullglob
  process_init_files /docker-entrypoint-initdb.d/*
  shopt -u nullglob
  pg_ctl -D "$PGDATA" -m fast -w stop
  echo
  echo 'PostgreSQL init process complete; ready for start up.'
  echo
}

# `docker run image -c max_connections=50`: run postgres with those options.
if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

# Anything but the server (or only asking it for help/version): run as given.
want_help() {
  local arg
  for arg; do
    case "$arg" in -'?'|--help|--describe-config|-V|--version) return 0 ;; esac
  done
  return 1
}
if [ "$1" != 'postgres' ] || want_help "$@"; then
  exec "$@"
fi

# As in the official image, the *_FILE variables are read before root is dropped, so a secret file
# only root may read works too (compose and dockyard write theirs 0444, /run/secrets/<name>). The
# values are exported and the *_FILE variables unset, so the run as postgres below reads nothing again.
file_env POSTGRES_PASSWORD
file_env POSTGRES_USER postgres
file_env POSTGRES_DB "$POSTGRES_USER"
file_env POSTGRES_INITDB_ARGS

if [ "$(id -u)" = '0' ]; then
  # As root: fix ownership of the data and socket directories, then run this script again as postgres.
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 00700 "$PGDATA" || :
  find "$PGDATA" \! -user postgres -exec chown postgres '{}' + 2>/dev/null || :
  chown postgres:postgres /var/run/postgresql
  chmod 03775 /var/run/postgresql
  export HOME=/var/lib/postgresql USER=postgres
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
export POSTGRES_HOST_AUTH_METHOD

if [ -s "$PGDATA/PG_VERSION" ]; then
  echo
  echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
  echo
else
  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA" 2>/dev/null || :
  init_database
fi

shift
run_postgres "$@"
