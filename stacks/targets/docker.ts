/**
 * The Docker target: a resolved app as networks, volumes, images and containers on one Docker
 * engine (local or remote), through an explicit provider. planDocker is pure: it returns every
 * resource's arguments as data, checked, before anything is registered; deployDocker only
 * constructs them. On Docker:
 * - each replica is a container; replica i publishes a port on publishedPort + i - 1;
 * - a port without publishedPort is reachable on the app's networks only (nothing bound on the host);
 * - a secret env VAR is the file /run/secrets/<secret> and VAR_FILE naming it; with a read-only root
 *   filesystem the files are in a volume a never-started holder container fills (components/docker/secretHolder.ts).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { posix } from "path";
import {
  Container,
  ContainerArgs,
  ContainerConfigFileArgs,
  ContainerSecretFileArgs,
  Network,
  validateContainerArgs,
  validateImageArgs,
  validateVolumeArgs,
  Volume,
} from "../../components/docker";
import { Cidr, containerAddresses, parseAddress, parseCidr, prefixFor } from "../../components/cidr";
import { dockerCpusAdvice, dockerCpusReadBack, dockerKeepsCpus } from "../../components/units";
import { parseDockerHost, StackConfig } from "../config";
import { InputError, sortedKeys, Where } from "../errors";
import { ResolvedApp, ResolvedService, RESTART_DEFAULTS } from "../resolve";
import { AppOutputs, DeployScope, ignored, imageName, Machine, TargetBackend, TargetPlan, unsupported, waitsFor } from "./common";
import {
  deployEngineResources,
  dockerNames,
  EnginePlan,
  engineOutputs,
  engineResources,
  engineScope,
  SECRETS_DIR,
  validateNetworks,
} from "./engine";

export interface DockerContainerPlan {
  /** Logical name: "<service>-<replica>". */
  name: string;
  service: string;
  /** The image: a pulled service's reference; for a built one, replaced by the built image at deploy. */
  args: ContainerArgs;
  /** Names of the app networks, volumes and services it needs first. */
  after: { networks: string[]; volumes: string[]; services: string[] };
}

export interface DockerPlan extends EnginePlan, TargetPlan {
  /** In start order. */
  containers: DockerContainerPlan[];
  urls: Record<string, string>;
}

/** Everything the Docker target will create, worked out and checked before anything is registered. */
export function planDocker(app: ResolvedApp, config: StackConfig, where: Where, machine?: Machine): DockerPlan {
  const { labels, networks, volumes, builds, pulls } = engineResources(app, config);
  const containers = app.order.flatMap((name) => {
    const service = app.services[name];
    return Array.from({ length: service.replicas }, (_, index): DockerContainerPlan => ({
      name: `${name}-${index + 1}`,
      service: name,
      args: containerArgs(app, config, service, index + 1, labels, where),
      after: {
        networks: service.networks,
        volumes: service.volumes.flatMap((mount) => (mount.volume === undefined ? [] : [mount.volume])),
        services: waitsFor(app, name),
      },
    }));
  });
  validateNetworks(networks, where, config);
  const warnings = checkDocker(app, config, where, machine);
  volumes.forEach(([name, args]) => validateVolumeArgs(name, args));
  builds.forEach(([name, args]) => validateImageArgs(name, args));
  containers.forEach((container) => validateContainerArgs(container.name, container.args));
  const tls = config.dockerTls === undefined ? {} : { tls: config.dockerTls };
  const ssh = config.dockerSsh === undefined ? {} : { ssh: config.dockerSsh };
  return { host: config.dockerHost, ...tls, ...ssh, networks, volumes, builds, pulls, containers, urls: dockerUrls(app, config), warnings };
}

