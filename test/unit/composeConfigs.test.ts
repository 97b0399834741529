/**
 * Issue 26: compose's top-level configs as read-only files on every target (exact model, plans and
 * provider inputs under mocks), and the refusals of what cannot be deployed: configs that cannot be
 * read, Windows host paths in bind mounts, build contexts and Dockerfiles that are not there, and
 * the Kubernetes hint for a service without a port.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readCompose } from "../../stacks/compose/app";
import { exposeHint, wellKnownPort } from "../../stacks/compose/wellKnownPorts";
import { InputError } from "../../stacks/errors";
import { AppModel, ConfigFile } from "../../stacks/model";
import { resolveApp } from "../../stacks/resolve";
import { DockerPlan, planDocker } from "../../stacks/targets/docker";
import { KubernetesPlan, planKubernetes } from "../../stacks/targets/kubernetes";
import { planSwarm, SwarmPlan } from "../../stacks/targets/swarm";
import { byType, find, settle, withoutSecrets } from "./mocks";
import { runProgram } from "./program";
import { stackConfig } from "./stage";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-configs-"));
const NGINX_CONF = "worker_processes 1;\nevents {}\n";
fs.writeFileSync(path.join(dir, "nginx.conf"), NGINX_CONF);

/** The file every target test deploys: a config from a file, one from content, one from a variable. */
const COMPOSE = `name: shop
configs:
  nginx:
    file: ./nginx.conf
  motd:
    content: "hello \${WHO:-world}"
  flags:
    environment: SHOP_FLAGS
services:
  web:
    image: nginx:1.27
    configs:
      - nginx
      - source: motd
        target: /etc/motd
        uid: "101"
        gid: "101"
        mode: 0440
      - source: flags
        target: etc/shop/flags
`;

/** Writes `text` as compose.yaml in a folder of its own, and reads it as the dev stack does. */
function read(text: string, variables: Record<string, string> = { SHOP_FLAGS: "beta=1" }) {
  const folder = fs.mkdtempSync(path.join(dir, "case-"));
  fs.writeFileSync(path.join(folder, "nginx.conf"), NGINX_CONF);
  fs.writeFileSync(path.join(folder, "compose.yaml"), text);
  fs.writeFileSync(
    path.join(folder, ".env"),
    Object.entries(variables)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(""),
  );
  return { folder, ...readCompose({ file: path.join(folder, "compose.yaml") }, "dev", folder) };
}

/** The refusal of a file, with its folder written <dir>. */
function refusal(text: string): string {
  const folder = fs.mkdtempSync(path.join(dir, "case-"));
  fs.writeFileSync(path.join(folder, "nginx.conf"), NGINX_CONF);
  fs.writeFileSync(path.join(folder, "compose.yaml"), text);
  try {
    const { model, where } = readCompose({ file: path.join(folder, "compose.yaml") }, "dev", folder);
    resolveApp(model, where);
  } catch (error) {
    return (error as Error).message.split(folder).join("<dir>");
  }
  throw new Error("not refused");
}

