/**
 * planDocker as plain data: the stack config through applyConfig and resolveApp, planned, with no
 * Pulumi engine and nothing constructed. The only non-plain values are the secret files' contents,
 * which are secret Outputs.
 */
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../../stacks/config";
import { InputError, inModel } from "../../stacks/errors";
import { AppModel } from "../../stacks/model";
import { applyConfig } from "../../stacks/overrides";
import { resolveApp } from "../../stacks/resolve";
import { DockerPlan, planDocker } from "../../stacks/targets/docker";
import { votingApp } from "../../stacks/votingApp";
import { byType, recorded, settle, setupMocks } from "./mocks";
import {
  capturedWarnings,
  configDefaults,
  expectRefused,
  planAndDeploy,
  programError,
  RefusedCase,
  runProgram,
  SECRET_CONFIG,
} from "./program";
import { PASSWORD, stackConfig, stackFile, Values } from "./stage";

/** The Docker plan of the voting app for raw config values (maps as JSON, as the engine passes them). */
function plan(values: Values, stack = "dev"): DockerPlan {
  const config = stackConfig(values, stack);
  const { model, where } = applyConfig(votingApp, config);
  return planDocker(resolveApp(model, where), config, where);
}

const resolved = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply((value) => resolve(value)));

const LABELS = { "dockyard.app": "voting", "dockyard.stack": "dev" };

