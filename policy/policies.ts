/**
 * The dockyard guardrails: policies over what a Pulumi program is about to create with the Docker
 * (`@pulumi/docker`: containers on an engine, services on a swarm) and Kubernetes
 * (`@pulumi/kubernetes`) providers. Every message names the resource, the property, the value and
 * the fix.
 *
 * This module imports nothing: the shapes below are the parts of `@pulumi/policy`'s arguments the
 * policies read, so they can be run and tested without the policy SDK or an engine (index.ts hands
 * them to the SDK's PolicyPack). Values not known until deployment (an image id during a preview)
 * are skipped, never guessed.
 */

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

/** The options of a resource a policy sees (a subset of the SDK's PolicyResourceOptions). */
export interface ResourceOptions {
  protect: boolean;
  parent?: string;
}

export interface ResourceArgs {
  type: string;
  name: string;
  urn: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- provider inputs are untyped
  props: Record<string, any>;
  opts: ResourceOptions;
  getConfig<T extends object>(): T;
}

export interface StackArgs {
  resources: Array<{
    type: string;
    name: string;
    urn: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- provider inputs are untyped
    props: Record<string, any>;
  }>;
  getConfig<T extends object>(): T;
}

export type ReportViolation = (message: string, urn?: string) => void;

/** A JSON schema of one config property, as the SDK's configSchema takes it. */
export interface ConfigProperty {
  type: "string" | "boolean" | "integer" | "array";
  description: string;
  default?: string | number | boolean | string[];
  items?: { type: "string" };
  minimum?: number;
}

interface PolicyBase {
  name: string;
  description: string;
  enforcementLevel?: EnforcementLevel;
  configSchema?: { properties: Record<string, ConfigProperty> };
}

export interface ResourcePolicy extends PolicyBase {
  validateResource: (args: ResourceArgs, reportViolation: ReportViolation) => void;
}

export interface StackPolicy extends PolicyBase {
  validateStack: (args: StackArgs, reportViolation: ReportViolation) => void;
}

export type Policy = ResourcePolicy | StackPolicy;

export const T = {
  container: "docker:index/container:Container",
  network: "docker:index/network:Network",
  volume: "docker:index/volume:Volume",
  image: "docker:index/image:Image",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  swarmService: "docker:index/service:Service",
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  claim: "kubernetes:core/v1:PersistentVolumeClaim",
  configMap: "kubernetes:core/v1:ConfigMap",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  autoscaler: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
} as const;

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * The value `read` returns, or undefined when it reads a value not known yet: the SDK's props throw
 * an UnknownValueError on an unknown (a computed output during a preview), which would otherwise
 * skip the whole policy for that resource or stack.
 */
export function known<V>(read: () => V): V | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof Error && error.constructor.name === "UnknownValueError") return undefined;
    throw error;
  }
}

/** How a message names a resource: `docker:index/container:Container "vote-1"`. */
const who = (args: { type: string; name: string }): string => `${args.type} "${args.name}"`;

const json = (value: unknown): string => JSON.stringify(value);

/** Config with the schema's defaults under what the engine passed. */
function settings<C extends object>(policy: PolicyBase, given: object | undefined): C {
  const defaults: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (property.default !== undefined) defaults[key] = property.default;
  }
  const passed = Object.fromEntries(
    Object.entries(given ?? {}).filter(([key, value]) => key !== "enforcementLevel" && value !== undefined),
  );
  return { ...defaults, ...passed } as C;
}

/** A Docker provider label list ([{label, value}]) as a map. */
function dockerLabels(props: Record<string, unknown>): Record<string, string> {
  const list = known(() => props.labels);
  if (!Array.isArray(list)) return {};
  const labels: Record<string, string> = {};
  for (const entry of list) {
    const label = known(() => entry?.label);
    const value = known(() => entry?.value);
    if (typeof label === "string" && typeof value === "string") labels[label] = value;
  }
  return labels;
}

interface PodContainer {
  /** Where it is in the resource's inputs: spec.template.spec.containers[0]. */
  path: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kubernetes inputs are untyped here
  container: any;
}

/** The containers and init containers of a Deployment's pod template. */
function podContainers(props: Record<string, unknown>): PodContainer[] {
  const found: PodContainer[] = [];
  for (const field of ["containers", "initContainers"]) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const list = known(() => (props as any).spec?.template?.spec?.[field]);
    if (!Array.isArray(list)) continue;
    list.forEach((container, index) => found.push({ path: `spec.template.spec.${field}[${index}]`, container }));
  }
  return found;
}

