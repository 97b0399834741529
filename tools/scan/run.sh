#!/usr/bin/env bash
# The security scanners on what the project ships, as CI runs them (`npm run scan`):
#   checkov (frameworks kubernetes and dockerfile), kube-score, hadolint.
# 1. installs the scanners at their pinned versions (tools/scan/install.sh; cached outside the checkout);
# 2. renders each Kubernetes stage's objects under Pulumi mocks (tools/scan/render.ts) into a temporary
#    directory (DOCKYARD_SCAN_KEEP=<dir> renders and keeps the results there instead);
# 3. runs checkov and kube-score on each stage's manifests, checkov and hadolint on every Dockerfile;
# 4. prints per scanner and per stage or Dockerfile the findings outside tools/scan/skips.yaml
#    (tools/scan/report.ts) and exits 1 when there is any, 2 when a scanner could not run.
# Suppressions inside the scanned files are not honoured (hadolint --disable-ignore-pragma, kube-score
# --disable-ignore-checks-annotations, checkov's in-file skips are counted as findings), and checkov
# runs outside the checkout so no .checkov.yaml there applies: skips.yaml is the only skip list.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

# Optional kube-score checks turned on: the seccomp profile (the hardening asks for RuntimeDefault).
KUBE_SCORE_OPTIONAL=(container-seccomp-profile)
# kube-score judges API versions against the control plane the project runs (tools/k8s).
kubernetes_version="$(sed -n 's/^[[:space:]]*k8s.io\/kubernetes \(v[0-9]*\.[0-9]*\)\..*/\1/p' tools/k8s/modules/go.mod | head -n 1)"
[ -n "$kubernetes_version" ] || { echo "[scan] no k8s.io/kubernetes version in tools/k8s/modules/go.mod" >&2; exit 2; }

dockerfiles=(apps/vote/Dockerfile apps/node-common/Dockerfile)
for file in tools/base-images/*/Dockerfile; do dockerfiles+=("$file"); done

bin="$(bash "$here/install.sh" | tail -n 1)"

if [ -n "${DOCKYARD_SCAN_KEEP:-}" ]; then
  out="$DOCKYARD_SCAN_KEEP"
  rm -rf "$out"
  mkdir -p "$out"
else
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
fi
manifests="$out/manifests"
results="$out/results"
mkdir -p "$manifests" "$results"
printf '%s\n' "${dockerfiles[@]}" >"$results/dockerfiles.txt"

npx --no-install ts-node --transpile-only "$here/render.ts" "$manifests"

# A scanner exits 1 when it finds something; the JSON it wrote is judged by report.ts. Any other
# exit status, or no JSON, means it did not run.
scan() {
  local output="$1" status=0
  shift
  "$@" >"$output" || status=$?
  if [ "$status" -gt 1 ] || [ ! -s "$output" ]; then
    echo "[scan] $* exited $status without a result" >&2
    exit 2
  fi
}

checkov_flags=(--skip-download --skip-results-upload -o json)
absolute_dockerfiles=()
for file in "${dockerfiles[@]}"; do absolute_dockerfiles+=("$root/$file"); done

for stage_file in "$manifests"/*.yaml; do
  stage="$(basename "$stage_file" .yaml)"
  echo "[scan] $stage: checkov (kubernetes), kube-score"
  (cd "$out" && scan "$results/checkov-kubernetes-$stage.json" "$bin/checkov" "${checkov_flags[@]}" --framework kubernetes -f "$stage_file")
  optional=()
  for check in "${KUBE_SCORE_OPTIONAL[@]}"; do optional+=(--enable-optional-test "$check"); done
  scan "$results/kube-score-$stage.json" "$bin/kube-score" score -o json --kubernetes-version "$kubernetes_version" \
    --disable-ignore-checks-annotations "${optional[@]}" "$stage_file"
done

echo "[scan] Dockerfiles: checkov (dockerfile), hadolint"
(cd "$out" && scan "$results/checkov-dockerfile.json" "$bin/checkov" "${checkov_flags[@]}" --framework dockerfile -f "${absolute_dockerfiles[@]}")
if [ -x "$bin/hadolint" ]; then
  # hadolint reads a .hadolint.yaml from the working directory or the user's config: give it an empty one.
  echo "{}" >"$out/hadolint.yaml"
  scan "$results/hadolint.json" "$bin/hadolint" --config "$out/hadolint.yaml" --disable-ignore-pragma --no-fail -f json "${dockerfiles[@]}"
fi

status=0
npx --no-install ts-node --transpile-only "$here/report.ts" "$results" "$here/skips.yaml" || status=$?
exit "$status"
