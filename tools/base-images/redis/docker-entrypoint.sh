#!/bin/sh
# Entrypoint of dockyard-local/redis:7, modelled on the official redis image's.
set -e

# `docker run image --maxmemory 1mb` or `docker run image /path/redis.conf`: run redis-server with them.
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi

if [ "$1" = "redis-server" ]; then
  shift
  # The official image builds redis with protected mode off; Debian's binary has it on, which refuses
  # clients from other containers when no password is set. With a config file (it must stay the first
  # argument) the file decides, as with the official image; otherwise listen everywhere, unprotected.
  if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    set -- redis-server "$@"
  else
    set -- redis-server --protected-mode no --bind '* -::*' "$@"
  fi
  if [ "$(id -u)" = "0" ]; then
    find . \! -user redis -exec chown redis '{}' + 2>/dev/null || true
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi

exec "$@"
