/**
 * Bad input stops the program before anything is created, with a message that names the key path as
 * the user wrote it, the value as typed and what is allowed.
 */
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import { Container, ContainerArgs, Network, NetworkArgs } from "../../components/docker";
import { CONFIG_KEYS, loadConfig } from "../../stacks/config";
import { AppModel } from "../../stacks/model";
import { applyConfig } from "../../stacks/overrides";
import { resolveApp } from "../../stacks/resolve";
import { planDocker } from "../../stacks/targets/docker";
import { planKubernetes } from "../../stacks/targets/kubernetes";
import { votingApp } from "../../stacks/votingApp";
import { byType, recorded, settle, setupMocks } from "./mocks";
import { programError, runProgram } from "./program";

type Config = Record<string, string | object>;
type Case = [string, Config, string, string?];

/** The one key every stage needs: the app's secret. */
const BASE: Config = { secrets: { "db-password": "s3cret-pass" } };
const CLUSTER: Config = { target: "kubernetes", registry: "localhost:5000" };
const IMAGE_RULE = "must be an image reference like python:3.12-slim or mirror.example:5000/python:3.12-slim (the repository in lowercase)";
const CPUS_RULE = "must be a number of CPUs greater than 0, like 0.5 or 2";
const DOCKER_HOST_RULE = "must be a Docker host URL: unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host (as DOCKER_HOST)";
const NAMESPACE_RULE =
  "an RFC 1123 label: lowercase letters, digits and -, starting and ending with a letter or digit, at most 63 characters";
const PRIVATE = "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16";
const REGISTRY_RULE =
  "must be a registry host[:port][/path] without a scheme, like 127.0.0.1:5000 or registry.example.com/team (port 1-65535, path in lowercase), or empty";

async function expectRefused(config: Config, message: string, stack = "dev"): Promise<void> {
  const { message: got, registered } = await programError({ ...BASE, ...config }, stack);
  expect(got).toBe(message);
  expect(registered).toBe(0);
}

