#!/usr/bin/env bash
# The README's first command, end to end (`npm run test:e2e:deploy`): `bash scripts/deploy.sh` as a
# new user runs it (generated backend, passphrase and password; local stand-in base images), then the
# two URLs answer, a vote is counted, a second run changes nothing, and the stack is destroyed. It
# uses the dev stack on 127.0.0.1:5000/5001, so it refuses to run over a user's own .state/backend
# or .state/passphrase, and puts Pulumi.dev.yaml back as it was. Ends with "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

passed=0
failed=0
ok() { passed=$((passed + 1)); printf '  ok    %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf '  FAIL  %s\n' "$1"; [ -z "${2:-}" ] || printf '        %s\n' "$2"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "expected [$2], got [$3]"; fi; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

for own in .state/backend .state/passphrase; do
  if [ -e "$own" ]; then
    fail "no earlier deploy.sh state" "$own exists (a stack deployed with scripts/deploy.sh?): destroy it and remove $own first"
    finish
  fi
done
log="$(mktemp -d)"
cp Pulumi.dev.yaml "$log/Pulumi.dev.yaml"
cleanup() {
  set +e
  if [ -f .state/env.sh ]; then
    (source .state/env.sh && pulumi --non-interactive destroy --yes -s dev && pulumi --non-interactive stack rm --yes --preserve-config dev) >"$log/destroy.txt" 2>&1
  fi
  cp "$log/Pulumi.dev.yaml" Pulumi.dev.yaml
  rm -rf .state/backend .state/passphrase .state/env.sh .state/deploy "$log"
}
trap cleanup EXIT
unset PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE PULUMI_CONFIG_PASSPHRASE_FILE

echo "== first run: bash scripts/deploy.sh"
if DOCKYARD_START_DOCKERD=1 DOCKYARD_LOCAL_BASE_IMAGES=1 bash scripts/deploy.sh >"$log/run1.txt" 2>&1; then
  ok "deploy.sh exits 0"
else
  fail "deploy.sh exits 0" "$(tail -15 "$log/run1.txt")"
  finish
fi
check "it prints the two URLs" "vote:   http://127.0.0.1:5000|result: http://127.0.0.1:5001|" \
  "$(grep -E '^(vote|result): ' "$log/run1.txt" | tr '\n' '|')"
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
password="$(source .state/env.sh && pulumi --non-interactive config get --path secrets.db-password -s dev 2>/dev/null)"
check "a password was generated" "yes" "$([ "${#password}" -ge 16 ] && echo yes || echo no)"
check "the password is in no log or console output" "0" "$(grep -rlF -- "$password" "$log" .state/deploy | wc -l)"

echo "== second run changes nothing"
if bash scripts/deploy.sh >"$log/run2.txt" 2>&1; then ok "deploy.sh exits 0 again"; else fail "deploy.sh exits 0 again" "$(tail -15 "$log/run2.txt")"; fi
check "pulumi up reports no changes" "1" "$(grep -c '^      no changes (28 unchanged)' "$log/run2.txt")"

echo "== teardown"
if (source .state/env.sh && pulumi --non-interactive destroy --yes -s dev) >"$log/destroy.txt" 2>&1; then ok "pulumi destroy"; else fail "pulumi destroy" "$(tail -10 "$log/destroy.txt")"; fi
check "no container of the dev stack left" "" "$(docker ps -aq --filter label=dockyard.stack=dev)"
finish
