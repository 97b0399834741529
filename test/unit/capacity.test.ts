/**
 * cli/capacity.ts: the room an autoscaled service's maxReplicas needs, checked against the nodes'
 * allocatable CPU and memory less what other pods request, as exact arithmetic and messages; the
 * reading of `kubectl get nodes` and `kubectl get pods` from recorded JSON, through a stand-in kubectl
 * that prints it; and the voting app's prod stack through the whole check.
 */
import {
  capacityRefusal,
  checkCapacity,
  cpuMillis,
  KubeNode,
  KubeScheduledPod,
  memoryBytes,
  memoryText,
  NodeFigures,
  nodeFigures,
  parseQuantity,
  podRequests,
  ServiceDemand,
  serviceDemands,
} from "../../cli/capacity";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandError } from "../../cli/args";
import { run } from "../../cli/main";
import { EngineCommand } from "../../cli/runtime";
import { LoadedStack } from "../../cli/stack";
import { applyConfig } from "../../stacks/overrides";
import { resolveApp } from "../../stacks/resolve";
import { planKubernetes } from "../../stacks/targets/kubernetes";
import { votingApp } from "../../stacks/votingApp";
import { stackConfig, stackFile, Values } from "./stage";

const MI = 1024 * 1024;
const ROOT = path.resolve(__dirname, "../..");

/** A node with CPU in millicores and memory in MiB, and what pods not of the stack request on it. */
const node = (
  name: string,
  cpu: number,
  memory: number,
  otherCpu = 0,
  otherMemory = 0,
  labels: Record<string, string> = {},
): NodeFigures => ({
  name,
  labels,
  allocatable: { cpuMillis: cpu, memoryBytes: memory * MI },
  requested: { cpuMillis: otherCpu, memoryBytes: otherMemory * MI },
});
/** A service whose pods request CPU in millicores and memory in MiB; `most` makes it autoscaled. */
const service = (
  name: string,
  cpu: number,
  memory: number,
  least: number,
  most?: number,
  nodeSelector?: Record<string, string>,
): ServiceDemand => ({
  service: name,
  request: { cpuMillis: cpu, memoryBytes: memory * MI },
  least,
  ...(most !== undefined ? { most } : {}),
  ...(nodeSelector !== undefined ? { nodeSelector } : {}),
});

