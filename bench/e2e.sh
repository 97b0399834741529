#!/usr/bin/env bash
# Benchmark (not a test), `npm run bench:e2e`: dockyard against Pulumi's own floor and against
# docker-compose, on the same machine in one sitting, RUNS runs of each (default 5), medians and ratios.
#   floor programs (bench/floor): an empty TypeScript program, and one with a single container, run
#     the way the Pulumi examples run (ts-node, transpile-only); and the same container as a program
#     of its own writes it with dockyard's Container (bench/floor/consumer, `dockyard/docker`)
#   dockyard (the voting app, Pulumi.e2e.yaml's settings, the compiled program of `npm run build`):
#     no-change `up --skip-preview`, no-change `up` (with preview), `preview`, cold `up` (images
#     built and cached, everything else new), `destroy`; and `dockyard up` (the command: the Automation
#     API, image and port checks, a refresh first on Docker) against `pulumi up --refresh --skip-preview`
#   docker-compose 1.29 on bench/docker-compose.yml (the same images, limits and health checks; the
#     apps wait for healthy stores, as the app's compose files do): `up -d` cold, cold until every
#     container is healthy, and `up -d` with no change; and cold until healthy with everything
#     started together as the stack starts it (bench/docker-compose.started.yml laid over it)
#   then bench/k8s.sh (root; BENCH_K8S=0 skips it): the stage stack's converge on a real Kubernetes
#     node against kubectl apply + rollout status of the same objects
# Goals printed at the end: no-change up <= 1.5x the one-container floor (with and without
# preview), cold up <= 1.0x compose until healthy, Kubernetes converge <= 1.5x kubectl. The
# machine's load is printed before and after.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=/dev/null
source test/e2e/env.sh
command -v docker-compose >/dev/null || bash -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null'

RUNS=${RUNS:-5}
STACK=bench
state="$root/.state/bench"
rm -rf "$state" && mkdir -p "$state/backend"
export PULUMI_BACKEND_URL="file://$state/backend" PULUMI_CONFIG_PASSPHRASE="bench-only-passphrase"
# In the project folder, where `dockyard up bench` reads it (removed at exit).
cp Pulumi.e2e.yaml "$root/Pulumi.$STACK.yaml"
cfg=(--stack "$STACK")
p() { pulumi --non-interactive "$@" "${cfg[@]}"; }
# The floors run as a TypeScript user's program runs fastest: ts-node without its type check.
floor() { (cd "bench/floor/$1" && shift && PULUMI_NODEJS_TRANSPILE_ONLY=true pulumi --non-interactive --stack bench "$@"); }
compose() { docker-compose -p dockyardbench -f bench/docker-compose.yml "$@"; }
compose_started() { docker-compose -p dockyardbench -f bench/docker-compose.yml -f bench/docker-compose.started.yml "$@"; }
export TAG=bench DB_PASSWORD=bench-db-password VOTE_PORT=28180 RESULT_PORT=28190 \
  REDIS_IMAGE=dockyard-local/redis:7 POSTGRES_IMAGE=dockyard-local/postgres:15

