/**
 * Generators of adversarial input for test/unit/adversarial.test.ts: stage config values (as the
 * engine passes them: JSON text per dockyard key) and compose documents, biased toward values that
 * are almost valid (a number past a range, digits as text, a float where a whole number goes, a
 * name that is also a property of every object), so that shrinking ends at the smallest such value.
 */
import fc from "fast-check";

/** Names that are properties of every object, or look like ones. */
export const OBJECT_KEYS = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "prototype"];

/** Records with any key, `__proto__` included, as own properties (Object.fromEntries defines them). */
export const record = <T>(key: fc.Arbitrary<string>, value: fc.Arbitrary<T>, maxLength = 3): fc.Arbitrary<Record<string, T>> =>
  fc.array(fc.tuple(key, value), { maxLength }).map((entries) => Object.fromEntries(entries));

/** Numbers at and past the edges the engines have: int32, ports, CPU minimum, safe integers. */
export const edgeNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, 1, 2, -1, 0.5, 1.5, 0.001, 0.009, 0.01, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 1e21, 1e308, -0),
  fc.integer({ min: -5, max: 100 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e12 }),
);

/** Text that a careless parser may read as something else. */
export const edgeText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", " ", "0", "007", "1e3", " 5 ", "0x10", "-1", "2147483648", "1.5", "true", "null", "undefined", "NaN", "Infinity"),
  fc.constantFrom(...OBJECT_KEYS),
  fc.constantFrom("é", "投票", "a\u0000b", "\u202e", "vote\n", "${HOME}", "a".repeat(64), "x".repeat(300)),
  edgeNumber.map(String),
  fc.string({ maxLength: 8 }),
);

/** Any JSON value, small, with edge leaves. */
export const edgeJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    edgeNumber,
    edgeText,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    record(edgeText, tie("value")),
  ),
})).value;

/** A value for a field whose valid values are `good`: mostly them, sometimes an edge value. */
const near = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: edgeJson });

const wholeish = near(fc.oneof(fc.integer({ min: 0, max: 5 }), edgeNumber, edgeNumber.map(String)));
const seconds = near(fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constantFrom(3600, 3601, 86400, 2 ** 31)));
const cpus = near(fc.oneof(fc.constantFrom(0.01, 0.1, 0.5, 1, 2, 0.001, 0.005, 1e-9, 1024, 1e6), fc.constantFrom("0.5", "0.001", "1")));
const memory = near(fc.constantFrom("64m", "128m", "1g", "512Mi", "0", "1", "1b", "1.5m", "99999999999g", "-1m", "1k"));
const strategy = record(
  fc.constantFrom("parallelism", "delaySeconds", "order", "monitorSeconds", "maxFailureRatio", "failureAction", "rollback", "bogus"),
  near(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom("start-first", "stop-first", "rollback", "pause", "continue", 0.5))),
  4,
);

/** One service's settings (dockyard:services.<name>), every key of SERVICE_SETTINGS and a stray one. */
const serviceSettings = record(
  fc.constantFrom(
    "replicas",
    "replicas",
    "ports",
    "limits",
    "autoscaling",
    "image",
    "rollout",
    "reservations",
    "placement",
    "restart",
    "stopGracePeriodSeconds",
    "endpointMode",
    "replica",
  ),
  fc.oneof(
    wholeish,
    record(fc.constantFrom("http", "redis", "health", "postgres", "constructor", "__proto__"), near(fc.integer({ min: 1, max: 65535 }))),
    record(fc.constantFrom("cpus", "memory"), fc.oneof(cpus, memory)),
    record(fc.constantFrom("minReplicas", "maxReplicas", "targetCpuPercent"), wholeish),
    near(fc.constantFrom("redis:7.4", "postgres:15-alpine", "nginx", "nginx:latest", "UPPER:1", "a/b:c@sha256:xyz")),
    strategy,
    record(fc.constantFrom("constraints", "maxReplicasPerNode"), near(fc.constantFrom(["node.role == manager"], ["bad"], [], 1, 2 ** 31))),
    record(
      fc.constantFrom("condition", "delaySeconds", "maxAttempts", "windowSeconds"),
      near(fc.constantFrom("any", "none", "on-failure", 0, 3)),
    ),
    seconds,
    near(fc.constantFrom("dnsrr", "vip")),
  ),
  4,
);

const serviceName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("vote", "result", "worker", "redis", "db") },
  { weight: 2, arbitrary: fc.constantFrom(...OBJECT_KEYS) },
  { weight: 1, arbitrary: edgeText },
);
const cidr = near(
  fc.constantFrom("10.123.1.0/24", "10.123.2.0/24", "10.9.0.0/16", "10.0.0.1/24", "8.8.8.0/24", "10.0.0.0/33", "10.0.0.0/30", "0.0.0.0/0"),
);
const networkSettings = record(fc.constantFrom("subnet", "gateway", "ipRange", "internal"), cidr);
const volumeSettings = record(
  fc.constantFrom("size", "retain"),
  near(fc.constantFrom("1Gi", "10Gi", "0", "1", "1e3Gi", true, false, "true")),
);

