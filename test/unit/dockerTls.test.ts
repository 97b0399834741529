/**
 * A remote Docker engine over TLS: dockyard:dockerTls with dockyard:dockerHost. The refusals (exact
 * messages, before anything is registered), the Docker providers' TLS arguments (the engine target's,
 * the swarm's and the Kubernetes builder's), the plain-text key refused outside dev, the docker CLI's
 * DOCKER_CERT_PATH folder, and `dockyard up`'s first engine check on what the docker CLI says.
 * The certificates are made by openssl for the run (a CA, a client certificate it signs, another CA).
 */
import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CONFIG_KEYS, keyPath, loadConfig, StackConfig } from "../../stacks/config";
import { checkDockerTls, NOT_READ, refusePlainDockerTls } from "../../stacks/dockerTls";
import { SECRET_PLACEHOLDER } from "../../cli/stack";
import { dockerCommand, removeCertFolders } from "../../cli/runtime";
import { checkDocker } from "../../cli/up";
import type { LoadedStack } from "../../cli/stack";
import { byType, find, recorded, secretValue, settle, setupMocks } from "./mocks";
import { CLUSTER, Config, expectRefused, SECRET_CONFIG } from "./program";

const HOST = "tcp://10.0.0.5:2376";
let dir: string;
const pem: Record<string, string> = {};

