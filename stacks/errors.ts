/**
 * The one error the stack layers raise for bad input (stack config or app model). Its message is
 * produced once, where the input is checked, and names the key or model path as the user wrote it,
 * the value as typed, and what is allowed. Nothing catches and rewrites it.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/**
 * Names an input path in messages: "dockyard:services.vote.replicas" when the stack config set it,
 * `app "voting": services.vote.replicas` when the app model did.
 */
export type Where = (path: string) => string;

/** Whether a Where named a stack config key (rather than the app model). */
export function isConfigKey(named: string): boolean {
  return named.startsWith("dockyard:");
}

/** Where for a model nothing overrides. */
export const inModel =
  (app: string): Where =>
  (path) =>
    `app "${app}": ${path}`;

export { sortedKeys } from "../components/sorted";

/** "a, b, c", or "(none)" for an empty list. */
export function listOr(names: string[], none = "(none)"): string {
  return names.length > 0 ? names.join(", ") : none;
}
