/**
 * The invariants every generated input must end in (test/unit/adversarial.test.ts): a refusal that
 * is the one input error class and names what the user wrote, or plans whose numbers, names, ports
 * and mounts an engine accepts and that expose nothing wider than the input asked.
 */
import { readFileSync } from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ValidationError } from "../../../components/errors";
import { StackConfig } from "../../../stacks/config";
import { MAX_HEALTH_RETRIES, SECONDS_RANGES, SecondsField } from "../../../stacks/resolve";
import { secretLooking } from "../../../stacks/secrets";
import { DockerPlan } from "../../../stacks/targets/docker";
import { KubernetesPlan } from "../../../stacks/targets/kubernetes";
import { SwarmPlan } from "../../../stacks/targets/swarm";

export const INT32_MAX = 2 ** 31 - 1;
/** Docker's smallest CPU limit. */
export const MIN_CPUS = 0.01;

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Engine sockets: mounted at all, or the folder holding one, they hand a container the host. */
const SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];
/** Any engine's socket by its file name, wherever it is (rootless Docker's, podman's, containerd's, CRI-O's). */
const SOCKET_FILE = /(?:^|\/)(?:docker|podman|containerd|crio)\.sock$/;
/** The host's system trees: mounted whole, or a folder holding one, or writable inside. */
const TREES = ["/etc", "/proc", "/sys", "/dev", "/var/lib/docker", "/boot"];
/** The host's programs: writable inside, or a folder holding them writable. */
const PROGRAMS = ["/usr", "/bin", "/sbin", "/lib", "/lib64"];
/** Credentials: mounted at all, even read-only. */
const CREDENTIALS = /^\/etc\/(?:kubernetes|shadow)(?:\/|$)|\/\.(?:kube|ssh|aws)(?:\/|$)|^\/root(?:\/|$)|^\/home\/[^/]+\/\.docker(?:\/|$)/;

/** Whether resolveApp refuses such host mounts yet; the invariant holds from then on. */
export const HOST_MOUNTS_REFUSED = /docker\.sock/.test(
  readFileSync(path.join(__dirname, "..", "..", "..", "stacks", "resolve.ts"), "utf8"),
);

export function isTakeover(hostPath: string, readOnly: boolean): boolean {
  const normal = path.posix.normalize(hostPath).replace(/(.)\/+$/, "$1");
  const holds = (danger: string) => normal === danger || normal === "/" || danger.startsWith(`${normal}/`);
  const within = (danger: string) => normal.startsWith(`${danger}/`);
  return (
    SOCKETS.some((socket) => holds(socket) || within(socket)) ||
    SOCKET_FILE.test(normal) ||
    TREES.some((tree) => holds(tree) || (!readOnly && within(tree))) ||
    (!readOnly && PROGRAMS.some((tree) => holds(tree) || within(tree))) ||
    CREDENTIALS.test(normal)
  );
}

/** A flag that takes a credential (--requirepass, --password): its value written in the command. */
const CREDENTIAL_FLAG = /^--?(?:requirepass|masterauth|password|passwd|pass|token|secret|api-key|[a-z-]*-(?:password|token|secret))$/i;

/**
 * Outside the dev stack, no command of a plan carries a credential literally: a URL with a password
 * in any word, or a value after a credential flag that is not a $VAR reference.
 */
