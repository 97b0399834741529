/**
 * planSwarm as plain data (the stack config through applyConfig and resolveApp, planned, nothing
 * constructed), then deploySwarm under Pulumi mocks: the provider inputs it registers.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { createHash } from "crypto";
import { revisionCounter, swarmDuration } from "../../components/swarm";
import { readCompose } from "../../stacks/compose/app";
import { InputError, inModel } from "../../stacks/errors";
import { AppModel } from "../../stacks/model";
import { applyConfig } from "../../stacks/overrides";
import { resolveApp } from "../../stacks/resolve";
import { warnOtherTargetKeys } from "../../stacks/targets/common";
import { planSwarm, SwarmPlan } from "../../stacks/targets/swarm";
import { votingApp } from "../../stacks/votingApp";
import { byType, find, secretValue, withoutSecrets } from "./mocks";
import { runProgram } from "./program";
import { PASSWORD, stackConfig, stackFile, stageProgramConfig, Values } from "./stage";

const root = path.join(__dirname, "..", "..");
/** The swarm end-to-end stack's config (test/e2e/swarm.yaml), without the dockyard: prefixes. */
const E2E: Values = Object.fromEntries(
  Object.entries(parse(fs.readFileSync(path.join(root, "test", "e2e", "swarm.yaml"), "utf8")).config as Values).map(([key, value]) => [
    key.replace(/^dockyard:/, ""),
    value,
  ]),
);

/** The swarm plan of the voting app for raw config values (maps as JSON, as the engine passes them). */
function plan(values: Values, stack = "dev"): SwarmPlan {
  const config = stackConfig({ ...stackFile("dev"), target: "swarm", ...values }, stack);
  const { model, where } = applyConfig(votingApp, config);
  return planSwarm(resolveApp(model, where), config, where);
}

const resolved = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply((value) => resolve(value)));
/** Runs with pulumi.log.warn captured; returns the warnings. */
function warnings(run: () => unknown): string[] {
  const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
  try {
    run();
    return warn.mock.calls.map(([message]) => message);
  } finally {
    warn.mockRestore();
  }
}

const LABELS = { "dockyard.app": "voting", "dockyard.stack": "dev" };
const PUBLISHED_WARNING =
  "target swarm publishes result 5001, vote 5000 on every interface of the node that runs the task (a swarm cannot bind one address): firewall them if the nodes are reachable from outside";

// The published-ports warning of every plan; the tests that look at warnings capture them themselves.
beforeEach(() => jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve()));
afterEach(() => jest.restoreAllMocks());

