/**
 * The fidelity report of a compose file, without deploying: `npm run compose:check -- FILE
 * [--profile NAME]... [--env-file FILE] [--stack NAME]`. Prints every key that carries over with a
 * change or is ignored, the counts, and the resolved app's services; exits 1 with the refusals when
 * something cannot be deployed. The same lines appear in the Pulumi log at preview and up, and
 * `dockyard config -f FILE` prints them (cli/compose.ts).
 */
import { composeCheckLines } from "../cli/compose";

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
  for (const line of composeCheckLines({ file, profiles, envFile, stack })) console.log(line);
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(1);
}
