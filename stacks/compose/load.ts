/**
 * Reads a docker-compose file the way docker compose does before it looks at any service: variables
 * (.env and the environment), YAML with anchors, merge keys and the !reset / !override tags,
 * interpolation, top-level `include`, `extends` (within the file and from another file), uniqueness
 * of ports/volumes/..., and profiles. Paths of services brought in from another file are rebased to
 * this file's folder, as compose-go does. The result is still the compose document (plain data);
 * turning it into the app model is convert.ts's job.
 */
import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parse as parseYaml,
  parseDocument,
  visit,
  type CollectionTag,
  type ScalarTag,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import { ValidationError } from "../../components/errors";
import { shown } from "../errors";
import { interpolate, InterpolationError, typed } from "./interpolate";
import { WrittenAt } from "./origin";

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
  /** The variables interpolation read (the environment over the env file); env_file values are interpolated from them too. */
  variables: Record<string, string | undefined>;
  /** The paths written in another file or service (an included file's services, keys `extends` brings), by compose path. */
  written?: Record<string, WrittenAt>;
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
  const file = path.resolve(source.file);
  const named = source.name ?? source.file;
  const fail = (message: string): ComposeError => new ComposeError(`${named}: ${message}`);
  const warnings: string[] = [];
  const warn = (message: string): void => {
    if (!warnings.includes(message)) warnings.push(message);
  };

  const variables = readVariables(source, fail, warn);
  const files = new Files(file, named, warn);
  const read = files.read(file, variables);
  let document = read.document;
  const legacyV1 = read.legacyV1;

  const notServices = (value: unknown): boolean => value !== undefined && value !== null && !isMapping(value);
  if (notServices(document.services)) {
    throw fail(`services must be a mapping of service names to services, got ${describe(document.services)}`);
  }
  const includedFrom = applyInclude(document, file, path.dirname(file), variables, [file], files);
  const written: Record<string, WrittenAt> = {};
  for (const [key, origin] of includedFrom) {
    if (key.startsWith("services.") && origin !== file) written[key] = { file: files.display(origin), path: key };
  }
  const services = document.services;
  if (isMapping(services)) {
    applyExtends(services, file, path.dirname(file), files, written);
    for (const service of Object.values(services)) {
      if (isMapping(service)) enforceUniqueness(service);
    }
  }
  document = stripMarkers(document) as Mapping;

  const inactive = isMapping(document.services) ? applyProfiles(document.services, enabledProfiles(source, variables), fail, warn) : [];
  return { document, inactive, warnings, legacyV1, variables, written };
}

/**
 * The compose files a load reads (the file, the ones it includes, those `extends.file` names), each
 * read once per set of variables, and named in messages by their path from the file's folder.
 */
class Files {
  private readonly cache = new Map<string, { variables: Record<string, string | undefined>; read: ReadFile }>();
  constructor(
    readonly main: string,
    private readonly named: string,
    readonly warn: (message: string) => void,
  ) {}

  /** A file as messages name it: the main file as the user named it, another by its path from the main file's folder. */
  display(file: string): string {
    if (file === this.main) return this.named;
    const relative = path.relative(path.dirname(this.main), file).split(path.sep).join("/");
    // Outside the main file's folder, the whole path: "../../../etc/x.yaml" would depend on where one stands.
    return relative.startsWith("../") ? file : relative;
  }

  /** An error about `file` (the main file's message names that file first when it is another one). */
  fail(file: string, message: string): ComposeError {
    return new ComposeError(file === this.main ? `${this.named}: ${message}` : `${this.named}: ${this.display(file)}: ${message}`);
  }

  /** The variables a file was read with: another file `extends.file` names is read with the same. */
  variablesOf(file: string): Record<string, string | undefined> {
    return this.cache.get(file)?.variables ?? {};
  }

  /** The file parsed and interpolated, markers (!reset, !override) kept; a copy, so callers may change it. */
  read(file: string, variables: Record<string, string | undefined>): ReadFile {
    const cached = this.cache.get(file);
    if (cached !== undefined && cached.variables === variables) return structuredCopy(cached.read);
    const read = readFile(file, variables, (message) => this.fail(file, message), this.warn);
    this.cache.set(file, { variables, read });
    return structuredCopy(read);
  }
}

interface ReadFile {
  document: Mapping;
  legacyV1: boolean;
}

