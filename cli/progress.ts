/**
 * Live progress of an engine operation (up, down) from its events (the Automation API's onEvent): one
 * line per resource on the engine (not the program's components) as it is created, updated, replaced or
 * deleted, with a counter, how long the step took and the time since the start; the failing resource's own error; warnings; and a summary at the
 * end. Pure: events in, lines out, so a test drives it with recorded events.
 */
import type { EngineEvent, OpType, StepEventMetadata } from "@pulumi/pulumi/automation";

/**
 * What a step did, in the past tense; steps without a line (same, read, refresh) are absent. A
 * replacement is two lines, its new resource's (create-replacement) and its old one's (delete-replaced):
 * the engine's "replace" step between them does nothing on the engine.
 */
const DONE: Partial<Record<OpType, string>> = {
  create: "created",
  update: "updated",
  delete: "deleted",
  "create-replacement": "replaced",
  "delete-replaced": "deleted (replaced)",
  import: "imported",
  "import-replacement": "imported",
  "discard-replaced": "deleted (replaced)",
};

/** The words of the summary's counts, in the order they are listed. */
const COUNTED: Array<[string, string]> = [
  ["create", "created"],
  ["update", "updated"],
  ["replace", "replaced"],
  ["delete", "deleted"],
  ["same", "unchanged"],
];

/** What the engine says when it takes a signal (Ctrl-C, SIGTERM): it then lets the operations under way finish, records them, and stops. */
export const ENGINE_CANCELLING = /^(\^C|SIGTERM) received; cancelling/;

/** "urn:pulumi:dev::dockyard::a$b:c:C::voting-dev-db" → "voting-dev-db". */
export function urnName(urn: string): string {
  const at = urn.lastIndexOf("::");
  return at < 0 ? urn : urn.slice(at + 2);
}

/** "docker:index/container:Container" → "docker Container"; "dockyard:docker:Service" → "dockyard Service". */
export function shortType(type: string): string {
  const parts = type.split(":");
  return parts.length < 2 ? type : `${parts[0]} ${parts[parts.length - 1]}`;
}

/** Seconds as "4s", "1m05s". */
export function seconds(value: number): string {
  const whole = Math.max(0, Math.round(value));
  return whole >= 60 ? `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s` : `${whole}s`;
}

/** The engine's ANSI colour codes: ESC [ ... m. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** An engine message without its colour codes (ANSI, or the engine's own tags) and surrounding whitespace. */
export function plain(message: string): string {
  return message
    .replace(ANSI, "")
    .replace(/<\{%(?:reset|fg \d+|bold)%\}>/g, "")
    .trim();
}

/**
 * Whether a step is of something on the engine: a resource a provider manages, not one of the
 * program's components (dockyard Container holding a docker Container), the stack, or a provider.
 */
export function engineObject(metadata: StepEventMetadata): boolean {
  const state = metadata.new ?? metadata.old;
  return state?.custom === true && !metadata.type.startsWith("pulumi:providers:");
}

/** "urn:pulumi:dev::dockyard::dockyard:k8s:Service$kubernetes:apps/v1:Deployment::vote" → "kubernetes:apps/v1:Deployment". */
export function urnType(urn: string): string {
  const parts = urn.split("::");
  if (parts.length < 4) return "";
  const types = parts[parts.length - 2];
  return types.slice(types.lastIndexOf("$") + 1);
}

/** A resource whose step failed: what a verb needs to look closer at it (a Deployment's pods). */
export interface FailedResource {
  urn: string;
  type: string;
  /** The inputs the step was given, when the event carries them. @default - none */
  inputs?: Record<string, unknown>;
  /** The engine's error messages about it, as printed. @default - none */
  messages?: string[];
}

