/**
 * The deploy verbs of the `dockyard` command (up, down, ps, logs, drift) without an engine: every bad
 * input refused in one line with exit 2 before anything is created (no .state, the stack file as it
 * was); the progress lines made from the engine's events; drift's report from a preview's steps; the
 * backend and passphrase found or made as scripts/deploy.sh did; the engine found. The verbs against a
 * real engine are test/e2e/deploy.sh's.
 */
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { driftLines, driftReport, holds, inputDrift, valueAt } from "../../cli/drift";
import { envScript, findBackend, findEngine, OFFLINE_ENV, workspaceEnv } from "../../cli/engine";
import { run } from "../../cli/main";
import { plain, Progress, seconds, shortType, urnName } from "../../cli/progress";
import { table } from "../../cli/ps";
import { Io } from "../../cli/verb";

const ROOT = path.resolve(__dirname, "../..");

/** Runs `dockyard <argv>` in `cwd` and returns the exit code and what it wrote. */
async function dockyard(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string[] }> {
  let out = "";
  const err: string[] = [];
  const io: Io = { out: (text) => (out += text), err: (text) => err.push(text), cwd };
  const code = await run(argv, io);
  return { code, out, err };
}

/** A project folder: Pulumi.yaml and the dev and staging stack files of this repository. */
function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-deploy-"));
  for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml"])
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  return dir;
}

