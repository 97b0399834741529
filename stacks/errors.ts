/**
 * The one error class for bad input, in the stacks as in the components (a unit parser's UnitError
 * is one too): its message is produced once, where the input is checked, and names the key or model
 * path as the user wrote it (a stack config key, a compose file's key), the value as typed, and what
 * is allowed. Nothing catches and rewrites it.
 */
export { ValidationError as InputError } from "../components/errors";

/**
 * Names an input path in messages: "dockyard:services.vote.replicas" when the stack config set it,
 * `app "voting": services.vote.replicas` when the app model did.
 */
export type Where = (path: string) => string;

/** Where for a model nothing overrides. */
export const inModel =
  (app: string): Where =>
  (path) =>
    `app "${app}": ${path}`;

/** Whether a Where named a setting (a stack config key, a component's argument) rather than the app model. */
export function isConfigKey(named: string): boolean {
  return !/^app "[^"]*": /.test(named);
}

export { sortedKeys } from "../components/sorted";

/**
 * A value as a message shows it: JSON, except what JSON cannot say. A number that is not finite is
 * shown as YAML writes it (`.inf`, `-.inf`, `.nan`: compose files and stack configs are YAML), not
 * as JSON's `null`; nothing given is `nothing`.
 */
export function shown(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number" && !Number.isFinite(value)) return Number.isNaN(value) ? ".nan" : value > 0 ? ".inf" : "-.inf";
  if (typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return `[${value.map((item: unknown) => (item === undefined ? "null" : shown(item))).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${shown(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? String(value);
}

/** "1 service", "3 services": a count with its noun. */
export const counted = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;

/** "a, b, c", or "(none)" for an empty list. */
export function listOr(names: string[], none = "(none)"): string {
  return names.length > 0 ? names.join(", ") : none;
}
