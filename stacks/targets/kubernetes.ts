/**
 * The Kubernetes target: a resolved app as Deployments, Services, ConfigMaps, Secrets,
 * PersistentVolumeClaims, NetworkPolicies and HorizontalPodAutoscalers in one namespace per stage,
 * through an explicit provider. Built images are pushed to the configured registry, where the
 * cluster's nodes pull them. planKubernetes is pure and runs once: every object's arguments, with
 * plain names (the namespace, Secret names), checked before anything is registered; the one late
 * value is a built image's pushed digest. deployKubernetes only constructs. On Kubernetes:
 * - a published port is a port of the service's Service (of dockyard:serviceType), numbered as published;
 * - a secret env VAR is the variable itself, read from the secret's Secret (secretKeyRef);
 * - app networks become NetworkPolicies (who may talk to whom); subnets are the cluster's; the app's
 *   pods open connections only to the cluster's DNS and to their networks' members, on their ports;
 * - the namespace enforces a Pod Security level (dockyard:podSecurity), and a service whose pods that
 *   level would refuse is refused here, before anything is created;
 * - a service that may run several pods gets a PodDisruptionBudget of one pod at a time.
 */
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Image, ImageArgs, validateImageArgs } from "../../components/docker/image";
import { ServiceType } from "../../components/k8s/serviceType";
import {
  AppIdentity,
  appLabels,
  Autoscaler,
  AutoscalerArgs,
  containerResources,
  Deployment,
  DNS_SUBDOMAIN,
  DeploymentArgs,
  isPodUser,
  NetworkPolicies,
  NetworkPoliciesArgs,
  PublishedPort,
  RegistrySecret,
  RegistrySecretArgs,
  KubernetesSecret,
  KubernetesSecretArgs,
  PodSecurityLevel,
  podSecurityLabels,
  podSecurityViolations,
  PORT_NAME,
  validateAutoscalerArgs,
  validateDeploymentArgs,
  validateNetworkPoliciesArgs,
  validateRegistrySecretArgs,
  validateKubernetesSecretArgs,
} from "../../components/k8s";
import { DockerSsh, DockerTls, isPinned, StackConfig } from "../config";
import { providerSshOpts } from "../dockerSsh";
import { dockerProviderArgs } from "../dockerTls";
import { exposeHint } from "../compose/wellKnownPorts";
import { InputError, sortedKeys, Where } from "../errors";
import { CONSTRAINT, ResolvedApp, ResolvedService, RESTART_DEFAULTS } from "../resolve";
import {
  AppOutputs,
  builtServices,
  DeployScope,
  ignored,
  imageArgs,
  imageName,
  scopedName,
  unsupported,
  waitsFor,
  TargetBackend,
  TargetPlan,
} from "./common";

export const REGISTRY_REQUIRED = (config: StackConfig): string =>
  `${config.keyPath("registry")} is required when target is kubernetes: built images must be pushed where the cluster can pull them`;

/** Key of an app secret's value inside its Kubernetes Secret. */
export const SECRET_KEY = "value";

export interface KubernetesDeploymentPlan {
  service: string;
  /** The image: a pulled service's reference; for a built one, replaced by the pushed digest at deploy. */
  args: DeploymentArgs;
  /** Services whose Deployments must be available first. */
  after: string[];
}

export interface KubernetesPlan extends TargetPlan {
  provider: { kubeconfig?: string; context?: string };
  dockerHost: string;
  /** The building engine's TLS material (dockyard:dockerTls). @default - none */
  dockerTls?: DockerTls;
  /** The building engine's SSH login (dockyard:dockerSsh). @default - none */
  dockerSsh?: DockerSsh;
  identity: AppIdentity;
  namespace: string;
  /** The Pod Security level the namespace enforces (dockyard:podSecurity). */
  podSecurity: PodSecurityLevel;
  /** The Namespace's labels: the app's, and Pod Security Admission's. */
  namespaceLabels: Record<string, string>;
  /** Keep the namespace on destroy: deleting it would delete the retained claims inside. */
  retainNamespace: boolean;
  builds: Array<[string, ImageArgs]>;
  secrets: Array<[string, KubernetesSecretArgs]>;
  registrySecret?: [string, RegistrySecretArgs];
  /** In start order (dependencies first). */
  deployments: KubernetesDeploymentPlan[];
  autoscalers: Array<[string, AutoscalerArgs]>;
  networkPolicies: [string, NetworkPoliciesArgs];
  /** How published services are reached (dockyard:serviceType): what the urls output says. */
  serviceType: ServiceType;
}