/** Turns an operation's events into progress lines. */
export class Progress {
  #count = 0;
  #failed = false;
  /** Whether the engine took a signal (it then finishes what is under way, starts nothing more, and stops). */
  #stopped = false;
  /** The resources whose step failed, in the order they failed, each once. */
  readonly failures: FailedResource[] = [];
  readonly #started = new Map<string, number>();
  /** Diagnostics already printed: the engine repeats some (a plugin's version warning at refresh and update). */
  readonly #said = new Set<string>();
  readonly #startedAt: number;

  /** @param verb "up" or "down", for the summary. @param startedAt the start, in ms since the epoch. */
  constructor(
    private readonly verb: string,
    startedAt: number,
  ) {
    this.#startedAt = startedAt;
  }

  /** Whether a resource failed. */
  get failed(): boolean {
    return this.#failed;
  }

  /** The lines an event adds (often none). */
  lines(event: EngineEvent): string[] {
    const at = event.timestamp * 1000;
    const elapsed = seconds((at - this.#startedAt) / 1000);
    const pre = event.resourcePreEvent;
    if (pre !== undefined && !pre.planning) {
      this.#started.set(pre.metadata.urn, at);
      return [];
    }
    const done = event.resOutputsEvent;
    if (done !== undefined && !done.planning) return this.#step(done.metadata, at, elapsed);
    const failed = event.resOpFailedEvent;
    if (failed !== undefined) {
      this.#failed = true;
      this.#count += 1;
      const { metadata } = failed;
      this.#recordFailure(metadata.urn, metadata.type, (metadata.new ?? metadata.old)?.inputs);
      return [`[${this.#count}] FAILED to ${metadata.op} ${shortType(metadata.type)} ${urnName(metadata.urn)} (at ${elapsed})`];
    }
    const diagnostic = event.diagnosticEvent;
    if (diagnostic !== undefined && (diagnostic.severity === "error" || diagnostic.severity === "warning")) {
      const message = plain(diagnostic.message);
      if (message === "" || /^update failed$/i.test(message) || this.#said.has(message)) return [];
      this.#said.add(message);
      const who = diagnostic.urn ? `${urnName(diagnostic.urn)}: ` : "";
      const text = `${diagnostic.severity}: ${who}${message.split("\n").join("\n    ")}`;
      if (diagnostic.severity === "error" && diagnostic.urn) {
        this.#failed = true;
        this.#recordFailure(diagnostic.urn, urnType(diagnostic.urn), undefined, message);
      }
      return [text];
    }
    if (event.stdoutEvent !== undefined && ENGINE_CANCELLING.test(event.stdoutEvent.message)) this.#stopped = true;
    const summary = event.summaryEvent;
    if (summary !== undefined) {
      const changes = summary.resourceChanges as Record<string, number>;
      const counts = COUNTED.flatMap(([op, word]) => ((changes[op] ?? 0) > 0 ? [`${changes[op]} ${word}`] : []));
      const outcome = this.#failed || summary.maybeCorrupt ? "FAILED" : this.#stopped ? "stopped" : "done";
      return [`${this.verb} ${outcome} in ${seconds(summary.durationSeconds)}: ${counts.length > 0 ? counts.join(", ") : "nothing to do"}`];
    }
    return [];
  }

  #recordFailure(urn: string, type: string, inputs?: Record<string, unknown>, message?: string): void {
    let known = this.failures.find((failure) => failure.urn === urn);
    if (known === undefined) {
      known = { urn, type, ...(inputs === undefined ? {} : { inputs }) };
      this.failures.push(known);
    } else if (known.inputs === undefined && inputs !== undefined) known.inputs = inputs;
    if (message !== undefined) known.messages = [...(known.messages ?? []), message];
  }

  #step(metadata: StepEventMetadata, at: number, elapsed: string): string[] {
    const word = DONE[metadata.op];
    if (word === undefined || !engineObject(metadata)) return [];
    this.#count += 1;
    const began = this.#started.get(metadata.urn);
    const took = began === undefined ? "" : `${seconds((at - began) / 1000)}, `;
    return [`[${this.#count}] ${word} ${shortType(metadata.type)} ${urnName(metadata.urn)} (${took}at ${elapsed})`];
  }
}
