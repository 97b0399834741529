/**
 * A Docker engine reached over SSH (DOCKER_HOST=ssh://user@host: the docker CLI and the Docker provider
 * log in with `ssh` and run `docker system dial-stdio` there): the stage's dockyard:dockerSsh (the
 * private key that logs in, and the known_hosts line(s) pinning the engine host's key) checked against
 * dockyard:dockerHost, before anything is created. The rules, each refused with the key, the value and
 * what is allowed:
 * - the two go together, and only with an ssh:// engine (unix:// needs no login, tcp:// takes TLS);
 * - privateKey is an SSH private key without a passphrase (OpenSSH's format, as ssh-keygen writes it,
 *   or PEM), parsed here; its text is never shown ([secret]);
 * - knownHosts is known_hosts text, each line parsed, and one of them names the dockerHost's host (as
 *   ssh looks it up: host, or [host]:port off port 22), so ssh's strict host key checking can pass;
 * - outside the dev stack, privateKey is taken only as a Pulumi secret (as dockerTls.clientKey is).
 * Without dockyard:dockerSsh an ssh:// engine is reached with the user's own ssh setup (ssh-agent,
 * ~/.ssh/config, ~/.ssh/known_hosts), as the docker CLI does.
 *
 * What ssh reads is written to private files (folder 0700, files 0600) at a path named by a digest of
 * the material, so that it is the same on every run (the provider's sshOpts, kept in the state, do not
 * change) and there for what runs without the program (refresh, destroy) as long as the material is
 * the same; the key text never reaches the state.
 */
import { createHash, createHmac, createPrivateKey, KeyObject } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { DockerSsh } from "./config";
import { NOT_READ, plainOutsideDev } from "./dockerTls";
import { InputError } from "./errors";

/** The keys of dockyard:dockerSsh. */
export const DOCKER_SSH_FIELDS = ["privateKey", "knownHosts"] as const;
export type DockerSshField = (typeof DOCKER_SSH_FIELDS)[number];

/** dockyard:dockerSsh as the stage gives it: text, each optional in the schema (checked together here). */
export type DockerSshText = Partial<Record<DockerSshField, string>>;

/** ssh's own port: known_hosts names a host on another port as [host]:port. */
export const SSH_PORT = "22";

type Namer = (key: string, path?: PropertyKey[]) => string;

/** How privateKey is set, as the messages say it. */
const SET_KEY = 'pulumi config set --secret --path dockerSsh.privateKey -- "$(cat ~/.ssh/id_ed25519)"';

/** The ssh-keyscan command that prints the engine host's key: `ssh-keyscan -t ed25519 [-p port] host`. */
function keyscan(url: URL): string {
  const port = url.port === "" || url.port === SSH_PORT ? "" : `-p ${url.port} `;
  return `ssh-keyscan -t ed25519 ${port}${url.hostname.replace(/^\[(.*)\]$/, "$1")}`;
}

/** What the private key is, as ssh names it, for messages: its type, SHA256 fingerprint and public key line. */
export interface SshKeyInfo {
  /** "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa". */
  type: string;
  /** "SHA256:..." as ssh-keygen -l prints it. */
  fingerprint: string;
  /** "ssh-ed25519 AAAA...": the line for the engine machine's authorized_keys. */
  publicKey: string;
}

