/**
 * `dockyard diagram [STACK] [-f FILE] [--format mermaid|dot|svg] [--target docker|swarm|kubernetes]
 * [-o FILE]`: a picture of the app as its target will run it, with no engine: the stack (or compose
 * file) resolved, planned on the target (cli/picture.ts draws from the plan), written as a Mermaid
 * flowchart, Graphviz dot, or SVG rendered by Graphviz's dot. Notes (what --target assumed) and the
 * plan's warnings go to standard error; the picture alone to standard output or the -o file.
 */
import * as fs from "fs";
import * as path from "path";
import { Target } from "../stacks/config";
import { InputError } from "../stacks/errors";
import type { TargetBackend, TargetPlan } from "../stacks/targets/common";
import { UsageError } from "./args";
import { picture, Picture, PlanOf } from "./picture";
import { Format, FORMATS, hasDot, NO_DOT, toDot, toMermaid, toSvg } from "./render";
import { LoadedStack, loadStack, StackRequest } from "./stack";
import { COMPOSE_OPTIONS, composeArgument, stackArgument, stackArgumentSpec, Verb } from "./verb";

export const TARGETS = ["docker", "swarm", "kubernetes"] as const;

/** The format an output file's extension asks for. */
const FORMAT_OF_EXTENSION: Record<string, Format> = {
  ".svg": "svg",
  ".dot": "dot",
  ".gv": "dot",
  ".mmd": "mermaid",
  ".mermaid": "mermaid",
};

/** The loaded stack's plan on its config's target: the target's module loaded only when chosen, as the program does. */
export function planStack(loaded: LoadedStack): { planned: PlanOf; warnings: string[] } {
  const { app, config, where } = loaded;
  /* eslint-disable @typescript-eslint/no-require-imports -- each target loaded only when chosen (the Kubernetes SDK takes half a second) */
  const backend = (): TargetBackend<TargetPlan> => {
    switch (config.target) {
      case "docker":
        return (require("../stacks/targets/docker") as typeof import("../stacks/targets/docker")).dockerTarget as TargetBackend<TargetPlan>;
      case "swarm":
        return (require("../stacks/targets/swarm") as typeof import("../stacks/targets/swarm")).swarmTarget as TargetBackend<TargetPlan>;
      case "kubernetes":
        try {
          require.resolve("@pulumi/kubernetes");
        } catch {
          throw new InputError("target kubernetes needs the @pulumi/kubernetes package beside dockyard: npm install @pulumi/kubernetes");
        }
        return (require("../stacks/targets/kubernetes") as typeof import("../stacks/targets/kubernetes"))
          .kubernetesTarget as TargetBackend<TargetPlan>;
    }
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  // No machine: what this machine has (its CPUs) would make the picture differ between machines.
  const plan = backend().plan(app, config, where);
  return { planned: { target: config.target, plan } as PlanOf, warnings: plan.warnings };
}

/** The picture of a stack, or of a compose file on one, with what was assumed and what the plan warns about. */
export function diagramOf(request: StackRequest): { picture: Picture; notes: string[]; warnings: string[] } {
  const loaded = loadStack(request);
  const { planned, warnings } = planStack(loaded);
  const stack = request.readStackFile === false ? [] : [`stack ${loaded.stack}`];
  const source = [...(loaded.compose ? [loaded.compose.file] : []), ...stack].join(", ");
  return { picture: picture(loaded.app, loaded.config, planned, source), notes: loaded.notes, warnings };
}

/** The picture as text in a format (svg through Graphviz's dot). */
export function render(drawn: Picture, format: Format): string {
  switch (format) {
    case "mermaid":
      return toMermaid(drawn);
    case "dot":
      return toDot(drawn);
    case "svg":
      return toSvg(toDot(drawn));
  }
}

export const diagramVerb: Verb = {
  name: "diagram",
  summary: "a picture of the app as its target will run it: Mermaid, Graphviz dot or SVG (no engine needed)",
  positionals: [stackArgumentSpec("its config laid over the file (no STACK: every key's default)")],
  options: {
    ...COMPOSE_OPTIONS,
    format: { type: "string", choices: FORMATS, description: "what to write (default: from -o's extension, else mermaid)" },
    target: {
      type: "string",
      choices: TARGETS,
      description: "draw it as this target would run it, instead of the stack's dockyard:target",
    },
    output: { type: "string", short: "o", value: "FILE", description: "write the picture to FILE instead of standard output" },
  },
  run(args, io) {
    const { stack, named } = stackArgument("diagram", args, io);
    const compose = composeArgument("diagram", args, io);
    const output = args.values.output as string | undefined;
    const format =
      (args.values.format as Format | undefined) ??
      (output === undefined ? undefined : FORMAT_OF_EXTENSION[path.extname(output).toLowerCase()]) ??
      "mermaid";
    // Before anything is read: the one thing this machine may lack.
    if (format === "svg" && !hasDot()) throw new UsageError(NO_DOT);
    const drawn = diagramOf({
      stack,
      dir: io.cwd,
      // A compose file on its own unless a stack is named: every key's default.
      readStackFile: compose === undefined || named,
      ...(compose === undefined ? {} : { compose }),
      ...(args.values.target === undefined ? {} : { target: args.values.target as Target }),
    });
    drawn.notes.forEach((note) => io.err(`note: ${note}`));
    drawn.warnings.forEach((warning) => io.err(`warning: ${warning}`));
    const text = render(drawn.picture, format);
    if (output === undefined) io.out(text);
    else fs.writeFileSync(path.resolve(io.cwd, output), text);
    return 0;
  },
};