describe("the voting app's swarm plan (the dev stack's settings, target swarm)", () => {
  let dev: SwarmPlan;
  beforeAll(() => {
    dev = plan({});
  });

  test("the manager from dockerHost; attachable overlay networks with the model's subnets", () => {
    expect(dev.host).toBe("unix:///var/run/docker.sock");
    expect(dev.networks).toEqual([
      [
        "backend",
        {
          name: "voting-dev-backend",
          driver: "overlay",
          attachable: true,
          fingerprintName: true,
          subnet: "10.123.2.0/24",
          internal: false,
          allowPublicSubnet: false,
          labels: LABELS,
        },
      ],
      [
        "frontend",
        {
          name: "voting-dev-frontend",
          driver: "overlay",
          attachable: true,
          fingerprintName: true,
          subnet: "10.123.1.0/24",
          internal: false,
          allowPublicSubnet: false,
          labels: LABELS,
        },
      ],
    ]);
  });

  test("volumes as on Docker; images built and pulled as on Docker", () => {
    expect(dev.volumes).toEqual([
      ["db-data", { name: "voting-dev-db-data", retain: false, labels: LABELS }],
      ["redis-data", { name: "voting-dev-redis-data", retain: false, labels: LABELS }],
    ]);
    expect(dev.builds.map(([name, args]) => [name, args.imageName])).toEqual([
      ["result", "voting-result:dev"],
      ["vote", "voting-vote:dev"],
      ["worker", "voting-worker:dev"],
    ]);
    expect(dev.pulls).toEqual([
      ["db", "postgres:15"],
      ["redis", "redis:7.4"],
    ]);
  });

  test("one swarm secret for the password, named with a fingerprint of the value, holding it as a secret Output", async () => {
    expect(dev.secrets.map(([name, args]) => [name, args.name, args.labels])).toEqual([
      ["db-password", expect.stringMatching(/^voting-dev-db-password-[0-9a-f]{12}$/), LABELS],
    ]);
    const value = dev.secrets[0][1].value as pulumi.Output<string>;
    expect(await pulumi.isSecret(value)).toBe(true);
    expect(await resolved(value)).toBe(PASSWORD);
    expect(dev.secrets[0][1].name).not.toContain(PASSWORD);
  });

  test("the secret's name: the same for the same value and stack, another for a new value or another stack", () => {
    const name = (values: Values, stack = "dev") => plan(values, stack).secrets[0][1].name;
    const first = name({});
    expect(name({})).toBe(first);
    expect(name({ secrets: { "db-password": "another-password" } })).not.toBe(first);
    const staging = name({}, "staging");
    expect(staging).toMatch(/^voting-staging-db-password-[0-9a-f]{12}$/);
    expect(staging.slice(-12)).not.toBe(first.slice(-12));
  });

  test("services in start order; none waits, the apps' dependencies being started", () => {
    expect(dev.services.map((service) => [service.name, service.args.name, service.after])).toEqual([
      ["db", "voting-dev-db", []],
      ["redis", "voting-dev-redis", []],
      ["result", "voting-dev-result", []],
      ["vote", "voting-dev-vote", []],
      ["worker", "voting-dev-worker", []],
    ]);
  });

  test("db: every argument (a single writer: pinned to the manager, one task per node, stop-first, its volume, the password file)", () => {
    expect(dev.services.find((service) => service.name === "db")?.args).toEqual({
      name: "voting-dev-db",
      image: "postgres:15",
      entrypoint: undefined,
      command: undefined,
      env: {
        PGDATA: "/var/lib/postgresql/data/pgdata",
        POSTGRES_DB: "postgres",
        POSTGRES_PASSWORD_FILE: "/run/secrets/db-password",
        POSTGRES_USER: "postgres",
      },
      secrets: [{ secret: "db-password", fileName: "db-password" }],
      ports: [],
      endpointMode: "dnsrr",
      mounts: [{ volume: "db-data", containerPath: "/var/lib/postgresql/data", readOnly: false }],
      networks: [{ network: "backend", aliases: ["db"] }],
      user: undefined,
      health: {
        command: ["pg_isready", "-U", "postgres", "-d", "postgres"],
        intervalSeconds: 5,
        timeoutSeconds: 5,
        retries: 5,
        startPeriodSeconds: 10,
      },
      cpus: 1,
      memory: "512m",
      reserveCpus: 0.25,
      reserveMemory: "512m",
      replicas: 1,
      constraints: ["node.role == manager"],
      maxReplicasPerNode: 1,
      updateOrder: "stop-first",
      monitorSeconds: 5,
      convergeTimeoutSeconds: 600,
      labels: { ...LABELS, "dockyard.service": "db" },
    });
  });

  test("worker: every argument (no host port, no volume: start-first, anywhere, the built image's tag)", () => {
    expect(dev.services.find((service) => service.name === "worker")?.args).toEqual({
      name: "voting-dev-worker",
      image: "voting-worker:dev",
      entrypoint: undefined,
      command: undefined,
      env: {
        DB_HOST: "db",
        DB_NAME: "postgres",
        DB_PASSWORD_FILE: "/run/secrets/db-password",
        DB_PORT: "5432",
        DB_USER: "postgres",
        PORT: "8082",
        REDIS_HOST: "redis",
        REDIS_PORT: "6379",
      },
      secrets: [{ secret: "db-password", fileName: "db-password" }],
      ports: [],
      endpointMode: "dnsrr",
      mounts: [],
      networks: [{ network: "backend", aliases: ["worker"] }],
      user: undefined,
      health: { command: ["healthcheck"], intervalSeconds: 10, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 10 },
      cpus: 0.5,
      memory: "128m",
      reserveCpus: 0.125,
      reserveMemory: "128m",
      replicas: 1,
      constraints: [],
      maxReplicasPerNode: 0,
      updateOrder: "start-first",
      monitorSeconds: 5,
      convergeTimeoutSeconds: 600,
      labels: { ...LABELS, "dockyard.service": "worker" },
    });
  });

  test("published ports: host mode on vote and result, one task per node, stop-first; URLs on loopback", () => {
    const summary = Object.fromEntries(
      dev.services.map((s) => [s.name, [s.args.ports, s.args.maxReplicasPerNode, s.args.updateOrder, s.args.constraints]]),
    );
    expect(summary).toEqual({
      db: [[], 1, "stop-first", ["node.role == manager"]],
      redis: [[], 1, "stop-first", ["node.role == manager"]],
      result: [[{ containerPort: 8081, publishedPort: 5001, protocol: "tcp" }], 1, "stop-first", []],
      vote: [[{ containerPort: 8080, publishedPort: 5000, protocol: "tcp" }], 1, "stop-first", []],
      worker: [[], 0, "start-first", []],
    });
    expect(dev.urls).toEqual({ result: "http://127.0.0.1:5001", vote: "http://127.0.0.1:5000" });
  });

  test("the password appears nowhere in the plan but in the secret's value", () => {
    expect(JSON.stringify({ ...dev, secrets: dev.secrets.map(([name, args]) => [name, { ...args, value: "" }]) })).not.toContain(PASSWORD);
  });
});