/** Everything the Kubernetes target will create, worked out and checked before anything is registered. */
export function planKubernetes(app: ResolvedApp, config: StackConfig, where: Where): KubernetesPlan {
  const warnings = checkKubernetes(app, config, where);
  const identity: AppIdentity = { app: app.name, instance: config.stack };
  const namespace = config.namespace;
  const secretName = (secret: string) => kubernetesSecretName(app.name, secret);
  const registry = config.registry;
  const registrySecretName = registry?.username ? `${app.name}-registry` : undefined;

  const builds = builtServices(app).map(([name, source]): [string, ImageArgs] => [name, imageArgs(app, name, source, config, true)]);
  const secrets = sortedKeys(app.secrets).map((secret): [string, KubernetesSecretArgs] => [
    secretName(secret),
    { identity, namespace, secretName: secretName(secret), values: { [SECRET_KEY]: config.secrets[secret].output() } },
  ]);
  const registrySecret: [string, RegistrySecretArgs] | undefined =
    registry && registrySecretName
      ? [
          registrySecretName,
          {
            identity,
            namespace,
            secretName: registrySecretName,
            // Credentials are per host; a path in the registry setting is part of image names only.
            server: registry.server.split("/")[0],
            username: registry.username,
            password: registry.password,
          },
        ]
      : undefined;
  const deployments = app.order.map((name): KubernetesDeploymentPlan => ({
    service: name,
    args: deploymentArgs(app, config, app.services[name], {
      namespace,
      secretName,
      pullSecrets: registrySecretName ? [registrySecretName] : [],
    }),
    after: waitsFor(app, name),
  }));
  const autoscalers = sortedKeys(app.services).flatMap((name): Array<[string, AutoscalerArgs]> => {
    const service = app.services[name];
    if (service.autoscaling === undefined) return [];
    // The Deployment's own requests (deploymentArgs passes the same reservations): what utilisation is a percent of.
    const requests = containerResources(service.limits.cpus, service.limits.memory, undefined, {
      cpus: service.reservations?.cpus,
      memory: service.reservations?.memory,
    }).requests;
    return [
      [
        name,
        { identity, namespace, deploymentName: name, ...service.autoscaling, cpuRequest: requests.cpu, memoryRequest: requests.memory },
      ],
    ];
  });
  const networkPolicies: [string, NetworkPoliciesArgs] = [app.name, networkPoliciesArgs(app, identity, namespace)];

  builds.forEach(([name, args]) => validateImageArgs(name, args));
  secrets.forEach(([name, args]) => validateKubernetesSecretArgs(name, args));
  if (registrySecret) validateRegistrySecretArgs(...registrySecret);
  deployments.forEach((deployment) => validateDeploymentArgs(deployment.service, deployment.args));
  autoscalers.forEach(([name, args]) => validateAutoscalerArgs(name, args));
  validateNetworkPoliciesArgs(...networkPolicies);
  return {
    // Empty settings fall back to KUBECONFIG / ~/.kube/config and its current context.
    provider: { kubeconfig: config.kubeconfig || undefined, context: config.kubeContext || undefined },
    dockerHost: config.dockerHost,
    ...(config.dockerTls === undefined ? {} : { dockerTls: config.dockerTls }),
    ...(config.dockerSsh === undefined ? {} : { dockerSsh: config.dockerSsh }),
    identity,
    namespace,
    podSecurity: config.podSecurity,
    namespaceLabels: { ...appLabels(identity), ...podSecurityLabels(config.podSecurity) },
    retainNamespace: sortedKeys(app.volumes).some((volume) => app.volumes[volume].retain),
    builds,
    secrets,
    registrySecret,
    deployments,
    autoscalers,
    networkPolicies,
    serviceType: config.serviceType,
    warnings,
  };
}

