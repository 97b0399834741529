/**
 * Variable interpolation in compose file values, with the rules of the Compose specification
 * (https://docs.docker.com/reference/compose-file/interpolation/) as docker compose applies them:
 *
 *   $VAR, ${VAR}        the value; unset → "" and a warning
 *   ${VAR:-default}     default when VAR is unset or empty      ${VAR-default}  when unset
 *   ${VAR:?message}     error when VAR is unset or empty        ${VAR?message}  when unset
 *   ${VAR:+alternate}   alternate when VAR is set and not empty ${VAR+alternate} when set
 *   $$                  a literal $
 *
 * Defaults, messages and alternates are templates themselves (`${A:-${B}}`). Any other `$` is an
 * error, as in docker compose (`awk '{print $1}'` must be written `$$1`).
 *
 * This is a small scanner of our own: the npm packages for "${VAR}" expansion implement shell or
 * dotenv-expand rules (no `?` forms, no `+` forms, a lone `$` kept), and none is kept in step with
 * compose. Parsing first and evaluating second reports bad syntax in a branch that is not taken.
 */
import { isImageReference } from "../../components/registry";

/** Bad syntax, or a required variable that is missing; the message starts with `where`. */
export class InterpolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InterpolationError";
  }
}

type Operator = ":-" | "-" | ":?" | "?" | ":+" | "+";

type Part = { kind: "text"; text: string } | { kind: "variable"; name: string; operator?: Operator; argument: Part[] };

const NAME = /[_a-zA-Z][_a-zA-Z0-9]*/y;
// Longest first, so ":-" is not read as ":" followed by "-".
const OPERATORS: Operator[] = [":-", ":?", ":+", "-", "?", "+"];

class Scanner {
  private position = 0;

  constructor(
    private readonly text: string,
    private readonly invalid: () => InterpolationError,
  ) {}

  /** Reads text and variables up to the end, or up to the `}` closing a braced argument. */
  parts(insideBraces: boolean): Part[] {
    const parts: Part[] = [];
    let literal = "";
    const flush = (): void => {
      if (literal !== "") parts.push({ kind: "text", text: literal });
      literal = "";
    };
    while (this.position < this.text.length) {
      const char = this.text[this.position];
      if (insideBraces && char === "}") {
        flush();
        return parts;
      }
      if (char !== "$") {
        literal += char;
        this.position += 1;
        continue;
      }
      const next = this.text[this.position + 1];
      if (next === "$") {
        literal += "$";
        this.position += 2;
        continue;
      }
      flush();
      if (next === "{") {
        this.position += 2;
        parts.push(this.braced());
        continue;
      }
      this.position += 1;
      parts.push({ kind: "variable", name: this.name(), argument: [] });
    }
    if (insideBraces) throw this.invalid();
    flush();
    return parts;
  }

  private name(): string {
    NAME.lastIndex = this.position;
    const match = NAME.exec(this.text);
    if (!match) throw this.invalid();
    this.position += match[0].length;
    return match[0];
  }

  /** After `${`: NAME}, or NAME OPERATOR argument}. */
  private braced(): Part {
    const name = this.name();
    if (this.text[this.position] === "}") {
      this.position += 1;
      return { kind: "variable", name, argument: [] };
    }
    const operator = OPERATORS.find((op) => this.text.startsWith(op, this.position));
    if (!operator) throw this.invalid();
    this.position += operator.length;
    const argument = this.parts(true);
    this.position += 1; // the closing brace
    return { kind: "variable", name, operator, argument };
  }
}

