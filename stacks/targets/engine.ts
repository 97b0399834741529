/**
 * What the two targets on a Docker engine, docker (containers) and swarm (services), share: the
 * names and labels of what they create, the networks, volumes and images they plan alike, and how
 * those are constructed through one provider.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Image, ImageArgs, Network, NetworkArgs, validateNetworkArgs, Volume, VolumeArgs } from "../../components/docker";
import { DockerSsh, DockerTls, StackConfig } from "../config";
import { providerSshOpts } from "../dockerSsh";
import { dockerProviderArgs } from "../dockerTls";
import { sortedKeys, Where } from "../errors";
import { ResolvedApp } from "../resolve";
import { AppOutputs, builtServices, DeployScope, imageArgs, scopedName } from "./common";

/** Where the Docker target puts app secrets in a container (as compose secrets). */
export const SECRETS_DIR = "/run/secrets";

/** Physical names are prefixed with the app and stack, so several stacks can share one engine. */
export function dockerNames(app: ResolvedApp, config: StackConfig) {
  const prefix = `${app.name}-${config.stack}`;
  return {
    network: (network: string) => `${prefix}-${network}`,
    volume: (volume: string) => `${prefix}-${volume}`,
    container: (service: string, replica: number) => `${prefix}-${service}-${replica}`,
  };
}

/**
 * What the targets on a Docker engine (containers, and swarm services) plan alike: their labels, the
 * networks (with the driver fields given), the volumes, and the images built and pulled.
 */
export function engineResources(
  app: ResolvedApp,
  config: StackConfig,
  driver: Pick<NetworkArgs, "driver" | "attachable" | "fingerprintName"> = {},
) {
  const names = dockerNames(app, config);
  const labels = { "dockyard.app": app.name, "dockyard.stack": config.stack };
  const networks = sortedKeys(app.networks).map((name): [string, NetworkArgs] => {
    const network = app.networks[name];
    const args: NetworkArgs = {
      name: names.network(name),
      ...driver,
      subnet: network.subnet,
      gateway: network.gateway,
      ipRange: network.ipRange,
      internal: network.internal,
      allowPublicSubnet: config.allowPublicSubnets,
      labels,
    };
    return [name, args];
  });
  const volumes = sortedKeys(app.volumes).map((name): [string, VolumeArgs] => [
    name,
    { name: names.volume(name), retain: app.volumes[name].retain, labels },
  ]);
  const builds = builtServices(app).map(([name, source]): [string, ImageArgs] => [name, imageArgs(app, name, source, config)]);
  const pulls = sortedKeys(app.services).flatMap((name): Array<[string, string]> => {
    const image = app.services[name].image;
    return image.kind === "pull" ? [[name, image.ref]] : [];
  });
  return { labels, networks, volumes, builds, pulls };
}

/** The network rules (public and special ranges, the /29 floor) in the stack's terms. */
export function validateNetworks(networks: Array<[string, NetworkArgs]>, where: Where, config: StackConfig): void {
  networks.forEach(([name, args]) =>
    validateNetworkArgs(name, args, {
      subnet: where(`networks.${name}.subnet`),
      gateway: where(`networks.${name}.gateway`),
      ipRange: where(`networks.${name}.ipRange`),
      allowPublicSubnet: config.keyPath("allowPublicSubnets"),
    }),
  );
}

/** A scope's names, and the options of what a plan on a Docker engine creates: its provider (the scope's, or one for `host`) and parent. */
export function engineScope(
  host: string,
  scope: DeployScope,
  tls?: DockerTls,
  ssh?: DockerSsh,
): { named: (name: string) => string; opts: { provider: pulumi.ProviderResource; parent?: pulumi.Resource } } {
  const { parent } = scope;
  const named = scopedName(scope);
  return {
    named,
    opts: {
      provider:
        scope.provider ?? new docker.Provider(named("docker"), dockerProviderArgs(host, tls, ssh && providerSshOpts(ssh)), { parent }),
      parent,
    },
  };
}

/** The resources both engine targets plan alike, as engineResources gives them. */
export interface EnginePlan {
  host: string;
  /** The engine's TLS material (dockyard:dockerTls). @default - none: the engine is reached without TLS */
  tls?: DockerTls;
  /** The login to an ssh:// engine (dockyard:dockerSsh). @default - none: the user's own ssh setup */
  ssh?: DockerSsh;
  networks: Array<[string, NetworkArgs]>;
  volumes: Array<[string, VolumeArgs]>;
  builds: Array<[string, ImageArgs]>;
  /** Service → image reference pulled (kept locally on destroy). */
  pulls: Array<[string, string]>;
}

/** The networks, volumes and images of a plan on a Docker engine, constructed, by app name. */
export function deployEngineResources(plan: EnginePlan, named: (name: string) => string, opts: pulumi.CustomResourceOptions) {
  const networks = new Map(plan.networks.map(([name, args]) => [name, new Network(named(name), args, opts)]));
  const volumes = new Map(plan.volumes.map(([name, args]) => [name, new Volume(named(name), args, opts)]));
  const images = new Map(plan.builds.map(([name, args]) => [name, new Image(named(name), args, opts)]));
  // keepLocally: destroying the stack must not delete an image other stacks (or a mirror) rely on.
  const pulled = new Map(
    plan.pulls.map(([name, ref]) => [name, new docker.RemoteImage(named(`${name}-image`), { name: ref, keepLocally: true }, opts)]),
  );
  return { networks, volumes, images, pulled };
}

/** The outputs both engine targets give for what deployEngineResources constructed. */
export function engineOutputs(
  urls: Record<string, string>,
  made: Pick<ReturnType<typeof deployEngineResources>, "networks" | "volumes" | "images">,
): AppOutputs {
  return {
    urls,
    networks: Object.fromEntries([...made.networks].map(([name, network]) => [name, network.subnet])),
    volumes: Object.fromEntries([...made.volumes].map(([name, volume]) => [name, volume.volumeName])),
    images: Object.fromEntries([...made.images].map(([name, image]) => [name, image.ref])),
  };
}
