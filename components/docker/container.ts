import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { checkStopGraceSeconds, cpusToDocker, memoryToDockerMiB, parseCpus, parseMemory } from "../units";
import { parseAddress } from "../cidr";
import { ENV_NAME_RULE, isEnvName } from "../env";
import { ValidationError } from "../errors";
import { HealthTimings, healthTimings } from "../health";
import { sortedKeys } from "../sorted";
import { Protocol } from "../protocol";
import { normalSecurity, SecurityArgs, validateSecurityArgs } from "../security";
import { labelList } from "./labels";
import { fileUploads, secretFilesDirectory, secretHolder, secretUploads } from "./secretHolder";
import { formerTypes } from "../token";

/** When the engine restarts a container (`--restart`). */
export const RestartPolicy = {
  /** Never. */
  No: "no",
  /** When it exits with a non-zero code (at most `maxRestarts` times). */
  OnFailure: "on-failure",
  /** Whenever it stops, and when the engine starts. */
  Always: "always",
  /** Whenever it stops, and when the engine starts, unless it was stopped by hand. */
  UnlessStopped: "unless-stopped",
} as const;
export type RestartPolicy = (typeof RestartPolicy)[keyof typeof RestartPolicy];

/** How a container is networked instead of joining `networks` (`--network`). */
export const NetworkMode = {
  /** No network at all: a loopback interface only. */
  None: "none",
} as const;
export type NetworkMode = (typeof NetworkMode)[keyof typeof NetworkMode];

/**
 * A port of the container. With a `hostPort` it is published on the Docker host (`-p
 * 127.0.0.1:5000:80`, compose `ports`); without one it is only exposed to the container's networks
 * (compose `expose`): nothing is bound on the host. Containers on a user-defined network reach each
 * other's ports whether or not they are listed, so an exposed port is not passed to the engine at all
 * (the provider would publish it on a random host port on 0.0.0.0).
 */
export interface ContainerPortArgs {
  containerPort: number;
  /**
   * Host port the container port is published on.
   * @default - not published: reachable only from the container's networks, never bound on the host
   */
  hostPort?: number;
  /**
   * Host address the published port binds to; only used with `hostPort`.
   * @default "127.0.0.1" (not reachable from beyond this machine)
   */
  hostIp?: string;
  /** @default "tcp" */
  protocol?: Protocol;
}

/**
 * A file holding a secret, written into the container before it starts (as compose `secrets`, which
 * appear as /run/secrets/<name>). Unlike an environment variable, its content does not show in
 * `docker inspect`; in the state it is encrypted. With a read-only root filesystem the files are
 * written into a volume "<name>-secrets" by a never-started holder container of that name, and the
 * volume is mounted read-only at their directory (secretHolder.ts).
 */
export interface ContainerSecretFileArgs {
  /** Absolute path of the file in the container, such as /run/secrets/db-password. */
  path: string;
  /** The file's content, exactly (no newline is added); always sent and stored as a secret. */
  content: pulumi.Input<string>;
  /**
   * Octal permission mode of the file (owned by root).
   * @default "0444" (readable by any user, as compose secrets, so a non-root image user can read it)
   */
  mode?: string;
}

/**
 * A file that is not secret (compose `configs`), written into the container before it starts, or
 * into the secret holder's volume with a read-only root (then in the secret files' directory).
 */
export interface ContainerConfigFileArgs {
  /** Absolute path of the file in the container, such as /etc/nginx/nginx.conf. */
  path: string;
  /** The file's content, exactly. */
  content: pulumi.Input<string>;
  /** Octal permission mode of the file, owned by root (the provider's uploads take no owner). @default "0444" */
  mode?: string;
}

export interface ContainerMountArgs {
  /** A named volume. Exactly one of `volumeName` and `hostPath`. */
  volumeName?: pulumi.Input<string>;
  /** An absolute path on the Docker host (a bind mount); with a remote engine, on that machine. */
  hostPath?: string;
  containerPath: string;
  /** @default false */
  readOnly?: boolean;
}

