/**
 * The Kubernetes back end: the same app model as Deployments, Services, ConfigMaps, Secrets,
 * PersistentVolumeClaims, NetworkPolicies and HorizontalPodAutoscalers in one namespace per stage,
 * through an explicit provider. Built images are pushed to the configured registry, where the
 * cluster's nodes pull them.
 */
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Image, ImageArgs, validateImageArgs } from "../components/docker/image";
import {
  AppIdentity,
  appLabels,
  Autoscaler,
  AutoscalerArgs,
  containerResources,
  Deployment,
  DeploymentArgs,
  NetworkPolicies,
  NetworkPoliciesArgs,
  PublishedPort,
  RegistrySecret,
  RegistrySecretArgs,
  Secret,
  SecretArgs,
  validateAutoscalerArgs,
  validateDeploymentArgs,
  validateNetworkPoliciesArgs,
  validateRegistrySecretArgs,
  validateSecretArgs,
} from "../components/k8s";
import { ConfigError, secretValues, StackConfig, validateNamespace } from "./config";
import { AppModel, ModelError, ServiceModel, sortedKeys, startOrder, validateApp } from "./model";
import { AppOutputs } from "./outputs";

export const REGISTRY_REQUIRED =
  "dockyard:registry is required when target is kubernetes: built images must be pushed where the cluster can pull them";

/** Key of a model secret's value inside its Kubernetes Secret. */
export const SECRET_KEY = "value";

/** Names of the objects that are not named after a service. */
export function kubernetesNames(app: AppModel, config: StackConfig) {
  return {
    /** The Secret holding a model secret ("voting-db-password"). */
    secret: (secret: string) => `${app.name}-${secret}`,
    /** The image pull Secret. */
    registrySecret: `${app.name}-registry`,
    /** Repository and tag of a built image, without the registry ("voting-vote:v1"). */
    image: (service: string) => `${app.name}-${service}:${config.imageTag}`,
  };
}

/** What a Deployment is wired to: plain names while planning, resource outputs when deploying. */
interface Refs {
  namespace: pulumi.Input<string>;
  image: (service: string) => pulumi.Input<string>;
  secretName: (secret: string) => pulumi.Input<string>;
  imagePullSecrets: pulumi.Input<string>[];
  dependsOn: (service: string) => pulumi.Resource[];
}

export interface KubernetesPlan {
  identity: AppIdentity;
  namespace: string;
  /** Keep the namespace on destroy: deleting it would delete the retained claims inside. */
  retainNamespace: boolean;
  images: Array<[string, ImageArgs]>;
  secrets: Array<[string, SecretArgs]>;
  registrySecret?: [string, RegistrySecretArgs];
  /** Services in start order (dependencies first). */
  deployments: Array<[string, DeploymentArgs]>;
  autoscalers: Array<[string, AutoscalerArgs]>;
  networkPolicies: [string, NetworkPoliciesArgs];
}

/**
 * Everything the Kubernetes back end will create, worked out and validated before any resource is
 * registered, so bad input stops the program with nothing half-created.
 */
