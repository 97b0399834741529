/**
 * Generators of adversarial input for test/unit/adversarial.test.ts: stage config values (as the
 * engine passes them: JSON text per dockyard key) and compose documents, biased toward values that
 * are almost valid (a number past a range, digits as text, a float where a whole number goes, a
 * name that is also a property of every object), so that shrinking ends at the smallest such value.
 * Most compose documents are files as users write them (pinned images, own ports and volumes, health
 * checks, deploy keys, secrets delivered as compose does), so that a good share reaches the plans;
 * they carry now and then a credential in plain text or a duration past its bound, and the rest are
 * mutated or wild. Secret-looking values are well-known examples or split in the source, never real.
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

/** A GitHub token's shape (ghp_ and 36 letters and digits): not a real one. */
export const GITHUB_TOKEN = `ghp_${"aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"}`;

/** Values a stage outside dev must not carry in plain text, and a few that only look close to one. */
export const secretLookingValue: fc.Arbitrary<string> = fc.constantFrom(
  "AKIAIOSFODNN7EXAMPLE",
  GITHUB_TOKEN,
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  "postgres://app:hunter2@db:5432/app",
  "hunter2hunter2",
  "-----BEGIN RSA PRIVATE KEY-----",
  "$${DB_PASSWORD}",
  "/run/secrets/api-key",
  "https://auth.example.com/token",
  "8",
);

/** The values the suite gives the app's secrets (dockyard:secrets): distinct from every other text it writes. */
export const SECRET_VALUES = ["s3cret-pass-0x7Q", "Zx9-long-enough-secret", "correct horse battery staple"];

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
const seconds = near(fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constantFrom(599, 600, 601, 3600, 3601, 86400, 86401, 2 ** 31, 1e10)));
const cpus = near(fc.oneof(fc.constantFrom(0.01, 0.1, 0.5, 1, 2, 0.001, 0.005, 1e-9, 1024, 1e6), fc.constantFrom("0.5", "0.001", "1")));
const memory = near(fc.constantFrom("64m", "128m", "1g", "512Mi", "0", "1", "1b", "1.5m", "99999999999g", "-1m", "1k"));
const strategy = record(
  fc.constantFrom("parallelism", "delaySeconds", "order", "monitorSeconds", "maxFailureRatio", "failureAction", "rollback", "bogus"),
  near(
    fc.oneof(fc.integer({ min: 0, max: 3 }), seconds, fc.constantFrom("start-first", "stop-first", "rollback", "pause", "continue", 0.5)),
  ),
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
      near(fc.oneof(fc.constantFrom("any", "none", "on-failure", 0, 3), seconds)),
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
      near(
        record(
          fc.constantFrom("PYTHON_IMAGE", "NODE_IMAGE", ...OBJECT_KEYS),
          fc.oneof(
            { weight: 4, arbitrary: near(fc.constantFrom("python:3.11-slim", "node:18")) },
            { weight: 1, arbitrary: secretLookingValue },
          ),
          2,
        ),
      ),
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
  { weight: 1, arbitrary: fc.tuple(fc.constant("registryUsername"), near(fc.constantFrom("ci", ""))) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("registryPassword"), fc.oneof(secretLookingValue, fc.constantFrom("token-123", ""))) },
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
  "/run/user/1000/docker.sock:/var/run/docker.sock",
  "/run/podman/podman.sock:/run/podman.sock:ro",
  "/usr/local/bin:/out",
  "/lib64:/lib64",
  "/usr/share/zoneinfo:/usr/share/zoneinfo:ro",
  "/etc/kubernetes/admin.conf:/kube/config:ro",
  "/home/ci/.kube:/kube:ro",
  "/root/.ssh:/ssh:ro",
  "../../../../../../../../etc:/host-etc",
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

