/**
 * The dockyard guardrails: policies over what a Pulumi program is about to create with the Docker
 * (`@pulumi/docker`: containers on an engine, services on a swarm) and Kubernetes
 * (`@pulumi/kubernetes`) providers. Every message names the resource, the property, the value and
 * the fix.
 *
 * A policy finds its resources with the SDK's typed helpers (`args.asType(docker.Container)`,
 * `validateResourceOfType`), so it reads the provider's own input types. This module only defines
 * policies: index.ts hands them to a PolicyPack (which starts the engine's server), local.ts runs
 * them without an engine. Values not known until deployment (an image id during a preview) are
 * skipped, never guessed.
 */
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
  UnknownValueError,
  validateResourceOfType,
} from "@pulumi/policy";
import type { Resource, Unwrap } from "@pulumi/pulumi";
import { posix } from "path";

/** A JSON schema of one config property: the part of the SDK's configSchema the pack uses (local.ts checks configs against it). */
export interface ConfigProperty {
  type: "string" | "boolean" | "integer" | "array";
  description: string;
  default?: string | number | boolean | string[];
  items?: { type: "string" };
  minimum?: number;
  enum?: string[];
}

interface Configured {
  configSchema?: { properties: Record<string, ConfigProperty> };
}

export type ResourcePolicy = ResourceValidationPolicy & Configured;
export type StackPolicy = StackValidationPolicy & Configured;
export type Policy = ResourcePolicy | StackPolicy;

/** A resource's inputs as a policy reads them: Unwrap<ContainerArgs> for docker.Container. */
type Inputs<TArgs> = Unwrap<NonNullable<TArgs>>;
type DeploymentInputs = Inputs<k8s.apps.v1.DeploymentArgs>;
type PodContainerInputs = Unwrap<k8s.types.input.core.v1.Container>;
type PodSecurityContext = Unwrap<k8s.types.input.core.v1.PodSecurityContext>;

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * The value `read` returns, or undefined when it reads a value not known yet: the SDK's props throw
 * its UnknownValueError on an unknown (a computed output during a preview), which would otherwise
 * skip the whole policy for that resource or stack.
 */
export function known<V>(read: () => V): V | undefined {
  try {
    return read();
  } catch (error) {
    // @pulumi/policy exports the class, but marks it internal, so its declaration types it `any`.
    if (error instanceof UnknownValueError) return undefined;
    throw error;
  }
}

/**
 * A resource class, as the SDK's asType takes it: its constructor's args are the inputs' type.
 * Options (the rest) differ by class, so they are `any` there and here.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ResourceClass<TArgs> = new (name: string, args: TArgs, ...rest: any[]) => Resource;

/**
 * A stack resource's properties typed as `resourceClass`'s inputs, or undefined for another type:
 * what `asType` gives a resource policy. (A stack resource's own `asType` types them as the
 * resource's outputs, whose fields are all required, which a preview's inputs are not.)
 */
function inputsOf<TArgs>(resource: PolicyResource, resourceClass: ResourceClass<TArgs>): Inputs<TArgs> | undefined {
  return resource.isType(resourceClass) ? (resource.props as Inputs<TArgs>) : undefined;
}

/** How a message names a resource: `docker:index/container:Container "vote-1"`. */
const who = (args: { type: string; name: string }): string => `${args.type} "${args.name}"`;

const json = (value: unknown): string => JSON.stringify(value);

