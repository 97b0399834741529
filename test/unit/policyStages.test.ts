/**
 * The policy pack (policy/) on what every stage registers under mocks, as the engine would hand it
 * the resources, with the stage's policy config (policy/config.<stage>.json): the stages pass, and
 * broken stage configs produce exactly the expected violations.
 */
import * as fs from "fs";
import * as path from "path";
import { checkPolicyConfig, enforcementLevel, LocalResource, PolicyConfig, runPolicies, Violation } from "../../policy/local";
import { policies } from "../../policy/policies";
import { recorded } from "./mocks";
import { parse } from "yaml";
import { runProgram } from "./program";
import { PASSWORD, stageProgramConfig, Values } from "./stage";

const root = path.join(__dirname, "..", "..");
const STAGES = ["dev", "e2e", "k8se2e", "prod", "staging"];
/** Stacks with a policy config but no stage file of their own: the swarm suite's stack (test/e2e/swarm.yaml). */
const SUITE_STACKS = ["swarme2e"];

function policyConfig(stage: string): PolicyConfig {
  return JSON.parse(fs.readFileSync(path.join(root, "policy", `config.${stage}.json`), "utf8"));
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Inputs as a policy sees them: secrets unwrapped (the policy SDK deserializes them to their values). */
function unwrap(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrap);
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (SECRET_SIG in record) return unwrap(record.value);
    return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, unwrap(item)]));
  }
  return value;
}

/** What the program registered, as the engine passes it to a policy pack: custom resources, no providers. */
function registered(stack: string): LocalResource[] {
  return recorded
    .filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"))
    .map((r) => {
      const chain = r.options.parent ? `${r.options.parent.split("::")[2]}$` : "";
      return {
        type: r.type,
        name: r.name,
        urn: `urn:pulumi:${stack}::dockyard::${chain}${r.type}::${r.name}`,
        props: unwrap(r.inputs) as Record<string, unknown>,
        opts: { protect: r.options.protect, parent: r.options.parent || undefined },
      };
    });
}

async function violations(
  stage: string,
  overrides: Record<string, string | object> = {},
  config = policyConfig(stage),
): Promise<Violation[]> {
  await runProgram({ ...stageProgramConfig(stage), ...overrides }, stage);
  return runPolicies(registered(stage), config);
}

/**
 * Policies the stacks do not meet yet, advisory in every stage's config: what each reports on each
 * stack is pinned once ("what the stacks give today", below), and left out of every other case.
 */
const PENDING = ["bounded-restarts"];

const line = (v: Violation): string => `${v.level} ${v.policy}: ${v.message}`;
/** The violations as lines, in name order: the engine reports them as the resources' registrations finish, in no set order. */
const lines = (found: Violation[]): string[] =>
  found
    .filter((v) => !PENDING.includes(v.policy))
    .map(line)
    .sort();

describe("the stage policy configs", () => {
  test.each([...STAGES, ...SUITE_STACKS])("policy/config.%s.json is valid against the pack's config schema", (stage) => {
    expect(checkPolicyConfig(policyConfig(stage))).toEqual([]);
  });

  test("every stage file has its policy config", () => {
    const stages = fs
      .readdirSync(root)
      .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
      .filter((stage): stage is string => stage !== undefined)
      .sort();
    expect(stages).toEqual(STAGES);
    const configs = fs
      .readdirSync(path.join(root, "policy"))
      .map((file) => /^config\.(.+)\.json$/.exec(file)?.[1])
      .filter((stack): stack is string => stack !== undefined)
      .sort();
    expect(configs).toEqual([...STAGES, ...SUITE_STACKS].sort());
  });

  test("dev is advisory, the other stages mandatory", () => {
    expect(policyConfig("dev").all).toBe("advisory");
    for (const stage of [...STAGES, ...SUITE_STACKS].filter((s) => s !== "dev")) expect(policyConfig(stage).all).toBe("mandatory");
  });

  test("a config with mistakes gets one message per mistake", () => {
    expect(
      checkPolicyConfig({
        all: "strict",
        "no-such-policy": "mandatory",
        replicas: { minReplicas: "two", enforcementLevel: "warn" },
        "host-ports": { bindAddress: 127, allowAll: true, publishers: "vote" },
        "private-subnets": { allowPublicSubnets: "yes" },
        "container-limits": 3,
        "pod-security-labels": { minimumLevel: "strict" },
        "read-only-root": { writableRoots: "db" },
      }),
    ).toEqual([
      'all: must be one of advisory, mandatory, remediate, disabled, got "strict"',
      `no-such-policy: no such policy (policies: ${policies.map((p) => p.name).join(", ")})`,
      'replicas.minReplicas: must be a whole number of at least 1, got "two"',
      'replicas.enforcementLevel: must be one of advisory, mandatory, remediate, disabled, got "warn"',
      "host-ports.bindAddress: must be a string, got 127",
      "host-ports.allowAll: not a setting of host-ports (settings: bindAddress, allowAllInterfaces, publishers)",
      'host-ports.publishers: must be a list of strings, got "vote"',
      'private-subnets.allowPublicSubnets: must be true or false, got "yes"',
      "container-limits: must be an enforcement level or an object, got 3",
      'pod-security-labels.minimumLevel: must be one of privileged, baseline, restricted, got "strict"',
      'read-only-root.writableRoots: must be a list of strings, got "db"',
    ]);
  });
});