const badConfig: Case[] = [
  ["unknown target", { target: "nomad" }, 'dockyard:target must be docker, kubernetes or swarm, got "nomad"'],
  [
    "an unknown swarm endpoint mode",
    { target: "swarm", swarmEndpointMode: "ingress" },
    'dockyard:swarmEndpointMode must be dnsrr or vip, got "ingress"',
  ],
  ["a swarm of no nodes", { target: "swarm", swarmNodes: "0" }, 'dockyard:swarmNodes must be a whole number of 1 or more, got "0"'],
  [
    "a data node that is no hostname",
    { target: "swarm", swarmDataNode: "node 1" },
    'dockyard:swarmDataNode must be a node\'s hostname, or empty, got "node 1"',
  ],
  [
    "port out of range",
    { services: { vote: { ports: { http: 70000 } } } },
    "dockyard:services.vote.ports.http must be a port number 1-65535, got 70000",
  ],
  [
    "port not a number",
    { services: { result: { ports: { http: "http" } } } },
    'dockyard:services.result.ports.http must be a port number 1-65535, got "http"',
  ],
  [
    "negative replicas",
    { services: { vote: { replicas: -1 } } },
    "dockyard:services.vote.replicas must be a whole number of 0 or more, got -1",
  ],
  [
    "negative replicas as text (pulumi config set --path)",
    { services: { vote: { replicas: "-1" } } },
    'dockyard:services.vote.replicas must be a whole number of 0 or more, got "-1"',
  ],
  [
    "fractional replicas",
    { services: { worker: { replicas: 1.5 } } },
    "dockyard:services.worker.replicas must be a whole number of 0 or more, got 1.5",
  ],
  ["docker host without scheme", { dockerHost: "10.10.10.1:2375" }, `dockyard:dockerHost ${DOCKER_HOST_RULE}, got "10.10.10.1:2375"`],
  [
    "bind address not an IP",
    { bindAddress: "localhost" },
    'dockyard:bindAddress must be an IPv4 address such as 127.0.0.1 or 0.0.0.0, got "localhost"',
  ],
  // The seed's `--subnet 182.18.0.0/16`: the component's check, named as the user wrote the key.
  [
    "the seed's public subnet",
    { networks: { frontend: { subnet: "182.18.0.0/16" } } },
    `dockyard:networks.frontend.subnet 182.18.0.0/16 is a public range, not one of ${PRIVATE}; did you mean 172.18.0.0/16? Set dockyard:allowPublicSubnets to use it anyway.`,
  ],
  [
    "subnet not a CIDR",
    { networks: { backend: { subnet: "10.123.2.0/33" } } },
    'dockyard:networks.backend.subnet must be an IPv4 CIDR like 172.18.0.0/16, got "10.123.2.0/33"',
  ],
  [
    "subnet with host bits",
    { networks: { frontend: { subnet: "10.123.1.5/24" } } },
    "dockyard:networks.frontend.subnet 10.123.1.5/24 has host bits set; did you mean 10.123.1.0/24?",
  ],
  [
    "overlapping subnets",
    { networks: { backend: { subnet: "10.123.0.0/16" } } },
    'dockyard:networks.backend.subnet 10.123.0.0/16 overlaps network "frontend" (10.123.1.0/24); give each network its own range',
  ],
  [
    "gateway outside the subnet",
    { networks: { backend: { gateway: "10.9.9.9" } } },
    'dockyard:networks.backend.gateway "10.9.9.9" must be an address inside subnet 10.123.2.0/24',
  ],
  [
    "gateway on the network address",
    { networks: { backend: { gateway: "10.123.2.0" } } },
    "dockyard:networks.backend.gateway 10.123.2.0 is the network or broadcast address of 10.123.2.0/24",
  ],
  [
    "ipRange outside the subnet",
    { networks: { backend: { ipRange: "10.9.9.0/30" } } },
    'dockyard:networks.backend.ipRange "10.9.9.0/30" must be a CIDR inside subnet 10.123.2.0/24',
  ],
  ["zero cpus", { services: { vote: { limits: { cpus: 0 } } } }, `dockyard:services.vote.limits.cpus ${CPUS_RULE}, got 0`],
  [
    "cpus not a number",
    { services: { vote: { limits: { cpus: "half" } } } },
    `dockyard:services.vote.limits.cpus ${CPUS_RULE}, got "half"`,
  ],
  [
    "cpus finer than a millicpu",
    { services: { vote: { limits: { cpus: 0.0001 } } } },
    "dockyard:services.vote.limits.cpus must be a multiple of 0.001 CPU, got 0.0001",
  ],
  [
    "memory under Docker's minimum",
    { services: { worker: { limits: { memory: "5m" } } } },
    'dockyard:services.worker.limits.memory must be at least 6m (Docker\'s minimum), got "5m"',
  ],
  [
    "memory not a size",
    { services: { vote: { limits: { memory: "lots" } } } },
    'dockyard:services.vote.limits.memory must be a size like "100m", "1g" or "512Mi" (units b, k, m, g, t; binary, as in docker run --memory), got "lots"',
  ],
  [
    "memory not whole MiB for Docker",
    { services: { vote: { limits: { memory: "6.5m" } } } },
    'dockyard:services.vote.limits.memory must be a whole number of MiB on Docker, got "6.5m" (6.500 MiB)',
  ],
  [
    "limits with an unknown field",
    { services: { vote: { limits: { gpus: 1 } } } },
    'dockyard:services.vote.limits has unknown key "gpus"; allowed: cpus, memory',
  ],
  // The old list form, carried over: the message says what a limits value is, not zod's "expected object".
  [
    "limits as the old list entry",
    { services: { vote: { limits: "vote:cpus=1" } } },
    'dockyard:services.vote.limits must be a map with keys cpus, memory, got "vote:cpus=1"',
  ],
  [
    "a network's settings as a bare subnet",
    { networks: { frontend: "10.0.0.0/24" } },
    'dockyard:networks.frontend must be a map with keys subnet, gateway, ipRange, got "10.0.0.0/24"',
  ],
  ["services not a map", { services: ["vote"] }, 'dockyard:services must be a map of service settings by name, got ["vote"]'],
  [
    "autoscaling min above max",
    { ...CLUSTER, services: { vote: { autoscaling: { minReplicas: 5, maxReplicas: 2, targetCpuPercent: 70 } } } },
    "dockyard:services.vote.autoscaling.maxReplicas must be a whole number of at least minReplicas (5), got 2",
    "staging",
  ],
  [
    "autoscaling incomplete",
    { ...CLUSTER, services: { vote: { autoscaling: { minReplicas: 2 } } } },
    "dockyard:services.vote.autoscaling.maxReplicas is required: it must be a whole number of 1 or more",
    "staging",
  ],
  [
    "autoscaling a database",
    { ...CLUSTER, services: { db: { autoscaling: { minReplicas: 1, maxReplicas: 2, targetCpuPercent: 50 } } } },
    "dockyard:services.db.autoscaling cannot be set on a single-writer service (its data allows one writer)",
    "staging",
  ],
  [
    "two writers of one database",
    { services: { db: { replicas: 2 } } },
    "dockyard:services.db.replicas must be 0 or 1 for a single-writer service (its data allows one writer), got 2",
  ],
  [
    "no password",
    { secrets: { "db-password": "" } },
    "dockyard:secrets.db-password is required (password of the PostgreSQL user the app uses): pulumi config set --secret --path secrets.db-password <value>",
  ],
  [
    "secrets without the password",
    { secrets: {} },
    "dockyard:secrets.db-password is required (password of the PostgreSQL user the app uses): pulumi config set --secret --path secrets.db-password <value>",
  ],
  [
    "short password",
    { secrets: { "db-password": "abc" } },
    "dockyard:secrets.db-password must be at least 8 characters, got [secret] of 3",
  ],
  ["a password that is not text", { secrets: { "db-password": 12345678 } }, "dockyard:secrets.db-password must be text, got [secret]"],
  ["secrets not a map", { secrets: "s3cret-pass" }, "dockyard:secrets must be a map of secret values by name, got [secret]"],
  [
    "latest outside dev",
    { imageTag: "latest" },
    'dockyard:imageTag "latest" is allowed only in the dev stack (stack is "staging"): pin a version tag so a deploy is repeatable',
    "staging",
  ],
  [
    "an untagged image outside dev",
    { services: { redis: { image: "redis" } } },
    'dockyard:services.redis.image "redis" has no version tag (or uses latest), allowed only in the dev stack (stack is "staging"): pin a tag like redis:7.4 or a digest',
    "staging",
  ],
  [
    "an untagged base image outside dev",
    { buildArgs: { PYTHON_IMAGE: "python" } },
    'dockyard:buildArgs.PYTHON_IMAGE "python" has no version tag (or uses latest), allowed only in the dev stack (stack is "staging"): pin a tag like redis:7.4 or a digest',
    "staging",
  ],
  [
    "latest on a cluster, even in dev",
    { ...CLUSTER, services: { redis: { image: "redis:latest" } } },
    'dockyard:services.redis.image "redis:latest" must name a tag other than latest, or a digest, on target kubernetes: every node pulls it on its own, so an unpinned image can differ between pods',
  ],
  [
    "tag with a space",
    { imageTag: "v1 beta" },
    'dockyard:imageTag must be a Docker tag: letters, digits, _ . - (up to 128), got "v1 beta"',
  ],
  // Names the key the user set (result's port), and the one it collides with as the app defines it.
  [
    "two services on one host port",
    { services: { result: { ports: { http: 5000 } } } },
    'dockyard:services.result.ports.http 5000 is already published by app "voting": services.vote.ports.http',
  ],
  [
    "replicas running into another port",
    { services: { vote: { replicas: 3 } } },
    'app "voting": services.vote.ports.http: host port 5001 is used by both service "result" and service "vote" (its 3 replicas use 5000-5002 on Docker, one port each); lower dockyard:services.vote.replicas or publish on another port',
  ],
  [
    "replicas running past the last port",
    { services: { vote: { replicas: 3, ports: { http: 65534 } } } },
    "dockyard:services.vote.ports.http 65534 needs host ports 65534-65536 for 3 replicas on Docker, past 65535",
  ],
  [
    "a health-only port published",
    { services: { worker: { ports: { health: 5005 } } } },
    "dockyard:services.worker.ports.health is only for the health check, so it cannot be published (got 5005)",
  ],
  [
    "registry user without registry",
    { registryUsername: "ci" },
    'dockyard:registryUsername is set ("ci") but dockyard:registry is empty: set the registry to push to',
  ],
  ...["http://127.0.0.1:5000", "127.0.0.1:70000", "registry.example.com/Team", "registry.example.com/", "127.0.0.1:5000 "].map(
    (registry): Case => [
      `registry ${JSON.stringify(registry)}`,
      { registry },
      `dockyard:registry ${REGISTRY_RULE}, got ${JSON.stringify(registry)}`,
    ],
  ),
  [
    "registry user without a password",
    { registry: "127.0.0.1:5000", registryUsername: "ci" },
    'dockyard:registryUsername is set ("ci") but dockyard:registryPassword is empty: pulumi config set --secret registryPassword <password>, or unset registryUsername to push without a login',
  ],
  [
    "a cluster and images built here, but no registry",
    { target: "kubernetes" },
    "dockyard:registry is required when target is kubernetes: built images must be pushed where the cluster can pull them",
    "staging",
  ],
  ["unknown service type", { serviceType: "Ingress" }, 'dockyard:serviceType must be ClusterIP, NodePort or LoadBalancer, got "Ingress"'],
  [
    "image reference with spaces",
    { buildArgs: { PYTHON_IMAGE: "my python" } },
    `dockyard:buildArgs.PYTHON_IMAGE ${IMAGE_RULE}, got "my python"`,
  ],
  [
    "prebuilt image with spaces",
    { services: { vote: { image: "my image" } } },
    `dockyard:services.vote.image ${IMAGE_RULE}, got "my image"`,
  ],
  ["build argument not text", { buildArgs: { PYTHON_IMAGE: 3 } }, "dockyard:buildArgs.PYTHON_IMAGE must be text, got 3"],
  ["boolean as a word", { volumes: { "db-data": { retain: "yes" } } }, 'dockyard:volumes.db-data.retain must be true or false, got "yes"'],
  ["top-level boolean as a word", { allowPublicSubnets: "yes" }, 'dockyard:allowPublicSubnets must be true or false, got "yes"'],
  [
    "namespace not a DNS label",
    { namespace: "Prod_1" },
    `dockyard:namespace must be ${NAMESPACE_RULE}, or empty for the stack name, got "Prod_1"`,
  ],
  ["unknown builder", { imageBuilder: "buildx" }, 'dockyard:imageBuilder must be BuilderV1 or BuilderBuildKit, got "buildx"'],
  ["an empty option", { app: { optionA: "" } }, 'dockyard:app.optionA must not be empty, got ""'],
  ["an option that is not text", { app: { optionA: 3 } }, "dockyard:app.optionA must be text, got 3"],
  ["app parameters not a map", { app: "x" }, 'dockyard:app must be a map of the app\'s parameters, got "x"'],
];

