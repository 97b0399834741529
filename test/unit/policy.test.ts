/** Each policy of the pack (policy/policies.ts) on its own, on fake resource inputs: passing, failing, exact messages. */
import * as docker from "@pulumi/docker";
import * as fs from "fs";
import { runPolicies, UNKNOWN } from "../../policy/local";
import { ENGINE_SOCKETS, HOST_TREES } from "../../stacks/resolve";
import {
  allowedRegistries,
  boundedRestarts,
  capabilitiesDropped,
  containerLimits,
  dataRetained,
  defaultDeny,
  distinctSubnets,
  hostMounts,
  hostPorts,
  imagesPinned,
  known,
  noNewPrivileges,
  nonRoot,
  noPrivilege,
  noSecretLiterals,
  parseImageReference,
  podSecurityLabels,
  Policy,
  privateSubnets,
  readinessProbes,
  readOnlyRoot,
  replicas,
  seccomp,
  sensitiveHostPath,
} from "../../policy/policies";
import { BEGIN, END, POLICY_DOC, policyDoc, policyTable } from "../../tools/docs/policy";

type Props = Record<string, unknown>;

/** The messages a resource policy reports for one resource, run as the engine runs it (policy/local.ts). */
function check(policy: Policy, type: string, name: string, props: Props, config: object = {}, protect = false): string[] {
  const resource = { type, name, urn: `urn:pulumi:test::p::${type}::${name}`, props, opts: { protect } };
  return runPolicies([resource], { [policy.name]: { ...config } }, [policy]).map((violation) => violation.message);
}

/** The [urn, message] pairs a stack policy reports. */
function checkStack(policy: Policy, resources: Array<[string, string, Props]>, config: object = {}): Array<[string | undefined, string]> {
  const stack = resources.map(([type, name, props]) => ({ type, name, urn: `urn:${name}`, props, opts: { protect: false } }));
  return runPolicies(stack, { [policy.name]: { ...config } }, [policy]).map((violation) => [violation.urn, violation.message]);
}

const CONTAINER = "docker:index/container:Container";
const REMOTE = "docker:index/remoteImage:RemoteImage";
const IMAGE = "docker:index/image:Image";
const NETWORK = "docker:index/network:Network";
const VOLUME = "docker:index/volume:Volume";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const CLAIM = "kubernetes:core/v1:PersistentVolumeClaim";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";

const LABELS = { app: "web" };
/** A Deployment's inputs with one container. */
function deployment(container: Props, extra: { replicas?: number; spec?: Props; labels?: Props; namespace?: string } = {}): Props {
  return {
    metadata: { name: "web", namespace: extra.namespace ?? "ns" },
    spec: {
      replicas: extra.replicas,
      template: { metadata: { labels: extra.labels ?? LABELS }, spec: { containers: [{ name: "web", ...container }], ...extra.spec } },
    },
  };
}
const LIMITS = { resources: { limits: { cpu: "500m", memory: "128Mi" } } };

describe("parseImageReference", () => {
  test.each([
    ["redis", { registry: "docker.io", repository: "redis", tag: undefined, digest: undefined }],
    ["redis:7.4", { registry: "docker.io", repository: "redis", tag: "7.4", digest: undefined }],
    ["library/redis@sha256:abc", { registry: "docker.io", repository: "library/redis", tag: undefined, digest: "sha256:abc" }],
    ["localhost:5000/voting-vote:v1", { registry: "localhost:5000", repository: "voting-vote", tag: "v1", digest: undefined }],
    ["ghcr.io/org/app:1@sha256:abc", { registry: "ghcr.io", repository: "org/app", tag: "1", digest: "sha256:abc" }],
    ["index.docker.io/library/redis:7", { registry: "docker.io", repository: "library/redis", tag: "7", digest: undefined }],
    ["dockyard-local/redis:7", { registry: "docker.io", repository: "dockyard-local/redis", tag: "7", digest: undefined }],
  ])("%s", (reference, expected) => {
    expect(parseImageReference(reference)).toEqual(expected);
  });
});

describe("images-pinned", () => {
  test("a version tag, a digest and a local image id pass", () => {
    expect(check(imagesPinned, REMOTE, "redis-image", { name: "redis:7.4" })).toEqual([]);
    expect(check(imagesPinned, REMOTE, "redis-image", { name: "redis@sha256:0123" })).toEqual([]);
    expect(check(imagesPinned, CONTAINER, "redis-1", { image: "sha256:redis-image-id" })).toEqual([]);
    expect(check(imagesPinned, DEPLOYMENT, "web", deployment({ image: "localhost:5000/web@sha256:abc" }))).toEqual([]);
  });

  test("latest and no tag fail, naming the property and the fix", () => {
    expect(check(imagesPinned, REMOTE, "redis-image", { name: "redis:latest" })).toEqual([
      `${REMOTE} "redis-image": name "redis:latest" uses the tag latest, which changes under you; pin it to a version tag (redis:<version>) or a digest (@sha256:...)`,
    ]);
    expect(check(imagesPinned, DEPLOYMENT, "web", deployment({ image: "localhost:5000/web" }))).toEqual([
      `${DEPLOYMENT} "web": spec.template.spec.containers[0].image "localhost:5000/web" has no tag, so it means latest, which changes under you; pin it to a version tag (localhost:5000/web:<version>) or a digest (@sha256:...)`,
    ]);
  });

  test("a build's base images (build args ending in _IMAGE) and its name are checked", () => {
    expect(
      check(imagesPinned, IMAGE, "vote", {
        imageName: "vote:latest",
        skipPush: true,
        build: { args: { PYTHON_IMAGE: "python", PORT: "80" } },
      }),
    ).toEqual([
      `${IMAGE} "vote": imageName "vote:latest" uses the tag latest, which changes under you; pin it to a version tag (vote:<version>) or a digest (@sha256:...)`,
      `${IMAGE} "vote": build.args.PYTHON_IMAGE "python" has no tag, so it means latest, which changes under you; pin it to a version tag (python:<version>) or a digest (@sha256:...)`,
    ]);
  });

  test("a value not known yet (a preview's computed image) is skipped", () => {
    expect(check(imagesPinned, CONTAINER, "vote-1", { image: UNKNOWN })).toEqual([]);
    expect(check(imagesPinned, DEPLOYMENT, "web", deployment({ image: UNKNOWN }))).toEqual([]);
    expect(() => known(() => JSON.parse("{"))).toThrow(SyntaxError);
  });
});

describe("allowed-registries", () => {
  test("images from the default docker.io pass; a pushed image's registry is checked, a local build's is not", () => {
    expect(check(allowedRegistries, REMOTE, "redis-image", { name: "redis:7.4" })).toEqual([]);
    expect(check(allowedRegistries, IMAGE, "vote", { imageName: "vote:dev", skipPush: true })).toEqual([]);
    expect(check(allowedRegistries, IMAGE, "vote", { imageName: "localhost:5000/vote:v1", skipPush: false })).toEqual([
      `${IMAGE} "vote": imageName "localhost:5000/vote:v1" comes from registry localhost:5000, which is not allowed (allowed: docker.io); use an image from an allowed registry, or add localhost:5000 to this policy's registries`,
    ]);
  });

  test("the allow-list is configurable", () => {
    const config = { registries: ["localhost:5000"] };
    expect(check(allowedRegistries, IMAGE, "vote", { imageName: "localhost:5000/vote:v1", skipPush: false }, config)).toEqual([]);
    expect(check(allowedRegistries, DEPLOYMENT, "web", deployment({ image: "redis:7" }), config)).toEqual([
      `${DEPLOYMENT} "web": spec.template.spec.containers[0].image "redis:7" comes from registry docker.io, which is not allowed (allowed: localhost:5000); use an image from an allowed registry, or add docker.io to this policy's registries`,
    ]);
    expect(check(allowedRegistries, REMOTE, "x", { name: "redis:7" }, { registries: [] })).toEqual([
      `${REMOTE} "x": name "redis:7" comes from registry docker.io, which is not allowed (allowed: none); use an image from an allowed registry, or add docker.io to this policy's registries`,
    ]);
  });
});