export interface ContainerNetworkArgs {
  /** The Docker network's name. */
  name: pulumi.Input<string>;
  /** DNS names other containers on this network reach this one by. @default [] */
  aliases?: string[];
}

export interface ContainerHealthArgs extends HealthTimings {
  /** Command run in the container; exit 0 means healthy. Run directly, not through a shell. */
  command: string[];
  /** Seconds between checks (`--health-interval`). @default HEALTH_DEFAULTS.intervalSeconds (10) */
  intervalSeconds?: number;
  /** Seconds before a check counts as failed (`--health-timeout`). @default HEALTH_DEFAULTS.timeoutSeconds (5) */
  timeoutSeconds?: number;
  /** Consecutive failures before the container is unhealthy (`--health-retries`). @default HEALTH_DEFAULTS.retries (3) */
  retries?: number;
  /** Seconds after start during which failures do not count (`--health-start-period`). @default HEALTH_DEFAULTS.startPeriodSeconds (10) */
  startPeriodSeconds?: number;
}

export interface ContainerArgs {
  /** The container's name (`docker run --name`). */
  name: string;
  /** Image to run: a reference, or an image id/digest so a new build replaces the container. */
  image: pulumi.Input<string>;
  /** Replaces the image's CMD. @default - the image's CMD */
  command?: string[];
  /** Replaces the image's ENTRYPOINT (`--entrypoint`). @default - the image's ENTRYPOINT */
  entrypoint?: string[];
  /** Environment (`-e KEY=value`). @default {} */
  env?: Record<string, pulumi.Input<string>>;
  /**
   * Environment whose values are secrets: stored encrypted in the state, but readable by anyone who
   * can `docker inspect` the container; prefer `secretFiles`. @default {}
   */
  secretEnv?: Record<string, pulumi.Input<string>>;
  /** Secrets as files in the container (compose `secrets`); not in `docker inspect`. @default [] */
  secretFiles?: ContainerSecretFileArgs[];
  /** Files that are not secret (compose `configs`), plain in the state. @default [] */
  configFiles?: ContainerConfigFileArgs[];
  /** Published (`-p 127.0.0.1:5000:80`) and exposed ports; only published ones reach the engine. @default [] */
  ports?: ContainerPortArgs[];
  /** Named volumes and bind mounts (`-v data:/var/lib/x`, `-v /opt/data:/data`). @default [] */
  mounts?: ContainerMountArgs[];
  /** Networks to join, with aliases. @default [] - Docker's default bridge */
  networks?: ContainerNetworkArgs[];
  /**
   * `none`: no network at all, a loopback interface only (`--network none`); `networks` and published
   * ports must then be empty. @default - `networks`
   */
  networkMode?: NetworkMode;
  /** @default "unless-stopped" */
  restart?: RestartPolicy;
  /** Restarts before giving up, with restart "on-failure" only (`--restart on-failure:3`). @default - no limit */
  maxRestarts?: number;
  /** Seconds the container has to exit after its stop signal before it is killed (`--stop-timeout`). @default - the engine's, 10 */
  stopGracePeriodSeconds?: number;
  /** User to run as (`-u`). @default - the image's user */
  user?: string;
  /** Capabilities, privilege escalation, a read-only root filesystem (`--cap-drop`, `--security-opt no-new-privileges`, `--read-only`, `--tmpfs`). @default - the engine's defaults */
  security?: SecurityArgs;
  /** Health check (`--health-cmd`). @default - the image's HEALTHCHECK, not waited for */
  health?: ContainerHealthArgs;
  /** CPU limit in CPUs (`--cpus=0.5`). @default - unlimited */
  cpus?: number;
  /**
   * Memory limit as `--memory` ("100m", "1g"); a whole number of MiB. The container gets no swap on
   * top of it (`--memory-swap` equal to `--memory`), the same limit it has on Kubernetes.
   * @default - unlimited
   */
  memory?: string;
  /** Wait until the health check passes before dependents start (compose `service_healthy`). @default true when `health` is set */
  waitForHealthy?: boolean;
  /** @default {} */
  labels?: Record<string, string>;
}