/** An SSH wire-format string (a 4-byte length, then the bytes). */
function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An SSH mpint from a big-endian unsigned integer: a leading zero when its top bit is set. */
function mpint(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return sshString(trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** Reads SSH wire-format fields off a buffer; throws on a short one. */
class SshReader {
  #offset = 0;
  constructor(private readonly buffer: Buffer) {}
  uint32(): number {
    if (this.#offset + 4 > this.buffer.length) throw new Error("short");
    const value = this.buffer.readUInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }
  bytes(): Buffer {
    const length = this.uint32();
    if (this.#offset + length > this.buffer.length) throw new Error("short");
    const value = this.buffer.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }
  text(): string {
    return this.bytes().toString("latin1");
  }
}

function keyInfo(blob: Buffer): SshKeyInfo {
  const type = new SshReader(blob).text();
  const fingerprint = `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
  return { type, fingerprint, publicKey: `${type} ${blob.toString("base64")}` };
}

const EC_CURVES: Record<string, string> = { "P-256": "nistp256", "P-384": "nistp384", "P-521": "nistp521" };

/** The SSH public key blob of a key node's crypto parsed (PEM); undefined for a type ssh does not log in with. */
function publicBlob(key: KeyObject): Buffer | undefined {
  const jwk = key.export({ format: "jwk" });
  const b64 = (value: string | undefined) => Buffer.from(value ?? "", "base64url");
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(b64(jwk.x))]);
    case "rsa":
      return Buffer.concat([sshString(Buffer.from("ssh-rsa")), mpint(b64(jwk.e)), mpint(b64(jwk.n))]);
    case "ec": {
      const curve = EC_CURVES[jwk.crv ?? ""];
      if (curve === undefined) return undefined;
      const point = Buffer.concat([Buffer.from([4]), b64(jwk.x), b64(jwk.y)]);
      return Buffer.concat([sshString(Buffer.from(`ecdsa-sha2-${curve}`)), sshString(Buffer.from(curve)), sshString(point)]);
    }
    default:
      return undefined;
  }
}

const OPENSSH_BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
const OPENSSH_END = "-----END OPENSSH PRIVATE KEY-----";

/** Why a key text is refused: it does not parse, it has a passphrase, or ssh does not log in with its type. */
type KeyProblem = { problem: "unparsed" } | { problem: "passphrase" } | { problem: "type"; type: string };

/** OpenSSH's own format (openssh-key-v1, PROTOCOL.key): one key, not encrypted, its check words equal. */
function openSshKey(text: string): SshKeyInfo | KeyProblem {
  const start = text.indexOf(OPENSSH_BEGIN);
  const end = text.indexOf(OPENSSH_END);
  if (start < 0 || end < start) return { problem: "unparsed" };
  const body = text.slice(start + OPENSSH_BEGIN.length, end).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return { problem: "unparsed" };
  const data = Buffer.from(body, "base64");
  const magic = Buffer.from("openssh-key-v1\0");
  if (!data.subarray(0, magic.length).equals(magic)) return { problem: "unparsed" };
  try {
    const reader = new SshReader(data.subarray(magic.length));
    const cipher = reader.text();
    reader.text(); // kdf name
    reader.bytes(); // kdf options
    if (reader.uint32() !== 1) return { problem: "unparsed" };
    const blob = reader.bytes();
    if (cipher !== "none") return { problem: "passphrase" };
    const secret = new SshReader(reader.bytes());
    if (secret.uint32() !== secret.uint32()) return { problem: "unparsed" };
    const info = keyInfo(blob);
    if (secret.text() !== info.type) return { problem: "unparsed" };
    return info;
  } catch {
    return { problem: "unparsed" };
  }
}

/** A private key's type, fingerprint and public key line, or why it is refused. */
function readKey(text: string): SshKeyInfo | KeyProblem {
  if (text.includes(OPENSSH_BEGIN)) return openSshKey(text);
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,\s*ENCRYPTED/.test(text)) return { problem: "passphrase" };
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    return { problem: "unparsed" };
  }
  const blob = publicBlob(key);
  return blob === undefined ? { problem: "type", type: key.asymmetricKeyType ?? "unknown" } : keyInfo(blob);
}

/** The private key's type, fingerprint and public key line; throws the refusal naming the key when it is not one ssh can use. */
export function sshKeyInfo(text: string, keyPath: Namer): SshKeyInfo {
  const read = readKey(text);
  if (!("problem" in read)) return read;
  const key = keyPath("dockerSsh", ["privateKey"]);
  switch (read.problem) {
    case "passphrase":
      throw new InputError(
        `${key} ([secret]) is protected by a passphrase, which nothing here can type: give a key without one (ssh-keygen -t ed25519 -N "" -f dockyard-key makes one; ssh-keygen -p -N "" -f <copy of the key> takes the passphrase off a copy)`,
      );
    case "type":
      throw new InputError(
        `${key} ([secret]) is a${/^[aeiou]/.test(read.type) ? "n" : ""} ${read.type} key, which ssh does not log in with: give an ed25519, ECDSA (P-256, P-384, P-521) or RSA key`,
      );
    default:
      throw new InputError(
        `${key} must be an SSH private key without a passphrase ("${OPENSSH_BEGIN}" ..., as ssh-keygen writes it, or PEM "-----BEGIN RSA PRIVATE KEY-----" ...), got [secret] that does not parse as one`,
      );
  }
}

/** Key types a known_hosts line may pin. */
const HOST_KEY_TYPE =
  /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;

/** One line of known_hosts, parsed. */
interface KnownHost {
  marker?: "@cert-authority" | "@revoked";
  patterns: string;
  type: string;
}

/** A line of the text, at most 60 characters of it, for a message (known_hosts is public). */
const shownLine = (line: string) => JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}...` : line);

/** Each line of known_hosts text that is not blank or a comment, parsed; throws the refusal naming the first bad one. */
export function knownHostLines(text: string, keyPath: Namer): KnownHost[] {
  const lines: KnownHost[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    const marker = fields[0] === "@cert-authority" || fields[0] === "@revoked" ? fields.shift() : undefined;
    const [patterns, type, key] = fields;
    let blobType: string | undefined;
    try {
      blobType = key !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(key) ? new SshReader(Buffer.from(key, "base64")).text() : undefined;
    } catch {
      blobType = undefined;
    }
    if (patterns === undefined || type === undefined || !HOST_KEY_TYPE.test(type) || blobType !== type) {
      throw new InputError(
        `${keyPath("dockerSsh", ["knownHosts"])} line ${index + 1} must be a known_hosts line ("<host> <key type> <base64 key>", as ssh-keyscan prints it and ~/.ssh/known_hosts holds it), got ${shownLine(line)}`,
      );
    }
    lines.push({ ...(marker === undefined ? {} : { marker: marker as KnownHost["marker"] }), patterns, type });
  });
  return lines;
}

/** ssh's wildcard match (* and ?), case-insensitive as it matches host names. */
function wildcard(pattern: string, name: string): boolean {
  const expression = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${expression}$`).test(name.toLowerCase());
}

/** Whether a known_hosts line's host field names `name` (as ssh looks it up): hashed (|1|salt|hash), or patterns with negations. */
function namesHost(patterns: string, name: string): boolean {
  const hashed = /^\|1\|([^|]+)\|([^|]+)$/.exec(patterns);
  if (hashed !== null) {
    return createHmac("sha1", Buffer.from(hashed[1], "base64")).update(name).digest("base64") === hashed[2];
  }
  let matched = false;
  for (const pattern of patterns.split(",")) {
    if (pattern.startsWith("!")) {
      if (wildcard(pattern.slice(1), name)) return false;
    } else if (wildcard(pattern, name)) matched = true;
  }
  return matched;
}

/** The name ssh looks the engine's host up by in known_hosts: host, or [host]:port off port 22. */
export function knownHostsName(url: URL): string {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return url.port === "" || url.port === SSH_PORT ? host : `[${host}]:${url.port}`;
}

/**
 * dockyard:dockerHost and dockyard:dockerSsh together: both parts or neither, for an ssh:// engine
 * only, the key an SSH key without a passphrase, and known_hosts that pins a key of the engine's host.
 * Returns the material when it is set. `host` has passed dockerHost's own rules (parseDockerHost). A
 * key the CLI could not read (NOT_READ) is left to whoever can.
 */
export function checkDockerSsh(host: string, given: DockerSshText, keyPath: Namer): Record<DockerSshField, string> | undefined {
  const set = DOCKER_SSH_FIELDS.filter((field) => given[field] !== undefined && given[field] !== "");
  if (set.length === 0) return undefined;
  const url = new URL(host);
  const hostKey = keyPath("dockerHost");
  if (url.protocol !== "ssh:") {
    throw new InputError(
      `${keyPath("dockerSsh")} is set, but ${hostKey} ${JSON.stringify(host)} is not an ssh:// engine: an SSH key and known_hosts are for logging in to the engine's machine (ssh://user@host)${url.protocol === "tcp:" ? ", and tcp:// takes TLS certificates (dockyard:dockerTls) instead" : ""}; remove ${keyPath("dockerSsh")} (pulumi config rm dockerSsh), or point ${hostKey} at ssh://user@host`,
    );
  }
  if (set.length < DOCKER_SSH_FIELDS.length) {
    const missing = DOCKER_SSH_FIELDS.find((field) => !set.includes(field)) as DockerSshField;
    const command = missing === "privateKey" ? SET_KEY : `pulumi config set --path dockerSsh.knownHosts -- "$(${keyscan(url)})"`;
    throw new InputError(
      `${keyPath("dockerSsh", [missing])} is required: the engine's SSH login takes privateKey and knownHosts together (${set[0]} is set), so that the key is offered only to a host whose key known_hosts pins; ${command}`,
    );
  }
  const material = given as Record<DockerSshField, string>;
  if (material.privateKey !== NOT_READ) sshKeyInfo(material.privateKey, keyPath);
  if (material.knownHosts === NOT_READ) return material;
  const name = knownHostsName(url);
  const lines = knownHostLines(material.knownHosts, keyPath);
  if (!lines.some((line) => line.marker !== "@revoked" && namesHost(line.patterns, name))) {
    const named = [...new Set(lines.map((line) => (line.patterns.startsWith("|1|") ? "(hashed)" : line.patterns)))].join(", ");
    throw new InputError(
      `${keyPath("dockerSsh", ["knownHosts"])} pins no key for ${name} (the host of ${hostKey} ${JSON.stringify(host)}; its lines name ${named === "" ? "nothing" : named}), so ssh would refuse the engine's machine: add a line for it (${keyscan(url)} prints one; check its key against ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on that machine)`,
    );
  }
  return material;
}

/**
 * Outside the dev stack the private key is taken only as a Pulumi secret: set in plain text, the stack's
 * config file holds it as written. `value` is dockyard:dockerSsh as the engine passes it (JSON), `secret`
 * whether the engine marks the key secret (it does when any of its fields was set with --secret).
 */
export function refusePlainDockerSsh(stack: string, keyPath: (key: string) => string, value: string | undefined, secret: boolean): void {
  if (!plainOutsideDev(stack, value, secret, "privateKey")) return;
  throw new InputError(
    `${keyPath("dockerSsh")}.privateKey is set in plain text ([secret]), so the stack's config file holds the key that logs in to the engine's machine as written; that is allowed only in the dev stack (stack is "${stack}"): ${SET_KEY}`,
  );
}

/** Where the files of one set of SSH material are. */
export interface SshFiles {
  /** The private folder (0700) holding them. */
  folder: string;
  /** The private key (0600). */
  identity: string;
  /** The pinned host keys (0600), ssh's UserKnownHostsFile. */
  knownHosts: string;
}

/** The user's own folder of SSH material under the temporary folder: dockyard-ssh-<uid>. */
export function sshBaseFolder(): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : os.userInfo().username;
  return path.join(os.tmpdir(), `dockyard-ssh-${uid}`);
}

