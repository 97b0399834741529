/**
 * resolveApp: checks an app model once, in small per-concern checks, and returns a ResolvedApp in
 * which every default is filled in, every unit parsed into a typed value and the start order worked
 * out. The targets plan from a ResolvedApp only: nothing downstream applies a default or parses a
 * unit again. `npm run resolved -- <stack>` prints it.
 */
import { canonicalCidr, contains, containsAddress, overlaps, parseAddress, parseCidr } from "../components/cidr";
import { realpathSync } from "fs";
import { posix } from "path";
import { ENV_NAME_RULE, isEnvName } from "../components/env";
import { healthTimings } from "../components/health";
import { isImageReference, IMAGE_REFERENCE_RULE, withoutPassword } from "../components/registry";
import { normalSecurity, SecurityArgs, securityProblem } from "../components/security";
import { parseCpus, parseMemory, parseStorageSize } from "../components/units";
import { InputError, inModel, isConfigKey, listOr, sortedKeys, Where } from "./errors";
import { commandAdvice, literalSecrets, LiteralSource, refusedLiteral } from "./secrets";
import {
  AppModel,
  Autoscaling,
  ConfigFile,
  ConfigModel,
  DependencyCondition,
  HealthCheck,
  ImageSource,
  NetworkModel,
  Placement,
  Reservations,
  RestartPolicy,
  RollbackFailureAction,
  Rollout,
  SecretModel,
  ServiceModel,
  UpdateOrder,
  VolumeMount,
} from "./model";

/** Storage reserved for a volume when the model gives no size. */
export const DEFAULT_VOLUME_SIZE = "1Gi";

export interface ResolvedPort {
  name: string;
  containerPort: number;
  protocol: "tcp" | "udp";
  publishedPort?: number;
  publishMode?: "host" | "ingress";
  healthOnly: boolean;
}

export type ResolvedHealth = Required<Omit<HealthCheck, "http">> & Pick<HealthCheck, "http">;

export interface ResolvedMount {
  volume?: string;
  hostPath?: string;
  mountPath: string;
  readOnly: boolean;
}

export interface ResolvedLimits {
  cpus: number;
  /** Thousandths of a CPU. */
  millicpus: number;
  /** As written ("128m"), for messages and for the targets' own arguments. */
  memory: string;
  memoryBytes: number;
}

/** A rollout with every default filled in but the order, which is the target's when not given. */
export interface ResolvedRollout {
  parallelism: number;
  delaySeconds: number;
  /** @default - the target's: start-first where two copies can run at once */
  order?: UpdateOrder;
  monitorSeconds: number;
  maxFailureRatio: number;
  failureAction: "rollback" | "pause" | "continue";
  rollback: {
    parallelism: number;
    delaySeconds: number;
    order?: UpdateOrder;
    monitorSeconds: number;
    maxFailureRatio: number;
    failureAction: RollbackFailureAction;
  };
}

/** What a rollout is when the model gives none, and what each field it leaves out is. */
export const ROLLOUT_DEFAULTS = {
  parallelism: 1,
  delaySeconds: 0,
  monitorSeconds: 5,
  maxFailureRatio: 0,
  failureAction: "rollback",
  rollbackFailureAction: "pause",
} as const;

/** Reservations as given, each parsed; a field left out is the target's share of the limit. */
export interface ResolvedReservations {
  cpus?: number;
  /** Thousandths of a CPU. */
  millicpus?: number;
  memory?: string;
  memoryBytes?: number;
}

export interface ResolvedPlacement {
  constraints: string[];
  /** @default - the target's (on swarm: 1 for a single writer or a host-mode port, else no limit) */
  maxReplicasPerNode?: number;
}

export type ResolvedRestart = Required<RestartPolicy>;

/** A restart policy's fields when the model leaves them out: restarted whatever the exit, after 5 s, for ever. */
export const RESTART_DEFAULTS: ResolvedRestart = { condition: "any", delaySeconds: 5, maxAttempts: 0, windowSeconds: 0 };

/** A placement constraint in swarm's grammar, the one every target reads. */
export const CONSTRAINT = /^node\.(id|hostname|role|platform\.os|platform\.arch|labels\.([A-Za-z0-9][A-Za-z0-9._-]*))\s*(==|!=)\s*(\S+)$/;
/**
 * Two constraints of a list that no node meets together: one attribute (a node has one hostname, one
 * role, one value of a label) equal to two values, or equal to and not equal to one value.
 */
export function conflictingConstraints(constraints: readonly string[]): [number, number] | undefined {
  const parsed = constraints.map((constraint) => CONSTRAINT.exec(constraint.trim()));
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      const a = parsed[i];
      const b = parsed[j];
      if (a === null || b === null || a[1] !== b[1]) continue;
      const bothEqual = a[3] === "==" && b[3] === "==" && a[4] !== b[4];
      const equalAndNot = a[3] !== b[3] && a[4] === b[4];
      if (bothEqual || equalAndNot) return [i, j];
    }
  }
  return undefined;
}

export const CONSTRAINT_RULE =
  'node.<attribute> == value or != value, the attribute one of id, hostname, role, platform.os, platform.arch, labels.<name> ("node.role == manager")';

export interface ResolvedService {
  name: string;
  image: ImageSource;
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  secretEnv: Record<string, string>;
  /** Absolute path in the container → app secret. @default - none */
  secretFiles?: Record<string, string>;
  /** Absolute path in the container → app config, owner and mode. @default - none */
  configFiles?: Record<string, ConfigFile>;
  ports: ResolvedPort[];
  networks: string[];
  /** No network at all: no app network, no port. @default - the app networks */
  networkMode?: "none";
  volumes: ResolvedMount[];
  health?: ResolvedHealth;
  dependsOn: Record<string, DependencyCondition>;
  limits: ResolvedLimits;
  replicas: number;
  autoscaling?: Autoscaling;
  singleWriter: boolean;
  user?: string;
  /** Each of these is absent when the model gives none: every target then does what it did before them. */
  rollout?: ResolvedRollout;
  reservations?: ResolvedReservations;
  placement?: ResolvedPlacement;
  restart?: ResolvedRestart;
  /** Every field filled in: the engine's defaults where the model gives none. */
  security: Required<SecurityArgs>;
  stopGracePeriodSeconds?: number;
  endpointMode?: "dnsrr" | "vip";
}

export interface ResolvedNetwork {
  subnet: string;
  gateway?: string;
  ipRange?: string;
  internal: boolean;
}

export interface ResolvedVolume {
  retain: boolean;
  size: string;
  sizeBytes: number;
}

export interface ResolvedApp {
  name: string;
  services: Record<string, ResolvedService>;
  /** Service names, each after everything it depends on (ties by name). */
  order: string[];
  networks: Record<string, ResolvedNetwork>;
  volumes: Record<string, ResolvedVolume>;
  secrets: Record<string, SecretModel>;
  /** The app's configs, when it has any. @default - none */
  configs?: Record<string, ConfigModel>;
}