/** Every file under a folder with its content, to show that nothing was written. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    (fs.readdirSync(dir, { recursive: true }) as string[]).sort().map((file) => {
      const full = path.join(dir, file);
      return [file, fs.statSync(full).isDirectory() ? "(folder)" : fs.readFileSync(full, "utf8")];
    }),
  );
}

describe("bad input to the deploy verbs: one line, the fix, exit 2, nothing created", () => {
  const dir = project();
  const cases: Array<[string, string[], string]> = [
    [
      "up: an unknown option",
      ["up", "--force"],
      "dockyard up: unknown option --force; options: --target, --json, -y/--yes, -f/--file, --stack, --profile, --env-file, -h/--help",
    ],
    [
      "up: a target it does not know",
      ["up", "--target", "nomad"],
      'dockyard up: --target must be one of docker, swarm, kubernetes, got "nomad"',
    ],
    [
      "up: a target other than the stack's",
      ["up", "dev", "--target", "swarm"],
      "dockyard up: --target swarm, but stack dev deploys to docker (dockyard:target in Pulumi.dev.yaml): use a stack whose target is swarm, or pulumi config set dockyard:target swarm -s dev on a stack not yet deployed",
    ],
    ["up: a stack without its file", ["up", "prod"], "dockyard up: no Pulumi.prod.yaml here; stacks here: dev, staging"],
    ["up: a second argument", ["up", "dev", "staging"], 'dockyard up: unexpected argument "staging": it takes at most STACK'],
    ["up: --json with a value", ["up", "--json=yes"], 'dockyard up: --json takes no value, got "yes"'],
    [
      "down: no --yes and no terminal to ask on",
      ["down"],
      "dockyard down: this removes everything stack dev deployed: give --yes to confirm (there is no terminal to ask on)",
    ],
    [
      "down: a stack name with a path in it",
      ["down", "../dev"],
      'dockyard down: STACK must be a stack name (letters, digits, _ . -), got "../dev"',
    ],
    ["ps: an option it does not take", ["ps", "--json"], "dockyard ps: unknown option --json; options: -f/--file, --stack, -h/--help"],
    ["ps: a stack without its file", ["ps", "e2e"], "dockyard ps: no Pulumi.e2e.yaml here; stacks here: dev, staging"],
    [
      "logs: a service the stack does not have",
      ["logs", "web"],
      'dockyard logs: no service "web" in stack dev; services: db, redis, result, vote, worker',
    ],
    [
      "logs: a service of another stack's app",
      ["logs", "web", "--stack", "staging"],
      'dockyard logs: no service "web" in stack staging; services: db, redis, result, vote, worker',
    ],
    ["logs: --stack without a value", ["logs", "worker", "--stack"], "dockyard logs: --stack needs a value: --stack STACK"],
    [
      "logs: --stack with a path in it",
      ["logs", "--stack", "a/b"],
      'dockyard logs: --stack must be a stack name (letters, digits, _ . -), got "a/b"',
    ],
    ["logs: --stack without its file", ["logs", "--stack", "prod"], "dockyard logs: no Pulumi.prod.yaml here; stacks here: dev, staging"],
    ["logs: two services", ["logs", "vote", "worker"], 'dockyard logs: unexpected argument "worker": it takes at most SERVICE'],
    [
      "logs: -f is the compose file (as on every verb), not --follow",
      ["logs", "-f"],
      "dockyard logs: -f/--file needs a value: -f/--file FILE",
    ],
    ["drift: an unknown option", ["drift", "--refresh"], "dockyard drift: unknown option --refresh; options: --json, -h/--help"],
  ];

  it.each(cases)("%s", async (_case, argv, message) => {
    const before = snapshot(dir);
    expect(await dockyard(argv, dir)).toEqual({ code: 2, out: "", err: [message] });
    expect(snapshot(dir)).toEqual(before);
  });

  it.each(["up", "down", "ps", "logs", "drift"])("%s: outside a project", async (verb) => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-empty-"));
    expect(await dockyard([verb], empty)).toEqual({
      code: 2,
      out: "",
      err: [`dockyard ${verb}: no Pulumi.yaml in ${empty}: run it in the folder of a dockyard project (where Pulumi.yaml is)`],
    });
    expect(fs.readdirSync(empty)).toEqual([]);
  });

  it("a stack the stacks refuse: their one line, exit 1, nothing created", async () => {
    fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), "config:\n  dockyard:target: nomad\n");
    try {
      const before = snapshot(dir);
      expect(await dockyard(["up", "bad"], dir)).toEqual({
        code: 1,
        out: "",
        err: ['error: dockyard:target must be docker, kubernetes or swarm, got "nomad"'],
      });
      expect(snapshot(dir)).toEqual(before);
    } finally {
      fs.rmSync(path.join(dir, "Pulumi.bad.yaml"));
    }
  });

  it("prints each verb's usage", async () => {
    const usage = async (verb: string) => (await dockyard([verb, "--help"], dir)).out.split("\n")[0];
    expect(await Promise.all(["up", "down", "ps", "logs", "drift"].map(usage))).toEqual([
      "usage: dockyard up [STACK] [--target docker|swarm|kubernetes] [--json] [-y/--yes] [-f/--file FILE] [--stack STACK] [--profile NAME]... [--env-file FILE]",
      "usage: dockyard down [STACK] [--json] [-y/--yes] [-f/--file FILE] [--stack STACK]",
      "usage: dockyard ps [STACK] [-f/--file FILE] [--stack STACK]",
      "usage: dockyard logs [SERVICE] [--follow] [--stack STACK] [-f/--file FILE]",
      "usage: dockyard drift [STACK] [--json]",
    ]);
  });
});

/** An event as the engine sends it, at `at` seconds. */
function event(at: number, fields: Partial<EngineEvent>): EngineEvent {
  return { sequence: 0, timestamp: at, ...fields } as EngineEvent;
}

/** A step's metadata: a custom resource of this type and name unless `custom` is false. */
function step(
  op: StepEventMetadata["op"],
  type: string,
  name: string,
  extra: Partial<StepEventMetadata> = {},
  custom = true,
): StepEventMetadata {
  const urn = `urn:pulumi:dev::dockyard::dockyard:docker:Container$${type}::${name}`;
  const state = { type, urn, custom, id: "", parent: "", inputs: {}, outputs: {}, provider: "" };
  return { op, urn, type, provider: "", ...(op === "delete" ? { old: state } : { new: state }), ...extra } as StepEventMetadata;
}