describe("the dev stack's Docker plan", () => {
  let dev: DockerPlan;
  beforeAll(() => {
    dev = plan(stackFile("dev"));
  });

  test("the engine from dockerHost", () => {
    expect(dev.host).toBe("unix:///var/run/docker.sock");
  });

  test("networks and volumes, named after app and stack, in name order", () => {
    expect(dev.networks).toEqual([
      ["backend", { name: "voting-dev-backend", subnet: "10.123.2.0/24", internal: false, allowPublicSubnet: false, labels: LABELS }],
      ["frontend", { name: "voting-dev-frontend", subnet: "10.123.1.0/24", internal: false, allowPublicSubnet: false, labels: LABELS }],
    ]);
    expect(dev.volumes).toEqual([
      ["db-data", { name: "voting-dev-db-data", retain: false, labels: LABELS }],
      ["redis-data", { name: "voting-dev-redis-data", retain: false, labels: LABELS }],
    ]);
  });

  test("three images built locally under imageTag; two pulled", () => {
    expect(dev.builds).toEqual([
      [
        "result",
        {
          context: "apps",
          dockerfile: "node-common/Dockerfile",
          imageName: "voting-result:dev",
          args: { APP: "result", NODE_IMAGE: "node:22-slim", PORT: "8081" },
          builderVersion: "BuilderBuildKit",
        },
      ],
      [
        "vote",
        {
          context: "apps/vote",
          imageName: "voting-vote:dev",
          args: { PYTHON_IMAGE: "python:3.12-slim" },
          builderVersion: "BuilderBuildKit",
        },
      ],
      [
        "worker",
        {
          context: "apps",
          dockerfile: "node-common/Dockerfile",
          imageName: "voting-worker:dev",
          args: { APP: "worker", NODE_IMAGE: "node:22-slim", PORT: "8082" },
          builderVersion: "BuilderBuildKit",
        },
      ],
    ]);
    expect(dev.builds.map(([, args]) => args.registry)).toEqual([undefined, undefined, undefined]);
    expect(dev.pulls).toEqual([
      ["db", "postgres:15"],
      ["redis", "redis:7.4"],
    ]);
  });

  test('one container per service in start order, each after its networks and volumes; the apps\' dependencies are "started", so none waits', () => {
    expect(dev.containers.map((c) => [c.name, c.service, c.after])).toEqual([
      ["db-1", "db", { networks: ["backend"], volumes: ["db-data"], services: [] }],
      ["redis-1", "redis", { networks: ["backend"], volumes: ["redis-data"], services: [] }],
      ["result-1", "result", { networks: ["frontend", "backend"], volumes: [], services: [] }],
      ["vote-1", "vote", { networks: ["frontend", "backend"], volumes: [], services: [] }],
      ["worker-1", "worker", { networks: ["backend"], volumes: [], services: [] }],
    ]);
  });

  test('a "healthy" dependency makes the container wait for it; a "started" one does not', () => {
    const config = stackConfig(stackFile("dev"), "dev");
    const model = votingApp.model({ optionA: "Cats", optionB: "Dogs" });
    model.services.worker.dependsOn = { db: "healthy", redis: "started" };
    const planned = planDocker(resolveApp(model), config, inModel("voting"));
    expect(planned.containers.map((c) => [c.name, c.after.services])).toEqual([
      ["db-1", []],
      ["redis-1", []],
      ["result-1", []],
      ["vote-1", []],
      ["worker-1", ["db"]],
    ]);
  });

  test("the worker's container: every argument", () => {
    const worker = dev.containers.find((c) => c.name === "worker-1");
    expect(worker?.args).toEqual({
      name: "voting-dev-worker-1",
      image: "voting-worker:dev",
      command: undefined,
      entrypoint: undefined,
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
      secretFiles: [{ path: "/run/secrets/db-password", content: expect.anything() }],
      // The health-only port is declared but published on no host port.
      ports: [{ containerPort: 8082, hostPort: undefined, hostIp: "127.0.0.1", protocol: "tcp" }],
      mounts: [],
      networks: [{ name: "voting-dev-backend", aliases: ["worker"] }],
      user: "1000:1000",
      stopGracePeriodSeconds: undefined,
      security: { capAdd: [], capDrop: ["ALL"], noNewPrivileges: true, readOnlyRootFilesystem: true, tmpfs: ["/tmp"] },
      health: { command: ["healthcheck"], intervalSeconds: 10, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 10 },
      cpus: 0.5,
      memory: "128m",
      labels: { ...LABELS, "dockyard.service": "worker", "dockyard.replica": "1" },
    });
  });

  test("the db's container: the volume mounted, its health check's own timings, its limits", () => {
    const db = dev.containers.find((c) => c.name === "db-1")?.args;
    expect([db?.image, db?.mounts, db?.health, db?.cpus, db?.memory, db?.ports]).toEqual([
      "postgres:15",
      [{ volumeName: "voting-dev-db-data", hostPath: undefined, containerPath: "/var/lib/postgresql/data", readOnly: false }],
      {
        command: ["pg_isready", "-U", "postgres", "-d", "postgres"],
        intervalSeconds: 5,
        timeoutSeconds: 5,
        retries: 5,
        startPeriodSeconds: 10,
      },
      1,
      "512m",
      [{ containerPort: 5432, hostPort: undefined, hostIp: "127.0.0.1", protocol: "tcp" }],
    ]);
    expect(db?.env).toEqual({
      PGDATA: "/var/lib/postgresql/data/pgdata",
      POSTGRES_DB: "postgres",
      POSTGRES_PASSWORD_FILE: "/run/secrets/db-password",
      POSTGRES_USER: "postgres",
    });
  });

  test("on the e2e stage every container is confined: no capability, no-new-privileges, its own user, a read-only root with the tmpfs it writes", () => {
    const e2e = plan(stackFile("e2e"), "e2e");
    const confinement = Object.fromEntries(e2e.containers.map((c) => [c.name, [c.args.user, c.args.security]]));
    const confined = (tmpfs: string[]) => ({ capAdd: [], capDrop: ["ALL"], noNewPrivileges: true, readOnlyRootFilesystem: true, tmpfs });
    expect(confinement).toEqual({
      "db-1": ["999:999", confined(["/tmp", "/var/run/postgresql"])],
      "redis-1": ["999:999", confined(["/tmp"])],
      "result-1": ["1000:1000", confined(["/tmp"])],
      "vote-1": ["10001:10001", confined(["/tmp"])],
      "worker-1": ["1000:1000", confined(["/tmp"])],
    });
  });

  test("published ports bind on bindAddress; the URLs are the first published port of each running service", () => {
    const published = Object.fromEntries(dev.containers.map((c) => [c.name, c.args.ports?.filter((p) => p.hostPort !== undefined)]));
    expect(published).toEqual({
      "db-1": [],
      "redis-1": [],
      "result-1": [{ containerPort: 8081, hostPort: 5001, hostIp: "127.0.0.1", protocol: "tcp" }],
      "vote-1": [{ containerPort: 8080, hostPort: 5000, hostIp: "127.0.0.1", protocol: "tcp" }],
      "worker-1": [],
    });
    expect(dev.urls).toEqual({ result: "http://127.0.0.1:5001", vote: "http://127.0.0.1:5000" });
  });

  test("the password is a file whose content is a secret Output holding the configured value", async () => {
    const files = dev.containers.flatMap((c) => (c.args.secretFiles ?? []).map((file) => [c.name, file.path] as const));
    expect(files).toEqual([
      ["db-1", "/run/secrets/db-password"],
      ["result-1", "/run/secrets/db-password"],
      ["worker-1", "/run/secrets/db-password"],
    ]);
    for (const container of dev.containers) {
      for (const file of container.args.secretFiles ?? []) {
        const content = file.content as pulumi.Output<string>;
        expect(pulumi.Output.isInstance(content)).toBe(true);
        expect(await pulumi.isSecret(content)).toBe(true);
        expect(await resolved(content)).toBe(PASSWORD);
      }
    }
    expect(
      JSON.stringify({ ...dev, containers: dev.containers.map((c) => ({ ...c, args: { ...c.args, secretFiles: [] } })) }),
    ).not.toContain(PASSWORD);
  });
});

