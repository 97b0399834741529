/**
 * The swarm target: a resolved app as overlay networks, volumes, secrets, images and services on a
 * Docker swarm, through one of its managers (dockerHost). planSwarm is pure: it returns every
 * resource's arguments as data, checked, before anything is registered; deploySwarm only constructs
 * them. On swarm:
 * - a service is one swarm service of `replicas` tasks; `pulumi up` waits until they run and pass
 *   their health checks (convergeConfig, dockyard:rolloutTimeout);
 * - dockyard:swarmEndpointMode dnsrr (the default): a service's name resolves to its tasks, and a
 *   published port is bound in host mode on the node that runs the task, on every interface (one
 *   task per node); vip: a virtual IP and the ingress routing mesh, which need IPVS on every node;
 * - a secret env VAR is the swarm secret's file /run/secrets/<secret> and VAR_FILE naming it; the
 *   secret's name carries a fingerprint of the value, so a new value is a new secret;
 * - updates start the new task first where two can run at once, else stop the old one first (a
 *   single writer, a volume, a host-mode port); a task that fails its health check rolls the service
 *   back and fails the up;
 * - single-writer services stay on one node (dockyard:swarmDataNode, else the manager), with their volumes;
 * - a service's rollout, restart policy, placement and reservations (compose v3 deploy keys) drive its
 *   update and rollback configs, restart policy, constraints (after the single writer's pin) and
 *   reservations; left out, the rules above apply;
 * - an overlay network's name ends in a fingerprint of its settings: a changed network is created
 *   beside the old one, the services on it are replaced onto it, and the old one is removed last (a
 *   swarm refuses to remove a network a service uses).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { posix } from "path";
import { labelList } from "../../components/docker/labels";
import { Cidr, containerAddresses, parseAddress, parseCidr, prefixFor } from "../../components/cidr";
import { Network, validateImageArgs, validateVolumeArgs, Volume } from "../../components/docker";
import {
  PublishMode,
  SWARM_SECRET_NAME,
  SWARM_SERVICE_NAME,
  SwarmSecret,
  SwarmSecretArgs,
  SwarmService,
  SwarmServiceArgs,
  validateSwarmSecretArgs,
  validateSwarmServiceArgs,
} from "../../components/swarm";
import { StackConfig } from "../config";
import { InputError, sortedKeys, Where } from "../errors";
import { checkSwarmPin, ResolvedApp, ResolvedPort, ResolvedService, swarmPin } from "../resolve";
import { AppOutputs, builtServices, DeployScope, ignored, imageName, TargetBackend, TargetPlan, unsupported, waitsFor } from "./common";
import { deployEngineResources, EnginePlan, engineOutputs, engineResources, engineScope, SECRETS_DIR, validateNetworks } from "./engine";

/** Share of a task's CPU limit reserved on its node: room for a start-first update beside it on a small node. */
export const CPU_RESERVATION_PERCENT = 25;
/** Seconds each updated task is watched for failure; its health check already gated its start. */
export const UPDATE_MONITOR_SECONDS = 5;

export interface SwarmServicePlan {
  /** Logical name: the app's service name. */
  name: string;
  /** The image: a pulled service's reference; for a built one, replaced by the built image at deploy. */
  args: Omit<SwarmServiceArgs, "image" | "networks" | "secrets" | "mounts" | "revision" | "configs"> & {
    image: string;
    networks: Array<{ network: string; aliases: string[] }>;
    secrets: Array<{ secret: string; fileName: string }>;
    mounts: Array<{ volume: string; containerPath: string; readOnly: boolean }>;
    /** The app configs as files, when the service has any. */
    configs?: Array<{ config: string; fileName: string; uid?: string; gid?: string; mode?: number }>;
  };
  /** Names of the services it waits for (healthy dependencies). */
  after: string[];
}

/** A swarm config: it cannot change in place, so its name carries a fingerprint of its text. */
export interface SwarmConfigPlan {
  name: string;
  content: string;
  labels: Record<string, string>;
}

export interface SwarmPlan extends EnginePlan, TargetPlan {
  secrets: Array<[string, SwarmSecretArgs]>;
  /** The app configs some service reads, when there are any. */
  configs?: Array<[string, SwarmConfigPlan]>;
  /** In start order. */
  services: SwarmServicePlan[];
  urls: Record<string, string>;
}

/** Hex digits of a config's text in its swarm config's name. */
const CONFIG_FINGERPRINT = 10;

