/**
 * resolveApp on its own (no Pulumi, no mocks): defaults filled, start order, each small check's message; then the stack
 * config that reaches its checks, through the whole program under mocks.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { z } from "zod";
import { InputError } from "../../stacks/errors";
import { AppModel, ImageSource } from "../../stacks/model";
import { AppDefinition, applyConfig } from "../../stacks/overrides";
import { findCycle, hostTakeover, ResolvedApp, resolveApp } from "../../stacks/resolve";
import { votingModel } from "../../stacks/votingApp";
import { byType } from "./mocks";
import { CLUSTER, expectRefused, RefusedCase, runProgram, SECRET_CONFIG } from "./program";
import { stackConfig, Values } from "./stage";

/** A small app whose start order is not its name order: web waits for api, api for db. */
/** A service that says nothing of its confinement: the engine's defaults. */
const ENGINE_SECURITY = { capDrop: [], capAdd: [], noNewPrivileges: false, readOnlyRootFilesystem: false, tmpfs: [] };

function shop(): AppModel {
  return {
    name: "shop",
    networks: { net: { subnet: "10.1.0.0/24" } },
    volumes: { data: {} },
    secrets: { key: { description: "api key" } },
    services: {
      web: {
        image: { kind: "pull", ref: "nginx:1.27" },
        ports: [{ name: "http", containerPort: 80, publishedPort: 8080 }],
        networks: ["net"],
        dependsOn: { api: "healthy" },
        limits: { cpus: 0.25, memory: "64m" },
      },
      api: {
        image: { kind: "build", context: "apps/api" },
        env: { MODE: "prod" },
        secretEnv: { API_KEY: "key" },
        ports: [{ name: "http", containerPort: 3000 }],
        networks: ["net"],
        health: { command: ["check"], http: { path: "/healthz", port: 3000 } },
        dependsOn: { db: "started" },
        limits: { cpus: 1, memory: "1g" },
      },
      db: {
        image: { kind: "pull", ref: "postgres:15" },
        networks: ["net"],
        volumes: [{ volume: "data", mountPath: "/var/lib/db" }],
        limits: { cpus: 0.5, memory: "512Mi" },
        singleWriter: true,
      },
    },
  };
}

const EXPECTED: ResolvedApp = {
  name: "shop",
  services: {
    api: {
      name: "api",
      image: { kind: "build", context: "apps/api" },
      command: undefined,
      entrypoint: undefined,
      env: { MODE: "prod" },
      secretEnv: { API_KEY: "key" },
      ports: [{ name: "http", containerPort: 3000, protocol: "tcp", publishedPort: undefined, healthOnly: false }],
      networks: ["net"],
      volumes: [],
      health: {
        command: ["check"],
        http: { path: "/healthz", port: 3000 },
        intervalSeconds: 10,
        timeoutSeconds: 5,
        retries: 3,
        startPeriodSeconds: 10,
      },
      dependsOn: { db: "started" },
      limits: { cpus: 1, millicpus: 1000, memory: "1g", memoryBytes: 1024 ** 3 },
      replicas: 1,
      autoscaling: undefined,
      singleWriter: false,
      user: undefined,
      security: ENGINE_SECURITY,
    },
    db: {
      name: "db",
      image: { kind: "pull", ref: "postgres:15" },
      command: undefined,
      entrypoint: undefined,
      env: {},
      secretEnv: {},
      ports: [],
      networks: ["net"],
      volumes: [{ volume: "data", hostPath: undefined, mountPath: "/var/lib/db", readOnly: false }],
      health: undefined,
      dependsOn: {},
      limits: { cpus: 0.5, millicpus: 500, memory: "512Mi", memoryBytes: 512 * 1024 ** 2 },
      replicas: 1,
      autoscaling: undefined,
      singleWriter: true,
      user: undefined,
      security: ENGINE_SECURITY,
    },
    web: {
      name: "web",
      image: { kind: "pull", ref: "nginx:1.27" },
      command: undefined,
      entrypoint: undefined,
      env: {},
      secretEnv: {},
      ports: [{ name: "http", containerPort: 80, protocol: "tcp", publishedPort: 8080, healthOnly: false }],
      networks: ["net"],
      volumes: [],
      health: undefined,
      dependsOn: { api: "healthy" },
      limits: { cpus: 0.25, millicpus: 250, memory: "64m", memoryBytes: 64 * 1024 ** 2 },
      replicas: 1,
      autoscaling: undefined,
      singleWriter: false,
      user: undefined,
      security: ENGINE_SECURITY,
    },
  },
  order: ["db", "api", "web"],
  networks: { net: { subnet: "10.1.0.0/24", gateway: undefined, ipRange: undefined, internal: false } },
  volumes: { data: { retain: false, size: "1Gi", sizeBytes: 1024 ** 3 } },
  secrets: { key: { description: "api key" } },
};

describe("resolveApp fills in every default", () => {
  test("a small app, exactly", () => {
    expect(resolveApp(shop())).toStrictEqual(EXPECTED);
  });

  test("what the model gives is kept over the defaults", () => {
    const app = shop();
    app.services.api.health = { command: ["check"], intervalSeconds: 2, timeoutSeconds: 1, retries: 9, startPeriodSeconds: 0 };
    app.services.api.replicas = 0;
    app.services.api.ports = [{ name: "metrics", containerPort: 9090, protocol: "udp", healthOnly: true }];
    app.services.db.volumes = [{ volume: "data", mountPath: "/var/lib/db", readOnly: true }];
    app.networks.net = { subnet: "10.1.0.0/24", gateway: "10.1.0.254", ipRange: "10.1.0.128/25", internal: true };
    app.volumes.data = { size: "5g", retain: true };
    const resolved = resolveApp(app);
    expect(resolved.services.api.health).toEqual({
      command: ["check"],
      intervalSeconds: 2,
      timeoutSeconds: 1,
      retries: 9,
      startPeriodSeconds: 0,
    });
    expect(resolved.services.api.replicas).toBe(0);
    expect(resolved.services.api.ports).toStrictEqual([
      { name: "metrics", containerPort: 9090, protocol: "udp", publishedPort: undefined, healthOnly: true },
    ]);
    expect(resolved.services.db.volumes[0].readOnly).toBe(true);
    expect(resolved.networks.net).toStrictEqual({ subnet: "10.1.0.0/24", gateway: "10.1.0.254", ipRange: "10.1.0.128/25", internal: true });
    expect(resolved.volumes.data).toStrictEqual({ retain: true, size: "5g", sizeBytes: 5 * 1024 ** 3 });
  });

  test("the resolved app shares no maps or lists with the model", () => {
    const app = shop();
    const resolved = resolveApp(app);
    resolved.services.api.env.EXTRA = "x";
    resolved.services.api.networks.push("other");
    resolved.services.web.dependsOn.db = "started";
    resolved.secrets.other = { description: "x" };
    expect(app).toStrictEqual(shop());
  });
});

