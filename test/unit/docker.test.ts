/** The dev stage on Docker, through the whole program under mocks: exact inputs of what is created. */
import { Container, ContainerArgs, validateContainerArgs, ValidationError } from "../../components/docker";
import { loadConfig } from "../../stacks/config";
import { InputError } from "../../stacks/errors";
import { AppModel } from "../../stacks/model";
import { AppDefinition, applyConfig } from "../../stacks/overrides";
import { resolveApp } from "../../stacks/resolve";
import { deployDocker, planDocker } from "../../stacks/targets/docker";
import { votingApp, VotingParameters } from "../../stacks/votingApp";
import { byType, find, isSecret, parentTypeOf, recorded, secretValue, settle, setupMocks, valueOf, withoutSecrets } from "./mocks";
import { ProgramExports, runProgram } from "./program";

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const VOLUME = "docker:index/volume:Volume";
const IMAGE = "docker:index/image:Image";

const PASSWORD = "s3cret-pass";
/** The minimum config every stage needs (the password is a secret in real stacks). */
const BASE_CONFIG = { secrets: { "db-password": PASSWORD } };
/** The voting app's two published ports, as a stage sets them. */
const ports = (vote: number, result: number) => ({ vote: { ports: { http: vote } }, result: { ports: { http: result } } });