describe("progress lines from the engine's events", () => {
  it("one line per engine object as it finishes, counted, with its own time and the time since the start", () => {
    const progress = new Progress("up", 1000_000);
    const container = step("create", "docker:index/container:Container", "worker-1");
    const component = step("create", "dockyard:docker:Container", "worker-1", {}, false);
    const provider = step("create", "pulumi:providers:docker", "docker");
    const same = step("same", "docker:index/network:Network", "backend");
    const lines = [
      event(1001, { resourcePreEvent: { metadata: container } }),
      event(1001, { resourcePreEvent: { metadata: component } }),
      event(1002, { resOutputsEvent: { metadata: provider } }),
      event(1003, { resOutputsEvent: { metadata: same } }),
      event(1013, { resOutputsEvent: { metadata: container } }),
      event(1013, { resOutputsEvent: { metadata: component } }),
      event(1080, { resOutputsEvent: { metadata: step("delete", "docker:index/volume:Volume", "old-data") } }),
      event(1081, {
        summaryEvent: { maybeCorrupt: false, durationSeconds: 81, resourceChanges: { create: 2, delete: 1, same: 25 }, policyPacks: {} },
      }),
    ].flatMap((one) => progress.lines(one));
    expect(lines).toEqual([
      "[1] created docker Container worker-1 (12s, at 13s)",
      "[2] deleted docker Volume old-data (at 1m20s)",
      "up done in 1m21s: 2 created, 1 deleted, 25 unchanged",
    ]);
    expect(progress.failed).toBe(false);
  });

  it("the failing resource's own error, once, and FAILED in the summary", () => {
    const progress = new Progress("up", 0);
    const urn = "urn:pulumi:dev::dockyard::docker:index/container:Container::vote-1";
    const warning = "resource plugin docker is expected to have version >=5.2.0, but has 5.1.0";
    const lines = [
      event(1, { diagnosticEvent: { severity: "warning", message: `${warning}\n`, color: "never" } }),
      event(2, { diagnosticEvent: { severity: "warning", message: `${warning}\n`, color: "never" } }),
      event(3, { diagnosticEvent: { severity: "info", message: "building\n", color: "never" } }),
      event(9, { resOpFailedEvent: { metadata: step("create", "docker:index/container:Container", "vote-1"), status: 1, steps: 1 } }),
      event(9, { diagnosticEvent: { urn, severity: "error", message: "container exited unhealthy\nlast log: boom\n", color: "never" } }),
      event(10, { diagnosticEvent: { severity: "error", message: "update failed", color: "never" } }),
      event(10, { summaryEvent: { maybeCorrupt: false, durationSeconds: 10, resourceChanges: { create: 3 }, policyPacks: {} } }),
    ].flatMap((one) => progress.lines(one));
    expect(lines).toEqual([
      `warning: ${warning}`,
      "[1] FAILED to create docker Container vote-1 (at 9s)",
      "error: vote-1: container exited unhealthy\n    last log: boom",
      "up FAILED in 10s: 3 created",
    ]);
    expect(progress.failed).toBe(true);
  });

  it("an update the engine stopped on a signal: stopped in the summary, not done (nor FAILED)", () => {
    const progress = new Progress("up", 0);
    const stdout = (message: string) => ({ stdoutEvent: { message, color: "always" } });
    const summary = { summaryEvent: { maybeCorrupt: false, durationSeconds: 17, resourceChanges: { create: 9 }, policyPacks: {} } };
    expect(
      [
        event(5, stdout("building\n")),
        event(9, stdout("^C received; cancelling. If you would like to terminate immediately, press ^C again.\n")),
        event(17, summary),
      ].flatMap((one) => progress.lines(one)),
    ).toEqual(["up stopped in 17s: 9 created"]);
    const term = new Progress("down", 0);
    expect(
      [
        event(3, stdout("SIGTERM received; cancelling. If you would like to terminate immediately, send SIGTERM again.\n")),
        event(4, summary),
      ].flatMap((one) => term.lines(one)),
    ).toEqual(["down stopped in 17s: 9 created"]);
    expect([event(4, summary)].flatMap((one) => new Progress("up", 0).lines(one))).toEqual(["up done in 17s: 9 created"]);
  });

  it("names, types, times and colours", () => {
    expect(urnName("urn:pulumi:dev::dockyard::dockyard:docker:Service$docker:index/container:Container::db-1")).toBe("db-1");
    expect([shortType("docker:index/network:Network"), shortType("kubernetes:apps/v1:Deployment"), shortType("Stack")]).toEqual([
      "docker Network",
      "kubernetes Deployment",
      "Stack",
    ]);
    expect([seconds(0.4), seconds(59.6), seconds(65), seconds(-3)]).toEqual(["0s", "1m00s", "1m05s", "0s"]);
    expect(plain("\u001b[31merror\u001b[0m: <{%bold%}>x<{%reset%}>  \n")).toBe("error: x");
  });
});