describe("bad config stops the program before any resource is registered", () => {
  test.each(badConfig)("%s", async (_, config, message, stack = "dev") => {
    await expectRefused(config, message, stack);
  });

  test("a public subnet is accepted when explicitly allowed", async () => {
    await runProgram({ ...BASE, networks: { frontend: { subnet: "182.18.0.0/16" } }, allowPublicSubnets: "true" });
    const frontend = byType("docker:index/network:Network").find((network) => network.name === "frontend");
    expect(frontend?.inputs.ipamConfigs).toEqual([{ subnet: "182.18.0.0/16" }]);
  });
});

/**
 * A duplicate field cannot be written in the map-shaped YAML; what a user gets wrong instead is a
 * name. Each unknown name is refused with the list of what exists.
 */
const unknownNames: Case[] = [
  ["an unknown key of compose", { compose: { path: "x" } }, 'dockyard:compose has unknown key "path"; allowed: file, profiles, envFile'],
  ["a compose file that does not exist", { compose: { file: "nope.yaml" } }, "nope.yaml: file not found"],
  [
    "app parameters for a compose app",
    { compose: { file: "examples/voting-compose.yaml" }, app: { optionA: "Lions" } },
    'dockyard:app has unknown key "optionA"; allowed: (none: this app takes no parameters)',
  ],
  [
    "a key of the flat config before the per-name maps",
    { votePort: "8080" },
    'dockyard:votePort is no longer read: set dockyard:services.vote.ports.http instead (README, "Upgrading from the flat keys")',
  ],
  [
    "the old password key",
    { postgresPassword: "long-enough-1" },
    'dockyard:postgresPassword is no longer read: set dockyard:secrets.db-password instead (README, "Upgrading from the flat keys")',
  ],
  [
    "a key that never existed",
    { replicaCount: "3" },
    "dockyard:replicaCount is not a dockyard key; the keys are: target, services, networks, volumes, secrets, buildArgs, app, compose, imageTag, registry, registryUsername, registryPassword, imageBuilder, dockerHost, bindAddress, allowPublicSubnets, kubeconfig, kubeContext, namespace, serviceType, storageClass, rolloutTimeout, swarmEndpointMode, swarmNodes, swarmDataNode",
  ],
  [
    "a misspelt service setting",
    { services: { vote: { replica: 3 } } },
    'dockyard:services.vote has unknown key "replica"; allowed: replicas, ports, limits, autoscaling, image, rollout, reservations, placement, restart, endpointMode',
  ],
  [
    "two misspelt service settings",
    { services: { vote: { replica: 3, imag: "vote:1" } } },
    'dockyard:services.vote has unknown keys "replica", "imag"; allowed: replicas, ports, limits, autoscaling, image, rollout, reservations, placement, restart, endpointMode',
  ],
  [
    "a misspelt autoscaling setting",
    { ...CLUSTER, services: { vote: { autoscaling: { min: 1, maxReplicas: 3, targetCpuPercent: 70 } } } },
    'dockyard:services.vote.autoscaling has unknown key "min"; allowed: minReplicas, maxReplicas, targetCpuPercent',
    "staging",
  ],
  [
    "an unknown service",
    { services: { web: { replicas: 3 } } },
    'dockyard:services.web: the app has no service "web"; its services are: db, redis, result, vote, worker',
  ],
  [
    "an unknown port name",
    { services: { vote: { ports: { web: 5005 } } } },
    'dockyard:services.vote.ports.web: service "vote" has no port named "web"; its ports are: http',
  ],
  [
    "an unknown network",
    { networks: { public: { subnet: "10.9.0.0/24" } } },
    'dockyard:networks.public: the app has no network "public"; its networks are: backend, frontend',
  ],
  [
    "a misspelt network setting",
    { networks: { frontend: { mask: "255.255.255.0" } } },
    'dockyard:networks.frontend has unknown key "mask"; allowed: subnet, gateway, ipRange',
  ],
  [
    "an unknown volume",
    { volumes: { pgdata: { size: "1Gi" } } },
    'dockyard:volumes.pgdata: the app has no volume "pgdata"; its volumes are: db-data, redis-data',
  ],
  [
    "a misspelt volume setting",
    { volumes: { "db-data": { retained: true } } },
    'dockyard:volumes.db-data has unknown key "retained"; allowed: size, retain',
  ],
  [
    "an unknown secret",
    { secrets: { "db-password": "s3cret-pass", "api-key": "k3y-k3y-k3y" } },
    'dockyard:secrets.api-key: the app has no secret "api-key"; its secrets are: db-password',
  ],
  [
    "an unknown build argument",
    { buildArgs: { RUBY_IMAGE: "ruby:3.3" } },
    "dockyard:buildArgs.RUBY_IMAGE: no image built here takes a build argument RUBY_IMAGE; the arguments are: APP, NODE_IMAGE, PORT, PYTHON_IMAGE",
  ],
  ["an unknown app parameter", { app: { optionC: "Birds" } }, 'dockyard:app has unknown key "optionC"; allowed: optionA, optionB'],
];