/** openssl with its output discarded. */
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-tls-test-"));
  const ca = (name: string, cn: string) =>
    openssl(
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", `/CN=${cn}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-keyout", `${name}-key.pem`, "-out", `${name}.pem`,
    ); // prettier-ignore
  ca("ca", "test CA");
  ca("other-ca", "another CA");
  fs.writeFileSync(path.join(dir, "client.ext"), "[ext]\nbasicConstraints = critical, CA:FALSE\nextendedKeyUsage = clientAuth\n");
  openssl(
    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=dockyard client",
    "-keyout", "client-key.pem", "-out", "client.csr",
  ); // prettier-ignore
  openssl(
    "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-days", "2",
    "-extfile", "client.ext", "-extensions", "ext", "-out", "client-cert.pem",
  ); // prettier-ignore
  for (const name of ["ca", "ca-key", "other-ca", "other-ca-key", "client-cert", "client-key"]) {
    pem[name] = fs.readFileSync(path.join(dir, `${name}.pem`), "utf8");
  }
});
afterAll(() => {
  removeCertFolders();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The three PEM texts a client needs: the CA, the client certificate it signed, and its key. */
const tls = () => ({ caCert: pem.ca, clientCert: pem["client-cert"], clientKey: pem["client-key"] });

/** loadConfig on plain values, as the program reads them: maps as JSON. */
function load(values: Record<string, unknown>, stack: string): StackConfig {
  const raw = (key: string) =>
    values[key] === undefined ? undefined : typeof values[key] === "string" ? values[key] : JSON.stringify(values[key]);
  return loadConfig(raw as (key: string) => string | undefined, stack, Object.keys(values));
}
const refusal = (values: Record<string, unknown>, stack: string): string => {
  try {
    load(values, stack);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("not refused");
};

describe("dockyard:dockerTls and dockyard:dockerHost: refused before anything, naming the key, the value and what is allowed", () => {
  test("the key is declared: PEM text in a map, default none", () => {
    expect(CONFIG_KEYS.dockerTls.default).toEqual({});
    expect(Object.keys(CONFIG_KEYS).indexOf("dockerTls")).toBe(Object.keys(CONFIG_KEYS).indexOf("dockerHost") + 1);
  });

  const cases: Array<[string, () => Record<string, unknown>, string, string]> = [
    [
      "tcp:// without TLS material outside dev",
      () => ({ dockerHost: HOST }),
      "prod",
      'dockyard:dockerHost "tcp://10.0.0.5:2376" is a TCP engine without TLS material, allowed only in the dev stack (stack is "prod"): set dockyard:dockerTls.caCert, .clientCert and .clientKey (pulumi config set --secret --path dockerTls.caCert -- "$(cat ca.pem)", and so on), or use ssh://user@10.0.0.5',
    ],
    [
      "tcp://…:2375 outside dev, even with TLS material",
      () => ({ dockerHost: "tcp://10.0.0.5:2375", dockerTls: tls() }),
      "staging",
      'dockyard:dockerHost "tcp://10.0.0.5:2375" is Docker\'s plain port (no encryption, no authentication: whoever reaches it runs containers as root there), allowed only in the dev stack (stack is "staging"): use the engine\'s TLS port, tcp://10.0.0.5:2376, with dockyard:dockerTls, or ssh://user@10.0.0.5',
    ],
    [
      "tcp:// without a port outside dev (the docker CLI takes 2375)",
      () => ({ dockerHost: "tcp://engine.example", dockerTls: tls() }),
      "prod",
      'dockyard:dockerHost "tcp://engine.example" gives no port, so the docker CLI takes 2375, Docker\'s plain port (no encryption, no authentication: whoever reaches it runs containers as root there), allowed only in the dev stack (stack is "prod"): use the engine\'s TLS port, tcp://engine.example:2376, with dockyard:dockerTls, or ssh://user@engine.example',
    ],
    [
      "TLS material with the local unix:// socket",
      () => ({ dockerTls: tls() }),
      "dev",
      'dockyard:dockerTls is set, but dockyard:dockerHost "unix:///var/run/docker.sock" is not a tcp:// engine: TLS certificates are for an engine\'s TCP port (tcp://host:2376); remove dockyard:dockerTls (pulumi config rm dockerTls), or point dockyard:dockerHost at tcp://host:2376',
    ],
    [
      "TLS material with an ssh:// engine",
      () => ({ dockerHost: "ssh://deploy@10.0.0.5", dockerTls: tls() }),
      "prod",
      'dockyard:dockerTls is set, but dockyard:dockerHost "ssh://deploy@10.0.0.5" is not a tcp:// engine: TLS certificates are for an engine\'s TCP port (tcp://host:2376), and ssh:// logs in with an SSH key instead; remove dockyard:dockerTls (pulumi config rm dockerTls), or point dockyard:dockerHost at tcp://host:2376',
    ],
    [
      "a part of the material missing",
      () => ({ dockerHost: HOST, dockerTls: { caCert: pem.ca, clientKey: pem["client-key"] } }),
      "prod",
      'dockyard:dockerTls.clientCert is required: the engine\'s TLS takes caCert, clientCert and clientKey together (caCert and clientKey are set); pulumi config set --secret --path dockerTls.clientCert -- "$(cat cert.pem)"',
    ],
    [
      "a CA certificate that does not parse",
      () => ({ dockerHost: HOST, dockerTls: { ...tls(), caCert: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n" } }),
      "prod",
      'dockyard:dockerTls.caCert must be a PEM certificate ("-----BEGIN CERTIFICATE-----" ..., as in ca.pem), got 65 characters starting "-----BEGIN CERTIFICATE-----" that does not parse as one',
    ],
    [
      "a key where the client certificate belongs",
      () => ({ dockerHost: HOST, dockerTls: { ...tls(), clientCert: pem["client-key"] } }),
      "prod",
      "", // filled in below: the key's length
    ],
    [
      "a caCert that is not a CA's (the client certificate)",
      () => ({ dockerHost: HOST, dockerTls: { ...tls(), caCert: pem["client-cert"] } }),
      "prod",
      "dockyard:dockerTls.caCert must be a CA certificate (basicConstraints CA:TRUE), got one for \"CN=dockyard client\" that is not a CA: give the certificate of the CA that signed the engine's server certificate (ca.pem, dockerd's --tlscacert)",
    ],
    [
      "a client key that does not parse: the text is not shown",
      () => ({ dockerHost: HOST, dockerTls: { ...tls(), clientKey: "hunter2hunter2" } }),
      "prod",
      'dockyard:dockerTls.clientKey must be a PEM private key ("-----BEGIN PRIVATE KEY-----" ..., as in key.pem, without a passphrase), got [secret] that does not parse as one',
    ],
    [
      "a client key that is not the client certificate's (the CA's key)",
      () => ({ dockerHost: HOST, dockerTls: { ...tls(), clientKey: pem["ca-key"] } }),
      "prod",
      'dockyard:dockerTls.clientKey ([secret]) is not the key of dockyard:dockerTls.clientCert (a certificate for "CN=dockyard client"): give the private key the client certificate was made with (key.pem beside cert.pem)',
    ],
    [
      "a key not in the map",
      () => ({ dockerHost: HOST, dockerTls: { ...tls(), passphrase: "x" } }),
      "prod",
      'dockyard:dockerTls has unknown key "passphrase"; allowed: caCert, clientCert, clientKey',
    ],
    [
      "a value that is not text: not shown",
      () => ({ dockerHost: HOST, dockerTls: { ...tls(), clientKey: 42 } }),
      "prod",
      "dockyard:dockerTls.clientKey must be text, got [secret]",
    ],
  ];
  test.each(cases)("%s", (_name, values, stack, message) => {
    const expected =
      message !== ""
        ? message
        : `dockyard:dockerTls.clientCert must be a PEM certificate ("-----BEGIN CERTIFICATE-----" ..., as in cert.pem), got ${pem["client-key"].length} characters starting "-----BEGIN PRIVATE KEY-----" that does not parse as one`;
    expect(refusal(values(), stack)).toBe(expected);
  });

  test("the same refusals through the whole program: nothing registered", async () => {
    await expectRefused(
      { dockerHost: "tcp://10.0.0.5:2375" },
      'dockyard:dockerHost "tcp://10.0.0.5:2375" is Docker\'s plain port (no encryption, no authentication: whoever reaches it runs containers as root there), allowed only in the dev stack (stack is "staging"): use the engine\'s TLS port, tcp://10.0.0.5:2376, with dockyard:dockerTls, or ssh://user@10.0.0.5',
      "staging",
    );
  });

  test("allowed: tcp:// without TLS, and the plain port, in the dev stack; the material on a tcp:// engine anywhere", () => {
    expect(load({ dockerHost: "tcp://10.0.0.5:2375" }, "dev").dockerTls).toBeUndefined();
    expect(load({ dockerHost: "tcp://10.0.0.5" }, "dev").dockerHost).toBe("tcp://10.0.0.5");
    const config = load({ dockerHost: HOST, dockerTls: tls() }, "prod");
    expect([config.dockerTls?.caCert, config.dockerTls?.clientCert, config.dockerTls?.clientKey.known()]).toEqual([
      pem.ca,
      pem["client-cert"],
      pem["client-key"],
    ]);
    // The key prints as [secret].
    expect(JSON.stringify(config.dockerTls)).not.toContain("PRIVATE KEY");
    expect(load({ dockerHost: "unix:///var/run/docker.sock" }, "prod").dockerTls).toBeUndefined();
  });

  test("what the CLI cannot decrypt (its placeholder) is not checked; the rest is", () => {
    expect(NOT_READ).toBe(SECRET_PLACEHOLDER);
    const unread = { caCert: NOT_READ, clientCert: NOT_READ, clientKey: NOT_READ };
    expect(checkDockerTls(HOST, unread, "prod", keyPath)).toEqual(unread);
    expect(() => checkDockerTls(HOST, { ...unread, caCert: pem["client-cert"] }, "prod", keyPath)).toThrow(
      'dockyard:dockerTls.caCert must be a CA certificate (basicConstraints CA:TRUE), got one for "CN=dockyard client"',
    );
  });
});

describe("the client key in plain text: refused outside dev, like the registry password", () => {
  const value = () => JSON.stringify(tls());
  test.each([
    [
      "prod",
      false,
      'dockyard:dockerTls.clientKey is set in plain text ([secret]), so the stack\'s config file holds the engine\'s client key as written; that is allowed only in the dev stack (stack is "prod"): pulumi config set --secret --path dockerTls.clientKey -- "$(cat key.pem)"',
    ],
    ["prod", true, undefined],
    ["dev", false, undefined],
  ] as const)("stack %s, set with --secret: %s", (stack, secret, message) => {
    const run = () => refusePlainDockerTls(stack, keyPath, value(), secret);
    if (message === undefined) expect(run).not.toThrow();
    else expect(run).toThrow(message);
  });

  /** The program under mocks on stack staging, `secretKeys` marked as set with --secret. */
  async function run(config: Config, secretKeys: string[]): Promise<string | undefined> {
    const all: Config = { ...SECRET_CONFIG, ...config };
    await setupMocks(all, "staging");
    const raw = Object.fromEntries(
      Object.entries(all).map(([key, value]) => [`dockyard:${key}`, typeof value === "string" ? value : JSON.stringify(value)]),
    );
    pulumi.runtime.setAllConfig(raw, secretKeys);
    try {
      await jest.isolateModulesAsync(async () => {
        await import("../../index");
      });
      return undefined;
    } catch (error) {
      return (error as Error).message;
    } finally {
      await settle();
    }
  }

  test("through the whole program: refused in plain text, nothing registered", async () => {
    expect(await run({ dockerHost: HOST, dockerTls: tls() }, ["dockyard:secrets"])).toBe(
      'dockyard:dockerTls.clientKey is set in plain text ([secret]), so the stack\'s config file holds the engine\'s client key as written; that is allowed only in the dev stack (stack is "staging"): pulumi config set --secret --path dockerTls.clientKey -- "$(cat key.pem)"',
    );
    expect(recorded).toHaveLength(0);
  });

  test("set with --secret: the Docker provider gets the material, the key as a secret, and every resource uses it", async () => {
    expect(await run({ dockerHost: HOST, dockerTls: tls() }, ["dockyard:secrets", "dockyard:dockerTls"])).toBeUndefined();
    const providers = byType("pulumi:providers:docker");
    expect(providers.map((provider) => provider.name)).toEqual(["docker"]);
    const inputs = providers[0].inputs;
    expect([inputs.host, inputs.caMaterial, inputs.certMaterial, secretValue(inputs.keyMaterial)]).toEqual([
      HOST,
      pem.ca,
      pem["client-cert"],
      pem["client-key"],
    ]);
    expect(Object.keys(inputs).sort()).toEqual(["caMaterial", "certMaterial", "host", "keyMaterial"]);
    // Nothing else carries the key: it is in the provider's inputs only, as a secret.
    const elsewhere = recorded.filter((r) => r.type !== "pulumi:providers:docker" && JSON.stringify(r.inputs).includes("PRIVATE KEY"));
    expect(elsewhere.map((r) => `${r.type} ${r.name}`)).toEqual([]);
    expect(byType("docker:index/container:Container")).toHaveLength(5);
  });

  test("on a swarm, the manager's provider gets it too", async () => {
    expect(
      await run({ target: "swarm", bindAddress: "0.0.0.0", dockerHost: HOST, dockerTls: tls() }, [
        "dockyard:secrets",
        "dockyard:dockerTls",
      ]),
    ).toBeUndefined();
    const inputs = find("pulumi:providers:docker", "docker").inputs;
    expect([inputs.host, inputs.caMaterial, inputs.certMaterial, secretValue(inputs.keyMaterial)]).toEqual([
      HOST,
      pem.ca,
      pem["client-cert"],
      pem["client-key"],
    ]);
  });

  test("on Kubernetes, the provider that builds the images gets it", async () => {
    expect(await run({ ...CLUSTER, dockerHost: HOST, dockerTls: tls() }, ["dockyard:secrets", "dockyard:dockerTls"])).toBeUndefined();
    const inputs = find("pulumi:providers:docker", "docker").inputs;
    expect([inputs.host, inputs.caMaterial, inputs.certMaterial, secretValue(inputs.keyMaterial)]).toEqual([
      HOST,
      pem.ca,
      pem["client-cert"],
      pem["client-key"],
    ]);
    expect(byType("docker:index/image:Image")).toHaveLength(3);
  });

  test("without TLS material the provider gets the host alone", async () => {
    expect(await run({ dockerHost: "ssh://deploy@10.0.0.5" }, ["dockyard:secrets"])).toBeUndefined();
    expect(find("pulumi:providers:docker", "docker").inputs).toEqual({ host: "ssh://deploy@10.0.0.5" });
  });
});

describe("the docker CLI of the dockyard command over TLS", () => {
  test("DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH: a private folder with ca.pem, cert.pem and key.pem, removed at exit", () => {
    const config = load({ dockerHost: HOST, dockerTls: tls() }, "prod");
    const docker = dockerCommand(config);
    expect([docker.env.DOCKER_HOST, docker.env.DOCKER_TLS_VERIFY]).toEqual([HOST, "1"]);
    const folder = docker.env.DOCKER_CERT_PATH as string;
    expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(folder).sort()).toEqual(["ca.pem", "cert.pem", "key.pem"]);
    expect(["ca.pem", "cert.pem", "key.pem"].map((file) => fs.statSync(path.join(folder, file)).mode & 0o777)).toEqual([
      0o600, 0o600, 0o600,
    ]);
    expect(["ca.pem", "cert.pem", "key.pem"].map((file) => fs.readFileSync(path.join(folder, file), "utf8"))).toEqual([
      pem.ca,
      pem["client-cert"],
      pem["client-key"],
    ]);
    // The same material, the same folder: one per process.
    expect(dockerCommand(config).env.DOCKER_CERT_PATH).toBe(folder);
    removeCertFolders();
    expect(fs.existsSync(folder)).toBe(false);
  });

  test("without TLS material: DOCKER_HOST alone", () => {
    const docker = dockerCommand(load({ dockerHost: "tcp://10.0.0.5:2375" }, "dev"));
    expect([docker.env.DOCKER_HOST, docker.env.DOCKER_CERT_PATH === undefined]).toEqual(["tcp://10.0.0.5:2375", true]);
  });

  test("material that does not pass the program's checks is refused before a file is written", () => {
    const config = load({ dockerHost: HOST, dockerTls: tls() }, "prod");
    const bad = { ...config, dockerTls: { ...config.dockerTls!, caCert: pem["client-cert"] } };
    expect(() => dockerCommand(bad)).toThrow(
      'dockyard:dockerTls.caCert must be a CA certificate (basicConstraints CA:TRUE), got one for "CN=dockyard client"',
    );
    expect(
      fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith("dockyard-tls-") && !name.startsWith("dockyard-tls-test-")),
    ).toEqual([]);
  });
});

describe("dockyard up's first engine check: one line naming the host, what failed and what to check", () => {
  let bin: string;
  const savedPath = process.env.PATH;
  beforeAll(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-fake-docker-"));
  });
  afterAll(() => {
    process.env.PATH = savedPath;
    fs.rmSync(bin, { recursive: true, force: true });
  });
  /** A docker command that prints `stderr` and exits 1, first on PATH. */
  function fakeDocker(stderr: string): void {
    fs.writeFileSync(path.join(bin, "docker"), `#!/bin/sh\nprintf '%s\\n' '${stderr.replace(/'/g, "'\\''")}' >&2\nexit 1\n`, {
      mode: 0o755,
    });
    process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
  }
  const loaded = (values: Record<string, unknown>, stack = "prod") => ({ stack, config: load(values, stack) }) as unknown as LoadedStack;
  const failure = (stack: LoadedStack) => {
    try {
      checkDocker("up", stack);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error("checkDocker passed");
  };

  test.each([
    [
      "a client certificate the engine does not trust",
      'error during connect: Get "https://10.0.0.5:2376/v1.24/version": remote error: tls: bad certificate',
      true,
      "dockyard up: the Docker engine at tcp://10.0.0.5:2376 refused the client certificate (dockyard:dockerTls.clientCert): it is not signed by the CA the engine trusts (dockerd's --tlscacert), or it has expired; the docker CLI said: remote error: tls: bad certificate",
    ],
    [
      "a server certificate the CA did not sign",
      'error during connect: Get "https://10.0.0.5:2376/v1.24/version": x509: certificate signed by unknown authority',
      true,
      "dockyard up: the Docker engine at tcp://10.0.0.5:2376 presents a server certificate that dockyard:dockerTls.caCert does not vouch for (x509: certificate signed by unknown authority): caCert must be the CA that signed dockerd's --tlscert, and that certificate must name 10.0.0.5 (subjectAltName)",
    ],
    [
      "the engine stopped",
      'error during connect: Get "https://10.0.0.5:2376/v1.24/version": dial tcp 10.0.0.5:2376: connect: connection refused',
      true,
      "dockyard up: no Docker engine answers at tcp://10.0.0.5:2376 (dockyard:dockerHost): connection refused; check that dockerd runs there and listens on that address and port (dockerd -H), and that nothing between here and there blocks it",
    ],
    [
      "the engine stopped, as the docker CLI says it",
      "Cannot connect to the Docker daemon at tcp://10.0.0.5:2376. Is the docker daemon running?",
      true,
      "dockyard up: no Docker engine answers at tcp://10.0.0.5:2376 (dockyard:dockerHost): nothing accepts connections there; check that dockerd runs there and listens on that address and port (dockerd -H), and that nothing between here and there blocks it",
    ],
    [
      "an engine that takes TLS only, asked without",
      "Client sent an HTTP request to an HTTPS server.",
      false,
      "dockyard up: the Docker engine at tcp://10.0.0.5:2376 takes TLS only: set dockyard:dockerTls (caCert, clientCert, clientKey) for it",
    ],
  ])("%s", (_name, stderr, withTls, message) => {
    fakeDocker(stderr);
    expect(failure(loaded(withTls ? { dockerHost: HOST, dockerTls: tls() } : { dockerHost: HOST }, withTls ? "prod" : "dev"))).toBe(
      message,
    );
  });

  test("the local socket: the advice to start one, as before", () => {
    fakeDocker("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?");
    expect(failure(loaded({}, "dev"))).toBe(
      "dockyard up: no Docker engine answers at unix:///var/run/docker.sock (dockyard:dockerHost): start one (Debian: sudo apt-get install docker.io && sudo systemctl start docker), or npm run deploy with DOCKYARD_START_DOCKERD=1",
    );
  });
});
