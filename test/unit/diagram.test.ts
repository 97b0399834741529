/**
 * `dockyard diagram`'s pictures (cli/picture.ts, cli/render.ts): the dev stack and
 * examples/voting-compose.yaml on each target, read back from the dot and Mermaid texts (every node,
 * edge and box), the target's own objects in the labels, determinism, the network layout's cases and
 * the escaping of both formats.
 */
import * as path from "path";
import { UsageError } from "../../cli/args";
import { diagramOf, planStack, render } from "../../cli/diagram";
import { Ids, networkLayout, Picture, PictureNode } from "../../cli/picture";
import { NO_DOT, toDot, toMermaid, toSvg } from "../../cli/render";
import { loadStack, StackRequest } from "../../cli/stack";
import { NetworkPolicies } from "../../components/k8s";
import { ResolvedApp } from "../../stacks/resolve";
import { KubernetesPlan } from "../../stacks/targets/kubernetes";
import { setupMocks } from "./mocks";

const ROOT = path.resolve(__dirname, "../..");
const TARGETS = ["docker", "swarm", "kubernetes"] as const;
type Target = (typeof TARGETS)[number];

/** What a text says: its node ids, its edges ("from -> to [label]", " dashed" for a dashed one) and the box path of every node and box. */
interface Drawn {
  nodes: string[];
  edges: string[];
  /** Node or box id → the boxes it is in, outermost first, joined by "/" ("" for none). */
  inside: Record<string, string>;
}

function readDot(text: string): Drawn {
  const drawn: Drawn = { nodes: [], edges: [], inside: {} };
  const boxes: string[] = [];
  for (const line of text.split("\n").map((l) => l.trim())) {
    const box = /^subgraph "cluster_(\w+)" \{$/.exec(line);
    const node = /^"(\w+)" \[label=/.exec(line);
    const edge = /^"(\w+)" -> "(\w+)" \[label="((?:[^"\\]|\\.)*)"(, style=dashed)?\];$/.exec(line);
    if (box) {
      drawn.inside[box[1]] = boxes.join("/");
      boxes.push(box[1]);
    } else if (line === "}" && boxes.length > 0) boxes.pop();
    else if (edge) drawn.edges.push(`${edge[1]} -> ${edge[2]} [${edge[3]}]${edge[4] ? " dashed" : ""}`);
    else if (node) {
      drawn.nodes.push(node[1]);
      drawn.inside[node[1]] = boxes.join("/");
    }
  }
  return { ...drawn, nodes: drawn.nodes.sort(), edges: drawn.edges.sort() };
}

