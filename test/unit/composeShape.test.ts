/**
 * Issue 26, the service's shape: valid compose that was refused (tcp and udp on one port, service
 * names with `_` or capitals, `~` in a bind mount, secrets without a `<VAR>_FILE` variable),
 * anonymous volumes, network_mode and volumes_from, each per target, with exact values and messages.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
// The home folder as a user's, whoever runs the tests: root's, /root, is refused as the host's credentials.
jest.mock("os", () => ({ ...jest.requireActual<typeof import("os")>("os"), homedir: () => "/srv/me" }));
import { validateContainerArgs } from "../../components/docker";
import { Deployment, DeploymentArgs, ValidationError } from "../../components/k8s";
import { readCompose } from "../../stacks/compose/app";
import { ComposeConversion } from "../../stacks/compose/convert";
import { resolveApp } from "../../stacks/resolve";
import { planDocker } from "../../stacks/targets/docker";
import { planKubernetes } from "../../stacks/targets/kubernetes";
import { planSwarm } from "../../stacks/targets/swarm";
import { find, settle, setupMocks } from "./mocks";
import { stackConfig } from "./stage";

type Target = "docker" | "swarm" | "kubernetes";

/** A compose file in a folder of its own, read as the program reads it. */
function compose(text: string): ComposeConversion {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-shape-"));
  fs.writeFileSync(path.join(dir, "compose.yaml"), text);
  return readCompose({ file: "compose.yaml" }, "dev", dir);
}

/** The conversion resolved and planned on a target, with the stage's usual settings. */
function plan(conversion: ComposeConversion, target: Target, values: Record<string, string | object> = {}) {
  const secrets = Object.fromEntries(Object.keys(conversion.model.secrets).map((name) => [name, "s3cret-value"]));
  // Pod Security "baseline": the images here run as root, which is beside these tests' point.
  const config = stackConfig({ target, secrets, ...(target === "kubernetes" ? { podSecurity: "baseline" } : {}), ...values }, "dev");
  const app = resolveApp(conversion.model, conversion.where);
  if (target === "docker") return { docker: planDocker(app, config, conversion.where) };
  if (target === "swarm") return { swarm: planSwarm(app, config, conversion.where) };
  return { kubernetes: planKubernetes(app, config, conversion.where) };
}

describe("the same port on tcp and udp is two ports, not a clash", () => {
  const dns = `name: dns\nservices:\n  dns:\n    image: example/dns:1\n    ports: ["53:53/udp", "53:53/tcp"]\n`;

  test("the model has both, each named by its protocol", () => {
    expect(compose(dns).model.services.dns.ports).toEqual([
      { name: "udp-53", containerPort: 53, protocol: "udp", publishedPort: 53 },
      { name: "tcp-53", containerPort: 53, publishedPort: 53 },
    ]);
  });

  test("docker publishes 53/udp and 53/tcp", () => {
    const container = plan(compose(dns), "docker").docker?.containers[0];
    expect(container?.args.ports).toEqual([
      { containerPort: 53, hostPort: 53, hostIp: "127.0.0.1", protocol: "udp" },
      { containerPort: 53, hostPort: 53, hostIp: "127.0.0.1", protocol: "tcp" },
    ]);
  });

  test("swarm publishes both", () => {
    const service = plan(compose(dns), "swarm").swarm?.services[0];
    expect(service?.args.ports?.map((port) => [port.publishedPort, port.protocol])).toEqual([
      [53, "udp"],
      [53, "tcp"],
    ]);
  });

  test("kubernetes gives the Service both", () => {
    const deployment = plan(compose(dns), "kubernetes").kubernetes?.deployments[0];
    expect(deployment?.args.ports).toEqual([
      { name: "udp-53", containerPort: 53, protocol: "udp", published: true, servicePort: 53 },
      { name: "tcp-53", containerPort: 53, protocol: "tcp", published: true, servicePort: 53 },
    ]);
  });

  test("the same port and protocol twice is still a clash, naming both", () => {
    const twice = compose(
      `name: dns\nservices:\n  a:\n    image: example/dns:1\n    ports: ["53:53/udp"]\n  b:\n    image: example/dns:1\n    ports: ["53:5353/udp"]\n`,
    );
    expect(() => resolveApp(twice.model, twice.where)).toThrow(
      "compose.yaml: services.b.ports[0] 53 is already published by compose.yaml: services.a.ports[0]",
    );
  });
});

