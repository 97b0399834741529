import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkStopGraceSeconds, parseCpus, parseMemory, parseStorageSize } from "../units";
import { SecurityArgs, validateSecurityArgs } from "../security";
import { ENV_NAME_RULE, isEnvName } from "../env";
import { ValidationError } from "../errors";
import { Protocol } from "../protocol";
import { sortedEntries } from "../sorted";
import {
  AppIdentity,
  DNS_LABEL,
  DNS_SUBDOMAIN,
  networkLabel,
  selectorLabels,
  serviceLabels,
  validateIdentity,
  validateNetworkName,
} from "./labels";
import {
  containerResources,
  DEFAULT_CPU_REQUEST_PERCENT,
  DEFAULT_EPHEMERAL_STORAGE,
  DEFAULT_VOLUME_SIZE,
  deploymentStrategy,
  DeploymentHealthArgs,
  DeploymentVolumeArgs,
  disruptionBudgetSpec,
  envConfigMapName,
  ephemeralStorage,
  healthProbes,
  isPodUser,
  securityContext,
  containerSecurityContext,
  spreadOverNodes,
  tmpfsVolumes,
  volumeClaimSpec,
} from "./pod";
import { SERVICE_TYPES, ServiceType } from "./serviceType";
import { formerTypes } from "../token";

export interface DeploymentPortArgs {
  /** Port name (up to 15 lowercase letters, digits and -), shown on the Service ("http"). */
  name: string;
  containerPort: number;
  /** @default "tcp" */
  protocol?: Protocol;
  /**
   * Reachable from outside the app: the Service gets `serviceType` instead of ClusterIP (and the
   * app's NetworkPolicies should let anyone in on this port).
   * @default false
   */
  published?: boolean;
  /** Port the Service listens on; it forwards to `containerPort`. @default containerPort */
  servicePort?: number;
}

export interface SecretKeyRef {
  /** The Kubernetes Secret's name. */
  secretName: pulumi.Input<string>;
  /** The key inside the Secret. */
  key: string;
}

/** A Secret's key as a file in the container. */
export interface DeploymentSecretFileArgs extends SecretKeyRef {
  /** Absolute path of the file in the container ("/run/secrets/db-password"). */
  path: string;
}

/** A file that is not secret (compose `configs`): a key of the Deployment's files ConfigMap, mounted alone at its path. */
export interface DeploymentConfigFileArgs {
  /** Absolute path of the file in the container ("/etc/nginx/nginx.conf"). */
  path: string;
  /** The file's content, exactly. */
  content: string;
  /** Permission bits. @default 0o444 */
  mode?: number;
}

