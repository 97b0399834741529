#!/bin/sh
# Entrypoint of dockyard-local/node:22, the same as the official node image's.
set -e

# Run the command with node if the first argument contains a "-" or is not a system command, so
# `docker run image script.js` and `docker run image --version` work.
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