describe("settings the swarm plan follows", () => {
  test("worker replicas 3: three tasks of one service, still start-first; the reservation is a quarter of the limit", () => {
    const worker = plan({ services: { worker: { replicas: 3, limits: { cpus: 1, memory: "256m" } } } }).services.find(
      (service) => service.name === "worker",
    )?.args;
    expect([worker?.replicas, worker?.updateOrder, worker?.cpus, worker?.reserveCpus, worker?.memory, worker?.reserveMemory]).toEqual([
      3,
      "start-first",
      1,
      0.25,
      "256m",
      "256m",
    ]);
  });

  test("swarmEndpointMode vip: ports through the routing mesh, no one-per-node limit, updates start-first", () => {
    const vip = plan({ swarmEndpointMode: "vip", services: { vote: { replicas: 3 } } });
    const vote = vip.services.find((service) => service.name === "vote")?.args;
    expect([vote?.endpointMode, vote?.replicas, vote?.maxReplicasPerNode, vote?.updateOrder]).toEqual(["vip", 3, 0, "start-first"]);
  });

  test("swarmNodes 3: three vote tasks, one per node", () => {
    const vote = plan({ swarmNodes: "3", services: { vote: { replicas: 3 } } }).services.find((service) => service.name === "vote")?.args;
    expect([vote?.replicas, vote?.maxReplicasPerNode]).toEqual([3, 1]);
  });

  test("swarmDataNode pins the single writers to that node; rolloutTimeout is every service's converge timeout", () => {
    const pinned = plan({ swarmDataNode: "data-1", rolloutTimeout: "90" });
    expect(pinned.services.map((service) => [service.name, service.args.constraints, service.args.convergeTimeoutSeconds])).toEqual([
      ["db", ["node.hostname == data-1"], 90],
      ["redis", ["node.hostname == data-1"], 90],
      ["result", [], 90],
      ["vote", [], 90],
      ["worker", [], 90],
    ]);
  });

  test("the e2e stack (test/e2e/swarm.yaml): its ports, subnets, stand-in images and timeout", () => {
    const e2e = plan(E2E, "swarme2e");
    expect(e2e.urls).toEqual({ result: "http://127.0.0.1:18590", vote: "http://127.0.0.1:18580" });
    expect(e2e.networks.map(([name, args]) => [name, args.name, args.subnet])).toEqual([
      ["backend", "voting-swarme2e-backend", "10.241.2.0/24"],
      ["frontend", "voting-swarme2e-frontend", "10.241.1.0/24"],
    ]);
    expect(e2e.pulls).toEqual([
      ["db", "dockyard-local/postgres:15"],
      ["redis", "dockyard-local/redis:7"],
    ]);
    expect(e2e.services.map((service) => [service.args.image, service.args.convergeTimeoutSeconds])).toEqual([
      ["dockyard-local/postgres:15", 180],
      ["dockyard-local/redis:7", 180],
      ["voting-result:swarme2e", 180],
      ["voting-vote:swarme2e", 180],
      ["voting-worker:swarme2e", 180],
    ]);
  });

  test("the voting app as a compose file plans the same services, networks and secrets", () => {
    const config = stackConfig({ ...stackFile("dev"), target: "swarm" }, "dev");
    const { model } = readCompose({ file: "examples/voting-compose.yaml" }, "dev");
    const fromCompose = warnings(() => planSwarm(resolveApp(model), config, inModel("voting")));
    const composed = planSwarm(resolveApp(model), config, inModel("voting"));
    const typed = plan({});
    expect(composed.services).toEqual(typed.services);
    expect(composed.networks).toEqual(typed.networks);
    expect(composed.secrets.map(([name, args]) => [name, args.name])).toEqual(typed.secrets.map(([name, args]) => [name, args.name]));
    expect(fromCompose).toEqual([PUBLISHED_WARNING]);
  });
});

