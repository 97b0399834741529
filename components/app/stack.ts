import * as pulumi from "@pulumi/pulumi";
import { keyPath, loadConfig, StackConfig, Target } from "../../stacks/config";
import type { ComposeSettings } from "../../stacks/compose/app";
import type { ReportLine } from "../../stacks/compose/convert";
import { AppDefinition, applyConfig, ConfiguredApp } from "../../stacks/overrides";
import { ResolvedApp, resolveApp } from "../../stacks/resolve";
import { InputError, Where } from "../../stacks/errors";
import { refusePlainDockerSsh } from "../../stacks/dockerSsh";
import { refusePlainDockerTls } from "../../stacks/dockerTls";
import { refusePlainRegistryPassword, refusePlainSecrets } from "../../stacks/secrets";
import { planApp, PlannedApp } from "../../stacks/targets";

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

/** A stack's config as the engine hands it to the program, and where the program runs. */
export interface StackInput {
  stack: string;
  /** The Pulumi project: its name is the namespace of dockyard's keys. */
  project: string;
  /** Every key the stack sets, namespaced ("dockyard:target", "docker:host"), each value as the engine passes it (maps as JSON). */
  all: Record<string, string>;
  /** Whether the engine marks a key (namespaced) as set with --secret. */
  isSecret(key: string): boolean;
  /** Where dockyard:compose.file and the compose file's build contexts are relative to. @default process.cwd() */
  projectDir?: string;
  /** Where the compose file's fidelity report goes, line by line. @default - nowhere */
  log?: (file: string, line: ReportLine) => void;
}

/** The program's input: the engine's config of the stack being deployed. */
function engineInput(): StackInput {
  // The engine marks the keys set with --secret; the SDK's reader of those marks is internal (a secret if it is gone).
  const isConfigSecret = (pulumi.runtime as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  return {
    stack: pulumi.getStack(),
    project: pulumi.getProject(),
    all: pulumi.runtime.allConfig(),
    isSecret: (key) => isConfigSecret === undefined || isConfigSecret(key),
    log: (file, line) => compose().logReport(file, line),
  };
}

// The compose reader is loaded only for a compose file (and stacks/targets loads only the chosen target).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compose = () => require("../../stacks/compose/app") as typeof import("../../stacks/compose/app");

/**
 * What `pulumi up` checks before anything is registered, one stage each, in the order deployStack
 * runs them: the stage's settings, the app (the compose file read and converted), the settings laid
 * over it, resolved, and planned on the target. `dockyard check` runs the same stages one by one, so
 * that a refusal in one does not hide another's.
 */
export const stackStages = {
  /** dockyard's keys of the stack, read and checked (loadConfig), with only `keys` set when given (the others as the engine would lack them). */
  config(input: StackInput, keys?: string[]): StackConfig {
    const prefix = `${input.project}:`;
    const own = Object.keys(input.all)
      .filter((key) => key.startsWith(prefix))
      .map((key) => key.slice(prefix.length))
      .filter((key) => keys === undefined || keys.includes(key));
    return loadConfig((key) => (own.includes(key) ? input.all[`${prefix}${key}`] : undefined), input.stack, own);
  },
  /** Credentials given in plain text: the app's secrets in any stack, a registry password and the engine's TLS and SSH keys outside dev. */
  plainText(input: StackInput): void {
    const secrets = `${input.project}:secrets`;
    refusePlainSecrets(keyPath, input.all[secrets], input.isSecret(secrets));
    const key = `${input.project}:registryPassword`;
    refusePlainRegistryPassword(input.stack, keyPath, input.all[key], input.isSecret(key));
    const tls = `${input.project}:dockerTls`;
    refusePlainDockerTls(input.stack, keyPath, input.all[tls], input.isSecret(tls));
    const ssh = `${input.project}:dockerSsh`;
    refusePlainDockerSsh(input.stack, keyPath, input.all[ssh], input.isSecret(ssh));
  },
  /** The app the stack deploys: `app`, or the compose file dockyard:compose.file names, read and converted. */
  definition<P>(app: AppDefinition<P>, settings: ComposeSettings, input: StackInput): AppDefinition<unknown> {
    if (!settings.file) return app as AppDefinition<unknown>;
    const file = settings.file;
    const log = input.log;
    return compose().composeApp(settings, input.stack, log && ((line) => log(file, line)), input.projectDir) as AppDefinition<unknown>;
  },
  /** The stage's settings laid over the app (and the compose file's own stage rules). */
  configure: (definition: AppDefinition<unknown>, config: StackConfig): ConfiguredApp => applyConfig(definition, config),
  resolve: (configured: ConfiguredApp): ResolvedApp => resolveApp(configured.model, configured.where, configured.fromConfig),
  /** The target's plan: every check of the target, nothing registered. */
  plan: (app: ResolvedApp, config: StackConfig, where: Where): PlannedApp => planApp(app, config, where),
};

/** Every check of a stack, in deployStack's order, up to its plan; throws the first refusal (InputError). */
export function planStack<P>(app: AppDefinition<P>, input: StackInput): { config: StackConfig; planned: PlannedApp } {
  refuseProviderKeys(input.all);
  const config = stackStages.config(input);
  stackStages.plainText(input);
  const configured = stackStages.configure(stackStages.definition(app, config.compose, input), config);
  return { config, planned: stackStages.plan(stackStages.resolve(configured), config, configured.where) };
}

/**
 * A Pulumi program's whole stack from one app definition: the stack's config (`dockyard:target`,
 * `dockyard:services`, ... ; see docs/config.md) read and checked, laid over the app's model (or over
 * the compose file that `dockyard:compose.file` names, instead of the app), resolved once, planned on
 * the config's target, and deployed at the top level of the stack. Every bad input is refused before
 * anything is registered, naming the config key or the model path.
 */
export function deployStack<P>(app: AppDefinition<P>): StackOutputs {
  const { config, planned } = planStack(app, engineInput());
  return { target: config.target, ...planned.deploy() };
}
