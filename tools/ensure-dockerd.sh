#!/usr/bin/env bash
# Makes sure a Docker engine answers `docker info`.
#
#   tools/ensure-dockerd.sh
#
# - If `docker info` already answers (local socket or a remote engine named by DOCKER_HOST), does nothing.
# - If DOCKER_HOST names a remote engine (tcp://, ssh://, ...) that does not answer, fails: starting a
#   local daemon would not help the commands that talk to DOCKER_HOST.
# - Otherwise installs Debian's docker.io when dockerd (or the docker CLI) is missing, starts `dockerd`
#   in the background (no systemd needed) and waits until it answers.
#
# Environment:
#   DOCKYARD_DOCKERD_TIMEOUT  seconds to wait for the daemon (default 90)
#   DOCKYARD_DOCKERD_LOG      daemon log file (default .tools/docker/dockerd.log, git-ignored)
#   DOCKYARD_DOCKERD_ARGS     extra arguments for dockerd (word-split)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
timeout_s="${DOCKYARD_DOCKERD_TIMEOUT:-90}"
logfile="${DOCKYARD_DOCKERD_LOG:-$root/.tools/docker/dockerd.log}"

log() { echo "[docker] $*"; }
die() { echo "[docker] ERROR: $*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root (or sudo) to run: $*"; fi
}

engine_answers() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

describe_engine() {
  local v
  v="$(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')"
  log "engine answers at ${DOCKER_HOST:-the default socket} (server $v)"
}

if engine_answers; then
  describe_engine
  exit 0
fi

# A socket we could serve ourselves: unset DOCKER_HOST, or a unix:// socket on this machine.
listen_arg=()
if [ -n "${DOCKER_HOST:-}" ]; then
  case "$DOCKER_HOST" in
    unix://*) listen_arg=(-H "$DOCKER_HOST") ;;
    *) die "DOCKER_HOST=$DOCKER_HOST does not answer 'docker info'; start that engine or unset DOCKER_HOST" ;;
  esac
fi

# --- install -------------------------------------------------------------------------------------
if [ ! -x /usr/sbin/dockerd ] || ! command -v docker >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "dockerd is missing and apt-get is not available to install docker.io"
  log "installing Debian's docker.io (apt-get update first)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends docker.io iptables ca-certificates >/dev/null
  log "installed: $(/usr/sbin/dockerd --version)"
fi

# --- start ---------------------------------------------------------------------------------------
daemon_alive() {
  local pid
  [ -r /var/run/docker.pid ] || return 1
  pid="$(cat /var/run/docker.pid 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

if daemon_alive && [ ${#listen_arg[@]} -eq 0 ]; then
  log "dockerd is already running (pid $(cat /var/run/docker.pid)); waiting for it to answer"
else
  mkdir -p "$(dirname "$logfile")"
  args=("${listen_arg[@]}")
  # The default bridge uses MTU 1500; when the uplink is smaller (tunnels, cloud VMs) large packets from
  # containers can stall (TLS downloads hang), so match the uplink's MTU.
  uplink="$(ip route show default 2>/dev/null | awk '/default/ {for (i=1;i<NF;i++) if ($i=="dev") {print $(i+1); exit}}' || true)"
  if [ -n "$uplink" ] && [ -r "/sys/class/net/$uplink/mtu" ]; then
    mtu="$(cat "/sys/class/net/$uplink/mtu")"
    if [ "$mtu" -lt 1500 ] 2>/dev/null; then args+=(--mtu "$mtu"); fi
  fi
  # shellcheck disable=SC2206 # deliberate word splitting of user-supplied extra arguments
  if [ -n "${DOCKYARD_DOCKERD_ARGS:-}" ]; then args+=(${DOCKYARD_DOCKERD_ARGS}); fi
  log "starting dockerd ${args[*]} (log: ${logfile#"$root"/})"
  # setsid + nohup: the daemon must outlive this script and its process group; and it must not keep
  # the caller's open files (a lock that flock holds for the caller would stay held while it runs).
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd="${fd##*/}"
      [ "$fd" -le 2 ] || eval "exec $fd>&-" 2>/dev/null
    done
    as_root setsid nohup /usr/sbin/dockerd "${args[@]}"
  ) >>"$logfile" 2>&1 </dev/null &
  started_pid=$!
fi

# --- wait ----------------------------------------------------------------------------------------
start=$SECONDS
fail_with_log() {
  echo "[docker] ERROR: $1; last lines of $logfile:" >&2
  tail -n 30 "$logfile" >&2 2>/dev/null || echo "[docker] (no log at $logfile)" >&2
  exit 1
}
until docker info >/dev/null 2>&1; do
  if [ -n "${started_pid:-}" ] && ! kill -0 "$started_pid" 2>/dev/null; then
    fail_with_log "dockerd exited during startup"
  fi
  if [ $((SECONDS - start)) -ge "$timeout_s" ]; then
    fail_with_log "dockerd did not answer 'docker info' within ${timeout_s}s"
  fi
  sleep 1
done
log "dockerd answered after $((SECONDS - start))s"
describe_engine