/** A network's refresh step whose ipamConfigs read back as `after`. */
function refresh_(before: unknown, after: unknown): StepEventMetadata {
  const base = step("refresh", "docker:index/network:Network", "frontend");
  return {
    ...base,
    old: { ...base.new!, outputs: { ipamConfigs: before } },
    new: { ...base.new!, outputs: { ipamConfigs: after } },
    diffs: ["ipamConfigs"],
  } as StepEventMetadata;
}

describe("drift's report from a refreshed preview's steps", () => {
  /** A refresh step of a custom resource: the state before, and what the engine has (none when gone). */
  function refresh(
    type: string,
    name: string,
    before: Record<string, unknown>,
    after?: Record<string, unknown>,
    extra: Partial<StepEventMetadata> = {},
  ) {
    const base = step("refresh", type, name);
    const state = base.new!;
    return {
      ...base,
      old: { ...state, outputs: before },
      new: after === undefined ? undefined : { ...state, outputs: after },
      ...extra,
    } as StepEventMetadata;
  }

  it("a resource removed by hand, one changed; unchanged ones, components, providers and the plan say nothing", () => {
    const changed = refresh(
      "docker:index/container:Container",
      "vote-1",
      { restart: "unless-stopped", ports: [{ external: 5000 }], labels: [{ label: "a.b", value: "x" }], __meta: "{}" },
      { restart: "no", ports: [{ external: 5005 }], labels: [], __meta: '{"schema_version":"2"}' },
      {
        diffs: ["restart", "ports", "labels", "__meta"],
        detailedDiff: {
          restart: { diffKind: "update", inputDiff: false },
          "ports[0].external": { diffKind: "update", inputDiff: false },
          "labels[0]": { diffKind: "delete", inputDiff: false },
          __meta: { diffKind: "update", inputDiff: false },
        } as unknown as StepEventMetadata["detailedDiff"],
      },
    );
    const secret = refresh(
      "docker:index/container:Container",
      "db-1",
      { envs: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "x" } },
      { envs: ["A=1"] },
      { diffs: ["envs"] },
    );
    const component = {
      ...refresh("dockyard:docker:Container", "worker-1", {}),
      old: { ...step("refresh", "dockyard:docker:Container", "worker-1", {}, false).new! },
    } as StepEventMetadata;
    expect(
      [
        refresh("docker:index/container:Container", "worker-1", { name: "voting-dev-worker-1" }),
        refresh("docker:index/network:Network", "backend", { subnet: "10.0.0.0/24" }, { subnet: "10.0.0.0/24" }),
        component,
        refresh("pulumi:providers:docker", "docker", {}),
        step("create", "docker:index/container:Container", "worker-1"),
        changed,
        secret,
      ].flatMap(driftLines),
    ).toEqual([
      "docker Container worker-1: missing on the engine (dockyard up creates it again)",
      "docker Container vote-1: 3 fields changed on the engine",
      '  labels[0]: stack {"label":"a.b","value":"x"}, engine (none)',
      "  ports[0].external: stack 5000, engine 5005",
      '  restart: stack "unless-stopped", engine "no"',
      "docker Container db-1: 1 field changed on the engine",
      '  envs: stack [secret], engine ["A=1"]',
    ]);
  });

  it("what the provider reads back of a swarm without a change is not drift; a changed value is", () => {
    // Seen on swarm: the engine fills in the gateway, {} for a null option, and lists mounts in its own order.
    const network = [{ auxAddress: null, gateway: "", ipRange: "", subnet: "10.241.1.0/24" }];
    expect(holds(network, [{ auxAddress: {}, gateway: "10.241.1.1", ipRange: "", subnet: "10.241.1.0/24" }])).toBe(true);
    expect(holds(network, [{ auxAddress: {}, gateway: "10.241.1.1", ipRange: "", subnet: "10.241.9.0/24" }])).toBe(false);
    const mounts = [
      { source: "voting-redis-data", target: "/data", readOnly: false },
      { source: "", target: "/tmp", readOnly: null },
    ];
    expect(
      holds(mounts, [
        { source: "", target: "/tmp", readOnly: false },
        { source: "voting-redis-data", target: "/data", readOnly: false },
      ]),
    ).toBe(true);
    expect(holds(mounts, [{ source: "", target: "/tmp", readOnly: false }])).toBe(false);
    expect(
      holds(mounts, [
        { source: "", target: "/tmp", readOnly: false },
        { source: "voting-redis-data", target: "/data", readOnly: true },
      ]),
    ).toBe(false);
    expect([holds(128, 200), holds("unless-stopped", "no"), holds(5000, 5000), holds({ a: 1 }, null)]).toEqual([false, false, true, false]);
    const network2 = refresh_(network, [{ auxAddress: {}, gateway: "10.241.1.1", ipRange: "", subnet: "10.241.1.0/24" }]);
    expect(driftLines(network2)).toEqual([]);
  });

  it("a Kubernetes object (no diff from its provider's refresh): the fields its inputs set, compared as deployed and as the engine has them", () => {
    const inputs = {
      metadata: { name: "worker", labels: { "app.kubernetes.io/name": "worker" }, annotations: { "pulumi.com/patchForce": "true" } },
      spec: { replicas: 1, template: { spec: { containers: [{ name: "worker", env: [{ name: "A", value: "1" }] }] } } },
    };
    /** The object as the API server answers, with what it adds beside the inputs. */
    const live = (replicas: number, env: Array<{ name: string; value: string }>, version: string, labels = inputs.metadata.labels) => ({
      __inputs: inputs,
      __fieldManager: "pulumi-kubernetes-1",
      metadata: {
        ...inputs.metadata,
        labels,
        annotations: { ...inputs.metadata.annotations, "deployment.kubernetes.io/revision": version },
        resourceVersion: version,
        managedFields: [{ manager: `m${version}` }],
      },
      spec: { replicas, template: { spec: { containers: [{ name: "worker", env, terminationMessagePath: "/dev/termination-log" }] } } },
      status: { readyReplicas: replicas },
    });
    const deployed = live(1, [{ name: "A", value: "1" }], "1");
    const deployment = (after: Record<string, unknown>) =>
      refresh("kubernetes:apps/v1:Deployment", "worker", deployed, after, { detailedDiff: {} });
    // Another field manager's env var beside the stack's, a new revision and managed fields: not drift.
    expect(
      driftLines(
        deployment(
          live(
            1,
            [
              { name: "A", value: "1" },
              { name: "X", value: "1" },
            ],
            "7",
          ),
        ),
      ),
    ).toEqual([]);
    expect(driftLines(deployment(live(2, [{ name: "A", value: "2" }], "8", { "app.kubernetes.io/name": "web" })))).toEqual([
      "kubernetes Deployment worker: 3 fields changed on the engine",
      '  metadata.labels["app.kubernetes.io/name"]: stack "worker", engine "web"',
      "  spec.replicas: stack 1, engine 2",
      '  spec.template.spec.containers[0].env[0].value: stack "1", engine "2"',
    ]);
    // A list that lost one of the stack's items is named as a whole.
    expect(driftLines(deployment(live(1, [], "9")))).toEqual([
      "kubernetes Deployment worker: 1 field changed on the engine",
      '  spec.template.spec.containers[0].env: stack [{"name":"A","value":"1"}], engine []',
    ]);
    const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "x" };
    expect([
      inputDrift({ data: secret }, { data: secret }, { data: secret }),
      inputDrift({ data: secret }, { data: secret }, { data: { ...secret, value: "y" } }),
      inputDrift({ spec: { ports: [{ port: 80 }] } }, { spec: { ports: [{ port: 80 }] } }, { spec: { ports: [{ port: 81 }] } }),
    ]).toEqual([[], ["data"], ["spec.ports[0].port"]]);
  });

  it("the report and its exit code: what the refresh found stands when the plan after it fails; nothing found then is 'could not check'", () => {
    const gone = refresh("kubernetes:core/v1:Service", "result", { spec: { type: "ClusterIP" } });
    const same = refresh("kubernetes:core/v1:Service", "vote", { spec: {} }, { spec: {} });
    const conflict = 'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale": .spec.replicas';
    const removed = step("create", "docker:index/container:Container", "worker-1");
    expect([
      driftReport("k8se2e", [gone, same], [], conflict),
      driftReport("k8se2e", [same], [], conflict),
      driftReport("k8se2e", [same], []),
      driftReport("dev", [], [removed]),
    ]).toEqual([
      {
        out: ["stack k8se2e: 1 resource drifted", "  kubernetes Service result: missing on the engine (dockyard up creates it again)"],
        err: [`dockyard drift: the plan after the refresh failed (dockyard up would too): ${conflict}`],
        code: 1,
      },
      { out: [], err: [`dockyard drift: could not check: ${conflict}`], code: 3 },
      { out: ["stack k8se2e: no drift: the engine matches the stack"], err: [], code: 0 },
      {
        out: ["stack dev: 1 resource drifted", "  docker Container worker-1: missing on the engine (dockyard up creates it again)"],
        err: [],
        code: 1,
      },
    ]);
  });

  it("reads property paths", () => {
    const value = { a: { "b.c": [1, { d: 2 }] }, e: null };
    expect([valueAt(value, 'a["b.c"][1].d'), valueAt(value, "a.x"), valueAt(value, "e.f"), valueAt(value, 'a["b.c"][0]')]).toEqual([
      2,
      undefined,
      undefined,
      1,
    ]);
  });
});

