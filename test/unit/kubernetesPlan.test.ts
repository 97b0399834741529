/**
 * planKubernetes as plain data: the stack config through applyConfig and resolveApp, planned, with
 * no Pulumi engine and nothing constructed. The only non-plain values are secret values (the app
 * secrets, a registry password), which are secret Outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { InputError, inModel } from "../../stacks/errors";
import { AppModel } from "../../stacks/model";
import { applyConfig } from "../../stacks/overrides";
import { resolveApp } from "../../stacks/resolve";
import { KubernetesPlan, planKubernetes } from "../../stacks/targets/kubernetes";

const REGISTRY_REQUIRED =
  "dockyard:registry is required when target is kubernetes: built images must be pushed where the cluster can pull them";
import { votingApp } from "../../stacks/votingApp";
import { capturedWarnings, CLUSTER, configDefaults, expectRefused, planAndDeploy, RefusedCase } from "./program";
import { PASSWORD, stackConfig, stackFile, Values } from "./stage";

/** The Kubernetes plan of the voting app for raw config values (maps as JSON, as the engine passes them). */
function plan(values: Values, stack = "staging"): KubernetesPlan {
  const config = stackConfig({ target: "kubernetes", registry: "localhost:5000", ...values }, stack);
  const { model, where } = applyConfig(votingApp, config);
  return planKubernetes(resolveApp(model, where), config, where);
}

const resolved = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply((value) => resolve(value)));

const IDENTITY = { app: "voting", instance: "prod" };

