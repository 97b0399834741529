/**
 * planSwarm as plain data (the stack config through applyConfig and resolveApp, planned, nothing
 * constructed), then deploySwarm under Pulumi mocks: the provider inputs it registers.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { createHash } from "crypto";
import { revisionCounter } from "../../components/swarm";
import { readCompose } from "../../stacks/compose/app";
import { InputError, inModel } from "../../stacks/errors";
import { AppModel } from "../../stacks/model";
import { applyConfig } from "../../stacks/overrides";
import { resolveApp } from "../../stacks/resolve";
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
/** The warnings of a plan (or the list itself). */
function warnings(run: () => { warnings: string[] } | string[]): string[] {
  const made = run();
  return Array.isArray(made) ? made : made.warnings;
}

const LABELS = { "dockyard.app": "voting", "dockyard.stack": "dev" };
/** What a swarm does about no privilege escalation, once the services are named: nothing, and how to get it. */
const ESCALATION_WHY =
  "a swarm service's spec, as the Docker provider writes it, has no such field, so the tasks' processes may still gain privileges through setuid binaries; to deny it there, run the Docker engine of every swarm node with no-new-privileges (dockerd --no-new-privileges, or \"no-new-privileges\": true in /etc/docker/daemon.json and the engine restarted): every container it creates then has it, swarm tasks included";
/** The voting app asks no privilege escalation of every service; a swarm cannot say it: one warning names them all. */
const ESCALATION_WARNING = `app "voting": services.db.security.noNewPrivileges, services.redis.security.noNewPrivileges, services.result.security.noNewPrivileges, services.vote.security.noNewPrivileges and services.worker.security.noNewPrivileges is ignored on target swarm: ${ESCALATION_WHY}`;
const PUBLISHED_WARNING =
  "target swarm publishes result 5001, vote 5000 on every interface of the node that runs the task (a swarm cannot bind one address): firewall them if the nodes are reachable from outside";

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
      user: "999:999",
      security: {
        capAdd: [],
        capDrop: ["ALL"],
        noNewPrivileges: false,
        readOnlyRootFilesystem: true,
        tmpfs: ["/tmp", "/var/run/postgresql"],
      },
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
      user: "1000:1000",
      security: { capAdd: [], capDrop: ["ALL"], noNewPrivileges: false, readOnlyRootFilesystem: true, tmpfs: ["/tmp"] },
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
  test("a stop grace period reaches the service, and its task spec as a swarm duration; left out, Docker's 10 s", async () => {
    expect(
      plan({ services: { worker: { stopGracePeriodSeconds: 90 } } }).services.map((s) => [s.name, s.args.stopGracePeriodSeconds]),
    ).toEqual([
      ["db", undefined],
      ["redis", undefined],
      ["result", undefined],
      ["vote", undefined],
      ["worker", 90],
    ]);
    await runProgram(
      { ...stageProgramConfig("dev"), "dockyard:target": "swarm", "dockyard:services": { worker: { stopGracePeriodSeconds: 90 } } },
      "dev",
    );
    const grace = (name: string) => find("docker:index/service:Service", name).inputs.taskSpec.containerSpec.stopGracePeriod;
    expect([grace("worker"), grace("vote")]).toEqual(["1m30s", "10s"]);
  });

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
    const vote = plan({ swarmNodes: "3", registry: "localhost:5000", services: { vote: { replicas: 3 } } }).services.find(
      (service) => service.name === "vote",
    )?.args;
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
    // The app's own settings, as the compose file has them: without the dev stage's read-only roots.
    const typed = plan({ services: {} });
    expect(composed.services).toEqual(typed.services);
    expect(composed.networks).toEqual(typed.networks);
    expect(composed.secrets.map(([name, args]) => [name, args.name])).toEqual(typed.secrets.map(([name, args]) => [name, args.name]));
    expect(fromCompose).toEqual([ESCALATION_WARNING, PUBLISHED_WARNING]);
  });
});

/** The swarm plan of a compose file (the dev stack's settings, target swarm, plus values). */
function composePlan(file: string, values: Values = {}): SwarmPlan {
  const config = stackConfig({ ...stackFile("dev"), target: "swarm", ...values }, "dev");
  const { model } = readCompose({ file }, "dev");
  return planSwarm(resolveApp(model), config, inModel("voting"));
}