describe("capacityRefusal: each autoscaled service at maxReplicas beside the stack's other pods", () => {
  const fixed = [service("db", 500, 512, 1), service("redis", 250, 128, 1)];

  test.each<[string, NodeFigures[], ServiceDemand[], string]>([
    [
      "CPU: 2 CPU less 250m of other pods and 750m of db and redis leave 1000m, four pods of 250m",
      [node("node-1", 2000, 4096, 250, 1024)],
      [...fixed, service("vote", 250, 128, 3, 10)],
      "dockyard up: services.vote.autoscaling.maxReplicas is 10, but the cluster can place only 4 pods of vote: each requests 250m CPU and 128Mi memory (2500m CPU and 1280Mi memory at 10); the node has 2 CPU and 4Gi memory allocatable, of which pods not of this stack request 250m CPU and 1Gi memory, and the stack's other services 750m CPU and 640Mi memory, so CPU runs out; set it to 4 (pulumi config set --path services.vote.autoscaling.maxReplicas 4), or lower vote's CPU request (services.vote.reservations.cpus; unset, half of services.vote.limits.cpus)",
    ],
    [
      "memory: 1Gi less 512Mi of other pods holds four pods of 128Mi, though the CPU holds sixteen",
      [node("node-1", 4000, 1024, 0, 512)],
      [service("vote", 250, 128, 1, 6)],
      "dockyard up: services.vote.autoscaling.maxReplicas is 6, but the cluster can place only 4 pods of vote: each requests 250m CPU and 128Mi memory (1500m CPU and 768Mi memory at 6); the node has 4 CPU and 1Gi memory allocatable, of which pods not of this stack request 0 CPU and 512Mi memory, so memory runs out; set it to 4 (pulumi config set --path services.vote.autoscaling.maxReplicas 4), or lower vote's memory request (services.vote.reservations.memory; unset, services.vote.limits.memory)",
    ],
    [
      "a pod goes on one node: 2 CPU in all, but each node's 1000m holds one pod of 600m",
      [node("a", 1000, 4096), node("b", 1000, 4096)],
      [service("vote", 600, 128, 1, 3)],
      "dockyard up: services.vote.autoscaling.maxReplicas is 3, but the cluster can place only 2 pods of vote: each requests 600m CPU and 128Mi memory (1800m CPU and 384Mi memory at 3); the 2 nodes have 2 CPU and 8Gi memory allocatable, of which pods not of this stack request 0 CPU and 0 memory, so CPU runs out; set it to 2 (pulumi config set --path services.vote.autoscaling.maxReplicas 2), or lower vote's CPU request (services.vote.reservations.cpus; unset, half of services.vote.limits.cpus)",
    ],
    [
      "fewer than minReplicas fit: minReplicas named too",
      [node("node-1", 500, 4096)],
      [service("vote", 250, 128, 3, 5)],
      "dockyard up: services.vote.autoscaling.maxReplicas is 5, but the cluster can place only 2 pods of vote: each requests 250m CPU and 128Mi memory (1250m CPU and 640Mi memory at 5); the node has 500m CPU and 4Gi memory allocatable, of which pods not of this stack request 0 CPU and 0 memory, so CPU runs out; set it to 2 (pulumi config set --path services.vote.autoscaling.maxReplicas 2) and minReplicas to at most 2, or lower vote's CPU request (services.vote.reservations.cpus; unset, half of services.vote.limits.cpus)",
    ],
    [
      "not one pod fits",
      [node("node-1", 1000, 4096, 900)],
      [service("vote", 250, 128, 1, 2)],
      "dockyard up: services.vote.autoscaling.maxReplicas is 2, but the cluster can place no pod of vote: each requests 250m CPU and 128Mi memory (500m CPU and 256Mi memory at 2); the node has 1 CPU and 4Gi memory allocatable, of which pods not of this stack request 900m CPU and 0 memory, so CPU runs out; lower vote's CPU request (services.vote.reservations.cpus; unset, half of services.vote.limits.cpus), or free room on the cluster",
    ],
    [
      "two autoscaled services, each at its least, then grown in name order: result to its 5 first, then vote finds 500m for its 4",
      [node("node-1", 2000, 4096)],
      [service("vote", 250, 128, 1, 4), service("result", 250, 128, 1, 5)],
      "dockyard up: services.vote.autoscaling.maxReplicas is 4, but the cluster can place only 3 pods of vote: each requests 250m CPU and 128Mi memory (1 CPU and 512Mi memory at 4); the node has 2 CPU and 4Gi memory allocatable, of which pods not of this stack request 0 CPU and 0 memory, and the stack's other services 1250m CPU and 640Mi memory, so CPU runs out; set it to 3 (pulumi config set --path services.vote.autoscaling.maxReplicas 3), or lower vote's CPU request (services.vote.reservations.cpus; unset, half of services.vote.limits.cpus)",
    ],
    [
      "no node with the labels the pods need",
      [node("node-1", 4000, 4096, 0, 0, { disk: "hdd" })],
      [service("vote", 250, 128, 1, 2, { disk: "ssd" })],
      "dockyard up: services.vote.autoscaling.maxReplicas is 2, but no node can take a pod of vote: none is schedulable with the labels its pods need (disk=ssd); label a node so, or change services.vote.placement.constraints",
    ],
    [
      "no schedulable node at all",
      [],
      [service("vote", 250, 128, 1, 2)],
      "dockyard up: services.vote.autoscaling.maxReplicas is 2, but no node can take a pod of vote: the cluster has no node that is neither cordoned nor tainted NoSchedule or NoExecute; uncordon a node, or add one",
    ],
  ])("%s", (_, nodes, services, message) => {
    expect(capacityRefusal(nodes, services)).toBe(message);
  });

  test("every pod fits, to the last millicore and byte: no refusal", () => {
    // 2000m less 250m: db 500m, redis 250m, vote 4 × 250m = 1750m; memory 4Gi less 3Gi: 512 + 128 + 4 × 96 = 1Gi
    expect(capacityRefusal([node("node-1", 2000, 4096, 250, 3072)], [...fixed, service("vote", 250, 96, 1, 4)])).toBeUndefined();
    expect(capacityRefusal([node("node-1", 2000, 4096, 251, 3072)], [...fixed, service("vote", 250, 96, 1, 4)])).toMatch(
      /can place only 3 pods of vote/,
    );
  });

  test("pods go where the most CPU is left, so a later, larger pod still finds a node", () => {
    // vote's two pods spread, one on each node, so each keeps 700m for one of worker's 700m pods.
    expect(
      capacityRefusal([node("a", 1000, 4096), node("b", 1000, 4096)], [service("vote", 300, 64, 2), service("worker", 700, 64, 1, 2)]),
    ).toBeUndefined();
  });

  test("a service that is not autoscaled is never refused, even where its pods do not fit; it only takes the room it gets", () => {
    expect(capacityRefusal([node("node-1", 500, 4096)], [service("db", 1000, 512, 1), service("redis", 250, 128, 3)])).toBeUndefined();
    expect(capacityRefusal([node("node-1", 500, 4096)], [service("db", 1000, 512, 1), service("vote", 250, 128, 1, 2)])).toBeUndefined();
  });
});

