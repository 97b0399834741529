import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ENV_NAME_RULE, isEnvName } from "../env";
import { ValidationError } from "../errors";
import { HealthTimings, healthTimings } from "../health";
import { labelList } from "../docker/labels";
import { Protocol } from "../protocol";
import { normalSecurity, SecurityArgs, validateSecurityArgs } from "../security";
import { sortedKeys } from "../sorted";
import { checkStopGraceSeconds, parseCpus, parseMemory } from "../units";
import { createHash } from "crypto";
import { swarmDuration } from "./duration";
import { formerTypes } from "../token";

/** A port of the service's tasks published on the swarm's nodes. */
export interface ServicePortArgs {
  containerPort: number;
  publishedPort: number;
  /** @default "tcp" */
  protocol?: Protocol;
  /**
   * `host`: bound on each node that runs a task (one task per node); `ingress`: on every node, through
   * the routing mesh, which only a `vip` service has.
   * @default - host for endpointMode dnsrr, ingress for vip
   */
  publishMode?: PublishMode;
}

/** Where a published port is bound. */
export const PublishMode = {
  /** On each node that runs a task. */
  Host: "host",
  /** On every node, through the routing mesh (endpointMode vip only). */
  Ingress: "ingress",
} as const;
export type PublishMode = (typeof PublishMode)[keyof typeof PublishMode];

/** A swarm config (`docker config create`) as a read-only file in every task. */
export interface ServiceConfigFileArgs {
  /** The swarm config's id (docker.ServiceConfig's id). */
  configId: pulumi.Input<string>;
  /** The swarm config's name. */
  configName: pulumi.Input<string>;
  /** Absolute path of the file in the container. */
  fileName: string;
  /** Numeric owner. @default "0" */
  uid?: string;
  /** Numeric group. @default "0" */
  gid?: string;
  /** Permission bits. @default 0o444 */
  mode?: number;
}

/** A swarm secret mounted as a file in every task. */
export interface ServiceSecretArgs {
  secretId: pulumi.Input<string>;
  secretName: pulumi.Input<string>;
  /** File name under /run/secrets. */
  fileName: string;
}

export interface ServiceMountArgs {
  /** A named volume on the node that runs the task. */
  volumeName: pulumi.Input<string>;
  containerPath: string;
  /** @default false */
  readOnly?: boolean;
}

export interface ServiceNetworkArgs {
  /** The network's id (its name would make the provider replace the service on every update). */
  id: pulumi.Input<string>;
  /** Names the service is reached by on this network, besides its own. @default [] */
  aliases?: string[];
}

export interface ServiceHealthArgs extends HealthTimings {
  /** Command run in the task's container; exit 0 means healthy. */
  command: string[];
}

/** The order an update or a rollback replaces a task in. */
export const UpdateOrder = {
  /** Start the new task, then stop the old one once the new one runs (and is healthy): no gap. */
  StartFirst: "start-first",
  /** Stop the old task first: when both cannot run at once (one volume, one host port). */
  StopFirst: "stop-first",
} as const;
export type UpdateOrder = (typeof UpdateOrder)[keyof typeof UpdateOrder];

/** What a failed update does. */
export const UpdateFailureAction = {
  /** Roll the service back to its previous spec. */
  Rollback: "rollback",
  /** Stop updating; the tasks already updated stay. */
  Pause: "pause",
  /** Go on with the next batch. */
  Continue: "continue",
} as const;
export type UpdateFailureAction = (typeof UpdateFailureAction)[keyof typeof UpdateFailureAction];

/** What a failed rollback does. */
export const RollbackFailureAction = {
  /** Stop rolling back. */
  Pause: "pause",
  /** Go on with the next batch. */
  Continue: "continue",
} as const;
export type RollbackFailureAction = (typeof RollbackFailureAction)[keyof typeof RollbackFailureAction];