describe("service names compose allows are mapped to names every target takes", () => {
  const text = [
    "name: shop",
    "services:",
    "  my_api:",
    "    image: example/api:1",
    "    expose: ['8080']",
    "  Web:",
    "    image: example/web:1",
    "    depends_on: [my_api]",
    "    ports: ['8000:80']",
    "",
  ].join("\n");

  test("the model's names, the dependency on the mapped name, and the mapping in the report", () => {
    const { model, report } = compose(text);
    expect(Object.keys(model.services)).toEqual(["web", "my-api"]);
    expect(model.services.web.dependsOn).toEqual({ "my-api": "started" });
    expect(report.filter((line) => line.note.startsWith("named "))).toEqual([
      {
        path: "services.Web",
        disposition: "changed",
        note: 'named "web" on every target (service names there are lowercase letters, digits and dashes): other services reach it as web, and dockyard:services.web sets it',
      },
      {
        path: "services.my_api",
        disposition: "changed",
        note: 'named "my-api" on every target (service names there are lowercase letters, digits and dashes): other services reach it as my-api, and dockyard:services.my-api sets it',
      },
    ]);
  });

  test("each target names it my-api", () => {
    const conversion = compose(text);
    expect(plan(conversion, "docker").docker?.containers.map((container) => container.args.name)).toEqual([
      "shop-dev-my-api-1",
      "shop-dev-web-1",
    ]);
    expect(plan(conversion, "swarm").swarm?.services.map((service) => service.args.name)).toEqual(["shop-dev-my-api", "shop-dev-web"]);
    expect(plan(conversion, "kubernetes").kubernetes?.deployments.map((deployment) => deployment.service)).toEqual(["my-api", "web"]);
  });

  test("a refusal of the model names the services as the file wrote them", () => {
    const conversion = compose(text.replace("depends_on: [my_api]", "depends_on: { my_api: { condition: service_healthy } }"));
    expect(conversion.model.services.web.dependsOn).toEqual({ "my-api": "healthy" });
    expect(() => resolveApp(conversion.model, conversion.where)).toThrow(
      'compose.yaml: services.Web.depends_on.my_api waits for "my-api" to be healthy, but "my-api" has no health check',
    );
  });

  test("two names that map to one are refused naming both", () => {
    expect(() => compose(`services:\n  my_api:\n    image: example/api:1\n  my-api:\n    image: example/api:1\n`)).toThrow(
      'compose.yaml: services.my_api and services.my-api are both named "my-api" on the targets (service names there are lowercase, with - for _ and .); rename one of them',
    );
  });

  test("a name no mapping makes a DNS label is refused", () => {
    expect(() => compose(`services:\n  1st_api:\n    image: example/api:1\n`)).toThrow(
      'compose.yaml: services.1st_api is not a valid service name here: mapped to "1st-api", it is still not lowercase letters, digits and dashes starting with a letter (a DNS label of up to 32); rename it',
    );
  });

  test("a name past 32 characters says how long it is", () => {
    const name = "payment-reconciliation-and-settlement-worker";
    expect(() => compose(`services:\n  ${name}:\n    image: example/api:1\n`)).toThrow(
      `compose.yaml: services.${name} is not a valid service name here: lowercase letters, digits and dashes starting with a letter (a DNS label of up to 32), and it has 44 characters; rename it`,
    );
  });
});

