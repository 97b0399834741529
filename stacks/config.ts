/**
 * Typed, validated stack configuration. Every key is declared once here (type, default, meaning)
 * and in Pulumi.yaml's config schema; a unit test keeps the two equal. Errors name the key, the
 * value given and what is allowed, and are raised before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { parseCidr } from "../components/cidr";
import { isRegistry, REGISTRY_RULE } from "../components/registry";
import { parseCpus, parseMemory } from "../components/units";
import { Autoscaling, Resources } from "./model";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type Kind = "string" | "integer" | "boolean" | "array";

interface KeySpec {
  type: Kind;
  default: string | number | boolean | string[];
  description: string;
  secret?: boolean;
  /** Applies to these targets only (informational, for the README). */
  target?: "docker" | "kubernetes";
}

const PORT = "must be a port number 1-65535";
const port = z.number({ error: PORT }).int(PORT).min(1, PORT).max(65535, PORT);
const count = z
  .number({ error: "must be a whole number of 0 or more" })
  .int("must be a whole number of 0 or more")
  .min(0, "must be a whole number of 0 or more");
const imageRef = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._\-/:@]*$/i, "must be an image reference like python:3.12-slim or mirror.example:5000/python:3.12-slim");
const cidr = z.string().refine((value) => parseCidr(value) !== undefined, "must be an IPv4 CIDR like 172.18.0.0/16");
const registry = z.string().refine((value) => value === "" || isRegistry(value), `must be ${REGISTRY_RULE}, or empty`);
const dockerHost = z
  .string()
  .regex(
    /^(unix|tcp|ssh|npipe):\/\/.+/,
    "must be a Docker host URL: unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host (as DOCKER_HOST)",
  );
const memory = z.string().refine((value) => {
  try {
    parseMemory(value);
    return true;
  } catch {
    return false;
  }
}, "must be a memory size like 1Gi or 512Mi");

