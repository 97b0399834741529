/**
 * stacks/overrides.ts: a stage's settings laid over an app's model. Each per-service, per-network and
 * per-volume setting lands on the model at the path of the same name (or through its mapping: ports,
 * image), and `where` names the config key for exactly the values the stack config set.
 */
import { z } from "zod";
import { SERVICE_SETTINGS } from "../../stacks/config";
import { AppModel, ServiceModel } from "../../stacks/model";
import { AppDefinition, applyConfig } from "../../stacks/overrides";
import { votingApp } from "../../stacks/votingApp";
import { stackConfig, Values } from "./stage";

/** One service, "web", with a value of its own in every field a stage can set, and one the stage cannot. */
function testModel(): AppModel {
  return {
    name: "shop",
    services: {
      web: {
        image: { kind: "build", context: "apps/web", args: { BASE_IMAGE: "python:3.12-slim" } },
        ports: [
          { name: "http", containerPort: 8000, publishedPort: 8000 },
          { name: "admin", containerPort: 9000 },
        ],
        networks: ["front"],
        limits: { cpus: 0.5, memory: "128m" },
        replicas: 1,
        rollout: { parallelism: 1, order: "stop-first", rollback: { order: "stop-first", parallelism: 1 } },
        reservations: { cpus: 0.1, memory: "32m" },
        placement: { constraints: ["node.role == worker"], maxReplicasPerNode: 2 },
        restart: { condition: "on-failure", maxAttempts: 3 },
        endpointMode: "vip",
        user: "1000",
      },
    },
    networks: { front: { subnet: "10.60.1.0/24", gateway: "10.60.1.1" } },
    volumes: { data: { size: "1Gi" } },
    secrets: { "db-password": { description: "the password" } },
  };
}

const testApp: AppDefinition<Record<string, never>> = { name: "shop", parameters: z.strictObject({}), model: testModel };

const configured = (values: Values, stack = "dev") => applyConfig(testApp, stackConfig(values, stack));
const web = (values: Values): ServiceModel => configured({ services: { web: values } }).model.services.web;

/**
 * A value for every key of the service settings shape, each different from testModel's, and where
 * it lands on the model: `at` (model path below the service) → value. A key of the shape without a
 * sample fails the first test: a new key comes with its sample here.
 */
const SAMPLES: Record<string, { given: unknown; lands: Record<string, unknown> }> = {
  replicas: { given: 3, lands: { replicas: 3 } },
  ports: { given: { admin: 9090 }, lands: { "ports.admin": 9090 } },
  limits: { given: { cpus: 2, memory: "1g" }, lands: { "limits.cpus": 2, "limits.memory": "1g" } },
  autoscaling: {
    given: { minReplicas: 2, maxReplicas: 6, targetCpuPercent: 70 },
    lands: { autoscaling: { minReplicas: 2, maxReplicas: 6, targetCpuPercent: 70 } },
  },
  image: { given: "registry.example.com/web:2", lands: { image: { kind: "pull", ref: "registry.example.com/web:2" } } },
  rollout: {
    given: { delaySeconds: 4, rollback: { parallelism: 2 } },
    lands: { "rollout.delaySeconds": 4, "rollout.rollback.parallelism": 2 },
  },
  reservations: { given: { memory: "64m" }, lands: { "reservations.memory": "64m" } },
  placement: { given: { maxReplicasPerNode: 1 }, lands: { "placement.maxReplicasPerNode": 1 } },
  restart: { given: { delaySeconds: 7 }, lands: { "restart.delaySeconds": 7 } },
  stopGracePeriodSeconds: { given: 45, lands: { stopGracePeriodSeconds: 45 } },
  security: {
    given: { readOnlyRootFilesystem: true, capAdd: ["NET_BIND_SERVICE"] },
    lands: { "security.readOnlyRootFilesystem": true, "security.capAdd": ["NET_BIND_SERVICE"] },
  },
  endpointMode: { given: "dnsrr", lands: { endpointMode: "dnsrr" } },
};

/** The model's value at a path below a service; a port by its name, as the config addresses it. */
function valueAt(service: ServiceModel, at: string): unknown {
  const [first, ...rest] = at.split(".");
  if (first === "ports") return service.ports?.find((port) => port.name === rest[0])?.publishedPort;
  return [first, ...rest].reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], service);
}