const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The label a container with a read-only root and secret files carries: its secret holder's container id. */
export const SECRETS_HOLDER_LABEL = "dockyard.secrets-holder";

/** Docker's tmpfs options: its defaults for `--tmpfs` (writable, no executables, no setuid), 64 MiB. */
const TMPFS_OPTIONS = "rw,noexec,nosuid,size=65536k";

/**
 * A capability as the engine keeps it (CAP_NET_RAW for NET_RAW; ALL as it is): the provider reads the
 * engine's names back, and any other spelling would replace the container after every refresh.
 */
const engineCapability = (name: string) => (name === "ALL" ? name : `CAP_${name}`);

/** The security settings as the provider's inputs, each left out when it is the engine's default. */
function dockerSecurity(security: SecurityArgs | undefined): Partial<docker.ContainerArgs> {
  if (security === undefined) return {};
  const normal = normalSecurity(security);
  const capabilities = { drops: normal.capDrop.map(engineCapability), adds: normal.capAdd.map(engineCapability) };
  return {
    ...(normal.capDrop.length + normal.capAdd.length > 0 ? { capabilities } : {}),
    ...(normal.noNewPrivileges ? { securityOpts: ["no-new-privileges:true"] } : {}),
    ...(normal.readOnlyRootFilesystem ? { readOnly: true } : {}),
    ...(normal.tmpfs.length > 0 ? { tmpfs: Object.fromEntries(normal.tmpfs.map((path) => [path, TMPFS_OPTIONS])) } : {}),
  };
}

