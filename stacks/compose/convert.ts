/**
 * A loaded compose document (stacks/compose/load.ts: interpolated, merged, profiles applied) as the
 * app model every target deploys. Every key has one disposition, in DISPOSITIONS: mapped (possibly
 * with a change the report states), ignored with a warning, or refused. Refusals are collected and
 * raised together, before anything is registered, each naming the file, the service, the key, the
 * value and what to do instead. The report is what `npm run compose:check` prints and what
 * `pulumi preview` logs.
 */
import { parse as parseDotenv } from "dotenv";
import * as fs from "fs";
import * as path from "path";
import { parse as shellWords } from "shell-quote";
import { z } from "zod";
import { Cidr, overlaps, parseCidr } from "../../components/cidr";
import { sortedKeys } from "../../components/sorted";
import { parseMemory } from "../../components/units";
import {
  AppModel,
  DependencyCondition,
  HealthCheck,
  ImageSource,
  Limits,
  Placement,
  Reservations,
  RestartPolicy,
  Rollout,
  ServiceModel,
  ServicePort,
  VolumeMount,
} from "../model";
import { CONSTRAINT, CONSTRAINT_RULE } from "../resolve";
import { ComposeError, LoadedCompose } from "./load";
import { composeNetworkShape, composeSecretShape, composeServiceShape, composeVolumeShape, issuePath } from "./schema";

export type Disposition = "mapped" | "changed" | "ignored" | "refused";

export interface ReportLine {
  /** "services.web.ports[0]", "networks.back", "version". */
  path: string;
  disposition: Exclude<Disposition, "refused">;
  note: string;
}

export interface ComposeConversion {
  model: AppModel;
  report: ReportLine[];
}

/** Limits a service gets when the file gives none: every dockyard service is limited. */
export const DEFAULT_COMPOSE_LIMITS: Limits = { cpus: 1, memory: "512m" };
/** Where networks without an IPAM subnet get theirs: consecutive /24s, in network name order. */
export const DEFAULT_SUBNET_POOL = "10.124.0.0/16";
/** Compose's own health-check defaults (interval 30s, timeout 30s, 3 retries, start period 0s). */
export const COMPOSE_HEALTH_DEFAULTS = { intervalSeconds: 30, timeoutSeconds: 30, retries: 3, startPeriodSeconds: 0 } as const;

/**
 * What happens to each key of a service, by name: mapped, ignored (warned) or refused with the fix.
 * A key in neither list is unknown to the compose specification and refused as such.
 */
export const SERVICE_KEYS: Record<string, Disposition | [Disposition, string]> = {
  image: "mapped",
  build: "mapped",
  command: "mapped",
  entrypoint: "mapped",
  environment: "mapped",
  env_file: "mapped",
  ports: "mapped",
  expose: "mapped",
  volumes: "mapped",
  networks: "mapped",
  depends_on: "mapped",
  healthcheck: "mapped",
  deploy: "mapped",
  cpus: "mapped",
  mem_limit: "mapped",
  scale: "mapped",
  user: "mapped",
  links: "mapped",
  secrets: "mapped",
  "x-dockyard": "mapped",
  container_name: ["ignored", "containers are named <app>-<stack>-<service>-<replica>, so stages and replicas can share an engine"],
  restart: ["ignored", "containers restart unless stopped (Docker) or always (Kubernetes)"],
  labels: ["ignored", "containers carry dockyard.app, dockyard.stack and dockyard.service labels"],
  hostname: ["ignored", "services reach each other by service name"],
  domainname: ["ignored", "services reach each other by service name"],
  working_dir: ["ignored", "the image's working directory is used; set WORKDIR in the Dockerfile"],
  stop_grace_period: ["ignored", "the target's default grace period applies"],
  stop_signal: ["ignored", "set STOPSIGNAL in the Dockerfile"],
  logging: ["ignored", "the engine's default logging driver applies"],
  tty: ["ignored", "services run without a terminal"],
  stdin_open: ["ignored", "services run without stdin"],
  init: ["ignored", "add an init (tini) to the image if the process needs one"],
  dns: ["ignored", "the target's DNS is used"],
  dns_search: ["ignored", "the target's DNS is used"],
  dns_opt: ["ignored", "the target's DNS is used"],
  extra_hosts: ["ignored", "services reach each other by service name"],
  pull_policy: ["ignored", "prebuilt images are pulled when missing"],
  platform: ["ignored", "images build for the engine's platform"],
  read_only: ["ignored", "the root filesystem stays writable"],
  shm_size: ["ignored", "the engine's default /dev/shm size applies"],
  tmpfs: ["ignored", "no tmpfs is mounted; use a volume"],
  ulimits: ["ignored", "the engine's default limits apply"],
  sysctls: ["ignored", "the engine's defaults apply"],
  mem_reservation: ["ignored", "use deploy.resources.reservations.memory"],
  cpu_shares: ["ignored", "use cpus"],
  oom_score_adj: ["ignored", "the engine's default applies"],
  pids_limit: ["ignored", "the engine's default applies"],
  profiles: "mapped",
  network_mode: ["refused", "services join the app's networks; remove network_mode"],
  privileged: ["refused", "a privileged container can do anything on its host; grant what the service needs in its image instead"],
  cap_add: ["refused", "added capabilities are not granted; remove cap_add"],
  cap_drop: ["ignored", "capabilities are the engine's defaults"],
  security_opt: ["refused", "security options are not applied; remove security_opt"],
  devices: ["refused", "host devices are not passed through; remove devices"],
  pid: ["refused", "services do not share a PID namespace with the host or each other; remove pid"],
  ipc: ["refused", "services do not share an IPC namespace; remove ipc"],
  volumes_from: ["refused", "mount the same named volume instead (a volume holds one service's data)"],
  external_links: ["refused", "reach services outside the app by address in environment"],
  configs: ["refused", "compose configs are not supported; bake the file into the image or mount a volume"],
  gpus: ["refused", "GPUs are not passed through"],
  runtime: ["refused", "the engine's default runtime is used; remove runtime"],
  userns_mode: ["refused", "user namespaces are the engine's; remove userns_mode"],
  cgroup_parent: ["refused", "remove cgroup_parent"],
  isolation: ["refused", "remove isolation"],
  extends: ["refused", "extends is resolved while loading; this one was left over"],
  post_start: ["ignored", "lifecycle hooks do not run"],
  pre_stop: ["ignored", "lifecycle hooks do not run"],
  develop: ["ignored", "compose watch is a development tool"],
  attach: ["ignored", "logs are the engine's"],
  annotations: ["ignored", "no annotations are set"],
  mac_address: ["ignored", "addresses are the engine's"],
};

export const TOP_KEYS: Record<string, Disposition | [Disposition, string]> = {
  services: "mapped",
  networks: "mapped",
  volumes: "mapped",
  secrets: "mapped",
  name: "mapped",
  configs: ["refused", "compose configs are not supported; bake the file into the image or mount a volume"],
  include: ["refused", "include is not supported: put the services in this file"],
};

