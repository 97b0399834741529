/** The top-level volumes: created and owned by dockyard, with x-dockyard's size and retain. */
import { AppModel } from "../../model";
import { shown } from "../../errors";
import { Context, isMap } from "../context";
import { declaredExternal, walkKeys } from "../table";

export function convertVolumes(raw: unknown, ctx: Context): AppModel["volumes"] {
  const volumes: AppModel["volumes"] = {};
  if (raw === undefined) return volumes;
  if (!isMap(raw)) {
    ctx.refused.add("volumes", "must be a mapping of volume names");
    return volumes;
  }
  walkKeys(raw, { pattern: "volumes", at: "volumes" }, ctx);
  for (const [name, spec] of Object.entries(raw)) {
    const at = `volumes.${name}`;
    const definition = isMap(spec) ? spec : {};
    // Refused by the key table (stacks/compose/table.ts), in every form; mounts of it are not refused again.
    if (declaredExternal(definition)) {
      ctx.refusedVolumes.add(name);
      continue;
    }
    if (definition.driver !== undefined && definition.driver !== "local") {
      ctx.refused.add(
        `${at}.driver`,
        `${shown(definition.driver)} cannot be deployed: volumes are created with the engine's local driver (a PersistentVolumeClaim on Kubernetes), so the data would not be where the driver puts it; remove driver, or mount that storage on the host and bind-mount it`,
      );
    }
    const x = isMap(definition["x-dockyard"]) ? definition["x-dockyard"] : {};
    ctx.origins.record(`${at}.size`, `${at}.x-dockyard.size`);
    volumes[name] = {
      ...(x.retain === true ? { retain: true } : {}),
      ...(typeof x.size === "string" ? { size: x.size } : {}),
    };
  }
  return volumes;
}
