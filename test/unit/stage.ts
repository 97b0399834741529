/** Stage files for the tests: their values as written, as runProgram takes them, and loaded as the engine passes them. */
import { readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { loadConfig, StackConfig } from "../../stacks/config";

export const PASSWORD = "s3cret-pass";
export const SECRETS = { "db-password": PASSWORD };
export type Values = Record<string, string | object>;

/** The swarm end-to-end stack: test/e2e/swarm.sh runs this file as the stack swarme2e. */
export const SWARM_E2E = { stack: "swarme2e", file: "test/e2e/swarm.yaml" };

/** The `config:` map of a stack config file (a path from the checkout's root) as written (dockyard: prefixes kept). */
export function configFile(file: string): Values {
  const text = readFileSync(path.join(__dirname, "..", "..", file), "utf8");
  return (parse(text) as { config?: Values }).config ?? {};
}

/** The `config:` map of a stage file as written (dockyard: prefixes kept). */
export function stageFile(stack: string): Values {
  return configFile(`Pulumi.${stack}.yaml`);
}

/** The `config:` map of a stack file without its dockyard: prefixes. */
export function stackFile(stack: string): Values {
  return Object.fromEntries(Object.entries(stageFile(stack)).map(([key, value]) => [key.replace(/^dockyard:/, ""), value]));
}

/** A stack config file's config plus the secret every stage sets outside its file, as runProgram takes it. */
export function programConfig(file: string, password = PASSWORD): Values {
  const config: Values = { "dockyard:secrets": { "db-password": password } };
  for (const [key, value] of Object.entries(configFile(file))) {
    config[key] = typeof value === "object" ? value : String(value);
  }
  return config;
}

/** A stage file's config plus the secret every stage sets outside its file, as runProgram takes it. */
export function stageProgramConfig(stack: string, password = PASSWORD): Values {
  return programConfig(`Pulumi.${stack}.yaml`, password);
}

/** loadConfig on raw values (maps as JSON, as the engine passes them), with the app's secrets set. */
export function stackConfig(values: Values, stack: string): StackConfig {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries({ secrets: SECRETS, ...values })) {
    raw[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return loadConfig((key) => raw[key], stack, Object.keys(raw));
}
