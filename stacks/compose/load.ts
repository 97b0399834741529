/**
 * Reads a docker-compose file the way docker compose does before it looks at any service: variables
 * (.env and the environment), YAML with anchors, merge keys and the !reset / !override tags,
 * interpolation, `extends` within the file, uniqueness of ports/volumes/..., and profiles. The
 * result is still the compose document (plain data); turning it into the app model is convert.ts's job.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml, type CollectionTag, type ScalarTag, type YAMLMap, type YAMLSeq } from "yaml";
import { ValidationError } from "../../components/errors";
import { interpolate, InterpolationError, typed } from "./interpolate";

export interface ComposeSource {
  /** The compose file; its folder is the project directory. */
  file: string;
  /** The file as the user named it, for messages. @default file */
  name?: string;
  /**
   * Profiles to enable; `*` enables all.
   * @default - COMPOSE_PROFILES from the variables, comma-separated; else none
   */
  profiles?: string[];
  /**
   * A .env-style file with variables, relative to the project directory; an error when missing.
   * @default - `.env` in the project directory, when there is one
   */
  envFile?: string;
  /**
   * Variables from the environment; they override those of the env file.
   * @default process.env
   */
  environment?: Record<string, string | undefined>;
}

export interface LoadedCompose {
  /** The document after interpolation, anchors/merge keys, !reset/!override, `extends` within the file, and profile filtering. */
  document: Record<string, unknown>;
  /** Services removed because their profiles are not active (for the report), sorted. */
  inactive: string[];
  /** Human-readable notes for the fidelity report, each once, in the order they arose. */
  warnings: string[];
  /** A version 1 file (services at the top level, no `services:` key) was detected and wrapped. */
  legacyV1: boolean;
}

/** A compose file docker compose would refuse, or one we cannot read; the message starts with the file name as given. */
export class ComposeError extends ValidationError {
  constructor(message: string) {
    super(message);
    this.name = "ComposeError";
  }
}

/** `!reset`: the key is removed from the result, including what `extends` brought in. */
class Reset {}
const RESET = new Reset();

/** `!override value`: the value replaces what `extends` brought in instead of being merged with it. */
class Override {
  constructor(readonly value: unknown) {}
}

/**
 * The !override collection tag keeps the parsed node (so anchors and merge keys inside still work)
 * and wraps what it converts to in an Override.
 */
function markOverride(node: YAMLMap.Parsed | YAMLSeq.Parsed): YAMLMap.Parsed | YAMLSeq.Parsed {
  const toJSON = node.toJSON.bind(node) as (...args: unknown[]) => unknown;
  return Object.assign(node, { toJSON: (...args: unknown[]) => new Override(toJSON(...args)) });
}

const collections = ["map", "seq"] as const;
const COMPOSE_TAGS: (ScalarTag | CollectionTag)[] = [
  { tag: "!reset", resolve: () => RESET },
  { tag: "!override", resolve: (text: string) => new Override(text) },
  ...collections.map((collection): CollectionTag => ({ tag: "!reset", collection, resolve: () => RESET })),
  ...collections.map((collection): CollectionTag => ({
    tag: "!override",
    collection,
    resolve: markOverride,
  })),
];

/**
 * A plain integer with a leading zero is octal, as go-yaml (compose-go's parser) reads it: docker
 * compose reads `mode: 0440` as 288 and `UMASK: 0022` as 18, where YAML 1.2's core schema reads 440
 * and 22. Tried before the core schema's integers.
 */
const LEGACY_OCTAL: ScalarTag = {
  tag: "tag:yaml.org,2002:int",
  format: "OCT",
  default: true,
  test: /^[-+]?0[0-7]+$/,
  resolve: (text: string) => (text.startsWith("-") ? -1 : 1) * parseInt(text.replace(/^[-+]/, ""), 8),
};

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * What a value is, never what it says: a file named by mistake (a token, a key) must not be echoed
 * into a message that ends up in a CI log.
 */
function describe(value: unknown): string {
  if (value === null || value === undefined) return "nothing (the file is empty)";
  if (Array.isArray(value)) return "a sequence";
  if (typeof value === "string") return `text of ${value.length} characters (not shown)`;
  return `a ${typeof value}`;
}

/** Names every object has (toString, constructor, __proto__, ...): as keys of a mapping they would be read as the object's own members. */
const OBJECT_MEMBERS = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * What makes a parsed document unreadable, at its path: a node that contains itself (an alias
 * inside its own anchor, `a: &a [*a]`), or a key named like a member of every object.
 */
