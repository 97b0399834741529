/**
 * What a verb of the `dockyard` command is: its arguments (cli/args.ts) and what it runs, given where
 * it writes. A verb is one module exporting one of these, listed in cli/main.ts. Also the arguments
 * several verbs share: the stack, and a compose file with its profiles and env file.
 */
import * as fs from "fs";
import * as path from "path";
import { OptionSpec, ParsedArgs, UsageError, VerbSpec } from "./args";
import { STACK_NAME } from "./stack";

/** Where a verb writes and reads files: the process's, or a test's. */
export interface Io {
  /** Standard output: what the verb was asked for. */
  out(text: string): void;
  /** Standard error: notes and warnings, one line each. */
  err(text: string): void;
  /** The directory stack files and relative paths are read from. */
  cwd: string;
  /** Asks a yes/no question on the terminal; absent when there is none to ask on. @default - none */
  ask?(question: string): Promise<boolean>;
}

export interface Verb extends VerbSpec {
  /** Runs the verb; resolves to the exit code. Throws UsageError (exit 2) or the stacks' InputError (exit 1). */
  run(args: ParsedArgs, io: Io): number | Promise<number>;
}

/** The STACK argument of a verb on a stack, with what it means beside -f. */
export function stackArgumentSpec(withFile: string): { name: string; description: string } {
  return { name: "STACK", description: `the stack: Pulumi.<STACK>.yaml is read (default dev); with -f, ${withFile}` };
}

/** The options of a compose file, as `docker compose` spells them. */
export const COMPOSE_OPTIONS: Record<string, OptionSpec> = {
  file: { type: "string", short: "f", value: "FILE", description: "a compose file, instead of the app the stack deploys" },
  profile: { type: "string", multiple: true, value: "NAME", description: "a compose profile to enable (repeatable)" },
  "env-file": { type: "string", value: "FILE", description: "the compose file's env file (default: .env beside it)" },
};

/** The stack a verb is about, and whether it was named. */
export function stackArgument(verb: string, args: ParsedArgs, io: Io): { stack: string; named: boolean } {
  const given = args.positionals[0];
  if (given === undefined) return { stack: "dev", named: false };
  if (!STACK_NAME.test(given)) {
    throw new UsageError(`dockyard ${verb}: STACK must be a stack name (letters, digits, _ . -), got ${JSON.stringify(given)}`);
  }
  if (!fs.existsSync(path.join(io.cwd, `Pulumi.${given}.yaml`))) {
    const stacks = fs
      .readdirSync(io.cwd)
      .flatMap((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1] ?? [])
      .sort();
    throw new UsageError(
      `dockyard ${verb}: no Pulumi.${given}.yaml here; stacks here: ${stacks.length > 0 ? stacks.join(", ") : "(none)"}`,
    );
  }
  return { stack: given, named: true };
}

/** The compose file the options name, checked to exist; undefined without -f. */
export function composeArgument(
  verb: string,
  args: ParsedArgs,
  io: Io,
): { file: string; profiles: string[]; envFile?: string } | undefined {
  const file = args.values.file as string | undefined;
  const profiles = args.lists.profile ?? [];
  const envFile = args.values["env-file"] as string | undefined;
  if (file === undefined) {
    if (profiles.length > 0 || envFile !== undefined) {
      throw new UsageError(`dockyard ${verb}: ${profiles.length > 0 ? "--profile" : "--env-file"} applies to a compose file: give -f FILE`);
    }
    return undefined;
  }
  if (!fs.existsSync(path.resolve(io.cwd, file))) throw new UsageError(`dockyard ${verb}: -f/--file ${file}: no such file`);
  return { file, profiles, ...(envFile === undefined ? {} : { envFile }) };
}
