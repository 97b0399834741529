/**
 * The application model: plain typed data, no Pulumi resources, in words that mean the same on
 * every target. An app module (stacks/votingApp.ts) describes its services once; stacks/resolve.ts
 * checks it and fills in every default; each target (stacks/targets/) plans from the result. What a
 * field means on a particular target is said where that target plans it, and a field a target cannot
 * honour is refused or warned about there (unsupported and ignored, stacks/targets/common.ts), never dropped.
 */
import { SecurityArgs } from "../components/security";
import { ScalingSettings } from "../components/k8s/scaling";

/** Where a service's image comes from. */
export type ImageSource =
  | {
      /** Built from a Dockerfile in this repository. */
      kind: "build";
      /** Build context, relative to the project root. */
      context: string;
      /** Dockerfile path relative to the context. @default "Dockerfile" */
      dockerfile?: string;
      /**
       * Build arguments. An argument whose name ends in _IMAGE names a base image (PYTHON_IMAGE), so
       * it must be pinned outside the dev stack, as an image would. @default - none
       */
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
  /** Names the port: stack config addresses it as services.<service>.ports.<name>. */
  name: string;
  /** The port the service listens on. */
  containerPort: number;
  /** @default "tcp" */
  protocol?: "tcp" | "udp";
  /**
   * Reachable from outside the app on this port number.
   * @default - not published: reachable only by the app's other services
   */
  publishedPort?: number;
  /**
   * Where a published port is bound on a swarm: `host` on each node that runs a task (one task per
   * node), `ingress` on every node through the routing mesh (a `vip` service only). Docker publishes
   * on its one host either way; Kubernetes through the Service (dockyard:serviceType).
   * @default - the service's endpoint mode's: host for dnsrr, ingress for vip
   */
  publishMode?: "host" | "ingress";
  /**
   * Only the health check connects to this port (a worker's /healthz): declared so the check probes a
   * port the service has, but no other service reaches it. Cannot be published.
   * @default false
   */
  healthOnly?: boolean;
}

export interface HealthCheck {
  /** Command run inside the container; exit 0 means healthy. */
  command: string[];
  /**
   * An HTTP endpoint that answers the same question, for targets that probe over the network.
   * `port` must be one of the service's container ports. @default - the command only
   */
  http?: { path: string; port: number };
  /** Seconds between checks. @default HEALTH_DEFAULTS.intervalSeconds (10; components/health.ts) */
  intervalSeconds?: number;
  /** Seconds before a check counts as failed. @default HEALTH_DEFAULTS.timeoutSeconds (5) */
  timeoutSeconds?: number;
  /** Failures in a row before the service counts as unhealthy. @default HEALTH_DEFAULTS.retries (3) */
  retries?: number;
  /** Grace period after start during which failures do not count. @default HEALTH_DEFAULTS.startPeriodSeconds (10) */
  startPeriodSeconds?: number;
}

export interface VolumeMount {
  /** A named volume of the app. Exactly one of `volume` and `hostPath`. @default - hostPath */
  volume?: string;
  /** An absolute path on the machine that runs the container (a bind mount). @default - volume */
  hostPath?: string;
  mountPath: string;
  /** @default false */
  readOnly?: boolean;
}

export interface Limits {
  /** CPU limit in CPUs (0.5 = half a core). */
  cpus: number;
  /** Memory limit ("100m", "1g", "512Mi"; binary units). */
  memory: string;
}

/** A service's HorizontalPodAutoscaler (`services.<name>.autoscaling`): the one definition the Autoscaler component and ComposeApp share. */
export type Autoscaling = ScalingSettings;

export type DependencyCondition = "started" | "healthy";

/**
 * How an update (or a rollback) replaces running copies: `start-first` starts the new copy and stops
 * the old one once the new one is healthy (no gap, two copies for a moment); `stop-first` stops the
 * old one first (needed when two cannot run at once: one writer, one volume, one host port).
 */
export type UpdateOrder = "start-first" | "stop-first";

/** What a rollback does when it fails too. */
export type RollbackFailureAction = "pause" | "continue";