describe("rollout, reservations, placement and restart: absent stays absent, given is filled in", () => {
  test("a model without them resolves without them (every target then plans as before)", () => {
    const resolved = resolveApp(votingModel({ optionA: "Cats", optionB: "Dogs" }));
    for (const name of Object.keys(resolved.services)) {
      const service = resolved.services[name];
      expect([service.rollout, service.reservations, service.placement, service.restart, service.endpointMode]).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
      expect(Object.keys(service)).not.toEqual(expect.arrayContaining(["rollout"]));
    }
  });

  test("each field left out is its default; a rollback's are the update's, and it pauses", () => {
    const app = votingModel({ optionA: "Cats", optionB: "Dogs" });
    app.services.worker.rollout = { parallelism: 2, delaySeconds: 10 };
    app.services.worker.restart = { condition: "on-failure" };
    app.services.worker.placement = { constraints: ["node.labels.zone==a", " node.role != manager "] };
    app.services.worker.reservations = { memory: "64m" };
    const worker = resolveApp(app).services.worker;
    expect(worker.rollout).toStrictEqual({
      parallelism: 2,
      delaySeconds: 10,
      order: undefined,
      monitorSeconds: 5,
      maxFailureRatio: 0,
      failureAction: "rollback",
      rollback: { parallelism: 2, delaySeconds: 10, order: undefined, monitorSeconds: 5, maxFailureRatio: 0, failureAction: "pause" },
    });
    expect(worker.restart).toStrictEqual({ condition: "on-failure", delaySeconds: 5, maxAttempts: 0, windowSeconds: 0 });
    expect(worker.placement).toStrictEqual({ constraints: ["node.labels.zone == a", "node.role != manager"] });
    expect(worker.reservations).toStrictEqual({ memory: "64m", memoryBytes: 64 * 1024 ** 2 });
  });

  test("what the model gives is kept, the rollback's own fields over the update's", () => {
    const app = votingModel({ optionA: "Cats", optionB: "Dogs" });
    app.services.worker.rollout = {
      parallelism: 0,
      order: "start-first",
      monitorSeconds: 30,
      maxFailureRatio: 0.2,
      failureAction: "pause",
      rollback: { parallelism: 1, order: "stop-first", failureAction: "continue" },
    };
    app.services.worker.reservations = { cpus: 0.25, memory: "128m" };
    app.services.worker.placement = { maxReplicasPerNode: 2 };
    app.services.worker.endpointMode = "vip";
    const worker = resolveApp(app).services.worker;
    expect(worker.rollout).toStrictEqual({
      parallelism: 0,
      delaySeconds: 0,
      order: "start-first",
      monitorSeconds: 30,
      maxFailureRatio: 0.2,
      failureAction: "pause",
      rollback: {
        parallelism: 1,
        delaySeconds: 0,
        order: "stop-first",
        monitorSeconds: 30,
        maxFailureRatio: 0.2,
        failureAction: "continue",
      },
    });
    expect(worker.reservations).toStrictEqual({ cpus: 0.25, millicpus: 250, memory: "128m", memoryBytes: 128 * 1024 ** 2 });
    expect(worker.placement).toStrictEqual({ constraints: [], maxReplicasPerNode: 2 });
    expect(worker.endpointMode).toBe("vip");
  });
});

describe("start order", () => {
  test("each service after everything it depends on, ties by name", () => {
    expect(resolveApp(shop()).order).toEqual(["db", "api", "web"]);
    const app = shop();
    app.services.web.dependsOn = {};
    expect(resolveApp(app).order).toEqual(["db", "api", "web"]);
    app.services.api.dependsOn = {};
    app.services.db.dependsOn = { web: "started" };
    expect(resolveApp(app).order).toEqual(["api", "web", "db"]);
  });

  test("the voting app as shipped: no cycle, and redis and db before the services that wait for them", () => {
    const model = votingModel({ optionA: "Cats", optionB: "Dogs" });
    expect(findCycle(model.services)).toBeUndefined();
    expect(resolveApp(model).order).toEqual(["db", "redis", "result", "vote", "worker"]);
  });

  test("findCycle names the circle", () => {
    expect(
      findCycle({ a: { dependsOn: { b: "started" } }, b: { dependsOn: { c: "started" } }, c: { dependsOn: { a: "started" } } }),
    ).toEqual(["a", "b", "c", "a"]);
  });
});

type Edit = (app: AppModel) => void;
const APP = 'app "voting":';
const NAME_RULE = "lowercase letters, digits and dashes, starting with a letter (a DNS label of up to 32)";
const IMAGE_RULE = "must be an image reference like python:3.12-slim or mirror.example:5000/python:3.12-slim (the repository in lowercase)";

