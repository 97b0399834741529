/**
 * Both sides of the compose oracle's comparison in one shape: compose-go's canonical model (the
 * JSON tools/compose-oracle prints) and dockyard's loaded document (stacks/compose/load.ts), each
 * reduced to the compared fields with compose's defaults filled in the way compose-go fills them
 * (long port and volume syntax, environment and labels as maps, depends_on entries, the implicit
 * default network, durations in nanoseconds, sizes in bytes).
 *
 * The loaded document keeps compose's short syntaxes for the converter to read; filling compose's
 * defaults into it is this file's job, not the loader's. Paths stay as written on both sides (the
 * oracle runs with --no-path-resolution) and environments are not resolved (--no-env-resolution):
 * env_file is compared as the list of files, environment as the file says it after interpolation.
 */
import * as path from "path";
import { parse as shellWords } from "shell-quote";

export type Doc = Record<string, unknown>;

/** What is compared: the services' fields below, and the three top-level maps. */
export interface Canonical {
  services: Record<string, Doc>;
  networks: Record<string, Doc>;
  volumes: Record<string, Doc>;
  secrets: Record<string, Doc>;
}

/** The service fields compared, in compose's names. */
export const SERVICE_FIELDS = [
  "image",
  "build",
  "command",
  "entrypoint",
  "environment",
  "env_file",
  "ports",
  "expose",
  "volumes",
  "tmpfs",
  "networks",
  "network_mode",
  "healthcheck",
  "depends_on",
  "deploy",
  "restart",
  "user",
  "working_dir",
  "cap_add",
  "cap_drop",
  "security_opt",
  "read_only",
  "privileged",
  "secrets",
  "labels",
  "profiles",
] as const;

/** Maps whose keys are the user's (variables, labels, options): their values are compared as they are, "" and false included. */
const USER_MAPS = new Set(["environment", "args", "labels", "driver_opts", "options", "aux_addresses"]);

export const isDoc = (value: unknown): value is Doc => value !== null && typeof value === "object" && !Array.isArray(value);

/** Flags that are true unless the file says false (compose-go's OptOut): it leaves out true instead of false. */
const OPT_OUT = new Set(["required", "create_host_path"]);

/**
 * Drops what compose-go leaves out of its JSON (omitempty): empty maps and lists, false (true for
 * the opt-out flags), "" and 0, except inside the user's maps, and except null, which says "no
 * value" (an environment variable without one) or "no options" (a network joined as is).
 */
export function prune(value: unknown, userMap = false): unknown {
  if (Array.isArray(value)) return value.map((item) => prune(item));
  if (!isDoc(value)) return value;
  const result: Doc = {};
  for (const [key, item] of Object.entries(value)) {
    const pruned = prune(item, USER_MAPS.has(key));
    // compose-go's JSON has no extensions (x-...): dockyard reads its own, x-dockyard, in convert.ts.
    if (!userMap && key.startsWith("x-")) continue;
    if (!userMap && OPT_OUT.has(key) && typeof pruned === "boolean") {
      if (pruned === false) result[key] = false;
      continue;
    }
    if (!userMap && (pruned === false || pruned === "" || pruned === 0 || pruned === undefined)) continue;
    if (Array.isArray(pruned) && pruned.length === 0) continue;
    if (isDoc(pruned) && Object.keys(pruned).length === 0 && !userMap) continue;
    result[key] = pruned;
  }
  return result;
}

// ---- value grammars, as compose-go reads them -----------------------------------------------------

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86400e9, w: 604800e9 };

/** A Go duration ("1m30s", "500ms", "1.5h"), or a number of seconds, in nanoseconds; what cannot be read stays as it is. */
export function nanoseconds(value: unknown): unknown {
  if (typeof value === "number") return value * 1e9;
  if (typeof value !== "string") return value;
  const text = value.trim();
  if (text === "0") return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w)/gy)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text) return value;
  return Math.round(parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * DURATION_UNITS[unit], 0));
}

const BYTE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** A byte size ("128m", "1gb", "512M", 268435456) as compose-go prints it: the number of bytes, as text. */
export function bytes(value: unknown): unknown {
  if (typeof value === "number") return String(value);
  if (typeof value !== "string") return value;
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgtp])?(?:i?b)?$/i.exec(value.trim());
  if (!match) return value;
  return String(Math.trunc(Number(match[1]) * BYTE_UNITS[(match[2] ?? "b").toLowerCase()]));
}