/** A compose document as plain data, anything in any place: most are refused before resolveApp. */
export const wildComposeDocument: fc.Arbitrary<Record<string, unknown>> = fc.record(
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

// ---- compose files a user would write ---------------------------------------------------------------

/** Pinned images, and once in a while one without a tag (refused outside dev). */
const image = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom("nginx:1.27", "postgres:16", "redis:7.4", "example/app:1.2.3") },
  { weight: 1, arbitrary: fc.constantFrom("nginx", "example/app:latest") },
);
/** Durations as compose writes them: mostly sensible, sometimes past a bound (a day, an hour) or not whole seconds. */
const duration = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom("1s", "5s", "10s", "30s", "1m", "1m30s", "10m") },
  { weight: 1, arbitrary: fc.constantFrom("0s", "1h", "24h", "25h", "48h", "3601s", "99999999h", "1500ms", "0ms") },
);
const plainName = fc.constantFrom("LOG_LEVEL", "PORT", "MODE", "GREETING", "DB_HOST", "TZ", "JAVA_OPTS");
const credentialName = fc.constantFrom(
  "DB_PASSWORD",
  "API_TOKEN",
  "AWS_SECRET_ACCESS_KEY",
  "NPM_TOKEN",
  "GITHUB_TOKEN",
  "SECRET_KEY_BASE",
  "API_KEY",
  "CLIENT_SECRET",
  "TOKEN_URL",
  "PASSWORD_MIN_LENGTH",
  "DATABASE_URL",
);
const plainValue = fc.constantFrom("info", "8080", "production", "db", "Europe/Amsterdam", "-Xmx512m -XX:+UseG1GC", "");
/** A service's environment: plain settings, now and then a credential by name or by value. */
const environment = record(
  fc.oneof({ weight: 10, arbitrary: plainName }, { weight: 1, arbitrary: credentialName }),
  fc.oneof({ weight: 15, arbitrary: plainValue }, { weight: 1, arbitrary: secretLookingValue }),
  3,
);

