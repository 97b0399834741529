/**
 * The `dockyard` command (package.json `bin`, through cli/dockyard.js): `dockyard <verb> [arguments]`.
 * Each verb is a module exporting a Verb (cli/verb.ts), listed in VERBS; run() reads the verb's
 * arguments (cli/args.ts) and maps what it throws to an exit code: 2 and one line for bad input on
 * the command line (nothing done), 1 and one line for a stack or compose file the stacks refuse, or
 * for something the command needs that is missing (an engine, a Docker engine, a deployed stack).
 */
import * as fs from "fs";
import * as path from "path";
import { ValidationError } from "../components/errors";
import * as readline from "readline";
import { CommandError, parseVerbArgs, UsageError, verbHelp } from "./args";
import { checkVerb } from "./check";
import { configVerb } from "./config";
import { diagramVerb } from "./diagram";
import { downVerb } from "./down";
import { driftVerb } from "./drift";
import { logsVerb } from "./logs";
import { psVerb } from "./ps";
import { upVerb } from "./up";
import { Io, Verb } from "./verb";

/** The verbs, in the order help lists them. */
export const VERBS: Verb[] = [upVerb, downVerb, psVerb, logsVerb, driftVerb, configVerb, checkVerb, diagramVerb];

/** The help of the command itself. */
export function usage(): string {
  const width = Math.max(...VERBS.map((verb) => verb.name.length));
  return [
    "usage: dockyard <command> [arguments]",
    "",
    "commands:",
    ...VERBS.map((verb) => `  ${verb.name.padEnd(width)}  ${verb.summary}`),
    "",
    "dockyard <command> --help lists a command's arguments.",
  ].join("\n");
}

/** The package's version: package.json above this file (cli/ in a checkout, dist/cli/ when built). */
function version(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
    if (path.dirname(dir) === dir) return "unknown";
  }
}

/** The process's streams and working directory. */
export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(`${text}\n`),
  cwd: process.cwd(),
  ...(process.stdin.isTTY && process.stderr.isTTY
    ? {
        ask: (question: string) =>
          new Promise<boolean>((resolve) => {
            const terminal = readline.createInterface({ input: process.stdin, output: process.stderr });
            terminal.question(`${question} [y/N] `, (answer) => {
              terminal.close();
              resolve(/^y(es)?$/i.test(answer.trim()));
            });
          }),
      }
    : {}),
};

/** Runs `dockyard <argv>`; resolves to the exit code. */
export async function run(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  const commands = VERBS.map((verb) => verb.name).join(", ");
  if (name === "--help" || name === "-h" || name === "help") {
    io.out(`${usage()}\n`);
    return 0;
  }
  if (name === "--version" || name === "-V") {
    io.out(`${version()}\n`);
    return 0;
  }
  const verb = VERBS.find((candidate) => candidate.name === name);
  try {
    if (name === undefined) throw new UsageError(`dockyard: give a command: ${commands} (dockyard --help)`);
    if (verb === undefined) {
      throw new UsageError(
        `dockyard: unknown ${name.startsWith("-") ? "option" : "command"} ${JSON.stringify(name)}; commands: ${commands} (dockyard --help)`,
      );
    }
    const args = parseVerbArgs(verb, rest);
    if (args.values.help) {
      io.out(`${verbHelp(verb)}\n`);
      return 0;
    }
    return await verb.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(error.message);
      return 2;
    }
    // Something the command needs is missing or failed: its message says which and what to do.
    if (error instanceof CommandError) {
      io.err(error.message);
      return 1;
    }
    // The stacks' one error for bad input (InputError, ComposeError): its message names the key and the fix.
    if (error instanceof ValidationError) {
      io.err(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
