/**
 * The Docker back end: the app model as networks, volumes, images and containers on one Docker
 * engine (local or remote), through an explicit provider.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  Container,
  ContainerArgs,
  ContainerSecretFileArgs,
  Image,
  ImageArgs,
  Network,
  NetworkArgs,
  validateContainerArgs,
  validateImageArgs,
  validateNetworkArgs,
  validateVolumeArgs,
  Volume,
  VolumeArgs,
} from "../components/docker";
import * as os from "os";
import { Cidr, containerAddresses, parseAddress, parseCidr, prefixFor } from "../components/cidr";
import { parseDockerHost, secretValues, StackConfig } from "./config";
import { AppModel, ModelError, ServiceModel, sortedKeys, startOrder, validateApp } from "./model";
import { AppOutputs } from "./outputs";

/** Physical names are prefixed with the app and stack, so several stacks can share one engine. */
export function dockerNames(app: AppModel, config: StackConfig) {
  const prefix = `${app.name}-${config.stack}`;
  return {
    network: (network: string) => `${prefix}-${network}`,
    volume: (volume: string) => `${prefix}-${volume}`,
    container: (service: string, replica: number) => `${prefix}-${service}-${replica}`,
    image: (service: string) => `${app.name}-${service}:${config.imageTag}`,
  };
}

interface DockerPlan {
  networks: Array<[string, NetworkArgs]>;
  volumes: Array<[string, VolumeArgs]>;
  images: Array<[string, ImageArgs]>;
  /** service → [logical name, args without image] per replica */
  containers: Array<[string, Array<[string, ContainerArgs]>]>;
}

const PENDING_IMAGE = "pending";

/**
 * Everything the Docker back end will create, worked out and validated before any resource is
 * registered, so bad input stops the program with nothing half-created.
 */
export function planDocker(app: AppModel, config: StackConfig): DockerPlan {
  validateApp(app);
  checkDockerCapabilities(app);
  const names = dockerNames(app, config);
  const labels = { "dockyard.app": app.name, "dockyard.stack": config.stack };
  const networks = sortedKeys(app.networks).map((name): [string, NetworkArgs] => {
    const network = app.networks[name];
    return [
      name,
      {
        name: names.network(name),
        subnet: network.subnet,
        gateway: network.gateway,
        ipRange: network.ipRange,
        internal: network.internal,
        allowPublicSubnet: config.allowPublicSubnets,
        labels,
      },
    ];
  });
  const volumes = sortedKeys(app.volumes).map((name): [string, VolumeArgs] => [
    name,
    { name: names.volume(name), retain: app.volumes[name].retain ?? false, labels },
  ]);
  const images: Array<[string, ImageArgs]> = [];
  for (const name of sortedKeys(app.services)) {
    const source = app.services[name].image;
    if (source.kind === "build") {
      images.push([
        name,
        {
          context: source.context,
          dockerfile: source.dockerfile,
          imageName: names.image(name),
          args: source.args,
          target: source.target,
          // Pushed there when set; the containers then run the pushed digest (Image.ref). Without a
          // user no credentials are sent: a registry without login, or what `docker login` stored.
          registry: config.registry && {
            server: config.registry.server,
            username: config.registry.username || undefined,
            password: config.registry.username ? config.registry.password : undefined,
          },
          builderVersion: config.imageBuilder,
        },
      ]);
    }
  }
  const containers = startOrder(app).map((name): [string, Array<[string, ContainerArgs]>] => {
    const service = app.services[name];
    const replicas = service.replicas ?? 1;
    const perReplica: Array<[string, ContainerArgs]> = [];
    for (let replica = 1; replica <= replicas; replica++) {
      perReplica.push([`${name}-${replica}`, containerArgs(app, config, name, service, replica, labels)]);
    }
    return [name, perReplica];
  });

  checkReplicaPorts(app);
  networks.forEach(([name, args]) => validateNetworkArgs(name, args));
  checkSubnetCapacity(app);
  warnAboutCpus(app, config);
  volumes.forEach(([name, args]) => validateVolumeArgs(name, args));
  images.forEach(([name, args]) => validateImageArgs(name, args));
  containers.forEach(([, replicas]) => replicas.forEach(([name, args]) => validateContainerArgs(name, args)));
  return { networks, volumes, images, containers };
}

/** What the model can say that a Docker engine cannot do: refused, never silently dropped. */
function checkDockerCapabilities(app: AppModel): void {
  for (const name of sortedKeys(app.services)) {
    if (app.services[name].autoscaling !== undefined) {
      throw new ModelError(
        `app "${app.name}" on Docker: service "${name}": autoscaling cannot be honoured on target docker (a Docker engine has no autoscaler); set replicas to the number of copies to run, or use target kubernetes`,
      );
    }
  }
}

/**
 * Every container on a network takes an address of its subnet (or ipRange), and the network, broadcast
 * and gateway addresses are taken already. Docker would run out of addresses halfway through `up`,
 * after other containers exist; this refuses it before anything is created.
 */
