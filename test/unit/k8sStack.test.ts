/** The cluster target (stacks/targets/kubernetes.ts) from the voting app model under mocks: wiring, security, segmentation, validation. */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../../stacks/config";
import { InputError, sortedKeys } from "../../stacks/errors";
import { AppModel } from "../../stacks/model";
import { AppDefinition, applyConfig } from "../../stacks/overrides";
import { ResolvedApp, resolveApp } from "../../stacks/resolve";
import { AppOutputs } from "../../stacks/targets/common";
import { deployKubernetes, planKubernetes } from "../../stacks/targets/kubernetes";

const REGISTRY_REQUIRED =
  "dockyard:registry is required when target is kubernetes: built images must be pushed where the cluster can pull them";
import { votingApp, VotingParameters } from "../../stacks/votingApp";
import { cpusToDocker, cpusToQuantity, memoryToDockerMiB, memoryToQuantity, parseCpus, parseMemory } from "../../components/units";
import { byType, find, recorded, secretValue, settle, setupMocks, valueOf, withoutSecrets } from "./mocks";
import { programError, runProgram } from "./program";
import { stackConfig, stageProgramConfig } from "./stage";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
const SECRET = "kubernetes:core/v1:Secret";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const IMAGE = "docker:index/image:Image";
const CONTAINER = "docker:index/container:Container";

const PASSWORD = "s3cret-pass";
const SECRETS = { "db-password": PASSWORD };
type Values = Record<string, string | object>;
/** What every cluster stage needs: a password and a registry the cluster pulls from. */
const CLUSTER: Values = {
  target: "kubernetes",
  secrets: SECRETS,
  registry: "localhost:5000",
  services: { result: { ports: { http: 5010 } } },
};

/** `base` with `values` laid over it, maps merged key by key (services.vote beside services.result). */
function merged(base: Values, values: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(values)) {
    const under = out[key];
    out[key] =
      typeof value === "object" && !Array.isArray(value) && typeof under === "object" && !Array.isArray(under)
        ? merged(under as Values, value as Values)
        : value;
  }
  return out;
}

/** The stack config as loadConfig builds it from raw values (maps as JSON, like the engine passes them). */
function stageConfig(values: Values, stack: string): StackConfig {
  return stackConfig(merged(CLUSTER, values), stack);
}

/** The voting app with its model changed by `change`, as another app module would describe it. */
function changedApp(change: (model: AppModel) => void): AppDefinition<VotingParameters> {
  return {
    ...votingApp,
    model: (parameters) => {
      const model = votingApp.model(parameters);
      change(model);
      return model;
    },
  };
}

/** Provider reference of each registered resource ("type::name" → provider URN::id). */
const providers = new Map<string, string>();

/** Records the provider each registration names, on top of the shared recording mock. */
function recordProviders(): void {
  providers.clear();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mock monitor and its protobuf request are untyped
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  monitor.registerResource = (request: any, callback: unknown) => {
    providers.set(`${request.getType()}::${request.getName()}`, request.getProvider());
    return register(request, callback);
  };
}

/** config → model with the stage's settings → resolved → planned → constructed, as index.ts does. */
function pipeline(config: StackConfig, definition: AppDefinition<VotingParameters> = votingApp): { app: ResolvedApp; outputs: AppOutputs } {
  const { model, where } = applyConfig(definition, config);
  const app = resolveApp(model, where);
  return { app, outputs: deployKubernetes(planKubernetes(app, config, where)) };
}

async function deploy(
  values: Values = {},
  stack = "staging",
  definition: AppDefinition<VotingParameters> = votingApp,
): Promise<{ app: ResolvedApp; config: StackConfig; outputs: AppOutputs }> {
  await setupMocks({}, stack);
  recordProviders();
  const config = stageConfig(values, stack);
  const { app, outputs } = pipeline(config, definition);
  await settle();
  return { app, config, outputs };
}

const deployment = (name: string) => find(DEPLOYMENT, name).inputs;
const container = (name: string) => deployment(name).spec.template.spec.containers[0];
const podLabels = (name: string): Record<string, string> => deployment(name).spec.template.metadata.labels;
const names = (type: string): string[] => byType(type).map((r) => r.inputs.metadata.name);

