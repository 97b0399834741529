/**
 * Every compose key dockyard knows, nested ones included, by path: what happens to it and which
 * converter (stacks/compose/families/<handler>.ts) reads it. `*` in a path stands for a name (a
 * service, a network, a volume); `<other>` for any key of that mapping the table does not list. A key
 * of a mapping the table walks that matches no entry is refused as unknown; `x-` keys of the top level
 * are extension fields and ignored. docs/compose.md's key table is generated from this one
 * (tools/docs/compose.ts).
 */
import { Context, Doc } from "./context";

/** The converter that reads a key: stacks/compose/families/<handler>.ts, or convert.ts for "app" and "service". */
export type Handler =
  | "app"
  | "service"
  | "build"
  | "env"
  | "ports"
  | "mounts"
  | "networks"
  | "depends"
  | "health"
  | "deploy"
  | "secrets"
  | "volumes"
  | "security"
  | "x-dockyard";

export type KeyRule =
  /** note: what the key becomes, for docs/compose.md. */
  | { disposition: "mapped"; handler: Handler; note?: string }
  /** Ignored keys are reported; `{service}` and `{key}` in why name the service and the key. */
  | { disposition: "ignored"; handler: Handler; why: string }
  | { disposition: "refused"; handler: Handler; why: string };

const mapped = (handler: Handler, note?: string): KeyRule => ({ disposition: "mapped", handler, ...(note ? { note } : {}) });
const ignored = (handler: Handler, why: string): KeyRule => ({ disposition: "ignored", handler, why });
const refused = (handler: Handler, why: string): KeyRule => ({ disposition: "refused", handler, why });

const SAME_NAME = "services reach each other by service name";
const TARGET_DNS = "the target's DNS is used";
const LIFECYCLE = "lifecycle hooks do not run";
const ENGINE_DEFAULT = "the engine's default applies";
const CONFIGS = "compose configs are not supported; bake the file into the image or mount a volume";