describe("top-level configs: the model", () => {
  test("each source's text, and each service config a file with its owner and mode (0440 is 288), /<name> by default", () => {
    const { model, report, folder } = read(COMPOSE);
    expect(model.configs).toEqual({
      nginx: { content: NGINX_CONF },
      motd: { content: "hello world" },
      flags: { content: "beta=1" },
    });
    expect(model.services.web.configFiles).toEqual({
      "/nginx": { config: "nginx" },
      "/etc/motd": { config: "motd", uid: "101", gid: "101", mode: 0o440 },
      "/etc/shop/flags": { config: "flags" },
    });
    expect(report.filter((line) => line.path.startsWith("configs") || line.path.startsWith("services.web.configs"))).toEqual([
      {
        path: "configs.nginx.file",
        disposition: "changed",
        note: `the text of ${path.join(folder, "nginx.conf")} as it is when pulumi runs, copied into the container (not a bind mount: a later edit needs another up)`,
      },
      ...[
        ["services.web.configs[0]", "nginx is the file /nginx, owner 0:0, mode 0444"],
        ["services.web.configs[1]", "motd is the file /etc/motd, owner 101:101, mode 0440"],
        ["services.web.configs[2]", "flags is the file /etc/shop/flags, owner 0:0, mode 0444"],
      ].map(([where, what]) => ({
        path: where,
        disposition: "changed",
        note: `${what}: on swarm a swarm config; on Docker uploaded into the container before it starts, on Kubernetes a ConfigMap mounted read-only, owned by root on both (a uid or gid is a warning there)`,
      })),
    ]);
    expect(resolveApp(model).configs).toEqual(model.configs);
  });

  test.each([
    [
      "configs:\n  c:\n    external: true\n",
      "configs.c.external true cannot be deployed: dockyard creates the app's configs from the file: remove external and give the text (file, content or environment)",
    ],
    [
      "configs:\n  c: {}\n",
      "configs.c needs its text: give file (a path relative to the compose file), content, or environment (a variable's name)",
    ],
    ["configs:\n  c: { file: ./nginx.conf, content: x }\n", "configs.c gives file and content: give one of file, content and environment"],
    [
      "configs:\n  c: { file: ./missing.conf }\n",
      'configs.c.file "./missing.conf" is <dir>/missing.conf, which is no file: give the config file\'s path relative to the compose file',
    ],
    [
      "configs:\n  c: { environment: NOT_SET_ANYWHERE }\n",
      "configs.c.environment names variable NOT_SET_ANYWHERE, which is not set: set it in the environment or in .env beside the compose file",
    ],
    [
      "configs:\n  c: { content: x, template_driver: golang }\n",
      "configs.c.template_driver cannot be deployed: the text is used as it is, never rendered as a template; render it before the up, and remove template_driver",
    ],
    [
      "configs:\n  c: { content: x }\n",
      'services.web.configs[0] names config "d", which is not declared under the top-level configs: (c); declare it',
      "[d]",
    ],
    [
      "configs:\n  c: { content: x }\n",
      'services.web.configs[0].target "/etc/" must be a file path in the container',
      "[{ source: c, target: /etc/ }]",
    ],
    ["configs:\n  c: { content: x }\n", 'services.web.configs[0].uid "www" must be a number (a user id)', "[{ source: c, uid: www }]"],
    [
      "configs:\n  c: { content: x }\n",
      'services.web.configs[0].mode "rw" must be permission bits, like 0440 (octal) or 288',
      "[{ source: c, mode: rw }]",
    ],
    [
      "configs:\n  c: { content: x }\n",
      "services.web.configs[0].mode 04777 (2559 in decimal) sets setuid (04000) and written by anyone (0002), which a config file does not take (it is data, not a program to run as its owner, nor a file anyone may change): give read, write and execute bits without those, like 0440",
      "[{ source: c, mode: 04777 }]",
    ],
    [
      "configs:\n  c: { content: x }\n",
      "services.web.configs[0].mode 02440 (1312 in decimal) sets setgid (02000), which a config file does not take (it is data, not a program to run as its owner, nor a file anyone may change): give read, write and execute bits without those, like 0440",
      "[{ source: c, mode: 02440 }]",
    ],
    [
      "configs:\n  c: { content: x }\n",
      "services.web.configs[0].mode 0666 (438 in decimal) sets written by anyone (0002), which a config file does not take (it is data, not a program to run as its owner, nor a file anyone may change): give read, write and execute bits without those, like 0440",
      "[{ source: c, mode: 0666 }]",
    ],
    // A credential file read into a config is refused as a mount of it is, before it is read.
    ...[
      ["./.kube/config", "is a user's credentials (~/.kube)"],
      ["deploy/id_ed25519", "is an SSH private key"],
      ["./.docker/config.json", "is a Docker client's config.json, with its registry logins"],
    ].map(([file, why]) => [
      `configs:\n  c: { file: ${file} }\n`,
      `configs.c.file ${JSON.stringify(file)} is <dir>/${path.posix.normalize(file)}, which ${why}: a config is not secret, and its text would be copied into every container of the services that list it, as a mount of it is refused; leave the credentials out of the app`,
    ]),
  ])("%j is refused naming the key", (configs, message, list = "[c]") => {
    expect(refusal(`${configs}services:\n  web:\n    image: nginx:1.27\n    configs: ${list}\n`)).toBe(`<dir>/compose.yaml: ${message}`);
  });

  test("a config file where a volume is mounted, or where a secret file is, is refused naming both", () => {
    const base =
      "configs:\n  c: { content: x }\nvolumes:\n  data: {}\nsecrets:\n  token: { environment: TOKEN }\nservices:\n  web:\n    image: nginx:1.27\n";
    expect(refusal(`${base}    volumes: [data:/data/c]\n    configs: [{ source: c, target: /data/c }]\n`)).toBe(
      '<dir>/compose.yaml: services.web.configs[0] (config "c") is also where volume "data" is mounted; give the config file a path of its own',
    );
    expect(refusal(`${base}    secrets: [token]\n    configs: [{ source: c, target: /run/secrets/token }]\n`)).toBe(
      '<dir>/compose.yaml: services.web.configs[0] (config "c") is also where secret "token" is; give each file its own path',
    );
  });

  test("a config or secret file inside a mounted folder is refused: it would be written into the volume or host folder", () => {
    const base =
      "configs:\n  c: { content: x }\nvolumes:\n  data: {}\nsecrets:\n  token: { environment: TOKEN }\nservices:\n  web:\n    image: nginx:1.27\n";
    expect(refusal(`${base}    volumes: [data:/data]\n    configs: [{ source: c, target: data/app.conf }]\n`)).toBe(
      '<dir>/compose.yaml: services.web.configs[0] (config "c", file /data/app.conf) is inside /data, where volume "data" is mounted: the file would be written into it and stay there after the config changes or is gone; give the config file a path outside every mount',
    );
    expect(refusal(`${base}    volumes: [data:/run/secrets]\n    secrets: [token]\n`)).toMatch(
      /services\.web\.secrets.* is inside \/run\/secrets, where volume "data" is mounted: the secret would be written into it and stay there, for whatever else mounts it, after the secret is gone; give the secret file a path outside every mount$/,
    );
    // Beside a mount, or at a folder that only starts with the same letters, is fine.
    expect(() => refusal(`${base}    volumes: [data:/data]\n    configs: [{ source: c, target: /data2/app.conf }]\n`)).toThrow(
      "not refused",
    );
  });
});