describe("the cluster stack from the voting app model", () => {
  test("one Deployment per model service; a Service for each service with ports, named like it", async () => {
    const { app } = await deploy();
    expect(names(DEPLOYMENT)).toEqual(sortedKeys(app.services));
    expect(names(DEPLOYMENT)).toEqual(["db", "redis", "result", "vote", "worker"]);
    // A port only the health check connects to (worker's) makes no Service.
    expect(names(SERVICE)).toEqual(sortedKeys(app.services).filter((s) => app.services[s].ports.some((port) => !port.healthOnly)));
    expect(names(SERVICE)).toEqual(["db", "redis", "result", "vote"]);
  });

  test("a namespace per stage holds every object; the provider defaults to it too", async () => {
    await deploy({ namespace: "staging" });
    expect(find(NAMESPACE, "staging").inputs.metadata).toEqual({
      name: "staging",
      labels: {
        "app.kubernetes.io/instance": "staging",
        "app.kubernetes.io/part-of": "voting",
        "app.kubernetes.io/managed-by": "dockyard",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "v1.34",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
      },
    });
    const namespaced = recorded.filter((r) => r.type.startsWith("kubernetes:") && r.type !== NAMESPACE);
    expect(namespaced.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      ...["db", "redis", "result", "vote", "worker"].map((name) => `kubernetes:apps/v1:Deployment ${name}`),
      ...["db-env", "result-env", "vote-env", "worker-env"].map((name) => `kubernetes:core/v1:ConfigMap ${name}`),
      "kubernetes:core/v1:PersistentVolumeClaim db-db-data",
      "kubernetes:core/v1:PersistentVolumeClaim redis-redis-data",
      "kubernetes:core/v1:Secret voting-db-password",
      ...["db", "redis", "result", "vote"].map((name) => `kubernetes:core/v1:Service ${name}`),
      ...["default-deny", "default-deny-egress", "dns", "network-backend", "network-frontend", "result-published", "vote-published"].map(
        (name) => `kubernetes:networking.k8s.io/v1:NetworkPolicy voting-${name}`,
      ),
    ]);
    expect(new Set(namespaced.map((r) => r.inputs.metadata.namespace))).toEqual(new Set(["staging"]));
    expect(find("pulumi:providers:kubernetes", "kubernetes").inputs).toEqual({ namespace: "staging" });
  });

  test("an empty namespace means the stack's name", async () => {
    await deploy({}, "qa");
    expect(names(NAMESPACE)).toEqual(["qa"]);
    expect(deployment("vote").metadata.namespace).toBe("qa");
  });

  test("kubeconfig and context from config reach the explicit provider, which every object uses", async () => {
    await deploy({ kubeconfig: "clusters/staging.yaml", kubeContext: "kind-staging" });
    expect(find("pulumi:providers:kubernetes", "kubernetes").inputs).toEqual({
      kubeconfig: "clusters/staging.yaml",
      context: "kind-staging",
      namespace: "staging",
    });
    const kubernetes = recorded.filter((r) => r.type.startsWith("kubernetes:"));
    for (const resource of kubernetes) {
      expect(providers.get(`${resource.type}::${resource.name}`)).toBe(
        "urn:pulumi:staging::dockyard::pulumi:providers:kubernetes::kubernetes::kubernetes-id",
      );
    }
  });

  test("built images are built on dockerHost, pushed to the registry, and run by digest", async () => {
    const { outputs } = await deploy({ dockerHost: "ssh://builder@build-host", imageTag: "v7" });
    expect(find("pulumi:providers:docker", "docker").inputs).toEqual({ host: "ssh://builder@build-host" });
    expect(byType(IMAGE).map((i) => [i.name, i.inputs.imageName, i.inputs.skipPush, i.inputs.registry])).toEqual([
      ["result", "localhost:5000/voting-result:v7", false, { server: "localhost:5000" }],
      ["vote", "localhost:5000/voting-vote:v7", false, { server: "localhost:5000" }],
      ["worker", "localhost:5000/voting-worker:v7", false, { server: "localhost:5000" }],
    ]);
    for (const image of byType(IMAGE)) {
      expect(providers.get(`${IMAGE}::${image.name}`)).toBe("urn:pulumi:staging::dockyard::pulumi:providers:docker::docker::docker-id");
    }
    expect(Object.fromEntries(["db", "redis", "result", "vote", "worker"].map((s) => [s, container(s).image]))).toEqual({
      db: "postgres:15",
      redis: "redis:7.4",
      result: "localhost:5000/voting-result@sha256:result-digest",
      vote: "localhost:5000/voting-vote@sha256:vote-digest",
      worker: "localhost:5000/voting-worker@sha256:worker-digest",
    });
    expect(await valueOf(outputs.images.vote)).toBe("localhost:5000/voting-vote@sha256:vote-digest");
  });

  test("kubectl set image is an imageTag change: a new image name to build and push", async () => {
    await deploy({ imageTag: "v1" });
    const v1 = find(IMAGE, "vote").inputs.imageName;
    await deploy({ imageTag: "v2" });
    expect([v1, find(IMAGE, "vote").inputs.imageName]).toEqual(["localhost:5000/voting-vote:v1", "localhost:5000/voting-vote:v2"]);
  });

  test('start order: a Deployment depends on no other Deployment, the apps\' dependencies being "started"', async () => {
    const { app } = await deploy();
    const waitsFor = (service: string): string[] =>
      find(DEPLOYMENT, service)
        .options.dependencies.filter((urn) => urn.includes("$kubernetes:apps/v1:Deployment::"))
        .map((urn) => urn.split("::").pop() as string)
        .sort();
    expect(Object.fromEntries(sortedKeys(app.services).map((s) => [s, waitsFor(s)]))).toEqual({
      db: [],
      redis: [],
      result: [],
      vote: [],
      worker: [],
    });
    expect(app.services.worker.dependsOn).toEqual({ db: "started", redis: "started" });
  });

  test("the password is a Secret sent as a secret, read through secretKeyRef, and nowhere in plain text", async () => {
    await deploy();
    const secret = find(SECRET, "voting-db-password").inputs;
    expect(secret.metadata.name).toBe("voting-db-password");
    expect(secretValue(secret.stringData)).toEqual({ value: PASSWORD });
    const ref = { valueFrom: { secretKeyRef: { name: "voting-db-password", key: "value" } } };
    expect(container("db").env).toEqual([{ name: "POSTGRES_PASSWORD", ...ref }]);
    expect(container("result").env).toEqual([{ name: "DB_PASSWORD", ...ref }]);
    expect(container("worker").env).toEqual([{ name: "DB_PASSWORD", ...ref }]);
    expect(JSON.stringify(withoutSecrets(recorded.map((r) => r.inputs)))).not.toContain(PASSWORD);
    const plain = recorded.filter((r) => r.type === CONFIG_MAP || r.type === DEPLOYMENT);
    expect(JSON.stringify(plain.map((r) => r.inputs))).not.toContain(PASSWORD);
  });

  test("each service's env is its ConfigMap, read with envFrom", async () => {
    const { app } = await deploy();
    const withEnv = sortedKeys(app.services).filter((service) => Object.keys(app.services[service].env).length > 0);
    expect(withEnv).toEqual(["db", "result", "vote", "worker"]);
    expect(byType(CONFIG_MAP).map((c) => c.name)).toEqual(withEnv.map((service) => `${service}-env`));
    expect(container("redis")).not.toHaveProperty("envFrom");
    for (const service of withEnv) {
      const configMap = find(CONFIG_MAP, `${service}-env`).inputs;
      expect(configMap.data).toEqual(app.services[service].env);
      expect(container(service).envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
    }
    expect(find(CONFIG_MAP, "vote-env").inputs.data).toEqual({
      OPTION_A: "Cats",
      OPTION_B: "Dogs",
      PORT: "8080",
      REDIS_HOST: "redis",
      REDIS_PORT: "6379",
    });
  });

  test("limits and requests from the model; config limits override them", async () => {
    await deploy({ services: { db: { limits: { cpus: 2, memory: "1g" } }, vote: { limits: { cpus: 0.25 } } } });
    const resources = Object.fromEntries(["db", "redis", "result", "vote", "worker"].map((s) => [s, container(s).resources]));
    const disk = { limit: { "ephemeral-storage": "1Gi" }, request: { "ephemeral-storage": "64Mi" } };
    const small = { limits: { cpu: "500m", memory: "128Mi", ...disk.limit }, requests: { cpu: "250m", memory: "128Mi", ...disk.request } };
    expect(resources).toEqual({
      db: { limits: { cpu: "2", memory: "1Gi", ...disk.limit }, requests: { cpu: "1", memory: "1Gi", ...disk.request } },
      redis: small,
      result: small,
      vote: { limits: { cpu: "250m", memory: "128Mi", ...disk.limit }, requests: { cpu: "125m", memory: "128Mi", ...disk.request } },
      worker: small,
    });
  });

  test("probes: readiness is httpGet for the apps, exec for redis and db; liveness and startup their port accepting connections", async () => {
    await deploy();
    expect(container("vote").readinessProbe).toEqual({
      httpGet: { path: "/healthz", port: 8080 },
      periodSeconds: 10,
      timeoutSeconds: 5,
      successThreshold: 1,
      failureThreshold: 3,
    });
    // vote's /healthz asks redis: a redis outage makes vote unready, never restarts it.
    expect(container("vote").livenessProbe).toEqual({
      tcpSocket: { port: 8080 },
      periodSeconds: 10,
      timeoutSeconds: 5,
      successThreshold: 1,
      failureThreshold: 3,
    });
    // worker has no Service port: its health check's own port.
    expect(container("worker").livenessProbe.tcpSocket).toEqual({ port: 8082 });
    expect(container("redis").readinessProbe).toEqual({
      exec: { command: ["redis-cli", "ping"] },
      periodSeconds: 5,
      timeoutSeconds: 5,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(container("db").readinessProbe.exec).toEqual({ command: ["pg_isready", "-U", "postgres", "-d", "postgres"] });
    expect(container("db").startupProbe).toEqual({
      tcpSocket: { port: 5432 },
      periodSeconds: 5,
      timeoutSeconds: 5,
      successThreshold: 1,
      failureThreshold: 7,
    });
  });

  test("a service that may run several pods: a budget of one pod at a time; pods spread over nodes", async () => {
    await deploy({
      services: { vote: { replicas: 2 }, worker: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 80 } } },
    });
    expect(names(PDB)).toEqual(["vote", "worker"]);
    for (const service of ["vote", "worker"]) {
      const selector = {
        "app.kubernetes.io/name": service,
        "app.kubernetes.io/instance": "staging",
        "app.kubernetes.io/part-of": "voting",
      };
      expect(find(PDB, service).inputs.metadata.namespace).toBe("staging");
      expect(find(PDB, service).inputs.spec).toEqual({
        maxUnavailable: 1,
        selector: { matchLabels: selector },
        unhealthyPodEvictionPolicy: "AlwaysAllow",
      });
      expect(deployment(service).spec.selector).toEqual({ matchLabels: selector });
      expect(deployment(service).spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
        { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" } },
      ]);
    }
    // result runs one pod and states the same preference, so a scale changes no pod template; the
    // single writers state none.
    const result = { "app.kubernetes.io/name": "result", "app.kubernetes.io/instance": "staging", "app.kubernetes.io/part-of": "voting" };
    expect(deployment("result").spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: result }, topologyKey: "kubernetes.io/hostname" } },
    ]);
    for (const single of ["db", "redis"]) expect(deployment(single).spec.template.spec).not.toHaveProperty("affinity");
  });

  test("a scale changes no pod template: 1 and 3 result pods, the same template", async () => {
    await deploy({ services: { result: { replicas: 1 } } });
    const one = deployment("result").spec.template;
    await deploy({ services: { result: { replicas: 3 } } });
    expect(deployment("result").spec.template).toEqual(one);
    expect(names(PDB)).toEqual(["result"]);
  });

  test("an autoscaler that never goes above one pod, and 0 replicas, get no budget", async () => {
    await deploy({
      services: { vote: { replicas: 0 }, worker: { autoscaling: { minReplicas: 1, maxReplicas: 1, targetCpuPercent: 80 } } },
    });
    expect(names(PDB)).toEqual([]);
  });

  test("dockyard:podSecurity baseline: the namespace enforces it, still warns and audits at restricted", async () => {
    await deploy({ podSecurity: "baseline" });
    const labels = find(NAMESPACE, "staging").inputs.metadata.labels;
    expect(Object.fromEntries(Object.entries(labels).filter(([key]) => key.startsWith("pod-security.kubernetes.io/")))).toEqual({
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/enforce-version": "v1.34",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "latest",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "latest",
    });
  });

  test("Recreate for db and redis, a rolling update for the rest", async () => {
    await deploy();
    const strategies = Object.fromEntries(["db", "redis", "result", "vote", "worker"].map((s) => [s, deployment(s).spec.strategy]));
    const rolling = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
    expect(strategies).toEqual({ db: { type: "Recreate" }, redis: { type: "Recreate" }, result: rolling, vote: rolling, worker: rolling });
  });

  test("replicas from config; 0 stays 0 and has no URL", async () => {
    const { outputs } = await deploy({ services: { vote: { replicas: 0 }, worker: { replicas: 3 } } });
    expect(deployment("vote").spec.replicas).toBe(0);
    expect(deployment("worker").spec.replicas).toBe(3);
    expect(deployment("db").spec.replicas).toBe(1);
    expect(Object.keys(outputs.urls)).toEqual(["result"]);
  });

  test("autoscaling: an HPA on the Deployment, which leaves replicas to it", async () => {
    await deploy({
      services: {
        vote: { autoscaling: { minReplicas: 3, maxReplicas: 10, targetCpuPercent: 70, scaleDownStabilizationSeconds: 60 }, replicas: 3 },
      },
    });
    expect(byType(HPA).map((h) => h.name)).toEqual(["vote"]);
    expect(find(HPA, "vote").inputs.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "vote" },
      minReplicas: 3,
      maxReplicas: 10,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
      // the stage's scale-down window; scale-up at Kubernetes' default, written out
      behavior: { scaleUp: { stabilizationWindowSeconds: 0 }, scaleDown: { stabilizationWindowSeconds: 60 } },
    });
    expect(deployment("vote").spec).not.toHaveProperty("replicas");
    expect(container("vote").resources.requests.cpu).toBe("250m");
    expect(deployment("result").spec.replicas).toBe(1);
  });

  test("autoscaling: the stage's scaling policies in spec.behavior, and a memory target against the container's memory request", async () => {
    await deploy({
      services: {
        vote: {
          autoscaling: {
            minReplicas: 1,
            maxReplicas: 3,
            targetCpuPercent: 50,
            scaleUpPods: 2,
            scaleUpPeriodSeconds: 20,
            scaleDownPercent: 50,
            scaleDownPods: 1,
            targetMemoryPercent: 80,
          },
        },
      },
    });
    expect(find(HPA, "vote").inputs.spec.behavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: 2, periodSeconds: 20 }] },
      scaleDown: {
        stabilizationWindowSeconds: 300,
        policies: [
          { type: "Pods", value: 1, periodSeconds: 15 },
          { type: "Percent", value: 50, periodSeconds: 15 },
        ],
      },
    });
    expect(find(HPA, "vote").inputs.spec.metrics).toEqual([
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } },
      { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: 80 } } },
    ]);
    // what the memory utilisation is a percent of: vote's 128m limit, its request too
    expect(container("vote").resources.requests.memory).toBe("128Mi");
  });

  test("volumes: claims with the size and class from config; retain keeps them and their namespace", async () => {
    await deploy({ storageClass: "fast-ssd", volumes: { "db-data": { size: "5Gi" } } });
    expect(
      byType(PVC).map((c) => [c.inputs.metadata.name, c.inputs.spec.storageClassName, c.inputs.spec.resources.requests.storage]),
    ).toEqual([
      ["db-data", "fast-ssd", "5Gi"],
      ["redis-data", "fast-ssd", "256Mi"],
    ]);
    expect(byType(PVC).map((c) => c.options.retainOnDelete)).toEqual([false, false]);
    expect(find(NAMESPACE, "staging").options.retainOnDelete).toBe(false);

    const { outputs } = await deploy({ volumes: { "db-data": { retain: true }, "redis-data": { retain: true } } });
    expect(byType(PVC).map((c) => c.options.retainOnDelete)).toEqual([true, true]);
    expect(find(NAMESPACE, "staging").options.retainOnDelete).toBe(true);
    expect(await valueOf(outputs.volumes["db-data"])).toBe("db-data");
  });

  test("registry credentials: a dockerconfigjson Secret that every Deployment pulls with", async () => {
    await deploy({ registry: "registry.internal:5000/team", registryUsername: "ci", registryPassword: "hunter22" });
    const secret = find(SECRET, "voting-registry").inputs;
    expect(secret.type).toBe("kubernetes.io/dockerconfigjson");
    const document = JSON.parse((secretValue(secret.stringData) as Record<string, string>)[".dockerconfigjson"]);
    expect(Object.keys(document.auths)).toEqual(["registry.internal:5000"]);
    expect(document.auths["registry.internal:5000"].username).toBe("ci");
    for (const service of ["db", "redis", "result", "vote", "worker"]) {
      expect(deployment(service).spec.template.spec.imagePullSecrets).toEqual([{ name: "voting-registry" }]);
    }
    expect(find(IMAGE, "vote").inputs.imageName).toBe("registry.internal:5000/team/voting-vote:v1");
    // The push credentials go to the Docker provider as a secret, for the registry host.
    expect(secretValue(find(IMAGE, "vote").inputs.registry)).toEqual({
      server: "registry.internal:5000",
      username: "ci",
      password: "hunter22",
    });
    expect(JSON.stringify(withoutSecrets(recorded.map((r) => r.inputs)))).not.toContain("hunter22");
  });

  test("without registry credentials there is no pull secret", async () => {
    await deploy();
    expect(names(SECRET)).toEqual(["voting-db-password"]);
    expect(deployment("vote").spec.template.spec).not.toHaveProperty("imagePullSecrets");
  });

  test("serviceType applies to the published services only; URLs follow it", async () => {
    const clusterIp = await deploy();
    expect(clusterIp.outputs.urls).toEqual({
      result: "http://result.staging.svc.cluster.local:5010",
      vote: "http://vote.staging.svc.cluster.local:5000",
    });
    await deploy({ serviceType: "NodePort" });
    expect(Object.fromEntries(byType(SERVICE).map((s) => [s.name, s.inputs.spec.type]))).toEqual({
      db: "ClusterIP",
      redis: "ClusterIP",
      result: "NodePort",
      vote: "NodePort",
    });
    expect(find(SERVICE, "vote").inputs.spec.ports).toEqual([{ name: "http", port: 5000, targetPort: 8080, protocol: "TCP" }]);
  });
});

