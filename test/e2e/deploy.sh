#!/usr/bin/env bash
# The README's first command and the `dockyard` verbs, end to end on the real Docker engine
# (`npm run test:e2e:deploy`), with one deployment: `npm run deploy` (scripts/deploy.sh, which ends in
# `dockyard up`) as a new user runs it (generated backend, passphrase and password; local stand-in
# base images), with its progress lines checked to come while it runs; the two URLs answer and a vote
# is counted; `dockyard ps` shows every service healthy; `dockyard logs worker` shows the vote
# processed; a container removed by hand shows in `dockyard drift` (exit 1, the resource named) and
# `dockyard up` puts it back; `dockyard down` leaves no container, network or volume of the stack.
# It uses the dev stack on 127.0.0.1:5000/5001, so it refuses to run over a user's own
# .state/backend or .state/passphrase, and puts Pulumi.dev.yaml back as it was. Ends with
# "N passed, N failed". E2E_LOG_DIR=DIR keeps what each command printed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root" || exit 1

# ok, fail, check, section, engine_before, engine_as_found, remove_images
# shellcheck source=checks.sh
source test/e2e/checks.sh
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }
# Each line of standard input with the time it arrived (seconds, 2 decimals) in front.
stamp() { while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%2N)" "$line"; done; }
# What the stack has on the engine: its containers, networks and volumes, one name per line.
leftovers() {
  docker ps -a --filter label=dockyard.stack=dev --format 'container {{.Names}}'
  docker network ls --filter label=dockyard.stack=dev --format 'network {{.Name}}'
  docker volume ls --filter label=dockyard.stack=dev --format 'volume {{.Name}}'
}

for own in .state/backend .state/passphrase; do
  if [ -e "$own" ]; then
    fail "no earlier deploy state" "$own exists (a stack deployed with npm run deploy?): npx dockyard down --yes, then remove $own first"
    finish
  fi
done
if [ -n "$(leftovers)" ]; then
  fail "the engine holds nothing of the dev stack" "$(leftovers | tr '\n' ' ')"
  finish
