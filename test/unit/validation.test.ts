/**
 * Bad input stops the program before anything is created, with a message that names the key or
 * field, the value given and what is allowed.
 */
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import { Container, ContainerArgs, Network, NetworkArgs } from "../../components/docker";
import { loadConfig } from "../../stacks/config";
import { deployDocker } from "../../stacks/docker";
import { AppModel, findCycle, ModelError, validateApp } from "../../stacks/model";
import { votingApp, VotingAppOptions } from "../../stacks/votingApp";
import { BASE_CONFIG, byType, recorded, settle, setupMocks } from "./mocks";
import { programError, runProgram } from "./program";

const PUBLIC_RANGE =
  'Network "frontend": subnet 182.18.0.0/16 is a public range, not one of 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16; did you mean 172.18.0.0/16? Set allowPublicSubnets to use it anyway.';

const badConfig: Array<[string, Record<string, string | object>, string, string?]> = [
  ["unknown target", { target: "swarm" }, 'dockyard:target must be docker or kubernetes, got "swarm"'],
  ["port out of range", { votePort: "70000" }, "dockyard:votePort must be a port number 1-65535, got 70000"],
  ["port not a number", { resultPort: "http" }, 'dockyard:resultPort must be a port number 1-65535, got "http"'],
  ["negative replicas", { voteReplicas: "-1" }, "dockyard:voteReplicas must be a whole number of 0 or more, got -1"],
  ["fractional replicas", { workerReplicas: "1.5" }, "dockyard:workerReplicas must be a whole number of 0 or more, got 1.5"],
  [
    "docker host without scheme",
    { dockerHost: "10.10.10.1:2375" },
    'dockyard:dockerHost must be a Docker host URL: unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host (as DOCKER_HOST), got "10.10.10.1:2375"',
  ],
  [
    "bind address not an IP",
    { bindAddress: "localhost" },
    'dockyard:bindAddress must be an IPv4 address such as 127.0.0.1 or 0.0.0.0, got "localhost"',
  ],
  ["the seed's public subnet", { frontendSubnet: "182.18.0.0/16" }, PUBLIC_RANGE],
  [
    "subnet not a CIDR",
    { backendSubnet: "10.123.2.0/33" },
    'dockyard:backendSubnet must be an IPv4 CIDR like 172.18.0.0/16, got "10.123.2.0/33"',
  ],
  [
    "subnet with host bits",
    { frontendSubnet: "10.123.1.5/24" },
    'app "voting": network "frontend": subnet 10.123.1.5/24 has host bits set; did you mean 10.123.1.0/24?',
  ],
  [
    "overlapping subnets",
    { backendSubnet: "10.123.0.0/16" },
    'app "voting": network "frontend": subnet 10.123.1.0/24 overlaps network "backend" (10.123.0.0/16); give each network its own range',
  ],
  [
    "zero cpus",
    { limits: ["vote:cpus=0"] },
    "dockyard:limits[0] (vote): cpus must be a number of CPUs greater than 0, like 0.5 or 2, got 0",
  ],
  [
    "cpus not a number",
    { limits: ["vote:cpus=half"] },
    'dockyard:limits[0] (vote): cpus must be a number of CPUs greater than 0, like 0.5 or 2, got "half"',
  ],
  [
    "memory under Docker's minimum",
    { limits: ["worker:memory=5m"] },
    'dockyard:limits[0] (worker): memory must be at least 6m (Docker\'s minimum), got "5m"',
  ],
  [
    "memory not whole MiB for Docker",
    { limits: ["vote:memory=6.5m"] },
    'Container "vote-1": memory must be a whole number of MiB for Docker, got 6815744 bytes (6.500 MiB)',
  ],
  [
    "limits for an unknown service",
    { limits: ["web:cpus=1"] },
    'dockyard:limits[0]: service must be one of vote, result, worker, redis, db, got "web"',
  ],
  ["limits entry without fields", { limits: ["vote"] }, 'dockyard:limits[0]: must look like "vote:cpus=...", got "vote"'],
  ["limits with an unknown field", { limits: ["vote:gpus=1"] }, 'dockyard:limits[0]: "gpus=1" is not one of cpus=..., memory=...'],
  [
    "limits not a list",
    { limits: "vote:cpus=1" },
    'dockyard:limits must be a list of "service:cpus=N,memory=SIZE" strings, got "vote:cpus=1"',
  ],
  [
    "autoscaling min above max",
    { target: "kubernetes", autoscaling: ["vote:min=5,max=2,cpu=70"] },
    'app "voting": service "vote": autoscaling needs whole numbers 1 <= min <= max, got min 5, max 2',
  ],
  [
    "autoscaling incomplete",
    { target: "kubernetes", autoscaling: ["vote:min=2"] },
    'dockyard:autoscaling[0] (vote): needs min, max and cpu, like "vote:min=3,max=10,cpu=70"',
  ],
  [
    "autoscaling a database",
    { autoscaling: ["db:min=1,max=2,cpu=50"] },
    'dockyard:autoscaling[0]: service must be one of vote, result, worker, got "db"',
  ],
  [
    "no password",
    { postgresPassword: "" },
    "dockyard:postgresPassword is required: pulumi config set --secret postgresPassword <password>",
  ],
  ["short password", { postgresPassword: "abc" }, "dockyard:postgresPassword must be at least 8 characters, got [secret] of 3"],
  [
    "latest outside dev",
    { imageTag: "latest" },
    'dockyard:imageTag "latest" is allowed only in the dev stack (stack is "staging"): pin a version tag so a deploy is repeatable',
    "staging",
  ],
  [
    "tag with a space",
    { imageTag: "v1 beta" },
    'dockyard:imageTag must be a Docker tag: letters, digits, _ . - (up to 128), got "v1 beta"',
  ],
  [
    "two services on one host port",
    { votePort: "5000", resultPort: "5000" },
    'app "voting": host port 5000 is used by both service "result" and service "vote"',
  ],
  [
    "replicas running into another port",
    { voteReplicas: "3", votePort: "5000", resultPort: "5001" },
    'app "voting" on Docker: host port 5001 is used by both service "result" and service "vote" (its 3 replicas use 5000-5002, one port each)',
  ],
  [
    "registry user without registry",
    { registryUsername: "ci" },
    'dockyard:registryUsername is set ("ci") but dockyard:registry is empty: set the registry to push to',
  ],
  ...(["http://127.0.0.1:5000", "127.0.0.1:70000", "registry.example.com/Team", "registry.example.com/", "127.0.0.1:5000 "].map(
    (registry): [string, Record<string, string>, string] => [
      `registry ${JSON.stringify(registry)}`,
      { registry },
      `dockyard:registry must be a registry host[:port][/path] without a scheme, like 127.0.0.1:5000 or registry.example.com/team (port 1-65535, path in lowercase), or empty, got ${JSON.stringify(registry)}`,
    ],
  ) satisfies Array<[string, Record<string, string>, string]>),
  [
    "registry user without a password",
    { registry: "127.0.0.1:5000", registryUsername: "ci" },
    'dockyard:registryUsername is set ("ci") but dockyard:registryPassword is empty: pulumi config set --secret registryPassword <password>, or unset registryUsername to push without a login',
  ],
  [
    "registry password without a user",
    { registry: "127.0.0.1:5000", registryPassword: "token-789" },
    "dockyard:registryPassword is set ([secret]) but dockyard:registryUsername is empty: set the user to log in as, or unset registryPassword to push without a login",
  ],
  ["unknown service type", { serviceType: "Ingress" }, 'dockyard:serviceType must be ClusterIP, NodePort or LoadBalancer, got "Ingress"'],
  [
    "image reference with spaces",
    { pythonImage: "my python" },
    'dockyard:pythonImage must be an image reference like python:3.12-slim or mirror.example:5000/python:3.12-slim (the repository in lowercase), got "my python"',
  ],
  ["boolean as a word", { retainData: "yes" }, 'dockyard:retainData must be true or false, got "yes"'],
  [
    "namespace not a DNS label",
    { namespace: "Prod_1" },
    'dockyard:namespace must be an RFC 1123 label: lowercase letters, digits and -, starting and ending with a letter or digit, at most 63 characters, or empty for the stack name, got "Prod_1"',
  ],
  ["unknown builder", { imageBuilder: "buildx" }, 'dockyard:imageBuilder must be BuilderV1 or BuilderBuildKit, got "buildx"'],
];