describe("dev stack on Docker", () => {
  let program: ProgramExports;
  beforeAll(async () => {
    program = await runProgram({ ...BASE_CONFIG, services: ports(5000, 5001), imageTag: "dev" });
  });

  test("one container per service, named after app, stack, service and replica", () => {
    expect(byType(CONTAINER).map((c) => c.inputs.name)).toEqual([
      "voting-dev-db-1",
      "voting-dev-redis-1",
      "voting-dev-result-1",
      "voting-dev-vote-1",
      "voting-dev-worker-1",
    ]);
  });

  test("limits are converted exactly: memory in MiB with no swap on top, cpus as Docker's string", () => {
    for (const container of byType(CONTAINER)) expect(container.inputs.memorySwap).toBe(container.inputs.memory);
    const limits = Object.fromEntries(byType(CONTAINER).map((c) => [c.name, [c.inputs.memory, c.inputs.cpus]]));
    expect(limits).toEqual({
      "db-1": [512, "1.0"],
      "redis-1": [128, "0.5"],
      "result-1": [128, "0.5"],
      "vote-1": [128, "0.5"],
      "worker-1": [128, "0.5"],
    });
  });

  test("networks are bridges with the configured subnets", () => {
    expect(byType(NETWORK).map((n) => [n.inputs.name, n.inputs.driver, n.inputs.internal, n.inputs.ipamConfigs])).toEqual([
      ["voting-dev-backend", "bridge", false, [{ subnet: "10.123.2.0/24", gateway: "10.123.2.1" }]],
      ["voting-dev-frontend", "bridge", false, [{ subnet: "10.123.1.0/24", gateway: "10.123.1.1" }]],
    ]);
  });

  test("db and redis only on backend, worker on backend, vote and result on both; the service name is the alias", () => {
    const membership = Object.fromEntries(
      byType(CONTAINER).map((c) => [
        c.name,
        c.inputs.networksAdvanced.map((n: { name: string; aliases: string[] }) => [n.name, n.aliases]),
      ]),
    );
    expect(membership).toEqual({
      "db-1": [["voting-dev-backend", ["db"]]],
      "redis-1": [["voting-dev-backend", ["redis"]]],
      "worker-1": [["voting-dev-backend", ["worker"]]],
      "vote-1": [
        ["voting-dev-frontend", ["vote"]],
        ["voting-dev-backend", ["vote"]],
      ],
      "result-1": [
        ["voting-dev-frontend", ["result"]],
        ["voting-dev-backend", ["result"]],
      ],
    });
  });

  test("the db keeps its data in the named volume; redis its append-only file", () => {
    expect(find(CONTAINER, "db-1").inputs.volumes).toEqual([
      { volumeName: "voting-dev-db-data", containerPath: "/var/lib/postgresql/data", readOnly: false },
    ]);
    expect(find(CONTAINER, "redis-1").inputs.volumes).toEqual([
      { volumeName: "voting-dev-redis-data", containerPath: "/data", readOnly: false },
    ]);
    expect(find(CONTAINER, "redis-1").inputs.command).toEqual(["redis-server", "--appendonly", "yes"]);
    expect(byType(VOLUME).map((v) => [v.inputs.name, v.inputs.driver])).toEqual([
      ["voting-dev-db-data", "local"],
      ["voting-dev-redis-data", "local"],
    ]);
  });

  test("only vote and result publish ports, on 127.0.0.1; db and redis are bound on no host port", () => {
    // A provider port without `external` would be published on a random host port on 0.0.0.0: the
    // unpublished ports of db and redis must not reach the provider at all.
    const ports = Object.fromEntries(byType(CONTAINER).map((c) => [c.name, c.inputs.ports]));
    expect(ports).toEqual({
      "db-1": [],
      "redis-1": [],
      "result-1": [{ internal: 8081, external: 5001, ip: "127.0.0.1", protocol: "tcp" }],
      "vote-1": [{ internal: 8080, external: 5000, ip: "127.0.0.1", protocol: "tcp" }],
      "worker-1": [],
    });
  });

  test("health checks as Docker runs them, and every container with one is waited for", () => {
    expect(find(CONTAINER, "db-1").inputs.healthcheck).toEqual({
      tests: ["CMD", "pg_isready", "-U", "postgres", "-d", "postgres"],
      interval: "5s",
      timeout: "5s",
      retries: 5,
      startPeriod: "10s",
    });
    expect(find(CONTAINER, "vote-1").inputs.healthcheck.tests).toEqual(["CMD", "healthcheck"]);
    expect(byType(CONTAINER).map((c) => [c.name, c.inputs.wait, c.inputs.waitTimeout])).toEqual([
      ["db-1", true, 100],
      ["redis-1", true, 75],
      ["result-1", true, 100],
      ["vote-1", true, 100],
      ["worker-1", true, 100],
    ]);
  });

  test("the postgres password is a secret: not in any recorded input in plain text", () => {
    expect(JSON.stringify(recorded.map((r) => withoutSecrets(r.inputs)))).not.toContain(PASSWORD);
  });

  test("the password reaches db, worker and result as a secret file, named by *_FILE, never in the env", () => {
    const password = PASSWORD;
    for (const name of ["db-1", "result-1", "worker-1"]) {
      const { uploads, envs } = find(CONTAINER, name).inputs;
      expect(secretValue(uploads)).toEqual([{ file: "/run/secrets/db-password", content: password, permissions: "0444" }]);
      // The env is plain (nothing in it needs hiding) and holds no password.
      expect(Array.isArray(envs)).toBe(true);
      expect(JSON.stringify(envs)).not.toContain(password);
    }
    expect(find(CONTAINER, "db-1").inputs.envs).toEqual([
      "PGDATA=/var/lib/postgresql/data/pgdata",
      "POSTGRES_DB=postgres",
      "POSTGRES_PASSWORD_FILE=/run/secrets/db-password",
      "POSTGRES_USER=postgres",
    ]);
    expect(find(CONTAINER, "worker-1").inputs.envs).toEqual([
      "DB_HOST=db",
      "DB_NAME=postgres",
      "DB_PASSWORD_FILE=/run/secrets/db-password",
      "DB_PORT=5432",
      "DB_USER=postgres",
      "PORT=8082",
      "REDIS_HOST=redis",
      "REDIS_PORT=6379",
    ]);
    expect(find(CONTAINER, "result-1").inputs.envs).toEqual([
      "DB_HOST=db",
      "DB_NAME=postgres",
      "DB_PASSWORD_FILE=/run/secrets/db-password",
      "DB_PORT=5432",
      "DB_USER=postgres",
      "OPTION_A=Cats",
      "OPTION_B=Dogs",
      "PORT=8081",
    ]);
    for (const name of ["redis-1", "vote-1"]) expect(find(CONTAINER, name).inputs.uploads).toBeUndefined();
    expect(find(CONTAINER, "vote-1").inputs.envs).toEqual([
      "OPTION_A=Cats",
      "OPTION_B=Dogs",
      "PORT=8080",
      "REDIS_HOST=redis",
      "REDIS_PORT=6379",
    ]);
  });

  test("built images are tagged with the app and imageTag, not pushed, base images as build args", () => {
    expect(byType(IMAGE).map((i) => [i.name, i.inputs.imageName, i.inputs.skipPush, i.inputs.build])).toEqual([
      [
        "result",
        "voting-result:dev",
        true,
        {
          context: "apps",
          dockerfile: "apps/node-common/Dockerfile",
          args: { APP: "result", NODE_IMAGE: "node:22-slim", PORT: "8081" },
          builderVersion: "BuilderBuildKit",
        },
      ],
      [
        "vote",
        "voting-vote:dev",
        true,
        {
          context: "apps/vote",
          dockerfile: "apps/vote/Dockerfile",
          args: { PYTHON_IMAGE: "python:3.12-slim" },
          builderVersion: "BuilderBuildKit",
        },
      ],
      [
        "worker",
        "voting-worker:dev",
        true,
        {
          context: "apps",
          dockerfile: "apps/node-common/Dockerfile",
          args: { APP: "worker", NODE_IMAGE: "node:22-slim", PORT: "8082" },
          builderVersion: "BuilderBuildKit",
        },
      ],
    ]);
  });

  test("containers run the built image's digest, so a rebuild replaces them", () => {
    expect(find(CONTAINER, "vote-1").inputs.image).toBe("sha256:vote-digest");
    expect(find(CONTAINER, "redis-1").inputs.image).toBe("sha256:redis-image-id");
  });

  test("every provider resource sits under its component", () => {
    expect(parentTypeOf(CONTAINER, "vote-1")).toBe("dockyard:index:Container");
    expect(parentTypeOf(NETWORK, "backend")).toBe("dockyard:index:Network");
    expect(parentTypeOf(VOLUME, "db-data")).toBe("dockyard:index:Volume");
    expect(parentTypeOf(IMAGE, "vote")).toBe("dockyard:index:Image");
    expect(byType("dockyard:index:Container").map((c) => c.name)).toEqual(["db-1", "redis-1", "result-1", "vote-1", "worker-1"]);
  });

  test("the explicit provider talks to the configured engine", () => {
    expect(find("pulumi:providers:docker", "docker").inputs.host).toBe("unix:///var/run/docker.sock");
  });

  test("outputs: URLs, subnets, volume names, image refs; the password is not among them", async () => {
    expect(await valueOf(program.urls)).toEqual({ result: "http://127.0.0.1:5001", vote: "http://127.0.0.1:5000" });
    expect(await valueOf(program.networks)).toEqual({ backend: "10.123.2.0/24", frontend: "10.123.1.0/24" });
    expect(await valueOf(program.volumes)).toEqual({ "db-data": "voting-dev-db-data", "redis-data": "voting-dev-redis-data" });
    expect(await valueOf(program.images)).toEqual({
      result: "sha256:result-digest",
      vote: "sha256:vote-digest",
      worker: "sha256:worker-digest",
    });
    expect(await isSecret(program.images.vote)).toBe(false);
  });
});

