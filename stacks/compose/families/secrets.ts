/** The top-level secrets: declared in the file, their values always the stack's; and the files a service reads them from. */
import { posix } from "path";
import { shown } from "../../errors";
import { AppModel } from "../../model";
import { Context, isMap } from "../context";

/** Where docker compose mounts a service's secrets. */
const SECRETS_DIR = "/run/secrets";
import { declaredExternal, walkKeys } from "../table";

export function convertSecrets(raw: unknown, ctx: Context): AppModel["secrets"] {
  const { refused, report, setting } = ctx;
  const secrets: AppModel["secrets"] = {};
  if (raw === undefined) return secrets;
  if (!isMap(raw)) {
    refused.add("secrets", "must be a mapping of secret names");
    return secrets;
  }
  walkKeys(raw, { pattern: "secrets", at: "secrets" }, ctx);
  for (const [name, spec] of Object.entries(raw)) {
    const at = `secrets.${name}`;
    const definition = isMap(spec) ? spec : {};
    // Refused by the key table (stacks/compose/table.ts), in every form.
    if (declaredExternal(definition)) {
      ctx.refusedSecrets.add(name);
      continue;
    }
    const x = isMap(definition["x-dockyard"]) ? definition["x-dockyard"] : {};
    for (const key of ["file", "environment"]) {
      if (definition[key] !== undefined) {
        report.push({
          path: `${at}.${key}`,
          disposition: "changed",
          note: `not read: the value is the stack's secret ${setting(`secrets.${name}`)}`,
        });
      }
    }
    secrets[name] = {
      description: typeof x.description === "string" ? x.description : `secret ${name} of the compose file`,
      ...(typeof x.minLength === "number" ? { minLength: x.minLength } : {}),
    };
  }
  return secrets;
}

/**
 * A service's secrets that no `<VAR>_FILE` variable names (those are its secret env): each a file,
 * at /run/secrets/<source>, or the long form's target (a name under /run/secrets, or an absolute
 * path), as docker compose mounts it: path in the container → secret.
 */
export function serviceSecretFiles(raw: unknown, secretEnv: Record<string, string>, at: string, ctx: Context): Record<string, string> {
  const files: Record<string, string> = {};
  if (!Array.isArray(raw)) return files; // refused by convertServiceSecrets
  const delivered = new Set(Object.values(secretEnv));
  raw.forEach((entry, index) => {
    const long = isMap(entry);
    const source = typeof entry === "string" ? entry : long && typeof entry.source === "string" ? entry.source : undefined;
    if (source === undefined || !(source in ctx.model.secrets)) return; // refused by convertServiceSecrets
    const where = long ? `${at}.secrets[${index}]` : `${at}.secrets`;
    const target = long ? entry.target : undefined;
    if (target !== undefined && (typeof target !== "string" || target === "" || (!posix.isAbsolute(target) && target.includes("/")))) {
      ctx.refused.add(
        `${where}.target`,
        `${shown(target)} must be a file name (under ${SECRETS_DIR}) or an absolute path in the container`,
      );
      return;
    }
    if (target === undefined && delivered.has(source)) return;
    const path = target !== undefined && posix.isAbsolute(target) ? posix.normalize(target) : `${SECRETS_DIR}/${target ?? source}`;
    if (files[path] !== undefined) {
      ctx.refused.add(where, `puts ${source} at ${path}, where ${files[path]} is already; give each secret its own file`);
      return;
    }
    files[path] = source;
    ctx.origins.record(`${at}.secretFiles.${path}`, where);
    ctx.report.push({
      path: where,
      disposition: "changed",
      note: `${source} is the file ${path} (owned by root, mode 0444), holding the stack's secret ${ctx.setting(`secrets.${source}`)}`,
    });
  });
  return files;
}