/** Physical names are prefixed with the app and stack, so several stacks can share one swarm. */
export function swarmNames(app: ResolvedApp, config: StackConfig) {
  const prefix = `${app.name}-${config.stack}`;
  return {
    service: (service: string) => `${prefix}-${service}`,
    secret: (secret: string, fingerprint: string) => `${prefix}-${secret}-${fingerprint}`,
    config: (config: string, content: string) =>
      `${prefix}-${config}-${createHash("sha256").update(content).digest("hex").slice(0, CONFIG_FINGERPRINT)}`,
  };
}

/** Everything the swarm target will create, worked out and checked before anything is registered. */
export function planSwarm(app: ResolvedApp, config: StackConfig, where: Where): SwarmPlan {
  const warnings = checkSwarm(app, config, where);
  const names = swarmNames(app, config);
  // Attachable: a standalone container (a test's probe, a one-off task) can join the overlay. Named
  // by fingerprint: a changed network is created beside the old one, the services are replaced onto
  // it, and the old one is removed once no service uses it.
  const { labels, networks, volumes, builds, pulls } = engineResources(app, config, {
    driver: "overlay",
    attachable: true,
    fingerprintName: true,
  });
  const used = new Set(
    sortedKeys(app.services).flatMap((name) => [
      ...Object.values(app.services[name].secretEnv),
      ...Object.values(app.services[name].secretFiles ?? {}),
    ]),
  );
  const secrets = sortedKeys(app.secrets)
    .filter((name) => used.has(name))
    .map((name): [string, SwarmSecretArgs] => {
      const value = config.secrets[name];
      const fingerprint = value.fingerprint(names.secret(name, ""));
      if (typeof fingerprint !== "string") {
        // A swarm secret cannot change in place, so its name carries a fingerprint of the value.
        throw new InputError(
          `${config.keyPath(`secrets.${name}`)} must be known text on target swarm (its name carries a fingerprint of the value), got an Output: pass the secret's text`,
        );
      }
      checkSecretName(app, config, name, names.secret(name, fingerprint), where);
      return [name, { name: names.secret(name, fingerprint), value: value.output(), labels }];
    });
  const usedConfigs = new Set(
    sortedKeys(app.services).flatMap((name) => Object.values(app.services[name].configFiles ?? {}).map((file) => file.config)),
  );
  const configs = sortedKeys(app.configs)
    .filter((name) => usedConfigs.has(name))
    .map((name): [string, SwarmConfigPlan] => {
      const content = (app.configs ?? {})[name].content;
      const physical = names.config(name, content);
      if (!SWARM_SECRET_NAME.test(physical)) {
        throw new InputError(
          `${where(`configs.${name}`)}: its swarm config would be named ${JSON.stringify(physical)}, longer than the 64 characters a swarm config name takes (<app>-<stack>-<config>-<fingerprint>); shorten the config's name`,
        );
      }
      return [name, { name: physical, content, labels }];
    });
  const services = app.order.map((name): SwarmServicePlan => ({
    name,
    args: serviceArgs(app, config, app.services[name], labels, where),
    after: waitsFor(app, name),
  }));
  validateNetworks(networks, where, config);
  checkSubnetCapacity(app, config, services, where);
  volumes.forEach(([name, args]) => validateVolumeArgs(name, args));
  secrets.forEach(([name, args]) => validateSwarmSecretArgs(name, args));
  builds.forEach(([name, args]) => validateImageArgs(name, args));
  services.forEach((service) =>
    validateSwarmServiceArgs(service.name, {
      ...service.args,
      networks: [],
      secrets: [],
      mounts: [],
      configs: (service.args.configs ?? []).map((file) => ({ ...file, configId: "", configName: "" })),
    }),
  );
  return {
    host: config.dockerHost,
    ...(config.dockerTls === undefined ? {} : { tls: config.dockerTls }),
    ...(config.dockerSsh === undefined ? {} : { ssh: config.dockerSsh }),
    networks,
    volumes,
    secrets,
    ...(configs.length > 0 ? { configs } : {}),
    builds,
    pulls,
    services,
    urls: swarmUrls(app, config),
    warnings,
  };
}

/** The service's endpoint mode: its own, else the stack's. */
function endpointMode(service: ResolvedService, config: StackConfig): "dnsrr" | "vip" {
  return service.endpointMode ?? config.swarmEndpointMode;
}