function evaluate(
  parts: Part[],
  variables: Record<string, string | undefined>,
  where: string,
  warn: (message: string) => void,
  unset: string[] = [],
): string {
  const argument = (part: Part & { kind: "variable" }): string => evaluate(part.argument, variables, where, warn, unset);
  const required = (name: string, message: string): InterpolationError =>
    new InterpolationError(`${where}: required variable ${name} is missing a value` + (message === "" ? "" : `: ${message}`));

  return parts
    .map((part) => {
      if (part.kind === "text") return part.text;
      const value = variables[part.name];
      const set = value !== undefined;
      const nonEmpty = set && value !== "";
      switch (part.operator) {
        case undefined:
          // A port that loses its number to a blank is another port (":80" publishes nothing): refused, not warned.
          if (!set && /^services\.[^.]+\.ports\[/.test(where)) {
            throw new InterpolationError(
              `${where}: variable ${part.name} is not set, so the port would be read with a blank in its place: set ${part.name}, or give a default (\${${part.name}:-8080})`,
            );
          }
          if (!set) {
            warn(`The "${part.name}" variable is not set. Defaulting to a blank string.`);
            unset.push(part.name);
          }
          return value ?? "";
        case ":-":
          return nonEmpty ? value : argument(part);
        case "-":
          return set ? value : argument(part);
        case ":?":
          if (!nonEmpty) throw required(part.name, argument(part));
          return value;
        case "?":
          if (!set) throw required(part.name, argument(part));
          return value;
        case ":+":
          return nonEmpty ? argument(part) : "";
        case "+":
          return set ? argument(part) : "";
      }
    })
    .join("");
}

/**
 * Replaces the variables in one string value.
 * @param where the value's path in the document (`services.web.image`); messages start with it
 * @param warn receives `The "FOO" variable is not set. Defaulting to a blank string.`
 * @default warn - ignores warnings
 * @throws InterpolationError on bad syntax or a missing required variable
 */
export function interpolate(
  text: string,
  variables: Record<string, string | undefined>,
  where: string,
  warn: (message: string) => void = () => undefined,
): string {
  if (!text.includes("$")) return text;
  const invalid = (): InterpolationError =>
    new InterpolationError(
      `${where}: invalid interpolation format in ${JSON.stringify(text)}: ` +
        "write ${VAR}, ${VAR:-default} or similar, and escape a literal $ as $$",
    );
  const parts = new Scanner(text, invalid).parts(false);
  const unset: string[] = [];
  const value = evaluate(parts, variables, where, warn, unset);
  // An image that a blank turns into no image ("api:" for "api:${TAG}") is refused as written, naming the variable.
  if (unset.length > 0 && /^services\.[^.]+\.image$/.test(where) && !isImageReference(value)) {
    const names = [...new Set(unset)];
    throw new InterpolationError(
      `${where} ${JSON.stringify(text)}: ${names.length > 1 ? `variables ${names.join(", ")} are` : `variable ${names[0]} is`} not set, so the image would be ${JSON.stringify(value)}, which is no image reference: set ${names.join(" and ")}, or give ${names.length > 1 ? "them defaults" : "it a default"} in the file (\${${names[0]}:-default})`,
    );
  }
  return value;
}

// ---- types after interpolation -------------------------------------------------------------------

type Cast = (text: string) => number | boolean | undefined;

const WHOLE = /^[-+]?\d+$/;
const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const toInt: Cast = (text) => (WHOLE.test(text) ? Number(text) : undefined);
const toFloat: Cast = (text) => (DECIMAL.test(text) ? Number(text) : undefined);
const toBoolean: Cast = (text) => {
  const word = text.toLowerCase();
  if (["true", "y", "yes", "on"].includes(word)) return true;
  if (["false", "n", "no", "off"].includes(word)) return false;
  return undefined;
};
/** An umask as a YAML integer is written: a leading 0 or 0o is octal, 0x hexadecimal, 0b binary. */
const toUmask: Cast = (text) => {
  const match = /^(?:0[oO]?([0-7]+)|0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|([1-9]\d*|0))$/.exec(text);
  if (!match) return undefined;
  const [, octal, hex, binary, decimal] = match;
  if (octal !== undefined) return parseInt(octal, 8);
  if (hex !== undefined) return parseInt(hex, 16);
  if (binary !== undefined) return parseInt(binary, 2);
  return Number(decimal);
};

const CAST_NAMES = new Map<Cast, string>([
  [toInt, "a whole number"],
  [toFloat, "a number"],
  [toBoolean, "true or false"],
  [toUmask, "an umask (a number; a leading 0 makes it octal)"],
]);

/**
 * The keys whose text compose-go turns into a number or a boolean once interpolated (its loader's
 * interpolateTypeCastMapping), so that `read_only: ${RO:-false}` or `replicas: "${N}"` are read
 * as compose reads them. `*` is any one key or list item.
 */
const CASTS: [string[], Cast][] = [
  ...["external", "internal", "attachable", "enable_ipv4", "enable_ipv6"].map((key): [string[], Cast] => [
    ["networks", "*", key],
    toBoolean,
  ]),
  ...["volumes", "secrets", "configs"].map((kind): [string[], Cast] => [[kind, "*", "external"], toBoolean]),
  ...(
    [
      [["cpu_count"], toInt],
      [["cpu_percent"], toFloat],
      [["cpu_period"], toInt],
      [["cpu_quota"], toInt],
      [["cpu_rt_period"], toInt],
      [["cpu_rt_runtime"], toInt],
      [["cpus"], toFloat],
      [["cpu_shares"], toInt],
      [["init"], toBoolean],
      [["networks", "*", "use_service_name_alias"], toBoolean],
      [["oom_kill_disable"], toBoolean],
      [["oom_score_adj"], toInt],
      [["pids_limit"], toInt],
      [["privileged"], toBoolean],
      [["read_only"], toBoolean],
      [["umask"], toUmask],
      [["ulimits", "*"], toInt],
      [["ulimits", "*", "hard"], toInt],
      [["ulimits", "*", "soft"], toInt],
      [["volumes", "*", "read_only"], toBoolean],
      [["volumes", "*", "volume", "nocopy"], toBoolean],
      [["depends_on", "*", "required"], toBoolean],
      [["depends_on", "*", "restart"], toBoolean],
      [["healthcheck", "retries"], toInt],
      [["healthcheck", "disable"], toBoolean],
      [["ports", "*", "target"], toInt],
      [["stdin_open"], toBoolean],
      [["tty"], toBoolean],
      [["deploy", "replicas"], toInt],
      [["deploy", "update_config", "parallelism"], toInt],
      [["deploy", "update_config", "max_failure_ratio"], toFloat],
      [["deploy", "rollback_config", "parallelism"], toInt],
      [["deploy", "rollback_config", "max_failure_ratio"], toFloat],
      [["deploy", "restart_policy", "max_attempts"], toInt],
      [["deploy", "placement", "max_replicas_per_node"], toInt],
      [["scale"], toInt],
    ] as [string[], Cast][]
  ).flatMap(([keys, cast]): [string[], Cast][] => [
    [["services", "*", ...keys], cast],
    [["services", "*", "pre_start", "*", ...keys], cast],
  ]),
];

const matches = (pattern: string[], at: string[]): boolean =>
  pattern.length === at.length && pattern.every((part, index) => part === "*" || part === at[index]);

/**
 * A string value as compose reads it once interpolated: a number or a boolean at the keys compose
 * types (`read_only`, `deploy.replicas`, `ports[].target`...), else the text.
 * @param at the value's keys in the document (a list item is its index, as a string)
 * @param where the value's path for messages
 * @param warn receives compose's note on a YAML 1.1 boolean (yes, no, on, off)
 * @throws InterpolationError when the text is not of the key's type
 */
export function typed(
  text: string,
  at: string[],
  where: string,
  warn: (message: string) => void = () => undefined,
): string | number | boolean {
  const cast = CASTS.find(([pattern]) => matches(pattern, at))?.[1];
  if (cast === undefined) return text;
  const value = cast(text);
  if (value === undefined) {
    throw new InterpolationError(`${where} must be ${CAST_NAMES.get(cast) ?? "of another type"}, got ${JSON.stringify(text)}`);
  }
  if (cast === toBoolean && !["true", "false"].includes(text.toLowerCase())) {
    warn(`${where}: ${JSON.stringify(text)} for a boolean is YAML 1.1; write ${String(value)}`);
  }
  return value;
}