/** A number compose-go reads from text or a number ("0.5", 3). */
const numeric = (value: unknown): unknown =>
  typeof value === "string" && value.trim() !== "" && !isNaN(Number(value)) ? Number(value) : value;

/** A scalar as compose-go keeps it in a map of strings. */
const text = (value: unknown): unknown => (value === null || value === undefined || typeof value === "object" ? value : String(value));

/** `[A=1, B]` or `{ A: 1, B: null }` → `{ A: "1", B: null }`. */
export function keyValueMap(value: unknown): unknown {
  if (Array.isArray(value)) {
    const result: Doc = {};
    for (const item of value) {
      const entry = String(item);
      const eq = entry.indexOf("=");
      if (eq < 0) result[entry] = null;
      else result[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return result;
  }
  if (!isDoc(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, text(item)]));
}

/** Labels as a map; a label without a value is "" (an environment variable without one stays null). */
export function labelMap(value: unknown): unknown {
  const map = keyValueMap(value);
  return isDoc(map) ? Object.fromEntries(Object.entries(map).map(([key, item]) => [key, item ?? ""])) : map;
}

/** A command as compose-go's ShellCommand: a list as it is, a string split as a shell would (no expansion). */
export function command(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== "string") return value;
  return shellWords(value, (name) => `$${name}`).map((part) => (typeof part === "string" ? part : JSON.stringify(part)));
}

