/** The Kubernetes components constructed directly under mocks: exact manifests and every validation rule. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import {
  Autoscaler,
  AutoscalerArgs,
  Deployment,
  DeploymentArgs,
  HEALTH_DEFAULTS,
  NetworkPolicies,
  NetworkPoliciesArgs,
  POD_SECURITY_VERSION,
  podSecurityLabels,
  podSecurityViolations,
  RegistrySecret,
  RegistrySecretArgs,
  KubernetesSecret,
  KubernetesSecretArgs,
  ValidationError,
} from "../../components/k8s";
import { find, recorded, secretValue, settle, setupMocks, withoutSecrets } from "./mocks";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
const SECRET = "kubernetes:core/v1:Secret";
const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

const identity = { app: "voting", instance: "staging" };

/** Shaped like the voting app's vote service. */
const vote = (): DeploymentArgs => ({
  identity,
  namespace: "staging",
  image: "localhost:5000/voting-vote:v1",
  env: { REDIS_HOST: "redis", PORT: "8080" },
  ports: [{ name: "http", containerPort: 8080, published: true, servicePort: 5000 }],
  networks: ["frontend", "backend"],
  health: { command: ["healthcheck"], http: { path: "/healthz", port: 8080 } },
  cpus: 0.5,
  memory: "128m",
  replicas: 2,
  serviceType: "LoadBalancer",
});

/** Shaped like the voting app's db service. */
const db = (): DeploymentArgs => ({
  identity,
  namespace: "staging",
  image: "postgres:15",
  env: { POSTGRES_USER: "postgres" },
  secretEnv: { POSTGRES_PASSWORD: { secretName: "voting-db-password", key: "value" } },
  ports: [{ name: "postgres", containerPort: 5432 }],
  networks: ["backend"],
  volumes: [{ claimName: "db-data", mountPath: "/var/lib/postgresql/data", size: "10g", storageClass: "fast-ssd", retain: true }],
  health: { command: ["pg_isready", "-U", "postgres"], intervalSeconds: 5, startPeriodSeconds: 10, retries: 5 },
  cpus: 1,
  memory: "512m",
  singleWriter: true,
  serviceType: "LoadBalancer",
});

/** Shaped like the worker: no ports. */
const worker = (): DeploymentArgs => ({
  identity,
  namespace: "staging",
  image: "localhost:5000/voting-worker:v1",
  networks: ["backend"],
  health: { command: ["healthcheck"], http: { path: "/healthz", port: 8082 } },
  cpus: 0.5,
  memory: "128m",
});

beforeEach(async () => {
  await setupMocks({});
});

async function build(name: string, args: DeploymentArgs, opts?: pulumi.ComponentResourceOptions): Promise<Deployment> {
  const deployment = new Deployment(name, args, opts);
  await settle();
  return deployment;
}

const podTemplate = (name: string) => find(DEPLOYMENT, name).inputs.spec.template;
const container = (name: string) => podTemplate(name).spec.containers[0];

