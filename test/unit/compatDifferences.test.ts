/**
 * The compat suite's check of intended differences (test/e2e/compat/differences.ts): a listed
 * difference is taken out only where both sides hold exactly the listed values, and a preview step
 * passes only when every input it changes is listed for its type and kind of step.
 */
import * as fs from "fs";
import * as path from "path";
import {
  applyRenames,
  Difference,
  enginePath,
  loadDifferences,
  loadRenames,
  Registration,
  takeOutAdded,
  takeOutIntended,
  unexpectedSteps,
} from "../e2e/compat/differences";

const SKIP_AWAIT: Difference = {
  type: "kubernetes:core/v1:Service",
  path: ["metadata", "annotations", "pulumi.com/skipAwait"],
  baseline: null,
  now: "true",
  upgrade: "update",
  why: "test",
};
const IMAGE: Difference = {
  type: "docker:index/container:Container",
  path: ["image"],
  baseline: null,
  now: null,
  upgrade: "replace",
  why: "test",
};

const service = (name: string, annotations?: Record<string, string>): Registration => ({
  type: SKIP_AWAIT.type,
  name,
  inputs: { metadata: { name, ...(annotations ? { annotations } : {}) }, spec: { type: "ClusterIP" } },
});

describe("registrations: listed differences taken out", () => {
  test("an added annotation is taken out of now, with the object it leaves empty, so both sides match", () => {
    const baseline = [service("db"), service("vote")];
    const now = [service("db", { "pulumi.com/skipAwait": "true" }), service("vote")];
    expect(takeOutIntended(baseline, now, [SKIP_AWAIT])).toEqual([1]);
    expect(now).toEqual(baseline);
    expect(now[0].inputs).toEqual({ metadata: { name: "db" }, spec: { type: "ClusterIP" } });
  });

  test("another value, another annotation beside it, or another type stays a difference", () => {
    const baseline = [service("db"), service("redis"), { ...service("vote"), type: "kubernetes:apps/v1:Deployment" }];
    const now = [
      service("db", { "pulumi.com/skipAwait": "false" }),
      service("redis", { "pulumi.com/skipAwait": "true", owner: "me" }),
      { ...service("vote", { "pulumi.com/skipAwait": "true" }), type: "kubernetes:apps/v1:Deployment" },
    ];
    expect(takeOutIntended(baseline, now, [SKIP_AWAIT])).toEqual([1]);
    expect(now[0].inputs.metadata).toEqual({ name: "db", annotations: { "pulumi.com/skipAwait": "false" } });
    // Only the listed key goes: the rest of redis's annotations still differ.
    expect(now[1].inputs.metadata).toEqual({ name: "redis", annotations: { owner: "me" } });
    expect(now[2].inputs.metadata).toEqual({ name: "vote", annotations: { "pulumi.com/skipAwait": "true" } });
  });

  test("a difference that only shows at deploy (both null) takes nothing out of the registrations", () => {
    const container = (image: string): Registration => ({ type: IMAGE.type, name: "vote", inputs: { image } });
    const now = [container("sha256:b")];
    expect(takeOutIntended([container("sha256:a")], now, [IMAGE])).toEqual([0]);
    expect(now[0].inputs.image).toBe("sha256:b");
  });
});

