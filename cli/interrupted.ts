/**
 * What an interrupted update leaves (Ctrl-C twice, a lost SSH session, an OOM-killed CI job), settled
 * before `dockyard up` deploys:
 * - the stack's lock on a file backend (.pulumi/locks/...): when its process, on this machine, is gone,
 *   the lock is removed (`pulumi cancel`); when it still runs or ran on another machine, up stops with one
 *   line naming the lock and what to do;
 * - pending operations in the state: a create the engine began but never recorded may have left its
 *   container or network on the engine, which the next create would collide with (same name). Each one
 *   labelled as this stack's is removed (containers first, then networks); a volume is kept, since the
 *   next create adopts a volume of the same name with its data; an image is simply built again. Then
 *   `pulumi refresh --clear-pending-creates` drops them from the state. A pending create of any other
 *   kind stops up with the exact command to run once it has been checked by hand. Never a silent duplicate.
 */
import type { Deployment, EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandError } from "./args";
import { ENGINE_CANCELLING } from "./progress";
import { dockerCommand, EngineCommand } from "./runtime";
import { LoadedStack } from "./stack";
import { Io } from "./verb";

/** A lock file of a file backend, as the engine writes it. */
export interface StackLock {
  file: string;
  pid: number;
  username: string;
  hostname: string;
  timestamp: string;
}

/** The lock files of a stack on a file backend (file://DIR), in both layouts; none for other backends. */
export function stackLocks(backendUrl: string | undefined, project: string, stack: string): StackLock[] {
  if (backendUrl === undefined || !backendUrl.startsWith("file://")) return [];
  const dir = backendUrl.slice("file://".length).split("?")[0];
  const locks: StackLock[] = [];
  for (const folder of [path.join(dir, ".pulumi", "locks", "organization", project, stack), path.join(dir, ".pulumi", "locks", stack)]) {
    let names: string[];
    try {
      names = fs.readdirSync(folder);
    } catch {
      continue;
    }
    for (const name of names.filter((entry) => entry.endsWith(".json")).sort()) {
      const file = path.join(folder, name);
      try {
        const lock = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<StackLock>;
        locks.push({
          file,
          pid: Number(lock.pid),
          username: String(lock.username ?? "?"),
          hostname: String(lock.hostname ?? "?"),
          timestamp: String(lock.timestamp ?? "?"),
        });
      } catch {
        // removed meanwhile (the update ended), or not a lock
      }
    }
  }
  return locks;
}

/** Whether a process of this machine still runs the engine (pid alive and a pulumi command line). */
export function engineRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    return /pulumi/.test(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8"));
  } catch {
    return false;
  }
}

/** One lock in a message: who, which process, since when, which file. */
function describeLock(lock: StackLock): string {
  return `pid ${lock.pid} of ${lock.username}@${lock.hostname}, since ${lock.timestamp}; lock file ${lock.file}`;
}

/**
 * Of a stack's locks: none held (undefined), all left by processes of this machine that are gone
 * ("stale"), or the one that is held (a running update, or one on another machine we cannot check).
 */
export function lockState(
  locks: StackLock[],
  hostname: string = os.hostname(),
  running: (pid: number) => boolean = engineRunning,
): { stale: StackLock[] } | { held: StackLock } | undefined {
  if (locks.length === 0) return undefined;
  const held = locks.find((lock) => lock.hostname !== hostname || running(lock.pid));
  return held === undefined ? { stale: locks } : { held };
}

/** The line that refuses an up on a locked stack. */
export function lockedMessage(stack: string, lock: StackLock): string {
  return `dockyard up: stack ${stack} is locked by another update (${describeLock(lock)}): wait for it to end, then run dockyard up ${stack} again; if that process is gone for good, pulumi cancel --yes -s ${stack} removes the lock`;
}

/** A pending operation of the state, in the terms up acts on. */
export interface PendingOperation {
  /** creating, updating, deleting, reading, importing. */
  operation: string;
  urn: string;
  /** The resource type token. */
  type: string;
  /** The physical name (inputs.name), when it has one. */
  name?: string;
  /** A custom resource (an object of a provider); false for a component, which has nothing on any engine. */
  custom: boolean;
}

/** The pending operations a deployment holds. */
export function pendingOperations(deployment: Deployment): PendingOperation[] {
  const state = deployment.deployment as {
    pending_operations?: { type?: string; resource?: { urn?: string; type?: string; custom?: boolean; inputs?: { name?: unknown } } }[];
  };
  return (state.pending_operations ?? []).map((pending) => {
    const resource = pending.resource ?? {};
    const name = resource.inputs?.name;
    return {
      operation: String(pending.type ?? "?"),
      urn: String(resource.urn ?? "?"),
      type: String(resource.type ?? "?"),
      custom: resource.custom === true,
      ...(typeof name === "string" ? { name } : {}),
    };
  });
}

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const VOLUME = "docker:index/volume:Volume";
const IMAGE = "docker:index/image:Image";

