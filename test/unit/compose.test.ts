/** A compose file as the app: the voting app written as compose resolves to exactly the typed app. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { checkHostIps, readCompose } from "../../stacks/compose/app";
import { InputError, inModel } from "../../stacks/errors";
import { DockerPlan, planDocker } from "../../stacks/targets/docker";
import { KubernetesPlan, planKubernetes } from "../../stacks/targets/kubernetes";
import { stackConfig } from "./stage";
import { resolveApp } from "../../stacks/resolve";
import { votingModel } from "../../stacks/votingApp";

test("examples/voting-compose.yaml resolves to exactly the voting app of stacks/votingApp.ts", () => {
  const { model, report } = readCompose({ file: "examples/voting-compose.yaml" }, "dev");
  expect(resolveApp(model)).toEqual(resolveApp(votingModel({ optionA: "Cats", optionB: "Dogs" })));
  expect(report).toEqual([
    {
      path: "secrets.db-password.environment",
      disposition: "changed",
      note: "not read: the value is the stack's secret dockyard:secrets.db-password (pulumi config set --secret --path secrets.db-password <value>)",
    },
  ]);
});

describe("a compose service others depend on must declare its port on Kubernetes", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-compose-"));
  const write = (redis: string) =>
    fs.writeFileSync(
      path.join(dir, "compose.yaml"),
      `name: shop\nservices:\n  web:\n    image: nginx:1.27\n    ports: ["8080:80"]\n    depends_on: [redis]\n  redis:\n    image: redis:7.4\n${redis}`,
    );
  const plan = (target: "docker" | "kubernetes") => {
    const { model } = readCompose({ file: "compose.yaml" }, "dev", dir);
    // Pod Security "baseline": the redis and nginx images run as root, which is beside this test's point.
    const config = stackConfig({ target, secrets: {}, ...(target === "kubernetes" ? { podSecurity: "baseline" } : {}) }, "dev");
    const app = resolveApp(model, inModel("shop"));
    return target === "docker" ? planDocker(app, config, inModel("shop")) : planKubernetes(app, config, inModel("shop"));
  };

  test("refused on kubernetes with the fix, accepted on docker (the network alias reaches it)", () => {
    write("");
    expect(() => plan("kubernetes")).toThrow(
      new InputError(
        'app "shop": services.redis.ports cannot be honoured on target kubernetes (web depends on "redis", but it declares no port, so no Service makes it reachable by name); declare the port it listens on (compose: expose: ["6379"])',
      ),
    );
    // On docker, redis is reached by its network alias, its name, without a declared port.
    const redis = (plan("docker") as DockerPlan).containers.find((container) => container.service === "redis");
    expect([redis?.args.ports, redis?.args.networks]).toEqual([[], [{ name: "shop-dev-default", aliases: ["redis"] }]]);
  });

  test('with expose: ["6379"] it gets a Service port', () => {
    write('    expose: ["6379"]\n');
    const deployment = (plan("kubernetes") as KubernetesPlan).deployments.find((d) => d.service === "redis");
    expect(deployment?.args.ports).toEqual([
      { name: "tcp-6379", containerPort: 6379, protocol: "tcp", published: false, servicePort: 6379 },
    ]);
  });
});

describe("the stack file form: examples/voting-stack.yaml", () => {
  test("converts to the compose form's model plus its deploy keys, exactly", () => {
    const { model, report } = readCompose({ file: "examples/voting-stack.yaml" }, "dev");
    const { model: compose } = readCompose({ file: "examples/voting-compose.yaml" }, "dev");
    const restartOnFailure = { condition: "on-failure" };
    const reserved = { cpus: 0.1, memory: "64m" };
    const twoAtATime = { parallelism: 2, delaySeconds: 10 };
    expect(model).toEqual({
      ...compose,
      services: {
        db: {
          ...compose.services.db,
          placement: { constraints: ["node.role == manager"] },
          restart: { condition: "any", delaySeconds: 5 },
          reservations: { cpus: 0.25, memory: "256m" },
        },
        redis: { ...compose.services.redis, replicas: 1, rollout: twoAtATime, restart: restartOnFailure, reservations: reserved },
        result: {
          ...compose.services.result,
          replicas: 1,
          rollout: { ...twoAtATime, rollback: { parallelism: 1, failureAction: "continue" } },
          restart: restartOnFailure,
          reservations: reserved,
        },
        vote: { ...compose.services.vote, replicas: 1, rollout: twoAtATime, restart: restartOnFailure, reservations: reserved },
        worker: {
          ...compose.services.worker,
          replicas: 1,
          rollout: {
            parallelism: 2,
            delaySeconds: 5,
            order: "start-first",
            failureAction: "rollback",
            monitorSeconds: 10,
            rollback: { parallelism: 1, delaySeconds: 0, failureAction: "pause" },
          },
          restart: { condition: "on-failure", delaySeconds: 10, maxAttempts: 3, windowSeconds: 120 },
          placement: { constraints: ["node.role == manager"] },
          reservations: reserved,
        },
      },
    });
    const leftOut =
      "order and failure_action not given, dockyard's default applies: order start-first where two tasks can run at once, else stop-first (swarm's default: stop-first); failure_action rollback (swarm's default: pause)";
    const noRollback =
      "not given: a rollback replaces tasks as update_config does, then pauses if it fails (swarm's default: one at a time, stop-first)";
    expect(report.map((line) => [line.path, line.disposition, line.note])).toEqual([
      [
        "secrets.db-password.environment",
        "changed",
        "not read: the value is the stack's secret dockyard:secrets.db-password (pulumi config set --secret --path secrets.db-password <value>)",
      ],
      ["services.redis.deploy.update_config", "changed", leftOut],
      ["services.redis.deploy.rollback_config", "changed", noRollback],
      ["services.result.deploy.update_config", "changed", leftOut],
      ["services.vote.deploy.update_config", "changed", leftOut],
      ["services.vote.deploy.rollback_config", "changed", noRollback],
      ["services.worker.deploy.labels", "ignored", "service labels are dockyard's own (dockyard.app, dockyard.stack, dockyard.service)"],
    ]);
  });

  test("on docker and kubernetes, what has no meaning there is warned about, one line per field", () => {
    const { model } = readCompose({ file: "examples/voting-stack.yaml" }, "dev");
    const app = resolveApp(model);
    const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      // Planning logs nothing: the warnings are the plan's, for the deploy step to log.
      const docker = planDocker(app, stackConfig({ target: "docker" }, "dev"), inModel("voting")).warnings;
      const k8s = planKubernetes(app, stackConfig({ target: "kubernetes", registry: "localhost:5000" }, "dev"), inModel("voting"));
      const kubernetes = k8s.warnings;
      expect(warn).not.toHaveBeenCalled();
      expect(docker).toEqual([
        'app "voting": services.db.reservations is ignored on target docker: one engine runs every container; only the limits apply',
        'app "voting": services.db.placement is ignored on target docker: one engine runs every container',
        'app "voting": services.redis.rollout is ignored on target docker: an up replaces a changed container by removing it and creating it again under its name; Docker has no update strategy',
        'app "voting": services.redis.reservations is ignored on target docker: one engine runs every container; only the limits apply',
        'app "voting": services.result.rollout is ignored on target docker: an up replaces a changed container by removing it and creating it again under its name; Docker has no update strategy',
        'app "voting": services.result.reservations is ignored on target docker: one engine runs every container; only the limits apply',
        'app "voting": services.vote.rollout is ignored on target docker: an up replaces a changed container by removing it and creating it again under its name; Docker has no update strategy',
        'app "voting": services.vote.reservations is ignored on target docker: one engine runs every container; only the limits apply',
        'app "voting": services.worker.rollout is ignored on target docker: an up replaces a changed container by removing it and creating it again under its name; Docker has no update strategy',
        'app "voting": services.worker.reservations is ignored on target docker: one engine runs every container; only the limits apply',
        'app "voting": services.worker.placement is ignored on target docker: one engine runs every container',
        'app "voting": services.worker.restart.delaySeconds is ignored on target docker: Docker waits 100 ms before a restart, doubling each time',
        'app "voting": services.worker.restart.windowSeconds is ignored on target docker: Docker counts every restart',
      ]);
      expect(kubernetes).toEqual([
        'app "voting": services.db.placement.constraints "node.role == manager" is ignored on target kubernetes: only node.labels.<name>, node.hostname and node.platform.os with == become a nodeSelector; the pods may run on any node',
        'app "voting": services.redis.rollout.delaySeconds is ignored on target kubernetes: a Deployment replaces its pods without a pause between batches',
        "app \"voting\": services.redis.restart.condition is ignored on target kubernetes: a Deployment's pods always restart, with the kubelet's growing back-off (10 s doubling to 5 min)",
        'app "voting": services.result.rollout.delaySeconds is ignored on target kubernetes: a Deployment replaces its pods without a pause between batches',
        'app "voting": services.result.rollout.rollback is ignored on target kubernetes: a rollback (kubectl rollout undo) replaces pods with the Deployment\'s one strategy',
        "app \"voting\": services.result.restart.condition is ignored on target kubernetes: a Deployment's pods always restart, with the kubelet's growing back-off (10 s doubling to 5 min)",
        'app "voting": services.vote.rollout.delaySeconds is ignored on target kubernetes: a Deployment replaces its pods without a pause between batches',
        "app \"voting\": services.vote.restart.condition is ignored on target kubernetes: a Deployment's pods always restart, with the kubelet's growing back-off (10 s doubling to 5 min)",
        'app "voting": services.worker.rollout.delaySeconds is ignored on target kubernetes: a Deployment replaces its pods without a pause between batches',
        'app "voting": services.worker.rollout.rollback is ignored on target kubernetes: a rollback (kubectl rollout undo) replaces pods with the Deployment\'s one strategy',
        'app "voting": services.worker.placement.constraints "node.role == manager" is ignored on target kubernetes: only node.labels.<name>, node.hostname and node.platform.os with == become a nodeSelector; the pods may run on any node',
        "app \"voting\": services.worker.restart.condition is ignored on target kubernetes: a Deployment's pods always restart, with the kubelet's growing back-off (10 s doubling to 5 min)",
        "app \"voting\": services.worker.restart.delaySeconds is ignored on target kubernetes: a Deployment's pods always restart, with the kubelet's growing back-off (10 s doubling to 5 min)",
        "app \"voting\": services.worker.restart.maxAttempts is ignored on target kubernetes: a Deployment's pods always restart, with the kubelet's growing back-off (10 s doubling to 5 min)",
        "app \"voting\": services.worker.restart.windowSeconds is ignored on target kubernetes: a Deployment's pods always restart, with the kubelet's growing back-off (10 s doubling to 5 min)",
      ]);
      const deployment = (name: string) => k8s.deployments.find((d) => d.service === name)?.args;
      // Reservations are requests; an update two at a time adds two pods first; the model's 5 s monitor is minReadySeconds.
      expect(deployment("vote")).toMatchObject({
        requestCpus: 0.1,
        requestMemory: "64m",
        maxSurge: "2",
        maxUnavailable: "0",
        minReadySeconds: 5,
      });
      expect(deployment("worker")).toMatchObject({ maxSurge: "2", maxUnavailable: "0", minReadySeconds: 10 });
      // A single writer is recreated whatever the rollout says.
      expect([deployment("redis")?.maxSurge, deployment("redis")?.maxUnavailable, deployment("redis")?.singleWriter]).toEqual([
        undefined,
        undefined,
        true,
      ]);
      expect(deployment("db")?.nodeSelector).toBeUndefined();
    } finally {
      warn.mockRestore();
    }
  });
});

describe("bad deploy values are refused with the file, the service, the key, the value and what is allowed", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-deploy-"));
  const write = (lines: string[]) => fs.writeFileSync(path.join(dir, "compose.yaml"), ["name: shop", "services:", ...lines].join("\n"));

  test("what compose alone cannot say is refused by the conversion, every refusal at once", () => {
    write([
      "  web:",
      "    image: nginx:1.27",
      "    deploy:",
      "      mode: global",
      "      update_config: { delay: 1.5s, speed: 3 }",
      "      restart_policy: { window: soon }",
      "      resources:",
      "        reservations: { devices: [] }",
      "  db:",
      "    image: postgres:15",
      "    deploy:",
      "      mode: global-job",
    ]);
    expect(() => readCompose({ file: "compose.yaml" }, "dev", dir)).toThrow(
      [
        "6 keys of compose.yaml cannot be deployed:",
        '  compose.yaml: services.db.deploy.mode "global-job" cannot be deployed: services run replicated (jobs and global services have no counterpart); use mode: replicated',
        "  compose.yaml: services.web.deploy.update_config.speed is not a compose update_config key dockyard knows (a typo, or a key of a newer compose spec); remove it (allowed: delay, failure_action, max_failure_ratio, monitor, order, parallelism)",
        "  compose.yaml: services.web.deploy.resources.reservations.devices cannot be deployed: devices and generic resources are not passed through",
        "  compose.yaml: services.web.deploy.mode global cannot be deployed: a global service runs one task on every node, which the app model has no word for; use mode: replicated with replicas set to the number of nodes and placement.max_replicas_per_node: 1",
        '  compose.yaml: services.web.deploy.update_config.delay "1.5s" (1.5 s) is not a whole number of seconds, which every target needs; round it to whole seconds',
        '  compose.yaml: services.web.deploy.restart_policy.window "soon" must be a duration like "30s", "1m30s", "0.5m" or "2h"',
      ].join("\n"),
    );
  });

  // The model's rules are resolveApp's; its message names the compose file and key.
  test.each([
    [
      "update_config: { parallelism: -1 }",
      "services.web.deploy.update_config.parallelism must be a whole number from 0 to 1000 (copies replaced at a time, at most the most copies of a service), got -1",
    ],
    [
      "update_config: { order: blue-green }",
      'services.web.deploy.update_config.order must be one of "start-first", "stop-first", got "blue-green"',
    ],
    [
      "update_config: { failure_action: retry }",
      'services.web.deploy.update_config.failure_action must be one of "rollback", "pause", "continue", got "retry"',
    ],
    [
      "update_config: { max_failure_ratio: 2 }",
      "services.web.deploy.update_config.max_failure_ratio must be a share from 0 to 1 (0.2 for one in five), got 2",
    ],
    [
      "rollback_config: { failure_action: rollback }",
      'services.web.deploy.rollback_config.failure_action must be one of "pause", "continue", got "rollback"',
    ],
    [
      "placement: { constraints: [node.role = manager] }",
      'services.web.deploy.placement.constraints[0] must be node.<attribute> == value or != value, the attribute one of id, hostname, role, platform.os, platform.arch, labels.<name> ("node.role == manager"), got "node.role = manager"',
    ],
    [
      "placement: { max_replicas_per_node: 1.5 }",
      "services.web.deploy.placement.max_replicas_per_node must be a whole number from 0 to 1000 (copies on one node, at most the most copies of a service), got 1.5",
    ],
    [
      "restart_policy: { condition: always }",
      'services.web.deploy.restart_policy.condition must be one of "any", "on-failure", "none", got "always"',
    ],
    [
      "restart_policy: { max_attempts: -2 }",
      "services.web.deploy.restart_policy.max_attempts must be a whole number from 0 to 2147483647 (the engines count in 32 bits), got -2",
    ],
    ["endpoint_mode: ingress", 'services.web.deploy.endpoint_mode must be "dnsrr" or "vip", got "ingress"'],
    [
      "resources: { limits: { cpus: '0.5', memory: 128m }, reservations: { cpus: '1' } }",
      "services.web.deploy.resources.reservations.cpus 1 is more than the CPU limit (0.5): a copy cannot reserve more than it may use; lower it or raise limits.cpus",
    ],
    [
      "resources: { limits: { cpus: '0.5', memory: 128m }, reservations: { memory: 256m } }",
      "services.web.deploy.resources.reservations.memory 256m is more than the memory limit (128m): a copy cannot reserve more than it may use; lower it or raise limits.memory",
    ],
    [
      "resources: { limits: { cpus: abc } }",
      'services.web.deploy.resources.limits.cpus must be a number of CPUs greater than 0, like 0.5 or 2, got "abc"',
    ],
    [
      "resources: { reservations: { memory: 1x } }",
      'services.web.deploy.resources.reservations.memory must be a size like "100m", "1g" or "512Mi" (units b, k, m, g, t; binary, as in docker run --memory), got "1x"',
    ],
  ])("deploy: %s", (deploy, message) => {
    write(["  web:", "    image: nginx:1.27", "    deploy:", `      ${deploy}`]);
    const { model, where } = readCompose({ file: "compose.yaml" }, "dev", dir);
    expect(() => resolveApp(model, where)).toThrow(new InputError(`compose.yaml: ${message}`));
  });

  test("start-first on a single writer: resolveApp names the compose key", () => {
    write([
      "  db:",
      "    image: postgres:15",
      "    deploy:",
      "      update_config: { order: start-first }",
      "    x-dockyard: { singleWriter: true }",
    ]);
    const { model, where } = readCompose({ file: "compose.yaml" }, "dev", dir);
    expect(() => resolveApp(model, where)).toThrow(
      new InputError(
        'compose.yaml: services.db.deploy.update_config.order cannot be "start-first" on a single-writer service: the new copy would write its data while the old one still does; use "stop-first", or leave order out',
      ),
    );
  });

  test("stop_grace_period: a duration in whole seconds; one out of range is named by its compose key and shown as written", () => {
    write([
      "  web:",
      "    image: nginx:1.27",
      "    stop_grace_period: 1m30s",
      "  api:",
      "    image: nginx:1.27",
      "    stop_grace_period: 2h",
    ]);
    expect(() => readCompose({ file: "compose.yaml" }, "dev", dir)).toThrow(
      new InputError(
        'compose.yaml: services.api.stop_grace_period must be a whole number of seconds from 0 to 3600 (an up waits that long for each copy it replaces), got "2h" (7200 s)',
      ),
    );
    write([
      "  web:",
      "    image: nginx:1.27",
      "    stop_grace_period: 1m30s",
      "  api:",
      "    image: nginx:1.27",
      "    stop_grace_period: 0.5h",
    ]);
    const { model } = readCompose({ file: "compose.yaml" }, "dev", dir);
    expect([model.services.web.stopGracePeriodSeconds, model.services.api.stopGracePeriodSeconds]).toEqual([90, 1800]);
    write(["  web:", "    image: nginx:1.27", "    stop_grace_period: soon"]);
    expect(() => readCompose({ file: "compose.yaml" }, "dev", dir)).toThrow(
      'compose.yaml: services.web.stop_grace_period "soon" must be a duration like "30s", "1m30s", "0.5m" or "2h"',
    );
  });

  test("the older cpus and scale keys are named as written", () => {
    write(["  web:", "    image: nginx:1.27", "    cpus: -1", "    scale: 2", "    x-dockyard: { singleWriter: true }"]);
    const { model, where } = readCompose({ file: "compose.yaml" }, "dev", dir);
    expect(() => resolveApp(model, where)).toThrow(
      new InputError("compose.yaml: services.web.scale must be 0 or 1 for a single-writer service (its data allows one writer), got 2"),
    );
  });

  test("endpoint_mode and max_replicas_per_node reach the model; placement.preferences is ignored with its note", () => {
    fs.writeFileSync(
      path.join(dir, "compose.yaml"),
      [
        "name: shop",
        "services:",
        "  web:",
        "    image: nginx:1.27",
        "    deploy:",
        "      endpoint_mode: vip",
        "      placement: { max_replicas_per_node: 2, preferences: [{ spread: node.labels.zone }] }",
        "      resources: { limits: { cpus: '0.5', memory: 128m } }",
      ].join("\n"),
    );
    const { model, report } = readCompose({ file: "compose.yaml" }, "dev", dir);
    expect([model.services.web.endpointMode, model.services.web.placement]).toEqual(["vip", { maxReplicasPerNode: 2 }]);
    expect(report.filter((line) => line.path.startsWith("services.web.deploy"))).toEqual([
      {
        path: "services.web.deploy.placement.preferences",
        disposition: "ignored",
        note: "spread preferences are not applied; the scheduler spreads tasks over the nodes by itself",
      },
    ]);
  });
});

describe("what the file asks is honoured or refused, never silently different (found by test/unit/adversarial.test.ts)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-compose-"));
  const read = (service: string) => {
    fs.writeFileSync(path.join(dir, "compose.yaml"), `name: shop\nservices:\n  db:\n    image: postgres:16\n${service}`);
    return readCompose({ file: "compose.yaml" }, "dev", dir);
  };
  const stage = (values: Record<string, string>) => stackConfig({ secrets: {}, registry: "localhost:5000", ...values }, "dev");
  const hostIpRefusal = (values: Record<string, string>) => {
    try {
      checkHostIps(read('    ports: ["127.0.0.1:5432:5432"]\n'), "compose.yaml", stage(values));
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return (error as Error).message;
    }
    return "accepted";
  };

  test.each([
    [{ target: "docker", bindAddress: "127.0.0.1" }, "accepted"],
    [
      { target: "docker", bindAddress: "0.0.0.0" },
      'compose.yaml: services.db.ports[0] binds to 127.0.0.1, but published ports bind to dockyard:bindAddress "0.0.0.0" here: set dockyard:bindAddress to 127.0.0.1, or remove the host IP from the port to publish it as the stage does',
    ],
    [
      { target: "swarm" },
      "compose.yaml: services.db.ports[0] binds to 127.0.0.1, but target swarm publishes ports on every interface of its nodes: use target docker, or remove the host IP from the port to publish it as the stage does",
    ],
    [{ target: "kubernetes" }, "accepted"],
    [
      { target: "kubernetes", serviceType: "LoadBalancer" },
      "compose.yaml: services.db.ports[0] binds to 127.0.0.1, but dockyard:serviceType LoadBalancer publishes it on every node: use serviceType ClusterIP, or remove the host IP from the port to publish it as the stage does",
    ],
  ])("a 127.0.0.1 port on %j: %s", (values, message) => {
    expect(hostIpRefusal(values)).toBe(message);
  });

  test.each([
    ["no", { condition: "none" }, "no"],
    ["always", { condition: "any" }, "unless-stopped"],
    ["unless-stopped", { condition: "any" }, "unless-stopped"],
    ["on-failure", { condition: "on-failure" }, "on-failure"],
    ["on-failure:3", { condition: "on-failure", maxAttempts: 3 }, "on-failure"],
  ])("restart: %s is the model's %j and Docker's %s", (restart, model, docker) => {
    const { model: app, where } = read(`    restart: "${restart}"\n`);
    expect(app.services.db.restart).toEqual(model);
    const planned = planDocker(resolveApp(app, where), stage({ target: "docker" }), where);
    expect(planned.containers[0].args.restart).toBe(docker);
  });

  test("deploy.restart_policy wins over restart:, which is reported", () => {
    const { model, report } = read('    restart: "no"\n    deploy: { restart_policy: { condition: any } }\n');
    expect(model.services.db.restart).toEqual({ condition: "any" });
    expect(report.find((line) => line.path === "services.db.restart")).toEqual({
      path: "services.db.restart",
      disposition: "ignored",
      note: "deploy.restart_policy is used instead, as docker compose does",
    });
  });

  test.each([
    [
      '    healthcheck: { test: "" }\n',
      'compose.yaml: services.db.healthcheck.test "" runs no command, so the service would always count as healthy: give the command the check runs, like ["CMD", "curl", "-f", "http://localhost"]',
    ],
    [
      "    healthcheck: { interval: 10s }\n",
      'compose.yaml: services.db.healthcheck.test is required: give the command the check runs, like ["CMD", "curl", "-f", "http://localhost"], or disable: true',
    ],
    [
      "    volumes:\n      - { type: bind, source: /srv, target: /srv, bind: { propagation: rshared } }\n",
      'compose.yaml: services.db.volumes[0].bind.propagation "rshared" cannot be honoured: bind mounts get the engine\'s default propagation, rprivate (mounts made later on the host or in the container stay on their side), and no target here sets another; remove it (rprivate is accepted)',
    ],
  ])("%j is refused", (service, message) => {
    expect(() => read(service)).toThrow(new InputError(message));
  });

  test("a top-level volume that is not a mapping: what it must be, not the parser's words", () => {
    expect(() => read("volumes:\n  data: 5\n")).toThrow(new InputError("compose.yaml: volumes.data must be a mapping, or empty, got 5"));
  });
});

describe("durations past what an engine takes or an up would wait are refused, named by their compose key", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-durations-"));
  const resolved = (service: string) => () => {
    fs.writeFileSync(path.join(dir, "compose.yaml"), `name: shop\nservices:\n  web:\n    image: nginx:1.27\n${service}`);
    const { model, where } = readCompose({ file: "compose.yaml" }, "dev", dir);
    return resolveApp(model, where);
  };

  test.each([
    [
      '    healthcheck: { test: ["CMD", "true"], interval: 0s }\n',
      'compose.yaml: services.web.healthcheck.interval must be a whole number of seconds from 1 to 86400 (a day), got "0s" (0 s)',
    ],
    [
      '    healthcheck: { test: ["CMD", "true"], start_period: 48h }\n',
      'compose.yaml: services.web.healthcheck.start_period must be a whole number of seconds from 0 to 86400 (a day), got "48h" (172800 s)',
    ],
    [
      "    deploy: { update_config: { monitor: 2h } }\n",
      'compose.yaml: services.web.deploy.update_config.monitor must be a whole number of seconds from 0 to 3600 (an hour watching each batch), got "2h" (7200 s)',
    ],
    [
      "    deploy: { rollback_config: { delay: 99h } }\n",
      'compose.yaml: services.web.deploy.rollback_config.delay must be a whole number of seconds from 0 to 3600 (an hour between batches), got "99h" (356400 s)',
    ],
    [
      // Past int64 nanoseconds: Go's time.ParseDuration, which compose-go reads durations with, refuses it.
      "    deploy: { rollback_config: { delay: 99999999h } }\n",
      'compose.yaml: services.web.deploy.rollback_config.delay "99999999h" must be a duration like "30s", "1m30s", "0.5m" or "2h"',
    ],
    [
      "    deploy: { restart_policy: { window: 25h } }\n",
      'compose.yaml: services.web.deploy.restart_policy.window must be a whole number of seconds from 0 to 86400 (a day), got "25h" (90000 s)',
    ],
  ])("%j", (service, message) => {
    expect(resolved(service)).toThrow(new InputError(message));
  });

  test("1h30m for stop_grace_period is shown as written, with its seconds", () => {
    expect(resolved("    stop_grace_period: 1h30m\n")).toThrow(
      new InputError(
        'compose.yaml: services.web.stop_grace_period must be a whole number of seconds from 0 to 3600 (an up waits that long for each copy it replaces), got "1h30m" (5400 s)',
      ),
    );
  });

  test("Go durations as compose-go reads them: fractions of a unit and every unit, in exact seconds", () => {
    const app = resolved(
      '    healthcheck: { test: ["CMD", "true"], interval: 1.5m, timeout: 2500ms500000us, start_period: "0.5m" }\n    stop_grace_period: .25h\n    deploy: { update_config: { delay: 0.5s500ms, monitor: 1000000000ns } }\n',
    )();
    expect([
      app.services.web.health?.intervalSeconds,
      app.services.web.health?.timeoutSeconds,
      app.services.web.health?.startPeriodSeconds,
      app.services.web.stopGracePeriodSeconds,
      app.services.web.rollout?.delaySeconds,
      app.services.web.rollout?.monitorSeconds,
    ]).toEqual([90, 3, 30, 900, 1, 1]);
  });

  test.each([
    ["1.5s", '"1.5s" (1.5 s) is not a whole number of seconds, which every target needs; round it to whole seconds'],
    ["30", '"30" must be a duration like "30s", "1m30s", "0.5m" or "2h"'],
    ["1d", '"1d" must be a duration like "30s", "1m30s", "0.5m" or "2h"'],
    ["5 s", '"5 s" must be a duration like "30s", "1m30s", "0.5m" or "2h"'],
  ])("stop_grace_period %s is refused as compose-go refuses it, or as not whole", (value, message) => {
    expect(resolved(`    stop_grace_period: "${value}"\n`)).toThrow(
      new InputError(`compose.yaml: services.web.stop_grace_period ${message}`),
    );
  });

  test("at their bounds they are accepted", () => {
    const app = resolved(
      '    healthcheck: { test: ["CMD", "true"], interval: 24h, timeout: 1s, start_period: 0s }\n    deploy: { update_config: { delay: 1h, monitor: 0s } }\n',
    )();
    expect([app.services.web.health?.intervalSeconds, app.services.web.rollout?.delaySeconds]).toEqual([86400, 3600]);
  });
});

describe("literal credentials in the file are refused outside the dev stack, by name or by value, never shown", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-literal-"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM nginx:1.27\n");
  const read = (service: string, stack = "prod") => {
    fs.writeFileSync(path.join(dir, "compose.yaml"), `name: shop\nservices:\n  web:\n    image: nginx:1.27\n${service}`);
    return () => readCompose({ file: "compose.yaml" }, stack, dir);
  };
  const GITHUB_TOKEN = `ghp_${"aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"}`;
  const AT_RUN_TIME = (variable: string) =>
    `declare a top-level secret, list it under the service's secrets:, set ${variable}_FILE: /run/secrets/<secret>, and give its value with pulumi config set --secret --path secrets.<secret> <value>`;

  test.each([
    [
      `    environment: { GREETING: ${GITHUB_TOKEN} }\n`,
      `compose.yaml: services.web.environment.GREETING holds a literal credential (it looks like a GitHub token; 40 characters, not shown), allowed only in the dev stack (stack is "prod"): ${AT_RUN_TIME("GREETING")}`,
    ],
    [
      "    environment: [AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG]\n",
      `compose.yaml: services.web.environment.AWS_SECRET_ACCESS_KEY holds a literal credential (named like one; 21 characters, not shown), allowed only in the dev stack (stack is "prod"): ${AT_RUN_TIME("AWS_SECRET_ACCESS_KEY")}`,
    ],
    [
      "    build: { context: ., args: { NPM_TOKEN: abc123 } }\n",
      `compose.yaml: services.web.build.args.NPM_TOKEN holds a literal credential (named like one; 6 characters, not shown), allowed only in the dev stack (stack is "prod"): a build argument stays in the image's history (docker history shows it): give the service the credential when it runs instead, as a top-level secret listed under its secrets: (read from NPM_TOKEN_FILE), or build the image outside the stack and name it with image:`,
    ],
  ])("%j", (service, message) => {
    let thrown: unknown;
    try {
      read(service)();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toEqual(new InputError(message));
    // Accepted on the dev stack.
    expect(read(service, "dev")).not.toThrow();
  });

  test.each([
    "    environment: { DB_PASSWORD_FILE: /run/secrets/db-password }\n",
    '    environment: { DB_PASSWORD: "$${DB_PASSWORD}", TOKEN_URL: "https://auth.example.com/token", PASSWORD_MIN_LENGTH: 8 }\n',
    '    environment: { API_KEY: "" }\n',
  ])("%j is no literal credential", (service) => {
    expect(read(service)).not.toThrow();
  });
});

describe("every mapping of the file is walked by the key table: an unknown key is refused wherever it is", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-keys-"));
  fs.writeFileSync(path.join(dir, "web.env"), "LOG_LEVEL=info\n");
  fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM nginx:1.27\n");
  const read = (body: string) => {
    fs.writeFileSync(path.join(dir, "compose.yaml"), `name: shop\nservices:\n  web:\n    image: nginx:1.27\n${body}`);
    return readCompose({ file: "compose.yaml" }, "dev", dir);
  };
  const unknown = (at: string, kind: string, guess: string, allowed?: string) =>
    `compose.yaml: ${at} is not a compose ${kind} dockyard knows (a typo, or a key of a newer compose spec); did you mean ${guess}?${allowed === undefined ? "" : ` (allowed: ${allowed})`}`;

  test.each([
    [
      "    ports:\n      - { target: 80, publish: 8080 }\n",
      unknown(
        "services.web.ports[0].publish",
        "long-form port key",
        "published",
        "app_protocol, host_ip, mode, name, protocol, published, target",
      ),
    ],
    [
      "    volumes:\n      - { type: bind, source: /srv, target: /srv, raed_only: true }\n",
      unknown(
        "services.web.volumes[0].raed_only",
        "long-form volume key",
        "read_only",
        "bind, consistency, read_only, source, target, tmpfs, type, volume",
      ),
    ],
    [
      "    volumes:\n      - { type: volume, source: data, target: /data, volume: { no_copy: true } }\nvolumes:\n  data: {}\n",
      unknown("services.web.volumes[0].volume.no_copy", "volume option", "nocopy", "labels, nocopy"),
    ],
    [
      "    depends_on: { db: { conditon: service_started } }\n  db:\n    image: postgres:16\n",
      unknown("services.web.depends_on.db.conditon", "depends_on key", "condition", "condition, required, restart"),
    ],
    [
      "    healthcheck: { test: [CMD, 'true'], intervall: 10s }\n",
      unknown(
        "services.web.healthcheck.intervall",
        "healthcheck key",
        "interval",
        "disable, interval, retries, start_interval, start_period, test, timeout",
      ),
    ],
    [
      "    deploy: { resources: { limits: { memroy: 64m } } }\n",
      unknown("services.web.deploy.resources.limits.memroy", "limits key", "memory", "cpus, memory, pids"),
    ],
    ["    build: { context: ., dockerfil: Dockerfile }\n", unknown("services.web.build.dockerfil", "build key", "dockerfile")],
    [
      "    env_file: [{ path: web.env, requird: false }]\n",
      unknown("services.web.env_file[0].requird", "env_file key", "required", "path, required"),
    ],
    [
      "    environment: { A_FILE: /run/secrets/a }\n    secrets: [{ source: a, targte: a }]\nsecrets:\n  a: {}\n",
      unknown("services.web.secrets[0].targte", "long-form secret key", "target", "gid, mode, source, target, uid"),
    ],
    [
      "    networks: { front: { alias: [w] } }\nnetworks:\n  front: {}\n",
      unknown(
        "services.web.networks.front.alias",
        "service network key",
        "aliases",
        "aliases, driver_opts, gw_priority, interface_name, ipv4_address, ipv6_address, link_local_ips, mac_address, priority, use_service_name_alias",
      ),
    ],
    [
      "    networks: [front]\nnetworks:\n  front: { intenral: true }\n",
      unknown(
        "networks.front.intenral",
        "network key",
        "internal",
        "attachable, driver, driver_opts, enable_ipv4, enable_ipv6, external, internal, ipam, labels, name",
      ),
    ],
    [
      "    networks: [front]\nnetworks:\n  front: { ipam: { configs: [] } }\n",
      unknown("networks.front.ipam.configs", "ipam key", "config", "config, driver, options"),
    ],
    [
      "    networks: [front]\nnetworks:\n  front:\n    ipam:\n      config:\n        - subnett: 10.77.0.0/24\n",
      unknown("networks.front.ipam.config[0].subnett", "address pool key", "subnet", "gateway, ip_range, subnet"),
    ],
    [
      "    volumes: [data:/data]\nvolumes:\n  data: { drivr: local }\n",
      unknown("volumes.data.drivr", "volume key", "driver", "driver, driver_opts, external, labels, name, x-dockyard"),
    ],
    [
      "    environment: { A_FILE: /run/secrets/a }\n    secrets: [a]\nsecrets:\n  a: { fiel: ./a.txt }\n",
      unknown(
        "secrets.a.fiel",
        "secret key",
        "file",
        "driver, driver_opts, environment, external, file, labels, name, template_driver, x-dockyard",
      ),
    ],
    [
      "    deploy: { x-dockyard: { singleWriter: true } }\n",
      "compose.yaml: services.web.deploy.x-dockyard is read under a service, a top-level volume or a top-level secret only; move it there",
    ],
    [
      "    volumes:\n      - { type: npipe, source: /srv, target: /srv }\n",
      'compose.yaml: services.web.volumes[0].type "npipe" cannot be deployed: a mount is a volume or a bind mount (tmpfs is ignored)',
    ],
    [
      "    ports:\n      - { target: 80, published: 8080, mode: hots }\n",
      'compose.yaml: services.web.ports[0].mode "hots" must be host or ingress',
    ],
    [
      "    build: { context: ., dockerfile_inline: 'FROM nginx', dockerfile: Dockerfile }\n",
      "compose.yaml: services.web.build gives both dockerfile and dockerfile_inline: keep one",
    ],
    [
      "    networks: [front]\nnetworks:\n  front:\n    ipam:\n      config:\n        - { subnet: 10.77.0.0/24, aux_addresses: { printer: 10.77.0.5 } }\n",
      "compose.yaml: networks.front.ipam.config[0].aux_addresses cannot be deployed: no address is kept for other hosts, so a container could be given one of them; remove aux_addresses, or use an ip_range that leaves them out",
    ],
    [
      "    networks: [front]\nnetworks:\n  front:\n    driver_opts: { com.docker.network.bridge.host_binding_ipv4: 127.0.0.1 }\n",
      'compose.yaml: networks.front.driver_opts {"com.docker.network.bridge.host_binding_ipv4":"127.0.0.1"} cannot be deployed: networks are created without driver options (a bridge option such as com.docker.network.bridge.host_binding_ipv4 would be lost); remove driver_opts',
    ],
  ])("%j", (body, message) => {
    expect(() => read(body)).toThrow(new InputError(message));
  });

  test("an extension field anywhere is reported, and a value that asks what happens anyway is not", () => {
    const { report } = read(
      "    ports:\n      - { target: 80, published: 8080, x-note: public }\n    networks: [front]\nnetworks:\n  front:\n    enable_ipv6: false\n    ipam: { driver: default, config: [{ subnet: 10.77.0.0/24 }] }\n",
    );
    expect(report.filter((line) => line.disposition === "ignored")).toEqual([
      { path: "services.web.ports[0].x-note", disposition: "ignored", note: "an extension field for other tools" },
    ]);
  });
});

describe("a value compose refuses is refused, not one of two silently chosen", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-values-"));
  const read = (body: string) => {
    fs.writeFileSync(path.join(dir, "compose.yaml"), `name: shop\nservices:\n${body}`);
    return readCompose({ file: "compose.yaml" }, "dev", dir);
  };
  const web = (lines: string) => `  web:\n    image: nginx:1.27\n${lines}`;
  const distinct = (older: string, olderValue: string, newer: string, newerValue: string) =>
    `compose.yaml: services.web.${older} ${olderValue} and services.web.${newer} ${newerValue} disagree: can't set distinct values on '${older}' and '${newer}' (docker compose refuses them too); remove one of them, or give both the same value`;

  test.each([
    [
      web("    mem_limit: 2g\n    deploy: { resources: { limits: { cpus: '1', memory: 256m } } }\n"),
      distinct("mem_limit", '"2g"', "deploy.resources.limits.memory", '"256m"'),
    ],
    [
      web("    cpus: 0.5\n    deploy: { resources: { limits: { cpus: '2' } } }\n"),
      distinct("cpus", "0.5", "deploy.resources.limits.cpus", '"2"'),
    ],
    [web("    scale: 3\n    deploy: { replicas: 2 }\n"), distinct("scale", "3", "deploy.replicas", "2")],
    [
      web("    deploy: { resources: { limits: { cpus: .inf, memory: 128m } } }\n"),
      "compose.yaml: services.web.deploy.resources.limits.cpus must be a finite number, got .inf",
    ],
    [web("    cpus: -.inf\n"), "compose.yaml: services.web.cpus must be a finite number, got -.inf"],
    [web("    environment: { RATIO: .nan }\n"), "compose.yaml: services.web.environment.RATIO must be a finite number, got .nan"],
    [
      web(
        "    networks: [front]\nnetworks:\n  front:\n    ipam:\n      config:\n        - subnet: 10.77.0.0/24\n        - subnet: 10.77.1.0/24\n",
      ),
      'compose.yaml: networks.front.ipam.config[1] {"subnet":"10.77.1.0/24"} cannot be deployed: a network has one address pool here (config[0]), and this one would be dropped; give config[0] one subnet wide enough for both, or split the services over two networks',
    ],
  ])("%j", (body, message) => {
    expect(() => read(body)).toThrow(new InputError(message));
  });

  test("the same value in both keys, whatever its units, passes", () => {
    const { model } = read(
      web(
        "    mem_limit: 1g\n    cpus: 0.5\n    scale: 2\n    deploy: { replicas: 2, resources: { limits: { cpus: '0.50', memory: 1024m } } }\n",
      ),
    );
    expect([model.services.web.limits, model.services.web.replicas]).toEqual([{ cpus: 0.5, memory: "1024m" }, 2]);
  });

  const secret = (definition: string) =>
    web("    environment: { DB_PASSWORD_FILE: /run/secrets/db-pass }\n    secrets: [db-pass]\n") + `secrets:\n  db-pass:\n${definition}`;
  const SECRET_EXTERNAL = (value: string) =>
    `compose.yaml: secrets.db-pass.external ${value} cannot be deployed: its value must come from the stack: remove external and set dockyard:secrets.db-pass (pulumi config set --secret --path secrets.db-pass <value>)`;
  const NETWORK = "dockyard creates and owns the app's networks";
  const VOLUME = "dockyard creates and owns the app's volumes";
  const RETAIN = "(x-dockyard: { retain: true } keeps the data on destroy)";
  test.each([
    [secret("    external: { name: shop_prod_db_password }\n"), SECRET_EXTERNAL('{"name":"shop_prod_db_password"}')],
    [secret("    external: true\n"), SECRET_EXTERNAL("true")],
    // The loader reads a quoted "true" as compose-go does: true.
    [secret('    external: "true"\n'), SECRET_EXTERNAL("true")],
    [
      web("    networks: [front]\n") + "networks:\n  front:\n    external: { name: shared }\n",
      `compose.yaml: networks.front.external {"name":"shared"} cannot be deployed: ${NETWORK}; remove external`,
    ],
    [
      web("    networks: [front]\n") + "networks:\n  front:\n    external_name: shared\n",
      `compose.yaml: networks.front.external_name "shared" cannot be deployed: an external network (compose file format 2 and 3): ${NETWORK}; remove external_name`,
    ],
    [
      web("    volumes: [data:/data]\n") + "volumes:\n  data:\n    external: { name: pgdata }\n",
      `compose.yaml: volumes.data.external {"name":"pgdata"} cannot be deployed: ${VOLUME}; remove external ${RETAIN}`,
    ],
    [
      web("    volumes: [data:/data]\n") + "volumes:\n  data:\n    external_name: pgdata\n",
      `compose.yaml: volumes.data.external_name "pgdata" cannot be deployed: an external volume (compose file format 2 and 3): ${VOLUME}; remove external_name ${RETAIN}`,
    ],
  ])("external in every form: %j (one refusal: the service that uses it is not refused again)", (body, message) => {
    expect(() => read(body)).toThrow(new InputError(message));
  });

  test("external: false is no external", () => {
    const { model } = read(
      secret("    file: ./pw.txt\n    external: false\n") +
        "networks:\n  default:\n    external: false\nvolumes:\n  data:\n    external: false\n",
    );
    expect([Object.keys(model.secrets), Object.keys(model.volumes), Object.keys(model.networks)]).toEqual([
      ["db-pass"],
      ["data"],
      ["default"],
    ]);
  });
});

describe("a mount's modes: what a target honours carries over, what none can is refused, in the short form as in the long", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-modes-"));
  const read = (volumes: string) => {
    fs.writeFileSync(
      path.join(dir, "compose.yaml"),
      `name: shop\nservices:\n  agent:\n    image: example/agent:1\n    volumes:\n${volumes}volumes:\n  data: {}\n`,
    );
    return readCompose({ file: "compose.yaml" }, "dev", dir);
  };
  const PROPAGATION =
    "bind mounts get the engine's default propagation, rprivate (mounts made later on the host or in the container stay on their side), and no target here sets another; remove it (rprivate is accepted)";
  const SELINUX =
    "bind mounts are not relabelled for SELinux here (the Docker provider has no such option); label the host path for containers yourself (chcon -Rt container_file_t PATH) and remove it";

  test.each([
    [
      "      - /srv/shared:/shared:rshared\n",
      `compose.yaml: services.agent.volumes[0] "/srv/shared:/shared:rshared": mode rshared cannot be honoured: ${PROPAGATION}`,
    ],
    [
      "      - /srv/shared:/shared:ro,slave\n",
      `compose.yaml: services.agent.volumes[0] "/srv/shared:/shared:ro,slave": mode slave cannot be honoured: ${PROPAGATION}`,
    ],
    [
      "      - /srv/shared:/shared:z\n",
      `compose.yaml: services.agent.volumes[0] "/srv/shared:/shared:z": mode z cannot be honoured: ${SELINUX}`,
    ],
    [
      "      - /srv/shared:/shared:ro,Z\n",
      `compose.yaml: services.agent.volumes[0] "/srv/shared:/shared:ro,Z": mode Z cannot be honoured: ${SELINUX}`,
    ],
    [
      "      - /srv/shared:/shared:nocopy\n",
      'compose.yaml: services.agent.volumes[0] "/srv/shared:/shared:nocopy": mode nocopy cannot be honoured: nocopy is a named volume\'s (a bind mount copies nothing); remove it',
    ],
    [
      "      - /srv/shared:/shared:ro,rw\n",
      'compose.yaml: services.agent.volumes[0] "/srv/shared:/shared:ro,rw": mode ro,rw cannot be honoured: a mount is read-only (ro) or writable (rw), not both',
    ],
    [
      "      - /srv/shared:/shared:rox\n",
      'compose.yaml: services.agent.volumes[0] "/srv/shared:/shared:rox": "rox" is not a mount mode; write ro or rw, with nocopy (a named volume\'s), consistent, cached, delegated (Docker Desktop\'s) or rprivate (the default)',
    ],
    [
      "      - { type: bind, source: /srv/shared, target: /shared, bind: { propagation: rshared } }\n",
      `compose.yaml: services.agent.volumes[0].bind.propagation "rshared" cannot be honoured: ${PROPAGATION}`,
    ],
    [
      "      - { type: bind, source: /srv/shared, target: /shared, bind: { selinux: z } }\n",
      `compose.yaml: services.agent.volumes[0].bind.selinux "z" cannot be honoured: ${SELINUX}`,
    ],
    [
      "      - { type: bind, source: /srv/shared, target: /shared, bind: { recursive: readonly } }\n",
      'compose.yaml: services.agent.volumes[0].bind.recursive "readonly" cannot be honoured: bind mounts are recursive, as the engine makes them by default; remove it (enabled is accepted)',
    ],
  ])("%j", (volumes, message) => {
    expect(() => read(volumes)).toThrow(new InputError(message));
  });

  test.each([
    ["      - /srv/shared:/shared:ro,rprivate\n", { hostPath: "/srv/shared", mountPath: "/shared", readOnly: true }, []],
    [
      "      - { type: bind, source: /srv/shared, target: /shared, bind: { propagation: rprivate, recursive: enabled } }\n",
      { hostPath: "/srv/shared", mountPath: "/shared" },
      [],
    ],
    [
      "      - /srv/shared:/shared:ro,cached\n",
      { hostPath: "/srv/shared", mountPath: "/shared", readOnly: true },
      [
        [
          "services.agent.volumes[0]",
          "cached: mount consistency is a Docker Desktop setting (file sharing on macOS); the engine's default applies",
        ],
      ],
    ],
    [
      "      - data:/data:nocopy,delegated\n",
      { volume: "data", mountPath: "/data" },
      [
        ["services.agent.volumes[0]", "nocopy: the image's files are copied into a new empty volume"],
        [
          "services.agent.volumes[0]",
          "delegated: mount consistency is a Docker Desktop setting (file sharing on macOS); the engine's default applies",
        ],
      ],
    ],
  ])("%j carries over, with what a target does not apply reported", (volumes, mount, ignored) => {
    const { model, report } = read(volumes);
    expect(model.services.agent.volumes).toEqual([mount]);
    expect(report.filter((line) => line.disposition === "ignored").map((line) => [line.path, line.note])).toEqual(ignored);
  });
});

describe("where a value came from: a refusal names the env_file and its line, not environment", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-envfile-"));
  fs.writeFileSync(path.join(dir, "api.env"), "LOG_LEVEL=info\nexport API_TOKEN=ghp_0123456789abcdefABCDEF0123456789abcd\n");
  fs.writeFileSync(path.join(dir, "greeting.env"), "# what the banner says\nGREETING=ghp_0123456789abcdefABCDEF0123456789abcd\n");
  const read = (service: string) => {
    fs.writeFileSync(path.join(dir, "compose.yaml"), `name: shop\nservices:\n  api:\n    image: example/api:2\n${service}`);
    return readCompose({ file: "compose.yaml" }, "staging", dir);
  };
  const atRunTime = (variable: string) =>
    `declare a top-level secret, list it under the service's secrets:, set ${variable}_FILE: /run/secrets/<secret>, and give its value with pulumi config set --secret --path secrets.<secret> <value>`;

  test.each([
    ["    env_file: api.env\n", "services.api.env_file (api.env, line 2: API_TOKEN)", "named like one; 40 characters", "API_TOKEN"],
    [
      "    env_file: [greeting.env, { path: api.env, required: true }]\n",
      "services.api.env_file[1] (api.env, line 2: API_TOKEN)",
      "named like one; 40 characters",
      "API_TOKEN",
      // the other credential is named after the first
      " (so does services.api.env_file[0] (greeting.env, line 2: GREETING))",
    ],
    [
      "    env_file: greeting.env\n",
      "services.api.env_file (greeting.env, line 2: GREETING)",
      "it looks like a GitHub token; 40 characters",
      "GREETING",
    ],
    // environment overrides the file: the value is environment's.
    [
      "    env_file: api.env\n    environment: [API_TOKEN=ghp_abcdefABCDEF0123456789abcdef0123456789]\n",
      "services.api.environment.API_TOKEN",
      "named like one; 42 characters",
      "API_TOKEN",
    ],
  ])("%j", (service, named, why, variable, also = "") => {
    expect(() => read(service)).toThrow(
      new InputError(
        `compose.yaml: ${named} holds a literal credential (${why}, not shown)${also}, allowed only in the dev stack (stack is "staging"): ${atRunTime(variable)}`,
      ),
    );
  });
});

describe("a host IP a stage cannot bind: the fix offered is one that works", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-ipv6-"));
  const refusal = (port: string, values: Record<string, string>) => {
    fs.writeFileSync(path.join(dir, "compose.yaml"), `name: shop\nservices:\n  db:\n    image: postgres:16\n    ports:\n      - ${port}\n`);
    try {
      checkHostIps(readCompose({ file: "compose.yaml" }, "dev", dir), "compose.yaml", stackConfig({ secrets: {}, ...values }, "dev"));
    } catch (error) {
      return (error as Error).message;
    }
    return "accepted";
  };

  test.each([
    [
      '"[::1]:5432:5432"',
      { target: "docker", bindAddress: "127.0.0.1" },
      "compose.yaml: services.db.ports[0] binds to [::1], an IPv6 address, but published ports bind to dockyard:bindAddress, which takes an IPv4 address only, so the port cannot be bound there: write 127.0.0.1 instead of [::1] to keep it on loopback (with dockyard:bindAddress 127.0.0.1), or remove the host IP from the port to publish it as the stage does",
    ],
    [
      "{ target: 5432, published: 5432, host_ip: 'fd00::5' }",
      { target: "docker" },
      "compose.yaml: services.db.ports[0].host_ip binds to fd00::5, an IPv6 address, but published ports bind to dockyard:bindAddress, which takes an IPv4 address only, so the port cannot be bound there: write the host's IPv4 address instead of fd00::5 (and set dockyard:bindAddress to it), or remove the host IP from the port to publish it as the stage does",
    ],
    ['"[::1]:5432:5432"', { target: "kubernetes" }, "accepted"],
  ])("%s on %j", (port, values, message) => {
    expect(refusal(port, values)).toBe(message);
  });
});

describe("issue 26 (loading): contexts wherever the file points, inline Dockerfiles, commands and env files as compose reads them", () => {
  /** A project folder and, beside it (outside it), a folder with the compose file and its sources. */
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-contexts-"));
  const projectDir = path.join(root, "project");
  const elsewhere = path.join(root, "elsewhere");
  fs.mkdirSync(path.join(elsewhere, "web"), { recursive: true });
  fs.mkdirSync(path.join(projectDir, "apps", "api"), { recursive: true });
  fs.writeFileSync(path.join(projectDir, "apps", "api", "Dockerfile"), "FROM busybox:1.36\n");
  fs.mkdirSync(path.join(elsewhere, "site"), { recursive: true });
  fs.writeFileSync(path.join(elsewhere, "site", "Dockerfile"), "FROM busybox:1.36\n");
  const read = (text: string, file = path.join(elsewhere, "compose.yaml"), stack = "dev") => {
    fs.writeFileSync(file, `name: shop\n${text}`);
    return readCompose({ file }, stack, projectDir);
  };
  const refusal = (text: string): string => {
    try {
      read(text);
    } catch (error) {
      return (error as Error).message.split(elsewhere).join("<elsewhere>");
    }
    throw new Error("readCompose did not refuse");
  };

  test("a compose file outside the project builds from its own folder (an absolute context); inside, contexts stay project-relative", () => {
    const outside = read("services:\n  web:\n    build: ./site\n");
    expect(outside.model.services.web.image).toEqual({ kind: "build", context: path.join(elsewhere, "site") });
    const inside = read("services:\n  api:\n    build: { context: ./api, target: prod }\n", path.join(projectDir, "apps", "compose.yaml"));
    expect(inside.model.services.api.image).toEqual({ kind: "build", context: "apps/api", target: "prod" });
  });

  test("dockerfile_inline is written under the project's .state (content-addressed), never into the context, and named from the context", () => {
    const text = "FROM busybox:1.36\nCOPY . /srv\n";
    const converted = read(
      `services:\n  web:\n    build:\n      context: ./web\n      dockerfile_inline: |\n${text.replace(/^/gm, "        ").trimEnd()}\n`,
    );
    const image = converted.model.services.web.image as { kind: "build"; context: string; dockerfile: string };
    const written = path.resolve(image.context, image.dockerfile);
    expect(path.relative(projectDir, written)).toMatch(/^\.state\/compose\/dockerfiles\/[0-9a-f]{16}\.Dockerfile$/);
    expect(fs.readFileSync(written, "utf8")).toBe(text);
    expect(fs.readdirSync(path.join(elsewhere, "web"))).toEqual([]);
    expect(converted.report).toContainEqual({
      path: "services.web.build.dockerfile_inline",
      disposition: "changed",
      note: `built from ${path.relative(projectDir, written)}, written from this text (not into the context)`,
    });
  });

  test.each([
    [
      "services:\n  web:\n    build: https://github.com/example/web.git#main:app\n",
      'services.web.build "https://github.com/example/web.git#main:app" is a git repository or URL, which the Docker provider cannot build from (it sends a local folder to the engine): clone it (git clone <repository>, then check out the ref after #) and point context at the folder (with the folder after #ref: inside it)',
    ],
    [
      "services:\n  web:\n    build: { context: 'git@github.com:example/web.git' }\n",
      'services.web.build.context "git@github.com:example/web.git" is a git repository or URL, which the Docker provider cannot build from (it sends a local folder to the engine): clone it (git clone <repository>, then check out the ref after #) and point context at the folder (with the folder after #ref: inside it)',
    ],
    [
      "services:\n  web:\n    build: { context: 'C:\\src\\web' }\n",
      'services.web.build.context "C:\\\\src\\\\web" is a Windows path, which is no folder on this machine: give the folder\'s path here, relative to the compose file',
    ],
    [
      "services:\n  web:\n    build: '\\\\server\\share\\web'\n",
      'services.web.build "\\\\\\\\server\\\\share\\\\web" is a Windows path, which is no folder on this machine: give the folder\'s path here, relative to the compose file',
    ],
    [
      "services:\n  web:\n    image: web:1\n    env_file: ['D:/env/web.env']\n",
      'services.web.env_file[0] "D:/env/web.env" is a Windows path, which is no file on this machine: give the file\'s path here, relative to the compose file',
    ],
    [
      "services:\n  web:\n    build: { context: ./web, dockerfile: Dockerfile, dockerfile_inline: 'FROM busybox' }\n",
      "services.web.build gives both dockerfile and dockerfile_inline: keep one",
    ],
  ])("%j is refused naming the key", (text, message) => {
    expect(refusal(text)).toBe(`${path.join("<elsewhere>", "compose.yaml")}: ${message}`);
  });

  test("a string command keeps $VAR for the container's shell, as compose-go splits it ($$ in the file is $)", () => {
    const converted = read(
      "services:\n  web:\n    image: web:1\n    command: sh -c 'echo $$HOME' $$PATH \"${TAG:-v1} $${USER}\"\n    entrypoint: /run.sh $$1\n",
    );
    expect(converted.model.services.web.command).toEqual(["sh", "-c", "echo $HOME", "$PATH", "v1 ${USER}"]);
    expect(converted.model.services.web.entrypoint).toEqual(["/run.sh", "$1"]);
  });

  test("env_file is read by compose's .env rules: export, quotes, escapes, comments, ${VAR} from the file and the compose variables", () => {
    fs.writeFileSync(
      path.join(elsewhere, "web.env"),
      [
        "export HOST=db # the database",
        "URL=postgres://${HOST}:5432/${DB:-shop}",
        'GREETING="hello\\nworld"',
        "LITERAL='${HOST} $$'",
        "FROM_COMPOSE=${REGION}",
      ].join("\n"),
    );
    fs.writeFileSync(path.join(elsewhere, ".env"), "REGION=eu-west\n");
    const converted = read("services:\n  web:\n    image: web:1\n    env_file: web.env\n");
    expect(converted.model.services.web.env).toEqual({
      HOST: "db",
      URL: "postgres://db:5432/shop",
      GREETING: "hello\nworld",
      LITERAL: "${HOST} $$",
      FROM_COMPOSE: "eu-west",
    });
    fs.rmSync(path.join(elsewhere, ".env"));
  });
});

