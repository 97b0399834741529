/**
 * deploy (replicas, resources, update_config, rollback_config, restart_policy, placement,
 * endpoint_mode, mode, labels), and the older cpus / mem_limit / scale. Values pass to the model as
 * written, durations in seconds: resolveApp checks them (whole numbers, the allowed words, a
 * reservation within its limit) and names the compose key in its message.
 */
import { Limits, Placement, Reservations, RestartPolicy, Rollout, ServiceModel } from "../../model";
import { parseMemory } from "../../../components/units";
import { shown } from "../../errors";
import { SecondsField } from "../../resolve";
import { Context, Doc, isMap } from "../context";
import { byteSize, seconds } from "../parse";

/** Limits a service gets when the file gives none: every dockyard service is limited. */
export const DEFAULT_COMPOSE_LIMITS: Limits = { cpus: 1, memory: "512m" };

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

/** The keys of deploy.restart_policy, as the model's restart fields. */
const RESTART_KEYS = { condition: "condition", delay: "delaySeconds", max_attempts: "maxAttempts", window: "windowSeconds" } as const;

/** A number as the model holds it, or the value as written for resolveApp to refuse. */
const numeric = (value: unknown): number =>
  typeof value === "string" && Number.isFinite(Number(value)) ? Number(value) : (value as number);

export function convertDeploy(raw: Doc, at: string, ctx: Context): DeploySettings {
  const deploy = isMap(raw.deploy) ? raw.deploy : {};
  const here = `${at}.deploy`;
  const mode = deploy.mode;
  if (mode !== undefined && mode !== "replicated") {
    ctx.refused.add(
      `${here}.mode`,
      mode === "global"
        ? "global cannot be deployed: a global service runs one task on every node, which the app model has no word for; use mode: replicated with replicas set to the number of nodes and placement.max_replicas_per_node: 1"
        : `${shown(mode)} cannot be deployed: services run replicated (jobs and global services have no counterpart); use mode: replicated`,
    );
  }
  const { limits, reservations } = convertResources(raw, deploy, here, ctx);
  distinct(raw.scale, `${at}.scale`, deploy.replicas, `${here}.replicas`, (a, b) => Number(a) === Number(b), ctx);
  const replicas = deploy.replicas ?? raw.scale;
  ctx.origins.record(`${at}.replicas`, deploy.replicas === undefined && raw.scale !== undefined ? `${at}.scale` : `${here}.replicas`);
  const rollout = convertRollout(deploy, here, ctx);
  const placement = convertPlacement(deploy.placement, `${here}.placement`, ctx);
  const restart =
    deploy.restart_policy !== undefined
      ? convertRestart(deploy.restart_policy, `${here}.restart_policy`, ctx)
      : convertRestartKey(raw.restart, `${at}.restart`, ctx);
  if (deploy.restart_policy !== undefined && raw.restart !== undefined) {
    ctx.report.push({
      path: `${at}.restart`,
      disposition: "ignored",
      note: "deploy.restart_policy is used instead, as docker compose does",
    });
  }
  ctx.origins.record(`${at}.endpointMode`, `${here}.endpoint_mode`);
  return {
    limits,
    ...(replicas !== undefined ? { replicas: numeric(replicas) } : {}),
    ...(rollout ? { rollout } : {}),
    ...(reservations ? { reservations } : {}),
    ...(placement ? { placement } : {}),
    ...(restart ? { restart } : {}),
    ...(deploy.endpoint_mode !== undefined ? { endpointMode: deploy.endpoint_mode as ServiceModel["endpointMode"] } : {}),
  };
}

/**
 * An older key and the deploy key that replaced it (mem_limit and deploy.resources.limits.memory),
 * both given: refused unless they say the same, as docker compose refuses them, so neither wins
 * silently.
 */