/**
 * An app secret's Secret name: <app>-<secret>, lower case, each run of what a DNS subdomain cannot
 * hold made one "-" (compose's usual db_password is shop-db-password); a name already valid is kept.
 */
export function kubernetesSecretName(app: string, secret: string): string {
  return `${app}-${secret.toLowerCase().replace(/[^a-z0-9.-]+/g, "-")}`;
}

/** The longest object name the API takes (a DNS subdomain). */
const MAX_OBJECT_NAME = 253;

/**
 * The names the cluster's objects take from the app, checked with the key the user wrote, before the
 * components check them in their own words: Secret names (mapped, so only a clash or an impossible name
 * is refused), container port names (an IANA service name: at most 15), and nodeSelector labels.
 */
function checkKubernetesNames(app: ResolvedApp, where: Where): void {
  const secrets = new Map<string, string>();
  for (const secret of sortedKeys(app.secrets)) {
    const name = kubernetesSecretName(app.name, secret);
    if (!DNS_SUBDOMAIN.test(name) || name.length > MAX_OBJECT_NAME) {
      throw new InputError(
        `${where(`secrets.${secret}`)} cannot be used on target kubernetes: its Secret would be named ${JSON.stringify(name)}, and a Secret's name must be lowercase letters, digits, - and ., starting and ending with a letter or digit, at most ${MAX_OBJECT_NAME}; rename the secret`,
      );
    }
    const clash = secrets.get(name);
    if (clash !== undefined) {
      throw new InputError(
        `${where(`secrets.${secret}`)} and ${where(`secrets.${clash}`)} would both be Secret ${JSON.stringify(name)} on target kubernetes (a Secret's name takes lowercase letters, digits, - and ., anything else becomes -); rename one of them`,
      );
    }
    secrets.set(name, secret);
  }
  for (const name of sortedKeys(app.services)) {
    for (const port of app.services[name].ports) {
      if (port.healthOnly || PORT_NAME.test(port.name)) continue;
      const at = where(`services.${name}.ports.${port.name}`);
      // A compose list entry is named by its index: the name is its `name` key. A config key is the name itself.
      const named = at.endsWith("]") ? `${at}.name ${JSON.stringify(port.name)}` : `${at} (port name ${JSON.stringify(port.name)})`;
      const shorter = port.name
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .slice(0, 15)
        .replace(/^-+|-+$/g, "");
      const like = PORT_NAME.test(shorter) ? `, like ${JSON.stringify(shorter)}` : "";
      throw new InputError(
        `${named} cannot be used on target kubernetes: a container port's name must be 1-15 lowercase letters, digits and -, with at least one letter and no - at either end (${port.name.length} characters given); rename it${like}`,
      );
    }
    for (const constraint of app.services[name].placement?.constraints ?? []) {
      const [, , label, operator, value] = CONSTRAINT.exec(constraint) as RegExpExecArray;
      if (label === undefined || operator !== "==") continue;
      const key = /^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(label);
      const text = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/.test(value);
      if (!key || !text) {
        throw new InputError(
          `${where(`services.${name}.placement.constraints`)} "${constraint}" cannot be used on target kubernetes: it becomes the nodeSelector ${label}=${value}, and a node label's ${key ? "value" : "name"} must be letters, digits, - _ and ., starting and ending with a letter or digit, at most 63; change the label`,
        );
      }
    }
  }
}

