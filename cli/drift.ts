/**
 * `dockyard drift [STACK] [--json]`: what differs on the engine from the stack's last deployment (a
 * container removed or changed by hand): a preview that refreshes first (the Automation API's
 * preview with refresh; nothing is written), whose refresh steps say, for each resource, whether the
 * engine still has it and which fields it holds with other values than the stack's state: each is
 * listed with both values. Exit 0 when nothing differs, 1 when something drifted (`dockyard up` puts
 * it back), 3 when the engine could not tell.
 */
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { isDeepStrictEqual } from "util";
import { engineError, existingStack, projectStack, projectWorkspace, STACK_POSITIONAL } from "./project";
import { shortType, urnName } from "./progress";
import { Verb } from "./verb";

/** The value at a property path ("ports[0].external", "labels[\"a.b\"]") of an object; undefined when absent. */
export function valueAt(value: unknown, property: string): unknown {
  const segments = [...property.matchAll(/\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|([^.[\]]+)/g)].map((match) => match[1] ?? match[2] ?? match[3]);
  let current = value;
  for (const segment of segments) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** A value in a drift line: JSON, secrets hidden, long ones cut. */
function shown(value: unknown): string {
  if (value === undefined) return "(none)";
  if (isSecret(value)) return "[secret]";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Nothing said: absent, null, "", {} or []. */
function unsaid(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

/** Whether each item matches an item of `among` of its own (a list compared as a multiset, in any order). */
function eachMatched(items: unknown[], among: unknown[], match: (item: unknown, candidate: unknown) => boolean): boolean {
  const left = [...among];
  return items.every((item) => {
    const at = left.findIndex((candidate) => match(item, candidate));
    return at >= 0 && left.splice(at, 1).length === 1;
  });
}

/**
 * Whether the engine holds what the state says. What the state leaves unsaid the engine may fill in
 * (a network's gateway, an empty option as {}), and lists are compared as sets (the engine lists a
 * service's mounts in its own order): the provider's read-back of a swarm differs that way from what
 * it wrote without anything being changed.
 */
export function holds(state: unknown, engine: unknown): boolean {
  if (unsaid(state)) return true;
  if (Array.isArray(state)) {
    return Array.isArray(engine) && engine.length === state.length && eachMatched(state, engine, holds);
  }
  if (typeof state === "object") {
    if (engine === null || typeof engine !== "object" || Array.isArray(engine)) return false;
    return Object.entries(state as Record<string, unknown>).every(([key, value]) => holds(value, (engine as Record<string, unknown>)[key]));
  }
  return state === engine;
}

/**
 * Keys of a resource's state that are the provider's bookkeeping, not the engine's (the bridge's schema
 * version; the Kubernetes provider's inputs, field manager and first API version).
 */
const BOOKKEEPING = new Set(["__meta", "__inputs", "__fieldManager", "__initialApiVersion"]);

/** A key as a step of a property path: `spec`, or `["app.kubernetes.io/name"]` where it holds a dot or a bracket. */
function pathStep(path: string, key: string): string {
  return /^[A-Za-z0-9_$/-]+$/.test(key) ? (path === "" ? key : `${path}.${key}`) : `${path}["${key}"]`;
}

/** A secret value as the engine passes it: the secret's signature key. */
function isSecret(value: unknown): boolean {
  return (
    value !== null && typeof value === "object" && (value as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] !== undefined
  );
}

/**
 * The paths the stack set (a Kubernetes object's `__inputs`) whose value differs between the object as
 * deployed (`before`) and as the engine has it now (`after`). The Kubernetes provider's refresh reports
 * no diff of its own, and both sides are the API server's answers, so quantities and defaults are written
 * alike. Objects are followed by the keys the stack gave, lists item by item while they keep their
 * length; a list that lost or changed an item is one path. What others added beside the stack's fields (an
 * annotation, an env var: another field manager's under server-side apply, which `dockyard up` leaves
 * alone) is not drift.
 */
export function inputDrift(inputs: unknown, before: unknown, after: unknown, path = ""): string[] {
  if (inputs === null || typeof inputs !== "object" || isSecret(inputs)) return isDeepStrictEqual(before, after) ? [] : [path];
  if (Array.isArray(inputs)) {
    if (!Array.isArray(before) || !Array.isArray(after)) return isDeepStrictEqual(before, after) ? [] : [path];
    if (before.length !== after.length) return eachMatched(before, after, isDeepStrictEqual) ? [] : [path];
    return inputs.flatMap((item, index) => inputDrift(item, before[index], after[index], `${path}[${index}]`));
  }
  return Object.keys(inputs)
    .filter((key) => !BOOKKEEPING.has(key))
    .flatMap((key) =>
      inputDrift(
        (inputs as Record<string, unknown>)[key],
        (before as Record<string, unknown> | undefined)?.[key],
        (after as Record<string, unknown> | undefined)?.[key],
        pathStep(path, key),
      ),
    );
}

/** A refresh step of a resource the stack deployed (not a component, not a provider). */
function isRefreshOfResource(step: StepEventMetadata): boolean {
  return step.op === "refresh" && step.old?.custom === true && !step.type.startsWith("pulumi:providers:");
}

/** The line of a resource the engine no longer has. */
function missingLine(step: StepEventMetadata): string {
  return `${shortType(step.type)} ${urnName(step.urn)}: missing on the engine (dockyard up creates it again)`;
}

/**
 * The drift lines of one refresh step: what the engine has that the stack's state does not (a
 * resource gone, or fields with other values). Steps of the program's components, and steps that are
 * not a refresh (the preview's plan after it), say nothing.
 */
export function driftLines(step: StepEventMetadata): string[] {
  if (!isRefreshOfResource(step)) return [];
  if (step.new === undefined) return [missingLine(step)];
  const what = `${shortType(step.type)} ${urnName(step.urn)}`;
  // The detailed diff names each changed field by its path; the plain list, only the top-level keys. A
  // Kubernetes object has neither: the fields its inputs set are compared (inputDrift).
  const detailed = Object.keys(step.detailedDiff ?? {});
  const inputs = step.old?.outputs?.__inputs;
  const fields = [
    ...new Set([
      ...(detailed.length > 0 ? detailed : (step.diffs ?? []))
        .filter((field) => !BOOKKEEPING.has(field.split(/[.[]/)[0]))
        .filter((field) => !holds(valueAt(step.old?.outputs, field), valueAt(step.new?.outputs, field))),
      ...(inputs === undefined ? [] : inputDrift(inputs, step.old?.outputs, step.new?.outputs)),
    ]),
  ].sort();
  if (fields.length === 0) return [];
  return [
    `${what}: ${fields.length} field${fields.length === 1 ? "" : "s"} changed on the engine`,
    ...fields.map(
      (field) => `  ${field}: stack ${shown(valueAt(step.old?.outputs, field))}, engine ${shown(valueAt(step.new?.outputs, field))}`,
    ),
  ];
}

/**
 * What `dockyard drift` says of a refreshed preview: the refresh steps, the plan's creates of resources
 * the state holds (removed by hand: the refresh dropped them) and the plan's error, if it failed. Exit 1
 * when something drifted (even when the plan after the refresh failed: what the refresh found stands),
 * 0 when nothing did, 3 when nothing did but the preview failed (the engine could not tell).
 */
export function driftReport(
  stack: string,
  steps: StepEventMetadata[],
  recreated: StepEventMetadata[],
  planError?: string,
): { out: string[]; err: string[]; code: number } {
  const missing = new Map<string, string>();
  for (const step of steps) {
    if (isRefreshOfResource(step) && step.new === undefined) missing.set(step.urn, missingLine(step));
  }
  for (const step of recreated) {
    if (step.new?.custom !== false) missing.set(step.urn, missingLine(step));
  }
  const changed = steps.filter((step) => !missing.has(step.urn) && driftLines(step).length > 0);
  const drifted = missing.size + new Set(changed.map((step) => step.urn)).size;
  if (drifted === 0) {
    return planError === undefined
      ? { out: [`stack ${stack}: no drift: the engine matches the stack`], err: [], code: 0 }
      : { out: [], err: [`dockyard drift: could not check: ${planError}`], code: 3 };
  }
  return {
    out: [
      `stack ${stack}: ${drifted} resource${drifted === 1 ? "" : "s"} drifted`,
      ...[...missing.values(), ...changed.flatMap(driftLines)].map((line) => `  ${line}`),
    ],
    err: planError === undefined ? [] : [`dockyard drift: the plan after the refresh failed (dockyard up would too): ${planError}`],
    code: 1,
  };
}

export const driftVerb: Verb = {
  name: "drift",
  summary: "what differs on the engine from the stack (changed or removed by hand); exit 1 when something does",
  positionals: [STACK_POSITIONAL],
  options: {
    json: { type: "boolean", description: "print the preview's events as JSON lines instead of the report" },
  },
  async run(args, io) {
    const loaded = projectStack("drift", args, io);
    const workspace = projectWorkspace("drift", io, false);
    const stack = await existingStack("drift", io, loaded.stack, workspace);
    const json = args.values.json === true;
    const steps: StepEventMetadata[] = [];
    // A resource removed by hand: the refresh drops it from the preview's state, so the plan after
    // it creates it again. A create of a resource the stack's state holds is that.
    const recreated: StepEventMetadata[] = [];
    let inState: Set<string>;
    try {
      const state = (await stack.exportStack()).deployment as { resources?: Array<{ urn: string }> } | undefined;
      inState = new Set((state?.resources ?? []).map((resource) => resource.urn));
    } catch (error) {
      io.err(`dockyard drift: could not check: ${engineError(error)}`);
      return 3;
    }
    const onEvent = (event: EngineEvent) => {
      if (json) io.out(`${JSON.stringify(event)}\n`);
      // A refresh step's outcome: the state before (old) and what the engine has (new; none when gone).
      const done = event.resOutputsEvent;
      if (done !== undefined) steps.push(done.metadata);
      const pre = event.resourcePreEvent?.metadata;
      if (pre !== undefined && pre.op === "create" && inState.has(pre.urn) && !pre.type.startsWith("pulumi:providers:")) {
        recreated.push(pre);
      }
    };
    // The refresh comes first; the plan after it may fail (on Kubernetes, a field another field manager
    // took over is a conflict): what the refresh found is still the answer, with the plan's error beside it.
    let planError: string | undefined;
    try {
      await stack.preview({ refresh: true, onEvent, color: "never" });
    } catch (error) {
      planError = engineError(error);
    }
    const report = driftReport(loaded.stack, steps, recreated, planError);
    if (!json) report.out.forEach((line) => io.out(`${line}\n`));
    report.err.forEach((line) => io.err(line));
    return report.code;
  },
};