const badModels: Array<[string, Edit, string]> = [
  ...([3601, -1, 1.5] as const).map((seconds): [string, Edit, string] => [
    `a stop grace period of ${seconds} seconds`,
    (app) => (app.services.worker.stopGracePeriodSeconds = seconds),
    `${APP} services.worker.stopGracePeriodSeconds must be a whole number of seconds from 0 to 3600 (an up waits that long for each copy it replaces), got ${seconds}`,
  ]),
  ["app name not a DNS label", (app) => (app.name = "Voting"), `app name must be ${NAME_RULE}, got "Voting"`],
  ["no services", (app) => (app.services = {}), `${APP} services is empty: an app needs at least one service`],
  [
    "service name not a DNS label",
    (app) => (app.services["Vote_2"] = app.services.vote),
    `${APP} services.Vote_2 is not a valid service name: it must be ${NAME_RULE}`,
  ],
  [
    "network name not a DNS label",
    (app) => (app.networks["Front_2"] = { subnet: "10.99.0.0/24" }),
    `${APP} networks.Front_2 is not a valid network name: it must be ${NAME_RULE}`,
  ],
  [
    "unknown dependency",
    (app) => (app.services.worker.dependsOn = { queue: "started" }),
    `${APP} services.worker.dependsOn.queue names unknown service "queue"; the app's services are: db, redis, result, vote, worker`,
  ],
  [
    "circular dependency",
    (app) => (app.services.redis.dependsOn = { worker: "started" }),
    `${APP} services depend on each other in a circle: redis -> worker -> redis`,
  ],
  [
    "a service depending on itself",
    (app) => (app.services.vote.dependsOn = { vote: "started" }),
    `${APP} services.vote.dependsOn.vote is the service itself`,
  ],
  [
    "unknown dependency condition",
    (app) => (app.services.vote.dependsOn = { redis: "ready" as never }),
    `${APP} services.vote.dependsOn.redis must be "started" or "healthy", got "ready"`,
  ],
  [
    "waiting for health that is never checked",
    (app) => {
      app.services.redis.health = undefined;
      app.services.vote.dependsOn = { redis: "healthy" };
    },
    `${APP} services.vote.dependsOn.redis waits for "redis" to be healthy, but "redis" has no health check`,
  ],
  [
    "unknown network",
    (app) => (app.services.vote.networks = ["frontend", "public"]),
    `${APP} services.vote.networks lists unknown network "public"; the app's networks are: backend, frontend`,
  ],
  [
    "vote on one network twice",
    (app) => (app.services.vote.networks = ["frontend", "frontend"]),
    `${APP} services.vote.networks lists "frontend" twice; list each network once`,
  ],
  [
    "no network",
    (app) => (app.services.worker.networks = []),
    `${APP} services.worker.networks is empty: a service must join at least one network`,
  ],
  [
    "unknown volume",
    (app) => (app.services.db.volumes = [{ volume: "pgdata", mountPath: "/var/lib/postgresql/data" }]),
    `${APP} services.db.volumes[/var/lib/postgresql/data] names unknown volume "pgdata"; the app's volumes are: db-data, redis-data`,
  ],
  [
    "db also mounts redis-data",
    (app) => (app.services.db.volumes = [...(app.services.db.volumes ?? []), { volume: "redis-data", mountPath: "/redis" }]),
    `${APP} volumes.redis-data is mounted by db and redis: a volume holds one service's data (two services would write one data directory, and a cluster's ReadWriteOnce claim attaches to one node); give each service its own volume`,
  ],
  [
    "relative bind mount",
    (app) => (app.services.vote.volumes = [{ hostPath: "opt/data", mountPath: "/data" }]),
    `${APP} services.vote.volumes[/data] hostPath must be absolute, got "opt/data"`,
  ],
  [
    "relative mount path",
    (app) => (app.services.vote.volumes = [{ hostPath: "/opt/data", mountPath: "data" }]),
    `${APP} services.vote.volumes[data] mountPath must be absolute, got "data"`,
  ],
  [
    "mount with both sources",
    (app) => (app.services.vote.volumes = [{ volume: "db-data", hostPath: "/opt", mountPath: "/data" }]),
    `${APP} services.vote.volumes[/data] needs exactly one of volume and hostPath`,
  ],
  [
    "two writers of one database",
    (app) => (app.services.db.replicas = 2),
    `${APP} services.db.replicas must be 0 or 1 for a single-writer service (its data allows one writer), got 2`,
  ],
  [
    "negative replicas",
    (app) => (app.services.vote.replicas = -1),
    `${APP} services.vote.replicas must be a whole number from 0 to 1000, got -1`,
  ],
  [
    "replicas beyond int32 (found by the adversarial suite: a crash in the Docker plan)",
    (app) => (app.services.vote.replicas = 2 ** 31),
    `${APP} services.vote.replicas must be a whole number from 0 to 1000, got 2147483648`,
  ],
  [
    "a volume name no target can use",
    (app) => (app.volumes["data_é"] = {}),
    `${APP} volumes.data_é is not a valid volume name: it must be lowercase letters, digits and dashes, starting with a letter (a DNS label of up to 32)`,
  ],
  [
    "autoscaling a single writer",
    (app) => (app.services.redis.autoscaling = { minReplicas: 1, maxReplicas: 2, targetCpuPercent: 50 }),
    `${APP} services.redis.autoscaling cannot be set on a single-writer service (its data allows one writer)`,
  ],
  [
    "autoscaling from zero",
    (app) => (app.services.vote.autoscaling = { minReplicas: 0, maxReplicas: 2, targetCpuPercent: 50 }),
    `${APP} services.vote.autoscaling.minReplicas must be a whole number of 1 or more, got 0`,
  ],
  [
    "autoscaling max under min",
    (app) => (app.services.vote.autoscaling = { minReplicas: 3, maxReplicas: 2, targetCpuPercent: 50 }),
    `${APP} services.vote.autoscaling.maxReplicas must be a whole number from minReplicas (3) to 1000, got 2`,
  ],
  [
    "autoscaling above 100%",
    (app) => (app.services.vote.autoscaling = { minReplicas: 1, maxReplicas: 2, targetCpuPercent: 101 }),
    `${APP} services.vote.autoscaling.targetCpuPercent must be a whole percent 1-100, got 101`,
  ],
  [
    "unknown secret",
    (app) => (app.services.worker.secretEnv = { DB_PASSWORD: "db-pass" }),
    `${APP} services.worker.secretEnv.DB_PASSWORD refers to unknown secret "db-pass"; the app's secrets are: db-password`,
  ],
  [
    "a variable both plain and secret",
    (app) => (app.services.worker.env = { ...app.services.worker.env, DB_PASSWORD: "x" }),
    `${APP} services.worker.env.DB_PASSWORD is set both as plain env and as secret env; set it once`,
  ],
  [
    "an env name starting with a digit (refused on both targets)",
    (app) => (app.services.vote.env = { ...app.services.vote.env, "1BAD": "x" }),
    `${APP} services.vote.env names must be letters, digits, _ - . not starting with a digit, got "1BAD"`,
  ],
  [
    "memory as a number of bytes too small",
    (app) => (app.services.redis.limits.memory = "1024"),
    `${APP} services.redis.limits.memory must be at least 6m (Docker's minimum), got "1024" (1024 bytes: a number without a unit is bytes; write 1024m for MiB)`,
  ],
  [
    "zero cpus",
    (app) => (app.services.redis.limits.cpus = 0),
    `${APP} services.redis.limits.cpus must be a number of CPUs greater than 0, like 0.5 or 2, got 0`,
  ],
  [
    "a health check on a port the service does not have",
    (app) => (app.services.vote.health = { command: ["healthcheck"], http: { path: "/healthz", port: 8081 } }),
    `${APP} services.vote.health.http.port 8081 is not one of the service's container ports (8080); probe the port the service listens on, or declare that port in ports`,
  ],
  [
    "a health check on a service without ports",
    (app) => (app.services.worker.ports = undefined),
    `${APP} services.worker.health.http.port 8082 is not one of the service's container ports (it declares none); probe the port the service listens on, or declare that port in ports`,
  ],
  [
    "an empty health command",
    (app) => (app.services.vote.health = { command: [] }),
    `${APP} services.vote.health.command is empty: give the command the check runs`,
  ],
  [
    "no retries",
    (app) => (app.services.vote.health = { command: ["x"], retries: 0 }),
    `${APP} services.vote.health.retries must be a whole number from 1 to 1000, got 0`,
  ],
  [
    "a negative start period",
    (app) => (app.services.vote.health = { command: ["x"], startPeriodSeconds: -1 }),
    `${APP} services.vote.health.startPeriodSeconds must be a whole number of seconds from 0 to 86400 (a day), got -1`,
  ],
  [
    "a published health-only port",
    (app) => (app.services.worker.ports = [{ name: "health", containerPort: 8082, healthOnly: true, publishedPort: 5002 }]),
    `${APP} services.worker.ports.health is only for the health check, so it cannot be published (got 5002)`,
  ],
  [
    "two ports of one name",
    (app) =>
      (app.services.vote.ports = [
        { name: "http", containerPort: 8080, publishedPort: 5000 },
        { name: "http", containerPort: 8081 },
      ]),
    `${APP} services.vote.ports names "http" twice; give each port its own name`,
  ],
  [
    "container port 0",
    (app) => (app.services.vote.ports = [{ name: "http", containerPort: 0 }]),
    `${APP} services.vote.ports.http.containerPort must be a port number 1-65535, got 0`,
  ],
  [
    "published port out of range",
    (app) => (app.services.vote.ports = [{ name: "http", containerPort: 8080, publishedPort: 70000 }]),
    `${APP} services.vote.ports.http must be a port number 1-65535, got 70000`,
  ],
  [
    "one published port for two services",
    (app) => (app.services.result.ports = [{ name: "http", containerPort: 8081, publishedPort: 5000 }]),
    `${APP} services.vote.ports.http 5000 is already published by services.result.ports.http`,
  ],
  [
    "image reference with a space",
    (app) => (app.services.redis.image = { kind: "pull", ref: "my redis" }),
    `${APP} services.redis.image ${IMAGE_RULE}, got "my redis"`,
  ],
  [
    "base image with a space",
    (app) => (app.services.vote.image = { kind: "build", context: "apps/vote", args: { PYTHON_IMAGE: "My Python" } }),
    `${APP} services.vote.image.args.PYTHON_IMAGE ${IMAGE_RULE}, got "My Python"`,
  ],
  [
    "subnet not a CIDR",
    (app) => (app.networks.frontend.subnet = "nope"),
    `${APP} networks.frontend.subnet must be an IPv4 CIDR like 172.18.0.0/16, got "nope"`,
  ],
  [
    "subnet with host bits",
    (app) => (app.networks.frontend.subnet = "10.123.1.5/24"),
    `${APP} networks.frontend.subnet 10.123.1.5/24 has host bits set; did you mean 10.123.1.0/24?`,
  ],
  [
    "overlapping subnets",
    (app) => (app.networks.backend.subnet = "10.123.0.0/16"),
    `${APP} networks.frontend.subnet 10.123.1.0/24 overlaps network "backend" (10.123.0.0/16); give each network its own range`,
  ],
  [
    "gateway outside the subnet",
    (app) => (app.networks.backend.gateway = "10.9.9.9"),
    `${APP} networks.backend.gateway "10.9.9.9" must be an address inside subnet 10.123.2.0/24`,
  ],
  [
    "ipRange outside the subnet",
    (app) => (app.networks.backend.ipRange = "10.9.9.0/24"),
    `${APP} networks.backend.ipRange "10.9.9.0/24" must be a CIDR inside subnet 10.123.2.0/24`,
  ],
  ["volume size of zero", (app) => (app.volumes["db-data"].size = "0"), `${APP} volumes.db-data.size must be more than 0, got "0"`],
  [
    "rollout parallelism below 0",
    (app) => (app.services.worker.rollout = { parallelism: -1 }),
    `${APP} services.worker.rollout.parallelism must be a whole number from 0 to 1000 (copies replaced at a time, at most the most copies of a service), got -1`,
  ],
  [
    "rollout delay in fractions of a second",
    (app) => (app.services.worker.rollout = { delaySeconds: 1.5 }),
    `${APP} services.worker.rollout.delaySeconds must be a whole number of seconds from 0 to 3600 (an hour between batches), got 1.5`,
  ],
  [
    "rollout order not one of the two",
    (app) => (app.services.worker.rollout = { order: "blue-green" as never }),
    `${APP} services.worker.rollout.order must be one of "start-first", "stop-first", got "blue-green"`,
  ],
  [
    "rollout failure ratio above 1",
    (app) => (app.services.worker.rollout = { maxFailureRatio: 1.5 }),
    `${APP} services.worker.rollout.maxFailureRatio must be a share from 0 to 1 (0.2 for one in five), got 1.5`,
  ],
  [
    "rollout failure action unknown",
    (app) => (app.services.worker.rollout = { failureAction: "retry" as never }),
    `${APP} services.worker.rollout.failureAction must be one of "rollback", "pause", "continue", got "retry"`,
  ],
  [
    "a rollback cannot roll back",
    (app) => (app.services.worker.rollout = { rollback: { failureAction: "rollback" as never } }),
    `${APP} services.worker.rollout.rollback.failureAction must be one of "pause", "continue", got "rollback"`,
  ],
  [
    "start-first on a single writer",
    (app) => (app.services.db.rollout = { order: "start-first" }),
    `${APP} services.db.rollout.order cannot be "start-first" on a single-writer service: the new copy would write its data while the old one still does; use "stop-first", or leave order out`,
  ],
  [
    "a rollback start-first on a single writer",
    (app) => (app.services.db.rollout = { rollback: { order: "start-first" } }),
    `${APP} services.db.rollout.rollback.order cannot be "start-first" on a single-writer service: the new copy would write its data while the old one still does; use "stop-first", or leave order out`,
  ],
  [
    "reserved CPUs above the limit",
    (app) => (app.services.vote.reservations = { cpus: 0.75 }),
    `${APP} services.vote.reservations.cpus 0.75 is more than the CPU limit (0.5): a copy cannot reserve more than it may use; lower it or raise limits.cpus`,
  ],
  [
    "reserved memory above the limit",
    (app) => (app.services.vote.reservations = { memory: "256m" }),
    `${APP} services.vote.reservations.memory 256m is more than the memory limit (128m): a copy cannot reserve more than it may use; lower it or raise limits.memory`,
  ],
  [
    "reserved memory not a size",
    (app) => (app.services.vote.reservations = { memory: "lots" }),
    `${APP} services.vote.reservations.memory must be a size like "100m", "1g" or "512Mi" (units b, k, m, g, t; binary, as in docker run --memory), got "lots"`,
  ],
  [
    "a constraint outside swarm's grammar",
    (app) => (app.services.worker.placement = { constraints: ["node.role = manager"] }),
    `${APP} services.worker.placement.constraints[0] must be node.<attribute> == value or != value, the attribute one of id, hostname, role, platform.os, platform.arch, labels.<name> ("node.role == manager"), got "node.role = manager"`,
  ],
  [
    "a constraint on an attribute nodes do not have",
    (app) => (app.services.worker.placement = { constraints: ["node.zone == a"] }),
    `${APP} services.worker.placement.constraints[0] must be node.<attribute> == value or != value, the attribute one of id, hostname, role, platform.os, platform.arch, labels.<name> ("node.role == manager"), got "node.zone == a"`,
  ],
  [
    "a constraint twice",
    (app) => (app.services.worker.placement = { constraints: ["node.labels.disk == ssd", "node.labels.disk==ssd"] }),
    `${APP} services.worker.placement.constraints lists "node.labels.disk == ssd" twice; list each constraint once`,
  ],
  [
    "max replicas per node below 0",
    (app) => (app.services.worker.placement = { maxReplicasPerNode: -2 }),
    `${APP} services.worker.placement.maxReplicasPerNode must be a whole number from 0 to 1000 (copies on one node, at most the most copies of a service), got -2`,
  ],
  [
    "restart condition unknown",
    (app) => (app.services.worker.restart = { condition: "always" as never }),
    `${APP} services.worker.restart.condition must be one of "any", "on-failure", "none", got "always"`,
  ],
  [
    "restart attempts below 0",
    (app) => (app.services.worker.restart = { maxAttempts: -1 }),
    `${APP} services.worker.restart.maxAttempts must be a whole number from 0 to 2147483647 (the engines count in 32 bits), got -1`,
  ],
  // Durations: whole seconds, within what every engine takes and what an up would sensibly wait.
  [
    "a health check every 0 seconds (Docker's default of 30 s, not none)",
    (app) => (app.services.vote.health = { command: ["x"], intervalSeconds: 0 }),
    `${APP} services.vote.health.intervalSeconds must be a whole number of seconds from 1 to 86400 (a day), got 0`,
  ],
  [
    "a health check timeout beyond a day",
    (app) => (app.services.vote.health = { command: ["x"], timeoutSeconds: 86401 }),
    `${APP} services.vote.health.timeoutSeconds must be a whole number of seconds from 1 to 86400 (a day), got 86401`,
  ],
  [
    "a health check interval that is no number",
    (app) => (app.services.vote.health = { command: ["x"], intervalSeconds: Infinity }),
    `${APP} services.vote.health.intervalSeconds must be a whole number of seconds from 1 to 86400 (a day), got Infinity`,
  ],
  [
    "more health check retries than 1000",
    (app) => (app.services.vote.health = { command: ["x"], retries: 1001 }),
    `${APP} services.vote.health.retries must be a whole number from 1 to 1000, got 1001`,
  ],
  [
    "a rollout watching each batch for more than an hour",
    (app) => (app.services.worker.rollout = { monitorSeconds: 3601 }),
    `${APP} services.worker.rollout.monitorSeconds must be a whole number of seconds from 0 to 3600 (an hour watching each batch), got 3601`,
  ],
  [
    "a rollback pausing two hours between batches",
    (app) => (app.services.worker.rollout = { rollback: { delaySeconds: 7200 } }),
    `${APP} services.worker.rollout.rollback.delaySeconds must be a whole number of seconds from 0 to 3600 (an hour between batches), got 7200`,
  ],
  [
    "a restart delayed by more than an hour",
    (app) => (app.services.worker.restart = { delaySeconds: 3601 }),
    `${APP} services.worker.restart.delaySeconds must be a whole number of seconds from 0 to 3600 (an hour before a restart), got 3601`,
  ],
  [
    "a restart window beyond a day",
    (app) => (app.services.worker.restart = { windowSeconds: 2 ** 31 }),
    `${APP} services.worker.restart.windowSeconds must be a whole number of seconds from 0 to 86400 (a day), got 2147483648`,
  ],
  [
    "endpoint mode unknown",
    (app) => (app.services.vote.endpointMode = "ingress" as never),
    `${APP} services.vote.endpointMode must be "dnsrr" or "vip", got "ingress"`,
  ],
];

