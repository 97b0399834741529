/**
 * Every compose key dockyard knows, nested ones included, by path: what happens to it and which
 * converter (stacks/compose/families/<handler>.ts) reads it. `*` in a path stands for a name (a
 * service, a network, a volume), `[]` for each entry of a list (a long-form port). walkKeys walks the
 * whole document by this table, every mapping it has rows under, as docker compose's schema does
 * ("additional property ... is not allowed"): a key that matches no row is refused as unknown, with
 * the keys allowed there; `x-` keys are extension fields and ignored. docs/compose.md's key table is
 * generated from this one (tools/docs/compose.ts).
 */
import { shown } from "../errors";
import { Context, Doc, isMap, Setting } from "./context";

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
  | "configs"
  | "volumes"
  | "security"
  | "x-dockyard";

/** What a refusal's wording may name: the name `*` stood for nearest the key, and the stage's settings. */
export interface RuleScope {
  name: string;
  setting: Setting;
}

export type KeyRule =
  /** note: what the key becomes, for docs/compose.md. */
  | { disposition: "mapped"; handler: Handler; note?: string }
  /**
   * Ignored keys are reported; `{service}`, `{key}` and `{source}` in why name the service, the key
   * and the mapping's source.
   */
  | {
      disposition: "ignored";
      handler: Handler;
      why: string;
      /** A value that asks what happens anyway (an IPAM driver `default`): not reported. @default - none */
      accepts?: (value: unknown) => boolean;
    }
  | {
      disposition: "refused";
      handler: Handler;
      why: string;
      /** A value that asks nothing (`external: false`, empty `driver_opts`): accepted. @default - none: every value is refused */
      accepts?: (value: unknown) => boolean;
      /** The refusal's words after the key, with the value. @default - "cannot be deployed: <why>" */
      message?: (value: unknown, scope: RuleScope) => string;
    };

const mapped = (handler: Handler, note?: string): KeyRule => ({ disposition: "mapped", handler, ...(note ? { note } : {}) });
const ignored = (handler: Handler, why: string, accepts?: (value: unknown) => boolean): KeyRule => ({
  disposition: "ignored",
  handler,
  why,
  ...(accepts ? { accepts } : {}),
});
const refused = (
  handler: Handler,
  why: string,
  options: Pick<Extract<KeyRule, { disposition: "refused" }>, "accepts" | "message"> = {},
): KeyRule => ({
  disposition: "refused",
  handler,
  why,
  ...options,
});
/** A refusal that shows the value: `"rshared" cannot be honoured: ...`. */
const withValue =
  (why: string, verb = "cannot be deployed") =>
  (value: unknown): string =>
    `${shown(value)} ${verb}: ${why}`;

/** Whether an `external` value declares the object external: anything but nothing and false (compose's `external: { name }` too). */
export function isExternal(value: unknown): boolean {
  return !(value === undefined || value === null || value === false || value === "false");
}

/** Whether a top-level network, volume or secret is declared external, in any form compose reads (`external_name` too). */
export function declaredExternal(definition: Doc): boolean {
  return isExternal(definition.external) || definition.external_name !== undefined;
}

const isEmpty = (value: unknown): boolean => value === null || (isMap(value) && Object.keys(value).length === 0);

/** Why a bind mount's propagation other than the engine's default is refused, in the short form's mode and the long form's bind.propagation alike. */
export const PROPAGATION_WHY =
  "bind mounts get the engine's default propagation, rprivate (mounts made later on the host or in the container stay on their side), and no target here sets another; remove it (rprivate is accepted)";
/** Why SELinux relabelling (`:z`, `:Z`, bind.selinux) is refused. */
export const SELINUX_WHY =
  "bind mounts are not relabelled for SELinux here (the Docker provider has no such option); label the host path for containers yourself (chcon -Rt container_file_t PATH) and remove it";