function readMermaid(text: string): Drawn {
  const drawn: Drawn = { nodes: [], edges: [], inside: {} };
  const boxes: string[] = [];
  for (const line of text.split("\n").map((l) => l.trim())) {
    const box = /^subgraph (\w+) \["/.exec(line);
    const edge = /^(\w+) (-->|-\.->)\|"(.*)"\| (\w+)$/.exec(line);
    const node = /^(\w+)(\(|>|\[\(|\[\/|\{\{|\[)"/.exec(line);
    if (box) {
      drawn.inside[box[1]] = boxes.join("/");
      boxes.push(box[1]);
    } else if (line === "end") boxes.pop();
    else if (edge) drawn.edges.push(`${edge[1]} -> ${edge[4]} [${edge[3]}]${edge[2] === "-.->" ? " dashed" : ""}`);
    else if (node) {
      drawn.nodes.push(node[1]);
      drawn.inside[node[1]] = boxes.join("/");
    }
  }
  return { ...drawn, nodes: drawn.nodes.sort(), edges: drawn.edges.sort() };
}

/** The voting app's picture, on any target, from the stack or from its compose file. */
const NODES = [
  "port_result_http",
  "port_vote_http",
  "sec_db_password",
  "svc_db",
  "svc_redis",
  "svc_result",
  "svc_vote",
  "svc_worker",
  "vol_db_data",
  "vol_redis_data",
];
const INSIDE: Record<string, string> = {
  net_backend: "",
  net_frontend: "net_backend",
  svc_db: "net_backend",
  svc_redis: "net_backend",
  svc_worker: "net_backend",
  svc_result: "net_backend/net_frontend",
  svc_vote: "net_backend/net_frontend",
  port_result_http: "",
  port_vote_http: "",
  sec_db_password: "",
  vol_db_data: "",
  vol_redis_data: "",
};
/** Dependencies and mounts: the same on every target. */
const COMMON_EDGES = [
  "svc_db -> vol_db_data [/var/lib/postgresql/data]",
  "svc_redis -> vol_redis_data [/data]",
  "svc_result -> svc_db [started] dashed",
  "svc_vote -> svc_redis [started] dashed",
  "svc_worker -> svc_db [started] dashed",
  "svc_worker -> svc_redis [started] dashed",
];
/** Published ports and secrets: as each target delivers them. */
const TARGET_EDGES: Record<Target, string[]> = {
  docker: [
    "port_result_http -> svc_result [8081/tcp]",
    "port_vote_http -> svc_vote [8080/tcp]",
    "sec_db_password -> svc_db [POSTGRES_PASSWORD_FILE]",
    "sec_db_password -> svc_result [DB_PASSWORD_FILE]",
    "sec_db_password -> svc_worker [DB_PASSWORD_FILE]",
  ],
  swarm: [
    "port_result_http -> svc_result [8081/tcp]",
    "port_vote_http -> svc_vote [8080/tcp]",
    "sec_db_password -> svc_db [POSTGRES_PASSWORD_FILE]",
    "sec_db_password -> svc_result [DB_PASSWORD_FILE]",
    "sec_db_password -> svc_worker [DB_PASSWORD_FILE]",
  ],
  kubernetes: [
    "port_result_http -> svc_result [5001 → 8081/tcp]",
    "port_vote_http -> svc_vote [5000 → 8080/tcp]",
    "sec_db_password -> svc_db [POSTGRES_PASSWORD]",
    "sec_db_password -> svc_result [DB_PASSWORD]",
    "sec_db_password -> svc_worker [DB_PASSWORD]",
  ],
};

/** Lines of the picture's node. */
const lines = (picture: Picture, id: string): string[] => (picture.nodes.find((node) => node.id === id) as PictureNode).lines;
/** Lines of a box, anywhere in the tree. */
function boxLines(picture: Picture, id: string): string[] {
  const find = (boxes: Picture["boxes"]): string[] | undefined =>
    boxes.map((box) => (box.id === id ? box.lines : find(box.boxes))).find((found) => found !== undefined);
  return find(picture.boxes) as string[];
}

const SOURCES: Array<[string, (target: Target) => StackRequest]> = [
  ["the dev stack", (target) => ({ stack: "dev", dir: ROOT, target })],
  [
    "examples/voting-compose.yaml",
    (target) => ({ stack: "dev", dir: ROOT, readStackFile: false, compose: { file: "examples/voting-compose.yaml" }, target }),
  ],
];

describe.each(SOURCES)("%s", (_source, request) => {
  describe.each(TARGETS)("on %s", (target) => {
    const { picture, notes } = diagramOf(request(target));

    it("has exactly the app's nodes, edges and boxes, in dot and in Mermaid alike", () => {
      const expected = { nodes: NODES, edges: [...COMMON_EDGES, ...TARGET_EDGES[target]].sort(), inside: INSIDE };
      expect(readDot(toDot(picture))).toEqual(expected);
      expect(readMermaid(toMermaid(picture))).toEqual(expected);
    });

    it("is the same text on a second run", () => {
      const again = diagramOf(request(target)).picture;
      expect(toDot(again)).toBe(toDot(picture));
      expect(toMermaid(again)).toBe(toMermaid(picture));
    });

    it("says what it assumed to draw a target the stack does not name", () => {
      const registry = "no dockyard:registry is set: drawn as if one were (pulumi up on kubernetes needs one to push the images it builds)";
      // The dev stack's bindAddress is a key of docker and swarm: a swarm reads it, a cluster leaves it out.
      const bindAddress =
        "target kubernetes instead of docker: dockyard:bindAddress (it applies to targets docker and swarm only) left out";
      const fromStack = request(target).readStackFile !== false;
      const expected: Record<Target, string[]> = {
        docker: [],
        swarm: [],
        kubernetes: fromStack ? [bindAddress, registry] : [registry],
      };
      expect(notes).toEqual(expected[target]);
    });
  });
});

describe("the dev stack's labels: the target's own objects", () => {
  const drawn = (target: Target) => diagramOf({ stack: "dev", dir: ROOT, target }).picture;

  it("on docker: containers, bridge networks with subnets, ports on the bind address", () => {
    const picture = drawn("docker");
    expect(picture.title).toBe("voting on docker, stack dev");
    expect(picture.notes).toEqual(["Docker engine unix:///var/run/docker.sock"]);
    expect(lines(picture, "svc_vote")).toEqual([
      "vote",
      "container voting-dev-vote-1",
      "image voting-vote:dev, built from apps/vote",
      "1 replica · 0.5 CPU · 128m",
      "health: healthcheck, every 10s",
      "listens 8080/tcp",
    ]);
    expect(lines(picture, "svc_db")).toEqual([
      "db",
      "container voting-dev-db-1",
      "image postgres:15",
      "1 replica · 1 CPU · 512m · single writer",
      "health: pg_isready -U postgres -d postgres, every 5s",
      "listens 5432/tcp",
    ]);
    expect(lines(picture, "port_vote_http")).toEqual(["127.0.0.1:5000"]);
    expect(lines(picture, "vol_db_data")).toEqual(["volume db-data", "Docker volume voting-dev-db-data"]);
    expect(lines(picture, "sec_db_password")).toEqual(["secret db-password", "file /run/secrets/db-password"]);
    expect(boxLines(picture, "net_backend")).toEqual(["network backend · 10.123.2.0/24"]);
    expect(boxLines(picture, "net_frontend")).toEqual(["network frontend · 10.123.1.0/24"]);
  });

  it("on swarm: swarm services with their placement, overlay networks, host-mode ports", () => {
    const picture = drawn("swarm");
    expect(lines(picture, "svc_redis").slice(0, 3)).toEqual([
      "redis",
      "swarm service voting-dev-redis, dnsrr",
      "on node.role == manager · at most 1 task per node",
    ]);
    expect(lines(picture, "svc_vote").slice(0, 3)).toEqual(["vote", "swarm service voting-dev-vote, dnsrr", "at most 1 task per node"]);
    expect(lines(picture, "port_vote_http")).toEqual(["*:5000, host mode", "on each node running a task"]);
    expect(lines(picture, "sec_db_password")).toEqual(["secret db-password", "swarm secret, file /run/secrets/db-password"]);
    expect(boxLines(picture, "net_frontend")).toEqual(["overlay network frontend · 10.123.1.0/24"]);
  });

  it("on kubernetes: Deployments, Services, HTTP probes, claims, Secrets and NetworkPolicies", () => {
    const picture = drawn("kubernetes");
    expect(picture.notes).toEqual([
      "namespace dev, Pod Security restricted",
      "NetworkPolicies voting-default-deny and voting-default-deny-egress: only what the others allow; voting-dns: cluster DNS",
    ]);
    expect(lines(picture, "svc_vote")).toEqual([
      "vote",
      "Deployment vote",
      "image voting-vote:dev, built from apps/vote",
      "1 replica · 0.5 CPU · 128m",
      "health: GET :8080/healthz, every 10s",
      "Service vote (ClusterIP) 5000 → 8080/tcp",
    ]);
    // A port only the health check uses has no Service.
    expect(lines(picture, "svc_worker")).toEqual([
      "worker",
      "Deployment worker",
      "image voting-worker:dev, built from apps (node-common/Dockerfile)",
      "1 replica · 0.5 CPU · 128m",
      "health: GET :8082/healthz, every 10s",
    ]);
    expect(lines(picture, "port_vote_http")).toEqual([
      "vote.dev.svc.cluster.local:5000",
      "in the cluster (kubectl port-forward)",
      "NetworkPolicy voting-vote-published: open to anyone",
    ]);
    expect(lines(picture, "vol_redis_data")).toEqual(["volume redis-data", "PersistentVolumeClaim redis-data, 256Mi"]);
    expect(lines(picture, "sec_db_password")).toEqual(["secret db-password", "Secret voting-db-password"]);
    expect(boxLines(picture, "net_backend")).toEqual(["network backend", "NetworkPolicy voting-network-backend: members reach each other"]);
  });

  it("prod: autoscaled replicas, load balancers, retained volumes", () => {
    const picture = diagramOf({ stack: "prod", dir: ROOT }).picture;
    expect(lines(picture, "svc_vote")[3]).toBe("3-10 replicas, autoscaled at 70% CPU · 0.5 CPU · 128m");
    expect(lines(picture, "port_vote_http")[0]).toBe("<load balancer>:5000");
    expect(lines(picture, "vol_db_data")).toEqual(["volume db-data", "PersistentVolumeClaim db-data, 10Gi", "retained: kept on destroy"]);
  });
});

describe("the NetworkPolicies a Kubernetes picture names", () => {
  it("are the ones the NetworkPolicies component makes from the plan", async () => {
    await setupMocks({});
    const loaded = loadStack({ stack: "dev", dir: ROOT, target: "kubernetes" });
    const plan = planStack(loaded).planned.plan as KubernetesPlan;
    const made = Object.keys(new NetworkPolicies(...plan.networkPolicies).descriptions).sort();
    const picture = diagramOf({ stack: "dev", dir: ROOT, target: "kubernetes" }).picture;
    const text = [
      ...picture.notes,
      ...picture.nodes.flatMap((node) => node.lines),
      ...["net_backend", "net_frontend"].flatMap((id) => boxLines(picture, id)),
    ];
    const named = new Set(
      text.flatMap((line) => line.match(/\bvoting-(default-deny-egress|default-deny|dns|network-\w+|\w+-published)\b/g) ?? []),
    );
    expect([...named].sort()).toEqual(made);
    expect(made).toEqual([
      "voting-default-deny",
      "voting-default-deny-egress",
      "voting-dns",
      "voting-network-backend",
      "voting-network-frontend",
      "voting-result-published",
      "voting-vote-published",
    ]);
  });
});

/** A resolved app of services on networks, the rest of each service left out (networkLayout reads only these). */
function networked(services: Record<string, string[]>, networks: string[]): ResolvedApp {
  return {
    name: "app",
    order: Object.keys(services).sort(),
    services: Object.fromEntries(Object.entries(services).map(([name, on]) => [name, { networks: on }])),
    networks: Object.fromEntries(networks.map((name) => [name, { subnet: "10.0.0.0/24", internal: false }])),
    volumes: {},
    secrets: {},
  } as unknown as ResolvedApp;
}

describe("networkLayout", () => {
  it("draws a network whose members are all on another inside it, and each service in its deepest box", () => {
    const layout = networkLayout(networked({ a: ["inner", "outer"], b: ["outer"], c: [] }, ["inner", "outer"]));
    expect(Object.fromEntries(layout.parent)).toEqual({ outer: undefined, inner: "outer" });
    expect(Object.fromEntries(layout.home)).toEqual({ a: "inner", b: "outer", c: undefined });
    expect(Object.fromEntries(layout.alsoOn)).toEqual({ a: [], b: [], c: [] });
  });

  it("puts a service of two crossing networks in the first and names the other", () => {
    const layout = networkLayout(networked({ x: ["left"], y: ["left", "right"], z: ["right"] }, ["left", "right"]));
    expect(Object.fromEntries(layout.parent)).toEqual({ left: undefined, right: undefined });
    expect(Object.fromEntries(layout.home)).toEqual({ x: "left", y: "left", z: "right" });
    expect(Object.fromEntries(layout.alsoOn)).toEqual({ x: [], y: ["right"], z: [] });
  });

  it("keeps an empty network at the top, not inside another", () => {
    const layout = networkLayout(networked({ a: ["used"] }, ["empty", "used"]));
    expect(Object.fromEntries(layout.parent)).toEqual({ used: undefined, empty: undefined });
  });
});

describe("Ids", () => {
  it("keeps letters and digits, turns the rest into _, and numbers a clash", () => {
    const ids = new Ids();
    expect(ids.id("vol", "db-data")).toBe("vol_db_data");
    expect(ids.id("vol", "db.data")).toBe("vol_db_data_2");
    expect(ids.id("vol", "db-data")).toBe("vol_db_data");
    expect(ids.id("port", "vote", "http")).toBe("port_vote_http");
  });
});

describe("escaping", () => {
  const picture: Picture = {
    title: 'a "quoted" title',
    notes: ["back\\slash"],
    boxes: [{ id: "net_a", lines: ["net <a> #1"], nodes: ["svc_a"], boxes: [] }],
    loose: ["note_b"],
    nodes: [
      { id: "note_b", kind: "note", lines: ["no services"] },
      { id: "svc_a", kind: "service", lines: ['say "hi"', "a\\b <c> #d"] },
    ],
    edges: [{ from: "svc_a", to: "note_b", label: '"x" | y', style: "dashed" }],
  };

  it("dot: quotes and backslashes escaped, lines joined by \\n", () => {
    expect(toDot(picture)).toBe(
      [
        'digraph "a \\"quoted\\" title" {',
        '  graph [label="a \\"quoted\\" title\\nback\\\\slash", labelloc=t, rankdir=LR, fontname="Helvetica,Arial,sans-serif", fontsize=12];',
        '  node [fontname="Helvetica,Arial,sans-serif", fontsize=10];',
        '  edge [fontname="Helvetica,Arial,sans-serif", fontsize=9];',
        '  subgraph "cluster_net_a" {',
        '    graph [label="net <a> #1", style=rounded, color="#5b7db1"];',
        '    "svc_a" [label="say \\"hi\\"\\na\\\\b <c> #d", shape=box, style="rounded,filled", fillcolor="#e8eef9"];',
        "  }",
        '  "note_b" [label="no services", shape=plaintext];',
        '  "svc_a" -> "note_b" [label="\\"x\\" | y", style=dashed];',
        "}",
        "",
      ].join("\n"),
    );
  });

  it("Mermaid: quotes, angle brackets and # as entity codes, lines joined by <br/>", () => {
    expect(toMermaid(picture)).toBe(
      [
        "---",
        'title: "a \\"quoted\\" title · back\\\\slash"',
        "---",
        "flowchart LR",
        '  subgraph net_a ["net #60;a#62; #35;1"]',
        '    svc_a("say #34;hi#34;<br/>a\\b #60;c#62; #35;d")',
        "  end",
        '  note_b["no services"]',
        '  svc_a -.->|"#34;x#34; | y"| note_b',
        "",
      ].join("\n"),
    );
  });
});

describe("svg", () => {
  const picture = diagramOf({ stack: "dev", dir: ROOT }).picture;

  it("is Graphviz's rendering of the dot source, with every service's name as text", () => {
    const svg = render(picture, "svg");
    expect(svg.startsWith("<?xml")).toBe(true);
    for (const name of ["vote", "result", "worker", "redis", "db"]) expect(svg).toContain(`>${name}</text>`);
    expect(svg).toContain(">network backend · 10.123.2.0/24</text>");
  });

  it("is refused in one line when dot is missing", () => {
    expect(() => toSvg(toDot(picture), "/nonexistent/dot")).toThrow(new UsageError(NO_DOT));
  });
});
