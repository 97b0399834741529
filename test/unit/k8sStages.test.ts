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

const PASSWORD = "stage-s3cret";

async function runStage(stack: string): Promise<ProgramExports> {
  // Stack files are not read under mocks; the password is set with --secret, so it is not in the file.
  return runProgram(stageProgramConfig(stack, PASSWORD), stack);
}

const replicas = () => Object.fromEntries(byType(DEPLOYMENT).map((d) => [d.name, d.inputs.spec.replicas]));
const serviceTypes = () => Object.fromEntries(byType(SERVICE).map((s) => [s.name, s.inputs.spec.type]));
const claims = () => byType(PVC).map((c) => [c.inputs.metadata.name, c.inputs.spec.resources.requests.storage, c.options.retainOnDelete]);
const limits = (service: string) => find(DEPLOYMENT, service).inputs.spec.template.spec.containers[0].resources;

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
    expect(limits("db")).toEqual({ limits: { cpu: "2", memory: "1Gi" }, requests: { cpu: "1", memory: "1Gi" } });
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