describe("network segmentation mirrors the model's networks", () => {
  const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
    Object.entries(selector).every(([key, value]) => labels[key] === value);

  /** Who may open connections to a service's pods under the recorded policies ("anyone:PORT" for open ports). */
  function peersOf(service: string): string[] {
    const pods = Object.fromEntries(byType(DEPLOYMENT).map((d) => [d.name, podLabels(d.name)]));
    const peers = new Set<string>();
    for (const policy of byType(POLICY)) {
      if (!matches(policy.inputs.spec.podSelector.matchLabels, pods[service])) continue;
      if (!policy.inputs.spec.policyTypes.includes("Ingress")) continue;
      for (const rule of policy.inputs.spec.ingress) {
        if (rule.from === undefined) {
          rule.ports.forEach((port: { port: number }) => peers.add(`anyone:${port.port}`));
          continue;
        }
        for (const peer of rule.from) {
          Object.keys(pods)
            .filter((pod) => matches(peer.podSelector.matchLabels, pods[pod]))
            .forEach((pod) => peers.add(pod));
        }
      }
    }
    return [...peers].sort();
  }

  /**
   * Where a service's pods may open connections under the recorded policies ("db:5432/TCP",
   * "kube-system/k8s-app=kube-dns:53/UDP"), as the API defines it: a pod selected by an Egress policy
   * may open only what one of those policies' rules allows; "anywhere" for a pod no Egress policy selects.
   */
  function reachedFrom(service: string): string[] {
    const pods = Object.fromEntries(byType(DEPLOYMENT).map((d) => [d.name, podLabels(d.name)]));
    const selecting = byType(POLICY).filter(
      (policy) => policy.inputs.spec.policyTypes.includes("Egress") && matches(policy.inputs.spec.podSelector.matchLabels, pods[service]),
    );
    if (selecting.length === 0) return ["anywhere"];
    const reached = new Set<string>();
    for (const policy of selecting) {
      for (const rule of policy.inputs.spec.egress) {
        const ports = rule.ports.map((port: { port: number; protocol: string }) => `${port.port}/${port.protocol}`);
        for (const peer of rule.to) {
          const targets =
            peer.namespaceSelector === undefined
              ? Object.keys(pods).filter((pod) => matches(peer.podSelector.matchLabels, pods[pod]))
              : [
                  `${peer.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]}/${Object.entries(peer.podSelector.matchLabels)
                    .map(([key, value]) => `${key}=${value}`)
                    .join(",")}`,
                ];
          targets.forEach((target) => ports.forEach((port: string) => reached.add(`${target}:${port}`)));
        }
      }
    }
    return [...reached].sort();
  }

  test("egress: each service opens cluster DNS and the ports of its networks' members, nothing else", async () => {
    await deploy();
    const dns = ["kube-system/k8s-app=kube-dns:53/TCP", "kube-system/k8s-app=kube-dns:53/UDP"];
    const backend = ["db:5432/TCP", "redis:6379/TCP", "result:8081/TCP", "vote:8080/TCP"];
    expect(Object.fromEntries(["db", "redis", "result", "vote", "worker"].map((s) => [s, reachedFrom(s)]))).toEqual({
      db: [...backend, ...dns].sort(),
      redis: [...backend, ...dns].sort(),
      result: [...backend, ...dns].sort(),
      vote: [...backend, ...dns].sort(),
      // worker's 8082 serves only its health check: no one opens it.
      worker: [...backend, ...dns].sort(),
    });
  });

  test("db and redis accept only backend services; vote and result are also open on their published port", async () => {
    await deploy();
    expect(Object.fromEntries(["db", "redis", "result", "vote", "worker"].map((s) => [s, peersOf(s)]))).toEqual({
      db: ["db", "redis", "result", "vote", "worker"],
      redis: ["db", "redis", "result", "vote", "worker"],
      result: ["anyone:8081", "db", "redis", "result", "vote", "worker"],
      vote: ["anyone:8080", "db", "redis", "result", "vote", "worker"],
      worker: ["db", "redis", "result", "vote", "worker"],
    });
  });

  test("exact policies: default deny for the app, one per network, one per published service", async () => {
    const { outputs } = await deploy();
    const app = { "app.kubernetes.io/instance": "staging", "app.kubernetes.io/part-of": "voting" };
    const member = (network: string) => ({ ...app, [`dockyard.dev/network-${network}`]: "true" });
    const to = (service: string, network: string, port: number) => ({
      to: [{ podSelector: { matchLabels: { ...member(network), "app.kubernetes.io/name": service } } }],
      ports: [{ port, protocol: "TCP" }],
    });
    expect(Object.fromEntries(byType(POLICY).map((p) => [p.inputs.metadata.name, p.inputs.spec]))).toEqual({
      "voting-default-deny": { podSelector: { matchLabels: app }, policyTypes: ["Ingress"], ingress: [] },
      "voting-default-deny-egress": { podSelector: { matchLabels: app }, policyTypes: ["Egress"], egress: [] },
      "voting-dns": {
        podSelector: { matchLabels: app },
        policyTypes: ["Egress"],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
              },
            ],
            ports: [
              { port: 53, protocol: "UDP" },
              { port: 53, protocol: "TCP" },
            ],
          },
        ],
      },
      "voting-network-backend": {
        podSelector: { matchLabels: member("backend") },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: { matchLabels: member("backend") } }] }],
        egress: [to("db", "backend", 5432), to("redis", "backend", 6379), to("result", "backend", 8081), to("vote", "backend", 8080)],
      },
      "voting-network-frontend": {
        podSelector: { matchLabels: member("frontend") },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: { matchLabels: member("frontend") } }] }],
        egress: [to("result", "frontend", 8081), to("vote", "frontend", 8080)],
      },
      "voting-result-published": {
        podSelector: { matchLabels: { ...app, "app.kubernetes.io/name": "result" } },
        policyTypes: ["Ingress"],
        ingress: [{ ports: [{ port: 8081, protocol: "TCP" }] }],
      },
      "voting-vote-published": {
        podSelector: { matchLabels: { ...app, "app.kubernetes.io/name": "vote" } },
        policyTypes: ["Ingress"],
        ingress: [{ ports: [{ port: 8080, protocol: "TCP" }] }],
      },
    });
    expect(podLabels("db")["dockyard.dev/network-backend"]).toBe("true");
    expect(podLabels("db")).not.toHaveProperty("dockyard.dev/network-frontend");
    expect(outputs.networks).toEqual({
      "voting-default-deny": "ingress to voting pods is denied unless another policy allows it",
      "voting-default-deny-egress": "egress from voting pods is denied unless another policy allows it",
      "voting-dns": "voting pods may query cluster DNS: k8s-app=kube-dns pods in kube-system, UDP 53, TCP 53",
      "voting-network-backend":
        "backend: db, redis, result, vote, worker accept traffic from each other, and open db TCP 5432; redis TCP 6379; result TCP 8081; vote TCP 8080",
      "voting-network-frontend": "frontend: result, vote accept traffic from each other, and open result TCP 8081; vote TCP 8080",
      "voting-result-published": "result accepts TCP 8081 from anywhere",
      "voting-vote-published": "vote accepts TCP 8080 from anywhere",
    });
  });

  test("a service only on the frontend cannot reach the backend's database", async () => {
    await deploy(
      {},
      "staging",
      changedApp((model) => {
        model.services.web = {
          ...model.services.vote,
          image: { kind: "pull", ref: "nginx:1.27" },
          networks: ["frontend"],
          ports: [{ name: "http", containerPort: 8080 }],
          dependsOn: {},
        };
      }),
    );
    expect(names(DEPLOYMENT)).toEqual(["db", "redis", "result", "vote", "web", "worker"]);
    expect(peersOf("db")).toEqual(["db", "redis", "result", "vote", "worker"]);
    expect(peersOf("web")).toEqual(["result", "vote", "web"]);
    // Nor may web open it: its egress reaches the frontend's members (and DNS) only.
    expect(reachedFrom("web")).toEqual([
      "kube-system/k8s-app=kube-dns:53/TCP",
      "kube-system/k8s-app=kube-dns:53/UDP",
      "result:8081/TCP",
      "vote:8080/TCP",
      "web:8080/TCP",
    ]);
  });

  test("an internal network is what every app network is here: nothing outside the app is reached", async () => {
    await deploy(
      {},
      "staging",
      changedApp((model) => {
        model.networks.backend.internal = true;
      }),
    );
    expect(reachedFrom("db")).toEqual([
      "db:5432/TCP",
      "kube-system/k8s-app=kube-dns:53/TCP",
      "kube-system/k8s-app=kube-dns:53/UDP",
      "redis:6379/TCP",
      "result:8081/TCP",
      "vote:8080/TCP",
    ]);
  });
});

