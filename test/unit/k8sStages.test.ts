/** Pulumi.staging.yaml and Pulumi.prod.yaml through the whole program (index.ts) under mocks. */
import { CONFIG_KEYS } from "../../stacks/config";
import { byType, find, recorded, valueOf, withoutSecrets } from "./mocks";
import { ProgramExports, runProgram } from "./program";
import { stageFile, stageProgramConfig } from "./stage";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
const IMAGE = "docker:index/image:Image";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

const PASSWORD = "stage-s3cret";

async function runStage(stack: string): Promise<ProgramExports> {
  // Stack files are not read under mocks; the password is set with --secret, so it is not in the file.
  return runProgram(stageProgramConfig(stack, PASSWORD), stack);
}

const replicas = () => Object.fromEntries(byType(DEPLOYMENT).map((d) => [d.name, d.inputs.spec.replicas]));
const serviceTypes = () => Object.fromEntries(byType(SERVICE).map((s) => [s.name, s.inputs.spec.type]));
const claims = () => byType(PVC).map((c) => [c.inputs.metadata.name, c.inputs.spec.resources.requests.storage, c.options.retainOnDelete]);
const limits = (service: string) => find(DEPLOYMENT, service).inputs.spec.template.spec.containers[0].resources;
/** Each disruption budget: the service it selects and how many of its pods may be down at once. */
const budgets = () =>
  byType(PDB).map((b) => [b.name, b.inputs.spec.selector.matchLabels["app.kubernetes.io/name"], b.inputs.spec.maxUnavailable]);
/** Each service's container: read-only root, its in-memory paths. */
const roots = () =>
  Object.fromEntries(
    byType(DEPLOYMENT).map((d) => {
      const spec = d.inputs.spec.template.spec;
      return [
        d.name,
        [
          spec.containers[0].securityContext.readOnlyRootFilesystem,
          (spec.containers[0].volumeMounts ?? [])
            .filter((m: { name: string }) => m.name.startsWith("tmpfs-"))
            .map((m: { mountPath: string }) => m.mountPath),
        ],
      ];
    }),
  );
const podSecurity = () =>
  Object.fromEntries(
    Object.entries(byType(NAMESPACE)[0].inputs.metadata.labels).filter(([key]) => key.startsWith("pod-security.kubernetes.io/")),
  );
const RESTRICTED = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "v1.34",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/audit-version": "latest",
  "pod-security.kubernetes.io/warn": "restricted",
  "pod-security.kubernetes.io/warn-version": "latest",
};
/** Every container read-only, writing only to in-memory paths: postgres its socket folder too. */
const READ_ONLY = {
  db: [true, ["/tmp", "/var/run/postgresql"]],
  redis: [true, ["/tmp"]],
  result: [true, ["/tmp"]],
  vote: [true, ["/tmp"]],
  worker: [true, ["/tmp"]],
};

describe("stage files", () => {
  test.each(["staging", "prod"])("%s uses only declared dockyard: keys and holds no password", (stack) => {
    const keys = Object.keys(stageFile(stack));
    for (const key of keys) {
      expect(key).toMatch(/^dockyard:/);
      expect(Object.keys(CONFIG_KEYS)).toContain(key.slice("dockyard:".length));
    }
    expect(keys).not.toContain("dockyard:secrets");
    expect(keys).not.toContain("dockyard:registryPassword");
    expect(stageFile(stack)["dockyard:target"]).toBe("kubernetes");
  });
});