/** What the resolved app asks that a cluster cannot do: refused, or the warnings for what it ignores. */
function checkKubernetes(app: ResolvedApp, config: StackConfig, where: Where): string[] {
  checkKubernetesNames(app, where);
  const warnings: string[] = [];
  const lowered = LOWER_POD_SECURITY[config.podSecurity];
  if (lowered !== undefined) {
    warnings.push(
      `${config.keyPath("podSecurity")} is "${config.podSecurity}": namespace "${config.namespace}" admits pods ${lowered}, which "restricted" refuses; the API server warns about each`,
    );
  }
  if (builtServices(app).length > 0 && config.registry === undefined) throw new InputError(REGISTRY_REQUIRED(config));
  // An internal network needs nothing more: every app network is one here, its pods opening
  // connections only to the cluster's DNS and the app's own services (NetworkPolicies).
  for (const name of sortedKeys(app.networks)) {
    for (const field of ["subnet", "gateway", "ipRange"] as const) {
      if (config.networks[name]?.[field] !== undefined) {
        warnings.push(
          ignored(
            config.keyPath(`networks.${name}.${field}`),
            "kubernetes",
            "pods take addresses from the cluster's pod network; the app network becomes a NetworkPolicy",
          ),
        );
      }
    }
  }
  const podSecurity: string[] = [];
  for (const name of sortedKeys(app.services)) {
    const service = app.services[name];
    const dependents = sortedKeys(app.services).filter((other) => name in app.services[other].dependsOn);
    if (dependents.length > 0 && !service.ports.some((port) => !port.healthOnly)) {
      unsupported(
        where(`services.${name}.ports`),
        `${dependents.join(", ")} ${dependents.length > 1 ? "depend" : "depends"} on "${name}", but it declares no port, so no Service makes it reachable by name`,
        "kubernetes",
        exposeHint(service.image),
      );
    }
    if (service.image.kind === "pull" && !isPinned(service.image.ref)) {
      throw new InputError(
        `${where(`services.${name}.image`)} ${JSON.stringify(service.image.ref)} must name a tag other than latest, or a digest, on target kubernetes: every node pulls it on its own, so an unpinned image can differ between pods`,
      );
    }
    warnings.push(...ignoredDeploySettings(service, where));
    for (const path of sortedKeys(service.configFiles)) {
      const file = (service.configFiles ?? {})[path];
      for (const field of ["uid", "gid"] as const) {
        if (file[field] !== undefined && file[field] !== "0") {
          warnings.push(
            ignored(
              `${where(`services.${name}.configFiles.${path}.${field}`)} ${file[field]}`,
              "kubernetes",
              `a ConfigMap's files are owned by user 0 and group 0 (the pod's fsGroup when the service's user gives a group); the mode, 0${(file.mode ?? 0o444).toString(8)}, is what lets the image's user read it`,
            ),
          );
        }
      }
    }
    if (service.networkMode !== undefined) {
      unsupported(
        where(`services.${name}.networkMode`),
        "every pod has the cluster's pod network; a pod without a network has no counterpart",
        "kubernetes",
        "join the app's networks (remove network_mode), or use target docker",
      );
    }
    if (service.user !== undefined && !isPodUser(service.user)) {
      unsupported(
        `${where(`services.${name}.user`)} ${JSON.stringify(service.user)}`,
        "a pod's runAsUser and runAsGroup take numbers, and a user name is known only inside the image",
        "kubernetes",
        'give the numeric uid or uid:gid, like "1000:1000"',
      );
    }
    for (const mount of service.volumes) {
      const path = where(`services.${name}.volumes[${mount.mountPath}]`);
      if (mount.hostPath !== undefined) {
        unsupported(`${path} hostPath ${mount.hostPath}`, "it is a path on whichever node runs the pod", "kubernetes", "use an app volume");
      }
      if (mount.volume !== undefined && !service.singleWriter) {
        unsupported(
          `${path} volume "${mount.volume}" on a service that is not singleWriter`,
          "its ReadWriteOnce claim attaches to one node, so one pod at a time may use it",
          "kubernetes",
          `mark service "${name}" singleWriter, or drop the mount`,
        );
      }
    }
    const refused = podSecurityRefusal(service, config, where);
    if (refused !== undefined) podSecurity.push(refused);
  }
  // Every service the namespace would refuse, at once: fixing one would only show the next.
  if (podSecurity.length === 1) throw new InputError(podSecurity[0]);
  if (podSecurity.length > 1)
    throw new InputError(`${podSecurity.length} services of the app cannot be deployed:\n  ${podSecurity.join("\n  ")}`);
  return warnings;
}

