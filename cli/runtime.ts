/**
 * What runs of a stack, asked of the engine it runs on, for `dockyard ps` and `dockyard logs`: one way
 * per target, each through the target's own command line (the docker CLI at the stack's dockerHost,
 * kubectl with the stack's kubeconfig and context), by the labels the stacks put on everything.
 * - docker: the containers labelled dockyard.stack=<stack>, by dockyard.service (docker inspect);
 * - swarm: the services labelled dockyard.stack=<stack> (docker service ls: replicas), their task
 *   containers on this node for health (docker inspect), logs by `docker service logs`;
 * - kubernetes: the Deployments and pods labelled app.kubernetes.io/instance=<stack> in the stack's
 *   namespace (kubectl get -o json), logs by `kubectl logs -l`.
 */
import { spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { keyPath, type StackConfig } from "../stacks/config";
import {
  checkDockerSsh,
  DOCKER_SSH_FIELDS,
  DockerSshField,
  privateFolder,
  SshFiles,
  sshFiles,
  sshOptions,
  writePrivate,
} from "../stacks/dockerSsh";
import { checkTlsMaterial, DOCKER_CERT_FILES, DOCKER_TLS_FIELDS, DockerTlsField, NOT_READ } from "../stacks/dockerTls";
import { CommandError } from "./args";
import { findBackend, findEngine, workspaceEnv } from "./engine";

/** A command and its environment, for one target's engine. */
export interface EngineCommand {
  command: string;
  /** Arguments that come first (kubectl's --kubeconfig, --context, -n). */
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * The docker CLI aimed at the stack's engine; over TLS (dockyard:dockerTls) with DOCKER_TLS_VERIFY=1
 * and DOCKER_CERT_PATH, a private folder holding the material as ca.pem, cert.pem and key.pem; over
 * SSH with dockyard:dockerSsh with an `ssh` of dockyard's first on PATH (sshCommandFolder: the docker
 * CLI runs ssh from PATH and takes no ssh options). `dir` is the project whose engine decrypts what
 * the stack file holds encrypted.
 */
export function dockerCommand(
  config: Pick<StackConfig, "dockerHost" | "dockerTls" | "dockerSsh" | "stack">,
  dir = process.cwd(),
): EngineCommand {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: config.dockerHost };
  if (config.dockerSsh !== undefined) {
    const bin = sshCommandFolder(sshFiles(sshText(config, dir)));
    return { command: "docker", args: [], env: { ...env, PATH: [bin, env.PATH].filter(Boolean).join(path.delimiter) } };
  }
  if (config.dockerTls === undefined) return { command: "docker", args: [], env };
  return { command: "docker", args: [], env: { ...env, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certFolder(tlsText(config, dir)) } };
}

/** The folder of each set of TLS material written by this process, by a digest of its text. */
const certFolders = new Map<string, string>();

/**
 * A private folder (0700, its files 0600) holding the material as the docker CLI reads it from
 * DOCKER_CERT_PATH; one per set of material, removed when the process exits.
 */
export function certFolder(material: Record<DockerTlsField, string>): string {
  const digest = createHash("sha256")
    .update(JSON.stringify(DOCKER_TLS_FIELDS.map((field) => material[field])))
    .digest("hex");
  const known = certFolders.get(digest);
  if (known !== undefined && fs.existsSync(known)) return known;
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-tls-"));
  fs.chmodSync(folder, 0o700);
  if (certFolders.size === 0) process.once("exit", removeCertFolders);
  certFolders.set(digest, folder);
  for (const field of DOCKER_TLS_FIELDS) {
    fs.writeFileSync(path.join(folder, DOCKER_CERT_FILES[field]), material[field], { mode: 0o600 });
  }
  return folder;
}

/** Removes the folders certFolder wrote (at exit; tests call it). */
export function removeCertFolders(): void {
  for (const folder of certFolders.values()) fs.rmSync(folder, { recursive: true, force: true });
  certFolders.clear();
}