/**
 * What each stage's own config gives. Prod's claims are kept with retainOnDelete, which the engine does
 * not pass to policy packs: until the program marks them (dockyard.dev/retain), prod's data-retained
 * is advisory and reports them.
 */
describe.each(STAGES)("stage %s through the whole pack", (stage) => {
  test(stage === "prod" ? "passes, with the two advisory data-retained warnings" : "passes with no violation", async () => {
    expect(lines(await violations(stage))).toEqual(stage === "prod" ? RETAIN_ADVISORY : []);
  });
});

const prodServices = (stageProgramConfig("prod")["dockyard:services"] ?? {}) as Record<string, object>;
const e2eServices = (stageProgramConfig("e2e")["dockyard:services"] ?? {}) as Record<string, object>;
const stagingServices = (stageProgramConfig("staging")["dockyard:services"] ?? {}) as Record<string, object>;

const RETAIN_ADVISORY = ["db-db-data", "redis-redis-data"].map(
  (claim) =>
    `advisory data-retained: kubernetes:core/v1:PersistentVolumeClaim "${claim}": neither protect is set nor metadata.annotations["dockyard.dev/retain"] is "true" (it is not set), so pulumi destroy deletes its data; protect it, or keep it with retainOnDelete and mark it dockyard.dev/retain: "true" (dockyard: volumes.<name>.retain)`,
);
const registry = (resource: string, property: string, image: string): string =>
  `mandatory allowed-registries: ${resource}: ${property} "${image}" comes from registry registry.invalid:5000, which is not allowed (allowed: docker.io, localhost:5000); use an image from an allowed registry, or add registry.invalid:5000 to this policy's registries`;
const anyAddress = (container: string): string =>
  `advisory host-ports: docker:index/container:Container "${container}": ports[0].ip is "0.0.0.0" (every interface), not the configured bind address 127.0.0.1; bind it to 127.0.0.1 (dockyard: bindAddress), or set this policy's allowAllInterfaces`;

/**
 * Broken stage configs, each with exactly the violations it must produce: [title, stack, config
 * overrides, the policy config's stage, expected]. The program itself refuses an unpinned image
 * outside dev, so that case is dev's resources checked with staging's policy config.
 */