/** Config with the schema's defaults under what the engine passed. */
function settings<C extends object>(policy: Policy, given: object | undefined): C {
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
function dockerLabels(list: Array<{ label: string; value: string }> | undefined): Record<string, string> {
  if (!Array.isArray(list)) return {};
  const labels: Record<string, string> = {};
  for (const entry of list) {
    const label = known(() => entry?.label);
    const value = known(() => entry?.value);
    if (typeof label === "string" && typeof value === "string") labels[label] = value;
  }
  return labels;
}

/** A glob with * as any run of characters. */
const globMatch = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(value);

/**
 * The service a container, swarm service or Deployment runs, for the settings that list services:
 * the names it goes by (its dockyard.service label, its name, the resource's name) and the one a
 * message shows.
 */
interface ServiceName {
  names: string[];
  shown: string;
}

function engineService(args: { name: string }, props: { name?: string; labels?: Array<{ label: string; value: string }> }): ServiceName {
  const name = known(() => props.name);
  const label = dockerLabels(known(() => props.labels))["dockyard.service"];
  const names = [label, typeof name === "string" ? name : undefined, args.name].filter((n): n is string => n !== undefined);
  return { names, shown: names[0] };
}

function deploymentService(args: { name: string }, deployment: DeploymentInputs): ServiceName {
  const name = known(() => deployment.metadata?.name);
  const names = [typeof name === "string" ? name : undefined, args.name].filter((n): n is string => n !== undefined);
  return { names, shown: names[0] };
}

const listed = (service: ServiceName, patterns: string[]): boolean =>
  patterns.some((pattern) => service.names.some((name) => globMatch(pattern, name)));

interface PodContainer {
  /** Where it is in the resource's inputs: spec.template.spec.containers[0]. */
  path: string;
  container: PodContainerInputs;
}

/** The containers and init containers of a Deployment's pod template. */
function podContainers(deployment: DeploymentInputs): PodContainer[] {
  const found: PodContainer[] = [];
  for (const field of ["containers", "initContainers"] as const) {
    const list = known(() => deployment.spec?.template?.spec?.[field]);
    if (!Array.isArray(list)) continue;
    list.forEach((container, index) => found.push({ path: `spec.template.spec.${field}[${index}]`, container }));
  }
  return found;
}

const podSecurity = (deployment: DeploymentInputs): PodSecurityContext =>
  known(() => deployment.spec?.template?.spec?.securityContext) ?? {};

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
function namedImages(args: ResourceValidationArgs): Array<{ property: string; reference: string; pulled: boolean }> {
  const images: Array<{ property: string; reference: string; pulled: boolean }> = [];
  const add = (property: string, read: () => unknown, pulled = true): void => {
    const value = known(read);
    if (typeof value === "string" && value !== "" && !isImageId(value)) images.push({ property, reference: value, pulled });
  };
  const remote = args.asType(docker.RemoteImage);
  if (remote) add("name", () => remote.name);
  const image = args.asType(docker.Image);
  if (image) {
    // Pushed (skipPush false), the image's name says where it is pulled from; kept local, it is not pulled.
    add("imageName", () => image.imageName, known(() => image.skipPush) === false);
    // Base images a Dockerfile takes as build args (FROM ${PYTHON_IMAGE}) are pulled by the build.
    const buildArgs = known(() => image.build?.args) ?? {};
    for (const key of Object.keys(buildArgs).sort()) {
      if (/_IMAGE$/.test(key)) add(`build.args.${key}`, () => buildArgs[key]);
    }
  }
  const container = args.asType(docker.Container);
  if (container) add("image", () => container.image);
  const deployment = args.asType(k8s.apps.v1.Deployment);
  if (deployment) {
    for (const { path, container } of podContainers(deployment)) add(`${path}.image`, () => container?.image);
  }
  const service = args.asType(docker.Service);
  if (service) add("taskSpec.containerSpec.image", () => service.taskSpec?.containerSpec?.image);
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
    const container = args.asType(docker.Container);
    if (container) {
      const memory = known(() => container.memory);
      const cpus = known(() => container.cpus);
      const missing = (field: string, value: unknown, fix: string): void =>
        report(`${who(args)}: ${field} is ${value === undefined ? "not set" : json(value)}, so the container is unlimited; ${fix}`);
      // Unknown (undefined after known()) and absent look alike; absent is what a missing limit is.
      if (!(Number(memory) > 0))
        missing("memory", memory, 'set a memory limit in MiB (docker run --memory; dockyard: limits.memory "128m")');
      if (!(Number(cpus) > 0)) missing("cpus", cpus, "set a cpu limit (docker run --cpus; dockyard: limits.cpus 0.5)");
    }
    const deployment = args.asType(k8s.apps.v1.Deployment);
    if (deployment) {
      for (const { path, container } of podContainers(deployment)) {
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
    const service = args.asType(docker.Service);
    if (service) {
      // Reservations (the scheduler's guarantee, as a pod's requests) are not required, as requests are not on Kubernetes.
      const limits = known(() => service.taskSpec?.resources?.limits) ?? {};
      const fixes = [
        ["nanoCpus", "set a cpu limit (docker service create --limit-cpu 0.5, 500000000 nanoCpus; dockyard: limits.cpus 0.5)"],
        [
          "memoryBytes",
          'set a memory limit (docker service create --limit-memory 128m, 134217728 memoryBytes; dockyard: limits.memory "128m")',
        ],
      ] as const;
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

const capabilityName = (name: string): string => name.toUpperCase().replace(/^CAP_/, "");

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
    const allowed = new Set(allowedCapabilities.map(capabilityName));
    const capabilities = (property: string, read: () => unknown): void => {
      const added = known(read);
      if (!Array.isArray(added)) return;
      const extra = added.filter((cap) => typeof cap === "string" && !allowed.has(capabilityName(cap)));
      if (extra.length > 0) {
        report(
          `${who(args)}: ${property} adds ${extra.join(", ")}, beyond the allowed capabilities (${[...allowed].join(", ") || "none"}); ` +
            "drop them, or add them to this policy's allowedCapabilities",
        );
      }
    };
    const container = args.asType(docker.Container);
    if (container) {
      if (known(() => container.privileged) === true) {
        report(`${who(args)}: privileged is true, which gives the container every device and capability of the host; remove it`);
      }
      for (const field of ["networkMode", "pidMode"] as const) {
        if (known(() => container[field]) === "host") {
          report(
            `${who(args)}: ${field} is "host", which shares the host's ${field === "networkMode" ? "network" : "process"} namespace; remove it`,
          );
        }
      }
      capabilities("capabilities.adds", () => container.capabilities?.adds);
    }
    const deployment = args.asType(k8s.apps.v1.Deployment);
    if (deployment) {
      const spec = known(() => deployment.spec?.template?.spec);
      for (const field of ["hostNetwork", "hostPID"] as const) {
        if (known(() => spec?.[field]) === true) {
          report(
            `${who(args)}: spec.template.spec.${field} is true, which shares the node's ${field === "hostNetwork" ? "network" : "process"} namespace; remove it`,
          );
        }
      }
      for (const { path, container } of podContainers(deployment)) {
        if (known(() => container?.securityContext?.privileged) === true) {
          report(
            `${who(args)}: ${path}.securityContext.privileged is true, which gives the container every device and capability of the node; remove it`,
          );
        }
        capabilities(`${path}.securityContext.capabilities.add`, () => container?.securityContext?.capabilities?.add);
      }
    }
    // A swarm service has no privileged mode and no host PID; it can join the host network and add capabilities.
    const service = args.asType(docker.Service);
    if (service) {
      const networks = known(() => service.taskSpec?.networksAdvanceds);
      if (Array.isArray(networks)) {
        networks.forEach((network, index) => {
          for (const field of ["name", "id"] as const) {
            if (known(() => network?.[field]) === "host") {
              report(
                `${who(args)}: taskSpec.networksAdvanceds[${index}].${field} is "host", which shares the node's network namespace with every task; ` +
                  "attach the service to an overlay network instead",
              );
            }
          }
        });
      }
      capabilities("taskSpec.containerSpec.capAdds", () => service.taskSpec?.containerSpec?.capAdds);
    }
  },
};

// ---------------------------------------------------------------------------------------------
// How a container is confined (dockyard: services.<name>.security, compose cap_drop, security_opt, read_only, tmpfs)

const DROP_ALL = 'dockyard: services.<name>.security.capDrop ["ALL"], and capAdd for what it needs; compose cap_drop: [ALL]';

export const capabilitiesDropped: ResourcePolicy = {
  name: "capabilities-dropped",
  description:
    "Every container, swarm service and pod container drops all capabilities (ALL); what it adds back is no-privilege's to check.",
  validateResource: (args, report) => {
    const check = (property: string, engine: string, flag: string, read: () => unknown): void => {
      const drops = known(read);
      if (Array.isArray(drops) && drops.some((cap) => typeof cap === "string" && capabilityName(cap) === "ALL")) return;
      report(
        `${who(args)}: ${property} ${drops === undefined ? "is not set" : `is ${json(drops)}, without ALL`}, so the container keeps capabilities of ${engine}'s default set ` +
          `(CHOWN, DAC_OVERRIDE, NET_RAW, SETUID...); drop ALL and add back only what it needs (${flag}${DROP_ALL})`,
      );
    };
    const container = args.asType(docker.Container);
    if (container) check("capabilities.drops", "Docker", "docker run --cap-drop ALL; ", () => container.capabilities?.drops);
    const service = args.asType(docker.Service);
    if (service) {
      const flag = "docker service create --cap-drop ALL; ";
      check("taskSpec.containerSpec.capDrops", "Docker", flag, () => service.taskSpec?.containerSpec?.capDrops);
    }
    const deployment = args.asType(k8s.apps.v1.Deployment);
    if (deployment) {
      for (const { path, container } of podContainers(deployment)) {
        check(
          `${path}.securityContext.capabilities.drop`,
          "the container runtime",
          "",
          () => container?.securityContext?.capabilities?.drop,
        );
      }
    }
  },
};

const NO_NEW_PRIVILEGES = /^no-new-privileges(?:[:=]true)?$/;
const ESCALATION = "a process can gain privileges through a setuid binary or file capabilities";
const NO_NEW_PRIVILEGES_FIX = "dockyard: services.<name>.security.noNewPrivileges true; compose security_opt: [no-new-privileges:true]";

export const noNewPrivileges: ResourcePolicy = {
  name: "no-new-privileges",
  description:
    "No process of a container or pod gains privileges it did not start with (Docker no-new-privileges, pods allowPrivilegeEscalation false). A swarm service's spec cannot say it, so swarm services are not checked.",
  validateResource: (args, report) => {
    const container = args.asType(docker.Container);
    if (container) {
      const options = known(() => container.securityOpts);
      const set = Array.isArray(options) && options.some((option) => typeof option === "string" && NO_NEW_PRIVILEGES.test(option));
      if (!set) {
        report(
          `${who(args)}: securityOpts ${options === undefined ? "is not set" : `${json(options)} does not set no-new-privileges`}, so ${ESCALATION}; ` +
            `add no-new-privileges (docker run --security-opt no-new-privileges; ${NO_NEW_PRIVILEGES_FIX})`,
        );
      }
    }
    const deployment = args.asType(k8s.apps.v1.Deployment);
    if (deployment) {
      for (const { path, container } of podContainers(deployment)) {
        const allowed = known(() => container?.securityContext?.allowPrivilegeEscalation);
        if (allowed === false) continue;
        report(
          `${who(args)}: ${path}.securityContext.allowPrivilegeEscalation is ${allowed === undefined ? "not set (true by default)" : json(allowed)}, so ${ESCALATION}; ` +
            `set it to false (${NO_NEW_PRIVILEGES_FIX})`,
        );
      }
    }
  },
};

/** A Docker user ("uid", "uid:gid", "name", "name:group"): its uid, or undefined for a name. */
function uidOf(user: string): number | undefined {
  const match = /^(\d+)(?::[^:]*)?$/.exec(user);
  return match ? Number(match[1]) : undefined;
}

const NON_ROOT_FIX = 'dockyard: the service\'s user, "10001:10001"; compose user: "10001:10001"';

export const nonRoot: ResourcePolicy = {
  name: "non-root",
  description:
    "Every container and swarm service runs as a numeric user other than 0, and every pod container as non-root (runAsNonRoot, or a runAsUser above 0).",
  validateResource: (args, report) => {
    const engineUser = (property: string, flag: string, read: () => unknown): void => {
      const user = known(read);
      const uid = typeof user === "string" ? uidOf(user) : undefined;
      if (uid !== undefined && uid > 0) return;
      const why =
        typeof user !== "string" || user === ""
          ? "is not set, so the container runs as its image's user, root unless the image says otherwise"
          : uid === 0 || user.split(":")[0] === "root"
            ? `is ${json(user)}, which is root`
            : `is ${json(user)}, a name, which is root or not depending on the image's /etc/passwd`;
      report(`${who(args)}: ${property} ${why}; run it as a numeric user other than 0 (${flag} 10001:10001; ${NON_ROOT_FIX})`);
    };
    const container = args.asType(docker.Container);
    if (container) engineUser("user", "docker run --user", () => container.user);
    const service = args.asType(docker.Service);
    if (service) engineUser("taskSpec.containerSpec.user", "docker service create --user", () => service.taskSpec?.containerSpec?.user);
    const deployment = args.asType(k8s.apps.v1.Deployment);
    if (deployment) {
      const pod = podSecurity(deployment);
      for (const { path, container } of podContainers(deployment)) {
        const own = known(() => container?.securityContext) ?? {};
        // The container's settings win over the pod's.
        const ownUser = known(() => own.runAsUser);
        const user = ownUser ?? known(() => pod.runAsUser);
        const userAt = ownUser !== undefined ? `${path}.securityContext.runAsUser` : "spec.template.spec.securityContext.runAsUser";
        const nonRootSet = known(() => own.runAsNonRoot) ?? known(() => pod.runAsNonRoot);
        if (user !== undefined && Number(user) === 0) {
          report(`${who(args)}: ${userAt} is 0, which is root; run it as a numeric user other than 0 (${NON_ROOT_FIX})`);
        } else if (!(nonRootSet === true || Number(user) > 0)) {
          report(
            `${who(args)}: ${path}.securityContext.runAsNonRoot is ${nonRootSet === undefined ? "not set" : json(nonRootSet)} and runAsUser is not set ` +
              "(nor in spec.template.spec.securityContext), so the container runs as its image's user, root unless the image says otherwise; " +
              `set runAsNonRoot true and a runAsUser other than 0 (${NON_ROOT_FIX})`,
          );
        }
      }
    }
  },
};

export const readOnlyRoot: ResourcePolicy = {
  name: "read-only-root",
  description:
    "Every container, swarm service and pod container has a read-only root filesystem, its writable paths tmpfs or volumes; the services of an allow-list may write to theirs.",
  configSchema: {
    properties: {
      writableRoots: {
        type: "array",
        items: { type: "string" },
        default: [],
        description:
          "Services whose root filesystem may stay writable, as globs matched against a Docker container's or swarm service's name or its dockyard.service label, and a Deployment's name.",
      },
    },
  },
  validateResource: (args, report) => {
    const { writableRoots } = settings<{ writableRoots: string[] }>(readOnlyRoot, args.getConfig());
    const check = (service: ServiceName, property: string, flag: string, read: () => unknown): void => {
      const value = known(read);
      if (value === true || listed(service, writableRoots)) return;
      report(
        `${who(args)}: ${property} is ${value === undefined ? "not set" : json(value)}, so the container's processes can write to its root filesystem (and change its programs); ` +
          `make it read-only with the paths it writes as tmpfs or volumes (${flag}dockyard: services.<name>.security.readOnlyRootFilesystem true and .tmpfs ["/tmp"]; ` +
          `compose read_only: true, tmpfs: [/tmp]), or add ${json(service.shown)} to this policy's writableRoots`,
      );
    };
    const container = args.asType(docker.Container);
    if (container) check(engineService(args, container), "readOnly", "docker run --read-only --tmpfs /tmp; ", () => container.readOnly);
    const service = args.asType(docker.Service);
    if (service) {
      const flag = "docker service create --read-only; ";
      check(engineService(args, service), "taskSpec.containerSpec.readOnly", flag, () => service.taskSpec?.containerSpec?.readOnly);
    }
    const deployment = args.asType(k8s.apps.v1.Deployment);
    if (deployment) {
      const name = deploymentService(args, deployment);
      for (const { path, container } of podContainers(deployment)) {
        check(name, `${path}.securityContext.readOnlyRootFilesystem`, "", () => container?.securityContext?.readOnlyRootFilesystem);
      }
    }
  },
};

const CONFINED_PROFILES = ["RuntimeDefault", "Localhost"];

export const seccomp: ResourcePolicy = {
  name: "seccomp",
  description:
    "Pods run under a seccomp profile (RuntimeDefault or Localhost, the pod's or the container's); Docker containers keep the engine's (no seccomp=unconfined). A swarm service's spec cannot name a profile, so its tasks keep the engine's and are not checked.",
  validateResource: (args, report) => {
    const container = args.asType(docker.Container);
    if (container) {
      const options = known(() => container.securityOpts);
      (Array.isArray(options) ? options : []).forEach((option, index) => {
        if (typeof option === "string" && /^seccomp[:=]unconfined$/i.test(option)) {
          report(
            `${who(args)}: securityOpts[${index}] is ${json(option)}, which lets the container make every system call; ` +
              "remove it, so Docker's default seccomp profile applies (or name a profile: seccomp=<profile.json>)",
          );
        }
      });
    }
    const deployment = args.asType(k8s.apps.v1.Deployment);
    if (deployment) {
      const pod = known(() => podSecurity(deployment).seccompProfile?.type);
      for (const { path, container } of podContainers(deployment)) {
        const own = known(() => container?.securityContext?.seccompProfile?.type);
        const profile = own ?? pod;
        const where = own !== undefined ? `${path}.securityContext` : "spec.template.spec.securityContext";
        if (typeof profile === "string" && CONFINED_PROFILES.includes(profile)) continue;
        report(
          profile === undefined
            ? `${who(args)}: ${path}.securityContext.seccompProfile is not set, nor spec.template.spec.securityContext.seccompProfile, ` +
                "so the container runs Unconfined, every system call allowed; set the pod's seccompProfile type RuntimeDefault (dockyard's Deployment sets it on every pod)"
            : `${who(args)}: ${where}.seccompProfile.type is ${json(profile)}, which lets the container make every system call; ` +
                "use RuntimeDefault (or Localhost with a profile on the node)",
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Host paths

/** Engine sockets: whoever can write to one runs any container, privileged, on the host. */
const ENGINE_SOCKETS = [
  "/var/run/docker.sock",
  "/run/docker.sock",
  "/var/run/containerd/containerd.sock",
  "/run/containerd/containerd.sock",
  "/var/run/crio/crio.sock",
  "/run/crio/crio.sock",
  "/var/run/cri-dockerd.sock",
  "/run/cri-dockerd.sock",
  "/var/run/podman/podman.sock",
  "/run/podman/podman.sock",
];
/** The host's own configuration, kernel interfaces, devices, home of root and engine state. */
const HOST_TREES = [
  "/etc",
  "/proc",
  "/sys",
  "/dev",
  "/boot",
  "/root",
  "/var/lib/docker",
  "/var/lib/containerd",
  "/var/lib/kubelet",
  "/var/lib/containers",
  "/var/spool",
  "/opt/cni",
];

/** A host path without "..", "//" or a trailing "/": the path the engine mounts. */
const normalPath = (path: string): string => posix.normalize(path).replace(/(.)\/+$/, "$1");

/**
 * Why mounting a host path hands the host to the container, or undefined: an engine socket (even
 * read-only: the API is a socket, not a file), one of the host's trees or a folder holding one (/,
 * /var, /run...), or a writable path inside a tree. Read-only files inside them (/etc/localtime,
 * /etc/ssl/certs) are common and harmless. The same rule as dockyard's own refusal (stacks/resolve.ts).
 */
export function sensitiveHostPath(hostPath: string, readOnly: boolean): string | undefined {
  const normal = normalPath(hostPath);
  const within = (tree: string): boolean => normal === tree || normal.startsWith(`${tree}/`);
  const holds = (tree: string): boolean => normal === "/" || tree.startsWith(`${normal}/`);
  const socket = ENGINE_SOCKETS.find((path) => within(path) || holds(path));
  if (socket !== undefined) return normal === socket ? "is a container engine's socket" : `holds the container engine's socket ${socket}`;
  const tree = HOST_TREES.find((path) => normal === path || holds(path));
  if (tree !== undefined) return normal === tree ? "is one of the host's system folders" : `holds the host's ${tree}`;
  const inside = HOST_TREES.find((path) => within(path));
  if (inside !== undefined && !readOnly) return `is inside the host's ${inside} and mounted writable (read-only files there are allowed)`;
  return undefined;
}

export const hostMounts: ResourcePolicy = {
  name: "host-mounts",
  description:
    "No container, swarm service or pod mounts a sensitive host path: an engine socket, /etc, /proc, /sys, /dev, /boot, /root, the engines' state, a folder holding one (/, /var, /run), or a writable path inside one; paths of an allow-list pass.",
  configSchema: {
    properties: {
      allowedHostPaths: {
        type: "array",
        items: { type: "string" },
        default: [],
        description:
          "Host paths a container may mount anyway, exactly as given (/var/run/docker.sock for a CI runner that must start containers).",
      },
    },
  },
  validateResource: (args, report) => {
    const { allowedHostPaths } = settings<{ allowedHostPaths: string[] }>(hostMounts, args.getConfig());
    const allowed = new Set(allowedHostPaths.map(normalPath));
    const check = (property: string, readOnly: boolean, fix: string, read: () => unknown): void => {
      const hostPath = known(read);
      if (typeof hostPath !== "string" || !hostPath.startsWith("/")) return;
      const why = sensitiveHostPath(hostPath, readOnly);
      if (why === undefined || allowed.has(normalPath(hostPath))) return;
      report(
        `${who(args)}: ${property} ${json(hostPath)} ${why}: a container that mounts it can take over the host; ` +
          `${fix}, or add ${json(hostPath)} to this policy's allowedHostPaths`,
      );
    };
    const volumeFix = 'mount a named volume instead (dockyard: a mount\'s volume, not hostPath; compose volumes: ["data:/path"])';
    const container = args.asType(docker.Container);
    if (container) {
      const mounts = known(() => container.mounts);
      (Array.isArray(mounts) ? mounts : []).forEach((mount, index) => {
        if (known(() => mount?.type) !== "bind") return;
        const readOnly = known(() => mount?.readOnly) === true;
        check(`mounts[${index}].source`, readOnly, volumeFix, () => mount?.source);
      });
      const volumes = known(() => container.volumes);
      (Array.isArray(volumes) ? volumes : []).forEach((volume, index) => {
        const readOnly = known(() => volume?.readOnly) === true;
        check(`volumes[${index}].hostPath`, readOnly, volumeFix, () => volume?.hostPath);
      });
    }
    const service = args.asType(docker.Service);
    if (service) {
      const mounts = known(() => service.taskSpec?.containerSpec?.mounts);
      (Array.isArray(mounts) ? mounts : []).forEach((mount, index) => {
        if (known(() => mount?.type) !== "bind") return;
        const readOnly = known(() => mount?.readOnly) === true;
        check(`taskSpec.containerSpec.mounts[${index}].source`, readOnly, volumeFix, () => mount?.source);
      });
    }
    const deployment = args.asType(k8s.apps.v1.Deployment);
    if (deployment) {
      const containers = podContainers(deployment);
      const volumes = known(() => deployment.spec?.template?.spec?.volumes);
      (Array.isArray(volumes) ? volumes : []).forEach((volume, index) => {
        const name = known(() => volume?.name);
        // Writable when a container mounts it without readOnly.
        const writable = containers.some(({ container }) =>
          (known(() => container?.volumeMounts) ?? []).some(
            (mount) => known(() => mount?.name) === name && known(() => mount?.readOnly) !== true,
          ),
        );
        const fix = "use a PersistentVolumeClaim or an emptyDir instead (dockyard: a mount's volume, not hostPath)";
        check(`spec.template.spec.volumes[${index}].hostPath.path`, !writable, fix, () => volume?.hostPath?.path);
      });
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Restarts

const RESTART_FIX = (max: number, flag: string): string =>
  `restart it on failure at most ${max} times (${flag}; dockyard: services.<name>.restart.condition "on-failure" and .maxAttempts ${max}; compose deploy.restart_policy)`;

export const boundedRestarts: ResourcePolicy = {
  name: "bounded-restarts",
  description:
    "A failing container or swarm task is restarted a bounded number of times (Docker on-failure with a count, swarm maxAttempts), not forever. Kubernetes is not checked: the kubelet's back-off bounds a crash loop.",
  configSchema: {
    properties: {
      maxAttempts: { type: "integer", minimum: 1, default: 5, description: "The most restarts a container or task may be given." },
    },
  },
  validateResource: (args, report) => {
    const { maxAttempts } = settings<{ maxAttempts: number }>(boundedRestarts, args.getConfig());
    const container = args.asType(docker.Container);
    if (container) {
      // The provider's default is "no": never restarted.
      const policy = known(() => container.restart) ?? "no";
      const count = known(() => container.maxRetryCount);
      const fix = RESTART_FIX(maxAttempts, `docker run --restart on-failure:${maxAttempts}`);
      if (policy === "always" || policy === "unless-stopped") {
        report(`${who(args)}: restart is ${json(policy)}, which restarts a failing container forever; ${fix}`);
      } else if (policy === "on-failure" && !(Number(count) > 0)) {
        report(`${who(args)}: restart is "on-failure" with maxRetryCount ${count === undefined ? "not set" : count} (no limit); ${fix}`);
      } else if (policy === "on-failure" && Number(count) > maxAttempts) {
        report(`${who(args)}: maxRetryCount is ${count}, more than this policy's maxAttempts ${maxAttempts}; ${fix}`);
      }
    }
    const service = args.asType(docker.Service);
    if (service) {
      // The swarm's defaults: condition any, no limit.
      const restart = known(() => service.taskSpec?.restartPolicy) ?? {};
      const condition = known(() => restart.condition) ?? "any";
      const attempts = known(() => restart.maxAttempts) ?? 0;
      if (condition === "none") return;
      const fix = RESTART_FIX(maxAttempts, `docker service create --restart-condition on-failure --restart-max-attempts ${maxAttempts}`);
      if (!(Number(attempts) > 0)) {
        report(
          `${who(args)}: taskSpec.restartPolicy.maxAttempts is ${attempts} (no limit) with condition ${json(condition)}, so the swarm restarts a failing task forever; ${fix}`,
        );
      } else if (Number(attempts) > maxAttempts) {
        report(
          `${who(args)}: taskSpec.restartPolicy.maxAttempts is ${attempts}, more than this policy's maxAttempts ${maxAttempts}; ${fix}`,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Ports, networks, data, secrets

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
    const publishers = `publishers (${config.publishers.join(", ") || "none"})`;
    const container = args.asType(docker.Container);
    if (container) {
      const ports = known(() => container.ports);
      if (!Array.isArray(ports)) return;
      const service = engineService(args, container);
      ports.forEach((port, index) => {
        const external = known(() => port?.external);
        const ip = known(() => port?.ip);
        const where = `ports[${index}]`;
        // No external port: Docker publishes it on a random host port on every interface.
        const bound = external === undefined ? "a random host port" : `host port ${external}`;
        if (!listed(service, config.publishers)) {
          report(
            `${who(args)}: ${where} publishes container port ${known(() => port?.internal)} on ${bound} of ${ip || "0.0.0.0"}, ` +
              `but ${service.shown} is not one of the ${publishers}; remove the published port (reach it over the container network), or add the service to publishers`,
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
    const swarmService = args.asType(docker.Service);
    if (swarmService) {
      const ports = known(() => swarmService.endpointSpec?.ports);
      if (!Array.isArray(ports)) return;
      const service = engineService(args, swarmService);
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
        if (!listed(service, config.publishers)) {
          report(
            `${who(args)}: ${where} publishes container port ${known(() => port?.targetPort)} on ${bound} of ${scope}, ` +
              `but ${service.shown} is not one of the ${publishers}; remove the published port (reach it over the overlay network), or add the service to publishers`,
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
    const k8sService = args.asType(k8s.core.v1.Service);
    if (k8sService) {
      const type = known(() => k8sService.spec?.type);
      const name = known(() => k8sService.metadata?.name) ?? args.name;
      if ((type === "LoadBalancer" || type === "NodePort") && !listed({ names: [name, args.name], shown: name }, config.publishers)) {
        report(
          `${who(args)}: spec.type is ${json(type)}, which publishes ${name} outside the cluster, but it is not one of the ${publishers}; ` +
            "make it a ClusterIP Service, or add it to publishers",
        );
      }
    }
    const deployment = args.asType(k8s.apps.v1.Deployment);
    if (deployment) {
      for (const { path, container } of podContainers(deployment)) {
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
function subnets(network: Inputs<docker.NetworkArgs>): Array<{ property: string; subnet: string }> {
  const configs = known(() => network.ipamConfigs);
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
  validateResource: validateResourceOfType(docker.Network, (network, args, report) => {
    const { allowPublicSubnets } = settings<{ allowPublicSubnets: boolean }>(privateSubnets, args.getConfig());
    for (const { property, subnet } of subnets(network)) {
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
  }),
};

export const distinctSubnets: StackPolicy = {
  name: "distinct-subnets",
  description: "No two Docker networks (bridge or overlay) of the stack have overlapping subnets.",
  validateStack: (args, report) => {
    const seen: Array<{ resource: PolicyResource; property: string; subnet: string; range: Range }> = [];
    for (const resource of args.resources) {
      const network = inputsOf(resource, docker.Network);
      if (!network) continue;
      for (const { property, subnet } of subnets(network)) {
        const parsed = parseCidr(subnet);
        if (parsed === undefined) continue;
        const other = seen.find((entry) => overlaps(entry.range, parsed.range));
        if (other) {
          report(
            `${who(resource)}: ${property} ${subnet} overlaps ${subnet === other.subnet ? "the same subnet" : other.subnet} of ${who(other.resource)} (${other.property}); ` +
              "give each network a subnet of its own",
            resource.urn,
          );
        }
        seen.push({ resource, property, subnet, range: parsed.range });
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
    const volume = args.asType(docker.Volume);
    const claim = args.asType(k8s.core.v1.PersistentVolumeClaim);
    if ((!volume && !claim) || args.opts.protect) return;
    const marked = volume
      ? dockerLabels(known(() => volume.labels))[RETAIN_MARKER]
      : (known(() => claim?.metadata?.annotations?.[RETAIN_MARKER]) ?? known(() => claim?.metadata?.labels?.[RETAIN_MARKER]));
    if (marked === "true") return;
    const property = volume ? `labels[${RETAIN_MARKER}]` : `metadata.annotations["${RETAIN_MARKER}"]`;
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
    const deployment = args.asType(k8s.apps.v1.Deployment);
    if (deployment) {
      for (const { path, container } of podContainers(deployment)) {
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
    const service = args.asType(docker.Service);
    if (service) {
      // A map of name to value; the swarm target passes a secret as NAME_FILE, the path of a mounted swarm secret.
      const env = known(() => service.taskSpec?.containerSpec?.env) ?? {};
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
    const configMap = args.asType(k8s.core.v1.ConfigMap);
    if (configMap) {
      const data = known(() => configMap.data) ?? {};
      for (const key of Object.keys(data).sort()) {
        if (secretName.test(key)) {
          report(`${who(args)}: data.${key} holds a secret in a ConfigMap (plain text); put it in a Secret and use valueFrom.secretKeyRef`);
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Kubernetes objects across the stack

/** A Kubernetes object of a stack, for the stack policies. */
interface K8sObject<I> {
  resource: PolicyResource;
  inputs: I;
  name: string;
  namespace: string;
}

const UNKNOWN_NAMESPACE = "(not known yet)";

function k8sObjects<TArgs>(args: StackValidationArgs, resourceClass: ResourceClass<TArgs>): Array<K8sObject<Inputs<TArgs>>> {
  return args.resources.flatMap((resource) => {
    const inputs = inputsOf(resource, resourceClass);
    if (!inputs) return [];
    // Every Kubernetes object's metadata is an ObjectMeta; TArgs only says it has one.
    const metadata = known(() => (inputs as { metadata?: Unwrap<k8s.types.input.meta.v1.ObjectMeta> }).metadata);
    return [
      {
        resource,
        inputs,
        name: String(known(() => metadata?.name) ?? resource.name),
        namespace: String(known(() => metadata?.namespace) ?? (metadata ? "default" : UNKNOWN_NAMESPACE)),
      },
    ];
  });
}

/** Whether a label selector's matchLabels (or a Service's selector map) selects these labels. */
function selects(selector: Record<string, unknown> | undefined, labels: Record<string, unknown>): boolean {
  if (selector === undefined) return false;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

const podLabels = (deployment: K8sObject<DeploymentInputs>): Record<string, unknown> =>
  known(() => deployment.inputs.spec?.template?.metadata?.labels) ?? {};

export const readinessProbes: StackPolicy = {
  name: "readiness-probes",
  description:
    "Every container of a Deployment behind a Service has a readiness probe; every swarm service reached by name or a published port has a health check.",
  validateStack: (args, report) => {
    for (const resource of args.resources) {
      const service = inputsOf(resource, docker.Service);
      if (!service) continue;
      const networks = known(() => service.taskSpec?.networksAdvanceds);
      const ports = known(() => service.endpointSpec?.ports);
      const reached = [
        ...(Array.isArray(networks) && networks.length > 0 ? ["its name on its networks"] : []),
        ...(Array.isArray(ports) && ports.length > 0 ? ["its published ports"] : []),
      ];
      if (reached.length === 0) continue;
      const tests = known(() => service.taskSpec?.containerSpec?.healthcheck?.tests);
      const off = Array.isArray(tests) && tests[0] === "NONE";
      if (Array.isArray(tests) && tests.length > 0 && !off) continue;
      report(
        `${who(resource)}: taskSpec.containerSpec.healthcheck${off ? `.tests is ${json(tests)}, which turns the image's health check off` : " is not set"}, ` +
          `so the swarm sends traffic (${reached.join(", ")}) to its tasks as soon as they start, before they can serve it; ` +
          "add a health check (docker service create --health-cmd; dockyard: the service's health check)",
        resource.urn,
      );
    }
    const services = k8sObjects(args, k8s.core.v1.Service);
    for (const deployment of k8sObjects(args, k8s.apps.v1.Deployment)) {
      const labels = podLabels(deployment);
      const service = services.find(
        (s) => s.namespace === deployment.namespace && selects(known(() => s.inputs.spec?.selector) ?? undefined, labels),
      );
      if (!service) continue;
      for (const { path, container } of podContainers(deployment.inputs)) {
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
    const policies = k8sObjects(args, k8s.networking.v1.NetworkPolicy).filter((policy) => {
      const spec = known(() => policy.inputs.spec);
      const types = known(() => spec?.policyTypes);
      const ingress = known(() => spec?.ingress);
      const deniesIngress =
        (Array.isArray(types) ? types.includes("Ingress") : true) &&
        (ingress === undefined || (Array.isArray(ingress) && ingress.length === 0));
      return deniesIngress;
    });
    const deployments = k8sObjects(args, k8s.apps.v1.Deployment);
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
          const selector = known(() => policy.inputs.spec?.podSelector);
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
    for (const resource of args.resources) {
      const service = inputsOf(resource, docker.Service);
      if (!service) continue;
      const ports = known(() => service.endpointSpec?.ports);
      if (!Array.isArray(ports) || ports.length === 0) continue;
      // A global service runs a task on every node: as many as the swarm has nodes, which the pack cannot see.
      if (known(() => service.mode?.global) === true) continue;
      const count = known(() => service.mode?.replicated?.replicas) ?? 1;
      if (Number(count) < minReplicas) {
        const published = ports.map((port) => known(() => port?.publishedPort) ?? "a random port").join(", ");
        report(
          `${who(resource)}: mode.replicated.replicas is ${count} while it publishes ${published} (endpointSpec.ports); ` +
            `run at least ${minReplicas} tasks (dockyard: services.<name>.replicas; a port in publishMode host takes one task per node, so as many nodes, dockyard:swarmNodes)`,
          resource.urn,
        );
      }
    }
    const published = k8sObjects(args, k8s.core.v1.Service).filter((service) => {
      const type = known(() => service.inputs.spec?.type);
      return type === "LoadBalancer" || type === "NodePort";
    });
    const autoscalers = k8sObjects(args, k8s.autoscaling.v2.HorizontalPodAutoscaler);
    for (const deployment of k8sObjects(args, k8s.apps.v1.Deployment)) {
      const service = published.find(
        (s) => s.namespace === deployment.namespace && selects(known(() => s.inputs.spec?.selector) ?? undefined, podLabels(deployment)),
      );
      if (!service) continue;
      const autoscaler = autoscalers.find((hpa) => {
        const target = known(() => hpa.inputs.spec?.scaleTargetRef);
        return (
          hpa.namespace === deployment.namespace &&
          known(() => target?.kind) === "Deployment" &&
          known(() => target?.name) === deployment.name
        );
      });
      if (autoscaler) {
        const min = known(() => autoscaler.inputs.spec?.minReplicas) ?? 1;
        if (Number(min) < minReplicas) {
          report(
            `${who(autoscaler.resource)}: spec.minReplicas is ${min} for Deployment "${deployment.name}", published by Service "${service.name}"; ` +
              `let it scale down to no fewer than ${minReplicas} pods (dockyard: services.<name>.autoscaling.minReplicas)`,
            autoscaler.resource.urn,
          );
        }
        continue;
      }
      const count = known(() => deployment.inputs.spec?.replicas) ?? 1;
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

/** Pod Security Admission's levels, loosest first. */
export const POD_SECURITY_LEVELS = ["privileged", "baseline", "restricted"];
const ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";

export const podSecurityLabels: ResourcePolicy = {
  name: "pod-security-labels",
  description: `Namespaces are labelled ${ENFORCE_LABEL} with a Pod Security level at least as strict as configured (restricted), so the API server refuses pods that break it.`,
  configSchema: {
    properties: {
      minimumLevel: {
        type: "string",
        enum: POD_SECURITY_LEVELS,
        default: "restricted",
        description: "The loosest Pod Security level a namespace may enforce: privileged, baseline or restricted.",
      },
    },
  },
  validateResource: validateResourceOfType(k8s.core.v1.Namespace, (namespace, args, report) => {
    const { minimumLevel } = settings<{ minimumLevel: string }>(podSecurityLabels, args.getConfig());
    const level = known(() => namespace.metadata?.labels?.[ENFORCE_LABEL]);
    if (level !== undefined && POD_SECURITY_LEVELS.indexOf(level) >= POD_SECURITY_LEVELS.indexOf(minimumLevel)) return;
    const why =
      level === undefined
        ? "is not set, so the namespace admits any pod the cluster's default level allows (privileged, unless the cluster is configured otherwise)"
        : POD_SECURITY_LEVELS.includes(level)
          ? `is ${json(level)}, looser than ${minimumLevel}`
          : `is ${json(level)}, not a Pod Security level (${POD_SECURITY_LEVELS.join(", ")})`;
    report(
      `${who(args)}: metadata.labels["${ENFORCE_LABEL}"] ${why}; label it ${minimumLevel} (dockyard: podSecurity "${minimumLevel}"), ` +
        "or lower this policy's minimumLevel",
    );
  }),
};

/** The whole pack, in the order its policies are reported. */
export const policies: Policy[] = [
  imagesPinned,
  allowedRegistries,
  containerLimits,
  noPrivilege,
  capabilitiesDropped,
  noNewPrivileges,
  nonRoot,
  readOnlyRoot,
  seccomp,
  hostMounts,
  boundedRestarts,
  hostPorts,
  privateSubnets,
  distinctSubnets,
  dataRetained,
  noSecretLiterals,
  readinessProbes,
  defaultDeny,
  replicas,
  podSecurityLabels,
];