export function checkNoLiteralCommand(stack: string, what: string, ...commands: Array<string[] | undefined>): void {
  if (stack === "dev") return;
  for (const command of commands) {
    const words = (command ?? []).flatMap((word) => word.split(/[\s"']+/)).filter((word) => word !== "");
    words.forEach((word, index) => {
      check(!/:\/\/[^\s/:@]+:[^\s/@$]+@/.test(word), `${what} carries a URL with a password in a command outside dev`);
      const [flag, inline] = word.split("=", 2);
      const value = inline ?? words[index + 1];
      if (CREDENTIAL_FLAG.test(flag) && value !== undefined && !value.startsWith("-") && !value.startsWith("$") && !value.startsWith("/")) {
        check(false, `${what} carries a literal after ${flag} outside dev`);
      }
    });
  }
}

/** A failure of an invariant: thrown so fast-check shrinks to the smallest input that breaks it. */
function check(holds: boolean, what: string, value?: unknown): void {
  if (!holds) throw new Error(`invariant broken: ${what}${value === undefined ? "" : `: ${JSON.stringify(value)}`}`);
}

/** A refusal: the one input error class, naming the key the user wrote (`names`), never "undefined" unless the input says it, never a secret. */
export function checkRefusal(error: unknown, names: RegExp, input: string, secrets: string[] = []): void {
  if (!(error instanceof ValidationError)) throw error;
  checkNoSecret(error.message, secrets, "a refusal");
  // The values the user wrote are quoted (JSON): "undefined" inside one is theirs, and so is a name they gave.
  const own = error.message.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  if (!input.includes("undefined")) check(!/\bundefined\b/.test(own), "a refusal says undefined", error.message);
  check(!/Invalid input|Expected \w+, received/.test(own), "a refusal in a parser's words, not saying what is allowed", error.message);
  check(!own.includes("[object Object]"), "a refusal shows [object Object]", error.message);
  check(names.test(error.message), `a refusal names no key the user wrote (${names})`, error.message);
}

/** Nothing of a file's text in a message beyond a short excerpt: no line of it longer than 12 characters. */
export function checkNoEcho(message: string, text: string): void {
  for (const line of text.split("\n").filter((line) => line.trim().length > 12)) {
    check(!message.includes(line.trim()), "a refusal echoes the file", message);
  }
}

/** No secret value (of the config's secrets) in a text shown to the user: a message, a warning, a plan's plain field. */
export function checkNoSecret(text: string, secrets: string[], what: string): void {
  for (const secret of secrets) check(!text.includes(secret), `${what} shows a secret's value`, text.split(secret).join("[the secret]"));
}

/**
 * Every string a plan carries in plain text holds no secret's value: the plan as JSON, where an
 * Output (which carries the secrets) is a note that it cannot be shown, and a SecretText "[secret]".
 */
export function checkPlanKeepsSecrets(plan: object, secrets: string[]): void {
  checkNoSecret(JSON.stringify(plan), secrets, "a plan's plain field");
}

/** Outside the dev stack, no plain environment value or build argument of a plan looks like a credential. */
export function checkNoLiteralSecrets(
  stack: string,
  what: string,
  env: Record<string, pulumi.Input<string>> | undefined,
  args?: Record<string, pulumi.Input<string>>,
): void {
  if (stack === "dev") return;
  for (const [name, value] of [...Object.entries(env ?? {}), ...Object.entries(args ?? {})]) {
    if (typeof value === "string")
      check(secretLooking(name, value) === undefined, `${what} carries a secret-looking literal outside dev`, name);
  }
}

/** A duration of a plan within its range (stacks/resolve.ts SECONDS_RANGES, inside every engine's). */
function seconds(value: number | undefined, field: SecondsField, what: string): void {
  const { min, max } = SECONDS_RANGES[field];
  check(value === undefined || (Number.isInteger(value) && value >= min && value <= max), `${what} is ${min}-${max} seconds`, value);
}

/** A health check's timings, as Docker, a swarm and Kubernetes take them. */
function health(
  timings: { intervalSeconds?: number; timeoutSeconds?: number; startPeriodSeconds?: number; retries?: number } | undefined,
  what: string,
): void {
  if (timings === undefined) return;
  seconds(timings.intervalSeconds, "health.intervalSeconds", `${what} health interval`);
  seconds(timings.timeoutSeconds, "health.timeoutSeconds", `${what} health timeout`);
  seconds(timings.startPeriodSeconds, "health.startPeriodSeconds", `${what} health start period`);
  const retries = timings.retries;
  check(
    retries === undefined || (Number.isInteger(retries) && retries >= 1 && retries <= MAX_HEALTH_RETRIES),
    `${what} health retries`,
    retries,
  );
}

const port = (value: number | undefined, what: string): void =>
  check(value === undefined || (Number.isInteger(value) && value >= 1 && value <= 65535), `${what} is a port 1-65535`, value);
const count = (value: number | undefined, what: string): void =>
  check(
    value === undefined || (Number.isInteger(value) && value >= 0 && value <= INT32_MAX),
    `${what} is a whole number within int32`,
    value,
  );
const cpus = (value: number | undefined, what: string): void =>
  check(value === undefined || (Number.isFinite(value) && value >= MIN_CPUS), `${what} is at least ${MIN_CPUS} CPUs`, value);

/** A compose port's host IP by service and container port: where the file asked it bound. */
export type AskedBindings = Map<string, Map<number, string>>;

const anyAddress = (ip: string) => ip === "0.0.0.0" || ip === "::" || ip === "[::]" || ip === "";

export function checkDocker(plan: DockerPlan, config: StackConfig, asked: AskedBindings = new Map()): void {
  for (const [, network] of plan.networks) check(DOCKER_NAME.test(network.name), "a Docker network name", network.name);
  for (const [, volume] of plan.volumes) check(DOCKER_NAME.test(volume.name as string), "a Docker volume name", volume.name);
  for (const container of plan.containers) {
    const args = container.args;
    check(DOCKER_NAME.test(args.name), "a Docker container name", args.name);
    cpus(args.cpus, `${args.name} cpus`);
    seconds(args.stopGracePeriodSeconds, "stopGracePeriodSeconds", `${args.name} stopGracePeriodSeconds`);
    health(args.health, args.name);
    count(args.maxRestarts, `${args.name} maxRestarts`);
    checkNoLiteralSecrets(config.stack, args.name, args.env);
    checkNoLiteralCommand(config.stack, args.name, args.command, args.entrypoint, args.health?.command);
    for (const binding of args.ports ?? []) {
      port(binding.containerPort, `${args.name} containerPort`);
      port(binding.hostPort, `${args.name} hostPort`);
      if (binding.hostPort === undefined) continue;
      check(binding.hostIp === config.bindAddress, "a published port binds where dockyard:bindAddress says", binding);
      const ip = asked.get(container.service)?.get(binding.containerPort);
      if (ip !== undefined && !anyAddress(ip))
        check(binding.hostIp === ip, `a published port binds no wider than the file's ${ip}`, binding);
    }
    for (const mount of args.mounts ?? []) {
      if (HOST_MOUNTS_REFUSED && mount.hostPath !== undefined)
        check(!isTakeover(mount.hostPath, mount.readOnly ?? false), "a host path that takes over the host", mount);
    }
  }
  check(plan.containers.length <= 10_000, "a plan of at most 10,000 containers", plan.containers.length);
  for (const [name, build] of plan.builds) checkNoLiteralSecrets(config.stack, `${name} build`, undefined, build.args);
}

export function checkSwarm(plan: SwarmPlan, config: StackConfig, asked: AskedBindings = new Map()): void {
  for (const [name, build] of plan.builds) checkNoLiteralSecrets(config.stack, `${name} build`, undefined, build.args);
  for (const [, network] of plan.networks) check(DOCKER_NAME.test(network.name), "a Docker network name", network.name);
  for (const service of plan.services) {
    const args = service.args;
    check(DOCKER_NAME.test(args.name) && args.name.length <= 63, "a swarm service name", args.name);
    count(args.replicas, `${args.name} replicas`);
    count(args.maxReplicasPerNode, `${args.name} maxReplicasPerNode`);
    seconds(args.stopGracePeriodSeconds, "stopGracePeriodSeconds", `${args.name} stopGracePeriodSeconds`);
    health(args.health, args.name);
    seconds(args.monitorSeconds, "rollout.monitorSeconds", `${args.name} monitorSeconds`);
    seconds(args.update?.delaySeconds, "rollout.delaySeconds", `${args.name} update.delaySeconds`);
    seconds(args.rollback?.delaySeconds, "rollout.delaySeconds", `${args.name} rollback.delaySeconds`);
    seconds(args.rollback?.monitorSeconds, "rollout.monitorSeconds", `${args.name} rollback.monitorSeconds`);
    seconds(args.restart?.delaySeconds, "restart.delaySeconds", `${args.name} restart.delaySeconds`);
    seconds(args.restart?.windowSeconds, "restart.windowSeconds", `${args.name} restart.windowSeconds`);
    check(
      args.convergeTimeoutSeconds >= 10 && args.convergeTimeoutSeconds <= 86400,
      `${args.name} convergeTimeoutSeconds is 10-86400`,
      args.convergeTimeoutSeconds,
    );
    checkNoLiteralSecrets(config.stack, args.name, args.env);
    checkNoLiteralCommand(config.stack, args.name, args.command, args.entrypoint, args.health?.command);
    cpus(args.cpus, `${args.name} cpus`);
    for (const binding of args.ports ?? []) {
      port(binding.containerPort, `${args.name} containerPort`);
      port(binding.publishedPort, `${args.name} publishedPort`);
      const ip = asked.get(service.name)?.get(binding.containerPort);
      // A swarm publishes on every interface of its nodes.
      check(ip === undefined || anyAddress(ip), `a published port binds no wider than the file's ${ip}`, binding);
    }
  }
}

export function checkKubernetes(plan: KubernetesPlan, config: StackConfig, asked: AskedBindings = new Map()): void {
  check(DNS_LABEL.test(plan.namespace), "a namespace is a DNS-1123 label", plan.namespace);
  for (const [name, build] of plan.builds) checkNoLiteralSecrets(config.stack, `${name} build`, undefined, build.args);
  for (const deployment of plan.deployments) {
    const args = deployment.args;
    check(DNS_LABEL.test(deployment.service), "a Deployment name is a DNS-1123 label", deployment.service);
    count(args.replicas, `${deployment.service} replicas`);
    cpus(args.cpus, `${deployment.service} cpus`);
    seconds(args.stopGracePeriodSeconds, "stopGracePeriodSeconds", `${deployment.service} terminationGracePeriodSeconds`);
    health(args.health, deployment.service);
    seconds(args.minReadySeconds, "rollout.monitorSeconds", `${deployment.service} minReadySeconds`);
    // The API refuses a progress deadline (600 s when not set) that is not longer than minReadySeconds.
    const deadline = args.rolloutTimeoutSeconds ?? 600;
    check(deadline >= 10 && deadline <= 86400, `${deployment.service} progressDeadlineSeconds is 10-86400`, deadline);
    check((args.minReadySeconds ?? 0) < deadline, `${deployment.service} minReadySeconds is under progressDeadlineSeconds`, [
      args.minReadySeconds,
      deadline,
    ]);
    checkNoLiteralSecrets(config.stack, deployment.service, args.env);
    checkNoLiteralCommand(config.stack, deployment.service, args.command, args.entrypoint, args.health?.command);
    for (const binding of args.ports ?? []) {
      port(binding.containerPort, `${deployment.service} containerPort`);
      check(DNS_LABEL.test(binding.name) && binding.name.length <= 15, "a port name is a DNS label of up to 15", binding.name);
      const ip = asked.get(deployment.service)?.get(binding.containerPort);
      if (binding.published && plan.serviceType !== "ClusterIP") {
        check(ip === undefined || anyAddress(ip), `a published port binds no wider than the file's ${ip}`, binding);
      }
    }
  }
}

const GUARDED: Array<[string, object]> = [
  ["Object.prototype", Object.prototype],
  ["Object", Object],
  ["Function.prototype", Function.prototype],
];

/**
 * Object.prototype, Object and Function.prototype as they are now. `check` throws when a run has
 * added, changed or removed a property of one, after putting them back, so that the next run (and
 * fast-check's shrinking) starts from the same objects.
 */
export function prototypeGuard(): { check(): void } {
  const saved = GUARDED.map(([name, target]) => {
    const descriptors = new Map(Reflect.ownKeys(target).map((key) => [key, Object.getOwnPropertyDescriptor(target, key)]));
    return { name, target, descriptors };
  });
  return {
    check() {
      const changed: string[] = [];
      for (const { name, target, descriptors } of saved) {
        for (const key of Reflect.ownKeys(target)) {
          const was = descriptors.get(key);
          const now = Object.getOwnPropertyDescriptor(target, key);
          if (was === undefined) {
            changed.push(`${name}.${String(key)} added`);
            delete (target as Record<PropertyKey, unknown>)[key];
          } else if (was.value !== now?.value || was.get !== now?.get) {
            changed.push(`${name}.${String(key)} changed`);
            Object.defineProperty(target, key, was);
          }
        }
        const present = new Set(Reflect.ownKeys(target));
        for (const [key, was] of descriptors) {
          if (!present.has(key) && was !== undefined) {
            changed.push(`${name}.${String(key)} removed`);
            Object.defineProperty(target, key, was);
          }
        }
      }
      if (changed.length > 0) throw new Error(`invariant broken: a run wrote onto a prototype: ${changed.join(", ")}`);
    },
  };
}
