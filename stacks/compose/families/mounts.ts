/**
 * A service's volumes: named volumes declared at the top level, and bind mounts; tmpfs is ignored.
 * The long form's keys and options are the key table's (stacks/compose/table.ts); the short form's
 * modes (`SOURCE:TARGET:MODE`) are read here, in the same words.
 */
import { createHash } from "crypto";
import * as os from "os";
import * as path from "path";
import { sortedKeys } from "../../../components/sorted";
import { shown } from "../../errors";
import { VolumeMount } from "../../model";
import { takeoverRefusal } from "../../resolve";
import { Context, isMap } from "../context";
import { isWindowsPath } from "../load";
import { CONSISTENCY_NOTE, PROPAGATION_WHY, SELINUX_WHY } from "../table";

/** Bind propagation modes; rprivate is the engine's default, so it is honoured as written. */
const PROPAGATION = ["shared", "rshared", "slave", "rslave", "private", "rprivate"];
/** Modes of the short form that Docker Desktop alone reads. */
const CONSISTENCY = ["consistent", "cached", "delegated"];
const MODES = ["ro", "rw", "nocopy", ...CONSISTENCY, ...PROPAGATION, "z", "Z"];

/** The long form's types; tmpfs is reported as ignored. */
const TYPES = ["volume", "bind", "tmpfs"];

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
    let modes: string[] = [];
    if (typeof entry === "string") {
      const windows = windowsSource(entry);
      if (windows !== undefined) {
        ctx.refused.add(where, `${shown(entry)}: ${shown(windows)} ${WINDOWS_WHY}`);
        return;
      }
      const parts = entry.split(":");
      if (parts.length === 1) [target] = parts;
      else [source, target] = parts;
      modes = parts.length > 2 ? parts.slice(2).join(":").split(",") : [];
    } else if (isMap(entry)) {
      type = typeof entry.type === "string" ? entry.type : undefined;
      source = typeof entry.source === "string" ? entry.source : undefined;
      target = typeof entry.target === "string" ? entry.target : undefined;
      readOnly = entry.read_only === true;
      if (source !== undefined && windowsSource(source) !== undefined) {
        ctx.refused.add(`${where}.source`, `${shown(source)} ${WINDOWS_WHY}`);
        return;
      }
      if (type !== undefined && !TYPES.includes(type)) {
        ctx.refused.add(`${where}.type`, `${shown(type)} cannot be deployed: a mount is a volume or a bind mount (tmpfs is ignored)`);
        return;
      }
      if (type === "tmpfs") {
        ctx.report.push({ path: where, disposition: "ignored", note: "no tmpfs is mounted; the path is in the container's filesystem" });
        return;
      }
    }
    if (target === undefined) {
      ctx.refused.add(where, `${shown(entry)} needs a target path`);
      return;
    }
    if (source === undefined && type === "bind") {
      ctx.refused.add(`${where}.source`, "is required for a bind mount: give the host path to mount");
      return;
    }
    if (source === undefined) {
      const name = anonymousVolume(at, target, ctx);
      if (name === undefined) return;
      ctx.model.volumes[name] = {};
      ctx.origins.record(`volumes.${name}`, where);
      ctx.origins.record(`${at}.volumes[${target}]`, where);
      ctx.report.push({
        path: where,
        disposition: "changed",
        note: `anonymous volume ${target}: the app's volume "${name}", kept when the container is replaced (as docker compose keeps it) and removed on destroy; ${ctx.setting(`volumes.${name}`)} sets its size and retain`,
      });
      mounts.push({ volume: name, mountPath: target, ...(readOnly ? { readOnly } : {}) });
      return;
    }
    ctx.origins.record(`${at}.volumes[${target}]`, where);
    const bind = type === "bind" || source.startsWith("/") || source.startsWith(".") || source.startsWith("~");
    if (modes.length > 0) {
      const read = shortModes(String(entry), modes, bind, where, ctx);
      if (read === undefined) return;
      readOnly = read;
    }
    if (bind) {
      const home = homeRelative(source);
      if (source.startsWith("~") && home === undefined) {
        ctx.refused.add(
          where,
          `${shown(source)}: only ~ and ~/ are expanded (to the home folder of the user running pulumi, as docker compose does); write ~/..., an absolute path, or one relative to the compose file`,
        );
        return;
      }
      const hostPath = home !== undefined ? path.join(os.homedir(), home) : path.resolve(ctx.fileDir, source);
      // Judged here, where the source is as written: resolve sees only the path it became.
      const takeover = takeoverRefusal(source, hostPath, readOnly);
      if (takeover !== undefined) {
        ctx.refused.add(where, `bind source ${takeover}`);
        return;
      }
      if (home !== undefined) {
        ctx.report.push({
          path: where,
          disposition: "changed",
          note: `bind mount ${source} is ${hostPath}: ~ is the home folder of the user running pulumi, as docker compose expands it (and the path must exist there on the Docker host)`,
        });
      } else if (!source.startsWith("/")) {
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
        `names volume ${shown(source)}, which is not declared under the top-level volumes: (${sortedKeys(ctx.model.volumes).join(", ") || "none"}); declare it`,
      );
      return;
    }
    mounts.push({ volume: source, mountPath: target, ...(readOnly ? { readOnly } : {}) });
  });
  return mounts;
}