/** How a rollback replaces copies; each field unset is the update's value. */
export interface RollbackSettings {
  /** Copies replaced at a time; 0 replaces all at once. @default - the update's parallelism */
  parallelism?: number;
  /** Seconds between one batch and the next. @default - the update's delaySeconds */
  delaySeconds?: number;
  /** @default - the update's order */
  order?: UpdateOrder;
  /** Seconds each replaced copy is watched for failure. @default - the update's monitorSeconds */
  monitorSeconds?: number;
  /** Share of copies (0 to 1) that may fail while being replaced. @default - the update's maxFailureRatio */
  maxFailureRatio?: number;
  /** When the rollback fails too: stop there (`pause`), or go on (`continue`). @default "pause" */
  failureAction?: RollbackFailureAction;
}

/** How an update replaces a service's running copies (compose `deploy.update_config`). */
export interface Rollout {
  /** Copies replaced at a time; 0 replaces all at once. @default 1 */
  parallelism?: number;
  /** Seconds between one batch and the next. @default 0 */
  delaySeconds?: number;
  /**
   * @default - "start-first" where two copies can run at once, "stop-first" for a single writer, a
   * service with a volume, or one whose port is bound on the node (a swarm's host-mode port)
   */
  order?: UpdateOrder;
  /** Seconds each replaced copy is watched for failure before the next batch. @default 5 */
  monitorSeconds?: number;
  /** Share of copies (0 to 1) that may fail while being replaced before failureAction. @default 0 */
  maxFailureRatio?: number;
  /** When an update fails: roll back to the previous version, stop there, or go on. @default "rollback" */
  failureAction?: "rollback" | "pause" | "continue";
  /** How a rollback replaces copies. @default - as the update, failureAction "pause" */
  rollback?: RollbackSettings;
}

/** Resources set aside for each copy on its node: the scheduler places a copy only where they are free. */
export interface Reservations {
  /** CPUs reserved (0.25 = a quarter of a core); at most limits.cpus. @default - a target's share of limits.cpus */
  cpus?: number;
  /** Memory reserved ("64m"); at most limits.memory. @default - limits.memory */
  memory?: string;
}

/** Where copies may run. */
export interface Placement {
  /**
   * Node conditions, all of which must hold, in swarm's grammar: `node.<attribute> == value` or `!=`,
   * the attribute one of id, hostname, role, platform.os, platform.arch, labels.<name>.
   * @default [] - any node
   */
  constraints?: string[];
  /** At most this many copies on one node; 0 for no limit. @default 0 */
  maxReplicasPerNode?: number;
}

/** When a stopped copy is started again (compose `deploy.restart_policy`). */
export interface RestartPolicy {
  /** `any`: whatever the exit; `on-failure`: a non-zero exit only; `none`: never. @default "any" */
  condition?: "any" | "on-failure" | "none";
  /** Seconds between a stop and the restart. @default 5 */
  delaySeconds?: number;
  /** Restarts attempted before giving up; 0 for no limit. @default 0 */
  maxAttempts?: number;
  /** Seconds over which maxAttempts is counted; 0 counts every attempt. @default 0 */
  windowSeconds?: number;
}