describe("what swarm ignores is warned about while planning", () => {
  test("the published ports' reach, a volume size and keys of the kubernetes target, each named once", () => {
    expect(warnings(() => plan({ volumes: { "db-data": { size: "5Gi" } }, namespace: "voting-dev", storageClass: "fast-ssd" }))).toEqual([
      "dockyard:namespace is ignored on target swarm: it applies to target kubernetes only",
      "dockyard:storageClass is ignored on target swarm: it applies to target kubernetes only",
      "dockyard:volumes.db-data.size is ignored on target swarm: a local Docker volume has no size; it grows on the node's disk",
      PUBLISHED_WARNING,
    ]);
  });

  test("keys of two targets: rolloutTimeout and allowPublicSubnets are read on swarm; swarm's keys are warned about on docker", () => {
    expect(warnings(() => plan({ rolloutTimeout: "120", allowPublicSubnets: "true" }))).toEqual([PUBLISHED_WARNING]);
    const config = stackConfig({ ...stackFile("dev"), swarmEndpointMode: "vip", rolloutTimeout: "120" }, "dev");
    expect(warnings(() => warnOtherTargetKeys(config))).toEqual([
      "dockyard:rolloutTimeout is ignored on target docker: it applies to targets kubernetes and swarm only",
      "dockyard:swarmEndpointMode is ignored on target docker: it applies to target swarm only",
    ]);
  });

  test("nothing published, nothing to warn about", () => {
    expect(warnings(() => plan({ services: { vote: { replicas: 0 }, result: { replicas: 0 } } }))).toEqual([]);
  });
});