export interface DeploymentArgs {
  /** App name (`app.kubernetes.io/part-of`) and stage (`app.kubernetes.io/instance`). */
  identity: AppIdentity;
  /** Namespace of every object. Pass the Namespace resource's name so it is created first. */
  namespace: pulumi.Input<string>;
  /** Image reference nodes pull; a digest reference (`repo@sha256:...`) rolls the pods when a build changes. */
  image: pulumi.Input<string>;
  /** Replaces the image's CMD (Kubernetes `args`). @default - the image's CMD */
  command?: string[];
  /** Replaces the image's ENTRYPOINT (Kubernetes `command`). @default - the image's ENTRYPOINT */
  entrypoint?: string[];
  /**
   * Plain environment, held in a ConfigMap named after its content (`<name>-env-<hash>`), so a change
   * creates a new ConfigMap and rolls the pods. @default {}
   */
  env?: Record<string, string>;
  /** Environment read from Secrets (`secretKeyRef`): variable → Secret and key. @default {} */
  secretEnv?: Record<string, SecretKeyRef>;
  /**
   * Files holding a Secret's key, each mounted alone at its absolute path, read-only, mode 0444 (a
   * `secret` volume with `subPath`), as compose mounts /run/secrets/<name>. @default []
   */
  secretFiles?: DeploymentSecretFileArgs[];
  /**
   * Files that are not secret, held in a ConfigMap named after its content (`<name>-files-<hash>`),
   * each mounted alone at its path, read-only (a `configMap` volume with `subPath`), owned by root.
   * @default []
   */
  configFiles?: DeploymentConfigFileArgs[];
  /** Container ports. A service with ports gets a Service named like it; one without gets none. @default [] */
  ports?: DeploymentPortArgs[];
  /** App networks the pods are on: each becomes a pod label `dockyard.dev/network-<name>: "true"`. @default [] */
  networks?: string[];
  /** Persistent volumes: one PersistentVolumeClaim (ReadWriteOnce) each. @default [] */
  volumes?: DeploymentVolumeArgs[];
  /** Readiness, liveness and startup probes. @default - no probes */
  health?: DeploymentHealthArgs;
  /** CPU limit in CPUs, as `docker run --cpus` (0.5 → "500m"). */
  cpus: number;
  /** Memory limit as `docker run --memory` ("128m" → "128Mi"). */
  memory: string;
  /**
   * CPU request as a percent of the CPU limit (whole millicores, at least 1m). The memory request always
   * equals the memory limit: memory cannot be throttled, so a pod using more than it requested is the
   * first to be evicted or OOM-killed under node pressure.
   * @default 50
   */
  cpuRequestPercent?: number;
  /** CPU request in CPUs, replacing cpuRequestPercent's share; at most cpus. @default - cpuRequestPercent of cpus */
  requestCpus?: number;
  /** Memory request ("64m"); at most memory. @default - memory */
  requestMemory?: string;
  /**
   * Node disk the container may use outside its volumes (its writable layer and logs), in the volume
   * size grammar ("1Gi", "512Mi"): the `ephemeral-storage` limit, past which the kubelet evicts the pod.
   * @default "1Gi" (DEFAULT_EPHEMERAL_STORAGE)
   */
  ephemeralStorage?: string;
  /** The `ephemeral-storage` request; at most ephemeralStorage. @default "64Mi" (DEFAULT_EPHEMERAL_STORAGE) */
  requestEphemeralStorage?: string;
  /** Seconds a new pod must be ready before it counts as available (`minReadySeconds`). @default - the API's (0), left unset */
  minReadySeconds?: number;
  /** Node labels a pod's node must have (`nodeSelector`). @default - any node */
  nodeSelector?: Record<string, string>;
  /** Pod count (`spec.replicas`); 0 is kept as 0 (scaled down, objects kept). @default 1 */
  replicas?: number;
  /**
   * A HorizontalPodAutoscaler owns the pod count: `spec.replicas` is left out so `pulumi up` never
   * resets what the autoscaler chose (`replicas` is then ignored).
   * @default false
   */
  autoscaled?: boolean;
  /** One writer at a time (a database): the `Recreate` strategy, so old and new pods never overlap. @default false */
  singleWriter?: boolean;
  /** Pods above the desired count during a rolling update: a count ("1") or a percentage ("25%"). @default "1" */
  maxSurge?: string;
  /** Pods that may be unavailable during a rolling update: a count ("0") or a percentage ("25%"). @default "0" */
  maxUnavailable?: string;
  /**
   * Pods a voluntary disruption (a node drain, a cluster upgrade's evictions) may take down at once: a
   * PodDisruptionBudget (policy/v1, `maxUnavailable`) named like the service selects its pods.
   * @default - no PodDisruptionBudget
   */
  disruptionBudget?: number;
  /** Service type when a port is published; unpublished services are always ClusterIP. @default "ClusterIP" */
  serviceType?: ServiceType;
  /** Numeric user to run as, "uid" or "uid:gid" (runAsUser/runAsGroup, the group also fsGroup). @default - the image's user */
  user?: string;
  /** Capabilities, privilege escalation, a read-only root filesystem, tmpfs paths (in-memory emptyDirs). @default - the runtime's defaults */
  security?: SecurityArgs;
  /** Seconds a pod has to exit after SIGTERM before it is killed (terminationGracePeriodSeconds). @default - the API's, 30 */
  stopGracePeriodSeconds?: number;
  /** Secrets with registry credentials (`imagePullSecrets`). @default [] */
  imagePullSecrets?: pulumi.Input<string>[];
  /**
   * Seconds a rollout may take (`kubectl rollout status --timeout`): the Deployment's
   * `progressDeadlineSeconds`, so the controller marks a rollout that stalls failed, and the
   * create/update timeout of `pulumi up`, which then fails while the old pods keep serving.
   * @default - the API's progressDeadlineSeconds (600) and the provider's wait (10 minutes), left unset
   */
  rolloutTimeoutSeconds?: number;
}

