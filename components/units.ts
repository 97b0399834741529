/**
 * Resource units as people type them (`docker run --cpus=.5 --memory=100m`), converted exactly into
 * what the Docker provider and Kubernetes expect. One helper for both back ends, so a service gets
 * the same limits wherever it runs.
 */
import { ValidationError } from "./errors";

const KIB = 1024;
const MIB = KIB * 1024;

/** Docker refuses a memory limit under 6 MiB. */
export const MIN_MEMORY_BYTES = 6 * MIB;

const MEMORY_SUFFIX_POWER: Record<string, number> = { "": 0, k: 1, m: 2, g: 3, t: 4 };

/**
 * The same grammar as Docker's `--memory` (binary units, case-insensitive, optional `i` and `b`):
 * "100m", "1g", "1.5g", "512Mi", "1GiB", "104857600".
 */
const MEMORY_PATTERN = /^(\d+(?:\.\d+)?)\s?([kmgt]?)(i?)(b?)$/i;

/**
 * A value in the wrong unit or grammar. A ValidationError, so a component passes its own subject as
 * `what` (`Container "vote": memory`) and the message is written once, here, with no re-wrapping.
 */
export class UnitError extends ValidationError {
  constructor(message: string) {
    super(message);
    this.name = "UnitError";
  }
}

/**
 * Parses a memory size into bytes. `what` names the field in error messages, e.g.
 * `service "vote": memory` or `Container "vote": memory`.
 */
export function parseMemory(value: string | number, what = "memory"): number {
  const bytes = parseSize(value, what, 'a size like "100m", "1g" or "512Mi" (units b, k, m, g, t; binary, as in docker run --memory)');
  if (bytes < MIN_MEMORY_BYTES) {
    // A number with no unit is bytes, as docker run --memory reads it: say so, as 512 most likely meant 512m.
    const unitless = /^\s*\d+(?:\.\d+)?\s*$/.test(String(value)) && Number(value) > 0;
    throw new UnitError(
      `${what} must be at least 6m (Docker's minimum), got ${JSON.stringify(value)}${unitless ? ` (${Number(value)} bytes: a number without a unit is bytes; write ${Number(value)}m for MiB)` : ""}`,
    );
  }
  return bytes;
}

/**
 * Parses a storage size (a volume claim's request) into bytes: the same grammar as memory, but no
 * memory limit's minimum applies, only more than 0 bytes.
 */
export function parseStorageSize(value: string | number, what = "size"): number {
  // "10GB": binary here as in Docker's grammar, but a storage size goes to Kubernetes, where G is 1000³.
  const decimalLooking = typeof value === "string" ? /^(\d+(?:\.\d+)?)\s?([kmgt])b$/i.exec(value.trim()) : null;
  if (decimalLooking) {
    const [, amount, unit] = decimalLooking;
    throw new UnitError(
      `${what} ${JSON.stringify(value)} is ambiguous: dockyard reads sizes in binary units (${amount}${unit.toUpperCase()}i, ${amount} × 1024^${MEMORY_SUFFIX_POWER[unit.toLowerCase()]} bytes), Kubernetes reads ${amount}${unit.toUpperCase()} as ${amount} × 1000^${MEMORY_SUFFIX_POWER[unit.toLowerCase()]}; write "${amount}${unit.toUpperCase()}i"`,
    );
  }
  const bytes = parseSize(value, what, 'a storage size like "1Gi", "512Mi" or "10g" (units b, k, m, g, t; binary)');
  if (bytes === 0) {
    throw new UnitError(`${what} must be more than 0, got ${JSON.stringify(value)}`);
  }
  return bytes;
}

/** Bytes of a size in the memory grammar; `rule` says what is allowed when the text does not parse. */
function parseSize(value: string | number, what: string, rule: string): number {
  const text = typeof value === "number" ? String(value) : value.trim();
  const match = MEMORY_PATTERN.exec(text);
  if (!match) {
    throw new UnitError(`${what} must be ${rule}, got ${JSON.stringify(value)}`);
  }
  const [, amount, suffix] = match;
  const power = MEMORY_SUFFIX_POWER[suffix.toLowerCase()];
  const bytes = decimalTimesPowerOf1024(amount, power);
  if (bytes === undefined) {
    throw new UnitError(`${what} must be a whole number of bytes, got ${JSON.stringify(value)}`);
  }
  if (!Number.isSafeInteger(bytes)) {
    throw new UnitError(`${what} is too large, got ${JSON.stringify(value)}`);
  }
  return bytes;
}

/** `amount` × 1024^power, exactly, or undefined when the result is not a whole number. */
function decimalTimesPowerOf1024(amount: string, power: number): number | undefined {
  const [whole, fraction = ""] = amount.split(".");
  const scale = 10n ** BigInt(fraction.length);
  const numerator = BigInt(whole + fraction) * 1024n ** BigInt(power);
  if (numerator % scale !== 0n) {
    return undefined;
  }
  return Number(numerator / scale);
}

