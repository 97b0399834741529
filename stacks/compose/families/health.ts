/** healthcheck (with x-dockyard.healthHttp): the model's health check, compose's defaults filled in. */
import { HealthCheck } from "../../model";
import { Context, Doc, isMap } from "../context";
import { seconds } from "../parse";
import { applyKeys } from "../table";

/** Compose's own health-check defaults (interval 30s, timeout 30s, 3 retries, start period 0s). */
export const COMPOSE_HEALTH_DEFAULTS = { intervalSeconds: 30, timeoutSeconds: 30, retries: 3, startPeriodSeconds: 0 } as const;

/** The model's health fields and the healthcheck keys they come from. */
const TIMINGS = { intervalSeconds: "interval", timeoutSeconds: "timeout", startPeriodSeconds: "start_period" } as const;

export function convertHealth(raw: unknown, x: Doc, at: string, ctx: Context): HealthCheck | undefined {
  if (raw === undefined) return undefined;
  const here = `${at}.healthcheck`;
  if (!isMap(raw)) {
    ctx.refused.add(here, "must be a mapping");
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
    ctx.refused.add(`${here}.test`, `${JSON.stringify(test)} must be ["CMD", ...], ["CMD-SHELL", "..."], a string, or ["NONE"]`);
    return undefined;
  }
  applyKeys(raw, "services.*.healthcheck", here, ctx);
  ctx.origins.record(`${at}.health`, here);
  ctx.origins.record(`${at}.health.command`, `${here}.test`);
  ctx.origins.record(`${at}.health.http`, `${at}.x-dockyard.healthHttp`);
  const timing = (field: keyof typeof TIMINGS) => {
    const key = TIMINGS[field];
    ctx.origins.record(`${at}.health.${field}`, `${here}.${key}`);
    return raw[key] === undefined
      ? COMPOSE_HEALTH_DEFAULTS[field]
      : (seconds(raw[key], `${here}.${key}`, ctx.refused) ?? COMPOSE_HEALTH_DEFAULTS[field]);
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