describe("settings the Docker plan follows", () => {
  test("a stop grace period reaches each replica's container", () => {
    const planned = plan({ services: { worker: { replicas: 2, stopGracePeriodSeconds: 45 } } });
    expect(planned.containers.map((c) => [c.name, c.args.stopGracePeriodSeconds])).toEqual([
      ["db-1", undefined],
      ["redis-1", undefined],
      ["result-1", undefined],
      ["vote-1", undefined],
      ["worker-1", 45],
      ["worker-2", 45],
    ]);
  });

  test("replicas: one container each, replica i on publishedPort + i - 1, all aliased by the service", () => {
    const plan3 = plan({ services: { vote: { replicas: 3 }, result: { ports: { http: 5010 } } } });
    const votes = plan3.containers.filter((c) => c.service === "vote");
    expect(votes.map((c) => [c.name, c.args.name, c.args.ports?.[0].hostPort, c.args.networks?.map((n) => n.aliases)])).toEqual([
      ["vote-1", "voting-dev-vote-1", 5000, [["vote"], ["vote"]]],
      ["vote-2", "voting-dev-vote-2", 5001, [["vote"], ["vote"]]],
      ["vote-3", "voting-dev-vote-3", 5002, [["vote"], ["vote"]]],
    ]);
    expect(plan3.urls).toEqual({ result: "http://127.0.0.1:5010", vote: "http://127.0.0.1:5000" });
  });

  test("replicas 0: no container and no URL", () => {
    const stopped = plan({ services: { vote: { replicas: 0 } } });
    expect(stopped.containers.map((c) => c.name)).toEqual(["db-1", "redis-1", "result-1", "worker-1"]);
    expect(stopped.urls).toEqual({ result: "http://127.0.0.1:5001" });
  });

  test("a remote engine and bindAddress 0.0.0.0: URLs name the engine's host", () => {
    const remote = plan({ dockerHost: "ssh://deploy@10.0.0.5", bindAddress: "0.0.0.0" });
    expect(remote.host).toBe("ssh://deploy@10.0.0.5");
    expect(remote.urls).toEqual({ result: "http://10.0.0.5:5001", vote: "http://10.0.0.5:5000" });
    expect(remote.containers.find((c) => c.name === "vote-1")?.args.ports).toEqual([
      { containerPort: 8080, hostPort: 5000, hostIp: "0.0.0.0", protocol: "tcp" },
    ]);
  });

  test("limits, a subnet, retain, a base image, a prebuilt image and a registry from the stack config", () => {
    const configured = plan({
      services: { db: { limits: { cpus: 2, memory: "1g" } }, redis: { image: "mirror.internal/redis:7.4" } },
      networks: { frontend: { subnet: "172.18.0.0/16" } },
      volumes: { "db-data": { retain: true } },
      buildArgs: { PYTHON_IMAGE: "mirror.internal/python:3.12-slim" },
      registry: "localhost:5000",
    });
    const db = configured.containers.find((c) => c.name === "db-1")?.args;
    expect([db?.cpus, db?.memory]).toEqual([2, "1g"]);
    expect(configured.networks.map(([name, args]) => [name, args.subnet])).toEqual([
      ["backend", "10.123.2.0/24"],
      ["frontend", "172.18.0.0/16"],
    ]);
    expect(configured.volumes.map(([name, args]) => [name, args.retain])).toEqual([
      ["db-data", true],
      ["redis-data", false],
    ]);
    expect(configured.pulls).toEqual([
      ["db", "postgres:15"],
      ["redis", "mirror.internal/redis:7.4"],
    ]);
    expect(configured.containers.find((c) => c.name === "redis-1")?.args.image).toBe("mirror.internal/redis:7.4");
    const vote = configured.builds.find(([name]) => name === "vote")?.[1];
    expect([vote?.args, vote?.registry]).toEqual([{ PYTHON_IMAGE: "mirror.internal/python:3.12-slim" }, { server: "localhost:5000" }]);
  });

  test("imageBuilder BuilderV1 builds every image with the classic builder (BuildKit when unset)", () => {
    expect(plan({ imageBuilder: "BuilderV1" }).builds.map(([name, args]) => [name, args.builderVersion])).toEqual([
      ["result", "BuilderV1"],
      ["vote", "BuilderV1"],
      ["worker", "BuilderV1"],
    ]);
    expect(plan({}).builds.map(([, args]) => args.builderVersion)).toEqual(["BuilderBuildKit", "BuilderBuildKit", "BuilderBuildKit"]);
  });

  test("an internal network stays internal (Docker can honour it)", () => {
    const app: AppModel = {
      name: "shop",
      services: { web: { image: { kind: "pull", ref: "nginx:1.27" }, networks: ["private"], limits: { cpus: 0.5, memory: "64m" } } },
      networks: { private: { subnet: "10.99.0.0/24", internal: true } },
      volumes: {},
      secrets: {},
    };
    const config = stackConfig({ secrets: {} }, "dev");
    const docker = planDocker(resolveApp(app), config, inModel("shop"));
    expect(docker.networks).toEqual([
      [
        "private",
        {
          name: "shop-dev-private",
          subnet: "10.99.0.0/24",
          internal: true,
          allowPublicSubnet: false,
          labels: { "dockyard.app": "shop", "dockyard.stack": "dev" },
        },
      ],
    ]);
  });
});

