/**
 * A loaded compose document (stacks/compose/load.ts: interpolated, merged, profiles applied) as the
 * app model every target deploys, in compose-go's order: the shapes of the mapped keys first
 * (schema.ts), then each key's disposition from one table (table.ts KEYS: mapped, ignored with a
 * note, or refused), then the converters of each key family (families/). Refusals are collected and
 * raised together, before anything is registered, each naming the file, the key, the value and what
 * to do instead. The rules of the model itself (whole numbers, allowed words, a reservation within
 * its limit, dependencies) are resolveApp's: the conversion records where each model value came
 * from, so those messages name the compose file and key too.
 */
import * as path from "path";
import { z } from "zod";
import { sortedKeys } from "../../components/sorted";
import { shown, Where } from "../errors";
import { AppModel, ServiceModel } from "../model";
import { Context, Doc, HostIp, isMap, Refusals, ReportLine, Setting, stackSetting } from "./context";
import { convertImage } from "./families/build";
import { convertDependsOn, DNS_LABEL, serviceNames } from "./families/depends";
import { convertConfigs, serviceConfigFiles } from "./families/configs";
import { convertDeploy } from "./families/deploy";
import { convertEnvironment, convertServiceSecrets } from "./families/env";
import { convertHealth } from "./families/health";
import { convertMounts } from "./families/mounts";
import { convertNetworks, serviceNetworking } from "./families/networks";
import { convertPorts } from "./families/ports";
import { convertSecrets, serviceSecretFiles } from "./families/secrets";
import { convertSecurity } from "./families/security";
import { convertVolumes } from "./families/volumes";
import { LoadedCompose } from "./load";
import { Origins, Provenance } from "./origin";
import { seconds, words } from "./parse";
import { composeNetworkShape, composeSecretShape, composeServiceShape, composeVolumeShape, issuePath } from "./schema";
import { meant, walkKeys } from "./table";

export type { Disposition, ReportLine, Setting } from "./context";
export { KEYS } from "./table";
export type { KeyRule, Handler } from "./table";
export { DEFAULT_COMPOSE_LIMITS } from "./families/deploy";
export { COMPOSE_HEALTH_DEFAULTS } from "./families/health";

export interface ComposeConversion {
  model: AppModel;
  report: ReportLine[];
  /** Names a model path as the compose file wrote it ("compose.yaml: services.web.deploy.update_config.order"). */
  where: Where;
  /** Host IPs the file asked published ports bound to (not every interface), by compose path. */
  hostIps: HostIp[];
}

/** Where networks without an IPAM subnet get theirs: consecutive /24s, in network name order. */
export const DEFAULT_SUBNET_POOL = "10.124.0.0/16";

/**
 * Converts a loaded compose document. `file` is the compose file as the user named it (for
 * messages); `projectDir` the directory build contexts are relative to in the model (the Pulumi
 * project's), which a build context must not leave. The model is registered as a compose file's
 * (stacks/errors.ts setSource), so resolveApp names its compose keys.
 */