const NAME = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const NAME_RULE = "lowercase letters, digits and dashes, starting with a letter (a DNS label of up to 32)";

/**
 * Checks the model and fills in its defaults. `where` names a path in messages: the stack config
 * layer passes one that names the config key for the values it set, and the compose file's key for
 * those a compose file gave; `fromConfig` says which values the stack config set.
 */
export function resolveApp(
  app: AppModel,
  where: Where = inModel(app.name),
  fromConfig: (path: string) => boolean = (path) => isConfigKey(where(path)),
): ResolvedApp {
  const fail = (path: string, message: string): never => {
    throw new InputError(`${where(path)} ${message}`);
  };
  if (!NAME.test(app.name)) {
    throw new InputError(`app name must be ${NAME_RULE}, got ${JSON.stringify(app.name)}`);
  }
  const names = sortedKeys(app.services);
  if (names.length === 0) fail("services", "is empty: an app needs at least one service");
  const networks = resolveNetworks(app.networks, fail, fromConfig);
  const volumes = resolveVolumes(app.volumes, where);
  const services: Record<string, ResolvedService> = {};
  for (const name of names) {
    services[name] = resolveService(app, name, app.services[name], where, fail);
  }
  checkVolumeOwners(services, fail);
  // Named by the model's own path: set by neither the stack config nor a source file.
  const asModel = (path: string) => where(path) === inModel(app.name)(path);
  checkPublishedPorts(services, fail, where, fromConfig, asModel);
  checkDependencies(services, fail);
  const configs = Object.keys(app.configs ?? {}).length > 0 ? { configs: { ...app.configs } } : {};
  return { name: app.name, services, order: startOrder(services), networks, volumes, secrets: { ...app.secrets }, ...configs };
}

type Fail = (path: string, message: string) => never;

/** What checkStage reads of a service (a model's, or a resolved one's). */
export type StageChecked = LiteralSource & {
  rollout?: { monitorSeconds?: number };
  singleWriter?: boolean;
  placement?: { constraints?: readonly unknown[] };
};

/** What checkStage reads of the stack config. */
export interface StageSettings {
  stack: string;
  target: string;
  /** Seconds a rollout may take: a Deployment's progress deadline (600, the API's default, when not set). */
  rolloutTimeout: number;
  /** The node swarm pins the single writers to; empty for the manager. @default - not checked */
  swarmDataNode?: string;
  keyPath: (key: string) => string;
}

/** The constraint swarm pins a single writer with: to dockyard:swarmDataNode's node, else to a manager. */
export const swarmPin = (swarmDataNode: string): string =>
  swarmDataNode === "" ? "node.role == manager" : `node.hostname == ${swarmDataNode}`;

/**
 * Refuses a single writer's placement constraint that no node meets together with the pin swarm
 * adds (node-b where dockyard:swarmDataNode is node-a): its task would wait for a node for ever.
 */
export function checkSwarmPin(
  name: string,
  constraints: readonly unknown[],
  swarmDataNode: string,
  where: Where,
  keyPath: (key: string) => string,
): void {
  const pin = swarmPin(swarmDataNode);
  const given = constraints.filter((constraint): constraint is string => typeof constraint === "string");
  const conflict = conflictingConstraints([pin, ...given]);
  if (conflict === undefined || conflict[0] !== 0) return;
  const pinnedBy = swarmDataNode === "" ? `the manager (${keyPath("swarmDataNode")} is empty)` : keyPath("swarmDataNode");
  throw new InputError(
    `${where(`services.${name}.placement.constraints`)} lists "${given[conflict[1] - 1]}", but swarm pins ${name}, a single writer, to ${pinnedBy} with "${pin}": no node meets both, so its task would wait for a node for ever; remove the constraint, or set ${keyPath("swarmDataNode")} to the node it names`,
  );
}

/**
 * The checks of a model that depend on the stage, run when its settings are laid over it
 * (stacks/overrides.ts): outside the dev stack, no secret-looking literal in a service's plain
 * environment, build arguments or commands (stacks/secrets.ts says which); on Kubernetes, no rollout watching a
 * batch as long as the rollout may take (the API refuses a Deployment whose progress deadline is not
 * longer than its minReadySeconds).
 */
export function checkStage(app: { services: Record<string, StageChecked> }, stage: StageSettings, where: Where): void {
  if (stage.stack !== "dev") {
    const [found, ...others] = literalSecrets(app.services);
    if (found !== undefined) {
      const named = where(found.path);
      const set = isConfigKey(named)
        ? "pulumi config set --secret --path secrets.<secret> <value>"
        : "its value set with pulumi config set --secret --path secrets.<secret> <value>";
      const advice =
        found.kind === "env"
          ? `give it as secret env instead (secretEnv: { ${found.name}: "<secret>" }, one of the app's secrets), ${set}`
          : found.kind === "command"
            ? commandAdvice(found, `secret env (secretEnv, one of the app's secrets, ${set})`)
            : `a build argument stays in the image's history (docker history shows it): give the service the credential when it runs instead, as secret env (one of the app's secrets, ${set}), or build the image outside the stack and run it with ${stage.keyPath(`services.${found.service}.image`)}`;
      throw new InputError(
        refusedLiteral(
          named,
          found,
          stage.stack,
          advice,
          others.map((other) => where(other.path)),
        ),
      );
    }
  }
  if (stage.target === "swarm" && stage.swarmDataNode !== undefined) {
    for (const name of sortedKeys(app.services)) {
      const service = app.services[name];
      if (service.singleWriter === true)
        checkSwarmPin(name, service.placement?.constraints ?? [], stage.swarmDataNode, where, stage.keyPath);
    }
  }
  if (stage.target === "kubernetes") {
    for (const name of sortedKeys(app.services)) {
      const monitor = app.services[name].rollout?.monitorSeconds;
      if (typeof monitor === "number" && monitor >= stage.rolloutTimeout) {
        throw new InputError(
          `${where(`services.${name}.rollout.monitorSeconds`)} ${monitor} must be less than ${stage.keyPath("rolloutTimeout")} (${stage.rolloutTimeout}) on target kubernetes: a pod counts as available only after it has been ready that long, and a Deployment's progress deadline must be longer; lower it, or raise ${stage.keyPath("rolloutTimeout")}`,
        );
      }
    }
  }
}