/** Where a published port is bound: the port's own mode, else its service's endpoint mode's (dnsrr: host, vip: ingress). */
function publishModeOf(port: ResolvedPort, service: ResolvedService, config: StackConfig): PublishMode {
  return port.publishMode ?? (endpointMode(service, config) === "dnsrr" ? "host" : "ingress");
}

/** Whether the service binds a published port on the node that runs each task (host mode). */
function bindsHostPorts(service: ResolvedService, config: StackConfig): boolean {
  return service.ports.some((port) => port.publishedPort !== undefined && publishModeOf(port, service, config) === "host");
}

/** How a service that binds host-mode ports could publish through the routing mesh instead. */
function meshAdvice(service: ResolvedService, config: StackConfig, where: Where, why = ""): string {
  const chosen = service.ports.find((port) => port.publishedPort !== undefined && port.publishMode === "host");
  if (chosen !== undefined)
    return `publish it in ingress mode (${where(`services.${service.name}.ports.${chosen.name}.publishMode`)} ingress)`;
  return `set ${config.keyPath("swarmEndpointMode")} vip${why}`;
}

/** Whether a task of this service can run beside its replacement during an update, when the model leaves the order to the target. */
function startFirst(service: ResolvedService, config: StackConfig): boolean {
  return !service.singleWriter && service.volumes.length === 0 && !bindsHostPorts(service, config);
}

/** Tasks an update (or rollback) of this order and parallelism starts beside the running ones. */
function surgeOf(order: string | undefined, parallelism: number | undefined, replicas: number): number {
  if (order !== "start-first" || replicas === 0) return 0;
  const batch = parallelism ?? 1;
  return batch === 0 ? replicas : Math.min(batch, replicas);
}

function serviceArgs(
  app: ResolvedApp,
  config: StackConfig,
  service: ResolvedService,
  labels: Record<string, string>,
  where: Where,
): SwarmServicePlan["args"] {
  const names = swarmNames(app, config);
  const env: Record<string, string> = { ...service.env };
  const secrets: Array<{ secret: string; fileName: string }> = [];
  for (const variable of sortedKeys(service.secretEnv)) {
    const secret = service.secretEnv[variable];
    const path = `${SECRETS_DIR}/${secret}`;
    if (`${variable}_FILE` in env) {
      throw new InputError(
        `${where(`services.${service.name}.env.${variable}_FILE`)} is set, but on swarm secret env ${variable} is delivered as ${variable}_FILE=${path}; rename the variable`,
      );
    }
    env[`${variable}_FILE`] = path;
    if (!secrets.some((file) => file.secret === secret)) secrets.push({ secret, fileName: secret });
  }
  for (const path of sortedKeys(service.secretFiles)) {
    const secret = (service.secretFiles ?? {})[path];
    const fileName = posix.relative(SECRETS_DIR, path);
    if (fileName.includes("/") || fileName.startsWith("..") || fileName === "") {
      unsupported(
        where(`services.${service.name}.secretFiles.${path}`),
        `a swarm secret is a file directly under ${SECRETS_DIR}`,
        "swarm",
        `put it at ${SECRETS_DIR}/${posix.basename(path)} (compose: target: ${posix.basename(path)}), and have the image read it there`,
      );
    }
    if (!secrets.some((file) => file.fileName === fileName)) secrets.push({ secret, fileName });
  }
  const published = service.ports.filter((port) => port.publishedPort !== undefined);
  const hostPorts = bindsHostPorts(service, config);
  const pin = service.singleWriter ? [swarmPin(config.swarmDataNode)] : [];
  const constraints = [...pin, ...(service.placement?.constraints ?? []).filter((constraint) => !pin.includes(constraint))];
  if (service.singleWriter) checkSwarmPin(service.name, service.placement?.constraints ?? [], config.swarmDataNode, where, config.keyPath);
  const rollout = service.rollout;
  const restart = service.restart;
  const order = rollout?.order ?? (startFirst(service, config) ? "start-first" : "stop-first");
  return {
    name: names.service(service.name),
    image: service.image.kind === "pull" ? service.image.ref : imageName(app, service.name, config),
    entrypoint: service.entrypoint,
    command: service.command,
    env,
    secrets,
    ...(service.configFiles !== undefined
      ? {
          configs: sortedKeys(service.configFiles).map((path) => {
            const { config, uid, gid, mode } = (service.configFiles ?? {})[path];
            return {
              config,
              fileName: path,
              ...(uid !== undefined ? { uid } : {}),
              ...(gid !== undefined ? { gid } : {}),
              ...(mode !== undefined ? { mode } : {}),
            };
          }),
        }
      : {}),
    ports: published.map((port) => ({
      containerPort: port.containerPort,
      publishedPort: port.publishedPort as number,
      protocol: port.protocol,
      ...(port.publishMode !== undefined ? { publishMode: port.publishMode } : {}),
    })),
    endpointMode: endpointMode(service, config),
    mounts: service.volumes.map((mount) => ({
      volume: mount.volume as string,
      containerPath: mount.mountPath,
      readOnly: mount.readOnly,
    })),
    networks: service.networks.map((network) => ({ network, aliases: [service.name] })),
    user: service.user,
    stopGracePeriodSeconds: service.stopGracePeriodSeconds,
    // No privilege escalation cannot be said in a swarm service's spec: warned about while planning.
    security: { ...service.security, noNewPrivileges: false },
    health: service.health && {
      command: service.health.command,
      intervalSeconds: service.health.intervalSeconds,
      timeoutSeconds: service.health.timeoutSeconds,
      retries: service.health.retries,
      startPeriodSeconds: service.health.startPeriodSeconds,
    },
    cpus: service.limits.cpus,
    memory: service.limits.memory,
    // Reservations the model gives replace the derived ones, field by field.
    reserveCpus: service.reservations?.cpus ?? Math.max(1, Math.round((service.limits.millicpus * CPU_RESERVATION_PERCENT) / 100)) / 1000,
    reserveMemory: service.reservations?.memory ?? service.limits.memory,
    replicas: service.replicas,
    constraints,
    // A host-mode port is bound once per node; a single writer never runs twice.
    maxReplicasPerNode: service.placement?.maxReplicasPerNode ?? (hostPorts || service.singleWriter ? 1 : 0),
    updateOrder: order,
    monitorSeconds: rollout?.monitorSeconds ?? UPDATE_MONITOR_SECONDS,
    ...(rollout
      ? {
          update: {
            parallelism: rollout.parallelism,
            delaySeconds: rollout.delaySeconds,
            maxFailureRatio: rollout.maxFailureRatio,
            failureAction: rollout.failureAction,
          },
          rollback: { ...rollout.rollback, order: rollout.rollback.order ?? order },
        }
      : {}),
    ...(restart ? { restart } : {}),
    convergeTimeoutSeconds: config.rolloutTimeout,
    labels: { ...labels, "dockyard.service": service.name },
  };
}