describe("unknown names are refused with the list of what exists", () => {
  test.each(unknownNames)("%s", async (_, config, message, stack = "dev") => {
    await expectRefused(config, message, stack);
  });
});

/**
 * The bad inputs of the December 2026 review (inputs-2026-12), each refused
 * before any resource is registered, in the terms the user wrote them.
 */
const SPECIAL_RANGE = (subnet: string, range: string, what: string) =>
  `dockyard:networks.frontend.subnet ${subnet} overlaps ${range} (${what}), which no container network can use, even with dockyard:allowPublicSubnets; use a private range within ${PRIVATE}`;
const SYSTEM_NAMESPACE = (namespace: string) =>
  `dockyard:namespace "${namespace}" is one the cluster creates itself (default, kube-node-lease, kube-public, kube-system): the stack would create and own it, and delete it on destroy; use a namespace of the app's own, like the stack name`;
const SAME_OPTION = (value: string) =>
  `dockyard:app.optionB is the same as optionA: the poll needs two different choices (compared ignoring case and surrounding spaces), got ${JSON.stringify(value)}`;

const reviewedConfig: Case[] = [
  [
    "bind address out of range",
    { bindAddress: "300.1.1.1" },
    'dockyard:bindAddress must be an IPv4 address such as 127.0.0.1 or 0.0.0.0, got "300.1.1.1"',
  ],
  [
    "backend /29 with 3 vote replicas",
    { networks: { backend: { subnet: "10.123.2.0/29" } }, services: { vote: { replicas: 3 }, result: { ports: { http: 5003 } } } },
    "dockyard:networks.backend.subnet 10.123.2.0/29 has room for 5 containers (its 8 addresses less the network, broadcast and gateway addresses), but 7 are attached (db 1, redis 1, result 1, vote 3, worker 1); use a wider subnet, such as a /28 (room for 13), or fewer replicas",
  ],
  [
    "backend /29 with 5 worker replicas",
    { networks: { backend: { subnet: "10.123.2.0/29" } }, services: { worker: { replicas: 5 } } },
    "dockyard:networks.backend.subnet 10.123.2.0/29 has room for 5 containers (its 8 addresses less the network, broadcast and gateway addresses), but 9 are attached (db 1, redis 1, result 1, vote 1, worker 5); use a wider subnet, such as a /28 (room for 13), or fewer replicas",
  ],
  [
    "an ipRange too small for the containers attached",
    { networks: { backend: { ipRange: "10.123.2.0/30" } } },
    "dockyard:networks.backend.ipRange 10.123.2.0/30 has room for 2 containers (its 4 addresses less the network, broadcast and gateway addresses), but 5 are attached (db 1, redis 1, result 1, vote 1, worker 1); use a wider ipRange, such as a /29 (room for 5), or fewer replicas",
  ],
  [
    "loopback subnet, public allowed",
    { networks: { frontend: { subnet: "127.0.0.0/24" } }, allowPublicSubnets: "true" },
    SPECIAL_RANGE("127.0.0.0/24", "127.0.0.0/8", "loopback"),
  ],
  [
    "multicast subnet, public allowed",
    { networks: { frontend: { subnet: "224.0.0.0/24" } }, allowPublicSubnets: "true" },
    SPECIAL_RANGE("224.0.0.0/24", "224.0.0.0/4", "multicast"),
  ],
  ["cpus in hex", { services: { vote: { limits: { cpus: "0x10" } } } }, `dockyard:services.vote.limits.cpus ${CPUS_RULE}, got "0x10"`],
  [
    "autoscaling on target docker",
    { services: { vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 70 } } } },
    "dockyard:services.vote.autoscaling cannot be honoured on target docker (a Docker engine has no autoscaler); set dockyard:services.vote.replicas to the number of copies to run, or use target kubernetes",
  ],
  ["two identical options", { app: { optionA: "Cats", optionB: "Cats" } }, SAME_OPTION("Cats")],
  ["two options differing in case and spaces only", { app: { optionA: "Cats", optionB: " cats" } }, SAME_OPTION(" cats")],
  [
    "a password of 8 spaces",
    { secrets: { "db-password": "        " } },
    "dockyard:secrets.db-password must contain characters other than whitespace, got [secret] of 8 whitespace characters",
  ],
  ["namespace default", { ...CLUSTER, namespace: "default" }, SYSTEM_NAMESPACE("default"), "staging"],
  ["namespace kube-system", { ...CLUSTER, namespace: "kube-system" }, SYSTEM_NAMESPACE("kube-system"), "staging"],
  [
    "an upper-case base image",
    { buildArgs: { PYTHON_IMAGE: "MyPython:3.12" } },
    `dockyard:buildArgs.PYTHON_IMAGE ${IMAGE_RULE}, got "MyPython:3.12"`,
  ],
  [
    "an upper-case prebuilt image",
    { services: { redis: { image: "Redis:7" } } },
    `dockyard:services.redis.image ${IMAGE_RULE}, got "Redis:7"`,
  ],
  [
    "registry password without a user",
    { registry: "localhost:5000", registryPassword: "token-789" },
    "dockyard:registryPassword is set ([secret]) but dockyard:registryUsername is empty: set the user to log in as, or unset registryPassword to push without a login",
  ],
  ["docker host with a space", { dockerHost: "tcp://not a host" }, `dockyard:dockerHost ${DOCKER_HOST_RULE}, got "tcp://not a host"`],
  ...["tcp://", "unix://var/run/docker.sock"].map((dockerHost): Case => [
    `docker host ${dockerHost} (no host, or a host where a path belongs)`,
    { dockerHost },
    `dockyard:dockerHost ${DOCKER_HOST_RULE}, got ${JSON.stringify(dockerHost)}`,
  ]),
  // The messages that misled: the text as typed, two sentences, storage is not memory, one namespace rule.
  [
    "autoscaling cpu not a number",
    { ...CLUSTER, services: { vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: "abc" } } } },
    'dockyard:services.vote.autoscaling.targetCpuPercent must be a whole percent 1-100, got "abc"',
    "staging",
  ],
  [
    "autoscaling min not whole",
    { ...CLUSTER, services: { vote: { autoscaling: { minReplicas: "1.5", maxReplicas: 3, targetCpuPercent: 70 } } } },
    'dockyard:services.vote.autoscaling.minReplicas must be a whole number of 1 or more, got "1.5"',
    "staging",
  ],
  [
    "cpus infinite",
    { services: { vote: { limits: { cpus: "Infinity" } } } },
    `dockyard:services.vote.limits.cpus ${CPUS_RULE}, got "Infinity"`,
  ],
  [
    "a public subnet with no private look-alike",
    { networks: { frontend: { subnet: "8.8.8.0/24" } } },
    `dockyard:networks.frontend.subnet 8.8.8.0/24 is a public range, not one of ${PRIVATE}. Set dockyard:allowPublicSubnets to use it anyway.`,
  ],
  [
    "storage size that is no size",
    { volumes: { "db-data": { size: "5 apples" } } },
    'dockyard:volumes.db-data.size must be a storage size like "1Gi", "512Mi" or "10g" (units b, k, m, g, t; binary), got "5 apples"',
  ],
  ["storage size of zero", { volumes: { "db-data": { size: "0" } } }, 'dockyard:volumes.db-data.size must be more than 0, got "0"'],
  [
    "storage size as a number",
    { volumes: { "db-data": { size: 5 } } },
    'dockyard:volumes.db-data.size must be a storage size like "1Gi", got 5',
  ],
  [
    "an empty namespace and a stack name that is no namespace",
    { ...CLUSTER },
    `dockyard:namespace is empty, so the stack name "qa_1" would be the namespace, but a namespace must be ${NAMESPACE_RULE}: set dockyard:namespace`,
    "qa_1",
  ],
];