/** What a namespace admits at a level below restricted, for its warning. */
const LOWER_POD_SECURITY: Record<PodSecurityLevel, string | undefined> = {
  restricted: undefined,
  baseline: "that run as root, keep Linux capabilities or may gain privileges",
  privileged: "with any settings, privileged containers and the node's namespaces and paths included",
};

/**
 * The refusal of a service whose pods the namespace's Pod Security level would refuse: the API server would
 * accept its Deployment and then refuse every pod its ReplicaSet asks for, and the up would wait out
 * the rollout timeout. Names each setting it lacks, and the fix.
 */
function podSecurityRefusal(service: ResolvedService, config: StackConfig, where: Where): string | undefined {
  const violations = podSecurityViolations(config.podSecurity, service);
  if (violations.length === 0) return undefined;
  const shown = (value: unknown) => (value === undefined ? "is not set" : JSON.stringify(value));
  // Each field as the user's file names it: the first in full ("compose.yaml: services.web.user"), the
  // others without the file again; in the fixes, the key alone (no "(not set: ...)" note).
  const named = violations.map((violation) => where(`services.${service.name}.${violation.field}`));
  const file = /^[^:]*?: /.exec(named[0])?.[0] ?? "";
  const inFile = (name: string) => (file !== "" && name.startsWith(file) ? name.slice(file.length) : name);
  const key = (name: string) => inFile(name).replace(/ \(.*\)$/, "");
  const settings = violations.map((violation, index) => `${index === 0 ? named[0] : inFile(named[index])} ${shown(violation.value)}`);
  const lower = violations.some((violation) => violation.admittedBy === "privileged") ? "privileged" : "baseline";
  const podSecurity = config.keyPath("podSecurity");
  return `${settings.join(", ")}: Pod Security level "${config.podSecurity}" (${podSecurity}) refuses every pod ${violations
    .map((violation) => violation.refused)
    .join(", or ")}, so no pod of "${service.name}" could start; ${violations
    .map((violation, index) => violation.fix(key(named[index])))
    .join(", ")}, or set ${podSecurity} to "${lower}"`;
}

/** Swarm's node attributes a nodeSelector can say, as the well-known Kubernetes node labels. */
const NODE_LABELS: Record<string, string> = { hostname: "kubernetes.io/hostname", "platform.os": "kubernetes.io/os" };

/** The `==` constraints a nodeSelector expresses (node.labels.K, node.hostname, node.platform.os); the rest are warned about. */
function nodeSelector(service: ResolvedService): Record<string, string> | undefined {
  const selector: Record<string, string> = {};
  for (const constraint of service.placement?.constraints ?? []) {
    const match = CONSTRAINT.exec(constraint) as RegExpExecArray;
    const [, attribute, label, operator, value] = match;
    if (operator !== "==") continue;
    if (label !== undefined) selector[label] = value;
    else if (attribute in NODE_LABELS) selector[NODE_LABELS[attribute]] = value;
  }
  return Object.keys(selector).length > 0 ? selector : undefined;
}