export const KEYS: Record<string, KeyRule> = {
  name: mapped("app", "the app name; without it, the compose file's folder name"),
  services: mapped("service", "the app's services (at least one)"),
  networks: mapped(
    "networks",
    "bridge networks; `ipam.config[0]` `subnet`, `gateway`, `ip_range`, and `internal`; no subnet: a /24 from 10.124.0.0/16; `external` refused",
  ),
  volumes: mapped("volumes", "named volumes, created and owned by the stack; `x-dockyard: { size, retain }`; `external` refused"),
  secrets: mapped(
    "secrets",
    "declared secrets; the value is the stack's `dockyard:secrets.<name>`; `x-dockyard: { description, minLength }`; `external` refused",
  ),
  configs: refused("app", CONFIGS),
  include: refused("app", "include is not supported: put the services in this file"),

  "services.*": mapped("service"),
  "services.*.image": mapped(
    "build",
    "the image to pull (`kind: pull`); with `build` the built image is tagged `<app>-<service>:<imageTag>` instead",
  ),
  "services.*.build": mapped(
    "build",
    "a string (the context) or a map: `context` (inside the project), `dockerfile`, `args` (map or list), `target`; other build keys are ignored with a note",
  ),
  "services.*.build.context": mapped("build"),
  "services.*.build.dockerfile": mapped("build"),
  "services.*.build.args": mapped("build"),
  "services.*.build.target": mapped("build"),
  "services.*.build.<other>": ignored("build", "only context, dockerfile, args and target are passed to the build"),
  "services.*.command": mapped(
    "service",
    "a list, or a string split into words like a shell (operators such as `&&` are refused: write a list)",
  ),
  "services.*.entrypoint": mapped("service", "as `command`"),
  "services.*.environment": mapped(
    "env",
    "a map or a list of `KEY=value` (a bare `KEY` is refused); `<VAR>_FILE: /run/secrets/<secret>` becomes a secret variable",
  ),
  "services.*.env_file": mapped("env", "read relative to the compose file, under `environment`; `required: false` skips a missing file"),
  "services.*.secrets": mapped("env", "each listed secret must be declared at the top level and named by a `<VAR>_FILE` variable"),
  "services.*.ports": mapped(
    "ports",
    "`HOST:CONTAINER`, `IP:HOST:CONTAINER` (an IP other than 0.0.0.0 must be where the stage binds: `bindAddress` on docker; refused on swarm and on a Kubernetes Service other than ClusterIP), `CONTAINER` (not published), `/udp`, and the long form; ranges are refused",
  ),
  "services.*.expose": mapped("ports", "container ports reachable by the app's other services only"),
  "services.*.volumes": mapped(
    "mounts",
    "named volumes (declared at the top level), bind mounts (relative to the compose file, or absolute), `:ro` / `read_only`; anonymous volumes are refused, tmpfs ignored",
  ),
  "services.*.networks": mapped("networks", "a list or a map (aliases and addresses ignored); none given: the `default` network"),
  "services.*.networks.*": mapped("networks"),
  "services.*.networks.*.aliases": ignored("networks", 'aliases are not set: the service is reached as "{service}"'),
  "services.*.networks.*.<other>": ignored("networks", "{key} is not applied: addresses come from the network's subnet"),
  "services.*.depends_on": mapped("depends", "a list (started) or a map with `condition: service_started` / `service_healthy`"),
  "services.*.depends_on.*": mapped("depends"),
  "services.*.depends_on.*.condition": mapped("depends"),
  "services.*.depends_on.*.restart": ignored("depends", "dependents are not restarted"),
  "services.*.depends_on.*.required": mapped("depends"),
  "services.*.links": mapped("depends", "a dependency (started) on the linked service, reached by its own name; an alias is refused"),
  "services.*.healthcheck": mapped(
    "health",
    "`CMD`, `CMD-SHELL`, a string or `NONE`; durations in whole seconds; compose's defaults 30s / 30s / 3 / 0s",
  ),
  "services.*.healthcheck.test": mapped("health"),
  "services.*.healthcheck.interval": mapped("health"),
  "services.*.healthcheck.timeout": mapped("health"),
  "services.*.healthcheck.retries": mapped("health"),
  "services.*.healthcheck.start_period": mapped("health"),
  "services.*.healthcheck.disable": mapped("health"),
  "services.*.healthcheck.<other>": ignored("health", "not applied"),
  "services.*.deploy": mapped(
    "deploy",
    '`replicas`, `resources.limits` and `.reservations` (`cpus`, `memory`), `update_config`, `rollback_config`, `restart_policy`, `placement` (`constraints`, `max_replicas_per_node`), `endpoint_mode`, `mode: replicated` (see "Compose v3 deploy keys"); `placement.preferences` and `labels` ignored with a note; `mode: global` refused',
  ),
  "services.*.deploy.mode": mapped("deploy"),
  "services.*.deploy.replicas": mapped("deploy"),
  "services.*.deploy.endpoint_mode": mapped("deploy"),
  "services.*.deploy.labels": ignored("deploy", "service labels are dockyard's own (dockyard.app, dockyard.stack, dockyard.service)"),
  "services.*.deploy.resources": mapped("deploy"),
  "services.*.deploy.resources.limits": mapped("deploy"),
  "services.*.deploy.resources.limits.cpus": mapped("deploy"),
  "services.*.deploy.resources.limits.memory": mapped("deploy"),
  "services.*.deploy.resources.limits.pids": ignored("deploy", ENGINE_DEFAULT),
  "services.*.deploy.resources.reservations": mapped("deploy"),
  "services.*.deploy.resources.reservations.cpus": mapped("deploy"),
  "services.*.deploy.resources.reservations.memory": mapped("deploy"),
  "services.*.deploy.resources.reservations.devices": refused("deploy", "devices and generic resources are not passed through"),
  "services.*.deploy.resources.reservations.generic_resources": refused("deploy", "devices and generic resources are not passed through"),
  "services.*.deploy.update_config": mapped("deploy"),
  "services.*.deploy.update_config.parallelism": mapped("deploy"),
  "services.*.deploy.update_config.delay": mapped("deploy"),
  "services.*.deploy.update_config.order": mapped("deploy"),
  "services.*.deploy.update_config.monitor": mapped("deploy"),
  "services.*.deploy.update_config.max_failure_ratio": mapped("deploy"),
  "services.*.deploy.update_config.failure_action": mapped("deploy"),
  "services.*.deploy.rollback_config": mapped("deploy"),
  "services.*.deploy.rollback_config.parallelism": mapped("deploy"),
  "services.*.deploy.rollback_config.delay": mapped("deploy"),
  "services.*.deploy.rollback_config.order": mapped("deploy"),
  "services.*.deploy.rollback_config.monitor": mapped("deploy"),
  "services.*.deploy.rollback_config.max_failure_ratio": mapped("deploy"),
  "services.*.deploy.rollback_config.failure_action": mapped("deploy"),
  "services.*.deploy.restart_policy": mapped("deploy"),
  "services.*.deploy.restart_policy.condition": mapped("deploy"),
  "services.*.deploy.restart_policy.delay": mapped("deploy"),
  "services.*.deploy.restart_policy.max_attempts": mapped("deploy"),
  "services.*.deploy.restart_policy.window": mapped("deploy"),
  "services.*.deploy.placement": mapped("deploy"),
  "services.*.deploy.placement.constraints": mapped("deploy"),
  "services.*.deploy.placement.max_replicas_per_node": mapped("deploy"),
  "services.*.deploy.placement.preferences": ignored(
    "deploy",
    "spread preferences are not applied; the scheduler spreads tasks over the nodes by itself",
  ),
  "services.*.cpus": mapped("deploy", "the CPU limit when `deploy.resources.limits.cpus` is not given"),
  "services.*.mem_limit": mapped("deploy", "the memory limit when `deploy.resources.limits.memory` is not given"),
  "services.*.scale": mapped("deploy", "the replica count when `deploy.replicas` is not given"),
  "services.*.user": mapped("service", "the user (name or uid[:gid]) to run as"),
  "services.*.profiles": mapped("service", "the service is deployed only when one of its profiles is enabled"),
  "services.*.x-dockyard": mapped(
    "x-dockyard",
    "dockyard's own fields: `portNames`, `healthOnlyPorts`, `healthHttp`, `singleWriter`, `autoscaling`",
  ),
  "services.*.container_name": ignored(
    "service",
    "containers are named <app>-<stack>-<service>-<replica>, so stages and replicas can share an engine",
  ),
  "services.*.restart": mapped(
    "deploy",
    "the restart condition when `deploy.restart_policy` is not given: `no` none, `always` and `unless-stopped` any, `on-failure[:attempts]` on-failure",
  ),
  "services.*.labels": ignored("service", "containers carry dockyard.app, dockyard.stack and dockyard.service labels"),
  "services.*.hostname": ignored("service", SAME_NAME),
  "services.*.domainname": ignored("service", SAME_NAME),
  "services.*.working_dir": ignored("service", "the image's working directory is used; set WORKDIR in the Dockerfile"),
  "services.*.stop_grace_period": mapped(
    "service",
    "whole seconds a copy has to exit after SIGTERM before it is killed (`stopGracePeriodSeconds`)",
  ),
  "services.*.stop_signal": ignored("service", "set STOPSIGNAL in the Dockerfile"),
  "services.*.logging": ignored("service", "the engine's default logging driver applies"),
  "services.*.tty": ignored("service", "services run without a terminal"),
  "services.*.stdin_open": ignored("service", "services run without stdin"),
  "services.*.init": ignored("service", "add an init (tini) to the image if the process needs one"),
  "services.*.dns": ignored("service", TARGET_DNS),
  "services.*.dns_search": ignored("service", TARGET_DNS),
  "services.*.dns_opt": ignored("service", TARGET_DNS),
  "services.*.extra_hosts": ignored("service", SAME_NAME),
  "services.*.pull_policy": ignored("service", "prebuilt images are pulled when missing"),
  "services.*.platform": ignored("service", "images build for the engine's platform"),
  "services.*.read_only": mapped("security", "a read-only root filesystem (`security.readOnlyRootFilesystem`)"),
  "services.*.shm_size": ignored("service", "the engine's default /dev/shm size applies"),
  "services.*.tmpfs": mapped(
    "security",
    "in-memory writable paths, 64 MiB each (`security.tmpfs`); options after `:` are reported, not applied",
  ),
  "services.*.ulimits": ignored("service", "the engine's default limits apply"),
  "services.*.sysctls": ignored("service", "the engine's defaults apply"),
  "services.*.mem_reservation": ignored("service", "use deploy.resources.reservations.memory"),
  "services.*.cpu_shares": ignored("service", "use cpus"),
  "services.*.oom_score_adj": ignored("service", ENGINE_DEFAULT),
  "services.*.pids_limit": ignored("service", ENGINE_DEFAULT),
  "services.*.cap_drop": mapped("security", "capabilities dropped, or `ALL` (`security.capDrop`)"),
  "services.*.post_start": ignored("service", LIFECYCLE),
  "services.*.pre_stop": ignored("service", LIFECYCLE),
  "services.*.develop": ignored("service", "compose watch is a development tool"),
  "services.*.attach": ignored("service", "logs are the engine's"),
  "services.*.annotations": ignored("service", "no annotations are set"),
  "services.*.mac_address": ignored("service", "addresses are the engine's"),
  "services.*.network_mode": refused("service", "services join the app's networks; remove network_mode"),
  "services.*.privileged": refused(
    "service",
    "a privileged container can do anything on its host; grant what the service needs in its image instead",
  ),
  "services.*.cap_add": mapped("security", "capabilities added back, from Docker's default set only (`security.capAdd`)"),
  "services.*.security_opt": mapped("security", "`no-new-privileges` (`security.noNewPrivileges`); any other option is refused"),
  "services.*.devices": refused("service", "host devices are not passed through; remove devices"),
  "services.*.pid": refused("service", "services do not share a PID namespace with the host or each other; remove pid"),
  "services.*.ipc": refused("service", "services do not share an IPC namespace; remove ipc"),
  "services.*.volumes_from": refused("service", "mount the same named volume instead (a volume holds one service's data)"),
  "services.*.external_links": refused("service", "reach services outside the app by address in environment"),
  "services.*.configs": refused("service", CONFIGS),
  "services.*.gpus": refused("service", "GPUs are not passed through"),
  "services.*.runtime": refused("service", "the engine's default runtime is used; remove runtime"),
  "services.*.userns_mode": refused("service", "user namespaces are the engine's; remove userns_mode"),
  "services.*.cgroup_parent": refused("service", "remove cgroup_parent"),
  "services.*.isolation": refused("service", "remove isolation"),
  "services.*.extends": refused("service", "extends is resolved while loading; this one was left over"),

  "networks.*": mapped("networks"),
  "networks.*.driver": mapped("networks"),
  "networks.*.internal": mapped("networks"),
  "networks.*.ipam": mapped("networks"),
  "networks.*.ipam.config": mapped("networks"),
  "networks.*.external": refused("networks", "dockyard creates and owns the app's networks; remove external"),
  "networks.*.<other>": ignored("networks", "not applied"),

  "volumes.*": mapped("volumes"),
  "volumes.*.x-dockyard": mapped("x-dockyard"),
  "volumes.*.external": refused(
    "volumes",
    "dockyard creates and owns the app's volumes; remove external (x-dockyard: { retain: true } keeps the data on destroy)",
  ),
  "volumes.*.driver": mapped("volumes", "`local` only: another driver is refused"),
  "volumes.*.driver_opts": refused(
    "volumes",
    "volumes are created without driver options; mount that storage on the host and bind-mount it",
  ),
  "volumes.*.name": ignored("volumes", "not used: volumes are named <app>-<stack>-<volume>"),
  "volumes.*.<other>": ignored("volumes", "the local driver with default options is used"),

  "secrets.*": mapped("secrets"),
  "secrets.*.x-dockyard": mapped("x-dockyard"),
  "secrets.*.file": mapped("secrets"),
  "secrets.*.environment": mapped("secrets"),
  "secrets.*.external": refused("secrets", "its value must come from the stack: remove external and set it in the stack config"),
  "secrets.*.<other>": ignored("secrets", "not applied: the value is the stack's secret"),
};

