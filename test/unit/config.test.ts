import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { z } from "zod";
import { isRegistry } from "../../components/registry";
import {
  allowedKeys,
  CONFIG_KEYS,
  isPinned,
  keyPath,
  loadConfig,
  NETWORK_SETTINGS,
  SecretText,
  SERVICE_SETTINGS,
  VOLUME_SETTINGS,
} from "../../stacks/config";
import { AppDefinition, applyConfig } from "../../stacks/overrides";
import { votingApp, VotingParameters } from "../../stacks/votingApp";
import { configDoc, MapRow, mapRows, mapsTable, projectFile } from "../../tools/docs/config";
import { isSecret, setupMocks, valueOf } from "./mocks";

const root = path.join(__dirname, "..", "..");
const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
const SECRETS = JSON.stringify({ "db-password": "long-enough" });

/** A RawConfig as the engine passes it: text, and maps as JSON. */
const rawOf =
  (values: Record<string, string | object>) =>
  (key: string): string | undefined => {
    const value = values[key];
    return value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value);
  };

describe("Pulumi.yaml declares exactly the keys the program reads", () => {
  test("its config block is the one npm run docs generates from CONFIG_KEYS", () => {
    const current = fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8");
    expect(current).toBe(projectFile(current));
  });

  test("same keys, in the same order", () => {
    expect(Object.keys(project.config)).toEqual(Object.keys(CONFIG_KEYS));
  });

  test.each(Object.entries(CONFIG_KEYS))("%s: same type, default and description", (key, spec) => {
    const declared = project.config[key];
    expect(declared.description).toBe(spec.description);
    // A secret key too has its default, and no `secret: true`: the CLI would refuse its own default as
    // not encrypted (the program refuses the key in plain text instead).
    const type = typeof spec.default === "number" ? "integer" : typeof spec.default;
    expect(["string", "integer", "boolean", "object"]).toContain(type);
    expect(declared).toEqual({ type, description: spec.description, default: spec.default });
  });
});

describe("loading config", () => {
  beforeAll(() => setupMocks({}));

  test("defaults apply to every key that is not set", async () => {
    const config = loadConfig(rawOf({ secrets: SECRETS }), "dev");
    expect({ ...config, secrets: undefined }).toEqual({
      stack: "dev",
      given: ["secrets"],
      target: "docker",
      services: {},
      networks: {},
      volumes: {},
      secrets: undefined,
      buildArgs: {},
      app: {},
      compose: {},
      imageTag: "v1",
      registry: undefined,
      imageBuilder: "BuilderBuildKit",
      dockerHost: "unix:///var/run/docker.sock",
      bindAddress: "127.0.0.1",
      allowPublicSubnets: false,
      kubeconfig: "",
      kubeContext: "",
      namespace: "dev",
      serviceType: "ClusterIP",
      storageClass: "",
      podSecurity: "restricted",
      rolloutTimeout: 600,
      swarmEndpointMode: "dnsrr",
      swarmNodes: 1,
      swarmDataNode: "",
      keyPath,
    });
    expect(config.keyPath("services", ["vote", "replicas"])).toBe("dockyard:services.vote.replicas");
    expect(Object.keys(config.secrets)).toEqual(["db-password"]);
    const password = config.secrets["db-password"];
    expect(password).toBeInstanceOf(SecretText);
    // Printed or logged, a secret shows as [secret]; it leaves only as a secret Output.
    expect(JSON.stringify(config.secrets)).toBe('{"db-password":"[secret]"}');
    expect(await valueOf(password.output())).toBe("long-enough");
  });

  test("secrets unset: none (an app with no secrets); the app names each secret it needs", () => {
    expect(loadConfig(rawOf({}), "dev").secrets).toEqual({});
  });

  test("per-service, per-network and per-volume settings load as maps; numbers set with --path as text are numbers", () => {
    const config = loadConfig(
      rawOf({
        secrets: SECRETS,
        target: "kubernetes",
        namespace: "prod",
        services: {
          vote: { replicas: "3", ports: { http: "8080" }, limits: { cpus: "1", memory: "256m" } },
          db: { limits: { memory: "1g" } },
          result: {
            autoscaling: {
              minReplicas: 3,
              maxReplicas: "10",
              targetCpuPercent: 70,
              scaleUpStabilizationSeconds: "15",
              scaleDownStabilizationSeconds: 30,
              scaleUpPods: "4",
              scaleUpPercent: 200,
              scaleUpPeriodSeconds: "60",
              scaleDownPods: 1,
              scaleDownPeriodSeconds: 1800,
              targetMemoryPercent: "80",
            },
            image: "registry.example.com/result:2",
          },
        },
        networks: { backend: { subnet: "10.50.0.0/24" } },
        volumes: { "db-data": { size: "10Gi", retain: true } },
        buildArgs: { PYTHON_IMAGE: "mirror.example/python:3.12-slim" },
        app: { optionA: "Tabs", optionB: "Spaces" },
      }),
      "prod",
    );
    expect(config.services).toEqual({
      vote: { replicas: 3, ports: { http: 8080 }, limits: { cpus: 1, memory: "256m" } },
      db: { limits: { memory: "1g" } },
      result: {
        autoscaling: {
          minReplicas: 3,
          maxReplicas: 10,
          targetCpuPercent: 70,
          scaleUpStabilizationSeconds: 15,
          scaleDownStabilizationSeconds: 30,
          scaleUpPods: 4,
          scaleUpPercent: 200,
          scaleUpPeriodSeconds: 60,
          scaleDownPods: 1,
          scaleDownPeriodSeconds: 1800,
          targetMemoryPercent: 80,
        },
        image: "registry.example.com/result:2",
      },
    });
    expect(config.networks).toEqual({ backend: { subnet: "10.50.0.0/24" } });
    expect(config.volumes).toEqual({ "db-data": { size: "10Gi", retain: true } });
    expect(config.buildArgs).toEqual({ PYTHON_IMAGE: "mirror.example/python:3.12-slim" });
    expect(config.app).toEqual({ optionA: "Tabs", optionB: "Spaces" });
    expect(config.namespace).toBe("prod");
    expect(config.given).toEqual(["target", "services", "networks", "volumes", "secrets", "buildArgs", "app", "namespace"]);
  });

  test("rolloutTimeout: seconds as the engine passes them (text), 10 to 86400", () => {
    expect(loadConfig(rawOf({ secrets: SECRETS, target: "swarm", rolloutTimeout: "90" }), "dev").rolloutTimeout).toBe(90);
    for (const bad of ["5", "1.5", "10m", "86401"]) {
      expect(() => loadConfig(rawOf({ secrets: SECRETS, target: "swarm", rolloutTimeout: bad }), "dev")).toThrow(
        `dockyard:rolloutTimeout must be a whole number of seconds from 10 to 86400, got ${JSON.stringify(bad)}`,
      );
    }
  });

  test("booleans as the engine passes them", () => {
    expect(loadConfig(rawOf({ secrets: SECRETS, allowPublicSubnets: "true" }), "dev").allowPublicSubnets).toBe(true);
    expect(loadConfig(rawOf({ secrets: SECRETS, allowPublicSubnets: "false" }), "dev").allowPublicSubnets).toBe(false);
  });
});