/** A deep copy that keeps the !reset and !override markers. */
function structuredCopy<T>(value: T): T {
  if (value instanceof Override) return new Override(structuredCopy(value.value)) as T;
  if (Array.isArray(value)) return value.map((item) => structuredCopy(item)) as T;
  if (isMapping(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, structuredCopy(item)])) as T;
  return value;
}

/** For a key given twice in one mapping, which key: the parser names only its line and column. */
function duplicateKey(error: unknown, text: string): string {
  const { code, linePos } = error as { code?: string; linePos?: Array<{ line: number; col: number }> };
  if (code !== "DUPLICATE_KEY" || linePos === undefined) return "";
  const line = text.split("\n")[linePos[0].line - 1] ?? "";
  const key = /^["']?([^"':]+)/.exec(line.slice(linePos[0].col - 1))?.[1]?.trim();
  return key === undefined || key === "" ? "" : ` (${JSON.stringify(key)} is written twice in one mapping; keep one)`;
}

/**
 * Where a `<<` merges something other than a mapping (a list, a text), as " at line L, column C (...)":
 * the parser's own message for it names no place.
 */
function badMerge(error: unknown, text: string): string {
  if (!/^Merge sources must be/.test((error as Error).message)) return "";
  const lines = new LineCounter();
  const document = parseDocument(text, { merge: true, lineCounter: lines, logLevel: "silent" });
  let found = "";
  visit(document, {
    Pair(_, pair, path) {
      // The parser reads a merge key as a symbol, or as the text "<<" where merging is off.
      if (found !== "" || !isScalar(pair.key) || String(pair.key.source ?? pair.key.value) !== "<<") return undefined;
      const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
      const bad = sources.find((source) => !isMap(isAlias(source) ? source.resolve(document) : source));
      if (bad === undefined) return undefined;
      const target = isAlias(bad) ? bad.resolve(document) : bad;
      const kind = isSeq(target) ? "a list" : isScalar(target) ? "a text" : "nothing";
      const at = path
        .filter(isPair)
        .map((each) => (isScalar(each.key) ? String(each.key.value) : "?"))
        .join(".");
      const { line, col } = lines.linePos(pair.key.range?.[0] ?? 0);
      found = ` at line ${line}, column ${col} (${at === "" ? "the top level" : at}: "<<" merges ${kind}; << takes a mapping, or a list of mappings)`;
      return visit.BREAK;
    },
  });
  return found;
}

/** Parses and interpolates one compose file. */
function readFile(
  file: string,
  variables: Record<string, string | undefined>,
  fail: (message: string) => ComposeError,
  warn: (message: string) => void,
): ReadFile {
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
    throw fail(
      `not valid YAML: ${(error as Error).message.split("\n")[0].replace(/:$/, "")}${duplicateKey(error, text)}${badMerge(error, text)}`,
    );
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
  return { document, legacyV1 };
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

// ---- include -------------------------------------------------------------------------------------

/** Where a file is not on this machine: compose-go's remote loaders (git, OCI) read these. */
const REMOTE = /^(?:[a-z][a-z0-9+.-]*:\/\/|git@|github\.com\/)/i;

/** The top-level sections an included file brings in, as compose-go imports them. */
const INCLUDED_SECTIONS = ["services", "networks", "volumes", "secrets", "configs"];

/** What `include` lists, one entry's fields as compose-go reads them. */
interface IncludeEntry {
  paths: string[];
  projectDirectory?: string;
  envFiles?: string[];
}

/** A string, or a list of strings (compose's StringList); undefined when it is neither. */
function stringList(value: unknown): string[] | undefined {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as string[];
  return undefined;
}

function includeEntries(value: unknown, fail: (message: string) => ComposeError): IncludeEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw fail(`include must be a list of files, or of { path, project_directory, env_file }, got ${describe(value)}`);
  return value.map((entry, index) => {
    const at = `include[${index}]`;
    if (typeof entry === "string") return { paths: [entry] };
    if (!isMapping(entry)) throw fail(`${at} must be a file, or a mapping with path, got ${describe(entry)}`);
    const unknown = Object.keys(entry).filter((key) => !["path", "project_directory", "env_file"].includes(key));
    if (unknown.length > 0) {
      throw fail(
        `${at} has unknown key ${unknown.map((key) => JSON.stringify(key)).join(", ")} (allowed: env_file, path, project_directory)`,
      );
    }
    const paths = stringList(entry.path);
    if (paths === undefined || paths.length === 0)
      throw fail(`${at}.path must be a file or a list of files, got ${JSON.stringify(entry.path ?? null)}`);
    if (entry.project_directory !== undefined && typeof entry.project_directory !== "string") {
      throw fail(`${at}.project_directory must be a folder, got ${JSON.stringify(entry.project_directory)}`);
    }
    const envFiles = entry.env_file === undefined ? undefined : stringList(entry.env_file);
    if (entry.env_file !== undefined && envFiles === undefined) {
      throw fail(`${at}.env_file must be a file or a list of files, got ${JSON.stringify(entry.env_file)}`);
    }
    return {
      paths,
      ...(typeof entry.project_directory === "string" ? { projectDirectory: entry.project_directory } : {}),
      ...(envFiles !== undefined ? { envFiles } : {}),
    };
  });
}

/**
 * Brings the services, networks, volumes, secrets and configs of the files `include` lists into the
 * document, as compose-go does: each included file is loaded on its own (its own includes and
 * extends, its project directory's .env under the including file's variables), its relative paths
 * made relative to `workingDir`; a name the document, or another included file, already defines
 * differently is refused naming both files. Returns which file defines each name ("services.web").
 * @param file the file the document is, for messages
 * @param workingDir the folder the document's relative paths (and include's) start from
 * @param chain the files being included, outermost first, for cycles
 */
function applyInclude(
  document: Mapping,
  file: string,
  workingDir: string,
  variables: Record<string, string | undefined>,
  chain: string[],
  files: Files,
): Map<string, string> {
  const fail = (message: string): ComposeError => files.fail(file, message);
  const origins = new Map<string, string>();
  for (const section of INCLUDED_SECTIONS) {
    if (isMapping(document[section])) for (const name of Object.keys(document[section])) origins.set(`${section}.${name}`, file);
  }
  const entries = includeEntries(document.include, fail);
  delete document.include;
  entries.forEach((entry, index) => {
    const at = `include[${index}]`;
    for (const given of entry.paths) {
      if (REMOTE.test(given)) {
        throw fail(
          `${at}: ${JSON.stringify(given)} is a remote file, which dockyard does not fetch: download it and include the local copy`,
        );
      }
    }
    const included = entry.paths.map((given) => path.resolve(workingDir, given));
    const [main] = included;
    if (chain.includes(main)) {
      const cycle = [...chain.slice(chain.indexOf(main)), main].map((each) => files.display(each));
      throw fail(`${at}: include forms a cycle: ${cycle.join(" -> ")}`);
    }
    included.forEach((each, position) => {
      if (!fs.existsSync(each) || !fs.statSync(each).isFile()) {
        throw fail(`${at}: ${JSON.stringify(entry.paths[position])} is not a file (looked for ${files.display(each)})`);
      }
    });
    const projectDir = entry.projectDirectory === undefined ? path.dirname(main) : path.resolve(workingDir, entry.projectDirectory);
    const own = includeVariables(entry, at, workingDir, projectDir, variables, fail, files.warn);

    // The first file, with the others laid over it as override files.
    const loaded = files.read(main, own).document;
    for (const other of included.slice(1)) {
      const over = files.read(other, own).document;
      for (const key of [...INCLUDED_SECTIONS, "include"]) {
        if (over[key] === undefined) continue;
        loaded[key] = isMapping(loaded[key]) && isMapping(over[key]) ? mergeSections(loaded[key], over[key], key) : over[key];
      }
    }
    const nested = applyInclude(loaded, main, projectDir, own, [...chain, main], files);
    if (isMapping(loaded.services)) {
      applyExtends(loaded.services, main, projectDir, files);
      for (const name of Object.keys(loaded.services)) {
        if (isMapping(loaded.services[name])) loaded.services[name] = stripMarkers(loaded.services[name]);
      }
    }
    rebaseDocument(loaded, goRelative(workingDir, projectDir));

    for (const section of INCLUDED_SECTIONS) {
      const from = loaded[section];
      if (from !== undefined && from !== null && !isMapping(from)) {
        throw files.fail(main, `${section} must be a mapping of ${section} by name, got ${describe(from)}`);
      }
      if (!isMapping(from)) continue;
      const into: Mapping = isMapping(document[section]) ? document[section] : {};
      for (const [name, definition] of Object.entries(from)) {
        const key = `${section}.${name}`;
        const origin = nested.get(key) ?? main;
        if (name in into && !isDeepStrictEqual(stripMarkers(into[name]), definition)) {
          const first = files.display(origins.get(key) ?? file);
          throw fail(
            `${key} is defined in both ${first} and ${files.display(origin)}: an included file's ${section} must not be defined again; rename one, or remove one of them`,
          );
        }
        if (!(name in into)) {
          into[name] = definition;
          origins.set(key, origin);
        }
      }
      document[section] = into;
    }
  });
  return origins;
}

/** The sections of two files, the second laid over the first name by name. */
function mergeSections(base: Mapping, over: Mapping, section: string): Mapping {
  const result: Mapping = { ...base };
  for (const [name, value] of Object.entries(over)) {
    result[name] =
      name in result && isMapping(result[name]) && isMapping(value)
        ? section === "services"
          ? mergeMappings(result[name] as Mapping, value, [])
          : { ...(result[name] as Mapping), ...value }
        : value;
  }
  return result;
}

/**
 * An included file's variables: the including file's, then those of include's env_file (relative to
 * the including file's folder), or else of the project directory's .env, for names not set already.
 */
function includeVariables(
  entry: IncludeEntry,
  at: string,
  workingDir: string,
  projectDir: string,
  variables: Record<string, string | undefined>,
  fail: (message: string) => ComposeError,
  warn: (message: string) => void,
): Record<string, string | undefined> {
  let envFiles: Array<{ file: string; name: string }>;
  if (entry.envFiles === undefined) {
    const dotenv = path.join(projectDir, ".env");
    envFiles = fs.existsSync(dotenv) && fs.statSync(dotenv).isFile() ? [{ file: dotenv, name: ".env" }] : [];
  } else {
    envFiles = entry.envFiles
      .filter((given) => given !== "/dev/null")
      .map((given) => {
        const file = path.resolve(workingDir, given);
        if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
          throw fail(`${at}.env_file: ${JSON.stringify(given)} is not a file`);
        }
        return { file, name: given };
      });
  }
  const own: Record<string, string | undefined> = { ...variables };
  const fromFiles: Record<string, string> = {};
  for (const { file, name } of envFiles) {
    try {
      Object.assign(fromFiles, parseEnvFile(fs.readFileSync(file, "utf8"), { ...variables, ...fromFiles }, name, warn));
    } catch (error) {
      if (error instanceof InterpolationError) throw fail(`${at}: ${error.message}`);
      throw error;
    }
  }
  for (const [name, value] of Object.entries(fromFiles)) if (own[name] === undefined) own[name] = value;
  return own;
}