/** The arguments the deploy keys drive, by service. */
const deployArgs = (swarm: SwarmPlan) =>
  Object.fromEntries(
    swarm.services.map(({ name, args }) => [
      name,
      {
        replicas: args.replicas,
        updateOrder: args.updateOrder,
        monitorSeconds: args.monitorSeconds,
        update: args.update,
        rollback: args.rollback,
        restart: args.restart,
        constraints: args.constraints,
        maxReplicasPerNode: args.maxReplicasPerNode,
        reserveCpus: args.reserveCpus,
        reserveMemory: args.reserveMemory,
        endpointMode: args.endpointMode,
      },
    ]),
  );

describe("the stack file form (examples/voting-stack.yaml): compose v3 deploy keys on swarm", () => {
  test("every mapped deploy key, exactly, per service", () => {
    expect(deployArgs(composePlan("examples/voting-stack.yaml"))).toEqual({
      db: {
        replicas: 1,
        updateOrder: "stop-first",
        monitorSeconds: 5,
        update: undefined,
        rollback: undefined,
        restart: { condition: "any", delaySeconds: 5, maxAttempts: 0, windowSeconds: 0 },
        // placement's node.role == manager is the single writer's pin already: listed once.
        constraints: ["node.role == manager"],
        maxReplicasPerNode: 1,
        reserveCpus: 0.25,
        reserveMemory: "256m",
        endpointMode: "dnsrr",
      },
      redis: {
        replicas: 1,
        updateOrder: "stop-first",
        monitorSeconds: 5,
        update: { parallelism: 2, delaySeconds: 10, maxFailureRatio: 0, failureAction: "rollback" },
        rollback: { parallelism: 2, delaySeconds: 10, order: "stop-first", monitorSeconds: 5, maxFailureRatio: 0, failureAction: "pause" },
        restart: { condition: "on-failure", delaySeconds: 5, maxAttempts: 0, windowSeconds: 0 },
        constraints: ["node.role == manager"],
        maxReplicasPerNode: 1,
        reserveCpus: 0.1,
        reserveMemory: "64m",
        endpointMode: "dnsrr",
      },
      result: {
        replicas: 1,
        updateOrder: "stop-first",
        monitorSeconds: 5,
        update: { parallelism: 2, delaySeconds: 10, maxFailureRatio: 0, failureAction: "rollback" },
        rollback: {
          parallelism: 1,
          delaySeconds: 10,
          order: "stop-first",
          monitorSeconds: 5,
          maxFailureRatio: 0,
          failureAction: "continue",
        },
        restart: { condition: "on-failure", delaySeconds: 5, maxAttempts: 0, windowSeconds: 0 },
        constraints: [],
        maxReplicasPerNode: 1,
        reserveCpus: 0.1,
        reserveMemory: "64m",
        endpointMode: "dnsrr",
      },
      vote: {
        replicas: 1,
        updateOrder: "stop-first",
        monitorSeconds: 5,
        update: { parallelism: 2, delaySeconds: 10, maxFailureRatio: 0, failureAction: "rollback" },
        rollback: { parallelism: 2, delaySeconds: 10, order: "stop-first", monitorSeconds: 5, maxFailureRatio: 0, failureAction: "pause" },
        restart: { condition: "on-failure", delaySeconds: 5, maxAttempts: 0, windowSeconds: 0 },
        constraints: [],
        maxReplicasPerNode: 1,
        reserveCpus: 0.1,
        reserveMemory: "64m",
        endpointMode: "dnsrr",
      },
      worker: {
        replicas: 1,
        updateOrder: "start-first",
        monitorSeconds: 10,
        update: { parallelism: 2, delaySeconds: 5, maxFailureRatio: 0, failureAction: "rollback" },
        rollback: { parallelism: 1, delaySeconds: 0, order: "start-first", monitorSeconds: 10, maxFailureRatio: 0, failureAction: "pause" },
        restart: { condition: "on-failure", delaySeconds: 10, maxAttempts: 3, windowSeconds: 120 },
        constraints: ["node.role == manager"],
        maxReplicasPerNode: 0,
        reserveCpus: 0.1,
        reserveMemory: "64m",
        endpointMode: "dnsrr",
      },
    });
  });

  test("everything else is the compose form's plan: images, env, health checks, secrets, networks, ports, limits", () => {
    const stack = composePlan("examples/voting-stack.yaml");
    const compose = composePlan("examples/voting-compose.yaml");
    const rest = (swarm: SwarmPlan) =>
      swarm.services.map(({ name, args, after }) => {
        const {
          replicas,
          updateOrder,
          monitorSeconds,
          update,
          rollback,
          restart,
          constraints,
          maxReplicasPerNode,
          reserveCpus,
          reserveMemory,
          ...others
        } = args;
        void [
          replicas,
          updateOrder,
          monitorSeconds,
          update,
          rollback,
          restart,
          constraints,
          maxReplicasPerNode,
          reserveCpus,
          reserveMemory,
        ];
        return { name, others, after };
      });
    expect(rest(stack)).toEqual(rest(compose));
    expect(stack.networks).toEqual(compose.networks);
    expect(stack.builds).toEqual(compose.builds);
  });

  test("the swarm plan warns of what it did before, nothing more (deploy.labels is the converter's report)", () => {
    expect(warnings(() => composePlan("examples/voting-stack.yaml"))).toEqual([ESCALATION_WARNING, PUBLISHED_WARNING]);
  });

  test("the e2e stack's values with the stack file: planned (one node, host ports, reservations fit)", () => {
    const e2e = composePlan("examples/voting-stack.yaml", E2E);
    expect(e2e.services.map((service) => [service.name, service.args.updateOrder, service.args.reserveCpus])).toEqual([
      ["db", "stop-first", 0.25],
      ["redis", "stop-first", 0.1],
      ["result", "stop-first", 0.1],
      ["vote", "stop-first", 0.1],
      ["worker", "start-first", 0.1],
    ]);
  });
});