describe("replicas on Docker", () => {
  test("services.vote.replicas 3 makes three vote containers on consecutive host ports, all aliased vote", async () => {
    await runProgram({ ...BASE_CONFIG, services: { ...ports(5000, 5010), vote: { replicas: 3, ports: { http: 5000 } } } });
    const votes = byType(CONTAINER).filter((c) => c.name.startsWith("vote-"));
    expect(votes.map((c) => [c.inputs.name, c.inputs.ports[0].external, c.inputs.networksAdvanced[0].aliases])).toEqual([
      ["voting-dev-vote-1", 5000, ["vote"]],
      ["voting-dev-vote-2", 5001, ["vote"]],
      ["voting-dev-vote-3", 5002, ["vote"]],
    ]);
    expect(byType(CONTAINER)).toHaveLength(7);
  });

  test("replicas 0 stops a service without removing the others", async () => {
    await runProgram({ ...BASE_CONFIG, services: { worker: { replicas: 0 } } });
    expect(byType(CONTAINER).map((c) => c.name)).toEqual(["db-1", "redis-1", "result-1", "vote-1"]);
  });
});

describe("config that changes what Docker gets", () => {
  test("a stop grace period: the container's stop timeout; left out, the engine's", async () => {
    await runProgram({ ...BASE_CONFIG, services: { worker: { stopGracePeriodSeconds: 45 } } });
    expect([find(CONTAINER, "worker-1").inputs.stopTimeout, find(CONTAINER, "vote-1").inputs.stopTimeout]).toEqual([45, undefined]);
  });

  test("a remote engine, a public bind address and limit overrides", async () => {
    const program = await runProgram({
      ...BASE_CONFIG,
      dockerHost: "ssh://deploy@10.0.0.5",
      bindAddress: "0.0.0.0",
      services: { vote: { limits: { cpus: 1.5, memory: "1g" } }, db: { limits: { memory: "2g" } } },
      networks: { frontend: { subnet: "172.18.0.0/16" } },
    });
    expect(find("pulumi:providers:docker", "docker").inputs.host).toBe("ssh://deploy@10.0.0.5");
    expect([find(CONTAINER, "vote-1").inputs.cpus, find(CONTAINER, "vote-1").inputs.memory]).toEqual(["1.5", 1024]);
    expect([find(CONTAINER, "db-1").inputs.cpus, find(CONTAINER, "db-1").inputs.memory]).toEqual(["1.0", 2048]);
    expect(find(CONTAINER, "vote-1").inputs.ports[0].ip).toBe("0.0.0.0");
    expect(await valueOf(program.urls)).toEqual({ result: "http://10.0.0.5:5001", vote: "http://10.0.0.5:5000" });
    expect(find(NETWORK, "frontend").inputs.ipamConfigs).toEqual([{ subnet: "172.18.0.0/16", gateway: "172.18.0.1" }]);
  });

  test("base images, a registry and the image tag come from config", async () => {
    await runProgram({
      ...BASE_CONFIG,
      buildArgs: { PYTHON_IMAGE: "mirror.internal:5000/python:3.12-slim" },
      registry: "localhost:5000",
      imageTag: "1.2.0",
    });
    const image = find(IMAGE, "vote");
    expect([image.inputs.imageName, image.inputs.skipPush, image.inputs.build.args]).toEqual([
      "localhost:5000/voting-vote:1.2.0",
      false,
      { PYTHON_IMAGE: "mirror.internal:5000/python:3.12-slim" },
    ]);
    // No registryUsername: no credentials are sent (a registry without login).
    expect(image.inputs.registry).toEqual({ server: "localhost:5000" });
  });
});

