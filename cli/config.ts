/**
 * `dockyard config [STACK] [-f FILE]`: what a stack would deploy, with no engine or cluster. For a
 * stack, its resolved app as JSON (what `npm run resolved` prints: every default filled in, every unit
 * parsed, the start order; secrets as placeholders); for a compose file, its fidelity report (what
 * `npm run compose:check` prints: every key carried over with a change or ignored).
 */
import { composeCheckLines } from "./compose";
import { loadStack, resolvedSummary } from "./stack";
import { COMPOSE_OPTIONS, composeArgument, stackArgument, stackArgumentSpec, Verb } from "./verb";

export const configVerb: Verb = {
  name: "config",
  summary: "a stack's resolved app as JSON, or a compose file's fidelity report (no engine needed)",
  positionals: [stackArgumentSpec("the stack the file is checked for (literal credentials are refused outside dev)")],
  options: COMPOSE_OPTIONS,
  run(args, io) {
    const { stack } = stackArgument("config", args, io);
    const compose = composeArgument("config", args, io);
    if (compose !== undefined) {
      io.out(`${composeCheckLines({ ...compose, stack, dir: io.cwd }).join("\n")}\n`);
      return 0;
    }
    const loaded = loadStack({ stack, dir: io.cwd });
    loaded.notes.forEach((note) => io.err(`note: ${note}`));
    io.out(`${JSON.stringify(resolvedSummary(loaded), null, 2)}\n`);
    return 0;
  },
};
