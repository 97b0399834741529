/**
 * What `dockyard up` and `dockyard down` do on Ctrl-C (SIGINT) and SIGTERM while the engine runs, with a
 * stand-in for the process's signals and a stand-in operation: the first signal lets the operations
 * under way finish (the engine's own cancel), passed on to the engine only when it did not get it; the
 * second stops at once. The real Ctrl-C of a real up is test/e2e/faults.sh's.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { EventEmitter } from "events";
import { Interrupted, SignalSource, stoppable } from "../../cli/interrupted";
import { Io } from "../../cli/verb";

class Signals extends EventEmitter implements SignalSource {
  exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

/** An operation the test ends, seeing the controls it was given. */
function operation() {
  let end!: (error?: Error) => void;
  let controls!: { signal: AbortSignal; onEvent: (event: EngineEvent) => void };
  const run = (given: typeof controls) => {
    controls = given;
    return new Promise<string>((resolve, reject) => {
      end = (error) => (error === undefined ? resolve("done") : reject(error));
    });
  };
  return { run, end: (error?: Error) => end(error), controls: () => controls };
}

function io(): Io & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: () => undefined, err: (text) => lines.push(text), cwd: "/" };
}

const CANCELLING: EngineEvent = {
  sequence: 3,
  timestamp: 0,
  stdoutEvent: { message: "^C received; cancelling. If you would like to terminate immediately, press ^C again.\n", color: "never" },
};

const FIRST = "dockyard up: Ctrl-C: stopping once the operations under way finish, so the state records them (Ctrl-C again stops at once)";

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test("without a signal, the operation's result, its events passed on, and no listener left", async () => {
  const signals = new Signals();
  const op = operation();
  const seen: EngineEvent[] = [];
  const result = stoppable("up", io(), op.run, (event) => seen.push(event), signals);
  expect(signals.listenerCount("SIGINT")).toBe(1);
  expect(signals.listenerCount("SIGTERM")).toBe(1);
  op.controls().onEvent(CANCELLING);
  op.end();
  await expect(result).resolves.toBe("done");
  expect(seen).toEqual([CANCELLING]);
  expect(signals.listenerCount("SIGINT")).toBe(0);
  expect(signals.listenerCount("SIGTERM")).toBe(0);
});

test("an engine error without a signal is thrown as it is", async () => {
  const signals = new Signals();
  const op = operation();
  const result = stoppable("up", io(), op.run, () => undefined, signals);
  const error = new Error("update failed");
  op.end(error);
  await expect(result).rejects.toBe(error);
  expect(signals.listenerCount("SIGINT")).toBe(0);
});

test("Ctrl-C that reached the engine too: not passed on; the process stays until the operation ends; Interrupted, clean", async () => {
  const signals = new Signals();
  const op = operation();
  const out = io();
  const result = stoppable("up", out, op.run, () => undefined, signals);
  signals.emit("SIGINT");
  expect(out.lines).toEqual([FIRST]);
  op.controls().onEvent(CANCELLING);
  jest.advanceTimersByTime(60_000);
  expect(op.controls().signal.aborted).toBe(false);
  expect(signals.exits).toEqual([]);
  const cancelled = new Error("update canceled");
  op.end(cancelled);
  const error = (await result.catch((caught: unknown) => caught)) as Interrupted;
  expect(error).toBeInstanceOf(Interrupted);
  expect([error.signal, error.clean, error.cause]).toEqual(["Ctrl-C", true, cancelled]);
  expect(signals.listenerCount("SIGINT")).toBe(0);
});

test("a signal to this process alone is passed on to the engine after 2 s without its word", async () => {
  const signals = new Signals();
  const op = operation();
  const result = stoppable("up", io(), op.run, () => undefined, signals);
  signals.emit("SIGINT");
  jest.advanceTimersByTime(1999);
  expect(op.controls().signal.aborted).toBe(false);
  jest.advanceTimersByTime(1);
  expect(op.controls().signal.aborted).toBe(true);
  op.end(new Error("update canceled"));
  await expect(result).rejects.toBeInstanceOf(Interrupted);
});

test("the second Ctrl-C stops at once: the process ends after 3 s unless the engine ended first; Interrupted, not clean", async () => {
  const signals = new Signals();
  const op = operation();
  const out = io();
  const result = stoppable("up", out, op.run, () => undefined, signals);
  signals.emit("SIGINT");
  op.controls().onEvent(CANCELLING);
  signals.emit("SIGINT");
  signals.emit("SIGINT");
  expect(out.lines).toEqual([
    FIRST,
    "dockyard up: Ctrl-C again: stopping at once; what was under way is cut off, and the next dockyard up settles what it leaves",
  ]);
  jest.advanceTimersByTime(2999);
  expect(signals.exits).toEqual([]);
  jest.advanceTimersByTime(1);
  expect(signals.exits).toEqual([130]);
  op.end(new Error("terminated"));
  const error = (await result.catch((caught: unknown) => caught)) as Interrupted;
  expect([error.signal, error.clean]).toEqual(["Ctrl-C", false]);
});

test("the engine ending before those 3 s: the process is not ended from here", async () => {
  const signals = new Signals();
  const op = operation();
  const result = stoppable("down", io(), op.run, () => undefined, signals);
  signals.emit("SIGTERM");
  signals.emit("SIGTERM");
  op.end(new Error("terminated"));
  await expect(result).rejects.toBeInstanceOf(Interrupted);
  jest.advanceTimersByTime(10_000);
  expect(signals.exits).toEqual([]);
});

test("SIGTERM is named as such, with the verb", async () => {
  const signals = new Signals();
  const op = operation();
  const out = io();
  const result = stoppable("down", out, op.run, () => undefined, signals);
  signals.emit("SIGTERM");
  expect(out.lines).toEqual([
    "dockyard down: SIGTERM: stopping once the operations under way finish, so the state records them (SIGTERM again stops at once)",
  ]);
  op.end(new Error("update canceled"));
  const error = (await result.catch((caught: unknown) => caught)) as Interrupted;
  expect([error.signal, error.clean]).toEqual(["SIGTERM", true]);
});

test("a signal that comes as the operation succeeds: its result stands", async () => {
  const signals = new Signals();
  const op = operation();
  const result = stoppable("up", io(), op.run, () => undefined, signals);
  signals.emit("SIGINT");
  op.end();
  await expect(result).resolves.toBe("done");
});
