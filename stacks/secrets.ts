/**
 * Secret-looking literals: what a stage other than dev must not carry in plain text (a service's
 * environment, a build argument, the registry password). A value is secret-looking by its variable's
 * name (the name ends in a word secret scanners key on: PASSWORD, TOKEN, SECRET, API_KEY...), or by
 * the value itself, whatever its name: a token format with a well-known prefix (as gitleaks' rules
 * give them), a password inside a URL, or long high-entropy text. Pure: callers name the path and
 * word the refusal; a value is never shown, only its length.
 */

import { InputError } from "./errors";

/** Words that, at the end of a variable's name, say its value is a credential (detect-secrets' and gitleaks' keywords). */
const SECRET_WORDS = new Set([
  "PASSWORD",
  "PASSWD",
  "PASSPHRASE",
  "SECRET",
  "TOKEN",
  "CREDENTIAL",
  "CREDENTIALS",
  "CREDS",
  "APIKEY",
  "PRIVATEKEY",
  "ACCESSKEY",
  "SECRETKEY",
]);
/** Words before KEY that make it a credential (API_KEY, PRIVATE_KEY, AWS_SECRET_ACCESS_KEY), as detect-secrets lists them. */
const KEY_KINDS = new Set([
  "API",
  "AUTH",
  "ACCESS",
  "PRIVATE",
  "PRIV",
  "SECRET",
  "SERVICE",
  "ACCOUNT",
  "CLIENT",
  "ENCRYPTION",
  "SIGNING",
  "MASTER",
  "DB",
  "DATABASE",
  "LICENSE",
]);
/**
 * Words that may follow the credential word and leave the value a credential (SECRET_KEY_BASE,
 * DB_PASSWORD_PROD, API_TOKEN_2). Any other word after it says the value is about the credential,
 * not the credential: where it is (TOKEN_URL, PASSWORD_FILE, the compose <VAR>_FILE convention),
 * how long it lasts or must be (TOKEN_TTL, PASSWORD_MIN_LENGTH).
 */
const STILL_SECRET = new Set([
  "BASE",
  "VALUE",
  "HASH",
  "B64",
  "BASE64",
  "HEX",
  "RAW",
  "PLAIN",
  "STRING",
  "PEM",
  "PROD",
  "PRODUCTION",
  "STAGING",
  "DEV",
  "TEST",
  "OLD",
  "NEW",
  "CURRENT",
  "PREVIOUS",
  "NEXT",
  "PRIMARY",
  "SECONDARY",
]);

/** A name's words, upper case: split at anything not a letter or digit, and where camelCase turns. */
function words(name: string): string[] {
  return name
    .split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/)
    .filter((word) => word !== "")
    .map((word) => word.toUpperCase());
}

/** Whether a variable's name says its value is a credential (POSTGRES_PASSWORD, NPM_TOKEN, AWS_SECRET_ACCESS_KEY; not TOKEN_URL or PASSWORD_FILE). */
export function isSecretName(name: string): boolean {
  const parts = words(name);
  let end = parts.length;
  while (end > 1 && (STILL_SECRET.has(parts[end - 1]) || /^\d+$/.test(parts[end - 1]))) end--;
  const last = parts[end - 1];
  if (last === undefined) return false;
  if (SECRET_WORDS.has(last)) return true;
  // DB_PASS and MYSQL_PWD, but not PWD (the shell's working directory) nor PASS alone.
  if ((last === "PASS" || last === "PWD") && end > 1) return true;
  return (last === "KEY" || last === "KEYS") && end > 1 && KEY_KINDS.has(parts[end - 2]);
}

/**
 * Whether a variable's name says its value is public by design: a publishable or public key
 * (STRIPE_PUBLISHABLE_KEY, VAPID_PUBLIC_KEY), which a web page or a client is given.
 */
export function isPublicName(name: string): boolean {
  const parts = words(name);
  let end = parts.length;
  while (end > 1 && (STILL_SECRET.has(parts[end - 1]) || /^\d+$/.test(parts[end - 1]))) end--;
  const last = parts[end - 1];
  const kind = parts[end - 2];
  return (last === "KEY" || last === "KEYS") && (kind === "PUBLISHABLE" || kind === "PUBLIC" || kind === "PUB");
}

