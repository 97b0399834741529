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
    const config = stackConfig({ target, secrets: {} }, "dev");
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
        "  compose.yaml: services.web.deploy.mode global cannot be deployed: a global service runs one task on every node, which the app model has no word for; use mode: replicated with replicas set to the number of nodes and placement.max_replicas_per_node: 1",
        "  compose.yaml: services.web.deploy.resources.reservations.devices cannot be deployed: devices and generic resources are not passed through",
        "  compose.yaml: services.web.deploy.update_config.speed is not a compose update_config key dockyard knows (a typo, or a key of a newer compose spec); remove it",
        '  compose.yaml: services.web.deploy.update_config.delay "1.5s" must be a duration like "30s", "1m30s" or "2h"',
        '  compose.yaml: services.web.deploy.restart_policy.window "soon" must be a duration like "30s", "1m30s" or "2h"',
      ].join("\n"),
    );
  });

  // The model's rules are resolveApp's; its message names the compose file and key.
  test.each([
    ["update_config: { parallelism: -1 }", "services.web.deploy.update_config.parallelism must be a whole number of 0 or more, got -1"],
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
      "services.web.deploy.placement.max_replicas_per_node must be a whole number of 0 or more, got 1.5",
    ],
    [
      "restart_policy: { condition: always }",
      'services.web.deploy.restart_policy.condition must be one of "any", "on-failure", "none", got "always"',
    ],
    ["restart_policy: { max_attempts: -2 }", "services.web.deploy.restart_policy.max_attempts must be a whole number of 0 or more, got -2"],
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

  test("stop_grace_period: a duration in whole seconds; one resolveApp refuses is named by its compose key", () => {
    write([
      "  web:",
      "    image: nginx:1.27",
      "    stop_grace_period: 1m30s",
      "  api:",
      "    image: nginx:1.27",
      "    stop_grace_period: 2h",
    ]);
    const { model, where } = readCompose({ file: "compose.yaml" }, "dev", dir);
    expect([model.services.web.stopGracePeriodSeconds, model.services.api.stopGracePeriodSeconds]).toEqual([90, 7200]);
    expect(() => resolveApp(model, where)).toThrow(
      new InputError(
        "compose.yaml: services.api.stop_grace_period must be a whole number of seconds from 0 to 3600 (an up waits that long for each copy it replaces), got 7200",
      ),
    );
    write(["  web:", "    image: nginx:1.27", "    stop_grace_period: soon"]);
    expect(() => readCompose({ file: "compose.yaml" }, "dev", dir)).toThrow(
      'compose.yaml: services.web.stop_grace_period "soon" must be a duration like "30s", "1m30s" or "2h"',
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
      "compose.yaml: services.db.volumes[0].bind.propagation cannot be deployed: mounts take type, source, target and read_only; remove bind.propagation",
    ],
  ])("%j is refused", (service, message) => {
    expect(() => read(service)).toThrow(new InputError(message));
  });

  test("a top-level volume that is not a mapping: what it must be, not the parser's words", () => {
    expect(() => read("volumes:\n  data: 5\n")).toThrow(new InputError("compose.yaml: volumes.data must be a mapping, or empty, got 5"));
  });
});
