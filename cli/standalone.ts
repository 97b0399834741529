/**
 * A compose file deployed with no Pulumi project around it (`dockyard up -f compose.yaml`), the way
 * `docker compose up` works in a folder that holds only a compose file. dockyard supplies the project:
 * - the program is its own, in this package (composeProgram: the program every dockyard stack runs,
 *   given the compose file), run in this process through the Automation API (an inline program);
 * - the project's files live outside the user's folder, as docker compose keeps nothing beside the file:
 *   one folder per compose file under $XDG_STATE_HOME/dockyard/compose (default
 *   ~/.local/state/dockyard/compose; DOCKYARD_STATE_HOME moves the whole dockyard folder), named after
 *   the compose file's folder and a digest of its absolute path. It holds Pulumi.yaml, each stack's
 *   Pulumi.<stack>.yaml (the target, the compose file, its secrets encrypted), the file backend
 *   (backend/) and the passphrase that encrypts the secrets (passphrase, mode 0600, generated once;
 *   PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE instead when set).
 * - the compose file's secrets are read where the file says (a secret's `file:`, relative to the
 *   compose file, or its `environment:` variable), as docker compose reads them, on every `up`, and
 *   stored encrypted; a secret that names neither gets a generated value, once. Never from argv.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import type { Target } from "../stacks/config";
import { CommandError, ParsedArgs, UsageError } from "./args";
import { Backend, findEngine, workspaceEnv, Workspace } from "./engine";
import { LoadedStack, loadStack, STACK_NAME } from "./stack";
import { Io } from "./verb";

/** The package's root: the folder of its package.json (above cli/ in a checkout, dist/cli/ when built). */
export function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

/** Where dockyard keeps what it owns for the user: DOCKYARD_STATE_HOME, else $XDG_STATE_HOME/dockyard, else ~/.local/state/dockyard. */
export function stateHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKYARD_STATE_HOME) return path.resolve(env.DOCKYARD_STATE_HOME);
  const xdg = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(os.homedir(), ".local", "state");
  return path.join(xdg, "dockyard");
}

/** The folder of a compose file's own project: <state home>/compose/<its folder's name>-<12 hex of its absolute path>. */
export function composeFolder(file: string, env: NodeJS.ProcessEnv = process.env): string {
  const absolute = path.resolve(file);
  const name =
    path
      .basename(path.dirname(absolute))
      .replace(/[^A-Za-z0-9_.-]/g, "_")
      .replace(/^\.+/, "") || "root";
  const digest = createHash("sha256").update(absolute).digest("hex").slice(0, 12);
  return path.join(stateHome(env), "compose", `${name}-${digest}`);
}

/** Why a file is not a compose file, or undefined when it looks like one (the loader checks the rest). */
export function notCompose(text: string): string | undefined {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    return `it is not YAML (${(error instanceof Error ? error.message : String(error)).split("\n")[0]})`;
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) return "it is not a YAML mapping";
  const top = document as Record<string, unknown>;
  if (top.services !== undefined) {
    return top.services !== null && typeof top.services === "object" && !Array.isArray(top.services)
      ? undefined
      : "its services: is not a mapping of services";
  }
  // A version 1 file: services at the top level, each with an image or a build.
  const legacy = Object.values(top).some((value) => value !== null && typeof value === "object" && ("image" in value || "build" in value));
  return legacy ? undefined : "it has no services:";
}

/** The compose file -f names, checked: it exists and is a compose file (else UsageError, exit 2). Absolute. */
export function composeFileArgument(verb: string, given: string, io: Io): string {
  const file = path.resolve(io.cwd, given);
  if (!fs.existsSync(file)) throw new UsageError(`dockyard ${verb}: -f/--file ${given}: no such file`);
  if (!fs.statSync(file).isFile()) throw new UsageError(`dockyard ${verb}: -f/--file ${given}: is a folder, not a compose file`);
  const why = notCompose(fs.readFileSync(file, "utf8"));
  if (why !== undefined) {
    throw new UsageError(
      `dockyard ${verb}: -f/--file ${given} is not a compose file: ${why} (give a file such as docker compose's compose.yaml)`,
    );
  }
  return file;
}

/** A compose file's stack: the file, the folder dockyard keeps for it, the stack read and resolved. */
export interface ComposeStack {
  /** The compose file, absolute. */
  file: string;
  /** The file as the user named it. */
  given: string;
  /** dockyard's folder for it: Pulumi.yaml, Pulumi.<stack>.yaml, backend/, passphrase. */
  folder: string;
  loaded: LoadedStack;
  /** The keys `up` writes into the stack file: target and compose. */
  settings: { target: Target; compose: { file: string; profiles?: string[]; envFile?: string } };
}

/** The stack name a verb on a compose file is given: STACK or --stack (not both), default dev. */
export function composeStackName(verb: string, args: ParsedArgs): string {
  const positional = args.positionals[0];
  const option = args.values.stack as string | undefined;
  if (positional !== undefined && option !== undefined && positional !== option) {
    throw new UsageError(`dockyard ${verb}: the stack is given twice (${positional} and --stack ${option}): give it once`);
  }
  const stack = option ?? positional ?? "dev";
  if (!STACK_NAME.test(stack)) {
    throw new UsageError(
      `dockyard ${verb}: ${option !== undefined ? "--stack" : "STACK"} must be a stack name (letters, digits, _ . -), got ${JSON.stringify(stack)}`,
    );
  }
  return stack;
}

