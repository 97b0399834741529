/**
 * A stage's settings applied to an app: the app definition's model with the stack config's
 * per-service, per-network, per-volume, secret and build-argument settings laid over it. Every name
 * the config uses is checked against the app (a message lists what exists), and a value's path is
 * remembered, so a later check names the config key the user wrote rather than the model.
 */
import { z } from "zod";
import { isImageReference, IMAGE_REFERENCE_RULE, withoutPassword } from "../components/registry";
import {
  firstIssue,
  isPinned,
  NETWORK_SETTINGS,
  NetworkSettings,
  SERVICE_SETTINGS,
  ServiceSettings,
  settingsIn,
  StackConfig,
  VOLUME_SETTINGS,
  VolumeSettings,
} from "./config";
import { InputError, inModel, listOr, sortedKeys, Where } from "./errors";
import { AppModel, NetworkModel, ServiceModel, VolumeModel } from "./model";
import { checkStage, isBaseImageArg } from "./resolve";

/** An app: its name, its own parameters (dockyard:app), and its model for given parameters. */
export interface AppDefinition<P> {
  name: string;
  parameters: z.ZodType<P>;
  /** A fresh model, sharing no objects with an earlier call's. */
  model(parameters: P): AppModel;
  /** Names a model path as the app's source file wrote it (a compose file's key). @default - the model's own path */
  source?: Where;
  /**
   * Refuses what the app asks that the stage's settings would not honour (a compose port bound to
   * 127.0.0.1 on a stage that binds every interface); throws InputError. @default - nothing to check
   */
  checkStage?(config: StackConfig): void;
}

export interface ConfiguredApp {
  model: AppModel;
  /** Names a model path as the user wrote it: the config key when the stack config set it, else as the app's source wrote it. */
  where: Where;
  /** Whether the stack config set the value at a model path (a message then blames that value over the app's). */
  fromConfig(path: string): boolean;
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
  definition.checkStage?.(config);
  // A fresh model per call (AppDefinition.model's contract), so laying settings over it changes nothing shared.
  const model = definition.model(parameters.data);
  /** Model path prefix → config path prefix, for each value the stack config set. */
  const fromConfig = new Map<string, string>();
  const set: Remember = (modelPath, configPath = modelPath) => fromConfig.set(modelPath, configPath);

  for (const name of sortedKeys(config.services)) {
    if (!Object.hasOwn(model.services, name)) unknown(config, "services", name, model.services);
    const service = model.services[name];
    const settings = config.services[name];
    const path = `services.${name}`;
    const sameShape: Fields = {};
    for (const [key, value] of Object.entries(settings)) {
      if (value === undefined) continue;
      // Each entry takes its own key's value: the table's `satisfies` checks the pairing.
      if (Object.hasOwn(SERVICE_FIELD_MAPPINGS, key))
        (SERVICE_FIELD_MAPPINGS[key as MappedKey] as FieldMapping)(service, value, { config, path, name, set });
      else sameShape[key] = value;
    }
    overlay(service as unknown as Fields, sameShape, SERVICE_SETTINGS, path, set);
  }
  for (const name of sortedKeys(config.networks)) {
    if (!Object.hasOwn(model.networks, name)) unknown(config, "networks", name, model.networks);
    overlay(model.networks[name] as unknown as Fields, config.networks[name], NETWORK_SETTINGS, `networks.${name}`, set);
  }
  for (const name of sortedKeys(config.volumes)) {
    if (!Object.hasOwn(model.volumes, name)) unknown(config, "volumes", name, model.volumes);
    overlay(model.volumes[name] as unknown as Fields, config.volumes[name], VOLUME_SETTINGS, `volumes.${name}`, set);
  }
  applyBuildArgs(model, config, set);
  checkSecrets(model, config);
  const configPath = (path: string): string | undefined => {
    for (const [modelPath, setAt] of fromConfig) {
      // Below it: a field (".memory") or a list's item ("[0]").
      if (path === modelPath || path.startsWith(`${modelPath}.`) || path.startsWith(`${modelPath}[`)) {
        return config.keyPath(setAt + path.slice(modelPath.length));
      }
    }
    return undefined;
  };
  const source = definition.source ?? inModel(model.name);
  const where: Where = (path) => configPath(path) ?? source(path);
  // Before anything that shows a value: a credential is never echoed.
  checkStage(model, config, where);
  checkPinned(model, config.stack, where);
  return { model, where, fromConfig: (path) => configPath(path) !== undefined };
}

/** Remembers that the stack config set the value at a model path, named in messages by the config path. */
type Remember = (modelPath: string, configPath?: string) => void;

type Fields = Record<string, unknown>;

const isFields = (value: unknown): value is Fields => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Lays given settings over a model object, each key onto the model's field of the same name, and
 * remembers each path set. A settings object that may be given in part (every field optional) is
 * laid field by field, so a stage that sets rollout.parallelism keeps the app's rollout.order; one
 * that must be given whole (autoscaling) replaces the model's value and is remembered whole. The
 * model objects on the way are copied, never changed in place.
 */