// ---- paths of another file's services ------------------------------------------------------------

/** Go's filepath.Join of two parts: the joined path, cleaned ("." for nothing, no trailing slash). */
function goJoin(dir: string, value: string): string {
  const joined = path.posix.normalize(`${dir}/${value}`);
  return joined.length > 1 ? joined.replace(/\/$/, "") : joined;
}

/** Go's filepath.Rel: `to` from `from`, "." when they are the same folder. */
function goRelative(from: string, to: string): string {
  return path.relative(from, to).split(path.sep).join("/") || ".";
}

/** A Windows absolute path (C:\..., C:/..., \\server\share): never relative to a folder here. */
export function isWindowsPath(value: string): boolean {
  return /^[a-zA-Z]:[\\/]/.test(value) || value.startsWith("\\\\");
}

/** A relative local path, which another file's folder changes: not absolute, not ~, not a Windows path. */
const isRelative = (value: string): boolean => value !== "" && !value.startsWith("/") && !value.startsWith("~") && !isWindowsPath(value);

/** A build context on this machine: not a URL, a git repository or another service's image. */
export function isRemoteContext(value: string): boolean {
  return value.includes("://") || value.startsWith("service:") || REMOTE.test(value);
}

function rebasePath(value: unknown, dir: string): unknown {
  return typeof value === "string" && isRelative(value) ? goJoin(dir, value) : value;
}