describe("container-limits", () => {
  test("a Docker container with memory and cpus passes; without, each is named", () => {
    expect(check(containerLimits, CONTAINER, "vote-1", { memory: 128, cpus: "0.5" })).toEqual([]);
    expect(check(containerLimits, CONTAINER, "vote-1", { memory: 0 })).toEqual([
      `${CONTAINER} "vote-1": memory is 0, so the container is unlimited; set a memory limit in MiB (docker run --memory; dockyard: limits.memory "128m")`,
      `${CONTAINER} "vote-1": cpus is not set, so the container is unlimited; set a cpu limit (docker run --cpus; dockyard: limits.cpus 0.5)`,
    ]);
  });

  test("every pod container needs both limits", () => {
    expect(check(containerLimits, DEPLOYMENT, "web", deployment(LIMITS))).toEqual([]);
    expect(
      check(containerLimits, DEPLOYMENT, "web", deployment({ resources: { limits: { cpu: "1" }, requests: { memory: "1Gi" } } })),
    ).toEqual([
      `${DEPLOYMENT} "web": spec.template.spec.containers[0].resources.limits.memory is not set; set a memory limit ("128Mi") so one pod cannot starve the node`,
    ]);
    expect(check(containerLimits, DEPLOYMENT, "web", deployment(LIMITS, { spec: { initContainers: [{ name: "init" }] } }))).toEqual([
      `${DEPLOYMENT} "web": spec.template.spec.initContainers[0].resources.limits.cpu is not set; set a cpu limit ("500m") so one pod cannot starve the node`,
      `${DEPLOYMENT} "web": spec.template.spec.initContainers[0].resources.limits.memory is not set; set a memory limit ("128Mi") so one pod cannot starve the node`,
    ]);
  });
});

describe("no-privilege", () => {
  test("a plain container passes", () => {
    expect(check(noPrivilege, CONTAINER, "vote-1", { privileged: false, networkMode: "bridge" })).toEqual([]);
    expect(check(noPrivilege, DEPLOYMENT, "web", deployment({}))).toEqual([]);
  });

  test("privileged, host network, host PID and added capabilities on Docker", () => {
    expect(
      check(
        noPrivilege,
        CONTAINER,
        "vote-1",
        { privileged: true, networkMode: "host", pidMode: "host", capabilities: { adds: ["NET_ADMIN", "CAP_CHOWN"] } },
        { allowedCapabilities: ["CHOWN"] },
      ),
    ).toEqual([
      `${CONTAINER} "vote-1": privileged is true, which gives the container every device and capability of the host; remove it`,
      `${CONTAINER} "vote-1": networkMode is "host", which shares the host's network namespace; remove it`,
      `${CONTAINER} "vote-1": pidMode is "host", which shares the host's process namespace; remove it`,
      `${CONTAINER} "vote-1": capabilities.adds adds NET_ADMIN, beyond the allowed capabilities (CHOWN); drop them, or add them to this policy's allowedCapabilities`,
    ]);
  });

  test("the same on Kubernetes", () => {
    const props = deployment(
      { securityContext: { privileged: true, capabilities: { add: ["NET_BIND_SERVICE", "SYS_ADMIN"] } } },
      { spec: { hostNetwork: true, hostPID: true } },
    );
    expect(check(noPrivilege, DEPLOYMENT, "web", props, { allowedCapabilities: ["NET_BIND_SERVICE"] })).toEqual([
      `${DEPLOYMENT} "web": spec.template.spec.hostNetwork is true, which shares the node's network namespace; remove it`,
      `${DEPLOYMENT} "web": spec.template.spec.hostPID is true, which shares the node's process namespace; remove it`,
      `${DEPLOYMENT} "web": spec.template.spec.containers[0].securityContext.privileged is true, which gives the container every device and capability of the node; remove it`,
      `${DEPLOYMENT} "web": spec.template.spec.containers[0].securityContext.capabilities.add adds SYS_ADMIN, beyond the allowed capabilities (NET_BIND_SERVICE); drop them, or add them to this policy's allowedCapabilities`,
    ]);
  });
});

describe("host-ports", () => {
  const config = { bindAddress: "127.0.0.1", publishers: ["vote", "result"] };
  const port = (ip?: string, external: number | undefined = 5000) => ({ ports: [{ internal: 80, external, ip, protocol: "tcp" }] });
  const service = (name: string) => ({ labels: [{ label: "dockyard.service", value: name }], name: `voting-dev-${name}-1` });

  test("a publisher on the configured address passes; no ports pass", () => {
    expect(check(hostPorts, CONTAINER, "vote-1", { ...service("vote"), ...port("127.0.0.1") }, config)).toEqual([]);
    expect(check(hostPorts, CONTAINER, "redis-1", { ...service("redis"), ports: [] }, config)).toEqual([]);
    expect(check(hostPorts, CONTAINER, "web", { name: "web", ...port("127.0.0.1") })).toEqual([]);
  });

  test("another address, or every interface, fails; every interface passes when allowed", () => {
    expect(check(hostPorts, CONTAINER, "vote-1", { ...service("vote"), ...port("192.168.1.5") }, config)).toEqual([
      `${CONTAINER} "vote-1": ports[0].ip is "192.168.1.5", not the configured bind address 127.0.0.1; bind it to 127.0.0.1 (dockyard: bindAddress)`,
    ]);
    expect(check(hostPorts, CONTAINER, "vote-1", { ...service("vote"), ...port(undefined) }, config)).toEqual([
      `${CONTAINER} "vote-1": ports[0].ip is "0.0.0.0" (every interface), not the configured bind address 127.0.0.1; bind it to 127.0.0.1 (dockyard: bindAddress), or set this policy's allowAllInterfaces`,
    ]);
    expect(
      check(hostPorts, CONTAINER, "vote-1", { ...service("vote"), ...port("0.0.0.0") }, { ...config, allowAllInterfaces: true }),
    ).toEqual([]);
  });

  test("a service that is not a publisher may not bind a host port (the published Redis)", () => {
    expect(check(hostPorts, CONTAINER, "redis-1", { ...service("redis"), ...port("0.0.0.0", 6379) }, config)).toEqual([
      `${CONTAINER} "redis-1": ports[0] publishes container port 80 on host port 6379 of 0.0.0.0, but redis is not one of the publishers (vote, result); remove the published port (reach it over the container network), or add the service to publishers`,
    ]);
  });

  test("a port without a host port is bound on a random one", () => {
    expect(check(hostPorts, CONTAINER, "vote-1", { ...service("vote"), ports: [{ internal: 80, ip: "127.0.0.1" }] }, config)).toEqual([
      `${CONTAINER} "vote-1": ports[0].external is not set, so Docker picks a random host port; set the host port to publish on`,
    ]);
  });

  test("Kubernetes: LoadBalancer and NodePort Services only for publishers; no hostPort", () => {
    expect(check(hostPorts, SERVICE, "vote", { metadata: { name: "vote" }, spec: { type: "LoadBalancer" } }, config)).toEqual([]);
    expect(check(hostPorts, SERVICE, "redis", { metadata: { name: "redis" }, spec: { type: "ClusterIP" } }, config)).toEqual([]);
    expect(check(hostPorts, SERVICE, "redis", { metadata: { name: "redis" }, spec: { type: "NodePort" } }, config)).toEqual([
      `${SERVICE} "redis": spec.type is "NodePort", which publishes redis outside the cluster, but it is not one of the publishers (vote, result); make it a ClusterIP Service, or add it to publishers`,
    ]);
    expect(check(hostPorts, DEPLOYMENT, "web", deployment({ ports: [{ containerPort: 80, hostPort: 8080 }] }))).toEqual([
      `${DEPLOYMENT} "web": spec.template.spec.containers[0].ports[0].hostPort is 8080, which binds the port on every interface of the node; remove hostPort and publish through a Service`,
    ]);
  });
});