type Doc = Record<string, unknown>;
const isMap = (value: unknown): value is Doc => value !== null && typeof value === "object" && !Array.isArray(value);
const DNS_LABEL = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

class Refusals {
  readonly messages: string[] = [];
  constructor(private readonly file: string) {}
  add(where: string, message: string): void {
    this.messages.push(`${this.file}: ${where} ${message}`);
  }
  throwIfAny(): void {
    if (this.messages.length === 1) throw new ComposeError(this.messages[0]);
    if (this.messages.length > 1) {
      throw new ComposeError(`${this.messages.length} keys of ${this.file} cannot be deployed:\n  ${this.messages.join("\n  ")}`);
    }
  }
}

/** Names a setting the stage may give in the report's notes: a stack config key, or a ComposeApp's argument. */
export type Setting = (key: string) => string;

/** A stack config key, with how to set a secret's value. */
const stackSetting: Setting = (key) =>
  key.startsWith("secrets.") ? `dockyard:${key} (pulumi config set --secret --path ${key} <value>)` : `dockyard:${key}`;

/**
 * Converts a loaded compose document. `file` is the compose file as the user named it (for
 * messages); `projectDir` the directory build contexts are relative to in the model (the Pulumi
 * project's), which a build context must not leave.
 */
export function convertCompose(
  loaded: LoadedCompose,
  file: string,
  projectDir: string,
  subnetPool = DEFAULT_SUBNET_POOL,
  setting: Setting = stackSetting,
): ComposeConversion {
  const refused = new Refusals(file);
  const report: ReportLine[] = loaded.warnings.map((note) => ({ path: "(file)", disposition: "changed", note }));
  if (loaded.inactive.length > 0) {
    report.push({ path: "profiles", disposition: "changed", note: `not deployed (profile not active): ${loaded.inactive.join(", ")}` });
  }
  const doc = loaded.document;
  const fileDir = path.dirname(path.resolve(projectDir, file));
  for (const key of Object.keys(doc)) {
    if (key.startsWith("x-")) {
      report.push({ path: key, disposition: "ignored", note: "an extension field for other tools" });
      continue;
    }
    dispose(TOP_KEYS[key], key, refused, report, "top-level key");
  }
  const name =
    typeof doc.name === "string"
      ? doc.name
      : path
          .basename(fileDir)
          .toLowerCase()
          .replace(/[^a-z0-9-]/g, "-");
  if (!DNS_LABEL.test(name))
    refused.add(
      "name",
      `${JSON.stringify(name)} must be lowercase letters, digits and dashes (a DNS label of up to 32); set name: in the file`,
    );
  if (doc.name === undefined)
    report.push({ path: "name", disposition: "changed", note: `no name: the app is named after the file's folder, "${name}"` });

  const before = refused.messages.length;
  checkShapes(doc, refused);
  // A value of the wrong type makes the rest of its service unreadable: stop at the shapes.
  if (refused.messages.length > before) refused.throwIfAny();
  const services = isMap(doc.services) ? doc.services : {};
  if (Object.keys(services).length === 0) refused.add("services", "is empty: a compose file needs at least one service");
  const secrets = convertSecrets(doc.secrets, refused, report, setting);
  const refusedVolumes = new Set<string>();
  const model: AppModel = {
    name,
    services: {},
    networks: {},
    volumes: convertVolumes(doc.volumes, refused, report, refusedVolumes),
    secrets,
  };
  const usedNetworks = new Set<string>();
  for (const service of sortedKeys(services)) {
    const converted = convertService(service, services[service], {
      model,
      fileDir,
      projectDir,
      refused,
      report,
      usedNetworks,
      refusedVolumes,
      setting,
    });
    if (converted) model.services[service] = converted;
  }
  model.networks = convertNetworks(doc.networks, usedNetworks, subnetPool, refused, report, setting);
  refused.throwIfAny();
  return { model, report };
}

/** The zod shapes of the mapped keys (stacks/compose/schema.ts), every issue a refusal. */
function checkShapes(doc: Doc, refused: Refusals): void {
  const sections: Array<[string, z.ZodType]> = [
    ["services", composeServiceShape],
    ["volumes", composeVolumeShape],
    ["secrets", composeSecretShape],
    ["networks", composeNetworkShape],
  ];
  for (const [section, shape] of sections) {
    const entries = doc[section];
    if (entries === undefined || entries === null) continue;
    if (!isMap(entries)) {
      refused.add(section, `must be a mapping of ${section} by name`);
      continue;
    }
    for (const [name, value] of Object.entries(entries)) {
      const parsed = shape.safeParse(value);
      if (parsed.success) continue;
      for (const issue of parsed.error.issues) {
        const given = issue.path.reduce<unknown>(
          (node, part) => (isMap(node) || Array.isArray(node) ? (node as Record<PropertyKey, unknown>)[part] : undefined),
          value,
        );
        const where = issuePath(`${section}.${name}`, issue.path);
        if (issue.code === "unrecognized_keys") {
          refused.add(
            where,
            `has unknown ${issue.keys.length > 1 ? "keys" : "key"} ${issue.keys.map((key) => JSON.stringify(key)).join(", ")}`,
          );
        } else {
          refused.add(where, given === undefined ? `is required: it ${issue.message}` : `${issue.message}, got ${JSON.stringify(given)}`);
        }
      }
    }
  }
}

function dispose(
  disposition: Disposition | [Disposition, string] | undefined,
  where: string,
  refused: Refusals,
  report: ReportLine[],
  what: string,
): void {
  if (disposition === undefined) {
    refused.add(where, `is not a compose ${what} dockyard knows (a typo, or a key of a newer compose spec); remove it`);
    return;
  }
  if (typeof disposition === "string") return;
  const [kind, why] = disposition;
  if (kind === "refused") refused.add(where, `cannot be deployed: ${why}`);
  else report.push({ path: where, disposition: "ignored", note: why });
}

interface Context {
  model: AppModel;
  fileDir: string;
  projectDir: string;
  refused: Refusals;
  report: ReportLine[];
  usedNetworks: Set<string>;
  /** Volumes whose top-level definition was refused (external): mounts of them are not refused again. */
  refusedVolumes: Set<string>;
  setting: Setting;
}