describe("pinned image references", () => {
  test.each([
    ["redis:7.4", true],
    ["mirror.example:5000/library/redis:7.4", true],
    ["postgres@sha256:" + "a".repeat(64), true],
    ["redis", false],
    ["redis:latest", false],
    ["mirror.example:5000/redis", false],
    ["mirror.example:5000/redis:", false],
  ])("%s pinned: %s", (ref, pinned) => {
    expect(isPinned(ref)).toBe(pinned);
  });

  test("dev may use latest and untagged images", () => {
    const config = loadConfig(
      rawOf({ secrets: SECRETS, imageTag: "latest", services: { redis: { image: "redis" } }, buildArgs: { PYTHON_IMAGE: "python" } }),
      "dev",
    );
    expect(config.imageTag).toBe("latest");
    const { model } = applyConfig(votingApp, config);
    expect(model.services.redis.image).toEqual({ kind: "pull", ref: "redis" });
    expect(model.services.vote.image).toEqual({ kind: "build", context: "apps/vote", args: { PYTHON_IMAGE: "python" } });
  });
});

describe("registry values", () => {
  test.each([
    ["localhost:5000", true],
    ["127.0.0.1:5000", true],
    ["registry.example.com", true],
    ["Registry.Example.com:443/team/sub_team", true],
    ["registry.example.com/my-team", true],
    ["http://registry.example.com", false],
    ["registry.example.com:0", false],
    ["registry.example.com:65536", false],
    ["registry.example.com/Team", false],
    ["registry.example.com/team/", false],
    ["-registry.example.com", false],
    ["registry.example.com/team:v1", false],
  ])("%s is a registry: %s", (value, valid) => {
    expect(isRegistry(value)).toBe(valid);
  });

  test("a registry without a user sends no credentials; with both, the password stays a secret", async () => {
    await setupMocks({});
    const open = loadConfig(rawOf({ secrets: SECRETS, registry: "127.0.0.1:5000" }), "e2e");
    expect(open.registry?.server).toBe("127.0.0.1:5000");
    expect(open.registry?.username).toBe("");
    const login = loadConfig(
      rawOf({ secrets: SECRETS, registry: "127.0.0.1:5000", registryUsername: "ci", registryPassword: "token-1" }),
      "e2e",
    );
    expect(login.registry?.username).toBe("ci");
    expect(await valueOf(login.registry!.password)).toBe("token-1");
    expect(await isSecret(login.registry!.password)).toBe(true);
    // Only as a secret Output: the plain keys are not carried on the loaded config.
    expect(login).not.toHaveProperty("registryPassword");
    expect(login).not.toHaveProperty("registryUsername");
  });
});