/** What the resolved app asks that a swarm cannot do: refused, or the warnings for what it ignores or exposes. */
function checkSwarm(app: ResolvedApp, config: StackConfig, where: Where): string[] {
  checkServiceNames(app, config, where);
  if (config.given.includes("bindAddress") && config.bindAddress !== "0.0.0.0") {
    unsupported(
      `${config.keyPath("bindAddress")} ${config.bindAddress}`,
      "a swarm publishes a port on every interface of the node, with no host address to bind",
      "swarm",
      `unset ${config.keyPath("bindAddress")} (published ports are then open on every interface of the nodes: firewall them), or use target docker`,
    );
  }
  // A built image is on the engine that built it, the manager, and nowhere else unless pushed.
  const built = builtServices(app)
    .map(([name]) => name)
    .filter((name) => app.services[name].replicas > 0);
  if (config.swarmNodes > 1 && built.length > 0 && config.registry === undefined) {
    unsupported(
      `${config.keyPath("swarmNodes")} ${config.swarmNodes}`,
      `the images of ${built.join(", ")} are built on the manager and stay there while ${config.keyPath("registry")} is empty; a task the swarm places on another node would fail with "No such image"`,
      "swarm",
      `set ${config.keyPath("registry")} to a registry every node pulls from (the images are pushed there and the tasks run their digests), or keep ${config.keyPath("swarmNodes")} at 1`,
    );
  }
  const warnings: string[] = [];
  for (const name of sortedKeys(app.services)) {
    const service = app.services[name];
    if (service.autoscaling !== undefined) {
      unsupported(
        where(`services.${name}.autoscaling`),
        "a swarm has no autoscaler",
        "swarm",
        `set ${config.keyPath(`services.${name}.replicas`)} to the number of tasks to run, or use target kubernetes`,
      );
    }
    if (service.volumes.some((mount) => mount.hostPath !== undefined)) {
      const mount = service.volumes.find((m) => m.hostPath !== undefined) as { hostPath: string; mountPath: string };
      unsupported(
        where(`services.${name}.volumes[${mount.mountPath}]`),
        `a bind mount of ${mount.hostPath} would read whichever node runs the task`,
        "swarm",
        "use a named volume of the app, or target docker",
      );
    }
    if (service.networkMode !== undefined) {
      unsupported(
        where(`services.${name}.networkMode`),
        "a swarm service's tasks are attached to the stack's networks; swarm has no network mode none",
        "swarm",
        "join the app's networks (remove network_mode), or use target docker",
      );
    }
    const published = service.ports.filter((port) => port.publishedPort !== undefined);
    checkDeploySettings(service, config, where);
    if (bindsHostPorts(service, config) && service.replicas > config.swarmNodes) {
      const ports = published.map((port) => port.publishedPort).join(", ");
      unsupported(
        where(`services.${name}.replicas`),
        `service "${name}" publishes port ${ports} in host mode, one task per node, and the swarm runs tasks on ${config.swarmNodes} ${config.swarmNodes === 1 ? "node" : "nodes"} (${config.keyPath("swarmNodes")}); ${service.replicas} replicas would leave ${service.replicas - config.swarmNodes} pending for ever`,
        "swarm",
        `set ${config.keyPath(`services.${name}.replicas`)} to ${config.swarmNodes} or fewer, add nodes and raise ${config.keyPath("swarmNodes")}, or ${meshAdvice(service, config, where, " (the routing mesh; it needs IPVS on every node)")}`,
      );
    }
  }
  const escalation = escalationWarning(app, where);
  if (escalation !== undefined) warnings.push(escalation);
  for (const name of sortedKeys(config.volumes)) {
    if (config.volumes[name].size !== undefined) {
      warnings.push(
        ignored(config.keyPath(`volumes.${name}.size`), "swarm", "a local Docker volume has no size; it grows on the node's disk"),
      );
    }
  }
  const published = sortedKeys(app.services).flatMap((name) =>
    app.services[name].replicas > 0
      ? app.services[name].ports.filter((port) => port.publishedPort !== undefined).map((port) => `${name} ${port.publishedPort}`)
      : [],
  );
  if (published.length > 0) {
    const modes = new Set(
      sortedKeys(app.services)
        .filter((name) => app.services[name].replicas > 0)
        .flatMap((name) =>
          app.services[name].ports
            .filter((port) => port.publishedPort !== undefined)
            .map((port) => publishModeOf(port, app.services[name], config)),
        ),
    );
    const reach =
      modes.size > 1
        ? "the node that runs the task (host mode) or every node (ingress)"
        : modes.has("host")
          ? "the node that runs the task"
          : "every node";
    warnings.push(
      `target swarm publishes ${published.join(", ")} on every interface of ${reach} (a swarm cannot bind one address): firewall them if the nodes are reachable from outside`,
    );
  }
  return warnings;
}

