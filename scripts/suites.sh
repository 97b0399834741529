# Sourced by the test runners (scripts/test.sh, scripts/test-apps.sh, .ci/run). A suite runs
# through its own runner, whose own summary is printed as it is (jest's, node --test's, pytest's,
# an end-to-end script's); whether it passed is its exit code alone. The outermost runner ends with
# one line for every suite of the run, those of the runners it started included:
#   all: 7 suites passed, 0 failed
#   all: 5 suites passed, 2 failed (failed: lint, vote)
# DOCKYARD_SUITES names the list of the run's suites (one line each: exit code, name); a runner
# started by another one finds it set, adds its suites to it and leaves the closing line to the
# outer one.
# shellcheck shell=bash
if [ -z "${DOCKYARD_SUITES:-}" ]; then
  DOCKYARD_SUITES="$(mktemp "${TMPDIR:-/tmp}/dockyard-suites.XXXXXX")"
  export DOCKYARD_SUITES
  suites_outer=1
  trap 'rm -f "$DOCKYARD_SUITES"' EXIT # for a run that stops early (a runner's own trap replaces it)
else
  suites_outer=0
fi
suites_from="$(wc -l <"$DOCKYARD_SUITES")" # the suites before this runner's (an outer runner's)

# suite NAME COMMAND...: runs COMMAND, records NAME with its exit code, returns that code.
suite() {
  local name="$1" rc=0
  shift
  "$@" || rc=$?
  printf '%s %s\n' "$rc" "$name" >>"$DOCKYARD_SUITES"
  return "$rc"
}
# suite_failed NAME: records NAME as a failed suite (a step that stopped the run before its suites).
suite_failed() { printf '1 %s\n' "$1" >>"$DOCKYARD_SUITES"; }
suites_failed() { awk '$1 != 0' "$DOCKYARD_SUITES" | wc -l; }
# nested NAME COMMAND...: runs a runner that records its own suites. When it fails without having
# recorded a failed suite (it stopped before them: a missing package, a server that did not start),
# NAME is recorded as failed.
nested() {
  local name="$1" before rc=0
  shift
  before="$(suites_failed)"
  "$@" || rc=$?
  [ "$rc" -eq 0 ] || [ "$(suites_failed)" -gt "$before" ] || printf '%s %s\n' "$rc" "$name" >>"$DOCKYARD_SUITES"
  return "$rc"
}
# suites_end: the closing line (outermost runner only); returns 0 when at least one suite of this
# runner ran and none failed.
suites_end() {
  local passed failed names
  passed="$(tail -n "+$((suites_from + 1))" "$DOCKYARD_SUITES" | awk '$1 == 0' | wc -l)"
  failed="$(tail -n "+$((suites_from + 1))" "$DOCKYARD_SUITES" | awk '$1 != 0' | wc -l)"
  names="$(awk '$1 != 0 { sub(/^[0-9]+ /, ""); printf "%s%s", sep, $0; sep = ", " }' "$DOCKYARD_SUITES")"
  if [ "$suites_outer" = 1 ]; then
    echo "all: $passed suite$([ "$passed" -eq 1 ] || echo s) passed, $failed failed${names:+ (failed: $names)}"
    rm -f "$DOCKYARD_SUITES"
  fi
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