const BROKEN: Array<[string, string, Record<string, string | object>, string, string[]]> = [
  [
    "redis:latest (accepted by the dev stack) under staging's policy config",
    "dev",
    { "dockyard:services": { redis: { image: "redis:latest" } } },
    "staging",
    [
      'mandatory images-pinned: docker:index/remoteImage:RemoteImage "redis-image": name "redis:latest" uses the tag latest, which changes under you; pin it to a version tag (redis:<version>) or a digest (@sha256:...)',
    ],
  ],
  [
    "the same under dev's own config: no violation (pinning is not checked in dev)",
    "dev",
    { "dockyard:services": { redis: { image: "redis:latest" } } },
    "dev",
    [],
  ],
  [
    "staging: images pushed to a registry not allowed",
    "staging",
    { "dockyard:registry": "registry.invalid:5000" },
    "staging",
    [
      registry('docker:index/image:Image "result"', "imageName", "registry.invalid:5000/voting-result:v1"),
      registry('docker:index/image:Image "vote"', "imageName", "registry.invalid:5000/voting-vote:v1"),
      registry('docker:index/image:Image "worker"', "imageName", "registry.invalid:5000/voting-worker:v1"),
      registry(
        'kubernetes:apps/v1:Deployment "vote"',
        "spec.template.spec.containers[0].image",
        "registry.invalid:5000/voting-vote@sha256:vote-digest",
      ),
      registry(
        'kubernetes:apps/v1:Deployment "result"',
        "spec.template.spec.containers[0].image",
        "registry.invalid:5000/voting-result@sha256:result-digest",
      ),
      registry(
        'kubernetes:apps/v1:Deployment "worker"',
        "spec.template.spec.containers[0].image",
        "registry.invalid:5000/voting-worker@sha256:worker-digest",
      ),
    ],
  ],
  [
    "dev: bindAddress 0.0.0.0 without allowAllInterfaces (advisory in dev)",
    "dev",
    { "dockyard:bindAddress": "0.0.0.0" },
    "dev",
    [anyAddress("vote-1"), anyAddress("result-1")],
  ],
  [
    "e2e: redis published on the host",
    "e2e",
    { "dockyard:services": { ...e2eServices, redis: { image: "dockyard-local/redis:7", ports: { redis: 16379 } } } },
    "e2e",
    [
      'mandatory host-ports: docker:index/container:Container "redis-1": ports[0] publishes container port 6379 on host port 16379 of 127.0.0.1, but redis is not one of the publishers (vote, result); remove the published port (reach it over the container network), or add the service to publishers',
    ],
  ],
  [
    "e2e: a public subnet the stack itself allows",
    "e2e",
    {
      "dockyard:allowPublicSubnets": "true",
      "dockyard:networks": { frontend: { subnet: "8.8.8.0/24" }, backend: { subnet: "10.231.2.0/24" } },
    },
    "e2e",
    [
      'mandatory private-subnets: docker:index/network:Network "frontend": ipamConfigs[0].subnet 8.8.8.0/24 is a public range, whose real hosts the containers would no longer reach; use a subnet within 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, or set this policy\'s allowPublicSubnets',
    ],
  ],
  [
    "prod: vote on one replica without an autoscaler",
    "prod",
    { "dockyard:services": { ...prodServices, vote: { replicas: 1 } } },
    "prod",
    [
      ...RETAIN_ADVISORY,
      'mandatory replicas: kubernetes:apps/v1:Deployment "vote": spec.replicas is 1 while Service "vote" publishes it; run at least 2 replicas or add a HorizontalPodAutoscaler with minReplicas 2 (dockyard: services.<name>.replicas or autoscaling)',
    ],
  ],
  [
    "prod: vote autoscaled from one pod",
    "prod",
    { "dockyard:services": { ...prodServices, vote: { autoscaling: { minReplicas: 1, maxReplicas: 4, targetCpuPercent: 70 } } } },
    "prod",
    [
      ...RETAIN_ADVISORY,
      'mandatory replicas: kubernetes:autoscaling/v2:HorizontalPodAutoscaler "vote": spec.minReplicas is 1 for Deployment "vote", published by Service "vote"; let it scale down to no fewer than 2 pods (dockyard: services.<name>.autoscaling.minReplicas)',
    ],
  ],
  [
    "e2e: vote's root filesystem left writable",
    "e2e",
    { "dockyard:services": { ...e2eServices, vote: { ...e2eServices.vote, security: { readOnlyRootFilesystem: false } } } },
    "e2e",
    [
      'mandatory read-only-root: docker:index/container:Container "vote-1": readOnly is not set, so the container\'s processes can write to its root filesystem (and change its programs); make it read-only with the paths it writes as tmpfs or volumes (docker run --read-only --tmpfs /tmp; dockyard: services.<name>.security.readOnlyRootFilesystem true and .tmpfs ["/tmp"]; compose read_only: true, tmpfs: [/tmp]), or add "vote" to this policy\'s writableRoots',
    ],
  ],
  [
    "staging: the namespace at Pod Security baseline (which the program accepts), vote keeping its capabilities and able to gain privileges",
    "staging",
    {
      "dockyard:podSecurity": "baseline",
      "dockyard:services": { ...stagingServices, vote: { ...stagingServices.vote, security: { capDrop: [], noNewPrivileges: false } } },
    },
    "staging",
    [
      'mandatory capabilities-dropped: kubernetes:apps/v1:Deployment "vote": spec.template.spec.containers[0].securityContext.capabilities.drop is not set, so the container keeps capabilities of the container runtime\'s default set (CHOWN, DAC_OVERRIDE, NET_RAW, SETUID...); drop ALL and add back only what it needs (dockyard: services.<name>.security.capDrop ["ALL"], and capAdd for what it needs; compose cap_drop: [ALL])',
      'mandatory no-new-privileges: kubernetes:apps/v1:Deployment "vote": spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation is not set (true by default), so a process can gain privileges through a setuid binary or file capabilities; set it to false (dockyard: services.<name>.security.noNewPrivileges true; compose security_opt: [no-new-privileges:true])',
      'mandatory pod-security-labels: kubernetes:core/v1:Namespace "staging": metadata.labels["pod-security.kubernetes.io/enforce"] is "baseline", looser than restricted; label it restricted (dockyard: podSecurity "restricted"), or lower this policy\'s minimumLevel',
    ],
  ],
  [
    "prod: volumes not retained look the same to the pack (retainOnDelete is not passed to it)",
    "prod",
    { "dockyard:volumes": { "db-data": { size: "10Gi" } } },
    "prod",
    RETAIN_ADVISORY,
  ],
];

