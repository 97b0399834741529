/**
 * The picture `dockyard diagram` draws: the resolved app as its target will run it, as plain data
 * (boxes, nodes, edges) that cli/render.ts writes as Graphviz dot or a Mermaid flowchart. Made from the
 * resolved app and the target's plan (stacks/targets/*.ts: every object's arguments as data, no
 * engine), so what differs by target is the target's own: containers and bridge networks on Docker,
 * swarm services, overlay networks and host-mode ports on a swarm, Deployments, Services and
 * NetworkPolicies on Kubernetes.
 *
 * - A network is a box holding the services on it. A service on two networks sits in the box of the
 *   one with fewer members, drawn inside the other when every member of the one is on the other too
 *   (the voting app's frontend inside its backend); where networks share only some services, a
 *   service sits in one of them and its label names the others ("also on network x").
 * - Published ports, volumes (and host paths) and secrets are nodes outside the boxes; dependencies
 *   are edges between services labelled with their condition (healthy solid, started dashed).
 * - Everything is in name order: the same app gives the same picture, byte for byte.
 */
import type { KubernetesPlan } from "../stacks/targets/kubernetes";
import type { DockerPlan } from "../stacks/targets/docker";
import type { SwarmPlan } from "../stacks/targets/swarm";
import { counted, sortedKeys } from "../stacks/errors";
import { ResolvedApp, ResolvedService } from "../stacks/resolve";
import { imageName } from "../stacks/targets/common";
import type { StackConfig } from "../stacks/config";

/** A plan with its target, as cli/diagram.ts gets it from the target's module. */
export type PlanOf =
  { target: "docker"; plan: DockerPlan } | { target: "swarm"; plan: SwarmPlan } | { target: "kubernetes"; plan: KubernetesPlan };

export type NodeKind = "service" | "port" | "volume" | "path" | "secret" | "note";

export interface PictureNode {
  id: string;
  kind: NodeKind;
  /** The first line names it; the others describe it. */
  lines: string[];
}

export interface PictureBox {
  id: string;
  lines: string[];
  /** Ids of the nodes directly in this box. */
  nodes: string[];
  /** Boxes drawn inside this one. */
  boxes: PictureBox[];
}

export interface PictureEdge {
  from: string;
  to: string;
  label: string;
  /** solid: a healthy dependency, a port, a mount, a secret; dashed: a started dependency. */
  style: "solid" | "dashed";
}

export interface Picture {
  /** "voting on docker, stack dev", "voting on swarm, compose.yaml". */
  title: string;
  /** Lines about the whole app on the target, under the title. */
  notes: string[];
  boxes: PictureBox[];
  /** Ids of the nodes in no box. */
  loose: string[];
  /** Every node, by id. */
  nodes: PictureNode[];
  /** By from, to, then label. */
  edges: PictureEdge[];
}

