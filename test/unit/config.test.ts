import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { isRegistry } from "../../components/registry";
import { CONFIG_KEYS, isPinned, loadConfig } from "../../stacks/config";
import { setupMocks, valueOf } from "./mocks";

const root = path.join(__dirname, "..", "..");
const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));

describe("Pulumi.yaml declares exactly the keys the program reads", () => {
  test("same keys, in the same order", () => {
    expect(Object.keys(project.config)).toEqual(Object.keys(CONFIG_KEYS));
  });

  test.each(Object.entries(CONFIG_KEYS))("%s: same type, default and description", (key, spec) => {
    const declared = project.config[key];
    expect(declared.type).toBe(spec.type);
    expect(declared.description).toBe(spec.description);
    if ("secret" in spec && spec.secret) {
      // A secret key has no default: the CLI then refuses a stack that has not set it, encrypted.
      expect(declared.secret).toBe(true);
      expect(declared).not.toHaveProperty("default");
    } else {
      expect(declared.default).toEqual(spec.default);
    }
    if (spec.type === "array") expect(declared.items).toEqual({ type: "string" });
  });
});

describe("loading config", () => {
  beforeAll(() => setupMocks({}));

  test("defaults apply to every key that is not set", async () => {
    const config = loadConfig((key) => (key === "postgresPassword" ? "long-enough" : undefined), "dev");
    expect({ ...config, postgresPassword: undefined }).toEqual({
      stack: "dev",
      target: "docker",
      dockerHost: "unix:///var/run/docker.sock",
      bindAddress: "127.0.0.1",
      votePort: 5000,
      resultPort: 5001,
      replicas: { vote: 1, result: 1, worker: 1 },
      limits: {},
      autoscaling: {},
      optionA: "Cats",
      optionB: "Dogs",
      pythonImage: "python:3.12-slim",
      nodeImage: "node:22-slim",
      redisImage: "redis:7.4",
      postgresImage: "postgres:15",
      prebuiltImages: { vote: undefined, result: undefined, worker: undefined },
      imageTag: "v1",
      registry: undefined,
      imageBuilder: "BuilderV1",
      frontendSubnet: "10.123.1.0/24",
      backendSubnet: "10.123.2.0/24",
      allowPublicSubnets: false,
      retainData: false,
      postgresPassword: undefined,
      kubeconfig: "",
      kubeContext: "",
      namespace: "dev",
      serviceType: "ClusterIP",
      storageClass: "",
      dbStorageSize: "1Gi",
    });
    expect(await valueOf(config.postgresPassword)).toBe("long-enough");
  });

  test("structured entries merge per service and field", () => {
    const raw: Record<string, string> = {
      postgresPassword: "long-enough",
      limits: JSON.stringify(["vote:cpus=1", "vote:memory=256m", "db:memory=1g"]),
      autoscaling: JSON.stringify(["vote:min=3,max=10,cpu=70"]),
      namespace: "prod",
      // Autoscaling is refused on target docker (the default).
      target: "kubernetes",
    };
    const config = loadConfig((key) => raw[key], "prod");
    expect(config.limits).toEqual({ vote: { cpus: 1, memory: "256m" }, db: { memory: "1g" } });
    expect(config.autoscaling).toEqual({ vote: { minReplicas: 3, maxReplicas: 10, targetCpuPercent: 70 } });
    expect(config.namespace).toBe("prod");
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
  ])("%s pinned: %s", (ref, pinned) => {
    expect(isPinned(ref)).toBe(pinned);
  });

  test("dev may use latest and untagged images", () => {
    const raw: Record<string, string> = { postgresPassword: "long-enough", redisImage: "redis", imageTag: "latest" };
    expect(loadConfig((key) => raw[key], "dev").redisImage).toBe("redis");
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
    const open = loadConfig((key) => ({ postgresPassword: "long-enough", registry: "127.0.0.1:5000" })[key], "e2e");
    expect(open.registry?.server).toBe("127.0.0.1:5000");
    expect(open.registry?.username).toBe("");
    const raw: Record<string, string> = {
      postgresPassword: "long-enough",
      registry: "127.0.0.1:5000",
      registryUsername: "ci",
      registryPassword: "token-1",
    };
    const login = loadConfig((key) => raw[key], "e2e");
    expect(login.registry?.username).toBe("ci");
    expect(await valueOf(login.registry!.password)).toBe("token-1");
  });
});

test("the README's config table lists every key with its default", () => {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    const row = readme.split("\n").find((line) => line.startsWith(`| \`${key}\` |`));
    expect(row).toBeDefined();
    if (!("secret" in spec) && typeof spec.default !== "object" && spec.default !== "") {
      expect(row).toContain(`\`${spec.default}\``);
    }
  }
});