/**
 * No privilege escalation, which a swarm service's spec cannot say: one warning for every service that
 * asks it (an app usually asks it of all of them), naming each where it was set, with what does it on
 * swarm: the engine's own default, which every container it creates takes, a swarm task's included
 * (moby's parseSecurityOpt starts from the daemon's no-new-privileges before a container's options).
 */
export function escalationWarning(app: ResolvedApp, where: Where): string | undefined {
  const asking = sortedKeys(app.services).filter((name) => app.services[name].security.noNewPrivileges);
  if (asking.length === 0) return undefined;
  // Where each was set; a source label ('app "voting": ', "compose.yaml: ") said once for a run of paths it opens.
  let label: string | undefined;
  const paths = asking.map((name) => {
    const path = where(`services.${name}.security.noNewPrivileges`);
    const at = path.indexOf(`services.${name}`);
    const own = at > 1 && path.slice(at - 2, at) === ": " ? path.slice(0, at) : undefined;
    const shown = own !== undefined && own === label ? path.slice(at) : path;
    label = own;
    return shown;
  });
  const named = paths.length === 1 ? paths[0] : `${paths.slice(0, -1).join(", ")} and ${paths[paths.length - 1]}`;
  return ignored(
    named,
    "swarm",
    `a swarm service's spec, as the Docker provider writes it, has no such field, so the tasks' processes may still gain privileges through setuid binaries; to deny it there, run the Docker engine of every swarm node with no-new-privileges (dockerd --no-new-privileges, or "no-new-privileges": true in /etc/docker/daemon.json and the engine restarted): every container it creates then has it, swarm tasks included`,
  );
}