/** One short port ("127.0.0.1:8080-8081:80-81/udp") as compose-go's long entries. */
export function shortPort(entry: string): Doc[] | undefined {
  const match = /^(?:(?:\[([0-9a-fA-F:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):)?(?:(\d+(?:-\d+)?)?:)?(\d+(?:-\d+)?)(?:\/(\w+))?$/.exec(
    entry.trim(),
  );
  if (!match) return undefined;
  const [, ipv6, ipv4, hostRange, containerRange, protocol] = match;
  const range = (text: string): [number, number] => {
    const [start, end] = text.split("-").map(Number);
    return [start, end ?? start];
  };
  const [start, end] = range(containerRange);
  const [hostStart, hostEnd] = hostRange === undefined ? [undefined, undefined] : range(hostRange);
  const entries: Doc[] = [];
  for (let port = start; port <= end; port++) {
    let published: string | undefined;
    if (hostStart !== undefined && hostEnd !== undefined) {
      published = start === end && hostStart !== hostEnd ? `${hostStart}-${hostEnd}` : String(hostStart + (port - start));
    }
    entries.push({
      mode: "ingress",
      target: port,
      ...(published !== undefined ? { published } : {}),
      protocol: (protocol ?? "tcp").toLowerCase(),
      ...(ipv6 !== undefined || ipv4 !== undefined ? { host_ip: ipv6 ?? ipv4 } : {}),
    });
  }
  // compose-go orders a range's entries by "port/protocol" as text.
  return entries.sort((a, b) => (`${String(a.target)}` < `${String(b.target)}` ? -1 : 1));
}

function ports(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.flatMap((entry): unknown[] => {
    if (typeof entry === "string" || typeof entry === "number") return shortPort(String(entry)) ?? [entry];
    if (!isDoc(entry)) return [entry];
    return [
      {
        ...entry,
        target: numeric(entry.target),
        ...(entry.published !== undefined ? { published: String(entry.published) } : {}),
        protocol: entry.protocol ?? "tcp",
        mode: entry.mode ?? "ingress",
      },
    ];
  });
}

const isFilePath = (source: string): boolean => /^[./~]/.test(source) || source.startsWith("\\\\") || /^[a-zA-Z]:/.test(source);

/** One short volume ("./data:/data:ro,z") as compose-go's long entry. */
export function shortVolume(spec: string): Doc {
  const parts: string[] = [];
  let buffer = "";
  for (let i = 0; i < spec.length; i++) {
    const char = spec[i];
    if (char === ":" && !(buffer.length === 1 && /[a-zA-Z]/.test(buffer))) {
      parts.push(buffer);
      buffer = "";
    } else buffer += char;
  }
  parts.push(buffer);
  const volume: Doc = {};
  if (parts.length === 1) volume.target = parts[0];
  else [volume.source, volume.target] = parts;
  const bind: Doc = {};
  let nocopy = false;
  for (const option of (parts[2] ?? "").split(",")) {
    if (option === "ro") volume.read_only = true;
    else if (option === "rw") volume.read_only = false;
    else if (option === "nocopy") nocopy = true;
    else if (["rprivate", "private", "rshared", "shared", "rslave", "slave"].includes(option)) bind.propagation = option;
    else if (option === "z" || option === "Z") bind.selinux = option;
  }
  const source = typeof volume.source === "string" ? volume.source : "";
  if (isFilePath(source)) return { type: "bind", ...volume, bind: { ...bind, create_host_path: true } };
  return { type: "volume", ...volume, volume: nocopy ? { nocopy: true } : {}, ...(Object.keys(bind).length > 0 ? { bind } : {}) };
}

const cleanTarget = (target: unknown): unknown =>
  typeof target === "string" && target !== "" ? target.replace(/\/+/g, "/").replace(/(.)\/$/, "$1") : target;

/**
 * A relative bind source as Go's filepath.Clean writes it ("./lib/data" is "lib/data"): a service
 * brought in from another file keeps the short form, where "./" must stay in front of its rebased
 * path, and compose-go cleans the path it joins.
 */
const cleanSource = (source: unknown): unknown => {
  if (typeof source !== "string" || !source.startsWith(".")) return source;
  const cleaned = path.posix.normalize(source);
  return cleaned.length > 1 ? cleaned.replace(/\/$/, "") : cleaned;
};

function volumes(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.map((entry) => {
    const long = typeof entry === "string" ? shortVolume(entry) : isDoc(entry) ? { ...entry } : entry;
    if (!isDoc(long)) return long;
    long.target = cleanTarget(long.target);
    if (long.type === "bind") long.source = cleanSource(long.source);
    if (isDoc(long.bind) && long.bind.create_host_path === undefined) long.bind = { ...long.bind, create_host_path: true };
    if (isDoc(long.tmpfs))
      long.tmpfs = { ...long.tmpfs, size: long.tmpfs.size === undefined ? undefined : numeric(bytes(long.tmpfs.size)) };
    return long;
  });
}

function healthcheck(value: unknown): unknown {
  if (!isDoc(value)) return value;
  const result: Doc = { ...value };
  if (typeof value.test === "string") result.test = ["CMD-SHELL", value.test];
  for (const key of ["interval", "timeout", "start_period", "start_interval"]) {
    if (value[key] !== undefined) result[key] = nanoseconds(value[key]);
  }
  if (value.retries !== undefined) result.retries = numeric(value.retries);
  return result;
}

function dependsOn(value: unknown, service: Doc): Doc | undefined {
  const result: Doc = {};
  if (Array.isArray(value)) {
    for (const name of value) result[String(name)] = { condition: "service_started", required: true };
  } else if (isDoc(value)) {
    for (const [name, entry] of Object.entries(value)) {
      const given = isDoc(entry) ? entry : {};
      result[name] = { ...given, condition: given.condition ?? "service_started", required: given.required ?? true };
    }
  }
  // links and namespaces shared with a service are dependencies too, as compose-go adds them.
  const implied = (name: string, restart: boolean): void => {
    if (!(name in result)) result[name] = { condition: "service_started", restart, required: true };
  };
  if (Array.isArray(service.links)) for (const link of service.links) implied(String(link).split(":")[0], true);
  for (const key of ["network_mode", "ipc", "pid", "uts", "cgroup"]) {
    const mode = service[key];
    if (typeof mode === "string" && mode.startsWith("service:")) implied(mode.slice("service:".length), true);
  }
  if (Array.isArray(service.volumes_from)) {
    for (const from of service.volumes_from) if (!String(from).startsWith("container:")) implied(String(from).split(":")[0], false);
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

function resources(value: unknown): unknown {
  if (!isDoc(value)) return value;
  return { ...value, cpus: numeric(value.cpus), memory: bytes(value.memory), pids: numeric(value.pids) };
}

function updateConfig(value: unknown): unknown {
  if (!isDoc(value)) return value;
  return {
    ...value,
    parallelism: numeric(value.parallelism),
    delay: nanoseconds(value.delay),
    monitor: nanoseconds(value.monitor),
    max_failure_ratio: numeric(value.max_failure_ratio),
  };
}

function deploy(value: unknown): unknown {
  if (!isDoc(value)) return value;
  const result: Doc = { ...value };
  if (value.replicas !== undefined) result.replicas = numeric(value.replicas);
  if (value.labels !== undefined) result.labels = labelMap(value.labels);
  if (isDoc(value.resources)) {
    result.resources = {
      ...value.resources,
      limits: resources(value.resources.limits),
      reservations: resources(value.resources.reservations),
    };
  }
  if (value.update_config !== undefined) result.update_config = updateConfig(value.update_config);
  if (value.rollback_config !== undefined) result.rollback_config = updateConfig(value.rollback_config);
  if (isDoc(value.restart_policy)) {
    const policy = value.restart_policy;
    result.restart_policy = {
      ...policy,
      delay: nanoseconds(policy.delay),
      window: nanoseconds(policy.window),
      max_attempts: numeric(policy.max_attempts),
    };
  }
  if (isDoc(value.placement)) {
    result.placement = { ...value.placement, max_replicas_per_node: numeric(value.placement.max_replicas_per_node) };
  }
  return result;
}

function build(value: unknown): unknown {
  const given = typeof value === "string" ? { context: value } : isDoc(value) ? value : undefined;
  if (given === undefined) return value;
  const result: Doc = {
    context: given.context ?? ".",
    dockerfile: given.dockerfile ?? (given.dockerfile_inline === undefined ? "Dockerfile" : undefined),
    dockerfile_inline: given.dockerfile_inline,
    target: given.target,
  };
  if (given.args !== undefined) {
    // An argument without a value is left out when the environment does not give one, as compose-go does.
    const args = keyValueMap(given.args);
    result.args = isDoc(args) ? Object.fromEntries(Object.entries(args).filter(([, item]) => item !== null)) : args;
  }
  return result;
}

/** A file mode (0440, "0440") as compose-go prints it: octal text. */
function fileMode(value: unknown): unknown {
  const mode = typeof value === "string" ? parseInt(value, 8) : value;
  return typeof mode === "number" && Number.isInteger(mode) ? `0${mode.toString(8)}` : value;
}

function serviceSecrets(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.map((entry) => {
    const long = typeof entry === "string" ? { source: entry } : isDoc(entry) ? { ...entry } : entry;
    if (!isDoc(long)) return long;
    if (long.target === undefined) long.target = `/run/secrets/${String(long.source)}`;
    if (long.mode !== undefined) long.mode = fileMode(long.mode);
    for (const id of ["uid", "gid"]) if (long[id] !== undefined) long[id] = String(long[id]);
    return long;
  });
}

function envFiles(value: unknown): unknown {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list)) return value;
  return list.map((entry) =>
    typeof entry === "string" ? { path: entry, required: true } : isDoc(entry) ? { ...entry, required: entry.required ?? true } : entry,
  );
}

function serviceNetworks(value: unknown, service: Doc): unknown {
  if (service.network_mode !== undefined) return value;
  let networks: unknown = value;
  if (Array.isArray(value)) networks = Object.fromEntries(value.map((name) => [String(name), null]));
  if (networks === undefined || (isDoc(networks) && Object.keys(networks).length === 0)) networks = { default: null };
  if (!isDoc(networks)) return networks;
  // A network joined with no options is null on both sides.
  return Object.fromEntries(
    Object.entries(networks).map(([name, options]) => {
      const pruned = prune(options);
      return [name, isDoc(pruned) && Object.keys(pruned).length > 0 ? pruned : null];
    }),
  );
}

/** One of dockyard's loaded services, in compose-go's canonical shape. */
function dockyardService(service: Doc): Doc {
  const result: Doc = {};
  for (const field of SERVICE_FIELDS) {
    const value = service[field];
    switch (field) {
      case "build":
        result.build = value === undefined ? undefined : build(value);
        break;
      case "command":
      case "entrypoint":
        result[field] = command(value);
        break;
      case "environment":
        result.environment = keyValueMap(value);
        break;
      case "labels":
        result.labels = labelMap(value);
        break;
      case "env_file":
        result.env_file = envFiles(value);
        break;
      case "ports":
        result.ports = ports(value);
        break;
      case "expose":
        result.expose = Array.isArray(value) ? value.map(String) : value;
        break;
      case "volumes":
        result.volumes = volumes(value);
        break;
      case "tmpfs":
        result.tmpfs = typeof value === "string" ? [value] : value;
        break;
      case "networks":
        result.networks = serviceNetworks(value, service);
        break;
      case "healthcheck":
        result.healthcheck = healthcheck(value);
        break;
      case "depends_on":
        result.depends_on = dependsOn(value, service);
        break;
      case "deploy":
        result.deploy = deploy(value);
        break;
      case "secrets":
        result.secrets = serviceSecrets(value);
        break;
      case "image":
      case "user":
      case "working_dir":
      case "restart":
        result[field] = text(value);
        break;
      default:
        result[field] = value;
    }
  }
  return prune(result) as Doc;
}

/**
 * The top-level networks, volumes or secrets, each with the name the file gives it: a name compose
 * would make anyway (<project>_<key>, or the key of an external one) is left out.
 */
function topLevel(value: unknown, projectName: string, each: (entry: Doc) => Doc = (entry) => entry): Record<string, Doc> {
  if (!isDoc(value)) return {};
  return Object.fromEntries(
    Object.entries(value).map(([key, given]) => {
      const entry = each(external(isDoc(given) ? given : {}));
      const made = entry.external === true ? key : `${projectName}_${key}`;
      if (entry.name === made) delete entry.name;
      return [key, prune(entry) as Doc];
    }),
  );
}

/** `external: { name: x }`, compose's old form, is `external: true` and `name: x`. */
function external(entry: Doc): Doc {
  if (isDoc(entry.external)) return { ...entry, external: true, name: entry.external.name ?? entry.name };
  return { ...entry };
}

/** Labels and driver options as maps of text. */
const withMaps = (entry: Doc): Doc => ({ ...entry, labels: labelMap(entry.labels), driver_opts: keyValueMap(entry.driver_opts) });

/**
 * dockyard's loaded document (loadCompose's `document`) in compose-go's canonical shape.
 * @param projectName the project's name, which names compose would make are made of
 */
export function fromDockyard(document: Doc, projectName: string): Canonical {
  const services: Record<string, Doc> = {};
  const given = isDoc(document.services) ? document.services : {};
  for (const name of Object.keys(given).sort()) services[name] = dockyardService(isDoc(given[name]) ? given[name] : {});
  const networks = topLevel(document.networks, projectName, withMaps);
  const usesDefault = Object.values(services).some((service) => isDoc(service.networks) && "default" in service.networks);
  if (usesDefault && !("default" in networks)) networks.default = {};
  return {
    services,
    networks,
    volumes: topLevel(document.volumes, projectName, withMaps),
    secrets: topLevel(document.secrets, projectName),
  };
}

/** compose-go's model (the oracle's JSON) reduced to the compared fields. */
export function fromOracle(project: Doc): Canonical {
  const projectName = String(project.name);
  const services: Record<string, Doc> = {};
  const given = isDoc(project.services) ? project.services : {};
  for (const name of Object.keys(given).sort()) {
    const service = isDoc(given[name]) ? given[name] : {};
    const picked: Doc = {};
    for (const field of SERVICE_FIELDS) {
      let value = service[field];
      if (field === "healthcheck") value = healthcheck(value);
      if (field === "deploy") value = deploy(value);
      if (field === "volumes") value = volumes(value);
      if (field === "networks") value = serviceNetworks(value, service);
      if (field === "build" && value !== undefined) value = build(value);
      if (field === "secrets") value = serviceSecrets(value);
      if (value !== null) picked[field] = value;
    }
    services[name] = prune(picked) as Doc;
  }
  return {
    services,
    networks: topLevel(project.networks, projectName),
    volumes: topLevel(project.volumes, projectName),
    secrets: topLevel(project.secrets, projectName),
  };
}

/** The paths where two values differ ("services.web.ports[0].published"), in order. */
export function differences(expected: unknown, actual: unknown, at = ""): string[] {
  if (JSON.stringify(expected) === JSON.stringify(actual)) return [];
  if (isDoc(expected) && isDoc(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    return keys.flatMap((key) => differences(expected[key], actual[key], at === "" ? key : `${at}.${key}`));
  }
  if (isDoc(expected) !== isDoc(actual) || Array.isArray(expected) !== Array.isArray(actual)) return [at];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) return [at];
    return expected.flatMap((item, index) => differences(item, actual[index], `${at}[${index}]`));
  }
  return [at];
}
