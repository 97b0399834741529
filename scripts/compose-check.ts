/**
 * The fidelity report of a compose file, without deploying: `npm run compose:check -- FILE
 * [--profile NAME]... [--env-file FILE] [--stack NAME]`. Prints every key that carries over with a
 * change or is ignored, the counts, and the resolved app's services; exits 1 with the refusals when
 * something cannot be deployed. The same lines appear in the Pulumi log at preview and up.
 */
import { readCompose } from "../stacks/compose/app";
import { resolveApp } from "../stacks/resolve";

const args = process.argv.slice(2);
const profiles: string[] = [];
let file: string | undefined;
let envFile: string | undefined;
let stack = "dev";
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--profile") profiles.push(args[++i]);
  else if (args[i] === "--env-file") envFile = args[++i];
  else if (args[i] === "--stack") stack = args[++i];
  else file = args[i];
}
if (file === undefined) {
  console.error("usage: npm run compose:check -- FILE [--profile NAME]... [--env-file FILE] [--stack NAME]");
  process.exit(2);
}

try {
  const { model, report, where } = readCompose({ file, profiles, envFile }, stack);
  const app = resolveApp(model, where, () => false);
  const width = Math.max(4, ...report.map((line) => line.path.length));
  console.log(`${file}: app "${app.name}", ${app.order.length} services (${app.order.join(", ")})`);
  console.log(`${"key".padEnd(width)}  ${"result".padEnd(8)}  what happens`);
  for (const line of report) console.log(`${line.path.padEnd(width)}  ${line.disposition.padEnd(8)}  ${line.note}`);
  const count = (kind: string) => report.filter((line) => line.disposition === kind).length;
  console.log(`${count("changed")} carried over with a change, ${count("ignored")} ignored; everything else maps as written`);
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(1);
}