describe("deploy settings of the model on swarm", () => {
  /** The voting app's plan with one service's model edited (no stack config for these fields). */
  function edited(edit: (app: AppModel) => void, values: Values = {}): SwarmPlan {
    const config = stackConfig({ ...stackFile("dev"), target: "swarm", ...values }, "dev");
    const { model, where } = applyConfig(votingApp, config);
    edit(model);
    return planSwarm(resolveApp(model, where), config, where);
  }
  const args = (swarm: SwarmPlan, name: string) => swarm.services.find((service) => service.name === name)?.args;

  test("constraints: the single writer's pin first, then the model's, none twice", () => {
    const swarm = edited((app) => {
      app.services.db.placement = { constraints: ["node.labels.disk == ssd", "node.role == manager"] };
      app.services.worker.placement = { constraints: ["node.platform.os == linux"], maxReplicasPerNode: 2 };
    });
    expect([args(swarm, "db")?.constraints, args(swarm, "db")?.maxReplicasPerNode]).toEqual([
      ["node.role == manager", "node.labels.disk == ssd"],
      1,
    ]);
    expect([args(swarm, "worker")?.constraints, args(swarm, "worker")?.maxReplicasPerNode]).toEqual([["node.platform.os == linux"], 2]);
  });

  test("reservations replace the derived ones field by field", () => {
    const swarm = edited((app) => {
      app.services.worker.reservations = { cpus: 0.3 };
      app.services.vote.reservations = { memory: "32m" };
    });
    expect([args(swarm, "worker")?.reserveCpus, args(swarm, "worker")?.reserveMemory]).toEqual([0.3, "128m"]);
    expect([args(swarm, "vote")?.reserveCpus, args(swarm, "vote")?.reserveMemory]).toEqual([0.125, "32m"]);
  });

  test("a stop-first order the model gives is kept where start-first would be the rule", () => {
    const swarm = edited((app) => (app.services.worker.rollout = { order: "stop-first" }));
    expect([args(swarm, "worker")?.updateOrder, args(swarm, "worker")?.rollback?.order]).toEqual(["stop-first", "stop-first"]);
  });

  test("start-first on a host-mode port: planned where a node is free for each task started ahead", () => {
    const swarm = edited((app) => (app.services.vote.rollout = { order: "start-first" }), { swarmNodes: "2", registry: "localhost:5000" });
    expect(args(swarm, "vote")?.updateOrder).toBe("start-first");
  });

  test("a service's own endpoint mode over the stack's: vip for vote alone (routing mesh, start-first, no per-node limit)", () => {
    // First: the warning spy counts every plan of the test.
    expect(warnings(() => edited((app) => (app.services.vote.endpointMode = "vip")))).toEqual([
      ESCALATION_WARNING,
      "target swarm publishes result 5001, vote 5000 on every interface of the node that runs the task (host mode) or every node (ingress) (a swarm cannot bind one address): firewall them if the nodes are reachable from outside",
    ]);
    const swarm = edited((app) => (app.services.vote.endpointMode = "vip"));
    const vote = args(swarm, "vote");
    expect([vote?.endpointMode, vote?.updateOrder, vote?.maxReplicasPerNode]).toEqual(["vip", "start-first", 0]);
    expect(args(swarm, "result")?.endpointMode).toBe("dnsrr");
  });

  test.each<[string, (app: AppModel) => void, Values, string]>([
    [
      "start-first on a host-mode port with no free node",
      (app) => (app.services.vote.rollout = { order: "start-first" }),
      {},
      'app "voting": services.vote.rollout.order cannot be honoured on target swarm (service "vote" binds port 5000 on the node that runs each task, so a task started first needs a node where the port is free, and 1 running + 1 started ahead is more than the 1 node (dockyard:swarmNodes): the update would wait for ever); use "stop-first" (or leave order out: stop-first here), add nodes and raise dockyard:swarmNodes, or set dockyard:swarmEndpointMode vip',
    ],
    [
      "a rollback start-first on a host-mode port, all at once, on two nodes",
      (app) => {
        app.services.vote.replicas = 2;
        app.services.vote.rollout = { rollback: { order: "start-first", parallelism: 0 } };
      },
      { swarmNodes: "2", registry: "localhost:5000" },
      'app "voting": services.vote.rollout.rollback.order cannot be honoured on target swarm (service "vote" binds port 5000 on the node that runs each task, so a task started first needs a node where the port is free, and 2 running + 2 started ahead is more than the 2 nodes (dockyard:swarmNodes): the update would wait for ever); use "stop-first" (or leave order out: stop-first here), add nodes and raise dockyard:swarmNodes, or set dockyard:swarmEndpointMode vip',
    ],
    [
      "more than one task per node on a host-mode port",
      (app) => (app.services.result.placement = { maxReplicasPerNode: 2 }),
      {},
      'app "voting": services.result.placement.maxReplicasPerNode cannot be honoured on target swarm (service "result" binds port 5001 on the node that runs each task, so a node runs at most one of its tasks; 2 would leave the others failing to bind it); leave maxReplicasPerNode out (1 here), or set dockyard:swarmEndpointMode vip',
    ],
    [
      "a failure ratio the engine cannot keep",
      (app) => (app.services.worker.rollout = { maxFailureRatio: 0.25 }),
      {},
      'app "voting": services.worker.rollout.maxFailureRatio 0.25 cannot be honoured on target swarm (a swarm service\'s spec holds a failure ratio to one decimal, so it would be 0.3); use tenths from 0 to 1, such as 0.2 or 0.3',
    ],
    [
      "a rollback's failure ratio the engine cannot keep",
      (app) => (app.services.worker.rollout = { maxFailureRatio: 0.2, rollback: { maxFailureRatio: 0.05 } }),
      {},
      'app "voting": services.worker.rollout.rollback.maxFailureRatio 0.05 cannot be honoured on target swarm (a swarm service\'s spec holds a failure ratio to one decimal, so it would be 0.1); use tenths from 0 to 1, such as 0 or 0.1',
    ],
    [
      "a larger parallelism with start-first counts in the subnet: 3 tasks started ahead",
      (app) => {
        app.services.worker.replicas = 3;
        app.services.worker.rollout = { parallelism: 0 };
      },
      { networks: { backend: { subnet: "10.123.2.0/29" } } },
      "dockyard:networks.backend.subnet 10.123.2.0/29 has room for 5 addresses on swarm, but 11 are needed (7 tasks, 3 started ahead by updates, 1 for the nodes' load balancers); use a wider subnet, such as a /28 (room for 13), or fewer replicas",
    ],
  ])("refused: %s", (_case, edit, values, message) => {
    expect(() => edited(edit, values)).toThrow(message);
  });
});

