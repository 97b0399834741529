/**
 * Whether the cluster can place each autoscaled service at its maxReplicas, for `dockyard up` on
 * Kubernetes, before anything is created: an autoscaler whose ceiling the nodes cannot hold adds pods
 * that stay Pending under load, when they are needed. Read with kubectl, as `dockyard ps` reads the
 * cluster (cli/runtime.ts): each schedulable node's allocatable CPU and memory, less what the pods
 * placed there that are not this stack's request. The stack's pods are then placed as the scheduler
 * would, each on the node with the most CPU left that holds it: every service at its least (replicas,
 * or minReplicas), then each autoscaled service, in name order, grown to its maxReplicas. The first
 * that does not fit is refused, with the figures and the count that fits. The arithmetic is pure
 * (capacityRefusal, nodeFigures), so a test drives it with exact values.
 */
import { cpusToQuantity, memoryToQuantity } from "../components/units";
import type { KubernetesPlan } from "../stacks/targets/kubernetes";
import { CommandError } from "./args";
import { planStack } from "./diagram";
import { EngineCommand, kubectlCommand, runEngine } from "./runtime";
import type { LoadedStack } from "./stack";

/** CPU in millicores and memory in bytes. */
export interface Resources {
  cpuMillis: number;
  memoryBytes: number;
}

/** A node a pod of the stack may be placed on. */
export interface NodeFigures {
  name: string;
  labels: Record<string, string>;
  allocatable: Resources;
  /** What the pods on the node that are not this stack's request. */
  requested: Resources;
}

/** One service of the stack: its pod's requests and how many pods it runs. */
export interface ServiceDemand {
  service: string;
  /** Each pod's requests. */
  request: Resources;
  /** The pods it always runs: replicas, or an autoscaled service's minReplicas. */
  least: number;
  /** An autoscaled service's maxReplicas. @default - not autoscaled */
  most?: number;
  /** Node labels its pods need. @default - any node */
  nodeSelector?: Record<string, string>;
}

const MIB = 1024 * 1024;

/** CPU as a quantity ("250m", "2"). */
const cpu = (millis: number) => cpusToQuantity(millis);
/** Memory as a quantity: exact in Mi or Gi where it can be ("128Mi", "3Gi"), else whole Mi, rounded down ("3834Mi"). */
export function memoryText(bytes: number): string {
  if (bytes === 0) return "0";
  return bytes % MIB === 0 ? memoryToQuantity(bytes) : `${Math.floor(bytes / MIB)}Mi`;
}

const sum = (list: Resources[]): Resources =>
  list.reduce((total, r) => ({ cpuMillis: total.cpuMillis + r.cpuMillis, memoryBytes: total.memoryBytes + r.memoryBytes }), {
    cpuMillis: 0,
    memoryBytes: 0,
  });

const matches = (node: NodeFigures, selector: Record<string, string> | undefined) =>
  Object.entries(selector ?? {}).every(([key, value]) => node.labels[key] === value);

/**
 * The refusal for the first autoscaled service whose maxReplicas pods the nodes cannot place beside
 * the stack's other pods, or undefined when every one fits (or none is autoscaled).
 */
