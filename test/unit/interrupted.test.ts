/**
 * What `dockyard up` does about an interrupted update, without an engine: the stack's lock files read
 * from a file backend, a stale lock told from a held one, the pending operations read from a state, what
 * is done about each pending create, and the lines said. The real kill, on the real engine, is
 * test/e2e/faults.sh's.
 */
import type { Deployment, Stack } from "@pulumi/pulumi/automation";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandError } from "../../cli/args";
import {
  engineRunning,
  LabelsOf,
  lockedMessage,
  lockState,
  pendingOperations,
  planRepairs,
  settleInterrupted,
  StackLock,
  stackLocks,
} from "../../cli/interrupted";
import { LoadedStack } from "../../cli/stack";
import { Io } from "../../cli/verb";

/** A file backend with one lock file per entry, in the project layout the engine writes. */
function backend(locks: object[], layout: "project" | "legacy" = "project"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-locks-"));
  const folder =
    layout === "project"
      ? path.join(dir, ".pulumi", "locks", "organization", "dockyard", "faults")
      : path.join(dir, ".pulumi", "locks", "faults");
  fs.mkdirSync(folder, { recursive: true });
  locks.forEach((lock, index) => {
    fs.writeFileSync(path.join(folder, `0000000${index}-lock.json`), JSON.stringify(lock));
    fs.writeFileSync(path.join(folder, `0000000${index}-lock.json.attrs`), "{}");
  });
  return dir;
}

const LOCK = { pid: 4242, username: "root", hostname: "vm", timestamp: "2026-12-07T03:51:47.460414877Z" };

describe("the stack's lock files on a file backend", () => {
  test("read in the project layout, .attrs files skipped", () => {
    const dir = backend([LOCK]);
    expect(stackLocks(`file://${dir}?no_tmp_dir=true`, "dockyard", "faults")).toEqual([
      { ...LOCK, file: path.join(dir, ".pulumi/locks/organization/dockyard/faults/00000000-lock.json") },
    ]);
  });
  test("and in the legacy layout", () => {
    const dir = backend([LOCK], "legacy");
    expect(stackLocks(`file://${dir}`, "dockyard", "faults").map((lock) => lock.file)).toEqual([
      path.join(dir, ".pulumi/locks/faults/00000000-lock.json"),
    ]);
  });
  test("none for another stack, a backend without locks, or a service backend", () => {
    const dir = backend([LOCK]);
    expect(stackLocks(`file://${dir}`, "dockyard", "dev")).toEqual([]);
    expect(stackLocks(`file://${fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-nolocks-"))}`, "dockyard", "faults")).toEqual([]);
    expect(stackLocks("https://api.pulumi.com", "dockyard", "faults")).toEqual([]);
    expect(stackLocks(undefined, "dockyard", "faults")).toEqual([]);
  });
});

describe("a stale lock told from a held one", () => {
  const lock = (pid: number, hostname = "vm"): StackLock => ({ ...LOCK, pid, hostname, file: `/b/${pid}.json` });
  test("no lock: nothing to do", () => {
    expect(lockState([], "vm", () => true)).toBeUndefined();
  });
  test("every lock's process of this machine gone: stale", () => {
    expect(lockState([lock(1), lock(2)], "vm", () => false)).toEqual({ stale: [lock(1), lock(2)] });
  });
  test("a lock whose process still runs the engine: held", () => {
    expect(lockState([lock(1), lock(2)], "vm", (pid) => pid === 2)).toEqual({ held: lock(2) });
  });
  test("a lock of another machine is held: its process cannot be checked from here", () => {
    expect(lockState([lock(1, "ci-7")], "vm", () => false)).toEqual({ held: lock(1, "ci-7") });
  });
  test("a process is the engine's only while it runs a pulumi command line", async () => {
    const engine = spawn("bash", ["-c", "sleep 30; true", "pulumi-stand-in"], { stdio: "ignore" });
    const other = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      expect([engineRunning(engine.pid as number), engineRunning(other.pid as number), engineRunning(0)]).toEqual([true, false, false]);
    } finally {
      engine.kill("SIGKILL");
      other.kill("SIGKILL");
    }
    await new Promise((resolve) => engine.once("exit", resolve));
    expect(engineRunning(engine.pid as number)).toBe(false);
  });
  test("the refusal names the lock and says what to do", () => {
    expect(lockedMessage("faults", lock(4242))).toBe(
      "dockyard up: stack faults is locked by another update (pid 4242 of root@vm, since 2026-12-07T03:51:47.460414877Z; lock file /b/4242.json): wait for it to end, then run dockyard up faults again; if that process is gone for good, pulumi cancel --yes -s faults removes the lock",
    );
  });
});