/** What the model's rollout, placement and restart policy say that a Deployment cannot, one warning each. */
function ignoredDeploySettings(service: ResolvedService, where: Where): string[] {
  const path = `services.${service.name}`;
  const warnings: string[] = [];
  const rollout = service.rollout;
  if (rollout !== undefined) {
    if (rollout.delaySeconds !== 0) {
      warnings.push(
        ignored(where(`${path}.rollout.delaySeconds`), "kubernetes", "a Deployment replaces its pods without a pause between batches"),
      );
    }
    if (rollout.maxFailureRatio !== 0) {
      warnings.push(
        ignored(
          where(`${path}.rollout.maxFailureRatio`),
          "kubernetes",
          "a Deployment's rollout stops at the first pod that does not become ready",
        ),
      );
    }
    if (rollout.failureAction !== "rollback") {
      warnings.push(
        ignored(
          where(`${path}.rollout.failureAction`),
          "kubernetes",
          "a rollout that stalls is marked failed and fails the up while the old pods keep serving; nothing rolls back or goes on by itself",
        ),
      );
    }
    const back = rollout.rollback;
    const sameAsUpdate =
      back.parallelism === rollout.parallelism &&
      back.delaySeconds === rollout.delaySeconds &&
      back.order === rollout.order &&
      back.monitorSeconds === rollout.monitorSeconds &&
      back.maxFailureRatio === rollout.maxFailureRatio;
    if (!sameAsUpdate || back.failureAction !== "pause") {
      warnings.push(
        ignored(
          where(`${path}.rollout.rollback`),
          "kubernetes",
          "a rollback (kubectl rollout undo) replaces pods with the Deployment's one strategy",
        ),
      );
    }
  }
  for (const constraint of service.placement?.constraints ?? []) {
    const [, attribute, label, operator] = CONSTRAINT.exec(constraint) as RegExpExecArray;
    if (operator === "==" && (label !== undefined || attribute in NODE_LABELS)) continue;
    warnings.push(
      ignored(
        `${where(`${path}.placement.constraints`)} "${constraint}"`,
        "kubernetes",
        "only node.labels.<name>, node.hostname and node.platform.os with == become a nodeSelector; the pods may run on any node",
      ),
    );
  }
  if (service.placement?.maxReplicasPerNode !== undefined && service.placement.maxReplicasPerNode !== 0) {
    warnings.push(
      ignored(
        where(`${path}.placement.maxReplicasPerNode`),
        "kubernetes",
        "the scheduler spreads pods by itself; nothing limits them per node",
      ),
    );
  }
  const restart = service.restart;
  if (restart !== undefined) {
    const differs = (["condition", "delaySeconds", "maxAttempts", "windowSeconds"] as const).filter(
      (field) => restart[field] !== RESTART_DEFAULTS[field],
    );
    for (const field of differs) {
      warnings.push(
        ignored(
          where(`${path}.restart.${field}`),
          "kubernetes",
          "a Deployment's pods always restart, with the kubelet's growing back-off (10 s doubling to 5 min)",
        ),
      );
    }
  }
  if (service.endpointMode !== undefined) {
    warnings.push(ignored(where(`${path}.endpointMode`), "kubernetes", "it is a swarm's; the service's name is its Service's ClusterIP"));
  }
  return warnings;
}

/** A rollout's order and batch size as a RollingUpdate's surge and unavailability; a single writer is Recreate whatever they say. */
function rollingUpdate(service: ResolvedService): Pick<DeploymentArgs, "maxSurge" | "maxUnavailable" | "minReadySeconds"> {
  const rollout = service.rollout;
  if (rollout === undefined) return {};
  const batch = rollout.parallelism === 0 ? "100%" : String(rollout.parallelism);
  const surge = service.singleWriter
    ? {}
    : rollout.order === "stop-first"
      ? { maxSurge: "0", maxUnavailable: batch }
      : { maxSurge: batch, maxUnavailable: "0" };
  return { ...surge, minReadySeconds: rollout.monitorSeconds };
}

