/**
 * A stage's settings applied to an app: the app definition's model with the stack config's
 * per-service, per-network, per-volume, secret and build-argument settings laid over it. Every name
 * the config uses is checked against the app (a message lists what exists), and a value's path is
 * remembered, so a later check names the config key the user wrote rather than the model.
 */
import { z } from "zod";
import { isImageReference, IMAGE_REFERENCE_RULE } from "../components/registry";
import { firstIssue, isPinned, StackConfig } from "./config";
import { InputError, listOr, sortedKeys, Where } from "./errors";
import { AppModel, ServiceModel } from "./model";
import { isBaseImageArg } from "./resolve";

/** An app: its name, its own parameters (dockyard:app), and its model for given parameters. */
export interface AppDefinition<P> {
  name: string;
  parameters: z.ZodType<P>;
  /** A fresh model, sharing no objects with an earlier call's. */
  model(parameters: P): AppModel;
}

export interface ConfiguredApp {
  model: AppModel;
  /** Names a model path as the user wrote it: the config key when the stack config set it. */
  where: Where;
}

/** The app's model with the stage's settings applied; throws InputError naming the config key. */
export function applyConfig<P>(definition: AppDefinition<P>, config: StackConfig): ConfiguredApp {
  const parameters = definition.parameters.safeParse(config.app);
  if (!parameters.success) {
    const issue = firstIssue(parameters.error.issues);
    if (issue.code === "unrecognized_keys") {
      const shape = "shape" in definition.parameters ? Object.keys(definition.parameters.shape as object) : [];
      const allowed = listOr(shape, "(none: this app takes no parameters)");
      const names = issue.keys.map((name) => JSON.stringify(name)).join(", ");
      throw new InputError(
        `${config.keyPath("app", issue.path)} has unknown ${issue.keys.length > 1 ? "keys" : "key"} ${names}; allowed: ${allowed}`,
      );
    }
    const value = issue.path.reduce<unknown>((node, part) => (node as Record<PropertyKey, unknown> | undefined)?.[part], config.app);
    const shown = value === undefined ? "" : `, got ${JSON.stringify(value)}`;
    throw new InputError(`${config.keyPath("app", issue.path)} ${issue.message}${shown}`);
  }
  // A fresh model per call (AppDefinition.model's contract), so laying settings over it changes nothing shared.
  const model = definition.model(parameters.data);
  /** Model path prefix → config path prefix, for each value the stack config set. */
  const fromConfig = new Map<string, string>();
  const set = (modelPath: string, configPath = modelPath) => fromConfig.set(modelPath, configPath);

  for (const name of sortedKeys(config.services)) {
    const service = model.services[name];
    if (service === undefined) unknown(config, "services", name, model.services);
    const settings = config.services[name];
    const path = `services.${name}`;
    if (settings.replicas !== undefined) {
      service.replicas = settings.replicas;
      set(`${path}.replicas`);
    }
    for (const portName of sortedKeys(settings.ports)) {
      const port = (service.ports ?? []).find((candidate) => candidate.name === portName);
      if (port === undefined) {
        throw new InputError(
          `${config.keyPath(`${path}.ports.${portName}`)}: service "${name}" has no port named "${portName}"; its ports are: ${listOr((service.ports ?? []).map((p) => p.name))}`,
        );
      }
      port.publishedPort = (settings.ports ?? {})[portName];
      set(`${path}.ports.${portName}`);
    }
    if (settings.limits?.cpus !== undefined) {
      service.limits.cpus = settings.limits.cpus;
      set(`${path}.limits.cpus`);
    }
    if (settings.limits?.memory !== undefined) {
      service.limits.memory = settings.limits.memory;
      set(`${path}.limits.memory`);
    }
    if (settings.autoscaling !== undefined) {
      service.autoscaling = settings.autoscaling;
      set(`${path}.autoscaling`);
    }
    if (settings.image !== undefined) {
      service.image = { kind: "pull", ref: settings.image };
      set(`${path}.image`);
    }
    // Field by field over the app's own: a stage that sets rollout.parallelism keeps the app's order.
    for (const field of ["rollout", "reservations", "placement", "restart"] as const) {
      const given = settings[field];
      if (given === undefined) continue;
      const { rollback, ...fields } = given as Record<string, unknown>;
      const merged: Record<string, unknown> = { ...(service[field] ?? {}), ...fields };
      Object.keys(fields).forEach((key) => set(`${path}.${field}.${key}`));
      if (rollback !== undefined) {
        merged.rollback = { ...(service.rollout?.rollback ?? {}), ...(rollback as object) };
        Object.keys(rollback as object).forEach((key) => set(`${path}.${field}.rollback.${key}`));
      }
      Object.assign(service, { [field]: merged });
    }
    if (settings.endpointMode !== undefined) {
      service.endpointMode = settings.endpointMode as ServiceModel["endpointMode"];
      set(`${path}.endpointMode`);
    }
  }
  for (const name of sortedKeys(config.networks)) {
    if (model.networks[name] === undefined) unknown(config, "networks", name, model.networks);
    Object.assign(model.networks[name], config.networks[name]);
    set(`networks.${name}`);
  }
  for (const name of sortedKeys(config.volumes)) {
    if (model.volumes[name] === undefined) unknown(config, "volumes", name, model.volumes);
    Object.assign(model.volumes[name], config.volumes[name]);
    set(`volumes.${name}`);
  }
  applyBuildArgs(model, config, set);
  checkSecrets(model, config);
  const where: Where = (path) => {
    for (const [modelPath, configPath] of fromConfig) {
      // Below it: a field (".memory") or a list's item ("[0]").
      if (path === modelPath || path.startsWith(`${modelPath}.`) || path.startsWith(`${modelPath}[`)) {
        return config.keyPath(configPath + path.slice(modelPath.length));
      }
    }
    return `app "${model.name}": ${path}`;
  };
  checkPinned(model, config.stack, where);
  return { model, where };
}