describe("broken stage configs", () => {
  test.each(BROKEN)("%s", async (_title, stack, overrides, policyStage, expected) => {
    expect(lines(await violations(stack, overrides, policyConfig(policyStage)))).toEqual([...expected].sort());
  });
});

/** The swarm suite's stack (test/e2e/swarm.yaml) as runProgram takes it, with the password its script sets. */
function swarmSuiteConfig(): Values {
  const config: Values = { "dockyard:secrets": { "db-password": PASSWORD } };
  const file = parse(fs.readFileSync(path.join(root, "test", "e2e", "swarm.yaml"), "utf8")).config as Values;
  for (const [key, value] of Object.entries(file)) config[key] = typeof value === "object" ? value : String(value);
  return config;
}
const swarmServices = (swarmSuiteConfig()["dockyard:services"] ?? {}) as Record<string, object>;
const SWARM = "docker:index/service:Service";
/** host-ports on a swarm service when the policy config binds to one address without allowAllInterfaces. */
const everyInterface = (level: string, service: string, port: number): string =>
  `${level} host-ports: ${SWARM} "${service}": endpointSpec.ports[0] publishes port ${port} on every interface of the node that runs the task (publishMode host), not on the configured bind address 127.0.0.1: a swarm cannot bind one address; firewall the port on the nodes and set this policy's allowAllInterfaces, or use target docker with dockyard:bindAddress`;

async function swarmViolations(overrides: Values, config: PolicyConfig, stack = "swarme2e"): Promise<Violation[]> {
  await runProgram({ ...swarmSuiteConfig(), ...overrides }, stack);
  return runPolicies(registered(stack), config);
}

describe("target swarm through the whole pack", () => {
  test("the swarm suite's stack (test/e2e/swarm.yaml) passes policy/config.swarme2e.json with no violation", async () => {
    const found = await swarmViolations({}, policyConfig("swarme2e"));
    expect(lines(found)).toEqual([]);
    // The pack saw the swarm's resources: 5 services, 2 overlay networks, 2 volumes, 1 secret.
    const types = registered("swarme2e").map((r) => r.type);
    expect(
      ["docker:index/service:Service", "docker:index/network:Network", "docker:index/volume:Volume", "docker:index/secret:Secret"].map(
        (t) => types.filter((x) => x === t).length,
      ),
    ).toEqual([5, 2, 2, 1]);
  });

  test("the same stack under the Docker e2e's policy config (one bind address): its two published ports are on every interface", async () => {
    expect(lines(await swarmViolations({}, policyConfig("e2e")))).toEqual([
      everyInterface("mandatory", "result", 18590),
      everyInterface("mandatory", "vote", 18580),
    ]);
  });

  test("the dev stack with target swarm under dev's config: the same, advisory", async () => {
    await runProgram({ ...stageProgramConfig("dev"), "dockyard:target": "swarm" }, "dev");
    expect(lines(runPolicies(registered("dev"), policyConfig("dev")))).toEqual([
      everyInterface("advisory", "result", 5001),
      everyInterface("advisory", "vote", 5000),
    ]);
  });

  test("replicas (prod's rule) on the swarm stack: one task of a published service fails; two on two nodes pass", async () => {
    const config: PolicyConfig = { ...policyConfig("swarme2e"), replicas: { enforcementLevel: "mandatory", minReplicas: 2 } };
    const message = (service: string, port: number): string =>
      `mandatory replicas: ${SWARM} "${service}": mode.replicated.replicas is 1 while it publishes ${port} (endpointSpec.ports); run at least 2 tasks (dockyard: services.<name>.replicas; a port in publishMode host takes one task per node, so as many nodes, dockyard:swarmNodes)`;
    expect(lines(await swarmViolations({}, config))).toEqual([message("result", 18590), message("vote", 18580)]);
    const two = {
      "dockyard:swarmNodes": "2",
      // More than one node: the built images must come from a registry every node pulls from.
      "dockyard:registry": "localhost:5000",
      "dockyard:services": {
        ...swarmServices,
        vote: { ports: { http: 18580 }, replicas: 2 },
        result: { ports: { http: 18590 }, replicas: 2 },
      },
    };
    expect(lines(await swarmViolations(two, config))).toEqual([]);
  });
});

