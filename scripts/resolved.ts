/**
 * Prints what a stack would deploy, without an engine or a cluster: its stack config read from
 * Pulumi.yaml and Pulumi.<stack>.yaml, laid over the app, resolved (every default filled in, every
 * unit parsed, the start order), as JSON. `npm run resolved -- <stack>` (default dev); `dockyard
 * config <stack>` prints the same (cli/stack.ts).
 * Secret values stay encrypted in the stack file and are not read: each shows as a placeholder, and
 * their rules (length) are checked by `pulumi preview` / `up`, which can decrypt them.
 * Also prints, under "images", the images the stack needs on a Docker engine (pulled ones and the
 * base images of builds) by the config key that names them, and under "published" its published
 * ports: scripts/deploy.sh uses both.
 */
import { loadStack, resolvedSummary } from "../cli/stack";

const stack = process.argv[2] ?? "dev";

try {
  console.log(JSON.stringify(resolvedSummary(loadStack({ stack })), null, 2));
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(1);
}
