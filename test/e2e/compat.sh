#!/usr/bin/env bash
# State compatibility across the stack-config redesign (`npm run test:e2e:compat`). First, under
# Pulumi mocks, every stage file (Pulumi.<stage>.yaml, old shape in the baseline, new shape here)
# registers the same resources with the same inputs, parents and options, but the intended
# differences. Then it deploys the e2e
# stage with the last release of the old flat config (BASELINE, a commit of this repository, run
# from a git worktree) on a real Docker engine, then previews the same stack with this checkout and
# the same settings in the new shape: the preview may change only what test/e2e/compat/intended.json
# lists (each with what it costs an upgraded stack and why), the upgrade's `pulumi up` applies it,
# and a preview after it has no changes. Users who upgrade and rewrite their stage file see nothing
# else replaced, updated or deleted.
# Talks only to 127.0.0.1 and the containers it created. Ends with "N passed, N failed".
set -euo pipefail
export LC_ALL=C
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=/dev/null
source test/e2e/env.sh

# The last commit with the flat keys (votePort, voteReplicas, frontendSubnet, postgresPassword...).
BASELINE=12b2eb5
STACK=compat
state="$root/.state/compat"
log="$state/log"
old="$state/baseline"
# ok, fail, check, section, remove_leftovers, engine_before, engine_as_found (and engine_state, added)
# shellcheck source=checks.sh
source test/e2e/checks.sh

git worktree remove --force "$old" >/dev/null 2>&1 || true
rm -rf "$state" && mkdir -p "$state/backend" "$log"
if ! git cat-file -e "$BASELINE^{commit}" 2>/dev/null; then
  fail "baseline commit $BASELINE is in this clone's history" "fetch the full history (git fetch --unshallow)"
  echo "$passed passed, $failed failed"
  exit 1
fi
git worktree add --detach "$old" "$BASELINE" >/dev/null 2>&1
# What the engine holds before the suite, without a label filter: the suite leaves it as it found it
# (what a run stopped before its cleanup left removed first).
remove_leftovers "$STACK"
engine_before
ln -s "$root/node_modules" "$old/node_modules"
export PULUMI_BACKEND_URL="file://$state/backend"
export PULUMI_CONFIG_PASSPHRASE="compat-only-passphrase"

cleanup() {
  set +e
  (cd "$root" && pulumi --non-interactive --stack "$STACK" destroy --yes --config-file "$state/new.yaml" >"$log/destroy.txt" 2>&1)
  (cd "$root" && pulumi --non-interactive stack rm --yes --force "$STACK" >/dev/null 2>&1)
  git -C "$root" worktree remove --force "$old" >/dev/null 2>&1
  rm -f "$root/Pulumi.$STACK.yaml" "$old/Pulumi.$STACK.yaml" "$root/test/unit/zz-compat-registrations.test.ts"
}
trap cleanup EXIT

# Same settings, old shape and new shape: ports and subnets of its own, the local base images.
cat >"$state/old.yaml" <<'EOF'
config:
  dockyard:target: docker
  dockyard:bindAddress: 127.0.0.1
  dockyard:votePort: 18180
  dockyard:resultPort: 18190
  dockyard:voteReplicas: 2
  dockyard:limits:
    - db:cpus=0.75
  dockyard:pythonImage: dockyard-local/python:3.11
  dockyard:nodeImage: dockyard-local/node:22
  dockyard:redisImage: dockyard-local/redis:7
  dockyard:postgresImage: dockyard-local/postgres:15
  dockyard:imageTag: compat
  dockyard:frontendSubnet: 10.233.1.0/24
  dockyard:backendSubnet: 10.233.2.0/24
  dockyard:retainData: false