/** A container port's name (an IANA service name): 1-15 lowercase letters, digits and -, with a letter, no - at either end. */
export const PORT_NAME = /^(?=.*[a-z])[a-z0-9](?:[a-z0-9-]{0,13}[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const POD_COUNT = /^(?:\d+|\d{1,3}%)$/;

/** Checks everything known at construction, before any resource is registered; throws ValidationError. */
export function validateDeploymentArgs(name: string, args: DeploymentArgs): void {
  const where = `Deployment "${name}"`;
  const fail = (message: string): never => {
    throw new ValidationError(`${where}: ${message}`);
  };
  if (!DNS_LABEL.test(name)) {
    fail(`name must be a DNS label (lowercase letters, digits and -, starting with a letter, at most 63), got ${JSON.stringify(name)}`);
  }
  validateIdentity(where, args.identity);
  if (typeof args.image === "string" && !/^[^\s]+$/.test(args.image)) {
    fail(`image must be an image reference like redis:7.4, got ${JSON.stringify(args.image)}`);
  }
  validateScaling(args, fail);
  validateResources(where, args, fail);
  validatePorts(args, fail);
  validateHealth(args.health, fail);
  validateVolumes(where, args.volumes ?? [], fail);
  validateEnv(args, fail);
  validateSecretFiles(args, fail);
  for (const network of args.networks ?? []) {
    validateNetworkName(where, network);
  }
  if (args.stopGracePeriodSeconds !== undefined) checkStopGraceSeconds(args.stopGracePeriodSeconds, `${where}: stopGracePeriodSeconds`);
  if (args.security !== undefined) validateSecurityArgs(where, args.security);
  if (args.user !== undefined && !isPodUser(args.user)) {
    fail(`user must be a numeric uid or uid:gid on Kubernetes (runAsUser/runAsGroup take numbers), got ${JSON.stringify(args.user)}`);
  }
}

type Fail = (message: string) => never;

function validateScaling(args: DeploymentArgs, fail: Fail): void {
  const replicas = args.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 0) {
    fail(`replicas must be a whole number of 0 or more, got ${replicas}`);
  }
  if (args.singleWriter && replicas > 1) {
    fail(`replicas must be 0 or 1 for a single-writer service, got ${replicas}`);
  }
  if (args.singleWriter && args.autoscaled) {
    fail("a single-writer service cannot be autoscaled (it never runs two pods)");
  }
  for (const field of ["maxSurge", "maxUnavailable"] as const) {
    const value = args[field];
    if (value !== undefined && !(typeof value === "string" && POD_COUNT.test(value))) {
      fail(`${field} must be a whole number of pods like "1" or a percentage like "25%", got ${JSON.stringify(value)}`);
    }
  }
  const surge = args.maxSurge ?? "1";
  const unavailable = args.maxUnavailable ?? "0";
  if (!args.singleWriter && isZero(surge) && isZero(unavailable)) {
    fail("maxSurge and maxUnavailable cannot both be 0: a rolling update could never make progress");
  }
  const budget = args.disruptionBudget;
  if (budget !== undefined && (!Number.isInteger(budget) || budget < 1)) {
    fail(`disruptionBudget must be a whole number of pods of 1 or more, got ${budget}`);
  }
  const timeout = args.rolloutTimeoutSeconds;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1)) {
    fail(`rolloutTimeoutSeconds must be a whole number of seconds of 1 or more, got ${timeout}`);
  }
  if (args.serviceType !== undefined && !SERVICE_TYPES.includes(args.serviceType)) {
    fail(`serviceType must be one of ${SERVICE_TYPES.join(", ")}, got ${JSON.stringify(args.serviceType)}`);
  }
}

