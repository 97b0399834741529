/**
 * What the verbs on a deployed stack (up, down, ps, logs, drift) share: the project they run in, the
 * stack read and resolved before anything else (bad config stops there, with nothing created), and the
 * stack opened through the Automation API with the engine and backend of cli/engine.ts.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as path from "path";
import { CommandError, OptionSpec, ParsedArgs, UsageError } from "./args";
import { envScript, findBackend, findEngine, openStack, Workspace, workspaceEnv } from "./engine";
import { LoadedStack, loadStack } from "./stack";
import { ComposeStack, composeProgram, composeStack, composeStackName, composeWorkspace } from "./standalone";
import { Io, stackArgument } from "./verb";

/** The STACK argument of a deploy verb. */
export const STACK_POSITIONAL = { name: "STACK", description: "the stack: Pulumi.<STACK>.yaml is read (default dev)" };

/** Refuses to run outside a Pulumi project (a folder with Pulumi.yaml). */
export function requireProject(verb: string, io: Io): void {
  if (!fs.existsSync(path.join(io.cwd, "Pulumi.yaml"))) {
    throw new UsageError(
      `dockyard ${verb}: no Pulumi.yaml in ${io.cwd}: run it in the folder of a dockyard project (where Pulumi.yaml is)`,
    );
  }
}

/** The stack a deploy verb is about (the STACK argument, or `name` when given as an option), read and resolved. */
export function projectStack(verb: string, args: ParsedArgs, io: Io, stackName?: string): LoadedStack {
  requireProject(verb, io);
  const { stack } =
    stackName === undefined ? stackArgument(verb, args, io) : stackArgument(verb, { ...args, positionals: [stackName] }, io);
  const loaded = loadStack({ stack, dir: io.cwd });
  loaded.notes.forEach((note) => io.err(`note: ${note}`));
  return loaded;
}

/** The engine and backend for the project; throws CommandError when there is no engine. */
export function projectWorkspace(verb: string, io: Io, create: boolean): Workspace {
  const engine = findEngine(io.cwd);
  if (engine === undefined) {
    throw new CommandError(
      `dockyard ${verb}: no Pulumi engine: npm run deploy builds one (tools/engine/build.sh, into .tools/pulumi), or install pulumi and put it on PATH`,
    );
  }
  const backend = findBackend(io.cwd, process.env, create);
  if (create) {
    fs.mkdirSync(path.join(io.cwd, ".state"), { recursive: true });
    fs.writeFileSync(path.join(io.cwd, ".state", "env.sh"), envScript(backend, io.cwd));
  }
  return { engine, backend, env: workspaceEnv(engine, backend) };
}

/** Opens a stack that exists; throws CommandError naming it when it does not (nothing deployed). */
export async function existingStack(verb: string, io: Io, stack: string, workspace: Workspace, place?: StackPlace): Promise<Stack> {
  try {
    return place === undefined ? await openStack(io.cwd, stack, workspace, false) : await place.open(workspace, false);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/no stack named|not found|does not exist/i.test(message)) {
      throw new CommandError(
        `dockyard ${verb}: stack ${stack} is not deployed on this backend (${describeBackend(workspace)}): ${place?.upCommand ?? `dockyard up ${stack}`}`,
      );
    }
    throw error;
  }
}

/** The -f and --stack options of the deploy verbs (up, down, ps): a compose file with no project around it. */
export const COMPOSE_FILE_OPTIONS: Record<string, OptionSpec> = {
  file: {
    type: "string",
    short: "f",
    value: "FILE",
    description:
      "a compose file to deploy with no Pulumi project around it: dockyard keeps its project in $XDG_STATE_HOME/dockyard/compose/ (~/.local/state/dockyard/compose/), one folder per file",
  },
  stack: { type: "string", value: "STACK", description: "the stack (as STACK): with -f, default dev" },
};

/** Where a deploy verb's stack is: a project's (Pulumi.<STACK>.yaml here), or a compose file's own (-f). */
export interface StackPlace {
  loaded: LoadedStack;
  /** The compose file and dockyard's folder for it, with -f. @default - a project's stack */
  compose?: ComposeStack;
  /** The engine, backend and passphrase; `create` (up) makes a missing backend and passphrase. */
  workspace(create: boolean): Workspace;
  /** Opens the stack (with `create`, creates it when new). */
  open(workspace: Workspace, create: boolean): Promise<Stack>;
  /** The command that deploys it: "dockyard up dev", "dockyard up -f compose.yaml". */
  upCommand: string;
}

/**
 * The stack a deploy verb is about, read and resolved: with -f, the compose file's own stack
 * (standalone.ts); else the project's STACK (or --stack). `deploying` (up) lets a compose file's stack be new.
 */
export function stackPlace(verb: string, args: ParsedArgs, io: Io, deploying: boolean): StackPlace {
  if (args.values.file !== undefined) {
    const compose = composeStack(verb, args, io, deploying);
    const { folder, given } = compose;
    const stack = compose.loaded.stack;
    return {
      loaded: compose.loaded,
      compose,
      workspace: (create) => composeWorkspace(verb, io, folder, create),
      open: (workspace, create) => openStack(folder, stack, workspace, create, composeProgram(folder)),
      upCommand: `dockyard up -f ${given}${stack === "dev" ? "" : ` --stack ${stack}`}`,
    };
  }
  const named = args.values.stack as string | undefined;
  const stackName = named === undefined ? undefined : composeStackName(verb, args);
  const loaded = projectStack(verb, args, io, stackName);
  return {
    loaded,
    workspace: (create) => projectWorkspace(verb, io, create),
    open: (workspace, create) => openStack(io.cwd, loaded.stack, workspace, create),
    upCommand: `dockyard up ${loaded.stack}`,
  };
}

/** The backend in a message: its URL, or "the one you are logged in to". */
function describeBackend(workspace: Workspace): string {
  const url = workspace.backend.url;
  if (url === undefined) return "the backend you are logged in to";
  return url.startsWith("file://") ? path.relative(process.cwd(), url.slice("file://".length)) || url : url;
}

/** The engine's error without its noise: the lines after "error:" the CLI prints, else the last lines. */
export function engineError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const stderr = /stderr: ([\s\S]*?)(?:\n\s*err\?:|$)/.exec(message)?.[1] ?? message;
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  const errors = lines.filter((line) => line.startsWith("error:"));
  return (errors.length > 0 ? errors : lines.slice(-3)).join("; ");
}
