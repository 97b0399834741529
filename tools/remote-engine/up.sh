#!/usr/bin/env bash
# Starts a second Docker engine, "remote": a dockerd of its own in a network namespace, reached over
# TLS only, as a user's engine on another machine would be (test/e2e/remote.sh deploys to it).
#
#   network namespace  dockyard-re-<h> (h: a hash of the checkout's path), a veth pair to the host
#                      (host end RHOST_IP, engine end RENGINE_IP, a /30 in 10.214.0.0/16), NO default
#                      route, and every packet leaving it for anything but RHOST_IP dropped
#   certificates       made here with openssl (.state/remote-engine/pki): a CA, the engine's server
#                      certificate (its address as IP subjectAltName), a client certificate the CA
#                      signed (client-*.pem), and a client certificate of ANOTHER CA (other-*.pem)
#   containerd         Debian's, its own root, state and socket (dockerd does not start one of its own
#                      when the system's socket exists; this one is never shared)
#   dockerd            its own --data-root, --exec-root, --pidfile, unix socket and daemon.json, -H
#                      tcp://RENGINE_IP:2376 --tlsverify; started as tools/ensure-dockerd.sh starts the
#                      main one: no systemd, setsid, the caller's open files closed (a lock that flock
#                      holds for the caller is not held by the daemon)
# Idempotent: a running engine is kept. State, logs and pids: .state/remote-engine (git-ignored);
# tools/remote-engine/down.sh removes all of it. Needs root. Prints the variables a client needs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=env.sh
. "$root/tools/remote-engine/env.sh"
log() { printf '[remote-engine] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespace, dockerd)"
for c in dockerd containerd containerd-shim-runc-v2 runc openssl ip nsenter iptables docker; do
  command -v "$c" >/dev/null 2>&1 || die "missing $c (Debian: docker.io, containerd, runc, openssl, iproute2, util-linux, iptables)"
done
mkdir -p "$rpki" "$rlogs" "$rrun" "$RDATA" "$REXEC" "$rstate/containerd"
chmod 700 "$rstate" "$rpki"

# --- network namespace ---------------------------------------------------------------------------
if [ ! -e "/run/netns/$RNETNS" ]; then
  ip -o addr show | grep -q " $RNET\.[0-3]/" && die "$RNET.0/30 is in use on this machine: set REMOTE_ENGINE_NET (three octets)"
  log "network namespace $RNETNS (veth $RVETH_HOST $RHOST_IP <-> $RVETH_ENGINE $RENGINE_IP)"
  # The first `ip netns add` makes /run/netns a mount of its own (and the folder): down.sh undoes
  # what this one made, once no namespace is left in it.
  if [ ! -d /run/netns ]; then echo folder >"$rstate/netns-dir.ours"; fi
  if ! mountpoint -q /run/netns 2>/dev/null; then echo mount >"$rstate/netns-mount.ours"; fi
  ip netns add "$RNETNS"
  ip link add "$RVETH_HOST" type veth peer name "$RVETH_ENGINE"
  ip link set "$RVETH_ENGINE" netns "$RNETNS"
  ip addr add "$RHOST_IP/30" dev "$RVETH_HOST"
  ip link set "$RVETH_HOST" up
  rnsx ip link set lo up
  rnsx ip addr add "$RENGINE_IP/30" dev "$RVETH_ENGINE"
  rnsx ip link set "$RVETH_ENGINE" up
  # Sealed: what leaves through the veth goes to the host's end or nowhere (dockerd leaves mangle alone).
  rnsx iptables -t mangle -A POSTROUTING -o "$RVETH_ENGINE" -d "$RHOST_IP/32" -j ACCEPT
  rnsx iptables -t mangle -A POSTROUTING -o "$RVETH_ENGINE" -j DROP
fi

# --- certificates ----------------------------------------------------------------------------------
# ca NAME CN: a CA's key and self-signed certificate
ca() {
  [ -s "$rpki/$1.pem" ] && return 0
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$rpki/$1-key.pem" -out "$rpki/$1.pem" 2>/dev/null
}
# leaf NAME CA CN EXTENSIONS: a key and a certificate CA signed
leaf() {
  [ -s "$rpki/$1-cert.pem" ] && openssl verify -CAfile "$rpki/$2.pem" "$rpki/$1-cert.pem" >/dev/null 2>&1 && return 0
  printf '[ext]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\n%s\n' "$4" >"$rpki/$1.ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$3" \
    -keyout "$rpki/$1-key.pem" -out "$rpki/$1.csr" 2>/dev/null
  openssl x509 -req -in "$rpki/$1.csr" -CA "$rpki/$2.pem" -CAkey "$rpki/$2-key.pem" -CAcreateserial -days 30 -sha256 \
    -extfile "$rpki/$1.ext" -extensions ext -out "$rpki/$1-cert.pem" 2>/dev/null
  rm -f "$rpki/$1.csr" "$rpki/$1.ext"
}
ca ca "dockyard remote engine CA"
ca other-ca "another CA"
leaf server ca "$RENGINE_IP" "extendedKeyUsage = serverAuth
subjectAltName = IP:$RENGINE_IP"
leaf client ca "dockyard client" "extendedKeyUsage = clientAuth"
leaf other other-ca "dockyard client of another CA" "extendedKeyUsage = clientAuth"
chmod 600 "$rpki"/*.pem

# --- containerd and dockerd ----------------------------------------------------------------------------
# detached NAME COMMAND...: in the namespace, its own session, no open file of the caller's, output to logs/NAME.log
detached() {
  local name="$1"
  shift
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd="${fd##*/}"
      [ "$fd" -le 2 ] || eval "exec $fd>&-" 2>/dev/null
    done
    exec setsid nohup nsenter "--net=/run/netns/$RNETNS" "$@"
  ) >>"$rlogs/$name.log" 2>&1 </dev/null &
  echo $! >"$rrun/$name.pid"
}
# wait_for NAME SECONDS COMMAND...
wait_for() {
  local name="$1" secs="$2" i
  shift 2
  for ((i = 0; i < secs * 2; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    ralive "$rrun/$name.pid" || { tail -20 "$rlogs/$name.log" >&2; die "$name exited (log: .state/remote-engine/logs/$name.log)"; }
    sleep 0.5
  done
  tail -20 "$rlogs/$name.log" >&2
  die "$name: no answer after ${secs}s (log: .state/remote-engine/logs/$name.log)"
}
cat >"$rstate/containerd.toml" <<TOML
# Written by tools/remote-engine/up.sh: the remote engine's own containerd.
version = 2
root = "$rstate/containerd/root"
state = "$rstate/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$RCONTAINERD_SOCK"
[ttrpc]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$rstate/containerd/opt"
TOML
echo '{}' >"$rstate/daemon.json"
if ! ralive "$rrun/containerd.pid"; then
  log "starting containerd"
  detached containerd containerd --config "$rstate/containerd.toml" --log-level warn
fi
wait_for containerd 30 test -S "$RCONTAINERD_SOCK"
if ! ralive "$rrun/dockerd.pid"; then
  log "starting dockerd -H $RHOST --tlsverify"
  detached dockerd dockerd --config-file "$rstate/daemon.json" --data-root "$RDATA" --exec-root "$REXEC" \
    --pidfile "$rrun/dockerd.pidfile" -H "unix://$RSOCK" -H "$RHOST" \
    --tlsverify --tlscacert "$rpki/ca.pem" --tlscert "$rpki/server-cert.pem" --tlskey "$rpki/server-key.pem" \
    --containerd "$RCONTAINERD_SOCK" --containerd-namespace dockyard-remote --containerd-plugins-namespace dockyard-remote-plugins
fi
wait_for dockerd 60 docker -H "unix://$RSOCK" info
log "dockerd answers at $RHOST (TLS) and unix://$RSOCK ($(docker -H "unix://$RSOCK" version --format '{{.Server.Version}}'))"