describe("what Docker ignores is a warning of the plan", () => {
  test("a volume size, named once", () => {
    expect(plan({ volumes: { "db-data": { size: "5Gi" } } }).warnings).toEqual([
      "dockyard:volumes.db-data.size is ignored on target docker: a local Docker volume has no size; it grows on the engine's disk",
    ]);
  });

  test("the defaults give none", () => {
    expect(plan({}).warnings).toEqual([]);
  });
});

describe("what Docker cannot honour is refused while planning", () => {
  test.each<[string, Values, string]>([
    [
      "autoscaling",
      { services: { vote: { autoscaling: { minReplicas: 3, maxReplicas: 10, targetCpuPercent: 70 } } } },
      "dockyard:services.vote.autoscaling cannot be honoured on target docker (a Docker engine has no autoscaler); set dockyard:services.vote.replicas to the number of copies to run, or use target kubernetes",
    ],
    [
      "memory that is not a whole number of MiB",
      { services: { vote: { limits: { memory: "100.5m" } } } },
      'dockyard:services.vote.limits.memory must be a whole number of MiB on Docker, got "100.5m" (100.500 MiB)',
    ],
    [
      "a cpus limit the Docker provider reads back as another",
      { services: { vote: { limits: { cpus: 0.05 } } } },
      "dockyard:services.vote.limits.cpus 0.05 cannot be kept on Docker: the Docker provider reads it back from the engine as 0.1, so every up would replace the container; use 0.049 or 0.051",
    ],
    [
      "more containers than a subnet has addresses",
      { services: { vote: { replicas: 2, ports: { http: 5100 } } }, networks: { backend: { subnet: "10.123.2.0/29" } } },
      "dockyard:networks.backend.subnet 10.123.2.0/29 has room for 5 containers (its 8 addresses less the network, broadcast and gateway addresses), but 6 are attached (db 1, redis 1, result 1, vote 2, worker 1); use a wider subnet, such as a /28 (room for 13), or fewer replicas",
    ],
    [
      "replicas whose host ports run into another service's",
      { services: { vote: { replicas: 2 } } },
      'app "voting": services.vote.ports.http: host port 5001 is used by both service "result" and service "vote" (its 2 replicas use 5000-5001 on Docker, one port each); lower dockyard:services.vote.replicas or publish on another port',
    ],
  ])("%s", (_case, values, message) => {
    expect(() => plan(values)).toThrow(new InputError(message));
  });
});

