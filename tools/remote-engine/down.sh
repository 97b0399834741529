#!/usr/bin/env bash
# Stops the second Docker engine of tools/remote-engine/up.sh and leaves the machine as it was before
# it: sshd, dockerd and containerd stopped (and any shim or ssh session left), every mount under
# .state/remote-engine unmounted, the network namespace and the veth removed, /run/sshd when up.sh made
# it, .state/remote-engine (data root, exec root, certificates, keys, logs) removed. Safe to run when
# nothing is up. Needs root.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=env.sh
. "$root/tools/remote-engine/env.sh"
log() { printf '[remote-engine] %s\n' "$*" >&2; }
# stop NAME: TERM, up to 30 s, then KILL (dockerd stops its containers first)
stop() {
  local file="$rrun/$1.pid" pid i
  ralive "$file" || return 0
  pid="$(cat "$file")"
  log "stopping $1 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 60; i++)); do ralive "$file" || return 0; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null
  sleep 0.5
}
stop sshd
stop dockerd
stop containerd
for pid in $(rprocesses); do
  [ "$pid" = "$$" ] || kill -KILL "$pid" 2>/dev/null
done
# What still runs in the namespace: an ssh session sshd left (its command line does not name the state folder).
if [ -e "/run/netns/$RNETNS" ]; then
  for pid in $(ip netns pids "$RNETNS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
fi
for mount in $(rmounts); do umount -l "$mount" 2>/dev/null || true; done
if [ -e "/run/netns/$RNETNS" ]; then ip netns del "$RNETNS"; fi
if ip link show "$RVETH_HOST" >/dev/null 2>&1; then ip link del "$RVETH_HOST"; fi
# /run/netns as up.sh found it: its mount and folder, when up.sh's namespace made them and none is left.
if [ -e "$rstate/netns-mount.ours" ] && mountpoint -q /run/netns 2>/dev/null && [ -z "$(ls -A /run/netns)" ]; then
  umount /run/netns 2>/dev/null || umount -l /run/netns
fi
if [ -e "$rstate/netns-dir.ours" ] && [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then rmdir /run/netns; fi
if [ -e "$rstate/run-sshd.ours" ] && [ -d /run/sshd ] && [ -z "$(ls -A /run/sshd)" ]; then rmdir /run/sshd; fi
rm -rf "$rstate"
log "stopped and removed"