export interface ServiceModel {
  image: ImageSource;
  /** @default - the image's command */
  command?: string[];
  /** @default - the image's entrypoint */
  entrypoint?: string[];
  /** Plain environment. @default - none */
  env?: Record<string, string>;
  /**
   * Environment variables whose values are app secrets: variable name → secret name. How the value
   * reaches the process is the target's (a file named by VAR_FILE, or the variable itself), and is
   * described in the README. @default - none
   */
  secretEnv?: Record<string, string>;
  /**
   * Files in the container holding an app secret's value: absolute path → secret name (compose's
   * service `secrets:` read by the image from /run/secrets/<secret>, with no `<VAR>_FILE` variable).
   * @default - none
   */
  secretFiles?: Record<string, string>;
  /**
   * Files in the container holding one of the app's configs (compose's service `configs:`): absolute
   * path → the config and the file's owner and mode. Read-only in the container. @default - none
   */
  configFiles?: Record<string, ConfigFile>;
  /** @default - no ports */
  ports?: ServicePort[];
  /** The app networks the service joins; its name resolves to it on each of them. */
  networks: string[];
  /**
   * `none`: the service has no network at all (a loopback interface only), so it joins no app network
   * and publishes no port (compose `network_mode: none`). Docker honours it; swarm and Kubernetes
   * refuse it. @default - the app networks in `networks`
   */
  networkMode?: "none";
  /** @default - no mounts */
  volumes?: VolumeMount[];
  /** @default - no health check */
  health?: HealthCheck;
  /**
   * Services this one uses: "healthy" ones are created first and must pass their health check before
   * this one is created; "started" ones start together with it (it copes with them not being ready
   * yet: it retries or reconnects). @default - none
   */
  dependsOn?: Record<string, DependencyCondition>;
  limits: Limits;
  /** Copies to run. @default 1 */
  replicas?: number;
  /** Scale between bounds by CPU use instead of a fixed count. @default - a fixed count */
  autoscaling?: Autoscaling;
  /** Holds data that one instance at a time may write (a database): never two copies at once. @default false */
  singleWriter?: boolean;
  /** User (name or uid[:gid]) to run as. @default - the image's user */
  user?: string;
  /**
   * How each copy is confined: capabilities dropped and added back, no privilege escalation, a
   * read-only root filesystem with tmpfs paths. @default - the engine's defaults
   */
  security?: SecurityArgs;
  /** How updates replace copies. @default - the fields' own defaults (Rollout) */
  rollout?: Rollout;
  /** Resources reserved for each copy. @default - derived from limits by each target */
  reservations?: Reservations;
  /** Where copies may run. @default - any node (a single writer stays on the data node) */
  placement?: Placement;
  /** When a stopped copy is started again. @default - always, 5 seconds after it stopped */
  restart?: RestartPolicy;
  /**
   * Seconds a copy has to exit after its stop signal (SIGTERM) before it is killed: time to finish
   * the requests or the write in hand. @default - the target's: 10 on Docker and swarm, 30 on Kubernetes
   */
  stopGracePeriodSeconds?: number;
  /**
   * How the service's name reaches its copies on a swarm: `dnsrr` (the name resolves to each task,
   * ports bound on the task's node) or `vip` (one virtual address and the routing mesh).
   * @default - the stack's dockyard:swarmEndpointMode
   */
  endpointMode?: "dnsrr" | "vip";
}

export interface NetworkModel {
  subnet: string;
  /** @default - the first address of the subnet */
  gateway?: string;
  /** The part of the subnet services are given addresses from. @default - the whole subnet */
  ipRange?: string;
  /** No route outside the network. @default false */
  internal?: boolean;
}

export interface VolumeModel {
  /** Keep the data when the stack is destroyed (and protect it from deletion). @default false */
  retain?: boolean;
  /** Storage to reserve ("1Gi"). @default "1Gi" */
  size?: string;
}

export interface SecretModel {
  description: string;
  /** Shortest value accepted. @default 1 */
  minLength?: number;
}

/** A file the app gives its services (compose's top-level `configs:`): not secret, so its text is in the model. */
export interface ConfigModel {
  /** The file's text, exactly. */
  content: string;
}

/** Where a service reads an app config: a read-only file. */
export interface ConfigFile {
  /** The app config the file holds. */
  config: string;
  /** Numeric owner (uid). @default "0" - root */
  uid?: string;
  /** Numeric group (gid). @default "0" - root */
  gid?: string;
  /** Permission bits (0o440 is 288). @default 0o444 */
  mode?: number;
}

export interface AppModel {
  name: string;
  services: Record<string, ServiceModel>;
  networks: Record<string, NetworkModel>;
  volumes: Record<string, VolumeModel>;
  secrets: Record<string, SecretModel>;
  /** Files given to services (ServiceModel.configFiles). @default - none */
  configs?: Record<string, ConfigModel>;
}