/** A folder that is this user's alone: made 0700 when missing; refused when it is a link, another user's, or open to others. */
export function privateFolder(folder: string): void {
  try {
    fs.mkdirSync(folder, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const stat = fs.lstatSync(folder);
  const mine = typeof process.getuid !== "function" || stat.uid === process.getuid();
  if (!stat.isDirectory() || !mine || (stat.mode & 0o077) !== 0) {
    throw new Error(
      `${folder} is not a private folder of this user's (a folder, owned by uid ${typeof process.getuid === "function" ? process.getuid() : "?"}, mode 0700): dockyard writes the engine's SSH key there; remove it (or set TMPDIR to another folder) and run again`,
    );
  }
}

/** Writes a file (0600, or `mode`) whole: a temporary file renamed over it, so a reader never sees half of it. */
export function writePrivate(file: string, text: string, mode = 0o600): void {
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text && (fs.statSync(file).mode & 0o777) === mode) return;
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text, { mode });
  fs.chmodSync(temporary, mode);
  fs.renameSync(temporary, file);
}

/**
 * The material as ssh reads it: the key and known_hosts in a private folder named by a digest of them
 * (the same material, the same paths, on every run and in every process). Left in place: a refresh or
 * destroy runs the provider without the program, on the paths in the state.
 */