describe("every per-service setting lands on the model at its own path, named by its config key", () => {
  test("the samples cover exactly the keys of the service settings shape", () => {
    expect(Object.keys(SAMPLES)).toEqual(Object.keys(SERVICE_SETTINGS.shape));
  });

  test.each(Object.keys(SERVICE_SETTINGS.shape))("%s", (key) => {
    const { given, lands } = SAMPLES[key];
    const { model, where } = configured({ services: { web: { [key]: given } } });
    for (const [at, value] of Object.entries(lands)) {
      expect(valueAt(model.services.web, at)).toEqual(value);
      expect(where(`services.web.${at}`)).toBe(`dockyard:services.web.${at}`);
    }
    // Nothing else about the service changed.
    const untouched = testModel().services.web;
    for (const field of Object.keys(untouched) as Array<keyof ServiceModel>) {
      if (field !== key) expect(model.services.web[field]).toEqual(untouched[field]);
    }
  });
});

describe("laying settings over the model", () => {
  test("an object given in part is laid field by field: the app's other fields stay", () => {
    expect(web({ rollout: { delaySeconds: 4, rollback: { parallelism: 2 } } }).rollout).toEqual({
      parallelism: 1,
      order: "stop-first",
      delaySeconds: 4,
      rollback: { order: "stop-first", parallelism: 2 },
    });
    expect(web({ limits: { memory: "1g" } }).limits).toEqual({ cpus: 0.5, memory: "1g" });
    expect(web({ placement: { constraints: ["node.role == manager"] } }).placement).toEqual({
      constraints: ["node.role == manager"],
      maxReplicasPerNode: 2,
    });
  });

  test("a setting the app does not have yet is added", () => {
    const model = testModel();
    delete model.services.web.restart;
    const app: AppDefinition<Record<string, never>> = { ...testApp, model: () => model };
    const { model: laid } = applyConfig(app, stackConfig({ services: { web: { restart: { condition: "any" } } } }, "dev"));
    expect(laid.services.web.restart).toEqual({ condition: "any" });
  });

  test("where names the config key for the values set, and the model's path for the app's own", () => {
    const { where } = configured({
      services: { web: { rollout: { delaySeconds: 4 }, ports: { admin: 9090 } } },
      networks: { front: { subnet: "10.70.1.0/24" } },
      volumes: { data: { retain: true } },
    });
    expect(where("services.web.rollout.delaySeconds")).toBe("dockyard:services.web.rollout.delaySeconds");
    expect(where("services.web.rollout.order")).toBe('app "shop": services.web.rollout.order');
    expect(where("services.web.rollout.rollback")).toBe('app "shop": services.web.rollout.rollback');
    expect(where("services.web.ports.admin")).toBe("dockyard:services.web.ports.admin");
    expect(where("services.web.ports.http")).toBe('app "shop": services.web.ports.http');
    expect(where("services.web.ports")).toBe('app "shop": services.web.ports');
    expect(where("networks.front.subnet")).toBe("dockyard:networks.front.subnet");
    expect(where("networks.front.gateway")).toBe('app "shop": networks.front.gateway');
    expect(where("volumes.data.retain")).toBe("dockyard:volumes.data.retain");
    expect(where("volumes.data.size")).toBe('app "shop": volumes.data.size');
  });

  test("a settings object that must be given whole (autoscaling) is named whole", () => {
    const { model, where } = configured({ services: { web: { autoscaling: { minReplicas: 2, maxReplicas: 6, targetCpuPercent: 70 } } } });
    expect(model.services.web.autoscaling).toEqual({ minReplicas: 2, maxReplicas: 6, targetCpuPercent: 70 });
    expect(where("services.web.autoscaling")).toBe("dockyard:services.web.autoscaling");
    expect(where("services.web.autoscaling.maxReplicas")).toBe("dockyard:services.web.autoscaling.maxReplicas");
  });

  test("network and volume settings land on the model's fields of the same names", () => {
    const { model } = configured({
      networks: { front: { subnet: "10.70.1.0/24", ipRange: "10.70.1.0/25" } },
      volumes: { data: { size: "5Gi", retain: true } },
    });
    expect(model.networks).toEqual({ front: { subnet: "10.70.1.0/24", gateway: "10.60.1.1", ipRange: "10.70.1.0/25" } });
    expect(model.volumes).toEqual({ data: { size: "5Gi", retain: true } });
  });

  test("objects the app shares between services are copied, not changed for both", () => {
    const shared = { cpus: 0.5, memory: "128m" };
    const model = testModel();
    model.services.api = { ...model.services.web, ports: [], limits: shared };
    model.services.web.limits = shared;
    const app: AppDefinition<Record<string, never>> = { ...testApp, model: () => model };
    const { model: laid } = applyConfig(app, stackConfig({ services: { web: { limits: { cpus: 2 } } } }, "dev"));
    expect(laid.services.web.limits).toEqual({ cpus: 2, memory: "128m" });
    expect(laid.services.api.limits).toEqual({ cpus: 0.5, memory: "128m" });
  });

  test("a setting given for nothing the app has is refused, naming the config key and what exists", () => {
    expect(() => web({ ports: { web: 8080 } })).toThrow(
      'dockyard:services.web.ports.web: service "web" has no port named "web"; its ports are: http, admin',
    );
    expect(() => configured({ services: { api: { replicas: 2 } } })).toThrow(
      'dockyard:services.api: the app has no service "api"; its services are: web',
    );
    expect(() => configured({ networks: { back: { subnet: "10.70.2.0/24" } } })).toThrow(
      'dockyard:networks.back: the app has no network "back"; its networks are: front',
    );
    expect(() => configured({ volumes: { logs: { size: "1Gi" } } })).toThrow(
      'dockyard:volumes.logs: the app has no volume "logs"; its volumes are: data',
    );
  });

  test("build arguments replace the declared argument and are named by dockyard:buildArgs", () => {
    const { model, where } = configured({ buildArgs: { BASE_IMAGE: "python:3.13-slim" } });
    expect(model.services.web.image).toEqual({ kind: "build", context: "apps/web", args: { BASE_IMAGE: "python:3.13-slim" } });
    expect(where("services.web.image.args.BASE_IMAGE")).toBe("dockyard:buildArgs.BASE_IMAGE");
  });
});