describe("the reviewed inputs stop the program before any resource is registered", () => {
  test.each(reviewedConfig)("%s", async (_, config, message, stack = "dev") => {
    await expectRefused(config, message, stack);
  });
});

describe("reviewed inputs that are valid", () => {
  const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
  const NAMESPACE = "kubernetes:core/v1:Namespace";

  test("a db-data size of 5m is a 5 MiB claim: storage has no memory minimum", async () => {
    await runProgram({ ...BASE, ...CLUSTER, volumes: { "db-data": { size: "5m" } } }, "staging");
    const claims = Object.fromEntries(
      byType(PVC).map((claim) => [claim.inputs.metadata.name, claim.inputs.spec.resources.requests.storage]),
    );
    expect(claims["db-data"]).toBe("5Mi");
  });

  test("namespace 1prod is an RFC 1123 label", async () => {
    await runProgram({ ...BASE, ...CLUSTER, namespace: "1prod" }, "prod");
    expect(byType(NAMESPACE).map((namespace) => namespace.inputs.metadata.name)).toEqual(["1prod"]);
  });

  test("subnet capacity counts exactly: a /29 cannot hold 7 containers, a /28 can", async () => {
    const sevenContainers = { ...BASE, services: { vote: { replicas: 3 }, result: { ports: { http: 5003 } } } };
    const refused = await programError({ ...sevenContainers, networks: { backend: { subnet: "10.123.2.0/29" } } });
    expect(refused.message).toContain("has room for 5 containers");
    await runProgram({ ...sevenContainers, networks: { backend: { subnet: "10.123.2.0/28" } } });
    expect(byType("docker:index/container:Container")).toHaveLength(7);
  });
});