/** One service of a file that names `names` (this one is names[index]): valid, with the keys people use. */
function wellFormedService(names: string[], index: number): fc.Arbitrary<Record<string, unknown>> {
  const name = names[index];
  // Each service publishes on its own host ports; now and then on 127.0.0.1 only.
  const ports = fc
    .tuple(fc.subarray([80, 8080]), fc.constantFrom("", "", "", "127.0.0.1:"))
    .map(([targets, ip]) => targets.map((target, i) => `${ip}${8000 + index * 100 + i * 10}:${target}`));
  const health = fc.record(
    {
      test: fc.constantFrom(["CMD", "true"], ["CMD-SHELL", "curl -f http://localhost || exit 1"], "pg_isready"),
      interval: duration,
      timeout: duration,
      start_period: duration,
      retries: fc.oneof({ weight: 20, arbitrary: fc.constantFrom(1, 3, 5, 1000) }, { weight: 1, arbitrary: fc.constantFrom(0, 1001) }),
    },
    { requiredKeys: ["test"] },
  );
  const deployment = fc.record(
    {
      replicas: fc.integer({ min: 0, max: 3 }),
      resources: fc.constant({ limits: { cpus: "0.5", memory: "128m" } }),
      update_config: fc.record(
        {
          parallelism: fc.integer({ min: 0, max: 2 }),
          delay: duration,
          monitor: duration,
          order: fc.constantFrom("start-first", "stop-first"),
        },
        { requiredKeys: [] },
      ),
      restart_policy: fc.record(
        {
          condition: fc.constantFrom("any", "on-failure", "none"),
          delay: duration,
          window: duration,
          max_attempts: fc.integer({ min: 0, max: 5 }),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  );
  const source = fc.oneof(
    { weight: 8, arbitrary: image.map((ref) => ({ image: ref })) },
    {
      weight: 1,
      arbitrary: record(
        fc.oneof({ weight: 6, arbitrary: plainName }, { weight: 1, arbitrary: credentialName }),
        fc.oneof({ weight: 6, arbitrary: plainValue }, { weight: 1, arbitrary: secretLookingValue }),
        2,
      ).map((args) => ({
        build: { context: ".", args },
      })),
    },
  );
  const dependsOn = fc.subarray(names.slice(0, index)).map((earlier) => (earlier.length === 0 ? {} : { depends_on: earlier }));
  return fc
    .tuple(
      source,
      fc.record(
        {
          ports,
          environment,
          healthcheck: health,
          deploy: deployment,
          stop_grace_period: duration,
          restart: fc.constantFrom("no", "always", "on-failure", "unless-stopped"),
          // Now and then a bind mount too: most harmless, some handing the host to the container.
          volumes: fc.oneof(
            { weight: 24, arbitrary: fc.constant([`data-${name}:/var/lib/data`]) },
            {
              weight: 1,
              arbitrary: fc
                .constantFrom(
                  "/srv/app/conf:/conf:ro",
                  "/usr/share/zoneinfo:/usr/share/zoneinfo:ro",
                  "/usr/local/bin:/out",
                  "/run/user/1000/docker.sock:/var/run/docker.sock",
                  "/home/ci/.kube:/kube:ro",
                  "/etc/kubernetes/admin.conf:/kube/config:ro",
                )
                .map((bind) => [`data-${name}:/var/lib/data`, bind]),
            },
          ),
          // Now and then a credential on the command line, or a reference the container resolves.
          command: fc.oneof(
            {
              weight: 12,
              arbitrary: fc.constantFrom(
                "serve --port 8080",
                "redis-server --appendonly yes",
                "redis-server --requirepass $$REDIS_PASSWORD",
              ),
            },
            {
              weight: 1,
              arbitrary: fc.constantFrom("redis-server --requirepass S3cr3t-Redis-Passw0rd", [
                "sh",
                "-c",
                "DATABASE_URL=postgres://shop:Sup3rS3cret@db/shop ./migrate",
              ]),
            },
          ),
        },
        { requiredKeys: [] },
      ),
      dependsOn,
      fc.boolean(),
    )
    .map(([source, keys, depends, secret]) => ({
      ...source,
      ...keys,
      ...depends,
      // A secret delivered as compose does it: the top-level secret, the service's secrets:, <VAR>_FILE.
      ...(secret
        ? {
            secrets: ["api-key"],
            environment: { ...((keys.environment as object | undefined) ?? {}), API_KEY_FILE: "/run/secrets/api-key" },
          }
        : {}),
    }));
}

/** A compose file as a user would write it: mostly deployable, sometimes a credential, a duration past its bound, a host IP. */
export const wellFormedComposeDocument: fc.Arbitrary<Record<string, unknown>> = fc
  .uniqueArray(fc.constantFrom("web", "api", "db", "cache", "worker"), { minLength: 1, maxLength: 3 })
  .chain((names) =>
    fc.tuple(fc.constant(names), fc.tuple(...names.map((_, index) => wellFormedService(names, index))), fc.constantFrom("shop", "store")),
  )
  .map(([names, services, name]) => {
    const document: Record<string, unknown> = { name, services: Object.fromEntries(names.map((service, i) => [service, services[i]])) };
    const volumes = services.flatMap((service, i) => ("volumes" in service ? [`data-${names[i]}`] : []));
    if (volumes.length > 0) document.volumes = Object.fromEntries(volumes.map((volume) => [volume, {}]));
    if (services.some((service) => "secrets" in service)) document.secrets = { "api-key": { environment: "API_KEY" } };
    return document;
  });

/** A well-formed file with one key of one service replaced by an edge value. */
const mutatedComposeDocument: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    wellFormedComposeDocument,
    fc.constantFrom("image", "ports", "environment", "healthcheck", "deploy", "stop_grace_period", "restart", "volumes", "depends_on"),
    edgeJson,
  )
  .map(([document, key, value]) => {
    const services = document.services as Record<string, Record<string, unknown>>;
    const first = Object.keys(services)[0];
    return { ...document, services: { ...services, [first]: { ...services[first], [key]: value } } };
  });

/** Compose documents: most as users write them (most reach the plans), the rest mutated or wild (most are refused). */
export const composeDocument: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 7, arbitrary: wellFormedComposeDocument },
  { weight: 1, arbitrary: mutatedComposeDocument },
  { weight: 2, arbitrary: wildComposeDocument },
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