export function convertCompose(
  loaded: LoadedCompose,
  file: string,
  projectDir: string,
  subnetPool = DEFAULT_SUBNET_POOL,
  setting: Setting = stackSetting,
): ComposeConversion {
  const provenance = new Provenance(loaded.written);
  const refused = new Refusals(file, provenance);
  const report: ReportLine[] = loaded.warnings.map((note) => ({ path: "(file)", disposition: "changed", note }));
  if (loaded.inactive.length > 0) {
    report.push({ path: "profiles", disposition: "changed", note: `not deployed (profile not active): ${loaded.inactive.join(", ")}` });
  }
  const doc = loaded.document;
  const fileDir = path.dirname(path.resolve(projectDir, file));
  walkKeys(doc, { pattern: "", at: "", shallow: true }, { refused, report, setting });
  const name =
    typeof doc.name === "string"
      ? doc.name
      : path
          .basename(fileDir)
          .toLowerCase()
          .replace(/[^a-z0-9-]/g, "-");
  if (!DNS_LABEL.test(name))
    refused.add("name", `${shown(name)} must be lowercase letters, digits and dashes (a DNS label of up to 32); set name: in the file`);
  if (doc.name === undefined)
    report.push({ path: "name", disposition: "changed", note: `no name: the app is named after the file's folder, "${name}"` });

  const before = refused.messages.length;
  checkShapes(doc, refused);
  // A value of the wrong type makes the rest of its service unreadable: stop at the shapes.
  if (refused.messages.length > before) refused.throwIfAny();
  const services = isMap(doc.services) ? doc.services : {};
  if (Object.keys(services).length === 0) refused.add("services", "is empty: a compose file needs at least one service");
  const origins = new Origins(file, provenance);
  const ctx: Context = {
    model: { name, services: {}, networks: {}, volumes: {}, secrets: {} },
    fileDir,
    projectDir,
    refused,
    report,
    origins,
    usedNetworks: new Map<string, string[]>(),
    refusedVolumes: new Set<string>(),
    refusedSecrets: new Set<string>(),
    refusedConfigs: new Set<string>(),
    setting,
    serviceNames: serviceNames(Object.keys(services), { refused, report, setting }),
    hostIps: [],
    variables: loaded.variables,
  };
  ctx.model.secrets = convertSecrets(doc.secrets, ctx);
  const configs = convertConfigs(doc.configs, ctx);
  if (Object.keys(configs).length > 0) ctx.model.configs = configs;
  ctx.model.volumes = convertVolumes(doc.volumes, ctx);
  for (const service of sortedKeys(services)) {
    const target = ctx.serviceNames.get(service);
    const converted = convertService(service, services[service], ctx);
    if (converted && target !== undefined) ctx.model.services[target] = converted;
    if (target !== undefined && target !== service) {
      origins.rename(`services.${service}`, `services.${target}`);
      origins.record(`services.${target}`, `services.${service}`);
    }
  }
  ctx.model.networks = convertNetworks(doc.networks, subnetPool, ctx);
  refused.throwIfAny();
  return { model: ctx.model, report, where: origins.where, hostIps: ctx.hostIps };
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
      // YAML's .inf and .nan: no compose value is one, and a shape's message would show them as null.
      const infinite = nonFinite(value, `${section}.${name}`);
      infinite.forEach(([where, number]) => refused.add(where, `must be a finite number, got ${shown(number)}`));
      if (infinite.length > 0) continue;
      const parsed = shape.safeParse(value, { error: shapeMessage });
      if (parsed.success) continue;
      for (const issue of parsed.error.issues) {
        const given = issue.path.reduce<unknown>(
          (node, part) => (isMap(node) || Array.isArray(node) ? (node as Record<PropertyKey, unknown>)[part] : undefined),
          value,
        );
        const where = issuePath(`${section}.${name}`, issue.path);
        if (issue.code === "unrecognized_keys") {
          const allowed = keysAt(shape, issue.path);
          const guesses = issue.keys.map((key) => meant(key, allowed)).filter((guess) => guess !== undefined);
          refused.add(
            where,
            `has unknown ${issue.keys.length > 1 ? "keys" : "key"} ${issue.keys.map((key) => shown(key)).join(", ")}` +
              (guesses.length > 0 ? `; did you mean ${guesses.join(", ")}?` : "") +
              (allowed.length > 0 ? ` (allowed: ${allowed.join(", ")})` : ""),
          );
        } else {
          refused.add(where, given === undefined ? `is required: it ${issue.message}` : `${issue.message}, got ${shown(given)}`);
        }
      }
    }
  }
}

/** The keys a zod shape allows at a path of an issue (through optional, nullable, default, arrays and unions), sorted; [] when not an object there. */
function keysAt(schema: z.ZodType, at: PropertyKey[]): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  const inner = (key: string): z.ZodType => def[key] as z.ZodType;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "readonly":
      return keysAt(inner("innerType"), at);
    case "pipe":
      return keysAt(inner("in"), at);
    case "union":
      return [...new Set((def.options as z.ZodType[]).flatMap((option) => keysAt(option, at)))].sort();
    case "array":
      return at.length > 0 && typeof at[0] === "number" ? keysAt(inner("element"), at.slice(1)) : [];
    case "object": {
      const shape = def.shape as Record<string, z.ZodType>;
      if (at.length === 0) return Object.keys(shape).sort();
      const next = shape[String(at[0])];
      return next === undefined ? [] : keysAt(next, at.slice(1));
    }
    default:
      return [];
  }
}