EOF
cat >"$state/new.yaml" <<'EOF'
config:
  dockyard:target: docker
  dockyard:bindAddress: 127.0.0.1
  dockyard:imageTag: compat
  dockyard:services:
    vote:
      replicas: 2
      ports: { http: 18180 }
    result:
      ports: { http: 18190 }
    db:
      image: dockyard-local/postgres:15
      limits: { cpus: 0.75 }
    redis:
      image: dockyard-local/redis:7
  dockyard:buildArgs:
    PYTHON_IMAGE: dockyard-local/python:3.11
    NODE_IMAGE: dockyard-local/node:22
  dockyard:networks:
    frontend: { subnet: 10.233.1.0/24 }
    backend: { subnet: 10.233.2.0/24 }
EOF

echo "== every stage file registers the same resources with the baseline's keys and this checkout's"
# Under Pulumi mocks, no engine: type, name, parent, inputs and options of each resource, per stage.
registrations() { # $1 = checkout, $2 = output folder
  mkdir -p "$2"
  cp test/e2e/compat/registrations.test.ts "$1/test/unit/zz-compat-registrations.test.ts"
  (cd "$1" && COMPAT_OUT="$2" npx jest --config jest.config.js test/unit/zz-compat-registrations.test.ts) >"$2.txt" 2>&1
  local rc=$?
  rm -f "$1/test/unit/zz-compat-registrations.test.ts"
  return $rc
}
if registrations "$old" "$state/registered-baseline" && registrations "$root" "$state/registered-now"; then
  for stage in dev e2e staging prod k8se2e; do
    # The intended differences (compat/intended.json) taken out of both sides where they hold exactly.
    taken="$(npx ts-node --transpile-only test/e2e/compat/differences.ts registrations \
      "$state/registered-baseline/$stage.json" "$state/registered-now/$stage.json" \
      "$state/registered-baseline/$stage.left.json" "$state/registered-now/$stage.left.json")" || taken="(differences.ts failed)"
    if diff -u "$state/registered-baseline/$stage.left.json" "$state/registered-now/$stage.left.json" >"$log/registrations-$stage.diff"; then
      ok "stage $stage: the same $(grep -c '"type":' "$state/registered-now/$stage.json") resources, inputs and options; intended differences: $taken"
    else
      fail "stage $stage registers something else" "$(head -30 "$log/registrations-$stage.diff")"
    fi
  done
else
  fail "the program runs under mocks in both checkouts" "$(tail -20 "$state"/registered-*.txt)"
fi

echo "== the baseline ($BASELINE, old config shape) deploys the stack"
(cd "$old" && pulumi --non-interactive stack init "$STACK" >/dev/null &&
  pulumi --non-interactive config --stack "$STACK" --config-file "$state/old.yaml" set --secret postgresPassword compat-db-password)
if (cd "$old" && pulumi --non-interactive --stack "$STACK" up --yes --config-file "$state/old.yaml") >"$log/up-old.txt" 2>&1; then
  ok "pulumi up with the baseline"
else
  fail "pulumi up with the baseline" "$(tail -20 "$log/up-old.txt")"
fi
containers="$(docker ps -q --filter label=dockyard.stack=$STACK | wc -l)"
[ "$containers" = 6 ] && ok "6 containers run (vote 2, result, worker, redis, db)" || fail "6 containers run" "got $containers"

echo "== this checkout, the same settings in the new shape, previews nothing but the intended differences"
# The encryption salt the stack was created with travels with the secret.
grep -h '^encryptionsalt:' "$state/old.yaml" "$old/Pulumi.$STACK.yaml" 2>/dev/null | head -1 >>"$state/new.yaml" || true
pulumi --non-interactive config --stack "$STACK" --config-file "$state/new.yaml" set --secret --path secrets.db-password compat-db-password
if pulumi --non-interactive --stack "$STACK" preview --json --config-file "$state/new.yaml" >"$log/preview-new.json" 2>"$log/preview-new.err" &&
  npx ts-node --transpile-only test/e2e/compat/differences.ts preview "$log/preview-new.json" >"$log/preview-unexpected.txt"; then
  ok "pulumi preview: $(node -e 'const c=require(process.argv[1]).changeSummary;console.log(`${c.same ?? 0} unchanged, ${c.update ?? 0} updated, ${c.replace ?? 0} replaced, all intended`)' "$log/preview-new.json")"