const isZero = (value: string): boolean => value === "0" || value === "0%";

function validateResources(where: string, args: DeploymentArgs, fail: Fail): void {
  parseCpus(args.cpus, `${where}: cpus`);
  parseMemory(args.memory, `${where}: memory`);
  const percent = args.cpuRequestPercent ?? DEFAULT_CPU_REQUEST_PERCENT;
  if (!Number.isInteger(percent) || percent < 1 || percent > 100) {
    fail(`cpuRequestPercent must be a whole percent 1-100 of the cpu limit, got ${percent}`);
  }
  if (args.requestCpus !== undefined && parseCpus(args.requestCpus, `${where}: requestCpus`) > parseCpus(args.cpus)) {
    fail(`requestCpus must be at most the cpu limit (${args.cpus}), got ${args.requestCpus}`);
  }
  if (args.requestMemory !== undefined && parseMemory(args.requestMemory, `${where}: requestMemory`) > parseMemory(args.memory)) {
    fail(`requestMemory must be at most the memory limit (${args.memory}), got ${JSON.stringify(args.requestMemory)}`);
  }
  const disk = {
    limit: parseStorageSize(args.ephemeralStorage ?? DEFAULT_EPHEMERAL_STORAGE.limit, `${where}: ephemeralStorage`),
    request: parseStorageSize(args.requestEphemeralStorage ?? DEFAULT_EPHEMERAL_STORAGE.request, `${where}: requestEphemeralStorage`),
  };
  if (disk.request > disk.limit) {
    fail(
      `requestEphemeralStorage must be at most ephemeralStorage (${JSON.stringify(args.ephemeralStorage ?? DEFAULT_EPHEMERAL_STORAGE.limit)}), got ${JSON.stringify(args.requestEphemeralStorage ?? DEFAULT_EPHEMERAL_STORAGE.request)}`,
    );
  }
  const ready = args.minReadySeconds;
  if (ready !== undefined && (!Number.isInteger(ready) || ready < 0))
    fail(`minReadySeconds must be a whole number of 0 or more, got ${ready}`);
  for (const [key, value] of Object.entries(args.nodeSelector ?? {})) {
    if (
      !/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(key) ||
      !/^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/.test(value)
    ) {
      fail(`nodeSelector ${key}=${value} must be a label key and value (letters, digits, - _ ., at most 63)`);
    }
  }
}

function validatePorts(args: DeploymentArgs, fail: Fail): void {
  const names = new Set<string>();
  const ports = new Set<string>();
  for (const port of args.ports ?? []) {
    if (!PORT_NAME.test(port.name)) {
      fail(`port name must be 1-15 lowercase letters, digits and - with at least one letter, got ${JSON.stringify(port.name)}`);
    }
    if (names.has(port.name)) {
      fail(`port name "${port.name}" is used twice`);
    }
    names.add(port.name);
    for (const field of ["containerPort", "servicePort"] as const) {
      const value = port[field];
      if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 65535)) {
        fail(`port "${port.name}": ${field} must be 1-65535, got ${value}`);
      }
    }
    const key = `${port.containerPort}/${port.protocol ?? "tcp"}`;
    if (ports.has(key)) {
      fail(`container port ${key} is declared twice`);
    }
    ports.add(key);
  }
}