describe("the model's config files, checked by resolveApp for any app", () => {
  const app = (configFiles: Record<string, ConfigFile>): AppModel => ({
    name: "shop",
    services: { web: { image: { kind: "pull", ref: "nginx:1.27" }, networks: ["front"], limits: { cpus: 1, memory: "64m" }, configFiles } },
    networks: { front: { subnet: "10.1.0.0/24" } },
    volumes: {},
    secrets: {},
    configs: { site: { content: "x" } },
  });
  test.each<[Record<string, ConfigFile>, string]>([
    [
      { "etc/site": { config: "site" } },
      'services.web.configFiles.etc/site must be an absolute file path in the container, got "etc/site"',
    ],
    [{ "/site": { config: "other" } }, 'services.web.configFiles./site refers to unknown config "other"; the app\'s configs are: site'],
    [{ "/site": { config: "site", uid: "www" } }, 'services.web.configFiles./site.uid must be a number (a user id), got "www"'],
    [
      { "/site": { config: "site", mode: 0o1777 } },
      "services.web.configFiles./site.mode must be permission bits from 0 to 0777 (511), got 1023",
    ],
  ])("%j is refused", (configFiles, message) => {
    expect(() => resolveApp(app(configFiles))).toThrow(new InputError(`app "shop": ${message}`));
  });
});