describe("~ in a bind mount is the home folder, as docker compose expands it", () => {
  test("~/data is os.homedir()/data, reported", () => {
    expect(os.homedir()).toBe("/srv/me");
    const { model, report } = compose(
      `name: home\nservices:\n  web:\n    image: example/web:1\n    volumes: ["~/data:/data:ro", "~:/home/me"]\n`,
    );
    expect(model.services.web.volumes).toEqual([
      { hostPath: path.join(os.homedir(), "data"), mountPath: "/data", readOnly: true },
      { hostPath: os.homedir(), mountPath: "/home/me" },
    ]);
    expect(report.find((line) => line.path === "services.web.volumes[0]")).toEqual({
      path: "services.web.volumes[0]",
      disposition: "changed",
      note: `bind mount ~/data is ${path.join(os.homedir(), "data")}: ~ is the home folder of the user running pulumi, as docker compose expands it (and the path must exist there on the Docker host)`,
    });
  });

  test("a bind source that takes over the host is named as written, then as the path it is, every one refused together", () => {
    const takeover =
      "a container that mounts it can take over the host; use a named volume of the app, or a path of its own under a data folder";
    expect(() =>
      compose(
        `name: home\nservices:\n  web:\n    image: example/web:1\n    volumes: ["~/../..:/host:ro", "/var//run/./docker.sock:/s", "/etc/passwd:/p:ro"]\n`,
      ),
    ).toThrow(
      [
        "2 keys of compose.yaml cannot be deployed:",
        `  compose.yaml: services.web.volumes[0] bind source "~/../.." (that is "/") holds the container engine's socket /var/run/docker.sock: ${takeover}`,
        `  compose.yaml: services.web.volumes[1] bind source "/var//run/./docker.sock" (that is "/var/run/docker.sock") is the container engine's socket: ${takeover}`,
      ].join("\n"),
    );
  });
});

describe("a service's secrets without a <VAR>_FILE variable are files at /run/secrets/<name>", () => {
  const text = [
    "name: vault",
    "services:",
    "  api:",
    "    image: example/api:1",
    "    secrets:",
    "      - api-key",
    "      - source: token",
    "        target: bearer",
    "",
    "secrets:",
    "  api-key: { file: ./api-key.txt }",
    "  token: { file: ./token.txt }",
    "",
  ].join("\n");

  test("the model's secret files, each reported", () => {
    const { model, report } = compose(text);
    expect(model.services.api.secretFiles).toEqual({ "/run/secrets/api-key": "api-key", "/run/secrets/bearer": "token" });
    expect(model.services.api.secretEnv).toBeUndefined();
    expect(report.filter((line) => line.path.startsWith("services.api.secrets"))).toEqual([
      {
        path: "services.api.secrets",
        disposition: "changed",
        note: "api-key is the file /run/secrets/api-key (owned by root, mode 0444), holding the stack's secret dockyard:secrets.api-key (pulumi config set --secret --path secrets.api-key <value>)",
      },
      {
        path: "services.api.secrets[1]",
        disposition: "changed",
        note: "token is the file /run/secrets/bearer (owned by root, mode 0444), holding the stack's secret dockyard:secrets.token (pulumi config set --secret --path secrets.token <value>)",
      },
    ]);
  });

  test("docker uploads each file, and sets no variable", () => {
    const container = plan(compose(text), "docker").docker?.containers[0];
    expect(container?.args.secretFiles?.map((file) => file.path)).toEqual(["/run/secrets/api-key", "/run/secrets/bearer"]);
    expect(container?.args.env).toEqual({});
  });

  test("swarm gives the service each swarm secret under its file name", () => {
    const swarm = plan(compose(text), "swarm").swarm;
    expect(swarm?.services[0].args.secrets).toEqual([
      { secret: "api-key", fileName: "api-key" },
      { secret: "token", fileName: "bearer" },
    ]);
    expect(swarm?.secrets.map(([name]) => name)).toEqual(["api-key", "token"]);
  });

  test("kubernetes mounts each Secret's key at its path", () => {
    const deployment = plan(compose(text), "kubernetes").kubernetes?.deployments[0];
    expect(deployment?.args.secretFiles).toEqual([
      { path: "/run/secrets/api-key", secretName: "vault-api-key", key: "value" },
      { path: "/run/secrets/bearer", secretName: "vault-token", key: "value" },
    ]);
  });

  test("an absolute target: docker and kubernetes put it there; swarm refuses it with the fix", () => {
    const conversion = compose(text.replace("target: bearer", "target: /etc/api/token"));
    expect(conversion.model.services.api.secretFiles).toEqual({ "/run/secrets/api-key": "api-key", "/etc/api/token": "token" });
    expect(plan(conversion, "docker").docker?.containers[0].args.secretFiles?.map((file) => file.path)).toEqual([
      "/etc/api/token",
      "/run/secrets/api-key",
    ]);
    expect(() => plan(conversion, "swarm")).toThrow(
      "compose.yaml: services.api.secrets[1] cannot be honoured on target swarm (a swarm secret is a file directly under /run/secrets); put it at /run/secrets/token (compose: target: token), and have the image read it there",
    );
  });

  test("a secret named by a <VAR>_FILE variable stays secret env, not a second file", () => {
    const conversion = compose(
      text.replace(
        "    secrets:\n      - api-key",
        "    environment:\n      API_KEY_FILE: /run/secrets/api-key\n    secrets:\n      - api-key",
      ),
    );
    expect([conversion.model.services.api.secretEnv, conversion.model.services.api.secretFiles]).toEqual([
      { API_KEY: "api-key" },
      { "/run/secrets/bearer": "token" },
    ]);
  });
});