function convertService(name: string, raw: unknown, ctx: Context): ServiceModel | undefined {
  const { refused, report } = ctx;
  const at = `services.${name}`;
  if (!isMap(raw)) {
    refused.add(at, "must be a mapping of service keys");
    return undefined;
  }
  if (!DNS_LABEL.test(name))
    refused.add(at, "is not a valid service name here: lowercase letters, digits and dashes (a DNS label of up to 32)");
  for (const key of Object.keys(raw)) dispose(SERVICE_KEYS[key], `${at}.${key}`, refused, report, "service key");
  const x = isMap(raw["x-dockyard"]) ? raw["x-dockyard"] : {};
  const image = convertImage(raw, at, ctx);
  const env = convertEnvironment(raw, at, ctx);
  const secretEnv = convertServiceSecrets(raw.secrets, env, at, ctx);
  const ports = convertPorts(raw, at, x, ctx);
  const networks = serviceNetworks(raw.networks, name, at, ctx);
  const dependsOn = convertDependsOn(raw, at, ctx);
  const health = convertHealth(raw.healthcheck, x, at, ctx);
  const { limits, replicas, rollout, reservations, placement, restart, endpointMode } = convertDeploy(raw, at, ctx);
  for (const [key, order] of [
    ["update_config", rollout?.order],
    ["rollback_config", rollout?.rollback?.order],
  ] as const) {
    if (x.singleWriter === true && order === "start-first") {
      refused.add(
        `${at}.deploy.${key}.order`,
        "start-first cannot be deployed on a single-writer service (x-dockyard.singleWriter): the new task would write its data while the old one still does; use stop-first",
      );
    }
  }
  const service: ServiceModel = {
    image: image ?? { kind: "pull", ref: "invalid" },
    networks,
    limits,
    ...(raw.command !== undefined ? { command: words(raw.command, `${at}.command`, refused) } : {}),
    ...(raw.entrypoint !== undefined ? { entrypoint: words(raw.entrypoint, `${at}.entrypoint`, refused) } : {}),
    ...(Object.keys(env).length > 0 ? { env } : {}),
    ...(Object.keys(secretEnv).length > 0 ? { secretEnv } : {}),
    ...(ports.length > 0 ? { ports } : {}),
    ...(raw.volumes !== undefined ? { volumes: convertMounts(raw.volumes, at, ctx) } : {}),
    ...(health ? { health } : {}),
    ...(Object.keys(dependsOn).length > 0 ? { dependsOn } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
    ...(x.autoscaling !== undefined ? { autoscaling: x.autoscaling as ServiceModel["autoscaling"] } : {}),
    ...(x.singleWriter === true ? { singleWriter: true } : {}),
    ...(typeof raw.user === "string" || typeof raw.user === "number" ? { user: String(raw.user) } : {}),
    ...(rollout ? { rollout } : {}),
    ...(reservations ? { reservations } : {}),
    ...(placement ? { placement } : {}),
    ...(restart ? { restart } : {}),
    ...(endpointMode ? { endpointMode } : {}),
  };
  return service;
}

function convertImage(raw: Doc, at: string, ctx: Context): ImageSource | undefined {
  const build = raw.build;
  if (build === undefined) {
    if (typeof raw.image !== "string") {
      ctx.refused.add(at, "has neither image nor build: give the image to run, or a build context");
      return undefined;
    }
    return { kind: "pull", ref: raw.image };
  }
  const spec: Doc = typeof build === "string" ? { context: build } : isMap(build) ? build : {};
  for (const key of Object.keys(spec)) {
    if (!["context", "dockerfile", "args", "target"].includes(key)) {
      ctx.report.push({
        path: `${at}.build.${key}`,
        disposition: "ignored",
        note: "only context, dockerfile, args and target are passed to the build",
      });
    }
  }
  const context = path.resolve(ctx.fileDir, typeof spec.context === "string" ? spec.context : ".");
  const relative = path.relative(ctx.projectDir, context);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    ctx.refused.add(
      `${at}.build.context`,
      `${JSON.stringify(spec.context)} is outside the project (${relative}); images are built from a context inside it: move the sources under the project`,
    );
    return undefined;
  }
  const args = spec.args === undefined ? undefined : keyValues(spec.args, `${at}.build.args`, ctx);
  if (raw.image !== undefined) {
    ctx.report.push({
      path: `${at}.image`,
      disposition: "changed",
      note: "with build, the image is tagged <app>-<service>:<imageTag> instead",
    });
  }
  return {
    kind: "build",
    context: relative === "" ? "." : relative.split(path.sep).join("/"),
    ...(typeof spec.dockerfile === "string" ? { dockerfile: spec.dockerfile } : {}),
    ...(args !== undefined ? { args } : {}),
    ...(typeof spec.target === "string" ? { target: spec.target } : {}),
  };
}

