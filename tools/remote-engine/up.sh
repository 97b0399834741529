#!/usr/bin/env bash
# Starts a second Docker engine, "remote": a dockerd of its own in a network namespace, reached over
# TLS or SSH only, as a user's engine on another machine would be (test/e2e/remote.sh deploys to it).
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
#   sshd               OpenSSH's (openssh-server, installed by tools/system-packages.sh when missing;
#                      the package's own sshd is not left running), in the namespace on RENGINE_IP:22
#                      only, its own config, host key and pid file (.state/remote-engine/ssh): keys
#                      only, root's authorized key the client key made here (ssh/client), and the
#                      sessions' DOCKER_HOST the engine's unix socket, so `docker system dial-stdio`
#                      there (what a docker client over ssh:// runs) reaches this engine, never the
#                      main one; also an unauthorised key (ssh/other) and another host key
#                      (ssh/other_known_hosts) for the refusals
# Idempotent: a running engine is kept. State, logs and pids: .state/remote-engine (git-ignored);
# tools/remote-engine/down.sh removes all of it. Needs root. Prints the variables a client needs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=env.sh
. "$root/tools/remote-engine/env.sh"
log() { printf '[remote-engine] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespace, dockerd)"
for c in dockerd containerd containerd-shim-runc-v2 runc openssl ip nsenter iptables docker ssh ssh-keygen ss; do
  command -v "$c" >/dev/null 2>&1 || die "missing $c (Debian: docker.io, containerd, runc, openssl, iproute2, util-linux, iptables, openssh-client)"
done
# A host sshd on port 22 (the address any of this machine's): what installing openssh-server may start.
host_sshd() { ss -Hltnp 2>/dev/null | awk '$4 ~ /:22$/ && /"sshd"/ { print $4 }'; }
if [ ! -x /usr/sbin/sshd ]; then
  before="$(host_sshd)"
  log "installing openssh-server (tools/system-packages.sh)"
  bash "$root/tools/system-packages.sh" openssh-server >&2 || die "could not install openssh-server"
  if [ -z "$before" ] && [ -n "$(host_sshd)" ]; then
    # The package started the system's sshd: this machine did not run one before, so it does not now.
    log "stopping the sshd the package started (not this engine's)"
    service ssh stop >/dev/null 2>&1 || { [ -s /run/sshd.pid ] && kill "$(cat /run/sshd.pid)"; }
    sleep 0.5
    [ -z "$(host_sshd)" ] || die "an sshd the package started still listens on port 22: stop it (service ssh stop)"
  fi
fi
mkdir -p "$rpki" "$rssh" "$rlogs" "$rrun" "$RDATA" "$REXEC" "$rstate/containerd"
chmod 700 "$rstate" "$rpki" "$rssh"

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

# --- sshd ---------------------------------------------------------------------------------------------
# key NAME COMMENT: an ed25519 key without a passphrase (NAME and NAME.pub)
key() { [ -s "$rssh/$1" ] || ssh-keygen -q -t ed25519 -N "" -C "$2" -f "$rssh/$1"; }
key host_key "dockyard remote engine $RENGINE_IP"
key other_host_key "another machine"
key client "dockyard client"
key other "a key the engine does not take"
cp "$rssh/client.pub" "$rssh/authorized_keys"
# What a client pins: the engine machine's host key, and (for the refusal) another machine's under its address.
echo "$RENGINE_IP $(cut -d' ' -f1,2 "$rssh/host_key.pub")" >"$rssh/known_hosts"
echo "$RENGINE_IP $(cut -d' ' -f1,2 "$rssh/other_host_key.pub")" >"$rssh/other_known_hosts"
chmod 600 "$rssh"/*
# sshd's privilege separation folder: Debian's sshd needs it, made when missing (down.sh removes what it made).
if [ ! -d /run/sshd ]; then
  mkdir -p /run/sshd && chmod 755 /run/sshd
  echo folder >"$rstate/run-sshd.ours"
fi
cat >"$rssh/sshd_config" <<SSHD
# Written by tools/remote-engine/up.sh: the remote engine's own sshd, keys only, root only.
ListenAddress $RENGINE_IP:22
HostKey "$rssh/host_key"
PidFile "$rrun/sshd.pidfile"
AuthorizedKeysFile "$rssh/authorized_keys"
AllowUsers root
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PrintMotd no
# docker system dial-stdio in the sessions dials this engine, not the main one's /var/run/docker.sock.
SetEnv DOCKER_HOST=unix://$RSOCK
SSHD
/usr/sbin/sshd -t -f "$rssh/sshd_config" || die "sshd refuses its config ($rssh/sshd_config)"
if ! ralive "$rrun/sshd.pid"; then
  log "starting sshd on $RENGINE_IP:22"
  detached sshd /usr/sbin/sshd -D -f "$rssh/sshd_config" -E "$rlogs/sshd.log"
fi
ssh_listens() { rnsx ss -Hltn "sport = :22" | grep -q "$RENGINE_IP:22"; }
wait_for sshd 30 ssh_listens
ssh_options=(-i "$rssh/client" -o IdentitiesOnly=yes -o "UserKnownHostsFile=$rssh/known_hosts" -o GlobalKnownHostsFile=/dev/null
  -o StrictHostKeyChecking=yes -o BatchMode=yes)
[ "$(ssh "${ssh_options[@]}" "root@$RENGINE_IP" 'docker info -f {{.DockerRootDir}}' 2>"$rlogs/ssh-check.log")" = "$RDATA" ] ||
  die "ssh root@$RENGINE_IP does not reach this engine: $(tail -3 "$rlogs/ssh-check.log")"
log "sshd answers at $RSSH_HOST: docker there is this engine ($RDATA)"

# What a client needs (stdout): the engine's addresses, and the files to reach it with.
cat <<VARS
RHOST=$RHOST
RTLS_CA=$rpki/ca.pem
RTLS_CERT=$rpki/client-cert.pem
RTLS_KEY=$rpki/client-key.pem
RSSH_HOST=$RSSH_HOST
RSSH_KEY=$rssh/client
RSSH_KNOWN_HOSTS=$rssh/known_hosts
VARS