// The refusals of the whole program that applyConfig decides.
import { expectRefused, RefusedCase } from "./program";

/** Settings laid over the app that it does not have, or values it cannot take: refused before any resource is registered. */
const SAME_OPTION = (value: string) =>
  `dockyard:app.optionB is the same as optionA: the poll needs two different choices (compared ignoring case and surrounding spaces), got ${JSON.stringify(value)}`;
const refusedSettings: RefusedCase[] = [
  // Found by test/unit/adversarial.test.ts: names that every object has wrote onto Object.
  [
    "constructor as a service name",
    { services: { constructor: { replicas: 2 } } },
    'dockyard:services.constructor: the app has no service "constructor"; its services are: db, redis, result, vote, worker',
  ],
  [
    "constructor as a volume name",
    { volumes: { constructor: { retain: true } } },
    'dockyard:volumes.constructor: the app has no volume "constructor"; its volumes are: db-data, redis-data',
  ],
  [
    "toString as a network name",
    { networks: { toString: { subnet: "10.9.0.0/24" } } },
    'dockyard:networks.toString: the app has no network "toString"; its networks are: backend, frontend',
  ],
  [
    "no password",
    { secrets: { "db-password": "" } },
    "dockyard:secrets.db-password is required (password of the PostgreSQL user the app uses): pulumi config set --secret --path secrets.db-password <value>",
  ],
  [
    "secrets without the password",
    { secrets: {} },
    "dockyard:secrets.db-password is required (password of the PostgreSQL user the app uses): pulumi config set --secret --path secrets.db-password <value>",
  ],
  [
    "short password",
    { secrets: { "db-password": "abc" } },
    "dockyard:secrets.db-password must be at least 8 characters, got [secret] of 3",
  ],
  [
    "an untagged image outside dev",
    { services: { redis: { image: "redis" } } },
    'dockyard:services.redis.image "redis" has no version tag (or uses latest), allowed only in the dev stack (stack is "staging"): pin a tag like redis:7.4 or a digest',
    "staging",
  ],
  [
    "an untagged base image outside dev",
    { buildArgs: { PYTHON_IMAGE: "python" } },
    'dockyard:buildArgs.PYTHON_IMAGE "python" has no version tag (or uses latest), allowed only in the dev stack (stack is "staging"): pin a tag like redis:7.4 or a digest',
    "staging",
  ],
  ["an empty option", { app: { optionA: "" } }, 'dockyard:app.optionA must not be empty, got ""'],
  ["an option that is not text", { app: { optionA: 3 } }, "dockyard:app.optionA must be text, got 3"],
  [
    "app parameters for a compose app",
    { compose: { file: "examples/voting-compose.yaml" }, app: { optionA: "Lions" } },
    'dockyard:app has unknown key "optionA"; allowed: (none: this app takes no parameters)',
  ],
  [
    "an unknown service",
    { services: { web: { replicas: 3 } } },
    'dockyard:services.web: the app has no service "web"; its services are: db, redis, result, vote, worker',
  ],
  [
    "an unknown port name",
    { services: { vote: { ports: { web: 5005 } } } },
    'dockyard:services.vote.ports.web: service "vote" has no port named "web"; its ports are: http',
  ],
  [
    "an unknown network",
    { networks: { public: { subnet: "10.9.0.0/24" } } },
    'dockyard:networks.public: the app has no network "public"; its networks are: backend, frontend',
  ],
  [
    "an unknown volume",
    { volumes: { pgdata: { size: "1Gi" } } },
    'dockyard:volumes.pgdata: the app has no volume "pgdata"; its volumes are: db-data, redis-data',
  ],
  [
    "an unknown secret",
    { secrets: { "db-password": "s3cret-pass", "api-key": "k3y-k3y-k3y" } },
    'dockyard:secrets.api-key: the app has no secret "api-key"; its secrets are: db-password',
  ],
  [
    "an unknown build argument",
    { buildArgs: { RUBY_IMAGE: "ruby:3.3" } },
    "dockyard:buildArgs.RUBY_IMAGE: no image built here takes a build argument RUBY_IMAGE; the arguments are: APP, NODE_IMAGE, PORT, PYTHON_IMAGE",
  ],
  ["an unknown app parameter", { app: { optionC: "Birds" } }, 'dockyard:app has unknown key "optionC"; allowed: optionA, optionB'],
  ["two identical options", { app: { optionA: "Cats", optionB: "Cats" } }, SAME_OPTION("Cats")],
  ["two options differing in case and spaces only", { app: { optionA: "Cats", optionB: " cats" } }, SAME_OPTION(" cats")],
  [
    "a password of 8 spaces",
    { secrets: { "db-password": "        " } },
    "dockyard:secrets.db-password must contain characters other than whitespace, got [secret] of 8 whitespace characters",
  ],
];