describe("docs/config.md's tables", () => {
  const doc = fs.readFileSync(path.join(root, "docs", "config.md"), "utf8");
  const lines = doc.split("\n");

  test("are the ones npm run docs generates: the keys from CONFIG_KEYS, the maps from the settings' metadata and the voting app", () => {
    expect(doc).toBe(configDoc(doc));
  });

  let rows: MapRow[] = [];
  beforeAll(() => {
    rows = mapRows();
  });
  // The generator walks the settings objects; each of their keys has a row (a field's, or its object's whole).
  test.each([
    ...Object.keys(SERVICE_SETTINGS.shape).map((key) => `services.<name>.${key}`),
    ...Object.keys(NETWORK_SETTINGS.shape).map((key) => `networks.<name>.${key}`),
    ...Object.keys(VOLUME_SETTINGS.shape).map((key) => `volumes.<name>.${key}`),
    "secrets.<name>",
    "buildArgs.<ARG>",
    "app.<parameter>",
    "compose.file",
  ])("the maps' table has a row for %s", (setting) => {
    const found = rows.filter((row) => row.path === setting || row.path.startsWith(`${setting}.`));
    expect(found.length).toBeGreaterThan(0);
    expect(lines).toContain(mapsTable().find((line) => line.startsWith(`| \`${found[0].path}\` |`)));
  });

  test("a row gives the setting's metadata, and the default the app's own values, read from its model", () => {
    const row = (at: string) => rows.find((each) => each.path === at);
    expect(row("services.<name>.limits.cpus")).toEqual({
      path: "services.<name>.limits.cpus",
      value: "CPUs, greater than 0 (`0.5`, `2`)",
      default: "`0.5` (db `1`)",
      does: "CPU limit of each copy",
    });
    expect(row("services.<name>.replicas")?.default).toBe("`1`");
    expect(row("services.<name>.ports.<port>")?.default).toBe("vote `http` `5000`, result `http` `5001`; otherwise not published");
    expect(row("services.<name>.security.readOnlyRootFilesystem")?.default).toBe("vote, redis `true`; otherwise `false`");
    expect(row("networks.<name>.subnet")?.default).toBe("frontend `10.123.1.0/24`, backend `10.123.2.0/24`");
    expect(row("app.<parameter>")?.default).toBe("`optionA` `Cats`, `optionB` `Dogs`");
    // Another app's model gives other defaults: nothing in the table restates the voting app's.
    const bigDb: AppDefinition<unknown> = {
      ...(votingApp as AppDefinition<unknown>),
      model: (parameters) => {
        const model = votingApp.model(parameters as VotingParameters);
        model.services.db.limits = { cpus: 2, memory: "1g" };
        model.services.vote.replicas = 3;
        return model;
      },
    };
    const other = mapRows(CONFIG_KEYS, bigDb);
    expect(other.find((each) => each.path === "services.<name>.limits.cpus")?.default).toBe("`0.5` (db `2`)");
    expect(other.find((each) => each.path === "services.<name>.replicas")?.default).toBe("vote `3`; otherwise `1`");
  });

  test("a settings object given whole is one row; one with a note of its own heads its fields' rows", () => {
    const paths = rows.map((row) => row.path);
    expect(paths).toContain(
      "services.<name>.autoscaling.{minReplicas,maxReplicas,targetCpuPercent,scaleUpStabilizationSeconds,scaleDownStabilizationSeconds,scaleUpPods,scaleUpPercent,scaleUpPeriodSeconds,scaleDownPods,scaleDownPercent,scaleDownPeriodSeconds,targetMemoryPercent}",
    );
    expect(paths.filter((at) => at.startsWith("services.<name>.autoscaling"))).toHaveLength(1);
    expect(paths.filter((at) => at.startsWith("services.<name>.rollout"))).toEqual([
      "services.<name>.rollout",
      "services.<name>.rollout.parallelism",
      "services.<name>.rollout.delaySeconds",
      "services.<name>.rollout.order",
      "services.<name>.rollout.monitorSeconds",
      "services.<name>.rollout.maxFailureRatio",
      "services.<name>.rollout.failureAction",
      "services.<name>.rollout.rollback.{parallelism,delaySeconds,order,monitorSeconds,maxFailureRatio,failureAction}",
    ]);
  });

  test("a map setting without its metadata stops the generator, naming it and the fix", () => {
    const keys = { ...CONFIG_KEYS, labels: { schema: z.record(z.string(), z.string()), default: {}, description: "Labels." } };
    expect(() => mapRows(keys)).toThrow(
      "dockyard:labels.<name> has no value in its metadata: give it .meta({ value, unset, does }) in stacks/config.ts (docs/config.md's table of the maps is generated from it)",
    );
    const noDefault = {
      extra: { schema: z.record(z.string(), z.string().meta({ value: "text", does: "nothing" })), default: {}, description: "" },
    };
    expect(() => mapRows(noDefault)).toThrow(
      "dockyard:extra.<name>: the app sets none, and its metadata gives no unset (stacks/config.ts)",
    );
  });

  const header = lines.findIndex((line) => /^\| key \| type \| default \|/.test(line));
  const table: string[] = [];
  for (let i = header + 2; header >= 0 && i < lines.length && lines[i].startsWith("|"); i++) table.push(lines[i]);
  const keyOf = (row: string) => /^\| `([^`]+)` \|/.exec(row)?.[1];

  test("lists exactly the keys the program reads, in order", () => {
    expect(header).toBeGreaterThanOrEqual(0);
    expect(table.map(keyOf)).toEqual(Object.keys(CONFIG_KEYS));
  });

  test.each(Object.entries(CONFIG_KEYS))("%s: its row gives the default", (key, spec) => {
    const row = table.find((line) => keyOf(line) === key);
    expect(row).toBeDefined();
    const cells = (row as string).split("|").map((cell) => cell.trim());
    if (typeof spec.default === "string" && spec.default !== "") expect(cells[3]).toBe(`\`${spec.default}\``);
    if (typeof spec.default === "boolean" || typeof spec.default === "number") expect(cells[3]).toBe(`\`${spec.default}\``);
  });
});

