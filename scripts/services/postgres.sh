#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks: listens on 127.0.0.1 only, password auth
# over TCP, its data and socket in DIR. When run as root the server runs as the `postgres` user.
#   postgres.sh init DIR PORT PASSWORD [fast]   # initdb and start (fast: no fsync, for tests)
#   postgres.sh start DIR | stop DIR | status DIR
set -euo pipefail

pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$dir" ] || { echo "postgres.sh: no /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2; exit 1; }
  echo "$dir"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,6p' "$0" >&2; exit 2; }
bin="$(pg_bin)"

case "$cmd" in
  init)
    port="${3:?port}"; password="${4:?password}"; mode="${5:-}"
    mkdir -p "$dir/sock"
    printf '%s\n' "$password" > "$dir/pwfile"
    if [ "$(id -u)" = 0 ]; then
      chown -R postgres: "$dir"
      as_owner test -r "$dir/pwfile" || { echo "postgres.sh: user postgres cannot reach $dir (make its parents world-searchable)" >&2; exit 1; }
    fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "port = $port"
      echo "unix_socket_directories = '$dir/sock'"
      echo "max_connections = 200"
      if [ "$mode" = fast ]; then
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
      fi
    } | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
    "$0" start "$dir"
    ;;
  start)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null \
      || { tail -20 "$dir/postgres.log" >&2; exit 1; }
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
    ;;
  status)
    as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null
    ;;
  *)
    echo "postgres.sh: unknown command $cmd" >&2; exit 2
    ;;
esac
