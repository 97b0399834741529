/**
 * The top-level configs: a file's text (file, content or environment) the app gives its services;
 * and a service's configs, each a read-only file in its containers, at `/<name>` unless a target is
 * given, as docker compose mounts them.
 */
import * as fs from "fs";
import * as path from "path";
import { posix } from "path";
import { shown } from "../../errors";
import { AppModel, ConfigFile } from "../../model";
import { credentialFile } from "../../resolve";
import { Context, isMap } from "../context";
import { declaredExternal, walkKeys } from "../table";

/** A config file's mode when the file gives none, as docker compose's. */
const DEFAULT_MODE = 0o444;

/** What a config's text may come from: exactly one of these. */
const SOURCES = ["file", "content", "environment"] as const;

export function convertConfigs(raw: unknown, ctx: Context): NonNullable<AppModel["configs"]> {
  const configs: NonNullable<AppModel["configs"]> = {};
  if (raw === undefined || raw === null) return configs;
  if (!isMap(raw)) {
    ctx.refused.add("configs", "must be a mapping of config names");
    return configs;
  }
  walkKeys(raw, { pattern: "configs", at: "configs" }, ctx);
  for (const [name, spec] of Object.entries(raw)) {
    const at = `configs.${name}`;
    const definition = isMap(spec) ? spec : {};
    // Refused by the key table (stacks/compose/table.ts), in every form.
    if (declaredExternal(definition)) {
      ctx.refusedConfigs.add(name);
      continue;
    }
    const given = SOURCES.filter((key) => definition[key] !== undefined);
    if (given.length !== 1) {
      ctx.refused.add(
        at,
        given.length === 0
          ? "needs its text: give file (a path relative to the compose file), content, or environment (a variable's name)"
          : `gives ${given.join(" and ")}: give one of file, content and environment`,
      );
      ctx.refusedConfigs.add(name);
      continue;
    }
    const content = configText(definition[given[0]], given[0], `${at}.${given[0]}`, ctx);
    if (content === undefined) {
      ctx.refusedConfigs.add(name);
      continue;
    }
    configs[name] = { content };
  }
  return configs;
}

/** A config's text from its one source, or undefined with a refusal. */
function configText(value: unknown, source: (typeof SOURCES)[number], at: string, ctx: Context): string | undefined {
  if (typeof value !== "string") {
    ctx.refused.add(at, `must be text, got ${shown(value)}`);
    return undefined;
  }
  if (source === "content") return value;
  if (source === "environment") {
    const text = ctx.variables?.[value];
    if (text === undefined) {
      ctx.refused.add(at, `names variable ${value}, which is not set: set it in the environment or in .env beside the compose file`);
      return undefined;
    }
    return text;
  }
  const file = path.resolve(ctx.fileDir, value);
  const credentials = credentialFile(file);
  if (credentials !== undefined) {
    ctx.refused.add(
      at,
      `${shown(value)} is ${file}, which ${credentials}: a config is not secret, and its text would be copied into every container of the services that list it, as a mount of it is refused; leave the credentials out of the app`,
    );
    return undefined;
  }
  if (fs.statSync(file, { throwIfNoEntry: false })?.isFile() !== true) {
    ctx.refused.add(at, `${shown(value)} is ${file}, which is no file: give the config file's path relative to the compose file`);
    return undefined;
  }
  ctx.report.push({
    path: at,
    disposition: "changed",
    note: `the text of ${file} as it is when pulumi runs, copied into the container (not a bind mount: a later edit needs another up)`,
  });
  return fs.readFileSync(file, "utf8");
}

/** A mode as compose files write it, in octal, and as the YAML loader read it: "04777 (2559 in decimal)". */
export function modeText(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")} (${mode} in decimal)`;
}

/** The bits of a file mode a careful tool keeps off a file it writes: setuid, setgid, sticky, written by anyone. */
export function unsafeModeBits(mode: number): string[] {
  const bits: Array<[number, string]> = [
    [0o4000, "setuid (04000)"],
    [0o2000, "setgid (02000)"],
    [0o1000, "sticky (01000)"],
    [0o0002, "written by anyone (0002)"],
  ];
  return bits.filter(([bit]) => (mode & bit) !== 0).map(([, name]) => name);
}