/** A map, or a list of "KEY=value" (a bare "KEY" takes its value from nowhere: refused). */
function keyValues(raw: unknown, at: string, ctx: Context): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const text = String(item);
      const eq = text.indexOf("=");
      if (eq < 0) {
        ctx.refused.add(
          at,
          `entry ${JSON.stringify(text)} has no value; write ${text}=<value> (dockyard does not read the deploying shell's environment at run time)`,
        );
        continue;
      }
      out[text.slice(0, eq)] = text.slice(eq + 1);
    }
  } else if (isMap(raw)) {
    for (const [key, value] of Object.entries(raw)) {
      if (value === null || value === undefined) {
        ctx.refused.add(`${at}.${key}`, "has no value; give it one (dockyard does not read the deploying shell's environment at run time)");
        continue;
      }
      out[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  } else {
    ctx.refused.add(at, "must be a map or a list of KEY=value");
  }
  return out;
}

function convertEnvironment(raw: Doc, at: string, ctx: Context): Record<string, string> {
  const env: Record<string, string> = {};
  const files = raw.env_file === undefined ? [] : Array.isArray(raw.env_file) ? raw.env_file : [raw.env_file];
  for (const entry of files) {
    const file = typeof entry === "string" ? entry : isMap(entry) && typeof entry.path === "string" ? entry.path : undefined;
    if (file === undefined) {
      ctx.refused.add(`${at}.env_file`, "entries must be paths");
      continue;
    }
    Object.assign(env, readEnvFile(path.resolve(ctx.fileDir, file), `${at}.env_file`, ctx, isMap(entry) && entry.required === false));
  }
  if (raw.environment !== undefined) Object.assign(env, keyValues(raw.environment, `${at}.environment`, ctx));
  return env;
}

function readEnvFile(file: string, at: string, ctx: Context, optional: boolean): Record<string, string> {
  if (!fs.existsSync(file)) {
    if (!optional) ctx.refused.add(at, `names ${path.relative(ctx.projectDir, file)}, which does not exist`);
    return {};
  }
  return parseDotenv(fs.readFileSync(file));
}

/** Names that look like a password in plain environment outside dev are refused by the stack layer. */
function convertServiceSecrets(raw: unknown, env: Record<string, string>, at: string, ctx: Context): Record<string, string> {
  const secretEnv: Record<string, string> = {};
  if (raw === undefined) return secretEnv;
  const list = Array.isArray(raw) ? raw : [];
  if (!Array.isArray(raw)) ctx.refused.add(`${at}.secrets`, "must be a list");
  for (const entry of list) {
    const source = typeof entry === "string" ? entry : isMap(entry) && typeof entry.source === "string" ? entry.source : undefined;
    if (source === undefined) {
      ctx.refused.add(`${at}.secrets`, "entries must name a secret");
      continue;
    }
    if (isMap(entry) && (entry.target !== undefined || entry.mode !== undefined || entry.uid !== undefined)) {
      ctx.report.push({
        path: `${at}.secrets`,
        disposition: "ignored",
        note: `${source}: target, uid, gid and mode are not applied: the file is /run/secrets/${source}, mode 0444`,
      });
    }
    if (!(source in ctx.model.secrets)) {
      ctx.refused.add(
        `${at}.secrets`,
        `names ${JSON.stringify(source)}, which is not in the file's top-level secrets (${sortedKeys(ctx.model.secrets).join(", ") || "none"})`,
      );
      continue;
    }
    const target = `/run/secrets/${source}`;
    const variables = Object.keys(env).filter((variable) => variable.endsWith("_FILE") && env[variable] === target);
    if (variables.length === 0) {
      ctx.refused.add(
        `${at}.secrets`,
        `gives ${source}, but no environment variable names its file: add environment: <VAR>_FILE: ${target} (dockyard delivers a secret as the variable <VAR>_FILE naming the file, as the official postgres image reads it)`,
      );
    }
    for (const variable of variables) {
      secretEnv[variable.slice(0, -"_FILE".length)] = source;
      delete env[variable];
    }
  }
  return secretEnv;
}

function convertSecrets(raw: unknown, refused: Refusals, report: ReportLine[], setting: Setting): AppModel["secrets"] {
  const secrets: AppModel["secrets"] = {};
  if (raw === undefined) return secrets;
  if (!isMap(raw)) {
    refused.add("secrets", "must be a mapping of secret names");
    return secrets;
  }
  for (const [name, spec] of Object.entries(raw)) {
    const at = `secrets.${name}`;
    const definition = isMap(spec) ? spec : {};
    if (definition.external === true) {
      refused.add(at, `is external: its value must come from the stack: remove external and set ${setting(`secrets.${name}`)}`);
      continue;
    }
    const x = isMap(definition["x-dockyard"]) ? definition["x-dockyard"] : {};
    for (const key of ["file", "environment"]) {
      if (definition[key] !== undefined) {
        report.push({
          path: `${at}.${key}`,
          disposition: "changed",
          note: `not read: the value is the stack's secret ${setting(`secrets.${name}`)}`,
        });
      }
    }
    secrets[name] = {
      description: typeof x.description === "string" ? x.description : `secret ${name} of the compose file`,
      ...(typeof x.minLength === "number" ? { minLength: x.minLength } : {}),
    };
  }
  return secrets;
}

/** "8080:80", "127.0.0.1:8080:80/udp", "80", or the long form; plus expose. */
function convertPorts(raw: Doc, at: string, x: Doc, ctx: Context): ServicePort[] {
  const ports: ServicePort[] = [];
  const healthOnly = Array.isArray(x.healthOnlyPorts) ? x.healthOnlyPorts.map(Number) : [];
  const names = isMap(x.portNames) ? x.portNames : {};
  const add = (given: ServicePort, where: string) => {
    const named = names[String(given.containerPort)];
    const port = typeof named === "string" ? { ...given, name: named } : given;
    if (ports.some((other) => other.containerPort === port.containerPort && other.protocol === port.protocol)) {
      ctx.refused.add(where, `lists container port ${port.containerPort}/${port.protocol ?? "tcp"} twice`);
      return;
    }
    ports.push({ ...port, ...(healthOnly.includes(port.containerPort) ? { healthOnly: true } : {}) });
  };
  const list = raw.ports === undefined ? [] : Array.isArray(raw.ports) ? raw.ports : undefined;
  if (list === undefined) ctx.refused.add(`${at}.ports`, "must be a list");
  (list ?? []).forEach((entry, index) => {
    const where = `${at}.ports[${index}]`;
    const port = isMap(entry) ? longPort(entry, where, ctx) : shortPort(String(entry), where, ctx);
    if (port) add(port, where);
  });
  const expose = raw.expose === undefined ? [] : Array.isArray(raw.expose) ? raw.expose : [];
  expose.forEach((entry, index) => {
    const where = `${at}.expose[${index}]`;
    const match = /^(\d+)(?:\/(tcp|udp))?$/.exec(String(entry));
    if (!match) {
      ctx.refused.add(where, `${JSON.stringify(entry)} must be a port like "6379" or "53/udp" (ranges are not supported)`);
      return;
    }
    const protocol = (match[2] ?? "tcp") as "tcp" | "udp";
    if (!ports.some((port) => port.containerPort === Number(match[1]) && (port.protocol ?? "tcp") === protocol)) {
      add(portOf(Number(match[1]), protocol), where);
    }
  });
  return ports;
}

function portOf(containerPort: number, protocol: "tcp" | "udp", name?: string, publishedPort?: number): ServicePort {
  return {
    name: name ?? `${protocol}-${containerPort}`,
    containerPort,
    ...(protocol !== "tcp" ? { protocol } : {}),
    ...(publishedPort !== undefined ? { publishedPort } : {}),
  };
}

const SHORT_PORT = /^(?:(?:(\[[0-9a-f:]+\]|\d{1,3}(?:\.\d{1,3}){3}):)?(\d+)?:)?(\d+)(?:\/(tcp|udp))?$/i;

function shortPort(text: string, where: string, ctx: Context): ServicePort | undefined {
  const match = SHORT_PORT.exec(text.trim());
  if (!match) {
    ctx.refused.add(
      where,
      `${JSON.stringify(text)} is not a port dockyard can publish: write "HOST:CONTAINER", "IP:HOST:CONTAINER" or "CONTAINER", with /udp if needed (ranges are not supported)`,
    );
    return undefined;
  }
  const [, ip, published, target, protocol] = match;
  if (ip !== undefined) {
    ctx.report.push({
      path: where,
      disposition: "changed",
      note: `host IP ${ip} is not used: published ports bind to ${ctx.setting("bindAddress")}`,
    });
  }
  if (published === undefined) {
    ctx.report.push({
      path: where,
      disposition: "changed",
      note: `no host port: compose would pick a random one; here ${target} is reachable on the app's networks only`,
    });
  }
  return portOf(
    Number(target),
    (protocol?.toLowerCase() ?? "tcp") as "tcp" | "udp",
    undefined,
    published === undefined ? undefined : Number(published),
  );
}

function longPort(entry: Doc, where: string, ctx: Context): ServicePort | undefined {
  const target = Number(entry.target);
  if (!Number.isInteger(target)) {
    ctx.refused.add(`${where}.target`, `must be a port number, got ${JSON.stringify(entry.target)}`);
    return undefined;
  }
  const protocol = entry.protocol === undefined ? "tcp" : String(entry.protocol);
  if (protocol !== "tcp" && protocol !== "udp") {
    ctx.refused.add(`${where}.protocol`, `must be tcp or udp, got ${JSON.stringify(entry.protocol)}`);
    return undefined;
  }
  if (entry.host_ip !== undefined) {
    ctx.report.push({
      path: `${where}.host_ip`,
      disposition: "changed",
      note: `not used: published ports bind to ${ctx.setting("bindAddress")}`,
    });
  }
  if (entry.mode !== undefined && entry.mode !== "ingress") {
    ctx.report.push({ path: `${where}.mode`, disposition: "ignored", note: "swarm port modes do not apply" });
  }
  const published = entry.published === undefined ? undefined : Number(entry.published);
  if (published !== undefined && !Number.isInteger(published)) {
    ctx.refused.add(`${where}.published`, `must be one port number (ranges are not supported), got ${JSON.stringify(entry.published)}`);
    return undefined;
  }
  return portOf(target, protocol, typeof entry.name === "string" ? entry.name : undefined, published);
}

function serviceNetworks(raw: unknown, service: string, at: string, ctx: Context): string[] {
  let names: string[];
  if (raw === undefined) names = ["default"];
  else if (Array.isArray(raw)) names = raw.map(String);
  else if (isMap(raw)) {
    names = Object.keys(raw);
    for (const [network, spec] of Object.entries(raw)) {
      if (!isMap(spec)) continue;
      for (const key of Object.keys(spec)) {
        const note =
          key === "aliases"
            ? `aliases are not set: the service is reached as "${service}"`
            : `${key} is not applied: addresses come from the network's subnet`;
        ctx.report.push({ path: `${at}.networks.${network}.${key}`, disposition: "ignored", note });
      }
    }
  } else {
    ctx.refused.add(`${at}.networks`, "must be a list or a mapping of network names");
    names = [];
  }
  names.forEach((name) => ctx.usedNetworks.add(name));
  return names;
}

function convertDependsOn(raw: Doc, at: string, ctx: Context): Record<string, DependencyCondition> {
  const out: Record<string, DependencyCondition> = {};
  const links = raw.links === undefined ? [] : Array.isArray(raw.links) ? raw.links.map(String) : [];
  for (const link of links) {
    const [target, alias] = link.split(":");
    if (alias !== undefined && alias !== target) {
      ctx.refused.add(
        `${at}.links`,
        `${JSON.stringify(link)} gives an alias; services are reached by their own name: use "${target}" and connect to ${target}`,
      );
      continue;
    }
    out[target] = "started";
    ctx.report.push({
      path: `${at}.links`,
      disposition: "changed",
      note: `${target}: a dependency (started) on a shared network, reached by name`,
    });
  }
  const depends = raw.depends_on;
  if (Array.isArray(depends)) depends.forEach((name) => (out[String(name)] = "started"));
  else if (isMap(depends)) {
    for (const [name, spec] of Object.entries(depends)) {
      const condition = isMap(spec) ? spec.condition : undefined;
      if (condition === undefined || condition === "service_started") out[name] = "started";
      else if (condition === "service_healthy") out[name] = "healthy";
      else {
        ctx.refused.add(
          `${at}.depends_on.${name}.condition`,
          `${JSON.stringify(condition)} cannot be honoured: services run continuously; use service_started or service_healthy`,
        );
      }
      if (isMap(spec) && spec.restart !== undefined)
        ctx.report.push({ path: `${at}.depends_on.${name}.restart`, disposition: "ignored", note: "dependents are not restarted" });
      if (isMap(spec) && spec.required === false)
        ctx.report.push({ path: `${at}.depends_on.${name}.required`, disposition: "changed", note: "treated as required" });
    }
  } else if (depends !== undefined) ctx.refused.add(`${at}.depends_on`, "must be a list or a mapping of service names");
  return out;
}

/** Compose durations: "1m30s", "10s", "500ms", "1h"; whole seconds here. */
function seconds(value: unknown, where: string, ctx: Context): number | undefined {
  const text = String(value).trim();
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  if (!match || text === "") {
    ctx.refused.add(where, `${JSON.stringify(value)} must be a duration like "30s", "1m30s" or "2h"`);
    return undefined;
  }
  const [, h, m, s, ms] = match.map((part) => Number(part ?? 0));
  const total = h * 3600 + m * 60 + s + ms / 1000;
  if (!Number.isInteger(total)) {
    ctx.refused.add(where, `${JSON.stringify(value)} is not a whole number of seconds, which both targets need`);
    return undefined;
  }
  return total;
}

function convertHealth(raw: unknown, x: Doc, at: string, ctx: Context): HealthCheck | undefined {
  if (raw === undefined) return undefined;
  if (!isMap(raw)) {
    ctx.refused.add(`${at}.healthcheck`, "must be a mapping");
    return undefined;
  }
  if (raw.disable === true) return undefined;
  const test = raw.test;
  let command: string[] | undefined;
  if (typeof test === "string") command = ["sh", "-c", test];
  else if (Array.isArray(test) && test[0] === "CMD") command = test.slice(1).map(String);
  else if (Array.isArray(test) && test[0] === "CMD-SHELL") command = ["sh", "-c", test.slice(1).join(" ")];
  else if (Array.isArray(test) && test[0] === "NONE") return undefined;
  if (command === undefined || command.length === 0) {
    ctx.refused.add(`${at}.healthcheck.test`, `${JSON.stringify(test)} must be ["CMD", ...], ["CMD-SHELL", "..."], a string, or ["NONE"]`);
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!["test", "interval", "timeout", "retries", "start_period", "disable"].includes(key)) {
      ctx.report.push({ path: `${at}.healthcheck.${key}`, disposition: "ignored", note: "not applied" });
    }
  }
  const timing = (key: string, fallback: number) =>
    raw[key] === undefined ? fallback : (seconds(raw[key], `${at}.healthcheck.${key}`, ctx) ?? fallback);
  const http = isMap(x.healthHttp) ? { path: String(x.healthHttp.path), port: Number(x.healthHttp.port) } : undefined;
  return {
    command,
    ...(http ? { http } : {}),
    intervalSeconds: timing("interval", COMPOSE_HEALTH_DEFAULTS.intervalSeconds),
    timeoutSeconds: timing("timeout", COMPOSE_HEALTH_DEFAULTS.timeoutSeconds),
    retries: raw.retries === undefined ? COMPOSE_HEALTH_DEFAULTS.retries : Number(raw.retries),
    startPeriodSeconds: timing("start_period", COMPOSE_HEALTH_DEFAULTS.startPeriodSeconds),
  };
}