/** Why a non-recursive bind mount is refused. */
export const RECURSIVE_WHY = "bind mounts are recursive, as the engine makes them by default; remove it (enabled is accepted)";
/** Modes of the short form that only Docker Desktop reads (file sharing on macOS): no effect on Linux. */
export const CONSISTENCY_NOTE = "mount consistency is a Docker Desktop setting (file sharing on macOS); the engine's default applies";

/** Why sysctls are refused: none is applied on any target, and one that is not the container's own changes the host. */
export const SYSCTLS_WHY =
  "no target sets kernel parameters for a container (a swarm service and a restricted pod cannot); set them on the host, or in the image's entrypoint for the network namespace's own net.* ones";
/** Kernel parameters a container has its own copy of (Docker's namespaced list): every other one is the host's. */
const NAMESPACED_SYSCTL = /^(?:net\.|kernel\.(?:msg|sem|shm)|fs\.mqueue\.)/;
/** The refusal of sysctls: the first parameter that is the host's, as a host escape, else that none is applied. */
function sysctlsRefusal(value: unknown): string {
  const names = isMap(value) ? Object.keys(value) : Array.isArray(value) ? value.map((entry) => String(entry).split("=")[0].trim()) : [];
  const host = names.find((name) => !NAMESPACED_SYSCTL.test(name));
  if (host !== undefined) {
    return `${shown(host)} cannot be deployed: it is the host's kernel parameter, not the container's (${host.startsWith("kernel.core_pattern") ? "kernel.core_pattern runs a program as root on the host" : "Docker sets only namespaced ones: net.*, kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*"}); set it on the host, and remove it here`;
  }
  return `${shown(value)} cannot be deployed: ${SYSCTLS_WHY}`;
}
const SAME_NAME = "services reach each other by service name";
const TARGET_DNS = "the target's DNS is used";
const LIFECYCLE = "lifecycle hooks do not run";
const ENGINE_DEFAULT = "the engine's default applies";
const CONFIG_EXTERNAL =
  "dockyard creates the app's configs from the file: remove external and give the text (file, content or environment)";
const NETWORK_EXTERNAL = "dockyard creates and owns the app's networks; remove external";
const NETWORK_EXTERNAL_NAME =
  "an external network (compose file format 2 and 3): dockyard creates and owns the app's networks; remove external_name";
const VOLUME_EXTERNAL =
  "dockyard creates and owns the app's volumes; remove external (x-dockyard: { retain: true } keeps the data on destroy)";
const VOLUME_EXTERNAL_NAME =
  "an external volume (compose file format 2 and 3): dockyard creates and owns the app's volumes; remove external_name (x-dockyard: { retain: true } keeps the data on destroy)";
const VOLUME_DRIVER_OPTS =
  "volumes are created without driver options (an NFS export or a bind device would become an empty local volume); remove driver_opts, or mount that storage on the host and bind-mount it";