/**
 * A service's configs (`configs: [name]`, or `{ source, target, uid, gid, mode }`): each a file at
 * `/<source>` or the target (relative to /), read-only: path in the container → the config file.
 */
export function serviceConfigFiles(raw: unknown, at: string, ctx: Context): Record<string, ConfigFile> {
  const files: Record<string, ConfigFile> = {};
  if (raw === undefined) return files;
  if (!Array.isArray(raw)) {
    ctx.refused.add(`${at}.configs`, "must be a list of config names, or of { source, target, uid, gid, mode }");
    return files;
  }
  raw.forEach((entry, index) => {
    const long = isMap(entry);
    const where = `${at}.configs[${index}]`;
    const source = typeof entry === "string" ? entry : long && typeof entry.source === "string" ? entry.source : undefined;
    if (source === undefined) {
      ctx.refused.add(
        long ? `${where}.source` : where,
        `must name a config declared under the top-level configs:, got ${shown(long ? entry.source : entry)}`,
      );
      return;
    }
    if (ctx.refusedConfigs.has(source)) return; // its definition is refused already
    if (!(source in (ctx.model.configs ?? {}))) {
      ctx.refused.add(
        where,
        `names config ${shown(source)}, which is not declared under the top-level configs: (${
          Object.keys(ctx.model.configs ?? {})
            .sort()
            .join(", ") || "none"
        }); declare it`,
      );
      return;
    }
    const target = long ? entry.target : undefined;
    if (target !== undefined && (typeof target !== "string" || target === "" || target.endsWith("/"))) {
      ctx.refused.add(`${where}.target`, `${shown(target)} must be a file path in the container`);
      return;
    }
    const file = posix.normalize(target === undefined ? `/${source}` : posix.isAbsolute(target) ? target : `/${target}`);
    const config: ConfigFile = { config: source };
    if (long) {
      for (const key of ["uid", "gid"] as const) {
        const id = entry[key];
        if (id === undefined) continue;
        if ((typeof id !== "string" && typeof id !== "number") || !/^[0-9]+$/.test(String(id))) {
          ctx.refused.add(`${where}.${key}`, `${shown(id)} must be a number (a ${key === "uid" ? "user" : "group"} id)`);
          return;
        }
        config[key] = String(id);
        ctx.origins.record(`${at}.configFiles.${file}.${key}`, `${where}.${key}`);
      }
      if (entry.mode !== undefined) {
        if (typeof entry.mode !== "number" || !Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o7777) {
          ctx.refused.add(`${where}.mode`, `${shown(entry.mode)} must be permission bits, like 0440 (octal) or 288`);
          return;
        }
        const unsafe = unsafeModeBits(entry.mode);
        if (unsafe.length > 0) {
          ctx.refused.add(
            `${where}.mode`,
            `${modeText(entry.mode)} sets ${unsafe.join(" and ")}, which a config file does not take (it is data, not a program to run as its owner, nor a file anyone may change): give read, write and execute bits without those, like 0440`,
          );
          return;
        }
        config.mode = entry.mode;
        ctx.origins.record(`${at}.configFiles.${file}.mode`, `${where}.mode`);
      }
    }
    if (files[file] !== undefined) {
      ctx.refused.add(where, `puts ${source} at ${file}, where ${files[file].config} is already; give each config its own file`);
      return;
    }
    files[file] = config;
    ctx.origins.record(`${at}.configFiles.${file}`, where);
    ctx.report.push({
      path: where,
      disposition: "changed",
      note: `${source} is the file ${file}, owner ${config.uid ?? "0"}:${config.gid ?? "0"}, mode 0${(config.mode ?? DEFAULT_MODE).toString(8)}: on swarm a swarm config; on Docker uploaded into the container before it starts, on Kubernetes a ConfigMap mounted read-only, owned by root on both (a uid or gid is a warning there)`,
    });
  });
  return files;
}