function resolveNetworks(
  models: Record<string, NetworkModel>,
  fail: Fail,
  fromConfig: (path: string) => boolean,
): Record<string, ResolvedNetwork> {
  const resolved: Record<string, ResolvedNetwork> = {};
  const seen: Array<[string, NonNullable<ReturnType<typeof parseCidr>>]> = [];
  for (const name of sortedKeys(models)) {
    const network = models[name];
    const path = `networks.${name}`;
    if (!NAME.test(name)) fail(path, `is not a valid network name: it must be ${NAME_RULE}`);
    const subnet = parseCidr(network.subnet);
    if (!subnet) {
      return fail(`${path}.subnet`, `must be an IPv4 CIDR like 172.18.0.0/16, got ${JSON.stringify(network.subnet)}`);
    }
    const canonical = canonicalCidr(network.subnet);
    if (canonical !== network.subnet) fail(`${path}.subnet`, `${network.subnet} has host bits set; did you mean ${canonical}?`);
    for (const [other, range] of seen) {
      if (overlaps(subnet, range)) {
        // Named by the one the stack config set, when only one of them was: that is the one to change.
        const [blamed, text, against, againstText] =
          fromConfig(`networks.${other}.subnet`) && !fromConfig(`${path}.subnet`)
            ? [`networks.${other}.subnet`, range.text, name, network.subnet]
            : [`${path}.subnet`, network.subnet, other, range.text];
        fail(blamed, `${text} overlaps network "${against}" (${againstText}); give each network its own range`);
      }
    }
    seen.push([name, subnet]);
    if (network.gateway !== undefined) {
      const gateway = parseAddress(network.gateway);
      if (gateway === undefined || !containsAddress(subnet, gateway)) {
        fail(`${path}.gateway`, `${JSON.stringify(network.gateway)} must be an address inside subnet ${network.subnet}`);
      }
    }
    if (network.ipRange !== undefined) {
      const range = parseCidr(network.ipRange);
      if (!range || !contains(subnet, range)) {
        fail(`${path}.ipRange`, `${JSON.stringify(network.ipRange)} must be a CIDR inside subnet ${network.subnet}`);
      }
    }
    resolved[name] = { subnet: network.subnet, gateway: network.gateway, ipRange: network.ipRange, internal: network.internal ?? false };
  }
  return resolved;
}

function resolveVolumes(models: AppModel["volumes"], where: Where): Record<string, ResolvedVolume> {
  const resolved: Record<string, ResolvedVolume> = {};
  for (const name of sortedKeys(models)) {
    if (!NAME.test(name)) throw new InputError(`${where(`volumes.${name}`)} is not a valid volume name: it must be ${NAME_RULE}`);
    const size = models[name].size ?? DEFAULT_VOLUME_SIZE;
    const sizeBytes = parseStorageSize(size, where(`volumes.${name}.size`));
    resolved[name] = { retain: models[name].retain ?? false, size, sizeBytes };
  }
  return resolved;
}

function resolveService(app: AppModel, name: string, service: ServiceModel, where: Where, fail: Fail): ResolvedService {
  const path = `services.${name}`;
  if (!NAME.test(name)) fail(path, `is not a valid service name: it must be ${NAME_RULE}`);
  checkImage(service.image, `${path}.image`, fail);
  const replicas = service.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) {
    fail(`${path}.replicas`, `must be a whole number from 0 to ${MAX_REPLICAS}, got ${JSON.stringify(replicas)}`);
  }
  const singleWriter = service.singleWriter ?? false;
  if (singleWriter && replicas > 1) {
    fail(`${path}.replicas`, `must be 0 or 1 for a single-writer service (its data allows one writer), got ${replicas}`);
  }
  const limits: ResolvedLimits = {
    cpus: service.limits.cpus,
    millicpus: parseCpus(service.limits.cpus, where(`${path}.limits.cpus`)),
    memory: service.limits.memory,
    memoryBytes: parseMemory(service.limits.memory, where(`${path}.limits.memory`)),
  };
  if (service.networkMode === undefined) checkNetworks(app, service.networks, `${path}.networks`, fail);
  else checkNetworkMode(service, path, fail);
  checkEnv(app, service, path, fail);
  checkSecretFiles(app, service, path, fail);
  checkConfigFiles(app, service, path, fail);
  const volumes = resolveMounts(app, service, path, fail);
  const ports = resolvePorts(service, path, fail);
  const health = resolveHealth(service.health, ports, `${path}.health`, fail);
  checkAutoscaling(service.autoscaling, singleWriter, `${path}.autoscaling`, fail);
  const rollout = service.rollout && resolveRollout(service.rollout, singleWriter, `${path}.rollout`, fail);
  const reservations = service.reservations && resolveReservations(service.reservations, limits, `${path}.reservations`, where, fail);
  const placement = service.placement && resolvePlacement(service.placement, `${path}.placement`, fail);
  const restart = service.restart && resolveRestart(service.restart, `${path}.restart`, fail);
  const securityProblemOf = service.security && securityProblem(service.security);
  if (securityProblemOf !== undefined) fail(`${path}.security.${securityProblemOf[0]}`, securityProblemOf[1]);
  const grace = service.stopGracePeriodSeconds;
  checkSeconds(grace, "stopGracePeriodSeconds", `${path}.stopGracePeriodSeconds`, fail);
  if (service.endpointMode !== undefined && service.endpointMode !== "dnsrr" && service.endpointMode !== "vip") {
    fail(`${path}.endpointMode`, `must be "dnsrr" or "vip", got ${JSON.stringify(service.endpointMode)}`);
  }
  return {
    name,
    image: service.image,
    command: service.command,
    entrypoint: service.entrypoint,
    env: { ...service.env },
    secretEnv: { ...service.secretEnv },
    ...(Object.keys(service.secretFiles ?? {}).length > 0 ? { secretFiles: { ...service.secretFiles } } : {}),
    ...(Object.keys(service.configFiles ?? {}).length > 0 ? { configFiles: { ...service.configFiles } } : {}),
    ports,
    networks: [...service.networks],
    ...(service.networkMode !== undefined ? { networkMode: service.networkMode } : {}),
    volumes,
    health,
    dependsOn: { ...service.dependsOn },
    limits,
    replicas,
    autoscaling: service.autoscaling,
    singleWriter,
    user: service.user,
    security: normalSecurity(service.security ?? {}),
    ...(rollout ? { rollout } : {}),
    ...(reservations ? { reservations } : {}),
    ...(placement ? { placement } : {}),
    ...(restart ? { restart } : {}),
    ...(grace !== undefined ? { stopGracePeriodSeconds: grace } : {}),
    ...(service.endpointMode !== undefined ? { endpointMode: service.endpointMode } : {}),
  };
}

/** The most copies of a service: Kubernetes and swarm count replicas in 32 bits, and Docker runs one container per copy. */
export const MAX_REPLICAS = 1000;

/** The longest stop grace period: an up that replaces a copy waits this long for it at worst. */
export const MAX_STOP_GRACE_SECONDS = 3600;

const HOUR = 3600;
const DAY = 86400;

/**
 * The range of each duration of a service, in whole seconds, by its path under the service. The
 * engines take more: Docker and a swarm a duration of int64 nanoseconds (a health check's interval,
 * timeout and start period 0, the engine's default, or at least 1 ms), Kubernetes int32 seconds. Past
 * these a value is a mistake an up would wait out (10h written for 10s): more than an hour between
 * batches or restarts, more than a day between health checks. 0 where it would mean another thing
 * than none (a health check every 0 s is Docker's default of 30 s) is refused.
 */