/** Broken swarm stacks, each with exactly the violations it must produce: [title, config overrides, the policy config's stage, stack, expected]. */
const BROKEN_SWARM: Array<[string, Values, string, string, string[]]> = [
  [
    "redis published on the nodes",
    { "dockyard:services": { ...swarmServices, redis: { image: "dockyard-local/redis:7", ports: { redis: 16379 } } } },
    "swarme2e",
    "swarme2e",
    [
      `mandatory host-ports: ${SWARM} "redis": endpointSpec.ports[0] publishes container port 6379 on port 16379 of every interface of the node that runs the task (publishMode host), but redis is not one of the publishers (vote, result); remove the published port (reach it over the overlay network), or add the service to publishers`,
    ],
  ],
  [
    "an overlay network on a public subnet the stack itself allows",
    {
      "dockyard:allowPublicSubnets": "true",
      "dockyard:networks": { frontend: { subnet: "8.8.8.0/24" }, backend: { subnet: "10.241.2.0/24" } },
    },
    "swarme2e",
    "swarme2e",
    [
      'mandatory private-subnets: docker:index/network:Network "frontend": ipamConfigs[0].subnet 8.8.8.0/24 is a public range, whose real hosts the containers would no longer reach; use a subnet within 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, or set this policy\'s allowPublicSubnets',
    ],
  ],
  [
    "images pushed to a registry not allowed: the builds and the services that run them",
    { "dockyard:registry": "registry.invalid:5000" },
    "swarme2e",
    "swarme2e",
    [
      ...["result", "vote", "worker"].map((name) =>
        registry(`docker:index/image:Image "${name}"`, "imageName", `registry.invalid:5000/voting-${name}:swarme2e`),
      ),
      // In the services' start order.
      ...["vote", "worker", "result"].map((name) =>
        registry(`${SWARM} "${name}"`, "taskSpec.containerSpec.image", `registry.invalid:5000/voting-${name}@sha256:${name}-digest`),
      ),
    ],
  ],
  [
    "a compose file (accepted by the dev stack) under staging's config: untagged image, a publisher not listed, a literal password, no health checks, not confined",
    {
      "dockyard:secrets": {},
      "dockyard:target": "swarm",
      "dockyard:compose": { file: "test/unit/swarm-unsafe-compose.yaml" },
      "dockyard:services": {},
      "dockyard:networks": {},
      "dockyard:buildArgs": {},
    },
    "staging",
    "dev",
    [
      'mandatory images-pinned: docker:index/remoteImage:RemoteImage "db-image": name "postgres" has no tag, so it means latest, which changes under you; pin it to a version tag (postgres:<version>) or a digest (@sha256:...)',
      `mandatory images-pinned: ${SWARM} "db": taskSpec.containerSpec.image "postgres" has no tag, so it means latest, which changes under you; pin it to a version tag (postgres:<version>) or a digest (@sha256:...)`,
      `mandatory host-ports: ${SWARM} "web": endpointSpec.ports[0] publishes container port 80 on port 8080 of every interface of the node that runs the task (publishMode host), but web is not one of the publishers (vote, result); remove the published port (reach it over the overlay network), or add the service to publishers`,
      `mandatory no-secret-literals: ${SWARM} "db": taskSpec.containerSpec.env.POSTGRES_PASSWORD has a literal value (15 characters, not shown), readable by anyone who can inspect the service; put it in a swarm secret (docker:index/secret:Secret), mount it with taskSpec.containerSpec.secrets and pass its path as POSTGRES_PASSWORD_FILE`,
      `mandatory readiness-probes: ${SWARM} "db": taskSpec.containerSpec.healthcheck is not set, so the swarm sends traffic (its name on its networks) to its tasks as soon as they start, before they can serve it; add a health check (docker service create --health-cmd; dockyard: the service's health check)`,
      `mandatory readiness-probes: ${SWARM} "web": taskSpec.containerSpec.healthcheck is not set, so the swarm sends traffic (its name on its networks, its published ports) to its tasks as soon as they start, before they can serve it; add a health check (docker service create --health-cmd; dockyard: the service's health check)`,
      ...["db", "web"].map(
        (name) =>
          `mandatory capabilities-dropped: ${SWARM} "${name}": taskSpec.containerSpec.capDrops is ["NET_RAW"], without ALL, so the container keeps capabilities of Docker's default set (CHOWN, DAC_OVERRIDE, NET_RAW, SETUID...); drop ALL and add back only what it needs (docker service create --cap-drop ALL; dockyard: services.<name>.security.capDrop ["ALL"], and capAdd for what it needs; compose cap_drop: [ALL])`,
      ),
      ...["db", "web"].map(
        (name) =>
          `mandatory non-root: ${SWARM} "${name}": taskSpec.containerSpec.user is not set, so the container runs as its image's user, root unless the image says otherwise; run it as a numeric user other than 0 (docker service create --user 10001:10001; dockyard: the service's user, "10001:10001"; compose user: "10001:10001")`,
      ),
      // db is one of the stage's writableRoots.
      `mandatory read-only-root: ${SWARM} "web": taskSpec.containerSpec.readOnly is not set, so the container's processes can write to its root filesystem (and change its programs); make it read-only with the paths it writes as tmpfs or volumes (docker service create --read-only; dockyard: services.<name>.security.readOnlyRootFilesystem true and .tmpfs ["/tmp"]; compose read_only: true, tmpfs: [/tmp]), or add "web" to this policy's writableRoots`,
    ],
  ],
];