/** The configuration keys, in the order the README lists them. */
export const CONFIG_KEYS = {
  target: { type: "string", default: "docker", description: "Where the app runs: docker (a Docker engine) or kubernetes (a cluster)." },
  dockerHost: {
    type: "string",
    default: "unix:///var/run/docker.sock",
    description: "Docker engine to deploy to, as DOCKER_HOST: unix://, tcp:// or ssh://.",
    target: "docker",
  },
  bindAddress: {
    type: "string",
    default: "127.0.0.1",
    description: "Host IP that published ports bind to; 0.0.0.0 exposes them on every interface.",
    target: "docker",
  },
  votePort: { type: "integer", default: 5000, description: "Host port of the vote page (replica i of N gets votePort + i - 1)." },
  resultPort: { type: "integer", default: 5001, description: "Host port of the result page (replica i of N gets resultPort + i - 1)." },
  voteReplicas: { type: "integer", default: 1, description: "Copies of vote (docker-compose --scale vote=N, kubectl scale)." },
  resultReplicas: { type: "integer", default: 1, description: "Copies of result." },
  workerReplicas: { type: "integer", default: 1, description: "Copies of worker." },
  limits: { type: "array", default: [], description: 'Limit overrides, one entry per service: "vote:cpus=0.5,memory=128m".' },
  autoscaling: {
    type: "array",
    default: [],
    description: 'Autoscaling, one entry per service: "vote:min=3,max=10,cpu=70" (Kubernetes HPA).',
    target: "kubernetes",
  },
  optionA: { type: "string", default: "Cats", description: "Label of the first option." },
  optionB: { type: "string", default: "Dogs", description: "Label of the second option." },
  pythonImage: {
    type: "string",
    default: "python:3.12-slim",
    description: "Base image for vote (build arg PYTHON_IMAGE); point it at a mirror when air-gapped.",
  },
  nodeImage: { type: "string", default: "node:22-slim", description: "Base image for worker and result (build arg NODE_IMAGE)." },
  redisImage: { type: "string", default: "redis:7.4", description: "Image of the redis service." },
  postgresImage: { type: "string", default: "postgres:15", description: "Image of the db service." },
  voteImage: {
    type: "string",
    default: "",
    description: "A prebuilt image for vote (built and pushed by CI, say); empty builds apps/vote here.",
  },
  resultImage: { type: "string", default: "", description: "A prebuilt image for result; empty builds apps/result here." },
  workerImage: { type: "string", default: "", description: "A prebuilt image for worker; empty builds apps/worker here." },
  imageTag: {
    type: "string",
    default: "v1",
    description: "Tag of the images built here; a change rolls the services. latest is refused outside the dev stack.",
  },
  registry: {
    type: "string",
    default: "",
    description: "Registry to push built images to (localhost:5000, registry.example.com); empty keeps them local.",
  },
  registryUsername: { type: "string", default: "", description: "User for the registry (docker login)." },
  // Not declared secret in Pulumi.yaml: a secret key may not have a default there, and this one is optional.
  registryPassword: { type: "string", default: "", description: "Password for the registry; set it with --secret." },
  imageBuilder: {
    type: "string",
    default: "BuilderV1",
    description: "Docker build backend: BuilderV1 (classic, works on any engine) or BuilderBuildKit.",
  },
  frontendSubnet: { type: "string", default: "10.123.1.0/24", description: "Subnet of the frontend network (vote, result)." },
  backendSubnet: { type: "string", default: "10.123.2.0/24", description: "Subnet of the backend network (all services)." },
  allowPublicSubnets: { type: "boolean", default: false, description: "Allow subnets outside 10/8, 172.16/12 and 192.168/16." },
  retainData: {
    type: "boolean",
    default: false,
    description: "Keep the db and redis data volumes (and their data) when the stack is destroyed.",
  },
  // Required: Pulumi.yaml declares it secret with no default, so the CLI refuses a plaintext or missing value.
  postgresPassword: {
    type: "string",
    default: "",
    secret: true,
    description: "Password of the database user (8+ characters); required, set with pulumi config set --secret.",
  },
  kubeconfig: {
    type: "string",
    default: "",
    description: "Path to a kubeconfig; empty uses KUBECONFIG or ~/.kube/config.",
    target: "kubernetes",
  },
  kubeContext: {
    type: "string",
    default: "",
    description: "Context in the kubeconfig; empty uses its current context.",
    target: "kubernetes",
  },
  namespace: { type: "string", default: "", description: "Namespace for the app; empty uses the stack name.", target: "kubernetes" },
  serviceType: {
    type: "string",
    default: "ClusterIP",
    description: "Service type of vote and result: ClusterIP, NodePort or LoadBalancer.",
    target: "kubernetes",
  },
  storageClass: {
    type: "string",
    default: "",
    description: "StorageClass of the data volumes; empty uses the cluster default.",
    target: "kubernetes",
  },
  dbStorageSize: { type: "string", default: "1Gi", description: "Size of the db volume claim.", target: "kubernetes" },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

const ALL_SERVICES = ["vote", "result", "worker", "redis", "db"];
/** db and redis hold data and run as a single copy; they have no replicas or autoscaling key. */
const SCALABLE_SERVICES = ["vote", "result", "worker"];

/** Parses "service:key=value,key=value" entries of the array keys. */
function entries(
  key: string,
  values: string[],
  services: string[],
  allowed: string[],
): Array<{ service: string; fields: Record<string, string> }> {
  return values.map((entry, index) => {
    const where = `${key}[${index}]`;
    const match = /^([a-z0-9-]+):(.+)$/.exec(typeof entry === "string" ? entry.trim() : "");
    if (!match) {
      throw new ConfigError(`dockyard:${where}: must look like "vote:${allowed[0]}=...", got ${JSON.stringify(entry)}`);
    }
    if (!services.includes(match[1])) {
      throw new ConfigError(`dockyard:${where}: service must be one of ${services.join(", ")}, got ${JSON.stringify(match[1])}`);
    }
    const fields: Record<string, string> = {};
    for (const part of match[2].split(",")) {
      const [name, value, ...rest] = part.split("=").map((s) => s.trim());
      if (!allowed.includes(name) || value === undefined || value === "" || rest.length > 0) {
        throw new ConfigError(`dockyard:${where}: "${part}" is not one of ${allowed.map((a) => `${a}=...`).join(", ")}`);
      }
      fields[name] = value;
    }
    return { service: match[1], fields };
  });
}

export interface StackConfig {
  stack: string;
  target: "docker" | "kubernetes";
  dockerHost: string;
  bindAddress: string;
  votePort: number;
  resultPort: number;
  replicas: { vote: number; result: number; worker: number };
  limits: Record<string, Partial<Resources>>;
  autoscaling: Record<string, Autoscaling>;
  optionA: string;
  optionB: string;
  pythonImage: string;
  nodeImage: string;
  redisImage: string;
  postgresImage: string;
  /** Prebuilt images of the app's own services by service name; the others are built here. */
  prebuiltImages: { vote?: string; result?: string; worker?: string };
  imageTag: string;
  registry?: { server: string; username: string; password: pulumi.Output<string> };
  imageBuilder: "BuilderV1" | "BuilderBuildKit";
  frontendSubnet: string;
  backendSubnet: string;
  allowPublicSubnets: boolean;
  retainData: boolean;
  postgresPassword: pulumi.Output<string>;
  kubeconfig: string;
  kubeContext: string;
  namespace: string;
  serviceType: "ClusterIP" | "NodePort" | "LoadBalancer";
  storageClass: string;
  dbStorageSize: string;
}

const schema = z.object({
  target: z.enum(["docker", "kubernetes"], { error: "must be docker or kubernetes" }),
  dockerHost,
  bindAddress: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, "must be an IPv4 address such as 127.0.0.1 or 0.0.0.0"),
  votePort: port,
  resultPort: port,
  voteReplicas: count,
  resultReplicas: count,
  workerReplicas: count,
  limits: z.array(z.string(), { error: 'must be a list of "service:cpus=N,memory=SIZE" strings' }),
  autoscaling: z.array(z.string(), { error: 'must be a list of "service:min=N,max=N,cpu=PERCENT" strings' }),
  optionA: z.string().min(1, "must not be empty"),
  optionB: z.string().min(1, "must not be empty"),
  pythonImage: imageRef,
  nodeImage: imageRef,
  redisImage: imageRef,
  postgresImage: imageRef,
  voteImage: z.union([z.literal(""), imageRef]),
  resultImage: z.union([z.literal(""), imageRef]),
  workerImage: z.union([z.literal(""), imageRef]),
  imageTag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be a Docker tag: letters, digits, _ . - (up to 128)"),
  registry,
  registryUsername: z.string(),
  registryPassword: z.string(),
  imageBuilder: z.enum(["BuilderV1", "BuilderBuildKit"], { error: "must be BuilderV1 or BuilderBuildKit" }),
  frontendSubnet: cidr,
  backendSubnet: cidr,
  allowPublicSubnets: z.boolean({ error: "must be true or false" }),
  retainData: z.boolean({ error: "must be true or false" }),
  postgresPassword: z.string(),
  kubeconfig: z.string(),
  kubeContext: z.string(),
  namespace: z
    .string()
    .regex(/^$|^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label (lowercase letters, digits, -), or empty for the stack name"),
  serviceType: z.enum(["ClusterIP", "NodePort", "LoadBalancer"], { error: "must be ClusterIP, NodePort or LoadBalancer" }),
  storageClass: z.string(),
  dbStorageSize: memory,
});

/** Raw value of a key as the engine passes it (strings; arrays as JSON), without secret warnings. */
export type RawConfig = (key: string) => string | undefined;

const pulumiRaw: RawConfig = (key) => pulumi.runtime.getConfig(`${pulumi.getProject()}:${key}`);

function decode(key: ConfigKey, raw: string | undefined): unknown {
  const spec: KeySpec = CONFIG_KEYS[key];
  if (raw === undefined) {
    return spec.default;
  }
  switch (spec.type) {
    case "integer":
      return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
    case "boolean":
      return raw === "true" ? true : raw === "false" ? false : raw;
    case "array":
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}

/** Reads and validates the stack's configuration. Throws ConfigError naming the first bad key. */
export function loadConfig(raw: RawConfig = pulumiRaw, stack: string = pulumi.getStack()): StackConfig {
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(CONFIG_KEYS) as ConfigKey[]) {
    values[key] = decode(key, raw(key));
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0]);
    const spec: KeySpec = CONFIG_KEYS[key as ConfigKey];
    const shown = spec.secret || key === "registryPassword" ? "[secret]" : JSON.stringify(values[key]);
    throw new ConfigError(`dockyard:${key} ${issue.message}, got ${shown}`);
  }
  const c = parsed.data;

  if (c.postgresPassword.length < 8) {
    throw new ConfigError(
      c.postgresPassword === ""
        ? "dockyard:postgresPassword is required: pulumi config set --secret postgresPassword <password>"
        : "dockyard:postgresPassword must be at least 8 characters, got [secret] of " + c.postgresPassword.length,
    );
  }
  if (stack !== "dev") {
    for (const key of ["pythonImage", "nodeImage", "redisImage", "postgresImage", "voteImage", "resultImage", "workerImage"] as const) {
      if (c[key] !== "" && !isPinned(c[key])) {
        throw new ConfigError(
          `dockyard:${key} ${JSON.stringify(c[key])} has no version tag (or uses latest), allowed only in the dev stack (stack is "${stack}"): pin a tag like redis:7.4 or a digest`,
        );
      }
    }
  }
  if (c.imageTag === "latest" && stack !== "dev") {
    throw new ConfigError(
      `dockyard:imageTag "latest" is allowed only in the dev stack (stack is "${stack}"): pin a version tag so a deploy is repeatable`,
    );
  }
  if (c.registryUsername !== "" && c.registry === "") {
    throw new ConfigError(
      `dockyard:registryUsername is set ("${c.registryUsername}") but dockyard:registry is empty: set the registry to push to`,
    );
  }
  // A login needs both. With neither, images are pushed without one: a registry that needs none, or
  // the credentials `docker login` stored where pulumi runs.
  if (c.registryPassword !== "" && c.registryUsername === "") {
    throw new ConfigError(
      "dockyard:registryPassword is set ([secret]) but dockyard:registryUsername is empty: set the user to log in as, or unset registryPassword to push without a login",
    );
  }
  if (c.registryUsername !== "" && c.registryPassword === "") {
    throw new ConfigError(
      `dockyard:registryUsername is set ("${c.registryUsername}") but dockyard:registryPassword is empty: pulumi config set --secret registryPassword <password>, or unset registryUsername to push without a login`,
    );
  }

  const limits: Record<string, Partial<Resources>> = {};
  for (const { service, fields } of entries("limits", c.limits, ALL_SERVICES, ["cpus", "memory"])) {
    const where = `dockyard:limits (${service})`;
    const override: Partial<Resources> = { ...limits[service] };
    if (fields.cpus !== undefined) {
      const cpus = Number(fields.cpus);
      wrap(() => parseCpus(cpus, `${where}: cpus`), fields.cpus);
      override.cpus = cpus;
    }
    if (fields.memory !== undefined) {
      wrap(() => parseMemory(fields.memory, `${where}: memory`));
      override.memory = fields.memory;
    }
    limits[service] = override;
  }

  const autoscaling: Record<string, Autoscaling> = {};
  for (const { service, fields } of entries("autoscaling", c.autoscaling, SCALABLE_SERVICES, ["min", "max", "cpu"])) {
    const where = `dockyard:autoscaling (${service})`;
    if (fields.min === undefined || fields.max === undefined || fields.cpu === undefined) {
      throw new ConfigError(`${where}: needs min, max and cpu, like "vote:min=3,max=10,cpu=70"`);
    }
    autoscaling[service] = { minReplicas: Number(fields.min), maxReplicas: Number(fields.max), targetCpuPercent: Number(fields.cpu) };
  }

  return {
    stack,
    target: c.target,
    dockerHost: c.dockerHost,
    bindAddress: c.bindAddress,
    votePort: c.votePort,
    resultPort: c.resultPort,
    replicas: { vote: c.voteReplicas, result: c.resultReplicas, worker: c.workerReplicas },
    limits,
    autoscaling,
    optionA: c.optionA,
    optionB: c.optionB,
    pythonImage: c.pythonImage,
    nodeImage: c.nodeImage,
    redisImage: c.redisImage,
    postgresImage: c.postgresImage,
    prebuiltImages: {
      vote: c.voteImage || undefined,
      result: c.resultImage || undefined,
      worker: c.workerImage || undefined,
    },
    imageTag: c.imageTag,
    registry:
      c.registry === "" ? undefined : { server: c.registry, username: c.registryUsername, password: pulumi.secret(c.registryPassword) },
    imageBuilder: c.imageBuilder,
    frontendSubnet: c.frontendSubnet,
    backendSubnet: c.backendSubnet,
    allowPublicSubnets: c.allowPublicSubnets,
    retainData: c.retainData,
    postgresPassword: pulumi.secret(c.postgresPassword),
    kubeconfig: c.kubeconfig,
    kubeContext: c.kubeContext,
    namespace: c.namespace === "" ? stack : c.namespace,
    serviceType: c.serviceType,
    storageClass: c.storageClass,
    dbStorageSize: c.dbStorageSize,
  };
}

/** Where each app secret's value comes from in the stack config (both back ends read it). */
export function secretValues(config: StackConfig): Record<string, pulumi.Output<string>> {
  return { "db-password": config.postgresPassword };
}

/** An image reference with a digest, or a tag other than latest. */
export function isPinned(ref: string): boolean {
  if (ref.includes("@sha256:")) return true;
  const lastSegment = ref.split("/").pop() as string;
  const colon = lastSegment.lastIndexOf(":");
  return colon >= 0 && lastSegment.slice(colon + 1) !== "latest";
}

function wrap(check: () => unknown, given?: string): void {
  try {
    check();
  } catch (error) {
    const message = (error as Error).message;
    throw new ConfigError(
      given !== undefined && Number.isNaN(Number(given)) ? `${message.replace(/, got .*$/, "")}, got ${JSON.stringify(given)}` : message,
    );
  }
}