describe("anonymous volumes become app volumes named after the service and path", () => {
  const text = [
    "name: node",
    "services:",
    "  web:",
    "    image: example/web:1",
    "    volumes:",
    "      - /app/node_modules",
    "      - type: volume",
    "        target: /cache",
    "",
  ].join("\n");

  test("the model's volumes and mounts, each reported", () => {
    const { model, report } = compose(text);
    expect(model.volumes).toEqual({ "web-app-node-modules": {}, "web-cache": {} });
    expect(model.services.web.volumes).toEqual([
      { volume: "web-app-node-modules", mountPath: "/app/node_modules" },
      { volume: "web-cache", mountPath: "/cache" },
    ]);
    expect(report.filter((line) => line.path.startsWith("services.web.volumes"))).toEqual([
      {
        path: "services.web.volumes[0]",
        disposition: "changed",
        note: 'anonymous volume /app/node_modules: the app\'s volume "web-app-node-modules", kept when the container is replaced (as docker compose keeps it) and removed on destroy; dockyard:volumes.web-app-node-modules sets its size and retain',
      },
      {
        path: "services.web.volumes[1]",
        disposition: "changed",
        note: 'anonymous volume /cache: the app\'s volume "web-cache", kept when the container is replaced (as docker compose keeps it) and removed on destroy; dockyard:volumes.web-cache sets its size and retain',
      },
    ]);
  });

  test('a name too long, or taken by a declared volume, ends in a hash of the service and path (sha256 of "web\\n/cache": 5385f887...)', () => {
    const { model } = compose(
      `name: node\nservices:\n  web:\n    image: example/web:1\n    volumes: [/var/lib/application/very/deep/folder, /cache, "web-cache:/data"]\nvolumes:\n  web-cache: {}\n`,
    );
    expect(Object.keys(model.volumes).sort()).toEqual(["web-cache", "web-cache-5385f887", "web-var-lib-application-0b436d61"]);
  });

  test("docker creates each volume and mounts it", () => {
    const docker = plan(compose(text), "docker").docker;
    expect(docker?.volumes.map(([name, args]) => [name, args.name])).toEqual([
      ["web-app-node-modules", "node-dev-web-app-node-modules"],
      ["web-cache", "node-dev-web-cache"],
    ]);
    expect(docker?.containers[0].args.mounts).toEqual([
      { volumeName: "node-dev-web-app-node-modules", hostPath: undefined, containerPath: "/app/node_modules", readOnly: false },
      { volumeName: "node-dev-web-cache", hostPath: undefined, containerPath: "/cache", readOnly: false },
    ]);
  });

  test("swarm mounts each volume", () => {
    expect(plan(compose(text), "swarm").swarm?.services[0].args.mounts).toEqual([
      { volume: "web-app-node-modules", containerPath: "/app/node_modules", readOnly: false },
      { volume: "web-cache", containerPath: "/cache", readOnly: false },
    ]);
  });

  test("kubernetes refuses it on a service that is not a single writer, with the fix", () => {
    expect(() => plan(compose(text), "kubernetes")).toThrow(
      'compose.yaml: services.web.volumes[0] volume "web-app-node-modules" on a service that is not singleWriter cannot be honoured on target kubernetes (its ReadWriteOnce claim attaches to one node, so one pod at a time may use it); mark service "web" singleWriter, or drop the mount',
    );
  });
});

