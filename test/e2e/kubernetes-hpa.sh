# shellcheck shell=bash
# shellcheck disable=SC2154 # log, state, NS, STACK, TAG and the helpers are the suite's
# Scaling by load on the real Kubernetes node (issue 31), sourced by test/e2e/kubernetes-real.sh,
# whose helpers (k, jp, check, ok, fail, eventually, available, pod_of, pc, p, run, section, client_pod)
# it uses; hpa_scaling runs once the stack is deployed and leaves vote as it found it:
# - the node's metrics pipeline (tools/k8s/metrics.sh): `kubectl top pods` shows vote's CPU;
# - vote's autoscaling set by the stage (pulumi config set --path, then dockyard up): 1 to 3 pods at
#   50% of its CPU request, scale-down window 30 s, scale-up policy at most 2 pods per 20 s (written in
#   spec.behavior; the scale-down policy left to the API server's default); the autoscaler takes vote
#   down to 1 pod; dockyard's capacity check (cli/capacity.ts) finds room for vote at its 3 pods on the
#   node (the node's figures, and the check of the stage as deployed, printed), and dockyard up refuses
#   vote at 40 pods before anything is created;
# - a bounded vote load (test/e2e/vote-load.js in the client pod: HPA_RATE votes a second, HPA_COUNT in
#   all, to vote's Service only) drives vote's CPU over the target: more than one pod Ready (count and
#   seconds printed), every request answered 200;
# - the load over, vote back to 1 pod after the window (seconds printed); every vote the load posted
#   counted in PostgreSQL exactly once;
# - `pulumi up --expect-no-changes` passes: vote's Deployment has no replicas of the stack's (the
#   autoscaler owns the count), so an up does not reset what the autoscaler chose;
# - the stage's config back as it was, and an up that applies it (vote at its 2 pods again).
# The suite runs under set -e: every command here that may fail says so.

HPA_RATE="${HPA_RATE:-140}"  # votes a second: vote's CPU about 100% of its 250m request on one pod (50/s: 89m, 35%)
HPA_COUNT="${HPA_COUNT:-9800}" # 70 s of load
HPA_WINDOW=30                # services.vote.autoscaling.scaleDownStabilizationSeconds
HPA_UP_PODS=2                # services.vote.autoscaling.scaleUpPods: from 1 pod, 3 (the most) at once anyway
HPA_UP_PERIOD=20             # services.vote.autoscaling.scaleUpPeriodSeconds

hpa_ready() { jp deployment vote '{.status.readyReplicas}' 2>/dev/null || true; }
hpa_votes() { # the votes of PREFIX in PostgreSQL, "id choice" per line, sorted
  { k exec "$(pod_of db)" -- psql -U postgres -tAc "SELECT id || ' ' || vote FROM votes WHERE id LIKE '$1%'" 2>/dev/null || true; } | LC_ALL=C sort
}
hpa_top_vote() { # vote's pods' CPU as kubectl top shows it: "<n>m" per pod, or nothing
  { kubectl top pods -n "$NS" -l app.kubernetes.io/name=vote --no-headers 2>/dev/null || true; } | awk '{ print $2 }' | xargs
}

hpa_capacity() { # cli/capacity.ts's check (what dockyard up asks before it creates anything) of the suite's config as it is now: its line, or its refusal
  cp "$state/Pulumi.$STACK.yaml" "$root/Pulumi.$STACK.yaml"
  PATH="$root/.tools/k8s/bin:$PATH" node -e '
    require("ts-node").register({ transpileOnly: true, project: "tsconfig.json" });
    const { checkCapacity } = require("./cli/capacity");
    const { loadStack } = require("./cli/stack");
    checkCapacity(loadStack({ stack: process.argv[1] }), (line) => console.log(line)).catch((error) => console.log(error.message));
  ' "$STACK" 2>&1 | tail -1
}