/**
 * The Docker provider takes `memory` as an integer number of MiB. A size that is not a whole number
 * of MiB cannot be expressed there, so it is refused rather than rounded.
 */
/**
 * Checks a stop grace period: whole seconds, 0 or more (Docker's stop timeout, a swarm task's stop
 * grace period, a pod's terminationGracePeriodSeconds).
 */
export function checkStopGraceSeconds(value: number, what = "stopGracePeriodSeconds"): number {
  if (!Number.isInteger(value) || value < 0)
    throw new ValidationError(`${what} must be a whole number of seconds, 0 or more, got ${value}`);
  return value;
}

export function memoryToDockerMiB(bytes: number, what = "memory"): number {
  if (bytes % MIB !== 0) {
    throw new UnitError(`${what} must be a whole number of MiB for Docker, got ${bytes} bytes (${(bytes / MIB).toFixed(3)} MiB)`);
  }
  return bytes / MIB;
}

const QUANTITY_SUFFIXES: Array<[string, number]> = [
  ["Ti", 1024 ** 4],
  ["Gi", 1024 ** 3],
  ["Mi", MIB],
  ["Ki", KIB],
];

/** A Kubernetes quantity for a byte count: the largest binary suffix that divides it exactly. */
export function memoryToQuantity(bytes: number): string {
  for (const [suffix, size] of QUANTITY_SUFFIXES) {
    if (bytes % size === 0) {
      return `${bytes / size}${suffix}`;
    }
  }
  return String(bytes);
}

/**
 * Validates a CPU count (`--cpus=0.5`) and returns it in millicores. Kubernetes resolves CPU to
 * 1m, so anything finer is refused instead of silently rounded.
 */
export function parseCpus(value: number, what = "cpus"): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    // String(), not JSON: Infinity and NaN are shown as such (JSON would say null).
    throw new UnitError(`${what} ${CPUS_RULE}, got ${typeof value === "number" ? String(value) : JSON.stringify(value)}`);
  }
  const millis = Math.round(value * 1000);
  if (Math.abs(value * 1000 - millis) > 1e-6) {
    throw new UnitError(`${what} must be a multiple of 0.001 CPU, got ${value}`);
  }
  if (millis < MIN_MILLICPUS) {
    throw new UnitError(
      `${what} must be at least ${MIN_MILLICPUS / 1000} CPU, the smallest CPU quota the kernel takes (Docker and swarm refuse less), got ${value}`,
    );
  }
  return millis;
}

const CPUS_RULE = "must be a number of CPUs greater than 0, like 0.5 or 2";
/** The smallest CPU limit, in millicores: the kernel's CFS quota is at least 1 ms per 100 ms period. */
export const MIN_MILLICPUS = 10;

/**
 * The text the Docker provider reads a container's cpus limit back as, from the engine's NanoCPUs
 * (its nanoInt64ToDecimalString): nine decimals with the trailing zeros cut, except that a text with
 * exactly nine zeros in it is rounded to one decimal ("1.0", but also "0.05" read as "0.1" and "10"
 * as "10.").
 */
export function dockerCpusReadBack(millis: number): string {
  const whole = Math.floor(millis / 1000);
  const nine = `${whole}.${String((millis % 1000) * 1_000_000).padStart(9, "0")}`;
  if ((nine.match(/0/g) ?? []).length !== 9) return nine.replace(/0+$/, "");
  const tenths = Math.round(millis / 100); // half away from zero, as big.Rat's FloatString rounds
  return `${Math.floor(tenths / 10)}.${tenths % 10}`;
}

/** Whether the Docker provider reads this limit back as the same number of CPUs (else a replacement on every up). */
export function dockerKeepsCpus(millis: number): boolean {
  return Math.round(Number(dockerCpusReadBack(millis)) * 1000) === millis;
}

/**
 * The Docker provider's `cpus` string for a limit it keeps (dockerKeepsCpus), written the way it
 * reads it back from the engine ("0.5", "1.0", "10."), so an unchanged limit shows no diff.
 */
export function cpusToDocker(millis: number): string {
  if (!dockerKeepsCpus(millis)) {
    throw new UnitError(
      `cpus ${millis / 1000} is read back by the Docker provider as ${dockerCpusReadBack(millis)}; ${dockerCpusAdvice(millis)}`,
    );
  }
  return dockerCpusReadBack(millis);
}

/** The nearest limits on either side that the Docker provider keeps, as advice. */
export function dockerCpusAdvice(millis: number): string {
  let below = millis - 1;
  while (below >= MIN_MILLICPUS && !dockerKeepsCpus(below)) below--;
  let above = Math.max(millis + 1, MIN_MILLICPUS);
  while (!dockerKeepsCpus(above)) above++;
  return below >= MIN_MILLICPUS ? `use ${below / 1000} or ${above / 1000}` : `use ${above / 1000}`;
}

/** A Kubernetes CPU quantity: whole cores as "2", the rest in millicores ("500m"). */
export function cpusToQuantity(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}
