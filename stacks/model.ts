/**
 * The application model: plain typed data, no Pulumi resources, nothing specific to Docker or
 * Kubernetes. The Docker and Kubernetes back ends both consume it, so a service is described once.
 */
import { canonicalCidr, containsAddress, contains, overlaps, parseAddress, parseCidr } from "../components/cidr";
import { ENV_NAME_RULE, isEnvName } from "../components/env";
import { parseCpus, parseMemory } from "../components/units";

/** Where a service's image comes from. */
export type ImageSource =
  | {
      /** Built from a Dockerfile in this repository. */
      kind: "build";
      /** Build context, relative to the project root. */
      context: string;
      /** Dockerfile path relative to the context. @default "Dockerfile" */
      dockerfile?: string;
      /** Build arguments (base images such as PYTHON_IMAGE go here). */
      args?: Record<string, string>;
      /** Multi-stage target. @default - the last stage */
      target?: string;
    }
  | {
      /** A prebuilt image reference such as "redis:7.4" or "mirror.example/postgres:15". */
      kind: "pull";
      ref: string;
    };

export interface ServicePort {
  /** A name for the port, used for the Kubernetes Service port ("http"). */
  name: string;
  containerPort: number;
  /** @default "tcp" */
  protocol?: "tcp" | "udp";
  /**
   * Published outside the app: a host port on Docker, an externally reachable Service on
   * Kubernetes. With N replicas on Docker, replica i gets hostPort + i - 1.
   * @default - not published; reachable only by other services (compose `expose`: on Docker nothing
   * is bound on the host, on Kubernetes a ClusterIP Service port)
   */
  hostPort?: number;
  /**
   * Only the health check connects to this port (a worker's /healthz): declared so the check probes a
   * port the service has, but no Kubernetes Service port is made for it. Cannot be published.
   * @default false
   */
  healthOnly?: boolean;
}

export interface HealthCheck {
  /** Command run inside the container; exit 0 means healthy (Docker HEALTHCHECK, Kubernetes exec probe). */
  command: string[];
  /**
   * When the service serves an HTTP health endpoint, Kubernetes probes it directly. `port` must be
   * one of the service's container ports.
   */
  http?: { path: string; port: number };
  /** @default 10 */
  intervalSeconds?: number;
  /** @default 5 */
  timeoutSeconds?: number;
  /** @default 3 */
  retries?: number;
  /** Grace period after start during which failures do not count. @default 10 */
  startPeriodSeconds?: number;
}

export interface VolumeMount {
  /** A named volume of the app. Exactly one of `volume` and `hostPath`. */
  volume?: string;
  /** An absolute path on the host (a bind mount, `-v /opt/data:/var/lib/mysql`). */
  hostPath?: string;
  mountPath: string;
  /** @default false */
  readOnly?: boolean;
}

export interface Resources {
  /** CPU limit in CPUs, as `docker run --cpus` (0.5 = half a core). */
  cpus: number;
  /** Memory limit as `docker run --memory` ("100m", "1g"). */
  memory: string;
}

export interface Autoscaling {
  minReplicas: number;
  maxReplicas: number;
  /** Average CPU utilisation (percent of the request) to aim for. */
  targetCpuPercent: number;
}

export type DependencyCondition = "started" | "healthy";

export interface ServiceModel {
  image: ImageSource;
  command?: string[];
  entrypoint?: string[];
  /** Plain environment. */
  env?: Record<string, string>;
  /**
   * Environment variables whose values are app secrets: variable name → secret name. On Kubernetes
   * the variable itself, read from the secret's Secret (`secretKeyRef`). On Docker the value is never
   * in the environment (which `docker inspect` shows): it is a file, /run/secrets/<secret name> (mode
   * 0444, as compose secrets), and the container gets `<variable>_FILE` with that path, so the image
   * must honour the `_FILE` convention (the official postgres image, apps/worker and apps/result do).
   */
  secretEnv?: Record<string, string>;
  ports?: ServicePort[];
  /** The app networks the service joins; its name is an alias on each of them. */
  networks: string[];
  volumes?: VolumeMount[];
  health?: HealthCheck;
  /** Services that must be up first, and whether they must be healthy (compose `service_healthy`). */
  dependsOn?: Record<string, DependencyCondition>;
  resources: Resources;
  /** @default 1 */
  replicas?: number;
  autoscaling?: Autoscaling;
  /** Holds data that one instance at a time may write (a database): never two copies at once. */
  singleWriter?: boolean;
  /** User (name or uid[:gid]) to run as. @default - the image's user */
  user?: string;
}

export interface NetworkModel {
  subnet: string;
  /** @default - the first address of the subnet, chosen by Docker */
  gateway?: string;
  /** The part of the subnet containers are given addresses from. @default - the whole subnet */
  ipRange?: string;
  /** No route outside the network. @default false */
  internal?: boolean;
}