describe("a registry: built images are pushed and the containers run the pushed digests", () => {
  test("each built image is pushed to the registry, without credentials when no user is set", async () => {
    const program = await runProgram({
      ...BASE_CONFIG,
      registry: "127.0.0.1:5000",
      imageTag: "e2e",
      services: { ...ports(5000, 5010), vote: { replicas: 2, ports: { http: 5000 } } },
    });
    expect(byType(IMAGE).map((i) => [i.name, i.inputs.imageName, i.inputs.skipPush, i.inputs.registry])).toEqual([
      ["result", "127.0.0.1:5000/voting-result:e2e", false, { server: "127.0.0.1:5000" }],
      ["vote", "127.0.0.1:5000/voting-vote:e2e", false, { server: "127.0.0.1:5000" }],
      ["worker", "127.0.0.1:5000/voting-worker:e2e", false, { server: "127.0.0.1:5000" }],
    ]);
    // The mock's repoDigest is what the provider reports for a push: repository@sha256:... in the registry.
    expect(Object.fromEntries(byType(CONTAINER).map((c) => [c.name, c.inputs.image]))).toEqual({
      "db-1": "sha256:db-image-id",
      "redis-1": "sha256:redis-image-id",
      "result-1": "127.0.0.1:5000/voting-result@sha256:result-digest",
      "vote-1": "127.0.0.1:5000/voting-vote@sha256:vote-digest",
      "vote-2": "127.0.0.1:5000/voting-vote@sha256:vote-digest",
      "worker-1": "127.0.0.1:5000/voting-worker@sha256:worker-digest",
    });
    expect(await valueOf(program.images)).toEqual({
      result: "127.0.0.1:5000/voting-result@sha256:result-digest",
      vote: "127.0.0.1:5000/voting-vote@sha256:vote-digest",
      worker: "127.0.0.1:5000/voting-worker@sha256:worker-digest",
    });
  });

  test("with a user and password, the push logs in with them, as a secret", async () => {
    await runProgram({ ...BASE_CONFIG, registry: "127.0.0.1:5000", registryUsername: "ci", registryPassword: "token-456" });
    for (const image of byType(IMAGE)) {
      expect(image.inputs.skipPush).toBe(false);
      expect(secretValue(image.inputs.registry)).toEqual({ server: "127.0.0.1:5000", username: "ci", password: "token-456" });
    }
    expect(find(CONTAINER, "worker-1").inputs.image).toBe("127.0.0.1:5000/voting-worker@sha256:worker-digest");
    expect(JSON.stringify(recorded.map((r) => withoutSecrets(r.inputs)))).not.toContain("token-456");
  });

  test("without a registry nothing is pushed and the containers run the local image id", async () => {
    await runProgram({ ...BASE_CONFIG });
    expect(byType(IMAGE).map((i) => [i.name, i.inputs.imageName, i.inputs.skipPush, i.inputs.registry])).toEqual([
      ["result", "voting-result:v1", true, undefined],
      ["vote", "voting-vote:v1", true, undefined],
      ["worker", "voting-worker:v1", true, undefined],
    ]);
    expect(Object.fromEntries(byType(CONTAINER).map((c) => [c.name, c.inputs.image]))).toEqual({
      "db-1": "sha256:db-image-id",
      "redis-1": "sha256:redis-image-id",
      "result-1": "sha256:result-digest",
      "vote-1": "sha256:vote-digest",
      "worker-1": "sha256:worker-digest",
    });
  });
});