function checkSubnetCapacity(app: AppModel): void {
  for (const network of sortedKeys(app.networks)) {
    const model = app.networks[network];
    const attached = sortedKeys(app.services)
      .filter((name) => app.services[name].networks.includes(network))
      .map((name): [string, number] => [name, Math.max(app.services[name].replicas ?? 1, 0)]);
    const containers = attached.reduce((sum, [, replicas]) => sum + replicas, 0);
    const subnet = parseCidr(model.subnet) as Cidr;
    const ipRange = model.ipRange === undefined ? undefined : parseCidr(model.ipRange);
    const gateway = model.gateway === undefined ? undefined : parseAddress(model.gateway);
    const room = containerAddresses(subnet, gateway, ipRange);
    if (containers > room) {
      const [field, pool] = ipRange === undefined ? ["subnet", subnet] : ["ipRange", ipRange];
      const size = pool.last - pool.first + 1n;
      const counts = attached
        .filter(([, replicas]) => replicas > 0)
        .map(([name, replicas]) => `${name} ${replicas}`)
        .join(", ");
      const wider = prefixFor(containers);
      throw new ModelError(
        `app "${app.name}" on Docker: network "${network}": ${field} ${pool.text} has room for ${room} containers (its ${size} addresses less the network, broadcast and gateway addresses), but ${containers} are attached (${counts}); use a wider ${field}, such as a /${wider.prefix} (room for ${wider.room}), or fewer replicas`,
      );
    }
  }
}

/**
 * Docker refuses a cpus limit above the engine's CPU count ("range of CPUs is from 0.01 to N"). The
 * count of a remote engine is not known before it is asked, so this only warns, and only for a local
 * engine (unix:// or npipe://), which has this machine's CPUs.
 */
function warnAboutCpus(app: AppModel, config: StackConfig): void {
  const protocol = parseDockerHost(config.dockerHost)?.protocol;
  if (protocol !== "unix:" && protocol !== "npipe:") return;
  const available = os.availableParallelism();
  for (const name of sortedKeys(app.services)) {
    const cpus = app.services[name].resources.cpus;
    if (cpus > available) {
      pulumi.log.warn(
        `app "${app.name}" on Docker: service "${name}": cpus ${cpus} is more than the ${available} CPUs of this machine; if the engine at ${config.dockerHost} runs here, Docker will refuse to create the container (its cpus range is 0.01 to its CPU count): lower it with dockyard:limits`,
      );
    }
  }
}

/**
 * On Docker each replica publishes its own host port (replica i gets hostPort + i - 1), so the
 * ranges of all services must not overlap. (On Kubernetes a published port is one Service port.)
 */
function checkReplicaPorts(app: AppModel): void {
  const owners = new Map<number, string>();
  for (const name of sortedKeys(app.services)) {
    const service = app.services[name];
    const replicas = Math.max(service.replicas ?? 1, 1);
    for (const port of service.ports ?? []) {
      if (port.hostPort === undefined) continue;
      const last = port.hostPort + replicas - 1;
      for (let hostPort = port.hostPort; hostPort <= last; hostPort++) {
        const owner = owners.get(hostPort);
        if (owner !== undefined && owner !== name) {
          throw new ModelError(
            `app "${app.name}" on Docker: host port ${hostPort} is used by both service "${owner}" and service "${name}"` +
              (replicas > 1 ? ` (its ${replicas} replicas use ${port.hostPort}-${last}, one port each)` : ""),
          );
        }
        if (last > 65535) {
          throw new ModelError(
            `app "${app.name}" on Docker: service "${name}" needs host ports ${port.hostPort}-${last} for ${replicas} replicas, past 65535`,
          );
        }
        owners.set(hostPort, name);
      }
    }
  }
}

function containerArgs(
  app: AppModel,
  config: StackConfig,
  name: string,
  service: ServiceModel,
  replica: number,
  labels: Record<string, string>,
): ContainerArgs {
  const names = dockerNames(app, config);
  const { env, secretFiles } = secretsAsFiles(app, config, name, service);
  return {
    name: names.container(name, replica),
    image: PENDING_IMAGE,
    command: service.command,
    entrypoint: service.entrypoint,
    env,
    secretFiles,
    ports: (service.ports ?? []).map((port) => ({
      containerPort: port.containerPort,
      hostPort: port.hostPort === undefined ? undefined : port.hostPort + replica - 1,
      hostIp: config.bindAddress,
      protocol: port.protocol,
    })),
    mounts: (service.volumes ?? []).map((mount) => ({
      volumeName: mount.volume === undefined ? undefined : names.volume(mount.volume),
      hostPath: mount.hostPath,
      containerPath: mount.mountPath,
      readOnly: mount.readOnly,
    })),
    networks: service.networks.map((network) => ({ name: names.network(network), aliases: [name] })),
    user: service.user,
    health: service.health && {
      command: service.health.command,
      intervalSeconds: service.health.intervalSeconds,
      timeoutSeconds: service.health.timeoutSeconds,
      retries: service.health.retries,
      startPeriodSeconds: service.health.startPeriodSeconds,
    },
    cpus: service.resources.cpus,
    memory: service.resources.memory,
    labels: { ...labels, "dockyard.service": name, "dockyard.replica": String(replica) },
  };
}