describe("the prod stack's Kubernetes plan", () => {
  let prod: KubernetesPlan;
  beforeAll(() => {
    prod = plan(stackFile("prod"), "prod");
  });

  test("namespace prod, kept on destroy because its claims are retained; the default kubeconfig", () => {
    expect([prod.namespace, prod.retainNamespace, prod.identity, prod.provider, prod.dockerHost]).toEqual([
      "prod",
      true,
      IDENTITY,
      { kubeconfig: undefined, context: undefined },
      "unix:///var/run/docker.sock",
    ]);
  });

  test("the namespace enforces Pod Security level restricted, pinned to v1.34, and audits and warns at latest", () => {
    expect([prod.podSecurity, prod.namespaceLabels]).toEqual([
      "restricted",
      {
        "app.kubernetes.io/instance": "prod",
        "app.kubernetes.io/part-of": "voting",
        "app.kubernetes.io/managed-by": "dockyard",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "v1.34",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
      },
    ]);
  });

  test("a disruption budget of one pod for each service that may run several: vote (autoscaled to 10), result and worker (2)", () => {
    expect(Object.fromEntries(prod.deployments.map((d) => [d.service, d.args.disruptionBudget]))).toEqual({
      db: undefined,
      redis: undefined,
      result: 1,
      vote: 1,
      worker: 1,
    });
  });

  test("result, worker and db with read-only roots from the stage file: in-memory /tmp, and postgres's socket folder", () => {
    expect(
      Object.fromEntries(prod.deployments.map((d) => [d.service, [d.args.security?.readOnlyRootFilesystem, d.args.security?.tmpfs]])),
    ).toEqual({
      db: [true, ["/tmp", "/var/run/postgresql"]],
      redis: [true, ["/tmp"]],
      result: [true, ["/tmp"]],
      vote: [true, ["/tmp"]],
      worker: [true, ["/tmp"]],
    });
  });

  test('Deployments in start order; the apps\' dependencies are "started", so none waits for another', () => {
    expect(prod.deployments.map((d) => [d.service, d.after])).toEqual([
      ["db", []],
      ["redis", []],
      ["result", []],
      ["vote", []],
      ["worker", []],
    ]);
  });

  test('a "healthy" dependency: the Deployment is created after the other is available', () => {
    const model = votingApp.model({ optionA: "Cats", optionB: "Dogs" });
    model.services.result.dependsOn = { db: "healthy" };
    const planned = planKubernetes(resolveApp(model), stackConfig(stackFile("prod"), "prod"), inModel("voting"));
    expect(planned.deployments.map((d) => [d.service, d.after])).toEqual([
      ["db", []],
      ["redis", []],
      ["result", ["db"]],
      ["vote", []],
      ["worker", []],
    ]);
  });

  test("vote's Deployment: every argument", () => {
    expect(prod.deployments.find((d) => d.service === "vote")?.args).toEqual({
      identity: IDENTITY,
      namespace: "prod",
      // Replaced at deploy by the pushed image's digest.
      image: "localhost:5000/voting-vote:v1.0.0",
      command: undefined,
      entrypoint: undefined,
      env: { OPTION_A: "Cats", OPTION_B: "Dogs", PORT: "8080", REDIS_HOST: "redis", REDIS_PORT: "6379" },
      secretEnv: {},
      ports: [{ name: "http", containerPort: 8080, protocol: "tcp", published: true, servicePort: 5000 }],
      networks: ["frontend", "backend"],
      volumes: [],
      health: {
        command: ["healthcheck"],
        http: { path: "/healthz", port: 8080 },
        intervalSeconds: 10,
        timeoutSeconds: 5,
        retries: 3,
        startPeriodSeconds: 10,
      },
      cpus: 0.5,
      memory: "128m",
      replicas: 3,
      autoscaled: true,
      disruptionBudget: 1,
      singleWriter: false,
      serviceType: "LoadBalancer",
      user: "10001:10001",
      stopGracePeriodSeconds: undefined,
      rolloutTimeoutSeconds: undefined,
      security: { capAdd: [], capDrop: ["ALL"], noNewPrivileges: true, readOnlyRootFilesystem: true, tmpfs: ["/tmp"] },
      imagePullSecrets: [],
    });
  });

  test("db's Deployment: the password from its Secret, a retained 10Gi claim, the larger limits", () => {
    const db = prod.deployments.find((d) => d.service === "db")?.args;
    expect([db?.image, db?.secretEnv, db?.volumes, db?.cpus, db?.memory, db?.replicas, db?.singleWriter, db?.ports]).toEqual([
      "postgres:15",
      { POSTGRES_PASSWORD: { secretName: "voting-db-password", key: "value" } },
      [
        {
          claimName: "db-data",
          mountPath: "/var/lib/postgresql/data",
          readOnly: false,
          size: "10Gi",
          storageClass: undefined,
          retain: true,
        },
      ],
      2,
      "1g",
      1,
      true,
      [{ name: "postgres", containerPort: 5432, protocol: "tcp", published: false, servicePort: 5432 }],
    ]);
  });

  test("replicas from the stage; the worker's health-only port is no Service port", () => {
    expect(Object.fromEntries(prod.deployments.map((d) => [d.service, [d.args.replicas, d.args.autoscaled]]))).toEqual({
      db: [1, false],
      redis: [1, false],
      result: [2, false],
      vote: [3, true],
      worker: [2, false],
    });
    expect(prod.deployments.find((d) => d.service === "worker")?.args.ports).toEqual([]);
  });

  test("one autoscaler, for vote, aiming at 70% of its 250m CPU request", () => {
    expect(prod.autoscalers).toEqual([
      [
        "vote",
        {
          identity: IDENTITY,
          namespace: "prod",
          deploymentName: "vote",
          minReplicas: 3,
          maxReplicas: 10,
          targetCpuPercent: 70,
          cpuRequest: "250m",
          memoryRequest: "128Mi",
        },
      ],
    ]);
  });

  test("one Secret per app secret, its value a secret Output; no pull secret without a registry user", async () => {
    expect(prod.secrets).toEqual([
      [
        "voting-db-password",
        { identity: IDENTITY, namespace: "prod", secretName: "voting-db-password", values: { value: expect.anything() } },
      ],
    ]);
    const value = prod.secrets[0][1].values.value as pulumi.Output<string>;
    expect(pulumi.Output.isInstance(value)).toBe(true);
    expect(await pulumi.isSecret(value)).toBe(true);
    expect(await resolved(value)).toBe(PASSWORD);
    expect(prod.registrySecret).toBeUndefined();
  });

  test("images are built under the release tag and pushed to the registry", () => {
    expect(prod.builds.map(([name, args]) => [name, args.imageName, args.registry, args.push])).toEqual([
      ["result", "voting-result:v1.0.0", { server: "localhost:5000", username: undefined, password: undefined }, true],
      ["vote", "voting-vote:v1.0.0", { server: "localhost:5000", username: undefined, password: undefined }, true],
      ["worker", "voting-worker:v1.0.0", { server: "localhost:5000", username: undefined, password: undefined }, true],
    ]);
  });

  test("network policies: who shares each network, which ports are published, which the app's services open", () => {
    expect(prod.networkPolicies).toEqual([
      "voting",
      {
        identity: IDENTITY,
        namespace: "prod",
        networks: { backend: ["db", "redis", "result", "vote", "worker"], frontend: ["result", "vote"] },
        published: { result: [{ port: 8081, protocol: "tcp" }], vote: [{ port: 8080, protocol: "tcp" }] },
        // worker's 8082 is its health check's only.
        ports: {
          db: [{ port: 5432, protocol: "tcp" }],
          redis: [{ port: 6379, protocol: "tcp" }],
          result: [{ port: 8081, protocol: "tcp" }],
          vote: [{ port: 8080, protocol: "tcp" }],
        },
      },
    ]);
  });
});