describe("private-subnets and distinct-subnets", () => {
  const network = (subnet: string) => ({ ipamConfigs: [{ subnet }] });

  test("private ranges pass", () => {
    for (const subnet of ["10.1.0.0/24", "172.16.0.0/12", "192.168.3.0/24"]) {
      expect(check(privateSubnets, NETWORK, "n", network(subnet))).toEqual([]);
    }
  });

  test("a public range (the 182.18.0.0/16 typo) fails unless allowed; a malformed one always", () => {
    expect(check(privateSubnets, NETWORK, "backend", network("182.18.0.0/16"))).toEqual([
      `${NETWORK} "backend": ipamConfigs[0].subnet 182.18.0.0/16 is a public range, whose real hosts the containers would no longer reach; use a subnet within 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, or set this policy's allowPublicSubnets`,
    ]);
    expect(check(privateSubnets, NETWORK, "n", network("172.15.0.0/16"), { allowPublicSubnets: true })).toEqual([]);
    expect(check(privateSubnets, NETWORK, "n", network("10.0.0.0/33"))).toEqual([
      `${NETWORK} "n": ipamConfigs[0].subnet "10.0.0.0/33" is not an IPv4 CIDR; use one such as 10.10.1.0/24`,
    ]);
  });

  test("overlapping subnets across the stack's networks", () => {
    expect(
      checkStack(distinctSubnets, [
        [NETWORK, "a", network("10.1.0.0/24")],
        [NETWORK, "b", network("10.1.1.0/24")],
      ]),
    ).toEqual([]);
    expect(
      checkStack(distinctSubnets, [
        [NETWORK, "a", network("10.1.0.0/16")],
        [NETWORK, "b", network("10.1.2.0/24")],
        [NETWORK, "c", network("10.1.0.0/16")],
      ]),
    ).toEqual([
      [
        "urn:b",
        `${NETWORK} "b": ipamConfigs[0].subnet 10.1.2.0/24 overlaps 10.1.0.0/16 of ${NETWORK} "a" (ipamConfigs[0].subnet); give each network a subnet of its own`,
      ],
      [
        "urn:c",
        `${NETWORK} "c": ipamConfigs[0].subnet 10.1.0.0/16 overlaps the same subnet of ${NETWORK} "a" (ipamConfigs[0].subnet); give each network a subnet of its own`,
      ],
    ]);
  });
});

describe("data-retained", () => {
  test("protected or marked volumes and claims pass", () => {
    expect(check(dataRetained, VOLUME, "db-data", {}, {}, true)).toEqual([]);
    expect(check(dataRetained, VOLUME, "db-data", { labels: [{ label: "dockyard.dev/retain", value: "true" }] })).toEqual([]);
    expect(check(dataRetained, CLAIM, "db-data", { metadata: { annotations: { "dockyard.dev/retain": "true" } } })).toEqual([]);
    expect(check(dataRetained, NETWORK, "n", {})).toEqual([]);
  });

  test("others fail", () => {
    expect(check(dataRetained, VOLUME, "db-data", { labels: [] })).toEqual([
      `${VOLUME} "db-data": neither protect is set nor labels[dockyard.dev/retain] is "true" (it is not set), so pulumi destroy deletes its data; protect it, or keep it with retainOnDelete and mark it dockyard.dev/retain: "true" (dockyard: volumes.<name>.retain)`,
    ]);
    expect(check(dataRetained, CLAIM, "db-data", { metadata: { annotations: { "dockyard.dev/retain": "yes" } } })).toEqual([
      `${CLAIM} "db-data": neither protect is set nor metadata.annotations["dockyard.dev/retain"] is "true" (it is "yes"), so pulumi destroy deletes its data; protect it, or keep it with retainOnDelete and mark it dockyard.dev/retain: "true" (dockyard: volumes.<name>.retain)`,
    ]);
  });
});

describe("no-secret-literals", () => {
  test("secretKeyRef, plain names and _FILE paths pass", () => {
    const env = [
      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "s", key: "value" } } },
      { name: "DB_PASSWORD_FILE", value: "/run/secrets/db" },
      { name: "PORT", value: "80" },
      { name: "API_TOKEN", value: "" },
    ];
    expect(check(noSecretLiterals, DEPLOYMENT, "web", deployment({ env }))).toEqual([]);
    expect(check(noSecretLiterals, CONFIGMAP, "web-env", { data: { PORT: "80" } })).toEqual([]);
  });

  test("literal values named like secrets fail, without showing the value", () => {
    const env = [
      { name: "POSTGRES_PASSWORD", value: "hunter2" },
      { name: "GITHUB_TOKEN", value: "ghp_x" },
      { name: "stripe_api_key", value: "sk" },
    ];
    expect(check(noSecretLiterals, DEPLOYMENT, "web", deployment({ env }))).toEqual([
      `${DEPLOYMENT} "web": spec.template.spec.containers[0].env[0] POSTGRES_PASSWORD has a literal value (7 characters, not shown), readable by anyone who can read the Deployment; put it in a Secret and use valueFrom.secretKeyRef, or mount it as a file`,
      `${DEPLOYMENT} "web": spec.template.spec.containers[0].env[1] GITHUB_TOKEN has a literal value (5 characters, not shown), readable by anyone who can read the Deployment; put it in a Secret and use valueFrom.secretKeyRef, or mount it as a file`,
      `${DEPLOYMENT} "web": spec.template.spec.containers[0].env[2] stripe_api_key has a literal value (2 characters, not shown), readable by anyone who can read the Deployment; put it in a Secret and use valueFrom.secretKeyRef, or mount it as a file`,
    ]);
    expect(check(noSecretLiterals, CONFIGMAP, "web-env", { data: { SESSION_SECRET: "x", PORT: "80" } })).toEqual([
      `${CONFIGMAP} "web-env": data.SESSION_SECRET holds a secret in a ConfigMap (plain text); put it in a Secret and use valueFrom.secretKeyRef`,
    ]);
    expect(check(noSecretLiterals, CONFIGMAP, "c", { data: { SIGNING_SALT: "x" } }, { secretNames: "SALT$" })).toEqual([
      `${CONFIGMAP} "c": data.SIGNING_SALT holds a secret in a ConfigMap (plain text); put it in a Secret and use valueFrom.secretKeyRef`,
    ]);
  });
});

describe("readiness-probes", () => {
  const svc: [string, string, Props] = [SERVICE, "web", { metadata: { name: "web", namespace: "ns" }, spec: { selector: LABELS } }];

  test("a Service-backed Deployment with probes passes; one without a Service needs none", () => {
    expect(
      checkStack(readinessProbes, [svc, [DEPLOYMENT, "web", deployment({ readinessProbe: { httpGet: { path: "/", port: 80 } } })]]),
    ).toEqual([]);
    expect(checkStack(readinessProbes, [[DEPLOYMENT, "worker", deployment({})]])).toEqual([]);
    expect(checkStack(readinessProbes, [svc, [DEPLOYMENT, "web", deployment({}, { namespace: "other" })]])).toEqual([]);
  });

  test("a Service-backed Deployment without a readiness probe fails", () => {
    expect(checkStack(readinessProbes, [svc, [DEPLOYMENT, "web", deployment({})]])).toEqual([
      [
        "urn:web",
        `${DEPLOYMENT} "web": spec.template.spec.containers[0].readinessProbe is not set, so Service "web" sends traffic to pods before they can serve it; add a readiness probe (dockyard: the service's health check)`,
      ],
    ]);
  });
});

describe("default-deny", () => {
  const deny = (podSelector: Props, namespace = "ns"): [string, string, Props] => [
    NETPOL,
    "deny",
    { metadata: { name: "deny", namespace }, spec: { podSelector, policyTypes: ["Ingress"], ingress: [] } },
  ];

  test("an empty or matching podSelector covers the Deployments", () => {
    expect(checkStack(defaultDeny, [deny({}), [DEPLOYMENT, "web", deployment({})]])).toEqual([]);
    expect(checkStack(defaultDeny, [deny({ matchLabels: LABELS }), [DEPLOYMENT, "web", deployment({})]])).toEqual([]);
  });

  test("a namespace without one, or a Deployment it does not select, fails", () => {
    expect(checkStack(defaultDeny, [deny({}, "other"), [DEPLOYMENT, "web", deployment({})]])).toEqual([
      [
        undefined,
        "namespace ns: no default-deny NetworkPolicy (policyTypes [Ingress], no ingress rules) for its Deployments (web); add one so only the traffic other policies allow gets in",
      ],
    ]);
    const allowing: [string, string, Props] = [
      NETPOL,
      "allow",
      { metadata: { name: "allow", namespace: "ns" }, spec: { podSelector: {}, ingress: [{}] } },
    ];
    expect(checkStack(defaultDeny, [allowing, [DEPLOYMENT, "web", deployment({})]])).toEqual([
      [
        undefined,
        "namespace ns: no default-deny NetworkPolicy (policyTypes [Ingress], no ingress rules) for its Deployments (web); add one so only the traffic other policies allow gets in",
      ],
    ]);
    expect(checkStack(defaultDeny, [deny({ matchLabels: { app: "db" } }), [DEPLOYMENT, "web", deployment({})]])).toEqual([
      [
        "urn:web",
        `${DEPLOYMENT} "web": its pods (spec.template.metadata.labels {"app":"web"}) are selected by no default-deny NetworkPolicy of namespace ns (deny); widen that policy's podSelector to select them`,
      ],
    ]);
  });
});