describe("staging", () => {
  let program: ProgramExports;
  beforeAll(async () => {
    program = await runStage("staging");
  });

  test("targets kubernetes in namespace staging", () => {
    expect(program.target).toBe("kubernetes");
    expect(byType(NAMESPACE).map((n) => [n.inputs.metadata.name, n.options.retainOnDelete])).toEqual([["staging", false]]);
    const namespaced = recorded.filter((r) => r.type.startsWith("kubernetes:") && r.type !== NAMESPACE);
    expect(new Set(namespaced.map((r) => r.inputs.metadata.namespace))).toEqual(new Set(["staging"]));
  });

  test("two vote pods, one of everything else, no autoscaler", () => {
    expect(replicas()).toEqual({ db: 1, redis: 1, result: 1, vote: 2, worker: 1 });
    expect(byType(HPA)).toEqual([]);
  });

  test("the namespace enforces restricted; vote's two pods have a budget of one; every root is read-only", () => {
    expect(podSecurity()).toEqual(RESTRICTED);
    expect(budgets()).toEqual([["vote", "vote", 1]]);
    expect(roots()).toEqual(READ_ONLY);
  });

  test("seven NetworkPolicies: ingress and egress denied, DNS, two networks, two published services", () => {
    expect(byType(POLICY).map((p) => [p.inputs.metadata.name, p.inputs.spec.policyTypes])).toEqual([
      ["voting-default-deny", ["Ingress"]],
      ["voting-default-deny-egress", ["Egress"]],
      ["voting-dns", ["Egress"]],
      ["voting-network-backend", ["Ingress", "Egress"]],
      ["voting-network-frontend", ["Ingress", "Egress"]],
      ["voting-result-published", ["Ingress"]],
      ["voting-vote-published", ["Ingress"]],
    ]);
  });

  test("images are pushed to the local registry", () => {
    expect(byType(IMAGE).map((i) => [i.inputs.imageName, i.inputs.skipPush])).toEqual([
      ["localhost:5000/voting-result:v1", false],
      ["localhost:5000/voting-vote:v1", false],
      ["localhost:5000/voting-worker:v1", false],
    ]);
  });

  test("data claims are not retained; everything is ClusterIP", () => {
    expect(claims()).toEqual([
      ["db-data", "1Gi", false],
      ["redis-data", "256Mi", false],
    ]);
    expect(serviceTypes()).toEqual({ db: "ClusterIP", redis: "ClusterIP", result: "ClusterIP", vote: "ClusterIP" });
    expect(program.urls).toEqual({
      result: "http://result.staging.svc.cluster.local:5001",
      vote: "http://vote.staging.svc.cluster.local:5000",
    });
  });

  test("the password is not in plain text anywhere", () => {
    expect(JSON.stringify(withoutSecrets(recorded.map((r) => r.inputs)))).not.toContain(PASSWORD);
  });
});

describe("prod", () => {
  let program: ProgramExports;
  beforeAll(async () => {
    program = await runStage("prod");
  });

  test("targets kubernetes in namespace prod, kept on destroy with its data", () => {
    expect(program.target).toBe("kubernetes");
    expect(byType(NAMESPACE).map((n) => [n.inputs.metadata.name, n.options.retainOnDelete])).toEqual([["prod", true]]);
    expect(claims()).toEqual([
      ["db-data", "10Gi", true],
      ["redis-data", "256Mi", true],
    ]);
  });

  test("vote autoscales between 3 and 10 pods at 70% cpu; its replicas are the autoscaler's", () => {
    expect(
      byType(HPA).map((h) => [h.name, h.inputs.spec.scaleTargetRef.name, h.inputs.spec.minReplicas, h.inputs.spec.maxReplicas]),
    ).toEqual([["vote", "vote", 3, 10]]);
    expect(find(HPA, "vote").inputs.spec.metrics).toEqual([
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
    ]);
    expect(replicas()).toEqual({ db: 1, redis: 1, result: 2, vote: undefined, worker: 2 });
  });

  test("db has the larger limits", () => {
    expect(limits("db")).toEqual({
      limits: { cpu: "2", memory: "1Gi", "ephemeral-storage": "1Gi" },
      requests: { cpu: "1", memory: "1Gi", "ephemeral-storage": "64Mi" },
    });
  });

  test("the namespace enforces restricted; vote, result and worker each have a budget of one pod; every root is read-only", () => {
    expect(podSecurity()).toEqual(RESTRICTED);
    expect(budgets()).toEqual([
      ["result", "result", 1],
      ["vote", "vote", 1],
      ["worker", "worker", 1],
    ]);
    expect(roots()).toEqual(READ_ONLY);
  });

  test("images carry the pinned release tag", () => {
    expect(byType(IMAGE).map((i) => i.inputs.imageName)).toEqual([
      "localhost:5000/voting-result:v1.0.0",
      "localhost:5000/voting-vote:v1.0.0",
      "localhost:5000/voting-worker:v1.0.0",
    ]);
  });

  test("vote and result are LoadBalancers; db and redis stay inside", async () => {
    expect(serviceTypes()).toEqual({ db: "ClusterIP", redis: "ClusterIP", result: "LoadBalancer", vote: "LoadBalancer" });
    // No address under mocks: the load balancer is still pending.
    expect(await valueOf(program.urls.vote)).toBe("http://<pending>:5000");
  });

  test("the password is not in plain text anywhere", () => {
    expect(JSON.stringify(withoutSecrets(recorded.map((r) => r.inputs)))).not.toContain(PASSWORD);
  });
});