hpa_scaling() {
  section "7d. scaling by load: vote's autoscaler (1-3 pods at 50% CPU, up at most 2 pods per 20 s) grows under a vote load and shrinks after it"
  local t0 prefix="${k8s_run_hex:-$(printf '%06x' $(($(date +%s) % 16777216)))}c3" load_pid up_at="" most=1 ready i
  local config="$state/Pulumi.$STACK.yaml" rc

  client_pod # the load runs in it (as the faults' do); applying it again is a no-op when it is there
  k wait --for=condition=Ready pod/client --timeout=60s >/dev/null 2>&1 || true
  # The metrics pipeline: figures for vote's pods (metrics-server scrapes every 15 s).
  for ((i = 0; i < 90; i++)); do
    [ -n "$(hpa_top_vote | grep -E '^[0-9]+m( [0-9]+m)*$' || true)" ] && break
    sleep 1
  done
  check "kubectl top pods: a CPU figure for each of vote's pods (metrics-server on the node)" "yes" \
    "$(echo "$(hpa_top_vote)" | grep -qE '^[0-9]+m( [0-9]+m)*$' && echo yes || echo "no: [$(hpa_top_vote)] $(kubectl get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions[0].message}' 2>&1)")"
  { kubectl top pods -n "$NS" 2>&1 || true; } | sed 's/^/        /'

  # The node's room, as the capacity check reads it; the stage's own autoscaling (vote 2-4) through it.
  printf '        node: allocatable %s; %s\n' "$(kubectl get nodes -o jsonpath='{.items[0].status.allocatable.cpu} CPU, {.items[0].status.allocatable.memory}' 2>&1 || true)" \
    "$({ kubectl describe nodes 2>/dev/null || true; } | grep -A6 '^Allocated resources' | grep -E '^ +(cpu|memory) ' | awk '{ printf "%s requested %s %s; ", $1, $2, $3 }')"
  printf '        capacity check, the stage as deployed: %s\n' "$(hpa_capacity)"

  # The stage's autoscaling for vote, set as a user would, and applied.
  cp "$config" "$state/hpa-config-before.yaml"
  pc set --path services.vote.autoscaling.minReplicas 1
  pc set --path services.vote.autoscaling.maxReplicas 3
  pc set --path services.vote.autoscaling.targetCpuPercent 50
  pc set --path services.vote.autoscaling.scaleDownStabilizationSeconds "$HPA_WINDOW"
  pc set --path services.vote.autoscaling.scaleUpPods "$HPA_UP_PODS"
  pc set --path services.vote.autoscaling.scaleUpPeriodSeconds "$HPA_UP_PERIOD"
  t0=$SECONDS
  if run up-hpa up --yes; then ok "dockyard up with services.vote.autoscaling 1-3 pods, 50% CPU, scale-down window ${HPA_WINDOW}s, up at most ${HPA_UP_PODS} pods per ${HPA_UP_PERIOD}s ($((SECONDS - t0))s)"; else fail "dockyard up with vote's autoscaling" "$(tail -30 "$log/up-hpa.txt")"; fi
  check "vote's HPA: 1-3 pods, 50% of the CPU request, windows 0 s up and ${HPA_WINDOW} s down" "1 3 50 0 $HPA_WINDOW" \
    "$(jp hpa vote '{.spec.minReplicas} {.spec.maxReplicas} {.spec.metrics[0].resource.target.averageUtilization} {.spec.behavior.scaleUp.stabilizationWindowSeconds} {.spec.behavior.scaleDown.stabilizationWindowSeconds}')"
  check "vote's HPA policies: up the stage's (the API's selectPolicy Max filled in), down the API server's own" \
    "up Pods $HPA_UP_PODS ${HPA_UP_PERIOD}s; Max; down Percent 100 15s; Max" \
    "$(jp hpa vote 'up{range .spec.behavior.scaleUp.policies[*]} {.type} {.value} {.periodSeconds}s;{end} {.spec.behavior.scaleUp.selectPolicy}; down{range .spec.behavior.scaleDown.policies[*]} {.type} {.value} {.periodSeconds}s;{end} {.spec.behavior.scaleDown.selectPolicy}')"
  check "dockyard's capacity check on the real node, the nodes and pods as kubectl lists them: vote fits at maxReplicas 3" \
    "capacity: the cluster can place vote at maxReplicas 3" "$(hpa_capacity)"
  # A ceiling the node cannot hold: dockyard up refuses it before anything is created (the HPA kept).
  pc set --path services.vote.autoscaling.maxReplicas 40
  rc=0
  run up-hpa-refused up --yes || rc=$?
  check "dockyard up with vote's maxReplicas 40: refused on the node's figures, nothing changed (vote's HPA still 1-3)" \
    "1|dockyard up: services.vote.autoscaling.maxReplicas is 40, but the cluster can place only|1 3" \
    "$rc|$(grep -o '^dockyard up: services.vote.autoscaling.maxReplicas is 40, but the cluster can place only' "$log/up-hpa-refused.txt" | head -1)|$(jp hpa vote '{.spec.minReplicas} {.spec.maxReplicas}')"
  grep -m1 '^dockyard up: services.vote' "$log/up-hpa-refused.txt" | cut -c1-400 | sed 's/^/        /' || true
  pc set --path services.vote.autoscaling.maxReplicas 3
  check "vote's Deployment in the stack has no replicas of its own (the HPA owns the count)" "none" \
    "$(p stack export 2>/dev/null | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { const r = (JSON.parse(s).deployment.resources || []).find((x) => x.type === "kubernetes:apps/v1:Deployment" && x.inputs?.metadata?.name === "vote"); console.log(r === undefined ? "no Deployment vote" : (r.inputs.spec?.replicas ?? "none")); })' 2>&1 || true)"
  # Idle, the autoscaler takes vote to its minimum once the window has passed.
  t0=$SECONDS
  eventually "idle: the autoscaler takes vote to 1 pod (spec/available/updated)" "1/1/1" 150 available vote
  printf '  figure  idle: vote at 1 pod %ds after the up (window %ds)\n' $((SECONDS - t0)) "$HPA_WINDOW"
  check "the HPA reads vote's CPU (a current utilisation, not <unknown>)" "yes" \
    "$(jp hpa vote '{.status.currentMetrics[0].resource.current.averageUtilization}' | grep -qE '^[0-9]+$' && echo yes || echo "no: $(jp hpa vote '{.status.conditions}')")"

  # The load: a fixed count at a fixed rate from the client pod, to vote's Service.
  k exec -i client -- node - http://vote:5000/ "$HPA_COUNT" "$HPA_RATE" "$prefix" - <test/e2e/vote-load.js >"$log/hpa-load.out" 2>"$log/hpa-load.err" &
  load_pid=$!
  t0=$SECONDS
  while kill -0 "$load_pid" 2>/dev/null; do
    ready="$(hpa_ready)"
    if [ "${ready:-0}" -gt "$most" ]; then most="$ready"; fi
    if [ -z "$up_at" ] && [ "${ready:-0}" -gt 1 ]; then up_at=$((SECONDS - t0)); fi
    sleep 1
  done
  wait "$load_pid" || true
  local load_secs=$((SECONDS - t0))
  printf '        vote CPU at the end of the load: %s; HPA: %s\n' "$(hpa_top_vote)" \
    "$(jp hpa vote '{.status.currentMetrics[0].resource.current.averageUtilization}% of the request, {.status.currentReplicas} pods, wants {.status.desiredReplicas}')"
  check "under the load, vote grew to more than 1 Ready pod" "yes" \
    "$([ -n "$up_at" ] && echo yes || echo "no: at most $most Ready in ${load_secs}s; $(jp hpa vote '{.status.conditions[*].message}')")"
  [ -z "$up_at" ] || printf '  figure  scale-up: vote at 2 Ready pods %ds after the load began, %d at most (%d votes at %d/s, %ds)\n' \
    "$up_at" "$most" "$HPA_COUNT" "$HPA_RATE" "$load_secs"
  { grep -E '^[0-9a-f]+ [ab]$' "$log/hpa-load.out" || true; } | LC_ALL=C sort >"$log/hpa-load.acked"
  tail -1 "$log/hpa-load.out" >"$log/hpa-load.json" || true
  check "every request of the load answered 200 while vote scaled (sent/acknowledged/failed)" "$HPA_COUNT/$HPA_COUNT/0" \
    "$(node -e 'try { const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`${s.sent}/${s.acknowledged}/${s.failed}`); } catch { console.log("no summary") }' "$log/hpa-load.json" 2>&1 || true)"

  # The load over: back to 1 pod once the CPU figures have stayed low for the window.
  t0=$SECONDS
  eventually "the load over, the autoscaler takes vote back to 1 pod (spec/available/updated)" "1/1/1" 180 available vote
  printf '  figure  scale-down: vote back at 1 pod %ds after the load ended (window %ds)\n' $((SECONDS - t0)) "$HPA_WINDOW"

  # Every vote the load posted, in PostgreSQL once (the worker given up to 90 s).
  for ((i = 0; i < 90; i++)); do
    [ "$(hpa_votes "$prefix" | wc -l)" -ge "$(wc -l <"$log/hpa-load.acked")" ] && break
    sleep 1
  done
  check "every acknowledged vote is counted in PostgreSQL with its choice, nothing else ($(wc -l <"$log/hpa-load.acked") votes)" \
    "$(tr '\n' '|' <"$log/hpa-load.acked")" "$(hpa_votes "$prefix" | tr '\n' '|')"
  check "no vote counted twice" "0" \
    "$(k exec "$(pod_of db)" -- psql -U postgres -tAc "SELECT count(*) FROM (SELECT id FROM votes WHERE id LIKE '$prefix%' GROUP BY id HAVING count(*) > 1) d" 2>&1 || true)"

  # The autoscaler changed vote's pod count twice: the stack does not see that as a change.
  rc=0
  p up --yes --expect-no-changes --config-file "$config" >"$log/up-hpa-nochange.txt" 2>&1 || rc=$?
  check "pulumi up --expect-no-changes after the autoscaler scaled vote: exit 0" "0" "$rc"
  [ "$rc" = 0 ] || tail -20 "$log/up-hpa-nochange.txt" | sed 's/^/        /'

  # vote as the suite had it: the stage's config as before, applied (vote's autoscaler at 2 pods again).
  cp "$state/hpa-config-before.yaml" "$config"
  t0=$SECONDS
  if run up-hpa-back up --yes; then ok "dockyard up with the config as before ($((SECONDS - t0))s)"; else fail "dockyard up with the config as before" "$(tail -30 "$log/up-hpa-back.txt")"; fi
  eventually "vote 2/2/2 again (its HPA's minimum)" "2/2/2" 90 available vote
  return 0
}
