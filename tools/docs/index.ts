/**
 * `npm run docs`: runs every generator of tools/docs/ (each file here but this one writes its part of
 * docs/), in name order, so a new generator is one new file.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const generators = fs
  .readdirSync(__dirname)
  .filter((file) => file.endsWith(".ts") && file !== path.basename(__filename))
  .sort();
for (const generator of generators) {
  execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, generator)], { stdio: "inherit" });
}
