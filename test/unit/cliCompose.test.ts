/**
 * `dockyard up -f compose.yaml` with no Pulumi project around the file, without an engine: the
 * arguments (bad input one line, exit 2, nothing created), the folder dockyard keeps for the file,
 * its backend and passphrase, the stack read and resolved, the secrets read where the compose file
 * says, and the program it supplies, run under mocks. Also the lines `dockyard up` adds under a failed
 * Kubernetes rollout, from recorded events, and the failures the progress keeps for them. The verbs
 * against a real engine are test/e2e/compose-up.sh's and test/e2e/kubernetes-real.sh's.
 */
import type { EngineEvent, Stack, StepEventMetadata } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandError, parseVerbArgs } from "../../cli/args";
import { run } from "../../cli/main";
import { Progress, urnType } from "../../cli/progress";
import { deploymentOf, eventLine, KubeEvent, KubePod, newestPod, podState, rolloutDiagnosis, rolloutLines } from "../../cli/rollout";
import {
  composeFolder,
  composeProgram,
  composeSecrets,
  composeStack,
  composeWorkspace,
  notCompose,
  packageRoot,
  secretSources,
  stateHome,
  writeComposeSettings,
} from "../../cli/standalone";
import { staleTaskAdvice, upVerb } from "../../cli/up";
import { Io } from "../../cli/verb";
import { find, recorded, settle, setupMocks } from "./mocks";

const ROOT = path.resolve(__dirname, "../..");
const COMPOSE = [
  "name: shop",
  "services:",
  "  web:",
  "    build: ./web",
  '    ports: ["127.0.0.1:18470:8000"]',
  "    secrets: [api-key]",
  "  cache:",
  "    image: dockyard-local/redis:7",
  "secrets:",
  "  api-key:",
  "    file: ./api-key.txt",
  "",
].join("\n");

/** A folder holding only a compose file (and what it names), as a user's would. */
function userFolder(compose = COMPOSE): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-compose-up-"));
  fs.writeFileSync(path.join(dir, "compose.yaml"), compose);
  fs.mkdirSync(path.join(dir, "web"));
  fs.writeFileSync(path.join(dir, "web", "Dockerfile"), "FROM dockyard-local/python:3.11\n");
  fs.writeFileSync(path.join(dir, "api-key.txt"), "key-from-file");
  fs.writeFileSync(path.join(dir, "notes.md"), "# notes\n");
  fs.writeFileSync(path.join(dir, "other.yaml"), "foo: 1\nbar: [2]\n");
  return dir;
}

const io = (cwd: string, out: string[] = [], err: string[] = []): Io => ({
  out: (text) => out.push(text),
  err: (text) => err.push(text),
  cwd,
});

let home: string;
const saved = { ...process.env };
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-state-"));
  process.env.DOCKYARD_STATE_HOME = home;
  delete process.env.PULUMI_CONFIG_PASSPHRASE;
  delete process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
});
afterEach(() => {
  process.env = { ...saved };
});