/** Everything that can be checked before the engine sees it; throws ValidationError. */
export function validateContainerArgs(name: string, args: ContainerArgs): void {
  const where = `Container "${name}"`;
  const fail = (message: string): never => {
    throw new ValidationError(`${where}: ${message}`);
  };
  if (!CONTAINER_NAME.test(args.name)) {
    fail(`name must start with a letter or digit and contain only letters, digits, _ . -, got ${JSON.stringify(args.name)}`);
  }
  if (args.maxRestarts !== undefined) {
    if ((args.restart ?? "unless-stopped") !== "on-failure") {
      fail(`maxRestarts applies to restart "on-failure" only, got restart ${JSON.stringify(args.restart ?? "unless-stopped")}`);
    }
    if (!Number.isInteger(args.maxRestarts) || args.maxRestarts < 1)
      fail(`maxRestarts must be a whole number of 1 or more, got ${args.maxRestarts}`);
  }
  if (args.stopGracePeriodSeconds !== undefined) checkStopGraceSeconds(args.stopGracePeriodSeconds, `${where}: stopGracePeriodSeconds`);
  if (args.security !== undefined) validateSecurityArgs(where, args.security);
  const written = [...(args.secretFiles ?? []), ...(args.configFiles ?? [])];
  if (args.security?.readOnlyRootFilesystem && written.length > 0 && secretFilesDirectory(written) === undefined) {
    fail(
      `with security.readOnlyRootFilesystem, secret ${args.configFiles?.length ? "and config " : ""}files must all be in one directory other than / (a volume mounted read-only there holds them), got ${written.map((file) => file.path).join(", ")}`,
    );
  }
  if (args.cpus !== undefined) parseCpus(args.cpus, `${where}: cpus`);
  if (args.memory !== undefined) memoryToDockerMiB(parseMemory(args.memory, `${where}: memory`), `${where}: memory`);
  const seen = new Set<string>();
  for (const port of args.ports ?? []) {
    for (const [field, value] of [
      ["containerPort", port.containerPort],
      ["hostPort", port.hostPort],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 65535)) {
        fail(`${field} must be 1-65535, got ${value}`);
      }
    }
    if (port.hostIp !== undefined && parseAddress(port.hostIp) === undefined) {
      fail(`hostIp must be an IPv4 address such as 127.0.0.1, got ${JSON.stringify(port.hostIp)}`);
    }
    if (port.hostPort !== undefined) {
      const key = `${port.hostIp ?? "127.0.0.1"}:${port.hostPort}/${port.protocol ?? "tcp"}`;
      if (seen.has(key)) fail(`host port ${key} is published twice`);
      seen.add(key);
    }
  }
  for (const mount of args.mounts ?? []) {
    if ((mount.volumeName === undefined) === (mount.hostPath === undefined)) {
      fail(`mount at ${mount.containerPath} needs exactly one of volumeName and hostPath`);
    }
    if (mount.hostPath !== undefined && !mount.hostPath.startsWith("/")) {
      fail(`hostPath must be an absolute path on the Docker host, got ${JSON.stringify(mount.hostPath)}`);
    }
    if (!mount.containerPath.startsWith("/")) {
      fail(`containerPath must be absolute, got ${JSON.stringify(mount.containerPath)}`);
    }
  }
  const files = new Set<string>();
  for (const [kind, list] of [
    ["secret", args.secretFiles ?? []],
    ["config", args.configFiles ?? []],
  ] as const) {
    for (const file of list as ContainerConfigFileArgs[]) {
      if (!file.path.startsWith("/") || file.path.endsWith("/")) {
        fail(`${kind} file path must be an absolute file path, got ${JSON.stringify(file.path)}`);
      }
      if (files.has(file.path)) fail(`${kind} file ${file.path} is given twice`);
      files.add(file.path);
      if (file.mode !== undefined && !/^0[0-7]{3}$/.test(file.mode)) {
        fail(`${kind} file ${file.path}: mode must be octal like "0444", got ${JSON.stringify(file.mode)}`);
      }
    }
  }
  if (args.health && args.health.command.length === 0) {
    fail("health.command must not be empty");
  }
  if (args.waitForHealthy && !args.health) {
    fail("waitForHealthy needs a health check");
  }
  for (const variable of sortedKeys({ ...args.env, ...args.secretEnv })) {
    if (!isEnvName(variable)) fail(`env name must be ${ENV_NAME_RULE}, got ${JSON.stringify(variable)}`);
  }
  const joined = new Set<string>();
  for (const network of args.networks ?? []) {
    // Names not known yet (Outputs) are not compared.
    if (typeof network.name !== "string") continue;
    if (joined.has(network.name))
      fail(`network ${JSON.stringify(network.name)} is joined twice; Docker attaches a container to a network once`);
    joined.add(network.name);
  }
  if (args.networkMode !== undefined) {
    if (args.networkMode !== "none") fail(`networkMode must be "none", got ${JSON.stringify(args.networkMode)}`);
    if ((args.networks?.length ?? 0) > 0) fail('networkMode "none" cannot go with networks: the container has no network');
    if ((args.ports ?? []).some((port) => port.hostPort !== undefined)) {
      fail('networkMode "none" cannot go with a published port: the container has no network to publish it on');
    }
  }
  const both = Object.keys(args.env ?? {}).filter((key) => key in (args.secretEnv ?? {}));
  if (both.length > 0) {
    fail(`env ${both.join(", ")} is given both plain and secret`);
  }
}

/** Seconds as the provider's duration strings ("10s"). */
const seconds = (value: number): string => `${value}s`;

/**
 * One container (`docker run -d`), with limits in the units people type, health checks that
 * dependents can wait for, and secrets kept out of the state's plain text.
 */
export class Container extends pulumi.ComponentResource {
  public readonly containerName: pulumi.Output<string>;
  public readonly containerId: pulumi.Output<string>;

