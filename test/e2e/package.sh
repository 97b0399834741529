#!/usr/bin/env bash
# dockyard as a package, used by programs of their own on a real Docker engine
# (`npm run test:e2e:package`):
#   - the packed tarball: what it holds and what it leaves out;
#   - a TypeScript program in its own folder installs the tarball (plain `npm install`, Pulumi's own
#     tsconfig, no path mappings) and, with one copy of @pulumi/pulumi, builds an image, creates a
#     bridge network with a subnet, a named volume, a resource-limited container with a health check
#     and a ComposeApp of a small compose file; checked with `docker inspect`, then a second up
#     changes nothing and destroy leaves nothing;
#   - a Python and a YAML program reach the same components through `pulumi package add` (SDKs
#     generated from the schema Pulumi infers) and deploy the same way.
# Test programs: test/e2e/package/{ts,python,yaml}. Talks only to 127.0.0.1 and the containers it
# created. Ends with "N passed, N failed".
set -euo pipefail
export LC_ALL=C
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
eval "$(bash scripts/node.sh)"
bash tools/engine/build.sh docker python yaml
# shellcheck source=/dev/null
source tools/engine/env.sh
bash tools/ensure-dockerd.sh
bash tools/base-images/build.sh
PYTHON_IMAGE=dockyard-local/python:3.11
REDIS_IMAGE=dockyard-local/redis:7

# Outside the checkout, so nothing in the programs' folders resolves a module from the checkout's own
# node_modules (a program of its own has only what it installed).
state="${TMPDIR:-/tmp}/dockyard-package-e2e"
log="$state/log"
rm -rf "$state" && mkdir -p "$state/backend" "$log"
export PULUMI_BACKEND_URL="file://$state/backend"
export PULUMI_CONFIG_PASSPHRASE="package-e2e-only-passphrase"
STACK=pkge2e
# ok, fail, check, section, remove_leftovers, engine_before, engine_as_found
# shellcheck source=checks.sh
source test/e2e/checks.sh
contains() { if grep -qF -- "$2" <<<"$3"; then ok "$1"; else fail "$1" "expected to contain [$2], got [$(head -c 400 <<<"$3")]"; fi; }
inspect() { docker inspect -f "$2" "$1" 2>&1 || true; }
# Everything a program of this suite made carries its project's name.
leftovers() {
  {
    docker ps -a --format '{{.Names}}' | grep "^pkge2e-$1-" || true
    docker network ls --format '{{.Name}}' | grep "^pkge2e-$1-" || true
    docker volume ls --format '{{.Name}}' | grep "^pkge2e-$1-" || true
  } | sort | tr '\n' ' '
}
cleanup() {
  set +e
  for program in ts python yaml; do
    [ -d "$state/$program" ] && (cd "$state/$program" && pulumi --non-interactive --stack "$STACK" destroy --yes >"$log/cleanup-$program.txt" 2>&1)
  done
  docker ps -aq --filter "name=^pkge2e-" | xargs -r docker rm -f >/dev/null
  docker ps -aq --filter "label=dockyard.stack=$STACK" | xargs -r docker rm -f >/dev/null
  docker network ls -q --filter "name=^pkge2e-" | xargs -r docker network rm >/dev/null
  docker network ls -q --filter "label=dockyard.stack=$STACK" | xargs -r docker network rm >/dev/null
  docker volume ls -q --filter "name=^pkge2e-" | xargs -r docker volume rm >/dev/null
  docker volume ls -q --filter "label=dockyard.stack=$STACK" | xargs -r docker volume rm >/dev/null
}
trap cleanup EXIT
# What a run stopped before its cleanup left (the programs' objects carry the stack's label), then what
# the engine holds without a label filter: the suite leaves it so.
remove_leftovers "$STACK"
engine_before

# ------------------------------------------------------------------------------------------------
section "the packed tarball"
npm run --silent build
tarball="$state/$(npm pack --silent --pack-destination "$state" | tail -1)"
listing="$(tar -tzf "$tarball" | sed 's#^package/##' | sort)"
printf '%s\n' "$listing" >"$log/tarball.txt"
for want in dist/components/index.js dist/components/index.d.ts dist/components/docker/index.js \
  dist/components/compose/index.d.ts dist/stacks/targets/docker.js PulumiPlugin.yaml components/index.ts tsconfig.json; do
  check "the tarball holds $want" "$want" "$(grep -xF "$want" <<<"$listing" || true)"