function deploymentArgs(
  app: ResolvedApp,
  config: StackConfig,
  service: ResolvedService,
  names: { namespace: string; secretName: (secret: string) => string; pullSecrets: string[] },
): DeploymentArgs {
  return {
    identity: { app: app.name, instance: config.stack },
    namespace: names.namespace,
    image: service.image.kind === "pull" ? service.image.ref : `${config.registry?.server}/${imageName(app, service.name, config)}`,
    command: service.command,
    entrypoint: service.entrypoint,
    env: service.env,
    secretEnv: Object.fromEntries(
      sortedKeys(service.secretEnv).map((variable) => [
        variable,
        { secretName: names.secretName(service.secretEnv[variable]), key: SECRET_KEY },
      ]),
    ),
    ...(service.secretFiles !== undefined
      ? {
          secretFiles: sortedKeys(service.secretFiles).map((path) => ({
            path,
            secretName: names.secretName((service.secretFiles ?? {})[path]),
            key: SECRET_KEY,
          })),
        }
      : {}),
    ...(service.configFiles !== undefined
      ? {
          configFiles: sortedKeys(service.configFiles).map((path) => {
            const file = (service.configFiles ?? {})[path];
            return { path, content: (app.configs ?? {})[file.config].content, ...(file.mode !== undefined ? { mode: file.mode } : {}) };
          }),
        }
      : {}),
    ports: service.ports
      .filter((port) => !port.healthOnly)
      .map((port) => ({
        name: port.name,
        containerPort: port.containerPort,
        protocol: port.protocol,
        published: port.publishedPort !== undefined,
        // A published port is the Service's port with that number, as on Docker (vote on 5000).
        servicePort: port.publishedPort ?? port.containerPort,
      })),
    networks: service.networks,
    volumes: service.volumes.flatMap((mount) => {
      if (mount.volume === undefined) return [];
      const volume = app.volumes[mount.volume];
      return [
        {
          claimName: mount.volume,
          mountPath: mount.mountPath,
          readOnly: mount.readOnly,
          size: volume.size,
          storageClass: config.storageClass || undefined,
          retain: volume.retain,
        },
      ];
    }),
    health: service.health,
    cpus: service.limits.cpus,
    memory: service.limits.memory,
    ...(service.reservations?.cpus !== undefined ? { requestCpus: service.reservations.cpus } : {}),
    ...(service.reservations?.memory !== undefined ? { requestMemory: service.reservations.memory } : {}),
    ...rollingUpdate(service),
    ...(nodeSelector(service) ? { nodeSelector: nodeSelector(service) } : {}),
    replicas: service.replicas,
    autoscaled: service.autoscaling !== undefined,
    // Whenever it may run more than one pod: a drain then takes them one at a time (with one pod,
    // one unavailable lets the drain go ahead).
    ...((service.autoscaling?.maxReplicas ?? service.replicas) > 1 ? { disruptionBudget: 1 } : {}),
    singleWriter: service.singleWriter,
    serviceType: config.serviceType,
    // Left unset at its default: the API's and the provider's own (600 s), so stacks made before the
    // key see no change.
    rolloutTimeoutSeconds: config.given.includes("rolloutTimeout") ? config.rolloutTimeout : undefined,
    user: service.user,
    stopGracePeriodSeconds: service.stopGracePeriodSeconds,
    security: service.security,
    imagePullSecrets: names.pullSecrets,
  };
}

function networkPoliciesArgs(app: ResolvedApp, identity: AppIdentity, namespace: string): NetworkPoliciesArgs {
  const networks: Record<string, string[]> = {};
  for (const network of sortedKeys(app.networks)) {
    networks[network] = sortedKeys(app.services).filter((service) => app.services[service].networks.includes(network));
  }
  const published: Record<string, PublishedPort[]> = {};
  const ports: Record<string, PublishedPort[]> = {};
  for (const service of sortedKeys(app.services)) {
    const open = app.services[service].ports.filter((port) => port.publishedPort !== undefined);
    if (open.length > 0) published[service] = open.map((port) => ({ port: port.containerPort, protocol: port.protocol }));
    // What the app's other services connect to; a port only the health check uses is the kubelet's.
    const served = app.services[service].ports.filter((port) => !port.healthOnly);
    if (served.length > 0) ports[service] = served.map((port) => ({ port: port.containerPort, protocol: port.protocol }));
  }
  return { identity, namespace, networks, published, ports };
}