/** A swarm service's container spec (taskSpec.containerSpec). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Docker inputs are untyped here
const containerSpec = (props: Record<string, unknown>): any => known(() => (props as any).taskSpec?.containerSpec) ?? {};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const podSpec = (props: Record<string, unknown>): any => known(() => (props as any).spec?.template?.spec) ?? {};

// ---------------------------------------------------------------------------------------------
// Image references

export interface ImageReference {
  /** The registry host ("docker.io" when the reference names none). */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** A local image id (sha256:...), which is pinned and pulled from nowhere. */
const isImageId = (reference: string): boolean => /^sha256:[0-9a-zA-Z-]+$/.test(reference);

/** Splits an image reference as Docker does: a first part with a dot, a colon or "localhost" is a registry. */
export function parseImageReference(reference: string): ImageReference {
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  const hasRegistry = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = hasRegistry ? first : "docker.io";
  return {
    registry: registry === "index.docker.io" ? "docker.io" : registry,
    repository: hasRegistry ? rest.slice(slash + 1) : rest,
    tag,
    digest,
  };
}

/** The images a resource names, with the property each is in. Local builds that are not pushed are not pulled from anywhere. */
function namedImages(args: ResourceArgs): Array<{ property: string; reference: string; pulled: boolean }> {
  const props = args.props;
  const images: Array<{ property: string; reference: string; pulled: boolean }> = [];
  const add = (property: string, value: unknown, pulled = true): void => {
    if (typeof value === "string" && value !== "" && !isImageId(value)) images.push({ property, reference: value, pulled });
  };
  switch (args.type) {
    case T.remoteImage:
      add(
        "name",
        known(() => props.name),
      );
      break;
    case T.image: {
      const skipPush = known(() => props.skipPush);
      // Pushed (skipPush false), the image's name says where it is pulled from; kept local, it is not pulled.
      add(
        "imageName",
        known(() => props.imageName),
        skipPush === false,
      );
      // Base images a Dockerfile takes as build args (FROM ${PYTHON_IMAGE}) are pulled by the build.
      const buildArgs = known(() => props.build?.args) ?? {};
      for (const key of Object.keys(buildArgs).sort()) {
        if (/_IMAGE$/.test(key))
          add(
            `build.args.${key}`,
            known(() => buildArgs[key]),
          );
      }
      break;
    }
    case T.container:
      add(
        "image",
        known(() => props.image),
      );
      break;
    case T.deployment:
      for (const { path, container } of podContainers(props))
        add(
          `${path}.image`,
          known(() => container?.image),
        );
      break;
    case T.swarmService: {
      const spec = containerSpec(props);
      add(
        "taskSpec.containerSpec.image",
        known(() => spec.image),
      );
      break;
    }
  }
  return images;
}

// ---------------------------------------------------------------------------------------------
// The policies

export const imagesPinned: ResourcePolicy = {
  name: "images-pinned",
  description: "Images are pinned: a tag other than latest, or a digest (outside the dev stage).",
  validateResource: (args, report) => {
    for (const image of namedImages(args)) {
      const ref = parseImageReference(image.reference);
      if (ref.digest !== undefined) continue;
      if (ref.tag === undefined || ref.tag === "latest") {
        const why = ref.tag === undefined ? "has no tag, so it means latest" : "uses the tag latest";
        report(
          `${who(args)}: ${image.property} ${json(image.reference)} ${why}, which changes under you; ` +
            `pin it to a version tag (${ref.registry === "docker.io" ? "" : `${ref.registry}/`}${ref.repository}:<version>) or a digest (@sha256:...)`,
        );
      }
    }
  },
};

export const allowedRegistries: ResourcePolicy = {
  name: "allowed-registries",
  description: "Images are pulled only from the registries of an allow-list.",
  configSchema: {
    properties: {
      registries: {
        type: "array",
        items: { type: "string" },
        default: ["docker.io"],
        description: 'Registry hosts images may come from ("docker.io" for references without a registry, "localhost:5000").',
      },
    },
  },
  validateResource: (args, report) => {
    const { registries } = settings<{ registries: string[] }>(allowedRegistries, args.getConfig());
    for (const image of namedImages(args)) {
      if (!image.pulled) continue;
      const { registry } = parseImageReference(image.reference);
      if (!registries.includes(registry)) {
        report(
          `${who(args)}: ${image.property} ${json(image.reference)} comes from registry ${registry}, which is not allowed ` +
            `(allowed: ${registries.join(", ") || "none"}); use an image from an allowed registry, or add ${registry} to this policy's registries`,
        );
      }
    }
  },
};