/** What the resolved app asks that a Docker engine cannot do: refused, or the warnings for what it ignores. */
function checkDocker(app: ResolvedApp, config: StackConfig, where: Where, machine?: Machine): string[] {
  const warnings: string[] = [];
  for (const name of sortedKeys(app.services)) {
    const service = app.services[name];
    if (service.autoscaling !== undefined) {
      unsupported(
        where(`services.${name}.autoscaling`),
        "a Docker engine has no autoscaler",
        "docker",
        `set ${config.keyPath(`services.${name}.replicas`)} to the number of copies to run, or use target kubernetes`,
      );
    }
    warnings.push(...ignoredDeploySettings(service, where));
    checkPublishedOnInternal(app, service, where);
    checkReadOnlyFiles(service, where);
    warnings.push(...configOwners(service, where));
    if (!dockerKeepsCpus(service.limits.millicpus)) {
      throw new InputError(
        `${where(`services.${name}.limits.cpus`)} ${service.limits.cpus} cannot be kept on Docker: the Docker provider reads it back from the engine as ${dockerCpusReadBack(service.limits.millicpus)}, so every up would replace the container; ${dockerCpusAdvice(service.limits.millicpus)}`,
      );
    }
    if (service.limits.memoryBytes % (1024 * 1024) !== 0) {
      throw new InputError(
        `${where(`services.${name}.limits.memory`)} must be a whole number of MiB on Docker, got ${JSON.stringify(service.limits.memory)} (${(service.limits.memoryBytes / 1024 / 1024).toFixed(3)} MiB)`,
      );
    }
  }
  for (const name of sortedKeys(config.volumes)) {
    if (config.volumes[name].size !== undefined) {
      warnings.push(
        ignored(config.keyPath(`volumes.${name}.size`), "docker", "a local Docker volume has no size; it grows on the engine's disk"),
      );
    }
  }
  checkSubnetCapacity(app, where);
  checkReplicaPorts(app, where);
  if (machine !== undefined) warnings.push(...cpusBeyondMachine(app, config, where, machine));
  return warnings;
}

/**
 * Every container on a network takes an address of its subnet (or ipRange), and the network, broadcast
 * and gateway addresses are taken already. Docker would run out of addresses halfway through `up`,
 * after other containers exist; this refuses it before anything is created.
 */
function checkSubnetCapacity(app: ResolvedApp, where: Where): void {
  for (const network of sortedKeys(app.networks)) {
    const model = app.networks[network];
    const attached = sortedKeys(app.services)
      .filter((name) => app.services[name].networks.includes(network) && app.services[name].replicas > 0)
      .map((name): [string, number] => [name, app.services[name].replicas]);
    const containers = attached.reduce((sum, [, replicas]) => sum + replicas, 0);
    const subnet = parseCidr(model.subnet) as Cidr;
    const ipRange = model.ipRange === undefined ? undefined : parseCidr(model.ipRange);
    const gateway = model.gateway === undefined ? undefined : parseAddress(model.gateway);
    const room = containerAddresses(subnet, gateway, ipRange);
    if (containers > room) {
      const [field, pool] = ipRange === undefined ? ["subnet", subnet] : ["ipRange", ipRange];
      const size = pool.last - pool.first + 1n;
      const counts = attached.map(([name, replicas]) => `${name} ${replicas}`).join(", ");
      const wider = prefixFor(containers);
      throw new InputError(
        `${where(`networks.${network}.${field}`)} ${pool.text} has room for ${room} containers (its ${size} addresses less the network, broadcast and gateway addresses), but ${containers} are attached (${counts}); use a wider ${field}, such as a /${wider.prefix} (room for ${wider.room}), or fewer replicas`,
      );
    }
  }
}

/**
 * Docker publishes no port of a container whose networks are all internal (it has no route out), so
 * the port would be silently unreachable: refused, naming the port and the networks.
 */
function checkPublishedOnInternal(app: ResolvedApp, service: ResolvedService, where: Where): void {
  const port = service.ports.find((candidate) => candidate.publishedPort !== undefined);
  if (port === undefined || service.networks.length === 0) return;
  if (!service.networks.every((network) => app.networks[network]?.internal === true)) return;
  throw new InputError(
    `${where(`services.${service.name}.ports.${port.name}`)} publishes host port ${port.publishedPort}, but service "${service.name}" is only on internal ${service.networks.length > 1 ? "networks" : "network"} ${service.networks.join(", ")} (internal: true), and Docker publishes no port of a container without a network that is not internal: add such a network to the service, or remove the port`,
  );
}

/**
 * Each replica publishes its own host port (replica i on publishedPort + i - 1), so the ranges of
 * all services must not overlap.
 */