describe("names and values a swarm cannot take are refused by the plan, named as the user wrote them", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-swarm-compose-"));
  /** A compose file's swarm plan, its messages naming the file's keys. */
  function composeFile(text: string, values: Values = {}, stack = "dev"): SwarmPlan {
    fs.writeFileSync(path.join(dir, "compose.yaml"), text);
    const config = stackConfig({ target: "swarm", ...values }, stack);
    const { model, where } = readCompose({ file: "compose.yaml" }, stack, dir);
    return planSwarm(resolveApp(model, where), config, where);
  }

  test.each([
    [
      "eu.prod",
      'the stack name "eu.prod" cannot be used on target swarm: it holds ".", and a swarm service, named <app>-<stack>-<service> ("voting-eu.prod-db"), takes letters, digits and dashes only; deploy from a stack whose name has none (pulumi stack init eu-prod), or use target docker',
    ],
    [
      "qa_1",
      'the stack name "qa_1" cannot be used on target swarm: it holds "_", and a swarm service, named <app>-<stack>-<service> ("voting-qa_1-db"), takes letters, digits and dashes only; deploy from a stack whose name has none (pulumi stack init qa-1), or use target docker',
    ],
  ])("the stack %s", (stack, message) => {
    expect(() => plan({}, stack)).toThrow(new InputError(message));
  });

  test("a service name past 63 characters: the app's name, the stack and the service, each with its length", () => {
    expect(() =>
      composeFile(
        "name: northwind-order-processing-suite\nservices:\n  inventory-reconciliation-worker:\n    image: example/worker:4\n",
        {},
        "staging",
      ),
    ).toThrow(
      new InputError(
        'compose.yaml: name "northwind-order-processing-suite" (32 characters), the stack name "staging" (7 characters), compose.yaml: services.inventory-reconciliation-worker (31 characters) make the swarm service name "northwind-order-processing-suite-staging-inventory-reconciliation-worker" (<app>-<stack>-<service>), 72 characters, and a swarm takes 63 at most: shorten one of them by 9 or more, or use target docker',
      ),
    );
  });

  test("a secret name past 64 characters, with the value's fingerprint", () => {
    const text =
      "name: northwind-order-processing-suite\nservices:\n  api:\n    image: example/api:2\n    environment: { DB_PASSWORD_FILE: /run/secrets/database-password }\n    secrets: [database-password]\nsecrets:\n  database-password: {}\n";
    expect(() => composeFile(text, { secrets: { "database-password": PASSWORD } })).toThrow(
      /^compose\.yaml: name "northwind-order-processing-suite" \(32 characters\), the stack name "dev" \(3 characters\), compose\.yaml: secrets\.database-password \(17 characters\) make the swarm secret name "northwind-order-processing-suite-dev-database-password-[0-9a-f]{12}" \(<app>-<stack>-<secret>-<12 digits of the value's fingerprint>\), 67 characters, and a swarm takes 64 at most \(letters, digits, _ \. -\): shorten one of them by 3 or more$/,
    );
  });

  const web = (port: string, deploy = "") => `name: shop\nservices:\n  web:\n    image: nginx:1.27\n    ports:\n      - ${port}\n${deploy}`;

  test.each([
    [
      web("{ target: 80, published: 8080 }", "    deploy:\n      update_config: { max_failure_ratio: 0.25 }\n"),
      "compose.yaml: services.web.deploy.update_config.max_failure_ratio 0.25 cannot be honoured on target swarm (a swarm service's spec holds a failure ratio to one decimal, so it would be 0.3); use tenths from 0 to 1, such as 0.2 or 0.3",
    ],
    [
      web("{ target: 80, published: 8080, mode: ingress }"),
      'compose.yaml: services.web.ports[0].mode ingress cannot be honoured on target swarm (service "web" has endpoint mode dnsrr (the default), with no virtual IP for the routing mesh, so swarm publishes its ports in host mode only); use host (or leave the mode out: host here), or give the service endpoint mode vip (compose.yaml: services.web.deploy.endpoint_mode, or dockyard:swarmEndpointMode for every service)',
    ],
    [
      web("{ target: 80, published: 8080, mode: host }", "    deploy: { endpoint_mode: vip, replicas: 2 }\n"),
      'compose.yaml: services.web.deploy.replicas cannot be honoured on target swarm (service "web" publishes port 8080 in host mode, one task per node, and the swarm runs tasks on 1 node (dockyard:swarmNodes); 2 replicas would leave 1 pending for ever); set dockyard:services.web.replicas to 1 or fewer, add nodes and raise dockyard:swarmNodes, or publish it in ingress mode (compose.yaml: services.web.ports[0].mode ingress)',
    ],
  ])("%j", (text, message) => {
    expect(() => composeFile(text)).toThrow(new InputError(message));
  });

  test("a port's publish mode: host on a vip service binds it on the node that runs each task (one per node, stop-first)", () => {
    const swarm = composeFile(web("{ target: 80, published: 8080, mode: host }", "    deploy: { endpoint_mode: vip }\n"));
    const { args } = swarm.services[0];
    expect([args.endpointMode, args.ports, args.maxReplicasPerNode, args.updateOrder]).toEqual([
      "vip",
      [{ containerPort: 80, publishedPort: 8080, protocol: "tcp", publishMode: "host" }],
      1,
      "stop-first",
    ]);
    expect(swarm.warnings).toContain(
      "target swarm publishes web 8080 on every interface of the node that runs the task (a swarm cannot bind one address): firewall them if the nodes are reachable from outside",
    );
  });

  test("ingress on a vip service: the routing mesh, on every node", () => {
    const swarm = composeFile(web("{ target: 80, published: 8080, mode: ingress }"), { swarmEndpointMode: "vip" });
    const { args } = swarm.services[0];
    expect([args.endpointMode, args.ports, args.maxReplicasPerNode]).toEqual([
      "vip",
      [{ containerPort: 80, publishedPort: 8080, protocol: "tcp", publishMode: "ingress" }],
      0,
    ]);
  });
});