export function planKubernetes(app: AppModel, config: StackConfig): KubernetesPlan {
  validateApp(app);
  validateForCluster(app, config);
  const identity: AppIdentity = { app: app.name, instance: config.stack };
  const names = kubernetesNames(app, config);
  const registry = config.registry;
  const refs: Refs = {
    namespace: config.namespace,
    image: (service) => {
      const source = app.services[service].image;
      return source.kind === "pull" ? source.ref : `${registry?.server}/${names.image(service)}`;
    },
    secretName: names.secret,
    imagePullSecrets: registry?.username ? [names.registrySecret] : [],
    dependsOn: () => [],
  };

  const images = sortedKeys(app.services).flatMap((service): Array<[string, ImageArgs]> => {
    const source = app.services[service].image;
    return source.kind === "build" ? [[service, imageArgs(source, names.image(service), config)]] : [];
  });
  const secrets = sortedKeys(app.secrets).map((secret): [string, SecretArgs] => [
    names.secret(secret),
    { identity, namespace: config.namespace, secretName: names.secret(secret), values: { [SECRET_KEY]: secretValues(config)[secret] } },
  ]);
  const registrySecret: [string, RegistrySecretArgs] | undefined = registry?.username
    ? [
        names.registrySecret,
        {
          identity,
          namespace: config.namespace,
          secretName: names.registrySecret,
          // Credentials are per host; a path in the registry setting is part of image names only.
          server: registry.server.split("/")[0],
          username: registry.username,
          password: registry.password,
        },
      ]
    : undefined;
  const deployments = startOrder(app).map((service): [string, DeploymentArgs] => [service, deploymentArgs(app, config, service, refs)]);
  const autoscalers = sortedKeys(app.services).flatMap((service): Array<[string, AutoscalerArgs]> => {
    const model = app.services[service];
    if (!model.autoscaling) return [];
    const cpuRequest = containerResources(model.resources.cpus, model.resources.memory).requests.cpu;
    return [[service, { identity, namespace: config.namespace, deploymentName: service, ...model.autoscaling, cpuRequest }]];
  });
  const networkPolicies: [string, NetworkPoliciesArgs] = [app.name, networkPoliciesArgs(app, identity, config.namespace)];

  images.forEach(([name, args]) => validateImageArgs(name, args));
  secrets.forEach(([name, args]) => validateSecretArgs(name, args));
  if (registrySecret) validateRegistrySecretArgs(...registrySecret);
  deployments.forEach(([name, args]) => validateDeploymentArgs(name, args));
  autoscalers.forEach(([name, args]) => validateAutoscalerArgs(name, args));
  validateNetworkPoliciesArgs(...networkPolicies);

  return {
    identity,
    namespace: config.namespace,
    retainNamespace: sortedKeys(app.volumes).some((volume) => app.volumes[volume].retain ?? false),
    images,
    secrets,
    registrySecret,
    deployments,
    autoscalers,
    networkPolicies,
  };
}

/** What the model allows on Docker but a cluster cannot do; throws ConfigError or ModelError. */
function validateForCluster(app: AppModel, config: StackConfig): void {
  const fail = (message: string): never => {
    throw new ModelError(`app "${app.name}": ${message}`);
  };
  validateNamespace(config.namespace, { fromStack: false, onCluster: true });
  const builds = sortedKeys(app.services).some((service) => app.services[service].image.kind === "build");
  if (builds && config.registry === undefined) {
    throw new ConfigError(REGISTRY_REQUIRED);
  }
  const values = secretValues(config);
  for (const secret of sortedKeys(app.secrets)) {
    if (values[secret] === undefined) {
      fail(`secret "${secret}" has no value in the stack config (secrets with values: ${sortedKeys(values).join(", ")})`);
    }
  }
  for (const name of sortedKeys(app.services)) {
    const service = app.services[name];
    const where = `service "${name}"`;
    if (service.image.kind === "pull" && !isPinned(service.image.ref)) {
      fail(
        `${where}: image ${JSON.stringify(service.image.ref)} must name a tag other than latest, or a digest: ` +
          "every node pulls it on its own, so an unpinned image can differ between pods",
      );
    }
    for (const mount of service.volumes ?? []) {
      if (mount.hostPath !== undefined) {
        fail(
          `${where}: hostPath ${mount.hostPath} cannot be mounted on a cluster (it is a path on whichever node runs the pod); use an app volume`,
        );
      }
      if (mount.volume !== undefined) {
        if (!service.singleWriter) {
          fail(
            `${where}: mounts volume "${mount.volume}" but is not singleWriter: its ReadWriteOnce claim attaches to one node, so one pod at a time may use it`,
          );
        }
      }
    }
  }
}

