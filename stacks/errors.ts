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

/** "a, b, c", or "(none)" for an empty list. */
export function listOr(names: string[], none = "(none)"): string {
  return names.length > 0 ? names.join(", ") : none;
}