/** Token formats with a well-known prefix or shape (gitleaks' rules), each with what it is. */
const TOKEN_FORMATS: Array<[RegExp, string]> = [
  [/\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/, "an AWS access key ID"],
  [/\b(?:ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{36}\b/, "a GitHub token"],
  [/\bgithub_pat_[0-9A-Za-z_]{82}\b/, "a GitHub token"],
  [/\bglpat-[0-9A-Za-z_-]{20}\b/, "a GitLab token"],
  [/\bnpm_[0-9A-Za-z]{36}\b/, "an npm token"],
  [/\bxox[abeoprs]-[0-9A-Za-z-]{10,}/, "a Slack token"],
  [/\b[rs]k_(?:live|test)_[0-9A-Za-z]{10,}/, "a Stripe key"],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, "a Google API key"],
  [/\bpul-[0-9a-f]{40}\b/, "a Pulumi access token"],
  [/\bdckr_pat_[0-9A-Za-z_-]{27}\b/, "a Docker Hub token"],
  [/-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/, "a private key"],
  [/\beyJ[0-9A-Za-z_-]{10,}\.eyJ[0-9A-Za-z_-]{10,}\.[0-9A-Za-z_-]{10,}/, "a JSON Web Token"],
];

/** user:password@ in a URL, the password not a ${VAR} reference. */
const URL_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:([^\s/@]+)@/i;
/** A reference the container or the shell resolves: ${VAR} or $VAR, nothing else. */
const REFERENCE = /^\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * High-entropy text: a word (no spaces) of at least 20 characters of the base64 alphabet (URL-safe
 * too), with upper- and lower-case letters and digits, and at least 4 bits of Shannon entropy per
 * character. Between gitleaks' generic-api-key (3.5, only next to a keyword) and detect-secrets'
 * base64 limit (4.5, which no word under 23 characters can reach). Hex alone (digests, commit ids)
 * is left to the name rule.
 */
export const ENTROPY = { minLength: 20, minBitsPerChar: 4.0 } as const;

