import * as pulumi from "@pulumi/pulumi";
import { BuilderVersion } from "../docker/image";
import { PodSecurityLevel } from "../k8s/podSecurity";
import { ServiceType } from "../k8s/serviceType";
import { ScalingSettings } from "../k8s/scaling";
import { SecurityArgs } from "../security";
import { EndpointMode, RestartCondition, RollbackFailureAction, UpdateFailureAction, UpdateOrder } from "../swarm/service";
import { composeApp, logReport, reportText } from "../../stacks/compose/app";
import { ReportLine } from "../../stacks/compose/convert";
import {
  CONFIG_KEYS,
  ConfigKey,
  KeyNamer,
  loadConfig,
  NetworkSettings,
  SecretText,
  ServiceSettings,
  StackConfig,
  VolumeSettings,
} from "../../stacks/config";
import { applyConfig } from "../../stacks/overrides";
import { resolveApp } from "../../stacks/resolve";
import { planApp } from "../../stacks/targets";

/** Where a ComposeApp runs. */
export const ComposeTarget = {
  /** Containers on one Docker engine. */
  Docker: "docker",
  /** Services on a Docker swarm, through a manager. */
  Swarm: "swarm",
  /** Deployments and Services in a namespace of a Kubernetes cluster. */
  Kubernetes: "kubernetes",
} as const;
export type ComposeTarget = (typeof ComposeTarget)[keyof typeof ComposeTarget];

/** A service's CPU and memory limits, replacing the compose file's. */
export interface ComposeLimits {
  /** CPUs, as `docker run --cpus` (0.5). @default - the compose file's, else 1 */
  cpus?: number;
  /** Memory, as `docker run --memory` ("128m"). @default - the compose file's, else "512m" */
  memory?: string;
}

/** A HorizontalPodAutoscaler for the service (target kubernetes): the stack config's `autoscaling` keys. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- its own name in the package's schema (Python: ComposeAutoscalingArgs)
export interface ComposeAutoscaling extends ScalingSettings {}

/** How a rollback replaces copies; every field left out is the update's. */
export interface ComposeRollbackSettings {
  /** Copies replaced at a time; 0 replaces all at once. @default - the update's */
  parallelism?: number;
  /** Seconds between one batch and the next. @default - the update's */
  delaySeconds?: number;
  /** Whether the rolled-back copy starts before the one it replaces stops. @default - the update's */
  order?: UpdateOrder;
  /** Seconds each replaced copy is watched for failure. @default - the update's */
  monitorSeconds?: number;
  /** Share of copies (0 to 1) that may fail before failureAction. @default - the update's */
  maxFailureRatio?: number;
  /** When the rollback fails too: stop there, or go on. @default "pause" */
  failureAction?: RollbackFailureAction;
}

/** How an update replaces a service's copies (compose `deploy.update_config`). */
export interface ComposeRolloutSettings {
  /** Copies replaced at a time; 0 replaces all at once. @default 1 */
  parallelism?: number;
  /** Seconds between one batch and the next. @default 0 */
  delaySeconds?: number;
  /** Whether the new copy starts before the old one stops. @default - "start-first" where two copies can run at once, else "stop-first" */
  order?: UpdateOrder;
  /** Seconds each replaced copy is watched for failure. @default 5 */
  monitorSeconds?: number;
  /** Share of copies (0 to 1) that may fail before failureAction. @default 0 */
  maxFailureRatio?: number;
  /** When an update fails: roll back to the previous version, stop there, or go on. @default "rollback" */
  failureAction?: UpdateFailureAction;
  /** How a rollback replaces copies (compose `deploy.rollback_config`). @default - as the update, failureAction "pause" */
  rollback?: ComposeRollbackSettings;
}

/** Resources reserved for each copy on its node. */
export interface ComposeReservations {
  /** CPUs reserved; at most the CPU limit. @default - a target's share of the CPU limit */
  cpus?: number;
  /** Memory reserved ("64m"); at most the memory limit. @default - the memory limit */
  memory?: string;
}

/** Where copies may run (target swarm). */
export interface ComposePlacement {
  /** Node conditions in swarm's grammar (`node.role == manager`). @default [] */
  constraints?: string[];
  /** At most this many copies on one node; 0 for no limit. @default 0 */
  maxReplicasPerNode?: number;
}

/** When a stopped copy is started again. */
export interface ComposeRestartSettings {
  /** Which stops are restarted: any, a non-zero exit only (on-failure), or none. @default "any" */
  condition?: RestartCondition;
  /** Seconds between a stop and the restart. @default 5 */
  delaySeconds?: number;
  /** Restarts attempted before giving up; 0 for no limit. @default 0 */
  maxAttempts?: number;
  /** Seconds over which maxAttempts is counted; 0 counts every attempt. @default 0 */
  windowSeconds?: number;
}