describe("data volumes and retain", () => {
  test("by default the volumes are deleted with the stack", async () => {
    await runProgram({ ...BASE_CONFIG });
    expect(byType(VOLUME).map((v) => [v.name, v.options.retainOnDelete])).toEqual([
      ["db-data", false],
      ["redis-data", false],
    ]);
  });

  test("volumes.<name>.retain keeps them (and their data) when the stack is destroyed", async () => {
    await runProgram({ ...BASE_CONFIG, volumes: { "db-data": { retain: true }, "redis-data": { retain: true } } });
    expect(byType(VOLUME).map((v) => [v.name, v.options.retainOnDelete])).toEqual([
      ["db-data", true],
      ["redis-data", true],
    ]);
  });

  test('no container waits for another (the apps\' dependencies are "started"); each waits for its network, volume and image', async () => {
    await runProgram({ ...BASE_CONFIG });
    const deps = (name: string) =>
      find(CONTAINER, name)
        .options.dependencies.filter((urn) => urn.includes("docker:index/container:Container::"))
        .map((urn) => urn.split("::").pop())
        .sort();
    for (const name of ["db-1", "redis-1", "result-1", "vote-1", "worker-1"]) expect(deps(name)).toEqual([]);
    const others = find(CONTAINER, "db-1")
      .options.dependencies.filter((urn) => !urn.includes("docker:index/container:Container::"))
      .map((urn) => `${urn.split("::")[2].split("$").pop()} ${urn.split("::").pop()}`)
      .sort();
    expect(others).toEqual([
      "docker:index/network:Network backend",
      "docker:index/remoteImage:RemoteImage db-image",
      "docker:index/volume:Volume db-data",
    ]);
  });
});

test("a registry with a path logs in to the host and pushes under the path", async () => {
  await runProgram({ ...BASE_CONFIG, registry: "registry.example.com/team", registryUsername: "ci", registryPassword: "token-123" });
  const image = find(IMAGE, "worker");
  expect(image.inputs.imageName).toBe("registry.example.com/team/voting-worker:v1");
  expect(secretValue(image.inputs.registry)).toEqual({ server: "registry.example.com", username: "ci", password: "token-123" });
  expect(JSON.stringify(withoutSecrets(image.inputs))).not.toContain("token-123");
});

test("a prebuilt image (built by CI) replaces the build of that service only", async () => {
  await runProgram({ ...BASE_CONFIG, services: { vote: { image: "registry.example.com/voting-vote:1.4.2" } } });
  expect(byType(IMAGE).map((i) => i.name)).toEqual(["result", "worker"]);
  expect(find("docker:index/remoteImage:RemoteImage", "vote-image").inputs).toEqual({
    name: "registry.example.com/voting-vote:1.4.2",
    keepLocally: true,
  });
  expect(find(CONTAINER, "vote-1").inputs.image).toBe("sha256:vote-image-id");
});