/** Shannon entropy of a text, in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  const length = [...text].length;
  let bits = 0;
  for (const count of counts.values()) bits -= (count / length) * Math.log2(count / length);
  return bits;
}

function isHighEntropyWord(word: string): boolean {
  return (
    word.length >= ENTROPY.minLength &&
    /^[A-Za-z0-9+/=_-]+$/.test(word) &&
    // A path (/opt/App/lib/Main2024), not a token.
    !word.startsWith("/") &&
    /[A-Z]/.test(word) &&
    /[a-z]/.test(word) &&
    /[0-9]/.test(word) &&
    shannonEntropy(word) >= ENTROPY.minBitsPerChar
  );
}

/** What a value looks like, when it looks like a credential whatever its name: "a GitHub token"; else undefined. */
export function secretLookingValue(value: string, publicByName = false): string | undefined {
  for (const [format, what] of TOKEN_FORMATS) if (format.test(value)) return what;
  const password = URL_PASSWORD.exec(value)?.[1];
  if (password !== undefined && !REFERENCE.test(password)) return "a URL with a password in it";
  // A publishable key is random text by design: only a known secret format in it counts.
  if (!publicByName && value.split(/[\s,;"'`]+/).some(isHighEntropyWord)) return "a random token (long, high-entropy text)";
  return undefined;
}

/** A value that a credential's name may hold without holding a credential: nothing, a reference, a path to a file. */
function isNotACredential(value: string): boolean {
  const text = value.trim();
  return text === "" || REFERENCE.test(text) || /^\/(?:[\w.@-]+\/)*[\w.@-]+$/.test(text);
}

/** Why a variable's literal value is secret-looking ("its name", or what the value looks like), or undefined. */
export function secretLooking(name: string, value: string): string | undefined {
  if (isSecretName(name) && !isNotACredential(value)) return "named like one";
  const looks = secretLookingValue(value, isPublicName(name));
  return looks === undefined ? undefined : `it looks like ${looks}`;
}

/** A value as messages may show it: its length only. */
export function redacted(value: string): string {
  return `${[...value].length} characters, not shown`;
}

/** A secret-looking literal found in an app model: the model path and why. */
export interface LiteralSecret {
  /**
   * Model path: services.<name>.env.<VAR>, services.<name>.image.args.<ARG>, or a command's:
   * services.<name>.command, .entrypoint or .health.command.
   */
  path: string;
  kind: "env" | "buildArg" | "command";
  service: string;
  /** The variable or argument; for a command, the flag or assignment that holds the value ("--requirepass", "DATABASE_URL="), or its word ("word 3"). */
  name: string;
  why: string;
  /** The value's length, for the message ("40 characters, not shown"). */
  shown: string;
}

/** A command-line flag that takes a credential: --password, --requirepass, --auth-token, -secret=... */
const CREDENTIAL_FLAG = /^--?([A-Za-z][A-Za-z0-9_.-]*?)(?:=(.*))?$/;
/** Flag names whose value is a credential though no SECRET_WORDS word ends them (redis' requirepass and masterauth). */
const CREDENTIAL_FLAG_NAMES = new Set(["requirepass", "masterauth", "pass", "pwd", "passwd", "password", "secret", "token"]);

/** A command's words as a shell would see them: its own words, and the words of each (sh -c "...") string in it. */
function commandWords(command: string[]): string[] {
  return command.flatMap((word) => word.split(/[\s"'`;|&()<>]+/)).filter((word) => word !== "");
}

/**
 * The short flags well-known clients take a password with: mysql's -pPASSWORD (attached), redis-cli's
 * -a PASSWORD, curl's -u user:password. Each only after its program's name, as other programs give
 * these letters other meanings.
 */
const SHORT_CREDENTIAL_FLAGS: Array<[RegExp, RegExp, "attached" | "next"]> = [
  [/^(?:mysql|mysqladmin|mysqldump|mariadb|mariadb-admin|mariadb-dump)$/, /^-p(.+)$/, "attached"],
  [/^redis-cli$/, /^-a$/, "next"],
  [/^(?:curl)$/, /^(?:-u|--user)$/, "next"],
];

function shortCredentialFlag(words: string[], index: number): { name: string; why: string; value: string } | undefined {
  const word = words[index];
  for (const [program, flag, form] of SHORT_CREDENTIAL_FLAGS) {
    const match = flag.exec(word);
    if (match === null || !words.slice(0, index).some((earlier) => program.test(earlier.split("/").pop() ?? ""))) continue;
    const value = form === "attached" ? match[1] : words[index + 1];
    if (value === undefined || value.startsWith("-") || isNotACredential(value)) continue;
    // curl -u user:password: only the part after the colon is the credential; curl -u user asks for it.
    if (word === "-u" || word === "--user") {
      const password = value.split(":").slice(1).join(":");
      if (password === "" || isNotACredential(password)) continue;
    }
    const written = form === "attached" ? "-p" : word;
    return { name: written, why: `the value of ${written}`, value };
  }
  return undefined;
}

/** Why a command carries a literal credential, and where: the flag or variable holding it, or undefined. */
export function commandSecret(command: string[]): { name: string; why: string; value: string } | undefined {
  const words = commandWords(command);
  for (let index = 0; index < words.length; index++) {
    const word = words[index];
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(word);
    if (assignment !== null) {
      const why = secretLooking(assignment[1], assignment[2]);
      if (why !== undefined) return { name: `${assignment[1]}=`, why, value: assignment[2] };
      continue;
    }
    const short = shortCredentialFlag(words, index);
    if (short !== undefined) return short;
    const flag = CREDENTIAL_FLAG.exec(word);
    if (flag !== null && (isSecretName(flag[1]) || CREDENTIAL_FLAG_NAMES.has(flag[1].toLowerCase()))) {
      const value = flag[2] ?? words[index + 1];
      if (value !== undefined && !value.startsWith("-") && !isNotACredential(value)) {
        const written = word.split("=")[0];
        return { name: written, why: `the value of ${written}`, value };
      }
      continue;
    }
    const looks = secretLookingValue(word);
    if (looks !== undefined) return { name: `word ${index + 1}`, why: `it looks like ${looks}`, value: word };
  }
  return undefined;
}

/**
 * Every secret-looking literal in the services' plain environment, build arguments and commands
 * (command, entrypoint, health check), in name order: a command's is what a flag takes (--requirepass
 * x, --password=x), a NAME=value it sets, or a word that looks like a credential (a URL with a
 * password). A command is as readable as the environment: docker inspect, the pod spec, the state.
 */
export function literalSecrets(services: Record<string, LiteralSource>): LiteralSecret[] {
  const found: LiteralSecret[] = [];
  for (const service of Object.keys(services).sort()) {
    const { env = {}, image, command, entrypoint, health } = services[service];
    const sources: Array<["env" | "buildArg", string, Record<string, string>]> = [["env", `services.${service}.env`, env]];
    if (image.kind === "build") sources.push(["buildArg", `services.${service}.image.args`, image.args ?? {}]);
    for (const [kind, at, values] of sources) {
      for (const name of Object.keys(values).sort()) {
        const value = values[name];
        const why = typeof value === "string" ? secretLooking(name, value) : undefined;
        if (why !== undefined) found.push({ path: `${at}.${name}`, kind, service, name, why, shown: redacted(value) });
      }
    }
    const commands: Array<[string, unknown]> = [
      ["command", command],
      ["entrypoint", entrypoint],
      ["health.command", health?.command],
    ];
    for (const [field, words] of commands) {
      if (!Array.isArray(words) || !words.every((word) => typeof word === "string")) continue;
      const secret = commandSecret(words as string[]);
      if (secret !== undefined) {
        found.push({
          path: `services.${service}.${field}`,
          kind: "command",
          service,
          name: secret.name,
          why: secret.why,
          shown: redacted(secret.value),
        });
      }
    }
  }
  return found;
}

/** What a refusal of a literal credential in a command advises: the value from a secret, read when the command runs. */
export function commandAdvice(found: Pick<LiteralSecret, "name">, secretEnv: string): string {
  return `a command is as readable as the environment (docker inspect, the pod spec, the stack's state): give the credential as ${secretEnv} and refer to it in the command through a shell ($VAR, written $$VAR in a compose file), or have the program read it from a file (a --*-file flag), instead of the literal ${found.name.startsWith("word ") ? `(${found.name} of the command)` : `after ${found.name}`}`;
}

/**
 * The refusal of a secret-looking literal outside dev: where it is (as the user wrote it), why it
 * looks like one, its length (never the value), where the others are (`others`, named as written),
 * the stack, and `advice`: how to give it as a secret.
 */
export function refusedLiteral(
  named: string,
  found: Pick<LiteralSecret, "why" | "shown">,
  stack: string,
  advice: string,
  others: string[] = [],
): string {
  const also = others.length === 0 ? "" : ` (so ${others.length > 1 ? "do" : "does"} ${others.join(", ")})`;
  return `${named} holds a literal credential (${found.why}; ${found.shown})${also}, allowed only in the dev stack (stack is "${stack}"): ${advice}`;
}

/** What literalSecrets reads of a service. */
export interface LiteralSource {
  env?: Record<string, string>;
  image: { kind: "pull" } | { kind: "build"; args?: Record<string, string> };
  command?: string[];
  entrypoint?: string[];
  health?: { command: string[] };
}

/**
 * Outside the dev stack the registry password is taken only as a Pulumi secret: set in plain text,
 * the stack's config file holds it as written. `value` is its text as the engine passes it (undefined
 * when not set), `secret` whether the engine marks it secret.
 */
/**
 * dockyard:secrets set in plain text, in any stack. Pulumi.yaml cannot declare the key secret: the
 * CLI would write the default ({}, an app with no secrets) into the stack's config and then refuse it
 * as not encrypted. So the program checks what the CLI would have.
 */
export function refusePlainSecrets(keyPath: (key: string) => string, value: string | undefined, secret: boolean): void {
  if (secret || value === undefined || value === "{}") return;
  throw new InputError(
    `${keyPath("secrets")} is set in plain text, so the stack's config file holds the app's secrets as written: remove it (pulumi config rm secrets) and set each with pulumi config set --secret --path secrets.<name> <value>`,
  );
}

export function refusePlainRegistryPassword(
  stack: string,
  keyPath: (key: string) => string,
  value: string | undefined,
  secret: boolean,
): void {
  if (stack === "dev" || secret || value === undefined || value === "") return;
  throw new InputError(
    `${keyPath("registryPassword")} is set in plain text (${redacted(value)}), so the stack's config file holds it as written; that is allowed only in the dev stack (stack is "${stack}"): pulumi config set --secret registryPassword <password>`,
  );
}
