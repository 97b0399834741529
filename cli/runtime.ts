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
import type { StackConfig } from "../stacks/config";

/** A command and its environment, for one target's engine. */
export interface EngineCommand {
  command: string;
  /** Arguments that come first (kubectl's --kubeconfig, --context, -n). */
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** The docker CLI aimed at the stack's engine. */
export function dockerCommand(config: Pick<StackConfig, "dockerHost">): EngineCommand {
  return { command: "docker", args: [], env: { ...process.env, DOCKER_HOST: config.dockerHost } };
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