describe("network_mode", () => {
  const none = `name: quiet\nservices:\n  batch:\n    image: example/batch:1\n    network_mode: none\n`;

  test("none: no network in the model", () => {
    const { model } = compose(none);
    expect([model.services.batch.networks, model.services.batch.networkMode, model.networks]).toEqual([[], "none", {}]);
  });

  test("none on docker: the container's network mode, no network joined", () => {
    const container = plan(compose(none), "docker").docker?.containers[0];
    expect([container?.args.networkMode, container?.args.networks]).toEqual(["none", []]);
  });

  test("none is refused on swarm and kubernetes, with the fix", () => {
    expect(() => plan(compose(none), "swarm")).toThrow(
      "compose.yaml: services.batch.network_mode cannot be honoured on target swarm (a swarm service's tasks are attached to the stack's networks; swarm has no network mode none); join the app's networks (remove network_mode), or use target docker",
    );
    expect(() => plan(compose(none), "kubernetes")).toThrow(
      "compose.yaml: services.batch.network_mode cannot be honoured on target kubernetes (every pod has the cluster's pod network; a pod without a network has no counterpart); join the app's networks (remove network_mode), or use target docker",
    );
  });

  test.each([
    [
      "none with ports",
      "    network_mode: none\n    ports: ['8080:80']\n",
      "compose.yaml: services.web.ports cannot be published with network_mode: none (the service has no network to publish them on); remove them, or network_mode",
    ],
    [
      "none with networks",
      "    network_mode: none\n    networks: [default]\n",
      "compose.yaml: services.web.network_mode none cannot go with networks: (the service would have no network to join them); remove one of them",
    ],
    [
      "host",
      "    network_mode: host\n",
      `compose.yaml: services.web.network_mode "host" cannot be deployed: the container would share the host's network stack (every interface, and services listening on the host's loopback), which dockyard never grants, as it refuses a mount of the engine's socket; publish the ports it serves (ports:) and remove network_mode`,
    ],
    [
      "service:<name>",
      "    network_mode: service:db\n",
      `compose.yaml: services.web.network_mode "service:db" cannot be deployed: a service joins the app's networks, never another container's network namespace (on Kubernetes that would need both in one pod); put both services on one network and reach the other by its name, or remove network_mode`,
    ],
    [
      "an unknown mode",
      "    network_mode: overlay\n",
      'compose.yaml: services.web.network_mode "overlay" cannot be deployed: network_mode is none, host, bridge, service:<name> or container:<name>',
    ],
    [
      "volumes_from",
      "    volumes_from: [db]\n",
      "compose.yaml: services.web.volumes_from cannot be deployed: a volume holds one service's data here (two services would write one data directory, and a cluster's ReadWriteOnce claim attaches to one node); give each service its own volumes, or run the two processes in one service",
    ],
  ])("%s is refused with the fix", (_, keys, message) => {
    expect(() => compose(`services:\n  db:\n    image: example/db:1\n  web:\n    image: example/web:1\n${keys}`)).toThrow(message);
  });

  test("bridge is the app's networks, reported", () => {
    const { model, report } = compose(`services:\n  web:\n    image: example/web:1\n    network_mode: bridge\n`);
    expect([model.services.web.networks, model.services.web.networkMode]).toEqual([["default"], undefined]);
    expect(report.find((line) => line.path === "services.web.network_mode")).toEqual({
      path: "services.web.network_mode",
      disposition: "changed",
      note: "bridge: the service joins the app's networks (its networks: or default)",
    });
  });
});