export const KEYS: Record<string, KeyRule> = {
  name: mapped("app", "the app name; without it, the compose file's folder name"),
  services: mapped("service", "the app's services (at least one)"),
  networks: mapped(
    "networks",
    "bridge networks; one address pool, `ipam.config[0]`: `subnet`, `gateway`, `ip_range`; `internal`; no subnet: a /24 from 10.124.0.0/16; `external` and `external_name` refused",
  ),
  volumes: mapped(
    "volumes",
    "named volumes, created and owned by the stack; `x-dockyard: { size, retain }`; `external` and `external_name` refused",
  ),
  secrets: mapped(
    "secrets",
    "declared secrets; the value is the stack's `dockyard:secrets.<name>`; `x-dockyard: { description, minLength }`; `external` refused",
  ),
  configs: mapped(
    "configs",
    "each a text from `file` (relative to the compose file, read when pulumi runs), `content` or `environment` (a variable's name); `external` refused",
  ),
  include: mapped(
    "app",
    "read while loading, as compose-go does: each listed file (a path, or `path`, `project_directory`, `env_file`) brings its services, networks, volumes and secrets, its relative paths from its project directory (its folder by default), its variables from that folder's `.env`; a name defined differently twice is refused naming both files, a cycle naming the chain",
  ),

  "services.*": mapped(
    "depends",
    "a service, by a name compose allows: capitals, `_` and `.` are mapped to a name every target takes (`my_api` is `my-api`), reported; two names mapped to one are refused",
  ),
  "services.*.image": mapped(
    "build",
    "the image to pull (`kind: pull`); with `build` the built image is tagged `<app>-<service>:<imageTag>` instead",
  ),
  "services.*.build": mapped(
    "build",
    "a string (the context) or a map: `context` (a folder relative to the compose file, anywhere on this machine; a git URL or a Windows path is refused), `dockerfile`, `dockerfile_inline`, `args` (map or list), `target`; other build keys are ignored with a note",
  ),
  "services.*.build.context": mapped("build"),
  "services.*.build.dockerfile": mapped("build"),
  "services.*.build.args": mapped("build"),
  "services.*.build.target": mapped("build"),
  "services.*.build.dockerfile_inline": mapped(
    "build",
    "written to `.state/compose/dockerfiles/<hash>.Dockerfile` in the project (never into the context) and built with the context",
  ),
  "services.*.build.privileged": refused("build", "builds run unprivileged; remove privileged"),
  "services.*.build.entitlements": refused("build", "builds get no extra entitlements; remove entitlements"),
  "services.*.build.additional_contexts": refused("build", "the build is given one context; copy what it needs into it"),
  "services.*.build.secrets": refused(
    "build",
    "build secrets are not passed to the build; give the service its secrets when it runs (secrets:), or build the image outside the stack",
  ),
  ...Object.fromEntries(
    [
      "ssh",
      "labels",
      "cache_from",
      "cache_to",
      "no_cache",
      "no_cache_filter",
      "network",
      "provenance",
      "sbom",
      "pull",
      "shm_size",
      "extra_hosts",
      "isolation",
      "tags",
      "ulimits",
      "platforms",
    ].map((key) => [`services.*.build.${key}`, ignored("build", "only context, dockerfile, args and target are passed to the build")]),
  ),
  "services.*.command": mapped(
    "service",
    "a list, or a string split into words like a shell, as compose-go splits it: quotes removed, `$VAR` kept for the container (write `$$VAR` in the file); operators such as `&&` are refused: write a list",
  ),
  "services.*.entrypoint": mapped("service", "as `command`"),
  "services.*.environment": mapped(
    "env",
    "a map or a list of `KEY=value` (a bare `KEY` is refused); `<VAR>_FILE: /run/secrets/<secret>` becomes a secret variable",
  ),
  "services.*.env_file": mapped(
    "env",
    "read relative to the compose file by compose's .env rules (quotes, escapes, `${VAR}` from the file's variables), under `environment`; `required: false` skips a missing file; a Windows path is refused",
  ),
  "services.*.env_file[].path": mapped("env"),
  "services.*.env_file[].required": mapped("env"),
  "services.*.env_file[].format": refused("env", "env files are read as .env files (KEY=value lines); remove format"),
  "services.*.secrets": mapped(
    "env",
    "each listed secret must be declared at the top level; a `<VAR>_FILE: /run/secrets/<secret>` variable makes it secret env, else it is the file `/run/secrets/<secret>` alone (Docker: uploaded; swarm: a swarm secret; Kubernetes: a Secret volume)",
  ),
  "services.*.secrets[].source": mapped("env"),
  "services.*.secrets[].target": mapped(
    "secrets",
    "the file's name under `/run/secrets`, or an absolute path (swarm: under `/run/secrets` only)",
  ),
  ...Object.fromEntries(
    ["uid", "gid", "mode"].map((key) => [
      `services.*.secrets[].${key}`,
      ignored("env", "not applied: the file is owned by root, mode 0444"),
    ]),
  ),
  "services.*.ports": mapped(
    "ports",
    "`HOST:CONTAINER`, `IP:HOST:CONTAINER` (an IP other than 0.0.0.0 must be where the stage binds: `bindAddress` on docker; refused on swarm and on a Kubernetes Service other than ClusterIP), `CONTAINER` (not published), `/udp`, and the long form; ranges are refused",
  ),
  "services.*.ports[].target": mapped("ports"),
  "services.*.ports[].published": mapped("ports"),
  "services.*.ports[].host_ip": mapped("ports"),
  "services.*.ports[].protocol": mapped("ports"),
  "services.*.ports[].name": mapped("ports", "the port's name, as `x-dockyard.portNames` gives it"),
  "services.*.ports[].mode": mapped(
    "ports",
    "`host` or `ingress`: a swarm service's publish mode (a dnsrr service takes host only); Docker publishes on its one host either way",
  ),
  "services.*.ports[].app_protocol": ignored("ports", "no application protocol is declared"),
  "services.*.expose": mapped("ports", "container ports reachable by the app's other services only"),
  "services.*.volumes": mapped(
    "mounts",
    "named volumes (declared at the top level), bind mounts (relative to the compose file, absolute, or `~/` for the home folder of the user running pulumi), `:ro` / `:rw` / `read_only`; `:nocopy` and the Docker Desktop modes `cached`, `delegated`, `consistent` ignored with a note; a propagation mode other than `rprivate` and SELinux's `z` / `Z` refused; an anonymous volume (`- /app/node_modules`) becomes an app volume named after the service and path (`web-app-node-modules`), reported; tmpfs ignored",
  ),
  "services.*.volumes[].type": mapped("mounts", "`volume`, `bind` or `tmpfs` (ignored); another type is refused"),
  "services.*.volumes[].source": mapped("mounts"),
  "services.*.volumes[].target": mapped("mounts"),
  "services.*.volumes[].read_only": mapped("mounts"),
  "services.*.volumes[].consistency": ignored("mounts", CONSISTENCY_NOTE),
  "services.*.volumes[].bind": mapped("mounts"),
  "services.*.volumes[].bind.propagation": refused("mounts", PROPAGATION_WHY, {
    accepts: (value) => value === "rprivate",
    message: withValue(PROPAGATION_WHY, "cannot be honoured"),
  }),
  "services.*.volumes[].bind.selinux": refused("mounts", SELINUX_WHY, { message: withValue(SELINUX_WHY, "cannot be honoured") }),
  "services.*.volumes[].bind.recursive": refused("mounts", RECURSIVE_WHY, {
    accepts: (value) => value === "enabled",
    message: withValue(RECURSIVE_WHY, "cannot be honoured"),
  }),
  "services.*.volumes[].bind.create_host_path": ignored("mounts", "the host path must exist on the Docker host"),
  "services.*.volumes[].volume": mapped("mounts"),
  "services.*.volumes[].volume.nocopy": ignored("mounts", "the image's files are copied into a new empty volume"),
  "services.*.volumes[].volume.labels": ignored("mounts", "volumes carry dockyard's labels (dockyard.app, dockyard.stack)"),
  "services.*.volumes[].volume.subpath": refused(
    "mounts",
    "the whole volume would be mounted, not its folder; give the folder its own volume",
    { message: withValue("the whole volume would be mounted, not its folder; give the folder its own volume") },
  ),
  "services.*.volumes[].tmpfs": ignored("mounts", "no tmpfs is mounted, so its options do not apply"),
  "services.*.volumes[].image": refused("mounts", "image mounts are not supported; copy the files into this service's image"),
  "services.*.networks": mapped("networks", "a list or a map (aliases and addresses ignored); none given: the `default` network"),
  "services.*.networks.*": mapped("networks"),
  "services.*.networks.*.aliases": ignored("networks", 'aliases are not set: the service is reached as "{service}"'),
  ...Object.fromEntries(
    [
      "interface_name",
      "ipv4_address",
      "ipv6_address",
      "link_local_ips",
      "mac_address",
      "driver_opts",
      "priority",
      "gw_priority",
      "use_service_name_alias",
    ].map((key) => [`services.*.networks.*.${key}`, ignored("networks", "{key} is not applied: addresses come from the network's subnet")]),
  ),
  "services.*.depends_on": mapped("depends", "a list (started) or a map with `condition: service_started` / `service_healthy`"),
  "services.*.depends_on.*": mapped("depends"),
  "services.*.depends_on.*.condition": mapped("depends"),
  "services.*.depends_on.*.restart": ignored("depends", "dependents are not restarted"),
  "services.*.depends_on.*.required": mapped("depends"),
  "services.*.links": mapped("depends", "a dependency (started) on the linked service, reached by its own name; an alias is refused"),
  "services.*.healthcheck": mapped(
    "health",
    "`CMD`, `CMD-SHELL`, a string or `NONE`; durations as compose-go reads them (Go durations: `1m30s`, `0.5m`), in whole seconds; compose's defaults 30s / 30s / 3 / 0s",
  ),
  "services.*.healthcheck.test": mapped("health"),
  "services.*.healthcheck.interval": mapped("health"),
  "services.*.healthcheck.timeout": mapped("health"),
  "services.*.healthcheck.retries": mapped("health"),
  "services.*.healthcheck.start_period": mapped("health"),
  "services.*.healthcheck.disable": mapped("health"),
  "services.*.healthcheck.start_interval": ignored("health", "the check runs every interval during the start period too"),
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
  "services.*.cpus": mapped("deploy", "the CPU limit when `deploy.resources.limits.cpus` is not given; both given, they must agree"),
  "services.*.mem_limit": mapped(
    "deploy",
    "the memory limit when `deploy.resources.limits.memory` is not given; both given, they must agree",
  ),
  "services.*.scale": mapped("deploy", "the replica count when `deploy.replicas` is not given; both given, they must agree"),
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
  "services.*.sysctls": refused("service", SYSCTLS_WHY, {
    accepts: (value) => isEmpty(value) || (Array.isArray(value) && value.length === 0),
    message: sysctlsRefusal,
  }),
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
  "services.*.network_mode": mapped(
    "networks",
    "`none`: no network at all (Docker; refused on swarm and Kubernetes); `host` and `service:` / `container:` refused (the host's network, or another service's, is never shared)",
  ),
  "services.*.privileged": refused(
    "service",
    "a privileged container can do anything on its host; grant what the service needs in its image instead",
    // false is compose's default, and asks for nothing.
    { accepts: (value) => value === false },
  ),
  "services.*.cap_add": mapped("security", "capabilities added back, from Docker's default set only (`security.capAdd`)"),
  "services.*.security_opt": mapped("security", "`no-new-privileges` (`security.noNewPrivileges`); any other option is refused"),
  "services.*.devices": refused("service", "host devices are not passed through; remove devices"),
  "services.*.pid": refused("service", "services do not share a PID namespace with the host or each other; remove pid"),
  "services.*.ipc": refused("service", "services do not share an IPC namespace; remove ipc"),
  "services.*.uts": refused("service", "services do not share the host's UTS namespace (its hostname and domain name); remove uts", {
    message: withValue("services do not share the host's UTS namespace (its hostname and domain name); remove uts"),
  }),
  "services.*.volumes_from": refused(
    "service",
    "a volume holds one service's data here (two services would write one data directory, and a cluster's ReadWriteOnce claim attaches to one node); give each service its own volumes, or run the two processes in one service",
  ),
  "services.*.external_links": refused("service", "reach services outside the app by address in environment"),
  "services.*.configs": mapped(
    "configs",
    "each listed config must be declared at the top level; a read-only file at `/<name>` or `target` (Docker: uploaded into the container, or into a volume mounted read-only with `read_only`; swarm: a swarm config; Kubernetes: a ConfigMap mounted read-only)",
  ),
  "services.*.configs[].source": mapped("configs"),
  "services.*.configs[].target": mapped("configs", "an absolute path, or one relative to `/`"),
  "services.*.configs[].uid": mapped(
    "configs",
    "a number; honoured on swarm; Docker and Kubernetes cannot set a file's owner (a warning there)",
  ),
  "services.*.configs[].gid": mapped(
    "configs",
    "a number; honoured on swarm; Docker and Kubernetes cannot set a file's group (a warning there)",
  ),
  "services.*.configs[].mode": mapped(
    "configs",
    "permission bits (`0440`); default `0444`; setuid, setgid, sticky and written-by-anyone bits refused",
  ),
  "services.*.gpus": refused("service", "GPUs are not passed through"),
  "services.*.runtime": refused("service", "the engine's default runtime is used; remove runtime"),
  "services.*.userns_mode": refused("service", "user namespaces are the engine's; remove userns_mode"),
  "services.*.cgroup_parent": refused("service", "remove cgroup_parent"),
  "services.*.isolation": refused("service", "remove isolation"),
  "services.*.extends": refused(
    "service",
    "extends (a service name, or `service` and `file`: another compose file, its relative paths rebased to this file's folder) is resolved while loading; this one was left over",
  ),

  "networks.*": mapped("networks"),
  "networks.*.driver": mapped("networks"),
  "networks.*.internal": mapped("networks"),
  "networks.*.ipam": mapped("networks"),
  "networks.*.ipam.config": mapped("networks", "one address pool: a second one is refused"),
  "networks.*.ipam.config[].subnet": mapped("networks"),
  "networks.*.ipam.config[].gateway": mapped("networks"),
  "networks.*.ipam.config[].ip_range": mapped("networks"),
  "networks.*.ipam.config[].aux_addresses": refused(
    "networks",
    "no address is kept for other hosts, so a container could be given one of them; remove aux_addresses, or use an ip_range that leaves them out",
  ),
  "networks.*.ipam.driver": ignored("networks", "the engine's default IPAM driver is used", (value) => value === "default"),
  "networks.*.ipam.options": ignored("networks", "the engine's default IPAM driver is used, with no options"),
  "networks.*.external": refused("networks", NETWORK_EXTERNAL, {
    accepts: (value) => !isExternal(value),
    message: withValue(NETWORK_EXTERNAL),
  }),
  "networks.*.external_name": refused("networks", NETWORK_EXTERNAL_NAME, { message: withValue(NETWORK_EXTERNAL_NAME) }),
  "networks.*.driver_opts": refused(
    "networks",
    "networks are created without driver options (a bridge option such as com.docker.network.bridge.host_binding_ipv4 would be lost); remove driver_opts",
    {
      accepts: isEmpty,
      message: withValue(
        "networks are created without driver options (a bridge option such as com.docker.network.bridge.host_binding_ipv4 would be lost); remove driver_opts",
      ),
    },
  ),
  "networks.*.name": ignored("networks", "not used: networks are named <app>-<stack>-<network>"),
  "networks.*.enable_ipv4": ignored("networks", "networks are IPv4", (value) => value === true),
  "networks.*.enable_ipv6": ignored("networks", "networks are IPv4 only", (value) => value === false),
  "networks.*.attachable": ignored(
    "networks",
    "overlay networks are attachable on swarm, as bridge networks are on Docker",
    (value) => value === true,
  ),
  "networks.*.labels": ignored("networks", "networks carry dockyard's labels (dockyard.app, dockyard.stack)"),

  "volumes.*": mapped("volumes"),
  "volumes.*.x-dockyard": mapped("x-dockyard"),
  "volumes.*.external": refused("volumes", VOLUME_EXTERNAL, {
    accepts: (value) => !isExternal(value),
    message: withValue(VOLUME_EXTERNAL),
  }),
  "volumes.*.external_name": refused("volumes", VOLUME_EXTERNAL_NAME, { message: withValue(VOLUME_EXTERNAL_NAME) }),
  "volumes.*.driver": mapped("volumes", "`local` only: another driver is refused"),
  "volumes.*.driver_opts": refused("volumes", VOLUME_DRIVER_OPTS, { accepts: isEmpty, message: withValue(VOLUME_DRIVER_OPTS) }),
  "volumes.*.name": ignored("volumes", "not used: volumes are named <app>-<stack>-<volume>"),
  "volumes.*.labels": ignored("volumes", "volumes carry dockyard's labels (dockyard.app, dockyard.stack)"),

  "secrets.*": mapped("secrets"),
  "secrets.*.x-dockyard": mapped("x-dockyard"),
  "secrets.*.file": mapped("secrets"),
  "secrets.*.environment": mapped("secrets"),
  "secrets.*.external": refused(
    "secrets",
    "its value must come from the stack: remove external and set it in the stack config (`dockyard:secrets.<name>`)",
    {
      accepts: (value) => !isExternal(value),
      message: (value, { name, setting }) =>
        `${shown(value)} cannot be deployed: its value must come from the stack: remove external and set ${setting(`secrets.${name}`)}`,
    },
  ),
  ...Object.fromEntries(
    ["name", "labels", "driver", "driver_opts", "template_driver"].map((key) => [
      `secrets.*.${key}`,
      ignored("secrets", "not applied: the value is the stack's secret"),
    ]),
  ),

  "configs.*": mapped("configs"),
  "configs.*.file": mapped("configs"),
  "configs.*.content": mapped("configs"),
  "configs.*.environment": mapped("configs"),
  "configs.*.external": refused("configs", CONFIG_EXTERNAL, {
    accepts: (value) => !isExternal(value),
    message: withValue(CONFIG_EXTERNAL),
  }),
  "configs.*.name": ignored("configs", "not used: the config is named by dockyard on each target"),
  "configs.*.labels": ignored("configs", "configs carry dockyard's labels"),
  "configs.*.template_driver": refused(
    "configs",
    "the text is used as it is, never rendered as a template; render it before the up, and remove template_driver",
  ),
};

