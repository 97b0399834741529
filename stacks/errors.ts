/**
 * The one error class for bad input, in the stacks as in the components (a unit parser's UnitError
 * is one too): its message is produced once, where the input is checked, and names the key or model
 * path as the user wrote it (a compose file's key, through the model's source), the value as typed,
 * and what is allowed. Nothing catches and rewrites it.
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

/** Where each model converted from a source file names its paths (the compose file and key). */
const sources = new WeakMap<object, Where>();

/** Records that `model`'s paths are named by `where` (a compose file's keys) where the stack config did not set them. */
export function setSource(model: object, where: Where): void {
  sources.set(model, where);
}

/** The Where of a model's source file, if it was converted from one. */
export function sourceOf(model: object): Where | undefined {
  return sources.get(model);
}

/**
 * `given`, except that a model path it names as the app model's is named as the model's source file
 * wrote it, when the model was converted from one (setSource).
 */
export function inSource(model: object, given: Where): Where {
  const source = sourceOf(model);
  if (source === undefined) return given;
  return (path) => {
    const named = given(path);
    return isConfigKey(named) ? named : source(path);
  };
}

/** Whether a Where named a setting (a stack config key, a component's argument) rather than the app model. */
export function isConfigKey(named: string): boolean {
  return !/^app "[^"]*": /.test(named);
}

export { sortedKeys } from "../components/sorted";

/** "a, b, c", or "(none)" for an empty list. */
export function listOr(names: string[], none = "(none)"): string {
  return names.length > 0 ? names.join(", ") : none;
}