function distinct(
  older: unknown,
  olderAt: string,
  newer: unknown,
  newerAt: string,
  same: (a: unknown, b: unknown) => boolean,
  ctx: Context,
): void {
  if (older === undefined || newer === undefined || same(older, newer)) return;
  const key = (at: string) => at.replace(/^services\.[^.]+\./, "");
  ctx.refused.add(
    olderAt,
    `${shown(older)} and ${newerAt} ${shown(newer)} disagree: can't set distinct values on '${key(olderAt)}' and '${key(newerAt)}' (docker compose refuses them too); remove one of them, or give both the same value`,
  );
}

const sameCpus = (a: unknown, b: unknown): boolean => {
  const [x, y] = [Number(a), Number(b)];
  return Number.isFinite(x) && Number.isFinite(y) ? x === y : String(a) === String(b);
};

/** The same size, whatever the units it is written in ("1g", "1024m", 1073741824). */
const sameMemory = (a: unknown, b: unknown): boolean => {
  const bytes = (value: unknown): number | string => {
    try {
      return parseMemory(byteSize(value));
    } catch {
      return String(value);
    }
  };
  return bytes(a) === bytes(b);
};

/** deploy.resources: limits (or cpus / mem_limit) and reservations. */
function convertResources(raw: Doc, deploy: Doc, here: string, ctx: Context): { limits: Limits; reservations?: Reservations } {
  const resources = isMap(deploy.resources) ? deploy.resources : {};
  const at = `${here}.resources`;
  const service = here.slice(0, -".deploy".length);
  const limitSpec = isMap(resources.limits) ? resources.limits : {};
  distinct(raw.cpus, `${service}.cpus`, limitSpec.cpus, `${at}.limits.cpus`, sameCpus, ctx);
  distinct(raw.mem_limit, `${service}.mem_limit`, limitSpec.memory, `${at}.limits.memory`, sameMemory, ctx);
  const cpusText = limitSpec.cpus ?? raw.cpus;
  const memoryText = limitSpec.memory ?? raw.mem_limit;
  ctx.origins.record(
    `${service}.limits.cpus`,
    limitSpec.cpus === undefined && raw.cpus !== undefined ? `${service}.cpus` : `${at}.limits.cpus`,
  );
  ctx.origins.record(
    `${service}.limits.memory`,
    limitSpec.memory === undefined && raw.mem_limit !== undefined ? `${service}.mem_limit` : `${at}.limits.memory`,
  );
  if (cpusText === undefined || memoryText === undefined) {
    ctx.report.push({
      path: `${at}.limits`,
      disposition: "changed",
      note: `${cpusText === undefined ? `cpus ${DEFAULT_COMPOSE_LIMITS.cpus}` : ""}${cpusText === undefined && memoryText === undefined ? ", " : ""}${memoryText === undefined ? `memory ${DEFAULT_COMPOSE_LIMITS.memory}` : ""} by default: every service is limited (set deploy.resources.limits, or ${ctx.setting("services.<name>.limits")})`,
    });
  }
  const limits = {
    cpus: cpusText === undefined ? DEFAULT_COMPOSE_LIMITS.cpus : numeric(cpusText),
    memory: memoryText === undefined ? DEFAULT_COMPOSE_LIMITS.memory : byteSize(memoryText),
  };
  if (resources.reservations === undefined) return { limits };
  if (!isMap(resources.reservations)) {
    ctx.refused.add(`${at}.reservations`, "must be a mapping with cpus and memory");
    return { limits };
  }
  const spec = resources.reservations;
  ctx.origins.record(`${service}.reservations`, `${at}.reservations`);
  const reservations: Reservations = {
    ...(spec.cpus !== undefined ? { cpus: numeric(spec.cpus) } : {}),
    ...(spec.memory !== undefined ? { memory: byteSize(spec.memory) } : {}),
  };
  return { limits, reservations };
}