done
check "the tarball holds no tests, tools, apps, benches, CI, examples or stack program" "" \
  "$(grep -E '^(test|tools|apps|bench|scripts|examples|policy|\.ci)/|^(index\.ts|program\.js|Pulumi\..*yaml)$|^dist/index\.' <<<"$listing" | head -5 | tr '\n' ' ')"
check "importing the package's entry points creates nothing and runs no stack" \
  "AppOutputs? no; exports: ComposeApp ComposeTarget ValidationError docker k8s swarm" \
  "$(node -e "const d=require('./dist/components'); console.log('AppOutputs? ' + ('urls' in d ? 'yes' : 'no') + '; exports: ' + Object.keys(d).sort().join(' '))")"

# ------------------------------------------------------------------------------------------------
section "a TypeScript program of its own, with the tarball installed"
ts="$state/ts"
cp -r test/e2e/package/ts "$ts"
cp test/e2e/package/ts/compose.yaml "$state/compose.yaml"
pulumi_version="$(node -p "require('./node_modules/@pulumi/pulumi/package.json').version")"
docker_version="$(node -p "require('./node_modules/@pulumi/docker/package.json').version")"
cat >"$ts/package.json" <<EOF
{
  "name": "pkge2e-ts",
  "private": true,
  "dependencies": {
    "@pulumi/docker": "$docker_version",
    "@pulumi/pulumi": "$pulumi_version",
    "dockyard": "file:$tarball"
  },
  "devDependencies": {
    "@types/node": "$(node -p "require('./node_modules/@types/node/package.json').version")",
    "typescript": "$(node -p "require('./node_modules/typescript/package.json').version")"
  }
}
EOF
(cd "$ts" && npm install --ignore-scripts --no-audit --no-fund --prefer-offline) >"$log/ts-npm.txt" 2>&1 || fail "npm install of the tarball" "$(tail -5 "$log/ts-npm.txt")"
check "the program holds one copy of @pulumi/pulumi (a peer dependency, not nested under dockyard)" "1" \
  "$(cd "$ts" && find node_modules -path '*/@pulumi/pulumi/package.json' | wc -l | tr -d ' ')"
check "@pulumi/kubernetes is not installed for a Docker-only program (an optional peer)" "" \
  "$(cd "$ts" && ls -d node_modules/@pulumi/kubernetes 2>/dev/null || true)"
if (cd "$ts" && npx tsc --noEmit) >"$log/ts-tsc.txt" 2>&1; then ok "tsc type-checks the program against the package's .d.ts"; else fail "tsc" "$(head -5 "$log/ts-tsc.txt")"; fi
tsp() { (cd "$ts" && pulumi --non-interactive --stack "$STACK" "$@"); }
(cd "$ts" && pulumi --non-interactive stack init "$STACK") >"$log/ts-init.txt" 2>&1
tsp config set pythonImage "$PYTHON_IMAGE" >/dev/null
tsp config set redisImage "$REDIS_IMAGE" >/dev/null
# A bad argument is refused in the component's words (the unit tests show it registers nothing).
tsp config set cacheReplicas -- -1 >/dev/null
tsp preview >"$log/ts-preview-bad.txt" 2>&1 || true
contains "a bad argument is refused, naming the component and the argument" \
  'ComposeApp "cache" argument services.cache.replicas must be a whole number from 0 to 1000, got -1' "$(cat "$log/ts-preview-bad.txt")"
tsp config rm cacheReplicas >/dev/null
if tsp up --yes --skip-preview >"$log/ts-up.txt" 2>&1; then ok "pulumi up"; else fail "pulumi up" "$(grep -E 'error|Error' "$log/ts-up.txt" | head -5)"; fi
check "the container runs with 0.5 CPUs and 128 MiB" "500000000 134217728" "$(inspect pkge2e-ts-web '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}')"
check "the container is on the network, whose subnet is 10.237.1.0/24" "10.237.1.0/24" \
  "$(inspect pkge2e-ts-backend '{{(index .IPAM.Config 0).Subnet}}')"