describe("replicas", () => {
  const published: [string, string, Props] = [
    SERVICE,
    "web",
    { metadata: { name: "web", namespace: "ns" }, spec: { type: "LoadBalancer", selector: LABELS } },
  ];
  const hpa = (minReplicas: number): [string, string, Props] => [
    HPA,
    "web",
    { metadata: { name: "web", namespace: "ns" }, spec: { minReplicas, scaleTargetRef: { kind: "Deployment", name: "web" } } },
  ];

  test("two replicas, an autoscaler from two, or an unpublished service pass", () => {
    expect(checkStack(replicas, [published, [DEPLOYMENT, "web", deployment({}, { replicas: 2 })]])).toEqual([]);
    expect(checkStack(replicas, [published, hpa(2), [DEPLOYMENT, "web", deployment({})]])).toEqual([]);
    const internal: [string, string, Props] = [
      SERVICE,
      "web",
      { metadata: { name: "web", namespace: "ns" }, spec: { type: "ClusterIP", selector: LABELS } },
    ];
    expect(checkStack(replicas, [internal, [DEPLOYMENT, "web", deployment({}, { replicas: 1 })]])).toEqual([]);
  });

  test("one replica, or an autoscaler from one, fails; the minimum is configurable", () => {
    expect(checkStack(replicas, [published, [DEPLOYMENT, "web", deployment({})]])).toEqual([
      [
        "urn:web",
        `${DEPLOYMENT} "web": spec.replicas is 1 while Service "web" publishes it; run at least 2 replicas or add a HorizontalPodAutoscaler with minReplicas 2 (dockyard: services.<name>.replicas or autoscaling)`,
      ],
    ]);
    expect(checkStack(replicas, [published, hpa(2), [DEPLOYMENT, "web", deployment({})]], { minReplicas: 3 })).toEqual([
      [
        "urn:web",
        `${HPA} "web": spec.minReplicas is 2 for Deployment "web", published by Service "web"; let it scale down to no fewer than 3 pods (dockyard: services.<name>.autoscaling.minReplicas)`,
      ],
    ]);
  });
});

/**
 * How containers are confined: each policy on a container, a swarm service and a Deployment, confined
 * (passes) and not (the exact message).
 */