/** What a stage changes about one service of the compose file; each field left out keeps the file's. */
export interface ComposeServiceSettings {
  /** Copies to run; 0 keeps the service defined but stopped. */
  replicas?: number;
  /** Published port by the port's name in the compose file (`http`, or `tcp-80` for an unnamed port 80). */
  ports?: Record<string, number>;
  /** CPU and memory limits of each copy. */
  limits?: ComposeLimits;
  /** Scale between bounds by CPU use instead of a fixed count (target kubernetes). */
  autoscaling?: ComposeAutoscaling;
  /** A prebuilt image to run instead of the file's image or build. */
  image?: string;
  /** How an update replaces the service's copies. */
  rollout?: ComposeRolloutSettings;
  /** Resources set aside for each copy on its node. */
  reservations?: ComposeReservations;
  /** Where copies may run. */
  placement?: ComposePlacement;
  /** When a stopped copy is started again. */
  restart?: ComposeRestartSettings;
  /** Seconds a copy has to exit after SIGTERM before it is killed (compose `stop_grace_period`). */
  stopGracePeriodSeconds?: number;
  /** How each copy is confined: capabilities, privilege escalation, a read-only root filesystem, tmpfs paths. */
  security?: SecurityArgs;
  /** How the service's name reaches its copies on a swarm. @default - swarmEndpointMode */
  endpointMode?: EndpointMode;
}

/** A network's addresses, replacing the compose file's `ipam`. */
export interface ComposeNetworkSettings {
  /** IPv4 CIDR ("10.10.0.0/24"). @default - the file's, else one from 10.124.0.0/16 */
  subnet?: string;
  /** The network's gateway, inside the subnet. @default - the subnet's first address */
  gateway?: string;
  /** Sub-range containers get addresses from. @default - the whole subnet */
  ipRange?: string;
}

/** A volume's settings. */
export interface ComposeVolumeSettings {
  /** Storage to reserve ("1Gi"; target kubernetes). @default "1Gi" */
  size?: string;
  /** Keep the data when the app is destroyed. @default false */
  retain?: boolean;
}

export interface ComposeAppArgs {
  /** The compose file, as `docker compose -f` takes it; a relative path is read from the program's working directory. */
  file: string;
  /** Profiles to enable (`--profile`); `*` enables all. @default - COMPOSE_PROFILES, else none */
  profiles?: string[];
  /** A .env-style file of variables, relative to the compose file's folder. @default - `.env` there, when there is one */
  envFile?: string;
  /**
   * Where the app runs. The Docker or Kubernetes provider to deploy through is the component's own
   * (`provider` in its resource options); without one, one is made from `dockerHost` or `kubeconfig`.
   * @default "docker"
   */
  target?: ComposeTarget;
  /**
   * The stage: part of every name the app creates, and outside "dev" literal credentials, unpinned
   * images and the "latest" tag are refused.
   * @default - the stack's name
   */
  stage?: string;
  /** Per-service settings by service name. @default {} */
  services?: Record<string, ComposeServiceSettings>;
  /** Per-network settings by network name. @default {} */
  networks?: Record<string, ComposeNetworkSettings>;
  /** Per-volume settings by volume name. @default {} */
  volumes?: Record<string, ComposeVolumeSettings>;
  /** The values of the compose file's top-level secrets, by name; always stored as secrets. @default {} */
  secrets?: Record<string, pulumi.Input<string>>;
  /** Build arguments of the images built here, by name (base images: point them at a mirror). @default {} */
  buildArgs?: Record<string, string>;
  /** Tag of the images built here; a change rolls the services. @default "v1" */
  imageTag?: string;
  /** Registry to push built images to (`localhost:5000`). @default - none: images stay on the engine that built them */
  registry?: string;
  /** @default "BuilderBuildKit" */
  imageBuilder?: BuilderVersion;
  /** The Docker engine that runs the app (docker), is the swarm's manager (swarm), and builds the images, as DOCKER_HOST. @default "unix:///var/run/docker.sock" */
  dockerHost?: string;
  /** Host address published ports bind to (target docker). @default "127.0.0.1" */
  bindAddress?: string;
  /** Allow subnets outside 10/8, 172.16/12 and 192.168/16. @default false */
  allowPublicSubnets?: boolean;
  /** Path to a kubeconfig (target kubernetes, without a provider). @default - KUBECONFIG or ~/.kube/config */
  kubeconfig?: string;
  /** Context in the kubeconfig. @default - its current context */
  kubeContext?: string;
  /** Namespace the app is created in (target kubernetes). @default - the stage */
  namespace?: string;
  /** Service type of the published services (target kubernetes). @default "ClusterIP" */
  serviceType?: ServiceType;
  /** Pod Security level the namespace enforces (target kubernetes); baseline and privileged are warned about. @default "restricted" */
  podSecurity?: PodSecurityLevel;
  /** StorageClass of the data volumes (target kubernetes). @default - the cluster's default */
  storageClass?: string;
  /** Seconds a rollout may take (kubernetes, swarm). @default 600 */
  rolloutTimeout?: number;
  /** How a swarm service is reached: dnsrr or vip. @default "dnsrr" */
  swarmEndpointMode?: EndpointMode;
  /** Nodes of the swarm that run the app's tasks. @default 1 */
  swarmNodes?: number;
  /** Hostname of the swarm node that holds the data volumes. @default - the manager */
  swarmDataNode?: string;
}