export const containerLimits: ResourcePolicy = {
  name: "container-limits",
  description: "Every container, every swarm service's tasks and every pod container have a cpu and a memory limit.",
  validateResource: (args, report) => {
    if (args.type === T.container) {
      const memory = known(() => args.props.memory);
      const cpus = known(() => args.props.cpus);
      const missing = (field: string, value: unknown, fix: string): void =>
        report(`${who(args)}: ${field} is ${value === undefined ? "not set" : json(value)}, so the container is unlimited; ${fix}`);
      // Unknown (undefined after known()) and absent look alike; absent is what a missing limit is.
      if (!(Number(memory) > 0))
        missing("memory", memory, 'set a memory limit in MiB (docker run --memory; dockyard: limits.memory "128m")');
      if (!(Number(cpus) > 0)) missing("cpus", cpus, "set a cpu limit (docker run --cpus; dockyard: limits.cpus 0.5)");
    }
    if (args.type === T.deployment) {
      for (const { path, container } of podContainers(args.props)) {
        const limits = known(() => container?.resources?.limits) ?? {};
        for (const resource of ["cpu", "memory"]) {
          const value = known(() => limits[resource]);
          if (value === undefined || value === "" || value === "0") {
            report(
              `${who(args)}: ${path}.resources.limits.${resource} is ${value === undefined ? "not set" : json(value)}; ` +
                `set a ${resource} limit (${resource === "cpu" ? '"500m"' : '"128Mi"'}) so one pod cannot starve the node`,
            );
          }
        }
      }
    }
    if (args.type === T.swarmService) {
      // Reservations (the scheduler's guarantee, as a pod's requests) are not required, as requests are not on Kubernetes.
      const limits = known(() => args.props.taskSpec?.resources?.limits) ?? {};
      const fixes: Array<[string, string]> = [
        ["nanoCpus", "set a cpu limit (docker service create --limit-cpu 0.5, 500000000 nanoCpus; dockyard: limits.cpus 0.5)"],
        [
          "memoryBytes",
          'set a memory limit (docker service create --limit-memory 128m, 134217728 memoryBytes; dockyard: limits.memory "128m")',
        ],
      ];
      for (const [field, fix] of fixes) {
        const value = known(() => limits[field]);
        if (!(Number(value) > 0)) {
          report(
            `${who(args)}: taskSpec.resources.limits.${field} is ${value === undefined ? "not set" : json(value)}, so every task of the service is unlimited; ${fix}`,
          );
        }
      }
    }
  },
};

export const noPrivilege: ResourcePolicy = {
  name: "no-privilege",
  description:
    "No privileged containers, no host network or host PID (containers, swarm services, pods), no added capabilities beyond an allow-list.",
  configSchema: {
    properties: {
      allowedCapabilities: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Linux capabilities a container may add (NET_BIND_SERVICE, ...).",
      },
    },
  },
  validateResource: (args, report) => {
    const { allowedCapabilities } = settings<{ allowedCapabilities: string[] }>(noPrivilege, args.getConfig());
    const allowed = new Set(allowedCapabilities.map((cap) => cap.toUpperCase().replace(/^CAP_/, "")));
    const capabilities = (property: string, added: unknown): void => {
      if (!Array.isArray(added)) return;
      const extra = added.filter((cap) => typeof cap === "string" && !allowed.has(cap.toUpperCase().replace(/^CAP_/, "")));
      if (extra.length > 0) {
        report(
          `${who(args)}: ${property} adds ${extra.join(", ")}, beyond the allowed capabilities (${[...allowed].join(", ") || "none"}); ` +
            "drop them, or add them to this policy's allowedCapabilities",
        );
      }
    };
    if (args.type === T.container) {
      const props = args.props;
      if (known(() => props.privileged) === true) {
        report(`${who(args)}: privileged is true, which gives the container every device and capability of the host; remove it`);
      }
      for (const field of ["networkMode", "pidMode"]) {
        if (known(() => props[field]) === "host") {
          report(
            `${who(args)}: ${field} is "host", which shares the host's ${field === "networkMode" ? "network" : "process"} namespace; remove it`,
          );
        }
      }
      capabilities(
        "capabilities.adds",
        known(() => props.capabilities?.adds),
      );
    }
    if (args.type === T.deployment) {
      const spec = podSpec(args.props);
      for (const field of ["hostNetwork", "hostPID"]) {
        if (known(() => spec[field]) === true) {
          report(
            `${who(args)}: spec.template.spec.${field} is true, which shares the node's ${field === "hostNetwork" ? "network" : "process"} namespace; remove it`,
          );
        }
      }
      for (const { path, container } of podContainers(args.props)) {
        if (known(() => container?.securityContext?.privileged) === true) {
          report(
            `${who(args)}: ${path}.securityContext.privileged is true, which gives the container every device and capability of the node; remove it`,
          );
        }
        capabilities(
          `${path}.securityContext.capabilities.add`,
          known(() => container?.securityContext?.capabilities?.add),
        );
      }
    }
    // A swarm service has no privileged mode and no host PID; it can join the host network and add capabilities.
    if (args.type === T.swarmService) {
      const networks = known(() => args.props.taskSpec?.networksAdvanceds);
      if (Array.isArray(networks)) {
        networks.forEach((network, index) => {
          for (const field of ["name", "id"]) {
            if (known(() => network?.[field]) === "host") {
              report(
                `${who(args)}: taskSpec.networksAdvanceds[${index}].${field} is "host", which shares the node's network namespace with every task; ` +
                  "attach the service to an overlay network instead",
              );
            }
          }
        });
      }
      const spec = containerSpec(args.props);
      capabilities(
        "taskSpec.containerSpec.capAdds",
        known(() => spec.capAdds),
      );
    }
  },
};