/**
 * A rollout order, placement or restart policy the model gives, where the swarm cannot honour it. A
 * start-first update of a service that binds a host-mode port needs a node where the port is free for
 * each task started ahead: it is refused, not turned into stop-first with a warning, because whoever
 * wrote start-first asked for no gap in service, and a quiet stop-first would give one (a warning
 * scrolls past in an up's output); the fix is one word away.
 */
function checkDeploySettings(service: ResolvedService, config: StackConfig, where: Where): void {
  const path = `services.${service.name}`;
  checkPublishModes(service, config, where);
  checkFailureRatios(service, where);
  const ports = service.ports.filter((port) => port.publishedPort !== undefined).map((port) => port.publishedPort);
  const hostPorts = bindsHostPorts(service, config);
  const rollout = service.rollout;
  if (hostPorts && rollout !== undefined) {
    for (const [field, order, parallelism] of [
      ["order", rollout.order, rollout.parallelism],
      ["rollback.order", rollout.rollback.order, rollout.rollback.parallelism],
    ] as const) {
      const surge = surgeOf(order, parallelism, service.replicas);
      if (surge > 0 && service.replicas + surge > config.swarmNodes) {
        unsupported(
          where(`${path}.rollout.${field}`),
          `service "${service.name}" binds port ${ports.join(", ")} on the node that runs each task, so a task started first needs a node where the port is free, and ${service.replicas} running + ${surge} started ahead is more than the ${config.swarmNodes} ${config.swarmNodes === 1 ? "node" : "nodes"} (${config.keyPath("swarmNodes")}): the update would wait for ever`,
          "swarm",
          `use "stop-first" (or leave order out: stop-first here), add nodes and raise ${config.keyPath("swarmNodes")}, or ${meshAdvice(service, config, where)}`,
        );
      }
    }
  }
  const perNode = service.placement?.maxReplicasPerNode;
  if (hostPorts && perNode !== undefined && perNode !== 1) {
    unsupported(
      where(`${path}.placement.maxReplicasPerNode`),
      `service "${service.name}" binds port ${ports.join(", ")} on the node that runs each task, so a node runs at most one of its tasks; ${perNode === 0 ? "no limit" : perNode} would leave the others failing to bind it`,
      "swarm",
      `leave maxReplicasPerNode out (1 here), or ${meshAdvice(service, config, where)}`,
    );
  }
}

/**
 * A port's publish mode where the service's endpoint mode cannot do it: ingress goes through the
 * routing mesh to the service's virtual IP, which a dnsrr service does not have. Host mode works with
 * either (a vip service then binds the port on each node that runs a task).
 */
function checkPublishModes(service: ResolvedService, config: StackConfig, where: Where): void {
  if (endpointMode(service, config) !== "dnsrr") return;
  const port = service.ports.find((candidate) => candidate.publishedPort !== undefined && candidate.publishMode === "ingress");
  if (port === undefined) return;
  const given = config.given.includes("swarmEndpointMode") || service.endpointMode !== undefined;
  unsupported(
    `${where(`services.${service.name}.ports.${port.name}.publishMode`)} ingress`,
    `service "${service.name}" has endpoint mode dnsrr${given ? "" : " (the default)"}, with no virtual IP for the routing mesh, so swarm publishes its ports in host mode only`,
    "swarm",
    `use host (or leave the mode out: host here), or give the service endpoint mode vip (${where(`services.${service.name}.endpointMode`)}, or ${config.keyPath("swarmEndpointMode")} for every service)`,
  );
}

/** A rollout's failure ratio the swarm keeps as written: tenths, as the service's spec holds one decimal. */
function checkFailureRatios(service: ResolvedService, where: Where): void {
  const rollout = service.rollout;
  if (rollout === undefined) return;
  for (const [field, ratio] of [
    ["maxFailureRatio", rollout.maxFailureRatio],
    ["rollback.maxFailureRatio", rollout.rollback.maxFailureRatio],
  ] as const) {
    if (Math.abs(ratio * 10 - Math.round(ratio * 10)) < 1e-9) continue;
    const lower = Math.floor(ratio * 10) / 10;
    unsupported(
      `${where(`services.${service.name}.rollout.${field}`)} ${ratio}`,
      `a swarm service's spec holds a failure ratio to one decimal, so it would be ${ratio.toFixed(1)}`,
      "swarm",
      `use tenths from 0 to 1, such as ${lower} or ${Math.round((lower + 0.1) * 10) / 10}`,
    );
  }
}