  constructor(name: string, args: ContainerArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated before anything, the component itself included, is registered.
    validateContainerArgs(name, args);
    super("dockyard:index:Container", name, {}, formerTypes(opts, "dockyard:docker:Container"));

    const health = args.health;
    const { intervalSeconds: interval, timeoutSeconds: timeout, retries, startPeriodSeconds: startPeriod } = healthTimings(health ?? {});
    const wait = args.waitForHealthy ?? health !== undefined;
    const memoryMiB = args.memory === undefined ? undefined : memoryToDockerMiB(parseMemory(args.memory));
    const written = [...(args.secretFiles ?? []), ...(args.configFiles ?? [])];
    const holder =
      args.security?.readOnlyRootFilesystem && written.length > 0
        ? secretHolder(
            name,
            {
              containerName: args.name,
              image: args.image,
              files: written,
              secret: (args.secretFiles?.length ?? 0) > 0,
              labels: args.labels,
            },
            this,
          )
        : undefined;

    const container = new docker.Container(
      name,
      {
        name: args.name,
        image: args.image,
        command: args.command,
        entrypoints: args.entrypoint,
        envs: environment(args.env ?? {}, args.secretEnv ?? {}),
        // Only published ports: an entry without `external` would be bound on a random host port.
        ports: (args.ports ?? []).flatMap((port) =>
          port.hostPort === undefined
            ? []
            : [{ internal: port.containerPort, external: port.hostPort, ip: port.hostIp ?? "127.0.0.1", protocol: port.protocol ?? "tcp" }],
        ),
        // Written into the container before it starts (on a read-only root, into the holder's
        // volume instead). Unset without files: uploads force a replacement.
        uploads:
          written.length === 0 || holder !== undefined
            ? undefined
            : args.secretFiles?.length
              ? secretUploads(written)
              : fileUploads(written),
        volumes: [
          ...(args.mounts ?? []).map((mount) => ({
            volumeName: mount.volumeName,
            hostPath: mount.hostPath,
            containerPath: mount.containerPath,
            readOnly: mount.readOnly ?? false,
          })),
          ...(holder === undefined ? [] : [{ volumeName: holder.volumeName, containerPath: holder.directory, readOnly: true }]),
        ],
        networksAdvanced: (args.networks ?? []).map((network) => ({ name: network.name, aliases: network.aliases ?? [] })),
        ...(args.networkMode !== undefined ? { networkMode: args.networkMode } : {}),
        restart: args.restart ?? "unless-stopped",
        ...(args.maxRestarts !== undefined ? { maxRetryCount: args.maxRestarts } : {}),
        ...(args.stopGracePeriodSeconds !== undefined ? { stopTimeout: args.stopGracePeriodSeconds } : {}),
        user: args.user,
        ...dockerSecurity(args.security),
        cpus: args.cpus === undefined ? undefined : cpusToDocker(parseCpus(args.cpus)),
        memory: memoryMiB,
        // memory + swap = memory: no swap, as on Kubernetes. Left unset, Docker gives twice the
        // memory and the provider would then show a difference on every update.
        memorySwap: memoryMiB,
        healthcheck: health && {
          tests: ["CMD", ...health.command],
          interval: seconds(interval),
          timeout: seconds(timeout),
          retries,
          startPeriod: seconds(startPeriod),
        },
        wait,
        // Long enough for the start period and every retry, plus time to pull nothing and start.
        waitTimeout: wait ? startPeriod + (interval + timeout) * (retries + 1) + 30 : undefined,
        // The holder's id: new secret contents replace the holder, and so this container, which reads them at start.
        labels:
          holder === undefined
            ? labelList(args.labels)
            : [...labelList(args.labels), { label: SECRETS_HOLDER_LABEL, value: holder.holderId }],
        mustRun: true,
      },
      // The name is fixed, so a replacement must remove the old container first (which also keeps
      // two copies of a single-writer service off its volume). dependsOn is passed on explicitly
      // so the engine orders the provider resource itself, not only the component.
      { parent: this, dependsOn: opts?.dependsOn, deleteBeforeReplace: true },
    );

    this.containerName = container.name;
    this.containerId = container.id;
    this.registerOutputs({ containerName: this.containerName, containerId: this.containerId });
  }
}

/** ["KEY=value"] in sorted key order; a secret Output when any value is secret. */
function environment(plain: Record<string, pulumi.Input<string>>, secret: Record<string, pulumi.Input<string>>): pulumi.Output<string[]> {
  const keys = [...Object.keys(plain), ...Object.keys(secret)].sort();
  const pairs = pulumi.all(keys.map((key) => pulumi.output(plain[key] ?? secret[key]).apply((value) => `${key}=${value}`)));
  return Object.keys(secret).length > 0 ? pulumi.secret(pairs) : pairs;
}
