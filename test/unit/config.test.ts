import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { isRegistry } from "../../components/registry";
import { CONFIG_KEYS, isPinned, keyPath, loadConfig, SecretText } from "../../stacks/config";
import { applyConfig } from "../../stacks/overrides";
import { votingApp } from "../../stacks/votingApp";
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
  test("same keys, in the same order", () => {
    expect(Object.keys(project.config)).toEqual(Object.keys(CONFIG_KEYS));
  });

  test.each(Object.entries(CONFIG_KEYS))("%s: same type, default and description", (key, spec) => {
    const declared = project.config[key];
    expect(declared.description).toBe(spec.description);
    if ("secret" in spec && spec.secret) {
      // A secret key has no default: the CLI then refuses a stack that has not set it, encrypted.
      expect(declared).toEqual({ type: "object", description: spec.description, secret: true });
    } else {
      const type = typeof spec.default === "number" ? "integer" : typeof spec.default;
      expect(["string", "integer", "boolean", "object"]).toContain(type);
      expect(declared).toEqual({ type, description: spec.description, default: spec.default });
    }
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

  test("secrets is required", () => {
    expect(() => loadConfig(rawOf({}), "dev")).toThrow(
      "dockyard:secrets is required: pulumi config set --secret --path secrets.<name> <value> for each of the app's secrets",
    );
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
          result: { autoscaling: { minReplicas: 3, maxReplicas: "10", targetCpuPercent: 70 }, image: "registry.example.com/result:2" },
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
      result: { autoscaling: { minReplicas: 3, maxReplicas: 10, targetCpuPercent: 70 }, image: "registry.example.com/result:2" },
    });
    expect(config.networks).toEqual({ backend: { subnet: "10.50.0.0/24" } });
    expect(config.volumes).toEqual({ "db-data": { size: "10Gi", retain: true } });
    expect(config.buildArgs).toEqual({ PYTHON_IMAGE: "mirror.example/python:3.12-slim" });
    expect(config.app).toEqual({ optionA: "Tabs", optionB: "Spaces" });
    expect(config.namespace).toBe("prod");
    expect(config.given).toEqual(["target", "services", "networks", "volumes", "secrets", "buildArgs", "app", "namespace"]);
  });

  test("rolloutTimeout: seconds as the engine passes them (text), 10 to 86400", () => {
    expect(loadConfig(rawOf({ secrets: SECRETS, rolloutTimeout: "90" }), "dev").rolloutTimeout).toBe(90);
    for (const bad of ["5", "1.5", "10m", "86401"]) {
      expect(() => loadConfig(rawOf({ secrets: SECRETS, rolloutTimeout: bad }), "dev")).toThrow(
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

describe("docs/config.md's config table", () => {
  const lines = fs.readFileSync(path.join(root, "docs", "config.md"), "utf8").split("\n");
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