function unreadable(value: unknown, at: string, open: Set<object> = new Set()): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  if (open.has(value)) {
    return `${at === "" ? "the top level" : at} contains itself through an alias (an anchor used inside itself): a compose file must be a tree; copy the values instead`;
  }
  open.add(value);
  const node = value instanceof Override ? value.value : value;
  if (node !== null && typeof node === "object" && !Array.isArray(node)) {
    const member = Object.keys(node).find((key) => OBJECT_MEMBERS.has(key));
    if (member !== undefined) {
      return `${at === "" ? member : `${at}.${member}`} cannot be read: ${member} is the name of a member every JavaScript object has; rename it`;
    }
  }
  const entries: [string, unknown][] = Array.isArray(node)
    ? node.map((item, index) => [`${at}[${index}]`, item])
    : node !== null && typeof node === "object"
      ? Object.entries(node).map(([key, item]) => [at === "" ? key : `${at}.${key}`, item])
      : [];
  for (const [where, item] of entries) {
    const found = unreadable(item, where, open);
    if (found !== undefined) return found;
  }
  open.delete(value);
  return undefined;
}

/** Reads, interpolates, merges and filters one compose file. */
export function loadCompose(source: ComposeSource): LoadedCompose {
  const file = source.file;
  const named = source.name ?? file;
  const fail = (message: string): ComposeError => new ComposeError(`${named}: ${message}`);
  const warnings: string[] = [];
  const warn = (message: string): void => {
    if (!warnings.includes(message)) warnings.push(message);
  };

  const variables = readVariables(source, fail, warn);

  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(code === "ENOENT" ? "file not found" : `cannot read the file (${code ?? String(error)})`);
  }

  let parsed: unknown;
  try {
    parsed = parseYaml(text, { merge: true, customTags: (core) => [LEGACY_OCTAL, ...core, ...COMPOSE_TAGS], logLevel: "error" });
  } catch (error) {
    // The parser's message ends with an excerpt of the source; the first line has line and column.
    throw fail(`not valid YAML: ${(error as Error).message.split("\n")[0].replace(/:$/, "")}`);
  }
  if (!isMapping(parsed)) {
    throw fail(`the top level must be a mapping (services:, networks:, ...), got ${describe(parsed)}`);
  }
  const problem = unreadable(parsed, "");
  if (problem !== undefined) throw fail(problem);

  let document: Mapping = { ...parsed };
  if ("version" in document) {
    warn(`version ${JSON.stringify(String(document.version))} is obsolete and ignored, as docker compose does`);
    delete document.version;
  }
  const legacyV1 = isVersion1(document);
  if (legacyV1) {
    document = { services: document };
    warn("no services: key: read as a version 1 file (each top-level key a service)");
  }

  try {
    document = interpolateTree(document, [], "", variables, warn) as Mapping;
  } catch (error) {
    if (error instanceof InterpolationError) throw fail(error.message);
    throw error;
  }

  const services = document.services;
  if (services !== undefined && services !== null && !isMapping(services)) {
    throw fail(`services must be a mapping of service names to services, got ${describe(services)}`);
  }
  if (isMapping(services)) {
    applyExtends(services, fail);
    for (const service of Object.values(services)) {
      if (isMapping(service)) enforceUniqueness(service);
    }
  }
  document = stripMarkers(document) as Mapping;

  const inactive = isMapping(document.services) ? applyProfiles(document.services, enabledProfiles(source, variables), fail, warn) : [];
  return { document, inactive, warnings, legacyV1 };
}

/** The environment over the env file, as docker compose: the shell wins over .env. */
function readVariables(
  source: ComposeSource,
  fail: (message: string) => ComposeError,
  warn: (message: string) => void,
): Record<string, string | undefined> {
  const projectDir = path.dirname(source.file);
  const envPath = path.resolve(projectDir, source.envFile ?? ".env");
  const environment = source.environment ?? process.env;
  let fromFile: Record<string, string> = {};
  if (fs.existsSync(envPath) && fs.statSync(envPath).isFile()) {
    const envName = source.envFile ?? ".env";
    try {
      fromFile = parseEnvFile(fs.readFileSync(envPath, "utf8"), environment, envName, warn);
    } catch (error) {
      if (error instanceof InterpolationError) throw fail(error.message);
      throw error;
    }
  } else if (source.envFile !== undefined) {
    throw fail(`env file ${JSON.stringify(source.envFile)} not found (looked for ${envPath})`);
  }
  const variables: Record<string, string | undefined> = { ...fromFile };
  for (const [name, value] of Object.entries(environment)) {
    if (value !== undefined) variables[name] = value;
  }
  return variables;
}

