/**
 * `dockyard down [STACK] [--json] [--yes]`: removes everything a stack deployed (the Automation API's
 * destroy), with the same progress lines as `dockyard up`. Volumes the stack marks retained stay (their
 * data outlives the stack, as docs/app-model.md says). The stack's record and config stay: `dockyard up`
 * deploys it again.
 */
import { UsageError } from "./args";
import { Interrupted, stoppable } from "./interrupted";
import { seconds } from "./progress";
import { COMPOSE_FILE_OPTIONS, engineError, existingStack, STACK_POSITIONAL, stackPlace } from "./project";
import { eventPrinter } from "./up";
import { Verb } from "./verb";

export const downVerb: Verb = {
  name: "down",
  summary: "remove everything a stack deployed, with live progress",
  positionals: [STACK_POSITIONAL],
  options: {
    json: { type: "boolean", description: "print the engine's events as JSON lines instead of progress lines" },
    yes: { type: "boolean", short: "y", description: "do not ask first (required when there is no terminal to ask on)" },
    ...COMPOSE_FILE_OPTIONS,
  },
  async run(args, io) {
    const started = Date.now();
    const place = stackPlace("down", args, io, false);
    const { loaded } = place;
    if (args.values.yes !== true && io.ask === undefined) {
      throw new UsageError(
        `dockyard down: this removes everything stack ${loaded.stack} deployed: give --yes to confirm (there is no terminal to ask on)`,
      );
    }
    const workspace = place.workspace(false);
    const stack = await existingStack("down", io, loaded.stack, workspace, place);
    if (args.values.yes !== true && io.ask !== undefined && !(await io.ask(`Remove everything stack ${loaded.stack} deployed?`))) {
      io.err("dockyard down: nothing done");
      return 1;
    }
    const { progress, onEvent } = eventPrinter("down", io, args.values.json === true);
    try {
      await stoppable("down", io, (controls) => stack.destroy({ color: "never", ...controls }), onEvent);
    } catch (error) {
      if (error instanceof Interrupted) {
        io.err(
          `dockyard down: stopped ${error.clean ? "" : "at once "}by ${error.signal}: some of stack ${loaded.stack} is still deployed; run ${place.upCommand.replace("dockyard up", "dockyard down")} again to remove the rest`,
        );
        return 130;
      }
      if (!progress.failed) io.err(`dockyard down: ${engineError(error)}`);
      return 1;
    }
    io.err(`done in ${seconds((Date.now() - started) / 1000)}`);
    return 0;
  },
};