describe("the engine, backend and passphrase, as scripts/deploy.sh set them up", () => {
  it("up makes a file backend and a private passphrase once, and env.sh names them", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-backend-"));
    const env = { PULUMI_HOME: path.join(dir, "no-login") };
    expect(findBackend(dir, env, false)).toEqual({
      url: `file://${dir}/.state/backend`,
      notes: ["backend: .state/backend (a local file backend, none yet; git-ignored)"],
    });
    expect(fs.existsSync(path.join(dir, ".state"))).toBe(false);
    const made = findBackend(dir, env, true);
    expect(made.url).toBe(`file://${dir}/.state/backend`);
    expect(made.passphraseFile).toBe(`${dir}/.state/passphrase`);
    expect((fs.statSync(made.passphraseFile as string).mode & 0o777).toString(8)).toBe("600");
    const passphrase = fs.readFileSync(made.passphraseFile as string, "utf8");
    expect(passphrase).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = findBackend(dir, env, true);
    expect(again.notes).toEqual([
      "backend: .state/backend (a local file backend)",
      "passphrase: .state/passphrase (it encrypts this stack's secrets: keep it)",
    ]);
    expect(fs.readFileSync(made.passphraseFile as string, "utf8")).toBe(passphrase);
    const script = envScript(again, dir);
    expect(script).toContain('export PULUMI_BACKEND_URL="file://$_dockyard_state_root/.state/backend"\n');
    expect(script).toContain('export PULUMI_CONFIG_PASSPHRASE_FILE="$_dockyard_state_root/.state/passphrase"\n');
    expect(script).not.toContain(dir);
  });

  it("the user's backend and passphrase win; a service backend needs no passphrase", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-backend-"));
    expect(findBackend(dir, { PULUMI_BACKEND_URL: "file:///srv/state", PULUMI_CONFIG_PASSPHRASE: "x" }, true)).toEqual({
      url: "file:///srv/state",
      notes: ["backend: file:///srv/state (PULUMI_BACKEND_URL)", "passphrase: yours (PULUMI_CONFIG_PASSPHRASE)"],
    });
    expect(findBackend(dir, { PULUMI_BACKEND_URL: "https://api.example.test" }, true)).toEqual({
      url: "https://api.example.test",
      notes: ["backend: https://api.example.test (PULUMI_BACKEND_URL)"],
    });
    expect(fs.existsSync(path.join(dir, ".state"))).toBe(false);
  });

  it("the backend the user is logged in to, when there is no .state/backend", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-backend-"));
    fs.writeFileSync(path.join(dir, "credentials.json"), JSON.stringify({ current: "https://api.example.test" }));
    expect(findBackend(dir, { PULUMI_HOME: dir }, true)).toEqual({ notes: ["backend: https://api.example.test (pulumi login)"] });
  });

  it("finds the engine tools/engine/build.sh built before one on PATH, offline either way", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-engine-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "pulumi"), "#!/bin/sh\n", { mode: 0o755 });
    expect(findEngine(dir, { PATH: "" })).toBeUndefined();
    expect(findEngine(dir, { PATH: bin })).toEqual({ description: path.join(bin, "pulumi"), env: OFFLINE_ENV });
    const ours = path.join(dir, ".tools", "pulumi", "bin");
    fs.mkdirSync(ours, { recursive: true });
    for (const file of ["pulumi", "pulumi-language-nodejs"]) fs.writeFileSync(path.join(ours, file), "#!/bin/sh\n", { mode: 0o755 });
    const engine = findEngine(dir, { PATH: bin });
    expect(engine).toEqual({
      root: path.join(dir, ".tools", "pulumi"),
      description: ".tools/pulumi",
      env: { ...OFFLINE_ENV, PULUMI_HOME: path.join(dir, ".tools", "pulumi", "home"), PULUMI_IGNORE_AMBIENT_PLUGINS: "true" },
    });
    expect(workspaceEnv(engine!, { url: "file:///s", passphraseFile: "/p", notes: [] })).toMatchObject({
      PULUMI_BACKEND_URL: "file:///s",
      PULUMI_CONFIG_PASSPHRASE_FILE: "/p",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    });
  });
});

describe("dockyard ps", () => {
  it("lays its rows out in columns", () => {
    expect(
      table([
        ["SERVICE", "REPLICAS", "HEALTH", "URL"],
        ["db", "1/1", "healthy", ""],
        ["vote", "2/3", "starting", "http://127.0.0.1:5000"],
      ]),
    ).toBe(
      ["SERVICE  REPLICAS  HEALTH    URL", "db       1/1       healthy", "vote     2/3       starting  http://127.0.0.1:5000"].join("\n"),
    );
  });
});