/** A reference with a digest, or with a tag other than latest after its last slash. */
function isPinned(ref: string): boolean {
  if (ref.includes("@")) return true;
  const lastSegment = ref.split("/").pop() ?? "";
  const colon = lastSegment.indexOf(":");
  const tag = colon < 0 ? "" : lastSegment.slice(colon + 1);
  return tag !== "" && tag !== "latest";
}

function imageArgs(source: Extract<ServiceModel["image"], { kind: "build" }>, imageName: string, config: StackConfig): ImageArgs {
  const registry = config.registry;
  return {
    context: source.context,
    dockerfile: source.dockerfile,
    args: source.args,
    target: source.target,
    imageName,
    registry: registry && {
      server: registry.server,
      username: registry.username || undefined,
      password: registry.username ? registry.password : undefined,
    },
    push: true,
    builderVersion: config.imageBuilder,
  };
}

function deploymentArgs(app: AppModel, config: StackConfig, name: string, refs: Refs): DeploymentArgs {
  const service = app.services[name];
  const secretEnv = service.secretEnv ?? {};
  return {
    identity: { app: app.name, instance: config.stack },
    namespace: refs.namespace,
    image: refs.image(name),
    command: service.command,
    entrypoint: service.entrypoint,
    env: service.env,
    secretEnv: Object.fromEntries(
      sortedKeys(secretEnv).map((variable) => [variable, { secretName: refs.secretName(secretEnv[variable]), key: SECRET_KEY }]),
    ),
    ports: servicePorts(service).map((port) => ({
      name: port.name,
      containerPort: port.containerPort,
      protocol: port.protocol,
      published: port.hostPort !== undefined,
      // A published port listens on its host port number, as on Docker (vote on 5000).
      servicePort: port.hostPort ?? port.containerPort,
    })),
    networks: service.networks,
    volumes: (service.volumes ?? []).flatMap((mount) => {
      if (mount.volume === undefined) return [];
      const volume = app.volumes[mount.volume];
      return [
        {
          claimName: mount.volume,
          mountPath: mount.mountPath,
          readOnly: mount.readOnly,
          size: volume.size,
          storageClass: config.storageClass || undefined,
          retain: volume.retain ?? false,
        },
      ];
    }),
    health: service.health,
    cpus: service.resources.cpus,
    memory: service.resources.memory,
    replicas: service.replicas ?? 1,
    autoscaled: service.autoscaling !== undefined,
    singleWriter: service.singleWriter ?? false,
    serviceType: config.serviceType,
    user: service.user,
    imagePullSecrets: refs.imagePullSecrets,
    dependsOn: refs.dependsOn(name),
  };
}

/** The ports a Service is made for: all but those only the health check connects to. */
function servicePorts(service: ServiceModel): NonNullable<ServiceModel["ports"]> {
  return (service.ports ?? []).filter((port) => !(port.healthOnly ?? false));
}

function networkPoliciesArgs(app: AppModel, identity: AppIdentity, namespace: pulumi.Input<string>): NetworkPoliciesArgs {
  const networks: Record<string, string[]> = {};
  for (const network of sortedKeys(app.networks)) {
    networks[network] = sortedKeys(app.services).filter((service) => app.services[service].networks.includes(network));
  }
  const published: Record<string, PublishedPort[]> = {};
  for (const service of sortedKeys(app.services)) {
    const ports = (app.services[service].ports ?? []).filter((port) => port.hostPort !== undefined);
    if (ports.length > 0) {
      published[service] = ports.map((port) => ({ port: port.containerPort, protocol: port.protocol }));
    }
  }
  return { identity, namespace, networks, published };
}