function rebaseContext(value: unknown, dir: string): unknown {
  return typeof value === "string" && !isRemoteContext(value) ? rebasePath(value, dir) : value;
}

/** A short-form volume's host path ("./data:/data:ro"), kept in the short form (so "./" stays in front of it). */
function rebaseShortVolume(entry: string, dir: string): string {
  const drive = /^[a-zA-Z]:[\\/]/.test(entry) ? 2 : 0;
  const colon = entry.indexOf(":", drive);
  if (colon < 0) return entry;
  const source = entry.slice(0, colon);
  if (!source.startsWith(".")) return entry;
  const joined = goJoin(dir, source);
  return `${joined.startsWith(".") || joined.startsWith("/") ? joined : `./${joined}`}${entry.slice(colon)}`;
}

/**
 * A service's relative paths (build context, env_file, label_file, bind mounts) as seen from
 * another folder, `dir` being the service's file's folder from there, as compose-go rebases them.
 * @param defaultContext a build without context builds "." (an included file's, where compose-go sets that default first)
 */
function rebaseService(service: Mapping, dir: string, defaultContext: boolean): Mapping {
  const result: Mapping = { ...service };
  if (typeof result.build === "string") result.build = rebaseContext(result.build, dir);
  else if (isMapping(result.build)) {
    const build: Mapping = { ...result.build };
    if (build.context === undefined && defaultContext) build.context = ".";
    if (build.context !== undefined) build.context = rebaseContext(build.context, dir);
    if (isMapping(build.additional_contexts)) {
      build.additional_contexts = Object.fromEntries(
        Object.entries(build.additional_contexts).map(([name, context]) => [name, rebaseContext(context, dir)]),
      );
    }
    result.build = build;
  }
  const envFile = (entry: unknown): unknown =>
    isMapping(entry) ? { ...entry, path: rebasePath(entry.path, dir) } : rebasePath(entry, dir);
  if (Array.isArray(result.env_file)) result.env_file = result.env_file.map(envFile);
  else if (result.env_file !== undefined) result.env_file = envFile(result.env_file);
  if (Array.isArray(result.label_file)) result.label_file = result.label_file.map((entry) => rebasePath(entry, dir));
  else if (result.label_file !== undefined) result.label_file = rebasePath(result.label_file, dir);
  if (Array.isArray(result.volumes)) {
    result.volumes = result.volumes.map((entry) => {
      if (typeof entry === "string") return rebaseShortVolume(entry, dir);
      if (isMapping(entry) && entry.type === "bind") return { ...entry, source: rebasePath(entry.source, dir) };
      return entry;
    });
  }
  return result;
}

