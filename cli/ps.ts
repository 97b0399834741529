/**
 * `dockyard ps [STACK]`: each service of a stack as it runs on its target, with its replicas (running
 * of asked for), its health and where users reach it: the services from the stack's app, their state
 * from the engine (cli/runtime.ts), the URLs from the stack's outputs.
 */
import { CommandError } from "./args";
import { COMPOSE_FILE_OPTIONS, existingStack, STACK_POSITIONAL, stackPlace } from "./project";
import { serviceStates } from "./runtime";
import { Verb } from "./verb";

/** Rows as columns, each as wide as its widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export const psVerb: Verb = {
  name: "ps",
  summary: "each service of a deployed stack: replicas, health and URL",
  positionals: [STACK_POSITIONAL],
  options: { ...COMPOSE_FILE_OPTIONS },
  async run(args, io) {
    const place = stackPlace("ps", args, io, false);
    const { loaded } = place;
    const workspace = place.workspace(false);
    const stack = await existingStack("ps", io, loaded.stack, workspace, place);
    const urls = ((await stack.outputs()).urls?.value ?? {}) as Record<string, string>;
    let states;
    try {
      states = serviceStates(loaded.config);
    } catch (error) {
      throw new CommandError(`dockyard ps: ${error instanceof Error ? error.message : String(error)}`);
    }
    const rows = [["SERVICE", "REPLICAS", "HEALTH", "URL"]];
    for (const name of [...loaded.app.order].sort()) {
      const state = states.find((candidate) => candidate.service === name);
      const replicas = state === undefined ? `0/${loaded.app.services[name].replicas}` : `${state.running}/${state.desired}`;
      rows.push([name, replicas, state?.health ?? "not deployed", urls[name] ?? ""]);
    }
    io.out(`${table(rows)}\n`);
    return 0;
  },
};
