/** The ComposeApp component constructed directly under mocks, as a program of its own would. */
import * as docker from "@pulumi/docker";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AnalyzeResult, PropertyDefinition } from "@pulumi/pulumi/provider/experimental/analyzer";
import { z } from "zod";
import { ComposeApp, ComposeAppArgs } from "../../components/compose";
import { NETWORK_SETTINGS, SERVICE_SETTINGS, unwrapped, VOLUME_SETTINGS } from "../../stacks/config";
import { InputError } from "../../stacks/errors";
import { inferSchema } from "../../tools/docs/components";
import { byType, find, recorded, settle, setupMocks, valueOf } from "./mocks";

const CONTAINER = "docker:index/container:Container";
const PROVIDER = "pulumi:providers:docker";
const COMPONENT = "urn:pulumi:dev::dockyard::dockyard:index:ComposeApp::shop";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "composeapp-"));
const file = path.join(dir, "compose.yaml");
fs.writeFileSync(
  file,
  `services:
  cache:
    image: redis:7.4
    ports: ["127.0.0.1:8402:6379"]
    volumes: [cache-data:/data]
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
    deploy:
      resources:
        limits: { cpus: "0.25", memory: 64M }
volumes:
  cache-data:
`,
);
const args = (more: Partial<ComposeAppArgs> = {}): ComposeAppArgs => ({ file, ...more });

beforeEach(async () => {
  await setupMocks({});
});