cleanup() {
  set +e
  p destroy --yes >/dev/null 2>&1
  for f in empty one consumer; do floor "$f" destroy --yes >/dev/null 2>&1; done
  compose down -v >/dev/null 2>&1
  # written by `pulumi stack init` (the passphrase salt)
  rm -f "$root/Pulumi.$STACK.yaml" "$root"/bench/floor/*/Pulumi.bench.yaml
}
trap cleanup EXIT

echo "[bench] load before: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min), $(nproc) CPUs"
npm run --silent build # the compiled program (program.js runs it when it is up to date)
pulumi stack init "$STACK" >/dev/null
pulumi config "${cfg[@]}" set --secret --path secrets.db-password "$DB_PASSWORD"
for kv in imageTag=bench services.vote.ports.http=28080 services.result.ports.http=28090 networks.frontend.subnet=10.232.1.0/24 networks.backend.subnet=10.232.2.0/24; do
  pulumi config "${cfg[@]}" set --path "${kv%%=*}" "${kv#*=}"
done
for f in empty one consumer; do (cd "bench/floor/$f" && pulumi --non-interactive stack init bench >/dev/null); done
echo "[bench] building the images with a first pulumi up (not timed)"
p up --yes >/dev/null
floor empty up --yes --skip-preview >/dev/null
floor one up --yes --skip-preview >/dev/null
floor consumer up --yes --skip-preview >/dev/null

# shellcheck source=measure.sh
source bench/measure.sh
all_healthy() {
  for _ in $(seq 1 240); do
    local states
    states=$(compose ps -q | xargs -r docker inspect -f '{{.State.Health.Status}}' | sort -u | tr '\n' ' ')
    [ "$states" = "healthy " ] && return 0
    sleep 0.25
  done
  return 1
}
compose_cold_healthy() { compose up -d && all_healthy; }
compose_started_healthy() { compose_started up -d && all_healthy; }

declare -A t
for i in $(seq 1 "$RUNS"); do
  t[floor_empty_skip]+="$(ms floor empty up --yes --skip-preview) "
  t[floor_one_skip]+="$(ms floor one up --yes --skip-preview) "
  t[floor_one_preview]+="$(ms floor one up --yes) "
  t[consumer_skip]+="$(ms floor consumer up --yes --skip-preview) "
  t[same_skip]+="$(ms p up --yes --skip-preview) "
  t[same_preview]+="$(ms p up --yes) "
  t[same_refresh]+="$(ms p up --yes --skip-preview --refresh) "
  t[dockyard_up]+="$(ms node cli/dockyard.js up "$STACK" --yes) "
  t[preview]+="$(ms p preview) "
  t[destroy]+="$(ms p destroy --yes) "
  t[cold]+="$(ms p up --yes --skip-preview) "
  compose down -v >/dev/null 2>&1
  t[compose_cold]+="$(ms compose up -d) "
  t[compose_same]+="$(ms compose up -d) "
  compose down -v >/dev/null 2>&1
  t[compose_cold_healthy]+="$(ms compose_cold_healthy) "
  compose down -v >/dev/null 2>&1
  t[compose_started_healthy]+="$(ms compose_started_healthy) "
  compose down -v >/dev/null 2>&1
  echo "[bench] run $i/$RUNS done"
done
echo "[bench] load after: $(cut -d' ' -f1-3 /proc/loadavg)"

table \
  "floor_empty_skip|floor: empty program, no-change up --skip-preview" \
  "floor_one_skip|floor: one container, no-change up --skip-preview" \
  "floor_one_preview|floor: one container, no-change up" \
  "consumer_skip|a program's one dockyard Container (dockyard/docker), no-change up --skip-preview" \
  "same_skip|dockyard: no-change up --skip-preview" \
  "same_preview|dockyard: no-change up" \
  "same_refresh|dockyard: no-change up --refresh --skip-preview" \
  "dockyard_up|dockyard up (the command), no change" \
  "preview|dockyard: preview" \
  "cold|dockyard: cold up --skip-preview (all healthy)" \
  "destroy|dockyard: destroy" \
  "compose_cold|compose: up -d, cold" \
  "compose_cold_healthy|compose: up -d, cold, until all healthy" \
  "compose_started_healthy|compose, all started together: until all healthy" \
  "compose_same|compose: up -d, no change"
echo
r1="$(ratio same_skip floor_one_skip)" r2="$(ratio same_preview floor_one_preview)" r3="$(ratio cold compose_cold_healthy)"
echo "no-change up --skip-preview, dockyard / one-container floor:   x$r1   (goal <= 1.5: $(goal "$r1" 1.5))"
echo "no-change up, dockyard / one-container floor:                  x$r2   (goal <= 1.5: $(goal "$r2" 1.5))"
echo "one dockyard Container / one-container floor, no-change up:   x$(ratio consumer_skip floor_one_skip)"
r4="$(ratio dockyard_up same_refresh)"
echo "dockyard up / pulumi up --refresh --skip-preview, no change:   x$r4   (goal <= 1.1: $(goal "$r4" 1.1))"
echo "cold up, dockyard / compose until all healthy:                 x$r3   (goal <= 1.0: $(goal "$r3" 1.0))"
echo "cold up, dockyard / compose started together, until healthy:   x$(ratio cold compose_started_healthy)"
echo "cold up, dockyard / compose up -d:                             x$(ratio cold compose_cold)"
echo "no-change up, dockyard / compose up -d:                        x$(ratio same_skip compose_same)"

# The Kubernetes side: converge on a real node against kubectl apply (root: the node's namespace).
if [ "${BENCH_K8S:-1}" = 1 ] && [ "$(id -u)" = 0 ]; then
  echo
  bash bench/k8s.sh
else
  echo "(the Kubernetes converge benchmark, bench/k8s.sh, skipped: it needs root, and BENCH_K8S=0 turns it off)"
fi