describe("top-level configs on each target: the plan", () => {
  const plan = (target: "docker" | "swarm" | "kubernetes", text = COMPOSE) => {
    const { model, where } = read(text);
    const config = stackConfig({ target, secrets: {}, ...(target === "kubernetes" ? { podSecurity: "baseline" } : {}) }, "dev");
    const app = resolveApp(model, where);
    if (target === "docker") return planDocker(app, config, where);
    return target === "swarm" ? planSwarm(app, config, where) : planKubernetes(app, config, where);
  };

  test("docker: each file uploaded with its content and octal mode; the owner cannot be set, one warning for each of uid and gid", () => {
    const web = (plan("docker") as DockerPlan).containers.find((container) => container.service === "web");
    expect(web?.args.configFiles).toEqual([
      { path: "/etc/motd", content: "hello world", mode: "0440" },
      { path: "/etc/shop/flags", content: "beta=1", mode: "0444" },
      { path: "/nginx", content: NGINX_CONF, mode: "0444" },
    ]);
    const owner =
      "is ignored on target docker: the Docker provider writes a container's files as user 0 and group 0; the mode, 0440, is what lets the image's user read it";
    expect((plan("docker") as DockerPlan).warnings.filter((warning) => warning.includes("configs["))).toEqual([
      expect.stringMatching(new RegExp(`compose\\.yaml: services\\.web\\.configs\\[1\\]\\.uid 101 ${escape(owner)}$`)),
      expect.stringMatching(new RegExp(`compose\\.yaml: services\\.web\\.configs\\[1\\]\\.gid 101 ${escape(owner)}$`)),
    ]);
  });

  test("docker with read_only: files in several directories cannot go into one read-only volume, refused with the fix", () => {
    const readOnly = COMPOSE.replace("    configs:\n      - nginx\n", "    read_only: true\n    configs:\n      - nginx\n");
    expect(() => plan("docker", readOnly)).toThrow(
      /compose\.yaml: services\.web\.configs\[0\] cannot be honoured on target docker \(the root filesystem is read-only, so its files are in one volume mounted read-only at their directory, and they are in \/, \/etc, \/etc\/shop\); put its config files in one directory other than \/ \(compose: target: \/etc\/web\/<file>\), or remove read_only$/,
    );
  });

  test("docker with read_only and every config file in one directory: they go into the secret holder's volume", () => {
    const oneDirectory =
      "configs:\n  a: { content: A }\n  b: { content: B }\nservices:\n  web:\n    image: nginx:1.27\n    read_only: true\n    configs: [{ source: a, target: /etc/web/a }, { source: b, target: /etc/web/b, mode: 0400 }]\n";
    const web = (plan("docker", oneDirectory) as DockerPlan).containers.find((container) => container.service === "web");
    expect([web?.args.security?.readOnlyRootFilesystem, web?.args.configFiles]).toEqual([
      true,
      [
        { path: "/etc/web/a", content: "A", mode: "0444" },
        { path: "/etc/web/b", content: "B", mode: "0400" },
      ],
    ]);
  });

  test("swarm: one swarm config per config, named by a fingerprint of its text; each task's file with owner and mode", () => {
    const swarm = plan("swarm") as SwarmPlan;
    expect(swarm.configs).toEqual([
      ["flags", { name: "shop-dev-flags-9ffadc091b", content: "beta=1", labels: expect.any(Object) }],
      ["motd", { name: "shop-dev-motd-b94d27b993", content: "hello world", labels: expect.any(Object) }],
      ["nginx", { name: "shop-dev-nginx-3af9c5ba20", content: NGINX_CONF, labels: expect.any(Object) }],
    ]);
    expect(swarm.services.find((service) => service.name === "web")?.args.configs).toEqual([
      { config: "motd", fileName: "/etc/motd", uid: "101", gid: "101", mode: 0o440 },
      { config: "flags", fileName: "/etc/shop/flags" },
      { config: "nginx", fileName: "/nginx" },
    ]);
  });

  test("kubernetes: each file with its content and mode; the owner cannot be set, one warning for each of uid and gid", () => {
    const kubernetes = plan("kubernetes") as KubernetesPlan;
    expect(kubernetes.deployments.find((deployment) => deployment.service === "web")?.args.configFiles).toEqual([
      { path: "/etc/motd", content: "hello world", mode: 0o440 },
      { path: "/etc/shop/flags", content: "beta=1" },
      { path: "/nginx", content: NGINX_CONF },
    ]);
    const owner =
      "is ignored on target kubernetes: a ConfigMap's files are owned by user 0 and group 0 (the pod's fsGroup when the service's user gives a group); the mode, 0440, is what lets the image's user read it";
    expect(kubernetes.warnings.filter((warning) => warning.includes("configs[1]"))).toEqual([
      expect.stringMatching(new RegExp(`compose\\.yaml: services\\.web\\.configs\\[1\\]\\.uid 101 ${escape(owner)}$`)),
      expect.stringMatching(new RegExp(`compose\\.yaml: services\\.web\\.configs\\[1\\]\\.gid 101 ${escape(owner)}$`)),
    ]);
  });
});