export const SECONDS_RANGES = {
  "health.intervalSeconds": { min: 1, max: DAY, why: "a day" },
  "health.timeoutSeconds": { min: 1, max: DAY, why: "a day" },
  "health.startPeriodSeconds": { min: 0, max: DAY, why: "a day" },
  "rollout.delaySeconds": { min: 0, max: HOUR, why: "an hour between batches" },
  "rollout.monitorSeconds": { min: 0, max: HOUR, why: "an hour watching each batch" },
  "restart.delaySeconds": { min: 0, max: HOUR, why: "an hour before a restart" },
  "restart.windowSeconds": { min: 0, max: DAY, why: "a day" },
  stopGracePeriodSeconds: { min: 0, max: MAX_STOP_GRACE_SECONDS, why: "an up waits that long for each copy it replaces" },
} as const;
export type SecondsField = keyof typeof SECONDS_RANGES;

/** The most consecutive failed health checks before a copy counts as unhealthy. */
export const MAX_HEALTH_RETRIES = 1000;

/** A value as a message shows it: a number as written (Infinity, NaN), anything else as JSON. */
const shown = (value: unknown): string => (typeof value === "number" ? String(value) : JSON.stringify(value));

/** What a duration field takes, in messages: "must be a whole number of seconds from 0 to 3600 (why)". */
export function secondsRule(field: SecondsField): string {
  const { min, max, why } = SECONDS_RANGES[field];
  return `must be a whole number of seconds from ${min} to ${max} (${why})`;
}

function checkSeconds(value: unknown, field: SecondsField, path: string, fail: Fail): void {
  const { min, max } = SECONDS_RANGES[field];
  if (value !== undefined && !(typeof value === "number" && Number.isInteger(value) && value >= min && value <= max)) {
    fail(path, `${secondsRule(field)}, got ${shown(value)}`);
  }
}

const isWhole = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0;

/** The largest count an engine takes: Kubernetes and Docker count restarts and copies in 32 bits. */
export const MAX_INT32 = 2147483647;

function checkWhole(value: unknown, path: string, fail: Fail, max = MAX_INT32, why = "the engines count in 32 bits"): void {
  if (value !== undefined && !(isWhole(value) && value <= max)) {
    fail(path, `must be a whole number from 0 to ${max} (${why}), got ${shown(value)}`);
  }
}

function checkOneOf(value: unknown, allowed: readonly string[], path: string, fail: Fail): void {
  if (value !== undefined && !allowed.includes(value as string)) {
    fail(path, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(value)}`);
  }
}

const ORDERS = ["start-first", "stop-first"] as const;

function checkStrategy(
  strategy: Rollout | NonNullable<Rollout["rollback"]>,
  singleWriter: boolean,
  actions: readonly string[],
  path: string,
  fail: Fail,
): void {
  checkWhole(
    strategy.parallelism,
    `${path}.parallelism`,
    fail,
    MAX_REPLICAS,
    "copies replaced at a time, at most the most copies of a service",
  );
  checkSeconds(strategy.delaySeconds, "rollout.delaySeconds", `${path}.delaySeconds`, fail);
  checkSeconds(strategy.monitorSeconds, "rollout.monitorSeconds", `${path}.monitorSeconds`, fail);
  const ratio = strategy.maxFailureRatio;
  if (ratio !== undefined && !(typeof ratio === "number" && ratio >= 0 && ratio <= 1)) {
    fail(`${path}.maxFailureRatio`, `must be a share from 0 to 1 (0.2 for one in five), got ${JSON.stringify(ratio)}`);
  }
  checkOneOf(strategy.order, ORDERS, `${path}.order`, fail);
  checkOneOf(strategy.failureAction, actions, `${path}.failureAction`, fail);
  if (singleWriter && strategy.order === "start-first") {
    fail(
      `${path}.order`,
      'cannot be "start-first" on a single-writer service: the new copy would write its data while the old one still does; use "stop-first", or leave order out',
    );
  }
}

function resolveRollout(rollout: Rollout, singleWriter: boolean, path: string, fail: Fail): ResolvedRollout {
  checkStrategy(rollout, singleWriter, ["rollback", "pause", "continue"], path, fail);
  const back = rollout.rollback ?? {};
  checkStrategy(back, singleWriter, ["pause", "continue"], `${path}.rollback`, fail);
  const update = {
    parallelism: rollout.parallelism ?? ROLLOUT_DEFAULTS.parallelism,
    delaySeconds: rollout.delaySeconds ?? ROLLOUT_DEFAULTS.delaySeconds,
    order: rollout.order,
    monitorSeconds: rollout.monitorSeconds ?? ROLLOUT_DEFAULTS.monitorSeconds,
    maxFailureRatio: rollout.maxFailureRatio ?? ROLLOUT_DEFAULTS.maxFailureRatio,
  };
  return {
    ...update,
    failureAction: rollout.failureAction ?? ROLLOUT_DEFAULTS.failureAction,
    rollback: {
      parallelism: back.parallelism ?? update.parallelism,
      delaySeconds: back.delaySeconds ?? update.delaySeconds,
      order: back.order ?? update.order,
      monitorSeconds: back.monitorSeconds ?? update.monitorSeconds,
      maxFailureRatio: back.maxFailureRatio ?? update.maxFailureRatio,
      failureAction: back.failureAction ?? ROLLOUT_DEFAULTS.rollbackFailureAction,
    },
  };
}

function resolveReservations(
  reservations: Reservations,
  limits: ResolvedLimits,
  path: string,
  where: Where,
  fail: Fail,
): ResolvedReservations {
  const resolved: ResolvedReservations = {};
  if (reservations.cpus !== undefined) {
    const millicpus = parseCpus(reservations.cpus, where(`${path}.cpus`));
    if (millicpus > limits.millicpus) {
      fail(
        `${path}.cpus`,
        `${reservations.cpus} is more than the CPU limit (${limits.cpus}): a copy cannot reserve more than it may use; lower it or raise limits.cpus`,
      );
    }
    Object.assign(resolved, { cpus: reservations.cpus, millicpus });
  }
  if (reservations.memory !== undefined) {
    const memoryBytes = parseMemory(reservations.memory, where(`${path}.memory`));
    if (memoryBytes > limits.memoryBytes) {
      fail(
        `${path}.memory`,
        `${reservations.memory} is more than the memory limit (${limits.memory}): a copy cannot reserve more than it may use; lower it or raise limits.memory`,
      );
    }
    Object.assign(resolved, { memory: reservations.memory, memoryBytes });
  }
  return resolved;
}

function resolvePlacement(placement: Placement, path: string, fail: Fail): ResolvedPlacement {
  const constraints = (placement.constraints ?? []).map((constraint, index) => {
    const match = typeof constraint === "string" ? CONSTRAINT.exec(constraint.trim()) : null;
    if (!match) fail(`${path}.constraints[${index}]`, `must be ${CONSTRAINT_RULE}, got ${JSON.stringify(constraint)}`);
    // One spacing, so a constraint the target adds itself is recognised as the same one.
    const [, attribute, , operator, value] = match as RegExpExecArray;
    return `node.${attribute} ${operator} ${value}`;
  });
  constraints.forEach((constraint, index) => {
    if (constraints.indexOf(constraint) !== index) fail(`${path}.constraints`, `lists "${constraint}" twice; list each constraint once`);
  });
  const conflict = conflictingConstraints(constraints);
  if (conflict !== undefined) {
    fail(
      `${path}.constraints`,
      `lists ${conflict.map((index) => JSON.stringify((placement.constraints ?? [])[index])).join(" and ")}, which no node meets together, so its copies would wait for a node for ever; keep one`,
    );
  }
  checkWhole(
    placement.maxReplicasPerNode,
    `${path}.maxReplicasPerNode`,
    fail,
    MAX_REPLICAS,
    "copies on one node, at most the most copies of a service",
  );
  return { constraints, ...(placement.maxReplicasPerNode !== undefined ? { maxReplicasPerNode: placement.maxReplicasPerNode } : {}) };
}

function resolveRestart(restart: RestartPolicy, path: string, fail: Fail): ResolvedRestart {
  checkOneOf(restart.condition, ["any", "on-failure", "none"], `${path}.condition`, fail);
  checkSeconds(restart.delaySeconds, "restart.delaySeconds", `${path}.delaySeconds`, fail);
  checkWhole(restart.maxAttempts, `${path}.maxAttempts`, fail);
  checkSeconds(restart.windowSeconds, "restart.windowSeconds", `${path}.windowSeconds`, fail);
  return {
    condition: restart.condition ?? RESTART_DEFAULTS.condition,
    delaySeconds: restart.delaySeconds ?? RESTART_DEFAULTS.delaySeconds,
    maxAttempts: restart.maxAttempts ?? RESTART_DEFAULTS.maxAttempts,
    windowSeconds: restart.windowSeconds ?? RESTART_DEFAULTS.windowSeconds,
  };
}

function checkImage(image: ImageSource, path: string, fail: Fail): void {
  if (image.kind === "pull" && !isImageReference(image.ref)) {
    fail(path, `must be ${IMAGE_REFERENCE_RULE}, got ${JSON.stringify(withoutPassword(image.ref))}`);
  }
  if (image.kind === "build") {
    for (const arg of sortedKeys(image.args)) {
      const value = (image.args ?? {})[arg];
      if (isBaseImageArg(arg) && !isImageReference(value)) {
        fail(`${path}.args.${arg}`, `must be ${IMAGE_REFERENCE_RULE}, got ${JSON.stringify(withoutPassword(value))}`);
      }
    }
  }
}

/** A build argument naming a base image (PYTHON_IMAGE, NODE_IMAGE): pinned as an image is. */
export function isBaseImageArg(name: string): boolean {
  return name.endsWith("_IMAGE");
}

function checkNetworks(app: AppModel, networks: string[], path: string, fail: Fail): void {
  if (networks.length === 0) fail(path, "is empty: a service must join at least one network");
  networks.forEach((network, index) => {
    if (!Object.hasOwn(app.networks, network)) {
      fail(path, `lists unknown network "${network}"; the app's networks are: ${listOr(sortedKeys(app.networks))}`);
    }
    if (networks.indexOf(network) !== index) fail(path, `lists "${network}" twice; list each network once`);
  });
}

