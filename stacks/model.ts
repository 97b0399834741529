/**
 * The application model: plain typed data, no Pulumi resources, in words that mean the same on
 * every target. An app module (stacks/votingApp.ts) describes its services once; stacks/resolve.ts
 * checks it and fills in every default; each target (stacks/targets/) plans from the result. What a
 * field means on a particular target is said where that target plans it, and a field a target cannot
 * honour is refused or warned about there (stacks/targets/capabilities.ts), never dropped.
 */

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

export interface Autoscaling {
  minReplicas: number;
  maxReplicas: number;
  /** Average CPU use to aim for, in percent of the CPU requested. */
  targetCpuPercent: number;
}

export type DependencyCondition = "started" | "healthy";

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
  /** @default - no ports */
  ports?: ServicePort[];
  /** The app networks the service joins; its name resolves to it on each of them. */
  networks: string[];
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

export interface AppModel {
  name: string;
  services: Record<string, ServiceModel>;
  networks: Record<string, NetworkModel>;
  volumes: Record<string, VolumeModel>;
  secrets: Record<string, SecretModel>;
}