/** An included document's relative paths, from the including file's folder (`dir`: the included project's folder from there). */
function rebaseDocument(document: Mapping, dir: string): void {
  if (isMapping(document.services)) {
    for (const [name, service] of Object.entries(document.services)) {
      if (isMapping(service)) document.services[name] = rebaseService(service, dir, true);
    }
  }
  for (const section of ["secrets", "configs"]) {
    const definitions = document[section];
    if (!isMapping(definitions)) continue;
    for (const [name, definition] of Object.entries(definitions)) {
      if (isMapping(definition) && definition.file !== undefined)
        definitions[name] = { ...definition, file: rebasePath(definition.file, dir) };
    }
  }
  if (isMapping(document.volumes)) {
    for (const [name, volume] of Object.entries(document.volumes)) {
      if (!isMapping(volume) || volume.driver !== "local" || !isMapping(volume.driver_opts)) continue;
      const options = volume.driver_opts;
      if (options.o === "bind" && options.device !== undefined) {
        document.volumes[name] = { ...volume, driver_opts: { ...options, device: rebasePath(options.device, dir) } };
      }
    }
  }
}

// ---- extends -------------------------------------------------------------------------------------

/**
 * Resolves `extends` of every service in place, bases first: a service of this file, or
 * (`extends.file`) of another file, read with the same variables, its relative paths rebased to
 * this file's folder. A chain that comes back to a service is refused, naming the chain.
 * @param file the file the services are in
 * @param workingDir the folder extends.file and the services' paths start from
 */
