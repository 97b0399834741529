/**
 * The fidelity report of a compose file, without deploying: `npm run compose:check -- FILE
 * [--profile NAME]... [--env-file FILE] [--stack NAME]`. Prints every key that carries over with a
 * change or is ignored, the counts, and the resolved app's services; exits 1 with the refusals when
 * something cannot be deployed. The same lines appear in the Pulumi log at preview and up, and
 * `dockyard config -f FILE` prints them (cli/compose.ts).
 *
 * With --stack NAME it runs every check `pulumi up` on that stack would make with the file as its
 * app (cli/check.ts, as `dockyard check NAME -f FILE`): the stack's settings, the file, resolve and
 * the target's plan, listing every refusal; exit 0 means the deploy's checks pass. Bad input (no such
 * file, no such stack): one line, exit 2.
 */
import * as fs from "fs";
import { UsageError } from "../cli/args";
import { checkedStack, checkLines, checkStack } from "../cli/check";
import { composeCheckLines } from "../cli/compose";

const USAGE = "usage: npm run compose:check -- FILE [--profile NAME]... [--env-file FILE] [--stack NAME]";
const args = process.argv.slice(2);
const profiles: string[] = [];
let file: string | undefined;
let envFile: string | undefined;
let stack: string | undefined;
try {
  for (let i = 0; i < args.length; i++) {
    const value = () => {
      const next = args[++i];
      if (next === undefined || next.startsWith("-")) throw new UsageError(`compose:check: ${args[i - 1]} needs a value; ${USAGE}`);
      return next;
    };
    if (args[i] === "--profile") profiles.push(value());
    else if (args[i] === "--env-file") envFile = value();
    else if (args[i] === "--stack") stack = value();
    else if (args[i].startsWith("-")) throw new UsageError(`compose:check: unknown option ${JSON.stringify(args[i])}; ${USAGE}`);
    else if (file !== undefined)
      throw new UsageError(`compose:check: one FILE only, got ${JSON.stringify(file)} and ${JSON.stringify(args[i])}`);
    else file = args[i];
  }
  if (file === undefined) throw new UsageError(USAGE);
  if (!fs.existsSync(file)) throw new UsageError(`compose:check: ${file}: no such file`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const compose = { file: file as string, profiles, ...(envFile === undefined ? {} : { envFile }) };

if (stack === undefined) {
  try {
    for (const line of composeCheckLines({ ...compose, stack: "dev" })) console.log(line);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exit(1);
  }
} else {
  let request;
  try {
    request = checkedStack("compose:check --stack", stack, undefined, process.cwd());
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const result = checkStack({ ...request, compose });
  // The fidelity report first, when the file could be read: what carries over with a change.
  for (const line of result.report) console.log(`${file}: ${line.path}: ${line.disposition}: ${line.note}`);
  for (const line of checkLines(result)) console.log(line);
  process.exit(result.refusals.length === 0 ? 0 : 1);
}
