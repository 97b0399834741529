# Sourced by bench/e2e.sh and bench/k8s.sh: timing, medians, the table and the ratios. Samples are
# kept in the associative array t (key -> space-separated milliseconds), declared by the caller.
# shellcheck shell=bash

# Milliseconds that a command takes (its output dropped).
ms() { local start=$EPOCHREALTIME; "$@" >/dev/null 2>&1; echo $(( ($(date +%s%N) - ${start/./} * 1000) / 1000000 )); }
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# The table: one "key|label" argument per row, each with its median and every sample.
table() {
  local row key
  printf '\n%-56s %9s   %s\n' "median of $RUNS runs" "ms" "(all runs)"
  for row in "$@"; do
    key="${row%%|*}"
    printf '%-56s %9s   (%s)\n' "${row#*|}" "$(echo "${t[$key]}" | median)" "${t[$key]% }"
  done
}
# Median of key $1 over median of key $2, two decimals.
ratio() { awk -v a="$(echo "${t[$1]}" | median)" -v b="$(echo "${t[$2]}" | median)" 'BEGIN {printf "%.2f", a / b}'; }
# "met" when ratio $1 is at most goal $2.
goal() { awk -v r="$1" -v g="$2" 'BEGIN {print (r <= g ? "met" : "NOT met")}'; }