export interface VolumeModel {
  /** Keep the data when the stack is destroyed (and protect it from deletion). @default false */
  retain?: boolean;
  /** Storage requested on Kubernetes ("1Gi"). @default "1Gi" */
  size?: string;
}

export interface SecretModel {
  description: string;
}

export interface AppModel {
  name: string;
  services: Record<string, ServiceModel>;
  networks: Record<string, NetworkModel>;
  volumes: Record<string, VolumeModel>;
  secrets: Record<string, SecretModel>;
}

export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelError";
  }
}

/** Keys of a record in sorted order, so previews and outputs are stable. */
export function sortedKeys<T>(record: Record<string, T> | undefined): string[] {
  return Object.keys(record ?? {}).sort();
}

const NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;

/** Throws a ModelError naming the first problem found; returns the model when it is sound. */
export function validateApp(app: AppModel): AppModel {
  const fail = (message: string): never => {
    throw new ModelError(`app "${app.name}": ${message}`);
  };
  if (!NAME.test(app.name)) {
    fail(`name must be lowercase letters, digits and dashes, got ${JSON.stringify(app.name)}`);
  }
  const serviceNames = sortedKeys(app.services);
  if (serviceNames.length === 0) {
    fail("has no services");
  }
  validateNetworks(app, fail);

  const hostPorts = new Map<number, string>();
  const volumeOwners = new Map<string, string>();
  for (const name of serviceNames) {
    const service = app.services[name];
    const where = `service "${name}"`;
    if (!NAME.test(name)) {
      fail(`service name must be lowercase letters, digits and dashes (a DNS label), got ${JSON.stringify(name)}`);
    }
    if (service.image.kind === "pull" && !service.image.ref.trim()) {
      fail(`${where}: image reference is empty`);
    }
    const replicas = service.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 0) {
      fail(`${where}: replicas must be a whole number of 0 or more, got ${replicas}`);
    }
    if (service.singleWriter && replicas > 1) {
      fail(`${where}: replicas must be 0 or 1 for a single-writer service (its data allows one writer), got ${replicas}`);
    }
    try {
      parseCpus(service.resources.cpus, `${where}: cpus`);
      parseMemory(service.resources.memory, `${where}: memory`);
    } catch (error) {
      fail((error as Error).message);
    }
    if (service.networks.length === 0) {
      fail(`${where}: must join at least one network`);
    }
    for (const [index, network] of service.networks.entries()) {
      if (!(network in app.networks)) {
        fail(`${where}: unknown network "${network}"; the app's networks are: ${sortedKeys(app.networks).join(", ")}`);
      }
      if (service.networks.indexOf(network) !== index) {
        fail(`${where}: networks lists "${network}" twice; list each network once`);
      }
    }
    for (const variable of [...sortedKeys(service.env), ...sortedKeys(service.secretEnv)]) {
      if (!isEnvName(variable)) {
        fail(`${where}: env name must be ${ENV_NAME_RULE}, got ${JSON.stringify(variable)}`);
      }
    }
    for (const mount of service.volumes ?? []) {
      if ((mount.volume === undefined) === (mount.hostPath === undefined)) {
        fail(`${where}: mount at ${mount.mountPath} needs exactly one of volume and hostPath`);
      }
      if (mount.volume !== undefined && !(mount.volume in app.volumes)) {
        fail(`${where}: unknown volume "${mount.volume}"; the app's volumes are: ${sortedKeys(app.volumes).join(", ") || "(none)"}`);
      }
      if (mount.volume !== undefined) {
        const owner = volumeOwners.get(mount.volume);
        if (owner !== undefined && owner !== name) {
          fail(
            `volume "${mount.volume}" is mounted by ${owner} and ${name}: a volume holds one service's data (two services would write one data directory, and on Kubernetes its ReadWriteOnce claim attaches to one node); give each service its own volume`,
          );
        }
        volumeOwners.set(mount.volume, name);
      }
      if (mount.hostPath !== undefined && !mount.hostPath.startsWith("/")) {
        fail(`${where}: hostPath must be absolute (a path on the Docker host), got ${JSON.stringify(mount.hostPath)}`);
      }
      if (!mount.mountPath.startsWith("/")) {
        fail(`${where}: mountPath must be absolute, got ${JSON.stringify(mount.mountPath)}`);
      }
    }
    for (const secret of sortedKeys(service.secretEnv)) {
      const secretName = (service.secretEnv ?? {})[secret];
      if (!(secretName in app.secrets)) {
        fail(`${where}: env ${secret} refers to unknown secret "${secretName}"`);
      }
    }
    for (const port of service.ports ?? []) {
      if (!Number.isInteger(port.containerPort) || port.containerPort < 1 || port.containerPort > 65535) {
        fail(`${where}: containerPort must be 1-65535, got ${port.containerPort}`);
      }
      if (port.hostPort === undefined) {
        continue;
      }
      if (port.healthOnly) {
        fail(`${where}: port "${port.name}" is healthOnly, so it cannot be published (hostPort ${port.hostPort})`);
      }
      if (!Number.isInteger(port.hostPort) || port.hostPort < 1 || port.hostPort > 65535) {
        fail(`${where}: host port must be 1-65535, got ${port.hostPort}`);
      }
      const owner = hostPorts.get(port.hostPort);
      if (owner !== undefined) {
        fail(`host port ${port.hostPort} is used by both ${owner} and ${where}`);
      }
      hostPorts.set(port.hostPort, where);
    }
    const http = service.health?.http;
    if (http !== undefined) {
      const containerPorts = (service.ports ?? []).map((port) => port.containerPort);
      if (!containerPorts.includes(http.port)) {
        fail(
          `${where}: health.http.port ${http.port} is not one of its container ports (${containerPorts.join(", ") || "it declares none"}); probe the port the service listens on, or declare that port in ports`,
        );
      }
    }
    if (service.autoscaling) {
      const { minReplicas, maxReplicas, targetCpuPercent } = service.autoscaling;
      if (!Number.isInteger(minReplicas) || minReplicas < 1 || !Number.isInteger(maxReplicas) || maxReplicas < minReplicas) {
        fail(`${where}: autoscaling needs whole numbers 1 <= min <= max, got min ${minReplicas}, max ${maxReplicas}`);
      }
      if (!Number.isInteger(targetCpuPercent) || targetCpuPercent < 1 || targetCpuPercent > 100) {
        fail(`${where}: autoscaling cpu target must be a whole percent 1-100, got ${targetCpuPercent}`);
      }
      if (service.singleWriter) {
        fail(`${where}: a single-writer service cannot autoscale`);
      }
    }
    for (const dependency of sortedKeys(service.dependsOn)) {
      const target = app.services[dependency];
      if (target === undefined) {
        fail(`${where}: depends on unknown service "${dependency}"; services are: ${serviceNames.join(", ")}`);
      }
      if (dependency === name) {
        fail(`${where}: depends on itself`);
      }
      const condition = (service.dependsOn ?? {})[dependency];
      if (condition !== "started" && condition !== "healthy") {
        fail(`${where}: dependency "${dependency}" condition must be "started" or "healthy", got ${JSON.stringify(condition)}`);
      }
      if (condition === "healthy" && target.health === undefined) {
        fail(`${where}: waits for "${dependency}" to be healthy, but "${dependency}" has no health check`);
      }
    }
  }
  const cycle = findCycle(app);
  if (cycle) {
    fail(`circular dependency: ${cycle.join(" -> ")}`);
  }
  return app;
}