describe("bad config stops the program before any resource is registered", () => {
  test.each(badConfig)("%s", async (_, config, message, stack = "dev") => {
    const { message: got, registered } = await programError({ ...BASE_CONFIG, ...config }, stack);
    expect(got).toBe(message);
    expect(registered).toBe(0);
  });

  test("a public subnet is accepted when explicitly allowed", async () => {
    await expect(programError({ ...BASE_CONFIG, frontendSubnet: "182.18.0.0/16", allowPublicSubnets: "true" })).rejects.toThrow(
      "the program did not fail",
    );
  });
});

const OPTIONS: VotingAppOptions = {
  pythonImage: "python:3.12-slim",
  nodeImage: "node:22-slim",
  redisImage: "redis:7.4",
  postgresImage: "postgres:15",
  prebuiltImages: {},
  optionA: "Cats",
  optionB: "Dogs",
  votePort: 5000,
  resultPort: 5001,
  replicas: { vote: 1, result: 1, worker: 1 },
  limits: {},
  autoscaling: {},
  frontendSubnet: "10.123.1.0/24",
  backendSubnet: "10.123.2.0/24",
  retainData: false,
  dbStorageSize: "1Gi",
};

type Edit = (app: ReturnType<typeof votingApp>) => void;

const badModels: Array<[string, Edit, string]> = [
  [
    "unknown dependency",
    (app) => (app.services.worker.dependsOn = { queue: "started" }),
    'app "voting": service "worker": depends on unknown service "queue"; services are: db, redis, result, vote, worker',
  ],
  [
    "circular dependency",
    (app) => (app.services.redis.dependsOn = { worker: "started" }),
    'app "voting": circular dependency: redis -> worker -> redis',
  ],
  [
    "a service depending on itself",
    (app) => (app.services.vote.dependsOn = { vote: "started" }),
    'app "voting": service "vote": depends on itself',
  ],
  [
    "unknown network",
    (app) => (app.services.vote.networks = ["frontend", "public"]),
    'app "voting": service "vote": unknown network "public"; the app\'s networks are: backend, frontend',
  ],
  [
    "unknown volume",
    (app) => (app.services.db.volumes = [{ volume: "pgdata", mountPath: "/var/lib/postgresql/data" }]),
    'app "voting": service "db": unknown volume "pgdata"; the app\'s volumes are: db-data, redis-data',
  ],
  [
    "two writers of one database",
    (app) => (app.services.db.replicas = 2),
    'app "voting": service "db": replicas must be 0 or 1 for a single-writer service (its data allows one writer), got 2',
  ],
  [
    "waiting for health that is never checked",
    (app) => (app.services.redis.health = undefined),
    'app "voting": service "vote": waits for "redis" to be healthy, but "redis" has no health check',
  ],
  [
    "unknown secret",
    (app) => (app.services.worker.secretEnv = { DB_PASSWORD: "db-pass" }),
    'app "voting": service "worker": env DB_PASSWORD refers to unknown secret "db-pass"',
  ],
  [
    "relative bind mount",
    (app) => (app.services.vote.volumes = [{ hostPath: "opt/data", mountPath: "/data" }]),
    'app "voting": service "vote": hostPath must be absolute (a path on the Docker host), got "opt/data"',
  ],
  [
    "mount with both sources",
    (app) => (app.services.vote.volumes = [{ volume: "db-data", hostPath: "/opt", mountPath: "/data" }]),
    'app "voting": service "vote": mount at /data needs exactly one of volume and hostPath',
  ],
  [
    "autoscaling a single writer",
    (app) => (app.services.redis.autoscaling = { minReplicas: 1, maxReplicas: 2, targetCpuPercent: 50 }),
    'app "voting": service "redis": a single-writer service cannot autoscale',
  ],
  ["no network", (app) => (app.services.worker.networks = []), 'app "voting": service "worker": must join at least one network'],
  [
    "memory as a number of bytes too small",
    (app) => (app.services.redis.resources.memory = "1024"),
    'app "voting": service "redis": memory must be at least 6m (Docker\'s minimum), got "1024"',
  ],
  [
    "service name that is not a DNS label",
    (app) => (app.services["Vote_2"] = app.services.vote),
    'app "voting": service name must be lowercase letters, digits and dashes (a DNS label), got "Vote_2"',
  ],
];