function applyExtends(services: Mapping, file: string, workingDir: string, files: Files, written?: Record<string, WrittenAt>): void {
  type Link = { file: string; name: string };
  const resolved = new Map<string, unknown>();
  /** For each resolved service, where each of its keys was written: the service itself, or a base. */
  const keyOrigins = new Map<string, Record<string, Link>>();
  const fileServices = new Map<string, Mapping>([[file, services]]);
  /** Another file's services, as that file wrote them (extends unresolved). */
  const servicesOf = (other: string, at: string): Mapping => {
    const known = fileServices.get(other);
    if (known !== undefined) return known;
    const read = files.read(other, files.variablesOf(file));
    if (!isMapping(read.document.services)) throw files.fail(file, `${at}: ${files.display(other)} has no services`);
    fileServices.set(other, read.document.services);
    return read.document.services;
  };
  const resolve = (link: Link, chain: Link[], dir: string): unknown => {
    const key = `${link.file}\u0000${link.name}`;
    if (resolved.has(key)) return resolved.get(key);
    const start = chain.findIndex((each) => each.file === link.file && each.name === link.name);
    if (start >= 0) {
      const cycle = [...chain.slice(start), link];
      const oneFile = cycle.every((each) => each.file === file);
      const names = cycle.map((each) => (oneFile ? each.name : `${each.name} (${files.display(each.file)})`));
      throw files.fail(file, `services.${chain[0].name}: extends forms a cycle: ${names.join(" -> ")}`);
    }
    const inFile = servicesOf(link.file, `services.${chain[0]?.name ?? link.name}`);
    const service = inFile[link.name];
    if (!isMapping(service) || !("extends" in service)) {
      resolved.set(key, service);
      keyOrigins.set(key, Object.fromEntries(Object.keys(isMapping(service) ? service : {}).map((name) => [name, link])));
      return service;
    }
    const at =
      link.file === file ? `services.${link.name}` : `services.${chain[0].name}: ${files.display(link.file)}: services.${link.name}`;
    const target = extendedService(at, service.extends, (message) => files.fail(file, message));
    let base: unknown;
    let baseLink: Link;
    if (target.file === undefined) {
      if (!(target.service in inFile)) {
        throw files.fail(
          file,
          `${at} extends service "${target.service}", which is not defined in ${link.file === file ? "this file" : files.display(link.file)} (its services: ${Object.keys(inFile).sort().join(", ") || "none"})`,
        );
      }
      baseLink = { file: link.file, name: target.service };
      base = resolve(baseLink, [...chain, link], dir);
    } else {
      if (REMOTE.test(target.file)) {
        throw files.fail(
          file,
          `${at}.extends.file ${JSON.stringify(target.file)} is a remote file, which dockyard does not fetch: download it and name the local copy`,
        );
      }
      const other = path.resolve(dir, target.file);
      if (!fs.existsSync(other) || !fs.statSync(other).isFile()) {
        throw files.fail(file, `${at}.extends.file ${JSON.stringify(target.file)} is not a file (looked for ${files.display(other)})`);
      }
      const otherServices = servicesOf(other, at);
      if (!(target.service in otherServices)) {
        throw files.fail(
          file,
          `${at} extends service "${target.service}", which is not defined in ${files.display(other)} (its services: ${Object.keys(otherServices).sort().join(", ") || "none"})`,
        );
      }
      baseLink = { file: other, name: target.service };
      const found = resolve(baseLink, [...chain, link], path.dirname(other));
      base = isMapping(found) ? rebaseService(stripMarkers(found) as Mapping, goRelative(dir, path.dirname(other)), false) : found;
    }
    const own: Mapping = { ...service };
    delete own.extends;
    const merged = stripMarkers(mergeMappings(isMapping(base) ? (stripMarkers(base) as Mapping) : {}, own, []));
    resolved.set(key, merged);
    const inherited = keyOrigins.get(`${baseLink.file}\u0000${baseLink.name}`) ?? {};
    keyOrigins.set(key, { ...inherited, ...Object.fromEntries(Object.keys(own).map((name) => [name, link])) });
    return merged;
  };
  for (const name of Object.keys(services).sort()) {
    services[name] = resolve({ file, name }, [], workingDir);
    if (written === undefined) continue;
    for (const [attribute, origin] of Object.entries(keyOrigins.get(`${file}\u0000${name}`) ?? {})) {
      if (origin.file === file && origin.name === name) continue;
      written[`services.${name}.${attribute}`] = { file: files.display(origin.file), path: `services.${origin.name}.${attribute}` };
    }
  }
}

function extendedService(at: string, extendsValue: unknown, fail: (message: string) => ComposeError): { service: string; file?: string } {
  if (typeof extendsValue === "string") return { service: extendsValue };
  if (isMapping(extendsValue) && typeof extendsValue.service === "string") {
    if (extendsValue.file === undefined) return { service: extendsValue.service };
    if (typeof extendsValue.file === "string") return { service: extendsValue.service, file: extendsValue.file };
    throw fail(`${at}.extends.file must be a file, got ${JSON.stringify(extendsValue.file)}`);
  }
  throw fail(`${at}.extends must be a service name or { service: name, file: other file }, got ${JSON.stringify(extendsValue)}`);
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
  for (const name of Object.keys(services).sort()) {
    const profiles = isMapping(services[name]) ? services[name].profiles : undefined;
    if (profiles !== undefined && !(Array.isArray(profiles) && profiles.every((profile) => typeof profile === "string"))) {
      // A profile written as text (profiles: debug) would otherwise leave the service always on.
      throw fail(`services.${name}.profiles must be a list of profile names, like [debug], got ${shown(profiles)}`);
    }
  }
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