const WINDOWS_WHY =
  "is a Windows path, which is no folder on this machine: give the host folder as an absolute path here (/srv/data), or relative to the compose file (./data)";

/**
 * The Windows host path a mount starts with (`C:\data`, `D:/data`, `\\server\share`, or Docker
 * Toolbox's `//c/data`), or undefined. compose-go reads them on Windows only; here they would be
 * read as a relative path or split at the drive's colon.
 */
function windowsSource(entry: string): string | undefined {
  const drive = /^[a-zA-Z]:[\\/]/.test(entry);
  if (!drive && !isWindowsPath(entry) && !/^\/\/[a-zA-Z](\/|:|$)/.test(entry)) return undefined;
  const colon = entry.indexOf(":", drive ? 2 : 0);
  return colon < 0 ? entry : entry.slice(0, colon);
}

/** Longest name a volume takes (a DNS label of up to 32, stacks/resolve.ts). */
const VOLUME_NAME_LENGTH = 32;

/**
 * The name of an anonymous volume (`- /app/node_modules`): the service's name on the targets and the
 * path, `web-app-node-modules`; a name too long, or taken by a declared volume, ends in a hash of
 * the service and path instead, so the same file always gives the same name.
 */
function anonymousVolume(at: string, target: string, ctx: Context): string | undefined {
  const composeName = at.slice("services.".length);
  const service = ctx.serviceNames.get(composeName);
  if (service === undefined) return undefined; // the service's name is refused
  if (!target.startsWith("/")) {
    ctx.refused.add(at, `volume target ${shown(target)} must be an absolute path in the container`);
    return undefined;
  }
  const slug = target
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  const plain = `${service}-${slug || "root"}`;
  if (plain.length <= VOLUME_NAME_LENGTH && !(plain in ctx.model.volumes)) return plain;
  const hash = createHash("sha256").update(`${service}\n${target}`).digest("hex").slice(0, 8);
  return `${plain.slice(0, VOLUME_NAME_LENGTH - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/** A bind mount's source below the home folder ("~" is "", "~/data" is "data"), or undefined when it is not one ("~bob/data"). */
function homeRelative(source: string): string | undefined {
  if (source === "~") return "";
  return source.startsWith("~/") ? source.slice(2) : undefined;
}

/**
 * The short form's modes (`ro,z`): whether the mount is read-only, or undefined when one is refused.
 * `ro` / `rw` carry over; `nocopy` (a named volume's) and Docker Desktop's consistency modes change
 * nothing a target does and are reported; rprivate is the engine's default; another propagation mode
 * and SELinux relabelling are refused, as the long form's bind.propagation and bind.selinux are.
 */
function shortModes(entry: string, modes: string[], bind: boolean, where: string, ctx: Context): boolean | undefined {
  const refuse = (mode: string, why: string): undefined => {
    ctx.refused.add(where, `${shown(entry)}: mode ${mode} cannot be honoured: ${why}`);
    return undefined;
  };
  const unknown = modes.find((mode) => !MODES.includes(mode));
  if (unknown !== undefined) {
    ctx.refused.add(
      where,
      `${shown(entry)}: ${shown(unknown)} is not a mount mode; write ro or rw, with nocopy (a named volume's), ${CONSISTENCY.join(", ")} (Docker Desktop's) or rprivate (the default)`,
    );
    return undefined;
  }
  if (modes.includes("ro") && modes.includes("rw")) return refuse("ro,rw", "a mount is read-only (ro) or writable (rw), not both");
  const propagation = modes.find((mode) => PROPAGATION.includes(mode) && mode !== "rprivate");
  if (propagation !== undefined) return refuse(propagation, PROPAGATION_WHY);
  const relabel = modes.find((mode) => mode === "z" || mode === "Z");
  if (relabel !== undefined) return refuse(relabel, SELINUX_WHY);
  if (modes.includes("rprivate") && !bind) return refuse("rprivate", "propagation is a bind mount's; remove it");
  if (modes.includes("nocopy")) {
    if (bind) return refuse("nocopy", "nocopy is a named volume's (a bind mount copies nothing); remove it");
    ctx.report.push({ path: where, disposition: "ignored", note: "nocopy: the image's files are copied into a new empty volume" });
  }
  const consistency = modes.filter((mode) => CONSISTENCY.includes(mode));
  if (consistency.length > 0)
    ctx.report.push({ path: where, disposition: "ignored", note: `${consistency.join(", ")}: ${CONSISTENCY_NOTE}` });
  return modes.includes("ro");
}