describe("confinement", () => {
  const SWARM = "docker:index/service:Service";
  const NAMESPACE = "kubernetes:core/v1:Namespace";
  const label = (service: string) => [{ label: "dockyard.service", value: service }];
  /** A Docker container's inputs as the docker target registers them, confined unless `extra` says otherwise. */
  const container = (extra: Props = {}, service = "vote"): Props => ({
    name: `voting-dev-${service}-1`,
    labels: label(service),
    image: "voting-vote:dev",
    user: "10001:10001",
    readOnly: true,
    securityOpts: ["no-new-privileges:true"],
    capabilities: { drops: ["ALL"] },
    restart: "on-failure",
    maxRetryCount: 3,
    ...extra,
  });
  /** A swarm service's inputs, confined unless `spec` (the container spec's fields) or `extra` says otherwise. */
  const swarm = (spec: Props = {}, extra: Props = {}, service = "vote"): Props => ({
    name: `voting-dev-${service}`,
    labels: label(service),
    taskSpec: {
      containerSpec: { image: "voting-vote:dev", user: "10001:10001", readOnly: true, capDrops: ["ALL"], ...spec },
      restartPolicy: { condition: "on-failure", maxAttempts: 3 },
      ...extra,
    },
  });
  const CONFINED_CONTAINER = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
  };
  const POD_CONTEXT = { runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } };
  /** A Deployment's inputs, its one container confined unless the contexts are replaced (null: none). */
  const pod = (securityContext: Props | null = CONFINED_CONTAINER, podContext: Props | null = POD_CONTEXT) =>
    deployment(securityContext === null ? {} : { securityContext }, { spec: podContext === null ? {} : { securityContext: podContext } });

  test("a confined container, swarm service and Deployment pass every confinement policy", () => {
    for (const policy of [capabilitiesDropped, noNewPrivileges, nonRoot, readOnlyRoot, seccomp, hostMounts, boundedRestarts]) {
      expect([policy.name, check(policy, CONTAINER, "vote-1", container())]).toEqual([policy.name, []]);
      expect([policy.name, check(policy, SWARM, "vote", swarm())]).toEqual([policy.name, []]);
      expect([policy.name, check(policy, DEPLOYMENT, "web", pod())]).toEqual([policy.name, []]);
    }
  });

  describe("capabilities-dropped", () => {
    test("ALL dropped, in any case, passes", () => {
      expect(check(capabilitiesDropped, CONTAINER, "vote-1", container({ capabilities: { drops: ["all"], adds: ["CHOWN"] } }))).toEqual([]);
      expect(check(capabilitiesDropped, SWARM, "vote", swarm({ capDrops: ["CAP_ALL"] }))).toEqual([]);
    });

    test("capabilities kept on each target", () => {
      expect(check(capabilitiesDropped, CONTAINER, "vote-1", container({ capabilities: { drops: ["NET_RAW"] } }))).toEqual([
        `${CONTAINER} "vote-1": capabilities.drops is ["NET_RAW"], without ALL, so the container keeps capabilities of Docker's default set (CHOWN, DAC_OVERRIDE, NET_RAW, SETUID...); drop ALL and add back only what it needs (docker run --cap-drop ALL; dockyard: services.<name>.security.capDrop ["ALL"], and capAdd for what it needs; compose cap_drop: [ALL])`,
      ]);
      expect(check(capabilitiesDropped, SWARM, "vote", swarm({ capDrops: undefined }))).toEqual([
        `${SWARM} "vote": taskSpec.containerSpec.capDrops is not set, so the container keeps capabilities of Docker's default set (CHOWN, DAC_OVERRIDE, NET_RAW, SETUID...); drop ALL and add back only what it needs (docker service create --cap-drop ALL; dockyard: services.<name>.security.capDrop ["ALL"], and capAdd for what it needs; compose cap_drop: [ALL])`,
      ]);
      expect(check(capabilitiesDropped, DEPLOYMENT, "web", pod({ ...CONFINED_CONTAINER, capabilities: { add: ["CHOWN"] } }))).toEqual([
        `${DEPLOYMENT} "web": spec.template.spec.containers[0].securityContext.capabilities.drop is not set, so the container keeps capabilities of the container runtime's default set (CHOWN, DAC_OVERRIDE, NET_RAW, SETUID...); drop ALL and add back only what it needs (dockyard: services.<name>.security.capDrop ["ALL"], and capAdd for what it needs; compose cap_drop: [ALL])`,
      ]);
    });
  });

  describe("no-new-privileges", () => {
    test("Docker's three spellings and allowPrivilegeEscalation false pass; a swarm service is not checked", () => {
      for (const option of ["no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"]) {
        expect(check(noNewPrivileges, CONTAINER, "vote-1", container({ securityOpts: ["seccomp=profile.json", option] }))).toEqual([]);
      }
      expect(check(noNewPrivileges, SWARM, "vote", swarm({ privileges: undefined }))).toEqual([]);
    });

    test("not set, or set to false", () => {
      expect(check(noNewPrivileges, CONTAINER, "vote-1", container({ securityOpts: undefined }))).toEqual([
        `${CONTAINER} "vote-1": securityOpts is not set, so a process can gain privileges through a setuid binary or file capabilities; add no-new-privileges (docker run --security-opt no-new-privileges; dockyard: services.<name>.security.noNewPrivileges true; compose security_opt: [no-new-privileges:true])`,
      ]);
      expect(check(noNewPrivileges, CONTAINER, "vote-1", container({ securityOpts: ["no-new-privileges:false"] }))).toEqual([
        `${CONTAINER} "vote-1": securityOpts ["no-new-privileges:false"] does not set no-new-privileges, so a process can gain privileges through a setuid binary or file capabilities; add no-new-privileges (docker run --security-opt no-new-privileges; dockyard: services.<name>.security.noNewPrivileges true; compose security_opt: [no-new-privileges:true])`,
      ]);
      expect(check(noNewPrivileges, DEPLOYMENT, "web", pod(null))).toEqual([
        `${DEPLOYMENT} "web": spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation is not set (true by default), so a process can gain privileges through a setuid binary or file capabilities; set it to false (dockyard: services.<name>.security.noNewPrivileges true; compose security_opt: [no-new-privileges:true])`,
      ]);
    });
  });

  describe("non-root", () => {
    test("numeric users other than 0 pass; on a pod, runAsNonRoot or a runAsUser above 0, the container's or the pod's", () => {
      expect(check(nonRoot, CONTAINER, "vote-1", container({ user: "1000" }))).toEqual([]);
      expect(check(nonRoot, SWARM, "vote", swarm({ user: "999:999" }))).toEqual([]);
      expect(check(nonRoot, DEPLOYMENT, "web", pod({ runAsNonRoot: true }, {}))).toEqual([]);
      expect(check(nonRoot, DEPLOYMENT, "web", pod({}, { runAsUser: 1000 }))).toEqual([]);
    });

    test("no user, root by number or name, or a name the pack cannot check", () => {
      const fix =
        'run it as a numeric user other than 0 (docker run --user 10001:10001; dockyard: the service\'s user, "10001:10001"; compose user: "10001:10001")';
      expect(check(nonRoot, CONTAINER, "vote-1", container({ user: undefined }))).toEqual([
        `${CONTAINER} "vote-1": user is not set, so the container runs as its image's user, root unless the image says otherwise; ${fix}`,
      ]);
      expect(check(nonRoot, CONTAINER, "vote-1", container({ user: "0:0" }))).toEqual([
        `${CONTAINER} "vote-1": user is "0:0", which is root; ${fix}`,
      ]);
      expect(check(nonRoot, CONTAINER, "vote-1", container({ user: "root" }))).toEqual([
        `${CONTAINER} "vote-1": user is "root", which is root; ${fix}`,
      ]);
      expect(check(nonRoot, CONTAINER, "vote-1", container({ user: "node" }))).toEqual([
        `${CONTAINER} "vote-1": user is "node", a name, which is root or not depending on the image's /etc/passwd; ${fix}`,
      ]);
      expect(check(nonRoot, SWARM, "vote", swarm({ user: undefined }))).toEqual([
        `${SWARM} "vote": taskSpec.containerSpec.user is not set, so the container runs as its image's user, root unless the image says otherwise; run it as a numeric user other than 0 (docker service create --user 10001:10001; dockyard: the service's user, "10001:10001"; compose user: "10001:10001")`,
      ]);
    });

    test("a pod as root: nothing set, runAsUser 0 (the pod's, or the container's over the pod's)", () => {
      const fix = 'dockyard: the service\'s user, "10001:10001"; compose user: "10001:10001"';
      expect(check(nonRoot, DEPLOYMENT, "web", pod(null, null))).toEqual([
        `${DEPLOYMENT} "web": spec.template.spec.containers[0].securityContext.runAsNonRoot is not set and runAsUser is not set (nor in spec.template.spec.securityContext), so the container runs as its image's user, root unless the image says otherwise; set runAsNonRoot true and a runAsUser other than 0 (${fix})`,
      ]);
      expect(check(nonRoot, DEPLOYMENT, "web", pod({ runAsNonRoot: true }, { runAsUser: 0 }))).toEqual([
        `${DEPLOYMENT} "web": spec.template.spec.securityContext.runAsUser is 0, which is root; run it as a numeric user other than 0 (${fix})`,
      ]);
      expect(check(nonRoot, DEPLOYMENT, "web", pod({ runAsUser: 0 }, { runAsUser: 1000, runAsNonRoot: true }))).toEqual([
        `${DEPLOYMENT} "web": spec.template.spec.containers[0].securityContext.runAsUser is 0, which is root; run it as a numeric user other than 0 (${fix})`,
      ]);
    });
  });

  describe("read-only-root", () => {
    test("a writable root passes for the services of writableRoots, matched by label, name or Deployment name", () => {
      const config = { writableRoots: ["db", "result"] };
      expect(check(readOnlyRoot, CONTAINER, "db-1", container({ readOnly: undefined }, "db"), config)).toEqual([]);
      expect(check(readOnlyRoot, SWARM, "db", swarm({ readOnly: false }, {}, "db"), config)).toEqual([]);
      expect(check(readOnlyRoot, DEPLOYMENT, "result", pod(null), config)).toEqual([]);
    });

    test("a writable root on each target, naming the service to allow", () => {
      expect(check(readOnlyRoot, CONTAINER, "vote-1", container({ readOnly: undefined }), { writableRoots: ["db"] })).toEqual([
        `${CONTAINER} "vote-1": readOnly is not set, so the container's processes can write to its root filesystem (and change its programs); make it read-only with the paths it writes as tmpfs or volumes (docker run --read-only --tmpfs /tmp; dockyard: services.<name>.security.readOnlyRootFilesystem true and .tmpfs ["/tmp"]; compose read_only: true, tmpfs: [/tmp]), or add "vote" to this policy's writableRoots`,
      ]);
      expect(check(readOnlyRoot, SWARM, "vote", swarm({ readOnly: false }))).toEqual([
        `${SWARM} "vote": taskSpec.containerSpec.readOnly is false, so the container's processes can write to its root filesystem (and change its programs); make it read-only with the paths it writes as tmpfs or volumes (docker service create --read-only; dockyard: services.<name>.security.readOnlyRootFilesystem true and .tmpfs ["/tmp"]; compose read_only: true, tmpfs: [/tmp]), or add "vote" to this policy's writableRoots`,
      ]);
      expect(check(readOnlyRoot, DEPLOYMENT, "web", pod({ runAsNonRoot: true }))).toEqual([
        `${DEPLOYMENT} "web": spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem is not set, so the container's processes can write to its root filesystem (and change its programs); make it read-only with the paths it writes as tmpfs or volumes (dockyard: services.<name>.security.readOnlyRootFilesystem true and .tmpfs ["/tmp"]; compose read_only: true, tmpfs: [/tmp]), or add "web" to this policy's writableRoots`,
      ]);
    });
  });

  describe("seccomp", () => {
    test("Docker's default or a profile file, a pod's RuntimeDefault or Localhost (the pod's or the container's); a swarm service is not checked", () => {
      expect(check(seccomp, CONTAINER, "vote-1", container({ securityOpts: ["seccomp=/etc/docker/profile.json"] }))).toEqual([]);
      expect(check(seccomp, DEPLOYMENT, "web", pod({ seccompProfile: { type: "Localhost", localhostProfile: "p.json" } }, {}))).toEqual([]);
      expect(check(seccomp, SWARM, "vote", swarm())).toEqual([]);
    });

    test("unconfined, or no profile on a pod", () => {
      expect(check(seccomp, CONTAINER, "vote-1", container({ securityOpts: ["no-new-privileges", "seccomp:unconfined"] }))).toEqual([
        `${CONTAINER} "vote-1": securityOpts[1] is "seccomp:unconfined", which lets the container make every system call; remove it, so Docker's default seccomp profile applies (or name a profile: seccomp=<profile.json>)`,
      ]);
      expect(check(seccomp, DEPLOYMENT, "web", pod(CONFINED_CONTAINER, { runAsUser: 1000 }))).toEqual([
        `${DEPLOYMENT} "web": spec.template.spec.containers[0].securityContext.seccompProfile is not set, nor spec.template.spec.securityContext.seccompProfile, so the container runs Unconfined, every system call allowed; set the pod's seccompProfile type RuntimeDefault (dockyard's Deployment sets it on every pod)`,
      ]);
      expect(check(seccomp, DEPLOYMENT, "web", pod({ seccompProfile: { type: "Unconfined" } }))).toEqual([
        `${DEPLOYMENT} "web": spec.template.spec.containers[0].securityContext.seccompProfile.type is "Unconfined", which lets the container make every system call; use RuntimeDefault (or Localhost with a profile on the node)`,
      ]);
    });
  });

  describe("host-mounts", () => {
    test.each([
      ["/var/run/docker.sock", true, "is a container engine's socket"],
      ["/run/containerd/containerd.sock/", true, "is a container engine's socket"],
      ["/", true, "holds the container engine's socket /var/run/docker.sock"],
      ["/run", true, "holds the container engine's socket /run/docker.sock"],
      ["/var", true, "holds the container engine's socket /var/run/docker.sock"],
      ["/var/lib", true, "holds the host's /var/lib/docker"],
      ["/etc", true, "is one of the host's system folders"],
      ["/srv/../proc", true, "is one of the host's system folders"],
      ["/etc/localtime", true, undefined],
      ["/etc/nginx", false, "is inside the host's /etc and mounted writable (read-only files there are allowed)"],
      ["/srv/data", false, undefined],
      ["/var/spool/cron", false, "is inside the host's /var/spool and mounted writable (read-only files there are allowed)"],
      ["/opt", true, "holds the host's /opt/cni"],
      ["/var/lib/containers", true, "is one of the host's system folders"],
    ])("sensitiveHostPath(%s, read-only %s)", (path, readOnly, why) => {
      expect(sensitiveHostPath(path, readOnly)).toBe(why);
    });

    // The pack is its own package and keeps its own lists: every tree and socket dockyard refuses, it flags.
    test("every host tree and engine socket dockyard's own check refuses, the pack flags too", () => {
      expect(HOST_TREES.filter((tree) => sensitiveHostPath(tree, true) !== "is one of the host's system folders")).toEqual([]);
      expect(HOST_TREES.filter((tree) => sensitiveHostPath(`${tree}/x`, true) !== undefined)).toEqual([]);
      expect(HOST_TREES.filter((tree) => sensitiveHostPath(`${tree}/x`, false) === undefined)).toEqual([]);
      expect(ENGINE_SOCKETS.filter((socket) => sensitiveHostPath(socket, true) !== "is a container engine's socket")).toEqual([]);
    });

    test("named volumes, harmless paths and the allow-list pass", () => {
      const mounts = [
        { type: "volume", source: "voting-dev-db-data", target: "/data" },
        { type: "bind", source: "/srv/app", target: "/app" },
        { type: "bind", source: "/etc/localtime", target: "/etc/localtime", readOnly: true },
      ];
      expect(
        check(hostMounts, CONTAINER, "vote-1", container({ mounts, volumes: [{ volumeName: "data", containerPath: "/data" }] })),
      ).toEqual([]);
      expect(check(hostMounts, SWARM, "vote", swarm({ mounts }))).toEqual([]);
      const socket = { mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }] };
      expect(check(hostMounts, CONTAINER, "runner-1", container(socket), { allowedHostPaths: ["/var/run/docker.sock"] })).toEqual([]);
      const localtime = { volumes: [{ name: "tz", hostPath: { path: "/etc/localtime" } }] };
      const tzMount = { volumeMounts: [{ name: "tz", mountPath: "/etc/localtime", readOnly: true }] };
      expect(check(hostMounts, DEPLOYMENT, "web", deployment(tzMount, { spec: localtime }))).toEqual([]);
    });

    test("an engine socket, the root, a system folder, a writable path inside one", () => {
      const fix = 'mount a named volume instead (dockyard: a mount\'s volume, not hostPath; compose volumes: ["data:/path"])';
      expect(
        check(
          hostMounts,
          CONTAINER,
          "vote-1",
          container({
            mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true }],
            volumes: [{ hostPath: "/", containerPath: "/host" }],
          }),
        ),
      ).toEqual([
        `${CONTAINER} "vote-1": mounts[0].source "/var/run/docker.sock" is a container engine's socket: a container that mounts it can take over the host; ${fix}, or add "/var/run/docker.sock" to this policy's allowedHostPaths`,
        `${CONTAINER} "vote-1": volumes[0].hostPath "/" holds the container engine's socket /var/run/docker.sock: a container that mounts it can take over the host; ${fix}, or add "/" to this policy's allowedHostPaths`,
      ]);
      expect(
        check(hostMounts, SWARM, "vote", swarm({ mounts: [{ type: "bind", source: "/etc", target: "/host-etc", readOnly: true }] })),
      ).toEqual([
        `${SWARM} "vote": taskSpec.containerSpec.mounts[0].source "/etc" is one of the host's system folders: a container that mounts it can take over the host; ${fix}, or add "/etc" to this policy's allowedHostPaths`,
      ]);
      const volumes = { volumes: [{ name: "certs", hostPath: { path: "/etc/ssl" } }] };
      expect(
        check(hostMounts, DEPLOYMENT, "web", deployment({ volumeMounts: [{ name: "certs", mountPath: "/certs" }] }, { spec: volumes })),
      ).toEqual([
        `${DEPLOYMENT} "web": spec.template.spec.volumes[0].hostPath.path "/etc/ssl" is inside the host's /etc and mounted writable (read-only files there are allowed): a container that mounts it can take over the host; use a PersistentVolumeClaim or an emptyDir instead (dockyard: a mount's volume, not hostPath), or add "/etc/ssl" to this policy's allowedHostPaths`,
      ]);
    });
  });

  describe("bounded-restarts", () => {
    test("on-failure with a count up to maxAttempts, never restarting, or Kubernetes pass", () => {
      expect(check(boundedRestarts, CONTAINER, "vote-1", container({ restart: "no", maxRetryCount: undefined }))).toEqual([]);
      expect(check(boundedRestarts, CONTAINER, "vote-1", container({ restart: undefined, maxRetryCount: undefined }))).toEqual([]);
      expect(check(boundedRestarts, SWARM, "vote", swarm({}, { restartPolicy: { condition: "none" } }))).toEqual([]);
      expect(
        check(boundedRestarts, SWARM, "vote", swarm({}, { restartPolicy: { condition: "any", maxAttempts: 8 } }), { maxAttempts: 8 }),
      ).toEqual([]);
      expect(check(boundedRestarts, DEPLOYMENT, "web", pod())).toEqual([]);
    });

    test("restarted forever, or more often than maxAttempts", () => {
      const dockerFix =
        'restart it on failure at most 5 times (docker run --restart on-failure:5; dockyard: services.<name>.restart.condition "on-failure" and .maxAttempts 5; compose deploy.restart_policy)';
      expect(check(boundedRestarts, CONTAINER, "vote-1", container({ restart: "unless-stopped", maxRetryCount: undefined }))).toEqual([
        `${CONTAINER} "vote-1": restart is "unless-stopped", which restarts a failing container forever; ${dockerFix}`,
      ]);
      expect(check(boundedRestarts, CONTAINER, "vote-1", container({ maxRetryCount: undefined }))).toEqual([
        `${CONTAINER} "vote-1": restart is "on-failure" with maxRetryCount not set (no limit); ${dockerFix}`,
      ]);
      expect(check(boundedRestarts, CONTAINER, "vote-1", container({ maxRetryCount: 10 }))).toEqual([
        `${CONTAINER} "vote-1": maxRetryCount is 10, more than this policy's maxAttempts 5; ${dockerFix}`,
      ]);
      const swarmFix =
        'restart it on failure at most 5 times (docker service create --restart-condition on-failure --restart-max-attempts 5; dockyard: services.<name>.restart.condition "on-failure" and .maxAttempts 5; compose deploy.restart_policy)';
      expect(check(boundedRestarts, SWARM, "vote", swarm({}, { restartPolicy: undefined }))).toEqual([
        `${SWARM} "vote": taskSpec.restartPolicy.maxAttempts is 0 (no limit) with condition "any", so the swarm restarts a failing task forever; ${swarmFix}`,
      ]);
      expect(check(boundedRestarts, SWARM, "vote", swarm({}, { restartPolicy: { condition: "on-failure", maxAttempts: 9 } }))).toEqual([
        `${SWARM} "vote": taskSpec.restartPolicy.maxAttempts is 9, more than this policy's maxAttempts 5; ${swarmFix}`,
      ]);
    });
  });

  describe("pod-security-labels", () => {
    const namespace = (level?: string): Props => ({
      metadata: { name: "prod", labels: level === undefined ? { app: "voting" } : { "pod-security.kubernetes.io/enforce": level } },
    });

    test("restricted passes; baseline when allowed; other resources are not namespaces", () => {
      expect(check(podSecurityLabels, NAMESPACE, "prod", namespace("restricted"))).toEqual([]);
      expect(check(podSecurityLabels, NAMESPACE, "prod", namespace("baseline"), { minimumLevel: "baseline" })).toEqual([]);
      expect(check(podSecurityLabels, DEPLOYMENT, "web", deployment({}))).toEqual([]);
    });

    test("no label, a looser level, or no level at all", () => {
      const fix = 'label it restricted (dockyard: podSecurity "restricted"), or lower this policy\'s minimumLevel';
      expect(check(podSecurityLabels, NAMESPACE, "prod", namespace())).toEqual([
        `${NAMESPACE} "prod": metadata.labels["pod-security.kubernetes.io/enforce"] is not set, so the namespace admits any pod the cluster's default level allows (privileged, unless the cluster is configured otherwise); ${fix}`,
      ]);
      expect(check(podSecurityLabels, NAMESPACE, "prod", namespace("baseline"))).toEqual([
        `${NAMESPACE} "prod": metadata.labels["pod-security.kubernetes.io/enforce"] is "baseline", looser than restricted; ${fix}`,
      ]);
      expect(check(podSecurityLabels, NAMESPACE, "prod", namespace("strict"), { minimumLevel: "baseline" })).toEqual([
        `${NAMESPACE} "prod": metadata.labels["pod-security.kubernetes.io/enforce"] is "strict", not a Pod Security level (privileged, baseline, restricted); label it baseline (dockyard: podSecurity "baseline"), or lower this policy's minimumLevel`,
      ]);
    });
  });
});

