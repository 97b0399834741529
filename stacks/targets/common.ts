/**
 * What both targets share: outputs, the names of built images, how an image is built, and how a
 * target states what it cannot honour (refused, or warned where ignoring it is harmless).
 */
import * as pulumi from "@pulumi/pulumi";
import { ImageArgs } from "../../components/docker";
import { StackConfig, Target } from "../config";
import { InputError, sortedKeys, Where } from "../errors";
import { ImageSource } from "../model";
import { ResolvedApp } from "../resolve";

/** What every target exports, so a stage's outputs look the same on Docker and Kubernetes. */
export interface AppOutputs {
  /** Where users reach the published services ("http://127.0.0.1:5000" on Docker). */
  urls: Record<string, pulumi.Output<string> | string>;
  /** Network name → subnet (Docker) or NetworkPolicy name → what it allows (Kubernetes). */
  networks: Record<string, pulumi.Output<string> | string>;
  /** App volume → the Docker volume or PersistentVolumeClaim holding it. */
  volumes: Record<string, pulumi.Output<string> | string>;
  /** Built service → the image it runs (id or digest reference). */
  images: Record<string, pulumi.Output<string>>;
}

/**
 * Where a plan's resources go. A stack deploys at the top level through a provider the target makes
 * from the config; a ComposeApp deploys under itself, through the provider its caller passed, with
 * names prefixed by its own so two of them in one program do not collide.
 */
export interface DeployScope {
  /** @default - none: top-level resources */
  parent?: pulumi.Resource;
  /** The Docker (docker, swarm) or Kubernetes provider to deploy through. @default - one made from the plan (its host, kubeconfig) */
  provider?: pulumi.ProviderResource;
  /** The name of a resource from the plan's name for it. @default - the plan's name */
  name?: (name: string) => string;
}

/** The scope's naming of the plan's resources: its own, or the plan's names as they are. */
export function scopedName(scope: DeployScope): (name: string) => string {
  return scope.name ?? ((name) => name);
}

/**
 * The services a service waits for: its "healthy" dependencies, created first and healthy (Docker)
 * or available (Kubernetes) before it is created. A "started" dependency orders nothing: the service
 * copes with it coming up at the same time (it reconnects), so both start together.
 */
export function waitsFor(app: ResolvedApp, service: string): string[] {
  const dependsOn = app.services[service].dependsOn;
  return sortedKeys(dependsOn).filter((dependency) => dependsOn[dependency] === "healthy");
}

/** Repository and tag of a built image, without the registry ("voting-vote:v1"). */
export function imageName(app: ResolvedApp, service: string, config: StackConfig): string {
  return `${app.name}-${service}:${config.imageTag}`;
}

/** How a service's image is built on the configured engine, and pushed when a registry is set. */
export function imageArgs(
  app: ResolvedApp,
  service: string,
  source: Extract<ImageSource, { kind: "build" }>,
  config: StackConfig,
  push?: boolean,
): ImageArgs {
  const registry = config.registry;
  return {
    context: source.context,
    dockerfile: source.dockerfile,
    imageName: imageName(app, service, config),
    args: source.args,
    target: source.target,
    // Without a user no credentials are sent: a registry without login, or what `docker login` stored.
    registry: registry && {
      server: registry.server,
      username: registry.username || undefined,
      password: registry.username ? registry.password : undefined,
    },
    ...(push === undefined ? {} : { push }),
    builderVersion: config.imageBuilder,
  };
}

/** The services built here, in name order. */
export function builtServices(app: ResolvedApp): Array<[string, Extract<ImageSource, { kind: "build" }>]> {
  return sortedKeys(app.services).flatMap((name) => {
    const image = app.services[name].image;
    return image.kind === "build" ? [[name, image] as [string, typeof image]] : [];
  });
}

/** Refuses what a target cannot honour, naming the input, the service (or object) and the target. */
export function unsupported(where: string, what: string, target: Target, instead: string): never {
  throw new InputError(`${where} cannot be honoured on target ${target} (${what}); ${instead}`);
}

/** The warning for a setting a target ignores, where ignoring it is harmless (docs/targets.md lists them). */
export function ignored(where: string, target: Target, why: string): string {
  return `${where} is ignored on target ${target}: ${why}`;
}

/** What a plan knows about the machine the program runs on, given by the caller (planners read nothing). */
export interface Machine {
  /** CPUs of this machine: a local engine's limit on a container's cpus. */
  cpus: number;
}

/** What every target's plan carries beside its resources. */
export interface TargetPlan {
  /** What the target ignores of the app or the config, for the deploy step to show before anything is created. */
  warnings: string[];
}

/**
 * A target: where an app runs. `plan` checks everything and works out every resource's arguments
 * as data (throwing InputError for what the target cannot do, returning warnings for what it
 * harmlessly ignores); `deploy` only constructs them. A new target is one module that exports one of
 * these, registered in targets/index.ts.
 */
export interface TargetBackend<P extends TargetPlan> {
  plan(app: ResolvedApp, config: StackConfig, where: Where, machine?: Machine): P;
  deploy(plan: P, scope: DeployScope): AppOutputs;
}