/** What up does about one pending create on the engine: remove an object, keep it, nothing, or stop. */
export type Repair =
  | { action: "remove"; kind: "container" | "network"; name: string }
  | { action: "absent" | "keep" | "rebuild" | "nothing"; kind: string; name: string }
  | { action: "stop"; reason: string };

/** The stack labels of a Docker object by name, or undefined when the engine has no such object. */
export type LabelsOf = (kind: "container" | "network", name: string) => Record<string, string> | undefined;

/** What to do about each pending create (the other pending operations a refresh settles by itself). */
export function planRepairs(pending: PendingOperation[], stack: string, labelsOf: LabelsOf): Repair[] {
  const repairs: Repair[] = [];
  for (const op of pending.filter((candidate) => candidate.operation === "creating")) {
    const resource = op.urn.split("::").pop() ?? op.urn;
    if (!op.custom || op.type.startsWith("pulumi:providers:")) {
      repairs.push({ action: "nothing", kind: op.custom ? "provider" : "component", name: `${op.type} ${resource}` });
    } else if (op.type === IMAGE) repairs.push({ action: "rebuild", kind: "image", name: op.name ?? resource });
    else if (op.type === VOLUME) repairs.push({ action: "keep", kind: "volume", name: op.name ?? resource });
    else if ((op.type === CONTAINER || op.type === NETWORK) && op.name !== undefined) {
      const kind = op.type === CONTAINER ? "container" : "network";
      const labels = labelsOf(kind, op.name);
      if (labels === undefined) repairs.push({ action: "absent", kind, name: op.name });
      else if (labels["dockyard.stack"] === stack) repairs.push({ action: "remove", kind, name: op.name });
      else
        repairs.push({
          action: "stop",
          reason: `${kind} ${op.name} is on the engine but not labelled dockyard.stack=${stack}: if it is not another stack's, docker ${kind === "container" ? "rm -f" : "network rm"} ${op.name}`,
        });
    } else repairs.push({ action: "stop", reason: `${op.type} ${resource}: check whether it exists and remove it by hand` });
  }
  // Containers before networks: a network with a container on it cannot be removed.
  const rank = (repair: Repair) => (repair.action === "remove" ? (repair.kind === "container" ? 0 : 1) : 2);
  return repairs.sort((a, b) => rank(a) - rank(b));
}

/** The labels of a container or network on the stack's engine (docker inspect). */
function dockerLabels(docker: EngineCommand): LabelsOf {
  return (kind, name) => {
    const format = kind === "container" ? "{{json .Config.Labels}}" : "{{json .Labels}}";
    const result = spawnSync(docker.command, [kind, "inspect", "-f", format, name], { env: docker.env, encoding: "utf8" });
    if (result.status !== 0) return undefined;
    try {
      return (JSON.parse(result.stdout) as Record<string, string> | null) ?? {};
    } catch {
      return {};
    }
  };
}

/**
 * Settles what an interrupted update left on the stack before up deploys it, saying each thing done;
 * throws CommandError (one line) when the stack is locked by a live update or a pending create needs a
 * person.
 */
export async function settleInterrupted(stack: Stack, loaded: LoadedStack, backendUrl: string | undefined, io: Io): Promise<void> {
  const project = (await stack.workspace.projectSettings()).name;
  const lock = lockState(stackLocks(backendUrl, project, loaded.stack));
  if (lock !== undefined && "held" in lock) throw new CommandError(lockedMessage(loaded.stack, lock.held));
  if (lock !== undefined) {
    await stack.cancel();
    for (const stale of lock.stale) {
      io.err(`dockyard up: removed the lock an interrupted update left (${describeLock(stale)}; that process is gone): pulumi cancel`);
    }
  }
  const pending = pendingOperations(await stack.exportStack());
  if (pending.length === 0) return;
  io.err(
    `dockyard up: stack ${loaded.stack}: an interrupted update left ${pending.length} pending operation${pending.length === 1 ? "" : "s"}: ${pending
      .map((op) => `${op.operation} ${op.type.split(":").pop()} ${op.name ?? op.urn.split("::").pop()}`)
      .join(", ")}`,
  );
  const docker = dockerCommand(loaded.config);
  const repairs = planRepairs(pending, loaded.stack, dockerLabels(docker));
  const stops = repairs.flatMap((repair) => (repair.action === "stop" ? [repair.reason] : []));
  if (stops.length > 0) {
    throw new CommandError(
      `dockyard up: stack ${loaded.stack} has pending creates up cannot settle by itself: ${stops.join("; ")}; then pulumi refresh --clear-pending-creates --yes -s ${loaded.stack}, and dockyard up ${loaded.stack} again`,
    );
  }
  for (const repair of repairs) {
    if (repair.action === "remove") {
      const args = repair.kind === "container" ? ["rm", "-f", repair.name] : ["network", "rm", repair.name];
      const result = spawnSync(docker.command, args, { env: docker.env, encoding: "utf8" });
      if (result.status !== 0) {
        throw new CommandError(
          `dockyard up: could not remove ${repair.kind} ${repair.name} an interrupted create left (docker ${args.join(" ")}: ${(result.stderr || "").trim().split("\n")[0]}): remove it by hand, then dockyard up ${loaded.stack} again`,
        );
      }
      io.err(
        `  removed ${repair.kind} ${repair.name} (created by the interrupted update, never recorded in the state): docker ${args.join(" ")}`,
      );
    } else if (repair.action === "keep") io.err(`  kept ${repair.kind} ${repair.name}: its create adopts it, with its data`);
    else if (repair.action === "rebuild") io.err(`  image ${repair.name}: built again`);
    else if (repair.action === "nothing") io.err(`  ${repair.kind} ${repair.name}: nothing on the engine`);
    else if (repair.action === "absent") io.err(`  ${repair.kind} ${repair.name}: not on the engine`);
  }
  await stack.refresh({ clearPendingCreates: true, color: "never" });
  io.err(`dockyard up: cleared the pending operations from the state: pulumi refresh --clear-pending-creates --yes -s ${loaded.stack}`);
}