describe("preview: only listed changes pass", () => {
  const urn = (type: string, name: string) => `urn:pulumi:compat::dockyard::dockyard:docker:App$${type}::${name}`;

  test("engine paths: dotted names, quoted keys with dots or slashes", () => {
    expect(enginePath(SKIP_AWAIT.path)).toBe('metadata.annotations["pulumi.com/skipAwait"]');
    expect(enginePath(["build", "builderVersion"])).toBe("build.builderVersion");
  });

  test("a listed update, at the path or at an object above it, passes; unchanged steps pass", () => {
    const steps = [
      { op: "same", urn: urn("docker:index/network:Network", "backend") },
      { op: "update", urn: urn(SKIP_AWAIT.type, "db"), detailedDiff: { 'metadata.annotations["pulumi.com/skipAwait"]': { kind: "add" } } },
      { op: "update", urn: urn(SKIP_AWAIT.type, "redis"), detailedDiff: { "metadata.annotations": { kind: "add" } } },
    ];
    expect(unexpectedSteps(steps, [SKIP_AWAIT])).toEqual([]);
  });

  test("an unlisted input, a listed input with the wrong kind of step, or a step naming nothing fails", () => {
    const steps = [
      { op: "update", urn: urn(SKIP_AWAIT.type, "db"), detailedDiff: { "metadata.annotations": {}, "spec.ports": {} } },
      { op: "replace", urn: urn(SKIP_AWAIT.type, "vote"), detailedDiff: { "metadata.annotations": {} } },
      { op: "update", urn: urn(IMAGE.type, "vote"), detailedDiff: { image: {} } },
      { op: "delete", urn: urn(IMAGE.type, "worker") },
    ];
    expect(unexpectedSteps(steps, [SKIP_AWAIT, IMAGE])).toEqual([
      `update ${urn(SKIP_AWAIT.type, "db")}: spec.ports`,
      `replace ${urn(SKIP_AWAIT.type, "vote")}: metadata.annotations`,
      `update ${urn(IMAGE.type, "vote")}: image`,
      `delete ${urn(IMAGE.type, "worker")}: no changed input named`,
    ]);
  });

  test("a listed replacement passes with its phases, named by replaceReasons when there is no detailed diff", () => {
    const vote = urn(IMAGE.type, "vote");
    const steps = [
      { op: "delete-replaced", urn: vote },
      { op: "replace", urn: vote, replaceReasons: ["image"], diffReasons: ["image"] },
      { op: "create-replacement", urn: vote },
    ];
    expect(unexpectedSteps(steps, [IMAGE])).toEqual([]);
    // A phase without its replace step is not excused.
    expect(unexpectedSteps([{ op: "create-replacement", urn: vote }], [IMAGE])).toEqual([
      `create-replacement ${vote}: no changed input named`,
    ]);
  });

  test("the list itself: every entry's type, path, values, kind of upgrade and reason, exactly", () => {
    expect(loadDifferences().slice(0, 3)).toEqual([
      {
        type: "docker:index/image:Image",
        path: ["build", "builderVersion"],
        baseline: "BuilderV1",
        now: "BuilderBuildKit",
        upgrade: "update",
        why: "BuildKit, Docker's own default builder, leaves no intermediate containers behind; the classic builder as the provider drives it kept one stopped container per build step. imageBuilder: BuilderV1 keeps the old builder and changes nothing.",
      },
      {
        type: "docker:index/container:Container",
        path: ["image"],
        baseline: null,
        now: null,
        upgrade: "replace",
        why: "The containers of built images (vote, result, worker) run the image BuildKit built, whose id differs: each is replaced once (deleted, then created: a container name is unique on an engine), a few seconds without that service. The stores' containers and every volume stay.",
      },
      {
        type: "kubernetes:core/v1:Service",
        path: ["metadata", "annotations", "pulumi.com/skipAwait"],
        baseline: null,
        now: "true",
        upgrade: "update",
        why: "ClusterIP and NodePort Services no longer wait for their endpoints, which the Deployments' own wait for Ready pods already proves; the endpoints lagged them by up to 11 s and set the converge time. An annotation, updated in place.",
      },
    ]);
  });

  test("an entry with anyValue takes out any two different values; an added type takes out only what the baseline has no counterpart of", () => {
    const reg = (type: string, name: string, inputs: Record<string, unknown>) => ({ type, name, inputs });
    const baseline = [reg("t:A", "a", { x: 1, y: 1 }), reg("t:P", "old", {})];
    const now = [reg("t:A", "a", { x: 2, y: 2 }), reg("t:P", "old", {}), reg("t:P", "new", {})];
    const counts = takeOutIntended(baseline, now, [
      { type: "t:A", path: ["x"], baseline: null, now: null, anyValue: true, upgrade: "update", why: "" },
      { type: "t:A", path: ["y"], baseline: null, now: null, upgrade: "update", why: "" },
    ]);
    expect(counts).toEqual([1, 0]);
    expect(now[0].inputs).toEqual({ y: 2 });
    expect(takeOutAdded(baseline, now, [{ type: "t:P", why: "" }])).toEqual([1]);
    expect(now.map((r) => r.name)).toEqual(["a", "old"]);
  });

  test("the hardening's entries: each input's value before and after, the kind of upgrade, and one reason per input", () => {
    const hardening = loadDifferences().slice(3);
    expect(hardening.map((d) => [d.type, d.path.join("/"), d.baseline, d.now, d.upgrade])).toEqual([
      ["docker:index/container:Container", "capabilities", null, { adds: [], drops: ["ALL"] }, "replace"],
      ["docker:index/container:Container", "securityOpts", null, ["no-new-privileges:true"], "replace"],
      ["docker:index/container:Container", "user", null, "999:999", "replace"],
      ["docker:index/container:Container", "readOnly", null, true, "replace"],
      ["docker:index/container:Container", "tmpfs", null, { "/tmp": "rw,noexec,nosuid,size=65536k" }, "replace"],
      ["docker:index/container:Container", "user", null, "1000:1000", "replace"],
      ["docker:index/container:Container", "user", null, "10001:10001", "replace"],
      [
        "kubernetes:apps/v1:Deployment",
        "spec/template/spec/securityContext",
        null,
        { fsGroup: 999, runAsGroup: 999, runAsUser: 999, seccompProfile: { type: "RuntimeDefault" } },
        "update",
      ],
      [
        "kubernetes:apps/v1:Deployment",
        "spec/template/spec/containers/0/securityContext",
        null,
        { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true },
        "update",
      ],
      [
        "kubernetes:apps/v1:Deployment",
        "spec/template/spec/containers/0/securityContext",
        null,
        { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true, runAsNonRoot: true },
        "update",
      ],
      [
        "kubernetes:apps/v1:Deployment",
        "spec/template/spec/containers/0/volumeMounts",
        [{ mountPath: "/data", name: "redis-data", readOnly: false }],
        [
          { mountPath: "/data", name: "redis-data", readOnly: false },
          { mountPath: "/tmp", name: "tmpfs-1" },
        ],
        "update",
      ],
      [
        "kubernetes:apps/v1:Deployment",
        "spec/template/spec/volumes",
        [{ name: "redis-data", persistentVolumeClaim: { claimName: "redis-data" } }],
        [
          { name: "redis-data", persistentVolumeClaim: { claimName: "redis-data" } },
          { emptyDir: { medium: "Memory", sizeLimit: "64Mi" }, name: "tmpfs-1" },
        ],
        "update",
      ],
      [
        "kubernetes:apps/v1:Deployment",
        "spec/template/spec/securityContext",
        null,
        { fsGroup: 1000, runAsGroup: 1000, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
        "update",
      ],
      [
        "kubernetes:apps/v1:Deployment",
        "spec/template/spec/securityContext",
        null,
        { fsGroup: 10001, runAsGroup: 10001, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
        "update",
      ],
      [
        "kubernetes:apps/v1:Deployment",
        "spec/template/spec/containers/0/volumeMounts",
        null,
        [{ mountPath: "/tmp", name: "tmpfs-1" }],
        "update",
      ],
      [
        "kubernetes:apps/v1:Deployment",
        "spec/template/spec/volumes",
        null,
        [{ emptyDir: { medium: "Memory", sizeLimit: "64Mi" }, name: "tmpfs-1" }],
        "update",
      ],
      ...["enforce", "enforce-version", "audit", "audit-version", "warn", "warn-version"].map((label) => [
        "kubernetes:core/v1:Namespace",
        `metadata/labels/pod-security.kubernetes.io/${label}`,
        null,
        { enforce: "restricted", "enforce-version": "v1.34" }[label] ?? (label.endsWith("-version") ? "latest" : "restricted"),
        "update",
      ]),
      ["kubernetes:networking.k8s.io/v1:NetworkPolicy", "spec/policyTypes", ["Ingress"], ["Ingress", "Egress"], "update"],
      ["kubernetes:networking.k8s.io/v1:NetworkPolicy", "spec/egress", null, null, "update"],
      ["kubernetes:apps/v1:Deployment", "spec/template/spec/containers", null, null, "update"],
      ["kubernetes:apps/v1:Deployment", "spec/template/spec/volumes", null, null, "update"],
      ["kubernetes:apps/v1:Deployment", "spec/template/spec/affinity", null, null, "update"],
      // The read-only db, worker and result of the e2e stage, their password through a secrets volume.
      [
        "docker:index/container:Container",
        "tmpfs",
        null,
        { "/tmp": "rw,noexec,nosuid,size=65536k", "/var/run/postgresql": "rw,noexec,nosuid,size=65536k" },
        "replace",
      ],
      ["docker:index/container:Container", "volumes", null, null, "replace"],
      ["docker:index/container:Container", "labels", null, null, "replace"],
      [
        "docker:index/container:Container",
        "uploads",
        {
          "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
          value: [{ content: "compat-db-password", file: "/run/secrets/db-password", permissions: "0444" }],
        },
        null,
        "replace",
      ],
      ["docker:index/network:Network", "ipamConfigs/0/gateway", null, null, "replace"],
      ["kubernetes:apps/v1:Deployment", "metadata/annotations/pulumi.com/patchForce", null, "true", "update"],
      [
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "spec/behavior",
        null,
        { scaleDown: { stabilizationWindowSeconds: 300 }, scaleUp: { stabilizationWindowSeconds: 0 } },
        "update",
      ],
    ]);
    const reasons = new Map<string, string[]>();
    for (const d of hardening) reasons.set(d.why, [...new Set([...(reasons.get(d.why) ?? []), d.path.join("/")])].sort());
    expect([...reasons]).toEqual([
      [
        "Hardened by default (CIS Docker Benchmark 5.3): the voting app's containers keep no Linux capability; none of them needs one (each runs as its own user, listens above 1024 and changes no file's owner). Docker replaces each container once, a few seconds without that service; volumes and data stay.",
        ["capabilities"],
      ],
      [
        "No process in the containers gains privileges through setuid binaries or file capabilities (no-new-privileges, CIS 5.25). Part of the same replacement as the dropped capabilities.",
        ["securityOpts"],
      ],
      [
        "Each service runs as its own numeric non-root user (CIS 4.1): redis and postgres as the images' own user 999 (their entrypoints then skip the chown and switch they did as root; the data volumes are already that user's), the node apps as 1000, vote as 10001. Part of the same replacement.",
        ["user"],
      ],
      [
        "vote and redis write nothing into their root filesystem, so it is read-only (CIS 5.12): a compromised process cannot change the service's own files. Part of the same replacement.",
        ["readOnly"],
      ],
      [
        "The writable /tmp that a read-only root filesystem leaves vote and redis: in memory, 64 MiB, no executables. Part of the same replacement.",
        ["tmpfs"],
      ],
      [
        "Pods run as the service's numeric user and group (the group also fsGroup, so a claim that supports it is writable for it) under the runtime's default seccomp profile: what the restricted Pod Security level asks. The Deployment rolls its pods once (stores: stop first, Recreate); claims and data stay.",
        ["spec/template/spec/securityContext"],
      ],
      [
        "Containers drop every capability, cannot escalate privileges and must not run as root (vote and redis with a read-only root filesystem): with the pod's seccomp profile, the restricted Pod Security level. Part of the same rollout.",
        ["spec/template/spec/containers/0/securityContext"],
      ],
      [
        "The in-memory /tmp a read-only root filesystem leaves the container. Part of the same rollout.",
        ["spec/template/spec/containers/0/volumeMounts"],
      ],
      ["The in-memory emptyDir behind that /tmp (64 MiB). Part of the same rollout.", ["spec/template/spec/volumes"]],
      [
        "The namespace the stack creates is labelled for Pod Security Admission (dockyard:podSecurity, restricted by default): the API server refuses any pod of it that the level forbids. An update of the Namespace's labels; its contents stay.",
        [
          "metadata/labels/pod-security.kubernetes.io/audit",
          "metadata/labels/pod-security.kubernetes.io/audit-version",
          "metadata/labels/pod-security.kubernetes.io/enforce",
          "metadata/labels/pod-security.kubernetes.io/enforce-version",
          "metadata/labels/pod-security.kubernetes.io/warn",
          "metadata/labels/pod-security.kubernetes.io/warn-version",
        ],
      ],
      [
        "Each network's policy now also says where its pods may connect (the app's own edges, DNS): with the default-deny egress policy, a pod reaches only what its networks allow. An update of the policy.",
        ["spec/policyTypes"],
      ],
      ["The egress rules of each network's policy (its members, DNS), one per network: an update of the policy.", ["spec/egress"]],
      [
        "Every container gets ephemeral-storage requests and limits, a liveness probe distinct from its readiness probe, and (where its service writes them) in-memory folders for a read-only root: the pod template changes, so each Deployment rolls its pods once (a rolling update; the single-writer stores recreate theirs), with no replacement of the Deployment.",
        ["spec/template/spec/containers"],
      ],
      [
        "The in-memory folders (emptyDir, medium Memory) that a read-only root needs for the paths the service writes: the pod template changes, so each Deployment rolls its pods once (a rolling update; the single-writer stores recreate theirs), with no replacement of the Deployment.",
        ["spec/template/spec/volumes"],
      ],
      [
        "A replicated service's pods prefer different nodes (podAntiAffinity by hostname), so one node's loss leaves the others serving: the pod template changes, so each Deployment rolls its pods once (a rolling update; the single-writer stores recreate theirs), with no replacement of the Deployment.",
        ["spec/template/spec/affinity"],
      ],
      [
        "On the e2e stage (Pulumi.e2e.yaml) db, worker and result have a read-only root filesystem too (CIS 5.12); their password file, which the provider can only upload into a writable root, now comes from a volume <container>-secrets that a never-started holder container fills, mounted read-only at /run/secrets. postgres writes its socket and lock file into /var/run/postgresql, in memory as /tmp. Docker replaces the db container once, a few seconds without it; its data volume stays.",
        ["tmpfs"],
      ],
      [
        "On the e2e stage (Pulumi.e2e.yaml) db, worker and result have a read-only root filesystem too (CIS 5.12); their password file, which the provider can only upload into a writable root, now comes from a volume <container>-secrets that a never-started holder container fills, mounted read-only at /run/secrets. The secrets volume is one more mount of db, worker and result (each its own volume name, so any value). Part of the same replacement.",
        ["volumes"],
      ],
      [
        "On the e2e stage (Pulumi.e2e.yaml) db, worker and result have a read-only root filesystem too (CIS 5.12); their password file, which the provider can only upload into a writable root, now comes from a volume <container>-secrets that a never-started holder container fills, mounted read-only at /run/secrets. Each of them carries dockyard.secrets-holder, its holder's container id, so a new password (a new holder) replaces the container that reads it at start. Part of the same replacement.",
        ["labels"],
      ],
      [
        "The read-only db, worker and result of the e2e stage upload their password file no more (the holder container does, into the secrets volume): the uploads input, a secret, leaves them. The baseline value is the compat suite's test password as the mocks record a secret. Part of the same replacement.",
        ["uploads"],
      ],
      [
        "A new bridge network without an ipRange is given the gateway Docker itself picks (the subnet's first host), which the engine writes into the network only when it restarts: otherwise the first up after an engine restart read that gateway back and replaced the network and every container on it. Registered so under mocks, where the engine has no network; on a real engine a network of that name already there keeps the gateway it records (none, for a network made before), so the upgrade replaces no network.",
        ["ipamConfigs/0/gateway"],
      ],
      [
        "dockyard up refreshes first on Kubernetes and puts back what was changed by hand: the annotation lets its server-side apply take back a field another field manager took (kubectl scale's replicas). An annotation of the Deployment, updated in place: the pods do not roll.",
        ["metadata/annotations/pulumi.com/patchForce"],
      ],
      [
        "The autoscaler's stabilization windows are written out (services.<name>.autoscaling.scaleUpStabilizationSeconds and scaleDownStabilizationSeconds; unset, Kubernetes' own 0 and 300 s), so what applies is in the object and a stage can shorten the scale-down wait. The values are the API server's defaults: an update of the HorizontalPodAutoscaler in place that changes nothing it does; the Deployment and its pods are untouched.",
        ["spec/behavior"],
      ],
    ]);
  });
});

describe("renamed component types", () => {
  test("the baseline's types and parents are read under the tokens now, other tokens untouched", () => {
    const renames = { "dockyard:docker:Container": "dockyard:index:Container" };
    const baseline: Registration[] = [
      {
        type: "dockyard:docker:Container",
        name: "vote-1",
        inputs: {},
        options: { parent: "urn:pulumi:compat::dockyard::dockyard:docker:App::voting" },
      },
      {
        type: "docker:index/container:Container",
        name: "vote-1",
        inputs: {},
        options: { parent: "urn:pulumi:compat::dockyard::dockyard:docker:App$dockyard:docker:Container::vote-1" },
      },
    ];
    expect(applyRenames(baseline, renames)).toBe(2);
    expect(baseline.map((r) => [r.type, (r.options as { parent: string }).parent])).toEqual([
      ["docker:index/container:Container", "urn:pulumi:compat::dockyard::dockyard:docker:App$dockyard:index:Container::vote-1"],
      ["dockyard:index:Container", "urn:pulumi:compat::dockyard::dockyard:docker:App::voting"],
    ]);
  });

  test("every renamed token is one a component now registers, with its former token as an alias", () => {
    const sources = ["docker/container", "docker/image", "docker/network", "docker/volume", "k8s/deployment", "k8s/networkPolicies"]
      .concat(["k8s/autoscaler", "k8s/secret", "k8s/registrySecret", "swarm/service", "swarm/secret"])
      .map((file) => fs.readFileSync(path.join(__dirname, "..", "..", "components", `${file}.ts`), "utf8"))
      .join("\n");
    for (const [former, now] of Object.entries(loadRenames())) {
      expect(sources).toContain(`super("${now}", name, {}, formerTypes(opts, "${former}"))`);
    }
    expect(Object.keys(loadRenames())).toHaveLength(11);
  });
});