describe("the settings maps: keys and messages read from their zod shapes", () => {
  test("the services key's description lists every setting, with its note or its own keys", () => {
    expect(CONFIG_KEYS.services.description).toBe(
      "Per-service settings by service name: replicas, ports (port name to published port), limits (cpus, memory), autoscaling (minReplicas, maxReplicas, targetCpuPercent, scaleUpStabilizationSeconds, scaleDownStabilizationSeconds, scaleUpPods, scaleUpPercent, scaleUpPeriodSeconds, scaleDownPods, scaleDownPercent, scaleDownPeriodSeconds, targetMemoryPercent), image (a prebuilt image to run instead), rollout (parallelism, delaySeconds, order, monitorSeconds, maxFailureRatio, failureAction, rollback), reservations (cpus, memory), placement (constraints, maxReplicasPerNode), restart (condition, delaySeconds, maxAttempts, windowSeconds), stopGracePeriodSeconds, security (capDrop, capAdd, noNewPrivileges, readOnlyRootFilesystem, tmpfs), endpointMode; each as the app model's field of that name.",
    );
    expect(CONFIG_KEYS.networks.description).toBe("Per-network settings by network name: subnet, gateway, ipRange.");
    expect(CONFIG_KEYS.volumes.description).toBe(
      "Per-volume settings by volume name: size (storage to reserve), retain (keep the data on destroy).",
    );
    expect(CONFIG_KEYS.compose.description).toBe(
      "Deploy a compose file instead of the voting app: file (relative to the project), profiles (to activate), envFile (default: .env beside the file).",
    );
  });

  test("allowedKeys: the keys of the settings object at a path; none below a value", () => {
    expect(allowedKeys("services", ["vote"])).toEqual(Object.keys(SERVICE_SETTINGS.shape));
    expect(allowedKeys("services", ["vote", "rollout", "rollback"])).toEqual([
      "parallelism",
      "delaySeconds",
      "order",
      "monitorSeconds",
      "maxFailureRatio",
      "failureAction",
    ]);
    expect(allowedKeys("services", ["vote", "replicas"])).toEqual([]);
    expect(allowedKeys("services", ["vote", "nope"])).toEqual([]);
    expect(allowedKeys("target", [])).toEqual([]);
  });

  const SERVICE = "dockyard:services.vote";
  const STRATEGY = "parallelism, delaySeconds, order, monitorSeconds, maxFailureRatio, failureAction";
  test.each<[string, Record<string, object>, string]>([
    [
      "an unknown service setting",
      { services: { vote: { replica: 2 } } },
      `${SERVICE} has unknown key "replica"; allowed: replicas, ports, limits, autoscaling, image, rollout, reservations, placement, restart, stopGracePeriodSeconds, security, endpointMode`,
    ],
    [
      "service settings not a map",
      { services: { vote: [2] } },
      `${SERVICE} must be a map with keys replicas, ports, limits, autoscaling, image, rollout, reservations, placement, restart, stopGracePeriodSeconds, security, endpointMode, got [2]`,
    ],
    [
      "an unknown key of limits",
      { services: { vote: { limits: { gpus: 1 } } } },
      `${SERVICE}.limits has unknown key "gpus"; allowed: cpus, memory`,
    ],
    [
      "autoscaling not a map",
      { services: { vote: { autoscaling: 3 } } },
      `${SERVICE}.autoscaling must be a map with keys minReplicas, maxReplicas, targetCpuPercent, scaleUpStabilizationSeconds, scaleDownStabilizationSeconds, scaleUpPods, scaleUpPercent, scaleUpPeriodSeconds, scaleDownPods, scaleDownPercent, scaleDownPeriodSeconds, targetMemoryPercent, got 3`,
    ],
    [
      "an unknown key of rollout",
      { services: { vote: { rollout: { parallel: 2 } } } },
      `${SERVICE}.rollout has unknown key "parallel"; allowed: ${STRATEGY}, rollback`,
    ],
    [
      "rollout's rollback not a map",
      { services: { vote: { rollout: { rollback: "pause" } } } },
      `${SERVICE}.rollout.rollback must be a map with keys ${STRATEGY}, got "pause"`,
    ],
    [
      "an unknown key of reservations",
      { services: { vote: { reservations: { gpus: 1 } } } },
      `${SERVICE}.reservations has unknown key "gpus"; allowed: cpus, memory`,
    ],
    [
      "placement not a map",
      { services: { vote: { placement: ["node.role == manager"] } } },
      `${SERVICE}.placement must be a map with keys constraints, maxReplicasPerNode, got ["node.role == manager"]`,
    ],
    [
      "an unknown key of restart",
      { services: { vote: { restart: { policy: "any" } } } },
      `${SERVICE}.restart has unknown key "policy"; allowed: condition, delaySeconds, maxAttempts, windowSeconds`,
    ],
    [
      "network settings not a map",
      { networks: { frontend: "10.0.0.0/24" } },
      'dockyard:networks.frontend must be a map with keys subnet, gateway, ipRange, got "10.0.0.0/24"',
    ],
    [
      "an unknown key of a volume",
      { volumes: { "db-data": { retained: true } } },
      'dockyard:volumes.db-data has unknown key "retained"; allowed: size, retain',
    ],
    [
      "compose not a map",
      { compose: ["compose.yaml"] },
      'dockyard:compose must be a map with keys file, profiles, envFile, got ["compose.yaml"]',
    ],
  ])("%s", (_, values, message) => {
    expect(() => loadConfig(rawOf({ secrets: SECRETS, ...values }), "dev")).toThrow(message);
  });
});

// The refusals and acceptances of the whole program that the config loader decides.
import { byType } from "./mocks";
import { CLUSTER, expectRefused, RefusedCase, runProgram, SECRET_CONFIG } from "./program";