/** A state with these pending operations ([operation, type, name]). */
function deployment(pending: [string, string, string | undefined][]): Deployment {
  return {
    version: 3,
    deployment: {
      resources: [],
      pending_operations: pending.map(([type, resourceType, name]) => ({
        type,
        resource: {
          urn: `urn:pulumi:faults::dockyard::x$${resourceType}::${name ?? "thing"}-r`,
          type: resourceType,
          ...(resourceType.startsWith("dockyard:") ? {} : { custom: true }),
          inputs: name === undefined ? {} : { name },
        },
      })),
    },
  } as unknown as Deployment;
}

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const VOLUME = "docker:index/volume:Volume";
const IMAGE = "docker:index/image:Image";

describe("pending operations and what up does about each create", () => {
  test("read from the state with their physical names", () => {
    expect(
      pendingOperations(
        deployment([
          ["creating", CONTAINER, "voting-faults-db-1"],
          ["deleting", NETWORK, "voting-faults-backend"],
        ]),
      ),
    ).toEqual([
      {
        operation: "creating",
        urn: `urn:pulumi:faults::dockyard::x$${CONTAINER}::voting-faults-db-1-r`,
        type: CONTAINER,
        name: "voting-faults-db-1",
        custom: true,
      },
      {
        operation: "deleting",
        urn: `urn:pulumi:faults::dockyard::x$${NETWORK}::voting-faults-backend-r`,
        type: NETWORK,
        name: "voting-faults-backend",
        custom: true,
      },
    ]);
    expect(pendingOperations({ version: 3, deployment: { resources: [] } } as unknown as Deployment)).toEqual([]);
  });

  const engine: Record<string, Record<string, string>> = {
    "container voting-faults-db-1": { "dockyard.stack": "faults", "dockyard.service": "db" },
    "container voting-faults-vote-1": { "dockyard.stack": "faults" },
    "network voting-faults-backend": { "dockyard.stack": "faults" },
    "container someone-else": { "dockyard.stack": "prod" },
  };
  const labelsOf: LabelsOf = (kind, name) => engine[`${kind} ${name}`];

  test("containers and networks of this stack removed (containers first), a volume kept, an image rebuilt, absent ones, components and providers left alone", () => {
    const pending = pendingOperations(
      deployment([
        ["creating", NETWORK, "voting-faults-backend"],
        ["creating", CONTAINER, "voting-faults-db-1"],
        ["creating", VOLUME, "voting-faults-db-data"],
        ["creating", IMAGE, "voting-vote:faults"],
        ["creating", CONTAINER, "voting-faults-worker-1"],
        ["creating", CONTAINER, "voting-faults-vote-1"],
        ["updating", CONTAINER, "voting-faults-result-1"],
        ["creating", "dockyard:index:Container", undefined],
        ["creating", "pulumi:providers:docker", undefined],
      ]),
    );
    expect(planRepairs(pending, "faults", labelsOf)).toEqual([
      { action: "remove", kind: "container", name: "voting-faults-db-1" },
      { action: "remove", kind: "container", name: "voting-faults-vote-1" },
      { action: "remove", kind: "network", name: "voting-faults-backend" },
      { action: "keep", kind: "volume", name: "voting-faults-db-data" },
      { action: "rebuild", kind: "image", name: "voting-vote:faults" },
      { action: "absent", kind: "container", name: "voting-faults-worker-1" },
      { action: "nothing", kind: "component", name: "dockyard:index:Container thing-r" },
      { action: "nothing", kind: "provider", name: "pulumi:providers:docker thing-r" },
    ]);
  });

  test("an object of that name not labelled as this stack's, or a create of another kind: stop, never removed", () => {
    const pending = pendingOperations(
      deployment([
        ["creating", CONTAINER, "someone-else"],
        ["creating", "kubernetes:core/v1:Service", undefined],
      ]),
    );
    expect(planRepairs(pending, "faults", labelsOf)).toEqual([
      {
        action: "stop",
        reason:
          "container someone-else is on the engine but not labelled dockyard.stack=faults: if it is not another stack's, docker rm -f someone-else",
      },
      { action: "stop", reason: "kubernetes:core/v1:Service thing-r: check whether it exists and remove it by hand" },
    ]);
  });
});