describe("dockyard up -f: bad input is one line, exit 2, nothing created", () => {
  const cases: Array<[string, string[], string]> = [
    ["no such file", ["up", "-f", "nope.yaml"], "dockyard up: -f/--file nope.yaml: no such file"],
    ["a folder", ["up", "-f", "web"], "dockyard up: -f/--file web: is a folder, not a compose file"],
    [
      "a file that is not YAML's mapping",
      ["up", "-f", "notes.md"],
      "dockyard up: -f/--file notes.md is not a compose file: it is not a YAML mapping (give a file such as docker compose's compose.yaml)",
    ],
    [
      "YAML without services",
      ["up", "-f", "other.yaml"],
      "dockyard up: -f/--file other.yaml is not a compose file: it has no services: (give a file such as docker compose's compose.yaml)",
    ],
    [
      "an unknown target",
      ["up", "-f", "compose.yaml", "--target", "nomad"],
      'dockyard up: --target must be one of docker, swarm, kubernetes, got "nomad"',
    ],
    [
      "the stack twice",
      ["up", "-f", "compose.yaml", "dev", "--stack", "prod"],
      "dockyard up: the stack is given twice (dev and --stack prod): give it once",
    ],
    [
      "a stack name with a path",
      ["up", "-f", "compose.yaml", "--stack", "../x"],
      'dockyard up: --stack must be a stack name (letters, digits, _ . -), got "../x"',
    ],
    [
      "an env file that is not there",
      ["up", "-f", "compose.yaml", "--env-file", "prod.env"],
      "dockyard up: --env-file prod.env: no such file",
    ],
    ["a profile without -f", ["up", "--profile", "debug"], "dockyard up: --profile applies to a compose file: give -f FILE"],
    ["ps: no such file", ["ps", "-f", "nope.yaml"], "dockyard ps: -f/--file nope.yaml: no such file"],
    [
      "down: not a compose file",
      ["down", "-f", "notes.md", "--yes"],
      "dockyard down: -f/--file notes.md is not a compose file: it is not a YAML mapping (give a file such as docker compose's compose.yaml)",
    ],
    ["logs: no such file", ["logs", "-f", "nope.yaml"], "dockyard logs: -f/--file nope.yaml: no such file"],
  ];
  test.each(cases)("%s", async (_, argv, line) => {
    const dir = userFolder();
    const before = fs.readdirSync(dir).sort();
    const out: string[] = [];
    const err: string[] = [];
    expect(await run(argv, io(dir, out, err))).toBe(2);
    expect([out, err]).toEqual([[], [line]]);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
    expect(fs.readdirSync(home)).toEqual([]);
  });

  test("a compose file dockyard refuses: its message, exit 1, nothing created", async () => {
    const dir = userFolder("services:\n  web:\n    image: nginx:1.27\n    privileged: true\n");
    const err: string[] = [];
    expect(await run(["up", "-f", "compose.yaml"], io(dir, [], err))).toBe(1);
    // Named by its absolute path: the stack file dockyard keeps holds it so.
    expect(err).toEqual([
      `error: ${path.join(dir, "compose.yaml")}: services.web.privileged cannot be deployed: a privileged container can do anything on its host; grant what the service needs in its image instead`,
    ]);
    expect(fs.readdirSync(home)).toEqual([]);
  });

  test("ps, logs and down of a compose file never deployed: one line saying how to deploy it, exit 1, nothing created", async () => {
    const dir = userFolder();
    const folder = composeFolder(path.join(dir, "compose.yaml"));
    for (const [argv, verb] of [
      [["ps", "-f", "compose.yaml"], "ps"],
      [["logs", "web", "-f", "compose.yaml"], "logs"],
      [["down", "-f", "compose.yaml", "--stack", "prod", "--yes"], "down"],
    ] as const) {
      const err: string[] = [];
      expect(await run([...argv], io(dir, [], err))).toBe(1);
      const stack = verb === "down" ? "prod" : "dev";
      expect(err).toEqual([
        `dockyard ${verb}: stack ${stack} of compose.yaml is not deployed (nothing in ${folder}): dockyard up -f compose.yaml${stack === "dev" ? "" : " --stack prod"}`,
      ]);
    }
    expect(fs.readdirSync(home)).toEqual([]);
  });

  test("--target on a stack already made for another: refused, exit 2, naming both", async () => {
    const dir = userFolder();
    const folder = composeFolder(path.join(dir, "compose.yaml"));
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, "Pulumi.dev.yaml"), "config:\n  dockyard:target: docker\n");
    const err: string[] = [];
    expect(await run(["up", "-f", "compose.yaml", "--target", "swarm"], io(dir, [], err))).toBe(2);
    expect(err).toEqual([
      `dockyard up: --target swarm, but stack dev of compose.yaml deploys to docker: give another --stack for swarm (a stack is never moved), or dockyard down -f compose.yaml first and remove ${path.join(folder, "Pulumi.dev.yaml")}`,
    ]);
  });

  test("help names where the project is kept", () => {
    const help = parseVerbArgs(upVerb, ["-f", "x.yaml", "--stack", "s", "--profile", "a", "--profile", "b", "--env-file", "e"]);
    expect([help.values.file, help.values.stack, help.lists.profile, help.values["env-file"]]).toEqual(["x.yaml", "s", ["a", "b"], "e"]);
    expect(upVerb.options.file.description).toBe(
      "a compose file to deploy with no Pulumi project around it: dockyard keeps its project in $XDG_STATE_HOME/dockyard/compose/ (~/.local/state/dockyard/compose/), one folder per file",
    );
  });
});