describe("each check refuses what cannot be deployed, naming the model path", () => {
  test.each(badModels)("%s", (_, edit, message) => {
    const app = votingModel({ optionA: "Cats", optionB: "Dogs" });
    edit(app);
    expect(() => resolveApp(app)).toThrow(message);
    let thrown: unknown;
    try {
      resolveApp(app);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as Error).message).toBe(message);
  });

  test("a path is named as `where` says: the stack config layer names its keys", () => {
    const app = votingModel({ optionA: "Cats", optionB: "Dogs" });
    const where = (path: string) => (path.startsWith("services.db") ? `dockyard:${path}` : `model ${path}`);
    app.services.db.replicas = 2;
    expect(() => resolveApp(app, where)).toThrow(
      "dockyard:services.db.replicas must be 0 or 1 for a single-writer service (its data allows one writer), got 2",
    );
    app.services.db.replicas = 1;
    app.volumes["db-data"].size = "0";
    expect(() => resolveApp(app, where)).toThrow('model volumes.db-data.size must be more than 0, got "0"');
  });
});

/**
 * Stack config that reaches resolveApp and fails one of its checks: refused before any resource is
 * registered, named as the key. One example of each class is in ./refusals.ts (docs/refusals.md).
 */
const refusedByResolve: RefusedCase[] = [
  [
    "memory not a size",
    { services: { vote: { limits: { memory: "lots" } } } },
    'dockyard:services.vote.limits.memory must be a size like "100m", "1g" or "512Mi" (units b, k, m, g, t; binary, as in docker run --memory), got "lots"',
  ],
  [
    "an upper-case base image",
    { buildArgs: { PYTHON_IMAGE: "MyPython:3.12" } },
    `dockyard:buildArgs.PYTHON_IMAGE ${IMAGE_RULE}, got "MyPython:3.12"`,
  ],
  [
    "storage size that is no size",
    { volumes: { "db-data": { size: "5 apples" } } },
    'dockyard:volumes.db-data.size must be a storage size like "1Gi", "512Mi" or "10g" (units b, k, m, g, t; binary), got "5 apples"',
  ],
];

