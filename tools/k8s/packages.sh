#!/usr/bin/env bash
# Installs the Debian packages that the local control plane and its end-to-end test use, only those
# missing. Needs root (or sudo).
#   openssl, curl        certificates and health checks (tools/k8s/up.sh)
#   docker-registry      the registry:2 of Docker's distribution project, as a program: the test's
#                        image registry on 127.0.0.1:5000 (its service is not started by the package)
# The Docker engine and debootstrap are installed by tools/ensure-dockerd.sh and
# tools/base-images/build.sh when missing; Go (for tools/k8s/build.sh) comes with the machine.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/../system-packages.sh" openssl curl docker-registry
