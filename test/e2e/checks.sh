# shellcheck shell=bash
# shellcheck disable=SC2034 # passed, failed, t0 and the *_before snapshots are read by the suites
# The real-engine suites' checks, one copy, sourced by test/e2e/<suite>.sh:
#   ok NAME                  counts a pass:            "  ok    NAME"
#   fail NAME [DETAIL]       counts a failure:         "  FAIL  NAME", then each line of DETAIL
#                            indented by 8 spaces (its last 30 lines, saying how many were left out)
#   check NAME WANT GOT      ok when GOT is WANT, else fail with "expected [WANT], got [GOT]"
#   section NAME             "== NAME (Ns)", N the seconds since this file was sourced (t0)
#   engine_before            what the Docker engine holds now, without a label filter: containers
#                            (also stopped and created ones), networks, volumes, untagged images, the
#                            swarm state, and a swarm manager's services, secrets and configs
#   engine_as_found NAME     one check: the engine holds what engine_before saw, no more (what was
#                            added is named on failure); nothing is removed here
#   remove_leftovers STACK   removes the containers, networks and volumes labelled
#                            dockyard.stack=STACK, saying which: what a run of the suite killed
#                            before its cleanup (a CI job stopped hard) left; only for a stack name
#                            the suite owns (never dev), called before engine_before
#   swarm_as_found NAME      one check: the swarm holds the services, secrets and configs
#                            engine_before saw, no more (a suite that makes its own swarm checks this
#                            before it leaves it, then engine_as_found)
# A suite ends with `echo "$passed passed, $failed failed"`.
passed=0
failed=0
t0=$SECONDS
# A suite stopped by a signal (Ctrl-C, a CI job's timeout, kill) leaves through its EXIT trap, so its
# cleanup runs and the engine is left as found: bash runs an EXIT trap when the script exits, not when
# a signal ends it.
trap 'exit 130' INT
trap 'exit 143' TERM

ok() {
  passed=$((passed + 1))
  printf '  ok    %s\n' "$1"
}
fail() {
  failed=$((failed + 1))
  printf '  FAIL  %s\n' "$1"
  [ -n "${2:-}" ] || return 0
  local lines
  lines="$(printf '%s\n' "$2" | wc -l)"
  [ "$lines" -le 30 ] || printf '        (%d lines, the last 30:)\n' "$lines"
  printf '%s\n' "$2" | tail -30 | sed 's/^/        /'
}
# check "what" expected actual
check() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "expected [$2], got [$3]"; fi; }
section() { printf '\n== %s (%ds)\n' "$1" $((SECONDS - t0)); }

# engine_state ARGS...: `docker ARGS` as one sorted line of words.
engine_state() { docker "$@" | sort | tr '\n' ' '; }
# added BEFORE NOW: the words of NOW that are not in BEFORE
added() { comm -13 <(tr ' ' '\n' <<<"$1" | sed '/^$/d') <(tr ' ' '\n' <<<"$2" | sed '/^$/d') | tr '\n' ' '; }
swarm_node_state() { docker info -f '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo "no engine"; }
# The swarm's services, secrets and configs ("service NAME" ...), when this engine is a manager.
swarm_objects() {
  [ "$(docker info -f '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ] || return 0
  docker service ls --format 'service:{{.Name}}'
  docker secret ls --format 'secret:{{.Name}}'
  docker config ls --format 'config:{{.Name}}'
}

engine_before() {
  containers_before="$(engine_state ps -aq --no-trunc)"
  networks_before="$(engine_state network ls -q --no-trunc)"
  volumes_before="$(engine_state volume ls -q)"
  dangling_before="$(engine_state images -q --no-trunc --filter dangling=true)"
  swarm_state_before="$(swarm_node_state)"
  swarm_objects_before="$(swarm_objects | sort | tr '\n' ' ')"
}

# What was added since engine_before, one line each with what names it; nothing when nothing was.
engine_added() {
  local id
  for id in $(added "$containers_before" "$(engine_state ps -aq --no-trunc)"); do
    docker inspect -f 'container {{.Name}} {{.State.Status}}, image {{.Config.Image}}, {{.Id}}' "$id" 2>/dev/null | sed 's| /| |' || echo "container $id"
  done
  for id in $(added "$networks_before" "$(engine_state network ls -q --no-trunc)"); do
    docker network inspect -f 'network {{.Name}} ({{.Driver}}), {{.Id}}' "$id" 2>/dev/null || echo "network $id"
  done
  for id in $(added "$volumes_before" "$(engine_state volume ls -q)"); do echo "volume $id"; done
  for id in $(added "$dangling_before" "$(engine_state images -q --no-trunc --filter dangling=true)"); do
    docker image inspect -f 'untagged image {{.Id}} created {{.Created}}, labels {{json .Config.Labels}}' "$id" 2>/dev/null || echo "untagged image $id"
  done
  local node_state
  node_state="$(swarm_node_state)"
  [ "$node_state" = "$swarm_state_before" ] || echo "swarm: $node_state (it was $swarm_state_before)"
}
# What was added to the swarm since engine_before: "service NAME" ..., one a line.
swarm_added() { added "$swarm_objects_before" "$(swarm_objects | sort | tr '\n' ' ')" | tr ' ' '\n' | sed '/^$/d; s/:/ /'; }
engine_as_found() {
  local what
  what="$(engine_added; swarm_added)"
  if [ -z "$what" ]; then ok "$1"; else fail "$1" "$(printf 'added since the suite began:\n%s' "$what")"; fi
}
swarm_as_found() {
  local what
  what="$(swarm_added)"
  if [ -z "$what" ]; then ok "$1"; else fail "$1" "$(printf 'added to the swarm since the suite began:\n%s' "$what")"; fi
}

# remove_images PATTERN...: untags the images whose name matches a pattern (`docker images
# --filter reference=PATTERN`: voting-*:dev), by name, never by id (an id may carry another stack's
# tag too); an image left with no name is deleted. A suite removes its own images at its end, and
# those of an earlier run before engine_before: a rebuild under a name that is taken leaves the
# image it took the name from untagged.
remove_images() {
  local pattern
  for pattern in "$@"; do
    docker images --format '{{.Repository}}:{{.Tag}}' --filter "reference=$pattern" | grep -v ':<none>$' | xargs -r docker rmi >/dev/null 2>&1 || true
  done
}

remove_leftovers() {
  local what
  what="$(docker ps -a --filter "label=dockyard.stack=$1" --format 'container {{.Names}}'
    docker network ls --filter "label=dockyard.stack=$1" --format 'network {{.Name}}'
    docker volume ls --filter "label=dockyard.stack=$1" --format 'volume {{.Name}}')"
  [ -n "$what" ] || return 0
  printf '  (an earlier run of this suite, stopped before its cleanup, left on the engine: %s; removed)\n' "$(tr '\n' ' ' <<<"$what" | sed 's/ $//')"
  docker ps -aq --filter "label=dockyard.stack=$1" | xargs -r docker rm -f >/dev/null
  docker network ls -q --filter "label=dockyard.stack=$1" | xargs -r docker network rm >/dev/null
  docker volume ls -q --filter "label=dockyard.stack=$1" | xargs -r docker volume rm >/dev/null
}