/** A glob with * as any run of characters. */
const globMatch = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(value);

export const hostPorts: ResourcePolicy = {
  name: "host-ports",
  description:
    "Ports are bound on the host only for the services meant to publish them, and only on the configured address (never 0.0.0.0 unless allowed; a swarm always publishes on every interface).",
  configSchema: {
    properties: {
      bindAddress: { type: "string", default: "127.0.0.1", description: "The host address published ports must bind to." },
      allowAllInterfaces: {
        type: "boolean",
        default: false,
        description: "Accept ports bound on every interface (0.0.0.0) as well.",
      },
      publishers: {
        type: "array",
        items: { type: "string" },
        default: ["*"],
        description:
          "Services that may publish ports, as globs matched against a Docker container's or swarm service's name or its dockyard.service label, and a Kubernetes Service's or Deployment's name.",
      },
    },
  },
  validateResource: (args, report) => {
    const config = settings<{ bindAddress: string; allowAllInterfaces: boolean; publishers: string[] }>(hostPorts, args.getConfig());
    const may = (...names: Array<string | undefined>): boolean =>
      config.publishers.some((pattern) => names.some((name) => name !== undefined && globMatch(pattern, name)));
    const publishers = `publishers (${config.publishers.join(", ") || "none"})`;
    if (args.type === T.container) {
      const ports = known(() => args.props.ports);
      if (!Array.isArray(ports)) return;
      const name = known(() => args.props.name);
      const service = dockerLabels(args.props)["dockyard.service"];
      ports.forEach((port, index) => {
        const external = known(() => port?.external);
        const ip = known(() => port?.ip);
        const where = `ports[${index}]`;
        // No external port: Docker publishes it on a random host port on every interface.
        const bound = external === undefined ? "a random host port" : `host port ${external}`;
        if (!may(typeof name === "string" ? name : undefined, service, args.name)) {
          report(
            `${who(args)}: ${where} publishes container port ${known(() => port?.internal)} on ${bound} of ${ip || "0.0.0.0"}, ` +
              `but ${service ?? name ?? args.name} is not one of the ${publishers}; remove the published port (reach it over the container network), or add the service to publishers`,
          );
          return;
        }
        const address = ip === undefined || ip === "" ? "0.0.0.0" : String(ip);
        const everywhere = address === "0.0.0.0" || address === "::";
        if (address !== config.bindAddress && !(everywhere && config.allowAllInterfaces)) {
          report(
            `${who(args)}: ${where}.ip is ${json(address)}${everywhere ? " (every interface)" : ""}, not the configured bind address ${config.bindAddress}; ` +
              `bind it to ${config.bindAddress} (dockyard: bindAddress)${everywhere ? ", or set this policy's allowAllInterfaces" : ""}`,
          );
        }
        if (external === undefined) {
          report(`${who(args)}: ${where}.external is not set, so Docker picks a random host port; set the host port to publish on`);
        }
      });
    }
    if (args.type === T.swarmService) {
      const ports = known(() => args.props.endpointSpec?.ports);
      if (!Array.isArray(ports)) return;
      const name = known(() => args.props.name);
      const service = dockerLabels(args.props)["dockyard.service"];
      // A swarm has no bind address: a port is open on every interface of the node running the task
      // (publishMode host) or, through the routing mesh, of every node (ingress, the swarm's default).
      const everywhereAllowed = config.allowAllInterfaces || config.bindAddress === "0.0.0.0" || config.bindAddress === "::";
      ports.forEach((port, index) => {
        const where = `endpointSpec.ports[${index}]`;
        const published = known(() => port?.publishedPort);
        const mode = known(() => port?.publishMode) ?? "ingress";
        const scope =
          mode === "host"
            ? "every interface of the node that runs the task (publishMode host)"
            : "every interface of every node of the swarm (publishMode ingress, the routing mesh)";
        const random = published === undefined || Number(published) === 0;
        const bound = random ? "a random port" : `port ${published}`;
        if (!may(typeof name === "string" ? name : undefined, service, args.name)) {
          report(
            `${who(args)}: ${where} publishes container port ${known(() => port?.targetPort)} on ${bound} of ${scope}, ` +
              `but ${service ?? name ?? args.name} is not one of the ${publishers}; remove the published port (reach it over the overlay network), or add the service to publishers`,
          );
          return;
        }
        if (!everywhereAllowed) {
          report(
            `${who(args)}: ${where} publishes ${bound} on ${scope}, not on the configured bind address ${config.bindAddress}: a swarm cannot bind one address; ` +
              "firewall the port on the nodes and set this policy's allowAllInterfaces, or use target docker with dockyard:bindAddress",
          );
        }
        if (random) {
          report(
            `${who(args)}: ${where}.publishedPort is ${published === undefined ? "not set" : published}, so the swarm picks a random port; set the port to publish on`,
          );
        }
      });
    }
    if (args.type === T.service) {
      const type = known(() => args.props.spec?.type);
      const name = known(() => args.props.metadata?.name) ?? args.name;
      if ((type === "LoadBalancer" || type === "NodePort") && !may(name, args.name)) {
        report(
          `${who(args)}: spec.type is ${json(type)}, which publishes ${name} outside the cluster, but it is not one of the ${publishers}; ` +
            "make it a ClusterIP Service, or add it to publishers",
        );
      }
    }
    if (args.type === T.deployment) {
      for (const { path, container } of podContainers(args.props)) {
        const ports = known(() => container?.ports);
        if (!Array.isArray(ports)) continue;
        ports.forEach((port, index) => {
          const hostPort = known(() => port?.hostPort);
          if (hostPort !== undefined) {
            report(
              `${who(args)}: ${path}.ports[${index}].hostPort is ${hostPort}, which binds the port on every interface of the node; ` +
                "remove hostPort and publish through a Service",
            );
          }
        });
      }
    }
  },
};