describe("broken swarm stacks", () => {
  test.each(BROKEN_SWARM)("%s", async (_title, overrides, policyStage, stack, expected) => {
    expect(lines(await swarmViolations(overrides, policyConfig(policyStage), stack))).toEqual([...expected].sort());
  });
});

/** What a pending policy reports on each of the app's containers or swarm services. */
const restartsForever = (level: string, service: string, target: "docker" | "swarm"): string =>
  target === "docker"
    ? `${level} bounded-restarts: docker:index/container:Container "${service}-1": restart is "unless-stopped", which restarts a failing container forever; restart it on failure at most 5 times (docker run --restart on-failure:5; dockyard: services.<name>.restart.condition "on-failure" and .maxAttempts 5; compose deploy.restart_policy)`
    : `${level} bounded-restarts: ${SWARM} "${service}": taskSpec.restartPolicy.maxAttempts is 0 (no limit) with condition "any", so the swarm restarts a failing task forever; restart it on failure at most 5 times (docker service create --restart-condition on-failure --restart-max-attempts 5; dockyard: services.<name>.restart.condition "on-failure" and .maxAttempts 5; compose deploy.restart_policy)`;
const APP_SERVICES = ["db", "redis", "result", "vote", "worker"];

/**
 * The pending policies (PENDING) on each stack, exactly: what the stacks give today. The Docker and
 * swarm targets restart a service forever unless its restart policy says otherwise; Kubernetes is not
 * checked (the kubelet's back-off bounds a crash loop).
 */
describe("policies the stacks do not meet yet: advisory everywhere, and what they report", () => {
  test.each([...STAGES, ...SUITE_STACKS])("advisory in policy/config.%s.json", (stage) => {
    for (const name of PENDING) {
      const policy = policies.find((p) => p.name === name);
      expect([name, policy && enforcementLevel(policy, policyConfig(stage))]).toEqual([name, "advisory"]);
    }
  });

  const pendingLines = (found: Violation[]): string[] =>
    found
      .filter((v) => PENDING.includes(v.policy))
      .map(line)
      .sort();

  test.each([
    ["dev", APP_SERVICES.map((service) => restartsForever("advisory", service, "docker"))],
    ["e2e", APP_SERVICES.map((service) => restartsForever("advisory", service, "docker"))],
    ["k8se2e", []],
    ["prod", []],
    ["staging", []],
  ])("stage %s", async (stage, expected) => {
    expect(pendingLines(await violations(stage))).toEqual(expected);
  });

  test("the swarm suite's stack", async () => {
    expect(pendingLines(await swarmViolations({}, policyConfig("swarme2e")))).toEqual(
      APP_SERVICES.map((service) => restartsForever("advisory", service, "swarm")),
    );
  });
});
