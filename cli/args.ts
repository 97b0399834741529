/**
 * A verb's command line, read with node's util.parseArgs and checked here so that every mistake is
 * one line naming the flag or value and what is allowed (exit 2), and its help text.
 */
import { parseArgs } from "util";

/** Bad input on the command line: one line, exit 2, nothing done. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Something the command needs is missing or failed (no engine, no Docker, a failed deployment): one line, exit 1. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}

export interface OptionSpec {
  type: "string" | "boolean";
  /** One letter: `-f`. @default - none */
  short?: string;
  /** May be given more than once; the values are kept in order. @default false */
  multiple?: boolean;
  /** The values allowed. @default - any text */
  choices?: readonly string[];
  /** The value's name in help: "FILE". @default - the choices, or "VALUE" */
  value?: string;
  description: string;
}

export interface VerbSpec {
  name: string;
  /** One line for `dockyard --help`. */
  summary: string;
  /** The positional arguments, each optional, in order. */
  positionals: Array<{ name: string; description: string }>;
  options: Record<string, OptionSpec>;
}

export interface ParsedArgs {
  positionals: string[];
  /** A string option's value (the last of a multiple one's is in `lists`), or true for a boolean given. */
  values: Record<string, string | boolean | undefined>;
  /** Every value of a multiple option, in order ([] when not given). */
  lists: Record<string, string[]>;
}

/** Every verb takes --help. */
const HELP: OptionSpec = { type: "boolean", short: "h", description: "print this help" };

/** "-f/--file FILE", "--format mermaid|dot|svg", "-h/--help". */
export function optionName(name: string, spec: OptionSpec, withValue = true): string {
  const flags = `${spec.short ? `-${spec.short}/` : ""}--${name}`;
  if (!withValue || spec.type === "boolean") return flags;
  return `${flags} ${spec.value ?? spec.choices?.join("|") ?? "VALUE"}`;
}

/** The verb's options with --help, in the order help lists them. */
function allOptions(verb: VerbSpec): Record<string, OptionSpec> {
  return { ...verb.options, help: HELP };
}

/** Reads a verb's arguments; throws UsageError, one line, for anything it does not take. */
export function parseVerbArgs(verb: VerbSpec, argv: string[]): ParsedArgs {
  const options = allOptions(verb);
  const say = (message: string): never => {
    throw new UsageError(`dockyard ${verb.name}: ${message}`);
  };
  const { tokens } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      Object.entries(options).map(([name, spec]) => [
        name,
        { type: spec.type, ...(spec.short === undefined ? {} : { short: spec.short }) },
      ]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const parsed: ParsedArgs = { positionals: [], values: {}, lists: {} };
  for (const name of Object.keys(options)) if (options[name].multiple) parsed.lists[name] = [];
  for (const token of tokens) {
    if (token.kind === "positional") {
      parsed.positionals.push(token.value);
      continue;
    }
    if (token.kind !== "option") continue;
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (spec === undefined) {
      say(
        `unknown option ${token.rawName}; options: ${Object.entries(options)
          .map(([name, s]) => optionName(name, s, false))
          .join(", ")}`,
      );
    }
    const option = spec as OptionSpec;
    const flag = optionName(token.name, option, false);
    if (option.type === "boolean") {
      if (token.value !== undefined) say(`${flag} takes no value, got ${JSON.stringify(token.value)}`);
      parsed.values[token.name] = true;
      continue;
    }
    const value = token.value;
    // "--format --target x": the next flag is not a value (write --file=-x for a file named -x).
    if (value === undefined || value === "" || (!token.inlineValue && value.startsWith("-") && value !== "-")) {
      say(`${flag} needs a value: ${optionName(token.name, option)}`);
    }
    const text = value as string;
    if (option.choices !== undefined && !option.choices.includes(text)) {
      say(`${flag} must be one of ${option.choices.join(", ")}, got ${JSON.stringify(text)}`);
    }
    if (option.multiple) parsed.lists[token.name].push(text);
    else if (parsed.values[token.name] !== undefined) say(`${flag} is given twice; give it once`);
    parsed.values[token.name] = text;
  }
  if (parsed.values.help) return parsed;
  if (parsed.positionals.length > verb.positionals.length) {
    const extra = parsed.positionals[verb.positionals.length];
    const takes =
      verb.positionals.length === 0
        ? "takes no arguments"
        : `takes at most ${verb.positionals.map((positional) => positional.name).join(" ")}`;
    say(`unexpected argument ${JSON.stringify(extra)}: it ${takes}`);
  }
  return parsed;
}

/** The verb's help: usage, arguments and options, one per line. */
export function verbHelp(verb: VerbSpec): string {
  const options = allOptions(verb);
  const usage = [
    `usage: dockyard ${verb.name}`,
    ...verb.positionals.map((positional) => `[${positional.name}]`),
    ...Object.entries(verb.options).map(([name, spec]) => `[${optionName(name, spec)}]${spec.multiple ? "..." : ""}`),
  ].join(" ");
  const rows: Array<[string, string]> = [
    ...verb.positionals.map((positional): [string, string] => [positional.name, positional.description]),
    ...Object.entries(options).map(([name, spec]): [string, string] => [optionName(name, spec), spec.description]),
  ];
  const width = Math.max(...rows.map(([left]) => left.length));
  return [usage, "", verb.summary, "", ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)].join("\n");
}