describe("the Kubernetes Deployment mounts each secret file alone, read-only", () => {
  const args = (): DeploymentArgs => ({
    identity: { app: "vault", instance: "dev" },
    namespace: "vault-dev",
    image: "example/api:1",
    cpus: 1,
    memory: "512m",
    secretFiles: [
      { path: "/run/secrets/api-key", secretName: "vault-api-key", key: "value" },
      { path: "/etc/api/token", secretName: "vault-token", key: "value" },
    ],
  });

  test("a secret volume per file, mounted with subPath at its path", async () => {
    await setupMocks({});
    new Deployment("api", args());
    await settle();
    const template = find("kubernetes:apps/v1:Deployment", "api").inputs.spec.template;
    expect(template.spec.volumes).toEqual([
      { name: "secret-file-1", secret: { secretName: "vault-api-key", items: [{ key: "value", path: "value" }], defaultMode: 0o444 } },
      { name: "secret-file-2", secret: { secretName: "vault-token", items: [{ key: "value", path: "value" }], defaultMode: 0o444 } },
    ]);
    expect(template.spec.containers[0].volumeMounts).toEqual([
      { name: "secret-file-1", mountPath: "/run/secrets/api-key", subPath: "value", readOnly: true },
      { name: "secret-file-2", mountPath: "/etc/api/token", subPath: "value", readOnly: true },
    ]);
  });

  test.each([
    [{ path: "run/secrets/x", secretName: "s", key: "value" }, 'Deployment "api": secret file path must be absolute, got "run/secrets/x"'],
    [
      { path: "/run/secrets/api-key", secretName: "s", key: "value" },
      'Deployment "api": secret file /run/secrets/api-key is given twice, or where a volume is mounted',
    ],
    [{ path: "/x", secretName: "s", key: "a/b" }, 'Deployment "api": secret file /x: key must be letters, digits, - _ ., got "a/b"'],
  ])("%j is refused", (file, message) => {
    const given = args();
    expect(() => new Deployment("api", { ...given, secretFiles: [...(given.secretFiles ?? []), file] })).toThrow(
      new ValidationError(message),
    );
  });
});

describe("the Docker Container's network mode none", () => {
  const base = { name: "quiet-dev-batch-1", image: "example/batch:1", networkMode: "none" as const };

  test("alone it is valid", () => {
    expect(() => validateContainerArgs("batch-1", base)).not.toThrow();
  });

  test.each([
    [
      { networks: [{ name: "quiet-dev-default" }] },
      'Container "batch-1": networkMode "none" cannot go with networks: the container has no network',
    ],
    [
      { ports: [{ containerPort: 80, hostPort: 8080 }] },
      'Container "batch-1": networkMode "none" cannot go with a published port: the container has no network to publish it on',
    ],
    [{ networkMode: "host" }, 'Container "batch-1": networkMode must be "none", got "host"'],
  ])("%j is refused", (patch, message) => {
    expect(() => validateContainerArgs("batch-1", { ...base, ...patch } as Parameters<typeof validateContainerArgs>[1])).toThrow(message);
  });
});