function validateHealth(health: DeploymentHealthArgs | undefined, fail: Fail): void {
  if (health === undefined) return;
  if (health.http === undefined && health.command.length === 0) {
    fail("health needs a command or an http endpoint");
  }
  if (health.http !== undefined) {
    const { path, port } = health.http;
    if (!path.startsWith("/")) {
      fail(`health.http.path must start with /, got ${JSON.stringify(path)}`);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      fail(`health.http.port must be 1-65535, got ${port}`);
    }
  }
  for (const field of ["intervalSeconds", "timeoutSeconds", "retries"] as const) {
    const value = health[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      fail(`health.${field} must be a whole number of 1 or more, got ${value}`);
    }
  }
  const start = health.startPeriodSeconds;
  if (start !== undefined && (!Number.isInteger(start) || start < 0)) {
    fail(`health.startPeriodSeconds must be a whole number of 0 or more, got ${start}`);
  }
}

function validateVolumes(where: string, volumes: DeploymentVolumeArgs[], fail: Fail): void {
  const paths = new Set<string>();
  const claims = new Set<string>();
  for (const volume of volumes) {
    if (!DNS_SUBDOMAIN.test(volume.claimName) || volume.claimName.length > 63) {
      fail(`volume claimName must be lowercase letters, digits, - and . (at most 63), got ${JSON.stringify(volume.claimName)}`);
    }
    if (claims.has(volume.claimName)) {
      fail(`volume "${volume.claimName}" is mounted twice`);
    }
    claims.add(volume.claimName);
    if (!volume.mountPath.startsWith("/")) {
      fail(`volume "${volume.claimName}": mountPath must be absolute, got ${JSON.stringify(volume.mountPath)}`);
    }
    if (paths.has(volume.mountPath)) {
      fail(`two volumes are mounted at ${volume.mountPath}`);
    }
    paths.add(volume.mountPath);
    parseStorageSize(volume.size ?? DEFAULT_VOLUME_SIZE, `${where}: volume "${volume.claimName}": size`);
  }
}

function validateSecretFiles(args: DeploymentArgs, fail: Fail): void {
  const paths = new Set((args.volumes ?? []).map((volume) => volume.mountPath));
  for (const file of args.secretFiles ?? []) {
    if (!file.path.startsWith("/")) fail(`secret file path must be absolute, got ${JSON.stringify(file.path)}`);
    if (paths.has(file.path)) fail(`secret file ${file.path} is given twice, or where a volume is mounted`);
    paths.add(file.path);
    if (!SECRET_KEY.test(file.key)) fail(`secret file ${file.path}: key must be letters, digits, - _ ., got ${JSON.stringify(file.key)}`);
  }
  for (const file of args.configFiles ?? []) {
    if (!file.path.startsWith("/") || file.path.endsWith("/"))
      fail(`config file path must be an absolute file path, got ${JSON.stringify(file.path)}`);
    if (paths.has(file.path)) fail(`config file ${file.path} is given twice, or where a volume or a secret file is`);
    paths.add(file.path);
    if (file.mode !== undefined && (!Number.isInteger(file.mode) || file.mode < 0 || file.mode > 0o777)) {
      fail(`config file ${file.path}: mode must be permission bits from 0 to 0o777, got ${file.mode}`);
    }
  }
}

/** The config files in path order, each with its key in the files ConfigMap (file-1, file-2...). */
function keyedConfigFiles(args: DeploymentArgs): Array<DeploymentConfigFileArgs & { key: string }> {
  return [...(args.configFiles ?? [])]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((file, index) => ({ ...file, key: `file-${index + 1}` }));
}

/** Name of the ConfigMap holding the config files: changes with their content, so a change rolls the pods. */
export function filesConfigMapName(name: string, files: Array<{ key: string; content: string }>): string {
  const hash = createHash("sha256")
    .update(JSON.stringify(files.map((file) => [file.key, file.content])))
    .digest("hex")
    .slice(0, 10);
  return `${name}-files-${hash}`;
}

function validateEnv(args: DeploymentArgs, fail: Fail): void {
  for (const [variable] of [...sortedEntries(args.env), ...sortedEntries(args.secretEnv)]) {
    if (!isEnvName(variable)) {
      fail(`env name must be ${ENV_NAME_RULE}, got ${JSON.stringify(variable)}`);
    }
  }
  for (const [variable, ref] of sortedEntries(args.secretEnv)) {
    if (variable in (args.env ?? {})) {
      fail(`env ${variable} is given both plain and secret`);
    }
    if (!SECRET_KEY.test(ref.key)) {
      fail(`secretEnv ${variable}: key must be letters, digits, - _ ., got ${JSON.stringify(ref.key)}`);
    }
  }
}

