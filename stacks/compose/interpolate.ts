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

function evaluate(parts: Part[], variables: Record<string, string | undefined>, where: string, warn: (message: string) => void): string {
  const argument = (part: Part & { kind: "variable" }): string => evaluate(part.argument, variables, where, warn);
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
          if (!set) warn(`The "${part.name}" variable is not set. Defaulting to a blank string.`);
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
  return evaluate(parts, variables, where, warn);
}