describe("the folder dockyard keeps for a compose file", () => {
  test("one per compose file, outside the user's folder: <state home>/compose/<folder name>-<digest of the path>", () => {
    const env = { DOCKYARD_STATE_HOME: "/var/tmp/dy" };
    const one = composeFolder("/home/ann/shop/compose.yaml", env);
    expect(one).toMatch(/^\/var\/tmp\/dy\/compose\/shop-[0-9a-f]{12}$/);
    expect(composeFolder("/home/ann/shop/compose.yaml", env)).toBe(one);
    expect(composeFolder("/home/ann/shop/compose.prod.yaml", env)).not.toBe(one);
    expect(path.basename(composeFolder("/srv/my shop!/compose.yaml", env))).toMatch(/^my_shop_-[0-9a-f]{12}$/);
    expect(path.basename(composeFolder("/compose.yaml", env))).toMatch(/^root-[0-9a-f]{12}$/);
  });

  test("the state home: DOCKYARD_STATE_HOME, else $XDG_STATE_HOME/dockyard, else ~/.local/state/dockyard", () => {
    expect(stateHome({ DOCKYARD_STATE_HOME: "/a", XDG_STATE_HOME: "/b" })).toBe("/a");
    expect(stateHome({ XDG_STATE_HOME: "/b" })).toBe("/b/dockyard");
    expect(stateHome({ XDG_STATE_HOME: "relative" })).toBe(path.join(os.homedir(), ".local", "state", "dockyard"));
    expect(stateHome({})).toBe(path.join(os.homedir(), ".local", "state", "dockyard"));
  });

  test("what is a compose file", () => {
    expect(notCompose("services:\n  web: { image: x }\n")).toBeUndefined();
    expect(notCompose("web:\n  image: x\n")).toBeUndefined();
    expect(notCompose("services: [web]\n")).toBe("its services: is not a mapping of services");
    expect(notCompose("- a\n")).toBe("it is not a YAML mapping");
    expect(notCompose("a: [\n")).toMatch(/^it is not YAML \(/);
  });

  test("its backend and a passphrase made once, mode 0600, in the folder; the engine beside the package when none is here", () => {
    const folder = path.join(home, "compose", "shop-0123456789ab");
    const env = { PATH: "/nonexistent" };
    const engine = fs.existsSync(path.join(packageRoot(), ".tools", "pulumi", "bin", "pulumi"));
    if (!engine) {
      expect(() => composeWorkspace("up", io(os.tmpdir()), folder, true, env)).toThrow(CommandError);
      return;
    }
    const workspace = composeWorkspace("up", io(os.tmpdir()), folder, true, env);
    expect(workspace.backend.url).toBe(`file://${folder}/backend`);
    expect(workspace.backend.passphraseFile).toBe(path.join(folder, "passphrase"));
    expect(fs.statSync(path.join(folder, "passphrase")).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(folder, "passphrase"), "utf8")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(workspace.env.PULUMI_BACKEND_URL).toBe(`file://${folder}/backend`);
    expect(workspace.env.PULUMI_CONFIG_PASSPHRASE_FILE).toBe(path.join(folder, "passphrase"));
    expect(workspace.engine.root).toBe(path.join(packageRoot(), ".tools", "pulumi"));
    expect(workspace.engine.description).toBe(path.join(packageRoot(), ".tools", "pulumi"));
    const phrase = fs.readFileSync(path.join(folder, "passphrase"), "utf8");
    composeWorkspace("up", io(os.tmpdir()), folder, true, env);
    expect(fs.readFileSync(path.join(folder, "passphrase"), "utf8")).toBe(phrase);
    const yours = composeWorkspace("up", io(os.tmpdir()), path.join(home, "other"), true, { ...env, PULUMI_CONFIG_PASSPHRASE: "mine" });
    expect([yours.backend.passphraseFile, fs.existsSync(path.join(home, "other", "passphrase"))]).toEqual([undefined, false]);
    expect(yours.backend.notes).toContain("passphrase: yours (PULUMI_CONFIG_PASSPHRASE)");
  });
});

describe("the stack of a compose file", () => {
  test("up: read and resolved with the target asked, the compose file absolute, before anything is written", () => {
    const dir = userFolder();
    const args = parseVerbArgs(upVerb, ["-f", "compose.yaml", "--target", "docker", "--profile", "debug"]);
    const stack = composeStack("up", args, io(dir), true);
    expect(stack.file).toBe(path.join(dir, "compose.yaml"));
    expect(stack.folder).toBe(composeFolder(path.join(dir, "compose.yaml")));
    expect(stack.settings).toEqual({ target: "docker", compose: { file: path.join(dir, "compose.yaml"), profiles: ["debug"] } });
    expect([stack.loaded.stack, stack.loaded.config.target, [...stack.loaded.app.order].sort()]).toEqual([
      "dev",
      "docker",
      ["cache", "web"],
    ]);
    expect(Object.keys(stack.loaded.app.secrets)).toEqual(["api-key"]);
    // The build context is outside dockyard's folder: an absolute path to the user's.
    expect(stack.loaded.app.services.web.image).toMatchObject({ kind: "build", context: path.join(dir, "web") });
    expect(fs.existsSync(stack.folder)).toBe(false);
  });

  test("up on swarm: the compose file's checks for the target run first (a port bound to 127.0.0.1 is refused there)", () => {
    const dir = userFolder();
    const args = parseVerbArgs(upVerb, ["-f", "compose.yaml", "--target", "swarm"]);
    expect(() => composeStack("up", args, io(dir), true)).toThrow(
      `${path.join(dir, "compose.yaml")}: services.web.ports[0] binds to 127.0.0.1, but target swarm publishes ports on every interface of its nodes: use target docker, or remove the host IP from the port to publish it as the stage does`,
    );
  });

  test("the settings up writes into the stack file, through the Automation API", async () => {
    const dir = userFolder();
    const args = parseVerbArgs(upVerb, ["-f", "compose.yaml", "--profile", "a", "--profile", "b", "--env-file", "notes.md"]);
    const calls: unknown[][] = [];
    const stack = {
      setConfig: async (...call: unknown[]) => void calls.push(["set", ...call]),
      removeConfig: async (...call: unknown[]) => void calls.push(["rm", ...call]),
    } as unknown as Stack;
    await writeComposeSettings(stack, composeStack("up", args, io(dir), true));
    expect(calls).toEqual([
      ["set", "target", { value: "docker" }],
      ["rm", "compose"],
      ["set", "compose.file", { value: path.join(dir, "compose.yaml") }, true],
      ["set", "compose.profiles[0]", { value: "a" }, true],
      ["set", "compose.profiles[1]", { value: "b" }, true],
      ["set", "compose.envFile", { value: path.join(dir, "notes.md") }, true],
    ]);
  });

  /** A stack whose config is a map, recording what is set. */
  function fakeStack(config: Record<string, string> = {}): { stack: Stack; config: Record<string, string>; sets: string[] } {
    const sets: string[] = [];
    const stack = {
      getConfig: async (key: string) => {
        if (!(key in config)) throw new Error(`no ${key}`);
        return { value: config[key], secret: true };
      },
      setConfig: async (key: string, value: { value: string; secret?: boolean }, usePath?: boolean) => {
        expect([value.secret, usePath]).toEqual([true, true]);
        sets.push(key);
        config[key] = value.value;
      },
    } as unknown as Stack;
    return { stack, config, sets };
  }

  test("secrets: read from the file or the variable the compose file names, stored encrypted when new or changed", async () => {
    const compose = COMPOSE.replace(
      "secrets:\n  api-key:\n    file: ./api-key.txt\n",
      "secrets:\n  api-key:\n    file: ./api-key.txt\n  token:\n    environment: SHOP_TOKEN\n  salt: {}\n",
    ).replace("    secrets: [api-key]", "    secrets: [api-key, token, salt]");
    const dir = userFolder(compose);
    const loaded = composeStack("up", parseVerbArgs(upVerb, ["-f", "compose.yaml"]), io(dir), true);
    const { stack, config, sets } = fakeStack();
    const err: string[] = [];
    await composeSecrets(stack, loaded, io(dir, [], err), { SHOP_TOKEN: "t0ken" });
    const file = path.join(loaded.folder, "Pulumi.dev.yaml");
    expect(err).toEqual([
      `secrets.api-key: read from ./api-key.txt, stored encrypted in ${file}`,
      `secrets.salt: generated, stored encrypted in ${file}`,
      `secrets.token: read from $SHOP_TOKEN, stored encrypted in ${file}`,
    ]);
    expect([config["secrets.api-key"], config["secrets.token"], config["secrets.salt"]]).toEqual([
      "key-from-file",
      "t0ken",
      expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
    ]);
    const salt = config["secrets.salt"];
    sets.length = 0;
    err.length = 0;
    fs.writeFileSync(path.join(dir, "api-key.txt"), "rotated");
    await composeSecrets(stack, loaded, io(dir, [], err), { SHOP_TOKEN: "t0ken" });
    expect([sets, config["secrets.api-key"], config["secrets.salt"]]).toEqual([["secrets.api-key"], "rotated", salt]);
    await expect(composeSecrets(stack, loaded, io(dir), {})).rejects.toThrow(
      new CommandError(
        "dockyard up: compose.yaml: secrets.token.environment: SHOP_TOKEN is not set: export it (the secret's value) and run dockyard up again",
      ),
    );
    fs.rmSync(path.join(dir, "api-key.txt"));
    await expect(composeSecrets(stack, loaded, io(dir), { SHOP_TOKEN: "t0ken" })).rejects.toThrow(
      new CommandError(
        "dockyard up: compose.yaml: secrets.api-key.file: ./api-key.txt: no such file (docker compose reads the secret's value from it)",
      ),
    );
    expect(secretSources({ secrets: { a: { file: "f" }, b: { environment: "B" }, c: null } })).toEqual({
      a: { file: "f" },
      b: { environment: "B" },
      c: {},
    });
  });

  test("the program dockyard supplies deploys the compose file the stack names, build contexts absolute", async () => {
    const dir = userFolder();
    const folder = composeFolder(path.join(dir, "compose.yaml"));
    await setupMocks({ target: "docker", compose: { file: path.join(dir, "compose.yaml") }, secrets: { "api-key": "key-from-file" } });
    const outputs = (await composeProgram(folder)()) as Record<string, unknown>;
    await settle();
    expect(outputs.target).toBe("docker");
    const containers = recorded.filter((r) => r.type === "docker:index/container:Container").map((r) => r.inputs.name as string);
    expect(containers.sort()).toEqual(["shop-dev-cache-1", "shop-dev-web-1"]);
    const image = recorded.find((r) => r.type === "docker:index/image:Image");
    expect(image?.inputs.build.context).toBe(path.join(dir, "web"));
    expect(image?.inputs.build.dockerfile).toBe(path.join(dir, "web", "Dockerfile"));
    expect(find("docker:index/container:Container", "web-1").inputs.ports).toEqual([
      { internal: 8000, external: 18470, ip: "127.0.0.1", protocol: "tcp" },
    ]);
  });
});

/** A step's metadata for a resource of `type` named `name`. */
function step(op: string, type: string, name: string, inputs?: Record<string, unknown>): StepEventMetadata {
  const urn = `urn:pulumi:dev::dockyard::dockyard:k8s:Service$${type}::${name}`;
  return {
    op,
    urn,
    type,
    provider: "",
    new: {
      type,
      urn,
      custom: true,
      delete: false,
      id: "",
      parent: "",
      protect: false,
      inputs: inputs ?? {},
      outputs: {},
      provider: "",
      retainOnDelete: false,
    },
  } as unknown as StepEventMetadata;
}

const event = (timestamp: number, body: Partial<EngineEvent>): EngineEvent => ({ sequence: 0, timestamp, ...body }) as EngineEvent;

/** Events of a pod whose readiness never passes, as `kubectl get events -o json` listed them on the real node. */
const EVENTS: KubeEvent[] = [
  {
    type: "Normal",
    reason: "Scheduled",
    message: "Successfully assigned k8se2e/vote-7c9d-x2 to node-1",
    count: 1,
    lastTimestamp: null,
    eventTime: "2026-12-07T03:10:00.000000Z",
  },
  {
    type: "Warning",
    reason: "Unhealthy",
    message: 'Readiness probe failed: Get "http://10.244.0.9:5000/healthz": dial tcp 10.244.0.9:5000: connect: connection refused',
    count: 17,
    firstTimestamp: "2026-12-07T03:10:04Z",
    lastTimestamp: "2026-12-07T03:11:30Z",
  },
  {
    type: "Normal",
    reason: "Started",
    message: "Started container vote",
    count: 1,
    firstTimestamp: "2026-12-07T03:10:02Z",
    lastTimestamp: "2026-12-07T03:10:02Z",
  },
  {
    type: "Normal",
    reason: "Pulled",
    message: 'Container image "dockyard-local/voting-vote:real2-noserve" already present on machine',
    series: null,
    count: 1,
    lastTimestamp: "2026-12-07T03:10:01Z",
  },
];
const POD: KubePod = {
  metadata: { name: "vote-7c9d-x2", creationTimestamp: "2026-12-07T03:10:00Z" },
  status: { phase: "Running", containerStatuses: [{ name: "vote", ready: false, restartCount: 0, state: { running: {} } }] },
};

describe("a failed Kubernetes rollout: the newest pod's events and log", () => {
  test("lines: the pod and its state, its events oldest first (type, reason, message, how often), the last log lines", () => {
    expect(rolloutLines("vote", POD, EVENTS, "booting\nlistening\n")).toEqual([
      "  Deployment vote: newest pod vote-7c9d-x2, Running (vote: running, not ready)",
      "    last 4 events:",
      "      Normal Scheduled: Successfully assigned k8se2e/vote-7c9d-x2 to node-1",
      '      Normal Pulled: Container image "dockyard-local/voting-vote:real2-noserve" already present on machine',
      "      Normal Started: Started container vote",
      '      Warning Unhealthy: Readiness probe failed: Get "http://10.244.0.9:5000/healthz": dial tcp 10.244.0.9:5000: connect: connection refused (x17)',
      "    last 2 log lines:",
      "      booting",
      "      listening",
    ]);
    const many = Array.from({ length: 25 }, (_, index) => `line ${index + 1}`).join("\n");
    const lines = rolloutLines("vote", POD, "events are forbidden", many);
    expect(lines.slice(1, 3)).toEqual(["    events: not read (events are forbidden)", "    last 20 log lines:"]);
    expect([lines[3], lines[lines.length - 1], lines.length]).toEqual(["      line 6", "      line 25", 23]);
    expect(rolloutLines("vote", POD, [], { error: "container not started" }).slice(1)).toEqual([
      "    events: none",
      "    logs: not read (container not started)",
    ]);
    expect(rolloutLines("vote", undefined, [], "")).toEqual(["  Deployment vote: no pod of it was found"]);
    const thirteen = Array.from({ length: 13 }, (_, index) => ({
      reason: `R${index}`,
      message: "m",
      lastTimestamp: `2026-12-07T03:10:${String(index).padStart(2, "0")}Z`,
    }));
    expect(rolloutLines("vote", POD, thirteen, "").slice(1, 3)).toEqual(["    last 10 events:", "      Normal R3: m"]);
  });

  test("the newest pod, a pod's state, an event line, the Deployment's name", () => {
    const older = { ...POD, metadata: { name: "vote-old", creationTimestamp: "2026-12-07T03:00:00Z" } };
    expect(newestPod([POD, older])?.metadata.name).toBe("vote-7c9d-x2");
    expect(newestPod([])).toBeUndefined();
    expect(
      podState({
        metadata: { name: "p" },
        status: {
          phase: "Pending",
          containerStatuses: [{ name: "db", ready: false, restartCount: 3, state: { waiting: { reason: "CrashLoopBackOff" } } }],
        },
      }),
    ).toBe("Pending (db: waiting CrashLoopBackOff, not ready, 3 restarts)");
    expect(
      podState({
        metadata: { name: "p" },
        status: { phase: "Failed", containerStatuses: [{ name: "a", state: { terminated: { exitCode: 1 } } }] },
      }),
    ).toBe("Failed (a: terminated exit 1, not ready)");
    expect(eventLine({ reason: "BackOff", message: "Back-off restarting\nfailed container", series: { count: 4 } })).toBe(
      "Normal BackOff: Back-off restarting failed container (x4)",
    );
    const failure = { urn: "urn:pulumi:dev::dockyard::kubernetes:apps/v1:Deployment::vote", type: "kubernetes:apps/v1:Deployment" };
    expect(deploymentOf({ ...failure, inputs: { metadata: { name: "vote-web", namespace: "shop" } } }, "dev")).toEqual({
      name: "vote-web",
      namespace: "shop",
    });
    expect(deploymentOf(failure, "dev")).toEqual({ name: "vote", namespace: "dev" });
  });

  test("read from the cluster with kubectl: the Deployment's selector, its pods, the newest's events and log", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-kubectl-"));
    const calls = path.join(dir, "calls.txt");
    // A kubectl that answers as the API server did, and records how it was asked.
    const script = path.join(dir, "kubectl.js");
    fs.writeFileSync(
      script,
      `const fs = require("fs");
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(calls)}, args.join(" ") + "\\n");
const what = args.slice(2);
if (what[0] === "get" && what[1] === "deployment") console.log(JSON.stringify({ spec: { selector: { matchLabels: { "app.kubernetes.io/name": "vote", "app.kubernetes.io/instance": "k8se2e" } } } }));
else if (what[0] === "get" && what[1] === "pods") console.log(JSON.stringify({ items: ${JSON.stringify([{ ...POD, metadata: { name: "vote-old", creationTimestamp: "2026-12-07T03:00:00Z" } }, POD])} }));
else if (what[0] === "get" && what[1] === "events") console.log(JSON.stringify({ items: ${JSON.stringify(EVENTS.slice(1, 2))} }));
else if (what[0] === "logs") process.stdout.write("");
else { console.error("unexpected"); process.exit(1); }
`,
    );
    const kubectl = (namespace: string) => ({ command: process.execPath, args: [script, "-n", namespace], env: process.env });
    const failures = [
      { urn: "urn:pulumi:k8se2e::dockyard::kubernetes:core/v1:Service::vote", type: "kubernetes:core/v1:Service" },
      {
        urn: "urn:pulumi:k8se2e::dockyard::kubernetes:apps/v1:Deployment::vote",
        type: "kubernetes:apps/v1:Deployment",
        inputs: { metadata: { name: "vote", namespace: "k8se2e" } },
      },
    ];
    expect(rolloutDiagnosis({ kubeconfig: "", kubeContext: "", namespace: "other" }, failures, kubectl)).toEqual([
      "  Deployment vote: newest pod vote-7c9d-x2, Running (vote: running, not ready)",
      "    last event:",
      `      ${eventLine(EVENTS[1])}`,
      "    logs: none",
    ]);
    expect(fs.readFileSync(calls, "utf8").trim().split("\n")).toEqual([
      "-n k8se2e get deployment vote -o json",
      "-n k8se2e get pods -l app.kubernetes.io/instance=k8se2e,app.kubernetes.io/name=vote -o json",
      "-n k8se2e get events --field-selector involvedObject.kind=Pod,involvedObject.name=vote-7c9d-x2 -o json",
      "-n k8se2e logs vote-7c9d-x2 --all-containers --tail 20",
    ]);
  });

  test("a replacement is two lines: the new resource (with its time) and the old one deleted", () => {
    const progress = new Progress("up", 0);
    const container = (op: string) => step(op, "docker:index/container:Container", "web-1");
    const lines = [
      event(1, { resourcePreEvent: { metadata: container("delete-replaced") } }),
      event(2, { resOutputsEvent: { metadata: container("delete-replaced") } }),
      event(2, { resourcePreEvent: { metadata: container("replace") } }),
      event(2, { resOutputsEvent: { metadata: container("replace") } }),
      event(2, { resourcePreEvent: { metadata: container("create-replacement") } }),
      event(7, { resOutputsEvent: { metadata: container("create-replacement") } }),
    ].flatMap((one) => progress.lines(one));
    expect(lines).toEqual(["[1] deleted (replaced) docker Container web-1 (1s, at 2s)", "[2] replaced docker Container web-1 (5s, at 7s)"]);
  });

  test("the progress keeps each failed resource once, with the inputs its step had", () => {
    const progress = new Progress("up", 0);
    const deployment = step("update", "kubernetes:apps/v1:Deployment", "vote", { metadata: { name: "vote" } });
    const urn = deployment.urn;
    [
      event(1, { diagnosticEvent: { urn, severity: "error", message: "timed out waiting for the rollout\n", color: "never" } }),
      event(1, { resOpFailedEvent: { metadata: deployment, status: 1, steps: 1 } }),
      event(2, {
        diagnosticEvent: {
          urn: "urn:pulumi:dev::dockyard::kubernetes:core/v1:Namespace::ns",
          severity: "error",
          message: "conflict\n",
          color: "never",
        },
      }),
    ].forEach((one) => progress.lines(one));
    expect(progress.failures).toEqual([
      {
        urn,
        type: "kubernetes:apps/v1:Deployment",
        inputs: { metadata: { name: "vote" } },
        messages: ["timed out waiting for the rollout"],
      },
      { urn: "urn:pulumi:dev::dockyard::kubernetes:core/v1:Namespace::ns", type: "kubernetes:core/v1:Namespace", messages: ["conflict"] },
    ]);
    expect(urnType("urn:pulumi:dev::dockyard::dockyard:k8s:Service$kubernetes:apps/v1:Deployment::vote")).toBe(
      "kubernetes:apps/v1:Deployment",
    );
    expect(urnType("nonsense")).toBe("");
  });
});