fi
# What the engine holds before the suite, without a label filter (so a Docker engine must answer:
# started here when none does). The dev stack's images of an earlier run are removed first.
if ! docker info >/dev/null 2>&1; then bash tools/ensure-dockerd.sh >/dev/null || { fail "a Docker engine answers (tools/ensure-dockerd.sh)"; finish; }; fi
remove_images 'voting-*:dev'
engine_before
log="$(mktemp -d)"
cp Pulumi.dev.yaml "$log/Pulumi.dev.yaml"
cleanup() {
  set +e
  if [ -d .state/backend ] && [ -n "$(leftovers)" ]; then node cli/dockyard.js down --yes >"$log/cleanup.txt" 2>&1; fi
  cp "$log/Pulumi.dev.yaml" Pulumi.dev.yaml
  # E2E_LOG_DIR=DIR keeps what each command printed (the README's sample run comes from there).
  [ -z "${E2E_LOG_DIR:-}" ] || cp "$log"/*.txt "$E2E_LOG_DIR"/
  rm -rf .state/backend .state/passphrase .state/env.sh .state/deploy "$log"
}
trap cleanup EXIT
unset PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE PULUMI_CONFIG_PASSPHRASE_FILE
# The Node.js that deploy.sh puts first on PATH, for the npx dockyard calls below.
eval "$(bash scripts/node.sh 2>/dev/null)"

section "npm run deploy (scripts/deploy.sh, then dockyard up)"
DOCKYARD_START_DOCKERD=1 DOCKYARD_LOCAL_BASE_IMAGES=1 npm run --silent deploy 2>&1 | stamp >"$log/run1.txt"
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 0 ]; then
  ok "npm run deploy exits 0"
else
  fail "npm run deploy exits 0" "$(tail -15 "$log/run1.txt")"
  finish
fi
check "it prints the two URLs" "result: http://127.0.0.1:5001|vote:   http://127.0.0.1:5000|" \
  "$(sed -E 's/^[0-9.]+ //' "$log/run1.txt" | grep -E '^(vote|result): ' | tr '\n' '|')"
check "one progress line per container, network, volume and image, counted" \
  "[1]|[2]|[3]|[4]|[5]|[6]|[7]|[8]|[9]|[10]|[11]|[12]|[13]|[14]|[15]|[16]|[17]|[18]|[19]|[20]|" \
  "$(grep -oE '^[0-9.]+ \[[0-9]+\] created ' "$log/run1.txt" | awk '{ print $2 }' | tr '\n' '|')"
check "each container has its line, with how long it took and when" "db-1 redis-1 result-1 vote-1 worker-1" \
  "$(grep -E '\] created docker Container [a-z]+-1 \([0-9]+s, at [0-9]+s\)$' "$log/run1.txt" | awk '{ print $6 }' | sort | tr '\n' ' ' | sed 's/ $//')"
check "the summary at the end" "up done: 34 created" \
  "$(sed -nE 's/^[0-9.]+ up (done) in [0-9ms]+: (.*)$/up \1: \2/p' "$log/run1.txt")"
# Progress while it runs: the first resource's line arrives well before the last one's.
first="$(grep -m1 -E '^[0-9.]+ \[1\] created ' "$log/run1.txt" | cut -d' ' -f1)"
last="$(grep -E '^[0-9.]+ up done in ' "$log/run1.txt" | cut -d' ' -f1)"
check "progress lines come while it runs (first line at least 10 s before the summary)" "yes" \
  "$(node -e 'const [a, b] = process.argv.slice(1).map(Number); console.log(a > 0 && b - a >= 10 ? "yes" : `no: ${a} ${b}`)' "${first:-0}" "${last:-0}")"
check "the passphrase file is private" "600" "$(stat -c %a .state/passphrase)"
check "vote answers" "200" "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5000/)"
check "result answers" "200" "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5001/)"
check "a vote is accepted" "200" "$(curl -s -o /dev/null -w '%{http_code}' -b voter_id=feed0001 --data-urlencode vote=b http://127.0.0.1:5000/)"
votes=""
for _ in $(seq 1 30); do
  votes="$(curl -s http://127.0.0.1:5001/api/results | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      try { const r = JSON.parse(s); console.log(`${r.options.a.votes} ${r.options.b.votes}`); } catch { console.log("?"); }
    });')"
  [ "$votes" = "0 1" ] && break
  sleep 1
done
check "result counts it" "0 1" "$votes"
check "db, worker and result run with a read-only root filesystem, as Pulumi.dev.yaml asks (docker inspect ReadonlyRootfs)" \
  "voting-dev-db-1=true voting-dev-result-1=true voting-dev-worker-1=true" \
  "$(docker inspect -f '{{.Name}}={{.HostConfig.ReadonlyRootfs}}' voting-dev-db-1 voting-dev-result-1 voting-dev-worker-1 2>&1 | sed 's#^/##' | tr '\n' ' ' | sed 's/ $//')"
password="$(source .state/env.sh && pulumi --non-interactive config get --path secrets.db-password -s dev 2>/dev/null)"
check "a password was generated" "yes" "$([ "${#password}" -ge 16 ] && echo yes || echo no)"

section "dockyard ps"
npx --no-install dockyard ps >"$log/ps.txt" 2>&1
check "dockyard ps exits 0" "0" "$?"
check "every service healthy, with its URL" \
  "SERVICE REPLICAS HEALTH URL|db 1/1 healthy|redis 1/1 healthy|result 1/1 healthy http://127.0.0.1:5001|vote 1/1 healthy http://127.0.0.1:5000|worker 1/1 healthy|" \
  "$(tr -s ' ' <"$log/ps.txt" | tr '\n' '|')"

section "dockyard diagram"
check "dockyard diagram --format svg: Graphviz renders the stack, its five services in it" "<svg|db redis result vote worker" \
  "$(npx --no-install dockyard diagram --format svg 2>"$log/diagram.err" >"$log/diagram.svg"; grep -o '<svg' "$log/diagram.svg" | head -1)|$(grep -oE '>(db|redis|result|vote|worker)<' "$log/diagram.svg" | tr -d '<>' | sort -u | xargs)"

section "dockyard logs worker"
# The worker logs no line per vote; stopped, it logs how many it moved. A restart keeps the container
# (and its log), so the line is there for dockyard logs to show.
docker restart -t 10 voting-dev-worker-1 >/dev/null
npx --no-install dockyard logs worker >"$log/logs.txt" 2>&1
check "dockyard logs worker exits 0" "0" "$?"
check "it shows the worker's start" "yes" "$(grep -q ': health on http://0.0.0.0:8082/healthz, moving votes' "$log/logs.txt" && echo yes || echo no)"
check "and the vote it processed" "1" "$(grep -c 'worker: stopped after 1 votes' "$log/logs.txt")"
unknown="$(npx --no-install dockyard logs web 2>&1)"
check "an unknown service: one line, exit 2" "2|dockyard logs: no service \"web\" in stack dev; services: db, redis, result, vote, worker" "$?|$unknown"

section "drift: a container removed by hand"
npx --no-install dockyard drift >"$log/drift0.txt" 2>&1
check "dockyard drift on the fresh stack: exit 0, nothing drifted" "0|stack dev: no drift: the engine matches the stack|" \
  "$?|$(grep -v '^note:' "$log/drift0.txt" | tr '\n' '|')"
docker rm -f voting-dev-worker-1 >/dev/null
npx --no-install dockyard drift >"$log/drift1.txt" 2>&1
check "dockyard drift: exit 1, the container named" \
  "1|stack dev: 1 resource drifted|  docker Container worker-1: missing on the engine (dockyard up creates it again)|" \
  "$?|$(grep -v '^note:' "$log/drift1.txt" | tr '\n' '|')"
npx --no-install dockyard up --yes >"$log/up2.txt" 2>&1
check "dockyard up puts it back: exit 0" "0" "$?"
check "it creates only that container" "[1] created docker Container worker-1|up done: 1 created, 33 unchanged|" \
  "$(grep -E '^\[[0-9]+\] ' "$log/up2.txt" | sed -E 's/ \([^)]*\)$//' | tr '\n' '|')$(sed -nE 's/^up (done) in [0-9ms]+: (.*)$/up \1: \2/p' "$log/up2.txt")|"
npx --no-install dockyard drift >"$log/drift2.txt" 2>&1
check "dockyard drift afterwards: exit 0" "0" "$?"
check "the worker is back and healthy" "worker 1/1 healthy" \
  "$(npx --no-install dockyard ps 2>/dev/null | tr -s ' ' | grep '^worker ')"
check "the password is in no output or log" "0" "$(grep -rlF -- "$password" "$log" .state/deploy | wc -l)"

section "dockyard down"
npx --no-install dockyard down --yes >"$log/down.txt" 2>&1
check "dockyard down exits 0" "0" "$?"
check "it says what it removed" "down done: 34 deleted" "$(sed -nE 's/^down (done) in [0-9ms]+: (.*)$/down \1: \2/p' "$log/down.txt")"
check "no container, network or volume of the dev stack left" "" "$(leftovers | tr '\n' ' ')"
remove_images 'voting-*:dev'
engine_as_found "the engine holds the containers, networks, volumes and untagged images it held before the suite, no more"
finish