// Each setting a ComposeApp takes is a stack config key of the same name and shape: the stack's
// checks (the zod table in stacks/config.ts) check both. These lines fail to compile if they part.
type Settings = Omit<ComposeAppArgs, "file" | "profiles" | "envFile" | "stage" | "secrets">;
const sameKeys: Record<keyof Settings, ConfigKey> = {
  target: "target",
  services: "services",
  networks: "networks",
  volumes: "volumes",
  buildArgs: "buildArgs",
  imageTag: "imageTag",
  registry: "registry",
  imageBuilder: "imageBuilder",
  dockerHost: "dockerHost",
  bindAddress: "bindAddress",
  allowPublicSubnets: "allowPublicSubnets",
  kubeconfig: "kubeconfig",
  kubeContext: "kubeContext",
  namespace: "namespace",
  serviceType: "serviceType",
  podSecurity: "podSecurity",
  storageClass: "storageClass",
  rolloutTimeout: "rolloutTimeout",
  swarmEndpointMode: "swarmEndpointMode",
  swarmNodes: "swarmNodes",
  swarmDataNode: "swarmDataNode",
};
/*
 * The settings interfaces above restate the stack config's settings objects (SERVICE_SETTINGS,
 * NETWORK_SETTINGS, VOLUME_SETTINGS in stacks/config.ts), whose zod checks check them: Pulumi infers
 * the package's schema (what `pulumi package add` gives Python and YAML programs) from written
 * interfaces only; an interface that extends the zod type reaches it with every field untyped (Any),
 * and a type alias is refused. So the restatement cannot drift: the lines below fail to compile,
 * naming the path, unless each interface has the settings object's keys, down its nested objects,
 * each optional where the setting is, and of the same kind (a number, text, a list, a map; an enum
 * here may narrow the text the config takes), and test/unit/composeApp.test.ts checks the inferred
 * schema against the zod shapes.
 */
type Widened<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;
type IsOptional<T, K extends keyof T> = object extends Pick<T, K> ? true : false;
type ValueDrift<C, S, At extends string> = [C] extends [readonly (infer CI)[]]
  ? [S] extends [readonly (infer SI)[]]
    ? ValueDrift<CI, SI, `${At}[]`>
    : `${At} is a list here but not in the stack config's settings`
  : [S] extends [readonly unknown[]]
    ? `${At} is a list in the stack config's settings but not here`
    : [C] extends [object]
      ? [S] extends [object]
        ? Drift<C, S, At>
        : `${At} is an object here but not in the stack config's settings`
      : [S] extends [object]
        ? `${At} is an object in the stack config's settings but not here`
        : [Widened<C>] extends [S]
          ? [S] extends [Widened<C>]
            ? never
            : `${At} has another type than in the stack config's settings`
          : `${At} has another type than in the stack config's settings`;
type Missing<C, S> = Exclude<keyof S, keyof C> & string;
type Extra<C, S> = Exclude<keyof C, keyof S> & string;
type Shared<C, S> = keyof C & keyof S & string;
/** Each difference between interface C and settings S, as the path and what differs; never when none. */
type Drift<C, S, At extends string> =
  | { [K in Missing<C, S>]: `${At}.${K} is a stack config setting (stacks/config.ts) missing here` }[Missing<C, S>]
  | { [K in Extra<C, S>]: `${At}.${K} is not a stack config setting (stacks/config.ts)` }[Extra<C, S>]
  | {
      [K in Shared<C, S>]-?: IsOptional<C, K> extends IsOptional<S, K>
        ? ValueDrift<NonNullable<C[K]>, NonNullable<S[K]>, `${At}.${K}`>
        : `${At}.${K} is optional in one and required in the other`;
    }[Shared<C, S>];
