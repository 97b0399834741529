#!/usr/bin/env bash
# A throwaway Redis server for tests and benchmarks: 127.0.0.1 only, data (append-only file, so
# queued votes survive a restart) and pid file in DIR.
#   redis.sh start DIR PORT | stop DIR
set -euo pipefail
cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,4p' "$0" >&2; exit 2; }

case "$cmd" in
  start)
    port="${3:-$(cat "$dir/port" 2>/dev/null)}"
    [ -n "$port" ] || { echo "redis.sh: no port" >&2; exit 2; }
    mkdir -p "$dir"
    echo "$port" > "$dir/port"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --pidfile "$dir/redis.pid" \
      --logfile "$dir/redis.log" --daemonize yes --save '' --appendonly yes --appendfsync everysec \
      --protected-mode yes
    for _ in $(seq 100); do
      if redis-cli -p "$port" ping >/dev/null 2>&1; then exit 0; fi
      sleep 0.1
    done
    echo "redis.sh: redis-server did not start on port $port" >&2
    tail -20 "$dir/redis.log" >&2 || true
    exit 1
    ;;
  stop)
    [ -f "$dir/redis.pid" ] || exit 0
    pid="$(cat "$dir/redis.pid")"
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
    fi
    rm -f "$dir/redis.pid"
    ;;
  *)
    echo "redis.sh: unknown command $cmd" >&2; exit 2
    ;;
esac