/** When the swarm starts a task again after it stopped. */
export const RestartCondition = {
  /** Whatever the exit. */
  Any: "any",
  /** Only after a non-zero exit. */
  OnFailure: "on-failure",
  /** Never. */
  None: "none",
} as const;
export type RestartCondition = (typeof RestartCondition)[keyof typeof RestartCondition];

/** How a service's name resolves and its ports are published. */
export const EndpointMode = {
  /** To its tasks' addresses; ports published in host mode, on the node that runs a task. */
  Dnsrr: "dnsrr",
  /** To one virtual address balanced by IPVS; ports go through the ingress routing mesh (every node). */
  Vip: "vip",
} as const;
export type EndpointMode = (typeof EndpointMode)[keyof typeof EndpointMode];

/** How an update replaces tasks, besides its order and monitor time (`updateOrder`, `monitorSeconds`). */
export interface ServiceUpdateArgs {
  /** Tasks replaced at a time; 0 replaces all at once. @default 1 */
  parallelism?: number;
  /** Seconds between one batch and the next. @default 0 */
  delaySeconds?: number;
  /** Share of tasks (0 to 1, in tenths: the engine keeps one decimal) that may fail before failureAction. @default 0 */
  maxFailureRatio?: number;
  /** What a failed update does. @default "rollback" */
  failureAction?: UpdateFailureAction;
}

/** How a rollback replaces tasks; every field left out is the update's. */
export interface ServiceRollbackArgs {
  /** @default - the update's parallelism */
  parallelism?: number;
  /** @default - the update's delaySeconds */
  delaySeconds?: number;
  /** @default - updateOrder */
  order?: UpdateOrder;
  /** @default - monitorSeconds */
  monitorSeconds?: number;
  /** @default - the update's maxFailureRatio */
  maxFailureRatio?: number;
  /** What a failed rollback does. @default "pause" */
  failureAction?: RollbackFailureAction;
}

/** When the swarm starts a task again after it stopped. */
export interface ServiceRestartArgs {
  /** @default "any" */
  condition?: RestartCondition;
  /** Seconds between the stop and the new task. @default 5 */
  delaySeconds?: number;
  /** Restarts before giving up; 0 for no limit. @default 0 */
  maxAttempts?: number;
  /** Seconds over which maxAttempts is counted; 0 counts every one. @default 0 */
  windowSeconds?: number;
}