/** One setting of a stage: a key and a value, the value mostly of the key's own kind. */
const setting: fc.Arbitrary<[string, unknown]> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constant("services"), near(record(serviceName, serviceSettings, 2))) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constant("networks"),
      near(record(fc.oneof(fc.constantFrom("frontend", "backend"), fc.constantFrom(...OBJECT_KEYS)), networkSettings, 2)),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constant("volumes"),
      near(record(fc.oneof(fc.constantFrom("db-data", "redis-data"), fc.constantFrom(...OBJECT_KEYS)), volumeSettings, 2)),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constant("buildArgs"),
      near(record(fc.constantFrom("PYTHON_IMAGE", "NODE_IMAGE", ...OBJECT_KEYS), near(fc.constantFrom("python:3.11-slim", "node:18")), 2)),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constant("bindAddress"),
      near(fc.constantFrom("127.0.0.1", "0.0.0.0", "10.0.0.5", "::1", "localhost", "256.0.0.1")),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constant("imageTag"), near(fc.constantFrom("v1", "latest", "dev"))) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("namespace"), near(fc.constantFrom("", "voting", "kube-system", "a".repeat(64), "UPPER"))) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("serviceType"), near(fc.constantFrom("ClusterIP", "NodePort", "LoadBalancer"))) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("rolloutTimeout"), near(fc.constantFrom(10, 600, 86400, 86401, 9))) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("swarmNodes"), near(fc.constantFrom(1, 2, 3))) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("swarmEndpointMode"), near(fc.constantFrom("dnsrr", "vip"))) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("allowPublicSubnets"), near(fc.boolean())) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constant("stray"),
      fc.constantFrom("votePort", "voteReplicas", "docker:host", "kubernetes:namespace", "servics"),
    ),
  },
);

/** A stage config's values by key (dockyard: prefix left off), JSON-like as `pulumi config` stores them; `stray` names a key of its own. */
export const stageValues: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.constantFrom("docker", "swarm", "kubernetes"),
    fc.constantFrom("localhost:5000", "localhost:5000", ""),
    fc.array(setting, { maxLength: 3 }),
  )
  .map(([target, registry, settings]) => Object.fromEntries([["target", target], ["registry", registry], ...settings]));

// ---- compose --------------------------------------------------------------------------------------

const composeName = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom("web", "db", "cache") },
  { weight: 1, arbitrary: fc.constantFrom(...OBJECT_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom("Web", "a".repeat(40), "web_1", "") },
);

const shortPort = fc.oneof(
  fc.constantFrom("8080:80", "127.0.0.1:5432:5432", "0.0.0.0:80:80", "10.0.0.5:81:81", "[::1]:82:82", "80", "53:53/udp", "99999:80"),
  fc.constantFrom("8000-8010:80", "0:80", "80:0", "65536:80", "1.5:80", "::80"),
  fc.tuple(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: 70000 })).map(([a, b]) => `${a}:${b}`),
);
const longPort = record(
  fc.constantFrom("target", "published", "protocol", "host_ip", "mode", "name", "app_protocol"),
  near(fc.constantFrom(80, 8080, "8080", "127.0.0.1", "0.0.0.0", "tcp", "udp", "host", "ingress", "http")),
  4,
);
const mountString = fc.constantFrom(
  "data:/var/lib/data",
  "data:/var/lib/data:ro",
  "/var/run/docker.sock:/var/run/docker.sock",
  "/:/host",
  "/etc:/etc:ro",
  "/proc:/host/proc",
  "/sys:/sys",
  "/dev:/dev",
  "/var/lib/docker:/docker",
  "/srv/app:/app",
  "./conf:/conf",
  "~/x:/x",
  "/anonymous",
  "undeclared:/x",
  "data:relative",
);
const longMount = record(
  fc.constantFrom("type", "source", "target", "read_only", "volume", "bind", "tmpfs", "consistency"),
  near(
    fc.constantFrom(
      "volume",
      "bind",
      "tmpfs",
      "data",
      "/data",
      "/var/run/docker.sock",
      "/",
      { subpath: "sub" },
      { nocopy: true },
      { propagation: "rshared" },
      { create_host_path: true },
      { size: 100 },
      "cached",
      true,
    ),
  ),
  5,
);
const healthTest = near(
  fc.constantFrom(
    ["CMD", "true"],
    ["CMD"],
    ["CMD-SHELL"],
    ["CMD-SHELL", ""],
    ["CMD-SHELL", "curl -f http://localhost"],
    ["NONE"],
    "exit 0",
    "",
    [],
    ["true"],
  ),
);
const restart = near(
  fc.constantFrom("no", "always", "on-failure", "on-failure:3", "on-failure:0", "unless-stopped", "on-failure:x", "never"),
);
const deploy = record(
  fc.constantFrom("replicas", "resources", "restart_policy", "update_config", "mode", "placement", "endpoint_mode"),
  fc.oneof(
    near(fc.constantFrom(0, 1, 3, 2 ** 31 - 1, 2 ** 31, 2 ** 53, "2", 1.5, -1)),
    record(fc.constantFrom("limits", "reservations"), record(fc.constantFrom("cpus", "memory", "pids"), fc.oneof(cpus, memory))),
    record(
      fc.constantFrom("condition", "delay", "max_attempts", "window"),
      near(fc.constantFrom("any", "none", "on-failure", "5s", 3, "1.5s")),
    ),
    record(fc.constantFrom("parallelism", "delay", "order", "failure_action"), near(fc.constantFrom(1, "10s", "start-first", "pause"))),
    near(fc.constantFrom("replicated", "global")),
    near(fc.constantFrom("vip", "dnsrr")),
  ),
  4,
);