/** Constructs the plan: explicit providers, the namespace, then each object with its dependencies as options. */
export function deployKubernetes(plan: KubernetesPlan, scope: DeployScope = {}): AppOutputs {
  const { parent } = scope;
  const named = scopedName(scope);
  const provider = scope.provider ?? new k8s.Provider(named("kubernetes"), { ...plan.provider, namespace: plan.namespace }, { parent });
  const namespace = new k8s.core.v1.Namespace(
    named(plan.namespace),
    // Always declared, never only used: an existing namespace of that name is taken over by the create
    // (server-side apply) and gets these labels, unless another manager set a Pod Security label to
    // another value: the create then fails with a field conflict naming it, before anything is created
    // in the namespace (docs/targets.md).
    { metadata: { name: plan.namespace, labels: plan.namespaceLabels } },
    { provider, parent, retainOnDelete: plan.retainNamespace },
  );
  // Every namespaced object takes the namespace by the Namespace's name output, so each depends on
  // it: created after it, and deleted before it on destroy (a dependsOn on a component reaches none
  // of its children).
  const inNamespace = namespace.metadata.name;
  const opts = { provider, parent, dependsOn: [namespace] };
  const builder =
    plan.builds.length > 0
      ? new docker.Provider(
          named("docker"),
          dockerProviderArgs(plan.dockerHost, plan.dockerTls, plan.dockerSsh && providerSshOpts(plan.dockerSsh)),
          { parent },
        )
      : undefined;
  const images = new Map(plan.builds.map(([name, args]) => [name, new Image(named(name), args, { provider: builder, parent })]));
  const secrets = plan.secrets.map(([name, args]) => new KubernetesSecret(named(name), { ...args, namespace: inNamespace }, opts));
  const pullSecret =
    plan.registrySecret && new RegistrySecret(named(plan.registrySecret[0]), { ...plan.registrySecret[1], namespace: inNamespace }, opts);
  const deployments = new Map<string, Deployment>();
  for (const { service, args, after } of plan.deployments) {
    // The provider waits for a Deployment to be available, so what a service depends on is up first.
    const dependsOn = [
      namespace,
      ...secrets,
      ...(pullSecret ? [pullSecret] : []),
      ...after.map((name) => deployments.get(name) as Deployment),
    ];
    const image = images.get(service)?.ref ?? args.image;
    // Not renamed by the scope: a Deployment's and an Autoscaler's names are their objects' names, which
    // the other services reach by DNS; the namespace keeps two apps apart on a cluster.
    deployments.set(service, new Deployment(service, { ...args, image, namespace: inNamespace }, { provider, parent, dependsOn }));
  }
  for (const [name, args] of plan.autoscalers) {
    new Autoscaler(name, { ...args, namespace: inNamespace }, { provider, parent, dependsOn: [deployments.get(name) as Deployment] });
  }
  const policies = new NetworkPolicies(named(plan.networkPolicies[0]), { ...plan.networkPolicies[1], namespace: inNamespace }, opts);
  return {
    urls: kubernetesUrls(plan, deployments),
    networks: policies.descriptions,
    volumes: Object.fromEntries(
      plan.deployments.flatMap(({ args }) =>
        (args.volumes ?? []).map((volume) => [volume.claimName, volume.claimName] as [string, string]),
      ),
    ),
    images: Object.fromEntries([...images].map(([service, image]) => [service, image.ref])),
  };
}

/** Where each published service is reached, by Service type. */
function kubernetesUrls(plan: KubernetesPlan, deployments: Map<string, Deployment>): Record<string, pulumi.Output<string> | string> {
  const urls: Record<string, pulumi.Output<string> | string> = {};
  for (const { service: name, args } of plan.deployments) {
    const ports = args.ports ?? [];
    const index = ports.findIndex((port) => port.published);
    const running = (args.replicas ?? 0) > 0 || (args.autoscaled ?? false);
    if (index < 0 || !running) continue;
    const port = ports[index].servicePort as number;
    const service = (deployments.get(name) as Deployment).service;
    if (service === undefined) continue;
    switch (plan.serviceType) {
      case "ClusterIP":
        // Inside the cluster; from a workstation: kubectl port-forward -n <namespace> svc/<service> <port>.
        urls[name] = `http://${name}.${plan.namespace}.svc.cluster.local:${port}`;
        break;
      case "NodePort":
        urls[name] = service.spec.ports.apply((servicePorts) => `http://<node-address>:${servicePorts[index]?.nodePort}`);
        break;
      case "LoadBalancer":
        urls[name] = service.status.loadBalancer.ingress.apply((ingress) => {
          const address = ingress?.[0]?.ip ?? ingress?.[0]?.hostname ?? "<pending>";
          return `http://${address}:${port}`;
        });
        break;
    }
  }
  return urls;
}

/** The Kubernetes target, registered in targets/index.ts. */
export const kubernetesTarget: TargetBackend<KubernetesPlan> = { plan: planKubernetes, deploy: deployKubernetes };
