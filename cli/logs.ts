/**
 * `dockyard logs [SERVICE] [--follow] [--stack STACK]`: a service's logs (every service's without
 * SERVICE) from where it runs: its containers on Docker (each line prefixed by the container when there
 * are several), its swarm service's tasks, or its pods. Needs no Pulumi engine: the stack's config says
 * where it runs, the labels which containers are its.
 */
import { CommandError, UsageError } from "./args";
import { COMPOSE_FILE_OPTIONS, projectStack } from "./project";
import { composeStack } from "./standalone";
import { logCommands, streamLogs } from "./runtime";
import { STACK_NAME } from "./stack";
import { Verb } from "./verb";

export const logsVerb: Verb = {
  name: "logs",
  summary: "a service's logs (all services' without SERVICE), from its containers, swarm tasks or pods",
  positionals: [{ name: "SERVICE", description: "the service (default: every service)" }],
  options: {
    follow: { type: "boolean", description: "keep printing new lines until interrupted" },
    stack: { type: "string", value: "STACK", description: "the stack: Pulumi.<STACK>.yaml is read (default dev)" },
    file: { ...COMPOSE_FILE_OPTIONS.file, description: "a compose file deployed with dockyard up -f: its stack's logs" },
  },
  async run(args, io) {
    const given = args.values.stack as string | undefined;
    if (given !== undefined && !STACK_NAME.test(given)) {
      throw new UsageError(`dockyard logs: --stack must be a stack name (letters, digits, _ . -), got ${JSON.stringify(given)}`);
    }
    const loaded =
      args.values.file === undefined
        ? projectStack("logs", { ...args, positionals: [] }, io, given)
        : composeStack("logs", { ...args, positionals: [] }, io, false).loaded;
    const services = [...loaded.app.order].sort();
    const wanted = args.positionals[0];
    if (wanted !== undefined && !services.includes(wanted)) {
      throw new UsageError(
        `dockyard logs: no service ${JSON.stringify(wanted)} in stack ${loaded.stack}; services: ${services.join(", ")}`,
      );
    }
    const follow = args.values.follow === true;
    let commands;
    try {
      commands = (wanted === undefined ? services : [wanted]).flatMap((service) =>
        logCommands(loaded.config, service, follow).map((command) => ({
          ...command,
          prefix: wanted === undefined && command.prefix === "" ? `${service} | ` : command.prefix,
        })),
      );
    } catch (error) {
      throw new CommandError(`dockyard logs: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (commands.length === 0) {
      throw new CommandError(
        `dockyard logs: nothing of ${wanted === undefined ? "" : `service ${wanted} in `}stack ${loaded.stack} runs on ${loaded.config.target}: dockyard up ${loaded.stack}`,
      );
    }
    return streamLogs(commands, (text) => io.out(text));
  },
};