export function capacityRefusal(nodes: NodeFigures[], services: ServiceDemand[]): string | undefined {
  const ordered = [...services].sort((a, b) => a.service.localeCompare(b.service));
  const sortedNodes = [...nodes].sort((a, b) => a.name.localeCompare(b.name));
  const free = new Map(
    sortedNodes.map((node) => [
      node.name,
      {
        cpuMillis: node.allocatable.cpuMillis - node.requested.cpuMillis,
        memoryBytes: node.allocatable.memoryBytes - node.requested.memoryBytes,
      },
    ]),
  );
  /** The stack's pods placed so far, by node, with their service. */
  const placed: Array<{ node: string; service: string; request: Resources }> = [];
  const place = (demand: ServiceDemand): boolean => {
    let best: NodeFigures | undefined;
    for (const node of sortedNodes) {
      const room = free.get(node.name) as Resources;
      if (!matches(node, demand.nodeSelector)) continue;
      if (room.cpuMillis < demand.request.cpuMillis || room.memoryBytes < demand.request.memoryBytes) continue;
      if (best === undefined || room.cpuMillis > (free.get(best.name) as Resources).cpuMillis) best = node;
    }
    if (best === undefined) return false;
    const room = free.get(best.name) as Resources;
    free.set(best.name, {
      cpuMillis: room.cpuMillis - demand.request.cpuMillis,
      memoryBytes: room.memoryBytes - demand.request.memoryBytes,
    });
    placed.push({ node: best.name, service: demand.service, request: demand.request });
    return true;
  };
  // A fixed service that does not fit is not this check's to refuse: its pods stay Pending and the
  // rollout's diagnosis says why. It only takes no room here.
  const fitted = new Map(ordered.map((demand) => [demand.service, 0]));
  for (const demand of ordered) {
    for (let i = 0; i < demand.least; i++) if (place(demand)) fitted.set(demand.service, (fitted.get(demand.service) as number) + 1);
  }
  for (const demand of ordered) {
    if (demand.most === undefined) continue;
    let count = fitted.get(demand.service) as number;
    for (let i = demand.least; i < demand.most; i++) {
      if (!place(demand)) break;
      count++;
    }
    if (count < demand.most) return refusal(demand, count, sortedNodes, placed, free);
  }
  return undefined;
}

