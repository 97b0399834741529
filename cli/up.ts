/**
 * `dockyard up [STACK] [--target T] [--json] [--yes]`: deploys a stack through the Automation API,
 * with what scripts/deploy.sh used to do around `pulumi up`: the engine and backend (cli/engine.ts),
 * the stack created when new, a generated value for each of the app's secrets the stack lacks, the
 * images a Docker stack needs (on the engine, pulled, or local stand-ins with
 * DOCKYARD_LOCAL_BASE_IMAGES=1), and a published port already held or (on Kubernetes) an autoscaler's
 * maxReplicas the nodes cannot place (cli/capacity.ts) stopped before anything is created.
 * The update refreshes first, so what was changed or removed by hand is put back (`dockyard drift`
 * shows it). Progress is one line per resource (cli/progress.ts), or the engine's events as JSON lines.
 */
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as net from "net";
import * as path from "path";
import type { Target } from "../stacks/config";
import { CommandError, UsageError } from "./args";
import { checkCapacity } from "./capacity";
import { TARGETS } from "./diagram";
import { FailedResource, Progress, seconds, urnName } from "./progress";
import { Interrupted, settleInterrupted, stoppable } from "./interrupted";
import { COMPOSE_FILE_OPTIONS, engineError, STACK_POSITIONAL, stackPlace } from "./project";
import { rolloutDiagnosis } from "./rollout";
import { keyPath } from "../stacks/config";
import { knownHostsName, sshKeyInfo } from "../stacks/dockerSsh";
import { dockerCommand, runEngine, sshText } from "./runtime";
import { LoadedStack, resolvedSummary } from "./stack";
import { composeSecrets, packageRoot, writeComposeSettings } from "./standalone";
import { composeArgument, COMPOSE_OPTIONS, Io, Verb } from "./verb";

/** Stand-ins tools/base-images/build.sh makes, by repository name. */
const STAND_INS: Record<string, string> = {
  python: "dockyard-local/python:3.11",
  node: "dockyard-local/node:22",
  redis: "dockyard-local/redis:7",
  postgres: "dockyard-local/postgres:15",
};

/** Whether something listens on address:port (a connection is accepted within a second). */
function listening(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port, timeout: 1000 });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.on("connect", () => done(true));
    socket.on("error", () => done(false));
    socket.on("timeout", () => done(false));
  });
}

/** Seconds the first engine check waits for an answer: an address that drops packets would hang the docker CLI. */
const ENGINE_TIMEOUT_S = 20;

/**
 * A Docker engine answers at the stack's dockerHost; else one line naming the host, what failed and
 * what to check (a TLS engine: which certificate, from what the docker CLI says).
 */