describe("settings the Kubernetes plan follows", () => {
  test("a stop grace period reaches the service's Deployment", () => {
    expect(
      plan({ services: { worker: { stopGracePeriodSeconds: 45 } } }).deployments.map((d) => [d.service, d.args.stopGracePeriodSeconds]),
    ).toEqual([
      ["db", undefined],
      ["redis", undefined],
      ["result", undefined],
      ["vote", undefined],
      ["worker", 45],
    ]);
  });

  test("a stage's autoscaling, stabilization windows included, is vote's autoscaler; its Deployment leaves replicas to it", () => {
    const scaled = plan({
      services: { vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 50, scaleDownStabilizationSeconds: "30" } } },
    });
    expect(scaled.autoscalers).toEqual([
      [
        "vote",
        {
          identity: { app: "voting", instance: "staging" },
          namespace: "staging",
          deploymentName: "vote",
          minReplicas: 1,
          maxReplicas: 3,
          targetCpuPercent: 50,
          scaleDownStabilizationSeconds: 30,
          cpuRequest: "250m",
          memoryRequest: "128Mi",
        },
      ],
    ]);
    expect(scaled.deployments.find((d) => d.service === "vote")?.args.autoscaled).toBe(true);
  });

  test("a stage's scaling policies and memory target reach vote's autoscaler, as pulumi config set --path stores them (text)", () => {
    const scaled = plan({
      services: {
        vote: {
          autoscaling: {
            minReplicas: 1,
            maxReplicas: 3,
            targetCpuPercent: 50,
            scaleUpPods: "2",
            scaleUpPeriodSeconds: "20",
            scaleDownPercent: 50,
            targetMemoryPercent: "80",
          },
        },
      },
    });
    expect(scaled.autoscalers).toEqual([
      [
        "vote",
        {
          identity: { app: "voting", instance: "staging" },
          namespace: "staging",
          deploymentName: "vote",
          minReplicas: 1,
          maxReplicas: 3,
          targetCpuPercent: 50,
          scaleUpPods: 2,
          scaleUpPeriodSeconds: 20,
          scaleDownPercent: 50,
          targetMemoryPercent: 80,
          cpuRequest: "250m",
          memoryRequest: "128Mi",
        },
      ],
    ]);
  });

  test("staging: nothing retained, so neither is the namespace", () => {
    const staging = plan(stackFile("staging"));
    expect([staging.namespace, staging.retainNamespace]).toEqual(["staging", false]);
    expect(staging.autoscalers).toEqual([]);
  });

  test("one retained volume is enough to keep the namespace", () => {
    expect(plan({ volumes: { "redis-data": { retain: true } } }).retainNamespace).toBe(true);
  });

  test("a registry user: a pull secret for the registry host, named in every Deployment", async () => {
    const withLogin = plan({ registry: "registry.internal:5000/team", registryUsername: "ci", registryPassword: "hunter22" });
    expect(withLogin.registrySecret).toEqual([
      "voting-registry",
      {
        identity: { app: "voting", instance: "staging" },
        namespace: "staging",
        secretName: "voting-registry",
        server: "registry.internal:5000",
        username: "ci",
        password: expect.anything(),
      },
    ]);
    const password = withLogin.registrySecret?.[1].password as pulumi.Output<string>;
    expect(await pulumi.isSecret(password)).toBe(true);
    expect(await resolved(password)).toBe("hunter22");
    expect(withLogin.deployments.map((d) => d.args.imagePullSecrets)).toEqual(Array(5).fill(["voting-registry"]));
    expect(withLogin.deployments.find((d) => d.service === "worker")?.args.image).toBe("registry.internal:5000/team/voting-worker:v1");
  });

  test("rolloutTimeout: every Deployment's rollout timeout when set; left to the cluster at its default", () => {
    expect(plan({ rolloutTimeout: "120" }).deployments.map((d) => d.args.rolloutTimeoutSeconds)).toEqual(Array(5).fill(120));
    expect(plan({ rolloutTimeout: "600" }).deployments.map((d) => d.args.rolloutTimeoutSeconds)).toEqual(Array(5).fill(undefined));
    expect(plan({}).deployments.map((d) => d.args.rolloutTimeoutSeconds)).toEqual(Array(5).fill(undefined));
  });

  test("kubeconfig, context, storageClass and serviceType from the stack config", () => {
    const configured = plan({
      kubeconfig: "clusters/staging.yaml",
      kubeContext: "kind-staging",
      storageClass: "fast-ssd",
      serviceType: "NodePort",
    });
    expect(configured.provider).toEqual({ kubeconfig: "clusters/staging.yaml", context: "kind-staging" });
    expect(configured.deployments.map((d) => [d.service, d.args.serviceType, d.args.volumes?.map((v) => v.storageClass)])).toEqual([
      ["db", "NodePort", ["fast-ssd"]],
      ["redis", "NodePort", ["fast-ssd"]],
      ["result", "NodePort", []],
      ["vote", "NodePort", []],
      ["worker", "NodePort", []],
    ]);
  });
});

