# Shared by tools/remote-engine/up.sh and down.sh (sourced; needs $root): the second Docker engine's
# names and places, unique per checkout (h: a hash of its path), apart from the real Kubernetes
# node's (tools/k8s/node-env.sh: 10.213.x.0/30, dockyard-<h>).
# shellcheck shell=bash
# shellcheck disable=SC2034 # read by the scripts that source this file
h="$(printf '%s' "$root" | sha256sum | cut -c1-6)"
rstate="$root/.state/remote-engine"
rpki="$rstate/pki"
rssh="$rstate/ssh"
rlogs="$rstate/logs"
rrun="$rstate/run"
RDATA="$rstate/data"
REXEC="$rstate/exec"
RNETNS="dockyard-re-$h"
RVETH_HOST="dkr${h}h"
RVETH_ENGINE="dkr${h}e"
# The veth's /30: REMOTE_ENGINE_NET (three octets) or one derived from the hash, in 10.214.0.0/16.
RNET="${REMOTE_ENGINE_NET:-10.214.$((16#${h:0:2}))}"
RHOST_IP="$RNET.1"
RENGINE_IP="$RNET.2"
RPORT=2376
RSOCK="$rrun/docker.sock"
RCONTAINERD_SOCK="$rrun/containerd.sock"
# The engine as a client reaches it: over TLS, with the client certificate the suite made.
RHOST="tcp://$RENGINE_IP:$RPORT"
# Or over SSH, as root, with the client key up.sh made (its sshd in the namespace runs `docker system
# dial-stdio` against the engine's own socket).
RSSH_HOST="ssh://root@$RENGINE_IP"
rnsx() { nsenter "--net=/run/netns/$RNETNS" "$@"; }
# A pid that answers and is not a zombie.
ralive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$(cat "$1")/status" 2>/dev/null; }
# The pids of processes started from this state folder (dockerd, containerd, their shims, sshd), one a line.
rprocesses() {
  local dir pid
  for dir in /proc/[0-9]*; do
    pid="${dir#/proc/}"
    tr '\0' ' ' <"$dir/cmdline" 2>/dev/null | grep -qF -- "$rstate" && echo "$pid"
  done
  return 0
}
# The mount points under the state folder (the data root's overlays, the exec root's netns files), deepest first.
rmounts() { awk -v dir="$rstate" 'index($2, dir) == 1 { print $2 }' /proc/self/mounts | sort -r; }