check "the container joined the network" "pkge2e-ts-backend" "$(inspect pkge2e-ts-web '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}')"
check "the named volume is mounted at /data" "pkge2e-ts-data /data" "$(inspect pkge2e-ts-web '{{range .Mounts}}{{.Name}} {{.Destination}}{{end}}')"
check "the health check passed (pulumi up waited for it)" "healthy" "$(inspect pkge2e-ts-web '{{.State.Health.Status}}')"
# The health check visits the page too: the count in the volume is at least the one served.
served="$(curl -fsS http://127.0.0.1:18401/ || true)" stored="$(docker exec pkge2e-ts-web cat /data/visits 2>&1 || true)"
counted="served [$served], stored [$stored]"
if [[ "$served" =~ ^visits\ ([0-9]+)$ ]] && [[ "$stored" =~ ^[0-9]+$ ]] && [ "$stored" -ge "${served#visits }" ]; then counted=counted; fi
check "the page is served on 127.0.0.1:18401 and counts its visits in the volume" "counted" "$counted"
check "the ComposeApp's service runs with the compose file's limits (0.25 CPUs, 64 MiB)" "250000000 67108864" \
  "$(inspect "$(docker ps --filter "label=dockyard.stack=$STACK" --filter 'name=cache' --format '{{.Names}}' | head -1)" '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}')"
check "the ComposeApp's cache answers on its published port" "+PONG" "$( (printf 'PING\r\n'; sleep 0.3) | timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/18402; cat >&3; head -c 5 <&3' 2>/dev/null | tr -d '\r\n' || true)"
outputs="$(tsp stack output --json 2>&1)"
contains "the ComposeApp's outputs: its services" '"cacheServices": [' "$outputs"
contains "the ComposeApp's outputs: its URL" '"cache": "http://127.0.0.1:18402"' "$outputs"
contains "the ComposeApp's outputs: the fidelity report's lines, naming its arguments" \
  'compose.yaml: networks.default: changed: no subnet in the file: 10.124.0.0/24, from the pool 10.124.0.0/16 (ComposeApp \"cache\" argument networks.default.subnet overrides it)' "$outputs"
tsp up --yes --skip-preview >"$log/ts-up2.txt" 2>&1 || true
contains "a second up changes nothing" "unchanged" "$(grep -E 'Resources:|unchanged|created|updated|replaced' "$log/ts-up2.txt" | tr '\n' ' ')"
check "a second up creates, updates and replaces nothing" "" "$(grep -E '^\s+[0-9]+ (to )?(create|update|replace|delete)' "$log/ts-up2.txt" || true)"
tsp destroy --yes >"$log/ts-destroy.txt" 2>&1 || fail "pulumi destroy" "$(tail -3 "$log/ts-destroy.txt")"
check "destroy leaves no container, network or volume of the program" "" "$(leftovers ts)"
check "destroy leaves nothing of the ComposeApp" "" "$(docker ps -aq --filter "label=dockyard.stack=$STACK" | tr '\n' ' ')"

# ------------------------------------------------------------------------------------------------
# The package as `pulumi package add` reads it: the tarball unpacked into a folder of its own, with
# its dependencies and peers installed (no dev dependencies, no Kubernetes SDK: a Docker-only
# program then needs no Kubernetes provider).
section "the package as a component plugin"
# The engine installs a component package's dependencies itself (npm install in its folder): without
# the dev dependencies, as a user of the package wants them (no Kubernetes SDK, so no Kubernetes
# provider for a Docker-only program).
export npm_config_omit=dev
package_dir="$state/dockyard"
mkdir -p "$package_dir" && tar -xzf "$tarball" -C "$package_dir" --strip-components=1
(cd "$package_dir" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline) >"$log/plugin-npm.txt" 2>&1 ||
  fail "npm install in the unpacked package" "$(tail -5 "$log/plugin-npm.txt")"
check "its folder holds the peers it runs with, and no Kubernetes SDK" "@pulumi/docker @pulumi/pulumi" \
  "$(cd "$package_dir/node_modules" && ls -d @pulumi/* | sort | tr '\n' ' ' | sed 's/ $//')"

section "a Python program, through pulumi package add"
py="$state/python"
cp -r test/e2e/package/python "$py"
cp test/e2e/package/ts/compose.yaml "$py/compose.yaml"
(cd "$py" && python3 -m venv venv && venv/bin/pip install -q -r requirements.txt) >"$log/py-venv.txt" 2>&1 ||
  fail "a venv with the pulumi SDK from the Python index" "$(tail -3 "$log/py-venv.txt")"
