/** healthcheck (with x-dockyard.healthHttp): the model's health check, compose's defaults filled in. */
import { shown } from "../../errors";
import { HealthCheck } from "../../model";
import { Context, Doc, isMap } from "../context";
import { seconds } from "../parse";

/** Compose's own health-check defaults (interval 30s, timeout 30s, 3 retries, start period 0s). */
export const COMPOSE_HEALTH_DEFAULTS = { intervalSeconds: 30, timeoutSeconds: 30, retries: 3, startPeriodSeconds: 0 } as const;

/** The model's health fields and the healthcheck keys they come from. */
const TIMINGS = { intervalSeconds: "interval", timeoutSeconds: "timeout", startPeriodSeconds: "start_period" } as const;

const EXAMPLE = '["CMD", "curl", "-f", "http://localhost"]';

/** The command of a healthcheck test; undefined for a test of another form. */
function healthCommand(test: unknown): string[] | undefined {
  if (typeof test === "string") return ["sh", "-c", test];
  if (!Array.isArray(test)) return undefined;
  if (test[0] === "CMD") return test.slice(1).map(String);
  if (test[0] === "CMD-SHELL") return ["sh", "-c", test.slice(1).join(" ")];
  return undefined;
}

export function convertHealth(raw: unknown, x: Doc, at: string, ctx: Context): HealthCheck | undefined {
  if (raw === undefined) return undefined;
  const here = `${at}.healthcheck`;
  if (!isMap(raw)) {
    ctx.refused.add(here, "must be a mapping");
    return undefined;
  }
  if (raw.disable === true) return undefined;
  const test = raw.test;
  if (Array.isArray(test) && test[0] === "NONE") return undefined;
  const command = healthCommand(test);
  if (command === undefined) {
    ctx.refused.add(
      `${here}.test`,
      test === undefined
        ? `is required: give the command the check runs, like ${EXAMPLE}, or disable: true`
        : `${shown(test)} must be ["CMD", ...], ["CMD-SHELL", "..."], a string, or ["NONE"]`,
    );
    return undefined;
  }
  if (command.length === 0 || (command[0] === "sh" && command[2].trim() === "")) {
    // `sh -c ""` exits 0: a check that passes whatever the service does.
    ctx.refused.add(
      `${here}.test`,
      `${shown(test)} runs no command, so the service would always count as healthy: give the command the check runs, like ${EXAMPLE}`,
    );
    return undefined;
  }
  ctx.origins.record(`${at}.health`, here);
  ctx.origins.record(`${at}.health.command`, `${here}.test`);
  ctx.origins.record(`${at}.health.http`, `${at}.x-dockyard.healthHttp`);
  const timing = (field: keyof typeof TIMINGS) => {
    const key = TIMINGS[field];
    ctx.origins.record(`${at}.health.${field}`, `${here}.${key}`);
    return raw[key] === undefined
      ? COMPOSE_HEALTH_DEFAULTS[field]
      : (seconds(raw[key], `${here}.${key}`, ctx.refused, `health.${field}`) ?? COMPOSE_HEALTH_DEFAULTS[field]);
  };
  const http = isMap(x.healthHttp) ? { path: String(x.healthHttp.path), port: Number(x.healthHttp.port) } : undefined;
  return {
    command,
    ...(http ? { http } : {}),
    intervalSeconds: timing("intervalSeconds"),
    timeoutSeconds: timing("timeoutSeconds"),
    retries: raw.retries === undefined ? COMPOSE_HEALTH_DEFAULTS.retries : Number(raw.retries),
    startPeriodSeconds: timing("startPeriodSeconds"),
  };
}