function checkEnv(app: AppModel, service: ServiceModel, path: string, fail: Fail): void {
  for (const variable of [...sortedKeys(service.env), ...sortedKeys(service.secretEnv)]) {
    if (!isEnvName(variable)) fail(`${path}.env`, `names must be ${ENV_NAME_RULE}, got ${JSON.stringify(variable)}`);
  }
  for (const variable of sortedKeys(service.secretEnv)) {
    if (variable in (service.env ?? {})) fail(`${path}.env.${variable}`, "is set both as plain env and as secret env; set it once");
    const secret = (service.secretEnv ?? {})[variable];
    if (!Object.hasOwn(app.secrets, secret)) {
      fail(
        `${path}.secretEnv.${variable}`,
        `refers to unknown secret "${secret}"; the app's secrets are: ${listOr(sortedKeys(app.secrets))}`,
      );
    }
  }
}

/** The mount whose folder holds a file (a file at the mount point itself is not inside it), or undefined. */
function mountHolding(service: ServiceModel, file: string): VolumeMount | undefined {
  const normal = posix.normalize(file);
  return (service.volumes ?? []).find((mount) => {
    const folder = posix.normalize(mount.mountPath).replace(/\/+$/, "");
    return folder !== "" && normal.startsWith(`${folder}/`);
  });
}

/** A mount as a message names it: `volume "data"` or `host path ./data`. */
function mountNamed(mount: VolumeMount): string {
  return mount.volume !== undefined ? `volume "${mount.volume}"` : `host path ${mount.hostPath}`;
}

/** Secret files: each at an absolute path of its own, holding one of the app's secrets. */
function checkSecretFiles(app: AppModel, service: ServiceModel, path: string, fail: Fail): void {
  const mounted = new Set((service.volumes ?? []).map((mount) => posix.normalize(mount.mountPath)));
  for (const file of sortedKeys(service.secretFiles)) {
    const at = `${path}.secretFiles.${file}`;
    const secret = (service.secretFiles ?? {})[file];
    if (!posix.isAbsolute(file)) fail(at, `must be an absolute path in the container, got ${JSON.stringify(file)}`);
    if (mounted.has(posix.normalize(file))) fail(at, "is also where a volume is mounted; give the secret file a path of its own");
    const holding = mountHolding(service, file);
    if (holding !== undefined) {
      fail(
        at,
        `is inside ${holding.mountPath}, where ${mountNamed(holding)} is mounted: the secret would be written into it and stay there, for whatever else mounts it, after the secret is gone; give the secret file a path outside every mount`,
      );
    }
    if (!Object.hasOwn(app.secrets, secret)) {
      fail(at, `refers to unknown secret "${secret}"; the app's secrets are: ${listOr(sortedKeys(app.secrets))}`);
    }
  }
}

/** A config file's uid or gid: a number, as every target takes it. */
const NUMERIC_ID = /^(0|[1-9][0-9]{0,9})$/;

/**
 * Config files: each at an absolute path of its own (no volume mounted there, no secret file there),
 * holding one of the app's configs, with a numeric owner and a mode of permission bits.
 */