type DeploySettings = Pick<ServiceModel, "limits" | "replicas" | "rollout" | "reservations" | "placement" | "restart" | "endpointMode">;

/** The keys of deploy.update_config and deploy.rollback_config, as the model's rollout fields. */
const STRATEGY_KEYS = {
  parallelism: "parallelism",
  delay: "delaySeconds",
  order: "order",
  monitor: "monitorSeconds",
  max_failure_ratio: "maxFailureRatio",
  failure_action: "failureAction",
} as const;

/**
 * deploy (replicas, resources, update_config, rollback_config, restart_policy, placement,
 * endpoint_mode, mode, labels), and the older cpus / mem_limit / scale.
 */
function convertDeploy(raw: Doc, at: string, ctx: Context): DeploySettings {
  const { refused, report } = ctx;
  const deploy = isMap(raw.deploy) ? raw.deploy : {};
  const here = `${at}.deploy`;
  const mapped = ["replicas", "resources", "update_config", "rollback_config", "restart_policy", "placement", "endpoint_mode", "mode"];
  for (const key of Object.keys(deploy)) {
    if (mapped.includes(key)) continue;
    dispose(
      key === "labels" ? ["ignored", "service labels are dockyard's own (dockyard.app, dockyard.stack, dockyard.service)"] : undefined,
      `${here}.${key}`,
      refused,
      report,
      "deploy key",
    );
  }
  const mode = deploy.mode;
  if (mode !== undefined && mode !== "replicated") {
    refused.add(
      `${here}.mode`,
      mode === "global"
        ? "global cannot be deployed: a global service runs one task on every node, which the app model has no word for; use mode: replicated with replicas set to the number of nodes and placement.max_replicas_per_node: 1"
        : `${JSON.stringify(mode)} cannot be deployed: services run replicated (jobs and global services have no counterpart); use mode: replicated`,
    );
  }
  const { limits, reservations } = convertResources(raw, deploy, here, ctx);
  const replicasText = deploy.replicas ?? raw.scale;
  const replicas = replicasText === undefined ? undefined : Number(replicasText);
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0)) {
    refused.add(`${here}.replicas`, `must be a whole number of 0 or more, got ${JSON.stringify(replicasText)}`);
  }
  const rollout = convertRollout(deploy, here, ctx);
  const placement = convertPlacement(deploy.placement, `${here}.placement`, ctx);
  const restart = convertRestart(deploy.restart_policy, `${here}.restart_policy`, ctx);
  const endpointMode = deploy.endpoint_mode;
  if (endpointMode !== undefined && endpointMode !== "vip" && endpointMode !== "dnsrr") {
    refused.add(`${here}.endpoint_mode`, `must be "vip" or "dnsrr", got ${JSON.stringify(endpointMode)}`);
  }
  return {
    limits,
    ...(replicas !== undefined ? { replicas } : {}),
    ...(rollout ? { rollout } : {}),
    ...(reservations ? { reservations } : {}),
    ...(placement ? { placement } : {}),
    ...(restart ? { restart } : {}),
    ...(endpointMode === "vip" || endpointMode === "dnsrr" ? { endpointMode } : {}),
  };
}

