/**
 * A remote Docker engine over SSH: dockyard:dockerSsh with an ssh:// dockyard:dockerHost. The refusals
 * (exact messages, before anything is registered), the key read as ssh reads it (its fingerprint and
 * public key as ssh-keygen prints them), known_hosts matched as ssh matches it, the plain-text key
 * refused outside dev, the Docker providers' sshOpts (paths of private files at a path that does not
 * change between runs; the key's text in no input), the docker CLI's ssh (a private `ssh` first on
 * PATH), and `dockyard up`'s first engine check on what ssh says. The keys are made by ssh-keygen for
 * the run; the temporary folder is the test's own (TMPDIR).
 */
import * as pulumi from "@pulumi/pulumi";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CONFIG_KEYS, keyPath, loadConfig, SecretText, StackConfig } from "../../stacks/config";
import { checkDockerSsh, refusePlainDockerSsh, sshBaseFolder, sshFiles, sshKeyInfo, sshOptions } from "../../stacks/dockerSsh";
import { NOT_READ } from "../../stacks/dockerTls";
import { dockerCommand } from "../../cli/runtime";
import { checkDocker } from "../../cli/up";
import type { LoadedStack } from "../../cli/stack";
import { byType, find, recorded, settle, setupMocks } from "./mocks";
import { CLUSTER, Config, expectRefused, SECRET_CONFIG } from "./program";

const HOST = "ssh://deploy@10.0.0.5";
let dir: string;
/** Key files' text by name: client (ed25519, OpenSSH format), rsa (PEM), ecdsa (PEM), locked (a passphrase), and the host's. */
const key: Record<string, string> = {};
/** The host key's public line ("ssh-ed25519 AAAA..."), and another host's. */
let hostKey: string;
let otherHostKey: string;

