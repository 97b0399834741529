#!/usr/bin/env bash
# The policy pack (policy/) on a real Pulumi engine (`npm run test:e2e:policy`): `pulumi preview
# --policy-pack policy --policy-pack-config policy/config.e2e.json` on an e2e-like Docker stack passes;
# the same stack publishing redis on the host, binding on 0.0.0.0, or leaving vote's root filesystem
# writable fails with the mandatory violation in the output and a non-zero exit; a policy config with
# a wrong type is refused. Then a
# target swarm stack: it passes policy/config.swarme2e.json, and fails with redis published on the
# nodes, or under the Docker e2e's config (a swarm publishes on every interface). A preview of a swarm
# stack needs no swarm (nothing swarm-only is asked of the engine before something is created), so the
# suite neither inits nor leaves one: it checks the engine's swarm state did not change. Preview only: nothing is
# created. Ends with "N passed, N failed".
set -euo pipefail
export LC_ALL=C
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=/dev/null
source test/e2e/env.sh

STACK=policye2e
state="$root/.state/policy-e2e"
log="$state/log"
rm -rf "$state" && mkdir -p "$state/backend" "$log"
export PULUMI_BACKEND_URL="file://$state/backend"
export PULUMI_CONFIG_PASSPHRASE="policy-e2e-only-passphrase"
# ok, fail, check, section, engine_before, engine_as_found
# shellcheck source=checks.sh
source test/e2e/checks.sh
# What the engine holds before the suite, without a label filter: previews create nothing on it.
engine_before
trap 'rm -f "$root/Pulumi.$STACK.yaml"' EXIT
# What the pack reported in the preview NAME at LEVEL: "policy count" lines, in name order.
reported() { { grep -oE "^ +- \[$2\] +[a-z-]+" "$log/$1.txt" || true; } | awk '{print $3}' | sort | uniq -c | awk '{print $2, $1}'; }
# The stacks' advisory findings today (policy/config.*.json: advisory until the targets' defaults meet
# it): bounded-restarts on each of the five services.
PENDING="bounded-restarts 5"

section "policy pack dependencies (npm ci in policy/)"
if [ ! -d policy/node_modules/@pulumi/policy ] || [ policy/package-lock.json -nt policy/node_modules ]; then
  (cd policy && npm ci --ignore-scripts --no-audit --no-fund) >"$log/npm-ci.txt" 2>&1 || { fail "npm ci in policy/" "$(tail -20 "$log/npm-ci.txt")"; echo "$passed passed, $failed failed"; exit 1; }
fi
ok "policy/node_modules"

# An e2e-like stack: the e2e stage's settings, its own subnets, nothing deployed.
write_config() {
  cat >"$state/Pulumi.$1.yaml" <<YAML
config:
  dockyard:target: docker
  dockyard:bindAddress: 127.0.0.1
  dockyard:imageTag: policye2e
  dockyard:services:
    vote:
      ports: { http: 18380 }
    result:
      ports: { http: 18390 }
    redis:
      image: dockyard-local/redis:7
    db:
      image: dockyard-local/postgres:15
  dockyard:buildArgs:
    PYTHON_IMAGE: dockyard-local/python:3.11
    NODE_IMAGE: dockyard-local/node:22
  dockyard:networks:
    frontend: { subnet: 10.235.1.0/24 }
    backend: { subnet: 10.235.2.0/24 }
YAML
}
pulumi --non-interactive stack init "$STACK" >/dev/null
# preview NAME CONFIG POLICY-CONFIG: exit code in $rc, output in $log/NAME.txt
preview() {
  set +e
  pulumi --non-interactive --stack "$STACK" preview --config-file "$state/Pulumi.$2.yaml" \
    --policy-pack policy --policy-pack-config "$3" >"$log/$1.txt" 2>&1
  rc=$?
  set -e
}
write_config good
pulumi --non-interactive config --stack "$STACK" --config-file "$state/Pulumi.good.yaml" set --secret --path secrets.db-password policy-e2e-password-1
for name in published anyaddress writable; do cp "$state/Pulumi.good.yaml" "$state/Pulumi.$name.yaml"; done
# redis published on the host (the incident), and every port on 0.0.0.0
sed -i 's|      image: dockyard-local/redis:7|      image: dockyard-local/redis:7\n      ports: { redis: 16379 }|' "$state/Pulumi.published.yaml"
sed -i 's|dockyard:bindAddress: 127.0.0.1|dockyard:bindAddress: 0.0.0.0|' "$state/Pulumi.anyaddress.yaml"
# vote's root filesystem writable (a stage can say so; the pack's read-only-root refuses it)
# (`pulumi config set` has rewritten the file: `ports: {http: 18380}`)
sed -i 's|^\(      ports: {.*18380 *}\)$|\1\n      security: { readOnlyRootFilesystem: false }|' "$state/Pulumi.writable.yaml"
grep -q 'readOnlyRootFilesystem: false' "$state/Pulumi.writable.yaml" || fail "vote's security set in Pulumi.writable.yaml" "$(cat "$state/Pulumi.writable.yaml")"