describe("what a cluster ignores is a warning of the plan", () => {
  test("a network's subnet, named once", () => {
    expect(plan({ networks: { frontend: { subnet: "10.50.0.0/24" } } }).warnings).toEqual([
      "dockyard:networks.frontend.subnet is ignored on target kubernetes: pods take addresses from the cluster's pod network; the app network becomes a NetworkPolicy",
    ]);
  });

  test("the defaults give none", () => {
    expect(plan({}).warnings).toEqual([]);
  });
});

describe("what a cluster cannot honour is refused while planning", () => {
  const shop = (network: AppModel["networks"][string]): AppModel => ({
    name: "shop",
    services: {
      web: {
        image: { kind: "pull", ref: "nginx:1.27" },
        networks: ["private"],
        limits: { cpus: 0.5, memory: "64m" },
        user: "101:101",
        security: { capDrop: ["ALL"], noNewPrivileges: true },
      },
    },
    networks: { private: network },
    volumes: {},
    secrets: {},
  });
  const clusterConfig = () => stackConfig({ target: "kubernetes", secrets: {} }, "staging");

  test("a confined app plans with no registry needed for pulled images; internal: true or not, the same policies", () => {
    const planned = (internal: boolean) =>
      planKubernetes(resolveApp(shop({ subnet: "10.99.0.0/24", ...(internal ? { internal } : {}) })), clusterConfig(), inModel("shop"));
    expect([planned(true).builds, planned(true).deployments.map((d) => d.args.image), planned(true).networkPolicies[1]]).toEqual([
      [],
      ["nginx:1.27"],
      {
        identity: { app: "shop", instance: "staging" },
        namespace: "staging",
        networks: { private: ["web"] },
        published: {},
        ports: {},
      },
    ]);
    expect(planned(true).networkPolicies).toEqual(planned(false).networkPolicies);
  });

  test("built images without a registry", () => {
    expect(() => plan({ registry: "" })).toThrow(new InputError(REGISTRY_REQUIRED));
  });

  describe("names the cluster takes, checked with the key the user wrote", () => {
    const named = (edit: (app: AppModel) => void, secrets: Record<string, string> = {}) => {
      const app = shop({ subnet: "10.99.0.0/24" });
      edit(app);
      return () => planKubernetes(resolveApp(app), stackConfig({ target: "kubernetes", secrets }, "staging"), inModel("shop"));
    };

    test("a secret name with _ becomes a Secret name with -, in the Secret and in the env that reads it", () => {
      const planned = named(
        (app) => {
          app.secrets = { db_password: { description: "the database's" } };
          app.services.web.secretEnv = { DB_PASSWORD: "db_password" };
        },
        { db_password: "hunter22" },
      )();
      expect([planned.secrets.map(([name, args]) => [name, args.secretName]), planned.deployments[0].args.secretEnv]).toEqual([
        [["shop-db-password", "shop-db-password"]],
        { DB_PASSWORD: { secretName: "shop-db-password", key: "value" } },
      ]);
    });

    test("two secrets that become one Secret name are refused, naming both", () => {
      const both = named(
        (app) => {
          app.secrets = { db_password: { description: "a" }, "db-password": { description: "b" } };
        },
        { db_password: "hunter22", "db-password": "hunter22" },
      );
      expect(both).toThrow(
        new InputError(
          'app "shop": secrets.db_password and app "shop": secrets.db-password would both be Secret "shop-db-password" on target kubernetes (a Secret\'s name takes lowercase letters, digits, - and ., anything else becomes -); rename one of them',
        ),
      );
    });

    test("a port name longer than 15 is refused before the Deployment's own check, with a name that fits", () => {
      const long = named((app) => {
        app.services.web.ports = [{ name: "prometheus-metrics", containerPort: 9102 }];
      });
      expect(long).toThrow(
        new InputError(
          'app "shop": services.web.ports.prometheus-metrics (port name "prometheus-metrics") cannot be used on target kubernetes: a container port\'s name must be 1-15 lowercase letters, digits and -, with at least one letter and no - at either end (18 characters given); rename it, like "prometheus-metr"',
        ),
      );
    });

    test("a node label value a nodeSelector cannot hold", () => {
      const label = named((app) => {
        app.services.web.placement = { constraints: ["node.labels.disk == ssd!"] };
      });
      expect(label).toThrow(
        new InputError(
          'app "shop": services.web.placement.constraints "node.labels.disk == ssd!" cannot be used on target kubernetes: it becomes the nodeSelector disk=ssd!, and a node label\'s value must be letters, digits, - _ and ., starting and ending with a letter or digit, at most 63; change the label',
        ),
      );
    });
  });

  test("a service the restricted level would refuse every pod of, named with everything it lacks and both ways out", () => {
    const bare: AppModel = {
      ...shop({ subnet: "10.99.0.0/24" }),
      services: { web: { image: { kind: "pull", ref: "nginx:1.27" }, networks: ["private"], limits: { cpus: 0.5, memory: "64m" } } },
    };
    expect(() => planKubernetes(resolveApp(bare), clusterConfig(), inModel("shop"))).toThrow(
      new InputError(
        'app "shop": services.web.user is not set, services.web.security.capDrop [], services.web.security.noNewPrivileges false: Pod Security level "restricted" (dockyard:podSecurity) refuses every pod that may run as root (runAsNonRoot needs a numeric user other than 0), or that keeps Linux capabilities (capabilities.drop needs ALL), or that may gain privileges (allowPrivilegeEscalation needs false), so no pod of "web" could start; set services.web.user to a numeric uid:gid other than 0, like "10001:10001", add "ALL" to services.web.security.capDrop, set services.web.security.noNewPrivileges to true, or set dockyard:podSecurity to "baseline"',
      ),
    );
    // At baseline the same app plans, with the warning; so it does at privileged.
    const baseline = planKubernetes(
      resolveApp(bare),
      stackConfig({ target: "kubernetes", secrets: {}, podSecurity: "baseline" }, "staging"),
      inModel("shop"),
    );
    expect(baseline.warnings).toEqual([
      'dockyard:podSecurity is "baseline": namespace "staging" admits pods that run as root, keep Linux capabilities or may gain privileges, which "restricted" refuses; the API server warns about each',
    ]);
    expect(baseline.namespaceLabels["pod-security.kubernetes.io/enforce"]).toBe("baseline");
  });
});