describe("the app model refuses what cannot be deployed", () => {
  test.each(badModels)("%s", (_, edit, message) => {
    const app = structuredClone(votingApp(OPTIONS));
    edit(app);
    expect(() => validateApp(app)).toThrow(new ModelError(message));
  });

  test("the voting app as shipped is valid and has no cycle", () => {
    expect(findCycle(votingApp(OPTIONS))).toBeUndefined();
    expect(Object.keys(votingApp(OPTIONS).services).sort()).toEqual(["db", "redis", "result", "vote", "worker"]);
  });
});

/**
 * The bad inputs of the December 2026 review (../shared/reviews/inputs-2026-12.md), each refused
 * before any resource is registered, in the terms the user wrote them.
 */
const CLUSTER = { target: "kubernetes", registry: "localhost:5000" };
const SPECIAL_RANGE = (subnet: string, range: string, what: string) =>
  `Network "frontend": subnet ${subnet} overlaps ${range} (${what}), which no container network can use, even with allowPublicSubnets; use a private range within 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16`;
const DUPLICATE_CPUS = "dockyard:limits[1] (vote): cpus is given twice, in limits[0] (cpus=1) and limits[1] (cpus=2); give each field once";
const NOT_ON_DOCKER =
  "dockyard:autoscaling[0] (vote): autoscaling cannot be honoured on target docker (a Docker engine has no autoscaler, so the entry would be ignored); set voteReplicas to the number of copies to run, or use target kubernetes";
