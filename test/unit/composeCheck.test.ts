/**
 * `dockyard check` / `compose:check --stack`: its verdict is the program's. Every file of the compose
 * corpus and examples/ is checked on a stack of each target, and the same stack config runs the whole
 * program (deployStack, index.ts's one call) under mocks: the check passes exactly when the program
 * registers its resources, and the program's refusal is among those the check lists. Then what only
 * the stack's stages see (a target's plan), every refusal at once, and the command lines.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import { checkLines, checkStack, CheckResult, messagesOf } from "../../cli/check";
import { composeCheckLines } from "../../cli/compose";
import { run } from "../../cli/main";
import { Io } from "../../cli/verb";
import { deployStack } from "../../components/app";
import { votingApp } from "../../stacks/votingApp";
import { recorded, settle, setupMocks } from "./mocks";
import { configDefaults } from "./program";

const ROOT = path.resolve(__dirname, "../..");
const CORPUS = path.join(__dirname, "compose-corpus");
const SAMPLE = path.join(ROOT, "test/e2e/voting-sample");
const TARGETS = ["docker", "swarm", "kubernetes"] as const;
const SECRET = "check-s3cret-value-1";
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-check-"));

/** Every compose file of the corpus (good and bad, text that is not YAML too), examples/ and the voting sample. */
function corpusFiles(): string[] {
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((entry) => (entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
  const compose = (file: string) => /\.(ya?ml|txt)$/.test(file);
  return [...walk(CORPUS), ...walk(path.join(ROOT, "examples")), ...walk(SAMPLE)].filter(compose).sort();
}

/** The top-level secrets a file declares (as YAML reads them), so the stack gives each a value. */
function declaredSecrets(file: string): Record<string, string> {
  try {
    const secrets = (parse(fs.readFileSync(file, "utf8"), { logLevel: "silent" }) as { secrets?: Record<string, unknown> } | null)?.secrets;
    return Object.fromEntries(Object.keys(secrets ?? {}).map((name) => [name, SECRET]));
  } catch {
    return {};
  }
}

/** The stack config of a case: the file as dockyard:compose.file on the target (a registry where Kubernetes needs one). */
function stackConfig(file: string, target: (typeof TARGETS)[number]): Record<string, string | object> {
  return {
    target,
    compose: { file },
    secrets: declaredSecrets(file),
    ...(target === "kubernetes" ? { registry: "localhost:5000" } : {}),
  };
}

/** The check of a stack config, written as Pulumi.<stack>.yaml would hold it. */
function check(config: Record<string, unknown>, stack = "dev", extra = ""): CheckResult {
  const configFile = path.join(scratch, `Pulumi.${stack}.yaml`);
  // The app's secrets as `pulumi config set --secret --path` writes them: each value encrypted.
  const sealed = (key: string, value: unknown) =>
    key === "secrets" && value !== null && typeof value === "object"
      ? Object.fromEntries(Object.keys(value).map((name) => [name, { secure: "v1:sealed" }]))
      : value;
  const block = Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key.includes(":") ? key : `dockyard:${key}`, sealed(key, value)]),
  );
  fs.writeFileSync(configFile, stringify({ config: block }) + extra);
  return checkStack({ stack, dir: ROOT, configFile });
}

/** The whole program under mocks with the same config, as the engine passes it (Pulumi.yaml's defaults as set): its refusal, or none. */
async function program(config: Record<string, string | object>, stack = "dev"): Promise<Error | undefined> {
  await setupMocks({ ...configDefaults(), ...config }, stack);
  pulumi.runtime.setAllConfig(pulumi.runtime.allConfig(), ["dockyard:secrets"]);
  try {
    deployStack(votingApp);
    await settle();
    expect(recorded.length).toBeGreaterThan(0);
    return undefined;
  } catch (error) {
    await settle();
    expect(recorded).toEqual([]);
    return error as Error;
  }
}

/** A refusal's messages one by one, as the check lists them. */
const messages = (error: Error): string[] => messagesOf(error);