export function checkDocker(verb: string, loaded: LoadedStack): string {
  const docker = dockerCommand(loaded.config);
  const result = spawnSync(docker.command, ["version", "--format", "{{.Server.Version}}"], {
    env: docker.env,
    encoding: "utf8",
    timeout: ENGINE_TIMEOUT_S * 1000,
  });
  const host = loaded.config.dockerHost;
  const ssh = new URL(host).protocol === "ssh:";
  if (ssh && result.error !== undefined && (result.error as NodeJS.ErrnoException).code === "ETIMEDOUT") {
    throw new CommandError(
      `dockyard ${verb}: the machine at ${host} (dockyard:dockerHost) did not answer within ${ENGINE_TIMEOUT_S} s over ssh: check that the address is right and reachable from here (no firewall dropping port ${new URL(host).port || "22"}), and that sshd listens there`,
    );
  }
  if (result.error !== undefined && (result.error as NodeJS.ErrnoException).code === "ETIMEDOUT") {
    throw new CommandError(
      `dockyard ${verb}: the Docker engine at ${host} (dockyard:dockerHost) did not answer within ${ENGINE_TIMEOUT_S} s: check that the address is right and reachable from here (no firewall dropping the port), and that dockerd listens there`,
    );
  }
  if (result.error !== undefined)
    throw new CommandError(`dockyard ${verb}: no docker command: install Docker's CLI (Debian: sudo apt-get install docker.io)`);
  if (result.status !== 0) {
    const said = result.stderr.trim().split("\n").slice(-1)[0] ?? "";
    if (ssh) throw sshFailure(verb, loaded, result.stderr);
    if (/permission denied/i.test(result.stderr)) {
      throw new CommandError(
        `dockyard ${verb}: the Docker engine at ${host} refuses your user (permission denied): sudo usermod -aG docker $USER, then log in again`,
      );
    }
    const tls = loaded.config.dockerTls !== undefined;
    if (tls && /remote error: tls|certificate required|bad certificate|unknown certificate authority/i.test(result.stderr)) {
      throw new CommandError(
        `dockyard ${verb}: the Docker engine at ${host} refused the client certificate (dockyard:dockerTls.clientCert): it is not signed by the CA the engine trusts (dockerd's --tlscacert), or it has expired; the docker CLI said: ${tlsReason(said)}`,
      );
    }
    if (tls && /x509:|certificate is valid for|certificate signed by unknown authority/i.test(result.stderr)) {
      throw new CommandError(
        `dockyard ${verb}: the Docker engine at ${host} presents a server certificate that dockyard:dockerTls.caCert does not vouch for (${tlsReason(said)}): caCert must be the CA that signed dockerd's --tlscert, and that certificate must name ${new URL(host).hostname} (subjectAltName)`,
      );
    }
    if (tls && /HTTP response to HTTPS client/i.test(result.stderr)) {
      throw new CommandError(
        `dockyard ${verb}: the Docker engine at ${host} speaks plain HTTP, not TLS: start dockerd there with --tlsverify --tlscacert --tlscert --tlskey, or check the port (${host})`,
      );
    }
    if (!tls && /HTTP request to an HTTPS server/i.test(result.stderr)) {
      throw new CommandError(
        `dockyard ${verb}: the Docker engine at ${host} takes TLS only: set dockyard:dockerTls (caCert, clientCert, clientKey) for it`,
      );
    }
    if (!host.startsWith("unix://")) {
      throw new CommandError(
        `dockyard ${verb}: no Docker engine answers at ${host} (dockyard:dockerHost): ${connectReason(said)}; check that dockerd runs there and listens on that address and port (dockerd -H), and that nothing between here and there blocks it`,
      );
    }
    throw new CommandError(
      `dockyard ${verb}: no Docker engine answers at ${host} (dockyard:dockerHost): start one (Debian: sudo apt-get install docker.io && sudo systemctl start docker), or npm run deploy with DOCKYARD_START_DOCKERD=1`,
    );
  }
  return result.stdout.trim();
}

/**
 * Why the docker CLI could not reach an ssh:// engine, from what ssh (or docker system dial-stdio on
 * the engine's machine) said, as one line naming the keys to fix: the key refused, the host key not
 * the pinned one, no sshd answering, or no engine behind the login.
 */