else
  fail "pulumi preview changes only what compat/intended.json lists" "$(cat "$log/preview-unexpected.txt" "$log/preview-new.err" 2>/dev/null | head -30)"
fi
# The upgrade itself: the intended differences applied, then nothing left to change.
# The stores' containers are replaced once (dropped capabilities, their own users: intended.json);
# their volumes, and the data in them, are the same ones: a file written into each before the upgrade
# is read back after it, by the new containers.
store() { docker ps -q --filter label=dockyard.stack=$STACK --filter label=dockyard.service="$1"; }
marker_paths="db:/var/lib/postgresql/data/compat-marker redis:/data/compat-marker"
for entry in $marker_paths; do docker exec "$(store "${entry%%:*}")" sh -c "echo kept > ${entry#*:}"; done
markers() { for entry in $marker_paths; do printf '%s=%s ' "${entry%%:*}" "$(docker exec "$(store "${entry%%:*}")" cat "${entry#*:}" 2>&1)"; done; }
if pulumi --non-interactive --stack "$STACK" up --yes --skip-preview --config-file "$state/new.yaml" >"$log/up-new.txt" 2>&1 &&
  pulumi --non-interactive --stack "$STACK" preview --expect-no-changes --config-file "$state/new.yaml" >"$log/preview-after.txt" 2>&1; then
  ok "pulumi up with this checkout applies them; then preview --expect-no-changes: $(grep -Eo '[0-9]+ unchanged' "$log/preview-after.txt" | tail -1)"
else
  fail "pulumi up with this checkout, then no changes" "$(grep -E '^\s+[~+-]|error' "$log/up-new.txt" "$log/preview-after.txt" | head -30)"
fi
containers="$(docker ps -q --filter label=dockyard.stack=$STACK | wc -l)"
[ "$containers" = 6 ] && ok "6 containers still run after the upgrade" || fail "6 containers run after the upgrade" "got $containers"
after="$(markers)"
[ "$after" = "db=kept redis=kept " ] && ok "the stores' volumes keep their data: a file written before the upgrade is read by the new containers" ||
  fail "the stores' volumes keep their data" "got $after"
health="$(for s in db redis; do docker inspect -f '{{.State.Health.Status}}' "$(store "$s")"; done | tr '\n' ' ')"
[ "$health" = "healthy healthy " ] && ok "db and redis are healthy on their old data, as their own non-root users" || fail "db and redis healthy after the upgrade" "got $health"

echo "== destroyed, the engine is as the suite found it"
if pulumi --non-interactive --stack "$STACK" destroy --yes --config-file "$state/new.yaml" >"$log/destroy.txt" 2>&1; then
  ok "pulumi destroy with this checkout"
else
  fail "pulumi destroy with this checkout" "$(tail -20 "$log/destroy.txt")"
fi
# The baseline release built with the classic builder by default, which keeps a stopped container
# per build step of a fresh build (this checkout builds with BuildKit): a defect of that release,
# cleaned up here. Then the replaced images' untagged layers.
left="$(added "$containers_before" "$(engine_state ps -aq --no-trunc --filter status=created --filter status=exited)")"
# Only unlabelled ones: a container of the stack left behind stays, and fails the check below.
builder_left="$(for id in $left; do [ -n "$(docker inspect -f '{{index .Config.Labels "dockyard.stack"}}' "$id")" ] || echo "$id"; done)"
# shellcheck disable=SC2086 # ids, one word each
[ -z "$builder_left" ] || docker rm -f $builder_left >/dev/null
added "$dangling_before" "$(engine_state images -q --no-trunc --filter dangling=true)" | xargs -r docker rmi >/dev/null 2>&1 || true
ok "removed $(wc -w <<<"$builder_left") stopped containers the baseline's classic builder left"
engine_as_found "the engine holds the containers, networks, volumes and untagged images it held before the suite, no more"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