describe("settled before up deploys", () => {
  /** A stack double: the engine calls up makes, recorded. */
  function fakeStack(state: Deployment): { stack: Stack; calls: string[] } {
    const calls: string[] = [];
    const stack = {
      workspace: { projectSettings: async () => ({ name: "dockyard", runtime: "nodejs" }) },
      cancel: async () => void calls.push("cancel"),
      exportStack: async () => (calls.push("export"), state),
      refresh: async (options: object) => (calls.push(`refresh ${JSON.stringify(options)}`), {}),
    } as unknown as Stack;
    return { stack, calls };
  }
  const loaded = { stack: "faults", config: { dockerHost: "unix:///var/run/docker.sock" } } as unknown as LoadedStack;
  function io(): { io: Io; err: string[] } {
    const err: string[] = [];
    return { io: { out: () => undefined, err: (text) => err.push(text), cwd: "/" }, err };
  }
  const clean = deployment([]);

  test("nothing left: nothing done, nothing said", async () => {
    const { stack, calls } = fakeStack(clean);
    const { io: out, err } = io();
    await settleInterrupted(stack, loaded, `file://${backend([])}`, out);
    expect(calls).toEqual(["export"]);
    expect(err).toEqual([]);
  });

  test("a stale lock (its process gone): removed with pulumi cancel, and said", async () => {
    const dir = backend([{ ...LOCK, hostname: os.hostname(), pid: 2 ** 22 + 1 }]);
    const { stack, calls } = fakeStack(clean);
    const { io: out, err } = io();
    await settleInterrupted(stack, loaded, `file://${dir}`, out);
    expect(calls).toEqual(["cancel", "export"]);
    expect(err).toEqual([
      `dockyard up: removed the lock an interrupted update left (pid ${2 ** 22 + 1} of root@${os.hostname()}, since ${LOCK.timestamp}; lock file ${path.join(dir, ".pulumi/locks/organization/dockyard/faults/00000000-lock.json")}; that process is gone): pulumi cancel`,
    ]);
  });

  test("a lock held by a running engine: refused in one line, nothing done", async () => {
    const dir = backend([{ ...LOCK, hostname: "another-machine" }]);
    const { stack, calls } = fakeStack(clean);
    const { io: out, err } = io();
    const refused = settleInterrupted(stack, loaded, `file://${dir}`, out);
    await expect(refused).rejects.toThrow(CommandError);
    await expect(refused).rejects.toThrow(
      `dockyard up: stack faults is locked by another update (pid 4242 of root@another-machine, since ${LOCK.timestamp}; lock file ${path.join(dir, ".pulumi/locks/organization/dockyard/faults/00000000-lock.json")}): wait for it to end`,
    );
    expect(calls).toEqual([]);
    expect(err).toEqual([]);
  });

  test("a pending create up cannot settle: stops with the exact command, state untouched", async () => {
    const { stack, calls } = fakeStack(deployment([["creating", "kubernetes:core/v1:Service", undefined]]));
    const { io: out, err } = io();
    await expect(settleInterrupted(stack, loaded, undefined, out)).rejects.toThrow(
      "dockyard up: stack faults has pending creates up cannot settle by itself: kubernetes:core/v1:Service thing-r: check whether it exists and remove it by hand; then pulumi refresh --clear-pending-creates --yes -s faults, and dockyard up faults again",
    );
    expect(calls).toEqual(["export"]);
    expect(err).toEqual(["dockyard up: stack faults: an interrupted update left 1 pending operation: creating Service thing-r"]);
  });

  test("pending creates with nothing on the engine: cleared from the state by a refresh, and said", async () => {
    const { stack, calls } = fakeStack(
      deployment([
        ["creating", IMAGE, "voting-vote:faults"],
        ["creating", VOLUME, "voting-faults-db-data"],
        ["creating", "dockyard:index:Container", undefined],
      ]),
    );
    const { io: out, err } = io();
    await settleInterrupted(stack, loaded, undefined, out);
    expect(calls).toEqual(["export", 'refresh {"clearPendingCreates":true,"color":"never"}']);
    expect(err).toEqual([
      "dockyard up: stack faults: an interrupted update left 3 pending operations: creating Image voting-vote:faults, creating Volume voting-faults-db-data, creating Container thing-r",
      "  image voting-vote:faults: built again",
      "  kept volume voting-faults-db-data: its create adopts it, with its data",
      "  component dockyard:index:Container thing-r: nothing on the engine",
      "dockyard up: cleared the pending operations from the state: pulumi refresh --clear-pending-creates --yes -s faults",
    ]);
  });
});
