/**
 * Typed, validated stack configuration, for any app. CONFIG_KEYS is the one table of keys: each
 * entry's zod schema, default, description and target. The StackConfig type comes from it, and
 * Pulumi.yaml's config block and docs/config.md's tables are generated from it (tools/docs/config.ts).
 * Nothing here names one app's services: per-service, per-network and per-volume settings are maps
 * keyed by the app's own names, whose settings objects (SERVICE_SETTINGS, NETWORK_SETTINGS,
 * VOLUME_SETTINGS) take the model's field names; stacks/overrides.ts checks the names against the
 * app and lays the settings over its model.
 */
import * as pulumi from "@pulumi/pulumi";
import { scryptSync } from "crypto";
import { z } from "zod";
import { parseAddress, parseCidr } from "../components/cidr";
import {
  DEFAULT_POLICY_PERIOD_SECONDS,
  MAX_POLICY_PERIOD_SECONDS,
  MAX_POLICY_VALUE,
  MAX_STABILIZATION_SECONDS,
  periodAloneRule,
  POLICY_DEFAULTS,
  POLICY_KEYS,
  POLICY_PERIOD_RULE,
  POLICY_VALUE_RULE,
  STABILIZATION_DEFAULTS,
} from "../components/k8s/scaling";
import { isNamespaceName, NAMESPACE_RULE, SYSTEM_NAMESPACES } from "../components/k8s/labels";
import { IMAGE_REFERENCE_RULE, isImageReference, isRegistry, REGISTRY_RULE, withoutPassword } from "../components/registry";
import { checkDockerSsh } from "./dockerSsh";
import { checkDockerTls, DOCKER_TLS_PORT } from "./dockerTls";
import { InputError } from "./errors";
import { DEFAULT_VOLUME_SIZE, MAX_REPLICAS, MAX_STOP_GRACE_SECONDS, RESTART_DEFAULTS, ROLLOUT_DEFAULTS } from "./resolve";

export type Target = "docker" | "kubernetes" | "swarm";

interface KeySpec {
  schema: z.ZodType;
  default: unknown;
  description: string;
  secret?: boolean;
  /** The key means something on this target (or these targets) only; set on another, it is refused. */
  target?: Target | readonly Target[];
}