describe("Deployment: labels, selectors and the Service", () => {
  test("the selector is the stable identity; pod labels are the recommended set plus one label per network", async () => {
    await build("vote", vote());
    const spec = find(DEPLOYMENT, "vote").inputs.spec;
    const selector = {
      "app.kubernetes.io/name": "vote",
      "app.kubernetes.io/instance": "staging",
      "app.kubernetes.io/part-of": "voting",
    };
    expect(spec.selector).toEqual({ matchLabels: selector });
    expect(spec.template.metadata.labels).toEqual({
      ...selector,
      "app.kubernetes.io/component": "vote",
      "app.kubernetes.io/managed-by": "dockyard",
      "dockyard.dev/network-backend": "true",
      "dockyard.dev/network-frontend": "true",
    });
    // Every selector label is on the pod template with the same value: the Deployment owns its pods.
    for (const [key, value] of Object.entries(spec.selector.matchLabels)) {
      expect(spec.template.metadata.labels[key]).toBe(value);
    }
    expect(find(DEPLOYMENT, "vote").inputs.metadata).toEqual({
      name: "vote",
      namespace: "staging",
      labels: { ...selector, "app.kubernetes.io/component": "vote", "app.kubernetes.io/managed-by": "dockyard" },
      // A field changed by hand (kubectl scale) is taken back by the next up, not a field-manager conflict.
      annotations: { "pulumi.com/patchForce": "true" },
    });
  });

  test("the Service is named like the service, selects its pods and forwards to the container port", async () => {
    await build("vote", vote());
    const service = find(SERVICE, "vote").inputs;
    expect(service.metadata.name).toBe("vote");
    expect(service.spec.selector).toEqual(find(DEPLOYMENT, "vote").inputs.spec.selector.matchLabels);
    for (const [key, value] of Object.entries(service.spec.selector)) {
      expect(podTemplate("vote").metadata.labels[key]).toBe(value);
    }
    expect(service.spec.ports).toEqual([{ name: "http", port: 5000, targetPort: 8080, protocol: "TCP" }]);
    expect(service.spec.ports[0].targetPort).toBe(container("vote").ports[0].containerPort);
    expect(container("vote").ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    expect(service.spec.type).toBe("LoadBalancer");
  });

  test("an unpublished service is ClusterIP whatever serviceType says", async () => {
    await build("db", db());
    expect(find(SERVICE, "db").inputs.spec).toEqual({
      type: "ClusterIP",
      selector: { "app.kubernetes.io/name": "db", "app.kubernetes.io/instance": "staging", "app.kubernetes.io/part-of": "voting" },
      ports: [{ name: "postgres", port: 5432, targetPort: 5432, protocol: "TCP" }],
    });
  });

  test("a ClusterIP or NodePort Service is created without waiting for its endpoints; a LoadBalancer is waited for", async () => {
    // The Deployment's wait already proves Ready pods; a load balancer's address is the service's URL.
    await build("db", db());
    expect(find(SERVICE, "db").inputs.metadata).toEqual({
      name: "db",
      namespace: "staging",
      labels: find(DEPLOYMENT, "db").inputs.metadata.labels,
      annotations: { "pulumi.com/skipAwait": "true" },
    });
    await build("vote", { ...vote(), serviceType: "NodePort" });
    expect(find(SERVICE, "vote").inputs.spec.type).toBe("NodePort");
    expect(find(SERVICE, "vote").inputs.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    await setupMocks({});
    await build("vote", vote());
    expect(find(SERVICE, "vote").inputs.spec.type).toBe("LoadBalancer");
    expect(find(SERVICE, "vote").inputs.metadata.annotations).toBeUndefined();
    // The Deployment itself is waited for, whatever its Service: it has no skipAwait (only patchForce).
    expect(find(DEPLOYMENT, "vote").inputs.metadata.annotations).toEqual({ "pulumi.com/patchForce": "true" });
  });

  test("a service without ports gets no Service", async () => {
    const deployment = await build("worker", worker());
    expect(recorded.filter((r) => r.type === SERVICE)).toEqual([]);
    expect(deployment.service).toBeUndefined();
    expect(container("worker").ports).toBeUndefined();
  });
});

describe("Deployment: resources, probes, strategy, scaling", () => {
  test("a stop grace period is the pod's terminationGracePeriodSeconds; left out, the API's default", async () => {
    await build("worker", { ...worker(), stopGracePeriodSeconds: 45 });
    await build("vote", vote());
    expect([podTemplate("worker").spec.terminationGracePeriodSeconds, podTemplate("vote").spec.terminationGracePeriodSeconds]).toEqual([
      45,
      undefined,
    ]);
  });

  /** The default ephemeral storage: 64Mi requested, 1Gi at most. */
  const disk = { limit: "1Gi", request: "64Mi" };
  const resources = (limits: { cpu: string; memory: string }, requests: { cpu: string; memory: string }, storage = disk) => ({
    limits: { ...limits, "ephemeral-storage": storage.limit },
    requests: { ...requests, "ephemeral-storage": storage.request },
  });

  test("limits are the model's, converted exactly; memory request = limit, cpu request = half; 64Mi to 1Gi of node disk", async () => {
    const deployment = await build("vote", vote());
    expect(container("vote").resources).toEqual({
      limits: { cpu: "500m", memory: "128Mi", "ephemeral-storage": "1Gi" },
      requests: { cpu: "250m", memory: "128Mi", "ephemeral-storage": "64Mi" },
    });
    expect(deployment.cpuRequest).toBe("250m");
  });

  test("whole cores are written as whole numbers: db 1 CPU and 512m", async () => {
    await build("db", db());
    expect(container("db").resources).toEqual(resources({ cpu: "1", memory: "512Mi" }, { cpu: "500m", memory: "512Mi" }));
  });

  test("cpuRequestPercent changes the cpu request only", async () => {
    await build("vote", { ...vote(), cpuRequestPercent: 100, cpus: 2, memory: "1g" });
    expect(container("vote").resources).toEqual(resources({ cpu: "2", memory: "1Gi" }, { cpu: "2", memory: "1Gi" }));
  });

  test("explicit requests replace the derived ones, each on its own", async () => {
    const deployment = await build("vote", { ...vote(), requestCpus: 0.1 });
    expect(container("vote").resources).toEqual(resources({ cpu: "500m", memory: "128Mi" }, { cpu: "100m", memory: "128Mi" }));
    expect(deployment.cpuRequest).toBe("100m");
    await build("db", { ...db(), requestMemory: "256m" });
    expect(container("db").resources).toEqual(resources({ cpu: "1", memory: "512Mi" }, { cpu: "500m", memory: "256Mi" }));
  });

  test("ephemeral storage: the limit and the request each replace the default, as exact quantities", async () => {
    await build("vote", { ...vote(), ephemeralStorage: "2g" });
    await build("db", { ...db(), ephemeralStorage: "512Mi", requestEphemeralStorage: "100m" });
    await build("worker", { ...worker(), requestEphemeralStorage: "1Gi" });
    expect(container("vote").resources).toEqual(
      resources({ cpu: "500m", memory: "128Mi" }, { cpu: "250m", memory: "128Mi" }, { limit: "2Gi", request: "64Mi" }),
    );
    expect(container("db").resources).toEqual(
      resources({ cpu: "1", memory: "512Mi" }, { cpu: "500m", memory: "512Mi" }, { limit: "512Mi", request: "100Mi" }),
    );
    expect(container("worker").resources).toEqual(
      resources({ cpu: "500m", memory: "128Mi" }, { cpu: "250m", memory: "128Mi" }, { limit: "1Gi", request: "1Gi" }),
    );
  });

  test("minReadySeconds and nodeSelector reach the Deployment when given, and only then", async () => {
    await build("vote", { ...vote(), minReadySeconds: 10, nodeSelector: { "kubernetes.io/hostname": "node-1", disk: "ssd" } });
    await build("worker", worker());
    expect(find(DEPLOYMENT, "vote").inputs.spec.minReadySeconds).toBe(10);
    expect(find(DEPLOYMENT, "vote").inputs.spec.template.spec.nodeSelector).toEqual({ disk: "ssd", "kubernetes.io/hostname": "node-1" });
    expect(find(DEPLOYMENT, "worker").inputs.spec).not.toHaveProperty("minReadySeconds");
    expect(find(DEPLOYMENT, "worker").inputs.spec.template.spec).not.toHaveProperty("nodeSelector");
  });

  test("an http health check is the readiness probe; liveness and startup ask only that its port accepts connections", async () => {
    await build("vote", vote());
    const timings = { periodSeconds: 10, timeoutSeconds: 5, successThreshold: 1 };
    expect(container("vote").readinessProbe).toEqual({ httpGet: { path: "/healthz", port: 8080 }, ...timings, failureThreshold: 3 });
    expect(container("vote").livenessProbe).toEqual({ tcpSocket: { port: 8080 }, ...timings, failureThreshold: 3 });
    // start period 10s at one probe every 10s: one extra failure allowed before liveness counts.
    expect(container("vote").startupProbe).toEqual({ tcpSocket: { port: 8080 }, ...timings, failureThreshold: 4 });
  });

  test("without ports, the health check's own HTTP port is the one liveness asks", async () => {
    await build("worker", worker());
    expect([container("worker").readinessProbe.httpGet, container("worker").livenessProbe.tcpSocket]).toEqual([
      { path: "/healthz", port: 8082 },
      { port: 8082 },
    ]);
  });

  test("a command health check is an exec readiness probe; liveness and startup ask the first TCP port", async () => {
    await build("db", { ...db(), ports: [{ name: "stats", containerPort: 9187, protocol: "udp" }, ...(db().ports ?? [])] });
    const timings = { periodSeconds: 5, timeoutSeconds: 5, successThreshold: 1 };
    expect(container("db").readinessProbe).toEqual({
      exec: { command: ["pg_isready", "-U", "postgres"] },
      ...timings,
      failureThreshold: 5,
    });
    expect(container("db").livenessProbe).toEqual({ tcpSocket: { port: 5432 }, ...timings, failureThreshold: 5 });
    expect(container("db").startupProbe).toEqual({ tcpSocket: { port: 5432 }, ...timings, failureThreshold: 7 });
  });

  test("a command health check and no TCP port: all three probes run the command", async () => {
    await build("worker", { ...worker(), health: { command: ["healthcheck"] } });
    const probe = { exec: { command: ["healthcheck"] }, periodSeconds: 10, timeoutSeconds: 5, successThreshold: 1 };
    expect([container("worker").readinessProbe, container("worker").livenessProbe, container("worker").startupProbe]).toEqual([
      { ...probe, failureThreshold: 3 },
      { ...probe, failureThreshold: 3 },
      { ...probe, failureThreshold: 4 },
    ]);
  });

  test("no health check, no probes", async () => {
    await build("vote", { ...vote(), health: undefined });
    expect(Object.keys(container("vote")).filter((key) => key.endsWith("Probe"))).toEqual([]);
  });

  test("a rolling update adds a pod before removing one; a single writer is recreated", async () => {
    await build("vote", vote());
    await build("db", db());
    expect(find(DEPLOYMENT, "vote").inputs.spec.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(find(DEPLOYMENT, "db").inputs.spec.strategy).toEqual({ type: "Recreate" });
  });

  test("maxSurge and maxUnavailable can be set", async () => {
    await build("vote", { ...vote(), maxSurge: "25%", maxUnavailable: "1" });
    expect(find(DEPLOYMENT, "vote").inputs.spec.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxSurge: "25%", maxUnavailable: 1 },
    });
  });

  test("rolloutTimeoutSeconds: the progress deadline and pulumi's create/update timeouts; unset, neither", async () => {
    await build("vote", { ...vote(), rolloutTimeoutSeconds: 90 });
    await build("worker", worker());
    expect(find(DEPLOYMENT, "vote").inputs.spec.progressDeadlineSeconds).toBe(90);
    expect(find(DEPLOYMENT, "vote").options.customTimeouts).toEqual({ create: "90s", update: "90s", delete: "" });
    expect(find(DEPLOYMENT, "worker").inputs.spec).not.toHaveProperty("progressDeadlineSeconds");
    expect(find(DEPLOYMENT, "worker").options.customTimeouts).toBeUndefined();
  });

  test("pods prefer different nodes whatever the replica count (a scale rolls nothing); a single writer's state none", async () => {
    await build("vote", vote());
    await build("result", { ...worker(), autoscaled: true });
    await build("worker", { ...worker(), replicas: 1 });
    await build("db", db());
    const spread = (service: string) => ({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: {
                matchLabels: {
                  "app.kubernetes.io/name": service,
                  "app.kubernetes.io/instance": "staging",
                  "app.kubernetes.io/part-of": "voting",
                },
              },
              topologyKey: "kubernetes.io/hostname",
            },
          },
        ],
      },
    });
    expect(podTemplate("vote").spec.affinity).toEqual(spread("vote"));
    expect(podTemplate("result").spec.affinity).toEqual(spread("result"));
    expect(podTemplate("worker").spec.affinity).toEqual(spread("worker"));
    expect(podTemplate("db").spec).not.toHaveProperty("affinity");
  });

  test("disruptionBudget: a PodDisruptionBudget named like the service, selecting its pods, in its namespace", async () => {
    const deployment = await build("vote", { ...vote(), disruptionBudget: 1 });
    await build("worker", worker());
    expect(recorded.filter((r) => r.type === PDB).map((r) => r.name)).toEqual(["vote"]);
    expect(find(PDB, "vote").inputs).toEqual({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: {
        name: "vote",
        namespace: "staging",
        labels: {
          "app.kubernetes.io/name": "vote",
          "app.kubernetes.io/instance": "staging",
          "app.kubernetes.io/part-of": "voting",
          "app.kubernetes.io/component": "vote",
          "app.kubernetes.io/managed-by": "dockyard",
        },
      },
      spec: {
        maxUnavailable: 1,
        selector: {
          matchLabels: { "app.kubernetes.io/name": "vote", "app.kubernetes.io/instance": "staging", "app.kubernetes.io/part-of": "voting" },
        },
        unhealthyPodEvictionPolicy: "AlwaysAllow",
      },
    });
    // The budget selects exactly what the Deployment does.
    expect(find(PDB, "vote").inputs.spec.selector).toEqual(find(DEPLOYMENT, "vote").inputs.spec.selector);
    expect(find(PDB, "vote").options.parent).toBe("urn:pulumi:dev::dockyard::dockyard:index:Deployment::vote");
    expect(deployment.disruptionBudget).toBeDefined();
  });

  test("replicas 0 stays 0", async () => {
    await build("vote", { ...vote(), replicas: 0 });
    expect(find(DEPLOYMENT, "vote").inputs.spec.replicas).toBe(0);
  });

  test("replicas default to 1; an autoscaled Deployment leaves replicas to the autoscaler", async () => {
    await build("worker", worker());
    await build("vote", { ...vote(), autoscaled: true });
    expect(find(DEPLOYMENT, "worker").inputs.spec.replicas).toBe(1);
    expect(find(DEPLOYMENT, "vote").inputs.spec).not.toHaveProperty("replicas");
  });

  test("pods get no service links, no API token, and the numeric user", async () => {
    await build("db", { ...db(), user: "999:998" });
    const spec = podTemplate("db").spec;
    expect(spec.enableServiceLinks).toBe(false);
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.securityContext).toEqual({ runAsUser: 999, runAsGroup: 998, fsGroup: 998, seccompProfile: { type: "RuntimeDefault" } });
    expect(container("db").securityContext).toEqual({ runAsNonRoot: true });
    expect(container("db").imagePullPolicy).toBe("IfNotPresent");
  });

  test("command and entrypoint map to args and command", async () => {
    await build("vote", { ...vote(), command: ["redis-server", "--appendonly", "yes"], entrypoint: ["/init"] });
    expect(container("vote").args).toEqual(["redis-server", "--appendonly", "yes"]);
    expect(container("vote").command).toEqual(["/init"]);
  });

  test("imagePullSecrets reach the pod", async () => {
    await build("vote", { ...vote(), imagePullSecrets: ["voting-registry"] });
    expect(podTemplate("vote").spec.imagePullSecrets).toEqual([{ name: "voting-registry" }]);
  });

  test("dependsOn comes through the resource options and reaches the Deployment inside", async () => {
    const redis = await build("redis", { ...worker(), image: "redis:7.4" });
    await build("vote", vote(), { dependsOn: [redis] });
    const redisDeployment = "urn:pulumi:dev::dockyard::dockyard:index:Deployment$kubernetes:apps/v1:Deployment::redis";
    // Passed on explicitly: Pulumi gives a child none of its parent's dependsOn. (The ConfigMap is
    // an implicit dependency, through envFrom's name.)
    expect(find(DEPLOYMENT, "vote").options.dependencies).toEqual([
      redisDeployment,
      "urn:pulumi:dev::dockyard::dockyard:index:Deployment$kubernetes:core/v1:ConfigMap::vote-env",
    ]);
    expect(find("dockyard:index:Deployment", "vote").options.dependencies).toEqual([redisDeployment]);
    // Nothing else in the component waits: the Service and the ConfigMap do not need redis up.
    expect(find(SERVICE, "vote").options.dependencies).toEqual([]);
    expect(find(CONFIG_MAP, "vote-env").options.dependencies).toEqual([]);
    // Without dependsOn, the Deployment waits for nothing.
    expect(find(DEPLOYMENT, "redis").options.dependencies).toEqual([]);
  });
});