describe("validation before anything is registered", () => {
  /** Changes the app's model (as another app module would), or the loaded stack config. */
  type Mutation = { model?: (model: AppModel) => void; config?: (config: StackConfig) => StackConfig };
  // The pinning cases run in the dev stack: elsewhere every image must be pinned on any target, and
  // the stack config layer refuses an unpinned one before the cluster target is asked.
  const cases: Array<[string, string, Mutation, string]> = [
    ["no registry for built images", "staging", { config: (config) => ({ ...config, registry: undefined }) }, REGISTRY_REQUIRED],
    [
      "an app secret without a value",
      "staging",
      {
        model: (model) => {
          model.secrets["api-key"] = { description: "key of an API" };
        },
      },
      "dockyard:secrets.api-key is required (key of an API): pulumi config set --secret --path secrets.api-key <value>",
    ],
    [
      "an image without a tag",
      "dev",
      {
        model: (model) => {
          model.services.redis.image = { kind: "pull", ref: "redis" };
        },
      },
      'app "voting": services.redis.image "redis" must name a tag other than latest, or a digest, on target kubernetes: every node pulls it on its own, so an unpinned image can differ between pods',
    ],
    [
      "an image tagged latest",
      "dev",
      {
        model: (model) => {
          model.services.db.image = { kind: "pull", ref: "postgres:latest" };
        },
      },
      'app "voting": services.db.image "postgres:latest" must name a tag other than latest, or a digest, on target kubernetes: every node pulls it on its own, so an unpinned image can differ between pods',
    ],
    [
      "a registry port is not a tag",
      "dev",
      {
        model: (model) => {
          model.services.redis.image = { kind: "pull", ref: "mirror.internal:5000/redis" };
        },
      },
      'app "voting": services.redis.image "mirror.internal:5000/redis" must name a tag other than latest, or a digest, on target kubernetes: every node pulls it on its own, so an unpinned image can differ between pods',
    ],
    [
      "a bind mount",
      "staging",
      {
        model: (model) => {
          model.services.vote.volumes = [{ hostPath: "/opt/vote", mountPath: "/data" }];
        },
      },
      'app "voting": services.vote.volumes[/data] hostPath /opt/vote cannot be honoured on target kubernetes (it is a path on whichever node runs the pod); use an app volume',
    ],
    [
      "a volume on a service that is not a single writer",
      "staging",
      {
        model: (model) => {
          model.volumes["worker-data"] = {};
          model.services.worker.volumes = [{ volume: "worker-data", mountPath: "/data" }];
        },
      },
      'app "voting": services.worker.volumes[/data] volume "worker-data" on a service that is not singleWriter cannot be honoured on target kubernetes (its ReadWriteOnce claim attaches to one node, so one pod at a time may use it); mark service "worker" singleWriter, or drop the mount',
    ],
    [
      "one volume in two services",
      "staging",
      {
        model: (model) => {
          model.services.db.volumes = [...(model.services.db.volumes ?? []), { volume: "redis-data", mountPath: "/redis" }];
        },
      },
      "app \"voting\": volumes.redis-data is mounted by db and redis: a volume holds one service's data (two services would write one data directory, and a cluster's ReadWriteOnce claim attaches to one node); give each service its own volume",
    ],
    [
      "a service the namespace's Pod Security level would refuse every pod of",
      "staging",
      {
        model: (model) => {
          model.services.worker.security = { ...model.services.worker.security, noNewPrivileges: false };
        },
      },
      'app "voting": services.worker.security.noNewPrivileges false: Pod Security level "restricted" (dockyard:podSecurity) refuses every pod that may gain privileges (allowPrivilegeEscalation needs false), so no pod of "worker" could start; set services.worker.security.noNewPrivileges to true, or set dockyard:podSecurity to "baseline"',
    ],
    [
      "a Service type the cluster does not have (component rule, checked up front)",
      "staging",
      { config: (config) => ({ ...config, serviceType: "ExternalName" as StackConfig["serviceType"] }) },
      'Deployment "db": serviceType must be one of ClusterIP, NodePort, LoadBalancer, got "ExternalName"',
    ],
    [
      "a user by name, named by its model path",
      "staging",
      {
        model: (model) => {
          model.services.worker.user = "node";
        },
      },
      `app "voting": services.worker.user "node" cannot be honoured on target kubernetes (a pod's runAsUser and runAsGroup take numbers, and a user name is known only inside the image); give the numeric uid or uid:gid, like "1000:1000"`,
    ],
  ];

  test.each(cases)("%s (stack %s)", async (_case, stack, mutation, message) => {
    await setupMocks({}, stack);
    const loaded = stageConfig({}, stack);
    const config = mutation.config?.(loaded) ?? loaded;
    let thrown = "";
    try {
      pipeline(config, changedApp(mutation.model ?? (() => undefined)));
    } catch (error) {
      thrown = (error as Error).message;
    }
    expect(thrown).toBe(message);
    await settle();
    expect(recorded).toEqual([]);
  });

  test("an unpinned image set in the stack config is named by its key", async () => {
    await setupMocks({}, "dev");
    expect(() => pipeline(stageConfig({ services: { redis: { image: "redis" } } }, "dev"))).toThrow(
      new InputError(
        'dockyard:services.redis.image "redis" must name a tag other than latest, or a digest, on target kubernetes: every node pulls it on its own, so an unpinned image can differ between pods',
      ),
    );
    await settle();
    expect(recorded).toEqual([]);
  });

  test("pinned references pass: a tag after a registry port, a digest", async () => {
    await deploy({
      services: { redis: { image: "mirror.internal:5000/redis:7.4" }, db: { image: "postgres@sha256:" + "a".repeat(64) } },
    });
    expect(container("redis").image).toBe("mirror.internal:5000/redis:7.4");
    expect(container("db").image).toBe("postgres@sha256:" + "a".repeat(64));
  });

  test("through the program: target kubernetes without a registry stops before any resource", async () => {
    expect(await programError({ target: "kubernetes", secrets: SECRETS }, "staging")).toEqual({
      message: REGISTRY_REQUIRED,
      registered: 0,
    });
  });

  test("through the program: a namespace that is not a DNS label stops before any resource", async () => {
    expect(await programError({ ...CLUSTER, namespace: "Staging" }, "staging")).toEqual({
      message:
        'dockyard:namespace must be an RFC 1123 label: lowercase letters, digits and -, starting and ending with a letter or digit, at most 63 characters, or empty for the stack name, got "Staging"',
      registered: 0,
    });
  });
});