/** A whole number of 0 or more, or a refusal. */
function wholeNumber(value: unknown, where: string, ctx: Context): number | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  ctx.refused.add(where, `must be a whole number of 0 or more, got ${JSON.stringify(value)}`);
  return undefined;
}

/** One of the allowed words, or a refusal. */
function oneOf<T extends string>(value: unknown, allowed: readonly T[], where: string, ctx: Context): T | undefined {
  if (allowed.includes(value as T)) return value as T;
  ctx.refused.add(where, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  return undefined;
}

/** deploy.resources: limits (or cpus / mem_limit) and reservations. */
function convertResources(raw: Doc, deploy: Doc, here: string, ctx: Context): { limits: Limits; reservations?: Reservations } {
  const resources = isMap(deploy.resources) ? deploy.resources : {};
  for (const key of Object.keys(resources)) {
    if (key !== "limits" && key !== "reservations")
      dispose(undefined, `${here}.resources.${key}`, ctx.refused, ctx.report, "resources key");
  }
  const limitSpec = isMap(resources.limits) ? resources.limits : {};
  const cpusText = limitSpec.cpus ?? raw.cpus;
  const memoryText = limitSpec.memory ?? raw.mem_limit;
  if (limitSpec.pids !== undefined)
    ctx.report.push({ path: `${here}.resources.limits.pids`, disposition: "ignored", note: "the engine's default applies" });
  const cpus = cpusText === undefined ? DEFAULT_COMPOSE_LIMITS.cpus : Number(cpusText);
  if (cpusText !== undefined && !Number.isFinite(cpus))
    ctx.refused.add(`${here}.resources.limits.cpus`, `must be a number of CPUs like 0.5, got ${JSON.stringify(cpusText)}`);
  const memory = memoryText === undefined ? DEFAULT_COMPOSE_LIMITS.memory : byteSize(memoryText);
  if (cpusText === undefined || memoryText === undefined) {
    ctx.report.push({
      path: `${here}.resources.limits`,
      disposition: "changed",
      note: `${cpusText === undefined ? `cpus ${DEFAULT_COMPOSE_LIMITS.cpus}` : ""}${cpusText === undefined && memoryText === undefined ? ", " : ""}${memoryText === undefined ? `memory ${DEFAULT_COMPOSE_LIMITS.memory}` : ""} by default: every service is limited (set deploy.resources.limits, or ${ctx.setting("services.<name>.limits")})`,
    });
  }
  const limits = { cpus, memory };
  if (resources.reservations === undefined) return { limits };
  const at = `${here}.resources.reservations`;
  if (!isMap(resources.reservations)) {
    ctx.refused.add(at, "must be a mapping with cpus and memory");
    return { limits };
  }
  const spec = resources.reservations;
  const reservations: Reservations = {};
  for (const key of Object.keys(spec)) {
    if (key === "cpus" || key === "memory") continue;
    dispose(
      key === "devices" || key === "generic_resources" ? ["refused", "devices and generic resources are not passed through"] : undefined,
      `${at}.${key}`,
      ctx.refused,
      ctx.report,
      "reservations key",
    );
  }
  if (spec.cpus !== undefined) {
    const reserved = Number(spec.cpus);
    if (!Number.isFinite(reserved) || reserved <= 0) {
      ctx.refused.add(`${at}.cpus`, `must be a number of CPUs like 0.25, got ${JSON.stringify(spec.cpus)}`);
    } else if (Number.isFinite(cpus) && reserved > cpus) {
      ctx.refused.add(`${at}.cpus`, `${JSON.stringify(spec.cpus)} is more than the CPU limit (${cpus}): reserve at most the limit`);
    } else reservations.cpus = reserved;
  }
  if (spec.memory !== undefined) {
    const reserved = byteSize(spec.memory);
    try {
      const bytes = parseMemory(reserved, `${at}.memory`);
      let limitBytes: number | undefined;
      try {
        limitBytes = parseMemory(memory);
      } catch {
        limitBytes = undefined; // the limit's own refusal comes from resolving the model
      }
      if (limitBytes !== undefined && bytes > limitBytes) {
        ctx.refused.add(
          `${at}.memory`,
          `${JSON.stringify(spec.memory)} is more than the memory limit (${memory}): reserve at most the limit`,
        );
      } else reservations.memory = reserved;
    } catch (error) {
      ctx.refused.add(`${at}.memory`, (error as Error).message.replace(`${at}.memory `, ""));
    }
  }
  return { limits, ...(Object.keys(reservations).length > 0 ? { reservations } : {}) };
}

/** deploy.update_config and deploy.rollback_config as the model's rollout. */
function convertRollout(deploy: Doc, here: string, ctx: Context): Rollout | undefined {
  const strategy = (key: "update_config" | "rollback_config"): Record<string, unknown> | undefined => {
    const spec = deploy[key];
    if (spec === undefined) return undefined;
    const at = `${here}.${key}`;
    if (!isMap(spec)) {
      ctx.refused.add(at, "must be a mapping");
      return undefined;
    }
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(spec)) {
      const field = (STRATEGY_KEYS as Record<string, string>)[name];
      const where = `${at}.${name}`;
      if (field === undefined) dispose(undefined, where, ctx.refused, ctx.report, `${key} key`);
      else if (name === "delay" || name === "monitor") out[field] = seconds(value, where, ctx);
      else if (name === "parallelism") out[field] = wholeNumber(value, where, ctx);
      else if (name === "order") out[field] = oneOf(value, ["start-first", "stop-first"], where, ctx);
      else if (name === "failure_action") {
        const actions = key === "update_config" ? (["rollback", "pause", "continue"] as const) : (["pause", "continue"] as const);
        out[field] = oneOf(value, actions, where, ctx);
      } else if (typeof value === "number" && value >= 0 && value <= 1) out[field] = value;
      else ctx.refused.add(where, `must be a share from 0 to 1 (0.2 for one in five), got ${JSON.stringify(value)}`);
    }
    return Object.fromEntries(Object.entries(out).filter(([, value]) => value !== undefined));
  };
  const update = strategy("update_config");
  const rollback = strategy("rollback_config");
  if (update === undefined && rollback === undefined) return undefined;
  if (update !== undefined && (update.failureAction === undefined || update.order === undefined)) {
    const missing = [...(update.order === undefined ? ["order"] : []), ...(update.failureAction === undefined ? ["failure_action"] : [])];
    const defaults = [
      ...(update.order === undefined
        ? ["order start-first where two tasks can run at once, else stop-first (swarm's default: stop-first)"]
        : []),
      ...(update.failureAction === undefined ? ["failure_action rollback (swarm's default: pause)"] : []),
    ];
    ctx.report.push({
      path: `${here}.update_config`,
      disposition: "changed",
      note: `${missing.join(" and ")} not given, dockyard's default applies: ${defaults.join("; ")}`,
    });
  }
  if (rollback === undefined) {
    ctx.report.push({
      path: `${here}.rollback_config`,
      disposition: "changed",
      note: "not given: a rollback replaces tasks as update_config does, then pauses if it fails (swarm's default: one at a time, stop-first)",
    });
  }
  return { ...(update as Rollout | undefined), ...(rollback !== undefined ? { rollback: rollback as Rollout["rollback"] } : {}) };
}