describe("top-level configs on each target: the provider inputs under mocks", () => {
  const file = path.join(dir, "deployed", "compose.yaml");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(path.join(path.dirname(file), "nginx.conf"), NGINX_CONF);
  fs.writeFileSync(file, COMPOSE);
  fs.writeFileSync(path.join(path.dirname(file), ".env"), "SHOP_FLAGS=beta=1\n");
  const run = (target: string, more: Record<string, string | object> = {}) =>
    runProgram({ "dockyard:secrets": {}, "dockyard:target": target, "dockyard:compose": { file }, ...more }, "dev");

  test("docker: the container's uploads, plain in the state (no secret among them), with their modes", async () => {
    await run("docker");
    await settle();
    const { uploads } = find("docker:index/container:Container", "web-1").inputs;
    // withoutSecrets would show "[secret]" for a secret list: the configs are readable in the state.
    expect(withoutSecrets(uploads)).toEqual([
      { file: "/etc/motd", content: "hello world", permissions: "0440" },
      { file: "/etc/shop/flags", content: "beta=1", permissions: "0444" },
      { file: "/nginx", content: NGINX_CONF, permissions: "0444" },
    ]);
  });

  test("swarm: one docker config each (the text base64-encoded), and the service's task files with owner and mode", async () => {
    await run("swarm");
    await settle();
    const configs = byType("docker:index/serviceConfig:ServiceConfig");
    expect(configs.map((config) => [config.name, config.inputs.name, Buffer.from(config.inputs.data, "base64").toString("utf8")])).toEqual([
      ["config-flags", expect.stringMatching(/^shop-dev-flags-[0-9a-f]{10}$/), "beta=1"],
      ["config-motd", expect.stringMatching(/^shop-dev-motd-[0-9a-f]{10}$/), "hello world"],
      ["config-nginx", expect.stringMatching(/^shop-dev-nginx-[0-9a-f]{10}$/), NGINX_CONF],
    ]);
    const id = (name: string) => `config-${name}-id`;
    const configName = (name: string) => configs.find((config) => config.name === `config-${name}`)?.inputs.name;
    expect(find("docker:index/service:Service", "web").inputs.taskSpec.containerSpec.configs).toEqual([
      { configId: id("motd"), configName: configName("motd"), fileName: "/etc/motd", fileUid: "101", fileGid: "101", fileMode: 0o440 },
      { configId: id("flags"), configName: configName("flags"), fileName: "/etc/shop/flags", fileUid: "0", fileGid: "0", fileMode: 0o444 },
      { configId: id("nginx"), configName: configName("nginx"), fileName: "/nginx", fileUid: "0", fileGid: "0", fileMode: 0o444 },
    ]);
  });

  test("kubernetes: one immutable ConfigMap named by its content, each file mounted alone, read-only, with its mode", async () => {
    await run("kubernetes", { "dockyard:podSecurity": "baseline" });
    await settle();
    const configMaps = byType("kubernetes:core/v1:ConfigMap").filter((configMap) => configMap.name === "web-files");
    expect(configMaps.map((configMap) => [configMap.inputs.metadata.name, configMap.inputs.immutable, configMap.inputs.data])).toEqual([
      [expect.stringMatching(/^web-files-[0-9a-f]{10}$/), true, { "file-1": "hello world", "file-2": "beta=1", "file-3": NGINX_CONF }],
    ]);
    const pod = find("kubernetes:apps/v1:Deployment", "web").inputs.spec.template.spec;
    expect(pod.volumes.filter((volume: { name: string }) => volume.name === "config-files")).toEqual([
      {
        name: "config-files",
        configMap: {
          name: configMaps[0].inputs.metadata.name,
          items: [
            { key: "file-1", path: "file-1", mode: 0o440 },
            { key: "file-2", path: "file-2", mode: 0o444 },
            { key: "file-3", path: "file-3", mode: 0o444 },
          ],
          defaultMode: 0o444,
        },
      },
    ]);
    expect(pod.containers[0].volumeMounts.filter((mount: { name: string }) => mount.name === "config-files")).toEqual([
      { name: "config-files", mountPath: "/etc/motd", subPath: "file-1", readOnly: true },
      { name: "config-files", mountPath: "/etc/shop/flags", subPath: "file-2", readOnly: true },
      { name: "config-files", mountPath: "/nginx", subPath: "file-3", readOnly: true },
    ]);
  });
});

