/** depends_on and links: the model's dependencies, each started or healthy. */
import { shown } from "../../errors";
import { DependencyCondition } from "../../model";
import { Context, Doc, isMap } from "../context";

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
    out[target] = "started";
    ctx.origins.record(`${at}.dependsOn.${target}`, `${at}.links`);
    ctx.report.push({
      path: `${at}.links`,
      disposition: "changed",
      note: `${target}: a dependency (started) on a shared network, reached by name`,
    });
  }
  const depends = raw.depends_on;
  if (Array.isArray(depends)) {
    depends.forEach((name) => {
      out[String(name)] = "started";
      ctx.origins.record(`${at}.dependsOn.${String(name)}`, `${at}.depends_on`);
    });
  } else if (isMap(depends)) {
    for (const [name, spec] of Object.entries(depends)) {
      const where = `${at}.depends_on.${name}`;
      ctx.origins.record(`${at}.dependsOn.${name}`, where);
      const condition = isMap(spec) ? spec.condition : undefined;
      if (condition === undefined || condition === "service_started") out[name] = "started";
      else if (condition === "service_healthy") out[name] = "healthy";
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