/** Patterns with rows under them: the mappings (`.`) and lists of mappings (`[]`) walkKeys walks. */
const WALKED = {
  mapping: new Set(Object.keys(KEYS).flatMap((key) => prefixes(key, "."))),
  list: new Set(Object.keys(KEYS).flatMap((key) => prefixes(key, "[]."))),
};

/** Every prefix of a path that `separator` follows: "a.b.c" with "." gives "a", "a.b". */
function prefixes(path: string, separator: string): string[] {
  const found: string[] = [];
  for (let at = path.indexOf(separator); at >= 0; at = path.indexOf(separator, at + 1)) found.push(path.slice(0, at));
  return found;
}

/** How a refusal of an unknown key names the mapping: "service key", "long-form port key", "top-level key". */
const KINDS: Record<string, string> = {
  "": "top-level key",
  "services.*": "service key",
  "services.*.ports[]": "long-form port key",
  "services.*.volumes[]": "long-form volume key",
  "services.*.volumes[].bind": "bind option",
  "services.*.volumes[].volume": "volume option",
  "services.*.secrets[]": "long-form secret key",
  "services.*.env_file[]": "env_file key",
  "services.*.networks.*": "service network key",
  "services.*.depends_on.*": "depends_on key",
  "networks.*": "network key",
  "networks.*.ipam.config[]": "address pool key",
  "volumes.*": "volume key",
  "secrets.*": "secret key",
  "services.*.configs[]": "long-form config key",
  "configs.*": "config key",
};

