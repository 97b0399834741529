/**
 * The pieces of a service's pod and its storage, as pure functions of small inputs: resources,
 * probes, update strategy, the env ConfigMap's name, the security context and a volume claim's spec.
 * The Deployment component assembles them; nothing here registers a resource.
 */
import * as k8s from "@pulumi/kubernetes";
import { createHash } from "crypto";
import { HealthTimings, healthTimings } from "../health";
import { normalSecurity, SecurityArgs } from "../security";
import { sortedEntries } from "../sorted";
import { cpusToQuantity, memoryToQuantity, parseCpus, parseMemory, parseStorageSize } from "../units";

export interface DeploymentVolumeArgs {
  /** The PersistentVolumeClaim's `metadata.name`, also the pod volume's name ("db-data"). */
  claimName: string;
  /** Where the volume is mounted in the container. */
  mountPath: string;
  /** @default false */
  readOnly?: boolean;
  /** Storage to request, in the model's size grammar ("1Gi", "256Mi", "2g"; binary units), converted exactly. @default "1Gi" */
  size?: string;
  /** StorageClass of the claim. @default - the cluster's default StorageClass */
  storageClass?: string;
  /**
   * Keep the claim (and so its volume and data) when the stack is destroyed or the volume dropped from
   * the program: Pulumi's `retainOnDelete`. The namespace holding it must be retained too.
   * @default false
   */
  retain?: boolean;
}

/** An HTTP endpoint probed with GET; a status from 200 to 399 means healthy. */
export interface HttpProbeArgs {
  /** Path requested, such as "/healthz". */
  path: string;
  /** Container port requested. */
  port: number;
}

export interface DeploymentHealthArgs extends HealthTimings {
  /** Command run in the container; exit 0 means healthy. Used as an exec probe when `http` is not set. */
  command: string[];
  /** An HTTP endpoint to probe instead of running `command` (httpGet). @default - exec `command` */
  http?: HttpProbeArgs;
  /** Seconds between probes (periodSeconds). @default HEALTH_DEFAULTS.intervalSeconds (10) */
  intervalSeconds?: number;
  /** Seconds before a probe counts as failed (timeoutSeconds). @default HEALTH_DEFAULTS.timeoutSeconds (5) */
  timeoutSeconds?: number;
  /** Consecutive failures before the pod is unready or restarted (failureThreshold). @default HEALTH_DEFAULTS.retries (3) */
  retries?: number;
  /** Seconds after start during which failures do not count (a startupProbe). @default HEALTH_DEFAULTS.startPeriodSeconds (10) */
  startPeriodSeconds?: number;
}

/** How a Deployment replaces its pods (the fields of `DeploymentArgs` that choose it). */
export interface UpdateStrategyArgs {
  /** @default false */
  singleWriter?: boolean;
  /** A count ("1") or a percentage ("25%"). @default "1" */
  maxSurge?: string;
  /** A count ("0") or a percentage ("25%"). @default "0" */
  maxUnavailable?: string;
}

/** The CPU request's share of the CPU limit when none is given. */
export const DEFAULT_CPU_REQUEST_PERCENT = 50;

/** The storage a volume claim requests when none is given. */
export const DEFAULT_VOLUME_SIZE = "1Gi";

/**
 * The node disk a container may use outside its volumes (`ephemeral-storage`: its writable layer and
 * its logs; the in-memory tmpfs paths count as memory) when none is given. The request, 64Mi, is what
 * a service here writes there: the kubelet keeps a container's log to 5 files of 10Mi, and the roots
 * are read-only or barely written. The limit, 1Gi, is far above that and far below a node's disk: a
 * runaway writer is evicted before it fills the disk every pod of the node shares.
 */
export const DEFAULT_EPHEMERAL_STORAGE = Object.freeze({ request: "64Mi", limit: "1Gi" });

/** An ephemeral-storage request and limit as exact quantities, from sizes in the volume size grammar. */
export function ephemeralStorage(limit?: string, request?: string): { limit: string; request: string } {
  return {
    limit: memoryToQuantity(parseStorageSize(limit ?? DEFAULT_EPHEMERAL_STORAGE.limit)),
    request: memoryToQuantity(parseStorageSize(request ?? DEFAULT_EPHEMERAL_STORAGE.request)),
  };
}

