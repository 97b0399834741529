/** Stack config for tests that plan without the Pulumi engine: a stage file's values, loaded as the engine passes them. */
import { readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { loadConfig, StackConfig } from "../../stacks/config";

export const PASSWORD = "s3cret-pass";
export const SECRETS = { "db-password": PASSWORD };
export type Values = Record<string, string | object>;

/** The `config:` map of a stack file without its dockyard: prefixes. */
export function stackFile(stack: string): Values {
  const text = readFileSync(path.join(__dirname, "..", "..", `Pulumi.${stack}.yaml`), "utf8");
  const config = (parse(text) as { config: Values }).config;
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key.replace(/^dockyard:/, ""), value]));
}

/** loadConfig on raw values (maps as JSON, as the engine passes them), with the app's secrets set. */
export function stackConfig(values: Values, stack: string): StackConfig {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries({ secrets: SECRETS, ...values })) {
    raw[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return loadConfig((key) => raw[key], stack, Object.keys(raw));
}