// IPv4 ranges as [first, last] address numbers.
type Range = [number, number];

function parseCidr(text: string): { range: Range; prefix: number } | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefix > 32) return undefined;
  const address = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  const first = Math.floor(address / size) * size;
  return { range: [first, first + size - 1], prefix };
}

export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

function isPrivateRange(range: Range): boolean {
  return PRIVATE_RANGES.some((cidr) => {
    const [first, last] = (parseCidr(cidr) as { range: Range }).range;
    return range[0] >= first && range[1] <= last;
  });
}

const overlaps = (a: Range, b: Range): boolean => a[0] <= b[1] && b[0] <= a[1];

/** A Docker network's subnets, with the property each is in. */
function subnets(props: Record<string, unknown>): Array<{ property: string; subnet: string }> {
  const configs = known(() => props.ipamConfigs);
  if (!Array.isArray(configs)) return [];
  return configs.flatMap((config, index) => {
    const subnet = known(() => config?.subnet);
    return typeof subnet === "string" && subnet !== "" ? [{ property: `ipamConfigs[${index}].subnet`, subnet }] : [];
  });
}

export const privateSubnets: ResourcePolicy = {
  name: "private-subnets",
  description: "Docker networks (bridge, and a swarm's overlay) use subnets in the private ranges 10/8, 172.16/12 and 192.168/16.",
  configSchema: {
    properties: {
      allowPublicSubnets: { type: "boolean", default: false, description: "Accept subnets outside the private ranges." },
    },
  },
  validateResource: (args, report) => {
    if (args.type !== T.network) return;
    const { allowPublicSubnets } = settings<{ allowPublicSubnets: boolean }>(privateSubnets, args.getConfig());
    for (const { property, subnet } of subnets(args.props)) {
      const parsed = parseCidr(subnet);
      if (parsed === undefined) {
        report(`${who(args)}: ${property} ${json(subnet)} is not an IPv4 CIDR; use one such as 10.10.1.0/24`);
      } else if (!isPrivateRange(parsed.range) && !allowPublicSubnets) {
        report(
          `${who(args)}: ${property} ${subnet} is a public range, whose real hosts the containers would no longer reach; ` +
            `use a subnet within ${PRIVATE_RANGES.join(", ")}, or set this policy's allowPublicSubnets`,
        );
      }
    }
  },
};