function unknown(config: StackConfig, key: string, name: string, existing: Record<string, unknown>): never {
  throw new InputError(
    `${config.keyPath(`${key}.${name}`)}: the app has no ${key.replace(/s$/, "")} "${name}"; its ${key} are: ${listOr(sortedKeys(existing))}`,
  );
}

/** dockyard:buildArgs replaces a build argument of every image that declares it. */
function applyBuildArgs(model: AppModel, config: StackConfig, set: (modelPath: string, configPath: string) => void): void {
  const declared = new Set<string>();
  for (const name of sortedKeys(model.services)) {
    const image = model.services[name].image;
    if (image.kind !== "build") continue;
    for (const arg of sortedKeys(image.args)) {
      declared.add(arg);
      if (arg in config.buildArgs) {
        image.args = { ...image.args, [arg]: config.buildArgs[arg] };
        set(`services.${name}.image.args.${arg}`, `buildArgs.${arg}`);
      }
    }
  }
  for (const arg of sortedKeys(config.buildArgs)) {
    if (!declared.has(arg)) {
      throw new InputError(
        `${config.keyPath(`buildArgs.${arg}`)}: no image built here takes a build argument ${arg}; the arguments are: ${listOr([...declared].sort(), "(none: every image is prebuilt)")}`,
      );
    }
  }
}

/** Each app secret has a value in dockyard:secrets, and no value names a secret the app lacks. */
function checkSecrets(model: AppModel, config: StackConfig): void {
  for (const name of sortedKeys(config.secrets)) {
    if (model.secrets[name] === undefined) unknown(config, "secrets", name, model.secrets);
  }
  for (const name of sortedKeys(model.secrets)) {
    const value = config.secrets[name];
    const key = config.keyPath(`secrets.${name}`);
    if (value === undefined || value.length === 0) {
      throw new InputError(
        `${key} is required (${model.secrets[name].description}): pulumi config set --secret --path secrets.${name} <value>`,
      );
    }
    const minLength = model.secrets[name].minLength ?? 1;
    if (value.length !== undefined && value.length < minLength)
      throw new InputError(`${key} must be at least ${minLength} characters, got [secret] of ${value.length}`);
    if (value.blank) {
      throw new InputError(`${key} must contain characters other than whitespace, got [secret] of ${value.length} whitespace characters`);
    }
  }
}

/**
 * Outside the dev stack every image a service runs, and every base image a build starts from, names
 * a version: an unpinned one (no tag, or latest) can change between two deploys of the same config.
 */
function checkPinned(model: AppModel, stack: string, where: Where): void {
  if (stack === "dev") return;
  const refs: Array<[string, string]> = [];
  for (const name of sortedKeys(model.services)) {
    const image = model.services[name].image;
    if (image.kind === "pull") refs.push([`services.${name}.image`, image.ref]);
    else
      sortedKeys(image.args)
        .filter(isBaseImageArg)
        .forEach((arg) => refs.push([`services.${name}.image.args.${arg}`, (image.args ?? {})[arg]]));
  }
  for (const [path, ref] of refs) {
    if (isImageReference(ref) && !isPinned(ref)) {
      throw new InputError(
        `${where(path)} ${JSON.stringify(ref)} has no version tag (or uses latest), allowed only in the dev stack (stack is "${stack}"): pin a tag like redis:7.4 or a digest`,
      );
    }
    if (!isImageReference(ref)) throw new InputError(`${where(path)} must be ${IMAGE_REFERENCE_RULE}, got ${JSON.stringify(ref)}`);
  }
}