describe("the model's restart policy on Docker", () => {
  /** The dev plan with one service's model edited. */
  function edited(edit: (app: AppModel) => void): DockerPlan {
    const config = stackConfig(stackFile("dev"), "dev");
    const { model, where } = applyConfig(votingApp, config);
    edit(model);
    return planDocker(resolveApp(model, where), config, where);
  }
  const container = (docker: DockerPlan, name: string) => docker.containers.find((c) => c.name === name)?.args;

  test("condition → restart (any: unless-stopped, on-failure with max attempts as its count, none: no); absent, the container's default", () => {
    const docker = edited((app) => {
      app.services.worker.restart = { condition: "on-failure", maxAttempts: 3 };
      app.services.vote.restart = { condition: "none" };
      app.services.result.restart = { condition: "any" };
    });
    expect(
      ["worker-1", "vote-1", "result-1", "db-1"].map((name) => [container(docker, name)?.restart, container(docker, name)?.maxRestarts]),
    ).toEqual([
      ["on-failure", 3],
      ["no", undefined],
      ["unless-stopped", undefined],
      [undefined, undefined],
    ]);
  });

  test("what a container cannot do is a warning of the plan, one line per field", () => {
    const { warnings } = edited((app) => {
      app.services.worker.restart = { condition: "any", delaySeconds: 10, maxAttempts: 2, windowSeconds: 60 };
      app.services.worker.endpointMode = "vip";
    });
    expect(warnings).toEqual([
      "app \"voting\": services.worker.endpointMode is ignored on target docker: it is a swarm's; the service's name is its containers' network alias",
      'app "voting": services.worker.restart.delaySeconds is ignored on target docker: Docker waits 100 ms before a restart, doubling each time',
      'app "voting": services.worker.restart.windowSeconds is ignored on target docker: Docker counts every restart',
      'app "voting": services.worker.restart.maxAttempts is ignored on target docker: Docker limits restarts for condition on-failure only (this one is any)',
    ]);
  });
});

/** Stack config the Docker plan cannot honour: refused before any resource is registered, named as the key. */
const refusedByDockerPlan: RefusedCase[] = [
  [
    "memory not whole MiB for Docker",
    { services: { vote: { limits: { memory: "6.5m" } } } },
    'dockyard:services.vote.limits.memory must be a whole number of MiB on Docker, got "6.5m" (6.500 MiB)',
  ],
  [
    "replicas running into another port",
    { services: { vote: { replicas: 3 } } },
    'app "voting": services.vote.ports.http: host port 5001 is used by both service "result" and service "vote" (its 3 replicas use 5000-5002 on Docker, one port each); lower dockyard:services.vote.replicas or publish on another port',
  ],
  [
    "replicas running past the last port",
    { services: { vote: { replicas: 3, ports: { http: 65534 } } } },
    "dockyard:services.vote.ports.http 65534 needs host ports 65534-65536 for 3 replicas on Docker, past 65535",
  ],
  [
    "backend /29 with 3 vote replicas",
    { networks: { backend: { subnet: "10.123.2.0/29" } }, services: { vote: { replicas: 3 }, result: { ports: { http: 5003 } } } },
    "dockyard:networks.backend.subnet 10.123.2.0/29 has room for 5 containers (its 8 addresses less the network, broadcast and gateway addresses), but 7 are attached (db 1, redis 1, result 1, vote 3, worker 1); use a wider subnet, such as a /28 (room for 13), or fewer replicas",
  ],
  [
    "backend /29 with 5 worker replicas",
    { networks: { backend: { subnet: "10.123.2.0/29" } }, services: { worker: { replicas: 5 } } },
    "dockyard:networks.backend.subnet 10.123.2.0/29 has room for 5 containers (its 8 addresses less the network, broadcast and gateway addresses), but 9 are attached (db 1, redis 1, result 1, vote 1, worker 5); use a wider subnet, such as a /28 (room for 13), or fewer replicas",
  ],
  [
    "an ipRange too small for the containers attached",
    { networks: { backend: { ipRange: "10.123.2.0/30" } } },
    "dockyard:networks.backend.ipRange 10.123.2.0/30 has room for 2 containers (its 4 addresses less the network, broadcast and gateway addresses), but 5 are attached (db 1, redis 1, result 1, vote 1, worker 1); use a wider ipRange, such as a /29 (room for 5), or fewer replicas",
  ],
  [
    "autoscaling on target docker",
    { services: { vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 70 } } } },
    "dockyard:services.vote.autoscaling cannot be honoured on target docker (a Docker engine has no autoscaler); set dockyard:services.vote.replicas to the number of copies to run, or use target kubernetes",
  ],
];

describe("the Docker plan refuses stack config before any resource is registered", () => {
  test.each(refusedByDockerPlan)("%s", async (_, config, message, stack = "dev") => {
    await expectRefused(config, message, stack);
  });
});