describe("the cluster's figures as kubectl lists them", () => {
  test.each<[string | number, number]>([
    ["250m", 0.25],
    ["2", 2],
    ["1.5", 1.5],
    ["100k", 100_000],
    ["1e3", 1000],
    ["3926144Ki", 3926144 * 1024],
    ["128Mi", 128 * MI],
    ["1G", 1e9],
    ["500u", 0.0005],
    [4, 4],
  ])("parseQuantity(%p) is %p", (quantity, value) => {
    expect(parseQuantity(quantity)).toBeCloseTo(value, 9);
  });

  test("a text that is no quantity is refused by name", () => {
    expect(() => parseQuantity("2 cores")).toThrow('not a Kubernetes quantity: "2 cores"');
  });

  test("CPU in millicores (a fraction of one rounded up), memory in bytes; memory shown exact, else in whole Mi", () => {
    expect([cpuMillis("250m"), cpuMillis("1.5"), cpuMillis("100u"), cpuMillis(undefined)]).toEqual([250, 1500, 1, 0]);
    expect([memoryBytes("128Mi"), memoryBytes("1G"), memoryBytes(undefined)]).toEqual([134217728, 1e9, 0]);
    expect([memoryText(4 * 1024 * MI), memoryText(1280 * MI), memoryText(3926144 * 1024), memoryText(0)]).toEqual([
      "4Gi",
      "1280Mi",
      "3834Mi",
      "0",
    ]);
  });

  test("a pod's requests: its containers and sidecars, or its largest init container if that is more, plus overhead", () => {
    const requests = (cpu: string, memory: string) => ({ resources: { requests: { cpu, memory } } });
    expect(
      podRequests({
        metadata: {},
        spec: {
          containers: [requests("100m", "64Mi"), requests("50m", "32Mi")],
          initContainers: [{ ...requests("25m", "16Mi"), restartPolicy: "Always" }, requests("500m", "8Mi")],
          overhead: { cpu: "10m", memory: "1Mi" },
        },
      }),
    ).toEqual({ cpuMillis: 510, memoryBytes: 113 * MI });
    expect(podRequests({ metadata: {}, spec: { containers: [{}] } })).toEqual({ cpuMillis: 0, memoryBytes: 0 });
  });

  test("nodes: cordoned and NoSchedule or NoExecute tainted ones left out; each with the requests of the pods placed there that are not the stack's and still run", () => {
    const nodes: KubeNode[] = [
      { metadata: { name: "node-1", labels: { disk: "ssd" } }, status: { allocatable: { cpu: "4", memory: "8Gi" } } },
      { metadata: { name: "node-2" }, spec: { unschedulable: true }, status: { allocatable: { cpu: "4", memory: "8Gi" } } },
      {
        metadata: { name: "node-3" },
        spec: { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] },
        status: { allocatable: { cpu: "4", memory: "8Gi" } },
      },
      {
        metadata: { name: "node-4" },
        spec: { taints: [{ key: "spot", effect: "PreferNoSchedule" }] },
        status: { allocatable: { cpu: "1500m", memory: "3926144Ki" } },
      },
    ];
    const pod = (
      nodeName: string | undefined,
      cpu: string,
      memory: string,
      extra: Partial<KubeScheduledPod["metadata"]> = {},
      phase = "Running",
    ): KubeScheduledPod => ({
      metadata: { namespace: "kube-system", ...extra },
      spec: { ...(nodeName !== undefined ? { nodeName } : {}), containers: [{ resources: { requests: { cpu, memory } } }] },
      status: { phase },
    });
    const pods = [
      pod("node-1", "100m", "70Mi"),
      pod("node-1", "200m", "100Mi", { namespace: "prod", labels: { "app.kubernetes.io/instance": "prod" } }),
      pod("node-1", "1", "1Gi", {}, "Succeeded"),
      pod(undefined, "2", "2Gi"),
      pod("node-4", "250m", "128Mi"),
      pod("node-4", "150m", "64Mi", {}, "Pending"),
    ];
    const own = (p: KubeScheduledPod) => p.metadata.namespace === "prod";
    expect(nodeFigures(nodes, pods, own)).toEqual([
      {
        name: "node-1",
        labels: { disk: "ssd" },
        allocatable: { cpuMillis: 4000, memoryBytes: 8 * 1024 * MI },
        requested: { cpuMillis: 100, memoryBytes: 70 * MI },
      },
      {
        name: "node-4",
        labels: {},
        allocatable: { cpuMillis: 1500, memoryBytes: 3926144 * 1024 },
        requested: { cpuMillis: 400, memoryBytes: 192 * MI },
      },
    ]);
  });
});