/** Whitespace within a line (compose-go's dotenv isSpace: not a line break). */
const INLINE_SPACE = /^[\t\v\f\r \u0085\u00a0]*/;
const ESCAPE = /\\(?:[abcfnrtv$"\\]|0[0-7]{3})/g;
const ESCAPED: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", '"': '"', "\\": "\\", $: "$$" };

/**
 * The variables of an env file, as compose-go's dotenv package reads them: `KEY=value` or `KEY:
 * value`, `export ` before the name, `#` comment lines, a bare `KEY` taken from the environment.
 * An unquoted value ends at the line's end or at ` #`; a 'single-quoted' one is literal; a
 * "double-quoted" one may span lines and has its escapes (\n, \t, \", \\, \$...) expanded.
 * Unquoted and double-quoted values are interpolated (${VAR}, ${VAR:-default}, ...) from the
 * environment, then from the file's variables above them.
 * @param name the file as messages name it
 * @throws InterpolationError naming the file and line of bad syntax
 */
export function parseEnvFile(
  text: string,
  environment: Record<string, string | undefined>,
  name: string,
  warn: (message: string) => void = () => undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = text.replace(/^\uFEFF/, "");
  let line = 1;
  const invalid = (message: string): InterpolationError => new InterpolationError(`${name} line ${line}: ${message}`);
  const lookup = (): Record<string, string | undefined> => ({
    ...out,
    ...Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== undefined)),
  });
  const expand = (value: string): string => interpolate(value, lookup(), `${name} line ${line}`, warn);
  for (;;) {
    // The next statement: blank lines and # comment lines skipped.
    const start = rest.search(/\S/);
    if (start < 0) break;
    line += (rest.slice(0, start).match(/\n/g) ?? []).length;
    rest = rest.slice(start);
    if (rest.startsWith("#")) {
      const end = rest.indexOf("\n");
      if (end < 0) break;
      rest = rest.slice(end);
      continue;
    }
    if (/^export\s+/.test(rest)) rest = rest.slice("export".length).replace(INLINE_SPACE, "");
    const separator = /[=:\n]/.exec(rest);
    const keyText = separator === null ? rest : rest.slice(0, separator.index);
    const wrong = /[^\t\v\f\r \u0085\u00a0\p{L}\p{N}_.\-[\]]/u.exec(keyText);
    if (wrong !== null) {
      throw invalid(`unexpected character ${JSON.stringify(wrong[0])} in variable name ${JSON.stringify(rest.split("\n")[0])}`);
    }
    const key = keyText.trimEnd();
    if (key.includes(" ")) throw invalid("a variable name cannot contain a space");
    if (separator === null || separator[0] === "\n") {
      // A bare name takes its value from the environment, when it has one.
      const value = lookup()[key];
      if (value !== undefined && key !== "") out[key] = value;
      if (separator === null) break;
      line += 1;
      rest = rest.slice(separator.index + 1);
      continue;
    }
    rest = rest.slice(separator.index + 1).replace(INLINE_SPACE, "");
    const quote = rest[0];
    if (quote !== '"' && quote !== "'") {
      const end = rest.indexOf("\n");
      let value = end < 0 ? rest : rest.slice(0, end);
      rest = end < 0 ? "" : rest.slice(end + 1);
      const comment = value.indexOf(" #");
      if (comment >= 0) value = value.slice(0, comment);
      out[key] = expand(value.trimEnd());
      line += 1;
      continue;
    }
    let value = "";
    let escaped = false;
    let closed = -1;
    const startLine = line;
    for (let i = 1; i < rest.length; i++) {
      const char = rest[i];
      if (char === "\n") line += 1;
      if (char === "\\" && !escaped) {
        escaped = true;
        continue;
      }
      if (char === quote && !escaped) {
        closed = i;
        break;
      }
      // An escaped quote is the quote; any other escape is kept for expansion (double quotes) or as written.
      if (escaped && char !== quote) value += "\\";
      value += char;
      escaped = false;
    }
    if (closed < 0) {
      line = startLine;
      throw invalid(`unterminated quoted value ${rest.split("\n")[0]}`);
    }
    if (quote === '"') {
      value = expand(
        value.replace(ESCAPE, (sequence) =>
          sequence[1] === "0" ? String.fromCharCode(parseInt(sequence.slice(2), 8)) : ESCAPED[sequence[1]],
        ),
      );
    }
    out[key] = value;
    rest = rest.slice(closed + 1);
  }
  return out;
}