function checkReplicaPorts(app: ResolvedApp, where: Where): void {
  // A host port per protocol: 53/tcp and 53/udp are bound apart.
  const owners = new Map<string, string>();
  for (const name of sortedKeys(app.services)) {
    const service = app.services[name];
    const replicas = Math.max(service.replicas, 1);
    for (const port of service.ports) {
      if (port.publishedPort === undefined) continue;
      const path = where(`services.${name}.ports.${port.name}`);
      const last = port.publishedPort + replicas - 1;
      if (last > 65535) {
        throw new InputError(
          `${path} ${port.publishedPort} needs host ports ${port.publishedPort}-${last} for ${replicas} replicas on Docker, past 65535`,
        );
      }
      for (let hostPort = port.publishedPort; hostPort <= last; hostPort++) {
        const owner = owners.get(`${hostPort}/${port.protocol}`);
        if (owner !== undefined) {
          throw new InputError(
            `${path}: host port ${hostPort}${port.protocol === "udp" ? "/udp" : ""} is used by both ${owner} and service "${name}"` +
              (replicas > 1
                ? ` (its ${replicas} replicas use ${port.publishedPort}-${last} on Docker, one port each); lower ${where(`services.${name}.replicas`)} or publish on another port`
                : ""),
          );
        }
        owners.set(`${hostPort}/${port.protocol}`, `service "${name}"`);
      }
    }
  }
}

/**
 * Docker refuses a cpus limit above the engine's CPU count ("range of CPUs is from 0.01 to N"). The
 * count of a remote engine is not known before it is asked, so this only warns, and only for a local
 * engine (unix:// or npipe://), which has this machine's CPUs.
 */
function cpusBeyondMachine(app: ResolvedApp, config: StackConfig, where: Where, machine: Machine): string[] {
  const protocol = parseDockerHost(config.dockerHost)?.protocol;
  if (protocol !== "unix:" && protocol !== "npipe:") return [];
  return sortedKeys(app.services)
    .filter((name) => app.services[name].limits.cpus > machine.cpus)
    .map(
      (name) =>
        `${where(`services.${name}.limits.cpus`)} ${app.services[name].limits.cpus} is more than the ${machine.cpus} CPUs of this machine; if the engine at ${config.dockerHost} runs here, Docker will refuse to create the container (its cpus range is 0.01 to its CPU count)`,
    );
}

function containerArgs(
  app: ResolvedApp,
  config: StackConfig,
  service: ResolvedService,
  replica: number,
  labels: Record<string, string>,
  where: Where,
): ContainerArgs {
  const names = dockerNames(app, config);
  const { env, secretFiles } = secretsAsFiles(config, service, where);
  return {
    name: names.container(service.name, replica),
    image: service.image.kind === "pull" ? service.image.ref : imageName(app, service.name, config),
    command: service.command,
    entrypoint: service.entrypoint,
    env,
    secretFiles,
    ...(service.configFiles !== undefined ? { configFiles: configFilesOf(app, service) } : {}),
    ports: service.ports.map((port) => ({
      containerPort: port.containerPort,
      hostPort: port.publishedPort === undefined ? undefined : port.publishedPort + replica - 1,
      hostIp: config.bindAddress,
      protocol: port.protocol,
    })),
    mounts: service.volumes.map((mount) => ({
      volumeName: mount.volume === undefined ? undefined : names.volume(mount.volume),
      hostPath: mount.hostPath,
      containerPath: mount.mountPath,
      readOnly: mount.readOnly,
    })),
    networks: service.networks.map((network) => ({ name: names.network(network), aliases: [service.name] })),
    ...(service.networkMode !== undefined ? { networkMode: service.networkMode } : {}),
    user: service.user,
    stopGracePeriodSeconds: service.stopGracePeriodSeconds,
    security: service.security,
    health: service.health && {
      command: service.health.command,
      intervalSeconds: service.health.intervalSeconds,
      timeoutSeconds: service.health.timeoutSeconds,
      retries: service.health.retries,
      startPeriodSeconds: service.health.startPeriodSeconds,
    },
    cpus: service.limits.cpus,
    memory: service.limits.memory,
    ...restartArgs(service),
    labels: { ...labels, "dockyard.service": service.name, "dockyard.replica": String(replica) },
  };
}

/**
 * With a read-only root, Docker cannot write files into the container: its secret and config files
 * go into one volume mounted read-only at their directory (components/docker/secretHolder.ts), so
 * they must share one directory other than /.
 */