/** Stack config values the loader refuses: the program stops before any resource is registered, naming the key as written. */
const IMAGE_RULE = "must be an image reference like python:3.12-slim or mirror.example:5000/python:3.12-slim (the repository in lowercase)";
const CPUS_RULE = "must be a number of CPUs greater than 0, like 0.5 or 2";
const DOCKER_HOST_RULE = "must be a Docker host URL: unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host (as DOCKER_HOST)";
const NAMESPACE_RULE =
  "an RFC 1123 label: lowercase letters, digits and -, starting and ending with a letter or digit, at most 63 characters";
const REGISTRY_RULE =
  "must be a registry host[:port][/path] without a scheme, like 127.0.0.1:5000 or registry.example.com/team (port 1-65535, path in lowercase), or empty";
const SYSTEM_NAMESPACE = (namespace: string) =>
  `dockyard:namespace "${namespace}" is one the cluster creates itself (default, kube-node-lease, kube-public, kube-system): the stack would create and own it, and delete it on destroy; use a namespace of the app's own, like the stack name`;
const refusedConfig: RefusedCase[] = [
  // Found by test/unit/adversarial.test.ts: accepted on Kubernetes, a crash in the Docker plan.
  [
    "a replica count beyond int32",
    { services: { vote: { replicas: 2147483648 } } },
    "dockyard:services.vote.replicas must be a whole number from 0 to 1000, got 2147483648",
  ],
  // Found by test/unit/adversarial.test.ts: the settings silently dropped.
  [
    "__proto__ as a service name",
    { services: JSON.parse('{"__proto__": {"replicas": 2}}') as object },
    'dockyard:services.__proto__ cannot be a name here: "__proto__" names every object\'s prototype, so the setting would be lost; rename it',
  ],
  [
    "a swarm of more nodes than 1000",
    { target: "swarm", swarmNodes: "4294967296" },
    'dockyard:swarmNodes must be a whole number from 1 to 1000, got "4294967296"',
  ],
  ["unknown target", { target: "nomad" }, 'dockyard:target must be docker, kubernetes or swarm, got "nomad"'],
  [
    "an unknown swarm endpoint mode",
    { target: "swarm", swarmEndpointMode: "ingress" },
    'dockyard:swarmEndpointMode must be dnsrr or vip, got "ingress"',
  ],
  ["a swarm of no nodes", { target: "swarm", swarmNodes: "0" }, 'dockyard:swarmNodes must be a whole number from 1 to 1000, got "0"'],
  [
    "a data node that is no hostname",
    { target: "swarm", swarmDataNode: "node 1" },
    'dockyard:swarmDataNode must be a node\'s hostname, or empty, got "node 1"',
  ],
  [
    "port out of range",
    { services: { vote: { ports: { http: 70000 } } } },
    "dockyard:services.vote.ports.http must be a port number 1-65535, got 70000",
  ],
  [
    "port not a number",
    { services: { result: { ports: { http: "http" } } } },
    'dockyard:services.result.ports.http must be a port number 1-65535, got "http"',
  ],
  [
    "negative replicas",
    { services: { vote: { replicas: -1 } } },
    "dockyard:services.vote.replicas must be a whole number from 0 to 1000, got -1",
  ],
  [
    "negative replicas as text (pulumi config set --path)",
    { services: { vote: { replicas: "-1" } } },
    'dockyard:services.vote.replicas must be a whole number from 0 to 1000, got "-1"',
  ],
  [
    "fractional replicas",
    { services: { worker: { replicas: 1.5 } } },
    "dockyard:services.worker.replicas must be a whole number from 0 to 1000, got 1.5",
  ],
  ["docker host without scheme", { dockerHost: "10.10.10.1:2375" }, `dockyard:dockerHost ${DOCKER_HOST_RULE}, got "10.10.10.1:2375"`],
  [
    "bind address not an IP",
    { bindAddress: "localhost" },
    'dockyard:bindAddress must be an IPv4 address such as 127.0.0.1 or 0.0.0.0, got "localhost"',
  ],
  [
    "subnet not a CIDR",
    { networks: { backend: { subnet: "10.123.2.0/33" } } },
    'dockyard:networks.backend.subnet must be an IPv4 CIDR like 172.18.0.0/16, got "10.123.2.0/33"',
  ],
  ["zero cpus", { services: { vote: { limits: { cpus: 0 } } } }, `dockyard:services.vote.limits.cpus ${CPUS_RULE}, got 0`],
  [
    "cpus not a number",
    { services: { vote: { limits: { cpus: "half" } } } },
    `dockyard:services.vote.limits.cpus ${CPUS_RULE}, got "half"`,
  ],
  [
    "limits with an unknown field",
    { services: { vote: { limits: { gpus: 1 } } } },
    'dockyard:services.vote.limits has unknown key "gpus"; allowed: cpus, memory',
  ],
  // The old list form, carried over: the message says what a limits value is, not zod's "expected object".
  [
    "limits as the old list entry",
    { services: { vote: { limits: "vote:cpus=1" } } },
    'dockyard:services.vote.limits must be a map with keys cpus, memory, got "vote:cpus=1"',
  ],
  [
    "a network's settings as a bare subnet",
    { networks: { frontend: "10.0.0.0/24" } },
    'dockyard:networks.frontend must be a map with keys subnet, gateway, ipRange, got "10.0.0.0/24"',
  ],
  ["services not a map", { services: ["vote"] }, 'dockyard:services must be a map of service settings by name, got ["vote"]'],
  [
    "autoscaling incomplete",
    { ...CLUSTER, services: { vote: { autoscaling: { minReplicas: 2 } } } },
    "dockyard:services.vote.autoscaling.maxReplicas is required: it must be a whole number from 1 to 1000",
    "staging",
  ],
  ["a password that is not text", { secrets: { "db-password": 12345678 } }, "dockyard:secrets.db-password must be text, got [secret]"],
  ["secrets not a map", { secrets: "s3cret-pass" }, "dockyard:secrets must be a map of secret values by name, got [secret]"],
  [
    "latest outside dev",
    { imageTag: "latest" },
    'dockyard:imageTag "latest" is allowed only in the dev stack (stack is "staging"): pin a version tag so a deploy is repeatable',
    "staging",
  ],
  [
    "a key of target kubernetes on a Docker stage",
    { namespace: "voting-dev" },
    "dockyard:namespace applies to target kubernetes only, and dockyard:target is docker: remove the key from the stack's config, or set dockyard:target to the target it is for",
  ],
  [
    "keys of two other targets on a Docker stage, each named",
    { serviceType: "LoadBalancer", storageClass: "fast", swarmEndpointMode: "vip", rolloutTimeout: "120" },
    "dockyard:serviceType applies to target kubernetes only; dockyard:storageClass applies to target kubernetes only; dockyard:rolloutTimeout applies to targets kubernetes and swarm only; dockyard:swarmEndpointMode applies to target swarm only, and dockyard:target is docker: remove these keys from the stack's config, or set dockyard:target to the target they are for",
  ],
  [
    "a key of target docker on a cluster",
    { ...CLUSTER, bindAddress: "0.0.0.0" },
    "dockyard:bindAddress applies to targets docker and swarm only, and dockyard:target is kubernetes: remove the key from the stack's config, or set dockyard:target to the target it is for",
    "staging",
  ],
  [
    "tag with a space",
    { imageTag: "v1 beta" },
    'dockyard:imageTag must be a Docker tag: letters, digits, _ . - (up to 128), got "v1 beta"',
  ],
  [
    "registry user without registry",
    { registryUsername: "ci" },
    'dockyard:registryUsername is set ("ci") but dockyard:registry is empty: set the registry to push to',
  ],
  ...["http://127.0.0.1:5000", "127.0.0.1:70000", "registry.example.com/Team", "registry.example.com/", "127.0.0.1:5000 "].map(
    (registry): RefusedCase => [
      `registry ${JSON.stringify(registry)}`,
      { registry },
      `dockyard:registry ${REGISTRY_RULE}, got ${JSON.stringify(registry)}`,
    ],
  ),
  [
    "registry user without a password",
    { registry: "127.0.0.1:5000", registryUsername: "ci" },
    'dockyard:registryUsername is set ("ci") but dockyard:registryPassword is empty: pulumi config set --secret registryPassword <password>, or unset registryUsername to push without a login',
  ],
  ["unknown service type", { serviceType: "Ingress" }, 'dockyard:serviceType must be ClusterIP, NodePort or LoadBalancer, got "Ingress"'],
  [
    "a Pod Security level that is none of the standard's",
    { podSecurity: "strict" },
    'dockyard:podSecurity must be restricted, baseline or privileged, got "strict"',
  ],
  [
    "a Pod Security level in capitals",
    { podSecurity: "Restricted" },
    'dockyard:podSecurity must be restricted, baseline or privileged, got "Restricted"',
  ],
  [
    "prebuilt image with spaces",
    { services: { vote: { image: "my image" } } },
    `dockyard:services.vote.image ${IMAGE_RULE}, got "my image"`,
  ],
  ["build argument not text", { buildArgs: { PYTHON_IMAGE: 3 } }, "dockyard:buildArgs.PYTHON_IMAGE must be text, got 3"],
  ["boolean as a word", { volumes: { "db-data": { retain: "yes" } } }, 'dockyard:volumes.db-data.retain must be true or false, got "yes"'],
  ["top-level boolean as a word", { allowPublicSubnets: "yes" }, 'dockyard:allowPublicSubnets must be true or false, got "yes"'],
  [
    "namespace not a DNS label",
    { ...CLUSTER, namespace: "Prod_1" },
    `dockyard:namespace must be ${NAMESPACE_RULE}, or empty for the stack name, got "Prod_1"`,
    "staging",
  ],
  ["unknown builder", { imageBuilder: "buildx" }, 'dockyard:imageBuilder must be BuilderV1 or BuilderBuildKit, got "buildx"'],
  ["app parameters not a map", { app: "x" }, 'dockyard:app must be a map of the app\'s parameters, got "x"'],
  ["an unknown key of compose", { compose: { path: "x" } }, 'dockyard:compose has unknown key "path"; allowed: file, profiles, envFile'],
  ["a compose file that does not exist", { compose: { file: "nope.yaml" } }, "nope.yaml: file not found"],
  [
    "a key of the flat config before the per-name maps",
    { votePort: "8080" },
    'dockyard:votePort is no longer read: set dockyard:services.vote.ports.http instead (README, "Upgrading from the flat keys")',
  ],
  [
    "the old password key",
    { postgresPassword: "long-enough-1" },
    'dockyard:postgresPassword is no longer read: set dockyard:secrets.db-password instead (README, "Upgrading from the flat keys")',
  ],
  [
    "a key that never existed",
    { replicaCount: "3" },
    "dockyard:replicaCount is not a dockyard key; the keys are: target, services, networks, volumes, secrets, buildArgs, app, compose, imageTag, registry, registryUsername, registryPassword, imageBuilder, dockerHost, dockerTls, dockerSsh, bindAddress, allowPublicSubnets, kubeconfig, kubeContext, namespace, serviceType, storageClass, podSecurity, rolloutTimeout, swarmEndpointMode, swarmNodes, swarmDataNode",
  ],
  [
    "a misspelt service setting",
    { services: { vote: { replica: 3 } } },
    'dockyard:services.vote has unknown key "replica"; allowed: replicas, ports, limits, autoscaling, image, rollout, reservations, placement, restart, stopGracePeriodSeconds, security, endpointMode',
  ],
  [
    "two misspelt service settings",
    { services: { vote: { replica: 3, imag: "vote:1" } } },
    'dockyard:services.vote has unknown keys "replica", "imag"; allowed: replicas, ports, limits, autoscaling, image, rollout, reservations, placement, restart, stopGracePeriodSeconds, security, endpointMode',
  ],
  [
    "a misspelt autoscaling setting",
    { ...CLUSTER, services: { vote: { autoscaling: { min: 1, maxReplicas: 3, targetCpuPercent: 70 } } } },
    'dockyard:services.vote.autoscaling has unknown key "min"; allowed: minReplicas, maxReplicas, targetCpuPercent, scaleUpStabilizationSeconds, scaleDownStabilizationSeconds, scaleUpPods, scaleUpPercent, scaleUpPeriodSeconds, scaleDownPods, scaleDownPercent, scaleDownPeriodSeconds, targetMemoryPercent',
    "staging",
  ],
  [
    "a misspelt network setting",
    { networks: { frontend: { mask: "255.255.255.0" } } },
    'dockyard:networks.frontend has unknown key "mask"; allowed: subnet, gateway, ipRange',
  ],
  [
    "a misspelt volume setting",
    { volumes: { "db-data": { retained: true } } },
    'dockyard:volumes.db-data has unknown key "retained"; allowed: size, retain',
  ],
  [
    "bind address out of range",
    { bindAddress: "300.1.1.1" },
    'dockyard:bindAddress must be an IPv4 address such as 127.0.0.1 or 0.0.0.0, got "300.1.1.1"',
  ],
  ["cpus in hex", { services: { vote: { limits: { cpus: "0x10" } } } }, `dockyard:services.vote.limits.cpus ${CPUS_RULE}, got "0x10"`],
  ["namespace default", { ...CLUSTER, namespace: "default" }, SYSTEM_NAMESPACE("default"), "staging"],
  ["namespace kube-system", { ...CLUSTER, namespace: "kube-system" }, SYSTEM_NAMESPACE("kube-system"), "staging"],
  [
    "an upper-case prebuilt image",
    { services: { redis: { image: "Redis:7" } } },
    `dockyard:services.redis.image ${IMAGE_RULE}, got "Redis:7"`,
  ],
  [
    "registry password without a user",
    { registry: "localhost:5000", registryPassword: "token-789" },
    "dockyard:registryPassword is set ([secret]) but dockyard:registryUsername is empty: set the user to log in as, or unset registryPassword to push without a login",
  ],
  ["docker host with a space", { dockerHost: "tcp://not a host" }, `dockyard:dockerHost ${DOCKER_HOST_RULE}, got "tcp://not a host"`],
  // A password in the host URL: refused on every stage, and never echoed.
  ...(
    [
      ["ssh://deploy:hunter2hunter2@10.0.0.5", "ssh://deploy:(password not shown)@10.0.0.5", "prod"],
      ["tcp://user:pw@10.0.0.5:2376", "tcp://user:(password not shown)@10.0.0.5:2376", "dev"],
    ] as const
  ).map(([dockerHost, shown, stack]): RefusedCase => [
    `docker host ${shown} with a password, stack ${stack}`,
    { dockerHost, imageTag: "v1.0.0" },
    `dockyard:dockerHost must not hold a password (DOCKER_HOST takes none, and it would sit in plain text in the stage file): ssh:// logs in with a key (ssh-agent or ~/.ssh/config), tcp:// with TLS certificates; write ssh://user@host, got "${shown}"`,
    stack,
  ]),
  // Placement no node meets: the stage's constraint against the single writer's pin, or two of its own.
  [
    "a constraint against the single writer's pin to dockyard:swarmDataNode",
    { target: "swarm", swarmDataNode: "node-a", services: { db: { placement: { constraints: ["node.hostname == node-b"] } } } },
    'dockyard:services.db.placement.constraints lists "node.hostname == node-b", but swarm pins db, a single writer, to dockyard:swarmDataNode with "node.hostname == node-a": no node meets both, so its task would wait for a node for ever; remove the constraint, or set dockyard:swarmDataNode to the node it names',
    "staging",
  ],
  [
    "a constraint against the single writer's pin to the manager",
    { target: "swarm", services: { db: { placement: { constraints: ["node.role != manager"] } } } },
    'dockyard:services.db.placement.constraints lists "node.role != manager", but swarm pins db, a single writer, to the manager (dockyard:swarmDataNode is empty) with "node.role == manager": no node meets both, so its task would wait for a node for ever; remove the constraint, or set dockyard:swarmDataNode to the node it names',
  ],
  [
    "two constraints no node meets together",
    { target: "swarm", services: { vote: { placement: { constraints: ["node.labels.zone == a", "node.labels.zone==b"] } } } },
    'dockyard:services.vote.placement.constraints lists "node.labels.zone == a" and "node.labels.zone==b", which no node meets together, so its copies would wait for a node for ever; keep one',
  ],
  [
    "registry with a password before the host (not echoed)",
    { registry: "ci-bot:Sup3rS3cretToken@registry.example.com" },
    `dockyard:registry ${REGISTRY_RULE}, got "ci-bot:(password not shown)@registry.example.com"`,
  ],
  [
    "an image with a password before the registry (not echoed)",
    { services: { redis: { image: "deploy:Passw0rd!@registry.example.com/shop/web:1.4" } } },
    `dockyard:services.redis.image ${IMAGE_RULE}, got "deploy:(password not shown)@registry.example.com/shop/web:1.4"`,
  ],
  ...["tcp://", "unix://var/run/docker.sock"].map((dockerHost): RefusedCase => [
    `docker host ${dockerHost} (no host, or a host where a path belongs)`,
    { dockerHost },
    `dockyard:dockerHost ${DOCKER_HOST_RULE}, got ${JSON.stringify(dockerHost)}`,
  ]),
  // The messages that misled: the text as typed, two sentences, storage is not memory, one namespace rule.
  [
    "autoscaling cpu not a number",
    { ...CLUSTER, services: { vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: "abc" } } } },
    'dockyard:services.vote.autoscaling.targetCpuPercent must be a whole percent 1-100, got "abc"',
    "staging",
  ],
  [
    "a scale-down window over the API's hour",
    {
      ...CLUSTER,
      services: { vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 50, scaleDownStabilizationSeconds: 3601 } } },
    },
    "dockyard:services.vote.autoscaling.scaleDownStabilizationSeconds must be a whole number of seconds from 0 to 3600, got 3601",
    "staging",
  ],
  [
    "a scale-up window that is not a whole number",
    {
      ...CLUSTER,
      services: { vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 50, scaleUpStabilizationSeconds: "1m" } } },
    },
    'dockyard:services.vote.autoscaling.scaleUpStabilizationSeconds must be a whole number of seconds from 0 to 3600, got "1m"',
    "staging",
  ],
  [
    "a scale-up policy of 0 pods",
    { ...CLUSTER, services: { vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 50, scaleUpPods: 0 } } } },
    "dockyard:services.vote.autoscaling.scaleUpPods must be a whole number from 1 to 2147483647, got 0",
    "staging",
  ],
  [
    "a scale-down percent that is not a whole number",
    { ...CLUSTER, services: { vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 50, scaleDownPercent: "10%" } } } },
    'dockyard:services.vote.autoscaling.scaleDownPercent must be a whole number from 1 to 2147483647, got "10%"',
    "staging",
  ],
  [
    "a scale-up period over the API's half hour",
    {
      ...CLUSTER,
      services: {
        vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 50, scaleUpPods: 2, scaleUpPeriodSeconds: 1801 } },
      },
    },
    "dockyard:services.vote.autoscaling.scaleUpPeriodSeconds must be a whole number of seconds from 1 to 1800, got 1801",
    "staging",
  ],
  [
    "a scale-down period of 0",
    {
      ...CLUSTER,
      services: {
        vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 50, scaleDownPods: 1, scaleDownPeriodSeconds: "0" } },
      },
    },
    'dockyard:services.vote.autoscaling.scaleDownPeriodSeconds must be a whole number of seconds from 1 to 1800, got "0"',
    "staging",
  ],
  [
    "a scale-up period without pods or percent",
    {
      ...CLUSTER,
      services: { vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 50, scaleUpPeriodSeconds: 60 } } },
    },
    "dockyard:services.vote.autoscaling.scaleUpPeriodSeconds is the period of scaleUpPods and scaleUpPercent: set one of them too (with neither, Kubernetes' own policies apply: 4 pods or 100 percent per 15 s, the larger), got 60",
    "staging",
  ],
  [
    "a memory target over 100",
    { ...CLUSTER, services: { vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 50, targetMemoryPercent: 120 } } } },
    "dockyard:services.vote.autoscaling.targetMemoryPercent must be a whole percent 1-100, got 120",
    "staging",
  ],
  [
    "autoscaling min not whole",
    { ...CLUSTER, services: { vote: { autoscaling: { minReplicas: "1.5", maxReplicas: 3, targetCpuPercent: 70 } } } },
    'dockyard:services.vote.autoscaling.minReplicas must be a whole number from 1 to 1000, got "1.5"',
    "staging",
  ],
  [
    "cpus infinite",
    { services: { vote: { limits: { cpus: "Infinity" } } } },
    `dockyard:services.vote.limits.cpus ${CPUS_RULE}, got "Infinity"`,
  ],
  [
    "storage size as a number",
    { volumes: { "db-data": { size: 5 } } },
    'dockyard:volumes.db-data.size must be a storage size like "1Gi", got 5',
  ],
  [
    "an empty namespace and a stack name that is no namespace",
    { ...CLUSTER },
    `dockyard:namespace is empty, so the stack name "qa_1" would be the namespace, but a namespace must be ${NAMESPACE_RULE}: set dockyard:namespace`,
    "qa_1",
  ],
];

describe("config the loader refuses stops the program before any resource is registered", () => {
  test.each(refusedConfig)("%s", async (_, config, message, stack = "dev") => {
    await expectRefused(config, message, stack);
  });
});

describe("config values the loader accepts", () => {
  const NAMESPACE = "kubernetes:core/v1:Namespace";

  test("namespace 1prod is an RFC 1123 label", async () => {
    await runProgram({ ...SECRET_CONFIG, ...CLUSTER, namespace: "1prod" }, "prod");
    expect(byType(NAMESPACE).map((namespace) => namespace.inputs.metadata.name)).toEqual(["1prod"]);
  });
});