describe("Deployment: environment, secrets and volumes", () => {
  test("env lives in a ConfigMap named after its content, read with envFrom", async () => {
    await build("vote", vote());
    const configMap = find(CONFIG_MAP, "vote-env").inputs;
    expect(configMap.data).toEqual({ PORT: "8080", REDIS_HOST: "redis" });
    expect(configMap.immutable).toBe(true);
    expect(configMap.metadata.name).toMatch(/^vote-env-[0-9a-f]{10}$/);
    expect(container("vote").envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
    expect(container("vote").env).toBeUndefined();
  });

  test("a different env gets a different ConfigMap name, so the pods roll", async () => {
    await build("vote", vote());
    const before = find(CONFIG_MAP, "vote-env").inputs.metadata.name;
    await setupMocks({});
    await build("vote", { ...vote(), env: { REDIS_HOST: "redis", PORT: "9090" } });
    expect(find(CONFIG_MAP, "vote-env").inputs.metadata.name).not.toBe(before);
  });

  test("secret env is a secretKeyRef", async () => {
    await build("db", db());
    expect(container("db").env).toEqual([
      { name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: "voting-db-password", key: "value" } } },
    ]);
  });

  test("a volume is a ReadWriteOnce claim with the size and class, mounted in the pod", async () => {
    const deployment = await build("db", db());
    const claim = find(PVC, "db-db-data");
    expect(claim.inputs.metadata.name).toBe("db-data");
    expect(claim.inputs.spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      storageClassName: "fast-ssd",
      resources: { requests: { storage: "10Gi" } },
    });
    expect(podTemplate("db").spec.volumes).toEqual([{ name: "db-data", persistentVolumeClaim: { claimName: "db-data" } }]);
    expect(container("db").volumeMounts).toEqual([{ name: "db-data", mountPath: "/var/lib/postgresql/data", readOnly: false }]);
    expect(Object.keys(deployment.claims)).toEqual(["db-data"]);
  });

  test("a claim's size is a storage size, not a memory limit: 1m is a valid 1Mi claim", async () => {
    await build("db", { ...db(), volumes: [{ claimName: "db-data", mountPath: "/data", size: "1m" }] });
    expect(find(PVC, "db-db-data").inputs.spec.resources).toEqual({ requests: { storage: "1Mi" } });
  });

  test("retain keeps the claim on delete; without it the claim goes with the stack", async () => {
    await build("db", db());
    await build("redis", { ...db(), volumes: [{ claimName: "redis-data", mountPath: "/data", size: "256Mi" }] });
    expect(find(PVC, "db-db-data").options.retainOnDelete).toBe(true);
    expect(find(PVC, "redis-redis-data").options.retainOnDelete).toBe(false);
    // No class given: the cluster's default StorageClass; 1Gi when no size is given.
    expect(find(PVC, "redis-redis-data").inputs.spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "256Mi" } },
    });
  });
});

