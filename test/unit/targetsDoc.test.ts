/**
 * docs/targets.md's capability matrix (tools/docs/targets.ts): the part between its markers is the one
 * the planners give today, every setting has a sample, and the cells say exactly what each planner
 * does with the sample (honoured, ignored with its warning's why, refused with its error's).
 */
import * as fs from "fs";
import { Target } from "../../stacks/config";
import {
  BEGIN,
  CapabilityRow,
  capabilityRows,
  coveredSettings,
  END,
  matrixText,
  SAMPLES,
  TARGETS_DOC,
  targetsDoc,
} from "../../tools/docs/targets";

let rows: CapabilityRow[];
beforeAll(() => {
  rows = capabilityRows();
});

/** The verdicts of the row for a stack config path (and sample value, where a path has two rows). */
function cells(path: string, value?: unknown): Record<Target, string> {
  const matching = rows.filter(
    ({ sample }) => sample.path === path && (value === undefined || JSON.stringify(sample.value) === JSON.stringify(value)),
  );
  expect(matching).toHaveLength(1);
  return matching[0].verdicts;
}

describe("docs/targets.md's capability matrix", () => {
  test("is the one tools/docs/targets.ts computes from the planners (npm run docs rewrites it)", () => {
    const current = fs.readFileSync(TARGETS_DOC, "utf8");
    const begin = current.indexOf(BEGIN);
    const end = current.indexOf(END);
    expect([begin >= 0, end > begin]).toEqual([true, true]);
    expect(current.slice(begin, end + END.length)).toBe(matrixText(rows));
  });

  test("targetsDoc replaces only the part between the markers", () => {
    const doc = `# Targets\n\nprose before\n\n${BEGIN}\n| stale |\n${END}\n\nprose after\n`;
    expect(targetsDoc(doc, rows)).toBe(`# Targets\n\nprose before\n\n${matrixText(rows)}\n\nprose after\n`);
    expect(() => targetsDoc("# Targets\n", rows)).toThrow(`docs/targets.md has no lines ${BEGIN} ... ${END}`);
  });

  test("the settings covered: every field of the settings objects given in part, and each key of some targets only", () => {
    expect(coveredSettings()).toEqual([
      "services.replicas",
      "services.ports",
      "services.limits.cpus",
      "services.limits.memory",
      "services.autoscaling",
      "services.image",
      "services.rollout.parallelism",
      "services.rollout.delaySeconds",
      "services.rollout.order",
      "services.rollout.monitorSeconds",
      "services.rollout.maxFailureRatio",
      "services.rollout.failureAction",
      "services.rollout.rollback.parallelism",
      "services.rollout.rollback.delaySeconds",
      "services.rollout.rollback.order",
      "services.rollout.rollback.monitorSeconds",
      "services.rollout.rollback.maxFailureRatio",
      "services.rollout.rollback.failureAction",
      "services.reservations.cpus",
      "services.reservations.memory",
      "services.placement.constraints",
      "services.placement.maxReplicasPerNode",
      "services.restart.condition",
      "services.restart.delaySeconds",
      "services.restart.maxAttempts",
      "services.restart.windowSeconds",
      "services.stopGracePeriodSeconds",
      "services.security.capDrop",
      "services.security.capAdd",
      "services.security.noNewPrivileges",
      "services.security.readOnlyRootFilesystem",
      "services.security.tmpfs",
      "services.endpointMode",
      "networks.subnet",
      "networks.gateway",
      "networks.ipRange",
      "volumes.size",
      "volumes.retain",
      "bindAddress",
      "allowPublicSubnets",
      "kubeconfig",
      "kubeContext",
      "namespace",
      "serviceType",
      "storageClass",
      "podSecurity",
      "rolloutTimeout",
      "swarmEndpointMode",
      "swarmNodes",
      "swarmDataNode",
    ]);
  });

  test("a setting without a sample, or a sample of no setting, stops the generator", () => {
    const withoutEndpointMode = SAMPLES.filter((sample) => sample.path !== "services.worker.endpointMode");
    expect(() => capabilityRows(withoutEndpointMode)).toThrow("tools/docs/targets.ts SAMPLES: no sample for services.endpointMode");
    expect(() => capabilityRows([...SAMPLES, { path: "services.worker.restart.delay", value: 1 }])).toThrow(
      "tools/docs/targets.ts SAMPLES: services.worker.restart.delay is no setting",
    );
  });
});

describe("cells, as the planners give them", () => {
  test.each([
    [
      "services.worker.autoscaling",
      undefined,
      { docker: "refused: a Docker engine has no autoscaler", swarm: "refused: a swarm has no autoscaler", kubernetes: "honoured" },
    ],
    [
      "services.worker.restart.delaySeconds",
      undefined,
      {
        docker: "ignored: Docker waits 100 ms before a restart, doubling each time",
        swarm: "honoured",
        kubernetes: "ignored: a Deployment's pods always restart, with the kubelet's growing back-off (10 s doubling to 5 min)",
      },
    ],
    // Docker maps the restart condition: honoured per field where the policy as a whole is not.
    [
      "services.worker.restart.condition",
      undefined,
      {
        docker: "honoured",
        swarm: "honoured",
        kubernetes: "ignored: a Deployment's pods always restart, with the kubelet's growing back-off (10 s doubling to 5 min)",
      },
    ],
    [
      "services.worker.limits.memory",
      "100500k",
      { docker: 'refused: must be a whole number of MiB on Docker, got "100500k" (98.145 MiB)', swarm: "honoured", kubernetes: "honoured" },
    ],
    [
      "services.worker.placement.constraints",
      ["node.role == worker"],
      {
        docker: "ignored: one engine runs every container",
        swarm: "honoured",
        kubernetes:
          "ignored: only node.labels.<name>, node.hostname and node.platform.os with == become a nodeSelector; the pods may run on any node",
      },
    ],
    [
      "networks.frontend.subnet",
      undefined,
      {
        docker: "honoured",
        swarm: "honoured",
        kubernetes: "ignored: pods take addresses from the cluster's pod network; the app network becomes a NetworkPolicy",
      },
    ],
    [
      "volumes.db-data.size",
      undefined,
      {
        docker: "ignored: a local Docker volume has no size; it grows on the engine's disk",
        swarm: "ignored: a local Docker volume has no size; it grows on the node's disk",
        kubernetes: "honoured",
      },
    ],
    [
      "bindAddress",
      "10.0.0.5",
      {
        docker: "honoured",
        swarm: "refused: a swarm publishes a port on every interface of the node, with no host address to bind",
        kubernetes: "refused: it applies to targets docker and swarm only",
      },
    ],
    [
      "podSecurity",
      "privileged",
      {
        docker: "refused: it applies to target kubernetes only",
        swarm: "refused: it applies to target kubernetes only",
        kubernetes: "honoured",
      },
    ],
    [
      "rolloutTimeout",
      undefined,
      { docker: "refused: it applies to targets kubernetes and swarm only", swarm: "honoured", kubernetes: "honoured" },
    ],
  ])("%s", (path, value, expected) => {
    expect(cells(path, value)).toEqual(expected);
  });

  test("a refusal that names another setting is the sample's mistake, not a cell: the generator stops", () => {
    // 300 workers do not fit the backend network's /24: Docker refuses the subnet, which the sample did not set.
    expect(() => capabilityRows([...SAMPLES, { path: "services.worker.replicas", value: 300 }])).toThrow(
      'tools/docs/targets.ts: services.worker.replicas is refused on docker for another setting: app "voting": networks.backend.subnet 10.123.2.0/24 has room for',
    );
  });
});