describe("secret env on Docker becomes files", () => {
  /** The voting app with its model changed by `change`, as another app module would describe it. */
  const changed = (change: (model: AppModel) => void): AppDefinition<VotingParameters> => ({
    ...votingApp,
    model: (parameters) => {
      const model = votingApp.model(parameters);
      change(model);
      return model;
    },
  });
  /** The dev stack's plan for an app, as index.ts makes it. */
  const plan = (definition: AppDefinition<VotingParameters>) => {
    const config = loadConfig((key) => (key === "secrets" ? JSON.stringify(BASE_CONFIG.secrets) : undefined), "dev");
    const { model, where } = applyConfig(definition, config);
    return planDocker(resolveApp(model, where), config, where);
  };

  test.each([
    [
      "the variable itself",
      "DB_PASSWORD",
      'app "voting": services.worker.env.DB_PASSWORD is set both as plain env and as secret env; set it once',
    ],
    [
      "its _FILE variable",
      "DB_PASSWORD_FILE",
      'app "voting": services.worker.env.DB_PASSWORD_FILE is set, but on Docker secret env DB_PASSWORD is delivered as DB_PASSWORD_FILE=/run/secrets/db-password; rename the variable',
    ],
  ])("a plain env that collides with %s is refused before anything is registered", async (_case, variable, message) => {
    await setupMocks({ ...BASE_CONFIG });
    const definition = changed((model) => {
      model.services.worker.env = { ...model.services.worker.env, [variable]: "x" };
    });
    expect(() => deployDocker(plan(definition))).toThrow(new InputError(message));
    await settle();
    expect(recorded).toEqual([]);
  });

  test("two variables naming one secret share one file", async () => {
    await setupMocks({ ...BASE_CONFIG });
    deployDocker(
      plan(
        changed((model) => {
          model.services.result.secretEnv = { DB_PASSWORD: "db-password", PGPASSWORD: "db-password" };
        }),
      ),
    );
    await settle();
    const result = find(CONTAINER, "result-1").inputs;
    expect(secretValue(result.uploads)).toEqual([{ file: "/run/secrets/db-password", content: PASSWORD, permissions: "0444" }]);
    expect(result.envs.filter((env: string) => env.includes("PASSWORD"))).toEqual([
      "DB_PASSWORD_FILE=/run/secrets/db-password",
      "PGPASSWORD_FILE=/run/secrets/db-password",
    ]);
  });
});

describe("Container: secret files and unpublished ports", () => {
  const base = { name: "app", image: "app:1" };
  test.each([
    [
      { secretFiles: [{ path: "run/secrets/x", content: "v" }] },
      'Container "app": secret file path must be an absolute file path, got "run/secrets/x"',
    ],
    [
      {
        secretFiles: [
          { path: "/run/secrets/x", content: "a" },
          { path: "/run/secrets/x", content: "b" },
        ],
      },
      'Container "app": secret file /run/secrets/x is given twice',
    ],
    [
      { secretFiles: [{ path: "/run/secrets/x", content: "v", mode: "444" }] },
      'Container "app": secret file /run/secrets/x: mode must be octal like "0444", got "444"',
    ],
    [{ maxRestarts: 3 }, 'Container "app": maxRestarts applies to restart "on-failure" only, got restart "unless-stopped"'],
    [{ restart: "on-failure" as const, maxRestarts: 0 }, 'Container "app": maxRestarts must be a whole number of 1 or more, got 0'],
  ])("refuses %j", (args, message) => {
    expect(() => validateContainerArgs("app", { ...base, ...args })).toThrow(new ValidationError(message));
  });

  test("a port without a host port reaches the provider not at all; a secret file with its mode", async () => {
    await setupMocks({});
    new Container("app", {
      ...base,
      ports: [
        { containerPort: 6379 },
        { containerPort: 8080, hostPort: 18080 },
        { containerPort: 9090, hostPort: 19090, hostIp: "0.0.0.0", protocol: "udp" },
      ],
      secretFiles: [{ path: "/run/secrets/token", content: "t0ken", mode: "0400" }],
    });
    await settle();
    const inputs = find(CONTAINER, "app").inputs;
    expect(inputs.ports).toEqual([
      { internal: 8080, external: 18080, ip: "127.0.0.1", protocol: "tcp" },
      { internal: 9090, external: 19090, ip: "0.0.0.0", protocol: "udp" },
    ]);
    expect(secretValue(inputs.uploads)).toEqual([{ file: "/run/secrets/token", content: "t0ken", permissions: "0400" }]);
    expect(inputs.envs).toEqual([]);
  });
});