section "the e2e-like stack passes its pack (mandatory)"
preview good good policy/config.e2e.json
if [ "$rc" -eq 0 ]; then ok "pulumi preview --policy-pack policy: exit 0"; else fail "pulumi preview --policy-pack policy: exit $rc" "$(tail -30 "$log/good.txt")"; fi
if grep -q "Policies:" "$log/good.txt" && grep -q "dockyard@v" "$log/good.txt"; then ok "the pack ran (its name in the Policies section)"; else fail "the pack ran" "$(tail -30 "$log/good.txt")"; fi
if [ -z "$(reported good mandatory)" ] && [ "$(reported good advisory)" = "$PENDING" ]; then
  ok "no mandatory violation; advisory: $PENDING"
else
  fail "no mandatory violation, advisory only $PENDING" "$(grep -nE -A3 '\[(mandatory|advisory)\]' "$log/good.txt" | head -20)"
fi

section "redis published on the host: mandatory violation, non-zero exit"
preview published published policy/config.e2e.json
if [ "$rc" -ne 0 ]; then ok "preview fails (exit $rc)"; else fail "preview fails" "$(tail -30 "$log/published.txt")"; fi
if grep -q 'mandatory' "$log/published.txt" && grep -q 'redis is not one of the publishers (vote, result)' "$log/published.txt"; then
  ok "host-ports names redis-1, its port and the fix"
else
  fail "host-ports violation in the output" "$(tail -30 "$log/published.txt")"
fi

section "ports on 0.0.0.0: mandatory violation, non-zero exit"
preview anyaddress anyaddress policy/config.e2e.json
if [ "$rc" -ne 0 ]; then ok "preview fails (exit $rc)"; else fail "preview fails" "$(tail -30 "$log/anyaddress.txt")"; fi
if grep -q 'ports\[0\].ip is "0.0.0.0" (every interface), not the configured bind address 127.0.0.1' "$log/anyaddress.txt"; then
  ok "host-ports names the address and the fix"
else
  fail "host-ports violation in the output" "$(tail -30 "$log/anyaddress.txt")"
fi

section "vote's root filesystem writable: mandatory violation, non-zero exit"
preview writable writable policy/config.e2e.json
if [ "$rc" -ne 0 ]; then ok "preview fails (exit $rc)"; else fail "preview fails" "$(tail -30 "$log/writable.txt")"; fi
if [ "$(reported writable mandatory)" = "read-only-root 1" ] &&
  grep -q 'docker:index/container:Container "vote-1": readOnly is not set, so the container.s processes can write to its root filesystem' "$log/writable.txt" &&
  grep -q 'or add "vote" to this policy.s writableRoots' "$log/writable.txt"; then
  ok "read-only-root names vote-1, readOnly and the fix"
else
  fail "read-only-root violation in the output" "$(grep -nE -A3 '\[mandatory\]' "$log/writable.txt" | head -20)"
fi

section "the same under dev's config: advisory, preview succeeds"
preview anyaddress-dev anyaddress policy/config.dev.json
if [ "$rc" -eq 0 ] && grep -q 'ports\[0\].ip is "0.0.0.0"' "$log/anyaddress-dev.txt"; then ok "advisory warning, exit 0"; else fail "advisory in dev (exit $rc)" "$(tail -30 "$log/anyaddress-dev.txt")"; fi

section "a policy config of the wrong type is refused"
echo '{ "all": "mandatory", "replicas": { "minReplicas": "two" } }' >"$state/bad-config.json"
preview badconfig good "$state/bad-config.json"
if [ "$rc" -ne 0 ] && grep -qi 'minReplicas' "$log/badconfig.txt"; then ok "refused, naming minReplicas (exit $rc)"; else fail "bad policy config refused (exit $rc)" "$(tail -20 "$log/badconfig.txt")"; fi

