/** Every stage file present, and the swarm suite's stack, runs through the whole program under mocks with that file's config. */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { find, recorded, valueOf } from "./mocks";
import { runProgram } from "./program";
import { programConfig, stageProgramConfig, SWARM_E2E } from "./stage";

const root = path.join(__dirname, "..", "..");
const stages = fs
  .readdirSync(root)
  .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
  .filter((stage): stage is string => stage !== undefined)
  .sort();
/** Each stack run here: its name and its config file. */
const stackFiles: Array<[string, string]> = [
  ...stages.map((stage): [string, string] => [stage, `Pulumi.${stage}.yaml`]),
  [SWARM_E2E.stack, SWARM_E2E.file],
];

const SERVICES = ["db", "redis", "result", "vote", "worker"];
const BUILT = ["result", "vote", "worker"];
const NETWORKS = ["backend", "frontend"];
const VOLUMES = ["db-data", "redis-data"];

/** What a Docker stage registers: one container of each service. */
const DOCKER_RESOURCES = {
  "pulumi:providers:docker": ["docker"],
  "dockyard:index:Network": NETWORKS,
  "docker:index/network:Network": NETWORKS,
  "dockyard:index:Volume": VOLUMES,
  "docker:index/volume:Volume": VOLUMES,
  "dockyard:index:Image": BUILT,
  "docker:index/image:Image": BUILT,
  "docker:index/remoteImage:RemoteImage": ["db-image", "redis-image"],
  "dockyard:index:Container": SERVICES.map((service) => `${service}-1`),
  "docker:index/container:Container": SERVICES.map((service) => `${service}-1`),
};
/** The e2e stage's read-only result, worker and db get their password through a secrets volume and its never-started holder container. */
const SECRET_HOLDERS = ["db-1-secrets", "result-1-secrets", "worker-1-secrets"];
const DOCKER_READ_ONLY_RESOURCES = {
  ...DOCKER_RESOURCES,
  "docker:index/volume:Volume": [...VOLUMES, ...SECRET_HOLDERS].sort(),
  "docker:index/container:Container": [...SERVICES.map((service) => `${service}-1`), ...SECRET_HOLDERS].sort(),
};

/** What every Kubernetes stage registers in its namespace. */
const cluster = (namespace: string) => ({
  "pulumi:providers:kubernetes": ["kubernetes"],
  "kubernetes:core/v1:Namespace": [namespace],
  "dockyard:index:KubernetesSecret": ["voting-db-password"],
  "kubernetes:core/v1:Secret": ["voting-db-password"],
  "dockyard:index:NetworkPolicies": ["voting"],
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": [
    "voting-default-deny",
    "voting-default-deny-egress",
    "voting-dns",
    "voting-network-backend",
    "voting-network-frontend",
    "voting-result-published",
    "voting-vote-published",
  ],
  "dockyard:index:Deployment": SERVICES,
  "kubernetes:apps/v1:Deployment": SERVICES,
  "kubernetes:core/v1:ConfigMap": ["db-env", "result-env", "vote-env", "worker-env"],
  "kubernetes:core/v1:PersistentVolumeClaim": ["db-db-data", "redis-redis-data"],
  "kubernetes:core/v1:Service": ["db", "redis", "result", "vote"],
});

/** The images a cluster stage builds here and pushes to its registry. */
const PUSHED_IMAGES = {
  "pulumi:providers:docker": ["docker"],
  "dockyard:index:Image": BUILT,
  "docker:index/image:Image": BUILT,
};

/** vote's autoscaler, on the stages that set one. */
const AUTOSCALED = {
  "dockyard:index:Autoscaler": ["vote"],
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": ["vote"],
};

/** The PodDisruptionBudgets of the services a stage runs more than one pod of. */
const budgets = (...services: string[]) => ({ "kubernetes:policy/v1:PodDisruptionBudget": services });