export const distinctSubnets: StackPolicy = {
  name: "distinct-subnets",
  description: "No two Docker networks (bridge or overlay) of the stack have overlapping subnets.",
  validateStack: (args, report) => {
    const seen: Array<{ name: string; property: string; subnet: string; range: Range }> = [];
    for (const resource of args.resources.filter((r) => r.type === T.network)) {
      for (const { property, subnet } of subnets(resource.props)) {
        const parsed = parseCidr(subnet);
        if (parsed === undefined) continue;
        const other = seen.find((entry) => overlaps(entry.range, parsed.range));
        if (other) {
          report(
            `${who(resource)}: ${property} ${subnet} overlaps ${subnet === other.subnet ? "the same subnet" : other.subnet} of ${T.network} "${other.name}" (${other.property}); ` +
              "give each network a subnet of its own",
            resource.urn,
          );
        }
        seen.push({ name: resource.name, property, subnet, range: parsed.range });
      }
    }
  },
};

/** The marker a program sets on data it keeps on destroy: the engine does not pass retainOnDelete to policy packs. */
export const RETAIN_MARKER = "dockyard.dev/retain";

export const dataRetained: ResourcePolicy = {
  name: "data-retained",
  description: `Data volumes (on an engine or a swarm's nodes) and claims are protected, or marked retained (${RETAIN_MARKER}: "true"), in prod.`,
  validateResource: (args, report) => {
    if (args.type !== T.volume && args.type !== T.claim) return;
    if (args.opts.protect) return;
    const marked =
      args.type === T.volume
        ? dockerLabels(args.props)[RETAIN_MARKER]
        : (known(() => args.props.metadata?.annotations?.[RETAIN_MARKER]) ?? known(() => args.props.metadata?.labels?.[RETAIN_MARKER]));
    if (marked === "true") return;
    const property = args.type === T.volume ? `labels[${RETAIN_MARKER}]` : `metadata.annotations["${RETAIN_MARKER}"]`;
    report(
      `${who(args)}: neither protect is set nor ${property} is "true" (it is ${marked === undefined ? "not set" : json(marked)}), so pulumi destroy deletes its data; ` +
        `protect it, or keep it with retainOnDelete and mark it ${RETAIN_MARKER}: "true" (dockyard: volumes.<name>.retain)`,
    );
  },
};

export const DEFAULT_SECRET_NAMES = "(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIALS?)$";

export const noSecretLiterals: ResourcePolicy = {
  name: "no-secret-literals",
  description:
    "On Kubernetes, secrets reach pods only through secretKeyRef or volumes, and on a swarm tasks only through secret files: no literal env values (or ConfigMap keys) named like secrets.",
  configSchema: {
    properties: {
      secretNames: {
        type: "string",
        default: DEFAULT_SECRET_NAMES,
        description: "A regular expression (case-insensitive) of variable names that hold secrets.",
      },
    },
  },
  validateResource: (args, report) => {
    const { secretNames } = settings<{ secretNames: string }>(noSecretLiterals, args.getConfig());
    const secretName = new RegExp(secretNames, "i");
    if (args.type === T.deployment) {
      for (const { path, container } of podContainers(args.props)) {
        const env = known(() => container?.env);
        if (!Array.isArray(env)) continue;
        env.forEach((variable, index) => {
          const name = known(() => variable?.name);
          const value = known(() => variable?.value);
          if (typeof name === "string" && secretName.test(name) && typeof value === "string" && value !== "") {
            report(
              `${who(args)}: ${path}.env[${index}] ${name} has a literal value (${value.length} characters, not shown), readable by anyone who can read the Deployment; ` +
                "put it in a Secret and use valueFrom.secretKeyRef, or mount it as a file",
            );
          }
        });
      }
    }
    if (args.type === T.swarmService) {
      // A map of name to value; the swarm target passes a secret as NAME_FILE, the path of a mounted swarm secret.
      const env = known(() => containerSpec(args.props).env) ?? {};
      for (const name of Object.keys(env).sort()) {
        const value = known(() => env[name]);
        if (secretName.test(name) && typeof value === "string" && value !== "") {
          report(
            `${who(args)}: taskSpec.containerSpec.env.${name} has a literal value (${value.length} characters, not shown), readable by anyone who can inspect the service; ` +
              `put it in a swarm secret (docker:index/secret:Secret), mount it with taskSpec.containerSpec.secrets and pass its path as ${name}_FILE`,
          );
        }
      }
    }
    if (args.type === T.configMap) {
      const data = known(() => args.props.data) ?? {};
      for (const key of Object.keys(data).sort()) {
        if (secretName.test(key)) {
          report(`${who(args)}: data.${key} holds a secret in a ConfigMap (plain text); put it in a Secret and use valueFrom.secretKeyRef`);
        }
      }
    }
  },
};

