/**
 * A Docker engine reached over TLS (`docker --tlsverify`, DOCKER_TLS_VERIFY=1): the stage's
 * dockyard:dockerTls (the CA that signed the engine's server certificate, and the client certificate
 * and key the engine trusts, each as PEM text) checked against dockyard:dockerHost, before anything is
 * created. The rules, each refused with the key, the value and what is allowed:
 * - outside the dev stack, a tcp:// engine needs the TLS material, and not Docker's plain port (2375,
 *   also what the docker CLI takes for a tcp:// host without a port): whoever reaches that port runs
 *   containers as root on the engine's machine;
 * - the material is for a tcp:// engine only: unix:// needs none, ssh:// logs in with a key;
 * - the three go together; each must parse (node's crypto): caCert a CA certificate, clientCert a
 *   certificate, clientKey a private key that is clientCert's;
 * - outside the dev stack, clientKey is taken only as a Pulumi secret (as registryPassword is).
 */
import type * as docker from "@pulumi/docker";
import { createPrivateKey, KeyObject, X509Certificate } from "crypto";
import type { DockerTls } from "./config";
import { InputError } from "./errors";

/** The keys of dockyard:dockerTls, in the order the docker CLI's --tlscacert, --tlscert, --tlskey take them. */
export const DOCKER_TLS_FIELDS = ["caCert", "clientCert", "clientKey"] as const;
export type DockerTlsField = (typeof DOCKER_TLS_FIELDS)[number];

/** dockyard:dockerTls as the stage gives it: PEM text, each optional in the schema (checked together here). */
export type DockerTlsText = Partial<Record<DockerTlsField, string>>;

/** The file of DOCKER_CERT_PATH each field goes to, as the docker CLI reads them. */
export const DOCKER_CERT_FILES: Record<DockerTlsField, string> = { caCert: "ca.pem", clientCert: "cert.pem", clientKey: "key.pem" };

/** Docker's plain (unencrypted, unauthenticated) TCP port; 2376 is its TLS port. */
export const DOCKER_PLAIN_PORT = "2375";
export const DOCKER_TLS_PORT = "2376";

/**
 * What cli/stack.ts reads an encrypted value as (its SECRET_PLACEHOLDER: the CLI does not decrypt the
 * stack file): such a value is not checked here; the program checks the decrypted text, and the CLI
 * checks it once the engine has decrypted it (cli/runtime.ts).
 */
export const NOT_READ = "[secret-not-read]";

type Namer = (key: string, path?: PropertyKey[]) => string;

/** A certificate's size and first line, for a message (a certificate is public, but thousands of characters). */
function described(text: string): string {
  const first = text.trim().split("\n")[0] ?? "";
  return `${text.length} characters starting ${JSON.stringify(first.length > 40 ? `${first.slice(0, 40)}...` : first)}`;
}

function certificate(text: string, field: DockerTlsField, keyPath: Namer, file: string): X509Certificate {
  try {
    return new X509Certificate(text);
  } catch {
    throw new InputError(
      `${keyPath("dockerTls", [field])} must be a PEM certificate ("-----BEGIN CERTIFICATE-----" ..., as in ${file}), got ${described(text)} that does not parse as one`,
    );
  }
}

function privateKey(text: string, keyPath: Namer): KeyObject {
  try {
    return createPrivateKey(text);
  } catch {
    throw new InputError(
      `${keyPath("dockerTls", ["clientKey"])} must be a PEM private key ("-----BEGIN PRIVATE KEY-----" ..., as in key.pem, without a passphrase), got [secret] that does not parse as one`,
    );
  }
}

/**
 * The three PEM texts parse, caCert is a CA's certificate, and clientKey is clientCert's key. A value
 * the CLI could not read (NOT_READ) is left to whoever can.
 */
export function checkTlsMaterial(material: Record<DockerTlsField, string>, keyPath: Namer): void {
  const read = (field: DockerTlsField) => material[field] !== NOT_READ;
  if (read("caCert")) {
    const ca = certificate(material.caCert, "caCert", keyPath, "ca.pem");
    if (!ca.ca) {
      throw new InputError(
        `${keyPath("dockerTls", ["caCert"])} must be a CA certificate (basicConstraints CA:TRUE), got one for "${ca.subject.replace(/\n/g, ", ")}" that is not a CA: give the certificate of the CA that signed the engine's server certificate (ca.pem, dockerd's --tlscacert)`,
      );
    }
  }
  const cert = read("clientCert") ? certificate(material.clientCert, "clientCert", keyPath, "cert.pem") : undefined;
  const key = read("clientKey") ? privateKey(material.clientKey, keyPath) : undefined;
  if (cert !== undefined && key !== undefined && !cert.checkPrivateKey(key)) {
    throw new InputError(
      `${keyPath("dockerTls", ["clientKey"])} ([secret]) is not the key of ${keyPath("dockerTls", ["clientCert"])} (a certificate for "${cert.subject.replace(/\n/g, ", ")}"): give the private key the client certificate was made with (key.pem beside cert.pem)`,
    );
  }
}