describe("policy/local.ts runs policies as the engine does", () => {
  test("an unknown read outside known() makes the policy report, advisory, that it cannot run during a preview", () => {
    const reads: Policy = {
      name: "reads-image",
      description: "reads container.image without known()",
      validateResource: (args, report) => {
        const image = args.asType(docker.Container)?.image;
        if (image === "bad") report("bad image");
      },
    };
    expect(
      runPolicies([{ type: CONTAINER, name: "c", urn: "urn:c", props: { image: UNKNOWN }, opts: { protect: false } }], {}, [reads]),
    ).toEqual([
      {
        policy: "reads-image",
        level: "advisory",
        urn: "urn:c",
        message: "can't run policy 'reads-image' during preview: string value at .image can't be known during preview",
      },
    ]);
  });

  test("known() skips only the SDK's UnknownValueError, not another error of that name", () => {
    const lookalike = new (class UnknownValueError extends Error {})("not the SDK's");
    expect(() =>
      known(() => {
        throw lookalike;
      }),
    ).toThrow(lookalike);
  });
});

/** The swarm form of each policy: a docker:index/service:Service as the swarm target registers it. */
describe("swarm services (docker:index/service:Service)", () => {
  const SWARM = "docker:index/service:Service";
  /** A swarm service's inputs: one task spec, the parts the policies read. */
  function swarmService(
    extra: {
      image?: string;
      env?: Record<string, string>;
      limits?: Props;
      health?: Props | null;
      ports?: Props[];
      networks?: Props[];
      mode?: Props;
      capAdds?: string[];
    } = {},
  ): Props {
    return {
      name: "voting-dev-vote",
      labels: [{ label: "dockyard.service", value: "vote" }],
      mode: extra.mode ?? { replicated: { replicas: 2 } },
      taskSpec: {
        containerSpec: {
          image: extra.image ?? "voting-vote:v1",
          env: extra.env ?? { PORT: "8080" },
          capAdds: extra.capAdds,
          healthcheck: extra.health === null ? undefined : (extra.health ?? { tests: ["CMD", "healthcheck"], interval: "10s" }),
        },
        networksAdvanceds: extra.networks ?? [{ id: "frontend-id", aliases: ["vote"] }],
        resources: { limits: extra.limits ?? { nanoCpus: 500000000, memoryBytes: 134217728 }, reservation: {} },
      },
      endpointSpec: {
        mode: "dnsrr",
        ports: extra.ports ?? [{ targetPort: 8080, publishedPort: 5000, protocol: "tcp", publishMode: "host" }],
      },
    };
  }
  const named = (name: string, props: Props): Props => ({
    ...props,
    name: `voting-dev-${name}`,
    labels: [{ label: "dockyard.service", value: name }],
  });

  test("images-pinned and allowed-registries read taskSpec.containerSpec.image", () => {
    expect(check(imagesPinned, SWARM, "vote", swarmService())).toEqual([]);
    expect(check(imagesPinned, SWARM, "vote", swarmService({ image: "sha256:vote-image-id" }))).toEqual([]);
    expect(check(imagesPinned, SWARM, "redis", swarmService({ image: "redis" }))).toEqual([
      `${SWARM} "redis": taskSpec.containerSpec.image "redis" has no tag, so it means latest, which changes under you; pin it to a version tag (redis:<version>) or a digest (@sha256:...)`,
    ]);
    expect(check(allowedRegistries, SWARM, "vote", swarmService({ image: "registry.invalid:5000/vote@sha256:abc" }))).toEqual([
      `${SWARM} "vote": taskSpec.containerSpec.image "registry.invalid:5000/vote@sha256:abc" comes from registry registry.invalid:5000, which is not allowed (allowed: docker.io); use an image from an allowed registry, or add registry.invalid:5000 to this policy's registries`,
    ]);
  });

  test("container-limits: taskSpec.resources.limits nanoCpus and memoryBytes; reservations are not required", () => {
    expect(check(containerLimits, SWARM, "vote", swarmService())).toEqual([]);
    expect(check(containerLimits, SWARM, "vote", swarmService({ limits: { nanoCpus: 0 } }))).toEqual([
      `${SWARM} "vote": taskSpec.resources.limits.nanoCpus is 0, so every task of the service is unlimited; set a cpu limit (docker service create --limit-cpu 0.5, 500000000 nanoCpus; dockyard: limits.cpus 0.5)`,
      `${SWARM} "vote": taskSpec.resources.limits.memoryBytes is not set, so every task of the service is unlimited; set a memory limit (docker service create --limit-memory 128m, 134217728 memoryBytes; dockyard: limits.memory "128m")`,
    ]);
  });

  test("no-privilege: the host network and added capabilities", () => {
    expect(
      check(noPrivilege, SWARM, "vote", swarmService({ capAdds: ["NET_BIND_SERVICE"] }), { allowedCapabilities: ["NET_BIND_SERVICE"] }),
    ).toEqual([]);
    expect(check(noPrivilege, SWARM, "vote", swarmService({ networks: [{ name: "host" }], capAdds: ["SYS_ADMIN"] }))).toEqual([
      `${SWARM} "vote": taskSpec.networksAdvanceds[0].name is "host", which shares the node's network namespace with every task; attach the service to an overlay network instead`,
      `${SWARM} "vote": taskSpec.containerSpec.capAdds adds SYS_ADMIN, beyond the allowed capabilities (none); drop them, or add them to this policy's allowedCapabilities`,
    ]);
  });

  describe("host-ports: a swarm publishes on every interface, so only with allowAllInterfaces, and only for publishers", () => {
    const config = { bindAddress: "127.0.0.1", publishers: ["vote", "result"] };
    const ingress = [{ targetPort: 8080, publishedPort: 5000, protocol: "tcp", publishMode: "ingress" }];

    test("a publisher passes when every interface is allowed (or is the bind address); no ports pass", () => {
      expect(check(hostPorts, SWARM, "vote", swarmService(), { ...config, allowAllInterfaces: true })).toEqual([]);
      expect(check(hostPorts, SWARM, "vote", swarmService(), { ...config, bindAddress: "0.0.0.0" })).toEqual([]);
      expect(check(hostPorts, SWARM, "redis", named("redis", swarmService({ ports: [] })), config)).toEqual([]);
    });

    test("with a bind address and without allowAllInterfaces, every published port fails, naming its scope", () => {
      expect(check(hostPorts, SWARM, "vote", swarmService(), config)).toEqual([
        `${SWARM} "vote": endpointSpec.ports[0] publishes port 5000 on every interface of the node that runs the task (publishMode host), not on the configured bind address 127.0.0.1: a swarm cannot bind one address; firewall the port on the nodes and set this policy's allowAllInterfaces, or use target docker with dockyard:bindAddress`,
      ]);
      expect(check(hostPorts, SWARM, "vote", swarmService({ ports: ingress }), config)).toEqual([
        `${SWARM} "vote": endpointSpec.ports[0] publishes port 5000 on every interface of every node of the swarm (publishMode ingress, the routing mesh), not on the configured bind address 127.0.0.1: a swarm cannot bind one address; firewall the port on the nodes and set this policy's allowAllInterfaces, or use target docker with dockyard:bindAddress`,
      ]);
    });

    test("a service that is not a publisher may not publish, even with allowAllInterfaces", () => {
      const redis = named("redis", swarmService({ ports: [{ targetPort: 6379, publishedPort: 16379, publishMode: "host" }] }));
      expect(check(hostPorts, SWARM, "redis", redis, { ...config, allowAllInterfaces: true })).toEqual([
        `${SWARM} "redis": endpointSpec.ports[0] publishes container port 6379 on port 16379 of every interface of the node that runs the task (publishMode host), but redis is not one of the publishers (vote, result); remove the published port (reach it over the overlay network), or add the service to publishers`,
      ]);
    });

    test("a port without a published port gets a random one", () => {
      expect(
        check(hostPorts, SWARM, "vote", swarmService({ ports: [{ targetPort: 8080 }] }), { ...config, allowAllInterfaces: true }),
      ).toEqual([
        `${SWARM} "vote": endpointSpec.ports[0].publishedPort is not set, so the swarm picks a random port; set the port to publish on`,
      ]);
    });
  });

  test("no-secret-literals: a literal env value named like a secret fails; the _FILE path of a mounted swarm secret passes", () => {
    expect(
      check(
        noSecretLiterals,
        SWARM,
        "db",
        swarmService({ env: { POSTGRES_PASSWORD_FILE: "/run/secrets/db-password", POSTGRES_USER: "postgres" } }),
      ),
    ).toEqual([]);
    expect(check(noSecretLiterals, SWARM, "db", swarmService({ env: { POSTGRES_PASSWORD: "hunter2", API_TOKEN: "" } }))).toEqual([
      `${SWARM} "db": taskSpec.containerSpec.env.POSTGRES_PASSWORD has a literal value (7 characters, not shown), readable by anyone who can inspect the service; put it in a swarm secret (docker:index/secret:Secret), mount it with taskSpec.containerSpec.secrets and pass its path as POSTGRES_PASSWORD_FILE`,
    ]);
  });

  test("readiness-probes: a service reached by name or a published port has a health check that is not NONE", () => {
    const worker = named("worker", swarmService({ health: null, ports: [], networks: [] }));
    expect(
      checkStack(readinessProbes, [
        [SWARM, "vote", swarmService()],
        [SWARM, "worker", worker],
      ]),
    ).toEqual([]);
    expect(
      checkStack(readinessProbes, [
        [SWARM, "vote", swarmService({ health: null })],
        [SWARM, "redis", named("redis", swarmService({ health: { tests: ["NONE"] }, ports: [] }))],
      ]),
    ).toEqual([
      [
        "urn:vote",
        `${SWARM} "vote": taskSpec.containerSpec.healthcheck is not set, so the swarm sends traffic (its name on its networks, its published ports) to its tasks as soon as they start, before they can serve it; add a health check (docker service create --health-cmd; dockyard: the service's health check)`,
      ],
      [
        "urn:redis",
        `${SWARM} "redis": taskSpec.containerSpec.healthcheck.tests is ["NONE"], which turns the image's health check off, so the swarm sends traffic (its name on its networks) to its tasks as soon as they start, before they can serve it; add a health check (docker service create --health-cmd; dockyard: the service's health check)`,
      ],
    ]);
  });

  test("replicas: a published service runs minReplicas tasks; unpublished and global services pass", () => {
    expect(checkStack(replicas, [[SWARM, "vote", swarmService()]])).toEqual([]);
    expect(
      checkStack(replicas, [[SWARM, "redis", named("redis", swarmService({ ports: [], mode: { replicated: { replicas: 1 } } }))]]),
    ).toEqual([]);
    expect(checkStack(replicas, [[SWARM, "vote", swarmService({ mode: { global: true } })]], { minReplicas: 3 })).toEqual([]);
    expect(checkStack(replicas, [[SWARM, "vote", swarmService({ mode: { replicated: { replicas: 1 } } })]])).toEqual([
      [
        "urn:vote",
        `${SWARM} "vote": mode.replicated.replicas is 1 while it publishes 5000 (endpointSpec.ports); run at least 2 tasks (dockyard: services.<name>.replicas; a port in publishMode host takes one task per node, so as many nodes, dockyard:swarmNodes)`,
      ],
    ]);
  });

  test("overlay networks are Docker networks to private-subnets and distinct-subnets", () => {
    const overlay = (subnet: string) => ({ driver: "overlay", attachable: true, ipamConfigs: [{ subnet }] });
    expect(check(privateSubnets, NETWORK, "frontend", overlay("10.241.1.0/24"))).toEqual([]);
    expect(check(privateSubnets, NETWORK, "frontend", overlay("8.8.8.0/24"))).toEqual([
      `${NETWORK} "frontend": ipamConfigs[0].subnet 8.8.8.0/24 is a public range, whose real hosts the containers would no longer reach; use a subnet within 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, or set this policy's allowPublicSubnets`,
    ]);
    expect(
      checkStack(distinctSubnets, [
        [NETWORK, "frontend", overlay("10.241.0.0/16")],
        [NETWORK, "backend", overlay("10.241.2.0/24")],
      ]),
    ).toEqual([
      [
        "urn:backend",
        `${NETWORK} "backend": ipamConfigs[0].subnet 10.241.2.0/24 overlaps 10.241.0.0/16 of ${NETWORK} "frontend" (ipamConfigs[0].subnet); give each network a subnet of its own`,
      ],
    ]);
  });
});