function checkReadOnlyFiles(service: ResolvedService, where: Where): void {
  if (!service.security?.readOnlyRootFilesystem || service.configFiles === undefined) return;
  const paths = [...secretPaths(service), ...sortedKeys(service.configFiles)];
  const directories = [...new Set(paths.map((path) => posix.dirname(path)))].sort();
  if (directories.length === 1 && directories[0] !== "/") return;
  const first = sortedKeys(service.configFiles).find((path) => posix.dirname(path) === "/") ?? sortedKeys(service.configFiles)[0];
  unsupported(
    where(`services.${service.name}.configFiles.${first}`),
    `the root filesystem is read-only, so its files are in one volume mounted read-only at their directory, and they are in ${directories.join(", ")}`,
    "docker",
    `put its config files in one directory other than / (compose: target: /etc/${service.name}/<file>)${paths.length > sortedKeys(service.configFiles).length ? `, the one its secret files are in (${SECRETS_DIR})` : ""}, or remove read_only`,
  );
}

/**
 * A config file's uid and gid: the Docker provider's uploads (built here, 5.1) take no owner, so the
 * file is root's; one warning each, with the mode that decides who reads it.
 */
function configOwners(service: ResolvedService, where: Where): string[] {
  return sortedKeys(service.configFiles).flatMap((path) => {
    const file = (service.configFiles ?? {})[path];
    return (["uid", "gid"] as const)
      .filter((field) => file[field] !== undefined && file[field] !== "0")
      .map((field) =>
        ignored(
          `${where(`services.${service.name}.configFiles.${path}.${field}`)} ${file[field]}`,
          "docker",
          `the Docker provider writes a container's files as user 0 and group 0; the mode, 0${(file.mode ?? 0o444).toString(8)}, is what lets the image's user read it`,
        ),
      );
  });
}

/** Where a service's secrets are files on Docker: its secret env's and its secret files. */
function secretPaths(service: ResolvedService): string[] {
  return [
    ...new Set([...Object.values(service.secretEnv).map((secret) => `${SECRETS_DIR}/${secret}`), ...sortedKeys(service.secretFiles)]),
  ];
}

/** The model's config files as the container's: content, octal mode, owner and group. */
function configFilesOf(app: ResolvedApp, service: ResolvedService): ContainerConfigFileArgs[] {
  return sortedKeys(service.configFiles).map((path) => {
    const file = (service.configFiles ?? {})[path];
    return {
      path,
      content: (app.configs ?? {})[file.config].content,
      mode: `0${(file.mode ?? 0o444).toString(8).padStart(3, "0")}`,
    };
  });
}

/** The model's restart condition as Docker's restart policy, and its attempts as on-failure's count; absent, the container's default. */
function restartArgs(service: ResolvedService): Pick<ContainerArgs, "restart" | "maxRestarts"> {
  const restart = service.restart;
  if (restart === undefined) return {};
  const policy = ({ any: "unless-stopped", "on-failure": "on-failure", none: "no" } as const)[restart.condition];
  return { restart: policy, ...(policy === "on-failure" && restart.maxAttempts > 0 ? { maxRestarts: restart.maxAttempts } : {}) };
}

/** What the model's rollout, reservations, placement and restart policy say that one engine's containers cannot, one warning each. */
function ignoredDeploySettings(service: ResolvedService, where: Where): string[] {
  const path = `services.${service.name}`;
  const warnings: string[] = [];
  const warn = (field: string, why: string) => warnings.push(ignored(where(`${path}.${field}`), "docker", why));
  if (service.rollout !== undefined)
    warn(
      "rollout",
      "an up replaces a changed container by removing it and creating it again under its name; Docker has no update strategy",
    );
  if (service.reservations !== undefined) warn("reservations", "one engine runs every container; only the limits apply");
  if (service.placement !== undefined) warn("placement", "one engine runs every container");
  if (service.endpointMode !== undefined) warn("endpointMode", "it is a swarm's; the service's name is its containers' network alias");
  const restart = service.restart;
  if (restart === undefined) return warnings;
  if (restart.delaySeconds !== RESTART_DEFAULTS.delaySeconds)
    warn("restart.delaySeconds", "Docker waits 100 ms before a restart, doubling each time");
  if (restart.windowSeconds !== RESTART_DEFAULTS.windowSeconds) warn("restart.windowSeconds", "Docker counts every restart");
  if (restart.maxAttempts !== RESTART_DEFAULTS.maxAttempts && restart.condition !== "on-failure") {
    warn("restart.maxAttempts", `Docker limits restarts for condition on-failure only (this one is ${restart.condition})`);
  }
  return warnings;
}