const keygen = (...args: string[]) => execFileSync("ssh-keygen", args, { cwd: dir, encoding: "utf8" });

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-ssh-test-"));
  keygen("-q", "-t", "ed25519", "-N", "", "-C", "client", "-f", "client");
  keygen("-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-C", "rsa", "-f", "rsa");
  keygen("-q", "-t", "ecdsa", "-b", "384", "-m", "PEM", "-N", "", "-C", "ecdsa", "-f", "ecdsa");
  keygen("-q", "-t", "ed25519", "-N", "a passphrase", "-C", "locked", "-f", "locked");
  keygen("-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "a passphrase", "-C", "locked-pem", "-f", "locked-pem");
  keygen("-q", "-t", "ed25519", "-N", "", "-C", "host", "-f", "host");
  keygen("-q", "-t", "ed25519", "-N", "", "-C", "other-host", "-f", "other-host");
  execFileSync("openssl", ["genpkey", "-algorithm", "x25519", "-out", "x25519"], { cwd: dir, stdio: "ignore" });
  for (const name of ["client", "rsa", "ecdsa", "locked", "locked-pem", "x25519"])
    key[name] = fs.readFileSync(path.join(dir, name), "utf8");
  const publicLine = (name: string) =>
    fs
      .readFileSync(path.join(dir, `${name}.pub`), "utf8")
      .split(" ")
      .slice(0, 2)
      .join(" ");
  hostKey = publicLine("host");
  otherHostKey = publicLine("other-host");
  // Everything dockyard writes goes under the test's own temporary folder (TMPDIR set here would not
  // reach os.tmpdir: jest gives the test a copy of the environment).
  fs.mkdirSync(path.join(dir, "tmp"));
  jest.spyOn(jest.requireActual<typeof os>("os"), "tmpdir").mockReturnValue(path.join(dir, "tmp"));
});
afterAll(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The login dockyard:dockerSsh takes: the client's key and a known_hosts line pinning the host's key at 10.0.0.5. */
const ssh = (knownHosts = `10.0.0.5 ${hostKey}`) => ({ privateKey: key.client, knownHosts });

/** loadConfig on plain values, as the program reads them: maps as JSON. */
function load(values: Record<string, unknown>, stack: string): StackConfig {
  const raw = (name: string) =>
    values[name] === undefined ? undefined : typeof values[name] === "string" ? values[name] : JSON.stringify(values[name]);
  return loadConfig(raw as (name: string) => string | undefined, stack, Object.keys(values));
}
const refusal = (values: Record<string, unknown>, stack: string): string => {
  try {
    load(values, stack);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("not refused");
};

describe("dockyard:dockerSsh and dockyard:dockerHost: refused before anything, naming the key, the value and what is allowed", () => {
  test("the key is declared: a map of text, default none, after dockerTls", () => {
    expect(CONFIG_KEYS.dockerSsh.default).toEqual({});
    expect(Object.keys(CONFIG_KEYS).indexOf("dockerSsh")).toBe(Object.keys(CONFIG_KEYS).indexOf("dockerTls") + 1);
  });

  // A message that holds a key made in beforeAll is a function.
  const cases: Array<[string, () => Record<string, unknown>, string, string | (() => string)]> = [
    [
      "an SSH login with the local unix:// socket",
      () => ({ dockerSsh: ssh() }),
      "dev",
      'dockyard:dockerSsh is set, but dockyard:dockerHost "unix:///var/run/docker.sock" is not an ssh:// engine: an SSH key and known_hosts are for logging in to the engine\'s machine (ssh://user@host); remove dockyard:dockerSsh (pulumi config rm dockerSsh), or point dockyard:dockerHost at ssh://user@host',
    ],
    [
      "an SSH login with a tcp:// engine",
      () => ({ dockerHost: "tcp://10.0.0.5:2375", dockerSsh: ssh() }),
      "dev",
      'dockyard:dockerSsh is set, but dockyard:dockerHost "tcp://10.0.0.5:2375" is not an ssh:// engine: an SSH key and known_hosts are for logging in to the engine\'s machine (ssh://user@host), and tcp:// takes TLS certificates (dockyard:dockerTls) instead; remove dockyard:dockerSsh (pulumi config rm dockerSsh), or point dockyard:dockerHost at ssh://user@host',
    ],
    [
      "an SSH login with a tcp:// engine outside dev, without TLS material: the login is named first",
      () => ({ dockerHost: "tcp://10.0.0.5:2376", dockerSsh: ssh() }),
      "prod",
      'dockyard:dockerSsh is set, but dockyard:dockerHost "tcp://10.0.0.5:2376" is not an ssh:// engine: an SSH key and known_hosts are for logging in to the engine\'s machine (ssh://user@host), and tcp:// takes TLS certificates (dockyard:dockerTls) instead; remove dockyard:dockerSsh (pulumi config rm dockerSsh), or point dockyard:dockerHost at ssh://user@host',
    ],
    [
      "the key without known_hosts",
      () => ({ dockerHost: HOST, dockerSsh: { privateKey: key.client } }),
      "prod",
      'dockyard:dockerSsh.knownHosts is required: the engine\'s SSH login takes privateKey and knownHosts together (privateKey is set), so that the key is offered only to a host whose key known_hosts pins; pulumi config set --path dockerSsh.knownHosts -- "$(ssh-keyscan -t ed25519 10.0.0.5)"',
    ],
    [
      "known_hosts without the key, on another port",
      () => ({ dockerHost: "ssh://deploy@10.0.0.5:2222", dockerSsh: { knownHosts: `[10.0.0.5]:2222 ${hostKey}` } }),
      "prod",
      'dockyard:dockerSsh.privateKey is required: the engine\'s SSH login takes privateKey and knownHosts together (knownHosts is set), so that the key is offered only to a host whose key known_hosts pins; pulumi config set --secret --path dockerSsh.privateKey -- "$(cat ~/.ssh/id_ed25519)"',
    ],
    [
      "a key that does not parse: the text is not shown",
      () => ({ dockerHost: HOST, dockerSsh: { ...ssh(), privateKey: "hunter2hunter2" } }),
      "prod",
      'dockyard:dockerSsh.privateKey must be an SSH private key without a passphrase ("-----BEGIN OPENSSH PRIVATE KEY-----" ..., as ssh-keygen writes it, or PEM "-----BEGIN RSA PRIVATE KEY-----" ...), got [secret] that does not parse as one',
    ],
    [
      "a public key where the private key belongs",
      () => ({ dockerHost: HOST, dockerSsh: { ...ssh(), privateKey: hostKey } }),
      "prod",
      'dockyard:dockerSsh.privateKey must be an SSH private key without a passphrase ("-----BEGIN OPENSSH PRIVATE KEY-----" ..., as ssh-keygen writes it, or PEM "-----BEGIN RSA PRIVATE KEY-----" ...), got [secret] that does not parse as one',
    ],
    [
      "a key with a passphrase (OpenSSH's format)",
      () => ({ dockerHost: HOST, dockerSsh: { ...ssh(), privateKey: key.locked } }),
      "prod",
      'dockyard:dockerSsh.privateKey ([secret]) is protected by a passphrase, which nothing here can type: give a key without one (ssh-keygen -t ed25519 -N "" -f dockyard-key makes one; ssh-keygen -p -N "" -f <copy of the key> takes the passphrase off a copy)',
    ],
    [
      "a key with a passphrase (PEM)",
      () => ({ dockerHost: HOST, dockerSsh: { ...ssh(), privateKey: key["locked-pem"] } }),
      "prod",
      'dockyard:dockerSsh.privateKey ([secret]) is protected by a passphrase, which nothing here can type: give a key without one (ssh-keygen -t ed25519 -N "" -f dockyard-key makes one; ssh-keygen -p -N "" -f <copy of the key> takes the passphrase off a copy)',
    ],
    [
      "a key of a type ssh does not log in with",
      () => ({ dockerHost: HOST, dockerSsh: { ...ssh(), privateKey: key.x25519 } }),
      "prod",
      "dockyard:dockerSsh.privateKey ([secret]) is a x25519 key, which ssh does not log in with: give an ed25519, ECDSA (P-256, P-384, P-521) or RSA key",
    ],
    [
      "a known_hosts line that is not one (a key type it does not have)",
      () => ({ dockerHost: HOST, dockerSsh: ssh(`# the engine\n10.0.0.5 ssh-rsa ${hostKey.split(" ")[1]}`) }),
      "prod",
      () =>
        `dockyard:dockerSsh.knownHosts line 2 must be a known_hosts line ("<host> <key type> <base64 key>", as ssh-keyscan prints it and ~/.ssh/known_hosts holds it), got "10.0.0.5 ssh-rsa ${hostKey.split(" ")[1].slice(0, 43)}..."`,
    ],
    [
      "a known_hosts line without a key",
      () => ({ dockerHost: HOST, dockerSsh: ssh("10.0.0.5") }),
      "prod",
      'dockyard:dockerSsh.knownHosts line 1 must be a known_hosts line ("<host> <key type> <base64 key>", as ssh-keyscan prints it and ~/.ssh/known_hosts holds it), got "10.0.0.5"',
    ],
    [
      "known_hosts of another host",
      () => ({ dockerHost: HOST, dockerSsh: ssh(`10.0.0.6,engine.example ${hostKey}`) }),
      "prod",
      'dockyard:dockerSsh.knownHosts pins no key for 10.0.0.5 (the host of dockyard:dockerHost "ssh://deploy@10.0.0.5"; its lines name 10.0.0.6,engine.example), so ssh would refuse the engine\'s machine: add a line for it (ssh-keyscan -t ed25519 10.0.0.5 prints one; check its key against ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on that machine)',
    ],
    [
      "known_hosts of the host on port 22, the engine's sshd on another",
      () => ({ dockerHost: "ssh://deploy@10.0.0.5:2222", dockerSsh: ssh() }),
      "prod",
      'dockyard:dockerSsh.knownHosts pins no key for [10.0.0.5]:2222 (the host of dockyard:dockerHost "ssh://deploy@10.0.0.5:2222"; its lines name 10.0.0.5), so ssh would refuse the engine\'s machine: add a line for it (ssh-keyscan -t ed25519 -p 2222 10.0.0.5 prints one; check its key against ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on that machine)',
    ],
    [
      "a pattern that names the host, negated on the same line",
      () => ({ dockerHost: HOST, dockerSsh: ssh(`10.0.0.*,!10.0.0.5 ${hostKey}`) }),
      "prod",
      'dockyard:dockerSsh.knownHosts pins no key for 10.0.0.5 (the host of dockyard:dockerHost "ssh://deploy@10.0.0.5"; its lines name 10.0.0.*,!10.0.0.5), so ssh would refuse the engine\'s machine: add a line for it (ssh-keyscan -t ed25519 10.0.0.5 prints one; check its key against ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on that machine)',
    ],
    [
      "a revoked key is no pin",
      () => ({ dockerHost: HOST, dockerSsh: ssh(`@revoked 10.0.0.5 ${hostKey}`) }),
      "prod",
      'dockyard:dockerSsh.knownHosts pins no key for 10.0.0.5 (the host of dockyard:dockerHost "ssh://deploy@10.0.0.5"; its lines name 10.0.0.5), so ssh would refuse the engine\'s machine: add a line for it (ssh-keyscan -t ed25519 10.0.0.5 prints one; check its key against ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on that machine)',
    ],
    [
      "a key not in the map",
      () => ({ dockerHost: HOST, dockerSsh: { ...ssh(), passphrase: "x" } }),
      "prod",
      'dockyard:dockerSsh has unknown key "passphrase"; allowed: privateKey, knownHosts',
    ],
    [
      "a value that is not text: not shown",
      () => ({ dockerHost: HOST, dockerSsh: { ...ssh(), privateKey: 42 } }),
      "prod",
      "dockyard:dockerSsh.privateKey must be text, got [secret]",
    ],
  ];
  test.each(cases)("%s", (_name, values, stack, message) => {
    expect(refusal(values(), stack)).toBe(typeof message === "string" ? message : message());
  });

  test("the same refusals through the whole program: nothing registered", async () => {
    await expectRefused(
      { dockerHost: "tcp://10.0.0.5:2375", dockerSsh: ssh() },
      'dockyard:dockerSsh is set, but dockyard:dockerHost "tcp://10.0.0.5:2375" is not an ssh:// engine: an SSH key and known_hosts are for logging in to the engine\'s machine (ssh://user@host), and tcp:// takes TLS certificates (dockyard:dockerTls) instead; remove dockyard:dockerSsh (pulumi config rm dockerSsh), or point dockyard:dockerHost at ssh://user@host',
    );
  });

  test("allowed: known_hosts as ssh matches it (hashed, wildcards, [host]:port, a CA), keys in OpenSSH's format and PEM", () => {
    fs.writeFileSync(path.join(dir, "known_hosts"), `10.0.0.5 ${hostKey}\n`);
    keygen("-q", "-H", "-f", path.join(dir, "known_hosts"));
    const hashed = fs.readFileSync(path.join(dir, "known_hosts"), "utf8");
    expect(hashed).toMatch(/^\|1\|/);
    for (const knownHosts of [
      hashed,
      `10.0.0.? ${hostKey}`,
      `engine.example,10.0.0.5 ${otherHostKey} a comment`,
      `@cert-authority 10.0.0.* ${hostKey}`,
    ]) {
      expect(load({ dockerHost: HOST, dockerSsh: ssh(knownHosts) }, "prod").dockerSsh?.knownHosts).toBe(knownHosts);
    }
    expect(
      load({ dockerHost: "ssh://deploy@10.0.0.5:2222", dockerSsh: ssh(`[10.0.0.5]:2222 ${hostKey}`) }, "prod").dockerSsh,
    ).toBeDefined();
    expect(load({ dockerHost: "ssh://Engine.Example", dockerSsh: ssh(`engine.example ${hostKey}`) }, "prod").dockerSsh).toBeDefined();
    for (const name of ["rsa", "ecdsa"]) {
      expect(load({ dockerHost: HOST, dockerSsh: { ...ssh(), privateKey: key[name] } }, "prod").dockerSsh?.privateKey.known()).toBe(
        key[name],
      );
    }
    const config = load({ dockerHost: HOST, dockerSsh: ssh() }, "prod");
    expect([config.dockerSsh?.privateKey.known(), config.dockerSsh?.knownHosts]).toEqual([key.client, `10.0.0.5 ${hostKey}`]);
    // The key prints as [secret].
    expect(JSON.stringify(config.dockerSsh)).not.toContain("PRIVATE KEY");
    expect(load({ dockerHost: HOST }, "prod").dockerSsh).toBeUndefined();
  });

  test("the key read as ssh reads it: its type, fingerprint and public key as ssh-keygen prints them", () => {
    for (const name of ["client", "rsa", "ecdsa"]) {
      const info = sshKeyInfo(key[name], keyPath);
      const listed = keygen("-l", "-E", "sha256", "-f", name).split(" ");
      const [type, blob] = keygen("-y", "-f", name).trim().split(" ");
      expect([info.fingerprint, info.type, info.publicKey]).toEqual([listed[1], type, `${type} ${blob}`]);
    }
  });

  test("what the CLI cannot decrypt (its placeholder) is not parsed; known_hosts still is", () => {
    expect(checkDockerSsh(HOST, { ...ssh(), privateKey: NOT_READ }, keyPath)).toEqual({ ...ssh(), privateKey: NOT_READ });
    expect(() => checkDockerSsh(HOST, { privateKey: NOT_READ, knownHosts: `10.0.0.6 ${hostKey}` }, keyPath)).toThrow(
      "dockyard:dockerSsh.knownHosts pins no key for 10.0.0.5",
    );
  });
});

describe("the private key in plain text: refused outside dev, like the TLS client key", () => {
  const value = () => JSON.stringify(ssh());
  test.each([
    [
      "prod",
      false,
      'dockyard:dockerSsh.privateKey is set in plain text ([secret]), so the stack\'s config file holds the key that logs in to the engine\'s machine as written; that is allowed only in the dev stack (stack is "prod"): pulumi config set --secret --path dockerSsh.privateKey -- "$(cat ~/.ssh/id_ed25519)"',
    ],
    ["prod", true, undefined],
    ["dev", false, undefined],
  ] as const)("stack %s, set with --secret: %s", (stack, secret, message) => {
    const run = () => refusePlainDockerSsh(stack, keyPath, value(), secret);
    if (message === undefined) expect(run).not.toThrow();
    else expect(run).toThrow(message);
  });
  test("known_hosts alone in plain text is fine (it is public)", () => {
    expect(() => refusePlainDockerSsh("prod", keyPath, JSON.stringify({ knownHosts: `10.0.0.5 ${hostKey}` }), false)).not.toThrow();
  });
});

describe("the Docker provider over SSH: sshOpts naming private files, the same on every run", () => {
  /** The program under mocks on stack staging, dockyard:secrets and dockyard:dockerSsh set with --secret. */
  async function run(config: Config): Promise<void> {
    const all: Config = { ...SECRET_CONFIG, ...config };
    await setupMocks(all, "staging");
    const raw = Object.fromEntries(
      Object.entries(all).map(([name, value]) => [`dockyard:${name}`, typeof value === "string" ? value : JSON.stringify(value)]),
    );
    pulumi.runtime.setAllConfig(raw, ["dockyard:secrets", "dockyard:dockerSsh"]);
    await jest.isolateModulesAsync(async () => {
      await import("../../index");
    });
    await settle();
  }
  /** The provider's sshOpts: JSON text, as the provider's SDK sends a list to its configuration. */
  const optsOf = (inputs: Record<string, unknown>) => JSON.parse(inputs.sshOpts as string) as string[];
  /** What the options name: the key and known_hosts files, in the user's folder under the temporary folder. */
  function expectFiles(sshOpts: string[]): void {
    const folder = path.dirname(sshOpts[1]);
    expect(path.dirname(folder)).toBe(path.join(dir, "tmp", `dockyard-ssh-${process.getuid?.()}`));
    expect(sshOpts).toEqual(sshOptions({ folder, identity: path.join(folder, "id"), knownHosts: path.join(folder, "known_hosts") }));
    expect(sshOpts).toEqual([
      "-i",
      path.join(folder, "id"),
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      `UserKnownHostsFile=${path.join(folder, "known_hosts")}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      "BatchMode=yes",
    ]);
    expect([path.dirname(folder), folder].map((f) => fs.statSync(f).mode & 0o777)).toEqual([0o700, 0o700]);
    expect(["id", "known_hosts"].map((file) => fs.statSync(path.join(folder, file)).mode & 0o777)).toEqual([0o600, 0o600]);
    expect(["id", "known_hosts"].map((file) => fs.readFileSync(path.join(folder, file), "utf8"))).toEqual([
      key.client,
      `10.0.0.5 ${hostKey}\n`,
    ]);
  }

  test("the engine target: the provider gets the host and sshOpts; no input holds the key; a second run the same inputs", async () => {
    await run({ dockerHost: HOST, dockerSsh: ssh() });
    const providers = byType("pulumi:providers:docker");
    expect(providers.map((provider) => provider.name)).toEqual(["docker"]);
    const inputs = providers[0].inputs;
    expect(Object.keys(inputs).sort()).toEqual(["host", "sshOpts"]);
    expect(inputs.host).toBe(HOST);
    expectFiles(optsOf(inputs));
    const keyBody = key.client.split("\n")[1];
    expect(recorded.filter((r) => JSON.stringify(r.inputs).includes(keyBody)).map((r) => `${r.type} ${r.name}`)).toEqual([]);
    expect(byType("docker:index/container:Container")).toHaveLength(5);
    const first = JSON.stringify(inputs);
    await run({ dockerHost: HOST, dockerSsh: ssh() });
    expect(JSON.stringify(find("pulumi:providers:docker", "docker").inputs)).toBe(first);
    // Another key, other files.
    await run({ dockerHost: HOST, dockerSsh: { ...ssh(), privateKey: key.rsa } });
    const other = optsOf(find("pulumi:providers:docker", "docker").inputs);
    expect(path.dirname(other[1])).not.toBe(path.dirname(optsOf(JSON.parse(first) as Record<string, unknown>)[1]));
  });

  test("on a swarm, the manager's provider gets them too", async () => {
    await run({ target: "swarm", bindAddress: "0.0.0.0", dockerHost: HOST, dockerSsh: ssh() });
    const inputs = find("pulumi:providers:docker", "docker").inputs;
    expect(inputs.host).toBe(HOST);
    expectFiles(optsOf(inputs));
  });

  test("on Kubernetes, the provider that builds the images gets them", async () => {
    await run({ ...CLUSTER, dockerHost: HOST, dockerSsh: ssh() });
    const inputs = find("pulumi:providers:docker", "docker").inputs;
    expect(inputs.host).toBe(HOST);
    expectFiles(optsOf(inputs));
    expect(byType("docker:index/image:Image")).toHaveLength(3);
  });

  test("a folder that is not the user's alone is refused, and nothing written in it", () => {
    const base = sshBaseFolder();
    expect(base).toBe(path.join(dir, "tmp", `dockyard-ssh-${process.getuid?.()}`));
    fs.rmSync(base, { recursive: true, force: true });
    fs.mkdirSync(base, { mode: 0o755 });
    fs.chmodSync(base, 0o755);
    expect(() => sshFiles(ssh())).toThrow(
      `${base} is not a private folder of this user's (a folder, owned by uid ${process.getuid?.()}, mode 0700): dockyard writes the engine's SSH key there; remove it (or set TMPDIR to another folder) and run again`,
    );
    expect(fs.readdirSync(base)).toEqual([]);
    fs.rmdirSync(base);
    fs.symlinkSync(dir, base);
    expect(() => sshFiles(ssh())).toThrow(`${base} is not a private folder of this user's`);
    fs.unlinkSync(base);
  });
});

describe("the docker CLI of the dockyard command over SSH: an ssh of dockyard's first on PATH", () => {
  test("the wrapper runs the ssh on PATH with the options before the docker CLI's", () => {
    const config = load({ dockerHost: HOST, dockerSsh: ssh() }, "prod");
    const docker = dockerCommand(config);
    expect(docker.env.DOCKER_HOST).toBe(HOST);
    const bin = (docker.env.PATH as string).split(path.delimiter)[0];
    expect(docker.env.PATH).toBe(`${bin}${path.delimiter}${process.env.PATH}`);
    const files = sshFiles(ssh());
    expect(bin).toBe(path.join(files.folder, "bin"));
    expect(fs.readdirSync(bin)).toEqual(["ssh"]);
    expect([fs.statSync(bin).mode & 0o777, fs.statSync(path.join(bin, "ssh")).mode & 0o777]).toEqual([0o700, 0o700]);
    // An ssh that prints its arguments, on PATH after the wrapper.
    const fake = path.join(dir, "fake-ssh");
    fs.mkdirSync(fake, { recursive: true });
    fs.writeFileSync(path.join(fake, "ssh"), '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
    const saved = process.env.PATH;
    try {
      process.env.PATH = `${fake}${path.delimiter}${saved}`;
      const wrapped = dockerCommand(config);
      const result = spawnSync("ssh", ["-o", "ConnectTimeout=30", "-T", "--", "deploy@10.0.0.5", "docker", "system", "dial-stdio"], {
        env: wrapped.env,
        encoding: "utf8",
      });
      // ssh takes an option's first value: the wrapper's timeout (15 s) wins over the docker CLI's (30 s).
      expect(result.stdout.trim().split("\n")).toEqual([
        ...sshOptions(files),
        "-o",
        "ConnectTimeout=15",
        "-o",
        "ConnectTimeout=30",
        "-T",
        "--",
        "deploy@10.0.0.5",
        "docker",
        "system",
        "dial-stdio",
      ]);
    } finally {
      process.env.PATH = saved;
    }
  });

  test("without dockyard:dockerSsh an ssh:// engine uses the user's own ssh: DOCKER_HOST alone, PATH as it is", () => {
    const docker = dockerCommand(load({ dockerHost: HOST }, "prod"));
    expect([docker.env.DOCKER_HOST, docker.env.PATH]).toEqual([HOST, process.env.PATH]);
  });

  test("a key that does not pass the program's checks is refused before a file is written", () => {
    const base = sshBaseFolder();
    fs.rmSync(base, { recursive: true, force: true });
    const config = load({ dockerHost: HOST, dockerSsh: ssh() }, "prod");
    const bad = { ...config, dockerSsh: { privateKey: new SecretText(key.locked), knownHosts: `10.0.0.5 ${hostKey}` } };
    expect(() => dockerCommand(bad)).toThrow("dockyard:dockerSsh.privateKey ([secret]) is protected by a passphrase");
    expect(fs.existsSync(base)).toBe(false);
  });
});

describe("dockyard up's first engine check over SSH: one line naming the host, what failed and the keys to fix", () => {
  let bin: string;
  const savedPath = process.env.PATH;
  beforeAll(() => {
    bin = fs.mkdtempSync(path.join(dir, "fake-docker-"));
  });
  afterAll(() => {
    process.env.PATH = savedPath;
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
  /** What the docker CLI says when the ssh it ran exits 255, with ssh's own error output. */
  const sshFailed = (said: string) =>
    `error during connect: Get "http://docker.example.com/v1.50/version": command [ssh -o ConnectTimeout=30 -T -l deploy -- 10.0.0.5 docker system dial-stdio] has exited with exit status 255, make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=${said}`;
  const CHANGED = [
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
    "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
    "The fingerprint for the ED25519 key sent by the remote host is",
    "SHA256:Kf/xE2tHcmksDRw83uSm6qASz/GYFZF0d14z38uh3BE.",
    "Host key for 10.0.0.5 has changed and you have requested strict checking.",
    "Host key verification failed.",
  ].join("\n");

  test("a key the engine machine's sshd refuses: its fingerprint, and where its public key must be", () => {
    fakeDocker(sshFailed("deploy@10.0.0.5: Permission denied (publickey)."));
    const fingerprint = keygen("-l", "-E", "sha256", "-f", "client").split(" ")[1];
    expect(failure(loaded({ dockerHost: HOST, dockerSsh: ssh() }))).toBe(
      `dockyard up: the SSH server at ssh://deploy@10.0.0.5 (dockyard:dockerHost) refused the key dockyard:dockerSsh.privateKey (ssh-ed25519 ${fingerprint}): its public key (ssh-keygen -y -f <the key's file>) must be in ~deploy/.ssh/authorized_keys on that machine, or set dockyard:dockerSsh.privateKey to a key that is; ssh said: deploy@10.0.0.5: Permission denied (publickey).`,
    );
  });

  test.each([
    [
      "without dockerSsh, every key of the user's refused",
      sshFailed("deploy@10.0.0.5: Permission denied (publickey)."),
      false,
      "dockyard up: the SSH server at ssh://deploy@10.0.0.5 (dockyard:dockerHost) refused every key your ssh offered (ssh-agent, ~/.ssh/config, ~/.ssh/id_*): add your public key to ~deploy/.ssh/authorized_keys on that machine, or set dockyard:dockerSsh.privateKey and dockyard:dockerSsh.knownHosts to a key it takes and its host key; ssh said: deploy@10.0.0.5: Permission denied (publickey).",
    ],
    [
      "a host key knownHosts does not pin",
      sshFailed(CHANGED),
      true,
      "dockyard up: the machine at ssh://deploy@10.0.0.5 (dockyard:dockerHost) presents a host key that dockyard:dockerSsh.knownHosts does not pin for 10.0.0.5 (it presents SHA256:Kf/xE2tHcmksDRw83uSm6qASz/GYFZF0d14z38uh3BE): if its key changed, put the new one in dockyard:dockerSsh.knownHosts (ssh-keyscan -t ed25519 10.0.0.5, its key checked against ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on that machine); if not, something else answers at that address, and nothing was sent to it",
    ],
    [
      "without dockerSsh, a host key the user's known_hosts does not hold",
      sshFailed("No ED25519 host key is known for 10.0.0.5 and you have requested strict checking.\nHost key verification failed."),
      false,
      "dockyard up: the machine at ssh://deploy@10.0.0.5 (dockyard:dockerHost) presents a host key your known_hosts does not hold for 10.0.0.5: add it to ~/.ssh/known_hosts, or set dockyard:dockerSsh.knownHosts and dockyard:dockerSsh.privateKey (ssh-keyscan -t ed25519 10.0.0.5, its key checked against ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on that machine)",
    ],
    [
      "no sshd listening",
      sshFailed("ssh: connect to host 10.0.0.5 port 22: Connection refused"),
      true,
      'dockyard up: no SSH server answers at 10.0.0.5 port 22 (dockyard:dockerHost "ssh://deploy@10.0.0.5"): connection refused; check that sshd runs there and listens on that address and port, and that nothing between here and there blocks it',
    ],
    [
      "an address nothing answers at within ssh's connect timeout",
      sshFailed("ssh: connect to host 10.0.0.5 port 22: Connection timed out"),
      true,
      'dockyard up: no SSH server answers at 10.0.0.5 port 22 (dockyard:dockerHost "ssh://deploy@10.0.0.5"): connection timed out; check that sshd runs there and listens on that address and port, and that nothing between here and there blocks it',
    ],
    [
      "logged in, but no engine behind the login",
      "Cannot connect to the Docker daemon at http://docker.example.com. Is the docker daemon running?",
      true,
      "dockyard up: dockyard logged in to the machine at ssh://deploy@10.0.0.5 (dockyard:dockerHost), but no Docker engine answers there: docker system dial-stdio dials DOCKER_HOST of the ssh session, else /var/run/docker.sock; start dockerd on that machine (or check which socket it listens on)",
    ],
    [
      "logged in, but no docker command there",
      sshFailed("bash: line 1: docker: command not found"),
      true,
      "dockyard up: dockyard logged in to the machine at ssh://deploy@10.0.0.5 (dockyard:dockerHost), but no docker command runs there for deploy: install Docker's CLI on that machine, on the PATH of its ssh sessions (docker system dial-stdio runs there)",
    ],
  ])("%s", (_name, stderr, withSsh, message) => {
    fakeDocker(stderr);
    expect(failure(loaded(withSsh ? { dockerHost: HOST, dockerSsh: ssh() } : { dockerHost: HOST }))).toBe(message);
  });
});