export interface SwarmServiceArgs {
  /** The swarm service's name (`docker service create --name`). */
  name: string;
  /** Image reference the tasks run. */
  image: pulumi.Input<string>;
  /** Replaces the image's ENTRYPOINT. @default - the image's */
  entrypoint?: string[];
  /** Replaces the image's CMD. @default - the image's */
  command?: string[];
  /** @default {} */
  env?: Record<string, string>;
  /** @default [] */
  secrets?: ServiceSecretArgs[];
  /** Files that are not secret (compose `configs`), from swarm configs. @default [] */
  configs?: ServiceConfigFileArgs[];
  /** Ports published on the nodes. @default [] - reachable on the service's networks only */
  ports?: ServicePortArgs[];
  /**
   * `dnsrr`: the service's name resolves to its tasks' addresses, and ports are published in host
   * mode (on the node that runs a task). `vip`: the name resolves to one virtual address balanced by
   * IPVS, and ports go through the ingress routing mesh (every node); both need IPVS on the nodes.
   * @default "dnsrr"
   */
  endpointMode?: EndpointMode;
  /** @default [] */
  mounts?: ServiceMountArgs[];
  /** @default [] */
  networks?: ServiceNetworkArgs[];
  /** @default - the image's user */
  user?: string;
  /**
   * Capabilities, a read-only root filesystem and tmpfs paths of each task. `noNewPrivileges` is
   * refused: a swarm service's spec (as the Docker provider writes it) cannot say it.
   * @default - the engine's defaults
   */
  security?: SecurityArgs;
  /** Seconds a task has to exit after its stop signal before it is killed. @default 10 (Docker's) */
  stopGracePeriodSeconds?: number;
  /** @default - the image's HEALTHCHECK */
  health?: ServiceHealthArgs;
  /** CPU limit of each task. @default - unlimited */
  cpus?: number;
  /** Memory limit of each task ("128m"). @default - unlimited */
  memory?: string;
  /** CPUs reserved for each task on its node (the scheduler's guarantee). @default - none */
  reserveCpus?: number;
  /** Memory reserved for each task on its node. @default - none */
  reserveMemory?: string;
  /** @default 1 */
  replicas?: number;
  /** Placement constraints (`node.role == manager`). @default [] */
  constraints?: string[];
  /** At most this many tasks per node. @default 0 - unlimited */
  maxReplicasPerNode?: number;
  /**
   * How an update replaces a task: `start-first` starts the new one and stops the old one once the new
   * one is running (and healthy): no gap; `stop-first` stops the old one first: needed when both
   * cannot run at once (one volume, one host port). A rollback uses the same order.
   * @default "stop-first"
   */
  updateOrder?: UpdateOrder;
  /** Seconds each updated task is watched for failure before the next. @default 5 */
  monitorSeconds?: number;
  /** The rest of an update's strategy. @default - one task at a time, no delay, no failure tolerated, rolled back */
  update?: ServiceUpdateArgs;
  /** A rollback's strategy. @default - the update's, failureAction "pause" */
  rollback?: ServiceRollbackArgs;
  /** @default - restarted whatever the exit, after 5 s, for ever (as `restart: unless-stopped` on Docker) */
  restart?: ServiceRestartArgs;
  /**
   * Seconds `pulumi up` waits for every task to run (and pass its health check) after a create or an
   * update; a failed update is rolled back by the swarm and the up fails.
   */
  convergeTimeoutSeconds: number;
  /** Labels of the service and of its tasks' containers. @default {} */
  labels?: Record<string, string>;
  /**
   * A value that rolls the tasks when it changes, even if nothing else did: the built image's id when
   * the tasks run it by its tag. Passed as the task spec's forceUpdate counter (a number derived from
   * it), not as a label: a change of the containers' labels makes the provider replace the service,
   * and a replacement is a delete and a create, with no rolling update and no rollback.
   * @default - none (forceUpdate 0)
   */
  revision?: pulumi.Input<string>;
}

/** Docker's rule for service names: letters, digits and dashes, not starting or ending with a dash, up to 63. */
export const SWARM_SERVICE_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

