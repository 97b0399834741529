#!/usr/bin/env bash
# Installs the Debian packages that the local control plane and its end-to-end test use, only those
# missing. Needs root (or sudo).
#   openssl, curl        certificates and health checks (tools/k8s/up.sh)
#   docker-registry      the registry:2 of Docker's distribution project, as a program: the test's
#                        image registry on 127.0.0.1:5000 (its service is not started by the package)
# With --node, also what the real node needs (tools/k8s/node-up.sh): containerd (its CRI plugin;
# started with its own config, never as the Debian service), runc, containernetworking-plugins
# (bridge, host-local, loopback, portmap in /usr/lib/cni), iptables, ipset, conntrack, socat
# (kubectl port-forward), iproute2 and util-linux (ip netns, nsenter).
# The Docker engine and debootstrap are installed by tools/ensure-dockerd.sh and
# tools/base-images/build.sh when missing; Go (for tools/k8s/build.sh) comes with the machine.
#   tools/k8s/packages.sh [--node]
set -euo pipefail
packages=(openssl curl docker-registry)
case "${1:-}" in
  "") ;;
  --node) packages+=(containerd runc containernetworking-plugins iptables ipset conntrack socat iproute2 util-linux) ;;
  *) echo "usage: tools/k8s/packages.sh [--node]" >&2; exit 2 ;;
esac
exec bash "$(dirname "${BASH_SOURCE[0]}")/../system-packages.sh" "${packages[@]}"