describe("stack config the Docker plan accepts", () => {
  test("subnet capacity counts exactly: a /29 cannot hold 7 containers, a /28 can", async () => {
    const sevenContainers = { ...SECRET_CONFIG, services: { vote: { replicas: 3 }, result: { ports: { http: 5003 } } } };
    const refused = await programError({ ...sevenContainers, networks: { backend: { subnet: "10.123.2.0/29" } } });
    expect(refused).toEqual({
      message:
        "dockyard:networks.backend.subnet 10.123.2.0/29 has room for 5 containers (its 8 addresses less the network, broadcast and gateway addresses), but 7 are attached (db 1, redis 1, result 1, vote 3, worker 1); use a wider subnet, such as a /28 (room for 13), or fewer replicas",
      registered: 0,
    });
    await runProgram({ ...sevenContainers, networks: { backend: { subnet: "10.123.2.0/28" } } });
    expect(byType("docker:index/container:Container")).toHaveLength(7);
  });
});

describe("warnings about settings target docker cannot honour, before anything is registered", () => {
  const warnings = capturedWarnings();

  test("cpus above this machine's CPUs on a local engine; a remote engine's count is unknown, so no warning (the README says so)", async () => {
    const cpus = os.availableParallelism() + 1;
    for (const dockerHost of ["unix:///var/run/docker.sock", "tcp://10.10.10.1:2376"]) {
      await planAndDeploy({ dockerHost, services: { vote: { limits: { cpus } } } });
    }
    expect(warnings).toEqual([
      {
        message: `dockyard:services.vote.limits.cpus ${cpus} is more than the ${os.availableParallelism()} CPUs of this machine; if the engine at unix:///var/run/docker.sock runs here, Docker will refuse to create the container (its cpus range is 0.01 to its CPU count)`,
        registeredBefore: 0,
      },
    ]);
  });

  test("a volume size on target docker", async () => {
    await planAndDeploy({ volumes: { "db-data": { size: "10Gi" }, "redis-data": { retain: true } } });
    expect(warnings).toEqual([
      {
        message:
          "dockyard:volumes.db-data.size is ignored on target docker: a local Docker volume has no size; it grows on the engine's disk",
        registeredBefore: 0,
      },
    ]);
  });

  test("the defaults warn about nothing", async () => {
    await planAndDeploy({});
    expect(warnings).toEqual([]);
  });

  test("nor do the defaults as the engine passes them: every key of Pulumi.yaml with its default, as if set", async () => {
    await planAndDeploy(configDefaults());
    expect(warnings).toEqual([]);
  });
});

type ModelEdit = (app: AppModel) => void;

/** The model, edited as a user would edit stacks/votingApp.ts, planned for Docker. */
const dockerModels: Array<[string, ModelEdit, string]> = [
  [
    "autoscaling in the model, on Docker",
    (app) => (app.services.vote.autoscaling = { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 70 }),
    'app "voting": services.vote.autoscaling cannot be honoured on target docker (a Docker engine has no autoscaler); set dockyard:services.vote.replicas to the number of copies to run, or use target kubernetes',
  ],
  [
    "an ipRange too small for the containers attached",
    (app) => (app.networks.backend.ipRange = "10.123.2.0/30"),
    'app "voting": networks.backend.ipRange 10.123.2.0/30 has room for 2 containers (its 4 addresses less the network, broadcast and gateway addresses), but 5 are attached (db 1, redis 1, result 1, vote 1, worker 1); use a wider ipRange, such as a /29 (room for 5), or fewer replicas',
  ],
  [
    "a variable that secret env delivers as <VAR>_FILE, set in env too",
    (app) => (app.services.worker.env = { ...app.services.worker.env, DB_PASSWORD_FILE: "/tmp/pw" }),
    'app "voting": services.worker.env.DB_PASSWORD_FILE is set, but on Docker secret env DB_PASSWORD is delivered as DB_PASSWORD_FILE=/run/secrets/db-password; rename the variable',
  ],
];

describe("the Docker target refuses model input before any resource is registered", () => {
  test.each(dockerModels)("%s", async (_, edit, message) => {
    await setupMocks({});
    const config = loadConfig((key) => (key === "secrets" ? JSON.stringify(SECRET_CONFIG.secrets) : undefined), "dev");
    const { model, where } = applyConfig(votingApp, config);
    edit(model);
    expect(() => planDocker(resolveApp(model, where), config, where)).toThrow(new InputError(message));
    await settle();
    expect(recorded).toEqual([]);
  });
});