describe("Secret and RegistrySecret", () => {
  test("a Secret's values are sent as secrets and appear nowhere in plain text", async () => {
    new KubernetesSecret("voting-db-password", {
      identity,
      namespace: "staging",
      secretName: "voting-db-password",
      values: { value: pulumi.secret("s3cret-pass") },
    });
    await settle();
    const secret = find(SECRET, "voting-db-password").inputs;
    expect(secret.type).toBe("Opaque");
    expect(secretValue(secret.stringData)).toEqual({ value: "s3cret-pass" });
    expect(JSON.stringify(withoutSecrets(recorded.map((r) => r.inputs)))).not.toContain("s3cret-pass");
  });

  test("a registry Secret is a dockerconfigjson document, secret as a whole", async () => {
    new RegistrySecret("voting-registry", {
      identity,
      namespace: "staging",
      secretName: "voting-registry",
      server: "registry.internal:5000",
      username: "ci",
      password: pulumi.secret("hunter22"),
    });
    await settle();
    const secret = find(SECRET, "voting-registry").inputs;
    expect(secret.type).toBe("kubernetes.io/dockerconfigjson");
    const document = JSON.parse((secretValue(secret.stringData) as Record<string, string>)[".dockerconfigjson"]);
    expect(document).toEqual({
      auths: { "registry.internal:5000": { username: "ci", password: "hunter22", auth: Buffer.from("ci:hunter22").toString("base64") } },
    });
    expect(JSON.stringify(withoutSecrets(recorded.map((r) => r.inputs)))).not.toContain("hunter22");
  });
});

describe("Autoscaler", () => {
  test("an autoscaling/v2 HPA on the Deployment with the bounds and cpu target", async () => {
    new Autoscaler("vote", {
      identity,
      namespace: "prod",
      deploymentName: "vote",
      minReplicas: 3,
      maxReplicas: 10,
      targetCpuPercent: 70,
      cpuRequest: "250m",
    });
    await settle();
    const hpa = find(HPA, "vote").inputs;
    expect(hpa.metadata.name).toBe("vote");
    expect(hpa.metadata.namespace).toBe("prod");
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "vote" },
      minReplicas: 3,
      maxReplicas: 10,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
      // Kubernetes' own defaults, written out: up at once, down after 5 minutes of lower figures.
      behavior: { scaleUp: { stabilizationWindowSeconds: 0 }, scaleDown: { stabilizationWindowSeconds: 300 } },
    });
  });

  test("the stabilization windows given are spec.behavior's, each direction its own", async () => {
    new Autoscaler("vote", autoscaler({ scaleUpStabilizationSeconds: 15, scaleDownStabilizationSeconds: 30 }));
    new Autoscaler("result", autoscaler({ deploymentName: "result", scaleDownStabilizationSeconds: 0 }));
    await settle();
    expect(find(HPA, "vote").inputs.spec.behavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 15 },
      scaleDown: { stabilizationWindowSeconds: 30 },
    });
    expect(find(HPA, "result").inputs.spec.behavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0 },
      scaleDown: { stabilizationWindowSeconds: 0 },
    });
  });

  test("scaling policies given are spec.behavior's: pods before percent, the period given or 15 s; a direction without any has none written", async () => {
    new Autoscaler("vote", autoscaler({ scaleUpPods: 2, scaleUpPercent: 50, scaleUpPeriodSeconds: 60 }));
    new Autoscaler("result", autoscaler({ deploymentName: "result", scaleDownPods: 1, scaleDownStabilizationSeconds: 30 }));
    new Autoscaler("worker", autoscaler({ deploymentName: "worker", scaleDownPercent: 10, scaleDownPeriodSeconds: 1800 }));
    await settle();
    expect(find(HPA, "vote").inputs.spec.behavior).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        policies: [
          { type: "Pods", value: 2, periodSeconds: 60 },
          { type: "Percent", value: 50, periodSeconds: 60 },
        ],
      },
      scaleDown: { stabilizationWindowSeconds: 300 },
    });
    expect(find(HPA, "result").inputs.spec.behavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0 },
      scaleDown: { stabilizationWindowSeconds: 30, policies: [{ type: "Pods", value: 1, periodSeconds: 15 }] },
    });
    expect(find(HPA, "worker").inputs.spec.behavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0 },
      scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Percent", value: 10, periodSeconds: 1800 }] },
    });
  });

  test("a memory target is a second Resource metric after CPU's; without one, CPU's alone", async () => {
    new Autoscaler("vote", autoscaler({ targetMemoryPercent: 80, memoryRequest: "128Mi" }));
    new Autoscaler("result", autoscaler({ deploymentName: "result", memoryRequest: "128Mi" }));
    await settle();
    expect(find(HPA, "vote").inputs.spec.metrics).toEqual([
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
      { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: 80 } } },
    ]);
    expect(find(HPA, "result").inputs.spec.metrics).toEqual([
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
    ]);
  });
});