/** Each stack's target and every resource it registers, by type, names sorted. */
const EXPECTED: Record<string, { target: string; resources: Record<string, string[]> }> = {
  dev: { target: "docker", resources: DOCKER_READ_ONLY_RESOURCES },
  e2e: { target: "docker", resources: DOCKER_READ_ONLY_RESOURCES },
  k8se2e: { target: "kubernetes", resources: { ...cluster("k8se2e"), ...AUTOSCALED, ...budgets("vote") } },
  prod: {
    target: "kubernetes",
    resources: { ...cluster("prod"), ...PUSHED_IMAGES, ...AUTOSCALED, ...budgets("result", "vote", "worker") },
  },
  staging: { target: "kubernetes", resources: { ...cluster("staging"), ...PUSHED_IMAGES, ...budgets("vote") } },
  [SWARM_E2E.stack]: {
    target: "swarm",
    resources: {
      "pulumi:providers:docker": ["docker"],
      "dockyard:index:Network": NETWORKS,
      "docker:index/network:Network": NETWORKS,
      "dockyard:index:Volume": VOLUMES,
      "docker:index/volume:Volume": VOLUMES,
      "dockyard:index:Image": BUILT,
      "docker:index/image:Image": BUILT,
      "docker:index/remoteImage:RemoteImage": ["db-image", "redis-image"],
      "dockyard:index:SwarmSecret": ["db-password"],
      "docker:index/secret:Secret": ["db-password"],
      "dockyard:index:SwarmService": SERVICES,
      "docker:index/service:Service": SERVICES,
    },
  },
};

/** Every recorded registration: names by type, sorted. */
function resourcesByType(): Record<string, string[]> {
  const names: Record<string, string[]> = {};
  for (const { type, name } of recorded) (names[type] ??= []).push(name);
  return Object.fromEntries(Object.entries(names).map(([type, list]) => [type, list.sort()]));
}

test("the user stages dev, staging and prod are there, with the test stages", () => {
  expect(stages).toEqual(["dev", "e2e", "k8se2e", "prod", "staging"]);
});

test("every stack file sets keys of dockyard only, and no secret in plain text", () => {
  for (const [, file] of stackFiles) {
    const keys = Object.keys(parse(fs.readFileSync(path.join(root, file), "utf8")).config ?? {});
    expect(keys.filter((key) => !key.startsWith("dockyard:"))).toEqual([]);
    expect(keys).not.toContain("dockyard:secrets");
    expect(keys).not.toContain("dockyard:registryPassword");
  }
});

describe.each(stackFiles)("%s (%s)", (stack, file) => {
  test("its target, and exactly the resources of all five services", async () => {
    const program = await runProgram(programConfig(file), stack);
    expect(await valueOf(program.target)).toBe(EXPECTED[stack].target);
    expect(resourcesByType()).toEqual(EXPECTED[stack].resources);
  });
});

test("dev publishes vote and result on 127.0.0.1:5000 and :5001", async () => {
  const program = await runProgram(stageProgramConfig("dev"), "dev");
  expect(await valueOf(program.urls)).toEqual({ result: "http://127.0.0.1:5001", vote: "http://127.0.0.1:5000" });
  expect(find("docker:index/container:Container", "vote-1").inputs.ports[0]).toEqual({
    internal: 8080,
    external: 5000,
    ip: "127.0.0.1",
    protocol: "tcp",
  });
});

test("e2e uses the locally built base images and its own ports and subnets", async () => {
  const program = await runProgram(stageProgramConfig("e2e"), "e2e");
  expect(await valueOf(program.urls)).toEqual({ result: "http://127.0.0.1:18090", vote: "http://127.0.0.1:18080" });
  expect(await valueOf(program.networks)).toEqual({ backend: "10.231.2.0/24", frontend: "10.231.1.0/24" });
  expect(find("docker:index/image:Image", "vote").inputs.build.args).toEqual({ PYTHON_IMAGE: "dockyard-local/python:3.11" });
  expect(find("docker:index/image:Image", "worker").inputs.build.args).toEqual({
    APP: "worker",
    NODE_IMAGE: "dockyard-local/node:22",
    PORT: "8082",
  });
  expect(find("docker:index/remoteImage:RemoteImage", "db-image").inputs.name).toBe("dockyard-local/postgres:15");
  expect(find("docker:index/remoteImage:RemoteImage", "redis-image").inputs.name).toBe("dockyard-local/redis:7");
});