describe("Container: secret files on a read-only root filesystem go through a never-started holder and a read-only volume", () => {
  const readOnly = { capDrop: ["ALL"], noNewPrivileges: true, readOnlyRootFilesystem: true, tmpfs: ["/tmp"] };
  const files = [
    { path: "/run/secrets/db-password", content: "pw" },
    { path: "/run/secrets/token", content: "t0ken", mode: "0400" },
  ];
  const labels = { "dockyard.stack": "dev" };

  test("the volume and the holder: exact inputs; the service's container mounts the volume read-only, follows the holder, uploads nothing", async () => {
    await setupMocks({});
    new Container("app-1", { name: "shop-app-1", image: "app:1", user: "1000:1000", security: readOnly, secretFiles: files, labels });
    await settle();
    const holderLabels = [
      { label: "dockyard.secrets-of", value: "shop-app-1" },
      { label: "dockyard.stack", value: "dev" },
    ];
    expect(find(VOLUME, "app-1-secrets").inputs).toEqual({ name: "shop-app-1-secrets", driver: "local", labels: holderLabels });
    const holder = find(CONTAINER, "app-1-secrets");
    expect(withoutSecrets(holder.inputs)).toEqual({
      name: "shop-app-1-secrets",
      image: "app:1",
      uploads: "[secret]",
      volumes: [{ volumeName: "shop-app-1-secrets", containerPath: "/run/secrets", readOnly: false }],
      labels: holderLabels,
      start: false,
      mustRun: false,
      restart: "no",
      capabilities: { drops: ["ALL"] },
      securityOpts: ["no-new-privileges:true"],
      user: "65534:65534",
      cpus: "0.1",
      memory: 6,
      memorySwap: 6,
    });
    expect(secretValue(holder.inputs.uploads)).toEqual([
      { file: "/run/secrets/db-password", content: "pw", permissions: "0444" },
      { file: "/run/secrets/token", content: "t0ken", permissions: "0400" },
    ]);
    const app = find(CONTAINER, "app-1").inputs;
    expect([app.uploads, app.readOnly, app.tmpfs, app.volumes, app.labels]).toEqual([
      undefined,
      true,
      { "/tmp": "rw,noexec,nosuid,size=65536k" },
      [{ volumeName: "shop-app-1-secrets", containerPath: "/run/secrets", readOnly: true }],
      [
        { label: "dockyard.stack", value: "dev" },
        { label: "dockyard.secrets-holder", value: "app-1-secrets-id" },
      ],
    ]);
    // Both fixed names: a replacement removes the old one first; both under the Container component.
    expect([holder.options.deleteBeforeReplace, find(VOLUME, "app-1-secrets").options.deleteBeforeReplace]).toEqual([true, true]);
    expect([parentTypeOf(CONTAINER, "app-1-secrets"), parentTypeOf(VOLUME, "app-1-secrets")]).toEqual([
      "dockyard:index:Container",
      "dockyard:index:Container",
    ]);
  });

  test("a writable root keeps the direct upload, with no holder", async () => {
    await setupMocks({});
    new Container("app-1", { name: "shop-app-1", image: "app:1", security: { capDrop: ["ALL"] }, secretFiles: files });
    await settle();
    expect(recorded.map((r) => `${r.type} ${r.name}`)).toEqual(["dockyard:index:Container app-1", `${CONTAINER} app-1`]);
    expect(find(CONTAINER, "app-1").inputs.volumes).toEqual([]);
  });

  test("files in two directories are refused, naming them", () => {
    expect(() =>
      validateContainerArgs("app-1", {
        name: "app",
        image: "app:1",
        security: readOnly,
        secretFiles: [
          { path: "/run/secrets/a", content: "a" },
          { path: "/etc/app/b", content: "b" },
        ],
      }),
    ).toThrow(
      new ValidationError(
        'Container "app-1": with security.readOnlyRootFilesystem, secret files must all be in one directory other than / (a volume mounted read-only there holds them), got /run/secrets/a, /etc/app/b',
      ),
    );
  });
});

const CONTAINER_BASE: ContainerArgs = { name: "app", image: "app:1" };

describe("Container refuses its own bad args before registering anything, itself included", () => {
  test.each([
    [
      "env name starting with a digit (the rule the Kubernetes Deployment uses)",
      { env: { "1BAD": "x" } },
      'Container "app": env name must be letters, digits, _ - . not starting with a digit, got "1BAD"',
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
  ] satisfies Array<[string, Partial<ContainerArgs>, string]>)("%s", async (_, args, message) => {
    await setupMocks({});
    expect(() => new Container("app", { ...CONTAINER_BASE, ...args })).toThrow(new ValidationError(message));
    await settle();
    expect(recorded).toEqual([]);
  });
});