/** The dockyard: keys of a stack file in the folder, or undefined when there is none. */
function stackFileKeys(folder: string, stack: string): Record<string, unknown> | undefined {
  const file = path.join(folder, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) return undefined;
  return ((parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> }).config ?? {};
}

/**
 * The stack of a compose file, read and resolved before anything is created. `deploying` (up): the
 * stack may be new, the target is --target (a stack already made keeps its own: never moved), the
 * profiles and env file are the flags'. Otherwise (down, ps, logs) the stack must exist, and is read
 * as `up` left it.
 */
export function composeStack(
  verb: string,
  args: ParsedArgs,
  io: Io,
  deploying: boolean,
  stack = composeStackName(verb, args),
): ComposeStack {
  const given = args.values.file as string;
  const file = composeFileArgument(verb, given, io);
  const folder = composeFolder(file);
  const keys = stackFileKeys(folder, stack);
  const own = keys?.["dockyard:target"] as Target | undefined;
  const wanted = args.values.target as Target | undefined;
  if (!deploying) {
    if (keys === undefined) {
      throw new CommandError(
        `dockyard ${verb}: stack ${stack} of ${given} is not deployed (nothing in ${folder}): dockyard up -f ${given}${stack === "dev" ? "" : ` --stack ${stack}`}`,
      );
    }
    const loaded = loadStack({ stack, dir: folder });
    loaded.notes.forEach((note) => io.err(`note: ${note}`));
    const compose = loaded.config.compose;
    return { file, given, folder, loaded, settings: { target: loaded.config.target, compose: { ...compose, file: compose.file ?? file } } };
  }
  if (wanted !== undefined && own !== undefined && wanted !== own) {
    throw new UsageError(
      `dockyard ${verb}: --target ${wanted}, but stack ${stack} of ${given} deploys to ${own}: give another --stack for ${wanted} (a stack is never moved), or dockyard down -f ${given} first and remove ${path.join(folder, `Pulumi.${stack}.yaml`)}`,
    );
  }
  const target = wanted ?? own ?? "docker";
  const profiles = args.lists.profile ?? [];
  const envFile = args.values["env-file"] as string | undefined;
  if (envFile !== undefined && !fs.existsSync(path.resolve(io.cwd, envFile))) {
    throw new UsageError(`dockyard ${verb}: --env-file ${envFile}: no such file`);
  }
  const compose = {
    file,
    ...(profiles.length > 0 ? { profiles } : {}),
    ...(envFile === undefined ? {} : { envFile: path.resolve(io.cwd, envFile) }),
  };
  const loaded = loadStack({ stack, dir: folder, readStackFile: keys !== undefined, compose, set: { target } });
  loaded.notes.forEach((note) => io.err(`note: ${note}`));
  return { file, given, folder, loaded, settings: { target, compose } };
}

/**
 * The engine, backend and passphrase of a compose file's project: the engine as for a project (in the
 * working folder, else the one beside this package, else `pulumi` on PATH); the backend the folder's
 * own file backend (PULUMI_BACKEND_URL is not used: the folder is the project); the passphrase yours
 * when set, else the folder's, generated once by `up`.
 */
export function composeWorkspace(verb: string, io: Io, folder: string, create: boolean, env: NodeJS.ProcessEnv = process.env): Workspace {
  const here = findEngine(io.cwd, env);
  const beside = here === undefined ? findEngine(packageRoot(), env) : undefined;
  const engine = beside?.root === undefined ? (here ?? beside) : { ...beside, description: beside.root };
  if (engine === undefined) {
    throw new CommandError(
      `dockyard ${verb}: no Pulumi engine: install pulumi and put it on PATH (or, in a checkout of dockyard, npm run deploy builds one)`,
    );
  }
  const backendDir = path.join(folder, "backend");
  const passphrase = path.join(folder, "passphrase");
  if (create) fs.mkdirSync(backendDir, { recursive: true });
  const notes = [`state: ${folder} (dockyard's project for this compose file: Pulumi.yaml, stack files, backend/)`];
  let passphraseFile: string | undefined;
  if (env.PULUMI_CONFIG_PASSPHRASE || env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    notes.push(`passphrase: yours (PULUMI_CONFIG_PASSPHRASE${env.PULUMI_CONFIG_PASSPHRASE ? "" : "_FILE"})`);
  } else if (fs.existsSync(passphrase) && fs.statSync(passphrase).size > 0) {
    passphraseFile = passphrase;
  } else if (create) {
    fs.writeFileSync(passphrase, randomBytes(32).toString("base64url"), { mode: 0o600 });
    passphraseFile = passphrase;
    notes.push(`passphrase: generated into ${passphrase} (mode 0600); it encrypts the stack's secrets: keep it`);
  }
  if (passphraseFile !== undefined) fs.chmodSync(passphraseFile, 0o600);
  const backend: Backend = { url: `file://${backendDir}`, ...(passphraseFile === undefined ? {} : { passphraseFile }), notes };
  return { engine, backend, env: workspaceEnv(engine, backend) };
}