/** The signals an operation stops on, as a terminal (Ctrl-C), `kill` or a CI job's timeout sends them. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** How an operation was stopped: after the operations under way finished (clean), or cut off (at once). */
export class Interrupted extends Error {
  constructor(
    readonly signal: string,
    readonly clean: boolean,
    readonly cause: unknown,
  ) {
    super(`stopped by ${signal}`);
  }
}

/** Where signals come from and how the process ends: the process itself, or a test's stand-ins. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
  exit(code: number): void;
}

/** The name a person knows a signal by. */
function signalName(signal: NodeJS.Signals): string {
  return signal === "SIGINT" ? "Ctrl-C" : signal;
}

/**
 * Runs an engine operation (an update, a destroy) so that a signal stops it the way the engine stops
 * cleanly, and the command's process stays until it has. The first SIGINT or SIGTERM: the engine lets
 * the operations under way finish and records them, so the state holds no pending operation and no
 * lock, and the next `dockyard up` continues from there. A terminal's Ctrl-C reaches the engine itself
 * (same process group); a signal sent to this process alone is passed on (`signal`) when the engine has
 * not said within `passOnAfterMs` that it took one. The second signal stops at once: the engine is cut
 * off (a terminal's second Ctrl-C reaches it; otherwise this process ends, and with it the engine), and
 * the next `dockyard up` settles what that leaves (settleInterrupted). Throws Interrupted when the
 * operation ended after a signal; removes its listeners in every case.
 */
export async function stoppable<T>(
  verb: string,
  io: Io,
  run: (controls: { signal: AbortSignal; onEvent: (event: EngineEvent) => void }) => Promise<T>,
  onEvent: (event: EngineEvent) => void,
  source: SignalSource = process,
  passOnAfterMs = 2000,
): Promise<T> {
  const controller = new AbortController();
  let taken: NodeJS.Signals | undefined;
  let engineTook = false;
  let atOnce = false;
  const timers: NodeJS.Timeout[] = [];
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => {
      if (taken === undefined) {
        taken = signal;
        io.err(
          `dockyard ${verb}: ${signalName(signal)}: stopping once the operations under way finish, so the state records them (${signalName(signal)} again stops at once)`,
        );
        timers.push(
          setTimeout(() => {
            if (!engineTook) controller.abort();
          }, passOnAfterMs),
        );
        return;
      }
      if (atOnce) return;
      atOnce = true;
      io.err(
        `dockyard ${verb}: ${signalName(signal)} again: stopping at once; what was under way is cut off, and the next dockyard up settles what it leaves`,
      );
      // The engine ends by itself when the signal reached it too; otherwise this process ends, which ends it.
      timers.push(setTimeout(() => source.exit(130), 3000));
    };
    source.on(signal, listener);
    return { signal, listener };
  });
  const watch = (event: EngineEvent) => {
    if (event.stdoutEvent !== undefined && ENGINE_CANCELLING.test(event.stdoutEvent.message)) engineTook = true;
    onEvent(event);
  };
  try {
    return await run({ signal: controller.signal, onEvent: watch });
  } catch (error) {
    if (taken !== undefined) throw new Interrupted(signalName(taken), !atOnce, error);
    throw error;
  } finally {
    timers.forEach((timer) => clearTimeout(timer));
    listeners.forEach(({ signal, listener }) => source.off(signal, listener));
  }
}