function checkConfigFiles(app: AppModel, service: ServiceModel, path: string, fail: Fail): void {
  const mounts = new Map((service.volumes ?? []).map((mount) => [posix.normalize(mount.mountPath), mount]));
  const secretAt = new Map<string, string>(
    Object.entries(service.secretFiles ?? {}).map(([file, secret]) => [posix.normalize(file), secret]),
  );
  for (const secret of Object.values(service.secretEnv ?? {})) {
    if (!secretAt.has(`/run/secrets/${secret}`)) secretAt.set(`/run/secrets/${secret}`, secret);
  }
  for (const file of sortedKeys(service.configFiles)) {
    const at = `${path}.configFiles.${file}`;
    const { config, uid, gid, mode } = (service.configFiles ?? {})[file];
    if (!posix.isAbsolute(file) || file.endsWith("/"))
      fail(at, `must be an absolute file path in the container, got ${JSON.stringify(file)}`);
    if (!Object.hasOwn(app.configs ?? {}, config)) {
      fail(at, `refers to unknown config "${config}"; the app's configs are: ${listOr(sortedKeys(app.configs))}`);
    }
    const mount = mounts.get(posix.normalize(file));
    if (mount !== undefined) {
      fail(at, `(config "${config}") is also where ${mountNamed(mount)} is mounted; give the config file a path of its own`);
    }
    const holding = mountHolding(service, file);
    if (holding !== undefined) {
      fail(
        at,
        `(config "${config}", file ${file}) is inside ${holding.mountPath}, where ${mountNamed(holding)} is mounted: the file would be written into it and stay there after the config changes or is gone; give the config file a path outside every mount`,
      );
    }
    const secret = secretAt.get(posix.normalize(file));
    if (secret !== undefined) fail(at, `(config "${config}") is also where secret "${secret}" is; give each file its own path`);
    for (const [field, id] of [
      ["uid", uid],
      ["gid", gid],
    ] as const) {
      if (id !== undefined && !NUMERIC_ID.test(id))
        fail(`${at}.${field}`, `must be a number (a ${field === "uid" ? "user" : "group"} id), got ${JSON.stringify(id)}`);
    }
    if (mode !== undefined && (!Number.isInteger(mode) || mode < 0 || mode > 0o777)) {
      fail(`${at}.mode`, `must be permission bits from 0 to 0777 (511), got ${JSON.stringify(mode)}`);
    }
  }
}

/** network_mode none: no network to join, no port to publish. */
function checkNetworkMode(service: ServiceModel, path: string, fail: Fail): void {
  if (service.networkMode === undefined) return;
  if (service.networkMode !== "none") fail(`${path}.networkMode`, `must be "none", got ${JSON.stringify(service.networkMode)}`);
  if (service.networks.length > 0) {
    fail(`${path}.networks`, `must be empty with networkMode "none" (the service has no network), got ${service.networks.join(", ")}`);
  }
  const published = (service.ports ?? []).filter((port) => port.publishedPort !== undefined);
  if (published.length > 0) {
    fail(
      `${path}.ports.${published[0].name}`,
      `cannot be published with networkMode "none": the service has no network to publish it on; remove the port, or the network mode`,
    );
  }
}

function resolveMounts(app: AppModel, service: ServiceModel, path: string, fail: Fail): ResolvedMount[] {
  return (service.volumes ?? []).map((mount) => {
    const at = `${path}.volumes[${mount.mountPath}]`;
    if ((mount.volume === undefined) === (mount.hostPath === undefined)) fail(at, "needs exactly one of volume and hostPath");
    if (mount.volume !== undefined && !Object.hasOwn(app.volumes, mount.volume)) {
      fail(at, `names unknown volume "${mount.volume}"; the app's volumes are: ${listOr(sortedKeys(app.volumes))}`);
    }
    if (mount.hostPath !== undefined && !mount.hostPath.startsWith("/")) {
      fail(at, `hostPath must be absolute, got ${JSON.stringify(mount.hostPath)}`);
    }
    if (!mount.mountPath.startsWith("/")) fail(at, `mountPath must be absolute, got ${JSON.stringify(mount.mountPath)}`);
    const takeover = mount.hostPath === undefined ? undefined : takeoverRefusal(mount.hostPath, mount.hostPath, mount.readOnly ?? false);
    if (takeover !== undefined) fail(at, `hostPath ${takeover}`);
    return { volume: mount.volume, hostPath: mount.hostPath, mountPath: mount.mountPath, readOnly: mount.readOnly ?? false };
  });
}

/** Engine sockets: whoever can write to one runs any container, privileged, on the host. */
export const ENGINE_SOCKETS = [
  "/var/run/docker.sock",
  "/run/docker.sock",
  "/run/containerd/containerd.sock",
  "/var/run/containerd/containerd.sock",
];
/**
 * An engine's socket by its file name, wherever it is: rootless Docker's ($XDG_RUNTIME_DIR/docker.sock,
 * ~/.docker/run/docker.sock), podman's, containerd's, CRI-O's, BuildKit's.
 */
const ENGINE_SOCKET_NAME = /^(?:docker|podman|containerd|crio|cri-dockerd|buildkitd|dockershim|k3s|kubelet)\.sock$/;
/** Folders that hold the host's runtime sockets (an engine's, systemd's, D-Bus's): every socket in them, and the folders themselves, are refused. */
const RUNTIME_TREES = ["/run", "/var/run"];
/** The host's own configuration, kernel interfaces, devices and engine state: refused writable, and refused whole. */
export const HOST_TREES = [
  "/etc",
  "/proc",
  "/sys",
  "/dev",
  "/boot",
  "/root",
  // cron's and at's jobs (/var/spool/cron, /var/spool/at): what is written there runs as root.
  "/var/spool",
  "/var/lib/docker",
  "/var/lib/containerd",
  "/var/lib/containers",
  "/var/lib/kubelet",
  // The CNI plugins the kubelet runs as root, and their configuration.
  "/opt/cni",
];
/** The host's programs and libraries: a container that writes there runs code as the host's root; read-only is allowed. */
const SYSTEM_BINARIES = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/** The host's credentials: refused even read-only (a cluster-admin kubeconfig, SSH host keys, password hashes). */
const HOST_CREDENTIALS = [
  "/etc/kubernetes",
  "/var/lib/kubelet",
  "/etc/rancher",
  "/var/lib/rancher",
  "/etc/ssh",
  "/etc/ssl/private",
  "/etc/shadow",
  "/etc/gshadow",
  "/etc/sudoers",
  "/etc/sudoers.d",
  "/etc/docker",
  "/root",
  "/etc/containers",
];
/** A user's credentials: refused even read-only, wherever they are (a copy in a project is as good as the original). */
const USER_CREDENTIALS = [".kube", ".ssh", ".aws", ".gnupg", ".azure", ".config/gcloud"];
/** A user's credentials in a home folder (a project may have a .docker folder of its own). */
const HOME_CREDENTIALS = [".docker", ".pulumi", ".config/containers", ".netrc", ".npmrc", ".pypirc", ".pgpass", ".git-credentials"];
/** Credential files by name, wherever they are: SSH private keys, a Docker client's config.json (its auths). */
const CREDENTIAL_FILES: Array<[RegExp, string]> = [
  [/(?:^|\/)id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?$/, "an SSH private key"],
  [/(?:^|\/)\.docker\/config\.json$/, "a Docker client's config.json, with its registry logins"],
];
/** Home folders: a whole one holds its user's credentials (~/.ssh, ~/.kube). */
const HOME = /^\/(?:home|Users)(?:\/[^/]+)?$/;

