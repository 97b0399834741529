/**
 * The compose value grammars dockyard reads, each parsed in one place: durations, byte sizes,
 * command words and KEY=value lists. A value a parser cannot read is refused with what is allowed.
 */
import { parse as shellWords } from "shell-quote";
import { shown } from "../errors";
import { SecondsField, SECONDS_RANGES, secondsRule } from "../resolve";
import { Doc, isMap, Refusals } from "./context";

/** Nanoseconds per unit of a Go duration (time.ParseDuration, which compose-go reads durations with). */
const GO_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n,
  "\u03bcs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const GO_PART = /(\d*)(?:\.(\d*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g;
const GO_DURATION = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$/;
/** The largest duration Go holds: int64 nanoseconds. */
const MAX_NANOS = 2n ** 63n - 1n;

/**
 * A duration as Go's time.ParseDuration reads it ("1h30m", "0.5m", "1.5h", "500ms", "-5s", "0"), in
 * nanoseconds, exactly (a fraction of a unit truncated to whole nanoseconds, as Go does); undefined
 * where Go refuses the text.
 */
export function goDurationNanos(text: string): bigint | undefined {
  if (/^[-+]?0$/.test(text)) return 0n;
  if (!GO_DURATION.test(text)) return undefined;
  let total = 0n;
  for (const [, whole, fraction = "", unit] of text.matchAll(GO_PART)) {
    const scale = GO_UNITS[unit];
    total += BigInt(whole === "" ? "0" : whole) * scale;
    if (fraction !== "") total += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
    if (total > MAX_NANOS) return undefined;
  }
  return text.startsWith("-") ? -total : total;
}

/** A value as written, with its seconds when they read differently: `"1h30m" (5400 s)`, `30`. */
function writtenSeconds(value: unknown, total: number): string {
  return typeof value === "number" || String(value).trim() === String(total) ? String(total) : `${shown(value)} (${total} s)`;
}

/**
 * Compose durations, read as compose-go reads them (Go durations: "1m30s", "0.5m", "500ms", "1h"),
 * here in whole seconds. With `field`, also within that duration's range (SECONDS_RANGES), the value
 * shown as written ("1h30m", not 5400).
 */
export function seconds(value: unknown, where: string, refused: Refusals, field?: SecondsField): number | undefined {
  const text = String(value).trim();
  const nanos = typeof value === "string" || typeof value === "number" ? goDurationNanos(text) : undefined;
  if (nanos === undefined) {
    refused.add(where, `${shown(value)} must be a duration like "30s", "1m30s", "0.5m" or "2h"`);
    return undefined;
  }
  if (nanos % 1_000_000_000n !== 0n) {
    refused.add(
      where,
      `${shown(value)} (${Number(nanos) / 1e9} s) is not a whole number of seconds, which every target needs; round it to whole seconds`,
    );
    return undefined;
  }
  const total = Number(nanos / 1_000_000_000n);
  if (field !== undefined) {
    const { min, max } = SECONDS_RANGES[field];
    if (total < min || total > max) {
      refused.add(where, `${secondsRule(field)}, got ${writtenSeconds(value, total)}`);
      return undefined;
    }
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