/** No `services:`, and every top-level value a mapping with an image or a build: a version 1 file. */
function isVersion1(document: Mapping): boolean {
  const values = Object.values(document);
  return (
    !("services" in document) && values.length > 0 && values.every((value) => isMapping(value) && ("image" in value || "build" in value))
  );
}

/**
 * Interpolates every string value (never a key), then types it where compose does: `read_only:
 * ${RO}` is a boolean, `replicas: "${N}"` a number.
 * @param at the value's keys, a list item's as its index
 */
function interpolateTree(
  value: unknown,
  at: string[],
  where: string,
  variables: Record<string, string | undefined>,
  warn: (message: string) => void,
): unknown {
  if (typeof value === "string") return typed(interpolate(value, variables, where, warn), at, where, warn);
  if (Array.isArray(value)) {
    return value.map((item, index) => interpolateTree(item, [...at, String(index)], `${where}[${index}]`, variables, warn));
  }
  if (value instanceof Override) return new Override(interpolateTree(value.value, at, where, variables, warn));
  if (isMapping(value)) {
    const result: Mapping = {};
    for (const [key, item] of Object.entries(value)) {
      result[key] = interpolateTree(item, [...at, key], where === "" ? key : `${where}.${key}`, variables, warn);
    }
    return result;
  }
  return value;
}

/** Removes !reset keys and items and unwraps !override values, once merging is done. */
function stripMarkers(value: unknown): unknown {
  if (value instanceof Override) return stripMarkers(value.value);
  if (Array.isArray(value)) return value.filter((item) => item !== RESET).map(stripMarkers);
  if (isMapping(value)) {
    const result: Mapping = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== RESET) result[key] = stripMarkers(item);
    }
    return result;
  }
  return value;
}

// ---- extends -------------------------------------------------------------------------------------

/** Resolves `extends` of every service in place, bases first. */
function applyExtends(services: Mapping, fail: (message: string) => ComposeError): void {
  const resolved = new Map<string, unknown>();
  const resolve = (name: string, chain: string[]): unknown => {
    if (resolved.has(name)) return resolved.get(name);
    if (chain.includes(name)) {
      throw fail(`services.${chain[0]}: extends forms a cycle: ${[...chain, name].join(" -> ")}`);
    }
    const service = services[name];
    if (!isMapping(service) || !("extends" in service)) {
      resolved.set(name, service);
      return service;
    }
    const base = resolve(extendedService(name, service.extends, services, fail), [...chain, name]);
    const own: Mapping = { ...service };
    delete own.extends;
    const merged = stripMarkers(mergeMappings(isMapping(base) ? (stripMarkers(base) as Mapping) : {}, own, []));
    resolved.set(name, merged);
    return merged;
  };
  for (const name of Object.keys(services).sort()) services[name] = resolve(name, []);
}

function extendedService(name: string, extendsValue: unknown, services: Mapping, fail: (message: string) => ComposeError): string {
  let base: unknown = extendsValue;
  if (isMapping(extendsValue)) {
    if (extendsValue.file !== undefined) {
      throw fail(`services.${name}: extends.file is not supported: put the base service in this file`);
    }
    base = extendsValue.service;
  }
  if (typeof base !== "string") {
    throw fail(`services.${name}.extends must be a service name or { service: name }, got ${JSON.stringify(extendsValue)}`);
  }
  if (!(base in services)) {
    throw fail(`services.${name} extends service "${base}", which is not defined in this file`);
  }
  return base;
}

// The merge rules of the Compose specification (merge.md), as compose-go's override package applies
// them, keyed by the attribute's path within a service ("*" for any key).
const REPLACED = new Set(["command", "entrypoint", "healthcheck.test", "ulimits.*"]);
const APPENDED_AS_SEQUENCE = new Set([
  "annotations",
  "build.additional_contexts",
  "build.args",
  "build.labels",
  "deploy.labels",
  "dns",
  "dns_opt",
  "dns_search",
  "env_file",
  "environment",
  "label_file",
  "labels",
  "sysctls",
  "tmpfs",
]);
const APPENDED_IF_NEW = new Set(["extra_hosts", "build.extra_hosts"]);
const MERGED_AS_MAPPING = new Set(["networks", "models"]);