function validateNetworks(app: AppModel, fail: (message: string) => never): void {
  const parsed: Array<[string, ReturnType<typeof parseCidr>]> = [];
  for (const name of sortedKeys(app.networks)) {
    const network = app.networks[name];
    const where = `network "${name}"`;
    const subnet = parseCidr(network.subnet);
    if (!subnet) {
      fail(`${where}: subnet must be an IPv4 CIDR like 172.18.0.0/16, got ${JSON.stringify(network.subnet)}`);
    }
    const canonical = canonicalCidr(network.subnet);
    if (canonical !== network.subnet) {
      fail(`${where}: subnet ${network.subnet} has host bits set; did you mean ${canonical}?`);
    }
    for (const [otherName, other] of parsed) {
      if (other && subnet && overlaps(subnet, other)) {
        fail(`${where}: subnet ${network.subnet} overlaps network "${otherName}" (${other.text}); give each network its own range`);
      }
    }
    parsed.push([name, subnet]);
    if (network.gateway !== undefined) {
      const gateway = parseAddress(network.gateway);
      if (gateway === undefined || !subnet || !containsAddress(subnet, gateway)) {
        fail(`${where}: gateway ${network.gateway} must be an address inside subnet ${network.subnet}`);
      }
    }
    if (network.ipRange !== undefined) {
      const range = parseCidr(network.ipRange);
      if (!range || !subnet || !contains(subnet, range)) {
        fail(`${where}: ipRange ${network.ipRange} must be a CIDR inside subnet ${network.subnet}`);
      }
    }
  }
}

/** A dependency cycle as a path of service names (first name repeated at the end), if any. */
export function findCycle(app: AppModel): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "visiting");
    path.push(name);
    for (const dependency of sortedKeys(app.services[name]?.dependsOn)) {
      if (app.services[dependency]) {
        const cycle = visit(dependency);
        if (cycle) return cycle;
      }
    }
    path.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const name of sortedKeys(app.services)) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Services in an order where each comes after everything it depends on (ties sorted by name). */
export function startOrder(app: AppModel): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (name: string): void => {
    if (placed.has(name)) return;
    placed.add(name);
    sortedKeys(app.services[name].dependsOn).forEach(place);
    order.push(name);
  };
  sortedKeys(app.services).forEach(place);
  return order;
}