/**
 * The stages up to the target's plan, run in this module so pulumi.log.warn can be captured (the
 * program runs in an isolated module registry, with a pulumi module of its own).
 */
async function plan(values: Config, stack = "dev"): Promise<void> {
  await setupMocks({}, stack);
  const all: Config = { ...BASE, ...values };
  const raw = (key: string) =>
    all[key] === undefined ? undefined : typeof all[key] === "string" ? (all[key] as string) : JSON.stringify(all[key]);
  const config = loadConfig(raw, stack);
  const { model, where } = applyConfig(votingApp, config);
  const app = resolveApp(model, where);
  if (config.target === "docker") planDocker(app, config, where);
  else planKubernetes(app, config, where);
  await settle();
}

describe("warnings about settings a target cannot honour, before anything is registered", () => {
  let warnings: Array<{ message: string; registeredBefore: number }>;
  beforeEach(() => {
    warnings = [];
    jest.spyOn(pulumi.log, "warn").mockImplementation(async (message: string) => {
      warnings.push({ message, registeredBefore: recorded.length });
    });
  });
  afterEach(() => jest.restoreAllMocks());

  test("cpus above this machine's CPUs on a local engine; a remote engine's count is unknown, so no warning (the README says so)", async () => {
    const cpus = os.availableParallelism() + 1;
    for (const dockerHost of ["unix:///var/run/docker.sock", "tcp://10.10.10.1:2376"]) {
      await plan({ dockerHost, services: { vote: { limits: { cpus } } } });
    }
    expect(warnings).toEqual([
      {
        message: `dockyard:services.vote.limits.cpus ${cpus} is more than the ${os.availableParallelism()} CPUs of this machine; if the engine at unix:///var/run/docker.sock runs here, Docker will refuse to create the container (its cpus range is 0.01 to its CPU count)`,
        registeredBefore: 0,
      },
    ]);
  });

  test("a kubernetes-only key set on target docker", async () => {
    await plan({ serviceType: "LoadBalancer", storageClass: "fast" });
    expect(warnings).toEqual([
      {
        message: "dockyard:serviceType is ignored on target docker: it applies to target kubernetes only",
        registeredBefore: 0,
      },
      {
        message: "dockyard:storageClass is ignored on target docker: it applies to target kubernetes only",
        registeredBefore: 0,
      },
    ]);
  });

  test("a docker-only key set on target kubernetes", async () => {
    await plan({ ...CLUSTER, bindAddress: "0.0.0.0" }, "staging");
    expect(warnings).toEqual([
      { message: "dockyard:bindAddress is ignored on target kubernetes: it applies to target docker only", registeredBefore: 0 },
    ]);
  });

  test("a volume size on target docker", async () => {
    await plan({ volumes: { "db-data": { size: "10Gi" }, "redis-data": { retain: true } } });
    expect(warnings).toEqual([
      {
        message:
          "dockyard:volumes.db-data.size is ignored on target docker: a local Docker volume has no size; it grows on the engine's disk",
        registeredBefore: 0,
      },
    ]);
  });

  test("network addresses on target kubernetes", async () => {
    await plan({ ...CLUSTER, networks: { backend: { subnet: "10.50.0.0/24", ipRange: "10.50.0.0/25" } } }, "staging");
    const why = "pods take addresses from the cluster's pod network; the app network becomes a NetworkPolicy";
    expect(warnings).toEqual([
      { message: `dockyard:networks.backend.subnet is ignored on target kubernetes: ${why}`, registeredBefore: 0 },
      { message: `dockyard:networks.backend.ipRange is ignored on target kubernetes: ${why}`, registeredBefore: 0 },
    ]);
  });

  test("the defaults warn about nothing, on either target", async () => {
    await plan({});
    await plan(CLUSTER, "staging");
    expect(warnings).toEqual([]);
  });

  test("nor do the defaults as the engine passes them: every key of Pulumi.yaml with its default, as if set", async () => {
    const defaults: Config = {};
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
      if (spec.default !== undefined) defaults[key] = typeof spec.default === "string" ? spec.default : (spec.default as object);
    }
    defaults.allowPublicSubnets = "false";
    await plan(defaults);
    await plan({ ...defaults, ...CLUSTER }, "staging");
    expect(warnings).toEqual([]);
  });
});

