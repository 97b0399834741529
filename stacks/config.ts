/**
 * Typed, validated stack configuration. Every key is declared once here (type, default, meaning)
 * and in Pulumi.yaml's config schema; a unit test keeps the two equal. Errors name the key, the
 * value given and what is allowed, and are raised before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { parseAddress, parseCidr } from "../components/cidr";
import { isNamespaceName, NAMESPACE_RULE, SYSTEM_NAMESPACES } from "../components/k8s/labels";
import { IMAGE_REFERENCE_RULE, isImageReference, isRegistry, REGISTRY_RULE } from "../components/registry";
import { parseCpusText, parseMemory, parseStorageSize, UnitError } from "../components/units";
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
const imageRef = z.string().refine(isImageReference, `must be ${IMAGE_REFERENCE_RULE}`);
const cidr = z.string().refine((value) => parseCidr(value) !== undefined, "must be an IPv4 CIDR like 172.18.0.0/16");
const registry = z.string().refine((value) => value === "" || isRegistry(value), `must be ${REGISTRY_RULE}, or empty`);
const dockerHost = z
  .string()
  .refine(
    (value) => parseDockerHost(value) !== undefined,
    "must be a Docker host URL: unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host (as DOCKER_HOST)",
  );

/**
 * A Docker host URL (DOCKER_HOST, `docker -H`), parsed by the WHATWG URL parser: unix:// and
 * npipe:// with a path, tcp:// and ssh:// with a host. Undefined when it is none of these.
 */
export function parseDockerHost(value: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  switch (url.protocol) {
    case "unix:":
    case "npipe:":
      return url.hostname === "" && url.pathname.length > 1 ? url : undefined;
    case "tcp:":
    case "ssh:":
      return url.hostname !== "" ? url : undefined;
    default:
      return undefined;
  }
}

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

interface Entry {
  service: string;
  fields: Record<string, string>;
  /** Where the entry is, as the user addresses it: "dockyard:limits[0] (vote)". */
  where: string;
}

/**
 * Parses "service:key=value,key=value" entries of the array keys. A field given twice for one
 * service, in one entry or in two, is refused: the last would otherwise win silently.
 */
function entries(key: string, values: string[], services: string[], allowed: string[]): Entry[] {
  const given = new Map<string, { index: number; part: string }>();
  return values.map((entry, index) => {
    const at = `${key}[${index}]`;
    const match = /^([a-z0-9-]+):(.+)$/.exec(typeof entry === "string" ? entry.trim() : "");
    if (!match) {
      throw new ConfigError(`dockyard:${at}: must look like "vote:${allowed[0]}=...", got ${JSON.stringify(entry)}`);
    }
    const service = match[1];
    if (!services.includes(service)) {
      throw new ConfigError(`dockyard:${at}: service must be one of ${services.join(", ")}, got ${JSON.stringify(service)}`);
    }
    const where = `dockyard:${at} (${service})`;
    const fields: Record<string, string> = {};
    for (const part of match[2].split(",")) {
      const [name, value, ...rest] = part.split("=").map((s) => s.trim());
      if (!allowed.includes(name) || value === undefined || value === "" || rest.length > 0) {
        throw new ConfigError(`dockyard:${at}: "${part}" is not one of ${allowed.map((a) => `${a}=...`).join(", ")}`);
      }
      const earlier = given.get(`${service}:${name}`);
      if (earlier !== undefined) {
        const places =
          earlier.index === index
            ? `in ${at} (${earlier.part.trim()}, ${part.trim()})`
            : `in ${key}[${earlier.index}] (${earlier.part.trim()}) and ${at} (${part.trim()})`;
        throw new ConfigError(`${where}: ${name} is given twice, ${places}; give each field once`);
      }
      given.set(`${service}:${name}`, { index, part });
      fields[name] = value;
    }
    return { service, fields, where };
  });
}