const PORT = "must be a port number 1-65535";
/** Whole numbers as `pulumi config set --path` may store them: a number, or digits as text. */
const digits = (value: unknown): unknown => (typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value);
const whole = (rule: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(digits, z.number({ error: rule }).int(rule).min(min, rule).max(max, rule));
const port = whole(PORT, 1, 65535);
/** A number as YAML writes it, or as `pulumi config set --path` may store it: text. */
const numberText = (value: unknown): unknown => (typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value);
const cpus = z.preprocess(
  numberText,
  z
    .number({ error: "must be a number of CPUs greater than 0, like 0.5 or 2" })
    .positive("must be a number of CPUs greater than 0, like 0.5 or 2")
    .finite("must be a number of CPUs greater than 0, like 0.5 or 2"),
);
const imageRef = z.string({ error: `must be ${IMAGE_REFERENCE_RULE}` }).refine(isImageReference, `must be ${IMAGE_REFERENCE_RULE}`);
const cidr = z
  .string({ error: "must be an IPv4 CIDR like 172.18.0.0/16" })
  .refine((value) => parseCidr(value) !== undefined, "must be an IPv4 CIDR like 172.18.0.0/16");
/** true or false, as YAML writes them or as `pulumi config set --path` may store them (text). */
const flag = z.preprocess(
  (value) => (value === "true" ? true : value === "false" ? false : value),
  z.boolean({ error: "must be true or false" }),
);
const text = z.string({ error: "must be text" });
const size = z.string({ error: 'must be a storage size like "1Gi"' });

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

/*
 * What docs/config.md's table of the maps says about each setting, kept in zod's metadata beside its
 * schema (`.meta({ value, unset, does })`) and read by tools/docs/config.ts. The default column shows
 * the app's own values, read from its model; `unset` is what applies where the app sets none.
 */
declare module "zod" {
  interface GlobalMeta {
    /** The values a setting takes, in words ("whole number, 0 to 1000"). On a settings object: one row for it, given whole. */
    value?: string;
    /** What applies where neither the stage nor the app sets the setting, in Markdown ("`1`", "the target's: ..."). */
    unset?: string;
    /** What the setting does. On a settings object without `value`: a row of its own above its fields'. */
    does?: string;
    /** What an entry of a map is called in a path: "port" for services.<name>.ports.<port>. @default "name" */
    entry?: string;
  }
}

/** A default in the maps table's words: `1`. */
const inCode = (value: string | number | boolean) => `\`${value}\``;

/**
 * A settings object that takes only the keys of its shape; its message lists them, read from the shape.
 * A field's `.describe()` text is its note where the config key's description lists the keys (keyList).
 */
const settingsObject = <S extends z.ZodRawShape>(shape: S) =>
  z.strictObject(shape, { error: `must be a map with keys ${Object.keys(shape).join(", ")}` });

/**
 * The schema inside optional fields and preprocessing, and the metadata on the way (where two layers
 * give the same field, the outer one's); `description` is the note keyList shows.
 */
export function unwrapped(schema: z.ZodType): { inner: z.ZodType; description?: string; meta: z.GlobalMeta } {
  let inner = schema;
  let meta: z.GlobalMeta = { ...z.globalRegistry.get(schema) };
  for (;;) {
    if (inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
    else if (inner instanceof z.ZodPipe) inner = inner._zod.def.out as z.ZodType;
    else return { inner, description: meta.description, meta };
    meta = { ...z.globalRegistry.get(inner), ...meta };
  }
}

/** The settings object a field holds (inside optional and preprocessing), if it holds one. */
export function settingsIn(schema: z.ZodType | undefined): z.ZodObject | undefined {
  if (schema === undefined) return undefined;
  const { inner } = unwrapped(schema);
  return inner instanceof z.ZodObject ? inner : undefined;
}

/** "replicas, ports (port name to published port), limits (cpus, memory), …": a settings object's keys, each with its note or its own keys. */
function keyList(settings: z.ZodObject): string {
  return Object.entries(settings.shape as Record<string, z.ZodType>)
    .map(([key, field]) => {
      const { inner, description } = unwrapped(field);
      const note = description ?? (inner instanceof z.ZodObject ? Object.keys(inner.shape).join(", ") : undefined);
      return note === undefined ? key : `${key} (${note})`;
    })
    .join(", ");
}

const limitSettings = settingsObject({
  cpus: cpus.meta({ value: "CPUs, greater than 0 (`0.5`, `2`)", does: "CPU limit of each copy" }),
  memory: z
    .string({ error: 'must be a size like "128m" or "1g"' })
    .meta({ value: 'size (`"100m"`, `"1g"`, `"512Mi"`)', does: "memory limit of each copy" }),
}).partial();
// Complete, not partial: a stage gives the three bounds (and the windows, policies and memory target
// it wants), laid over the model as one value.
const stabilizationSeconds = whole(
  `must be a whole number of seconds from 0 to ${MAX_STABILIZATION_SECONDS}`,
  0,
  MAX_STABILIZATION_SECONDS,
);
const policyValue = whole(POLICY_VALUE_RULE, 1, MAX_POLICY_VALUE);
const policyPeriod = whole(POLICY_PERIOD_RULE, 1, MAX_POLICY_PERIOD_SECONDS);
const autoscalingSettings = settingsObject({
  minReplicas: whole(`must be a whole number from 1 to ${MAX_REPLICAS}`, 1, MAX_REPLICAS),
  maxReplicas: whole(`must be a whole number from 1 to ${MAX_REPLICAS}`, 1, MAX_REPLICAS),
  targetCpuPercent: whole("must be a whole percent 1-100", 1, 100),
  scaleUpStabilizationSeconds: stabilizationSeconds.optional(),
  scaleDownStabilizationSeconds: stabilizationSeconds.optional(),
  scaleUpPods: policyValue.optional(),
  scaleUpPercent: policyValue.optional(),
  scaleUpPeriodSeconds: policyPeriod.optional(),
  scaleDownPods: policyValue.optional(),
  scaleDownPercent: policyValue.optional(),
  scaleDownPeriodSeconds: policyPeriod.optional(),
  targetMemoryPercent: whole("must be a whole percent 1-100", 1, 100).optional(),
})
  .superRefine((given, context) => {
    // A period alone would be written nowhere: refused by its key, not dropped.
    for (const direction of ["scaleUp", "scaleDown"] as const) {
      const keys = POLICY_KEYS[direction];
      if (given[keys.period] !== undefined && given[keys.pods] === undefined && given[keys.percent] === undefined) {
        context.addIssue({ code: "custom", path: [keys.period], message: periodAloneRule(direction) });
      }
    }
  })
  .meta({
    value: `whole numbers: minReplicas and maxReplicas 1 to ${MAX_REPLICAS} (min at most max), targetCpuPercent 1-100, all three required; optional: scaleUpStabilizationSeconds and scaleDownStabilizationSeconds 0 to ${MAX_STABILIZATION_SECONDS}, scaleUpPods, scaleUpPercent, scaleDownPods and scaleDownPercent 1 or more, scaleUpPeriodSeconds and scaleDownPeriodSeconds 1 to ${MAX_POLICY_PERIOD_SECONDS} (with that direction's pods or percent), targetMemoryPercent 1-100`,
    unset: `none: a fixed count (\`replicas\`); the windows unset: ${inCode(STABILIZATION_DEFAULTS.scaleUpStabilizationSeconds)} up, ${inCode(STABILIZATION_DEFAULTS.scaleDownStabilizationSeconds)} down; without pods or percent, up ${POLICY_DEFAULTS.scaleUp}, down ${POLICY_DEFAULTS.scaleDown} (all Kubernetes' own); a period unset: ${inCode(DEFAULT_POLICY_PERIOD_SECONDS)}; no memory target`,
    does: "scale between the bounds by CPU use, in percent of the CPU requested (target kubernetes only: a HorizontalPodAutoscaler); pods are added once the CPU figures of the last scaleUpStabilizationSeconds all ask for more, and removed once those of the last scaleDownStabilizationSeconds all ask for fewer (its spec.behavior); at most scaleUpPods pods or scaleUpPercent percent of those running are added per scaleUpPeriodSeconds, the larger where both are set (scale down alike: its policies); with targetMemoryPercent, memory use in percent of the memory requested too, whichever asks for more pods",
  });
/** Any number (numberText); its range is resolve.ts's to check. */
const numeric = z.preprocess(numberText, z.number({ error: "must be a number" }));
const word = z.string({ error: "must be text" });
const wholeNumber = "whole number, 0 or more";
const strategyFields = {
  parallelism: numeric.meta({
    value: wholeNumber,
    unset: inCode(ROLLOUT_DEFAULTS.parallelism),
    does: "copies replaced at a time; 0 replaces all at once (Kubernetes: maxSurge, or maxUnavailable when stop-first)",
  }),
  delaySeconds: numeric.meta({
    value: wholeNumber,
    unset: inCode(ROLLOUT_DEFAULTS.delaySeconds),
    does: "seconds between one batch and the next (Kubernetes: warned)",
  }),
  order: word.meta({
    value: "`start-first` or `stop-first`",
    unset:
      "the target's: `start-first` where two copies can run at once, `stop-first` for a single writer, a service with a volume, or one with a host-mode port on swarm",
    does: "`start-first` starts the new copy and stops the old one once the new one is healthy; `stop-first` stops the old one first (a single writer takes only `stop-first`)",
  }),
  monitorSeconds: numeric.meta({
    value: wholeNumber,
    unset: inCode(ROLLOUT_DEFAULTS.monitorSeconds),
    does: "seconds each replaced copy is watched for failure before the next batch (Kubernetes: minReadySeconds)",
  }),
  // A percentage is the usual slip: the message gives the share it meant (15% is 0.15).
  maxFailureRatio: z.preprocess(numberText, z.number({ error: "must be a share from 0 to 1 (0.2 for one in five; 15% is 0.15)" })).meta({
    value: "a share from 0 to 1",
    unset: inCode(ROLLOUT_DEFAULTS.maxFailureRatio),
    does: "share of the copies that may fail while being replaced before failureAction (Kubernetes: warned)",
  }),
  failureAction: word.meta({
    value: "`rollback`, `pause` or `continue`",
    unset: inCode(ROLLOUT_DEFAULTS.failureAction),
    does: "when an update fails: roll back to the previous version, stop there, or go on (Kubernetes: warned; a stalled rollout fails the up, the old pods serving)",
  }),
};
// The model's shapes (stacks/model.ts: Rollout, Reservations, Placement, RestartPolicy); their values
// are checked where the model's are, in resolve.ts, and named by these keys.
const rolloutSettings = settingsObject({
  ...strategyFields,
  rollback: settingsObject(strategyFields)
    .partial()
    .meta({
      value: "as the update's fields; failureAction `pause` or `continue`",
      unset: `each field the update's, failureAction ${inCode(ROLLOUT_DEFAULTS.rollbackFailureAction)}`,
      does: "how a rollback replaces copies (swarm's rollback config; Kubernetes: warned)",
    }),
})
  .partial()
  .meta({
    does: "how an update replaces a service's copies (swarm: the update config; Kubernetes: the Deployment's rolling update; Docker: warned, an up replaces a changed container)",
  });
const reservationSettings = settingsObject({
  cpus: cpus.meta({
    value: "CPUs, greater than 0; at most limits.cpus",
    unset: "a share of limits.cpus: a quarter on swarm, half on Kubernetes",
    does: "CPUs reserved for each copy",
  }),
  memory: z
    .string({ error: 'must be a size like "64m" or "1g"' })
    .meta({ value: "size; at most limits.memory", unset: "limits.memory", does: "memory reserved for each copy" }),
})
  .partial()
  .meta({
    does: "resources set aside for each copy on its node: a copy is placed only where they are free (swarm reservations, Kubernetes requests; Docker: warned)",
  });
const placementSettings = settingsObject({
  constraints: z.array(word, { error: 'must be a list of constraints like ["node.role == manager"]' }).meta({
    value: "list of `node.<id|hostname|role|platform.os|platform.arch|labels.NAME> ==|!= value`",
    unset: "none: any node (a single writer stays on the data node)",
    does: "node conditions, all of which must hold (Kubernetes: `==` on labels, hostname or OS as a nodeSelector, the rest warned)",
  }),
  maxReplicasPerNode: numeric.meta({
    value: wholeNumber,
    unset: "the target's: on swarm 1 for a single writer or a service with a host-mode port, else `0` (no limit)",
    does: "at most this many copies on one node; 0 for no limit (Kubernetes: warned)",
  }),
})
  .partial()
  .meta({ does: "where copies may run (swarm: placement constraints and the per-node limit; Docker: warned)" });
const restartSettings = settingsObject({
  condition: word.meta({
    value: "`any`, `on-failure` or `none`",
    unset: inCode(RESTART_DEFAULTS.condition),
    does: "`any`: whatever the exit; `on-failure`: a non-zero exit only; `none`: never",
  }),
  delaySeconds: numeric.meta({
    value: wholeNumber,
    unset: inCode(RESTART_DEFAULTS.delaySeconds),
    does: "seconds between a stop and the restart (Docker: warned)",
  }),
  maxAttempts: numeric.meta({
    value: wholeNumber,
    unset: `${inCode(RESTART_DEFAULTS.maxAttempts)} (no limit)`,
    does: "restarts attempted before giving up; 0 for no limit (Docker: with condition `on-failure` only)",
  }),
  windowSeconds: numeric.meta({
    value: wholeNumber,
    unset: inCode(RESTART_DEFAULTS.windowSeconds),
    does: "seconds over which maxAttempts is counted; 0 counts every attempt (Docker: warned)",
  }),
})
  .partial()
  .meta({
    does: "when a stopped copy is started again (swarm: the restart policy; Docker: the restart policy's condition; Kubernetes: warned, a Deployment's pods always restart)",
  });
const names = z.array(z.string(), { error: 'must be a list of names, like ["ALL"]' });
const securitySettings = settingsObject({
  capDrop: names.meta({
    value: "capability names without `CAP_`, or `ALL`",
    unset: "none: the engine's default set kept",
    does: "capabilities dropped",
  }),
  capAdd: names.meta({
    value: "capability names from Docker's default set",
    unset: "none",
    does: "capabilities added back after the drop",
  }),
  noNewPrivileges: flag.meta({
    value: "true or false",
    unset: inCode(false),
    does: "no process gains privileges it did not start with: setuid binaries, file capabilities (swarm: warned)",
  }),
  readOnlyRootFilesystem: flag.meta({
    value: "true or false",
    unset: inCode(false),
    does: "the root filesystem is read-only; what the service writes goes to its volumes and tmpfs paths (Docker: a service's secret files come through a volume mounted read-only at /run/secrets)",
  }),
  tmpfs: z
    .array(z.string(), { error: 'must be a list of paths, like ["/tmp"]' })
    .meta({ value: "absolute paths", unset: "none", does: "in-memory, writable filesystems mounted at these paths" }),
})
  .partial()
  .meta({
    does: "how each copy is confined (Docker `--cap-drop`/`--cap-add`, `no-new-privileges`, `--read-only`, `--tmpfs`; swarm: the same; Kubernetes: the container's securityContext, tmpfs as in-memory emptyDirs; compose `cap_drop`, `cap_add`, `security_opt`, `read_only`, `tmpfs`)",
  });
/**
 * One service's settings: what a stage changes about a service the app defines. Each key is the
 * model's field of that name (ServiceModel), laid over the app's by stacks/overrides.ts; a key whose
 * field has another shape (ports, image) has its own entry there.
 */
export const SERVICE_SETTINGS = settingsObject({
  replicas: whole(`must be a whole number from 0 to ${MAX_REPLICAS}`, 0, MAX_REPLICAS).meta({
    value: `whole number, 0 to ${MAX_REPLICAS}`,
    unset: inCode(1),
    does: "copies to run; a single writer (its data written by one copy at a time) takes 0 or 1",
  }),
  ports: z.record(z.string(), port, { error: "must map port names to port numbers, like { http: 5000 }" }).meta({
    description: "port name to published port",
    entry: "port",
    value: "port number 1-65535",
    unset: "not published",
    does: "publishes the service's named port on this number (on Docker, replica i of N on this number + i - 1)",
  }),
  limits: limitSettings,
  autoscaling: autoscalingSettings,
  image: imageRef.meta({
    description: "a prebuilt image to run instead",
    value: "image reference",
    unset: "built here, from the app's Dockerfile",
    does: "run this prebuilt image instead of the app's; outside dev it must be pinned (a tag other than latest, or a digest)",
  }),
  rollout: rolloutSettings,
  reservations: reservationSettings,
  placement: placementSettings,
  restart: restartSettings,
  stopGracePeriodSeconds: numeric.meta({
    value: `whole number, 0 to ${MAX_STOP_GRACE_SECONDS}`,
    unset: "the target's: 10 on Docker and swarm, 30 on Kubernetes",
    does: "seconds a copy has to exit after SIGTERM before it is killed (Docker's stop timeout, the swarm task's stop grace period, the pod's terminationGracePeriodSeconds; compose `stop_grace_period`)",
  }),
  security: securitySettings,
  endpointMode: word.meta({
    value: "`dnsrr` or `vip`",
    unset: "`swarmEndpointMode`",
    does: "how the service's name reaches its copies on a swarm: `dnsrr` (the name resolves to each task, ports bound on the task's node) or `vip` (one virtual address and the routing mesh); other targets: warned",
  }),
}).partial();

const composeSettings = settingsObject({
  file: z.string({ error: "must be a path" }).meta({
    description: "relative to the project",
    value: "path of a compose file, relative to the project",
    unset: "none: the program's own app",
    does: "deploy this compose file as the app, instead of the program's ([Deploying a compose file](compose.md))",
  }),
  profiles: z.array(z.string(), { error: "must be a list of profile names" }).meta({
    description: "to activate",
    value: "list of profile names; `*` enables all",
    unset: "`COMPOSE_PROFILES`, else none",
    does: "enables the services of these profiles, as `docker compose --profile`",
  }),
  envFile: z.string({ error: "must be a path" }).meta({
    description: "default: .env beside the file",
    value: "path, relative to the compose file's folder",
    unset: "`.env` there, when there is one",
    does: "the variables the file is interpolated with, as `docker compose --env-file`; the environment's own win",
  }),
}).partial();
/** One network's settings: the model's fields of those names (NetworkModel). */
export const NETWORK_SETTINGS = settingsObject({
  subnet: cidr.meta({
    value: "IPv4 CIDR",
    does: "the network's address range; a private range unless `allowPublicSubnets` (Kubernetes: warned, pods take the cluster's addresses)",
  }),
  gateway: text.meta({
    value: "an address inside the subnet",
    unset: "the subnet's first address",
    does: "the network's gateway (Kubernetes: warned)",
  }),
  ipRange: cidr.meta({
    value: "IPv4 CIDR inside the subnet",
    unset: "the whole subnet",
    does: "the part of the subnet containers are given addresses from (Kubernetes: warned)",
  }),
}).partial();
/** One volume's settings: the model's fields of those names (VolumeModel). */
export const VOLUME_SETTINGS = settingsObject({
  size: size.meta({
    description: "storage to reserve",
    value: 'storage size (`"1Gi"`, `"256Mi"`)',
    unset: inCode(DEFAULT_VOLUME_SIZE),
    does: "storage to reserve: the PersistentVolumeClaim's request (Docker and swarm: warned, a local volume has no size)",
  }),
  retain: flag.meta({
    description: "keep the data on destroy",
    value: "true or false",
    unset: inCode(false),
    does: "keep the volume and its data on `pulumi destroy`, and protect it from deletion",
  }),
}).partial();

/** A value of dockyard:secrets: the text of the app's secret of that name. */
const secretValue = z.string({ error: "must be text" }).meta({
  value: "text, set with `--secret`",
  unset: "none: the app has no secrets",
  does: "the value of the app's secret of that name; it leaves the program only as a secret",
});
/** A value of dockyard:buildArgs. */
const buildArgValue = z.string({ error: "must be text" }).meta({
  entry: "ARG",
  value: "text",
  unset: "none",
  does: "replaces the build argument of that name in every image built here that declares it; a base image's (`_IMAGE`) must be pinned outside dev",
});
/** A value of dockyard:app: the app checks its own parameters. */
const appParameter = z.unknown().meta({
  entry: "parameter",
  value: "what the app takes (the voting app: text; optionA and optionB must differ)",
  unset: "none",
  does: "the app's own parameters",
});

const map = <T extends z.ZodType>(what: string, value: T) => z.record(z.string(), value, { error: `must be a map of ${what} by name` });

/** The configuration keys, in the order the README lists them. */
export const CONFIG_KEYS = {
  target: {
    schema: z.enum(["docker", "kubernetes", "swarm"], { error: "must be docker, kubernetes or swarm" }),
    default: "docker",
    description: "Where the app runs: docker (a Docker engine), kubernetes (a cluster) or swarm (a Docker swarm, through a manager).",
  },
  services: {
    schema: map("service settings", SERVICE_SETTINGS),
    default: {},
    description: `Per-service settings by service name: ${keyList(SERVICE_SETTINGS)}; each as the app model's field of that name.`,
  },
  networks: {
    schema: map("network settings", NETWORK_SETTINGS),
    default: {},
    description: `Per-network settings by network name: ${keyList(NETWORK_SETTINGS)}.`,
  },
  volumes: {
    schema: map("volume settings", VOLUME_SETTINGS),
    default: {},
    description: `Per-volume settings by volume name: ${keyList(VOLUME_SETTINGS)}.`,
  },
  // A secret key: set in plain text, it is refused (stackStages.plainText). An app with no secrets needs
  // none set; an app names each secret it needs when it is missing (stacks/overrides.ts).
  secrets: {
    schema: map("secret values", secretValue),
    default: {},
    secret: true,
    description: "The app's secrets by name (pulumi config set --secret --path secrets.<name> <value>).",
  },
  buildArgs: {
    schema: map("build argument values", buildArgValue),
    default: {},
    description: "Build arguments for the images built here, by name (base images such as PYTHON_IMAGE: point them at a mirror).",
  },
  app: {
    schema: z.record(z.string(), appParameter, { error: "must be a map of the app's parameters" }),
    default: {},
    description: "The app's own parameters (the voting app: optionA, optionB).",
  },
  compose: {
    schema: composeSettings,
    default: {},
    description: `Deploy a compose file instead of the voting app: ${keyList(composeSettings)}.`,
  },
  imageTag: {
    schema: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be a Docker tag: letters, digits, _ . - (up to 128)"),
    default: "v1",
    description: "Tag of the images built here; a change rolls the services. latest is refused outside the dev stack.",
  },
  registry: {
    schema: z.string().refine((value) => value === "" || isRegistry(value), `must be ${REGISTRY_RULE}, or empty`),
    default: "",
    description: "Registry to push built images to (localhost:5000, registry.example.com); empty keeps them local.",
  },
  registryUsername: { schema: text, default: "", description: "User for the registry (docker login)." },
  // Not declared secret in Pulumi.yaml: a secret key may not have a default there, and this one is optional.
  registryPassword: { schema: text, default: "", description: "Password for the registry; set it with --secret." },
  imageBuilder: {
    schema: z.enum(["BuilderV1", "BuilderBuildKit"], { error: "must be BuilderV1 or BuilderBuildKit" }),
    default: "BuilderBuildKit",
    description:
      "Docker build backend: BuilderBuildKit (Docker's default; leaves no build containers behind) or BuilderV1 (the classic builder, for an engine without BuildKit; it keeps a stopped container per build step).",
  },
  dockerHost: {
    schema: z
      .string()
      .refine(
        (value) => parseDockerHost(value) !== undefined,
        "must be a Docker host URL: unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host (as DOCKER_HOST)",
      )
      .refine(
        (value) => parseDockerHost(value)?.password === "",
        "must not hold a password (DOCKER_HOST takes none, and it would sit in plain text in the stage file): ssh:// logs in with a key (ssh-agent or ~/.ssh/config), tcp:// with TLS certificates; write ssh://user@host",
      ),
    default: "unix:///var/run/docker.sock",
    description:
      "Docker engine that runs the app (target docker) or is the swarm's manager (target swarm), and builds the images (every target), as DOCKER_HOST.",
  },
  // A secret key, as secrets: set in plain text outside dev, it is refused (stackStages.plainText).
  dockerTls: {
    schema: settingsObject({
      caCert: text.meta({
        description: "ca.pem",
        value: "PEM text of a CA certificate, set with `--secret`",
        unset: "none: no TLS",
        does: "the CA that signed the engine's server certificate (dockerd's `--tlscacert`); the engine's certificate must name the dockerHost's host",
      }),
      clientCert: text.meta({
        description: "cert.pem",
        value: "PEM text of a certificate, set with `--secret`",
        unset: "none: no TLS",
        does: "the client certificate dockyard presents; signed by a CA the engine trusts",
      }),
      clientKey: text.meta({
        description: "key.pem",
        value: "PEM text of a private key (no passphrase), set with `--secret` (outside dev only so)",
        unset: "none: no TLS",
        does: "the client certificate's private key; it leaves the program only as a secret",
      }),
    }).partial(),
    default: {},
    secret: true,
    description: `TLS material for a tcp:// dockerHost, as PEM text (as DOCKER_CERT_PATH holds it, docker --tlsverify): caCert, clientCert and clientKey, all three, each set with pulumi config set --secret --path dockerTls.<key> -- "$(cat <file>)". Outside the dev stack a tcp:// engine needs it, on its TLS port (${DOCKER_TLS_PORT}; 2375 is refused).`,
  },
  // A secret key, as dockerTls: its privateKey set in plain text outside dev is refused (refusePlainDockerSsh).
  dockerSsh: {
    schema: settingsObject({
      privateKey: text.meta({
        description: "~/.ssh/id_ed25519",
        value: "an SSH private key without a passphrase (OpenSSH's format or PEM), set with `--secret` (outside dev only so)",
        unset: "none: the user's own ssh setup (ssh-agent, ~/.ssh/config), as the docker CLI's",
        does: "the key dockyard logs in to the engine's machine with (ssh -i, IdentitiesOnly=yes); it leaves the program only as a private file (0600), never in the state",
      }),
      knownHosts: text.meta({
        description: "known_hosts",
        value: "known_hosts line(s), as `ssh-keyscan` prints them",
        unset: "none: ~/.ssh/known_hosts",
        does: "the engine machine's host key(s), pinned: ssh logs in only where one of them answers (StrictHostKeyChecking=yes); a line must name the dockerHost's host",
      }),
    }).partial(),
    default: {},
    secret: true,
    description:
      'SSH login for an ssh:// dockerHost (docker over ssh: the engine\'s machine runs docker system dial-stdio): privateKey and knownHosts together, privateKey set with pulumi config set --secret --path dockerSsh.privateKey -- "$(cat <key file>)", knownHosts with pulumi config set --path dockerSsh.knownHosts -- "$(ssh-keyscan -t ed25519 <host>)". Unset, ssh uses your own setup (ssh-agent, ~/.ssh/config, ~/.ssh/known_hosts).',
  },
  bindAddress: {
    schema: z.string().refine((value) => parseAddress(value) !== undefined, "must be an IPv4 address such as 127.0.0.1 or 0.0.0.0"),
    default: "127.0.0.1",
    description:
      "Host IP that published ports bind to; 0.0.0.0 exposes them on every interface. A swarm publishes on every interface of its nodes, so on swarm only 0.0.0.0 is allowed.",
    target: ["docker", "swarm"],
  },
  allowPublicSubnets: {
    schema: flag,
    default: false,
    description: "Allow subnets outside 10/8, 172.16/12 and 192.168/16.",
    target: ["docker", "swarm"],
  },
  kubeconfig: {
    schema: text,
    default: "",
    description: "Path to a kubeconfig; empty uses KUBECONFIG or ~/.kube/config.",
    target: "kubernetes",
  },
  kubeContext: {
    schema: text,
    default: "",
    description: "Context in the kubeconfig; empty uses its current context.",
    target: "kubernetes",
  },
  namespace: { schema: text, default: "", description: "Namespace for the app; empty uses the stack name.", target: "kubernetes" },
  serviceType: {
    schema: z.enum(["ClusterIP", "NodePort", "LoadBalancer"], { error: "must be ClusterIP, NodePort or LoadBalancer" }),
    default: "ClusterIP",
    description: "Service type of the published services: ClusterIP, NodePort or LoadBalancer.",
    target: "kubernetes",
  },
  storageClass: {
    // A Kubernetes object name (an RFC 1123 subdomain), as the API server takes it.
    schema: z
      .string()
      .regex(
        /^$|^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
        "must be a StorageClass name: lowercase letters, digits, - and ., each dot-separated part starting and ending with a letter or digit, up to 253 characters; or empty for the cluster default",
      ),
    default: "",
    description: "StorageClass of the data volumes; empty uses the cluster default.",
    target: "kubernetes",
  },
  podSecurity: {
    schema: z.enum(["restricted", "baseline", "privileged"], { error: "must be restricted, baseline or privileged" }),
    default: "restricted",
    description:
      "Pod Security Standard the namespace enforces (its pod-security.kubernetes.io labels): restricted; baseline or privileged admit less confined pods, with a warning.",
    target: "kubernetes",
  },
  rolloutTimeout: {
    schema: whole("must be a whole number of seconds from 10 to 86400", 10, 86400),
    default: 600,
    description:
      "Seconds a rollout may take (a Deployment's progressDeadlineSeconds; a swarm service's convergeConfig timeout): past it pulumi up fails, the old pods or tasks still serving.",
    target: ["kubernetes", "swarm"],
  },
  swarmEndpointMode: {
    schema: z.enum(["dnsrr", "vip"], { error: "must be dnsrr or vip" }),
    default: "dnsrr",
    description:
      "How a swarm service is reached: dnsrr (its name resolves to its tasks; published ports in host mode, on the node that runs the task) or vip (a virtual IP and the ingress routing mesh; needs IPVS on every node).",
    target: "swarm",
  },
  swarmNodes: {
    schema: whole("must be a whole number from 1 to 1000", 1, 1000),
    default: 1,
    description:
      "Nodes of the swarm that run the app's tasks. With dnsrr, a service that publishes a port runs one task per node, so at most this many replicas. Above 1, built images need `registry`.",
    target: "swarm",
  },
  swarmDataNode: {
    schema: z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^$/, "must be a node's hostname, or empty"),
    default: "",
    description:
      "Hostname of the swarm node that holds the data volumes; single-writer services are pinned to it. Empty pins them to the manager (one node on a swarm with one manager).",
    target: "swarm",
  },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;
type Values = { [K in ConfigKey]: z.output<(typeof CONFIG_KEYS)[K]["schema"]> };
export type ServiceSettings = z.output<typeof SERVICE_SETTINGS>;
export type NetworkSettings = z.output<typeof NETWORK_SETTINGS>;
export type VolumeSettings = z.output<typeof VOLUME_SETTINGS>;

/** The stack's configuration, every key validated and defaulted. */
export type StackConfig = Omit<
  Values,
  "secrets" | "registry" | "registryUsername" | "registryPassword" | "namespace" | "dockerTls" | "dockerSsh"
> & {
  stack: string;
  /**
   * The keys set to something other than their default, for the targets' capability warnings (the
   * engine passes Pulumi.yaml's defaults to the program as if they were set).
   */
  given: ConfigKey[];
  /** App secret values by name. */
  secrets: Record<string, SecretText>;
  registry?: { server: string; username: string; password: pulumi.Output<string> };
  /** The engine's TLS material (dockyard:dockerTls), PEM text, checked; the key leaves only as a secret. @default - none: no TLS */
  dockerTls?: DockerTls;
  /** The login to an ssh:// engine (dockyard:dockerSsh), checked; the key leaves only as a private file. @default - none: the user's own ssh setup */
  dockerSsh?: DockerSsh;
  /** The namespace on a cluster: the key, or the stack name when it is empty. */
  namespace: string;
  /** Names a key (and a path inside it) in messages as the user wrote it: `dockyard:services.vote` in a stack's config. */
  keyPath: KeyNamer;
};

/**
 * A secret value: its text leaves only as a secret Output; printed, it shows as [secret]. A stack's
 * config gives text; a component's caller may give an Output (a config secret of its own), whose
 * text is not known while the program is constructed, so its length is not checked.
 */
export class SecretText {
  readonly #text: pulumi.Input<string>;
  constructor(text: pulumi.Input<string>) {
    this.#text = text;
  }
  /** The length of known text; undefined for an Output. */
  get length(): number | undefined {
    return typeof this.#text === "string" ? this.#text.length : undefined;
  }
  /** Only whitespace (or nothing); false for an Output. */
  get blank(): boolean {
    return typeof this.#text === "string" && this.#text.trim() === "";
  }
  output(): pulumi.Output<string> {
    return pulumi.secret(this.#text);
  }
  /** The text when it is known (undefined for an Output), for what hands it on privately itself: the CLI's DOCKER_CERT_PATH files. */
  known(): string | undefined {
    return typeof this.#text === "string" ? this.#text : undefined;
  }
  /**
   * 12 hex digits that change when the value does, for a name that must (a swarm secret cannot be
   * changed in place). Derived with scrypt and the salt, so a name shown by `docker secret ls` does
   * not make guessing the value cheap. An Output gives an Output.
   */
  fingerprint(salt: string): pulumi.Input<string> {
    const digits = (text: string) => scryptSync(text, salt, 6).toString("hex");
    return typeof this.#text === "string" ? digits(this.#text) : pulumi.output(this.#text).apply(digits);
  }
  toJSON(): string {
    return "[secret]";
  }
}

/** A Docker engine's TLS material: the CA and client certificates (public) and the client's key (a secret). */
export interface DockerTls {
  caCert: string;
  clientCert: string;
  clientKey: SecretText;
}

/** The login to an ssh:// engine: the private key (a secret) and the known_hosts text pinning the engine host's key (public). */
export interface DockerSsh {
  privateKey: SecretText;
  knownHosts: string;
}

/** Raw value of a key as the engine passes it (strings; arrays and maps as JSON). */
export type RawConfig = (key: string) => string | undefined;

const pulumiRaw: RawConfig = (key) => pulumi.runtime.getConfig(`${pulumi.getProject()}:${key}`);

/** The keys the stack sets in this project's namespace ("imageTag" for dockyard:imageTag). */
const pulumiKeys = (): string[] => {
  const prefix = `${pulumi.getProject()}:`;
  return Object.keys(pulumi.runtime.allConfig())
    .filter((key) => key.startsWith(prefix))
    .map((key) => key.slice(prefix.length));
};

/** Keys of the flat config before the per-name maps, and where each setting lives now. */
const MOVED: Record<string, string> = {
  votePort: "services.vote.ports.http",
  resultPort: "services.result.ports.http",
  voteReplicas: "services.vote.replicas",
  resultReplicas: "services.result.replicas",
  workerReplicas: "services.worker.replicas",
  limits: "services.<name>.limits.cpus and .memory",
  autoscaling: "services.<name>.autoscaling",
  optionA: "app.optionA",
  optionB: "app.optionB",
  pythonImage: "buildArgs.PYTHON_IMAGE",
  nodeImage: "buildArgs.NODE_IMAGE",
  redisImage: "services.redis.image",
  postgresImage: "services.db.image",
  voteImage: "services.vote.image",
  resultImage: "services.result.image",
  workerImage: "services.worker.image",
  frontendSubnet: "networks.frontend.subnet",
  backendSubnet: "networks.backend.subnet",
  retainData: "volumes.<name>.retain",
  postgresPassword: "secrets.db-password",
  dbStorageSize: "volumes.db-data.size",
};

/**
 * A key the program does not read would be ignored without a word (a typo, or a key of the flat
 * config before the per-name maps): refused, naming where its setting lives now, or the keys there are.
 */
function checkKnownKeys(keys: string[], keyPath: KeyNamer): void {
  for (const key of [...keys].sort()) {
    if (Object.hasOwn(CONFIG_KEYS, key)) continue;
    if (Object.hasOwn(MOVED, key)) {
      throw new InputError(
        `${keyPath(key)} is no longer read: set ${keyPath(MOVED[key])} instead (README, "Upgrading from the flat keys")`,
      );
    }
    throw new InputError(`${keyPath(key)} is not a dockyard key; the keys are: ${Object.keys(CONFIG_KEYS).join(", ")}`);
  }
}

function decode(key: ConfigKey, raw: string | undefined): unknown {
  const spec: KeySpec = CONFIG_KEYS[key];
  if (raw === undefined) return spec.default;
  switch (typeof spec.default) {
    case "boolean":
      return raw === "true" ? true : raw === "false" ? false : raw;
    case "object":
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    default:
      return spec.secret ? JSON.parse(raw) : raw;
  }
}

/** The path of the first own key "__proto__" in a decoded value (JSON.parse keeps it as a key; an object built from it would not). */
function prototypeKey(value: unknown, path: string[]): string[] | undefined {
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key === "__proto__") return [...path, key];
    const found = prototypeKey(item, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The value at a path of a decoded key, for messages. */
function at(value: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, part) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[part] : undefined),
    value,
  );
}

/** Names a setting in messages: a key and a path inside it. */
export type KeyNamer = (key: string, path?: PropertyKey[]) => string;

/** "dockyard:services.vote.replicas" from a key and a path inside it: a stack config key. */
export const keyPath: KeyNamer = (key, path = []) => ["dockyard:" + key, ...path.map(String)].join(".");

function shown(key: ConfigKey, value: unknown): string {
  if (key === "secrets" || key === "registryPassword" || key === "dockerTls" || key === "dockerSsh") return "[secret]";
  return typeof value === "string" ? JSON.stringify(withoutPassword(value)) : JSON.stringify(value);
}

/**
 * Reads and validates the stack's configuration. Throws InputError naming the first bad key, as
 * `name` names it (a component's arguments are named as its arguments, not as config keys).
 */
export function loadConfig(
  raw: RawConfig = pulumiRaw,
  stack: string = pulumi.getStack(),
  keys: string[] = pulumiKeys(),
  name: KeyNamer = keyPath,
): StackConfig {
  const keyPath = name;
  checkKnownKeys(keys, keyPath);
  const values: Record<string, unknown> = {};
  const given: ConfigKey[] = [];
  for (const key of Object.keys(CONFIG_KEYS) as ConfigKey[]) {
    const text = raw(key);
    let value: unknown;
    try {
      value = decode(key, text);
    } catch {
      throw new InputError(`${keyPath(key)} must be a map of secret values by name, got [secret]`);
    }
    const reserved = prototypeKey(value, []);
    if (reserved !== undefined) {
      throw new InputError(
        `${keyPath(key, reserved)} cannot be a name here: "__proto__" names every object's prototype, so the setting would be lost; rename it`,
      );
    }
    const parsed = CONFIG_KEYS[key].schema.safeParse(value);
    if (!parsed.success) throw new InputError(issueMessage(key, value, firstIssue(parsed.error.issues), keyPath));
    values[key] = parsed.data;
    if (text !== undefined && JSON.stringify(parsed.data) !== JSON.stringify(CONFIG_KEYS[key].default)) given.push(key);
  }
  const c = values as Values;
  checkOtherTargetKeys(given, c.target, keyPath);
  checkRegistry(c, keyPath);
  const namespace = c.namespace === "" ? stack : c.namespace;
  // The namespace matters on a cluster only, but an explicit one is checked on any target.
  if (c.target === "kubernetes" || c.namespace !== "") {
    validateNamespace(namespace, { fromStack: c.namespace === "", onCluster: c.target === "kubernetes" }, keyPath);
  }
  if (c.imageTag === "latest" && stack !== "dev") {
    throw new InputError(
      `${keyPath("imageTag")} "latest" is allowed only in the dev stack (stack is "${stack}"): pin a version tag so a deploy is repeatable`,
    );
  }
  // The registry credentials, the secret values and the engine's client keys leave only as secrets (registry, secrets, dockerTls, dockerSsh).
  const { registryUsername, registryPassword, secrets, dockerTls: tlsGiven, dockerSsh: sshGiven, ...rest } = c;
  // The SSH login first: set for a tcp:// engine, it says more than that engine's want of TLS material.
  const ssh = checkDockerSsh(c.dockerHost, sshGiven, keyPath);
  const tls = checkDockerTls(c.dockerHost, tlsGiven, stack, keyPath);
  return {
    ...rest,
    stack,
    given,
    secrets: Object.fromEntries(Object.entries(secrets).map(([name, value]) => [name, new SecretText(value)])),
    registry: c.registry === "" ? undefined : { server: c.registry, username: registryUsername, password: pulumi.secret(registryPassword) },
    ...(tls === undefined
      ? {}
      : { dockerTls: { caCert: tls.caCert, clientCert: tls.clientCert, clientKey: new SecretText(tls.clientKey) } }),
    ...(ssh === undefined ? {} : { dockerSsh: { privateKey: new SecretText(ssh.privateKey), knownHosts: ssh.knownHosts } }),
    namespace,
    keyPath,
  };
}

/** The targets a config key means something on: every target for a key without one. */
export function keyTargets(key: ConfigKey): readonly Target[] {
  const spec: KeySpec = CONFIG_KEYS[key];
  if (spec.target === undefined) return CONFIG_KEYS.target.schema.options;
  return typeof spec.target === "string" ? [spec.target] : spec.target;
}

/** "applies to target kubernetes only": what a key of some targets is for, as refusals and docs say it. */
export function appliesOnly(key: ConfigKey): string {
  const targets = keyTargets(key);
  return `applies to ${targets.length > 1 ? "targets" : "target"} ${targets.join(" and ")} only`;
}

/**
 * A key of another target (a namespace on a Docker stage) is refused: it says the user expects a
 * target the stack does not deploy to, and ignoring it would deploy somewhere else than they meant.
 */
function checkOtherTargetKeys(given: ConfigKey[], target: Target, keyPath: KeyNamer): void {
  const foreign = given.filter((key) => !keyTargets(key).includes(target));
  if (foreign.length === 0) return;
  const lines = foreign.map((key) => `${keyPath(key)} ${appliesOnly(key)}`);
  throw new InputError(
    `${lines.join("; ")}, and ${keyPath("target")} is ${target}: remove ${foreign.length > 1 ? "these keys" : "the key"} from the stack's config, or set ${keyPath("target")} to the target ${foreign.length > 1 ? "they are" : "it is"} for`,
  );
}

/** The issue to report: a misspelt key first, since it explains a "missing" one. */
export function firstIssue(issues: z.core.$ZodIssue[]): z.core.$ZodIssue {
  return issues.find((issue) => issue.code === "unrecognized_keys") ?? issues[0];
}

/** One message for a zod issue, in the user's terms: the key path, what is allowed, the value as typed. */
function issueMessage(key: ConfigKey, value: unknown, issue: z.core.$ZodIssue, keyPath: KeyNamer): string {
  const where = keyPath(key, issue.path);
  if (issue.code === "unrecognized_keys") {
    const unknown = issue.keys.map((name) => JSON.stringify(name)).join(", ");
    return `${where} has unknown ${issue.keys.length > 1 ? "keys" : "key"} ${unknown}; allowed: ${allowedKeys(key, issue.path).join(", ")}`;
  }
  const given = at(value, issue.path);
  return given === undefined ? `${where} is required: it ${issue.message}` : `${where} ${issue.message}, got ${shown(key, given)}`;
}

/**
 * The keys the settings object at a path of a key may have (for "unknown key" messages): the key's
 * schema walked down the path, through maps, optional fields and preprocessing, to the object there.
 */
export function allowedKeys(key: ConfigKey, path: PropertyKey[]): string[] {
  let schema: z.ZodType | undefined = CONFIG_KEYS[key].schema;
  for (const part of path) {
    const { inner } = unwrapped(schema);
    if (inner instanceof z.ZodRecord) schema = inner._zod.def.valueType as z.ZodType;
    else if (inner instanceof z.ZodObject) schema = (inner.shape as Record<string, z.ZodType | undefined>)[String(part)];
    else return [];
    if (schema === undefined) return [];
  }
  const settings = settingsIn(schema);
  return settings === undefined ? [] : Object.keys(settings.shape);
}

function checkRegistry(c: Values, keyPath: KeyNamer): void {
  if (c.registryUsername !== "" && c.registry === "") {
    throw new InputError(
      `${keyPath("registryUsername")} is set ("${c.registryUsername}") but ${keyPath("registry")} is empty: set the registry to push to`,
    );
  }
  // A login needs both. With neither, images are pushed without one: a registry that needs none, or
  // the credentials `docker login` stored where pulumi runs.
  if (c.registryPassword !== "" && c.registryUsername === "") {
    throw new InputError(
      `${keyPath("registryPassword")} is set ([secret]) but ${keyPath("registryUsername")} is empty: set the user to log in as, or unset registryPassword to push without a login`,
    );
  }
  if (c.registryUsername !== "" && c.registryPassword === "") {
    throw new InputError(
      `${keyPath("registryUsername")} is set ("${c.registryUsername}") but ${keyPath("registryPassword")} is empty: pulumi config set --secret registryPassword <password>, or unset registryUsername to push without a login`,
    );
  }
}

/**
 * The namespace rules, in one place for config and the Kubernetes target: an RFC 1123 label (the
 * stack name when dockyard:namespace is empty), and on a cluster not one the cluster creates itself.
 */
export function validateNamespace(namespace: string, how: { fromStack: boolean; onCluster: boolean }, keyPath: KeyNamer): void {
  if (!isNamespaceName(namespace)) {
    throw new InputError(
      how.fromStack
        ? `${keyPath("namespace")} is empty, so the stack name ${JSON.stringify(namespace)} would be the namespace, but a namespace must be ${NAMESPACE_RULE}: set ${keyPath("namespace")}`
        : `${keyPath("namespace")} must be ${NAMESPACE_RULE}, or empty for the stack name, got ${JSON.stringify(namespace)}`,
    );
  }
  if (how.onCluster && (SYSTEM_NAMESPACES as readonly string[]).includes(namespace)) {
    throw new InputError(
      `${keyPath("namespace")} ${JSON.stringify(namespace)} is one the cluster creates itself (${SYSTEM_NAMESPACES.join(", ")}): the stack would create and own it, and delete it on destroy; use a namespace of the app's own, like the stack name`,
    );
  }
}

/** An image reference with a digest, or a tag other than latest after its last slash. */
export function isPinned(ref: string): boolean {
  if (ref.includes("@sha256:")) return true;
  const lastSegment = ref.split("/").pop() as string;
  const colon = lastSegment.lastIndexOf(":");
  return colon >= 0 && colon < lastSegment.length - 1 && lastSegment.slice(colon + 1) !== "latest";
}