describe("dockyard:podSecurity", () => {
  test("restricted by default: the voting app as it is plans with no warning", () => {
    const staging = plan(stackFile("staging"));
    expect([staging.podSecurity, staging.warnings]).toEqual(["restricted", []]);
  });

  test.each([
    [
      "baseline",
      'dockyard:podSecurity is "baseline": namespace "staging" admits pods that run as root, keep Linux capabilities or may gain privileges, which "restricted" refuses; the API server warns about each',
    ],
    [
      "privileged",
      'dockyard:podSecurity is "privileged": namespace "staging" admits pods with any settings, privileged containers and the node\'s namespaces and paths included, which "restricted" refuses; the API server warns about each',
    ],
  ])("%s: enforced, and a warning of the plan", (level, warning) => {
    const lowered = plan({ podSecurity: level });
    expect([lowered.podSecurity, lowered.namespaceLabels["pod-security.kubernetes.io/enforce"], lowered.warnings]).toEqual([
      level,
      level,
      [warning],
    ]);
  });
});

describe("the model's rollout, reservations and placement on Kubernetes", () => {
  /** The staging plan with one service's model edited. */
  function edited(edit: (app: AppModel) => void): KubernetesPlan {
    const config = stackConfig({ target: "kubernetes", registry: "localhost:5000", ...stackFile("staging") }, "staging");
    const { model, where } = applyConfig(votingApp, config);
    edit(model);
    return planKubernetes(resolveApp(model, where), config, where);
  }
  const args = (k8s: KubernetesPlan, name: string) => k8s.deployments.find((d) => d.service === name)?.args;

  test("stop-first two at a time: no surge, two unavailable; all at once start-first: a 100% surge; monitor → minReadySeconds", () => {
    const k8s = edited((app) => {
      app.services.vote.rollout = { order: "stop-first", parallelism: 2, monitorSeconds: 15 };
      app.services.worker.rollout = { parallelism: 0 };
    });
    const pick = (name: string) => [args(k8s, name)?.maxSurge, args(k8s, name)?.maxUnavailable, args(k8s, name)?.minReadySeconds];
    expect([pick("vote"), pick("worker"), pick("result")]).toEqual([
      ["0", "2", 15],
      ["100%", "0", 5],
      [undefined, undefined, undefined],
    ]);
  });

  test("reservations → requests; == constraints on labels, hostname and os → nodeSelector; the autoscaler's CPU and memory requests follow", () => {
    const k8s = edited((app) => {
      app.services.vote.reservations = { cpus: 0.2, memory: "96m" };
      app.services.vote.autoscaling = { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 70 };
      app.services.vote.placement = {
        constraints: ["node.labels.disk == ssd", "node.hostname == node-1", "node.platform.os == linux", "node.labels.zone != a"],
      };
    });
    expect([args(k8s, "vote")?.requestCpus, args(k8s, "vote")?.requestMemory, args(k8s, "vote")?.nodeSelector]).toEqual([
      0.2,
      "96m",
      { disk: "ssd", "kubernetes.io/hostname": "node-1", "kubernetes.io/os": "linux" },
    ]);
    expect(k8s.autoscalers.find(([name]) => name === "vote")?.[1].cpuRequest).toBe("200m");
    expect(k8s.autoscalers.find(([name]) => name === "vote")?.[1].memoryRequest).toBe("96Mi");
  });

  test("what a Deployment cannot say is a warning of the plan, one line per field", () => {
    const { warnings } = edited((app) => {
      app.services.worker.rollout = { maxFailureRatio: 0.1, failureAction: "pause" };
      app.services.worker.placement = { constraints: ["node.labels.zone != a"], maxReplicasPerNode: 1 };
      app.services.worker.endpointMode = "dnsrr";
    });
    expect(warnings).toEqual([
      'app "voting": services.worker.rollout.maxFailureRatio is ignored on target kubernetes: a Deployment\'s rollout stops at the first pod that does not become ready',
      'app "voting": services.worker.rollout.failureAction is ignored on target kubernetes: a rollout that stalls is marked failed and fails the up while the old pods keep serving; nothing rolls back or goes on by itself',
      'app "voting": services.worker.placement.constraints "node.labels.zone != a" is ignored on target kubernetes: only node.labels.<name>, node.hostname and node.platform.os with == become a nodeSelector; the pods may run on any node',
      'app "voting": services.worker.placement.maxReplicasPerNode is ignored on target kubernetes: the scheduler spreads pods by itself; nothing limits them per node',
      "app \"voting\": services.worker.endpointMode is ignored on target kubernetes: it is a swarm's; the service's name is its Service's ClusterIP",
    ]);
  });
});