type ModelEdit = (app: AppModel) => void;

/** The model, edited as a user would edit stacks/votingApp.ts, planned for Docker. */
const dockerModels: Array<[string, ModelEdit, string]> = [
  [
    "autoscaling in the model, on Docker",
    (app) => (app.services.vote.autoscaling = { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 70 }),
    'app "voting": services.vote.autoscaling cannot be honoured on target docker (a Docker engine has no autoscaler); set dockyard:services.vote.replicas to the number of copies to run, or use target kubernetes',
  ],
  [
    "an ipRange too small for the containers attached",
    (app) => (app.networks.backend.ipRange = "10.123.2.0/30"),
    'app "voting": networks.backend.ipRange 10.123.2.0/30 has room for 2 containers (its 4 addresses less the network, broadcast and gateway addresses), but 5 are attached (db 1, redis 1, result 1, vote 1, worker 1); use a wider ipRange, such as a /29 (room for 5), or fewer replicas',
  ],
  [
    "a variable that secret env delivers as <VAR>_FILE, set in env too",
    (app) => (app.services.worker.env = { ...app.services.worker.env, DB_PASSWORD_FILE: "/tmp/pw" }),
    'app "voting": services.worker.env.DB_PASSWORD_FILE is set, but on Docker secret env DB_PASSWORD is delivered as DB_PASSWORD_FILE=/run/secrets/db-password; rename the variable',
  ],
];

