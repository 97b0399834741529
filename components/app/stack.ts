import * as pulumi from "@pulumi/pulumi";
import { loadConfig, Target } from "../../stacks/config";
import { AppDefinition, applyConfig, ConfiguredApp } from "../../stacks/overrides";
import { resolveApp } from "../../stacks/resolve";
import { InputError } from "../../stacks/errors";
import { refusePlainRegistryPassword } from "../../stacks/secrets";
import { planApp } from "../../stacks/targets";

/** The providers' own keys a user may set for the engine or cluster, and dockyard's key for each. */
const PROVIDER_KEYS: Record<string, string> = {
  "docker:host": "dockyard:dockerHost",
  "kubernetes:kubeconfig": "dockyard:kubeconfig",
  "kubernetes:context": "dockyard:kubeContext",
  "kubernetes:namespace": "dockyard:namespace",
};

/**
 * A stack deploys through providers it makes from dockyard's keys, so the Docker and Kubernetes
 * providers' own keys (`docker:host`, `kubernetes:namespace`) would be ignored, and the app would go
 * to another engine, cluster or namespace than the one the stack config names: they are refused, with
 * the key to use instead.
 */
export function refuseProviderKeys(all: Record<string, string>): void {
  const given = Object.keys(all)
    .filter((key) => key.startsWith("docker:") || key.startsWith("kubernetes:"))
    .sort();
  if (given.length === 0) return;
  const key = given[0];
  const instead = PROVIDER_KEYS[key];
  throw new InputError(
    `${key} is set, but a dockyard stack deploys through providers of its own, made from dockyard: keys, so it would be ignored; ` +
      (instead
        ? `set ${instead} instead (pulumi config rm ${key}; pulumi config set ${instead.slice("dockyard:".length)} <value>)`
        : `remove it (pulumi config rm ${key}); docs/config.md lists dockyard's keys`),
  );
}

/** What a stack deployed: the same keys on every target. */
export interface StackOutputs {
  target: Target;
  /** Where users reach each published service. */
  urls: Record<string, pulumi.Output<string> | string>;
  /** Network name → subnet (docker, swarm) or NetworkPolicy → what it allows (kubernetes). */
  networks: Record<string, pulumi.Output<string> | string>;
  /** App volume → the Docker volume or PersistentVolumeClaim holding it. */
  volumes: Record<string, pulumi.Output<string> | string>;
  /** Built service → the image it runs. */
  images: Record<string, pulumi.Output<string>>;
}

/**
 * A Pulumi program's whole stack from one app definition: the stack's config (`dockyard:target`,
 * `dockyard:services`, ... ; see docs/config.md) read and checked, laid over the app's model (or over
 * the compose file that `dockyard:compose.file` names, instead of the app), resolved once, planned on
 * the config's target, and deployed at the top level of the stack. Every bad input is refused before
 * anything is registered, naming the config key or the model path.
 */
export function deployStack<P>(app: AppDefinition<P>): StackOutputs {
  refuseProviderKeys(pulumi.runtime.allConfig());
  const config = loadConfig();
  // The engine marks the keys set with --secret; the SDK's reader of those marks is internal (a secret if it is gone).
  const passwordKey = `${pulumi.getProject()}:registryPassword`;
  const isConfigSecret = (pulumi.runtime as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  const isSecret = isConfigSecret === undefined || isConfigSecret(passwordKey);
  refusePlainRegistryPassword(config.stack, config.keyPath, pulumi.runtime.getConfig(passwordKey), isSecret);
  // The compose reader is loaded only for a compose file (and stacks/targets loads only the chosen target).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const compose = () => require("../../stacks/compose/app") as typeof import("../../stacks/compose/app");
  const configured: ConfiguredApp = config.compose.file
    ? applyConfig(
        compose().composeApp(config.compose, config.stack, (line) => compose().logReport(config.compose.file as string, line)),
        config,
      )
    : applyConfig(app, config);
  const deployed = planApp(resolveApp(configured.model, configured.where, configured.fromConfig), config, configured.where).deploy();
  return { target: config.target, ...deployed };
}