describe("NetworkPolicies", () => {
  const args = (): NetworkPoliciesArgs => ({
    identity,
    namespace: "staging",
    networks: { backend: ["db", "redis", "result", "vote", "worker"], frontend: ["result", "vote"] },
    published: { vote: [{ port: 8080 }] },
    ports: { db: [{ port: 5432 }], redis: [{ port: 6379 }], result: [{ port: 8081 }], vote: [{ port: 8080 }] },
  });
  const app = { "app.kubernetes.io/instance": "staging", "app.kubernetes.io/part-of": "voting" };
  const names = () =>
    recorded
      .filter((r) => r.type === POLICY)
      .map((r) => r.inputs.metadata.name)
      .sort();
  /** An egress rule to one service's pods on one network, on its ports. */
  const to = (service: string, network: string, ...ports: number[]) => ({
    to: [{ podSelector: { matchLabels: { ...app, "app.kubernetes.io/name": service, [`dockyard.dev/network-${network}`]: "true" } } }],
    ports: ports.map((port) => ({ port, protocol: "TCP" })),
  });

  test("default deny both ways, cluster DNS, one policy per network, one per published service", async () => {
    const policies = new NetworkPolicies("voting", args());
    await settle();
    expect(names()).toEqual([
      "voting-default-deny",
      "voting-default-deny-egress",
      "voting-dns",
      "voting-network-backend",
      "voting-network-frontend",
      "voting-vote-published",
    ]);
    expect(find(POLICY, "voting-default-deny").inputs.spec).toEqual({
      podSelector: { matchLabels: app },
      policyTypes: ["Ingress"],
      ingress: [],
    });
    expect(find(POLICY, "voting-default-deny-egress").inputs.spec).toEqual({
      podSelector: { matchLabels: app },
      policyTypes: ["Egress"],
      egress: [],
    });
    expect(find(POLICY, "voting-dns").inputs.spec).toEqual({
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
    });
    const backend = { ...app, "dockyard.dev/network-backend": "true" };
    // Members accept each other on any port, and open each member's own ports (worker has none).
    expect(find(POLICY, "voting-network-backend").inputs.spec).toEqual({
      podSelector: { matchLabels: backend },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: { matchLabels: backend } }] }],
      egress: [to("db", "backend", 5432), to("redis", "backend", 6379), to("result", "backend", 8081), to("vote", "backend", 8080)],
    });
    expect(find(POLICY, "voting-network-frontend").inputs.spec.egress).toEqual([
      to("result", "frontend", 8081),
      to("vote", "frontend", 8080),
    ]);
    expect(find(POLICY, "voting-vote-published").inputs.spec).toEqual({
      podSelector: { matchLabels: { ...app, "app.kubernetes.io/name": "vote" } },
      policyTypes: ["Ingress"],
      ingress: [{ ports: [{ port: 8080, protocol: "TCP" }] }],
    });
    expect(policies.descriptions).toEqual({
      "voting-default-deny": "ingress to voting pods is denied unless another policy allows it",
      "voting-default-deny-egress": "egress from voting pods is denied unless another policy allows it",
      "voting-dns": "voting pods may query cluster DNS: k8s-app=kube-dns pods in kube-system, UDP 53, TCP 53",
      "voting-network-backend":
        "backend: db, redis, result, vote, worker accept traffic from each other, and open db TCP 5432; redis TCP 6379; result TCP 8081; vote TCP 8080",
      "voting-network-frontend": "frontend: result, vote accept traffic from each other, and open result TCP 8081; vote TCP 8080",
      "voting-vote-published": "vote accepts TCP 8080 from anywhere",
    });
  });

  test("another cluster's DNS pods; a UDP port stays UDP", async () => {
    new NetworkPolicies("voting", {
      ...args(),
      networks: { metrics: ["statsd", "vote"] },
      ports: { statsd: [{ port: 8125, protocol: "udp" }] },
      dns: { namespace: "openshift-dns", podLabels: { "dns.operator.openshift.io/daemonset-dns": "default" }, port: 5353 },
    });
    await settle();
    expect(find(POLICY, "voting-dns").inputs.spec.egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-dns" } },
            podSelector: { matchLabels: { "dns.operator.openshift.io/daemonset-dns": "default" } },
          },
        ],
        ports: [
          { port: 5353, protocol: "UDP" },
          { port: 5353, protocol: "TCP" },
        ],
      },
    ]);
    expect(find(POLICY, "voting-network-metrics").inputs.spec.egress).toEqual([
      {
        to: [{ podSelector: { matchLabels: { ...app, "app.kubernetes.io/name": "statsd", "dockyard.dev/network-metrics": "true" } } }],
        ports: [{ port: 8125, protocol: "UDP" }],
      },
    ]);
  });

  test("without defaultDenyEgress, no egress policy at all (one would deny the rest); a network without ports opens none", async () => {
    new NetworkPolicies("voting", { ...args(), defaultDenyEgress: false });
    new NetworkPolicies("other", { ...args(), identity: { app: "other", instance: "staging" }, ports: {} });
    await settle();
    expect(names()).toEqual([
      "other-default-deny",
      "other-default-deny-egress",
      "other-dns",
      "other-network-backend",
      "other-network-frontend",
      "other-vote-published",
      "voting-default-deny",
      "voting-network-backend",
      "voting-network-frontend",
      "voting-vote-published",
    ]);
    expect(find(POLICY, "voting-network-backend").inputs.spec.policyTypes).toEqual(["Ingress"]);
    expect(find(POLICY, "voting-network-backend").inputs.spec).not.toHaveProperty("egress");
    expect(find(POLICY, "other-network-backend").inputs.spec.policyTypes).toEqual(["Ingress"]);
    expect(find(POLICY, "other-network-backend").inputs.spec).not.toHaveProperty("egress");
  });

  test("without defaultDeny there is no ingress deny policy; empty networks get none", async () => {
    new NetworkPolicies("voting", { ...args(), defaultDeny: false, networks: { backend: ["db"], spare: [] } });
    await settle();
    expect(names()).toEqual(["voting-default-deny-egress", "voting-dns", "voting-network-backend", "voting-vote-published"]);
  });
});

describe("Pod Security Admission", () => {
  test("the namespace enforces the level at the pinned version, and audits and warns at restricted, latest", () => {
    expect(podSecurityLabels("baseline")).toEqual({
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/enforce-version": "v1.34",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "latest",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "latest",
    });
  });

  test("the pinned version is the minor of the control plane the suites run (tools/k8s/modules/go.mod)", () => {
    const goMod = fs.readFileSync(path.join(__dirname, "..", "..", "tools", "k8s", "modules", "go.mod"), "utf8");
    const minor = /^\s*k8s\.io\/kubernetes (v\d+\.\d+)\./m.exec(goMod)?.[1];
    expect(POD_SECURITY_VERSION).toBe(minor);
  });

  const confined = { capDrop: ["ALL"], noNewPrivileges: true };
  const fields = (level: "restricted" | "baseline" | "privileged", service: Parameters<typeof podSecurityViolations>[1]) =>
    podSecurityViolations(level, service).map((v) => [v.field, v.value, v.admittedBy]);

  test.each<[string, Parameters<typeof podSecurityViolations>[1], Array<[string, unknown, string]>]>([
    ["the voting app's vote", { user: "10001:10001", security: { ...confined, readOnlyRootFilesystem: true } }, []],
    ["NET_BIND_SERVICE added back", { user: "1000", security: { ...confined, capAdd: ["net_bind_service"] } }, []],
    [
      "nothing set",
      {},
      [
        ["user", undefined, "baseline"],
        ["security.capDrop", [], "baseline"],
        ["security.noNewPrivileges", false, "baseline"],
      ],
    ],
    ["root by number", { user: "0:0", security: confined }, [["user", "0:0", "baseline"]]],
    [
      "a capability kept",
      { user: "1000", security: { ...confined, capDrop: ["NET_RAW"] } },
      [["security.capDrop", ["NET_RAW"], "baseline"]],
    ],
    ["CHOWN added back", { user: "1000", security: { ...confined, capAdd: ["CHOWN"] } }, [["security.capAdd", ["CHOWN"], "baseline"]]],
    [
      "NET_RAW added back",
      { user: "1000", security: { ...confined, capAdd: ["NET_RAW"] } },
      [["security.capAdd", ["NET_RAW"], "privileged"]],
    ],
  ])("restricted: %s", (_case, service, expected) => {
    expect(fields("restricted", service)).toEqual(expected);
  });

  test("baseline refuses only capabilities outside its set; privileged refuses nothing", () => {
    expect(fields("baseline", {})).toEqual([]);
    expect(fields("baseline", { security: { capAdd: ["CHOWN", "SYS_CHROOT"] } })).toEqual([]);
    // The fix is written with the field as the user's file names it.
    const violations = podSecurityViolations("baseline", { security: { capAdd: ["NET_RAW", "CHOWN"] } });
    expect(violations.map((violation) => ({ ...violation, fix: violation.fix("services.web.cap_add") }))).toEqual([
      {
        field: "security.capAdd",
        value: ["CHOWN", "NET_RAW"],
        refused: "that adds a capability outside the baseline set (NET_RAW)",
        fix: "remove NET_RAW from services.web.cap_add",
        admittedBy: "privileged",
      },
    ]);
    expect(fields("privileged", { user: "0", security: { capAdd: ["NET_RAW"] } })).toEqual([]);
  });
});

describe("registerOutputs: exactly the public fields", () => {
  /** What a component registered as its outputs, captured from its registerOutputs call. */
  function registeredOutputs(construct: () => pulumi.ComponentResource): { component: pulumi.ComponentResource; outputs: object } {
    const prototype = pulumi.ComponentResource.prototype as unknown as { registerOutputs(outputs?: object): void };
    const spy = jest.spyOn(prototype, "registerOutputs");
    try {
      const component = construct();
      const index = spy.mock.contexts.indexOf(component);
      expect(index).toBeGreaterThanOrEqual(0);
      return { component, outputs: spy.mock.calls[index][0] as object };
    } finally {
      spy.mockRestore();
    }
  }

  /** A component's own fields less Pulumi's bookkeeping (`urn` and the `__` fields). */
  const publicFields = (component: object): string[] =>
    Object.keys(component)
      .filter((key) => key !== "urn" && !key.startsWith("__"))
      .sort();

  test.each<[string, () => pulumi.ComponentResource, string[]]>([
    ["Deployment", () => new Deployment("db", db()), ["cpuRequest", "deploymentName", "serviceName"]],
    [
      "NetworkPolicies",
      () => new NetworkPolicies("voting", { identity, namespace: "staging", networks: { backend: ["db", "vote"] } }),
      ["descriptions"],
    ],
  ])("%s", async (_component, construct, fields) => {
    const { component, outputs } = registeredOutputs(construct);
    await settle();
    expect(Object.keys(outputs).sort()).toEqual(fields);
    expect(publicFields(component)).toEqual(fields);
    for (const field of fields) {
      expect((outputs as Record<string, unknown>)[field]).toBe((component as unknown as Record<string, unknown>)[field]);
    }
  });

  test("the Kubernetes objects are reachable from TypeScript, not fields (the cross-language schema holds names only)", async () => {
    const deployment = new Deployment("db", db());
    const policies = new NetworkPolicies("voting", { identity, namespace: "staging", networks: { backend: ["db", "vote"] } });
    await settle();
    expect(deployment.service).toBeInstanceOf(k8s.core.v1.Service);
    expect(Object.keys(deployment.claims)).toEqual(["db-data"]);
    expect(Object.keys(policies.policies).sort()).toEqual([
      "voting-default-deny",
      "voting-default-deny-egress",
      "voting-dns",
      "voting-network-backend",
    ]);
  });
});