describe("resolveApp refuses stack config before any resource is registered", () => {
  test.each(refusedByResolve)("%s", async (_, config, message, stack = "dev") => {
    await expectRefused(config, message, stack);
  });
});

describe("stack config resolveApp accepts", () => {
  const PVC = "kubernetes:core/v1:PersistentVolumeClaim";

  test("a db-data size of 5m is a 5 MiB claim: storage has no memory minimum", async () => {
    await runProgram({ ...SECRET_CONFIG, ...CLUSTER, volumes: { "db-data": { size: "5m" } } }, "staging");
    const claims = Object.fromEntries(
      byType(PVC).map((claim) => [claim.inputs.metadata.name, claim.inputs.spec.resources.requests.storage]),
    );
    expect(claims["db-data"]).toBe("5Mi");
  });
});

describe("host paths that hand the host to a container are refused, naming the mount", () => {
  const mounting = (hostPath: string, readOnly = false) => {
    const app = votingModel({ optionA: "Cats", optionB: "Dogs" });
    app.services.worker.volumes = [{ hostPath, mountPath: "/host", readOnly }];
    return () => resolveApp(app);
  };
  // A path written otherwise than its normal form is shown as written, then as what it is.
  const NORMAL: Record<string, string> = {
    "/run/docker.sock/": "/run/docker.sock",
    "/etc/../etc/passwd": "/etc/passwd",
    "/lib64/": "/lib64",
    "/etc/../etc/shadow": "/etc/shadow",
  };
  const refusal = (hostPath: string, why: string) =>
    new InputError(
      `app "voting": services.worker.volumes[/host] hostPath ${JSON.stringify(hostPath)}${hostPath in NORMAL ? ` (that is ${JSON.stringify(NORMAL[hostPath])})` : ""} ${why}: a container that mounts it can take over the host; use a named volume of the app, or a path of its own under a data folder`,
    );

  test.each([
    ["/var/run/docker.sock", true, "is the container engine's socket"],
    ["/run/docker.sock/", false, "is the container engine's socket"],
    ["/var/run", true, "holds the container engine's socket /var/run/docker.sock"],
    ["/run/containerd", false, "holds the container engine's socket /run/containerd/containerd.sock"],
    ["/", true, "holds the container engine's socket /var/run/docker.sock"],
    ["/etc", true, "is one of the host's system folders"],
    ["/proc", true, "is one of the host's system folders"],
    ["/var/lib", true, "holds the host's /var/lib/docker"],
    ["/etc/../etc/passwd", false, "is inside the host's /etc and mounted writable (read-only files there are allowed)"],
    ["/sys/fs/cgroup", false, "is inside the host's /sys and mounted writable (read-only files there are allowed)"],
    // Other engines' sockets, wherever they are.
    ["/run/user/1000/docker.sock", true, "is a container engine's socket"],
    ["/home/ci/.docker/run/docker.sock", true, "is a container engine's socket"],
    ["/run/podman/podman.sock", true, "is a container engine's socket"],
    ["/var/run/crio/crio.sock", true, "is a container engine's socket"],
    ["/var/run/dbus/system_bus_socket", true, "is in the host's /var/run, which holds engine and system sockets"],
    ["/run/user/1000", true, "is in the host's /run, which holds engine and system sockets"],
    // The host's programs, writable.
    [
      "/usr/local/bin",
      false,
      "is in the host's programs and libraries (/usr), mounted writable, so the host would run what the container writes there (read-only is allowed)",
    ],
    [
      "/sbin",
      false,
      "is in the host's programs and libraries (/sbin), mounted writable, so the host would run what the container writes there (read-only is allowed)",
    ],
    [
      "/lib64/",
      false,
      "is in the host's programs and libraries (/lib64), mounted writable, so the host would run what the container writes there (read-only is allowed)",
    ],
    ["/boot", true, "is one of the host's system folders"],
    // Credentials, even read-only.
    ["/etc/../etc/shadow", true, "is the host's credentials (/etc/shadow), refused even read-only"],
    ["/etc/kubernetes/admin.conf", true, "is the host's credentials (/etc/kubernetes), refused even read-only"],
    ["/home/ci/.kube/config", true, "is a user's credentials (~/.kube), refused even read-only"],
    ["/home/ci/.docker/config.json", true, "is a user's credentials (~/.docker), refused even read-only"],
    ["/srv/copy/.ssh", true, "is a user's credentials (~/.ssh), refused even read-only"],
    ["/root/.aws/credentials", true, "is a user's credentials (~/.aws), refused even read-only"],
    ["/home/ci", true, "is a home folder, with credentials in it (~/.ssh, ~/.kube), refused even read-only"],
    ["/var/lib/kubelet/pki", true, "is the host's credentials (/var/lib/kubelet), refused even read-only"],
    // Where what is written runs as root: cron's and at's jobs, other engines' state, the CNI plugins.
    ["/var/spool/cron", false, "is inside the host's /var/spool and mounted writable (read-only files there are allowed)"],
    ["/var/spool", true, "is one of the host's system folders"],
    [
      "/var/lib/containers/storage",
      false,
      "is inside the host's /var/lib/containers and mounted writable (read-only files there are allowed)",
    ],
    ["/opt/cni/bin", false, "is inside the host's /opt/cni and mounted writable (read-only files there are allowed)"],
    ["/opt", true, "holds the host's /opt/cni"],
    // Credential files by name, wherever they are.
    ["/srv/keys/id_ed25519", true, "is an SSH private key, refused even read-only"],
    ["/srv/app/.docker/config.json", true, "is a Docker client's config.json, with its registry logins, refused even read-only"],
  ])("%s (read-only %s)", (hostPath, readOnly, why) => {
    expect(mounting(hostPath, readOnly)).toThrow(refusal(hostPath, why));
  });

  test("a path is judged after its symlinks too: a project link to /var/run mounts the host's sockets", () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-link-"));
    try {
      fs.symlinkSync("/var/run", path.join(folder, "hostrun"));
      fs.symlinkSync("/etc", path.join(folder, "conf"));
      const hostRun = path.join(folder, "hostrun");
      expect(mounting(hostRun, true)).toThrow(
        refusal(
          hostRun,
          `leads through symlinks to ${JSON.stringify(fs.realpathSync("/var/run"))}, which ${hostTakeover(fs.realpathSync("/var/run"), true, () => undefined)}`,
        ),
      );
      const conf = path.join(folder, "conf", "not-yet-there");
      expect(mounting(conf, false)).toThrow(
        refusal(
          conf,
          `leads through symlinks to "/etc/not-yet-there", which is inside the host's /etc and mounted writable (read-only files there are allowed)`,
        ),
      );
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  test("hostTakeover judges the resolved path it is given, as well as the path written", () => {
    expect(hostTakeover("/srv/data", true, () => "/run/docker.sock")).toBe(
      'leads through symlinks to "/run/docker.sock", which is the container engine\'s socket',
    );
    expect(hostTakeover("/srv/data", true, () => "/srv/elsewhere")).toBeUndefined();
  });

  test.each([
    ["/etc/localtime", true],
    ["/sys/fs/cgroup", true],
    ["/srv/app/data", false],
    ["/home/deploy/uploads", false],
    ["/var/lib/app", false],
    ["/usr/share/zoneinfo", true],
    ["/lib/modules", true],
    ["/opt/app/.docker/nginx.conf", true],
    ["/run/secrets/token", true],
  ])("%s (read-only %s) is a path like any other", (hostPath, readOnly) => {
    expect(mounting(hostPath, readOnly)().services.worker.volumes).toEqual([{ volume: undefined, hostPath, mountPath: "/host", readOnly }]);
  });
});

describe("checkStage: what a model may hold depends on the stage", () => {
  /** The voting app with an edit, as an app definition, laid over a stage's config. */
  const applied = (edit: Edit, values: Values = {}, stack = "staging") => {
    const definition: AppDefinition<Record<string, never>> = {
      name: "voting",
      parameters: z.strictObject({}),
      model: () => {
        const app = votingModel({ optionA: "Cats", optionB: "Dogs" });
        edit(app);
        return app;
      },
    };
    return () => applyConfig(definition, stackConfig(values, stack));
  };
  const GITHUB_TOKEN = `ghp_${"aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"}`;
  const SECRET_ENV = (variable: string) =>
    `give it as secret env instead (secretEnv: { ${variable}: "<secret>" }, one of the app's secrets), its value set with pulumi config set --secret --path secrets.<secret> <value>`;

  const COMMAND = (holder: string) =>
    `a command is as readable as the environment (docker inspect, the pod spec, the stack's state): give the credential as secret env (secretEnv, one of the app's secrets, its value set with pulumi config set --secret --path secrets.<secret> <value>) and refer to it in the command through a shell ($VAR, written $$VAR in a compose file), or have the program read it from a file (a --*-file flag), instead of the literal after ${holder}`;

  test.each<[string, Edit, string]>([
    [
      "a credential by its name (API_TOKEN)",
      (app) => (app.services.vote.env = { ...app.services.vote.env, API_TOKEN: "abc123" }),
      `${APP} services.vote.env.API_TOKEN holds a literal credential (named like one; 6 characters, not shown), allowed only in the dev stack (stack is "staging"): ${SECRET_ENV("API_TOKEN")}`,
    ],
    [
      "AWS_SECRET_ACCESS_KEY",
      (app) => (app.services.worker.env = { ...app.services.worker.env, AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG" }),
      `${APP} services.worker.env.AWS_SECRET_ACCESS_KEY holds a literal credential (named like one; 21 characters, not shown), allowed only in the dev stack (stack is "staging"): ${SECRET_ENV("AWS_SECRET_ACCESS_KEY")}`,
    ],
    [
      "a GitHub token under any name",
      (app) => (app.services.result.env = { ...app.services.result.env, GREETING: GITHUB_TOKEN }),
      `${APP} services.result.env.GREETING holds a literal credential (it looks like a GitHub token; 40 characters, not shown), allowed only in the dev stack (stack is "staging"): ${SECRET_ENV("GREETING")}`,
    ],
    [
      "a password inside a URL",
      (app) => (app.services.worker.env = { ...app.services.worker.env, DATABASE_URL: "postgres://app:hunter2@db:5432/app" }),
      `${APP} services.worker.env.DATABASE_URL holds a literal credential (it looks like a URL with a password in it; 34 characters, not shown), allowed only in the dev stack (stack is "staging"): ${SECRET_ENV("DATABASE_URL")}`,
    ],
    [
      "an npm token as a build argument (kept in the image's history)",
      (app) => {
        const image = app.services.vote.image as Extract<ImageSource, { kind: "build" }>;
        app.services.vote.image = { ...image, args: { ...image.args, NPM_TOKEN: `npm_${"a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"}` } };
      },
      `${APP} services.vote.image.args.NPM_TOKEN holds a literal credential (named like one; 40 characters, not shown), allowed only in the dev stack (stack is "staging"): a build argument stays in the image's history (docker history shows it): give the service the credential when it runs instead, as secret env (one of the app's secrets, its value set with pulumi config set --secret --path secrets.<secret> <value>), or build the image outside the stack and run it with dockyard:services.vote.image`,
    ],
    [
      "a password after a command's flag (redis-server --requirepass)",
      (app) => (app.services.redis.command = ["redis-server", "--requirepass", "S3cr3t-Redis-Passw0rd", "--appendonly", "yes"]),
      `${APP} services.redis.command holds a literal credential (the value of --requirepass; 21 characters, not shown), allowed only in the dev stack (stack is "staging"): ${COMMAND("--requirepass")}`,
    ],
    [
      "a URL with a password set in a health check's shell",
      (app) => {
        const health = app.services.worker.health ?? { command: [] };
        app.services.worker.health = { ...health, command: ["sh", "-c", "DATABASE_URL=postgres://u:pass@db/x ./check"] };
      },
      `${APP} services.worker.health.command holds a literal credential (it looks like a URL with a password in it; 22 characters, not shown), allowed only in the dev stack (stack is "staging"): ${COMMAND("DATABASE_URL=")}`,
    ],
    [
      "two credentials: the first named, the others listed",
      (app) => {
        app.services.worker.env = { ...app.services.worker.env, API_TOKEN: "abc123" };
        app.services.worker.entrypoint = ["app", "--password=hunter2"];
      },
      `${APP} services.worker.env.API_TOKEN holds a literal credential (named like one; 6 characters, not shown) (so does ${APP} services.worker.entrypoint), allowed only in the dev stack (stack is "staging"): ${SECRET_ENV("API_TOKEN")}`,
    ],
  ])("outside dev, refused: %s", (_, edit, message) => {
    expect(applied(edit)).toThrow(new InputError(message));
    // The dev stack stays lenient.
    expect(applied(edit, {}, "dev")).not.toThrow();
  });

  test("a build argument the stack config sets is named by its key", () => {
    expect(applied(() => undefined, { buildArgs: { PYTHON_IMAGE: "AKIAIOSFODNN7EXAMPLE" } })).toThrow(
      new InputError(
        `dockyard:buildArgs.PYTHON_IMAGE holds a literal credential (it looks like an AWS access key ID; 20 characters, not shown), allowed only in the dev stack (stack is "staging"): a build argument stays in the image's history (docker history shows it): give the service the credential when it runs instead, as secret env (one of the app's secrets, pulumi config set --secret --path secrets.<secret> <value>), or build the image outside the stack and run it with dockyard:services.vote.image`,
      ),
    );
  });

  test.each([
    ["TOKEN_URL", "https://auth.example.com/token"],
    ["POSTGRES_PASSWORD_FILE", "/run/secrets/db-password"],
    ["PASSWORD_MIN_LENGTH", "8"],
    ["DB_PASSWORD", "${DB_PASSWORD}"],
    ["API_KEY", ""],
    ["GIT_SHA", "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"],
    ["REQUEST_ID_FORMAT", "123e4567-e89b-12d3-a456-426614174000"],
    ["JAVA_OPTS", "-Xmx512m -XX:+UseG1GC"],
    ["PWD", "/app"],
  ])("outside dev, %s=%s is no credential", (variable, value) => {
    expect(applied((app) => (app.services.vote.env = { ...app.services.vote.env, [variable]: value }))).not.toThrow();
  });

  test.each([
    [["redis-server", "--requirepass", "$REDIS_PASSWORD"]],
    [["sh", "-c", 'redis-server --requirepass "${REDIS_PASSWORD}"']],
    [["app", "--password-file", "/run/secrets/db-password"]],
    [["app", "--token-ttl", "3600", "--auth"]],
    [["python3", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000')"]],
  ])("outside dev, the command %j holds no credential", (command) => {
    expect(applied((app) => (app.services.vote.command = command))).not.toThrow();
  });

  test("on Kubernetes, a rollout watching each batch as long as the rollout may take is refused, naming both keys", () => {
    const watched =
      (seconds: number): Edit =>
      (app) =>
        (app.services.vote.rollout = { monitorSeconds: seconds });
    expect(applied(watched(600), CLUSTER)).toThrow(
      new InputError(
        `${APP} services.vote.rollout.monitorSeconds 600 must be less than dockyard:rolloutTimeout (600) on target kubernetes: a pod counts as available only after it has been ready that long, and a Deployment's progress deadline must be longer; lower it, or raise dockyard:rolloutTimeout`,
      ),
    );
    expect(applied(watched(600), { ...CLUSTER, rolloutTimeout: "900" })).not.toThrow();
    expect(applied(watched(600), { target: "swarm" })).not.toThrow();
  });
});
