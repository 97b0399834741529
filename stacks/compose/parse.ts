/**
 * The compose value grammars dockyard reads, each parsed in one place: durations, byte sizes,
 * command words and KEY=value lists. A value a parser cannot read is refused with what is allowed.
 */
import { parse as shellWords } from "shell-quote";
import { shown } from "../errors";
import { Doc, isMap, Refusals } from "./context";

/** Compose durations: "1m30s", "10s", "500ms", "1h"; whole seconds here. */
export function seconds(value: unknown, where: string, refused: Refusals): number | undefined {
  const text = String(value).trim();
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  if (!match || text === "") {
    refused.add(where, `${shown(value)} must be a duration like "30s", "1m30s" or "2h"`);
    return undefined;
  }
  const [, h, m, s, ms] = match.map((part) => Number(part ?? 0));
  const total = h * 3600 + m * 60 + s + ms / 1000;
  if (!Number.isInteger(total)) {
    refused.add(where, `${shown(value)} is not a whole number of seconds, which both targets need`);
    return undefined;
  }
  return total;
}

/** Compose byte values ("128m", "1gb", "512M", 268435456) in the model's grammar; the model's parser checks them. */
export function byteSize(value: unknown): string {
  if (typeof value === "number") return String(value);
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg])b?$/i.exec(String(value).trim());
  return match && String(value).toLowerCase().endsWith("b") && match[2].toLowerCase() !== "b"
    ? `${match[1]}${match[2].toLowerCase()}`
    : String(value);
}

/** Stands for `$` while shell-quote splits a command: it would expand `$VAR` (to nothing), compose-go's split keeps it. */
const DOLLAR = "\u{F0024}";

/**
 * A command as a list, or a string split as a shell would (operators refused), as compose-go
 * splits it: quotes removed, `$VAR` and `${VAR}` kept as written for the container's shell or
 * program (compose interpolated the file already; `$$VAR` there is `$VAR` here).
 */
export function words(value: unknown, where: string, refused: Refusals): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string") {
    const parsed = shellWords(value.split("$").join(DOLLAR));
    if (parsed.some((part) => typeof part !== "string")) {
      refused.add(where, `${shown(value)} uses shell operators; write it as a list, or as ["sh", "-c", "..."]`);
      return [];
    }
    return (parsed as string[]).map((word) => word.split(DOLLAR).join("$"));
  }
  refused.add(where, "must be a string or a list of strings");
  return [];
}

/** A map, or a list of "KEY=value" (a bare "KEY" takes its value from nowhere: refused). */
export function keyValues(raw: unknown, at: string, refused: Refusals): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const text = String(item);
      const eq = text.indexOf("=");
      if (eq < 0) {
        refused.add(
          at,
          `entry ${shown(text)} has no value; write ${text}=<value> (dockyard does not read the deploying shell's environment at run time)`,
        );
        continue;
      }
      out[text.slice(0, eq)] = text.slice(eq + 1);
    }
  } else if (isMap(raw)) {
    for (const [key, value] of Object.entries(raw as Doc)) {
      if (value === null || value === undefined) {
        refused.add(`${at}.${key}`, "has no value; give it one (dockyard does not read the deploying shell's environment at run time)");
        continue;
      }
      out[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  } else {
    refused.add(at, "must be a map or a list of KEY=value");
  }
  return out;
}