/** Where the Docker back end puts app secrets in a container (as compose secrets). */
export const SECRETS_DIR = "/run/secrets";

/**
 * A service's secret env on Docker: each app secret becomes a file, SECRETS_DIR/<secret>, and each
 * variable VAR becomes VAR_FILE naming that file (the `_FILE` convention of the official postgres
 * image and of apps/worker and apps/result), so no secret value is in the container's environment,
 * which anyone allowed to `docker inspect` can read.
 */
function secretsAsFiles(
  app: AppModel,
  config: StackConfig,
  name: string,
  service: ServiceModel,
): { env: Record<string, string>; secretFiles: ContainerSecretFileArgs[] } {
  const values = secretValues(config);
  const env: Record<string, string> = { ...service.env };
  const secretFiles: ContainerSecretFileArgs[] = [];
  for (const variable of sortedKeys(service.secretEnv)) {
    const secret = (service.secretEnv ?? {})[variable];
    const path = `${SECRETS_DIR}/${secret}`;
    for (const taken of [variable, `${variable}_FILE`]) {
      if (taken in env) {
        throw new ModelError(
          `app "${app.name}" on Docker: service "${name}": env ${taken} is set, but secret env ${variable} is delivered as ${variable}_FILE=${path}`,
        );
      }
    }
    env[`${variable}_FILE`] = path;
    if (!secretFiles.some((file) => file.path === path)) secretFiles.push({ path, content: values[secret] });
  }
  return { env, secretFiles };
}

/** Where a published port is reached from this machine. */
function publishedHost(config: StackConfig): string {
  if (config.bindAddress !== "0.0.0.0") return config.bindAddress;
  const url = parseDockerHost(config.dockerHost);
  return url !== undefined && (url.protocol === "tcp:" || url.protocol === "ssh:") ? url.hostname : "127.0.0.1";
}

export function deployDocker(app: AppModel, config: StackConfig): AppOutputs {
  const plan = planDocker(app, config);
  const provider = new docker.Provider("docker", { host: config.dockerHost });
  const opts = { provider };

  const networks = new Map(plan.networks.map(([name, args]) => [name, new Network(name, args, opts)]));
  const volumes = new Map(plan.volumes.map(([name, args]) => [name, new Volume(name, args, opts)]));
  const images = new Map(plan.images.map(([name, args]) => [name, new Image(name, args, opts)]));
  const pulled = new Map<string, pulumi.Output<string>>();
  for (const name of sortedKeys(app.services)) {
    const source = app.services[name].image;
    if (source.kind === "pull") {
      // keepLocally: destroying the stack must not delete an image other stacks (or a mirror) rely on.
      pulled.set(name, new docker.RemoteImage(`${name}-image`, { name: source.ref, keepLocally: true }, opts).imageId);
    }
  }

  const containers = new Map<string, Container[]>();
  for (const [service, replicas] of plan.containers) {
    const model = app.services[service];
    const image = images.get(service)?.ref ?? pulled.get(service);
    const dependsOn: pulumi.Resource[] = [
      ...model.networks.map((network) => networks.get(network) as Network),
      ...(model.volumes ?? []).flatMap((mount) => (mount.volume ? [volumes.get(mount.volume) as Volume] : [])),
      ...sortedKeys(model.dependsOn).flatMap((dependency) => containers.get(dependency) ?? []),
    ];
    containers.set(
      service,
      replicas.map(([name, args]) => {
        // The plan already holds the networks' and volumes' physical names; dependsOn orders them.
        const resolved: ContainerArgs = { ...args, image: image as pulumi.Output<string> };
        return new Container(name, resolved, { ...opts, dependsOn });
      }),
    );
  }

  const host = publishedHost(config);
  const urls: Record<string, string> = {};
  for (const name of sortedKeys(app.services)) {
    const published = (app.services[name].ports ?? []).find((port) => port.hostPort !== undefined);
    const replicas = app.services[name].replicas ?? 1;
    if (published?.hostPort !== undefined && replicas > 0) {
      urls[name] = `http://${host}:${published.hostPort}`;
    }
  }
  return {
    urls,
    networks: Object.fromEntries([...networks].map(([name, network]) => [name, network.subnet])),
    volumes: Object.fromEntries([...volumes].map(([name, volume]) => [name, volume.volumeName])),
    images: Object.fromEntries([...images].map(([name, image]) => [name, image.ref])),
  };
}