describe("ComposeApp", () => {
  test("deploys the compose file under itself, through a provider of its own, its children named after it", async () => {
    const app = new ComposeApp("shop", args());
    await settle();
    const container = find(CONTAINER, "shop-cache-1");
    expect([container.inputs.memory, container.inputs.cpus]).toEqual([64, "0.25"]);
    expect(byType(PROVIDER).map((provider) => provider.name)).toEqual(["shop-docker"]);
    expect(find(PROVIDER, "shop-docker").options.parent).toBe(COMPONENT);
    expect(find("dockyard:index:Container", "shop-cache-1").options.parent).toBe(COMPONENT);
    expect(find("dockyard:index:Volume", "shop-cache-data").options.parent).toBe(COMPONENT);
    expect(await valueOf(app.serviceNames)).toEqual(["cache"]);
    expect(await valueOf(app.urls)).toEqual({ cache: "http://127.0.0.1:8402" });
    expect(await valueOf(app.report)).toEqual([
      `${file}: name: changed: no name: the app is named after the file's folder, "${path.basename(dir).toLowerCase()}"`,
      `${file}: services.cache: changed: hardened by default: cap_drop: [NET_RAW] (Kubernetes' baseline capabilities: Docker's default set less raw sockets), security_opt: [no-new-privileges:true] (no process gains privileges through setuid binaries); write cap_add: [NET_RAW] or security_opt: [no-new-privileges:false] to keep the engine's default`,
      `${file}: networks.default: changed: no subnet in the file: 10.124.0.0/24, from the pool 10.124.0.0/16 (ComposeApp "shop" argument networks.default.subnet overrides it)`,
    ]);
  });

  test("a provider given in its options is the one its children use; it makes none", async () => {
    const mine = new docker.Provider("mine", { host: "unix:///var/run/docker.sock" });
    new ComposeApp("shop", args(), { provider: mine });
    await settle();
    expect(byType(PROVIDER).map((provider) => provider.name)).toEqual(["mine"]);
  });

  test("the stage's settings are laid over the file: replicas, a published port, an image", async () => {
    const app = new ComposeApp("shop", args({ services: { cache: { image: "mirror.invalid/redis:7", ports: { "tcp-6379": 9402 } } } }));
    await settle();
    expect(find("docker:index/remoteImage:RemoteImage", "shop-cache-image").inputs.name).toBe("mirror.invalid/redis:7");
    expect(await valueOf(app.urls)).toEqual({ cache: "http://127.0.0.1:9402" });
  });

  test.each<[string, Partial<ComposeAppArgs>, string]>([
    [
      "the file's 127.0.0.1 port on a stage that binds every interface",
      { bindAddress: "0.0.0.0" },
      `${file}: services.cache.ports[0] binds to 127.0.0.1, but published ports bind to ComposeApp "shop" argument bindAddress "0.0.0.0" here: set ComposeApp "shop" argument bindAddress to 127.0.0.1, or remove the host IP from the port to publish it as the stage does`,
    ],
    [
      "a negative replica count",
      { services: { cache: { replicas: -1 } } },
      'ComposeApp "shop" argument services.cache.replicas must be a whole number from 0 to 1000, got -1',
    ],
    [
      "a service the file does not have",
      { services: { web: { replicas: 2 } } },
      'ComposeApp "shop" argument services.web: the app has no service "web"; its services are: cache',
    ],
    [
      "a setting the services do not take",
      { services: { cache: { replica: 2 } as never } },
      'ComposeApp "shop" argument services.cache has unknown key "replica"; allowed: replicas, ports, limits, autoscaling, image, rollout, reservations, placement, restart, stopGracePeriodSeconds, security, endpointMode',
    ],
    [
      "an unknown target",
      { target: "nomad" as never },
      'ComposeApp "shop" argument target must be docker, kubernetes or swarm, got "nomad"',
    ],
    [
      "a public subnet",
      { networks: { default: { subnet: "8.8.8.0/24" } } },
      'ComposeApp "shop" argument networks.default.subnet 8.8.8.0/24 is a public range, not one of 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16. Set ComposeApp "shop" argument allowPublicSubnets to use it anyway.',
    ],
  ])("%s is refused before anything is registered, naming the argument", async (_, more, message) => {
    expect(() => new ComposeApp("shop", args(more))).toThrow(message);
    await settle();
    expect(recorded).toEqual([]);
  });

  test("outside the dev stage an unpinned image is refused, naming the compose key", async () => {
    fs.writeFileSync(path.join(dir, "latest.yaml"), "name: latest\nservices:\n  cache:\n    image: redis\n");
    const file = path.join(dir, "latest.yaml");
    expect(() => new ComposeApp("shop", { file, stage: "prod" })).toThrow(
      new InputError(
        `${file}: services.cache.image "redis" has no version tag (or uses latest), allowed only in the dev stack (stack is "prod"): pin a tag like redis:7.4 or a digest`,
      ),
    );
    await settle();
    expect(recorded).toEqual([]);
  });
});

/**
 * ComposeApp's settings interfaces restate the stack config's settings objects (Pulumi infers the
 * package's schema from written interfaces only); composeApp.ts fails to compile when they part, and
 * this checks the schema Pulumi infers, what Python and YAML programs get, against the zod shapes.
 */
