/**
 * A compose file's fidelity report, without deploying: what `npm run compose:check` and `dockyard
 * config -f` print. Every key that carries over with a change or is ignored, the counts, and the
 * resolved app's services; the refusals are thrown (ComposeError, InputError).
 */
import { readCompose } from "../stacks/compose/app";
import { resolveApp } from "../stacks/resolve";
import { counted } from "../stacks/errors";

export interface ComposeCheck {
  file: string;
  /** @default [] - the services without a profile only */
  profiles?: string[];
  /** @default - the .env file beside the compose file, if any */
  envFile?: string;
  /** The stack it is meant for: outside dev, literal credentials are refused. @default "dev" */
  stack?: string;
  /** Where `file` is relative to. @default process.cwd() */
  dir?: string;
}

/** The report's lines, as printed; throws the first refusal. */
export function composeCheckLines({ file, profiles = [], envFile, stack = "dev", dir }: ComposeCheck): string[] {
  const { model, report, where } = readCompose({ file, profiles, envFile }, stack, dir);
  const app = resolveApp(model, where, () => false);
  const width = Math.max(4, ...report.map((line) => line.path.length));
  const count = (kind: string) => report.filter((line) => line.disposition === kind).length;
  return [
    `${file}: app "${app.name}", ${counted(app.order.length, "service")} (${app.order.join(", ")})`,
    `${"key".padEnd(width)}  ${"result".padEnd(8)}  what happens`,
    ...report.map((line) => `${line.path.padEnd(width)}  ${line.disposition.padEnd(8)}  ${line.note}`),
    `${count("changed")} carried over with a change, ${count("ignored")} ignored; everything else maps as written`,
  ];
}