const SYSTEM_NAMESPACE = (namespace: string) =>
  `dockyard:namespace "${namespace}" is one the cluster creates itself (default, kube-node-lease, kube-public, kube-system): the stack would create and own it, and delete it on destroy; use a namespace of the app's own, like the stack name`;

const reviewedConfig: Array<[string, Record<string, string | object>, string, string?]> = [
  [
    "bind address out of range",
    { bindAddress: "300.1.1.1" },
    'dockyard:bindAddress must be an IPv4 address such as 127.0.0.1 or 0.0.0.0, got "300.1.1.1"',
  ],
  [
    "backend /29 with 3 vote replicas",
    { backendSubnet: "10.123.2.0/29", voteReplicas: "3", resultPort: "5003" },
    'app "voting" on Docker: network "backend": subnet 10.123.2.0/29 has room for 5 containers (its 8 addresses less the network, broadcast and gateway addresses), but 7 are attached (db 1, redis 1, result 1, vote 3, worker 1); use a wider subnet, such as a /28 (room for 13), or fewer replicas',
  ],
  [
    "backend /29 with 5 worker replicas",
    { backendSubnet: "10.123.2.0/29", workerReplicas: "5" },
    'app "voting" on Docker: network "backend": subnet 10.123.2.0/29 has room for 5 containers (its 8 addresses less the network, broadcast and gateway addresses), but 9 are attached (db 1, redis 1, result 1, vote 1, worker 5); use a wider subnet, such as a /28 (room for 13), or fewer replicas',
  ],
  [
    "loopback subnet, public allowed",
    { frontendSubnet: "127.0.0.0/24", allowPublicSubnets: "true" },
    SPECIAL_RANGE("127.0.0.0/24", "127.0.0.0/8", "loopback"),
  ],
  [
    "multicast subnet, public allowed",
    { frontendSubnet: "224.0.0.0/24", allowPublicSubnets: "true" },
    SPECIAL_RANGE("224.0.0.0/24", "224.0.0.0/4", "multicast"),
  ],
  [
    "cpus in hex",
    { limits: ["vote:cpus=0x10"] },
    'dockyard:limits[0] (vote): cpus must be a number of CPUs greater than 0, like 0.5 or 2, got "0x10"',
  ],
  ["cpus given twice in two entries", { limits: ["vote:cpus=1", "vote:cpus=2"] }, DUPLICATE_CPUS],
  [
    "cpus given twice in one entry",
    { limits: ["vote:cpus=1,cpus=2"] },
    "dockyard:limits[0] (vote): cpus is given twice, in limits[0] (cpus=1, cpus=2); give each field once",
  ],
  [
    "autoscaling given twice for a service",
    { ...CLUSTER, autoscaling: ["vote:min=1,max=3,cpu=70", "vote:min=5,max=9,cpu=50"] },
    "dockyard:autoscaling[1] (vote): min is given twice, in autoscaling[0] (min=1) and autoscaling[1] (min=5); give each field once",
    "staging",
  ],
  ["autoscaling on target docker", { autoscaling: ["vote:min=1,max=3,cpu=70"] }, NOT_ON_DOCKER],
  [
    "two identical options",
    { optionA: "Cats", optionB: "Cats" },
    'dockyard:optionB "Cats" is the same as optionA "Cats": the poll needs two different choices (compared ignoring case and surrounding spaces)',
  ],
  [
    "two options differing in case and spaces only",
    { optionA: "Cats", optionB: " cats" },
    'dockyard:optionB " cats" is the same as optionA "Cats": the poll needs two different choices (compared ignoring case and surrounding spaces)',
  ],
  [
    "a password of 8 spaces",
    { postgresPassword: "        " },
    "dockyard:postgresPassword must contain characters other than whitespace, got [secret] of 8 whitespace characters",
  ],
  ["namespace default", { ...CLUSTER, namespace: "default" }, SYSTEM_NAMESPACE("default"), "staging"],
  ["namespace kube-system", { ...CLUSTER, namespace: "kube-system" }, SYSTEM_NAMESPACE("kube-system"), "staging"],
  [
    "an upper-case repository",
    { pythonImage: "MyPython:3.12" },
    'dockyard:pythonImage must be an image reference like python:3.12-slim or mirror.example:5000/python:3.12-slim (the repository in lowercase), got "MyPython:3.12"',
  ],
  [
    "registry password without a user",
    { registry: "localhost:5000", registryPassword: "token-789" },
    "dockyard:registryPassword is set ([secret]) but dockyard:registryUsername is empty: set the user to log in as, or unset registryPassword to push without a login",
  ],
  [
    "docker host with a space",
    { dockerHost: "tcp://not a host" },
    'dockyard:dockerHost must be a Docker host URL: unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host (as DOCKER_HOST), got "tcp://not a host"',
  ],
  ...(["tcp://", "unix://var/run/docker.sock"].map((dockerHost): [string, Record<string, string>, string] => [
    `docker host ${dockerHost} (no host, or a host where a path belongs)`,
    { dockerHost },
    `dockyard:dockerHost must be a Docker host URL: unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host (as DOCKER_HOST), got ${JSON.stringify(dockerHost)}`,
  ]) satisfies Array<[string, Record<string, string>, string]>),
  // The messages that misled: the text as typed, two sentences, storage is not memory, one namespace rule.
  [
    "autoscaling cpu not a number",
    { ...CLUSTER, autoscaling: ["vote:min=1,max=3,cpu=abc"] },
    'dockyard:autoscaling[0] (vote): cpu must be a whole percent 1-100, got "abc"',
    "staging",
  ],
  [
    "autoscaling min not whole",
    { ...CLUSTER, autoscaling: ["vote:min=1.5,max=3,cpu=70"] },
    'dockyard:autoscaling[0] (vote): min must be a whole number of 1 or more, got "1.5"',
    "staging",
  ],
  [
    "cpus infinite",
    { limits: ["vote:cpus=Infinity"] },
    'dockyard:limits[0] (vote): cpus must be a number of CPUs greater than 0, like 0.5 or 2, got "Infinity"',
  ],
  [
    "a public subnet with no private look-alike",
    { frontendSubnet: "8.8.8.0/24" },
    'Network "frontend": subnet 8.8.8.0/24 is a public range, not one of 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16. Set allowPublicSubnets to use it anyway.',
  ],
  [
    "storage size that is no size",
    { dbStorageSize: "5 apples" },
    'dockyard:dbStorageSize must be a storage size like "1Gi", "512Mi" or "10g" (units b, k, m, g, t; binary), got "5 apples"',
  ],
  ["storage size of zero", { dbStorageSize: "0" }, 'dockyard:dbStorageSize must be more than 0, got "0"'],
  [
    "an empty namespace and a stack name that is no namespace",
    { ...CLUSTER },
    'dockyard:namespace is empty, so the stack name "qa_1" would be the namespace, but a namespace must be an RFC 1123 label: lowercase letters, digits and -, starting and ending with a letter or digit, at most 63 characters: set dockyard:namespace',
    "qa_1",
  ],
];