/** true when interface C restates settings S; otherwise the differences, so `true` does not compile. */
type Restates<C, S, Name extends string> = [Drift<C, S, Name>] extends [never] ? true : Drift<C, S, Name>;
const restated: [
  Restates<ComposeServiceSettings, ServiceSettings, "ComposeServiceSettings">,
  Restates<ComposeNetworkSettings, NetworkSettings, "ComposeNetworkSettings">,
  Restates<ComposeVolumeSettings, VolumeSettings, "ComposeVolumeSettings">,
] = [true, true, true];
// Checked when compiled; nothing to run.
void restated;

/** How a ComposeApp's messages name its arguments: `ComposeApp "shop" argument services.web.replicas`. */
const argumentOf =
  (name: string): KeyNamer =>
  (key, at = []) =>
    `ComposeApp "${name}" argument ${[key, ...at.map(String)].join(".")}`;

/** The stage settings of a ComposeApp as a stack config, checked by the stack's own rules and named by its arguments. */
function composeConfig(args: ComposeAppArgs, stage: string, argument: KeyNamer): StackConfig {
  const given = (Object.keys(sameKeys) as Array<keyof Settings>).filter((key) => args[key] !== undefined);
  const values = new Map<string, unknown>(given.map((key) => [sameKeys[key], args[key]]));
  // Secret values are checked by the app's rules (stacks/overrides.ts) when applied; an Output's text
  // is not known yet, so they go around the config's text checks.
  values.set("secrets", {});
  const raw = (key: string) => {
    const value = values.get(key);
    return value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value);
  };
  const config = loadConfig(
    raw,
    stage,
    [...values.keys()].filter((key) => key in CONFIG_KEYS),
    argument,
  );
  const secrets = Object.entries(args.secrets ?? {}).map(([secret, value]) => [secret, new SecretText(value)] as const);
  return { ...config, secrets: Object.fromEntries(secrets) };
}

/**
 * A compose file deployed onto Docker, a swarm or Kubernetes: loaded as `docker compose` loads it
 * (interpolation, profiles, the env file, `extends`), converted with a fidelity report (what carried
 * over changed, what was ignored), the stage's settings laid over it, checked, and deployed under this
 * component. Every bad input is refused before anything is created, naming the argument or the
 * compose key.
 */
export class ComposeApp extends pulumi.ComponentResource {
  /** Where users reach each published service ("http://127.0.0.1:8080"). */
  public readonly urls: pulumi.Output<Record<string, string>>;
  /** The compose file's services, in name order. */
  public readonly serviceNames: pulumi.Output<string[]>;
  /** Network name → subnet (docker, swarm) or NetworkPolicy → what it allows (kubernetes). */
  public readonly networks: pulumi.Output<Record<string, string>>;
  /** Volume name → the Docker volume or PersistentVolumeClaim holding it. */
  public readonly volumes: pulumi.Output<Record<string, string>>;
  /** Built service → the image it runs (id or digest reference). */
  public readonly images: pulumi.Output<Record<string, string>>;
  /** The fidelity report: one line per compose key that carried over with a change, or was ignored. */
  public readonly report: pulumi.Output<string[]>;

  constructor(name: string, args: ComposeAppArgs, opts?: pulumi.ComponentResourceOptions) {
    // Everything is read and checked before the component itself is registered.
    const stage = args.stage ?? pulumi.getStack();
    const argument = argumentOf(name);
    const config = composeConfig(args, stage, argument);
    const lines: ReportLine[] = [];
    const file = args.file;
    const definition = composeApp(
      { file, profiles: args.profiles, envFile: args.envFile },
      stage,
      (line) => lines.push(line),
      process.cwd(),
      argument,
    );
    const configured = applyConfig(definition, config);
    const planned = planApp(resolveApp(configured.model, configured.where, configured.fromConfig), config, configured.where);
    super("dockyard:index:ComposeApp", name, {}, opts);

    lines.forEach((line) => logReport(file, line, this));
    const report = lines.map((line) => reportText(file, line));
    // The caller's provider (this component's `provider`, or one it inherits) when there is one.
    const provider = this.getProvider(config.target === "kubernetes" ? "kubernetes:index:Provider" : "docker:index:Provider");
    const deployed = planned.deploy({ parent: this, provider, name: (child) => `${name}-${child}` });
    this.urls = pulumi.output(deployed.urls);
    this.serviceNames = pulumi.output(Object.keys(configured.model.services).sort());
    this.networks = pulumi.output(deployed.networks);
    this.volumes = pulumi.output(deployed.volumes);
    this.images = pulumi.output(deployed.images);
    this.report = pulumi.output(report);
    this.registerOutputs({
      urls: this.urls,
      serviceNames: this.serviceNames,
      networks: this.networks,
      volumes: this.volumes,
      images: this.images,
      report: this.report,
    });
  }
}