describe("the voting app's prod stack through the check", () => {
  const loaded = (values: Values, stack: string): LoadedStack => {
    const config = stackConfig(values, stack);
    const { model, where } = applyConfig(votingApp, config);
    return { stack, config, app: resolveApp(model, where), where, notes: [] };
  };
  const prod = loaded(stackFile("prod"), "prod");

  test("what each service asks: vote 3 to 10 pods of 250m and 128Mi, db one of 1 CPU and 1Gi, the rest as their replicas", () => {
    const plan = planKubernetes(prod.app, prod.config, prod.where);
    const demands = serviceDemands(plan).sort((a, b) => a.service.localeCompare(b.service));
    const each = (cpu: number, memory: number) => ({ cpuMillis: cpu, memoryBytes: memory * MI });
    expect(demands).toEqual([
      { service: "db", request: each(1000, 1024), least: 1 },
      { service: "redis", request: each(250, 128), least: 1 },
      { service: "result", request: each(250, 128), least: 2 },
      { service: "vote", request: each(250, 128), least: 3, most: 10 },
      { service: "worker", request: each(250, 128), least: 2 },
    ]);
  });

  /** A kubectl that prints the nodes given for `get nodes`, else the pods given. */
  const kubectl = (nodes: KubeNode[], pods: KubeScheduledPod[]): EngineCommand => ({
    command: process.execPath,
    args: [
      "-e",
      `const asked = process.argv.slice(1); console.log(JSON.stringify({ items: asked.includes("nodes") ? ${JSON.stringify(nodes)} : ${JSON.stringify(pods)} }));`,
      "--",
    ],
    env: process.env,
  });
  const oneNode = (cpu: string): KubeNode[] => [{ metadata: { name: "node-1" }, status: { allocatable: { cpu, memory: "8Gi" } } }];
  const pods: KubeScheduledPod[] = [
    {
      metadata: { namespace: "kube-system" },
      spec: { nodeName: "node-1", containers: [{ resources: { requests: { cpu: "100m", memory: "70Mi" } } }] },
    },
    {
      metadata: { namespace: "prod", labels: { "app.kubernetes.io/instance": "prod", "app.kubernetes.io/part-of": "voting" } },
      spec: { nodeName: "node-1", containers: [{ resources: { requests: { cpu: "3", memory: "1Gi" } } }] },
    },
  ];

  test("4 CPU less coredns's 100m and the fixed services' 2250m hold 6 of vote's 10 pods: refused before anything is created", async () => {
    const notes: string[] = [];
    await expect(checkCapacity(prod, (line) => notes.push(line), kubectl(oneNode("4"), pods))).rejects.toThrow(
      new CommandError(
        "dockyard up: services.vote.autoscaling.maxReplicas is 10, but the cluster can place only 6 pods of vote: each requests 250m CPU and 128Mi memory (2500m CPU and 1280Mi memory at 10); the node has 4 CPU and 8Gi memory allocatable, of which pods not of this stack request 100m CPU and 70Mi memory, and the stack's other services 2250m CPU and 1664Mi memory, so CPU runs out; set it to 6 (pulumi config set --path services.vote.autoscaling.maxReplicas 6), or lower vote's CPU request (services.vote.reservations.cpus; unset, half of services.vote.limits.cpus)",
      ),
    );
    expect(notes).toEqual([]);
  });

  test("with 5 CPU there is room (the stack's own running pods do not count against it): one line says so", async () => {
    const notes: string[] = [];
    await checkCapacity(prod, (line) => notes.push(line), kubectl(oneNode("5"), pods));
    expect(notes).toEqual(["capacity: the cluster can place vote at maxReplicas 10"]);
  });

  test("nodes that cannot be read (no right to list them): not checked, said so, nothing refused", async () => {
    const notes: string[] = [];
    const forbidden: EngineCommand = {
      command: process.execPath,
      args: ["-e", 'console.error("Error from server (Forbidden): nodes is forbidden"); process.exit(1)', "--"],
      env: process.env,
    };
    await checkCapacity(prod, (line) => notes.push(line), forbidden);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^capacity: not checked, the cluster's nodes and pods could not be read \(.* get nodes -o json: Error from server \(Forbidden\): nodes is forbidden\)$/,
    );
  });

  test("a stack without an autoscaler, or on another target, asks the cluster nothing", async () => {
    const nowhere: EngineCommand = { command: "/nonexistent/kubectl", args: [], env: process.env };
    const notes: string[] = [];
    await checkCapacity(loaded({ ...stackFile("prod"), services: { vote: { replicas: 3 } } }, "prod"), (line) => notes.push(line), nowhere);
    await checkCapacity(loaded({ target: "docker" }, "dev"), (line) => notes.push(line), nowhere);
    expect(notes).toEqual([]);
  });

  test("dockyard up asks it before anything is created: prod's vote at 10 pods on a 4-CPU node is refused, exit 1, nothing written", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-capacity-"));
    for (const file of ["Pulumi.yaml", "Pulumi.prod.yaml"]) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
    // The kubectl dockyard up finds on PATH: the recorded nodes and pods.
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const stand = kubectl(oneNode("4"), pods);
    fs.writeFileSync(
      path.join(bin, "kubectl"),
      `#!/bin/sh\nexec ${JSON.stringify(stand.command)} -e ${JSON.stringify(stand.args[1])} -- "$@"\n`,
      { mode: 0o755 },
    );
    const before = fs.readdirSync(dir).sort();
    const err: string[] = [];
    const saved = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${saved ?? ""}`;
    try {
      const code = await run(["up", "prod", "--yes"], { out: () => undefined, err: (text) => err.push(text), cwd: dir });
      expect({ code, err }).toEqual({
        code: 1,
        err: [
          expect.stringMatching(
            /^dockyard up: services\.vote\.autoscaling\.maxReplicas is 10, but the cluster can place only 6 pods of vote: /,
          ),
        ],
      });
    } finally {
      process.env.PATH = saved;
    }
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });
});