function pattern(at: string[]): string {
  return at[0] === "ulimits" && at.length === 2 ? "ulimits.*" : at.join(".");
}

function mergeMappings(base: Mapping, override: Mapping, at: string[]): Mapping {
  const result: Mapping = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === RESET) delete result[key];
    else if (value instanceof Override) result[key] = value.value;
    else if (!(key in result)) result[key] = value;
    else result[key] = mergeValues(result[key], value, [...at, key]);
  }
  return result;
}

function mergeValues(base: unknown, override: unknown, at: string[]): unknown {
  const rule = pattern(at);
  if (REPLACED.has(rule)) return override;
  if (APPENDED_AS_SEQUENCE.has(rule)) {
    // `KEY: !reset` in a mapping removes the base's KEY entry instead of appending one.
    const resets = isMapping(override) ? Object.keys(override).filter((key) => override[key] === RESET) : [];
    const kept = asSequence(base).filter((item) => !resets.includes(String(item).split("=")[0]));
    return [...kept, ...asSequence(override)];
  }
  if (APPENDED_IF_NEW.has(rule)) {
    const first = asSequence(base);
    return [...first, ...asSequence(override).filter((item) => !first.includes(item))];
  }
  if (rule === "build") return mergeMappings(asBuild(base), asBuild(override), at);
  if (rule === "depends_on") {
    const started = { condition: "service_started", required: true };
    return mergeMappings(asMapping(base, started), asMapping(override, started), at);
  }
  if (MERGED_AS_MAPPING.has(rule)) return mergeMappings(asMapping(base, null), asMapping(override, null), at);
  if (rule === "logging" && isMapping(base) && isMapping(override)) {
    const sameDriver = !("driver" in base) || !("driver" in override) || base.driver === override.driver;
    return sameDriver ? mergeMappings(base, override, at) : override;
  }
  if (override === null || override === undefined) return base;
  if (isMapping(base) && isMapping(override)) return mergeMappings(base, override, at);
  if (Array.isArray(base) && Array.isArray(override)) return [...base, ...override];
  return override;
}

/** `environment: { A: 1 }` → `["A=1"]` (sorted), as compose does before appending. */
function asSequence(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return [value];
  if (!isMapping(value)) return [];
  const items: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item === RESET) continue;
    if (item === null || item === undefined) items.push(key);
    else if (Array.isArray(item)) items.push(...item.map((each) => `${key}=${String(each)}`));
    else items.push(`${key}=${String(item)}`);
  }
  return items.sort();
}

/** `depends_on: [db]` → `{ db: {...entry} }`; `networks: [front]` → `{ front: null }`. */
function asMapping(value: unknown, entry: Mapping | null): Mapping {
  if (isMapping(value)) return value;
  const result: Mapping = {};
  if (Array.isArray(value)) {
    for (const name of value) result[String(name)] = entry === null ? null : { ...entry };
  }
  return result;
}

function asBuild(value: unknown): Mapping {
  if (typeof value === "string") return { context: value };
  return isMapping(value) ? value : {};
}

// ---- uniqueness ----------------------------------------------------------------------------------

/** An entry's identity in a sequence where compose keeps one entry per identity (the last one, at the first one's place). */
type Indexer = (entry: unknown) => string;

const fallback = (entry: unknown): string => JSON.stringify(entry) ?? String(entry);
const byKey: Indexer = (entry) => (typeof entry === "string" ? entry.split("=")[0] : fallback(entry));
const byTarget: Indexer = (entry) => {
  if (isMapping(entry) && typeof entry.target === "string") return entry.target;
  if (typeof entry !== "string") return fallback(entry);
  const parts = entry.split(":");
  return parts.length === 1 ? parts[0] : parts[1];
};
const byMountTarget =
  (folder: string): Indexer =>
  (entry) => {
    if (typeof entry === "string") return `${folder}/${entry}`;
    if (isMapping(entry)) return typeof entry.target === "string" ? entry.target : `${folder}/${String(entry.source)}`;
    return fallback(entry);
  };
