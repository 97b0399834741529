/**
 * The `dockyard` command (cli/): its verbs run in-process with their output captured, every bad
 * input on the command line refused in one line with exit 2, refusals of the stacks with exit 1,
 * `dockyard config` printing what `npm run resolved` and `npm run compose:check` print, and the bin
 * itself run as a process.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkVerb } from "../../cli/check";
import { composeCheckLines } from "../../cli/compose";
import { NO_DOT } from "../../cli/render";
import { run } from "../../cli/main";
import { loadStack, resolvedSummary } from "../../cli/stack";
import { Io } from "../../cli/verb";

const ROOT = path.resolve(__dirname, "../..");
const COMPOSE = "examples/voting-compose.yaml";
const COMMANDS = "up, down, ps, logs, drift, config, check, diagram";

/** Runs `dockyard <argv>` in `cwd` and returns the exit code and what it wrote. */
async function dockyard(argv: string[], cwd = ROOT): Promise<{ code: number; out: string; err: string[] }> {
  let out = "";
  const err: string[] = [];
  const io: Io = { out: (text) => (out += text), err: (text) => err.push(text), cwd };
  const code = await run(argv, io);
  return { code, out, err };
}

/** A directory with a stack file whose target is wrong and a compose file dockyard refuses. */
function scratch(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-cli-"));
  fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), "config:\n  dockyard:target: nomad\n");
  fs.writeFileSync(path.join(dir, "Pulumi.plain.yaml"), "config:\n  dockyard:secrets:\n    db-password: not-sealed-at-all\n");
  fs.writeFileSync(path.join(dir, "Pulumi.elsewhere.yaml"), "config:\n  docker:host: tcp://10.9.9.9:2375\n");
  fs.writeFileSync(
    path.join(dir, "privileged.yaml"),
    'services:\n  web:\n    image: nginx:1.27\n    ports: ["80"]\n    privileged: true\n',
  );
  fs.writeFileSync(path.join(dir, "web.yaml"), 'name: web\nservices:\n  web:\n    image: nginx:1.27\n    ports: ["8080:80"]\n');
  return dir;
}