/**
 * Why mounting a host path hands the host to the container, or undefined: an engine socket (even
 * read-only: the API is a socket, not a file), one of the host's trees or a folder holding one (the
 * root, /var, /run...), a place holding credentials (even read-only), or a writable path inside the
 * host's trees or its programs. Read-only files inside them (/etc/localtime, /etc/ssl/certs,
 * /lib/modules) are common and harmless. The path is judged as written and, when `resolve` gives one,
 * as what it is after its symlinks (a bind source the project links to /var/run).
 */
export function hostTakeover(
  hostPath: string,
  readOnly: boolean,
  resolve: (path: string) => string | undefined = realHostPath,
): string | undefined {
  const written = normalHostPath(hostPath);
  const why = takeoverOf(written, readOnly);
  if (why !== undefined) return why;
  const real = resolve(written);
  if (real === undefined || real === written) return undefined;
  const through = takeoverOf(normalHostPath(real), readOnly);
  return through === undefined ? undefined : `leads through symlinks to ${JSON.stringify(real)}, which ${through}`;
}

/**
 * The refusal of a bind mount's host path that can take over the host, or undefined: the path as the
 * user wrote it (`~/../..`, `./run/../../var/run`) and, when that differs, the path it is.
 */
export function takeoverRefusal(written: string, hostPath: string, readOnly: boolean): string | undefined {
  const why = hostTakeover(hostPath, readOnly);
  if (why === undefined) return undefined;
  const normal = normalHostPath(hostPath);
  const named = written === normal ? JSON.stringify(written) : `${JSON.stringify(written)} (that is ${JSON.stringify(normal)})`;
  return `${named} ${why}: a container that mounts it can take over the host; use a named volume of the app, or a path of its own under a data folder`;
}

const normalHostPath = (hostPath: string): string => posix.normalize(hostPath).replace(/(.)\/+$/, "$1");

/**
 * The path with every symlink of it resolved, on the machine running the program (where a compose
 * file's relative bind sources are resolved too): its longest existing part through realpath, the
 * rest as written; undefined when nothing of it can be read.
 */
export function realHostPath(hostPath: string): string | undefined {
  let existing = hostPath;
  let rest = "";
  for (;;) {
    try {
      return posix.join(realpathSync.native(existing), rest);
    } catch {
      const parent = posix.dirname(existing);
      if (parent === existing) return undefined;
      rest = posix.join(posix.basename(existing), rest);
      existing = parent;
    }
  }
}

function takeoverOf(normal: string, readOnly: boolean): string | undefined {
  const within = (tree: string) => normal === tree || normal.startsWith(`${tree}/`);
  const holds = (tree: string) => normal === "/" || tree.startsWith(`${normal}/`);
  const socket = ENGINE_SOCKETS.find((path) => within(path) || holds(path));
  if (socket !== undefined) return normal === socket ? "is the container engine's socket" : `holds the container engine's socket ${socket}`;
  if (ENGINE_SOCKET_NAME.test(posix.basename(normal))) return "is a container engine's socket";
  const runtime = RUNTIME_TREES.find(within);
  if (
    runtime !== undefined &&
    (normal === runtime ||
      /\.sock$|socket$/.test(normal) ||
      /^\/(?:var\/)?run\/(?:user(?:\/[^/]+)?|containerd|crio|podman|docker|k3s|dbus|systemd)$/.test(normal))
  ) {
    return normal === runtime
      ? "is the host's runtime folder, which holds its engine's and system's sockets"
      : `is in the host's ${runtime}, which holds engine and system sockets`;
  }
  const tree = HOST_TREES.find((path) => normal === path || holds(path));
  if (tree !== undefined) return normal === tree ? "is one of the host's system folders" : `holds the host's ${tree}`;
  const credentials = credentialsOf(normal);
  if (credentials !== undefined) return `${credentials}, refused even read-only`;
  if (!readOnly) {
    const inside = HOST_TREES.find((path) => within(path)) ?? RUNTIME_TREES.find(within);
    if (inside !== undefined) return `is inside the host's ${inside} and mounted writable (read-only files there are allowed)`;
    const binaries = SYSTEM_BINARIES.find((path) => within(path) || holds(path));
    if (binaries !== undefined) {
      return `${within(binaries) ? "is in" : "holds"} the host's programs and libraries (${binaries}), mounted writable, so the host would run what the container writes there (read-only is allowed)`;
    }
  }
  return undefined;
}

/** Why a normalised absolute path is, or holds, credentials (a user's, the host's, a key file), or undefined. */
function credentialsOf(normal: string): string | undefined {
  const within = (tree: string) => normal === tree || normal.startsWith(`${tree}/`);
  const holds = (tree: string) => normal === "/" || tree.startsWith(`${normal}/`);
  const segments = normal.split("/");
  const inHome = (index: number) => /^\/(?:home|Users)\/[^/]+$/.test(segments.slice(0, index).join("/"));
  const credentialAt = (name: string, index: number) => name.split("/").every((part, offset) => segments[index + offset] === part);
  const user =
    USER_CREDENTIALS.find((name) => segments.some((_, index) => credentialAt(name, index))) ??
    HOME_CREDENTIALS.find((name) => segments.some((_, index) => inHome(index) && credentialAt(name, index)));
  if (user !== undefined) return `is a user's credentials (~/${user})`;
  const file = CREDENTIAL_FILES.find(([pattern]) => pattern.test(normal));
  if (file !== undefined) return `is ${file[1]}`;
  const host = HOST_CREDENTIALS.find((path) => within(path) || holds(path));
  if (host !== undefined) return `${within(host) ? "is" : "holds"} the host's credentials (${host})`;
  if (HOME.test(normal))
    return `${segments.length > 2 ? "is a home folder" : "holds the home folders"}, with credentials in it (~/.ssh, ~/.kube)`;
  return undefined;
}

/**
 * Why a file a compose file reads into the app (a config's file) is credentials, judged as written
 * and after its symlinks, as mounts are (hostTakeover), or undefined.
 */
export function credentialFile(file: string, resolve: (path: string) => string | undefined = realHostPath): string | undefined {
  const written = normalHostPath(file);
  const why = credentialsOf(written);
  if (why !== undefined) return why;
  const real = resolve(written);
  if (real === undefined || real === written) return undefined;
  const through = credentialsOf(normalHostPath(real));
  return through === undefined ? undefined : `leads through symlinks to ${JSON.stringify(real)}, which ${through}`;
}

const PORT_RULE = "a port number 1-65535";
const isPort = (value: number | undefined): boolean => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;