describe("docs/policy.md's table of policies (tools/docs/policy.ts)", () => {
  test("is the one the pack and the stacks' policy configs give (npm run docs rewrites it)", () => {
    const current = fs.readFileSync(POLICY_DOC, "utf8");
    const begin = current.indexOf(BEGIN);
    const end = current.indexOf(END);
    expect([begin >= 0, end > begin]).toEqual([true, true]);
    expect(current.slice(begin, end + END.length)).toBe(policyTable());
  });

  test("a row per policy: its name, description, settings with their defaults, and its level on each stack", () => {
    const table = policyTable([readOnlyRoot, distinctSubnets], [["e2e", { all: "mandatory", "distinct-subnets": "advisory" }]]);
    expect(table.split("\n")).toEqual([
      BEGIN,
      "| policy | checks | settings (default) | e2e |",
      "|---|---|---|---|",
      `| \`read-only-root\` | ${readOnlyRoot.description} | \`writableRoots\` (\`[]\`): Services whose root filesystem may stay writable, as globs matched against a Docker container's or swarm service's name or its dockyard.service label, and a Deployment's name. | mandatory |`,
      `| \`distinct-subnets\` (stack) | ${distinctSubnets.description} | — | advisory |`,
      END,
    ]);
  });

  test("policyDoc replaces only the part between the markers", () => {
    expect(policyDoc(`# Policies\n\nbefore\n\n${BEGIN}\n| stale |\n${END}\n\nafter\n`, "TABLE")).toBe(
      "# Policies\n\nbefore\n\nTABLE\n\nafter\n",
    );
    expect(() => policyDoc("# Policies\n", "TABLE")).toThrow(`docs/policy.md has no lines ${BEGIN} ... ${END}`);
  });
});