function sshFailure(verb: string, loaded: LoadedStack, stderr: string): CommandError {
  const host = loaded.config.dockerHost;
  const url = new URL(host);
  const given = loaded.config.dockerSsh !== undefined;
  // The docker CLI quotes ssh's own error output after "stderr=".
  const sshSaid = stderr.includes("stderr=") ? stderr.slice(stderr.indexOf("stderr=") + "stderr=".length) : stderr;
  const said =
    sshSaid
      .trim()
      .split("\n")
      .filter((line) => line.trim() !== "")
      .slice(-1)[0]
      ?.trim() ?? "";
  const user = decodeURIComponent(url.username);
  const home = user === "" ? "the login user's ~/.ssh/authorized_keys" : `~${user}/.ssh/authorized_keys`;
  const hostName = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const fail = (text: string) => new CommandError(`dockyard ${verb}: ${text}`);
  if (/Permission denied \(publickey/i.test(sshSaid)) {
    if (!given) {
      return fail(
        `the SSH server at ${host} (dockyard:dockerHost) refused every key your ssh offered (ssh-agent, ~/.ssh/config, ~/.ssh/id_*): add your public key to ${home} on that machine, or set dockyard:dockerSsh.privateKey and dockyard:dockerSsh.knownHosts to a key it takes and its host key; ssh said: ${said}`,
      );
    }
    const key = sshKeyInfo(sshText(loaded.config, process.cwd()).privateKey, keyPath);
    return fail(
      `the SSH server at ${host} (dockyard:dockerHost) refused the key dockyard:dockerSsh.privateKey (${key.type} ${key.fingerprint}): its public key (ssh-keygen -y -f <the key's file>) must be in ${home} on that machine, or set dockyard:dockerSsh.privateKey to a key that is; ssh said: ${said}`,
    );
  }
  if (/Host key verification failed/i.test(sshSaid)) {
    const presented = /key sent by the remote host is\s*(SHA256:[A-Za-z0-9+/]+)/.exec(sshSaid)?.[1];
    const shown = presented === undefined ? "" : ` (it presents ${presented})`;
    const check = `ssh-keyscan -t ed25519 ${url.port === "" || url.port === "22" ? "" : `-p ${url.port} `}${hostName}, its key checked against ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on that machine`;
    return fail(
      given
        ? `the machine at ${host} (dockyard:dockerHost) presents a host key that dockyard:dockerSsh.knownHosts does not pin for ${knownHostsName(url)}${shown}: if its key changed, put the new one in dockyard:dockerSsh.knownHosts (${check}); if not, something else answers at that address, and nothing was sent to it`
        : `the machine at ${host} (dockyard:dockerHost) presents a host key your known_hosts does not hold for ${knownHostsName(url)}${shown}: add it to ~/.ssh/known_hosts, or set dockyard:dockerSsh.knownHosts and dockyard:dockerSsh.privateKey (${check})`,
    );
  }
  const unreachable =
    /(connection refused|no route to host|connection timed out|operation timed out|network is unreachable|connection reset by peer|could not resolve hostname .*|connection closed by .*)$/i.exec(
      said,
    )?.[1];
  if (unreachable !== undefined) {
    return fail(
      `no SSH server answers at ${hostName} port ${url.port || "22"} (dockyard:dockerHost ${JSON.stringify(host)}): ${unreachable.charAt(0).toLowerCase()}${unreachable.slice(1)}; check that sshd runs there and listens on that address and port, and that nothing between here and there blocks it`,
    );
  }
  if (/docker: (command )?not found|exec: "?docker"?: executable file not found/i.test(sshSaid)) {
    return fail(
      `dockyard logged in to the machine at ${host} (dockyard:dockerHost), but no docker command runs there for ${user === "" ? "the login user" : user}: install Docker's CLI on that machine, on the PATH of its ssh sessions (docker system dial-stdio runs there)`,
    );
  }
  if (/permission denied/i.test(sshSaid)) {
    return fail(
      `dockyard logged in to the machine at ${host} (dockyard:dockerHost), but its Docker engine refuses ${user === "" ? "the login user" : user} (permission denied): sudo usermod -aG docker ${user === "" ? "<user>" : user} on that machine, or log in as a user of its docker group; docker said: ${said}`,
    );
  }
  if (/Cannot connect to the Docker daemon/i.test(stderr)) {
    return fail(
      `dockyard logged in to the machine at ${host} (dockyard:dockerHost), but no Docker engine answers there: docker system dial-stdio dials DOCKER_HOST of the ssh session, else /var/run/docker.sock; start dockerd on that machine (or check which socket it listens on)`,
    );
  }
  return fail(`the Docker engine at ${host} (dockyard:dockerHost) did not answer over ssh: ${said}`);
}

/** The TLS part of what the docker CLI said: "remote error: tls: bad certificate". */
function tlsReason(said: string): string {
  return /(remote error: tls: [^"]*|x509: .*|tls: .*)$/.exec(said)?.[1]?.trim() ?? said;
}

/** Why a connection failed, from what the docker CLI said: "connection refused", "no route to host". */
function connectReason(said: string): string {
  const reason = /(connection refused|no route to host|i\/o timeout|network is unreachable|no such host|connection reset by peer)/i.exec(
    said,
  )?.[1];
  if (reason !== undefined) return reason;
  // What the docker CLI says for a refused connection: "Cannot connect to the Docker daemon at ... Is the docker daemon running?"
  return /Cannot connect to the Docker daemon/i.test(said) ? "nothing accepts connections there" : said;
}

/** Each of the app's secrets the stack does not set gets a generated value, stored encrypted; says which. */
async function generateSecrets(stack: Stack, loaded: LoadedStack, io: Io): Promise<void> {
  for (const name of Object.keys(loaded.app.secrets).sort()) {
    const key = `secrets.${name}`;
    try {
      await stack.getConfig(key, true);
      continue;
    } catch {
      // not set: generated below
    }
    await stack.setConfig(key, { value: randomBytes(24).toString("base64url"), secret: true }, true);
    io.err(`${key}: generated and stored encrypted in Pulumi.${loaded.stack}.yaml (pulumi config get --path ${key} shows it)`);
  }
}

/** The images a Docker stack needs are on its engine: present, pulled, or (DOCKYARD_LOCAL_BASE_IMAGES=1) local stand-ins. */
async function ensureImages(stack: Stack, loaded: LoadedStack, io: Io, root: string): Promise<void> {
  const docker = dockerCommand(loaded.config);
  const images = resolvedSummary(loaded).images;
  const has = (image: string) => spawnSync(docker.command, ["image", "inspect", image], { env: docker.env, stdio: "ignore" }).status === 0;
  const pulled: string[] = [];
  const missing: string[] = [];
  for (const key of Object.keys(images).sort()) {
    const image = images[key];
    if (has(image)) continue;
    if (
      !image.startsWith("dockyard-local/") &&
      spawnSync(docker.command, ["pull", "-q", image], { env: docker.env, stdio: "ignore" }).status === 0
    ) {
      pulled.push(image);
      continue;
    }
    missing.push(key);
  }
  const present = Object.keys(images).length - pulled.length - missing.length;
  if (missing.length === 0) {
    io.err(`images: ${present} on the engine${pulled.length > 0 ? `, pulled ${pulled.join(" ")}` : ""}`);
    return;
  }
  const listed = missing.map((key) => `${images[key]} (${key})`).join(", ");
  if (process.env.DOCKYARD_LOCAL_BASE_IMAGES !== "1") {
    throw new CommandError(
      `dockyard up: ${missing.length === 1 ? `image ${listed} is` : `images ${listed} are`} not on the Docker engine and cannot be pulled: point each key at a mirror (pulumi config set --path ${missing[0]} <mirror>/${images[missing[0]].split("/").pop()}), or rerun with DOCKYARD_LOCAL_BASE_IMAGES=1 to build local stand-ins`,
    );
  }
  io.err(`images: ${listed} cannot be pulled; building local stand-ins (DOCKYARD_LOCAL_BASE_IMAGES=1: tools/base-images/build.sh)`);
  const env = loaded.config.dockerHost === "unix:///var/run/docker.sock" ? { ...process.env, DOCKER_HOST: "" } : docker.env;
  const build = spawnSync("bash", [path.join(root, "tools", "base-images", "build.sh")], { env, encoding: "utf8" });
  if (build.status !== 0) {
    throw new CommandError(
      `dockyard up: tools/base-images/build.sh failed: ${(build.stderr || build.stdout || String(build.error)).trim().split("\n").slice(-1)[0]}`,
    );
  }
  for (const key of missing) {
    const repository = images[key].split(/[:@]/)[0].split("/").pop() as string;
    const replacement = STAND_INS[repository];
    if (replacement === undefined) {
      throw new CommandError(
        `dockyard up: no local stand-in for ${images[key]} (${key}): point ${key} at a mirror (pulumi config set --path ${key} <mirror>/${images[key].split("/").pop()})`,
      );
    }
    await stack.setConfig(key, { value: replacement }, true);
    io.err(`  ${key} = ${replacement} (in Pulumi.${loaded.stack}.yaml)`);
  }
}

/** A published port that something else holds would fail half-way: stops first (local engine, stack not yet running). */
async function checkPorts(loaded: LoadedStack): Promise<void> {
  const { config, app } = loaded;
  if (!config.dockerHost.startsWith("unix://")) return;
  const docker = dockerCommand(config);
  if (runEngine(docker, ["ps", "-aq", "--filter", `label=dockyard.stack=${loaded.stack}`]).trim() !== "") return;
  const address = !config.bindAddress || config.bindAddress === "0.0.0.0" ? "127.0.0.1" : config.bindAddress;
  for (const name of app.order) {
    for (const port of app.services[name].ports) {
      if (port.publishedPort === undefined) continue;
      if (await listening(address, port.publishedPort)) {
        const key = `services.${name}.ports.${port.name}`;
        throw new CommandError(
          `dockyard up: port ${port.publishedPort} (${key}) on ${address} is already in use: stop what listens there, or pulumi config set --path ${key} <another port>`,
        );
      }
    }
  }
}

/** Prints an operation's events: progress lines, or each event as a JSON line. */
export function eventPrinter(verb: string, io: Io, json: boolean): { progress: Progress; onEvent: (event: EngineEvent) => void } {
  const progress = new Progress(verb, Date.now());
  const onEvent = (event: EngineEvent) => {
    if (json) io.out(`${JSON.stringify(event)}\n`);
    else progress.lines(event).forEach((line) => io.out(`${line}\n`));
  };
  return { progress, onEvent };
}

/** The stack's URLs output, one line each. */
export async function printUrls(stack: Stack, io: Io): Promise<void> {
  const urls = ((await stack.outputs()).urls?.value ?? {}) as Record<string, string>;
  const width = Math.max(0, ...Object.keys(urls).map((name) => name.length + 1));
  for (const name of Object.keys(urls).sort()) io.err(`${`${name}:`.padEnd(width)} ${urls[name]}`);
}

export const upVerb: Verb = {
  name: "up",
  summary: "deploy a stack (create or update), with live progress; repairs what was changed by hand",
  positionals: [STACK_POSITIONAL],
  options: {
    target: {
      type: "string",
      choices: TARGETS,
      description:
        "the target the stack must deploy to (its dockyard:target); with -f, where the compose file's stack deploys (default docker); a stack is never moved to another",
    },
    json: { type: "boolean", description: "print the engine's events as JSON lines instead of progress lines" },
    yes: { type: "boolean", short: "y", description: "do not show the changes and ask first (asked only on a terminal)" },
    ...COMPOSE_FILE_OPTIONS,
    profile: { ...COMPOSE_OPTIONS.profile, description: "with -f: a compose profile to enable (repeatable)" },
    "env-file": { ...COMPOSE_OPTIONS["env-file"], description: "with -f: the compose file's env file (default: .env beside it)" },
  },
  async run(args, io) {
    const started = Date.now();
    if (args.values.file === undefined) composeArgument("up", args, io);
    const place = stackPlace("up", args, io, true);
    const { loaded } = place;
    const target = loaded.config.target;
    const wanted = args.values.target as Target | undefined;
    if (place.compose === undefined && wanted !== undefined && wanted !== target) {
      throw new UsageError(
        `dockyard up: --target ${wanted}, but stack ${loaded.stack} deploys to ${target} (dockyard:target in Pulumi.${loaded.stack}.yaml): use a stack whose target is ${wanted}, or pulumi config set dockyard:target ${wanted} -s ${loaded.stack} on a stack not yet deployed`,
      );
    }
    if (target !== "kubernetes") io.err(`Docker engine: ${checkDocker("up", loaded)} at ${loaded.config.dockerHost}`);
    // An autoscaler whose maxReplicas the nodes cannot hold is refused before anything is created.
    else await checkCapacity(loaded, (line) => io.err(line));
    const workspace = place.workspace(true);
    io.err(`Pulumi engine: ${workspace.engine.description}`);
    workspace.backend.notes.forEach((note) => io.err(note));
    const stack = await place.open(workspace, true);
    await settleInterrupted(stack, loaded, workspace.backend.url, io);
    if (place.compose === undefined) await generateSecrets(stack, loaded, io);
    else {
      await writeComposeSettings(stack, place.compose);
      await composeSecrets(stack, place.compose, io);
    }
    if (target === "docker") {
      await ensureImages(stack, loaded, io, place.compose === undefined ? io.cwd : packageRoot());
      await checkPorts(loaded);
    }
    const json = args.values.json === true;
    // The update refreshes first, so what was changed or removed by hand is put back (what `dockyard
    // drift` shows). The program sends what the engines read back (a network's gateway, a tmpfs without
    // a mode; a Deployment takes its fields back with patchForce), so a refresh changes nothing nobody changed.
    if (args.values.yes !== true && io.ask !== undefined) {
      const preview = await stack.preview({ refresh: true });
      const changes = Object.entries(preview.changeSummary)
        .filter(([op, count]) => op !== "same" && (count ?? 0) > 0)
        .map(([op, count]) => `${count} to ${op}`);
      if (changes.length === 0) io.err(`stack ${loaded.stack}: no changes to make`);
      else if (!(await io.ask(`stack ${loaded.stack} on ${target}: ${changes.join(", ")}. Go ahead?`))) {
        io.err("dockyard up: nothing done");
        return 1;
      }
    }
    io.err(`dockyard up: stack ${loaded.stack} on ${target}`);
    const { progress, onEvent } = eventPrinter("up", io, json);
    const again = `run ${place.upCommand} again (${place.upCommand.replace("dockyard up", "dockyard down")} removes it)`;
    try {
      await stoppable("up", io, (controls) => stack.up({ refresh: true, color: "never", ...controls }), onEvent);
    } catch (error) {
      if (error instanceof Interrupted) {
        io.err(
          error.clean
            ? `dockyard up: stopped by ${error.signal}; what was under way finished and is recorded: stack ${loaded.stack} is part-way deployed; ${again}`
            : `dockyard up: stopped at once by ${error.signal}: stack ${loaded.stack} is part-way deployed; ${again}, which settles what the cut-off operations left`,
        );
        return 130;
      }
      if (!progress.failed) io.err(`dockyard up: ${engineError(error)}`);
      if (target === "kubernetes") {
        const lines = rolloutDiagnosis(loaded.config, progress.failures);
        if (lines.length > 0) io.err(["dockyard up: what the cluster says about the failed rollout:", ...lines].join("\n"));
      } else staleTaskAdvice(progress.failures, place.upCommand).forEach((line) => io.err(line));
      io.err(`dockyard up: stack ${loaded.stack} is part-way deployed; fix the error above and ${again}`);
      return 1;
    }
    await printUrls(stack, io);
    io.err(`done in ${seconds((Date.now() - started) / 1000)}`);
    return 0;
  },
};

/** The engine's refusal to start a container whose task it still holds: "task <id>: already exists". */
const STALE_TASK = /task [0-9a-f]{12,64}: already exists/;

/**
 * What to run when a container could not start because the engine still holds its task: dockerd was
 * stopped (a host shutdown, a restart) while it started the container, and containerd kept the task,
 * so every start of that container fails until it is removed. Removing it is safe: the next up creates
 * it again, with its named volumes. One line per such container; none when there is none.
 */
export function staleTaskAdvice(failures: FailedResource[], upCommand: string): string[] {
  return failures
    .filter((failure) => failure.type === "docker:index/container:Container" && (failure.messages ?? []).some((m) => STALE_TASK.test(m)))
    .map((failure) => {
      const name = typeof failure.inputs?.name === "string" ? failure.inputs.name : urnName(failure.urn);
      return `dockyard up: container ${name} cannot start: the engine still holds its task from before dockerd stopped (it was starting then), so every start fails; remove it and deploy again, which creates it again with its volumes: docker rm -f ${name} && ${upCommand}`;
    });
}