function resolvePorts(service: ServiceModel, path: string, fail: Fail): ResolvedPort[] {
  const names = new Set<string>();
  return (service.ports ?? []).map((port) => {
    const at = `${path}.ports.${port.name}`;
    if (names.has(port.name)) fail(`${path}.ports`, `names "${port.name}" twice; give each port its own name`);
    names.add(port.name);
    if (!isPort(port.containerPort)) fail(`${at}.containerPort`, `must be ${PORT_RULE}, got ${port.containerPort}`);
    if (port.publishedPort !== undefined) {
      if (port.healthOnly) fail(at, `is only for the health check, so it cannot be published (got ${port.publishedPort})`);
      if (!isPort(port.publishedPort)) fail(at, `must be ${PORT_RULE}, got ${port.publishedPort}`);
    }
    if (port.publishMode !== undefined && port.publishMode !== "host" && port.publishMode !== "ingress") {
      fail(`${at}.publishMode`, `must be "host" or "ingress", got ${JSON.stringify(port.publishMode)}`);
    }
    return {
      name: port.name,
      containerPort: port.containerPort,
      protocol: port.protocol ?? "tcp",
      publishedPort: port.publishedPort,
      ...(port.publishMode !== undefined ? { publishMode: port.publishMode } : {}),
      healthOnly: port.healthOnly ?? false,
    };
  });
}

function resolveHealth(health: HealthCheck | undefined, ports: ResolvedPort[], path: string, fail: Fail): ResolvedHealth | undefined {
  if (health === undefined) return undefined;
  if (health.command.length === 0) fail(`${path}.command`, "is empty: give the command the check runs");
  const resolved: ResolvedHealth = { command: health.command, http: health.http, ...healthTimings(health) };
  for (const field of ["intervalSeconds", "timeoutSeconds", "startPeriodSeconds"] as const) {
    checkSeconds(resolved[field], `health.${field}`, `${path}.${field}`, fail);
  }
  if (!Number.isInteger(resolved.retries) || resolved.retries < 1 || resolved.retries > MAX_HEALTH_RETRIES) {
    fail(`${path}.retries`, `must be a whole number from 1 to ${MAX_HEALTH_RETRIES}, got ${shown(resolved.retries)}`);
  }
  const http = health.http;
  if (http !== undefined && (typeof http.path !== "string" || !http.path.startsWith("/"))) {
    fail(`${path}.http.path`, `must be a path starting with /, like "/healthz", got ${JSON.stringify(http.path)}`);
  }
  if (http !== undefined && !ports.some((port) => port.containerPort === http.port)) {
    const declared = ports.map((port) => port.containerPort).join(", ") || "it declares none";
    fail(
      `${path}.http.port`,
      `${http.port} is not one of the service's container ports (${declared}); probe the port the service listens on, or declare that port in ports`,
    );
  }
  return resolved;
}

function checkAutoscaling(autoscaling: Autoscaling | undefined, singleWriter: boolean, path: string, fail: Fail): void {
  if (autoscaling === undefined) return;
  const { minReplicas, maxReplicas, targetCpuPercent } = autoscaling;
  if (!Number.isInteger(minReplicas) || minReplicas < 1)
    fail(`${path}.minReplicas`, `must be a whole number of 1 or more, got ${minReplicas}`);
  if (!Number.isInteger(maxReplicas) || maxReplicas < minReplicas || maxReplicas > MAX_REPLICAS) {
    fail(`${path}.maxReplicas`, `must be a whole number from minReplicas (${minReplicas}) to ${MAX_REPLICAS}, got ${maxReplicas}`);
  }
  if (!Number.isInteger(targetCpuPercent) || targetCpuPercent < 1 || targetCpuPercent > 100) {
    fail(`${path}.targetCpuPercent`, `must be a whole percent 1-100, got ${targetCpuPercent}`);
  }
  if (singleWriter) fail(path, "cannot be set on a single-writer service (its data allows one writer)");
}

/** A volume holds one service's data: two services would write one data directory. */
function checkVolumeOwners(services: Record<string, ResolvedService>, fail: Fail): void {
  const owners = new Map<string, string>();
  for (const name of sortedKeys(services)) {
    for (const mount of services[name].volumes) {
      if (mount.volume === undefined) continue;
      const owner = owners.get(mount.volume);
      if (owner !== undefined && owner !== name) {
        fail(
          `volumes.${mount.volume}`,
          `is mounted by ${owner} and ${name}: a volume holds one service's data (two services would write one data directory, and a cluster's ReadWriteOnce claim attaches to one node); give each service its own volume`,
        );
      }
      owners.set(mount.volume, name);
    }
  }
}

/** One published port number per protocol per app: 53/tcp and 53/udp are two ports (a DNS server publishes both). */
function checkPublishedPorts(
  services: Record<string, ResolvedService>,
  fail: Fail,
  where: Where,
  fromConfig: (path: string) => boolean,
  asModel: (path: string) => boolean,
): void {
  const owners = new Map<string, string>();
  for (const name of sortedKeys(services)) {
    for (const port of services[name].ports) {
      if (port.publishedPort === undefined) continue;
      const path = `services.${name}.ports.${port.name}`;
      const key = `${port.publishedPort}/${port.protocol}`;
      const owner = owners.get(key);
      if (owner !== undefined) {
        // Named by the one the stack config set, when only one of them was.
        const [blamed, other] = fromConfig(owner) && !fromConfig(path) ? [owner, path] : [path, owner];
        // The other one bare when both are the app model's; else named as the user knows it.
        fail(blamed, `${port.publishedPort} is already published by ${asModel(blamed) && asModel(other) ? other : where(other)}`);
      }
      owners.set(key, path);
    }
  }
}

function checkDependencies(services: Record<string, ResolvedService>, fail: Fail): void {
  const names = sortedKeys(services);
  for (const name of names) {
    for (const dependency of sortedKeys(services[name].dependsOn)) {
      const path = `services.${name}.dependsOn.${dependency}`;
      const target = Object.hasOwn(services, dependency) ? services[dependency] : undefined;
      if (target === undefined) fail(path, `names unknown service "${dependency}"; the app's services are: ${names.join(", ")}`);
      if (dependency === name) fail(path, "is the service itself");
      const condition = services[name].dependsOn[dependency];
      if (condition !== "started" && condition !== "healthy")
        fail(path, `must be "started" or "healthy", got ${JSON.stringify(condition)}`);
      if (condition === "healthy" && target.health === undefined)
        fail(path, `waits for "${dependency}" to be healthy, but "${dependency}" has no health check`);
    }
  }
  const cycle = findCycle(services);
  if (cycle) fail("services", `depend on each other in a circle: ${cycle.join(" -> ")}`);
}

/** A dependency cycle as a path of service names (first name repeated at the end), if any. */
export function findCycle(services: Record<string, { dependsOn?: Record<string, unknown> }>): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "visiting");
    path.push(name);
    for (const dependency of sortedKeys(services[name]?.dependsOn)) {
      if (services[dependency]) {
        const cycle = visit(dependency);
        if (cycle) return cycle;
      }
    }
    path.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const name of sortedKeys(services)) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Services in an order where each comes after everything it depends on (ties sorted by name). */
function startOrder(services: Record<string, ResolvedService>): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (name: string): void => {
    if (placed.has(name)) return;
    placed.add(name);
    sortedKeys(services[name].dependsOn).forEach(place);
    order.push(name);
  };
  sortedKeys(services).forEach(place);
  return order;
}
