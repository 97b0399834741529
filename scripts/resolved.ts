/**
 * Prints what a stack would deploy, without an engine or a cluster: its stack config read from
 * Pulumi.yaml and Pulumi.<stack>.yaml, laid over the app, resolved (every default filled in, every
 * unit parsed, the start order), as JSON. `npm run resolved -- <stack>` (default dev).
 * Secret values stay encrypted in the stack file and are not read: each shows as "[secret]", and
 * their rules (length) are checked by `pulumi preview` / `up`, which can decrypt them.
 * Also prints, under "images", the images the stack needs on a Docker engine (pulled ones and the
 * base images of builds) by the config key that names them, and under "published" its published
 * ports: scripts/deploy.sh uses both.
 */
import * as fs from "fs";
import { parse } from "yaml";
import { loadConfig } from "../stacks/config";
import { applyConfig } from "../stacks/overrides";
import { isBaseImageArg, resolveApp } from "../stacks/resolve";
import { votingApp } from "../stacks/votingApp";

const stack = process.argv[2] ?? "dev";
const read = (file: string): Record<string, unknown> =>
  fs.existsSync(file) ? ((parse(fs.readFileSync(file, "utf8")) ?? {}).config ?? {}) : {};
const values = read(`Pulumi.${stack}.yaml`);
/** Encrypted values ({ secure: ... }) become a placeholder long enough to pass; they are not decrypted here. */
const PLACEHOLDER = "[secret-not-read]";
const unseal = (value: unknown): unknown =>
  value !== null && typeof value === "object"
    ? "secure" in value
      ? PLACEHOLDER
      : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unseal(v)]))
    : value;
/** Secrets the stack file does not hold yet show as placeholders too: `pulumi up` requires them. */
const secrets = Object.fromEntries(Object.keys(votingApp.model(votingApp.parameters.parse({})).secrets).map((name) => [name, PLACEHOLDER]));
const raw = (key: string): string | undefined => {
  const given = values[`dockyard:${key}`] ?? values[key];
  const value = key === "secrets" ? { ...secrets, ...(unseal(given) as object | undefined) } : unseal(given);
  return value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value);
};

try {
  const keys = Object.keys(values).flatMap((key) =>
    key.startsWith("dockyard:") ? [key.slice("dockyard:".length)] : key.includes(":") ? [] : [key],
  );
  const config = loadConfig(raw, stack, keys);
  const { model, where } = applyConfig(votingApp, config);
  const app = resolveApp(model, where);
  /** Config key (as `pulumi config set --path` takes it) → the image it names. */
  const images: Record<string, string> = {};
  const published: number[] = [];
  for (const name of app.order) {
    const service = app.services[name];
    if (service.image.kind === "pull") images[`services.${name}.image`] = service.image.ref;
    else Object.entries(service.image.args ?? {}).forEach(([arg, value]) => isBaseImageArg(arg) && (images[`buildArgs.${arg}`] = value));
    service.ports.forEach((port) => port.publishedPort !== undefined && published.push(port.publishedPort));
  }
  console.log(JSON.stringify({ stack, target: config.target, app, images, published: published.sort((a, b) => a - b) }, null, 2));
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(1);
}
