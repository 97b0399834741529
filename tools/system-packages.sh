#!/usr/bin/env bash
# Installs Debian packages, only those missing. Needs root (or sudo). With no arguments, the ones
# `npm test` uses; other scripts pass their own list (tools/k8s/packages.sh).
#   redis-server, postgresql: the services' tests run against the real servers
#   chromium: the browser check of the result page (headless; no browser download)
#   graphviz: dot, which renders `dockyard diagram --format svg` (its tests, docs/diagram-dev.svg)
#   python3, python3-venv: the vote service's tests (a venv with pinned requirements)
# (The end-to-end scripts install Docker and debootstrap themselves: tools/ensure-dockerd.sh,
# tools/base-images/build.sh.)
set -euo pipefail
packages=(redis-server postgresql chromium graphviz python3 python3-venv)
[ "$#" -eq 0 ] || packages=("$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "[packages] all present: ${packages[*]}"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "[packages] installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "[packages] installed"