/** Everything that can be checked before the engine sees it; throws ValidationError. */
export function validateSwarmServiceArgs(name: string, args: SwarmServiceArgs): void {
  const fail = (message: string): never => {
    throw new ValidationError(`Service "${name}": ${message}`);
  };
  if (!SWARM_SERVICE_NAME.test(args.name)) {
    fail(`name must be 1-63 letters, digits and dashes, not starting or ending with a dash, got ${JSON.stringify(args.name)}`);
  }
  if (args.security !== undefined) {
    validateSecurityArgs(`Service "${name}"`, args.security);
    if (args.security.noNewPrivileges) {
      fail("security.noNewPrivileges cannot be set on a swarm service: its spec, as the Docker provider writes it, has no such field");
    }
  }
  if (args.stopGracePeriodSeconds !== undefined)
    checkStopGraceSeconds(args.stopGracePeriodSeconds, `Service "${name}": stopGracePeriodSeconds`);
  if (args.cpus !== undefined) parseCpus(args.cpus, `Service "${name}": cpus`);
  if (args.reserveCpus !== undefined) parseCpus(args.reserveCpus, `Service "${name}": reserveCpus`);
  if (args.memory !== undefined) parseMemory(args.memory, `Service "${name}": memory`);
  if (args.reserveMemory !== undefined) parseMemory(args.reserveMemory, `Service "${name}": reserveMemory`);
  const replicas = args.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 0) fail(`replicas must be a whole number of 0 or more, got ${replicas}`);
  const seen = new Set<string>();
  for (const port of args.ports ?? []) {
    for (const [field, value] of [
      ["containerPort", port.containerPort],
      ["publishedPort", port.publishedPort],
    ] as const) {
      if (!Number.isInteger(value) || value < 1 || value > 65535) fail(`${field} must be 1-65535, got ${value}`);
    }
    const key = `${port.publishedPort}/${port.protocol ?? "tcp"}`;
    if (seen.has(key)) fail(`port ${key} is published twice`);
    if (port.publishMode !== undefined && port.publishMode !== "host" && port.publishMode !== "ingress") {
      fail(`port ${key} publishMode must be host or ingress, got ${JSON.stringify(port.publishMode)}`);
    }
    if (port.publishMode === "ingress" && (args.endpointMode ?? "dnsrr") === "dnsrr") {
      fail(
        `port ${key} publishMode ingress needs endpointMode vip (a dnsrr service has no virtual IP for the routing mesh), got endpointMode dnsrr`,
      );
    }
    seen.add(key);
  }
  for (const mount of args.mounts ?? []) {
    if (!mount.containerPath.startsWith("/")) fail(`containerPath must be absolute, got ${JSON.stringify(mount.containerPath)}`);
  }
  const files = new Set<string>();
  for (const secret of args.secrets ?? []) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(secret.fileName)) {
      fail(`secret fileName must be a file name under /run/secrets (letters, digits, _ . -), got ${JSON.stringify(secret.fileName)}`);
    }
    if (files.has(secret.fileName)) fail(`secret file ${secret.fileName} is given twice`);
    files.add(secret.fileName);
  }
  for (const config of args.configs ?? []) {
    if (!config.fileName.startsWith("/") || config.fileName.endsWith("/")) {
      fail(`config fileName must be an absolute file path, got ${JSON.stringify(config.fileName)}`);
    }
    if (files.has(config.fileName)) fail(`config file ${config.fileName} is given twice`);
    files.add(config.fileName);
  }
  if (args.health && args.health.command.length === 0) fail("health.command must not be empty");
  for (const variable of sortedKeys(args.env)) {
    if (!isEnvName(variable)) fail(`env name must be ${ENV_NAME_RULE}, got ${JSON.stringify(variable)}`);
  }
  const whole = (field: string, value: number | undefined) => {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) fail(`${field} must be a whole number of 0 or more, got ${value}`);
  };
  const oneOf = (field: string, value: string | undefined, allowed: string[]) => {
    if (value !== undefined && !allowed.includes(value))
      fail(`${field} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  };
  whole("monitorSeconds", args.monitorSeconds);
  oneOf("updateOrder", args.updateOrder, ["start-first", "stop-first"]);
  for (const [part, strategy, actions] of [
    ["update", args.update, ["rollback", "pause", "continue"]],
    ["rollback", args.rollback, ["pause", "continue"]],
  ] as const) {
    if (strategy === undefined) continue;
    whole(`${part}.parallelism`, strategy.parallelism);
    whole(`${part}.delaySeconds`, strategy.delaySeconds);
    const ratio = strategy.maxFailureRatio;
    if (ratio !== undefined && !(ratio >= 0 && ratio <= 1 && Math.abs(ratio * 10 - Math.round(ratio * 10)) < 1e-9)) {
      fail(`${part}.maxFailureRatio must be from 0 to 1 in tenths (the engine keeps one decimal), got ${ratio}`);
    }
    oneOf(`${part}.failureAction`, strategy.failureAction, [...actions]);
  }
  whole("rollback.monitorSeconds", args.rollback?.monitorSeconds);
  oneOf("rollback.order", args.rollback?.order, ["start-first", "stop-first"]);
  if (args.restart !== undefined) {
    oneOf("restart.condition", args.restart.condition, ["any", "on-failure", "none"]);
    whole("restart.delaySeconds", args.restart.delaySeconds);
    whole("restart.maxAttempts", args.restart.maxAttempts);
    whole("restart.windowSeconds", args.restart.windowSeconds);
  }
  whole("maxReplicasPerNode", args.maxReplicasPerNode);
  if (!Number.isInteger(args.convergeTimeoutSeconds) || args.convergeTimeoutSeconds < 1) {
    fail(`convergeTimeoutSeconds must be a whole number of 1 or more, got ${args.convergeTimeoutSeconds}`);
  }
}

/**
 * One swarm service (`docker service create`): replicas, limits and reservations in the units people
 * type, a health check that gates updates, rolling updates that roll back by themselves, and a
 * `pulumi up` that returns only once the tasks run (convergeConfig).
 */
export class SwarmService extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;
  public readonly serviceId: pulumi.Output<string>;

  constructor(name: string, args: SwarmServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated before anything, the component itself included, is registered.
    validateSwarmServiceArgs(name, args);
    super("dockyard:index:SwarmService", name, {}, formerTypes(opts, "dockyard:swarm:Service"));

    const health = args.health;
    const timings = health && healthTimings(health);
    const order = args.updateOrder ?? "stop-first";
    const monitorSeconds = args.monitorSeconds ?? 5;
    // Every field the engine reads back is given, written as it reads it back ("5s", "0.2"), so a
    // second preview shows no difference.
    const ratio = (value: number) => value.toFixed(1);
    const update = args.update ?? {};
    const parallelism = update.parallelism ?? 1;
    const delaySeconds = update.delaySeconds ?? 0;
    const maxFailureRatio = update.maxFailureRatio ?? 0;
    const back = args.rollback ?? {};
    const restart = args.restart ?? {};
    const nano = (cpus: number) => parseCpus(cpus) * 1_000_000;
    const labels = labelList(args.labels);
    const security = normalSecurity(args.security ?? {});

    const service = new docker.Service(
      name,
      {
        name: args.name,
        labels,
        mode: { replicated: { replicas: args.replicas ?? 1 } },
        taskSpec: {
          containerSpec: {
            image: args.image,
            commands: args.entrypoint,
            args: args.command,
            env: args.env,
            user: args.user,
            // Always given (Docker's default, 10 s, when left out): with it the provider's delete waits
            // until the tasks' containers are gone (without it, destroy returns while they still stop,
            // holding the networks). An image whose process ignores SIGTERM is killed after it, and the
            // delete then fails once (the wait ends with it); a second destroy finishes.
            stopGracePeriod: swarmDuration(args.stopGracePeriodSeconds ?? 10),
            labels,
            mounts: [
              ...(args.mounts ?? []).map((mount) => ({
                type: "volume",
                source: mount.volumeName,
                target: mount.containerPath,
                readOnly: mount.readOnly ?? false,
              })),
              // Writable by anyone, sticky (1777), as Docker's --tmpfs: the task's user may be any. That is
              // the kernel's default for a tmpfs, so no mode is sent: the provider reads a mode back
              // without its sticky bit (1777 as 777), and a refresh would then see every such service
              // changed (`dockyard drift`) and have `dockyard up` roll its tasks for nothing.
              ...security.tmpfs.map((path) => ({
                type: "tmpfs",
                target: path,
                tmpfsOptions: { sizeBytes: 64 * 1024 * 1024 },
              })),
            ],
            ...(security.capDrop.length > 0 ? { capDrops: security.capDrop } : {}),
            ...(security.capAdd.length > 0 ? { capAdds: security.capAdd } : {}),
            ...(security.readOnlyRootFilesystem ? { readOnly: true } : {}),
            secrets: (args.secrets ?? []).map((secret) => ({
              secretId: secret.secretId,
              secretName: secret.secretName,
              fileName: secret.fileName,
              fileUid: "0",
              fileGid: "0",
              fileMode: 0o444,
            })),
            ...(args.configs?.length
              ? {
                  configs: args.configs.map((config) => ({
                    configId: config.configId,
                    configName: config.configName,
                    fileName: config.fileName,
                    fileUid: config.uid ?? "0",
                    fileGid: config.gid ?? "0",
                    fileMode: config.mode ?? 0o444,
                  })),
                }
              : {}),
            healthcheck: timings && {
              tests: ["CMD", ...(health as ServiceHealthArgs).command],
              interval: swarmDuration(timings.intervalSeconds),
              timeout: swarmDuration(timings.timeoutSeconds),
              startPeriod: swarmDuration(timings.startPeriodSeconds),
              retries: timings.retries,
            },
          },
          forceUpdate: args.revision === undefined ? 0 : pulumi.output(args.revision).apply(revisionCounter),
          networksAdvanceds: (args.networks ?? []).map((network) => ({ id: network.id, aliases: network.aliases ?? [] })),
          resources: {
            limits: {
              nanoCpus: args.cpus === undefined ? undefined : nano(args.cpus),
              memoryBytes: args.memory === undefined ? undefined : parseMemory(args.memory),
            },
            reservation: {
              nanoCpus: args.reserveCpus === undefined ? undefined : nano(args.reserveCpus),
              memoryBytes: args.reserveMemory === undefined ? undefined : parseMemory(args.reserveMemory),
            },
          },
          // As `restart: unless-stopped` on Docker: a task that exits is replaced, after 5 s.
          restartPolicy: {
            condition: restart.condition ?? "any",
            delay: swarmDuration(restart.delaySeconds ?? 5),
            maxAttempts: restart.maxAttempts ?? 0,
            window: swarmDuration(restart.windowSeconds ?? 0),
          },
          placement: { constraints: args.constraints ?? [], maxReplicas: args.maxReplicasPerNode ?? 0 },
        },
        endpointSpec: {
          mode: args.endpointMode ?? "dnsrr",
          ports: (args.ports ?? []).map((port) => ({
            targetPort: port.containerPort,
            publishedPort: port.publishedPort,
            protocol: port.protocol ?? "tcp",
            publishMode: port.publishMode ?? ((args.endpointMode ?? "dnsrr") === "dnsrr" ? "host" : "ingress"),
          })),
        },
        updateConfig: {
          parallelism,
          delay: swarmDuration(delaySeconds),
          monitor: swarmDuration(monitorSeconds),
          maxFailureRatio: ratio(maxFailureRatio),
          order,
          failureAction: update.failureAction ?? "rollback",
        },
        rollbackConfig: {
          parallelism: back.parallelism ?? parallelism,
          delay: swarmDuration(back.delaySeconds ?? delaySeconds),
          monitor: swarmDuration(back.monitorSeconds ?? monitorSeconds),
          maxFailureRatio: ratio(back.maxFailureRatio ?? maxFailureRatio),
          order: back.order ?? order,
          failureAction: back.failureAction ?? "pause",
        },
        // Without it the provider returns as soon as the engine accepted the spec, before any task runs.
        convergeConfig: { delay: "1s", timeout: swarmDuration(args.convergeTimeoutSeconds) },
      },
      // The name is fixed, so a replacement (a change of mode) must remove the old service first.
      { parent: this, dependsOn: opts?.dependsOn, deleteBeforeReplace: true },
    );

    this.serviceName = service.name;
    this.serviceId = service.id;
    this.registerOutputs({ serviceName: this.serviceName, serviceId: this.serviceId });
  }
}

/** A revision as the forceUpdate counter: 48 bits of its sha256, a whole number JavaScript holds exactly. */
export function revisionCounter(revision: string): number {
  return Number.parseInt(createHash("sha256").update(revision).digest("hex").slice(0, 12), 16);
}