/**
 * dockyard:dockerHost and dockyard:dockerTls together: the TLS material complete, checked and meant for
 * a tcp:// engine, and a tcp:// engine outside the dev stack on its TLS port with the material.
 * Returns the material when it is set. `host` has passed dockerHost's own rules (parseDockerHost).
 */
export function checkDockerTls(
  host: string,
  given: DockerTlsText,
  stack: string,
  keyPath: Namer,
): Record<DockerTlsField, string> | undefined {
  const set = DOCKER_TLS_FIELDS.filter((field) => given[field] !== undefined && given[field] !== "");
  const url = new URL(host);
  const hostKey = keyPath("dockerHost");
  if (set.length > 0 && url.protocol !== "tcp:") {
    throw new InputError(
      `${keyPath("dockerTls")} is set, but ${hostKey} ${JSON.stringify(host)} is not a tcp:// engine: TLS certificates are for an engine's TCP port (tcp://host:${DOCKER_TLS_PORT})${url.protocol === "ssh:" ? ", and ssh:// logs in with an SSH key instead" : ""}; remove ${keyPath("dockerTls")} (pulumi config rm dockerTls), or point ${hostKey} at tcp://host:${DOCKER_TLS_PORT}`,
    );
  }
  if (set.length > 0 && set.length < DOCKER_TLS_FIELDS.length) {
    const missing = DOCKER_TLS_FIELDS.filter((field) => !set.includes(field));
    throw new InputError(
      `${keyPath("dockerTls", [missing[0]])} is required: the engine's TLS takes caCert, clientCert and clientKey together (${set.join(" and ")} ${set.length > 1 ? "are" : "is"} set); pulumi config set --secret --path dockerTls.${missing[0]} -- "$(cat ${DOCKER_CERT_FILES[missing[0]]})"`,
    );
  }
  if (url.protocol === "tcp:" && stack !== "dev") {
    if (url.port === "" || url.port === DOCKER_PLAIN_PORT) {
      throw new InputError(
        `${hostKey} ${JSON.stringify(host)} ${url.port === "" ? `gives no port, so the docker CLI takes ${DOCKER_PLAIN_PORT}, Docker's plain port` : "is Docker's plain port"} (no encryption, no authentication: whoever reaches it runs containers as root there), allowed only in the dev stack (stack is "${stack}"): use the engine's TLS port, tcp://${url.hostname}:${DOCKER_TLS_PORT}, with ${keyPath("dockerTls")}, or ssh://user@${url.hostname}`,
      );
    }
    if (set.length === 0) {
      throw new InputError(
        `${hostKey} ${JSON.stringify(host)} is a TCP engine without TLS material, allowed only in the dev stack (stack is "${stack}"): set ${keyPath("dockerTls")}.caCert, .clientCert and .clientKey (pulumi config set --secret --path dockerTls.caCert -- "$(cat ca.pem)", and so on), or use ssh://user@${url.hostname}`,
      );
    }
  }
  if (set.length === 0) return undefined;
  const material = given as Record<DockerTlsField, string>;
  checkTlsMaterial(material, keyPath);
  return material;
}

/**
 * Whether a map key's `field` (dockyard:dockerTls.clientKey, dockyard:dockerSsh.privateKey) is set in
 * plain text outside the dev stack: `value` is the map as the engine passes it (JSON), `secret` whether
 * the engine marks it secret. A value that is no map is loadConfig's to refuse, naming the key.
 */
export function plainOutsideDev(stack: string, value: string | undefined, secret: boolean, field: string): boolean {
  if (stack === "dev" || secret || value === undefined) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return false;
  }
  const text = parsed !== null && typeof parsed === "object" ? (parsed as Record<string, unknown>)[field] : undefined;
  return typeof text === "string" && text !== "";
}

/**
 * Outside the dev stack the client key is taken only as a Pulumi secret: set in plain text, the stack's
 * config file holds it as written. `value` is dockyard:dockerTls as the engine passes it (JSON), `secret`
 * whether the engine marks the key secret (it does when any of its fields was set with --secret).
 */
export function refusePlainDockerTls(stack: string, keyPath: (key: string) => string, value: string | undefined, secret: boolean): void {
  if (!plainOutsideDev(stack, value, secret, "clientKey")) return;
  throw new InputError(
    `${keyPath("dockerTls")}.clientKey is set in plain text ([secret]), so the stack's config file holds the engine's client key as written; that is allowed only in the dev stack (stack is "${stack}"): pulumi config set --secret --path dockerTls.clientKey -- "$(cat key.pem)"`,
  );
}

/**
 * The Docker provider's arguments for an engine: its host, over TLS the PEM material (what
 * `docker --tlsverify` reads from DOCKER_CERT_PATH), the client key as a secret, and over SSH with
 * dockyard:dockerSsh the ssh options that name its files (providerSshOpts in stacks/dockerSsh.ts).
 */
export function dockerProviderArgs(host: string, tls?: DockerTls, sshOpts?: string[]): docker.ProviderArgs {
  if (sshOpts !== undefined) return { host, sshOpts };
  if (tls === undefined) return { host };
  return { host, caMaterial: tls.caCert, certMaterial: tls.clientCert, keyMaterial: tls.clientKey.output() };
}