/** Every number below a value that is not finite (.inf, -.inf, .nan), with its compose path. */
function nonFinite(value: unknown, at: string): Array<[string, number]> {
  if (typeof value === "number") return Number.isFinite(value) ? [] : [[at, value]];
  if (Array.isArray(value)) return value.flatMap((item, index) => nonFinite(item, `${at}[${index}]`));
  if (isMap(value)) return Object.entries(value).flatMap(([key, item]) => nonFinite(item, `${at}.${key}`));
  return [];
}

/** What a value of a shape must be, in compose's words, where the shape gives no message of its own. */
const EXPECTED: Record<string, string> = {
  object: "must be a mapping",
  array: "must be a list",
  string: "must be text",
  number: "must be a number",
  int: "must be a whole number",
  boolean: "must be true or false",
};

function shapeMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === "invalid_type") return EXPECTED[issue.expected] ?? `must be ${issue.expected}`;
  // null or a mapping: the top-level volumes, secrets and networks.
  if (issue.code === "invalid_union") return "must be a mapping, or empty";
  return undefined;
}

/** One service: its keys' dispositions, then each key family's converter. */
function convertService(name: string, raw: unknown, ctx: Context): ServiceModel | undefined {
  const { refused } = ctx;
  const at = `services.${name}`;
  if (!isMap(raw)) {
    refused.add(at, "must be a mapping of service keys");
    return undefined;
  }
  walkKeys(raw, { pattern: "services.*", at, name }, ctx);
  const x = isMap(raw["x-dockyard"]) ? raw["x-dockyard"] : {};
  const image = convertImage(raw, at, ctx);
  const env = convertEnvironment(raw, at, ctx);
  const secretEnv = convertServiceSecrets(raw.secrets, env, at, ctx);
  const secretFiles = serviceSecretFiles(raw.secrets, secretEnv, at, ctx);
  const configFiles = serviceConfigFiles(raw.configs, at, ctx);
  const ports = convertPorts(raw, at, x, ctx);
  const { networks, networkMode } = serviceNetworking(raw, at, ctx);
  const dependsOn = convertDependsOn(raw, at, ctx);
  const health = convertHealth(raw.healthcheck, x, at, ctx);
  const { limits, replicas, rollout, reservations, placement, restart, endpointMode } = convertDeploy(raw, at, ctx);
  ctx.origins.record(`${at}.autoscaling`, `${at}.x-dockyard.autoscaling`);
  ctx.origins.record(`${at}.singleWriter`, `${at}.x-dockyard.singleWriter`);
  ctx.origins.record(`${at}.stopGracePeriodSeconds`, `${at}.stop_grace_period`);
  const stopGrace =
    raw.stop_grace_period === undefined
      ? undefined
      : seconds(raw.stop_grace_period, `${at}.stop_grace_period`, refused, "stopGracePeriodSeconds");
  const security = convertSecurity(raw, at, ctx);
  return {
    image: image ?? { kind: "pull", ref: "invalid" },
    networks,
    ...(networkMode ? { networkMode } : {}),
    limits,
    ...(raw.command !== undefined ? { command: words(raw.command, `${at}.command`, refused) } : {}),
    ...(raw.entrypoint !== undefined ? { entrypoint: words(raw.entrypoint, `${at}.entrypoint`, refused) } : {}),
    ...(Object.keys(env).length > 0 ? { env } : {}),
    ...(Object.keys(secretEnv).length > 0 ? { secretEnv } : {}),
    ...(Object.keys(secretFiles).length > 0 ? { secretFiles } : {}),
    ...(Object.keys(configFiles).length > 0 ? { configFiles } : {}),
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
    ...(stopGrace !== undefined ? { stopGracePeriodSeconds: stopGrace } : {}),
    ...(security ? { security } : {}),
    ...(endpointMode ? { endpointMode } : {}),
  };
}