/** deploy.placement: constraints and max_replicas_per_node; preferences are ignored. */
function convertPlacement(raw: unknown, at: string, ctx: Context): Placement | undefined {
  if (raw === undefined) return undefined;
  if (!isMap(raw)) {
    ctx.refused.add(at, "must be a mapping with constraints");
    return undefined;
  }
  const placement: Placement = {};
  for (const key of Object.keys(raw)) {
    if (key === "constraints" || key === "max_replicas_per_node") continue;
    dispose(
      key === "preferences"
        ? ["ignored", "spread preferences are not applied; the scheduler spreads tasks over the nodes by itself"]
        : undefined,
      `${at}.${key}`,
      ctx.refused,
      ctx.report,
      "placement key",
    );
  }
  if (raw.constraints !== undefined) {
    if (!Array.isArray(raw.constraints)) ctx.refused.add(`${at}.constraints`, `must be a list like ["node.role == manager"]`);
    else {
      placement.constraints = [];
      raw.constraints.forEach((constraint, index) => {
        if (typeof constraint === "string" && CONSTRAINT.test(constraint.trim()))
          (placement.constraints as string[]).push(constraint.trim());
        else ctx.refused.add(`${at}.constraints[${index}]`, `must be ${CONSTRAINT_RULE}, got ${JSON.stringify(constraint)}`);
      });
    }
  }
  if (raw.max_replicas_per_node !== undefined) {
    const perNode = wholeNumber(raw.max_replicas_per_node, `${at}.max_replicas_per_node`, ctx);
    if (perNode !== undefined) placement.maxReplicasPerNode = perNode;
  }
  return placement;
}

/** deploy.restart_policy: condition, delay, max_attempts, window. */
function convertRestart(raw: unknown, at: string, ctx: Context): RestartPolicy | undefined {
  if (raw === undefined) return undefined;
  if (!isMap(raw)) {
    ctx.refused.add(at, "must be a mapping with condition");
    return undefined;
  }
  const restart: RestartPolicy = {};
  for (const [key, value] of Object.entries(raw)) {
    const where = `${at}.${key}`;
    if (key === "condition") restart.condition = oneOf(value, ["none", "on-failure", "any"], where, ctx);
    else if (key === "delay") restart.delaySeconds = seconds(value, where, ctx);
    else if (key === "window") restart.windowSeconds = seconds(value, where, ctx);
    else if (key === "max_attempts") restart.maxAttempts = wholeNumber(value, where, ctx);
    else dispose(undefined, where, ctx.refused, ctx.report, "restart_policy key");
  }
  return Object.fromEntries(Object.entries(restart).filter(([, value]) => value !== undefined)) as RestartPolicy;
}

/** Compose byte values ("128m", "1gb", "512M", 268435456) in the model's grammar. */
function byteSize(value: unknown): string {
  if (typeof value === "number") return String(value);
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg])b?$/i.exec(String(value).trim());
  return match && String(value).toLowerCase().endsWith("b") && match[2].toLowerCase() !== "b"
    ? `${match[1]}${match[2].toLowerCase()}`
    : String(value);
}

function words(value: unknown, where: string, refused: Refusals): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string") {
    const parsed = shellWords(value);
    if (parsed.some((part) => typeof part !== "string")) {
      refused.add(where, `${JSON.stringify(value)} uses shell operators; write it as a list, or as ["sh", "-c", "..."]`);
      return [];
    }
    return parsed as string[];
  }
  refused.add(where, "must be a string or a list of strings");
  return [];
}