describe("bad input on the command line: one line naming it and what is allowed, exit 2, nothing written", () => {
  const dir = scratch();
  const DIAGRAM_OPTIONS = "options: -f/--file, --profile, --env-file, --format, --target, -o/--output, -h/--help";
  const cases: Array<[string, string[], string]> = [
    ["no command", [], `dockyard: give a command: ${COMMANDS} (dockyard --help)`],
    ["an unknown command", ["deploy"], `dockyard: unknown command "deploy"; commands: ${COMMANDS} (dockyard --help)`],
    ["an unknown option before the command", ["--bogus"], `dockyard: unknown option "--bogus"; commands: ${COMMANDS} (dockyard --help)`],
    ["an unknown option", ["diagram", "--colour"], `dockyard diagram: unknown option --colour; ${DIAGRAM_OPTIONS}`],
    ["an unknown short option", ["diagram", "-x"], `dockyard diagram: unknown option -x; ${DIAGRAM_OPTIONS}`],
    [
      "another verb's option",
      ["config", "--format", "dot"],
      "dockyard config: unknown option --format; options: -f/--file, --profile, --env-file, -h/--help",
    ],
    [
      "a format it does not write",
      ["diagram", "--format", "png"],
      'dockyard diagram: --format must be one of mermaid, dot, svg, got "png"',
    ],
    [
      "a target it does not know",
      ["diagram", "--target", "nomad"],
      'dockyard diagram: --target must be one of docker, swarm, kubernetes, got "nomad"',
    ],
    ["an option without its value", ["diagram", "--format"], "dockyard diagram: --format needs a value: --format mermaid|dot|svg"],
    [
      "an option followed by another option",
      ["diagram", "--target", "--format", "dot"],
      "dockyard diagram: --target needs a value: --target docker|swarm|kubernetes",
    ],
    ["an empty value", ["diagram", "--output="], "dockyard diagram: -o/--output needs a value: -o/--output FILE"],
    ["a value for a flag", ["diagram", "--help=yes"], 'dockyard diagram: -h/--help takes no value, got "yes"'],
    ["an option given twice", ["diagram", "--format", "dot", "--format", "svg"], "dockyard diagram: --format is given twice; give it once"],
    ["a second argument", ["diagram", "dev", "staging"], 'dockyard diagram: unexpected argument "staging": it takes at most STACK'],
    [
      "a stack name with a path in it",
      ["config", "../dev"],
      'dockyard config: STACK must be a stack name (letters, digits, _ . -), got "../dev"',
    ],
    ["a stack without its file", ["diagram", "nosuch"], "dockyard diagram: no Pulumi.nosuch.yaml here; stacks here: bad, elsewhere, plain"],
    ["a compose file that is not there", ["config", "-f", "missing.yaml"], "dockyard config: -f/--file missing.yaml: no such file"],
    [
      "a profile without a compose file",
      ["diagram", "--profile", "debug"],
      "dockyard diagram: --profile applies to a compose file: give -f FILE",
    ],
    [
      "an env file without a compose file",
      ["config", "--env-file", ".env"],
      "dockyard config: --env-file applies to a compose file: give -f FILE",
    ],
  ];

  it.each(cases)("%s", async (_case, argv, message) => {
    const { code, out, err } = await dockyard(argv, dir);
    expect({ code, out, err }).toEqual({ code: 2, out: "", err: [message] });
  });

  it("--format svg without Graphviz's dot", async () => {
    const saved = process.env.PATH;
    process.env.PATH = dir;
    try {
      expect(await dockyard(["diagram", "--format", "svg"])).toEqual({ code: 2, out: "", err: [NO_DOT] });
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe("a stack or compose file the stacks refuse: the refusal in one line, exit 1", () => {
  const dir = scratch();
  const privileged =
    "error: privileged.yaml: services.web.privileged cannot be deployed: a privileged container can do anything on its host; grant what the service needs in its image instead";

  it.each([
    ["a bad key in the stack file", ["diagram", "bad"], 'error: dockyard:target must be docker, kubernetes or swarm, got "nomad"'],
    [
      "the app's secrets in plain text, as pulumi up refuses them",
      ["config", "plain"],
      "error: dockyard:secrets is set in plain text, so the stack's config file holds the app's secrets as written: remove it (pulumi config rm secrets) and set each with pulumi config set --secret --path secrets.<name> <value>",
    ],
    [
      "another provider's key, as pulumi up refuses it",
      ["config", "elsewhere"],
      "error: docker:host is set, but a dockyard stack deploys through providers of its own, made from dockyard: keys, so it would be ignored; set dockyard:dockerHost instead (pulumi config rm docker:host; pulumi config set dockerHost <value>)",
    ],
    ["a compose file's refusal, in its report", ["config", "-f", "privileged.yaml"], privileged],
    ["a compose file's refusal, in its picture", ["diagram", "-f", "privileged.yaml"], privileged],
  ])("%s", async (_case, argv, message) => {
    expect(await dockyard(argv, dir)).toEqual({ code: 1, out: "", err: [message] });
  });
});

describe("dockyard config", () => {
  it("prints a stack's resolved app, as npm run resolved does", async () => {
    const { code, out, err } = await dockyard(["config", "staging"]);
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out).toBe(`${JSON.stringify(resolvedSummary(loadStack({ stack: "staging", dir: ROOT })), null, 2)}\n`);
    const printed = JSON.parse(out);
    expect([printed.stack, printed.target, printed.published]).toEqual(["staging", "kubernetes", [5000, 5001]]);
    // Lists in the stack file stay lists (services.result.security.tmpfs: ["/tmp"]).
    expect(printed.app.services.result.security.tmpfs).toEqual(["/tmp"]);
    expect(printed.images).toEqual({
      "services.db.image": "postgres:15",
      "services.redis.image": "redis:7.4",
      "buildArgs.NODE_IMAGE": "node:22-slim",
      "buildArgs.PYTHON_IMAGE": "python:3.12-slim",
    });
  });

  it("defaults to the dev stack", async () => {
    const { code, out } = await dockyard(["config"]);
    expect([code, JSON.parse(out).stack, JSON.parse(out).target]).toEqual([0, "dev", "docker"]);
  });

  it("prints a compose file's fidelity report, as npm run compose:check does", async () => {
    const { code, out, err } = await dockyard(["config", "-f", COMPOSE]);
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out).toBe(`${composeCheckLines({ file: COMPOSE, dir: ROOT }).join("\n")}\n`);
    expect(out.split("\n")[0]).toBe(`${COMPOSE}: app "voting", 5 services (db, redis, result, vote, worker)`);
  });
});

describe("dockyard diagram", () => {
  it("writes Mermaid by default, the picture alone on standard output", async () => {
    const { code, out, err } = await dockyard(["diagram"]);
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out.split("\n").slice(0, 4)).toEqual([
      "---",
      'title: "voting on docker, stack dev · Docker engine unix:///var/run/docker.sock"',
      "---",
      "flowchart LR",
    ]);
  });

  it("takes the format from -o's extension, and writes the file", async () => {
    const dir = scratch();
    const { code, out } = await dockyard(["diagram", "-f", "web.yaml", "-o", "web.dot"], dir);
    expect([code, out]).toEqual([0, ""]);
    const dot = fs.readFileSync(path.join(dir, "web.dot"), "utf8");
    expect(dot.split("\n")[0]).toBe('digraph "web on docker, web.yaml" {');
    expect(dot).toContain('"port_web_tcp_80" -> "svc_web" [label="80/tcp"];');
  });

  it("draws a compose file outside any project on another target, saying what it assumed", async () => {
    const dir = scratch();
    const { code, out, err } = await dockyard(["diagram", "-f", "web.yaml", "--target", "swarm", "--format", "dot"], dir);
    expect(code).toBe(0);
    expect(out).toContain('"port_web_tcp_80" [label="*:8080, host mode\\non each node running a task"');
    expect(err).toEqual([
      "warning: web.yaml: services.web.security_opt (not set: no-new-privileges by default) is ignored on target swarm: a swarm service's spec, as the Docker provider writes it, has no such field, so the tasks' processes may still gain privileges through setuid binaries; to deny it there, run the Docker engine of every swarm node with no-new-privileges (dockerd --no-new-privileges, or \"no-new-privileges\": true in /etc/docker/daemon.json and the engine restarted): every container it creates then has it, swarm tasks included",
      "warning: target swarm publishes web 8080 on every interface of the node that runs the task (a swarm cannot bind one address): firewall them if the nodes are reachable from outside",
    ]);
  });

  it("prints its help, exit 0", async () => {
    const { code, out } = await dockyard(["diagram", "--help"]);
    expect(code).toBe(0);
    expect(out.split("\n")[0]).toBe(
      "usage: dockyard diagram [STACK] [-f/--file FILE] [--profile NAME]... [--env-file FILE] [--format mermaid|dot|svg] [--target docker|swarm|kubernetes] [-o/--output FILE]",
    );
  });
});

describe("the command", () => {
  it("lists its verbs", async () => {
    const { code, out } = await dockyard(["--help"]);
    expect(code).toBe(0);
    expect(out.split("\n").filter((line) => /^ {2}\w/.test(line))).toEqual([
      "  up       deploy a stack (create or update), with live progress; repairs what was changed by hand",
      "  down     remove everything a stack deployed, with live progress",
      "  ps       each service of a deployed stack: replicas, health and URL",
      "  logs     a service's logs (all services' without SERVICE), from its containers, swarm tasks or pods",
      "  drift    what differs on the engine from the stack (changed or removed by hand); exit 1 when something does",
      "  config   a stack's resolved app as JSON, or a compose file's fidelity report (no engine needed)",
      `  check    ${checkVerb.summary}`,
      "  diagram  a picture of the app as its target will run it: Mermaid, Graphviz dot or SVG (no engine needed)",
    ]);
  });

  it("prints the package's version", async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(await dockyard(["--version"])).toEqual({ code: 0, out: `${version}\n`, err: [] });
  });

  it("runs as the package's bin, with its exit code", () => {
    const { bin } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const ran = spawnSync(process.execPath, [path.join(ROOT, bin.dockyard), "diagram", "--format", "png"], { cwd: ROOT, encoding: "utf8" });
    expect([ran.status, ran.stdout, ran.stderr]).toEqual([
      2,
      "",
      'dockyard diagram: --format must be one of mermaid, dot, svg, got "png"\n',
    ]);
  }, 120000);
});