/** A whole number as typed ("3"), or undefined for anything else ("3.5", "0x3", "abc"). */
function wholeNumber(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Runs a unit parser and reports its message as a config error (the message already names the key). */
function unit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof UnitError) throw new ConfigError(error.message);
    throw error;
  }
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
  bindAddress: z.string().refine((value) => parseAddress(value) !== undefined, "must be an IPv4 address such as 127.0.0.1 or 0.0.0.0"),
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
  namespace: z.string(),
  serviceType: z.enum(["ClusterIP", "NodePort", "LoadBalancer"], { error: "must be ClusterIP, NodePort or LoadBalancer" }),
  storageClass: z.string(),
  dbStorageSize: z.string(),
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
  if (c.postgresPassword.trim() === "") {
    throw new ConfigError(
      `dockyard:postgresPassword must contain characters other than whitespace, got [secret] of ${c.postgresPassword.length} whitespace characters`,
    );
  }
  if (c.optionA.trim().toLowerCase() === c.optionB.trim().toLowerCase()) {
    throw new ConfigError(
      `dockyard:optionB ${JSON.stringify(c.optionB)} is the same as optionA ${JSON.stringify(c.optionA)}: the poll needs two different choices (compared ignoring case and surrounding spaces)`,
    );
  }
  const namespace = c.namespace === "" ? stack : c.namespace;
  // The namespace matters on a cluster only, but an explicit one is checked on any target.
  if (c.target === "kubernetes" || c.namespace !== "") {
    validateNamespace(namespace, { fromStack: c.namespace === "", onCluster: c.target === "kubernetes" });
  }
  unit(() => parseStorageSize(c.dbStorageSize, "dockyard:dbStorageSize"));
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
  for (const { service, fields, where } of entries("limits", c.limits, ALL_SERVICES, ["cpus", "memory"])) {
    const override: Partial<Resources> = { ...limits[service] };
    if (fields.cpus !== undefined) {
      override.cpus = unit(() => parseCpusText(fields.cpus, `${where}: cpus`));
    }
    if (fields.memory !== undefined) {
      unit(() => parseMemory(fields.memory, `${where}: memory`));
      override.memory = fields.memory;
    }
    limits[service] = override;
  }

  const autoscaling: Record<string, Autoscaling> = {};
  for (const { service, fields, where } of entries("autoscaling", c.autoscaling, SCALABLE_SERVICES, ["min", "max", "cpu"])) {
    if (c.target === "docker") {
      // Ignoring it would run a fixed number of copies the user did not ask for.
      throw new ConfigError(
        `${where}: autoscaling cannot be honoured on target docker (a Docker engine has no autoscaler, so the entry would be ignored); set ${service}Replicas to the number of copies to run, or use target kubernetes`,
      );
    }
    if (fields.min === undefined || fields.max === undefined || fields.cpu === undefined) {
      throw new ConfigError(`${where}: needs min, max and cpu, like "vote:min=3,max=10,cpu=70"`);
    }
    const bounds = { min: "a whole number of 1 or more", max: "a whole number of 1 or more", cpu: "a whole percent 1-100" } as const;
    const parsed = { min: wholeNumber(fields.min), max: wholeNumber(fields.max), cpu: wholeNumber(fields.cpu) };
    for (const field of ["min", "max", "cpu"] as const) {
      const value = parsed[field];
      if (value === undefined || value < 1 || (field === "cpu" && value > 100)) {
        throw new ConfigError(`${where}: ${field} must be ${bounds[field]}, got ${JSON.stringify(fields[field])}`);
      }
    }
    autoscaling[service] = {
      minReplicas: parsed.min as number,
      maxReplicas: parsed.max as number,
      targetCpuPercent: parsed.cpu as number,
    };
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
    namespace,
    serviceType: c.serviceType,
    storageClass: c.storageClass,
    dbStorageSize: c.dbStorageSize,
  };
}

/**
 * The namespace rules, in one place for config and the Kubernetes back end: an RFC 1123 label (the
 * stack name when dockyard:namespace is empty), and on a cluster not one the cluster creates itself.
 */
export function validateNamespace(namespace: string, how: { fromStack: boolean; onCluster: boolean }): void {
  if (!isNamespaceName(namespace)) {
    throw new ConfigError(
      how.fromStack
        ? `dockyard:namespace is empty, so the stack name ${JSON.stringify(namespace)} would be the namespace, but a namespace must be ${NAMESPACE_RULE}: set dockyard:namespace`
        : `dockyard:namespace must be ${NAMESPACE_RULE}, or empty for the stack name, got ${JSON.stringify(namespace)}`,
    );
  }
  if (how.onCluster && (SYSTEM_NAMESPACES as readonly string[]).includes(namespace)) {
    throw new ConfigError(
      `dockyard:namespace ${JSON.stringify(namespace)} is one the cluster creates itself (${SYSTEM_NAMESPACES.join(", ")}): the stack would create and own it, and delete it on destroy; use a namespace of the app's own, like the stack name`,
    );
  }
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