describe("shared defaults and errors", () => {
  test("health timings default to HEALTH_DEFAULTS, the same numbers as on Docker", async () => {
    expect(HEALTH_DEFAULTS).toEqual({ intervalSeconds: 10, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 10 });
    await build("worker", { ...worker(), health: { command: ["healthcheck"] } });
    expect(container("worker").readinessProbe).toEqual({
      exec: { command: ["healthcheck"] },
      periodSeconds: HEALTH_DEFAULTS.intervalSeconds,
      timeoutSeconds: HEALTH_DEFAULTS.timeoutSeconds,
      successThreshold: 1,
      failureThreshold: HEALTH_DEFAULTS.retries,
    });
  });

  test("errors, unit errors included, are the ValidationError the k8s module exports", () => {
    for (const patch of [{ memory: "1k" }, { replicas: -1 }]) {
      expect(() => new Deployment("vote", { ...vote(), ...patch })).toThrow(ValidationError);
    }
  });
});

/** [case, construct, exact message] */
type Case = [string, () => unknown, string];

/** The message a construction throws (exactly, not a substring match as toThrow does). */
function messageOf(construct: () => unknown): string {
  try {
    construct();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("nothing was thrown");
}

const deploymentCases: Array<[string, string, Partial<DeploymentArgs>, string]> = [
  [
    "name not a DNS label",
    "Vote_1",
    {},
    'Deployment "Vote_1": name must be a DNS label (lowercase letters, digits and -, starting with a letter, at most 63), got "Vote_1"',
  ],
  [
    "instance not a label value",
    "vote",
    { identity: { app: "voting", instance: "" } },
    'Deployment "vote": instance must be a label value (1-63 letters, digits, - _ . starting and ending with a letter or digit), got ""',
  ],
  [
    "app not a label value",
    "vote",
    { identity: { app: "-voting", instance: "x" } },
    'Deployment "vote": app must be a label value (1-63 letters, digits, - _ . starting and ending with a letter or digit), got "-voting"',
  ],
  ["empty image", "vote", { image: "" }, 'Deployment "vote": image must be an image reference like redis:7.4, got ""'],
  ["negative replicas", "vote", { replicas: -1 }, 'Deployment "vote": replicas must be a whole number of 0 or more, got -1'],
  ["fractional replicas", "vote", { replicas: 1.5 }, 'Deployment "vote": replicas must be a whole number of 0 or more, got 1.5'],
  [
    "two single writers",
    "vote",
    { singleWriter: true, replicas: 2 },
    'Deployment "vote": replicas must be 0 or 1 for a single-writer service, got 2',
  ],
  [
    "autoscaled single writer",
    "vote",
    { singleWriter: true, replicas: 1, autoscaled: true },
    'Deployment "vote": a single-writer service cannot be autoscaled (it never runs two pods)',
  ],
  [
    "bad maxSurge",
    "vote",
    { maxSurge: "lots" },
    'Deployment "vote": maxSurge must be a whole number of pods like "1" or a percentage like "25%", got "lots"',
  ],
  [
    "bad maxUnavailable",
    "vote",
    { maxUnavailable: "-1" },
    'Deployment "vote": maxUnavailable must be a whole number of pods like "1" or a percentage like "25%", got "-1"',
  ],
  [
    "rolling update that cannot progress",
    "vote",
    { maxSurge: "0", maxUnavailable: "0%" },
    'Deployment "vote": maxSurge and maxUnavailable cannot both be 0: a rolling update could never make progress',
  ],
  [
    "a rollout timeout that is not a whole number of seconds",
    "vote",
    { rolloutTimeoutSeconds: 0.5 },
    'Deployment "vote": rolloutTimeoutSeconds must be a whole number of seconds of 1 or more, got 0.5',
  ],
  [
    "unknown service type",
    "vote",
    { serviceType: "ExternalName" as DeploymentArgs["serviceType"] },
    'Deployment "vote": serviceType must be one of ClusterIP, NodePort, LoadBalancer, got "ExternalName"',
  ],
  ["zero cpus", "vote", { cpus: 0 }, 'Deployment "vote": cpus must be a number of CPUs greater than 0, like 0.5 or 2, got 0'],
  ["cpus finer than 1m", "vote", { cpus: 0.0005 }, 'Deployment "vote": cpus must be a multiple of 0.001 CPU, got 0.0005'],
  [
    "bad memory",
    "vote",
    { memory: "lots" },
    'Deployment "vote": memory must be a size like "100m", "1g" or "512Mi" (units b, k, m, g, t; binary, as in docker run --memory), got "lots"',
  ],
  [
    "a CPU request above the limit",
    "vote",
    { requestCpus: 1 },
    'Deployment "vote": requestCpus must be at most the cpu limit (0.5), got 1',
  ],
  [
    "a memory request above the limit",
    "vote",
    { requestMemory: "1g" },
    'Deployment "vote": requestMemory must be at most the memory limit (128m), got "1g"',
  ],
  [
    "minReadySeconds below 0",
    "vote",
    { minReadySeconds: -5 },
    'Deployment "vote": minReadySeconds must be a whole number of 0 or more, got -5',
  ],
  [
    "a nodeSelector value with a space",
    "vote",
    { nodeSelector: { disk: "fast ssd" } },
    'Deployment "vote": nodeSelector disk=fast ssd must be a label key and value (letters, digits, - _ ., at most 63)',
  ],
  [
    "cpu request percent 0",
    "vote",
    { cpuRequestPercent: 0 },
    'Deployment "vote": cpuRequestPercent must be a whole percent 1-100 of the cpu limit, got 0',
  ],
  [
    "port name uppercase",
    "vote",
    { ports: [{ name: "HTTP", containerPort: 80 }] },
    'Deployment "vote": port name must be 1-15 lowercase letters, digits and - with at least one letter, got "HTTP"',
  ],
  [
    "port name twice",
    "vote",
    {
      ports: [
        { name: "http", containerPort: 80 },
        { name: "http", containerPort: 81 },
      ],
    },
    'Deployment "vote": port name "http" is used twice',
  ],
  [
    "container port out of range",
    "vote",
    { ports: [{ name: "http", containerPort: 70000 }] },
    'Deployment "vote": port "http": containerPort must be 1-65535, got 70000',
  ],
  [
    "service port out of range",
    "vote",
    { ports: [{ name: "http", containerPort: 80, servicePort: 0 }] },
    'Deployment "vote": port "http": servicePort must be 1-65535, got 0',
  ],
  [
    "container port twice",
    "vote",
    {
      ports: [
        { name: "a", containerPort: 80 },
        { name: "b", containerPort: 80 },
      ],
    },
    'Deployment "vote": container port 80/tcp is declared twice',
  ],
  ["health with nothing to run", "vote", { health: { command: [] } }, 'Deployment "vote": health needs a command or an http endpoint'],
  [
    "health path relative",
    "vote",
    { health: { command: [], http: { path: "healthz", port: 80 } } },
    'Deployment "vote": health.http.path must start with /, got "healthz"',
  ],
  [
    "health port out of range",
    "vote",
    { health: { command: [], http: { path: "/", port: 0 } } },
    'Deployment "vote": health.http.port must be 1-65535, got 0',
  ],
  [
    "health interval 0",
    "vote",
    { health: { command: ["true"], intervalSeconds: 0 } },
    'Deployment "vote": health.intervalSeconds must be a whole number of 1 or more, got 0',
  ],
  [
    "health timeout fractional",
    "vote",
    { health: { command: ["true"], timeoutSeconds: 0.5 } },
    'Deployment "vote": health.timeoutSeconds must be a whole number of 1 or more, got 0.5',
  ],
  [
    "health retries 0",
    "vote",
    { health: { command: ["true"], retries: 0 } },
    'Deployment "vote": health.retries must be a whole number of 1 or more, got 0',
  ],
  [
    "negative start period",
    "vote",
    { health: { command: ["true"], startPeriodSeconds: -1 } },
    'Deployment "vote": health.startPeriodSeconds must be a whole number of 0 or more, got -1',
  ],
  [
    "claim name uppercase",
    "vote",
    { volumes: [{ claimName: "Data", mountPath: "/data" }] },
    'Deployment "vote": volume claimName must be lowercase letters, digits, - and . (at most 63), got "Data"',
  ],
  [
    "claim mounted twice",
    "vote",
    {
      volumes: [
        { claimName: "data", mountPath: "/a" },
        { claimName: "data", mountPath: "/b" },
      ],
    },
    'Deployment "vote": volume "data" is mounted twice',
  ],
  [
    "relative mount path",
    "vote",
    { volumes: [{ claimName: "data", mountPath: "data" }] },
    'Deployment "vote": volume "data": mountPath must be absolute, got "data"',
  ],
  [
    "two volumes at one path",
    "vote",
    {
      volumes: [
        { claimName: "a", mountPath: "/data" },
        { claimName: "b", mountPath: "/data" },
      ],
    },
    'Deployment "vote": two volumes are mounted at /data',
  ],
  [
    "bad volume size",
    "vote",
    { volumes: [{ claimName: "data", mountPath: "/data", size: "big" }] },
    'Deployment "vote": volume "data": size must be a storage size like "1Gi", "512Mi" or "10g" (units b, k, m, g, t; binary), got "big"',
  ],
  [
    "bad env name",
    "vote",
    { env: { "1PORT": "80" } },
    'Deployment "vote": env name must be letters, digits, _ - . not starting with a digit, got "1PORT"',
  ],
  [
    "env plain and secret",
    "vote",
    { env: { PASSWORD: "x" }, secretEnv: { PASSWORD: { secretName: "s", key: "value" } } },
    'Deployment "vote": env PASSWORD is given both plain and secret',
  ],
  [
    "bad secret key",
    "vote",
    { secretEnv: { PASSWORD: { secretName: "s", key: "a/b" } } },
    'Deployment "vote": secretEnv PASSWORD: key must be letters, digits, - _ ., got "a/b"',
  ],
  [
    "network name with a space",
    "vote",
    { networks: ["front end"] },
    'Deployment "vote": network name must fit a label name "dockyard.dev/network-<network>" (letters, digits, - _ ., at most 55 characters), got "front end"',
  ],
  [
    "user by name",
    "vote",
    { user: "postgres" },
    'Deployment "vote": user must be a numeric uid or uid:gid on Kubernetes (runAsUser/runAsGroup take numbers), got "postgres"',
  ],
  [
    "disruption budget of 0",
    "vote",
    { disruptionBudget: 0 },
    'Deployment "vote": disruptionBudget must be a whole number of pods of 1 or more, got 0',
  ],
  [
    "fractional disruption budget",
    "vote",
    { disruptionBudget: 1.5 },
    'Deployment "vote": disruptionBudget must be a whole number of pods of 1 or more, got 1.5',
  ],
  [
    "ephemeral storage not a size",
    "vote",
    { ephemeralStorage: "lots" },
    'Deployment "vote": ephemeralStorage must be a storage size like "1Gi", "512Mi" or "10g" (units b, k, m, g, t; binary), got "lots"',
  ],
  [
    "ephemeral storage request above the limit",
    "vote",
    { ephemeralStorage: "512Mi", requestEphemeralStorage: "1g" },
    'Deployment "vote": requestEphemeralStorage must be at most ephemeralStorage ("512Mi"), got "1g"',
  ],
  [
    "ephemeral storage request above the default limit",
    "vote",
    { requestEphemeralStorage: "2Gi" },
    'Deployment "vote": requestEphemeralStorage must be at most ephemeralStorage ("1Gi"), got "2Gi"',
  ],
];

const autoscaler = (patch: Partial<AutoscalerArgs>): AutoscalerArgs => ({
  identity,
  namespace: "prod",
  deploymentName: "vote",
  minReplicas: 3,
  maxReplicas: 10,
  targetCpuPercent: 70,
  cpuRequest: "250m",
  ...patch,
});
const secretArgs = (patch: Partial<KubernetesSecretArgs>): KubernetesSecretArgs => ({
  identity,
  namespace: "staging",
  secretName: "voting-db-password",
  values: { value: "x" },
  ...patch,
});
const registryArgs = (patch: Partial<RegistrySecretArgs>): RegistrySecretArgs => ({
  identity,
  namespace: "staging",
  secretName: "voting-registry",
  server: "registry.internal:5000",
  username: "ci",
  password: "p",
  ...patch,
});
const policyArgs = (patch: Partial<NetworkPoliciesArgs>): NetworkPoliciesArgs => ({
  identity,
  namespace: "staging",
  networks: { backend: ["db"] },
  ...patch,
});

const otherCases: Case[] = [
  [
    "autoscaler without a cpu request",
    () => new Autoscaler("vote", autoscaler({ cpuRequest: undefined })),
    'Autoscaler "vote": the target\'s containers need a cpu request: cpu utilisation is a percent of the request (set cpus on the service)',
  ],
  [
    "autoscaler name",
    () => new Autoscaler("Vote", autoscaler({})),
    'Autoscaler "Vote": name must be a DNS label (lowercase letters, digits and -, starting with a letter, at most 63), got "Vote"',
  ],
  [
    "autoscaler min 0",
    () => new Autoscaler("vote", autoscaler({ minReplicas: 0 })),
    'Autoscaler "vote": minReplicas must be a whole number of 1 or more, got 0',
  ],
  [
    "autoscaler max below min",
    () => new Autoscaler("vote", autoscaler({ maxReplicas: 2 })),
    'Autoscaler "vote": maxReplicas must be a whole number of at least minReplicas (3), got 2',
  ],
  [
    "autoscaler target over 100",
    () => new Autoscaler("vote", autoscaler({ targetCpuPercent: 150 })),
    'Autoscaler "vote": targetCpuPercent must be a whole percent 1-100, got 150',
  ],
  [
    "autoscaler scale-down window over an hour",
    () => new Autoscaler("vote", autoscaler({ scaleDownStabilizationSeconds: 3601 })),
    'Autoscaler "vote": scaleDownStabilizationSeconds must be a whole number of seconds from 0 to 3600, got 3601',
  ],
  [
    "autoscaler scale-up window negative",
    () => new Autoscaler("vote", autoscaler({ scaleUpStabilizationSeconds: -1 })),
    'Autoscaler "vote": scaleUpStabilizationSeconds must be a whole number of seconds from 0 to 3600, got -1',
  ],
  [
    "autoscaler scale-up window not whole",
    () => new Autoscaler("vote", autoscaler({ scaleUpStabilizationSeconds: 1.5 })),
    'Autoscaler "vote": scaleUpStabilizationSeconds must be a whole number of seconds from 0 to 3600, got 1.5',
  ],
  [
    "autoscaler scale-up pods 0",
    () => new Autoscaler("vote", autoscaler({ scaleUpPods: 0 })),
    'Autoscaler "vote": scaleUpPods must be a whole number from 1 to 2147483647, got 0',
  ],
  [
    "autoscaler scale-down percent not whole",
    () => new Autoscaler("vote", autoscaler({ scaleDownPercent: 12.5 })),
    'Autoscaler "vote": scaleDownPercent must be a whole number from 1 to 2147483647, got 12.5',
  ],
  [
    "autoscaler scale-up percent over the API's int32",
    () => new Autoscaler("vote", autoscaler({ scaleUpPercent: 2147483648 })),
    'Autoscaler "vote": scaleUpPercent must be a whole number from 1 to 2147483647, got 2147483648',
  ],
  [
    "autoscaler scale-down period over half an hour",
    () => new Autoscaler("vote", autoscaler({ scaleDownPods: 1, scaleDownPeriodSeconds: 1801 })),
    'Autoscaler "vote": scaleDownPeriodSeconds must be a whole number of seconds from 1 to 1800, got 1801',
  ],
  [
    "autoscaler scale-up period 0",
    () => new Autoscaler("vote", autoscaler({ scaleUpPercent: 100, scaleUpPeriodSeconds: 0 })),
    'Autoscaler "vote": scaleUpPeriodSeconds must be a whole number of seconds from 1 to 1800, got 0',
  ],
  [
    "autoscaler scale-down period without pods or percent",
    () => new Autoscaler("vote", autoscaler({ scaleDownPeriodSeconds: 60 })),
    'Autoscaler "vote": scaleDownPeriodSeconds is the period of scaleDownPods and scaleDownPercent: set one of them too (with neither, Kubernetes\' own policies apply: 100 percent per 15 s), got 60',
  ],
  [
    "autoscaler memory target over 100",
    () => new Autoscaler("vote", autoscaler({ targetMemoryPercent: 101, memoryRequest: "128Mi" })),
    'Autoscaler "vote": targetMemoryPercent must be a whole percent 1-100, got 101',
  ],
  [
    "autoscaler memory target without a memory request",
    () => new Autoscaler("vote", autoscaler({ targetMemoryPercent: 80 })),
    'Autoscaler "vote": targetMemoryPercent 80 needs a memory request on the target\'s containers: memory utilisation is a percent of the request (set memoryRequest; on a service, limits.memory or reservations.memory), or leave targetMemoryPercent unset to scale by CPU alone',
  ],
  [
    "autoscaler identity",
    () => new Autoscaler("vote", autoscaler({ identity: { app: "voting", instance: "a b" } })),
    'Autoscaler "vote": instance must be a label value (1-63 letters, digits, - _ . starting and ending with a letter or digit), got "a b"',
  ],
  [
    "secret name",
    () => new KubernetesSecret("s", secretArgs({ secretName: "Db_Password" })),
    'Secret "s": secretName must be lowercase letters, digits, - and ., got "Db_Password"',
  ],
  ["secret without values", () => new KubernetesSecret("s", secretArgs({ values: {} })), 'Secret "s": values must have at least one key'],
  [
    "secret key",
    () => new KubernetesSecret("s", secretArgs({ values: { "a b": "x" } })),
    'Secret "s": key must be letters, digits, - _ ., got "a b"',
  ],
  [
    "secret identity",
    () => new KubernetesSecret("s", secretArgs({ identity: { app: "", instance: "x" } })),
    'Secret "s": app must be a label value (1-63 letters, digits, - _ . starting and ending with a letter or digit), got ""',
  ],
  [
    "registry secret name",
    () => new RegistrySecret("r", registryArgs({ secretName: "Registry" })),
    'RegistrySecret "r": secretName must be lowercase letters, digits, - and ., got "Registry"',
  ],
  [
    "registry server with a scheme",
    () => new RegistrySecret("r", registryArgs({ server: "https://registry.internal" })),
    'RegistrySecret "r": server must be a registry host[:port] like registry.example.com, got "https://registry.internal"',
  ],
  [
    "registry without user",
    () => new RegistrySecret("r", registryArgs({ username: "" })),
    'RegistrySecret "r": username must not be empty (a registry without login needs no pull secret)',
  ],
  [
    "registry identity",
    () => new RegistrySecret("r", registryArgs({ identity: { app: "voting", instance: "-" } })),
    'RegistrySecret "r": instance must be a label value (1-63 letters, digits, - _ . starting and ending with a letter or digit), got "-"',
  ],
  [
    "policy network name",
    () => new NetworkPolicies("voting", policyArgs({ networks: { "back end": ["db"] } })),
    'NetworkPolicies "voting": network name must fit a label name "dockyard.dev/network-<network>" (letters, digits, - _ ., at most 55 characters), got "back end"',
  ],
  [
    "policy member name",
    () => new NetworkPolicies("voting", policyArgs({ networks: { backend: ["DB"] } })),
    'NetworkPolicies "voting": network "backend": service name must be a DNS label, got "DB"',
  ],
  [
    "policy published service name",
    () => new NetworkPolicies("voting", policyArgs({ published: { Vote: [{ port: 80 }] } })),
    'NetworkPolicies "voting": published service name must be a DNS label, got "Vote"',
  ],
  [
    "policy published port",
    () => new NetworkPolicies("voting", policyArgs({ published: { vote: [{ port: 0 }] } })),
    'NetworkPolicies "voting": service "vote": published port must be 1-65535, got 0',
  ],
  [
    "policy app port's service name",
    () => new NetworkPolicies("voting", policyArgs({ ports: { "db 1": [{ port: 5432 }] } })),
    'NetworkPolicies "voting": ports service name must be a DNS label, got "db 1"',
  ],
  [
    "policy app port",
    () => new NetworkPolicies("voting", policyArgs({ ports: { db: [{ port: 70000 }] } })),
    'NetworkPolicies "voting": service "db": app port must be 1-65535, got 70000',
  ],
  [
    "policy dns namespace",
    () => new NetworkPolicies("voting", policyArgs({ dns: { namespace: "Kube-System", podLabels: { "k8s-app": "kube-dns" }, port: 53 } })),
    'NetworkPolicies "voting": dns.namespace must be an RFC 1123 label: lowercase letters, digits and -, starting and ending with a letter or digit, at most 63 characters, got "Kube-System"',
  ],
  [
    "policy dns pods unselected",
    () => new NetworkPolicies("voting", policyArgs({ dns: { namespace: "kube-system", podLabels: {}, port: 53 } })),
    'NetworkPolicies "voting": dns.podLabels must select the DNS pods by at least one label, got {}',
  ],
  [
    "policy dns port",
    () => new NetworkPolicies("voting", policyArgs({ dns: { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, port: 0 } })),
    'NetworkPolicies "voting": dns.port must be 1-65535, got 0',
  ],
  [
    "policy identity",
    () => new NetworkPolicies("voting", policyArgs({ identity: { app: "voting", instance: "" } })),
    'NetworkPolicies "voting": instance must be a label value (1-63 letters, digits, - _ . starting and ending with a letter or digit), got ""',
  ],
];

describe("validation: exact message, nothing registered", () => {
  test.each(deploymentCases)("Deployment: %s", async (_case, name, patch, message) => {
    expect(messageOf(() => new Deployment(name, { ...vote(), ...patch }))).toBe(message);
    await settle();
    expect(recorded).toEqual([]);
  });

  test.each(otherCases)("%s", async (_case, construct, message) => {
    expect(messageOf(construct)).toBe(message);
    await settle();
    expect(recorded).toEqual([]);
  });
});