const composeServiceKeys = record(
  fc.constantFrom(
    "image",
    "image",
    "ports",
    "expose",
    "volumes",
    "restart",
    "healthcheck",
    "deploy",
    "environment",
    "depends_on",
    "command",
    "networks",
    "stop_grace_period",
    "scale",
    "cpus",
    "mem_limit",
    "user",
    "privileged",
  ),
  fc.oneof(
    near(fc.constantFrom("nginx:1.27", "postgres:16", "redis:7.4", "nginx", "UPPER:1")),
    fc.array(fc.oneof(shortPort, longPort), { maxLength: 3 }),
    fc.array(fc.oneof(mountString, longMount), { maxLength: 3 }),
    restart,
    record(
      fc.constantFrom("test", "interval", "retries", "disable"),
      fc.oneof(healthTest, near(fc.constantFrom("10s", 3, "1.5s", 0, true))),
    ),
    deploy,
    near(
      fc.oneof(
        record(fc.constantFrom("A", "PASSWORD", "constructor", "1BAD"), fc.constantFrom("x", "")),
        fc.constantFrom(["A=1"], ["BARE"]),
      ),
    ),
    near(fc.constantFrom(["db"], ["web"], ["cache"], { db: { condition: "service_healthy" } }, ["nosuch"])),
    near(fc.constantFrom("echo hi", ["echo", "hi"], "a && b")),
    near(fc.constantFrom(["default"], ["back"], ["nosuch"], { back: { aliases: ["x"] } })),
    near(fc.constantFrom("10s", "1m30s", "1.5s", "3601s", 5)),
  ),
  3,
);
/** A service: an image (mostly one that pulls), and a few other keys. */
const composeService = fc
  .tuple(
    fc.oneof({ weight: 8, arbitrary: fc.constantFrom("nginx:1.27", "postgres:16", "redis:7.4") }, { weight: 1, arbitrary: edgeJson }),
    composeServiceKeys,
  )
  .map(([image, keys]) => ({ image, ...keys }));

const topVolume = record(
  fc.constantFrom("driver", "driver_opts", "external", "name", "labels", "x-dockyard"),
  near(
    fc.constantFrom(
      "local",
      "nfs",
      { type: "nfs", o: "addr=10.0.0.1,rw", device: ":/export" },
      { type: "none", o: "bind", device: "/srv/data" },
      {},
      true,
      { size: "1Gi", retain: true },
    ),
  ),
  3,
);

/** Mostly `good`, once in twenty an edge value: for the sections every other key hangs from. */
const rarely = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 19, arbitrary: good }, { weight: 1, arbitrary: edgeJson });

/** A compose document as plain data. */
export const composeDocument: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    name: rarely(fc.constantFrom("shop", "shop", "Shop", "constructor")),
    services: rarely(record(composeName, composeService, 3).filter((services) => Object.keys(services).length > 0)),
    volumes: rarely(record(fc.oneof(fc.constantFrom("data"), fc.constantFrom(...OBJECT_KEYS)), fc.oneof(topVolume, fc.constant(null)), 2)),
    networks: rarely(
      record(fc.constantFrom("default", "back", "__proto__"), near(fc.constantFrom({}, { internal: true }, { external: true })), 2),
    ),
  },
  { requiredKeys: ["services", "name"] },
);

/** YAML text that tries the loader: anchors, a recursive alias, tags, and text that is not YAML at all. */
export const composeText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "a: &a [*a]\nservices: {}\n",
    "x: &x\n  y: *x\nservices:\n  web:\n    image: nginx:1.27\n",
    "base: &b { image: nginx:1.27 }\nservices:\n  web:\n    <<: *b\n",
    "services:\n  web: !reset\n",
    "services:\n  web:\n    image: !override nginx:1.27\n",
    "services:\n  web: [\n",
    "a note, not a compose file - 0123456789abcdef\n",
    "-----BEGIN EXAMPLE-----\nZXhhbXBsZSB0ZXh0IG9ubHk=\n-----END EXAMPLE-----\n",
    "NAME=example-value-0123456789\n",
    "\t\tnot: yaml: at: all\n",
    '{"services": {"web": {"image": "nginx:1.27"}}}',
    "services:\n  web:\n    image: ${UNSET:?needs a value}\n",
  ),
  fc.string({ maxLength: 40 }),
);
