/**
 * Not a unit test: test/e2e/compat.sh copies it into a checkout's test/unit and runs it there, in
 * the baseline's checkout and in this one. It runs the program under Pulumi mocks for every stage
 * file and writes what it registers (type, name, parent, inputs, resource options) to
 * $COMPAT_OUT/<stage>.json, sorted, for compat.sh to compare.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { recorded } from "./mocks";
import { runProgram } from "./program";

const root = path.join(__dirname, "..", "..");
const out = process.env.COMPAT_OUT as string;
/** The flat-key baseline reads the password from postgresPassword; this checkout from secrets. */
const flat = fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8").includes("postgresPassword:");

/**
 * The resource options both checkouts' recorders know (the baseline's is older): a field only the
 * newer one records would differ by its presence alone.
 */
const COMPARED_OPTIONS = ["parent", "retainOnDelete", "protect", "customTimeouts"];
const compared = (options: object) => Object.fromEntries(Object.entries(options).filter(([key]) => COMPARED_OPTIONS.includes(key)));

test.each(["dev", "e2e", "staging", "prod", "k8se2e"])("registrations of stage %s", async (stage) => {
  const file = parse(fs.readFileSync(path.join(root, `Pulumi.${stage}.yaml`), "utf8")).config as Record<string, unknown>;
  const config: Record<string, string | object> = {};
  for (const [key, value] of Object.entries(file)) config[key] = typeof value === "object" && value !== null ? value : String(value);
  if (flat) config["dockyard:postgresPassword"] = "compat-db-password";
  else config["dockyard:secrets"] = { "db-password": "compat-db-password" };
  await runProgram(config, stage);
  const resources = recorded
    .map((r) => ({ type: r.type, name: r.name, custom: r.custom, inputs: r.inputs, options: compared(r.options) }))
    .sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`));
  fs.writeFileSync(path.join(out, `${stage}.json`), JSON.stringify(resources, null, 1));
  expect(resources.length).toBeGreaterThan(0);
});