/** Requests and limits as exact Kubernetes quantities (see `cpuRequestPercent` for the rule). */
export function containerResources(
  cpus: number,
  memory: string,
  cpuRequestPercent = DEFAULT_CPU_REQUEST_PERCENT,
  requests: { cpus?: number; memory?: string } = {},
): { limits: { cpu: string; memory: string }; requests: { cpu: string; memory: string } } {
  const cpuMillis = parseCpus(cpus);
  const memoryQuantity = memoryToQuantity(parseMemory(memory));
  const requestMillis =
    requests.cpus === undefined ? Math.max(1, Math.round((cpuMillis * cpuRequestPercent) / 100)) : parseCpus(requests.cpus);
  return {
    limits: { cpu: cpusToQuantity(cpuMillis), memory: memoryQuantity },
    requests: {
      cpu: cpusToQuantity(requestMillis),
      memory: requests.memory === undefined ? memoryQuantity : memoryToQuantity(parseMemory(requests.memory)),
    },
  };
}

type Probe = k8s.types.input.core.v1.Probe;

/**
 * The model's health check as probes. Readiness is the check itself, with Docker's meaning kept: a
 * probe every `interval`, failing after `timeout`, `retries` failures in a row mark the pod unready and
 * take it out of its Service. The check may ask the service's own dependencies (vote's /healthz pings
 * redis), which is what readiness is for; liveness and the startup probe therefore ask only whether the
 * process still accepts connections, on the health check's HTTP port or else the first of `tcpPorts`:
 * a restart cures a process that stopped listening, not an outage of redis or the database, and
 * restarting every pod of a service while its database is away would only lengthen the outage. The
 * start period becomes the startup probe's ceil(startPeriod / interval) extra failures, so a slow first
 * start is not restarted. Without a TCP port to ask, all three run the check.
 */
export function healthProbes(
  health: DeploymentHealthArgs,
  tcpPorts: number[] = [],
): { readinessProbe: Probe; livenessProbe: Probe; startupProbe: Probe } {
  const { intervalSeconds: interval, timeoutSeconds: timeout, retries, startPeriodSeconds: startPeriod } = healthTimings(health);
  const check: Probe = health.http
    ? { httpGet: { path: health.http.path, port: health.http.port } }
    : { exec: { command: health.command } };
  const alivePort = health.http?.port ?? tcpPorts[0];
  const alive: Probe = alivePort === undefined ? check : { tcpSocket: { port: alivePort } };
  const probe = (handler: Probe, failureThreshold: number): Probe => ({
    ...handler,
    periodSeconds: interval,
    timeoutSeconds: timeout,
    successThreshold: 1,
    failureThreshold,
  });
  return {
    readinessProbe: probe(check, retries),
    livenessProbe: probe(alive, retries),
    startupProbe: probe(alive, Math.ceil(startPeriod / interval) + retries),
  };
}

/** `Recreate` for a single writer (never two pods on the same data), otherwise a rolling update. */
export function deploymentStrategy(args: UpdateStrategyArgs): k8s.types.input.apps.v1.DeploymentStrategy {
  if (args.singleWriter) {
    return { type: "Recreate" };
  }
  return {
    type: "RollingUpdate",
    rollingUpdate: { maxSurge: intOrPercent(args.maxSurge ?? "1"), maxUnavailable: intOrPercent(args.maxUnavailable ?? "0") },
  };
}

/** A count or a percentage as Kubernetes' IntOrString: "2" is the number 2 (the API refuses a count as a string), "25%" stays. */
export function intOrPercent(value: string): number | string {
  return value.endsWith("%") ? value : Number(value);
}

/**
 * For a service that may run several pods: each prefers a node where none of the others runs, so one
 * node going away takes one pod of it, not all. Preferred, not required: a cluster of one node (or
 * with fewer nodes than pods) still runs them all, and a single pod is placed as without it.
 */