describe("the reviewed inputs stop the program before any resource is registered", () => {
  test.each(reviewedConfig)("%s", async (_, config, message, stack = "dev") => {
    const { message: got, registered } = await programError({ ...BASE_CONFIG, ...config }, stack);
    expect(got).toBe(message);
    expect(registered).toBe(0);
  });
});

describe("reviewed inputs that are valid", () => {
  const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
  const NAMESPACE = "kubernetes:core/v1:Namespace";

  test("dbStorageSize 5m is a 5 MiB claim: storage has no memory minimum", async () => {
    await runProgram({ ...BASE_CONFIG, ...CLUSTER, dbStorageSize: "5m" }, "staging");
    const claims = Object.fromEntries(
      byType(PVC).map((claim) => [claim.inputs.metadata.name, claim.inputs.spec.resources.requests.storage]),
    );
    expect(claims["db-data"]).toBe("5Mi");
  });

  test("namespace 1prod is an RFC 1123 label", async () => {
    await runProgram({ ...BASE_CONFIG, ...CLUSTER, namespace: "1prod" }, "prod");
    expect(byType(NAMESPACE).map((namespace) => namespace.inputs.metadata.name)).toEqual(["1prod"]);
  });

  test("subnet capacity counts exactly: a /29 cannot hold 7 containers, a /28 can", async () => {
    const sevenContainers = { ...BASE_CONFIG, voteReplicas: "3", votePort: "5000", resultPort: "5003" };
    expect((await programError({ ...sevenContainers, backendSubnet: "10.123.2.0/29" })).message).toContain("has room for 5 containers");
    await runProgram({ ...sevenContainers, backendSubnet: "10.123.2.0/28" });
    expect(byType("docker:index/container:Container")).toHaveLength(7);
  });
});

