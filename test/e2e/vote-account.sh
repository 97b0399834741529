# shellcheck shell=bash
# Sourced by test/e2e/env.sh (so by faults.sh and swarm-faults.sh) and by kubernetes-faults.sh: the one
# copy of the fault suites' vote account.
# The account of a bounded vote load (test/e2e/vote-load.js), one copy for the fault suites (faults.sh,
# swarm-faults.sh, kubernetes-faults.sh), which each give it their own `check` and a SQL command.
# load_summary SUMMARY: the load's JSON summary in words ("600 sent, 550 acknowledged, 50 failed
# (50 HTTP 503), from 20.4 s to 26.1 s"), or "no summary".
load_summary() {
  # shellcheck disable=SC2016 # a node -e program in single quotes: its ${...} are JavaScript
  node -e '
    try {
      const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").pop());
      const errors = Object.entries(s.errors).map(([k, v]) => `${v} ${k}`).join(", ") || "none";
      const when = s.failed ? `, from ${(s.firstFailureMs / 1000).toFixed(1)} s to ${(s.lastFailureMs / 1000).toFixed(1)} s` : "";
      console.log(`${s.sent} sent, ${s.acknowledged} acknowledged, ${s.failed} failed (${errors})${when}`);
    } catch {
      console.log("no summary");
    }' "$1" 2>/dev/null || echo "no summary"
}
# vote_account NAME PREFIX SUMMARY ACKED SQL: every vote the load acknowledged (ACKED: "<voter id> <a|b>"
# lines) is counted in PostgreSQL with its choice, exactly once; any other vote counted whose id starts
# with PREFIX must be one the load sent, with the choice it sent (a request whose answer was lost on
# its way back, a reset connection: indeterminate, as Jepsen calls it, so it may or may not count), and
# is reported. SQL is the suite's command that runs one query in the stack's db (psql -tA) and prints
# its rows. Waits up to 90 s for the worker to move the votes, checks with the suite's `check`, then
# prints the figure (through the suite's `figure` when it has one). Guarded for suites under set -e.
vote_account() {
  local name="$1" prefix="$2" summary="$3" acked="$4" sql="$5" want counted lost unacked sent strange dup text
  want="$({ LC_ALL=C sort "$acked" 2>/dev/null || true; } | tr '\n' '|')"
  for _ in $(seq 1 90); do
    counted="$({ "$sql" "SELECT id || ' ' || vote FROM votes WHERE id LIKE '$prefix%'" 2>/dev/null || true; } | LC_ALL=C sort | tr '\n' '|')"
    [ "$(tr -cd '|' <<<"$counted" | wc -c)" -ge "$(tr -cd '|' <<<"$want" | wc -c)" ] && break
    sleep 1
  done
  check "$name: the load ran (votes acknowledged, a summary)" "yes" \
    "$([ -n "$want" ] && grep -q '"sent"' "$summary" 2>/dev/null && echo yes || echo "no: ${want:0:60}; $(tail -c 300 "$summary" 2>/dev/null | tr '\n' ' ')")"
  # Acknowledged but not counted (lost), and counted but not acknowledged (answers lost on the way back).
  lost="$(LC_ALL=C comm -23 <(tr '|' '\n' <<<"$want" | sed '/^$/d') <(tr '|' '\n' <<<"$counted" | sed '/^$/d'))"
  unacked="$(LC_ALL=C comm -13 <(tr '|' '\n' <<<"$want" | sed '/^$/d') <(tr '|' '\n' <<<"$counted" | sed '/^$/d'))"
  check "$name: every acknowledged vote is counted in PostgreSQL with its choice (0 lost)" "0 lost" \
    "$(grep -c . <<<"$lost" || true) lost$([ -z "$lost" ] || printf ': %s' "$(head -5 <<<"$lost" | tr '\n' ' ')")"
  # Each vote counted without an acknowledgement: its id is the prefix and an index the load sent, its
  # choice the one the load sent for that index (even a, odd b).
  sent="$(node -e 'try { console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").pop()).sent) } catch { console.log(0) }' "$summary" 2>/dev/null || echo 0)"
  strange="$(while read -r id choice; do
    [ -n "$id" ] || continue
    index=$((16#${id#"$prefix"}))
    want_choice=$([ $((index % 2)) -eq 0 ] && echo a || echo b)
    [ "$index" -lt "$sent" ] && [ "$choice" = "$want_choice" ] || echo "$id $choice"
  done <<<"$unacked")"
  check "$name: any vote counted without an acknowledgement is one the load sent, with its choice (its answer was lost)" "" "$strange"
  dup="$("$sql" "SELECT count(*) FROM (SELECT id FROM votes WHERE id LIKE '$prefix%' GROUP BY id HAVING count(*) > 1) d" 2>&1 || true)"
  check "$name: no vote counted twice" "0" "$dup"
  text="$name: $(load_summary "$summary"); $(tr -cd '|' <<<"$counted" | wc -c) counted ($(grep -c . <<<"$unacked" || true) of them not acknowledged: their answers were lost)"
  if declare -F figure >/dev/null; then figure "$text"; else printf '  figure  %s\n' "$text"; fi
}