/** Ids: a kind prefix and the name with anything but a-z and 0-9 as "_", made unique in the order asked. */
export class Ids {
  private readonly byKey = new Map<string, string>();
  private readonly used = new Set<string>();
  id(prefix: string, ...names: string[]): string {
    const key = [prefix, ...names].join("\u0000");
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const base = [prefix, ...names.map((name) => name.toLowerCase().replace(/[^a-z0-9]/g, "_"))].join("_");
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}_${n}`;
    this.used.add(id);
    this.byKey.set(key, id);
    return id;
  }
}

/** "0.5 CPU", "2 CPUs". */
const cpus = (value: number) => `${value} ${value > 1 ? "CPUs" : "CPU"}`;
/** A command as one short line: its words, cut at 40 characters. */
const commandLine = (words: string[]) => {
  const text = words.join(" ");
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
};

/** A list of names, the middle left out past three: "a-1, a-2", "a-1 … a-5 (5)". */
function names(list: string[]): string {
  return list.length <= 3 ? list.join(", ") : `${list[0]} … ${list[list.length - 1]} (${list.length})`;
}

/**
 * Where each network's box goes and which box each service sits in: a network's box is inside the
 * smallest box drawn before it whose members include all of its own (boxes drawn largest first), and
 * a service sits in the deepest box of its networks; the networks its box is not inside are "also on".
 */
export function networkLayout(app: ResolvedApp): {
  parent: Map<string, string | undefined>;
  home: Map<string, string | undefined>;
  alsoOn: Map<string, string[]>;
} {
  const members = new Map(
    sortedKeys(app.networks).map((network) => [
      network,
      new Set(sortedKeys(app.services).filter((name) => app.services[name].networks.includes(network))),
    ]),
  );
  const order = sortedKeys(app.networks).sort(
    (a, b) => (members.get(b) as Set<string>).size - (members.get(a) as Set<string>).size || (a < b ? -1 : a > b ? 1 : 0),
  );
  const parent = new Map<string, string | undefined>();
  const depth = new Map<string, number>();
  order.forEach((network, index) => {
    const own = members.get(network) as Set<string>;
    const holder =
      own.size === 0
        ? undefined
        : order
            .slice(0, index)
            .reverse()
            .find((other) => [...own].every((service) => (members.get(other) as Set<string>).has(service)));
    parent.set(network, holder);
    depth.set(network, holder === undefined ? 0 : (depth.get(holder) as number) + 1);
  });
  const ancestors = (network: string | undefined): string[] => (network === undefined ? [] : [network, ...ancestors(parent.get(network))]);
  const home = new Map<string, string | undefined>();
  const alsoOn = new Map<string, string[]>();
  for (const name of sortedKeys(app.services)) {
    const networks = [...app.services[name].networks].sort();
    const deepest = networks.reduce<string | undefined>(
      (best, network) => (best === undefined || (depth.get(network) as number) > (depth.get(best) as number) ? network : best),
      undefined,
    );
    home.set(name, deepest);
    const inside = ancestors(deepest);
    alsoOn.set(
      name,
      networks.filter((network) => !inside.includes(network)),
    );
  }
  return { parent, home, alsoOn };
}

/**
 * The picture of an app planned on a target. `source` says where the app came from in the title:
 * "stack dev", "compose.yaml" (a compose file on its own), "compose.yaml, stack dev".
 */
export function picture(app: ResolvedApp, config: StackConfig, planned: PlanOf, source = `stack ${config.stack}`): Picture {
  const ids = new Ids();
  const nodes: PictureNode[] = [];
  const edges: PictureEdge[] = [];
  const serviceId = (name: string) => ids.id("svc", name);
  const target = planned.target;

  // Service ids first, in name order: two names with one id (a-b, a.b) are then numbered by name,
  // not by which is first named as a dependency.
  sortedKeys(app.services).forEach((name) => serviceId(name));
  const layout = networkLayout(app);

  for (const name of sortedKeys(app.services)) {
    const service = app.services[name];
    const also = layout.alsoOn.get(name) as string[];
    nodes.push({
      id: serviceId(name),
      kind: "service",
      lines: [
        name,
        ...targetObjectLines(planned, name),
        imageLine(app, service, config),
        sizeLine(service),
        ...healthLines(service, target),
        ...portLines(planned, service),
        ...(also.length > 0 ? [`also on ${also.length > 1 ? "networks" : "network"} ${also.join(", ")}`] : []),
      ],
    });
    for (const dependency of sortedKeys(service.dependsOn)) {
      const condition = service.dependsOn[dependency];
      edges.push({
        from: serviceId(name),
        to: serviceId(dependency),
        label: condition,
        style: condition === "healthy" ? "solid" : "dashed",
      });
    }
  }

  const loose: string[] = [];
  const boxes = networkBoxes(app, planned, layout, ids, nodes, loose, serviceId);
  publishedPorts(app, planned, ids, nodes, edges, serviceId);
  volumes(app, planned, ids, nodes, edges, serviceId);
  secrets(app, planned, ids, nodes, edges, serviceId);
  for (const node of nodes) {
    if (node.kind !== "service" && node.kind !== "note") loose.push(node.id);
  }

  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const key = (edge: PictureEdge) => `${edge.from}\u0000${edge.to}\u0000${edge.label}`;
  return {
    title: `${app.name} on ${target}, ${source}`,
    notes: targetNotes(app, planned),
    boxes,
    loose: loose.sort(),
    nodes: nodes.sort(byId),
    edges: edges.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)),
  };
}

/** What the target makes of the service: its containers, its swarm service, or its Deployment. */
function targetObjectLines(planned: PlanOf, name: string): string[] {
  switch (planned.target) {
    case "docker": {
      const containers = planned.plan.containers.filter((container) => container.service === name).map((container) => container.args.name);
      return [
        containers.length === 0
          ? "no container (replicas 0)"
          : `${containers.length > 1 ? "containers" : "container"} ${names(containers)}`,
      ];
    }
    case "swarm": {
      const { args } = planned.plan.services.find((service) => service.name === name) as SwarmPlan["services"][number];
      const placement = [
        ...(args.constraints ?? []).map((constraint) => `on ${constraint}`),
        ...(args.maxReplicasPerNode ? [`at most ${counted(args.maxReplicasPerNode, "task")} per node`] : []),
      ];
      return [`swarm service ${args.name}, ${args.endpointMode}`, ...(placement.length > 0 ? [placement.join(" · ")] : [])];
    }
    case "kubernetes":
      return [`Deployment ${name}`];
  }
}

function imageLine(app: ResolvedApp, service: ResolvedService, config: StackConfig): string {
  const image = service.image;
  if (image.kind === "pull") return `image ${image.ref}`;
  return `image ${imageName(app, service.name, config)}, built from ${image.context}${image.dockerfile ? ` (${image.dockerfile})` : ""}`;
}

/** Replicas (or the autoscaler's bounds), limits, and whether it is a single writer. */
function sizeLine(service: ResolvedService): string {
  const copies =
    service.autoscaling === undefined
      ? counted(service.replicas, "replica")
      : `${service.autoscaling.minReplicas}-${service.autoscaling.maxReplicas} replicas, autoscaled at ${service.autoscaling.targetCpuPercent}% CPU`;
  return [copies, cpus(service.limits.cpus), service.limits.memory, ...(service.singleWriter ? ["single writer"] : [])].join(" · ");
}

/** The health check as the target runs it: Kubernetes probes over HTTP when the model says how. */
function healthLines(service: ResolvedService, target: PlanOf["target"]): string[] {
  const health = service.health;
  if (health === undefined) return ["no health check"];
  const check =
    target === "kubernetes" && health.http !== undefined ? `GET :${health.http.port}${health.http.path}` : commandLine(health.command);
  return [`health: ${check}, every ${health.intervalSeconds}s`];
}

/** The ports the app's other services reach: on Kubernetes through the service's Service. */
function portLines(planned: PlanOf, service: ResolvedService): string[] {
  const served = service.ports.filter((port) => !port.healthOnly);
  if (served.length === 0) return [];
  if (planned.target !== "kubernetes") return [`listens ${served.map((port) => `${port.containerPort}/${port.protocol}`).join(", ")}`];
  const { args } = planned.plan.deployments.find(
    (deployment) => deployment.service === service.name,
  ) as KubernetesPlan["deployments"][number];
  const ports = args.ports ?? [];
  const type = ports.some((port) => port.published) ? (args.serviceType ?? "ClusterIP") : "ClusterIP";
  const forwards = ports.map((port) => `${port.servicePort ?? port.containerPort} → ${port.containerPort}/${port.protocol ?? "tcp"}`);
  return [`Service ${service.name} (${type}) ${forwards.join(", ")}`];
}

function targetNotes(app: ResolvedApp, planned: PlanOf): string[] {
  switch (planned.target) {
    case "docker":
      return [`Docker engine ${planned.plan.host}`];
    case "swarm":
      return [`swarm through ${planned.plan.host}`];
    case "kubernetes": {
      const { plan } = planned;
      return [
        `namespace ${plan.namespace}, Pod Security ${plan.podSecurity}`,
        `NetworkPolicies ${app.name}-default-deny and ${app.name}-default-deny-egress: only what the others allow; ${app.name}-dns: cluster DNS`,
      ];
    }
  }
}

function networkBoxes(
  app: ResolvedApp,
  planned: PlanOf,
  layout: ReturnType<typeof networkLayout>,
  ids: Ids,
  nodes: PictureNode[],
  loose: string[],
  serviceId: (name: string) => string,
): PictureBox[] {
  const boxes = new Map<string, PictureBox>();
  for (const name of sortedKeys(app.networks)) {
    const network = app.networks[name];
    const lines =
      planned.target === "kubernetes"
        ? [`network ${name}`, `NetworkPolicy ${app.name}-network-${name}: members reach each other`]
        : [
            `${planned.target === "swarm" ? "overlay network" : "network"} ${name} · ${network.subnet}`,
            ...(network.ipRange !== undefined ? [`addresses from ${network.ipRange}`] : []),
            ...(network.internal ? ["internal: no route outside"] : []),
          ];
    boxes.set(name, { id: ids.id("net", name), lines, nodes: [], boxes: [] });
  }
  const top: PictureBox[] = [];
  for (const name of sortedKeys(app.networks)) {
    const box = boxes.get(name) as PictureBox;
    const holder = layout.parent.get(name);
    (holder === undefined ? top : (boxes.get(holder) as PictureBox).boxes).push(box);
  }
  for (const name of sortedKeys(app.services)) {
    const home = layout.home.get(name);
    if (home === undefined) loose.push(serviceId(name));
    else (boxes.get(home) as PictureBox).nodes.push(serviceId(name));
  }
  // A box with nothing in it is not drawn by Graphviz: it holds a note saying so.
  for (const [name, box] of boxes) {
    if (box.nodes.length === 0 && box.boxes.length === 0) {
      const id = ids.id("note", name);
      nodes.push({ id, kind: "note", lines: ["no services"] });
      box.nodes.push(id);
    }
  }
  return top;
}

function publishedPorts(
  app: ResolvedApp,
  planned: PlanOf,
  ids: Ids,
  nodes: PictureNode[],
  edges: PictureEdge[],
  serviceId: (name: string) => string,
): void {
  for (const name of sortedKeys(app.services)) {
    for (const port of app.services[name].ports) {
      if (port.publishedPort === undefined) continue;
      const id = ids.id("port", name, port.name);
      const into = `${port.containerPort}/${port.protocol}`;
      switch (planned.target) {
        case "docker": {
          const bound = planned.plan.containers
            .filter((container) => container.service === name)
            .flatMap((container) =>
              (container.args.ports ?? []).filter((p) => p.containerPort === port.containerPort && (p.protocol ?? "tcp") === port.protocol),
            );
          if (bound.length === 0) continue;
          const host = bound[0].hostIp ?? "0.0.0.0";
          const first = bound[0].hostPort as number;
          const last = bound[bound.length - 1].hostPort as number;
          nodes.push({
            id,
            kind: "port",
            lines: [`${host}:${first === last ? first : `${first}-${last}`}`, ...(host === "0.0.0.0" ? ["every interface"] : [])],
          });
          edges.push({ from: id, to: serviceId(name), label: bound.length > 1 ? `${into}, one port per replica` : into, style: "solid" });
          break;
        }
        case "swarm": {
          const { args } = planned.plan.services.find((service) => service.name === name) as SwarmPlan["services"][number];
          const host = args.endpointMode === "dnsrr";
          nodes.push({
            id,
            kind: "port",
            lines: [
              `*:${port.publishedPort}, ${host ? "host mode" : "routing mesh"}`,
              host ? "on each node running a task" : "on every node",
            ],
          });
          edges.push({ from: id, to: serviceId(name), label: into, style: "solid" });
          break;
        }
        case "kubernetes": {
          const { plan } = planned;
          const { args } = plan.deployments.find((deployment) => deployment.service === name) as KubernetesPlan["deployments"][number];
          const type = args.serviceType ?? "ClusterIP";
          const reached =
            type === "ClusterIP"
              ? [`${name}.${plan.namespace}.svc.cluster.local:${port.publishedPort}`, "in the cluster (kubectl port-forward)"]
              : type === "NodePort"
                ? [`<node>:<node port> → ${port.publishedPort}`, "every node; port assigned at up"]
                : [`<load balancer>:${port.publishedPort}`, "address assigned at up"];
          nodes.push({ id, kind: "port", lines: [...reached, `NetworkPolicy ${app.name}-${name}-published: open to anyone`] });
          edges.push({ from: id, to: serviceId(name), label: `${port.publishedPort} → ${into}`, style: "solid" });
          break;
        }
      }
    }
  }
}

function volumes(
  app: ResolvedApp,
  planned: PlanOf,
  ids: Ids,
  nodes: PictureNode[],
  edges: PictureEdge[],
  serviceId: (name: string) => string,
): void {
  const mountLabel = (mountPath: string, readOnly: boolean) => `${mountPath}${readOnly ? " read-only" : ""}`;
  for (const name of sortedKeys(app.volumes)) {
    const volume = app.volumes[name];
    const id = ids.id("vol", name);
    const mounts = sortedKeys(app.services).flatMap((service) =>
      app.services[service].volumes.filter((mount) => mount.volume === name).map((mount) => ({ service, mount })),
    );
    let where: string;
    if (planned.target === "kubernetes") {
      const claim = planned.plan.deployments
        .flatMap((deployment) => deployment.args.volumes ?? [])
        .find((candidate) => candidate.claimName === name);
      where =
        claim === undefined
          ? "no PersistentVolumeClaim: not mounted"
          : `PersistentVolumeClaim ${name}, ${claim.size ?? volume.size}${claim.storageClass ? `, class ${claim.storageClass}` : ""}`;
    } else {
      const made = planned.plan.volumes.find(([volumeName]) => volumeName === name);
      const physical = made?.[1].name ?? name;
      where = planned.target === "swarm" ? `volume ${physical} on its task's node` : `Docker volume ${physical}`;
    }
    nodes.push({ id, kind: "volume", lines: [`volume ${name}`, where, ...(volume.retain ? ["retained: kept on destroy"] : [])] });
    for (const { service, mount } of mounts) {
      edges.push({ from: serviceId(service), to: id, label: mountLabel(mount.mountPath, mount.readOnly), style: "solid" });
    }
  }
  for (const service of sortedKeys(app.services)) {
    for (const mount of app.services[service].volumes) {
      if (mount.hostPath === undefined) continue;
      const id = ids.id("path", mount.hostPath);
      if (!nodes.some((node) => node.id === id)) nodes.push({ id, kind: "path", lines: [`host path ${mount.hostPath}`] });
      edges.push({ from: serviceId(service), to: id, label: mountLabel(mount.mountPath, mount.readOnly), style: "solid" });
    }
  }
}