describe("cpus above this machine's CPUs on a local Docker engine", () => {
  const raw = (values: Record<string, string>) => (key: string) => ({ ...BASE_CONFIG, ...values })[key];
  let warnings: Array<{ message: string; registeredBefore: number }>;
  beforeEach(() => {
    warnings = [];
    jest.spyOn(pulumi.log, "warn").mockImplementation(async (message: string) => {
      warnings.push({ message, registeredBefore: recorded.length });
    });
  });
  afterEach(() => jest.restoreAllMocks());

  test("warns, before anything is registered, that Docker will refuse it if the engine runs here; a remote engine's count is unknown, so no warning (the README says so)", async () => {
    const cpus = os.availableParallelism() + 1;
    const limits = JSON.stringify([`vote:cpus=${cpus}`]);
    for (const dockerHost of ["unix:///var/run/docker.sock", "tcp://10.10.10.1:2376"]) {
      await setupMocks({});
      const config = loadConfig(raw({ dockerHost, limits }), "dev");
      deployDocker(votingApp(config), config);
      await settle();
    }
    expect(warnings).toEqual([
      {
        message: `app "voting" on Docker: service "vote": cpus ${cpus} is more than the ${os.availableParallelism()} CPUs of this machine; if the engine at unix:///var/run/docker.sock runs here, Docker will refuse to create the container (its cpus range is 0.01 to its CPU count): lower it with dockyard:limits`,
        registeredBefore: 0,
      },
    ]);
  });
});

type ModelEdit = (app: AppModel) => void;