export function sshFiles(material: Record<DockerSshField, string>): SshFiles {
  const base = sshBaseFolder();
  privateFolder(base);
  const digest = createHash("sha256")
    .update(JSON.stringify(["dockyard dockerSsh", material.privateKey, material.knownHosts]))
    .digest("hex")
    .slice(0, 16);
  const folder = path.join(base, digest);
  privateFolder(folder);
  const files = { folder, identity: path.join(folder, "id"), knownHosts: path.join(folder, "known_hosts") };
  // ssh refuses a key file without its last newline ("invalid format").
  const ended = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);
  writePrivate(files.identity, ended(material.privateKey));
  writePrivate(files.knownHosts, ended(material.knownHosts));
  return files;
}

/** A value of an ssh -o option: quoted when it holds a space (ssh splits an option's value as its config file does). */
const optionValue = (value: string) => (/\s/.test(value) ? `"${value}"` : value);

/**
 * ssh's options for the material: only this key, only these host keys (the system's known hosts
 * ignored), strict checking, never a prompt. The docker CLI and the provider add their own after them.
 */
export function sshOptions(files: SshFiles): string[] {
  return [
    "-i",
    files.identity,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `UserKnownHostsFile=${optionValue(files.knownHosts)}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
  ];
}

/**
 * The Docker provider's sshOpts for the material: paths only (the key's text is in the file, never in
 * the provider's inputs or the state). Its text must be known: the program's config gives it.
 */
export function providerSshOpts(ssh: DockerSsh): string[] {
  const privateKey = ssh.privateKey.known();
  if (privateKey === undefined) throw new Error("providerSshOpts: dockyard:dockerSsh.privateKey is not known text");
  return sshOptions(sshFiles({ privateKey, knownHosts: ssh.knownHosts }));
}