/**
 * The program of a compose file's project: what every dockyard stack runs (components/app's
 * planStack, then the plan deployed), with the compose file the stack's dockyard:compose names and the
 * folder as the project directory (build contexts outside it are absolute paths).
 */
export function composeProgram(folder: string): PulumiFn {
  return async () => {
    // Loaded when the engine runs the program, as program.js loads the stacks.
    const { planStack } = await import("../components/app/stack");
    const { logReport } = await import("../stacks/compose/app");
    // The engine marks the keys set with --secret; the SDK's reader of those marks is internal (a secret if it is gone).
    const isConfigSecret = (pulumi.runtime as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
    const noApp = {
      name: "none",
      parameters: undefined as never,
      model: () => {
        throw new CommandError("dockyard up -f: the stack names no compose file (dockyard:compose.file)");
      },
    };
    const { config, planned } = planStack(noApp, {
      stack: pulumi.getStack(),
      project: pulumi.getProject(),
      all: pulumi.runtime.allConfig(),
      isSecret: (key) => isConfigSecret === undefined || isConfigSecret(key),
      projectDir: folder,
      log: (file, line) => logReport(file, line),
    });
    return { target: config.target, ...planned.deploy() };
  };
}

/** A compose file's secrets as the file declares them: each one's value source, by name. */
export function secretSources(document: Record<string, unknown>): Record<string, { file?: string; environment?: string }> {
  const secrets = document.secrets;
  if (secrets === null || typeof secrets !== "object" || Array.isArray(secrets)) return {};
  return Object.fromEntries(
    Object.entries(secrets as Record<string, unknown>).map(([name, spec]) => {
      const definition = (spec ?? {}) as Record<string, unknown>;
      return [
        name,
        {
          ...(typeof definition.file === "string" ? { file: definition.file } : {}),
          ...(typeof definition.environment === "string" ? { environment: definition.environment } : {}),
        },
      ];
    }),
  );
}

/**
 * Each of the app's secrets from where the compose file says (its file, its environment variable),
 * stored encrypted when it is new or changed; one that names neither gets a generated value once.
 * A source that cannot be read stops up (CommandError) before anything is deployed.
 */
export async function composeSecrets(stack: Stack, compose: ComposeStack, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the compose reader is loaded only for a compose file
  const { loadCompose } = require("../stacks/compose/load") as typeof import("../stacks/compose/load");
  const { file, given, settings } = compose;
  const loaded = loadCompose({
    file,
    name: given,
    profiles: settings.compose.profiles,
    envFile: settings.compose.envFile,
    environment: env,
  });
  const sources = secretSources(loaded.document);
  for (const name of Object.keys(compose.loaded.app.secrets).sort()) {
    const key = `secrets.${name}`;
    const source = sources[name] ?? {};
    let value: string | undefined;
    let from: string;
    if (source.file !== undefined) {
      const where = path.resolve(path.dirname(file), source.file);
      if (!fs.existsSync(where)) {
        throw new CommandError(
          `dockyard up: ${given}: secrets.${name}.file: ${source.file}: no such file (docker compose reads the secret's value from it)`,
        );
      }
      value = fs.readFileSync(where, "utf8");
      from = `read from ${source.file}`;
    } else if (source.environment !== undefined) {
      value = loaded.variables[source.environment] ?? env[source.environment];
      if (value === undefined) {
        throw new CommandError(
          `dockyard up: ${given}: secrets.${name}.environment: ${source.environment} is not set: export it (the secret's value) and run dockyard up again`,
        );
      }
      from = `read from $${source.environment}`;
    } else from = "generated";
    let current: string | undefined;
    try {
      current = (await stack.getConfig(key, true)).value;
    } catch {
      current = undefined;
    }
    if (value === undefined) {
      if (current !== undefined) continue;
      value = randomBytes(24).toString("base64url");
    }
    if (value === current) continue;
    await stack.setConfig(key, { value, secret: true }, true);
    io.err(`${key}: ${from}, stored encrypted in ${path.join(compose.folder, `Pulumi.${compose.loaded.stack}.yaml`)}`);
  }
}

/** Writes the stack's target and compose file into its stack file (after the checks passed). */
export async function writeComposeSettings(stack: Stack, compose: ComposeStack): Promise<void> {
  const { target, compose: settings } = compose.settings;
  await stack.setConfig("target", { value: target });
  try {
    await stack.removeConfig("compose");
  } catch {
    // not set yet: the first up
  }
  await stack.setConfig("compose.file", { value: settings.file }, true);
  for (const [index, profile] of (settings.profiles ?? []).entries())
    await stack.setConfig(`compose.profiles[${index}]`, { value: profile }, true);
  if (settings.envFile !== undefined) await stack.setConfig("compose.envFile", { value: settings.envFile }, true);
}
