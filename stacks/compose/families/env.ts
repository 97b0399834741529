/**
 * environment, env_file and a service's secrets: plain variables, and secrets delivered as the
 * variable <VAR>_FILE naming /run/secrets/<secret> (secretEnv in the model).
 */
import { parse as parseDotenv } from "dotenv";
import * as fs from "fs";
import * as path from "path";
import { sortedKeys } from "../../../components/sorted";
import { Context, Doc, isMap } from "../context";
import { keyValues } from "../parse";

export function convertEnvironment(raw: Doc, at: string, ctx: Context): Record<string, string> {
  const env: Record<string, string> = {};
  const files = raw.env_file === undefined ? [] : Array.isArray(raw.env_file) ? raw.env_file : [raw.env_file];
  for (const entry of files) {
    const file = typeof entry === "string" ? entry : isMap(entry) && typeof entry.path === "string" ? entry.path : undefined;
    if (file === undefined) {
      ctx.refused.add(`${at}.env_file`, "entries must be paths");
      continue;
    }
    Object.assign(env, readEnvFile(path.resolve(ctx.fileDir, file), `${at}.env_file`, ctx, isMap(entry) && entry.required === false));
  }
  if (raw.environment !== undefined) Object.assign(env, keyValues(raw.environment, `${at}.environment`, ctx.refused));
  ctx.origins.record(`${at}.env`, `${at}.environment`);
  return env;
}

function readEnvFile(file: string, at: string, ctx: Context, optional: boolean): Record<string, string> {
  if (!fs.existsSync(file)) {
    if (!optional) ctx.refused.add(at, `names ${path.relative(ctx.projectDir, file)}, which does not exist`);
    return {};
  }
  return parseDotenv(fs.readFileSync(file));
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
    if (isMap(entry) && (entry.target !== undefined || entry.mode !== undefined || entry.uid !== undefined)) {
      ctx.report.push({
        path: `${at}.secrets`,
        disposition: "ignored",
        note: `${source}: target, uid, gid and mode are not applied: the file is /run/secrets/${source}, mode 0444`,
      });
    }
    if (!(source in ctx.model.secrets)) {
      ctx.refused.add(
        `${at}.secrets`,
        `names ${JSON.stringify(source)}, which is not in the file's top-level secrets (${sortedKeys(ctx.model.secrets).join(", ") || "none"})`,
      );
      continue;
    }
    const target = `/run/secrets/${source}`;
    const variables = Object.keys(env).filter((variable) => variable.endsWith("_FILE") && env[variable] === target);
    if (variables.length === 0) {
      ctx.refused.add(
        `${at}.secrets`,
        `gives ${source}, but no environment variable names its file: add environment: <VAR>_FILE: ${target} (dockyard delivers a secret as the variable <VAR>_FILE naming the file, as the official postgres image reads it)`,
      );
    }
    for (const variable of variables) {
      const name = variable.slice(0, -"_FILE".length);
      secretEnv[name] = source;
      delete env[variable];
      ctx.origins.record(`${at}.secretEnv.${name}`, `${at}.environment.${variable}`);
    }
  }
  return secretEnv;
}