describe("the check's verdict is the program's, on every corpus file and target", () => {
  // Stack traces are what most of an SDK run costs under jest; no test here reads one.
  const stackTraceLimit = Error.stackTraceLimit;
  beforeAll(() => void (Error.stackTraceLimit = 0));
  afterAll(() => void (Error.stackTraceLimit = stackTraceLimit));
  // The fidelity report goes to the Pulumi log line by line: a few hundred lines nobody reads here.
  beforeEach(() => {
    jest.spyOn(pulumi.log, "info").mockImplementation(async () => undefined);
    jest.spyOn(pulumi.log, "warn").mockImplementation(async () => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const files = corpusFiles();
  const verdicts: Record<string, number> = { passed: 0, refused: 0 };

  test.each(TARGETS)(
    "on target %s",
    async (target) => {
      for (const file of files) {
        const config = stackConfig(file, target);
        const checked = check(config);
        const refused = await program(config);
        const listed = checked.refusals.map((refusal) => refusal.message);
        const name = `${path.relative(ROOT, file)} on ${target}`;
        // The verdict, then the program's own refusal among those listed.
        expect([name, listed.length === 0]).toEqual([name, refused === undefined]);
        if (refused !== undefined) expect([name, listed]).toEqual([name, expect.arrayContaining(messages(refused))]);
        verdicts[listed.length === 0 ? "passed" : "refused"]++;
      }
    },
    180_000,
  );

  test("both verdicts occur, on every target", () => {
    // Each target checked every file: some pass, some are refused (the corpus holds both).
    expect(verdicts.passed + verdicts.refused).toBe(files.length * TARGETS.length);
    expect(verdicts.passed).toBeGreaterThan(TARGETS.length * 10);
    expect(verdicts.refused).toBeGreaterThan(TARGETS.length * 40);
  });
});

describe("what only the stack's stages see", () => {
  const sampleStack = path.join(SAMPLE, "docker-stack.yml");

  test("the voting sample's docker-stack.yml reads cleanly, and the Docker plan refuses it: two replicas on one host port", () => {
    expect(() => composeCheckLines({ file: sampleStack, dir: ROOT })).not.toThrow();
    const checked = check({ target: "docker", compose: { file: sampleStack }, secrets: {} });
    expect(checked.refusals).toEqual([
      {
        stage: "plan",
        message: `${sampleStack}: services.vote.ports[0]: host port 8081 is used by both service "result" and service "vote" (its 2 replicas use 8080-8081 on Docker, one port each); lower ${sampleStack}: services.vote.deploy.replicas or publish on another port`,
      },
    ]);
    expect(checked.notRun).toEqual([]);
  });

  test("each target's plan has its own refusal of it; the stage's setting of one vote replica makes it pass on Docker", () => {
    expect(check({ target: "swarm", compose: { file: sampleStack }, secrets: {} }).refusals).toEqual([
      {
        stage: "plan",
        message: `${sampleStack}: services.vote.deploy.replicas cannot be honoured on target swarm (service "vote" publishes port 8080 in host mode, one task per node, and the swarm runs tasks on 1 node (dockyard:swarmNodes); 2 replicas would leave 1 pending for ever); set dockyard:services.vote.replicas to 1 or fewer, add nodes and raise dockyard:swarmNodes, or set dockyard:swarmEndpointMode vip (the routing mesh; it needs IPVS on every node)`,
      },
    ]);
    expect(check({ target: "kubernetes", registry: "localhost:5000", compose: { file: sampleStack }, secrets: {} }).refusals).toEqual([
      {
        stage: "plan",
        message: `${sampleStack}: services.db.volumes[0] volume "db-data" on a service that is not singleWriter cannot be honoured on target kubernetes (its ReadWriteOnce claim attaches to one node, so one pod at a time may use it); mark service "db" singleWriter, or drop the mount`,
      },
    ]);
    const checked = check({ target: "docker", compose: { file: sampleStack }, secrets: {}, services: { vote: { replicas: 1 } } });
    expect(checked.refusals).toEqual([]);
    expect(checked.services).toEqual(["db", "redis", "result", "vote", "worker"]);
    expect(checkLines(checked).at(-1)).toBe("ok: pulumi up on stack dev passes its checks (5 services: db, redis, result, vote, worker)");
  });

  test("outside dev the file's literal password is refused, and the stages after it are named as not run", () => {
    const checked = check({ target: "docker", compose: { file: sampleStack }, secrets: {} }, "staging");
    expect(checked.refusals).toEqual([
      {
        stage: "app",
        message: `${sampleStack}: services.db.environment.POSTGRES_PASSWORD holds a literal credential (named like one; 8 characters, not shown), allowed only in the dev stack (stack is "staging"): declare a top-level secret, list it under the service's secrets:, set POSTGRES_PASSWORD_FILE: /run/secrets/<secret>, and give its value with pulumi config set --secret --path secrets.<secret> <value>`,
      },
    ]);
    expect(checked.notRun).toEqual(["configure", "resolve", "plan"]);
  });

  test("a stack without dockyard:secrets: the app's own secret is named as missing", () => {
    const checked = check({ target: "docker", compose: { file: path.join(ROOT, "examples/voting-compose.yaml") } });
    expect(checked.refusals).toEqual([
      {
        stage: "configure",
        message:
          "dockyard:secrets.db-password is required (password of the PostgreSQL user the app uses): pulumi config set --secret --path secrets.db-password <value>",
      },
    ]);
  });
});

describe("every refusal at once", () => {
  const bad = path.join(CORPUS, "bad/secret-undeclared.yaml");

  test("provider keys, each refused key, a plain registry password and the file's own refusals are listed together; what they hide is named", () => {
    const checked = check(
      {
        "docker:host": "unix:///var/run/docker.sock",
        target: "nomad",
        imageTag: "latest",
        replicas: 3,
        registry: "localhost:5000",
        registryPassword: "hunter2-plain",
        compose: { file: bad },
        secrets: {},
      },
      "prod",
    );
    expect(checked.refusals).toEqual([
      {
        stage: "settings",
        message:
          "docker:host is set, but a dockyard stack deploys through providers of its own, made from dockyard: keys, so it would be ignored; set dockyard:dockerHost instead (pulumi config rm docker:host; pulumi config set dockerHost <value>)",
      },
      { stage: "settings", message: expect.stringMatching(/^dockyard:replicas is not a dockyard key; the keys are: target, services, /) },
      { stage: "settings", message: 'dockyard:target must be docker, kubernetes or swarm, got "nomad"' },
      {
        stage: "settings",
        message:
          "dockyard:registryPassword is set ([secret]) but dockyard:registryUsername is empty: set the user to log in as, or unset registryPassword to push without a login",
      },
      {
        stage: "settings",
        message:
          'dockyard:imageTag "latest" is allowed only in the dev stack (stack is "prod"): pin a version tag so a deploy is repeatable',
      },
      {
        stage: "settings",
        message:
          'dockyard:registryPassword is set in plain text (13 characters, not shown), so the stack\'s config file holds it as written; that is allowed only in the dev stack (stack is "prod"): pulumi config set --secret registryPassword <password>',
      },
      {
        stage: "app",
        message: `${bad}: services.db.secrets names "db-password", which is not in the file's top-level secrets (none)`,
      },
    ]);
    expect(checked.notRun).toEqual(["configure", "resolve", "plan"]);
    const lines = checkLines(checked);
    expect(lines).toContain(
      "not run: the settings laid over the app, resolve, the target's plan (they need what a refused stage would give: fix the refusals above and check again)",
    );
    expect(lines.at(-1)).toBe("7 refusals: pulumi up on stack prod would refuse to deploy");
  });

  test("the compose file's refusals are listed one by one, beside the stack's", () => {
    const file = path.join(scratch, "two.yaml");
    fs.writeFileSync(
      file,
      "name: two\nservices:\n  a:\n    image: nginx:1.27\n    privileged: true\n  b:\n    image: nginx:1.27\n    privileged: true\n",
    );
    const checked = check({ target: "nomad", compose: { file }, secrets: {} });
    expect(checked.refusals).toEqual([
      { stage: "settings", message: 'dockyard:target must be docker, kubernetes or swarm, got "nomad"' },
      ...["a", "b"].map((service) => ({
        stage: "app",
        message: `${file}: services.${service}.privileged cannot be deployed: a privileged container can do anything on its host; grant what the service needs in its image instead`,
      })),
    ]);
  });

  test("an encrypted value is not read: a placeholder passes, and the check says so", () => {
    const file = path.join(CORPUS, "good/secrets.yaml");
    const names = Object.keys(declaredSecrets(file));
    const sealed = Object.fromEntries(names.map((name) => [name, { secure: "v1:bm90LXJlYWQ=" }]));
    const checked = check({ target: "docker", compose: { file }, secrets: sealed });
    expect(checked.refusals).toEqual([]);
    expect(checked.notes).toEqual([
      `${names.map((name) => `dockyard:secrets.${name}`).join(", ")}: encrypted, not read here (a placeholder passes); pulumi up decrypts ${names.length > 1 ? "them and checks their" : "it and checks its"} rules (such as a secret's length)`,
    ]);
  });
});

describe("the command lines", () => {
  async function dockyard(argv: string[], cwd = ROOT): Promise<{ code: number; out: string; err: string[] }> {
    let out = "";
    const err: string[] = [];
    const io: Io = { out: (text) => (out += text), err: (text) => err.push(text), cwd };
    return { code: await run(argv, io), out, err };
  }

  test("dockyard check: exit 0 when the checks pass, 1 with every refusal, 2 and one line for a stack or file that is not there", async () => {
    const dir = fs.mkdtempSync(path.join(scratch, "project-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.writeFileSync(
      path.join(dir, "Pulumi.dev.yaml"),
      "config:\n  dockyard:secrets: {}\n  dockyard:services:\n    vote: { replicas: 1 }\n",
    );
    fs.copyFileSync(path.join(SAMPLE, "docker-stack.yml"), path.join(dir, "stack.yml"));
    const ok = await dockyard(["check", "-f", "stack.yml"], dir);
    expect([ok.code, ok.out.trim().split("\n").at(-1)]).toEqual([
      0,
      "ok: pulumi up on stack dev passes its checks (5 services: db, redis, result, vote, worker)",
    ]);
    fs.writeFileSync(path.join(dir, "Pulumi.two.yaml"), "config:\n  dockyard:secrets: {}\n");
    const refused = await dockyard(["check", "two", "-f", "stack.yml"], dir);
    expect([refused.code, refused.out.trim().split("\n").at(-1)]).toEqual([1, "1 refusal: pulumi up on stack two would refuse to deploy"]);
    expect(await dockyard(["check", "nope", "-f", "stack.yml"], dir)).toEqual({
      code: 2,
      out: "",
      err: ["dockyard check: no Pulumi.nope.yaml here; stacks here: dev, two"],
    });
    expect(await dockyard(["check", "dev", "-f", "missing.yml"], dir)).toEqual({
      code: 2,
      out: "",
      err: ["dockyard check: -f/--file missing.yml: no such file"],
    });
  });

  test("npm run compose:check -- FILE --stack S: the same check, as a process", async () => {
    // A project of its own: Pulumi.yaml, a dev stack that sets no dockyard:secrets, and the sample's file.
    const dir = fs.mkdtempSync(path.join(scratch, "script-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  dockyard:target: docker\n");
    fs.copyFileSync(path.join(SAMPLE, "docker-stack.yml"), path.join(dir, "docker-stack.yml"));
    const tsNode = path.join(ROOT, "node_modules/.bin/ts-node");
    const script = (...args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          tsNode,
          ["--transpile-only", path.join(ROOT, "scripts/compose-check.ts"), ...args],
          { cwd: dir },
          (error, stdout, stderr) =>
            resolve({ status: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr }),
        );
      });
    const sample = "docker-stack.yml";
    const [refused, unknown, missing] = await Promise.all([
      script(sample, "--stack", "dev"),
      script(sample, "--stack", "nope"),
      script("missing.yml", "--stack", "dev"),
    ]);
    expect(refused.status).toBe(1);
    expect(refused.stdout.split("\n").filter((line) => line.startsWith("refused"))).toEqual([
      `refused (the target's plan): ${sample}: services.vote.ports[0]: host port 8081 is used by both service "result" and service "vote" (its 2 replicas use 8080-8081 on Docker, one port each); lower ${sample}: services.vote.deploy.replicas or publish on another port`,
    ]);
    expect(unknown).toMatchObject({
      status: 2,
      stdout: "",
      stderr: "compose:check --stack: no Pulumi.nope.yaml here; stacks here: dev\n",
    });
    expect(missing).toEqual({ status: 2, stdout: "", stderr: "compose:check: missing.yml: no such file\n" });
  }, 60_000);
});
