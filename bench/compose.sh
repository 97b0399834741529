#!/usr/bin/env bash
# Benchmark (not a test), `npm run bench:e2e`: on the same built images, a cold `pulumi up` of the
# voting app vs `docker-compose up -d` of bench/docker-compose.yml, and a no-change `pulumi up` vs
# `docker-compose up -d` on the running app. RUNS runs each (default 5); prints medians and ratios.
# Pulumi waits until every container is healthy; `docker-compose up -d` returns once the last
# container is started, so the compose rows are also given with the wait for all healthy added.
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
cp Pulumi.e2e.yaml "$state/Pulumi.$STACK.yaml"
export PULUMI_BACKEND_URL="file://$state/backend" PULUMI_CONFIG_PASSPHRASE="bench-only-passphrase"
cfg=(--stack "$STACK" --config-file "$state/Pulumi.$STACK.yaml")
p() { pulumi --non-interactive "$@" "${cfg[@]}"; }
compose() { docker-compose -p dockyardbench -f bench/docker-compose.yml "$@"; }
export TAG=bench DB_PASSWORD=bench-db-password VOTE_PORT=28180 RESULT_PORT=28190 \
  REDIS_IMAGE=dockyard-local/redis:7 POSTGRES_IMAGE=dockyard-local/postgres:15

cleanup() {
  set +e
  rm -f "$root/Pulumi.$STACK.yaml" # written by `pulumi stack init` (the passphrase salt)
  p destroy --yes >/dev/null 2>&1
  compose down -v >/dev/null 2>&1
}
trap cleanup EXIT

pulumi stack init "$STACK" >/dev/null
pulumi config --stack "$STACK" --config-file "$state/Pulumi.$STACK.yaml" set --secret --path secrets.db-password "$DB_PASSWORD"
for kv in imageTag=bench services.vote.ports.http=28080 services.result.ports.http=28090 networks.frontend.subnet=10.232.1.0/24 networks.backend.subnet=10.232.2.0/24; do
  pulumi config --stack "$STACK" --config-file "$state/Pulumi.$STACK.yaml" set --path "${kv%%=*}" "${kv#*=}"
done
echo "[bench] building the images with a first pulumi up (not timed)"
p up --yes >/dev/null

ms() { local start=$EPOCHREALTIME; "$@" >/dev/null 2>&1; echo $(( ($(date +%s%N) - ${start/./} * 1000) / 1000000 )); }
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
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A t
p destroy --yes >/dev/null
for i in $(seq 1 "$RUNS"); do
  t[pulumi_cold]+="$(ms p up --yes) "
  t[pulumi_same]+="$(ms p up --yes) "
  p destroy --yes >/dev/null
  compose down -v >/dev/null 2>&1
  t[compose_cold]+="$(ms compose up -d) "
  t[compose_same]+="$(ms compose up -d) "
  compose down -v >/dev/null 2>&1
  t[compose_cold_healthy]+="$(ms compose_cold_healthy) "
  echo "[bench] run $i/$RUNS done"
done

printf '\n%-44s %s\n' "measure ($RUNS runs)" "median ms   (all runs)"
for key in pulumi_cold compose_cold compose_cold_healthy pulumi_same compose_same; do
  printf '%-44s %8s   (%s)\n' "$key" "$(echo "${t[$key]}" | median)" "${t[$key]% }"
done
ratio() { awk -v a="$(echo "${t[$1]}" | median)" -v b="$(echo "${t[$2]}" | median)" 'BEGIN {printf "%.2f", a / b}'; }
echo
echo "cold up, pulumi / compose up -d:                    x$(ratio pulumi_cold compose_cold)"
echo "cold up, pulumi / compose up -d + all healthy:      x$(ratio pulumi_cold compose_cold_healthy)"
echo "no-change up, pulumi / compose up -d:               x$(ratio pulumi_same compose_same)"