/** The model, edited as a user would edit stacks/votingApp.ts, deployed on Docker. */
const reviewedModels: Array<[string, ModelEdit, string]> = [
  [
    "vote on one network twice",
    (app) => (app.services.vote.networks = ["frontend", "frontend"]),
    'app "voting": service "vote": networks lists "frontend" twice; list each network once',
  ],
  [
    "an env name starting with a digit (refused on both targets)",
    (app) => (app.services.vote.env = { ...app.services.vote.env, "1BAD": "x" }),
    'app "voting": service "vote": env name must be letters, digits, _ - . not starting with a digit, got "1BAD"',
  ],
  [
    "db also mounts redis-data",
    (app) => (app.services.db.volumes = [...(app.services.db.volumes ?? []), { volume: "redis-data", mountPath: "/redis" }]),
    'app "voting": volume "redis-data" is mounted by db and redis: a volume holds one service\'s data (two services would write one data directory, and on Kubernetes its ReadWriteOnce claim attaches to one node); give each service its own volume',
  ],
  [
    "a health check on a port the service does not have",
    (app) => (app.services.vote.health = { command: ["healthcheck"], http: { path: "/healthz", port: 8081 } }),
    'app "voting": service "vote": health.http.port 8081 is not one of its container ports (8080); probe the port the service listens on, or declare that port in ports',
  ],
  [
    "a health check on a service without ports",
    (app) => (app.services.worker.ports = undefined),
    'app "voting": service "worker": health.http.port 8082 is not one of its container ports (it declares none); probe the port the service listens on, or declare that port in ports',
  ],
  [
    "a published health-only port",
    (app) => (app.services.worker.ports = [{ name: "health", containerPort: 8082, healthOnly: true, hostPort: 5002 }]),
    'app "voting": service "worker": port "health" is healthOnly, so it cannot be published (hostPort 5002)',
  ],
  [
    "autoscaling in the model, on Docker",
    (app) => (app.services.vote.autoscaling = { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 70 }),
    'app "voting" on Docker: service "vote": autoscaling cannot be honoured on target docker (a Docker engine has no autoscaler); set replicas to the number of copies to run, or use target kubernetes',
  ],
  [
    "an ipRange too small for the containers attached",
    (app) => (app.networks.backend.ipRange = "10.123.2.0/30"),
    'app "voting" on Docker: network "backend": ipRange 10.123.2.0/30 has room for 2 containers (its 4 addresses less the network, broadcast and gateway addresses), but 5 are attached (db 1, redis 1, result 1, vote 1, worker 1); use a wider ipRange, such as a /29 (room for 5), or fewer replicas',
  ],
];

describe("the Docker back end refuses model input before any resource is registered", () => {
  test.each(reviewedModels)("%s", async (_, edit, message) => {
    await setupMocks({});
    const config = loadConfig((key) => ({ ...BASE_CONFIG })[key], "dev");
    const app = structuredClone(votingApp(config));
    edit(app);
    let thrown = "";
    try {
      deployDocker(app, config);
    } catch (error) {
      thrown = (error as Error).message;
    }
    await settle();
    expect(thrown).toBe(message);
    expect(recorded).toEqual([]);
  });
});

const CONTAINER_BASE: ContainerArgs = { name: "app", image: "app:1" };
const NETWORK_BASE: NetworkArgs = { name: "net", subnet: "10.1.0.0/24" };

describe("components refuse their own bad args before registering anything, themselves included", () => {
  test.each([
    [
      "env name starting with a digit (the rule the Kubernetes Deployment uses)",
      { env: { "1BAD": "x" } },
      'Container "app": env name must be letters, digits, _ - . not starting with a digit, got "1BAD"',
    ],
    [
      "secret env name starting with a digit",
      { secretEnv: { "2SECRET": "x" } },
      'Container "app": env name must be letters, digits, _ - . not starting with a digit, got "2SECRET"',
    ],
    [
      "one network joined twice",
      { networks: [{ name: "front" }, { name: "front", aliases: ["app"] }] },
      'Container "app": network "front" is joined twice; Docker attaches a container to a network once',
    ],
    [
      "host IP out of range",
      { ports: [{ containerPort: 80, hostPort: 8080, hostIp: "300.1.1.1" }] },
      'Container "app": hostIp must be an IPv4 address such as 127.0.0.1, got "300.1.1.1"',
    ],
  ] satisfies Array<[string, Partial<ContainerArgs>, string]>)("Container: %s", async (_, args, message) => {
    await setupMocks({});
    expect(() => new Container("app", { ...CONTAINER_BASE, ...args })).toThrow(message);
    await settle();
    expect(recorded).toEqual([]);
  });

  test.each([
    ["127.0.0.0/24", "127.0.0.0/8", "loopback"],
    ["224.0.0.0/24", "224.0.0.0/4", "multicast"],
    ["169.0.0.0/8", "169.254.0.0/16", "link-local"],
    ["0.0.0.0/0", "0.0.0.0/8", "this network"],
    ["250.0.0.0/8", "240.0.0.0/4", "reserved, with the broadcast address"],
  ])("Network: subnet %s overlaps %s (%s), even with allowPublicSubnet", async (subnet, range, what) => {
    await setupMocks({});
    expect(() => new Network("frontend", { ...NETWORK_BASE, subnet, allowPublicSubnet: true })).toThrow(
      `Network "frontend": subnet ${subnet} overlaps ${range} (${what}), which no container network can use, even with allowPublicSubnets; use a private range within 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16`,
    );
    await settle();
    expect(recorded).toEqual([]);
  });
});