/**
 * The stack's TLS material as text: what the stack file holds in plain text, and what it holds
 * encrypted decrypted by the Pulumi engine (`pulumi config --show-secrets`, with the project's
 * backend and passphrase, as the deploy verbs open the stack); checked as the program checks it.
 */
export function tlsText(config: Pick<StackConfig, "dockerTls" | "stack">, dir: string): Record<DockerTlsField, string> {
  const tls = config.dockerTls;
  if (tls === undefined) throw new Error("tlsText: the stack has no dockyard:dockerTls");
  let material: Record<DockerTlsField, string> = {
    caCert: tls.caCert,
    clientCert: tls.clientCert,
    clientKey: tls.clientKey.known() ?? NOT_READ,
  };
  if (DOCKER_TLS_FIELDS.some((field) => material[field] === NOT_READ)) {
    const decrypted = decryptedTls(config.stack, dir);
    material = Object.fromEntries(
      DOCKER_TLS_FIELDS.map((field) => [field, material[field] === NOT_READ ? decrypted[field] : material[field]]),
    ) as Record<DockerTlsField, string>;
  }
  checkTlsMaterial(material, keyPath);
  return material;
}

/** dockyard:dockerTls of a stack, decrypted by the project's Pulumi engine. */
function decryptedTls(stack: string, dir: string): Record<DockerTlsField, string> {
  return decrypted(stack, dir, "dockerTls", DOCKER_TLS_FIELDS);
}

/**
 * The stack's SSH login as text, what the stack file holds encrypted decrypted as tlsText does; checked
 * as the program checks it.
 */
export function sshText(config: Pick<StackConfig, "dockerHost" | "dockerSsh" | "stack">, dir: string): Record<DockerSshField, string> {
  const ssh = config.dockerSsh;
  if (ssh === undefined) throw new Error("sshText: the stack has no dockyard:dockerSsh");
  let material: Record<DockerSshField, string> = { privateKey: ssh.privateKey.known() ?? NOT_READ, knownHosts: ssh.knownHosts };
  if (DOCKER_SSH_FIELDS.some((field) => material[field] === NOT_READ)) {
    const clear = decrypted(config.stack, dir, "dockerSsh", DOCKER_SSH_FIELDS);
    material = { privateKey: material.privateKey === NOT_READ ? clear.privateKey : material.privateKey, knownHosts: clear.knownHosts };
  }
  checkDockerSsh(config.dockerHost, material, keyPath);
  return material;
}