describe("docker with read_only: config files go into the holder volume, mounted read-only, plain in the state", () => {
  test("the holder's uploads and the service's read-only mount of its volume", async () => {
    const file = path.join(dir, "locked", "compose.yaml");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
      file,
      "name: shop\nconfigs:\n  a: { content: A }\nservices:\n  locked:\n    image: nginx:1.27\n    read_only: true\n    configs: [{ source: a, target: /etc/locked/a, mode: 0400 }]\n",
    );
    await runProgram({ "dockyard:secrets": {}, "dockyard:target": "docker", "dockyard:compose": { file } }, "dev");
    await settle();
    const holder = find("docker:index/container:Container", "locked-1-secrets").inputs;
    expect([holder.name, holder.start, withoutSecrets(holder.uploads)]).toEqual([
      "shop-dev-locked-1-secrets",
      false,
      [{ file: "/etc/locked/a", content: "A", permissions: "0400" }],
    ]);
    const locked = find("docker:index/container:Container", "locked-1").inputs;
    expect([locked.uploads, locked.readOnly, locked.volumes]).toEqual([
      undefined,
      true,
      [{ volumeName: "shop-dev-locked-1-secrets", containerPath: "/etc/locked", readOnly: true }],
    ]);
  });
});

describe("a Windows host path in a bind mount is refused with the key as written and the fix", () => {
  const WHY =
    "is a Windows path, which is no folder on this machine: give the host folder as an absolute path here (/srv/data), or relative to the compose file (./data)";
  test.each([
    ["[ 'C:\\data:/data' ]", `services.web.volumes[0] "C:\\\\data:/data": "C:\\\\data" ${WHY}`],
    ["[ 'D:/data:/data:ro' ]", `services.web.volumes[0] "D:/data:/data:ro": "D:/data" ${WHY}`],
    ["[ '//c/data:/data' ]", `services.web.volumes[0] "//c/data:/data": "//c/data" ${WHY}`],
    ["[ { type: bind, source: 'C:\\data', target: /data } ]", `services.web.volumes[0].source "C:\\\\data" ${WHY}`],
  ])("%s", (volumes, message) => {
    expect(refusal(`services:\n  web:\n    image: nginx:1.27\n    volumes: ${volumes}\n`)).toBe(`<dir>/compose.yaml: ${message}`);
  });

  test("a POSIX absolute path with two slashes and a longer first part is a path, not a drive", () => {
    const { model } = read("services:\n  web:\n    image: nginx:1.27\n    volumes: ['//srv/data:/data']\n");
    expect(model.services.web.volumes).toEqual([{ hostPath: "/srv/data", mountPath: "/data" }]);
  });
});