/** The message for a service of which only `count` pods fit. */
function refusal(
  demand: ServiceDemand,
  count: number,
  nodes: NodeFigures[],
  placed: Array<{ node: string; service: string; request: Resources }>,
  free: Map<string, Resources>,
): string {
  const { service, request } = demand;
  const most = demand.most as number;
  const eligible = nodes.filter((node) => matches(node, demand.nodeSelector));
  const names = new Set(eligible.map((node) => node.name));
  const allocatable = sum(eligible.map((node) => node.allocatable));
  const others = sum(eligible.map((node) => node.requested));
  const stack = sum(placed.filter((pod) => names.has(pod.node) && pod.service !== service).map((pod) => pod.request));
  // The resource that ran out: CPU when no node had the CPU for one more pod, else memory.
  const rooms = eligible.map((node) => free.get(node.name) as Resources);
  const short = rooms.some((room) => room.cpuMillis >= request.cpuMillis) ? "memory" : "CPU";
  const key = `services.${service}.autoscaling.maxReplicas`;
  const both = (r: Resources) => `${cpu(r.cpuMillis)} CPU and ${memoryText(r.memoryBytes)} memory`;
  if (eligible.length === 0) {
    const labels = Object.entries(demand.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`);
    return labels.length > 0
      ? `dockyard up: ${key} is ${most}, but no node can take a pod of ${service}: none is schedulable with the labels its pods need (${labels.join(", ")}); label a node so, or change services.${service}.placement.constraints`
      : `dockyard up: ${key} is ${most}, but no node can take a pod of ${service}: the cluster has no node that is neither cordoned nor tainted NoSchedule or NoExecute; uncordon a node, or add one`;
  }
  const lower =
    short === "CPU"
      ? `lower ${service}'s CPU request (services.${service}.reservations.cpus; unset, half of services.${service}.limits.cpus)`
      : `lower ${service}'s memory request (services.${service}.reservations.memory; unset, services.${service}.limits.memory)`;
  const fix =
    count === 0
      ? `${lower}, or free room on the cluster`
      : `set it to ${count} (pulumi config set --path ${key} ${count})${count < demand.least ? ` and minReplicas to at most ${count}` : ""}, or ${lower}`;
  const total = { cpuMillis: request.cpuMillis * most, memoryBytes: request.memoryBytes * most };
  const stackPart = stack.cpuMillis > 0 || stack.memoryBytes > 0 ? `, and the stack's other services ${both(stack)}` : "";
  return `dockyard up: ${key} is ${most}, but the cluster can place ${count === 0 ? "no pod" : `only ${count} ${count === 1 ? "pod" : "pods"}`} of ${service}: each requests ${both(request)} (${both(total)} at ${most}); the ${eligible.length === 1 ? "node has" : `${eligible.length} nodes have`} ${both(allocatable)} allocatable, of which pods not of this stack request ${both(others)}${stackPart}, so ${short} runs out; ${fix}`;
}

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/** A Kubernetes quantity ("250m", "2", "3926144Ki", "1e3") as a number of its base unit; throws on anything else. */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === "number") return quantity;
  const match = QUANTITY.exec(quantity.trim());
  if (match === null) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(quantity)}`);
  const [, number, exponent, suffix] = match;
  return Number(number) * (exponent !== undefined ? 10 ** Number(exponent.slice(1)) : suffix !== undefined ? SUFFIX[suffix] : 1);
}

/** A CPU quantity in millicores (rounded up, as the scheduler counts a fraction of a millicore). */
export const cpuMillis = (quantity: string | number | undefined): number =>
  quantity === undefined ? 0 : Math.ceil(parseQuantity(quantity) * 1000 - 1e-6);
/** A memory quantity in bytes. */
export const memoryBytes = (quantity: string | number | undefined): number =>
  quantity === undefined ? 0 : Math.ceil(parseQuantity(quantity) - 1e-6);

type Requests = { requests?: Record<string, string> } | undefined;
/** A Node as `kubectl get nodes -o json` lists it, the fields read here. */
export interface KubeNode {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean; taints?: Array<{ key: string; effect: string }> };
  status?: { allocatable?: Record<string, string> };
}
/** A Pod as `kubectl get pods -A -o json` lists it, the fields read here. */
export interface KubeScheduledPod {
  metadata: { namespace?: string; labels?: Record<string, string> };
  spec: {
    nodeName?: string;
    containers: Array<{ resources?: Requests }>;
    initContainers?: Array<{ resources?: Requests; restartPolicy?: string }>;
    overhead?: Record<string, string>;
  };
  status?: { phase?: string };
}

/** What a pod requests as the scheduler counts it: its containers and sidecars, or its largest init container if more, plus overhead. */
export function podRequests(pod: KubeScheduledPod): Resources {
  const of = (container: { resources?: Requests }): Resources => ({
    cpuMillis: cpuMillis(container.resources?.requests?.cpu),
    memoryBytes: memoryBytes(container.resources?.requests?.memory),
  });
  const inits = pod.spec.initContainers ?? [];
  const running = sum([...pod.spec.containers.map(of), ...inits.filter((init) => init.restartPolicy === "Always").map(of)]);
  const once = inits.filter((init) => init.restartPolicy !== "Always").map(of);
  const overhead = { cpuMillis: cpuMillis(pod.spec.overhead?.cpu), memoryBytes: memoryBytes(pod.spec.overhead?.memory) };
  return {
    cpuMillis: Math.max(running.cpuMillis, ...once.map((r) => r.cpuMillis)) + overhead.cpuMillis,
    memoryBytes: Math.max(running.memoryBytes, ...once.map((r) => r.memoryBytes)) + overhead.memoryBytes,
  };
}

/**
 * The nodes the stack's pods may go on (not cordoned, no NoSchedule or NoExecute taint), each with
 * what the placed pods not of the stack (`own` false), neither Succeeded nor Failed, request.
 */
export function nodeFigures(nodes: KubeNode[], pods: KubeScheduledPod[], own: (pod: KubeScheduledPod) => boolean): NodeFigures[] {
  return nodes
    .filter((node) => node.spec?.unschedulable !== true)
    .filter((node) => !(node.spec?.taints ?? []).some((taint) => taint.effect === "NoSchedule" || taint.effect === "NoExecute"))
    .map((node) => ({
      name: node.metadata.name,
      labels: node.metadata.labels ?? {},
      allocatable: { cpuMillis: cpuMillis(node.status?.allocatable?.cpu), memoryBytes: memoryBytes(node.status?.allocatable?.memory) },
      requested: sum(
        pods
          .filter((pod) => pod.spec.nodeName === node.metadata.name && !own(pod))
          .filter((pod) => pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed")
          .map(podRequests),
      ),
    }));
}

/** The stack's services as the plan deploys them: each Deployment's pod requests and counts. */
export function serviceDemands(plan: Pick<KubernetesPlan, "deployments" | "autoscalers">): ServiceDemand[] {
  /* eslint-disable-next-line @typescript-eslint/no-require-imports -- loads @pulumi/kubernetes, which a Docker-only install lacks: only once a Kubernetes plan is made */
  const { containerResources, DEFAULT_CPU_REQUEST_PERCENT } = require("../components/k8s/pod") as typeof import("../components/k8s/pod");
  const scaled = new Map(plan.autoscalers.map(([name, args]) => [name, args]));
  return plan.deployments.map(({ service, args }) => {
    const requests = containerResources(args.cpus, args.memory, args.cpuRequestPercent ?? DEFAULT_CPU_REQUEST_PERCENT, {
      cpus: args.requestCpus,
      memory: args.requestMemory,
    }).requests;
    const autoscaler = scaled.get(service);
    return {
      service,
      request: { cpuMillis: cpuMillis(requests.cpu), memoryBytes: memoryBytes(requests.memory) },
      least: autoscaler?.minReplicas ?? args.replicas ?? 1,
      ...(autoscaler !== undefined ? { most: autoscaler.maxReplicas } : {}),
      ...(args.nodeSelector !== undefined ? { nodeSelector: args.nodeSelector } : {}),
    };
  });
}

/**
 * For `dockyard up` on Kubernetes: refuses (CommandError) an autoscaled service whose maxReplicas
 * pods the cluster cannot place, before anything is created. Says on `note` that the check passed,
 * or why it could not be made (the nodes not readable: a user without the right to list nodes);
 * nothing is refused then. A stack without an autoscaler asks the cluster nothing.
 */
export async function checkCapacity(
  loaded: LoadedStack,
  note: (line: string) => void = () => undefined,
  kubectl: EngineCommand = kubectlCommand(loaded.config),
): Promise<void> {
  if (loaded.config.target !== "kubernetes") return;
  const plan = planStack(loaded).planned.plan as KubernetesPlan;
  if (plan.autoscalers.length === 0) return;
  let nodes: KubeNode[];
  let pods: KubeScheduledPod[];
  try {
    nodes = (JSON.parse(runEngine(kubectl, ["get", "nodes", "-o", "json"])) as { items: KubeNode[] }).items;
    pods = (
      JSON.parse(
        runEngine(kubectl, [
          "get",
          "pods",
          "--all-namespaces",
          "--field-selector",
          "status.phase!=Succeeded,status.phase!=Failed",
          "-o",
          "json",
        ]),
      ) as { items: KubeScheduledPod[] }
    ).items;
  } catch (error) {
    note(
      `capacity: not checked, the cluster's nodes and pods could not be read (${error instanceof Error ? error.message : String(error)})`,
    );
    return;
  }
  const own = (pod: KubeScheduledPod) =>
    pod.metadata.namespace === plan.namespace &&
    pod.metadata.labels?.["app.kubernetes.io/instance"] === plan.identity.instance &&
    pod.metadata.labels?.["app.kubernetes.io/part-of"] === plan.identity.app;
  const demands = serviceDemands(plan);
  const refused = capacityRefusal(nodeFigures(nodes, pods, own), demands);
  if (refused !== undefined) throw new CommandError(refused);
  const scaled = demands.filter((demand) => demand.most !== undefined);
  note(`capacity: the cluster can place ${scaled.map((demand) => `${demand.service} at maxReplicas ${demand.most}`).join(", ")}`);
}