/** One strategy (update_config or rollback_config) as the model's rollout fields. */
function convertStrategy(
  deploy: Doc,
  key: "update_config" | "rollback_config",
  here: string,
  ctx: Context,
): Record<string, unknown> | undefined {
  const spec = deploy[key];
  if (spec === undefined) return undefined;
  const at = `${here}.${key}`;
  if (!isMap(spec)) {
    ctx.refused.add(at, "must be a mapping");
    return undefined;
  }
  const service = here.slice(0, -".deploy".length);
  const modelPath = key === "update_config" ? `${service}.rollout` : `${service}.rollout.rollback`;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(STRATEGY_KEYS)) {
    ctx.origins.record(`${modelPath}.${field}`, `${at}.${name}`);
    const value = spec[name];
    if (value === undefined) continue;
    const given =
      name === "delay" || name === "monitor" ? seconds(value, `${at}.${name}`, ctx.refused, `rollout.${field}` as SecondsField) : value;
    if (given !== undefined) out[field] = given;
  }
  return out;
}

/** deploy.update_config and deploy.rollback_config as the model's rollout. */
function convertRollout(deploy: Doc, here: string, ctx: Context): Rollout | undefined {
  const update = convertStrategy(deploy, "update_config", here, ctx);
  const rollback = convertStrategy(deploy, "rollback_config", here, ctx);
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
  const service = at.slice(0, -".deploy.placement".length);
  ctx.origins.record(`${service}.placement.constraints`, `${at}.constraints`);
  ctx.origins.record(`${service}.placement.maxReplicasPerNode`, `${at}.max_replicas_per_node`);
  const placement: Placement = {};
  if (raw.constraints !== undefined) {
    if (!Array.isArray(raw.constraints)) ctx.refused.add(`${at}.constraints`, `must be a list like ["node.role == manager"]`);
    else
      placement.constraints = raw.constraints.map((constraint) =>
        typeof constraint === "string" ? constraint.trim() : constraint,
      ) as string[];
  }
  if (raw.max_replicas_per_node !== undefined) placement.maxReplicasPerNode = raw.max_replicas_per_node as number;
  return placement;
}

/**
 * The service's `restart:` (docker compose's policy) as the model's restart condition, when
 * deploy.restart_policy does not give one: no, always, unless-stopped, on-failure[:attempts].
 */
function convertRestartKey(raw: unknown, at: string, ctx: Context): RestartPolicy | undefined {
  if (raw === undefined) return undefined;
  const service = at.slice(0, -".restart".length);
  ctx.origins.record(`${service}.restart`, at);
  if (raw === "no" || raw === false) return { condition: "none" };
  if (raw === "always" || raw === "unless-stopped") {
    if (raw === "always") {
      ctx.report.push({
        path: at,
        disposition: "changed",
        note: "always is restarted as unless-stopped on Docker: a container stopped by hand stays stopped when the engine restarts",
      });
    }
    return { condition: "any" };
  }
  const onFailure = typeof raw === "string" ? /^on-failure(?::(\d+))?$/.exec(raw) : null;
  if (onFailure) return { condition: "on-failure", ...(onFailure[1] !== undefined ? { maxAttempts: Number(onFailure[1]) } : {}) };
  ctx.refused.add(at, `${shown(raw)} must be "no", "always", "unless-stopped", "on-failure" or "on-failure:<attempts>"`);
  return undefined;
}

/** deploy.restart_policy: condition, delay, max_attempts, window. */
function convertRestart(raw: unknown, at: string, ctx: Context): RestartPolicy | undefined {
  if (raw === undefined) return undefined;
  if (!isMap(raw)) {
    ctx.refused.add(at, "must be a mapping with condition");
    return undefined;
  }
  const service = at.slice(0, -".deploy.restart_policy".length);
  const restart: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(RESTART_KEYS)) {
    ctx.origins.record(`${service}.restart.${field}`, `${at}.${key}`);
    const value = raw[key];
    if (value === undefined) continue;
    const given =
      key === "delay" || key === "window" ? seconds(value, `${at}.${key}`, ctx.refused, `restart.${field}` as SecondsField) : value;
    if (given !== undefined) restart[field] = given;
  }
  return restart as RestartPolicy;
}
