/**
 * A stack's app as the program would resolve it, without an engine or a cluster: the stack config read
 * from Pulumi.<stack>.yaml, laid over the app (the voting app, or the compose file that
 * dockyard:compose.file or `-f` names), and resolved. `npm run resolved` and `dockyard config` print
 * it; `dockyard diagram` plans it on a target.
 *
 * Secret values stay encrypted in the stack file and are not read: each is a placeholder, and their
 * rules (length) are checked by `pulumi preview` / `up`, which can decrypt them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { refuseProviderKeys, stackStages } from "../components/app/stack";
import { appliesOnly, CONFIG_KEYS, ConfigKey, keyTargets, loadConfig, StackConfig, Target } from "../stacks/config";
import { InputError, sortedKeys, Where } from "../stacks/errors";
import { AppDefinition, applyConfig } from "../stacks/overrides";
import { isBaseImageArg, ResolvedApp, resolveApp } from "../stacks/resolve";
import type { ReportLine } from "../stacks/compose/convert";

/** What an encrypted value ({ secure: ... }) and a secret the stack file lacks become: long enough to pass. */
export const SECRET_PLACEHOLDER = "[secret-not-read]";

/** A Pulumi stack name: what `pulumi stack init` accepts, so also a safe part of a file name. */
export const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export interface StackRequest {
  /** The stack whose Pulumi.<stack>.yaml is read. */
  stack: string;
  /** Where Pulumi.<stack>.yaml and relative compose paths are. @default process.cwd() */
  dir?: string;
  /** Read Pulumi.<stack>.yaml; false for a compose file on its own (every key's default). @default true */
  readStackFile?: boolean;
  /** A compose file (with its profiles and env file) to deploy instead of what the stack config names. @default - the stack's */
  compose?: { file: string; profiles?: string[]; envFile?: string };
  /**
   * The target to plan for instead of the stack's. The stack's keys that apply to other targets only
   * are dropped (a Docker stack's bindAddress on a swarm), and a stand-in registry is assumed when
   * Kubernetes needs one for built images and the stack gives none. @default - the stack's dockyard:target
   */
  target?: Target;
  /**
   * Keys laid over the stack file's, as if it held them ("target" for a compose file's own stack, whose
   * file `dockyard up -f` writes only once the checks pass). @default - none
   */
  set?: Record<string, unknown>;
}

export interface LoadedStack {
  stack: string;
  config: StackConfig;
  app: ResolvedApp;
  where: Where;
  /** The compose file the app came from, with its fidelity report. @default - the voting app */
  compose?: { file: string; report: ReportLine[] };
  /** What was assumed to get here (a missing stack file, keys dropped for --target, a stand-in registry), one line each. */
  notes: string[];
}

/** A stand-in for dockyard:registry: it only names pushed images, which no picture shows. */
const STAND_IN_REGISTRY = "stand-in.invalid";

/** The voting app: not in the package (package.json files), so loaded only when a stack deploys it. */
function votingApp(): AppDefinition<unknown> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- not shipped in the package; see above
    return (require("../stacks/votingApp") as typeof import("../stacks/votingApp")).votingApp as AppDefinition<unknown>;
  } catch {
    throw new InputError(
      "this stack deploys the voting app, which only a checkout of dockyard holds: give a compose file with -f, or set dockyard:compose.file in the stack",
    );
  }
}

/** Encrypted values become the placeholder; everything else as the file holds it. */
function unseal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unseal);
  if (value === null || typeof value !== "object") return value;
  if ("secure" in value) return SECRET_PLACEHOLDER;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unseal(inner)]));
}

/** Whether a stack file's value is encrypted, or holds an encrypted value. */
const sealed = (value: unknown): boolean =>
  value !== null && typeof value === "object" && ("secure" in value || Object.values(value).some(sealed));

/**
 * The config block of Pulumi.<stack>.yaml, keys without the project's prefix; {} when there is no file.
 * Refused as `pulumi up` refuses them before the app is read: another provider's key (docker:host),
 * a credential in plain text (dockyard:secrets, a registry password outside dev).
 */
function stackFile(file: string, stack: string): Record<string, unknown> {
  if (!fs.existsSync(file)) return {};
  const config = ((parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> }).config ?? {};
  const named = (key: string) => (key.includes(":") ? key : `dockyard:${key}`);
  const all = Object.fromEntries(
    Object.entries(config).map(([key, value]) => [named(key), typeof value === "string" ? value : JSON.stringify(value)]),
  );
  refuseProviderKeys(all);
  const secret = new Set(
    Object.keys(config)
      .filter((key) => sealed(config[key]))
      .map(named),
  );
  stackStages.plainText({ stack, project: "dockyard", all, isSecret: (key) => secret.has(key) });
  // Other namespaces' keys (docker:host) are the program's to refuse; they do not reach dockyard's config.
  return Object.fromEntries(
    Object.entries(config).flatMap(([key, value]) =>
      key.startsWith("dockyard:") ? [[key.slice("dockyard:".length), value]] : key.includes(":") ? [] : [[key, value]],
    ),
  );
}