/** The table's entry for a key of a mapping at `pattern`: its own, else the mapping's names (`*`), else its `<other>`. */
export function ruleFor(pattern: string, key: string): KeyRule | undefined {
  if (pattern === "") return KEYS[key];
  return KEYS[`${pattern}.${key}`] ?? KEYS[`${pattern}.*`] ?? KEYS[`${pattern}.<other>`];
}

/** How a refusal of an unknown key names the mapping: "service key", "deploy key", "top-level key". */
function kindOf(pattern: string): string {
  if (pattern === "") return "top-level key";
  if (pattern === "services.*") return "service key";
  return `${pattern.split(".").pop() as string} key`;
}

/**
 * Applies the table to each key of `node`, the mapping at compose path `at` (pattern `pattern`):
 * ignored keys are reported, refused and unknown ones refused. Keys in `own` are left to the caller,
 * which reports them in its own words.
 */
export function applyKeys(node: Doc, pattern: string, at: string, ctx: Pick<Context, "refused" | "report">, own: string[] = []): void {
  const service = /^services\.([^.]+)/.exec(at)?.[1] ?? "";
  for (const key of Object.keys(node)) {
    if (own.includes(key)) continue;
    const where = at === "" ? key : `${at}.${key}`;
    if (pattern === "" && key.startsWith("x-")) {
      ctx.report.push({ path: key, disposition: "ignored", note: "an extension field for other tools" });
      continue;
    }
    const rule = ruleFor(pattern, key);
    if (rule === undefined) {
      ctx.refused.add(where, `is not a compose ${kindOf(pattern)} dockyard knows (a typo, or a key of a newer compose spec); remove it`);
    } else if (rule.disposition === "refused") ctx.refused.add(where, `cannot be deployed: ${rule.why}`);
    else if (rule.disposition === "ignored") {
      ctx.report.push({ path: where, disposition: "ignored", note: rule.why.replace("{service}", service).replace("{key}", key) });
    }
  }
}