describe("what swarm ignores is warned about while planning", () => {
  test("the published ports' reach and a volume size, each named once", () => {
    expect(warnings(() => plan({ volumes: { "db-data": { size: "5Gi" } } }))).toEqual([
      ESCALATION_WARNING,
      "dockyard:volumes.db-data.size is ignored on target swarm: a local Docker volume has no size; it grows on the node's disk",
      PUBLISHED_WARNING,
    ]);
  });

  test("keys of two targets: rolloutTimeout and allowPublicSubnets are read on swarm", () => {
    expect(warnings(() => plan({ rolloutTimeout: "120", allowPublicSubnets: "true" }))).toEqual([ESCALATION_WARNING, PUBLISHED_WARNING]);
  });

  test("nothing published, nothing to warn about but what a swarm cannot say", () => {
    expect(warnings(() => plan({ services: { vote: { replicas: 0 }, result: { replicas: 0 } } }))).toEqual([ESCALATION_WARNING]);
  });
});

describe("what swarm cannot honour is refused while planning", () => {
  test.each<[string, Values, string]>([
    [
      "more than one node with images built on the manager and no registry",
      { swarmNodes: "2" },
      'dockyard:swarmNodes 2 cannot be honoured on target swarm (the images of result, vote, worker are built on the manager and stay there while dockyard:registry is empty; a task the swarm places on another node would fail with "No such image"); set dockyard:registry to a registry every node pulls from (the images are pushed there and the tasks run their digests), or keep dockyard:swarmNodes at 1',
    ],
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

describe("deploySwarm under mocks: the stack file's deploy keys as provider inputs", () => {
  beforeAll(async () => {
    await runProgram(
      { ...stageProgramConfig("dev"), "dockyard:target": "swarm", "dockyard:compose": { file: "examples/voting-stack.yaml" } },
      "dev",
    );
  });

  test("worker: its update and rollback configs, restart policy, placement and reservations, durations as the engine reads them back", () => {
    const worker = find("docker:index/service:Service", "worker").inputs;
    expect([
      worker.updateConfig,
      worker.rollbackConfig,
      worker.taskSpec.restartPolicy,
      worker.taskSpec.placement,
      worker.taskSpec.resources,
    ]).toEqual([
      { parallelism: 2, delay: "5s", monitor: "10s", maxFailureRatio: "0.0", order: "start-first", failureAction: "rollback" },
      { parallelism: 1, delay: "0s", monitor: "10s", maxFailureRatio: "0.0", order: "start-first", failureAction: "pause" },
      { condition: "on-failure", delay: "10s", maxAttempts: 3, window: "2m" },
      { constraints: ["node.role == manager"], maxReplicas: 0 },
      { limits: { nanoCpus: 500_000_000, memoryBytes: 134217728 }, reservation: { nanoCpus: 100_000_000, memoryBytes: 67108864 } },
    ]);
  });

  test("result: a rollback of its own (one at a time, continue), an update two at a time with a 10 s delay", () => {
    const result = find("docker:index/service:Service", "result").inputs;
    expect([result.updateConfig, result.rollbackConfig]).toEqual([
      { parallelism: 2, delay: "10s", monitor: "5s", maxFailureRatio: "0.0", order: "stop-first", failureAction: "rollback" },
      { parallelism: 1, delay: "10s", monitor: "5s", maxFailureRatio: "0.0", order: "stop-first", failureAction: "continue" },
    ]);
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

  test("an overlay network: attachable, its subnet and the gateway the engine picks, named by a fingerprint of its inputs and replaced create-first", () => {
    expect(find("docker:index/network:Network", "backend").options.deleteBeforeReplace).toBe(false);
    expect(find("docker:index/network:Network", "backend").inputs).toEqual({
      name: "voting-dev-backend-14a82f44",
      driver: "overlay",
      attachable: true,
      internal: false,
      ipamConfigs: [{ subnet: "10.123.2.0/24", gateway: "10.123.2.1" }],
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
          user: "999:999",
          capDrops: ["ALL"],
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
          // The dev stage's read-only root, with postgres's writable paths in memory.
          readOnly: true,
          mounts: [
            { type: "volume", source: "voting-dev-db-data", target: "/var/lib/postgresql/data", readOnly: false },
            { type: "tmpfs", target: "/tmp", tmpfsOptions: { sizeBytes: 64 * 1024 * 1024 } },
            { type: "tmpfs", target: "/var/run/postgresql", tmpfsOptions: { sizeBytes: 64 * 1024 * 1024 } },
          ],
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
    expect([...vote.options.dependencies].sort()).toEqual([
      "urn:pulumi:dev::dockyard::dockyard:index:Image$docker:index/image:Image::vote",
      "urn:pulumi:dev::dockyard::dockyard:index:Network$docker:index/network:Network::backend",
      "urn:pulumi:dev::dockyard::dockyard:index:Network$docker:index/network:Network::frontend",
    ]);
  });

  test("the services and the secret are swarm components; the outputs name the networks' subnets and the URLs", () => {
    expect(byType("dockyard:index:SwarmService").map((r) => r.name)).toEqual(["db", "redis", "result", "vote", "worker"]);
    expect(byType("dockyard:index:SwarmSecret").map((r) => r.name)).toEqual(["db-password"]);
  });
});

describe("a stage sets the deploy fields in its stack config (dockyard:services.<name>.rollout and the rest)", () => {
  const worker = (values: Values) => plan(values).services.find((service) => service.name === "worker")?.args;

  test("worker's rollout, reservations, placement and restart, and vote's endpoint mode, as pulumi config set --path stores them", () => {
    const swarm = plan({
      services: {
        worker: {
          rollout: { parallelism: "2", delaySeconds: "10", order: "stop-first", rollback: { failureAction: "continue" } },
          reservations: { cpus: "0.2", memory: "32m" },
          placement: { constraints: ["node.labels.tier==app"], maxReplicasPerNode: "2" },
          restart: { condition: "on-failure", maxAttempts: "3" },
        },
        vote: { endpointMode: "vip" },
      },
    });
    const args = swarm.services.find((service) => service.name === "worker")?.args;
    expect({
      updateOrder: args?.updateOrder,
      update: args?.update,
      rollback: args?.rollback,
      restart: args?.restart,
      constraints: args?.constraints,
      maxReplicasPerNode: args?.maxReplicasPerNode,
      reserveCpus: args?.reserveCpus,
      reserveMemory: args?.reserveMemory,
    }).toEqual({
      updateOrder: "stop-first",
      update: { parallelism: 2, delaySeconds: 10, maxFailureRatio: 0, failureAction: "rollback" },
      rollback: { parallelism: 2, delaySeconds: 10, order: "stop-first", monitorSeconds: 5, maxFailureRatio: 0, failureAction: "continue" },
      restart: { condition: "on-failure", delaySeconds: 5, maxAttempts: 3, windowSeconds: 0 },
      constraints: ["node.labels.tier == app"],
      maxReplicasPerNode: 2,
      reserveCpus: 0.2,
      reserveMemory: "32m",
    });
    expect(swarm.services.map((service) => [service.name, service.args.endpointMode])).toEqual([
      ["db", "dnsrr"],
      ["redis", "dnsrr"],
      ["result", "dnsrr"],
      ["vote", "vip"],
      ["worker", "dnsrr"],
    ]);
  });

  test("without them the plan is the app's own", () => {
    expect(worker({ services: {} })).toEqual(worker({ services: { worker: {} } }));
    expect([worker({})?.update, worker({})?.restart, worker({})?.constraints]).toEqual([undefined, undefined, []]);
  });

  test.each<[string, Values, string]>([
    [
      "a start-first db",
      { services: { db: { rollout: { order: "start-first" } } } },
      'dockyard:services.db.rollout.order cannot be "start-first" on a single-writer service: the new copy would write its data while the old one still does; use "stop-first", or leave order out',
    ],
    [
      "a constraint outside swarm's grammar",
      { services: { worker: { placement: { constraints: ["role=manager"] } } } },
      'dockyard:services.worker.placement.constraints[0] must be node.<attribute> == value or != value, the attribute one of id, hostname, role, platform.os, platform.arch, labels.<name> ("node.role == manager"), got "role=manager"',
    ],
    [
      "a reservation above the limit",
      { services: { worker: { reservations: { memory: "1g" } } } },
      "dockyard:services.worker.reservations.memory 1g is more than the memory limit (128m): a copy cannot reserve more than it may use; lower it or raise limits.memory",
    ],
    [
      "an unknown restart condition",
      { services: { worker: { restart: { condition: "always" } } } },
      'dockyard:services.worker.restart.condition must be one of "any", "on-failure", "none", got "always"',
    ],
    [
      "an unknown rollout key",
      { services: { worker: { rollout: { parallel: 2 } } } },
      'dockyard:services.worker.rollout has unknown key "parallel"; allowed: parallelism, delaySeconds, order, monitorSeconds, maxFailureRatio, failureAction, rollback',
    ],
    [
      "an unknown key of a rollout's rollback",
      { services: { worker: { rollout: { rollback: { pause: true } } } } },
      'dockyard:services.worker.rollout.rollback has unknown key "pause"; allowed: parallelism, delaySeconds, order, monitorSeconds, maxFailureRatio, failureAction',
    ],
    [
      "an unknown placement key",
      { services: { worker: { placement: { constraint: ["node.role == manager"] } } } },
      'dockyard:services.worker.placement has unknown key "constraint"; allowed: constraints, maxReplicasPerNode',
    ],
  ])("refused, named by the config key: %s", (_case, values, message) => {
    expect(() => plan(values)).toThrow(new InputError(message));
  });
});

describe("no privilege escalation on swarm: one warning for every service that asks, with what to do", () => {
  const off = { security: { noNewPrivileges: false } };
  const escalation = (values: Values) => warnings(() => plan(values)).filter((warning) => warning.includes("noNewPrivileges"));

  test("the voting app asks it of all five: one line names them all, the tasks are still started without it", () => {
    const made = plan({});
    expect(made.warnings.filter((warning) => warning.includes("noNewPrivileges"))).toEqual([ESCALATION_WARNING]);
    expect(made.services.map((service) => [service.name, service.args.security?.noNewPrivileges])).toEqual([
      ["db", false],
      ["redis", false],
      ["result", false],
      ["vote", false],
      ["worker", false],
    ]);
  });

  test("one service left asking: it alone is named", () => {
    expect(escalation({ services: { db: off, redis: off, result: off, vote: off } })).toEqual([
      'app "voting": services.worker.security.noNewPrivileges is ignored on target swarm: a swarm service\'s spec, as the Docker provider writes it, has no such field, so the tasks\' processes may still gain privileges through setuid binaries; to deny it there, run the Docker engine of every swarm node with no-new-privileges (dockerd --no-new-privileges, or "no-new-privileges": true in /etc/docker/daemon.json and the engine restarted): every container it creates then has it, swarm tasks included',
    ]);
  });

  test("each named where it was set: the app's source said once for a run of its paths, a config key in full", () => {
    expect(escalation({ services: { vote: { security: { noNewPrivileges: true } } } })).toEqual([
      `app "voting": services.db.security.noNewPrivileges, services.redis.security.noNewPrivileges, services.result.security.noNewPrivileges, dockyard:services.vote.security.noNewPrivileges and app "voting": services.worker.security.noNewPrivileges is ignored on target swarm: ${ESCALATION_WHY}`,
    ]);
  });

  test("no service asking: no warning", () => {
    expect(escalation({ services: { db: off, redis: off, result: off, vote: off, worker: off } })).toEqual([]);
  });
});