/** Whether a config key means something on the target (a key dockyard does not know is left for loadConfig to refuse). */
function appliesTo(key: string, target: Target): boolean {
  return !(key in CONFIG_KEYS) || keyTargets(key as ConfigKey).includes(target);
}

/** The stack's config read, laid over its app, and resolved; throws InputError (or ComposeError) for bad input. */
export function loadStack(request: StackRequest): LoadedStack {
  const dir = request.dir ?? process.cwd();
  const { stack } = request;
  const notes: string[] = [];
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  const values = { ...(request.readStackFile === false ? {} : stackFile(file, stack)), ...request.set };
  if (request.readStackFile !== false && !fs.existsSync(file))
    notes.push(`no Pulumi.${stack}.yaml here: every key of stack ${stack} has its default`);
  const ownTarget = (values.target ?? CONFIG_KEYS.target.default) as Target;
  if (request.target !== undefined && request.target !== ownTarget) {
    const dropped = sortedKeys(values).filter((key) => !appliesTo(key, request.target as Target));
    for (const key of dropped) delete values[key];
    values.target = request.target;
    if (dropped.length > 0) {
      notes.push(
        `target ${request.target} instead of ${ownTarget}: ${dropped.map((key) => `dockyard:${key} (it ${appliesOnly(key as ConfigKey)})`).join(", ")} left out`,
      );
    }
  }
  if (request.compose !== undefined) values.compose = request.compose;

  const raw = (secrets: Record<string, string>) => (key: string) => {
    const given = unseal(values[key]);
    const value = key === "secrets" ? { ...secrets, ...((given ?? {}) as object) } : given;
    return value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value);
  };
  const keys = Object.keys(values);
  // Read once to learn which app the stack deploys, then again with a placeholder for each of its
  // secrets the stack file lacks: `pulumi up` requires them, but they do not change what is resolved.
  const first = loadConfig(raw({}), stack, keys);
  const report: ReportLine[] = [];
  const definition: AppDefinition<unknown> = first.compose.file
    ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- the compose reader is loaded only for a compose file, as the program does
      (require("../stacks/compose/app") as typeof import("../stacks/compose/app")).composeApp(
        first.compose,
        stack,
        (line) => report.push(line),
        dir,
      )
    : votingApp();
  const secretNames = Object.keys(definition.model(definition.parameters.parse({})).secrets);
  let config = loadConfig(raw(Object.fromEntries(secretNames.map((name) => [name, SECRET_PLACEHOLDER]))), stack, keys);
  if (request.target === "kubernetes" && ownTarget !== "kubernetes" && config.registry === undefined) {
    config = { ...config, registry: { server: STAND_IN_REGISTRY, username: "", password: pulumi.secret("") } };
    notes.push("no dockyard:registry is set: drawn as if one were (pulumi up on kubernetes needs one to push the images it builds)");
  }
  const configured = applyConfig(definition, config);
  const app = resolveApp(configured.model, configured.where, configured.fromConfig);
  return {
    stack,
    config,
    app,
    where: configured.where,
    ...(first.compose.file ? { compose: { file: first.compose.file, report } } : {}),
    notes,
  };
}

/** What `npm run resolved` and `dockyard config` print for a stack. */
export interface ResolvedSummary {
  stack: string;
  target: Target;
  app: ResolvedApp;
  /** Config key (as `pulumi config set --path` takes it) → the image it names: pulled ones and build base images. */
  images: Record<string, string>;
  /** The published ports, ascending. */
  published: number[];
}

/**
 * The resolved app, with under "images" the images the stack needs on a Docker engine (pulled ones
 * and the base images of builds) by the config key that names them, and under "published" its
 * published ports: scripts/deploy.sh uses both.
 */
export function resolvedSummary(loaded: LoadedStack): ResolvedSummary {
  const { app } = loaded;
  const images: Record<string, string> = {};
  const published: number[] = [];
  for (const name of app.order) {
    const service = app.services[name];
    if (service.image.kind === "pull") images[`services.${name}.image`] = service.image.ref;
    else Object.entries(service.image.args ?? {}).forEach(([arg, value]) => isBaseImageArg(arg) && (images[`buildArgs.${arg}`] = value));
    service.ports.forEach((port) => port.publishedPort !== undefined && published.push(port.publishedPort));
  }
  return { stack: loaded.stack, target: loaded.config.target, app, images, published: published.sort((a, b) => a - b) };
}
