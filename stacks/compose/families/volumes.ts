/** The top-level volumes: created and owned by dockyard, with x-dockyard's size and retain. */
import { AppModel } from "../../model";
import { Context, isMap } from "../context";
import { applyKeys } from "../table";

export function convertVolumes(raw: unknown, ctx: Context): AppModel["volumes"] {
  const volumes: AppModel["volumes"] = {};
  if (raw === undefined) return volumes;
  if (!isMap(raw)) {
    ctx.refused.add("volumes", "must be a mapping of volume names");
    return volumes;
  }
  for (const [name, spec] of Object.entries(raw)) {
    const at = `volumes.${name}`;
    const definition = isMap(spec) ? spec : {};
    if (definition.external === true || isMap(definition.external)) {
      ctx.refused.add(
        at,
        "is external: dockyard creates and owns the app's volumes; remove external (x-dockyard: { retain: true } keeps the data on destroy)",
      );
      ctx.refusedVolumes.add(name);
      continue;
    }
    applyKeys(definition, "volumes.*", at, ctx, ["external"]);
    const x = isMap(definition["x-dockyard"]) ? definition["x-dockyard"] : {};
    ctx.origins.record(`${at}.size`, `${at}.x-dockyard.size`);
    volumes[name] = {
      ...(x.retain === true ? { retain: true } : {}),
      ...(typeof x.size === "string" ? { size: x.size } : {}),
    };
  }
  return volumes;
}