describe("settings the app refuses stop the program before any resource is registered", () => {
  test.each(refusedSettings)("%s", async (_, config, message, stack = "dev") => {
    await expectRefused(config, message, stack);
  });
});

describe("a single writer's placement against swarm's pin is refused when the stage is laid over the app, before any plan", () => {
  test.each([
    [
      { target: "swarm", swarmDataNode: "node-a", services: { db: { placement: { constraints: ["node.hostname == node-b"] } } } },
      'dockyard:services.db.placement.constraints lists "node.hostname == node-b", but swarm pins db, a single writer, to dockyard:swarmDataNode with "node.hostname == node-a": no node meets both, so its task would wait for a node for ever; remove the constraint, or set dockyard:swarmDataNode to the node it names',
    ],
    [
      { target: "swarm", services: { db: { placement: { constraints: ["node.role==worker"] } } } },
      'dockyard:services.db.placement.constraints lists "node.role==worker", but swarm pins db, a single writer, to the manager (dockyard:swarmDataNode is empty) with "node.role == manager": no node meets both, so its task would wait for a node for ever; remove the constraint, or set dockyard:swarmDataNode to the node it names',
    ],
  ])("%j", (values, message) => {
    expect(() => applyConfig(votingApp, stackConfig(values, "staging"))).toThrow(message);
  });

  test("the same constraint on a service that is not a single writer, or on another target, is laid over as given", () => {
    const placement = { constraints: ["node.hostname == node-b"] };
    const swarm = applyConfig(
      votingApp,
      stackConfig({ target: "swarm", swarmDataNode: "node-a", services: { vote: { placement } } }, "staging"),
    );
    expect(swarm.model.services.vote.placement).toEqual(placement);
    const docker = applyConfig(votingApp, stackConfig({ target: "docker", services: { db: { placement } } }, "staging"));
    expect(docker.model.services.db.placement).toEqual(placement);
  });
});