/** Stack config the Kubernetes plan cannot honour: refused before any resource is registered, named as the key. */
const refusedByKubernetesPlan: RefusedCase[] = [
  [
    "latest on a cluster, even in dev",
    { ...CLUSTER, services: { redis: { image: "redis:latest" } } },
    'dockyard:services.redis.image "redis:latest" must name a tag other than latest, or a digest, on target kubernetes: every node pulls it on its own, so an unpinned image can differ between pods',
  ],
  [
    "a cluster and images built here, but no registry",
    { target: "kubernetes" },
    "dockyard:registry is required when target is kubernetes: built images must be pushed where the cluster can pull them",
    "staging",
  ],
  [
    "a service that keeps a capability, at restricted",
    { ...CLUSTER, services: { worker: { security: { capDrop: ["NET_RAW"] } } } },
    'dockyard:services.worker.security.capDrop ["NET_RAW"]: Pod Security level "restricted" (dockyard:podSecurity) refuses every pod that keeps Linux capabilities (capabilities.drop needs ALL), so no pod of "worker" could start; add "ALL" to dockyard:services.worker.security.capDrop, or set dockyard:podSecurity to "baseline"',
  ],
  [
    "a service that may gain privileges and adds back CHOWN, at restricted",
    { ...CLUSTER, services: { vote: { security: { capAdd: ["CHOWN"], noNewPrivileges: false } } } },
    'dockyard:services.vote.security.capAdd ["CHOWN"], dockyard:services.vote.security.noNewPrivileges false: Pod Security level "restricted" (dockyard:podSecurity) refuses every pod that adds back a capability other than NET_BIND_SERVICE, or that may gain privileges (allowPrivilegeEscalation needs false), so no pod of "vote" could start; remove CHOWN from dockyard:services.vote.security.capAdd, set dockyard:services.vote.security.noNewPrivileges to true, or set dockyard:podSecurity to "baseline"',
  ],
  [
    "NET_RAW added back, at restricted: only privileged admits it",
    { ...CLUSTER, services: { db: { security: { capAdd: ["NET_RAW"] } } } },
    'dockyard:services.db.security.capAdd ["NET_RAW"]: Pod Security level "restricted" (dockyard:podSecurity) refuses every pod that adds back a capability other than NET_BIND_SERVICE, so no pod of "db" could start; remove NET_RAW from dockyard:services.db.security.capAdd, or set dockyard:podSecurity to "privileged"',
  ],
  [
    "NET_RAW added back, at baseline",
    { ...CLUSTER, podSecurity: "baseline", services: { redis: { security: { capAdd: ["NET_RAW", "CHOWN"] } } } },
    'dockyard:services.redis.security.capAdd ["CHOWN","NET_RAW"]: Pod Security level "baseline" (dockyard:podSecurity) refuses every pod that adds a capability outside the baseline set (NET_RAW), so no pod of "redis" could start; remove NET_RAW from dockyard:services.redis.security.capAdd, or set dockyard:podSecurity to "privileged"',
  ],
];

