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
    applyKeys(definition, "volumes.*", at, ctx, ["external", "driver", "driver_opts"]);
    if (definition.driver !== undefined && definition.driver !== "local") {
      ctx.refused.add(
        `${at}.driver`,
        `${JSON.stringify(definition.driver)} cannot be deployed: volumes are created with the engine's local driver (a PersistentVolumeClaim on Kubernetes), so the data would not be where the driver puts it; remove driver, or mount that storage on the host and bind-mount it`,
      );
    }
    if (definition.driver_opts !== undefined && !(isMap(definition.driver_opts) && Object.keys(definition.driver_opts).length === 0)) {
      ctx.refused.add(
        `${at}.driver_opts`,
        `${JSON.stringify(definition.driver_opts)} cannot be deployed: volumes are created without driver options (an NFS export or a bind device would become an empty local volume); remove driver_opts, or mount that storage on the host and bind-mount it`,
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