/**
 * One service on Kubernetes: a Deployment with probes, requests and limits (CPU, memory, ephemeral
 * storage) and a deliberate update strategy, whose pods (but a single writer's, never two) prefer
 * different nodes; its Service (when it has ports, named like the service so `redis` and `db` resolve); a
 * ConfigMap for its environment; a PersistentVolumeClaim per volume; and a PodDisruptionBudget when
 * `disruptionBudget` is given.
 */
/**
 * The Kubernetes objects each Deployment component made, for TypeScript callers that compose with
 * them (`deployment.service`). Kept off the class's fields: the package's cross-language schema then
 * holds names, not resources of another package, so a Python or YAML program needs the Kubernetes
 * SDK and provider only when it deploys to a cluster.
 */
const deploymentObjects = new WeakMap<
  Deployment,
  {
    service?: k8s.core.v1.Service;
    claims: Record<string, k8s.core.v1.PersistentVolumeClaim>;
    disruptionBudget?: k8s.policy.v1.PodDisruptionBudget;
  }
>();

export class Deployment extends pulumi.ComponentResource {
  /** The Deployment's name (the service's name). */
  public readonly deploymentName: pulumi.Output<string>;
  /** The Service's name; undefined for a service without ports. */
  public readonly serviceName: pulumi.Output<string> | undefined;
  /** The CPU request of the container ("250m"): what an autoscaler's utilisation is a percent of. */
  public readonly cpuRequest: string;