describe("one model, two back ends", () => {
  test("Docker and Kubernetes deploy the same services with the same limits", async () => {
    const config: Values = {
      secrets: SECRETS,
      registry: "localhost:5000",
      services: { db: { limits: { cpus: 2, memory: "1g" } }, vote: { limits: { cpus: 0.25 } } },
    };
    const loaded = stageConfig(config, "dev");
    const model = resolveApp(applyConfig(votingApp, loaded).model);

    await runProgram({ ...config, target: "docker" }, "dev");
    const docker = Object.fromEntries(byType(CONTAINER).map((c) => [c.name.replace(/-\d+$/, ""), [c.inputs.memory, c.inputs.cpus]]));
    await runProgram({ ...config, target: "kubernetes" }, "dev");
    const kubernetes = Object.fromEntries(
      byType(DEPLOYMENT).map((d) => [d.name, [container(d.name).resources.limits.cpu, container(d.name).resources.limits.memory]]),
    );

    expect(Object.keys(docker).sort()).toEqual(sortedKeys(model.services));
    expect(Object.keys(kubernetes).sort()).toEqual(sortedKeys(model.services));
    expect(docker).toEqual({ db: [1024, "2.0"], redis: [128, "0.5"], result: [128, "0.5"], vote: [128, "0.25"], worker: [128, "0.5"] });
    expect(kubernetes).toEqual({
      db: ["2", "1Gi"],
      redis: ["500m", "128Mi"],
      result: ["500m", "128Mi"],
      vote: ["250m", "128Mi"],
      worker: ["500m", "128Mi"],
    });
    for (const service of sortedKeys(model.services)) {
      const { cpus, memory } = model.services[service].limits;
      expect(docker[service]).toEqual([memoryToDockerMiB(parseMemory(memory)), cpusToDocker(parseCpus(cpus))]);
      expect(kubernetes[service]).toEqual([cpusToQuantity(parseCpus(cpus)), memoryToQuantity(parseMemory(memory))]);
    }
  });
});

describe("the namespace of each Kubernetes stage", () => {
  // staging's 24 namespaced objects (vote's PodDisruptionBudget among them); on prod, vote's
  // HorizontalPodAutoscaler and the budgets of result and worker; on k8se2e, vote's autoscaler.
  test.each([
    ["staging", 24],
    ["prod", 27],
    ["k8se2e", 25],
  ])("stage %s: every namespaced object (%i) depends on its Namespace (created after it, deleted before it)", async (stage, count) => {
    await runProgram(stageProgramConfig(stage), stage);
    const [namespace] = byType(NAMESPACE);
    const namespaceUrn = `urn:pulumi:${stage}::dockyard::kubernetes:core/v1:Namespace::${namespace.name}`;
    const namespaced = recorded.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== NAMESPACE);
    expect(namespaced).toHaveLength(count);
    const without = namespaced.filter((r) => !r.options.dependencies.includes(namespaceUrn)).map((r) => `${r.type} ${r.name}`);
    expect(without).toEqual([]);
    expect(new Set(namespaced.map((r) => r.inputs.metadata.namespace))).toEqual(new Set([namespace.inputs.metadata.name]));
  });
});