const kindOf = (pattern: string): string => KINDS[pattern] ?? `${(pattern.split(".").pop() as string).replace("[]", "")} key`;

/** The keys a mapping at `pattern` takes, in order: every row of it but those refused whatever their value. */
function allowedKeys(pattern: string): string[] {
  const prefix = pattern === "" ? "" : `${pattern}.`;
  return Object.keys(KEYS)
    .filter((key) => key.startsWith(prefix) && !/[.[]/.test(key.slice(prefix.length)))
    .filter((key) => KEYS[key].disposition !== "refused" || (KEYS[key] as { accepts?: unknown }).accepts !== undefined)
    .map((key) => key.slice(prefix.length))
    .sort();
}

/** Edits (insertions, deletions, substitutions, swaps of two neighbours) between two words. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The allowed key a mistyped one most likely meant: a word or two away, or one that starts with it. */
export function meant(key: string, allowed: string[]): string | undefined {
  const lower = key.toLowerCase();
  const scored = allowed
    .map((candidate) => ({ candidate, edits: distance(lower, candidate) }))
    .filter(
      ({ candidate, edits }) =>
        edits <= Math.min(2, Math.floor(candidate.length / 3)) || (lower.length >= 4 && candidate.startsWith(lower)),
    )
    .sort((a, b) => a.edits - b.edits || a.candidate.localeCompare(b.candidate));
  return scored[0]?.candidate;
}

/** Up to this many allowed keys are listed in an unknown key's refusal; more are in docs/compose.md. */
const LISTED = 16;

function unknownKey(key: string, pattern: string): string {
  const allowed = allowedKeys(pattern);
  const guess = meant(key, allowed);
  const listed = allowed.length <= LISTED ? ` (allowed: ${allowed.join(", ")})` : "";
  return `is not a compose ${kindOf(pattern)} dockyard knows (a typo, or a key of a newer compose spec); ${guess === undefined ? "remove it" : `did you mean ${guess}?`}${listed}`;
}

/** A path's row: its own only (a key named like a member of every object, such as constructor, has none). */
const rowOf = (path: string): KeyRule | undefined => (Object.hasOwn(KEYS, path) ? KEYS[path] : undefined);

type Walk = Pick<Context, "refused" | "report" | "setting">;

/**
 * Walks a mapping by the table: each of its keys, and each key of every mapping below it the table
 * has rows under (a service's nested mappings, the entries of lists of mappings such as long-form
 * ports), matched by its own row, else the mapping's `*`. Ignored keys are reported, refused and
 * unknown ones refused; the values of mapped keys are the converters' to read (families/), which
 * refuse what they cannot. `pattern` is the mapping's path in the table ("" for the document,
 * "services.*" for a service), `at` its path in the file, `name` the name `*` stands for; `shallow` walks its own keys only (the document's: each section is
 * walked by its converter, so the report follows the file's sections).
 */
export function walkKeys(node: Doc, where: { pattern: string; at: string; name?: string; shallow?: boolean }, ctx: Walk): void {
  walk(node, where.pattern, where.at, where.name ?? "", ctx, where.shallow);
}

function walk(node: Doc, pattern: string, at: string, name: string, ctx: Walk, shallow = false): void {
  const service = /^services\.([^.[]+)/.exec(at)?.[1] ?? "";
  for (const key of Object.keys(node)) {
    const where = at === "" ? key : `${at}.${key}`;
    const own = pattern === "" ? key : `${pattern}.${key}`;
    const named = rowOf(own) === undefined && pattern !== "" && rowOf(`${pattern}.*`) !== undefined;
    const rule = named ? rowOf(`${pattern}.*`) : rowOf(own);
    if (rule === undefined) {
      if (key === "x-dockyard") {
        ctx.refused.add(where, "is read under a service, a top-level volume or a top-level secret only; move it there");
      } else if (key.startsWith("x-")) {
        ctx.report.push({ path: where, disposition: "ignored", note: "an extension field for other tools" });
      } else ctx.refused.add(where, unknownKey(key, pattern));
      continue;
    }
    const value = node[key];
    if (rule.disposition === "ignored") {
      if (rule.accepts?.(value)) continue;
      const note = rule.why.replace("{service}", service).replace("{key}", key).replace("{source}", String(node.source));
      ctx.report.push({ path: where, disposition: "ignored", note });
    } else if (rule.disposition === "refused") {
      if (rule.accepts?.(value)) continue;
      ctx.refused.add(where, rule.message?.(value, { name, setting: ctx.setting }) ?? `cannot be deployed: ${rule.why}`);
    } else if (!shallow) {
      const inner = named ? `${pattern}.*` : own;
      const innerName = named ? key : name;
      if (isMap(value) && WALKED.mapping.has(inner)) walk(value, inner, where, innerName, ctx);
      else if (Array.isArray(value) && WALKED.list.has(inner)) {
        value.forEach((item, index) => {
          if (isMap(item)) walk(item, `${inner}[]`, `${where}[${index}]`, innerName, ctx);
        });
      }
    }
  }
}