pyp() { (cd "$py" && pulumi --non-interactive --stack "$STACK" "$@"); }
(cd "$py" && pulumi --non-interactive stack init "$STACK") >"$log/py-init.txt" 2>&1
if (cd "$py" && pulumi --non-interactive package add "$package_dir") >"$log/py-package-add.txt" 2>&1; then ok "pulumi package add generates and installs the Python SDK"; else fail "pulumi package add (Python)" "$(tail -5 "$log/py-package-add.txt")"; fi
# Without @pulumi/kubernetes in its folder the package serves no Kubernetes component.
check "the generated SDK imports, with the Docker and swarm components and ComposeApp, no Kubernetes one" \
  "ComposeApp Container Image Network SwarmSecret SwarmService Volume" \
  "$("$py/venv/bin/python" -c 'import pulumi_dockyard as d; print(" ".join(n for n in ["ComposeApp","Container","Deployment","Image","KubernetesSecret","Network","SwarmSecret","SwarmService","Volume"] if hasattr(d, n)))' 2>&1 | tail -1)"
pyp config set pythonImage "$PYTHON_IMAGE" >/dev/null
pyp config set redisImage "$REDIS_IMAGE" >/dev/null
if pyp up --yes --skip-preview >"$log/py-up.txt" 2>&1; then ok "pulumi up (Python)"; else fail "pulumi up (Python)" "$(grep -E 'error|Error' "$log/py-up.txt" | head -5)"; fi
check "the container runs with 0.25 CPUs and 96 MiB" "250000000 100663296" "$(inspect pkge2e-py-web '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}')"
check "the container's network has the subnet 10.237.2.0/24" "10.237.2.0/24" "$(inspect pkge2e-py-backend '{{(index .IPAM.Config 0).Subnet}}')"
check "the health check passed" "healthy" "$(inspect pkge2e-py-web '{{.State.Health.Status}}')"
contains "the ComposeApp's URL, with the port the program set" '"cache": "http://127.0.0.1:18412"' "$(pyp stack output --json 2>&1)"
pyp up --yes --skip-preview >"$log/py-up2.txt" 2>&1 || true
check "a second up changes nothing (Python)" "" "$(grep -E '^\s+[0-9]+ (to )?(create|update|replace|delete)' "$log/py-up2.txt" || true)"
pyp destroy --yes >"$log/py-destroy.txt" 2>&1 || fail "pulumi destroy (Python)" "$(tail -3 "$log/py-destroy.txt")"
check "destroy leaves nothing (Python)" "" "$(leftovers py)$(docker ps -aq --filter "label=dockyard.stack=$STACK" | tr '\n' ' ')"
rm -rf "$py/venv"

# ------------------------------------------------------------------------------------------------
section "a YAML program, through its packages block"
yml="$state/yaml"
cp -r test/e2e/package/yaml "$yml"
cp test/e2e/package/ts/compose.yaml "$yml/compose.yaml"
printf 'packages:\n  dockyard: %s\n' "$package_dir" >>"$yml/Pulumi.yaml"
ymp() { (cd "$yml" && pulumi --non-interactive --stack "$STACK" "$@"); }
(cd "$yml" && pulumi --non-interactive stack init "$STACK") >"$log/yaml-init.txt" 2>&1
ymp config set pythonImage "$PYTHON_IMAGE" >/dev/null
ymp config set redisImage "$REDIS_IMAGE" >/dev/null
if ymp up --yes --skip-preview >"$log/yaml-up.txt" 2>&1; then ok "pulumi up (YAML)"; else fail "pulumi up (YAML)" "$(grep -E 'error|Error' "$log/yaml-up.txt" | head -5)"; fi
check "the container runs with 0.25 CPUs and 96 MiB" "250000000 100663296" "$(inspect pkge2e-yaml-web '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}')"
check "the health check passed" "healthy" "$(inspect pkge2e-yaml-web '{{.State.Health.Status}}')"
contains "the ComposeApp's URL, with the port the program set" '"cache": "http://127.0.0.1:18422"' "$(ymp stack output --json 2>&1)"
ymp up --yes --skip-preview >"$log/yaml-up2.txt" 2>&1 || true
check "a second up changes nothing (YAML)" "" "$(grep -E '^\s+[0-9]+ (to )?(create|update|replace|delete)' "$log/yaml-up2.txt" || true)"
ymp destroy --yes >"$log/yaml-destroy.txt" 2>&1 || fail "pulumi destroy (YAML)" "$(tail -3 "$log/yaml-destroy.txt")"
check "destroy leaves nothing (YAML)" "" "$(leftovers yaml)$(docker ps -aq --filter "label=dockyard.stack=$STACK" | tr '\n' ' ')"

section "the engine as the suite found it"
engine_as_found "the engine holds the containers, networks, volumes and untagged images it held before the suite, no more"

printf '\n%d passed, %d failed (%ds; logs: %s)\n' "$passed" "$failed" $((SECONDS - t0)) "$log"
[ "$failed" -eq 0 ]