describe("what swarm cannot honour is refused while planning", () => {
  test.each<[string, Values, string]>([
    [
      "more tasks with a host-mode port than nodes",
      { services: { vote: { replicas: 3 } } },
      'dockyard:services.vote.replicas cannot be honoured on target swarm (service "vote" publishes port 5000 in host mode, one task per node, and the swarm runs tasks on 1 node (dockyard:swarmNodes); 3 replicas would leave 2 pending for ever); set dockyard:services.vote.replicas to 1 or fewer, add nodes and raise dockyard:swarmNodes, or set dockyard:swarmEndpointMode vip (the routing mesh; it needs IPVS on every node)',
    ],
    [
      "a bind address other than every interface (the default, 127.0.0.1, is not one the stack asked for: it is warned about instead)",
      { bindAddress: "192.168.1.10" },
      "dockyard:bindAddress 192.168.1.10 cannot be honoured on target swarm (a swarm publishes a port on every interface of the node, with no host address to bind); unset dockyard:bindAddress (published ports are then open on every interface of the nodes: firewall them), or use target docker",
    ],
    [
      "autoscaling",
      { services: { vote: { autoscaling: { minReplicas: 3, maxReplicas: 10, targetCpuPercent: 70 } } } },
      "dockyard:services.vote.autoscaling cannot be honoured on target swarm (a swarm has no autoscaler); set dockyard:services.vote.replicas to the number of tasks to run, or use target kubernetes",
    ],
    [
      "more addresses than a subnet has: tasks, a start-first update's extra task, the nodes' load balancers",
      { services: { worker: { replicas: 2 } }, networks: { backend: { subnet: "10.123.2.0/29" } } },
      "dockyard:networks.backend.subnet 10.123.2.0/29 has room for 5 addresses on swarm, but 8 are needed (6 tasks, 1 started ahead by updates, 1 for the nodes' load balancers); use a wider subnet, such as a /28 (room for 13), or fewer replicas",
    ],
  ])("%s", (_case, values, message) => {
    expect(() => plan(values)).toThrow(new InputError(message));
  });

  test("a bind mount: which node's directory would be read is anyone's guess", () => {
    const app: AppModel = {
      name: "shop",
      services: {
        web: {
          image: { kind: "pull", ref: "nginx:1.27" },
          networks: ["private"],
          volumes: [{ hostPath: "/srv/www", mountPath: "/usr/share/nginx/html" }],
          limits: { cpus: 0.5, memory: "64m" },
        },
      },
      networks: { private: { subnet: "10.99.0.0/24" } },
      volumes: {},
      secrets: {},
    };
    expect(() => planSwarm(resolveApp(app), stackConfig({ target: "swarm", secrets: {} }, "dev"), inModel("shop"))).toThrow(
      new InputError(
        'app "shop": services.web.volumes[/usr/share/nginx/html] cannot be honoured on target swarm (a bind mount of /srv/www would read whichever node runs the task); use a named volume of the app, or target docker',
      ),
    );
  });
});

describe("swarm durations are written as the engine reads them back", () => {
  test.each([
    [0, "0s"],
    [5, "5s"],
    [60, "1m"],
    [90, "1m30s"],
    [180, "3m"],
    [600, "10m"],
    [3600, "1h"],
    [3660, "1h1m"],
    [3601, "1h0m1s"],
  ])("%i s -> %s", (seconds, text) => {
    expect(swarmDuration(seconds)).toBe(text);
  });
});