describe("a build context or Dockerfile that is not there is refused when the file is read, before anything is created", () => {
  test.each([
    [
      "build: ./nowhere",
      'services.web.build "./nowhere" is <dir>/nowhere, which is no folder: create it, or give the build context\'s folder relative to the compose file',
    ],
    [
      "build: { context: ./nowhere }",
      'services.web.build.context "./nowhere" is <dir>/nowhere, which is no folder: create it, or give the build context\'s folder relative to the compose file',
    ],
    [
      "build: ./empty",
      "services.web.build has no Dockerfile: <dir>/empty/Dockerfile is not there; add it, or name the Dockerfile with services.web.build.dockerfile (relative to the context)",
    ],
    [
      "build: { context: ./empty, dockerfile: Dockerfile.prod }",
      'services.web.build.dockerfile "Dockerfile.prod" is <dir>/empty/Dockerfile.prod, which is no file: give the Dockerfile\'s path relative to the context (<dir>/empty)',
    ],
  ])("%s", (build, message) => {
    const folder = fs.mkdtempSync(path.join(dir, "build-"));
    fs.mkdirSync(path.join(folder, "empty"));
    fs.writeFileSync(path.join(folder, "compose.yaml"), `services:\n  web:\n    ${build}\n`);
    expect(() => readCompose({ file: path.join(folder, "compose.yaml") }, "dev", folder)).toThrow(
      `${folder}/compose.yaml: ${message.split("<dir>").join(folder)}`,
    );
  });

  test("with the Dockerfile there (by default or by name), the build is the model's", () => {
    const folder = fs.mkdtempSync(path.join(dir, "build-"));
    fs.mkdirSync(path.join(folder, "web"));
    fs.writeFileSync(path.join(folder, "web", "Dockerfile.prod"), "FROM busybox:1.36\n");
    fs.writeFileSync(path.join(folder, "compose.yaml"), "services:\n  web:\n    build: { context: ./web, dockerfile: Dockerfile.prod }\n");
    expect(readCompose({ file: path.join(folder, "compose.yaml") }, "dev", folder).model.services.web.image).toEqual({
      kind: "build",
      context: "web",
      dockerfile: "Dockerfile.prod",
    });
  });
});

describe("the Kubernetes hint for a service without a port names its image's port, or a placeholder", () => {
  test.each([
    ["postgres:16", 5432],
    ["docker.io/library/redis:7.4@sha256:0123", 6379],
    ["mirror.example/mysql:8", 3306],
    ["example/api:1", undefined],
  ])("%s: %s", (ref, port) => {
    expect(wellKnownPort({ kind: "pull", ref })).toBe(port);
  });

  test.each([
    ["postgres:16", '["5432"]'],
    ["example/queue:1", '["<port>"]'],
  ])("a service others depend on, image %s: expose: %s", (image, expose) => {
    const { model, where } = read(
      `name: shop\nservices:\n  web:\n    image: nginx:1.27\n    depends_on: [db]\n  db:\n    image: ${image}\n`,
    );
    const config = stackConfig({ target: "kubernetes", secrets: {}, podSecurity: "baseline" }, "dev");
    expect(() => planKubernetes(resolveApp(model, where), config, where)).toThrow(
      new InputError(
        `${where("services.db.ports")} cannot be honoured on target kubernetes (web depends on "db", but it declares no port, so no Service makes it reachable by name); declare the port it listens on (compose: expose: ${expose})`,
      ),
    );
    expect(exposeHint({ kind: "pull", ref: image })).toBe(`declare the port it listens on (compose: expose: ${expose})`);
  });
});

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
