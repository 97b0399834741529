/**
 * depends_on and links: the model's dependencies, each started or healthy; and the service names
 * themselves, as compose allows them (`my_api`, `Web`) mapped to names every target takes.
 */
import { sortedKeys } from "../../../components/sorted";
import { shown } from "../../errors";
import { DependencyCondition } from "../../model";
import { Context, Doc, isMap } from "../context";

/** A name every target takes: a DNS label (a Kubernetes Service's name) of up to 32, for the longer names derived from it. */
export const DNS_LABEL = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** A service name as the targets take it: lowercase, `_` and `.` as `-` (`my_api` is `my-api`). */
export const targetName = (name: string): string => name.toLowerCase().replace(/[_.]/g, "-");

/**
 * Each service's name on the targets, by its compose name. A name compose allows but no target
 * takes (`my_api`, `Web`) is mapped, and the report says so; a name still not a DNS label after
 * mapping, and two services mapped to one name, are refused naming both.
 */
export function serviceNames(names: string[], ctx: Pick<Context, "refused" | "report" | "setting">): Map<string, string> {
  const mapped = new Map<string, string>();
  const byTarget = new Map<string, string>();
  for (const name of sortedKeys(Object.fromEntries(names.map((key) => [key, true])))) {
    const at = `services.${name}`;
    const target = targetName(name);
    if (!DNS_LABEL.test(target)) {
      ctx.refused.add(
        at,
        `is not a valid service name here: ${name === target ? "" : `mapped to ${shown(target)}, it is still not `}lowercase letters, digits and dashes starting with a letter (a DNS label of up to 32)${target.length > 32 ? `, and it has ${target.length} characters` : ""}; rename it`,
      );
      continue;
    }
    const other = byTarget.get(target);
    if (other !== undefined) {
      ctx.refused.add(
        at,
        `and services.${other} are both named ${shown(target)} on the targets (service names there are lowercase, with - for _ and .); rename one of them`,
      );
      continue;
    }
    byTarget.set(target, name);
    mapped.set(name, target);
    if (target !== name) {
      ctx.report.push({
        path: at,
        disposition: "changed",
        note: `named "${target}" on every target (service names there are lowercase letters, digits and dashes): other services reach it as ${target}, and ${ctx.setting(`services.${target}`)} sets it`,
      });
    }
  }
  return mapped;
}

export function convertDependsOn(raw: Doc, at: string, ctx: Context): Record<string, DependencyCondition> {
  const out: Record<string, DependencyCondition> = {};
  const links = raw.links === undefined ? [] : Array.isArray(raw.links) ? raw.links.map(String) : [];
  for (const link of links) {
    const [target, alias] = link.split(":");
    if (alias !== undefined && alias !== target) {
      ctx.refused.add(
        `${at}.links`,
        `${shown(link)} gives an alias; services are reached by their own name: use "${target}" and connect to ${target}`,
      );
      continue;
    }
    const dependency = ctx.serviceNames.get(target) ?? target;
    out[dependency] = "started";
    ctx.origins.record(`${at}.dependsOn.${dependency}`, `${at}.links`);
    ctx.report.push({
      path: `${at}.links`,
      disposition: "changed",
      note: `${target}: a dependency (started) on a shared network, reached by name`,
    });
  }
  const depends = raw.depends_on;
  if (Array.isArray(depends)) {
    depends.forEach((name) => {
      const dependency = ctx.serviceNames.get(String(name)) ?? String(name);
      out[dependency] = "started";
      ctx.origins.record(`${at}.dependsOn.${dependency}`, `${at}.depends_on`);
    });
  } else if (isMap(depends)) {
    for (const [name, spec] of Object.entries(depends)) {
      const where = `${at}.depends_on.${name}`;
      const dependency = ctx.serviceNames.get(name) ?? name;
      ctx.origins.record(`${at}.dependsOn.${dependency}`, where);
      const condition = isMap(spec) ? spec.condition : undefined;
      if (condition === undefined || condition === "service_started") out[dependency] = "started";
      else if (condition === "service_healthy") out[dependency] = "healthy";
      else {
        ctx.refused.add(
          `${where}.condition`,
          `${shown(condition)} cannot be honoured: services run continuously; use service_started or service_healthy`,
        );
      }
      if (isMap(spec) && spec.required === false)
        ctx.report.push({ path: `${where}.required`, disposition: "changed", note: "treated as required" });
    }
  } else if (depends !== undefined) ctx.refused.add(`${at}.depends_on`, "must be a list or a mapping of service names");
  return out;
}
