/** A service's volumes: named volumes declared at the top level, and bind mounts; tmpfs is ignored. */
import * as path from "path";
import { sortedKeys } from "../../../components/sorted";
import { VolumeMount } from "../../model";
import { Context, isMap } from "../context";

export function convertMounts(raw: unknown, at: string, ctx: Context): VolumeMount[] {
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
      if (!longFormKeysKept(entry, where, ctx)) return;
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
    ctx.origins.record(`${at}.volumes[${target}]`, where);
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

/** The long form's keys the model has a field for; the others are handled by longFormKeysKept. */
const LONG_FORM = ["type", "source", "target", "read_only"];

/**
 * A long-form mount's other keys, each reported or refused, none dropped: `volume.subpath` would
 * mount the whole volume where a folder of it was asked, so it is refused, as is bind propagation;
 * `volume.nocopy` and `consistency` change nothing a target does and are reported. False when refused.
 */
function longFormKeysKept(entry: Record<string, unknown>, where: string, ctx: Context): boolean {
  let kept = true;
  const refuse = (at: string, message: string) => {
    ctx.refused.add(at, message);
    kept = false;
  };
  for (const key of Object.keys(entry)) {
    if (LONG_FORM.includes(key) || (key === "tmpfs" && entry.type === "tmpfs")) continue;
    const options = entry[key];
    const at = `${where}.${key}`;
    if (key === "consistency") {
      ctx.report.push({
        path: at,
        disposition: "ignored",
        note: "mount consistency is a Docker Desktop setting; the engine's default applies",
      });
    } else if ((key === "volume" || key === "bind") && isMap(options)) {
      for (const option of Object.keys(options)) {
        if (key === "volume" && option === "nocopy") {
          ctx.report.push({
            path: `${at}.${option}`,
            disposition: "ignored",
            note: "the image's files are copied into a new empty volume",
          });
        } else if (key === "bind" && option === "create_host_path") {
          ctx.report.push({ path: `${at}.${option}`, disposition: "ignored", note: "the host path must exist on the Docker host" });
        } else {
          refuse(
            `${at}.${option}`,
            option === "subpath"
              ? `${JSON.stringify(options[option])} cannot be deployed: the whole volume would be mounted, not its folder; give the folder its own volume`
              : `cannot be deployed: mounts take type, source, target and read_only; remove ${key}.${option}`,
          );
        }
      }
    } else {
      refuse(
        at,
        `cannot be deployed: a mount takes type, source, target, read_only${key === "volume" || key === "bind" ? ` (${key} options as a mapping)` : ""}; remove ${key}`,
      );
    }
  }
  return kept;
}