/** The Kubernetes objects of a stack, for the stack policies. */
interface K8sObject {
  resource: StackArgs["resources"][number];
  name: string;
  namespace: string;
}

const UNKNOWN_NAMESPACE = "(not known yet)";

function k8sObjects(args: StackArgs, type: string): K8sObject[] {
  return args.resources
    .filter((resource) => resource.type === type)
    .map((resource) => ({
      resource,
      name: String(known(() => resource.props.metadata?.name) ?? resource.name),
      namespace: String(
        known(() => resource.props.metadata?.namespace) ?? (known(() => resource.props.metadata) ? "default" : UNKNOWN_NAMESPACE),
      ),
    }));
}

/** Whether a label selector's matchLabels (or a Service's selector map) selects these labels. */
function selects(selector: Record<string, unknown> | undefined, labels: Record<string, unknown>): boolean {
  if (selector === undefined) return false;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

const podLabels = (deployment: K8sObject): Record<string, unknown> =>
  known(() => deployment.resource.props.spec?.template?.metadata?.labels) ?? {};

export const readinessProbes: StackPolicy = {
  name: "readiness-probes",
  description:
    "Every container of a Deployment behind a Service has a readiness probe; every swarm service reached by name or a published port has a health check.",
  validateStack: (args, report) => {
    for (const service of args.resources.filter((r) => r.type === T.swarmService)) {
      const networks = known(() => service.props.taskSpec?.networksAdvanceds);
      const ports = known(() => service.props.endpointSpec?.ports);
      const reached = [
        ...(Array.isArray(networks) && networks.length > 0 ? ["its name on its networks"] : []),
        ...(Array.isArray(ports) && ports.length > 0 ? ["its published ports"] : []),
      ];
      if (reached.length === 0) continue;
      const tests = known(() => containerSpec(service.props).healthcheck?.tests);
      const off = Array.isArray(tests) && tests[0] === "NONE";
      if (Array.isArray(tests) && tests.length > 0 && !off) continue;
      report(
        `${who(service)}: taskSpec.containerSpec.healthcheck${off ? `.tests is ${json(tests)}, which turns the image's health check off` : " is not set"}, ` +
          `so the swarm sends traffic (${reached.join(", ")}) to its tasks as soon as they start, before they can serve it; ` +
          "add a health check (docker service create --health-cmd; dockyard: the service's health check)",
        service.urn,
      );
    }
    const services = k8sObjects(args, T.service);
    for (const deployment of k8sObjects(args, T.deployment)) {
      const labels = podLabels(deployment);
      const service = services.find(
        (s) => s.namespace === deployment.namespace && selects(known(() => s.resource.props.spec?.selector) ?? undefined, labels),
      );
      if (!service) continue;
      for (const { path, container } of podContainers(deployment.resource.props)) {
        if (path.includes("initContainers")) continue;
        if (known(() => container?.readinessProbe) === undefined) {
          report(
            `${who(deployment.resource)}: ${path}.readinessProbe is not set, so Service "${service.name}" sends traffic to pods before they can serve it; ` +
              "add a readiness probe (dockyard: the service's health check)",
            deployment.resource.urn,
          );
        }
      }
    }
  },
};

export const defaultDeny: StackPolicy = {
  name: "default-deny",
  description: "Every namespace with Deployments has a default-deny ingress NetworkPolicy selecting all of them.",
  validateStack: (args, report) => {
    const policies = k8sObjects(args, T.networkPolicy).filter((policy) => {
      const spec = known(() => policy.resource.props.spec) ?? {};
      const types = known(() => spec.policyTypes);
      const ingress = known(() => spec.ingress);
      const deniesIngress =
        (Array.isArray(types) ? types.includes("Ingress") : true) &&
        (ingress === undefined || (Array.isArray(ingress) && ingress.length === 0));
      return deniesIngress;
    });
    const deployments = k8sObjects(args, T.deployment);
    for (const namespace of [...new Set(deployments.map((d) => d.namespace))].sort()) {
      const here = policies.filter((policy) => policy.namespace === namespace);
      if (here.length === 0) {
        report(
          `namespace ${namespace}: no default-deny NetworkPolicy (policyTypes [Ingress], no ingress rules) for its Deployments ` +
            `(${deployments
              .filter((d) => d.namespace === namespace)
              .map((d) => d.name)
              .join(", ")}); add one so only the traffic other policies allow gets in`,
        );
        continue;
      }
      for (const deployment of deployments.filter((d) => d.namespace === namespace)) {
        const labels = podLabels(deployment);
        const covered = here.some((policy) => {
          const selector = known(() => policy.resource.props.spec?.podSelector);
          const matchLabels = known(() => selector?.matchLabels) ?? {};
          const expressions = known(() => selector?.matchExpressions);
          return (expressions === undefined || (Array.isArray(expressions) && expressions.length === 0)) && selects(matchLabels, labels);
        });
        if (!covered) {
          report(
            `${who(deployment.resource)}: its pods (spec.template.metadata.labels ${json(labels)}) are selected by no default-deny NetworkPolicy of namespace ${namespace} ` +
              `(${here.map((p) => p.name).join(", ")}); widen that policy's podSelector to select them`,
            deployment.resource.urn,
          );
        }
      }
    }
  },
};

export const replicas: StackPolicy = {
  name: "replicas",
  description:
    "Published Kubernetes services run at least two replicas, or are autoscaled from at least two; published swarm services run at least two tasks (in prod).",
  configSchema: {
    properties: {
      minReplicas: { type: "integer", minimum: 1, default: 2, description: "The fewest pods a published service may run." },
    },
  },
  validateStack: (args, report) => {
    const { minReplicas } = settings<{ minReplicas: number }>(replicas, args.getConfig());
    for (const service of args.resources.filter((r) => r.type === T.swarmService)) {
      const ports = known(() => service.props.endpointSpec?.ports);
      if (!Array.isArray(ports) || ports.length === 0) continue;
      // A global service runs a task on every node: as many as the swarm has nodes, which the pack cannot see.
      if (known(() => service.props.mode?.global) === true) continue;
      const count = known(() => service.props.mode?.replicated?.replicas) ?? 1;
      if (Number(count) < minReplicas) {
        const published = ports.map((port) => known(() => port?.publishedPort) ?? "a random port").join(", ");
        report(
          `${who(service)}: mode.replicated.replicas is ${count} while it publishes ${published} (endpointSpec.ports); ` +
            `run at least ${minReplicas} tasks (dockyard: services.<name>.replicas; a port in publishMode host takes one task per node, so as many nodes, dockyard:swarmNodes)`,
          service.urn,
        );
      }
    }
    const published = k8sObjects(args, T.service).filter((service) => {
      const type = known(() => service.resource.props.spec?.type);
      return type === "LoadBalancer" || type === "NodePort";
    });
    const autoscalers = k8sObjects(args, T.autoscaler);
    for (const deployment of k8sObjects(args, T.deployment)) {
      const service = published.find(
        (s) =>
          s.namespace === deployment.namespace && selects(known(() => s.resource.props.spec?.selector) ?? undefined, podLabels(deployment)),
      );
      if (!service) continue;
      const autoscaler = autoscalers.find((hpa) => {
        const target = known(() => hpa.resource.props.spec?.scaleTargetRef) ?? {};
        return (
          hpa.namespace === deployment.namespace &&
          known(() => target.kind) === "Deployment" &&
          known(() => target.name) === deployment.name
        );
      });
      if (autoscaler) {
        const min = known(() => autoscaler.resource.props.spec?.minReplicas) ?? 1;
        if (Number(min) < minReplicas) {
          report(
            `${who(autoscaler.resource)}: spec.minReplicas is ${min} for Deployment "${deployment.name}", published by Service "${service.name}"; ` +
              `let it scale down to no fewer than ${minReplicas} pods (dockyard: services.<name>.autoscaling.minReplicas)`,
            autoscaler.resource.urn,
          );
        }
        continue;
      }
      const count = known(() => deployment.resource.props.spec?.replicas) ?? 1;
      if (Number(count) < minReplicas) {
        report(
          `${who(deployment.resource)}: spec.replicas is ${count} while Service "${service.name}" publishes it; ` +
            `run at least ${minReplicas} replicas or add a HorizontalPodAutoscaler with minReplicas ${minReplicas} (dockyard: services.<name>.replicas or autoscaling)`,
          deployment.resource.urn,
        );
      }
    }
  },
};

/** The whole pack, in the order its policies are reported. */
export const policies: Policy[] = [
  imagesPinned,
  allowedRegistries,
  containerLimits,
  noPrivilege,
  hostPorts,
  privateSubnets,
  distinctSubnets,
  dataRetained,
  noSecretLiterals,
  readinessProbes,
  defaultDeny,
  replicas,
];