describe("ComposeApp's settings, as Pulumi publishes them, are the stack config's", () => {
  let schema: AnalyzeResult;
  beforeAll(() => {
    schema = inferSchema();
  }, 60_000);

  /** A value's kind in the schema: number, string (an enum of text too), boolean, a list or a map of a kind, or a type's name. */
  function schemaKind(property: PropertyDefinition): string {
    if ("$ref" in property) {
      const name = property.$ref.replace(/^.*:/, "");
      const type = schema.typeDefinitions[name];
      return type?.enum !== undefined ? type.type : `object ${name}`;
    }
    if (property.type === "array" && property.items) return `list of ${schemaKind(property.items)}`;
    if (property.type === "object" && property.additionalProperties) return `map of ${schemaKind(property.additionalProperties)}`;
    return property.type;
  }

  /** A setting's kind in its zod schema, in schemaKind's words. */
  function zodKind(setting: z.ZodType): string {
    const { inner } = unwrapped(setting);
    if (inner instanceof z.ZodNumber) return "number";
    if (inner instanceof z.ZodString) return "string";
    if (inner instanceof z.ZodBoolean) return "boolean";
    if (inner instanceof z.ZodArray) return `list of ${zodKind(inner.element as z.ZodType)}`;
    if (inner instanceof z.ZodRecord) return `map of ${zodKind(inner._zod.def.valueType as z.ZodType)}`;
    if (inner instanceof z.ZodObject) return "object";
    return inner.constructor.name;
  }

  /** Each difference between a schema type's properties and a settings object, down nested objects, named by its path. */
  function differences(properties: Record<string, PropertyDefinition>, settings: z.ZodObject, at: string): string[] {
    const shape = settings.shape as Record<string, z.ZodType>;
    const found: string[] = [];
    for (const key of Object.keys(shape).filter((key) => !(key in properties)))
      found.push(`${at}.${key}: a stack config setting missing here`);
    for (const key of Object.keys(properties).filter((key) => !(key in shape))) found.push(`${at}.${key}: not a stack config setting`);
    for (const key of Object.keys(shape).filter((key) => key in properties)) {
      const [setting, property] = [shape[key], properties[key]];
      if ((property.optional === true) !== setting instanceof z.ZodOptional) {
        found.push(`${at}.${key}: ${property.optional ? "optional here, required" : "required here, optional"} in the stack config`);
      }
      const [kind, expected] = [schemaKind(property), zodKind(setting)];
      const nested = unwrapped(setting).inner;
      if (expected === "object" && kind.startsWith("object ") && nested instanceof z.ZodObject) {
        found.push(...differences(schema.typeDefinitions[kind.slice("object ".length)].properties ?? {}, nested, `${at}.${key}`));
      } else if (kind !== expected) {
        found.push(`${at}.${key}: ${kind} here, ${expected} in the stack config`);
      }
    }
    return found;
  }

  const properties = (type: string) => schema.typeDefinitions[type]?.properties ?? {};

  test.each<[string, z.ZodObject]>([
    ["ComposeServiceSettings", SERVICE_SETTINGS],
    ["ComposeNetworkSettings", NETWORK_SETTINGS],
    ["ComposeVolumeSettings", VOLUME_SETTINGS],
  ])("%s: the settings' keys, down nested objects, each optional where they are and of the same kind", (type, settings) => {
    expect(Object.keys(properties(type)).length).toBeGreaterThan(0);
    expect(differences(properties(type), settings, type)).toEqual([]);
  });

  test("a difference is named by its path", () => {
    const changed = SERVICE_SETTINGS.extend({
      healthCheck: z.object({ retries: z.number() }).partial().optional(),
      limits: z.object({ cpus: z.number(), memory: z.string() }).partial().optional(),
      autoscaling: z
        .object({
          minReplicas: z.number().optional(),
          maxReplicas: z.number(),
          targetCpuPercent: z.number(),
          scaleUpStabilizationSeconds: z.number().optional(),
          scaleDownStabilizationSeconds: z.number().optional(),
          scaleUpPods: z.number().optional(),
          scaleUpPercent: z.number().optional(),
          scaleUpPeriodSeconds: z.number().optional(),
          scaleDownPods: z.number().optional(),
          scaleDownPercent: z.number().optional(),
          scaleDownPeriodSeconds: z.number().optional(),
          targetMemoryPercent: z.number().optional(),
        })
        .optional(),
      replicas: z.string().optional(),
    }).omit({ endpointMode: true });
    expect(differences(properties("ComposeServiceSettings"), changed, "ComposeServiceSettings")).toEqual([
      "ComposeServiceSettings.healthCheck: a stack config setting missing here",
      "ComposeServiceSettings.endpointMode: not a stack config setting",
      "ComposeServiceSettings.replicas: number here, string in the stack config",
      "ComposeServiceSettings.autoscaling.minReplicas: required here, optional in the stack config",
    ]);
  });
});