describe("deploySwarm under mocks: the provider inputs", () => {
  beforeAll(async () => {
    await runProgram({ ...stageProgramConfig("dev"), "dockyard:target": "swarm" }, "dev");
  });

  test("what is registered: two overlay networks, two volumes, one secret, three images, two pulled, five services", () => {
    const count = (type: string) => byType(type).map((r) => r.name);
    expect([
      count("docker:index/network:Network"),
      count("docker:index/volume:Volume"),
      count("docker:index/secret:Secret"),
      count("docker:index/image:Image"),
      count("docker:index/remoteImage:RemoteImage"),
      count("docker:index/service:Service"),
      count("docker:index/container:Container"),
    ]).toEqual([
      ["backend", "frontend"],
      ["db-data", "redis-data"],
      ["db-password"],
      ["result", "vote", "worker"],
      ["db-image", "redis-image"],
      ["db", "redis", "result", "vote", "worker"],
      [],
    ]);
  });

  test("an overlay network: attachable, its subnet, named by a fingerprint of its inputs and replaced create-first", () => {
    expect(find("docker:index/network:Network", "backend").options.deleteBeforeReplace).toBe(false);
    expect(find("docker:index/network:Network", "backend").inputs).toEqual({
      name: "voting-dev-backend-5384bcc9",
      driver: "overlay",
      attachable: true,
      internal: false,
      ipamConfigs: [{ subnet: "10.123.2.0/24" }],
      labels: [
        { label: "dockyard.app", value: "voting" },
        { label: "dockyard.stack", value: "dev" },
      ],
    });
  });

  test("the secret: its value base64-encoded and sent as a secret", () => {
    const secret = find("docker:index/secret:Secret", "db-password").inputs;
    expect(secret.name).toMatch(/^voting-dev-db-password-[0-9a-f]{12}$/);
    expect(secretValue(secret.data)).toBe(Buffer.from(PASSWORD).toString("base64"));
    expect(JSON.stringify(withoutSecrets(find("docker:index/service:Service", "db").inputs))).not.toContain(PASSWORD);
  });

  test("db's service: every input", () => {
    const db = find("docker:index/service:Service", "db");
    const secretName = find("docker:index/secret:Secret", "db-password").inputs.name;
    expect(withoutSecrets(db.inputs)).toEqual({
      name: "voting-dev-db",
      labels: [
        { label: "dockyard.app", value: "voting" },
        { label: "dockyard.service", value: "db" },
        { label: "dockyard.stack", value: "dev" },
      ],
      mode: { replicated: { replicas: 1 } },
      taskSpec: {
        containerSpec: {
          image: "postgres:15",
          env: {
            PGDATA: "/var/lib/postgresql/data/pgdata",
            POSTGRES_DB: "postgres",
            POSTGRES_PASSWORD_FILE: "/run/secrets/db-password",
            POSTGRES_USER: "postgres",
          },
          stopGracePeriod: "10s",
          labels: [
            { label: "dockyard.app", value: "voting" },
            { label: "dockyard.service", value: "db" },
            { label: "dockyard.stack", value: "dev" },
          ],
          mounts: [{ type: "volume", source: "voting-dev-db-data", target: "/var/lib/postgresql/data", readOnly: false }],
          secrets: [{ secretId: "db-password-id", secretName, fileName: "db-password", fileUid: "0", fileGid: "0", fileMode: 0o444 }],
          healthcheck: {
            tests: ["CMD", "pg_isready", "-U", "postgres", "-d", "postgres"],
            interval: "5s",
            timeout: "5s",
            startPeriod: "10s",
            retries: 5,
          },
        },
        forceUpdate: 0,
        networksAdvanceds: [{ id: "backend-id", aliases: ["db"] }],
        resources: {
          limits: { nanoCpus: 1_000_000_000, memoryBytes: 536870912 },
          reservation: { nanoCpus: 250_000_000, memoryBytes: 536870912 },
        },
        restartPolicy: { condition: "any", delay: "5s", maxAttempts: 0, window: "0s" },
        placement: { constraints: ["node.role == manager"], maxReplicas: 1 },
      },
      endpointSpec: { mode: "dnsrr", ports: [] },
      updateConfig: { parallelism: 1, delay: "0s", monitor: "5s", maxFailureRatio: "0.0", order: "stop-first", failureAction: "rollback" },
      rollbackConfig: { parallelism: 1, delay: "0s", monitor: "5s", maxFailureRatio: "0.0", order: "stop-first", failureAction: "pause" },
      convergeConfig: { delay: "1s", timeout: "10m" },
    });
  });

  test("vote's service: the built image by its tag, its id as the forceUpdate counter (labels stay the app's); the host-mode port; after its image and networks", () => {
    const vote = find("docker:index/service:Service", "vote");
    expect(vote.inputs.taskSpec.containerSpec.image).toBe("voting-vote:dev");
    expect(vote.inputs.taskSpec.forceUpdate).toBe(revisionCounter("sha256:vote-digest"));
    expect(vote.inputs.taskSpec.forceUpdate).toBe(
      Number.parseInt(createHash("sha256").update("sha256:vote-digest").digest("hex").slice(0, 12), 16),
    );
    expect(vote.inputs.taskSpec.containerSpec.labels).toEqual([
      { label: "dockyard.app", value: "voting" },
      { label: "dockyard.service", value: "vote" },
      { label: "dockyard.stack", value: "dev" },
    ]);
    expect(find("docker:index/service:Service", "worker").inputs.taskSpec.forceUpdate).toBe(revisionCounter("sha256:worker-digest"));
    expect(vote.inputs.endpointSpec).toEqual({
      mode: "dnsrr",
      ports: [{ targetPort: 8080, publishedPort: 5000, protocol: "tcp", publishMode: "host" }],
    });
    const dependsOn = vote.options.dependencies.map((urn: string) => urn.split("::").pop()).sort();
    expect(dependsOn).toEqual(expect.arrayContaining(["backend", "frontend", "vote"]));
  });

  test("the services and the secret are swarm components; the outputs name the networks' subnets and the URLs", () => {
    expect(byType("dockyard:swarm:Service").map((r) => r.name)).toEqual(["db", "redis", "result", "vote", "worker"]);
    expect(byType("dockyard:swarm:Secret").map((r) => r.name)).toEqual(["db-password"]);
  });
});