export function spreadOverNodes(selector: Record<string, string>): k8s.types.input.core.v1.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" } },
      ],
    },
  };
}

/**
 * A PodDisruptionBudget's spec: voluntary disruptions (a node drain, an upgrade's evictions) take at
 * most `maxUnavailable` of the selected pods at a time. A pod that is not Ready may always be evicted
 * (`AlwaysAllow`): a crashing pod protects nothing, and must not hold up the drain of its node.
 */
export function disruptionBudgetSpec(
  selector: Record<string, string>,
  maxUnavailable: number,
): k8s.types.input.policy.v1.PodDisruptionBudgetSpec {
  return { maxUnavailable, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" };
}

/** Name of the ConfigMap holding `env`: changes with the content, so an env change rolls the pods. */
export function envConfigMapName(name: string, env: Record<string, string>): string {
  const hash = createHash("sha256")
    .update(JSON.stringify(sortedEntries(env)))
    .digest("hex")
    .slice(0, 10);
  return `${name}-env-${hash}`;
}

/** A pod user: a numeric uid, or uid:gid (runAsUser/runAsGroup take numbers). */
const POD_USER = /^(\d+)(?::(\d+))?$/;

export function isPodUser(user: string): boolean {
  return POD_USER.test(user);
}

/**
 * The pod's security context: the container runtime's default seccomp profile always (the syscalls
 * containers need, as Docker's default profile); for a numeric "uid" or "uid:gid", runAsUser and
 * runAsGroup, and the group as fsGroup, so a volume that supports it is made writable for that group.
 */
export function securityContext(user: string | undefined): k8s.types.input.core.v1.PodSecurityContext {
  const match = user === undefined ? null : POD_USER.exec(user);
  const seccompProfile = { type: "RuntimeDefault" };
  if (!match) return { seccompProfile };
  const group = match[2] === undefined ? undefined : Number(match[2]);
  return { runAsUser: Number(match[1]), runAsGroup: group, ...(group === undefined ? {} : { fsGroup: group }), seccompProfile };
}

/**
 * The container's security context from the settings: capabilities, no privilege escalation, a
 * read-only root filesystem; runAsNonRoot for a numeric user other than 0, so the kubelet refuses to
 * start the pod as root whatever the image says.
 */
export function containerSecurityContext(
  security: SecurityArgs | undefined,
  user: string | undefined,
): k8s.types.input.core.v1.SecurityContext | undefined {
  const normal = normalSecurity(security ?? {});
  const match = user === undefined ? null : POD_USER.exec(user);
  const context: k8s.types.input.core.v1.SecurityContext = {
    ...(normal.noNewPrivileges ? { allowPrivilegeEscalation: false } : {}),
    ...(normal.capDrop.length + normal.capAdd.length > 0
      ? {
          capabilities: {
            ...(normal.capDrop.length > 0 ? { drop: normal.capDrop } : {}),
            ...(normal.capAdd.length > 0 ? { add: normal.capAdd } : {}),
          },
        }
      : {}),
    ...(normal.readOnlyRootFilesystem ? { readOnlyRootFilesystem: true } : {}),
    ...(match && Number(match[1]) > 0 ? { runAsNonRoot: true } : {}),
  };
  return Object.keys(context).length > 0 ? context : undefined;
}

/** A tmpfs path's volume: an in-memory emptyDir, named by its place in the sorted list. */
export function tmpfsVolumes(security: SecurityArgs | undefined): Array<{ name: string; path: string }> {
  return normalSecurity(security ?? {}).tmpfs.map((path, index) => ({ name: `tmpfs-${index + 1}`, path }));
}

/** A ReadWriteOnce claim on `size` (exact binary quantity) of the volume's StorageClass, or the cluster's default. */
export function volumeClaimSpec(volume: DeploymentVolumeArgs): k8s.types.input.core.v1.PersistentVolumeClaimSpec {
  return {
    accessModes: ["ReadWriteOnce"],
    storageClassName: volume.storageClass || undefined,
    resources: { requests: { storage: memoryToQuantity(parseStorageSize(volume.size ?? DEFAULT_VOLUME_SIZE)) } },
  };
}
