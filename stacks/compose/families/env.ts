/**
 * environment, env_file and a service's secrets: plain variables, and secrets delivered as the
 * variable <VAR>_FILE naming /run/secrets/<secret> (secretEnv in the model). Each variable's origin
 * is recorded: a refusal of a value from an env file names the file and its line, not environment.
 */
import * as fs from "fs";
import * as path from "path";
import { sortedKeys } from "../../../components/sorted";
import { shown } from "../../errors";
import { Context, Doc, isMap } from "../context";
import { InterpolationError } from "../interpolate";
import { isWindowsPath, parseEnvFile } from "../load";
import { keyValues } from "../parse";

export function convertEnvironment(raw: Doc, at: string, ctx: Context): Record<string, string> {
  const env: Record<string, string> = {};
  const origin: Record<string, string> = {};
  const listed = Array.isArray(raw.env_file);
  const files = raw.env_file === undefined ? [] : listed ? (raw.env_file as unknown[]) : [raw.env_file];
  files.forEach((entry, index) => {
    const where = listed ? `${at}.env_file[${index}]` : `${at}.env_file`;
    const file = typeof entry === "string" ? entry : isMap(entry) && typeof entry.path === "string" ? entry.path : undefined;
    if (file === undefined) {
      ctx.refused.add(where, "must be a path, or a mapping with path");
      return;
    }
    if (isWindowsPath(file)) {
      ctx.refused.add(
        where,
        `${shown(file)} is a Windows path, which is no file on this machine: give the file's path here, relative to the compose file`,
      );
      return;
    }
    const read = readEnvFile(path.resolve(ctx.fileDir, file), where, ctx, isMap(entry) && entry.required === false);
    for (const [variable, line] of Object.entries(read.lines)) origin[variable] = `${where} (${file}, line ${line}: ${variable})`;
    Object.assign(env, read.values);
  });
  if (raw.environment !== undefined) {
    const given = keyValues(raw.environment, `${at}.environment`, ctx.refused);
    for (const variable of Object.keys(given)) origin[variable] = `${at}.environment.${variable}`;
    Object.assign(env, given);
  }
  ctx.origins.record(`${at}.env`, `${at}.environment`);
  for (const variable of Object.keys(origin)) ctx.origins.record(`${at}.env.${variable}`, origin[variable]);
  return env;
}

/**
 * An env file's variables, read by compose's .env rules (load.ts parseEnvFile: quotes, escapes,
 * interpolation from the file's variables and those the compose file was read with), and the line
 * each one's value comes from (the last that sets it).
 */
function readEnvFile(
  file: string,
  at: string,
  ctx: Context,
  optional: boolean,
): { values: Record<string, string>; lines: Record<string, number> } {
  if (!fs.existsSync(file)) {
    if (!optional) ctx.refused.add(at, `names ${path.relative(ctx.projectDir, file)}, which does not exist`);
    return { values: {}, lines: {} };
  }
  const text = fs.readFileSync(file, "utf8");
  let values: Record<string, string>;
  try {
    values = parseEnvFile(text, ctx.variables ?? {}, path.basename(file));
  } catch (error) {
    if (!(error instanceof InterpolationError)) throw error;
    ctx.refused.add(at, error.message);
    return { values: {}, lines: {} };
  }
  const lines: Record<string, number> = {};
  text.split(/\r?\n/).forEach((line, index) => {
    const variable = /^\s*(?:export\s+)?([\p{L}\p{N}_.\-[\]]+)\s*[=:]/u.exec(line)?.[1];
    if (variable !== undefined && Object.hasOwn(values, variable)) lines[variable] = index + 1;
  });
  return { values, lines };
}

/**
 * A service's secrets: each one's <VAR>_FILE variable moves from env to secretEnv. Names that look
 * like a password in plain environment outside dev are refused by stacks/compose/app.ts.
 */
export function convertServiceSecrets(raw: unknown, env: Record<string, string>, at: string, ctx: Context): Record<string, string> {
  const secretEnv: Record<string, string> = {};
  if (raw === undefined) return secretEnv;
  const list = Array.isArray(raw) ? raw : [];
  if (!Array.isArray(raw)) ctx.refused.add(`${at}.secrets`, "must be a list");
  for (const entry of list) {
    const source = typeof entry === "string" ? entry : isMap(entry) && typeof entry.source === "string" ? entry.source : undefined;
    if (source === undefined) {
      ctx.refused.add(`${at}.secrets`, "entries must name a secret");
      continue;
    }
    // Its definition is refused already (external).
    if (ctx.refusedSecrets.has(source)) continue;
    if (!(source in ctx.model.secrets)) {
      ctx.refused.add(
        `${at}.secrets`,
        `names ${shown(source)}, which is not in the file's top-level secrets (${sortedKeys(ctx.model.secrets).join(", ") || "none"})`,
      );
      continue;
    }
    const target = `/run/secrets/${source}`;
    // None: the file alone (families/secrets.ts serviceSecretFiles).
    const variables = Object.keys(env).filter((variable) => variable.endsWith("_FILE") && env[variable] === target);
    for (const variable of variables) {
      const name = variable.slice(0, -"_FILE".length);
      secretEnv[name] = source;
      delete env[variable];
      ctx.origins.record(`${at}.secretEnv.${name}`, ctx.origins.composePath(`${at}.env.${variable}`));
    }
  }
  return secretEnv;
}