test("privileged: false, compose's default, asks for nothing and is accepted; true is refused", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-privileged-"));
  const read = (value: string) => {
    fs.writeFileSync(path.join(dir, "compose.yaml"), `name: shop\nservices:\n  web:\n    image: nginx:1.27\n    privileged: ${value}\n`);
    return () => readCompose({ file: "compose.yaml" }, "dev", dir);
  };
  expect(read("false")().model.services.web.image).toEqual({ kind: "pull", ref: "nginx:1.27" });
  expect(read("true")).toThrow(
    "compose.yaml: services.web.privileged cannot be deployed: a privileged container can do anything on its host; grant what the service needs in its image instead",
  );
});

test.each([
  ["/", '"/" is /, which holds the container engine\'s socket /var/run/docker.sock'],
  ["/etc", '"/etc" is /etc, which is one of the host\'s system folders'],
])("a build context of %s hands the host to the image: refused", (context, why) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-context-"));
  fs.writeFileSync(path.join(dir, "compose.yaml"), `name: shop\nservices:\n  web:\n    build: ${context}\n`);
  expect(() => readCompose({ file: "compose.yaml" }, "dev", dir)).toThrow(
    `compose.yaml: services.web.build ${why}: the whole context is sent to the engine, and what a Dockerfile copies from it stays in the image; point the context at the service's own source folder`,
  );
});