/**
 * Swarm service names are <app>-<stack>-<service>, and a swarm takes letters, digits and dashes, up
 * to 63: refused here, naming the part to change (the stack, the app's name or the service's), not
 * the component's name.
 */
function checkServiceNames(app: ResolvedApp, config: StackConfig, where: Where): void {
  const names = swarmNames(app, config);
  const invalid = (text: string) => [...new Set(text.replace(/[a-zA-Z0-9-]/g, ""))].map((char) => JSON.stringify(char)).join(", ");
  for (const service of app.order) {
    const full = names.service(service);
    if (SWARM_SERVICE_NAME.test(full)) continue;
    const parts: Array<[string, string]> = [
      [`${where("name")} ${JSON.stringify(app.name)}`, app.name],
      [`the stack name ${JSON.stringify(config.stack)}`, config.stack],
      [where(`services.${service}`), service],
    ];
    const bad = parts.find(([, text]) => invalid(text) !== "");
    if (bad !== undefined) {
      const fix =
        bad[1] === config.stack
          ? `deploy from a stack whose name has none (pulumi stack init ${config.stack.replace(/[^a-zA-Z0-9-]+/g, "-")}), or use target docker`
          : "rename it";
      throw new InputError(
        `${bad[0]} cannot be used on target swarm: it holds ${invalid(bad[1])}, and a swarm service, named <app>-<stack>-<service> (${JSON.stringify(full)}), takes letters, digits and dashes only; ${fix}`,
      );
    }
    const over = full.length - 63;
    throw new InputError(
      `${parts.map(([named, text]) => `${named} (${text.length} characters)`).join(", ")} make the swarm service name ${JSON.stringify(full)} (<app>-<stack>-<service>), ${full.length} characters, and a swarm takes 63 at most: shorten one of them by ${over} or more, or use target docker`,
    );
  }
}

/** A swarm secret's name, <app>-<stack>-<secret>-<fingerprint of the value>: within Docker's 64 characters. */
function checkSecretName(app: ResolvedApp, config: StackConfig, secret: string, full: string, where: Where): void {
  if (SWARM_SECRET_NAME.test(full)) return;
  const parts: Array<[string, string]> = [
    [`${where("name")} ${JSON.stringify(app.name)}`, app.name],
    [`the stack name ${JSON.stringify(config.stack)}`, config.stack],
    [where(`secrets.${secret}`), secret],
  ];
  throw new InputError(
    `${parts.map(([named, text]) => `${named} (${text.length} characters)`).join(", ")} make the swarm secret name ${JSON.stringify(full)} (<app>-<stack>-<secret>-<12 digits of the value's fingerprint>), ${full.length} characters, and a swarm takes 64 at most (letters, digits, _ . -): shorten one of them by ${full.length - 64} or more`,
  );
}

/**
 * Every task on an overlay network takes an address of its subnet (or ipRange), and so does each
 * node's load balancer endpoint, a start-first update's extra task, and in vip mode the service's
 * virtual IP. Past that the swarm leaves tasks pending with "no available IP addresses"; this refuses
 * it before anything is created.
 */
function checkSubnetCapacity(app: ResolvedApp, config: StackConfig, services: SwarmServicePlan[], where: Where): void {
  for (const network of sortedKeys(app.networks)) {
    const model = app.networks[network];
    const attached = services.filter((service) => service.args.networks.some((n) => n.network === network));
    const tasks = attached.reduce((sum, service) => sum + (service.args.replicas ?? 1), 0);
    // An update and its rollback never run at once: the larger of the two surges counts.
    const surge = attached.reduce((sum, { args }) => {
      const replicas = args.replicas ?? 1;
      const update = surgeOf(args.updateOrder, args.update?.parallelism, replicas);
      const rollback = surgeOf(args.rollback?.order ?? args.updateOrder, args.rollback?.parallelism ?? args.update?.parallelism, replicas);
      return sum + Math.max(update, rollback);
    }, 0);
    const vips = attached.filter((service) => service.args.endpointMode === "vip").length;
    const needed = tasks + surge + vips + config.swarmNodes;
    const subnet = parseCidr(model.subnet) as Cidr;
    const ipRange = model.ipRange === undefined ? undefined : parseCidr(model.ipRange);
    const gateway = model.gateway === undefined ? undefined : parseAddress(model.gateway);
    const room = containerAddresses(subnet, gateway, ipRange);
    if (needed > room) {
      const [field, pool] = ipRange === undefined ? ["subnet", subnet] : ["ipRange", ipRange];
      const wider = prefixFor(needed);
      const parts = [
        `${tasks} tasks`,
        ...(surge > 0 ? [`${surge} started ahead by updates`] : []),
        ...(vips > 0 ? [`${vips} virtual IPs`] : []),
      ];
      throw new InputError(
        `${where(`networks.${network}.${field}`)} ${pool.text} has room for ${room} addresses on swarm, but ${needed} are needed (${parts.join(", ")}, ${config.swarmNodes} for the nodes' load balancers); use a wider ${field}, such as a /${wider.prefix} (room for ${wider.room}), or fewer replicas`,
      );
    }
  }
}