  /**
   * `opts.dependsOn` lists what must be ready before the Deployment is created or changed, such as the
   * Deployments of the services this one depends on: the provider waits for a Deployment to be
   * available, so `pulumi up` brings dependencies up first.
   */
  constructor(name: string, args: DeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated before anything, the component itself included, is registered.
    validateDeploymentArgs(name, args);
    super("dockyard:index:Deployment", name, {}, formerTypes(opts, "dockyard:k8s:Deployment"));

    const labels = serviceLabels(args.identity, name);
    const timeout = args.rolloutTimeoutSeconds;
    const selector = selectorLabels(args.identity, name);
    const metadata = { name, namespace: args.namespace, labels };
    const resources = containerResources(args.cpus, args.memory, args.cpuRequestPercent ?? DEFAULT_CPU_REQUEST_PERCENT, {
      cpus: args.requestCpus,
      memory: args.requestMemory,
    });
    const disk = ephemeralStorage(args.ephemeralStorage, args.requestEphemeralStorage);
    const ports = args.ports ?? [];
    const env = args.env ?? {};
    // Pods that may be several prefer different nodes. Whatever the replica count, so that a scale
    // (or the autoscaler) never changes the pod template and rolls the pods; a single writer never
    // runs two.
    const spread = !(args.singleWriter ?? false);

    const configMap =
      Object.keys(env).length === 0
        ? undefined
        : new k8s.core.v1.ConfigMap(
            `${name}-env`,
            {
              metadata: { ...metadata, name: envConfigMapName(name, env) },
              immutable: true,
              data: Object.fromEntries(sortedEntries(env)),
            },
            { parent: this },
          );

    const configFiles = keyedConfigFiles(args);
    const filesConfigMap =
      configFiles.length === 0
        ? undefined
        : new k8s.core.v1.ConfigMap(
            `${name}-files`,
            {
              metadata: { ...metadata, name: filesConfigMapName(name, configFiles) },
              immutable: true,
              data: Object.fromEntries(configFiles.map((file) => [file.key, file.content])),
            },
            { parent: this },
          );

    const claims: Record<string, k8s.core.v1.PersistentVolumeClaim> = {};
    for (const volume of args.volumes ?? []) {
      claims[volume.claimName] = new k8s.core.v1.PersistentVolumeClaim(
        `${name}-${volume.claimName}`,
        {
          metadata: { ...metadata, name: volume.claimName },
          spec: volumeClaimSpec(volume),
        },
        { parent: this, retainOnDelete: volume.retain ?? false },
      );
    }

    const container: k8s.types.input.core.v1.Container = {
      name,
      image: args.image,
      imagePullPolicy: "IfNotPresent",
      command: args.entrypoint,
      args: args.command,
      ports: nonEmpty(ports.map((port) => ({ name: port.name, containerPort: port.containerPort, protocol: protocol(port) }))),
      envFrom: configMap ? [{ configMapRef: { name: configMap.metadata.name } }] : undefined,
      env: nonEmpty(
        sortedEntries(args.secretEnv).map(([variable, ref]) => ({
          name: variable,
          valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } },
        })),
      ),
      resources: {
        limits: { ...resources.limits, "ephemeral-storage": disk.limit },
        requests: { ...resources.requests, "ephemeral-storage": disk.request },
      },
      ...(args.health
        ? healthProbes(
            args.health,
            ports.filter((port) => protocol(port) === "TCP").map((port) => port.containerPort),
          )
        : {}),
      volumeMounts: nonEmpty([
        ...(args.volumes ?? []).map((volume) => ({
          name: volume.claimName,
          mountPath: volume.mountPath,
          readOnly: volume.readOnly ?? false,
        })),
        ...tmpfsVolumes(args.security).map((tmpfs) => ({ name: tmpfs.name, mountPath: tmpfs.path })),
        ...(args.secretFiles ?? []).map((file, index) => ({
          name: `secret-file-${index + 1}`,
          mountPath: file.path,
          subPath: file.key,
          readOnly: true,
        })),
        ...configFiles.map((file) => ({ name: "config-files", mountPath: file.path, subPath: file.key, readOnly: true })),
      ]),
      securityContext: containerSecurityContext(args.security, args.user),
    };

    const podLabels = { ...labels, ...Object.fromEntries([...(args.networks ?? [])].sort().map((n) => [networkLabel(n), "true"])) };
    const deployment = new k8s.apps.v1.Deployment(
      name,
      {
        // The stack owns what it sets: a field changed by hand (kubectl scale, kubectl set image) is taken
        // back by the next up, where server-side apply would otherwise stop on the other field manager.
        metadata: { ...metadata, annotations: { [PATCH_FORCE]: "true" } },
        spec: {
          replicas: args.autoscaled ? undefined : (args.replicas ?? 1),
          progressDeadlineSeconds: args.rolloutTimeoutSeconds,
          ...(args.minReadySeconds !== undefined ? { minReadySeconds: args.minReadySeconds } : {}),
          selector: { matchLabels: selector },
          strategy: deploymentStrategy(args),
          template: {
            metadata: { labels: podLabels },
            spec: {
              containers: [container],
              ...(spread ? { affinity: spreadOverNodes(selector) } : {}),
              volumes: nonEmpty([
                ...Object.entries(claims).map(([claimName, claim]) => ({
                  name: claimName,
                  persistentVolumeClaim: { claimName: claim.metadata.name },
                })),
                ...tmpfsVolumes(args.security).map((tmpfs) => ({ name: tmpfs.name, emptyDir: { medium: "Memory", sizeLimit: "64Mi" } })),
                ...(args.secretFiles ?? []).map((file, index) => ({
                  name: `secret-file-${index + 1}`,
                  // 0444: readable by the image's user, whoever it is, as compose's secret files are.
                  secret: { secretName: file.secretName, items: [{ key: file.key, path: file.key }], defaultMode: 0o444 },
                })),
                ...(filesConfigMap === undefined
                  ? []
                  : [
                      {
                        name: "config-files",
                        configMap: {
                          name: filesConfigMap.metadata.name,
                          items: configFiles.map((file) => ({ key: file.key, path: file.key, mode: file.mode ?? 0o444 })),
                          defaultMode: 0o444,
                        },
                      },
                    ]),
              ]),
              imagePullSecrets: nonEmpty((args.imagePullSecrets ?? []).map((secret) => ({ name: secret }))),
              securityContext: securityContext(args.user),
              ...(args.stopGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: args.stopGracePeriodSeconds } : {}),
              ...(args.nodeSelector !== undefined ? { nodeSelector: Object.fromEntries(sortedEntries(args.nodeSelector)) } : {}),
              // The app reads REDIS_PORT, DB_PORT...: Kubernetes' service links would inject
              // REDIS_PORT=tcp://10.0.0.1:6379 for a Service named redis. Names resolve through DNS.
              enableServiceLinks: false,
              // The app never talks to the Kubernetes API.
              automountServiceAccountToken: false,
            },
          },
        },
      },
      // dependsOn is passed on explicitly so the engine orders the Deployment itself, not only the
      // component (children do not inherit it).
      {
        parent: this,
        dependsOn: opts?.dependsOn ?? [],
        ...(timeout === undefined ? {} : { customTimeouts: { create: `${timeout}s`, update: `${timeout}s` } }),
      },
    );

    const serviceType = ports.some((port) => port.published) ? (args.serviceType ?? "ClusterIP") : "ClusterIP";
    const service =
      ports.length === 0
        ? undefined
        : new k8s.core.v1.Service(
            name,
            {
              // The provider would wait for the Service's endpoints, that is for Ready pods: the
              // Deployment's own wait proves that already, and the endpoints controller lags it (the
              // Services finished up to 11 s after their Deployments on a real node). A load
              // balancer is still waited for: its address is the service's URL.
              metadata: serviceType === "LoadBalancer" ? metadata : { ...metadata, annotations: { [SKIP_AWAIT]: "true" } },
              spec: {
                type: serviceType,
                selector,
                ports: ports.map((port) => ({
                  name: port.name,
                  port: port.servicePort ?? port.containerPort,
                  targetPort: port.containerPort,
                  protocol: protocol(port),
                })),
              },
            },
            { parent: this },
          );

    const disruptionBudget =
      args.disruptionBudget === undefined
        ? undefined
        : new k8s.policy.v1.PodDisruptionBudget(
            name,
            { metadata, spec: disruptionBudgetSpec(selector, args.disruptionBudget) },
            { parent: this },
          );

    this.deploymentName = deployment.metadata.name;
    this.serviceName = service?.metadata.name;
    deploymentObjects.set(this, { service, claims, disruptionBudget });
    this.cpuRequest = resources.requests.cpu;
    this.registerOutputs({
      deploymentName: this.deploymentName,
      serviceName: this.serviceName,
      cpuRequest: this.cpuRequest,
    });
  }

  /** The Service, for URLs (node ports, load balancer addresses); undefined for a service without ports. */
  get service(): k8s.core.v1.Service | undefined {
    return deploymentObjects.get(this)?.service;
  }

  /** The PodDisruptionBudget; undefined without `disruptionBudget`. */
  get disruptionBudget(): k8s.policy.v1.PodDisruptionBudget | undefined {
    return deploymentObjects.get(this)?.disruptionBudget;
  }

  /** Volume claim name → PersistentVolumeClaim. */
  get claims(): Record<string, k8s.core.v1.PersistentVolumeClaim> {
    return deploymentObjects.get(this)?.claims ?? {};
  }
}

/** The Kubernetes provider's annotation that makes its server-side apply take over fields another field manager holds. */
export const PATCH_FORCE = "pulumi.com/patchForce";

/** The Kubernetes provider's annotation that makes it create a resource without waiting for it to be ready. */
export const SKIP_AWAIT = "pulumi.com/skipAwait";

/** Leaves empty lists out of the manifest, as one would by hand. */
const nonEmpty = <T>(items: T[]): T[] | undefined => (items.length > 0 ? items : undefined);

const protocol = (port: DeploymentPortArgs): "TCP" | "UDP" => (port.protocol === "udp" ? "UDP" : "TCP");