# The swarm suite's stack (test/e2e/swarm.yaml) with its own ports and subnets.
swarm_before="$(docker info -f '{{.Swarm.LocalNodeState}}')"
sed -e 's/18580/18680/; s/18590/18690/; s/10\.241\./10.237./g; s/swarme2e/policye2e/' test/e2e/swarm.yaml >"$state/Pulumi.swarm.yaml"
grep -q 'dockyard:target: swarm' "$state/Pulumi.swarm.yaml" || { fail "test/e2e/swarm.yaml is a target swarm stack" "$(cat "$state/Pulumi.swarm.yaml")"; }
pulumi --non-interactive config --stack "$STACK" --config-file "$state/Pulumi.swarm.yaml" set --secret --path secrets.db-password policy-e2e-password-1
cp "$state/Pulumi.swarm.yaml" "$state/Pulumi.swarmredis.yaml"
sed -i 's|      image: dockyard-local/redis:7|      image: dockyard-local/redis:7\n      ports: { redis: 16379 }|' "$state/Pulumi.swarmredis.yaml"

section "target swarm: the swarm suite's stack passes its pack (mandatory; engine swarm state: $swarm_before)"
preview swarm swarm policy/config.swarme2e.json
if [ "$rc" -eq 0 ]; then ok "pulumi preview --policy-pack policy: exit 0"; else fail "pulumi preview --policy-pack policy: exit $rc" "$(tail -30 "$log/swarm.txt")"; fi
if grep -q 'docker:index:Service' "$log/swarm.txt" && grep -q "dockyard@v" "$log/swarm.txt"; then ok "the pack ran on the stack's swarm services"; else fail "the pack ran on swarm services" "$(tail -30 "$log/swarm.txt")"; fi
if [ -z "$(reported swarm mandatory)" ] && [ "$(reported swarm advisory)" = "$PENDING" ]; then
  ok "no mandatory violation; advisory: $PENDING"
else
  fail "no mandatory violation, advisory only $PENDING" "$(grep -nE -A3 '\[(mandatory|advisory)\]' "$log/swarm.txt" | head -20)"
fi

section "target swarm: redis published on the nodes: mandatory violation, non-zero exit"
preview swarmredis swarmredis policy/config.swarme2e.json
if [ "$rc" -ne 0 ]; then ok "preview fails (exit $rc)"; else fail "preview fails" "$(tail -30 "$log/swarmredis.txt")"; fi
if grep -q 'host-ports' "$log/swarmredis.txt" && grep -q 'endpointSpec.ports\[0\] publishes container port 6379 on port 16379 of every interface of the node that runs the task (publishMode host), but redis is not one of the publishers (vote, result)' "$log/swarmredis.txt"; then
  ok "host-ports names the redis service, its port and the fix"
else
  fail "host-ports violation in the output" "$(tail -30 "$log/swarmredis.txt")"
fi

section "target swarm under the Docker e2e's config (bind address 127.0.0.1): every interface refused"
preview swarm-e2econfig swarm policy/config.e2e.json
if [ "$rc" -ne 0 ]; then ok "preview fails (exit $rc)"; else fail "preview fails" "$(tail -30 "$log/swarm-e2econfig.txt")"; fi
if grep -q 'host-ports' "$log/swarm-e2econfig.txt" && grep -q 'publishes port 18680 on every interface of the node that runs the task (publishMode host), not on the configured bind address 127.0.0.1: a swarm cannot bind one address' "$log/swarm-e2econfig.txt"; then
  ok "host-ports names vote's port, the scope and the fix"
else
  fail "host-ports violation in the output" "$(tail -30 "$log/swarm-e2econfig.txt")"
fi
swarm_after="$(docker info -f '{{.Swarm.LocalNodeState}}')"
if [ "$swarm_after" = "$swarm_before" ]; then ok "the engine's swarm state is unchanged ($swarm_after): a preview needs no swarm"; else fail "the engine's swarm state changed" "before $swarm_before, after $swarm_after"; fi
engine_as_found "the engine holds the containers, networks, volumes and untagged images it held before the suite, no more"

printf '\npolicy e2e finished in %ds; logs in .state/policy-e2e/log\n' $((SECONDS - t0))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