const byPort: Indexer = (entry) => {
  if (typeof entry === "string" || typeof entry === "number") return String(entry);
  if (!isMapping(entry)) return fallback(entry);
  const host = entry.host_ip ?? "0.0.0.0";
  const protocol = entry.protocol ?? "tcp";
  return `${String(host)}:${String(entry.published ?? "")}:${String(entry.target)}/${String(protocol)}`;
};
const byEnvFile: Indexer = (entry) =>
  isMapping(entry) && typeof entry.path === "string" ? entry.path : typeof entry === "string" ? entry : fallback(entry);

const UNIQUE: [string[], Indexer][] = [
  [["annotations"], byKey],
  [["build", "additional_contexts"], byKey],
  [["build", "args"], byKey],
  [["build", "labels"], byKey],
  [["build", "platforms"], byKey],
  [["build", "tags"], byKey],
  [["cap_add"], byKey],
  [["cap_drop"], byKey],
  [["configs"], byMountTarget("")],
  [["deploy", "labels"], byKey],
  [["devices"], byTarget],
  [["dns"], byKey],
  [["dns_opt"], byKey],
  [["dns_search"], byKey],
  [["env_file"], byEnvFile],
  [["environment"], byKey],
  [["expose"], (entry) => String(entry)],
  [["labels"], byKey],
  [["links"], byKey],
  [["ports"], byPort],
  [["profiles"], byKey],
  [["secrets"], byMountTarget("/run/secrets")],
  [["sysctls"], byKey],
  [["tmpfs"], byKey],
  [["volumes"], byTarget],
];

/** Keeps one entry per identity in the sequences compose treats as sets (ports by binding, volumes by target, ...). */
function enforceUniqueness(service: Mapping): void {
  for (const [[first, second], indexer] of UNIQUE) {
    const holder = second === undefined ? service : service[first];
    const key = second ?? first;
    if (!isMapping(holder) || !Array.isArray(holder[key])) continue;
    const kept: unknown[] = [];
    const positions = new Map<string, number>();
    for (const entry of holder[key] as unknown[]) {
      const identity = indexer(entry);
      const position = positions.get(identity);
      if (position === undefined) {
        positions.set(identity, kept.length);
        kept.push(entry);
      } else {
        kept[position] = entry;
      }
    }
    holder[key] = kept;
  }
}

// ---- profiles ------------------------------------------------------------------------------------

function enabledProfiles(source: ComposeSource, variables: Record<string, string | undefined>): string[] {
  if (source.profiles !== undefined && source.profiles.length > 0) return source.profiles;
  return (variables.COMPOSE_PROFILES ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
}

function serviceProfiles(service: unknown): string[] {
  return isMapping(service) && Array.isArray(service.profiles) ? service.profiles.map(String) : [];
}

/** Removes the services whose profiles are not enabled; returns their names, sorted. */
function applyProfiles(
  services: Mapping,
  enabled: string[],
  fail: (message: string) => ComposeError,
  warn: (message: string) => void,
): string[] {
  const isActive = (name: string): boolean => {
    const profiles = serviceProfiles(services[name]);
    return profiles.length === 0 || enabled.includes("*") || profiles.some((profile) => enabled.includes(profile));
  };
  const inactive = Object.keys(services)
    .filter((name) => !isActive(name))
    .sort();
  const enable = enabled.length === 0 ? "none is enabled" : `enabled: ${enabled.join(", ")}`;

  for (const name of Object.keys(services).sort()) {
    const service = services[name];
    if (inactive.includes(name) || !isMapping(service)) continue;
    const dependsOn = service.depends_on;
    const entries: [string, unknown][] = Array.isArray(dependsOn)
      ? dependsOn.map((dependency) => [String(dependency), {}])
      : isMapping(dependsOn)
        ? Object.entries(dependsOn)
        : [];
    for (const [dependency, options] of entries) {
      if (!inactive.includes(dependency)) continue;
      if (isMapping(options) && options.required === false && isMapping(dependsOn)) {
        // An optional dependency on a service that is not running is dropped, as compose does.
        delete dependsOn[dependency];
        warn(`service "${name}": optional dependency "${dependency}" dropped: its profiles are not enabled`);
        continue;
      }
      throw fail(
        `service "${name}" depends on service "${dependency}", which is not active: ` +
          `its profiles (${serviceProfiles(services[dependency]).join(", ")}) are not enabled (${enable}); ` +
          "enable one with profiles or COMPOSE_PROFILES, or give the dependency the same profiles",
      );
    }
  }
  for (const name of inactive) delete services[name];
  return inactive;
}