function overlay(target: Fields, given: Fields, schema: z.ZodObject, path: string, set: Remember): void {
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const value = given[key];
    if (value === undefined) continue;
    const at = `${path}.${key}`;
    const settings = settingsIn(field);
    if (settings !== undefined && isPartial(settings) && isFields(value)) {
      const laid: Fields = { ...(isFields(target[key]) ? target[key] : {}) };
      overlay(laid, value, settings, at, set);
      target[key] = laid;
    } else {
      target[key] = isFields(value) ? { ...value } : Array.isArray(value) ? [...value] : value;
      set(at);
    }
  }
}

/** Every field of the settings object is optional: a stage may give any of them. */
const isPartial = (settings: z.ZodObject): boolean =>
  Object.values(settings.shape as Record<string, z.ZodType>).every((field) => field instanceof z.ZodOptional);

interface MappingContext {
  config: StackConfig;
  /** The service's model path ("services.vote"). */
  path: string;
  name: string;
  set: Remember;
}

/**
 * The service settings whose model field has another shape than the setting; every other key is
 * laid by `overlay` onto the model's field of the same name.
 */
const SERVICE_FIELD_MAPPINGS = {
  /** Port name → published port, onto the model's port entry of that name. */
  ports: (service: ServiceModel, published: Record<string, number>, { config, path, name, set }: MappingContext) => {
    const ports = service.ports ?? [];
    for (const portName of sortedKeys(published)) {
      if (!ports.some((port) => port.name === portName)) {
        throw new InputError(
          `${config.keyPath(`${path}.ports.${portName}`)}: service "${name}" has no port named "${portName}"; its ports are: ${listOr(ports.map((port) => port.name))}`,
        );
      }
      set(`${path}.ports.${portName}`);
    }
    service.ports = ports.map((port) => (Object.hasOwn(published, port.name) ? { ...port, publishedPort: published[port.name] } : port));
  },
  /** An image reference: the prebuilt image to pull instead of the app's. */
  image: (service: ServiceModel, ref: string, { path, set }: MappingContext) => {
    service.image = { kind: "pull", ref };
    set(`${path}.image`);
  },
} satisfies {
  [K in keyof ServiceSettings]?: (service: ServiceModel, value: NonNullable<ServiceSettings[K]>, context: MappingContext) => void;
};
type MappedKey = keyof typeof SERVICE_FIELD_MAPPINGS;
type FieldMapping = (service: ServiceModel, value: unknown, context: MappingContext) => void;

/**
 * Whether every key of settings S is a field of model M, down nested settings objects: `overlay`
 * lays each key onto the model's field of the same name, so one that is not needs a mapping.
 */
type KeysAreFields<S, M> = false extends {
  [K in keyof S]-?: K extends keyof M
    ? NonNullable<S[K]> extends readonly unknown[]
      ? true
      : NonNullable<S[K]> extends object
        ? KeysAreFields<NonNullable<S[K]>, NonNullable<M[K]>>
        : true
    : false;
}[keyof S]
  ? false
  : true;
const serviceKeysAreFields: KeysAreFields<Omit<ServiceSettings, MappedKey>, ServiceModel> = true;
const networkKeysAreFields: KeysAreFields<NetworkSettings, NetworkModel> = true;
const volumeKeysAreFields: KeysAreFields<VolumeSettings, VolumeModel> = true;
// Checked when compiled; nothing to run.
void [serviceKeysAreFields, networkKeysAreFields, volumeKeysAreFields];

function unknown(config: StackConfig, key: string, name: string, existing: Record<string, unknown>): never {
  throw new InputError(
    `${config.keyPath(`${key}.${name}`)}: the app has no ${key.replace(/s$/, "")} "${name}"; its ${key} are: ${listOr(sortedKeys(existing))}`,
  );
}

/** dockyard:buildArgs replaces a build argument of every image that declares it. */
function applyBuildArgs(model: AppModel, config: StackConfig, set: Remember): void {
  const declared = new Set<string>();
  for (const name of sortedKeys(model.services)) {
    const image = model.services[name].image;
    if (image.kind !== "build") continue;
    for (const arg of sortedKeys(image.args)) {
      declared.add(arg);
      if (Object.hasOwn(config.buildArgs, arg)) {
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
    if (!Object.hasOwn(model.secrets, name)) unknown(config, "secrets", name, model.secrets);
  }
  for (const name of sortedKeys(model.secrets)) {
    const value = Object.hasOwn(config.secrets, name) ? config.secrets[name] : undefined;
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
        `${where(path)} ${JSON.stringify(withoutPassword(ref))} has no version tag (or uses latest), allowed only in the dev stack (stack is "${stack}"): pin a tag like redis:7.4 or a digest`,
      );
    }
    if (!isImageReference(ref))
      throw new InputError(`${where(path)} must be ${IMAGE_REFERENCE_RULE}, got ${JSON.stringify(withoutPassword(ref))}`);
  }
}