export function deployKubernetes(app: AppModel, config: StackConfig): AppOutputs {
  const plan = planKubernetes(app, config);
  const provider = new k8s.Provider("kubernetes", {
    // Empty settings fall back to KUBECONFIG / ~/.kube/config and its current context.
    kubeconfig: config.kubeconfig || undefined,
    context: config.kubeContext || undefined,
    namespace: plan.namespace,
  });
  const opts = { provider };
  const namespace = new k8s.core.v1.Namespace(
    plan.namespace,
    { metadata: { name: plan.namespace, labels: appLabels(plan.identity) } },
    { provider, retainOnDelete: plan.retainNamespace },
  );
  const ns = namespace.metadata.name;

  const images = buildImages(plan.images, config);
  const secrets = new Map(plan.secrets.map(([name, args]) => [name, new Secret(name, { ...args, namespace: ns }, opts)]));
  const pullSecret = plan.registrySecret && new RegistrySecret(plan.registrySecret[0], { ...plan.registrySecret[1], namespace: ns }, opts);

  const names = kubernetesNames(app, config);
  const deployments = new Map<string, Deployment>();
  const refs: Refs = {
    namespace: ns,
    image: (service) => {
      const source = app.services[service].image;
      return source.kind === "pull" ? source.ref : (images.get(service) as Image).ref;
    },
    secretName: (secret) => (secrets.get(names.secret(secret)) as Secret).secretName,
    imagePullSecrets: pullSecret ? [pullSecret.secretName] : [],
    // The provider waits for a Deployment to be available, so what a service depends on is up first.
    dependsOn: (service) => sortedKeys(app.services[service].dependsOn).map((dependency) => deployments.get(dependency) as Deployment),
  };
  for (const [service] of plan.deployments) {
    deployments.set(service, new Deployment(service, deploymentArgs(app, config, service, refs), opts));
  }
  for (const [service, args] of plan.autoscalers) {
    const deployment = deployments.get(service) as Deployment;
    new Autoscaler(service, { ...args, namespace: ns, deploymentName: deployment.deploymentName, cpuRequest: deployment.cpuRequest }, opts);
  }
  const [policiesName, policiesArgs] = plan.networkPolicies;
  const policies = new NetworkPolicies(policiesName, { ...policiesArgs, namespace: ns }, opts);

  return {
    urls: serviceUrls(app, config, deployments),
    networks: policies.descriptions,
    volumes: Object.fromEntries(
      [...deployments.values()].flatMap((deployment) =>
        Object.entries(deployment.claims).map(([volume, claim]) => [volume, claim.metadata.name]),
      ),
    ),
    images: Object.fromEntries([...images].map(([service, image]) => [service, image.ref])),
  };
}

/** Builds the app's images on the Docker engine from config (`dockerHost`) and pushes them. */
function buildImages(images: Array<[string, ImageArgs]>, config: StackConfig): Map<string, Image> {
  if (images.length === 0) return new Map();
  const provider = new docker.Provider("docker", { host: config.dockerHost });
  return new Map(images.map(([service, args]) => [service, new Image(service, args, { provider })]));
}

/** Where each published service is reached, by Service type. */
function serviceUrls(
  app: AppModel,
  config: StackConfig,
  deployments: Map<string, Deployment>,
): Record<string, pulumi.Output<string> | string> {
  const urls: Record<string, pulumi.Output<string> | string> = {};
  for (const name of sortedKeys(app.services)) {
    const model = app.services[name];
    const ports = servicePorts(model);
    const index = ports.findIndex((port) => port.hostPort !== undefined);
    const service = deployments.get(name)?.service;
    const running = (model.replicas ?? 1) > 0 || model.autoscaling !== undefined;
    if (index < 0 || service === undefined || !running) continue;
    const port = ports[index].hostPort as number;
    switch (config.serviceType) {
      case "ClusterIP":
        // Inside the cluster; from a workstation: kubectl port-forward -n <namespace> svc/<service> <port>.
        urls[name] = `http://${name}.${config.namespace}.svc.cluster.local:${port}`;
        break;
      case "NodePort":
        urls[name] = service.spec.ports.apply((ports) => `http://<node-address>:${ports[index]?.nodePort}`);
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