describe("the Docker target refuses model input before any resource is registered", () => {
  test.each(dockerModels)("%s", async (_, edit, message) => {
    await setupMocks({});
    const config = loadConfig((key) => (key === "secrets" ? JSON.stringify(BASE.secrets) : undefined), "dev");
    const { model, where } = applyConfig(votingApp, config);
    edit(model);
    expect(() => planDocker(resolveApp(model, where), config, where)).toThrow(message);
    await settle();
    expect(recorded).toEqual([]);
  });
});

const CONTAINER_BASE: ContainerArgs = { name: "app", image: "app:1" };
const NETWORK_BASE: NetworkArgs = { name: "net", subnet: "10.1.0.0/24" };

describe("components refuse their own bad args before registering anything, themselves included", () => {
  test.each([
    [
      "env name starting with a digit (the rule the Kubernetes Deployment uses)",
      { env: { "1BAD": "x" } },
      'Container "app": env name must be letters, digits, _ - . not starting with a digit, got "1BAD"',
    ],
    [
      "one network joined twice",
      { networks: [{ name: "front" }, { name: "front", aliases: ["app"] }] },
      'Container "app": network "front" is joined twice; Docker attaches a container to a network once',
    ],
    [
      "host IP out of range",
      { ports: [{ containerPort: 80, hostPort: 8080, hostIp: "300.1.1.1" }] },
      'Container "app": hostIp must be an IPv4 address such as 127.0.0.1, got "300.1.1.1"',
    ],
  ] satisfies Array<[string, Partial<ContainerArgs>, string]>)("Container: %s", async (_, args, message) => {
    await setupMocks({});
    expect(() => new Container("app", { ...CONTAINER_BASE, ...args })).toThrow(message);
    await settle();
    expect(recorded).toEqual([]);
  });

  test.each([
    ["127.0.0.0/24", "127.0.0.0/8", "loopback"],
    ["224.0.0.0/24", "224.0.0.0/4", "multicast"],
    ["169.0.0.0/8", "169.254.0.0/16", "link-local"],
    ["0.0.0.0/0", "0.0.0.0/8", "this network"],
    ["250.0.0.0/8", "240.0.0.0/4", "reserved, with the broadcast address"],
  ])("Network: subnet %s overlaps %s (%s), even with allowPublicSubnet", async (subnet, range, what) => {
    await setupMocks({});
    expect(() => new Network("frontend", { ...NETWORK_BASE, subnet, allowPublicSubnet: true })).toThrow(
      `Network "frontend": subnet ${subnet} overlaps ${range} (${what}), which no container network can use, even with allowPublicSubnet; use a private range within ${PRIVATE}`,
    );
    await settle();
    expect(recorded).toEqual([]);
  });
});