describe("the Kubernetes plan refuses stack config before any resource is registered", () => {
  test.each(refusedByKubernetesPlan)("%s", async (_, config, message, stack = "dev") => {
    await expectRefused(config, message, stack);
  });
});

describe("warnings about settings target kubernetes cannot honour, before anything is registered", () => {
  const warnings = capturedWarnings();

  test("network addresses on target kubernetes", async () => {
    await planAndDeploy({ ...CLUSTER, networks: { backend: { subnet: "10.50.0.0/24", ipRange: "10.50.0.0/25" } } }, "staging");
    const why = "pods take addresses from the cluster's pod network; the app network becomes a NetworkPolicy";
    expect(warnings).toEqual([
      { message: `dockyard:networks.backend.subnet is ignored on target kubernetes: ${why}`, registeredBefore: 0 },
      { message: `dockyard:networks.backend.ipRange is ignored on target kubernetes: ${why}`, registeredBefore: 0 },
    ]);
  });

  test("the defaults warn about nothing", async () => {
    await planAndDeploy(CLUSTER, "staging");
    expect(warnings).toEqual([]);
  });

  test("a Pod Security level below restricted", async () => {
    await planAndDeploy({ ...CLUSTER, podSecurity: "privileged" }, "staging");
    expect(warnings).toEqual([
      {
        message:
          'dockyard:podSecurity is "privileged": namespace "staging" admits pods with any settings, privileged containers and the node\'s namespaces and paths included, which "restricted" refuses; the API server warns about each',
        registeredBefore: 0,
      },
    ]);
  });

  test("nor do the defaults as the engine passes them: every key of Pulumi.yaml with its default, as if set", async () => {
    await planAndDeploy({ ...configDefaults(), ...CLUSTER }, "staging");
    expect(warnings).toEqual([]);
  });
});