/**
 * A service's secret env on Docker: each app secret becomes a file, SECRETS_DIR/<secret>, and each
 * variable VAR becomes VAR_FILE naming that file (the `_FILE` convention of the official postgres
 * image and of apps/worker and apps/result), so no secret value is in the container's environment,
 * which anyone allowed to `docker inspect` can read.
 */
function secretsAsFiles(
  config: StackConfig,
  service: ResolvedService,
  where: Where,
): { env: Record<string, string>; secretFiles: ContainerSecretFileArgs[] } {
  const env: Record<string, string> = { ...service.env };
  const secretFiles: ContainerSecretFileArgs[] = [];
  for (const variable of sortedKeys(service.secretEnv)) {
    const secret = service.secretEnv[variable];
    const path = `${SECRETS_DIR}/${secret}`;
    if (`${variable}_FILE` in env) {
      throw new InputError(
        `${where(`services.${service.name}.env.${variable}_FILE`)} is set, but on Docker secret env ${variable} is delivered as ${variable}_FILE=${path}; rename the variable`,
      );
    }
    env[`${variable}_FILE`] = path;
    if (!secretFiles.some((file) => file.path === path)) secretFiles.push({ path, content: config.secrets[secret].output() });
  }
  for (const path of sortedKeys(service.secretFiles)) {
    const secret = (service.secretFiles ?? {})[path];
    if (!secretFiles.some((file) => file.path === path)) secretFiles.push({ path, content: config.secrets[secret].output() });
  }
  return { env, secretFiles };
}

/** Where each published service is reached from this machine: its first published port. */
function dockerUrls(app: ResolvedApp, config: StackConfig): Record<string, string> {
  const url = parseDockerHost(config.dockerHost);
  const remote = url !== undefined && (url.protocol === "tcp:" || url.protocol === "ssh:");
  const host = config.bindAddress !== "0.0.0.0" ? config.bindAddress : remote ? (url as URL).hostname : "127.0.0.1";
  const urls: Record<string, string> = {};
  for (const name of sortedKeys(app.services)) {
    const published = app.services[name].ports.find((port) => port.publishedPort !== undefined);
    if (published !== undefined && app.services[name].replicas > 0) urls[name] = `http://${host}:${published.publishedPort}`;
  }
  return urls;
}

/** Constructs the plan: one explicit provider, then each resource with its dependencies as options. */
export function deployDocker(plan: DockerPlan, scope: DeployScope = {}): AppOutputs {
  const { named, opts } = engineScope(plan.host, scope, plan.tls, plan.ssh);
  const { networks, volumes, images, pulled } = deployEngineResources(plan, named, opts);
  const networkByName = new Map(plan.networks.map(([name, args]) => [args.name, networks.get(name) as Network]));
  const containers = new Map<string, Container[]>();
  for (const container of plan.containers) {
    const image = images.get(container.service)?.ref ?? (pulled.get(container.service) as docker.RemoteImage).imageId;
    const dependsOn: pulumi.Resource[] = [
      ...container.after.networks.map((name) => networks.get(name) as Network),
      ...container.after.volumes.map((name) => volumes.get(name) as Volume),
      ...container.after.services.flatMap((name) => containers.get(name) ?? []),
    ];
    // By the network's name output, not the planned string: the container then depends on the network
    // through this input, so when the network is replaced (delete-first, its name is fixed) Pulumi
    // replaces the containers on it too, deleting them before it. With the plain string, the network's
    // delete would wait on the containers still attached to it and fail.
    const joined = (container.args.networks ?? []).map((network) => ({
      ...network,
      name: (networkByName.get(network.name as string) as Network).networkName,
    }));
    const made = new Container(named(container.name), { ...container.args, image, networks: joined }, { ...opts, dependsOn });
    containers.set(container.service, [...(containers.get(container.service) ?? []), made]);
  }
  return engineOutputs(plan.urls, { networks, volumes, images });
}

/** The Docker target, registered in targets/index.ts. */
export const dockerTarget: TargetBackend<DockerPlan> = { plan: planDocker, deploy: deployDocker };