/** The first `name` on PATH that is not in `skip` and can be run. */
function onPath(name: string, skip: string): string | undefined {
  for (const folder of (process.env.PATH ?? "").split(path.delimiter)) {
    if (folder === "" || path.resolve(folder) === path.resolve(skip)) continue;
    const file = path.join(folder, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** A word for sh: single-quoted. */
const shellWord = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;

/** Seconds the CLI's ssh waits for a connection: less than checkDocker's wait, so that ssh says why it gave up. */
export const SSH_CONNECT_TIMEOUT_S = 15;

/**
 * A private folder (in the material's own, 0700) holding `ssh`: the ssh on PATH with the material's
 * options (sshOptions: this key only, this known_hosts only, strict, no prompt; and a connect timeout)
 * before the docker CLI's. Put first on PATH, it is what the docker CLI runs for an ssh:// engine.
 */
export function sshCommandFolder(files: SshFiles): string {
  const bin = path.join(files.folder, "bin");
  const ssh = onPath("ssh", bin);
  if (ssh === undefined) {
    throw new CommandError(
      "dockyard: no ssh command, which the docker CLI runs for an ssh:// dockerHost: install OpenSSH's client (Debian: sudo apt-get install openssh-client)",
    );
  }
  privateFolder(bin);
  const script = [
    "#!/bin/sh",
    "# Written by dockyard: ssh with the stack's dockyard:dockerSsh, for the docker CLI (which takes no ssh options).",
    `exec ${[ssh, ...sshOptions(files), "-o", `ConnectTimeout=${SSH_CONNECT_TIMEOUT_S}`].map(shellWord).join(" ")} "$@"`,
    "",
  ].join("\n");
  writePrivate(path.join(bin, "ssh"), script, 0o700);
  return bin;
}

/** What decrypted read in this process, by project folder, stack and key: each engine command would ask again. */
const decryptedKeys = new Map<string, Record<string, string>>();

/** A map key of a stack (dockyard:dockerTls, dockyard:dockerSsh), decrypted by the project's Pulumi engine (once a process). */
function decrypted<F extends string>(stack: string, dir: string, key: string, fields: readonly F[]): Record<F, string> {
  const id = JSON.stringify([path.resolve(dir), stack, key]);
  const known = decryptedKeys.get(id);
  if (known !== undefined) return known as Record<F, string>;
  const fail = (why: string) =>
    new CommandError(
      `dockyard: cannot read dockyard:${key} of stack ${stack} (it is encrypted in Pulumi.${stack}.yaml): ${why}; pulumi config get --path ${key}.${fields[0]} -s ${stack} must show it`,
    );
  const engine = findEngine(dir);
  if (engine === undefined) throw fail("no Pulumi engine (npm run deploy builds one, or put pulumi on PATH)");
  const pulumi = engine.root === undefined ? "pulumi" : path.join(engine.root, "bin", "pulumi");
  const result = spawnSync(pulumi, ["config", "--show-secrets", "--json", "--stack", stack, "--cwd", dir], {
    env: { ...process.env, ...workspaceEnv(engine, findBackend(dir, process.env, false)) },
    encoding: "utf8",
    maxBuffer: 16 << 20,
  });
  if (result.status !== 0) throw fail(`pulumi config: ${(result.stderr || String(result.error)).trim().split("\n").slice(-1)[0]}`);
  const entry = (JSON.parse(result.stdout) as Record<string, { value?: string; objectValue?: unknown }>)[`dockyard:${key}`];
  const value = (entry?.objectValue ?? (entry?.value === undefined ? {} : JSON.parse(entry.value))) as Partial<Record<F, unknown>>;
  const missing = fields.find((field) => typeof value[field] !== "string");
  if (missing !== undefined) throw fail(`the engine gives no ${key}.${missing}`);
  decryptedKeys.set(id, value as Record<string, string>);
  return value as Record<F, string>;
}

/** kubectl aimed at the stack's cluster and namespace. */
export function kubectlCommand(config: Pick<StackConfig, "kubeconfig" | "kubeContext" | "namespace">): EngineCommand {
  return {
    command: "kubectl",
    args: [
      ...(config.kubeconfig ? ["--kubeconfig", config.kubeconfig] : []),
      ...(config.kubeContext ? ["--context", config.kubeContext] : []),
      "-n",
      config.namespace,
    ],
    env: process.env,
  };
}

/** Runs a command to its end; throws one line naming it when it fails. */
export function runEngine(engine: EngineCommand, args: string[]): string {
  const result = spawnSync(engine.command, [...engine.args, ...args], { env: engine.env, encoding: "utf8", maxBuffer: 64 << 20 });
  if (result.error !== undefined) throw new Error(`${engine.command} ${args[0]}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${engine.command} ${args.join(" ")}: ${(result.stderr || result.stdout).trim().split("\n")[0]}`);
  }
  return result.stdout;
}

/** One service as it runs. */
export interface ServiceState {
  service: string;
  /** Running (or ready) replicas. */
  running: number;
  /** Replicas asked for. */
  desired: number;
  /** healthy, unhealthy, starting, no check, or the state of what is not running (exited, restarting). */
  health: string;
  /** What runs it: container names, the swarm service, the pods. */
  names: string[];
}

interface ContainerInspect {
  Name: string;
  Config: { Labels: Record<string, string> | null };
  State: { Status: string; Running: boolean; Health?: { Status: string } };
}

/** The health of a set of containers: the worst one's. */
function worst(states: string[]): string {
  const order = ["exited", "dead", "restarting", "created", "paused", "unhealthy", "starting", "no check", "healthy"];
  return states.length === 0 ? "none running" : [...states].sort((a, b) => order.indexOf(a) - order.indexOf(b))[0];
}

/** A container's state word: its health when it runs, else its status. */
function containerHealth(container: ContainerInspect): string {
  if (!container.State.Running) return container.State.Status;
  return container.State.Health?.Status ?? "no check";
}

/** The containers carrying these labels, inspected. */
function containers(docker: EngineCommand, labels: string[]): ContainerInspect[] {
  const ids = runEngine(docker, ["ps", "-aq", ...labels.flatMap((label) => ["--filter", `label=${label}`])])
    .split("\n")
    .filter((id) => id !== "");
  if (ids.length === 0) return [];
  return JSON.parse(runEngine(docker, ["inspect", ...ids])) as ContainerInspect[];
}

/** The stack's containers on a Docker engine, by service. */
export function dockerServices(config: StackConfig): ServiceState[] {
  const byService = new Map<string, ContainerInspect[]>();
  for (const container of containers(dockerCommand(config), [`dockyard.stack=${config.stack}`])) {
    const service = container.Config.Labels?.["dockyard.service"];
    // A read-only container's secret holder (created, never started) carries its labels, but is no replica.
    if (service === undefined || container.Config.Labels?.["dockyard.secrets-of"] !== undefined) continue;
    byService.set(service, [...(byService.get(service) ?? []), container]);
  }
  return [...byService.keys()].sort().map((service) => {
    const list = byService.get(service) as ContainerInspect[];
    return {
      service,
      running: list.filter((container) => container.State.Running).length,
      desired: list.length,
      health: worst(list.map(containerHealth)),
      names: list.map((container) => container.Name.replace(/^\//, "")).sort(),
    };
  });
}

interface ServiceInspect {
  Spec: { Name: string; Labels?: Record<string, string> };
}

/** The stack's swarm services, with the health of their running task containers on this node. */
export function swarmServices(config: StackConfig): ServiceState[] {
  const docker = dockerCommand(config);
  const ids = runEngine(docker, ["service", "ls", "-q", "--filter", `label=dockyard.stack=${config.stack}`])
    .split("\n")
    .filter((id) => id !== "");
  if (ids.length === 0) return [];
  const specs = JSON.parse(runEngine(docker, ["service", "inspect", ...ids])) as ServiceInspect[];
  // "1/1" or "1/1 (max 1 per node)": running of asked for.
  const replicas = new Map(
    runEngine(docker, ["service", "ls", "--filter", `label=dockyard.stack=${config.stack}`, "--format", "{{.Name}}\t{{.Replicas}}"])
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => line.split("\t") as [string, string]),
  );
  return specs
    .map(({ Spec }) => {
      const [running, desired] = (replicas.get(Spec.Name) ?? "0/0").split(" ")[0].split("/").map(Number);
      const tasks = containers(docker, [`com.docker.swarm.service.name=${Spec.Name}`]).filter((container) => container.State.Running);
      return {
        service: Spec.Labels?.["dockyard.service"] ?? Spec.Name,
        running,
        desired,
        health: running === 0 ? "none running" : worst(tasks.map(containerHealth)),
        names: [Spec.Name],
      };
    })
    .sort((a, b) => a.service.localeCompare(b.service));
}

interface KubeList<T> {
  items: T[];
}
interface KubeDeployment {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { replicas?: number };
  status: { readyReplicas?: number; replicas?: number };
}
interface KubePod {
  metadata: { name: string; labels?: Record<string, string> };
  status: { phase: string; containerStatuses?: Array<{ ready: boolean; state: Record<string, { reason?: string }> }> };
}

/** The stack's Deployments on a cluster, with their pods' readiness. */
export function kubernetesServices(config: StackConfig): ServiceState[] {
  const kubectl = kubectlCommand(config);
  const selector = `app.kubernetes.io/instance=${config.stack}`;
  const deployments = (JSON.parse(runEngine(kubectl, ["get", "deployments", "-l", selector, "-o", "json"])) as KubeList<KubeDeployment>)
    .items;
  const pods = (JSON.parse(runEngine(kubectl, ["get", "pods", "-l", selector, "-o", "json"])) as KubeList<KubePod>).items;
  return deployments
    .map((deployment) => {
      const service = deployment.metadata.labels?.["app.kubernetes.io/name"] ?? deployment.metadata.name;
      const own = pods.filter((pod) => pod.metadata.labels?.["app.kubernetes.io/name"] === service);
      const health = own.map((pod) => {
        const statuses = pod.status.containerStatuses ?? [];
        const waiting = statuses.flatMap((status) => status.state.waiting?.reason ?? []);
        if (waiting.length > 0) return waiting[0];
        return pod.status.phase === "Running" && statuses.every((status) => status.ready) ? "healthy" : pod.status.phase.toLowerCase();
      });
      return {
        service,
        running: deployment.status.readyReplicas ?? 0,
        desired: deployment.spec.replicas ?? 1,
        health: health.length === 0 ? "none running" : (health.find((state) => state !== "healthy") ?? "healthy"),
        names: own.map((pod) => pod.metadata.name).sort(),
      };
    })
    .sort((a, b) => a.service.localeCompare(b.service));
}

/** The stack's services as they run on its target. */
export function serviceStates(config: StackConfig): ServiceState[] {
  if (config.target === "swarm") return swarmServices(config);
  if (config.target === "kubernetes") return kubernetesServices(config);
  return dockerServices(config);
}

/** The command that prints a service's logs on the stack's target, one or more (one per container on Docker). */
export function logCommands(
  config: StackConfig,
  service: string,
  follow: boolean,
): Array<{ prefix: string; engine: EngineCommand; args: string[] }> {
  const followFlag = follow ? ["--follow"] : [];
  if (config.target === "kubernetes") {
    const selector = `app.kubernetes.io/instance=${config.stack},app.kubernetes.io/name=${service}`;
    return [
      {
        prefix: "",
        engine: kubectlCommand(config),
        args: ["logs", "-l", selector, "--prefix", "--all-containers", "--tail", "-1", ...followFlag],
      },
    ];
  }
  const docker = dockerCommand(config);
  if (config.target === "swarm") {
    const names = swarmServices(config)
      .filter((state) => state.service === service)
      .flatMap((state) => state.names);
    return names.map((name) => ({ prefix: "", engine: docker, args: ["service", "logs", ...followFlag, name] }));
  }
  const names = dockerServices(config)
    .filter((state) => state.service === service)
    .flatMap((state) => state.names);
  return names.map((name) => ({ prefix: names.length > 1 ? `${name} | ` : "", engine: docker, args: ["logs", ...followFlag, name] }));
}

/** Runs the log commands side by side, each line (stdout and stderr) prefixed, to `write`; resolves to the worst exit code. */
export function streamLogs(
  commands: Array<{ prefix: string; engine: EngineCommand; args: string[] }>,
  write: (text: string) => void,
): Promise<number> {
  return Promise.all(
    commands.map(
      ({ prefix, engine, args }) =>
        new Promise<number>((resolve) => {
          const child = spawn(engine.command, [...engine.args, ...args], { env: engine.env, stdio: ["ignore", "pipe", "pipe"] });
          const pending = { out: "", err: "" };
          const take = (which: "out" | "err") => (chunk: Buffer) => {
            const text = pending[which] + chunk.toString("utf8");
            const lines = text.split("\n");
            pending[which] = lines.pop() ?? "";
            if (lines.length > 0) write(lines.map((line) => `${prefix}${line}\n`).join(""));
          };
          child.stdout.on("data", take("out"));
          child.stderr.on("data", take("err"));
          child.on("error", () => resolve(1));
          child.on("close", (code) => {
            for (const which of ["out", "err"] as const) if (pending[which] !== "") write(`${prefix}${pending[which]}\n`);
            resolve(code ?? 1);
          });
        }),
    ),
  ).then((codes) => Math.max(0, ...codes));
}