/** Where each published service is reached: its first published port, on the manager's host (127.0.0.1 for a local engine). */
function swarmUrls(app: ResolvedApp, config: StackConfig): Record<string, string> {
  const url = new URL(config.dockerHost);
  const host = url.protocol === "tcp:" || url.protocol === "ssh:" ? url.hostname : "127.0.0.1";
  const urls: Record<string, string> = {};
  for (const name of sortedKeys(app.services)) {
    const published = app.services[name].ports.find((port) => port.publishedPort !== undefined);
    if (published !== undefined && app.services[name].replicas > 0) urls[name] = `http://${host}:${published.publishedPort}`;
  }
  return urls;
}

/** Constructs the plan: one explicit provider, then each resource with its dependencies as options. */
export function deploySwarm(plan: SwarmPlan, scope: DeployScope = {}): AppOutputs {
  const { named, opts } = engineScope(plan.host, scope, plan.tls, plan.ssh);
  const { networks, volumes, images, pulled } = deployEngineResources(plan, named, opts);
  const secrets = new Map(plan.secrets.map(([name, args]) => [name, new SwarmSecret(named(name), args, opts)]));
  const configs = new Map(
    (plan.configs ?? []).map(([name, args]) => [
      name,
      new docker.ServiceConfig(
        named(`config-${name}`),
        // The API takes the text base64-encoded. A changed text is a new name (a new config, created
        // before the services switch to it); the old one is removed after them.
        { name: args.name, data: Buffer.from(args.content, "utf8").toString("base64"), labels: labelList(args.labels) },
        { ...opts, deleteBeforeReplace: false },
      ),
    ]),
  );
  const made = new Map<string, SwarmService>();
  for (const service of plan.services) {
    const args = service.args;
    const image = images.get(service.name);
    const dependsOn: pulumi.Resource[] = [
      ...args.networks.map(({ network }) => networks.get(network) as Network),
      ...args.mounts.map(({ volume }) => volumes.get(volume) as Volume),
      ...args.secrets.map(({ secret }) => secrets.get(secret) as SwarmSecret),
      ...(args.configs ?? []).map(({ config }) => configs.get(config) as docker.ServiceConfig),
      ...(image ? [image] : []),
      ...(pulled.has(service.name) ? [pulled.get(service.name) as docker.RemoteImage] : []),
      ...service.after.map((name) => made.get(name) as SwarmService),
    ];
    const volumeOf = (volume: string) => (volumes.get(volume) as Volume).volumeName;
    made.set(
      service.name,
      new SwarmService(
        named(service.name),
        {
          ...args,
          // A pushed image runs by its registry digest; a local one by its tag, with its id as a label
          // so a rebuild under the same tag rolls the tasks.
          image: image ? image.ref.apply((ref) => (ref.includes("@") ? ref : args.image)) : args.image,
          revision: image?.ref,
          networks: args.networks.map(({ network, aliases }) => ({ id: (networks.get(network) as Network).networkId, aliases })),
          secrets: args.secrets.map(({ secret, fileName }) => ({
            secretId: (secrets.get(secret) as SwarmSecret).secretId,
            secretName: (secrets.get(secret) as SwarmSecret).secretName,
            fileName,
          })),
          mounts: args.mounts.map(({ volume, containerPath, readOnly }) => ({ volumeName: volumeOf(volume), containerPath, readOnly })),
          configs: (args.configs ?? []).map(({ config, ...file }) => ({
            ...file,
            configId: (configs.get(config) as docker.ServiceConfig).id,
            configName: (configs.get(config) as docker.ServiceConfig).name,
          })),
        },
        { ...opts, dependsOn },
      ),
    );
  }
  return engineOutputs(plan.urls, { networks, volumes, images });
}

/** The swarm target, registered in targets/index.ts. */
export const swarmTarget: TargetBackend<SwarmPlan> = { plan: planSwarm, deploy: deploySwarm };