function secrets(
  app: ResolvedApp,
  planned: PlanOf,
  ids: Ids,
  nodes: PictureNode[],
  edges: PictureEdge[],
  serviceId: (name: string) => string,
): void {
  for (const name of sortedKeys(app.secrets)) {
    const id = ids.id("sec", name);
    const readers = sortedKeys(app.services).filter((service) => Object.values(app.services[service].secretEnv).includes(name));
    const made =
      planned.target === "kubernetes"
        ? kubernetesSecret(app, planned.plan, name)
        : readers.length === 0
          ? "read by no service: not created"
          : `${planned.target === "swarm" ? "swarm secret, " : ""}file /run/secrets/${name}`;
    nodes.push({ id, kind: "secret", lines: [`secret ${name}`, made] });
    for (const service of readers) {
      const variables = sortedKeys(app.services[service].secretEnv).filter(
        (variable) => app.services[service].secretEnv[variable] === name,
      );
      const label = variables.map((variable) => (planned.target === "kubernetes" ? variable : `${variable}_FILE`)).join(", ");
      edges.push({ from: id, to: serviceId(service), label, style: "solid" });
    }
  }
}

/** The Secret that holds an app secret on Kubernetes (the plan names it `<app>-<secret>`). */
function kubernetesSecret(app: ResolvedApp, plan: KubernetesPlan, name: string): string {
  const made = plan.secrets.find(([, args]) => args.secretName === `${app.name}-${name}`);
  return made === undefined ? "no Secret" : `Secret ${made[1].secretName}`;
}