test("a container the engine still holds a task of (dockerd stopped while it started it): its name and the commands that deploy it again", () => {
  const progress = new Progress("up", 0);
  const worker = step("update", "docker:index/container:Container", "worker-1", { name: "voting-faults-worker-1" });
  const vote = step("update", "docker:index/container:Container", "vote-1", { name: "voting-faults-vote-1" });
  [
    event(1, {
      diagnosticEvent: {
        urn: worker.urn,
        severity: "error",
        message:
          "sdk-v2/provider2.go:572: sdk.helper_schema: Unable to start container: Error response from daemon: task 4c1b9b5630732cd18e0a7e685e223d7519fe6aaf123fe2da64d187a0543fc49c: already exists: provider=docker@5.1.0\n",
        color: "never",
      },
    }),
    event(1, { resOpFailedEvent: { metadata: worker, status: 1, steps: 1 } }),
    event(2, {
      diagnosticEvent: {
        urn: vote.urn,
        severity: "error",
        message: "Unable to create container: port is already allocated\n",
        color: "never",
      },
    }),
  ].forEach((one) => progress.lines(one));
  expect(staleTaskAdvice(progress.failures, "dockyard up faults")).toEqual([
    "dockyard up: container voting-faults-worker-1 cannot start: the engine still holds its task from before dockerd stopped (it was starting then), so every start fails; remove it and deploy again, which creates it again with its volumes: docker rm -f voting-faults-worker-1 && dockyard up faults",
  ]);
  expect(staleTaskAdvice([], "dockyard up faults")).toEqual([]);
});

test("the package's root holds its package.json", () => {
  expect(packageRoot()).toBe(ROOT);
});
