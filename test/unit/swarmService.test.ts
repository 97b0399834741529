/** The swarm Service component (components/swarm/service.ts) and the durations it writes (components/swarm/duration.ts). */
import { ValidationError } from "../../components/errors";
import { SwarmService, SwarmServiceArgs, swarmDuration, validateSwarmServiceArgs } from "../../components/swarm";
import { byType, settle, setupMocks } from "./mocks";

describe("the Service component refuses a strategy or restart policy the engine cannot take", () => {
  const base: SwarmServiceArgs = { name: "voting-dev-worker", image: "voting-worker:dev", convergeTimeoutSeconds: 60 };
  test.each<[Partial<SwarmServiceArgs>, string]>([
    [{ update: { parallelism: -1 } }, "update.parallelism must be a whole number of 0 or more, got -1"],
    [{ update: { delaySeconds: 0.5 } }, "update.delaySeconds must be a whole number of 0 or more, got 0.5"],
    [{ update: { maxFailureRatio: 1.2 } }, "update.maxFailureRatio must be from 0 to 1 in tenths (the engine keeps one decimal), got 1.2"],
    [{ update: { failureAction: "retry" as never } }, 'update.failureAction must be one of rollback, pause, continue, got "retry"'],
    [{ rollback: { failureAction: "rollback" as never } }, 'rollback.failureAction must be one of pause, continue, got "rollback"'],
    [{ rollback: { order: "blue-green" as never } }, 'rollback.order must be one of start-first, stop-first, got "blue-green"'],
    [{ rollback: { monitorSeconds: -1 } }, "rollback.monitorSeconds must be a whole number of 0 or more, got -1"],
    [{ updateOrder: "blue-green" as never }, 'updateOrder must be one of start-first, stop-first, got "blue-green"'],
    [{ monitorSeconds: 2.5 }, "monitorSeconds must be a whole number of 0 or more, got 2.5"],
    [{ restart: { condition: "always" as never } }, 'restart.condition must be one of any, on-failure, none, got "always"'],
    [{ restart: { delaySeconds: -5 } }, "restart.delaySeconds must be a whole number of 0 or more, got -5"],
    [{ restart: { maxAttempts: 1.5 } }, "restart.maxAttempts must be a whole number of 0 or more, got 1.5"],
    [{ restart: { windowSeconds: -1 } }, "restart.windowSeconds must be a whole number of 0 or more, got -1"],
    [{ maxReplicasPerNode: -1 }, "maxReplicasPerNode must be a whole number of 0 or more, got -1"],
    [
      { ports: [{ containerPort: 80, publishedPort: 8080, publishMode: "ingress" }] },
      "port 8080/tcp publishMode ingress needs endpointMode vip (a dnsrr service has no virtual IP for the routing mesh), got endpointMode dnsrr",
    ],
    [
      { ports: [{ containerPort: 80, publishedPort: 8080, publishMode: "mesh" as never }] },
      'port 8080/tcp publishMode must be host or ingress, got "mesh"',
    ],
    [
      { name: "voting-eu.prod-db" },
      'name must be 1-63 letters, digits and dashes, not starting or ending with a dash, got "voting-eu.prod-db"',
    ],
  ])("%j", (args, message) => {
    expect(() => validateSwarmServiceArgs("worker", { ...base, ...args })).toThrow(new ValidationError(`Service "worker": ${message}`));
  });

  test("a ratio in tenths, whole seconds and known words pass, written as the engine reads them back", async () => {
    await setupMocks({});
    new SwarmService("worker", {
      ...base,
      update: { parallelism: 0, delaySeconds: 10, maxFailureRatio: 0.3, failureAction: "continue" },
      rollback: { parallelism: 2, order: "stop-first", monitorSeconds: 0, maxFailureRatio: 1, failureAction: "continue" },
      restart: { condition: "none", delaySeconds: 0, maxAttempts: 3, windowSeconds: 120 },
    });
    await settle();
    const services = byType("docker:index/service:Service");
    expect(services).toHaveLength(1);
    const { updateConfig, rollbackConfig, taskSpec } = services[0].inputs;
    expect([updateConfig, rollbackConfig, taskSpec.restartPolicy]).toEqual([
      { parallelism: 0, delay: "10s", monitor: "5s", maxFailureRatio: "0.3", order: "stop-first", failureAction: "continue" },
      { parallelism: 2, delay: "10s", monitor: "0s", maxFailureRatio: "1.0", order: "stop-first", failureAction: "continue" },
      { condition: "none", delay: "0s", maxAttempts: 3, window: "2m" },
    ]);
  });
});

describe("a published port's mode: its own, else the endpoint mode's", () => {
  test("host on a vip service, and the endpoint mode's default beside it", async () => {
    await setupMocks({});
    new SwarmService("web", {
      name: "shop-dev-web",
      image: "nginx:1.27",
      convergeTimeoutSeconds: 60,
      endpointMode: "vip",
      ports: [
        { containerPort: 80, publishedPort: 8080, publishMode: "host" },
        { containerPort: 443, publishedPort: 8443 },
      ],
    });
    await settle();
    const services = byType("docker:index/service:Service");
    expect(services).toHaveLength(1);
    expect(services[0].inputs.endpointSpec).toEqual({
      mode: "vip",
      ports: [
        { targetPort: 80, publishedPort: 8080, protocol: "tcp", publishMode: "host" },
        { targetPort: 443, publishedPort: 8443, protocol: "tcp", publishMode: "ingress" },
      ],
    });
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