function convertMounts(raw: unknown, at: string, ctx: Context): VolumeMount[] {
  if (!Array.isArray(raw)) {
    ctx.refused.add(`${at}.volumes`, "must be a list");
    return [];
  }
  const mounts: VolumeMount[] = [];
  raw.forEach((entry, index) => {
    const where = `${at}.volumes[${index}]`;
    let source: string | undefined;
    let target: string | undefined;
    let readOnly = false;
    let type: string | undefined;
    if (typeof entry === "string") {
      const parts = entry.split(":");
      if (parts.length === 1) [target] = parts;
      else [source, target] = parts;
      const mode = parts[2];
      readOnly = mode !== undefined && mode.split(",").includes("ro");
    } else if (isMap(entry)) {
      type = typeof entry.type === "string" ? entry.type : undefined;
      source = typeof entry.source === "string" ? entry.source : undefined;
      target = typeof entry.target === "string" ? entry.target : undefined;
      readOnly = entry.read_only === true;
      if (type === "tmpfs") {
        ctx.report.push({ path: where, disposition: "ignored", note: "no tmpfs is mounted; the path is in the container's filesystem" });
        return;
      }
    }
    if (target === undefined) {
      ctx.refused.add(where, `${JSON.stringify(entry)} needs a target path`);
      return;
    }
    if (source === undefined) {
      ctx.refused.add(
        where,
        `${JSON.stringify(entry)} is an anonymous volume: name it (name:${target}) and declare it under volumes:, so its data survives a replacement`,
      );
      return;
    }
    const bind = type === "bind" || source.startsWith("/") || source.startsWith(".") || source.startsWith("~");
    if (bind) {
      if (source.startsWith("~")) {
        ctx.refused.add(where, `${JSON.stringify(source)}: ~ is not expanded; write an absolute path or one relative to the compose file`);
        return;
      }
      const hostPath = path.resolve(ctx.fileDir, source);
      if (!source.startsWith("/")) {
        ctx.report.push({
          path: where,
          disposition: "changed",
          note: `bind mount ${source} is ${hostPath} on the machine running pulumi (and must exist there on the Docker host)`,
        });
      }
      mounts.push({ hostPath, mountPath: target, ...(readOnly ? { readOnly } : {}) });
      return;
    }
    if (ctx.refusedVolumes.has(source)) return; // its definition is refused already
    if (!(source in ctx.model.volumes)) {
      ctx.refused.add(
        where,
        `names volume ${JSON.stringify(source)}, which is not declared under the top-level volumes: (${sortedKeys(ctx.model.volumes).join(", ") || "none"}); declare it`,
      );
      return;
    }
    mounts.push({ volume: source, mountPath: target, ...(readOnly ? { readOnly } : {}) });
  });
  return mounts;
}

function convertVolumes(raw: unknown, refused: Refusals, report: ReportLine[], refusedVolumes: Set<string>): AppModel["volumes"] {
  const volumes: AppModel["volumes"] = {};
  if (raw === undefined) return volumes;
  if (!isMap(raw)) {
    refused.add("volumes", "must be a mapping of volume names");
    return volumes;
  }
  for (const [name, spec] of Object.entries(raw)) {
    const at = `volumes.${name}`;
    const definition = isMap(spec) ? spec : {};
    if (definition.external === true || (isMap(definition.external) && definition.external !== null)) {
      refused.add(
        at,
        "is external: dockyard creates and owns the app's volumes; remove external (x-dockyard: { retain: true } keeps the data on destroy)",
      );
      refusedVolumes.add(name);
      continue;
    }
    for (const key of Object.keys(definition)) {
      if (key === "x-dockyard") continue;
      const note = key === "name" ? "not used: volumes are named <app>-<stack>-<volume>" : "the local driver with default options is used";
      report.push({ path: `${at}.${key}`, disposition: "ignored", note });
    }
    const x = isMap(definition["x-dockyard"]) ? definition["x-dockyard"] : {};
    volumes[name] = {
      ...(x.retain === true ? { retain: true } : {}),
      ...(typeof x.size === "string" ? { size: x.size } : {}),
    };
  }
  return volumes;
}

function convertNetworks(
  raw: unknown,
  used: Set<string>,
  pool: string,
  refused: Refusals,
  report: ReportLine[],
  setting: Setting,
): AppModel["networks"] {
  const declared = isMap(raw) ? raw : {};
  if (raw !== undefined && !isMap(raw)) refused.add("networks", "must be a mapping of network names");
  const networks: AppModel["networks"] = {};
  const withoutSubnet: string[] = [];
  const names = [...new Set([...Object.keys(declared), ...used])].sort();
  for (const name of names) {
    const at = `networks.${name}`;
    if (!(name in declared) && name !== "default") {
      refused.add(at, "is used by a service but not declared under the top-level networks:; declare it");
      continue;
    }
    const definition = isMap(declared[name]) ? (declared[name] as Doc) : {};
    if (definition.external === true || isMap(definition.external)) {
      refused.add(at, "is external: dockyard creates and owns the app's networks; remove external");
      continue;
    }
    if (!used.has(name)) {
      report.push({ path: at, disposition: "ignored", note: "no service joins it, so it is not created" });
      continue;
    }
    if (definition.driver !== undefined && definition.driver !== "bridge") {
      refused.add(
        `${at}.driver`,
        `${JSON.stringify(definition.driver)} is not supported: networks are bridge networks (on Kubernetes, NetworkPolicies)`,
      );
      continue;
    }
    for (const key of Object.keys(definition)) {
      if (!["driver", "ipam", "internal"].includes(key)) report.push({ path: `${at}.${key}`, disposition: "ignored", note: "not applied" });
    }
    const config =
      isMap(definition.ipam) && Array.isArray(definition.ipam.config) && isMap(definition.ipam.config[0]) ? definition.ipam.config[0] : {};
    const network: AppModel["networks"][string] = { subnet: "" };
    if (typeof config.subnet === "string") network.subnet = config.subnet;
    else withoutSubnet.push(name);
    if (typeof config.gateway === "string") network.gateway = config.gateway;
    if (typeof config.ip_range === "string") network.ipRange = config.ip_range;
    if (definition.internal === true) network.internal = true;
    networks[name] = network;
  }
  allocateSubnets(networks, withoutSubnet, pool, report, refused, setting);
  return networks;
}

/** Consecutive /24s of the pool that overlap no subnet the file gives, in network name order. */
function allocateSubnets(
  networks: AppModel["networks"],
  names: string[],
  pool: string,
  report: ReportLine[],
  refused: Refusals,
  setting: Setting,
): void {
  const range = parseCidr(pool) as Cidr;
  const taken = Object.values(networks)
    .map((network) => parseCidr(network.subnet))
    .filter((cidr): cidr is Cidr => cidr !== undefined);
  let next = range.first;
  for (const name of names) {
    let chosen: Cidr | undefined;
    while (chosen === undefined && next + 255n <= range.last) {
      const candidate = parseCidr(`${addressText(next)}/24`) as Cidr;
      next += 256n;
      if (!taken.some((other) => overlaps(candidate, other))) chosen = candidate;
    }
    if (chosen === undefined) {
      refused.add(`networks.${name}`, `has no subnet and the pool ${pool} has no free /24 left; give it ipam.config[0].subnet`);
      continue;
    }
    taken.push(chosen);
    networks[name].subnet = chosen.text;
    report.push({
      path: `networks.${name}`,
      disposition: "changed",
      note: `no subnet in the file: ${chosen.text}, from the pool ${pool} (${setting(`networks.${name}.subnet`)} overrides it)`,
    });
  }
}

function addressText(address: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((address >> shift) & 255n)).join(".");
}
