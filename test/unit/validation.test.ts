/**
 * Bad input stops the program before anything is created, with a message that names the key or
 * field, the value given and what is allowed.
 */
import { findCycle, ModelError, validateApp } from "../../stacks/model";
import { votingApp, VotingAppOptions } from "../../stacks/votingApp";
import { BASE_CONFIG } from "./mocks";
import { programError } from "./program";

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
  ["zero cpus", { limits: ["vote:cpus=0"] }, "dockyard:limits (vote): cpus must be a number of CPUs greater than 0, like 0.5 or 2, got 0"],
  [
    "cpus not a number",
    { limits: ["vote:cpus=half"] },
    'dockyard:limits (vote): cpus must be a number of CPUs greater than 0, like 0.5 or 2, got "half"',
  ],
  [
    "memory under Docker's minimum",
    { limits: ["worker:memory=5m"] },
    'dockyard:limits (worker): memory must be at least 6m (Docker\'s minimum), got "5m"',
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
    { autoscaling: ["vote:min=5,max=2,cpu=70"] },
    'app "voting": service "vote": autoscaling needs whole numbers 1 <= min <= max, got min 5, max 2',
  ],
  [
    "autoscaling incomplete",
    { autoscaling: ["vote:min=2"] },
    'dockyard:autoscaling (vote): needs min, max and cpu, like "vote:min=3,max=10,cpu=70"',
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
    'dockyard:pythonImage must be an image reference like python:3.12-slim or mirror.example:5000/python:3.12-slim, got "my python"',
  ],
  ["boolean as a word", { retainData: "yes" }, 'dockyard:retainData must be true or false, got "yes"'],
  [
    "namespace not a DNS label",
    { namespace: "Prod_1" },
    'dockyard:namespace must be a DNS label (lowercase letters, digits, -), or empty for the stack name, got "Prod_1"',
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
