/**
 * `dockyard check [STACK] [-f FILE]` and `npm run compose:check -- FILE --stack STACK`: every check
 * `pulumi up` on the stack makes before it registers anything, with no engine or cluster. The stack's
 * config is read as the engine passes it (Pulumi.yaml's defaults, Pulumi.<stack>.yaml over them), then
 * the program's own stages run (components/app/stack.ts stackStages, which deployStack runs): the
 * stage's settings, the app (the compose file read and converted), the settings laid over it, resolve,
 * and the target's plan. A refusal does not end the check where a later stage can run without what the
 * refused one would give: every refusal is listed, and so are the stages that could not run. Exit 0
 * means the deploy's checks pass.
 *
 * What it cannot see: encrypted values (a secret's length rule is checked by `pulumi up`, which
 * decrypts them; here each is a placeholder that passes), and what only the engine or cluster says
 * (an image that cannot be pulled, a port already taken on the host).
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { AppDefinition } from "../stacks/overrides";
import { refuseProviderKeys, StackInput, stackStages } from "../components/app/stack";
import { ValidationError } from "../components/errors";
import type { ReportLine } from "../stacks/compose/convert";
import type { ComposeSettings } from "../stacks/compose/app";
import { Target } from "../stacks/config";
import { counted, listOr, sortedKeys } from "../stacks/errors";
import { UsageError } from "./args";
import { SECRET_PLACEHOLDER, STACK_NAME } from "./stack";
import { COMPOSE_OPTIONS, composeArgument, stackArgumentSpec, Verb } from "./verb";

/** The stages of a check, in the program's order. */
export const CHECK_STAGES = {
  settings: "the stack's settings",
  app: "the app",
  configure: "the settings laid over the app",
  resolve: "resolve",
  plan: "the target's plan",
} as const;
export type CheckStage = keyof typeof CHECK_STAGES;

export interface CheckRequest {
  stack: string;
  /** The project: Pulumi.yaml, and what dockyard:compose.file and build contexts are relative to. */
  dir: string;
  /** The stack's config file. @default - Pulumi.<stack>.yaml in dir */
  configFile?: string;
  /** A compose file to deploy instead of what the stack names (it replaces dockyard:compose). @default - the stack's */
  compose?: { file: string; profiles?: string[]; envFile?: string };
  /** The app the program deploys when the stack names no compose file. @default - the voting app */
  app?: AppDefinition<unknown>;
}

export interface CheckResult {
  stack: string;
  /** The stack's target, once its settings are read. */
  target?: Target;
  /** The compose file the stack deploys, as dockyard:compose.file (or -f) names it. */
  file?: string;
  /** Every refusal, in stage order: what `pulumi up` would say, one message each. */
  refusals: Array<{ stage: CheckStage; message: string }>;
  /** Stages that could not run: they need what a refused stage would give. */
  notRun: CheckStage[];
  /** What the target ignores (pulumi up shows them as warnings). */
  warnings: string[];
  /** What the check could not see (encrypted values) or assumed (no stack file). */
  notes: string[];
  /** The compose file's fidelity report, when it was read. */
  report: ReportLine[];
  /** The services deployed, in start order, when the plan passed. */
  services?: string[];
}

/**
 * A refusal's message, one per refused key: the compose reader raises a file's refusals as one, "N keys
 * of F cannot be deployed:" and a line each, as the Kubernetes plan does every service Pod Security refuses.
 */
export function messagesOf(error: Error): string[] {
  const [first, ...rest] = error.message.split("\n  ");
  return /^\d+ (keys|services) of .* cannot be deployed:$/.test(first) && rest.length > 0 ? rest : [error.message];
}

/** A config value as the engine passes it to the program: text as written, anything else as JSON. */
function engineText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A value with each encrypted part ({ secure: ... }) replaced by the placeholder; `found` gets each one's path. */
function unseal(value: unknown, at: string, found: string[]): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item, index) => unseal(item, `${at}[${index}]`, found));
  if ("secure" in value) {
    found.push(at);
    return SECRET_PLACEHOLDER;
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unseal(inner, `${at}.${key}`, found)]));
}

/** A config file's `config:` block: keys namespaced (a key without one is the project's). */
function configBlock(file: string, project: string): Record<string, unknown> {
  const text = fs.readFileSync(file, "utf8");
  const config = ((parse(text) ?? {}) as { config?: Record<string, unknown> | null }).config ?? {};
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key.includes(":") ? key : `${project}:${key}`, value]));
}

/**
 * The stack's config as the engine hands it to the program: every key of Pulumi.yaml with a default
 * (the engine passes them as set), the stack file's keys over them; encrypted values as placeholders.
 */
export function readStackInput(request: CheckRequest): { input: StackInput; notes: string[] } {
  const notes: string[] = [];
  const projectFile = path.join(request.dir, "Pulumi.yaml");
  const project = fs.existsSync(projectFile)
    ? (((parse(fs.readFileSync(projectFile, "utf8")) ?? {}) as { name?: string }).name ?? "dockyard")
    : "dockyard";
  const all: Record<string, string> = {};
  if (fs.existsSync(projectFile)) {
    for (const [key, spec] of Object.entries(configBlock(projectFile, project))) {
      // A declared key is { type, default, ... }; a plain value is a value for every stack.
      const declared = spec !== null && typeof spec === "object" && !Array.isArray(spec) && ("type" in spec || "default" in spec);
      const value = declared ? (spec as { default?: unknown }).default : spec;
      if (value !== undefined) all[key] = engineText(value);
    }
  }
  const secret = new Set<string>();
  const stackFile = request.configFile ?? path.join(request.dir, `Pulumi.${request.stack}.yaml`);
  if (fs.existsSync(stackFile)) {
    for (const [key, value] of Object.entries(configBlock(stackFile, project))) {
      const sealed: string[] = [];
      all[key] = engineText(unseal(value, key, sealed));
      if (sealed.length > 0) {
        secret.add(key);
        notes.push(
          `${listOr(sealed)}: encrypted, not read here (a placeholder passes); pulumi up decrypts ${sealed.length > 1 ? "them and checks their" : "it and checks its"} rules (such as a secret's length)`,
        );
      }
    }
  } else {
    notes.push(`no ${path.basename(stackFile)}: every key of stack ${request.stack} has its default, as a new stack's would`);
  }
  if (request.compose !== undefined) all[`${project}:compose`] = JSON.stringify(request.compose);
  return { input: { stack: request.stack, project, all, isSecret: (key) => secret.has(key), projectDir: request.dir }, notes };
}

/** The voting app: only a checkout of dockyard holds it (cli/stack.ts explains). */
function votingApp(): AppDefinition<unknown> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- not shipped in the package
    return (require("../stacks/votingApp") as typeof import("../stacks/votingApp")).votingApp as AppDefinition<unknown>;
  } catch {
    throw new ValidationError(
      "this stack deploys the voting app, which only a checkout of dockyard holds: give a compose file with -f, or set dockyard:compose.file in the stack",
    );
  }
}

/** The value, or undefined where it is refused (a refusal already listed). */
function quietly<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
}

/** Runs every check of `pulumi up` on the stack; the refusals are data, not thrown. */
export function checkStack(request: CheckRequest): CheckResult {
  const { input, notes } = readStackInput(request);
  // dockyard:secrets encrypted whole (pulumi config set --secret secrets '{...}'): a placeholder for
  // each secret the app declares, as a map encrypted value by value would give.
  const secretsKey = `${input.project}:secrets`;
  if (input.all[secretsKey] === SECRET_PLACEHOLDER) {
    const compose = quietly(
      () => stackStages.config({ ...input, all: { ...input.all, [secretsKey]: "{}" } }, ["compose", "secrets"]).compose,
    );
    const app = compose === undefined ? undefined : compose.file ? request.app : (request.app ?? votingApp());
    const definition =
      compose === undefined ? undefined : quietly(() => stackStages.definition(app as AppDefinition<unknown>, compose, input));
    const names = definition === undefined ? [] : Object.keys(definition.model(definition.parameters.parse({})).secrets);
    input.all[secretsKey] = JSON.stringify(Object.fromEntries(names.map((name) => [name, SECRET_PLACEHOLDER])));
  }
  const result: CheckResult = { stack: request.stack, refusals: [], notRun: [], warnings: [], notes, report: [] };
  const seen = new Set<string>();
  /** Runs one check; a refusal (the stacks' one input error class) is recorded and undefined returned. */
  const attempt = <T>(stage: CheckStage, check: () => T): T | undefined => {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const message of messagesOf(error)) {
        if (seen.has(message)) continue;
        seen.add(message);
        result.refusals.push({ stage, message });
      }
      return undefined;
    }
  };

  // The stage's settings: each provider key, then dockyard's keys as the program reads them.
  for (const key of sortedKeys(input.all).filter((name) => name.startsWith("docker:") || name.startsWith("kubernetes:"))) {
    attempt("settings", () => refuseProviderKeys({ [key]: input.all[key] }));
  }
  const config = attempt("settings", () => stackStages.config(input));
  const own = sortedKeys(input.all)
    .filter((key) => key.startsWith(`${input.project}:`))
    .map((key) => key.slice(input.project.length + 1));
  // Without dockyard:secrets (refused above, once) as if it were set to none; then, while a refusal
  // names a key, again without that key (as if left at its default), so it does not hide the next.
  const alone: StackInput = { ...input, all: { [`${input.project}:secrets`]: "{}", ...input.all } };
  let keys = [...new Set([...own, "secrets"])];
  let settings = config;
  while (settings === undefined) {
    let refusal: ValidationError | undefined;
    try {
      settings = stackStages.config(alone, keys);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      refusal = error;
    }
    if (refusal === undefined) break;
    attempt("settings", () => {
      throw refusal;
    });
    const key = /^dockyard:([A-Za-z]+)/.exec(refusal.message)?.[1];
    if (key === undefined || key === "secrets" || !keys.includes(key)) break;
    keys = keys.filter((other) => other !== key);
  }
  // The later stages run on these settings only when no key but dockyard:secrets was refused.
  if (config === undefined && keys.length < new Set([...own, "secrets"]).size) settings = undefined;
  attempt("settings", () => stackStages.plainText(input));
  result.target = settings?.target ?? quietly(() => stackStages.config(alone, ["target", "secrets"]).target);

  // The app: the compose file the stack names (its key alone when the whole settings were refused).
  const compose: ComposeSettings | undefined =
    settings?.compose ?? quietly(() => stackStages.config(alone, ["compose", "secrets"]).compose);
  if (compose?.file) result.file = compose.file;
  const ran = new Set<CheckStage>(["settings"]);
  const logged: ReportLine[] = [];
  let definition: AppDefinition<unknown> | undefined;
  if (compose !== undefined) {
    ran.add("app");
    definition = attempt("app", () => {
      const app = compose.file ? (request.app as AppDefinition<unknown>) : (request.app ?? votingApp());
      return stackStages.definition(app, compose, { ...input, log: (_, line) => logged.push(line) });
    });
  }
  result.report = logged;
  let configured: ReturnType<typeof stackStages.configure> | undefined;
  if (settings !== undefined && definition !== undefined) {
    ran.add("configure");
    configured = attempt("configure", () => stackStages.configure(definition, settings));
  }
  let resolved: ReturnType<typeof stackStages.resolve> | undefined;
  if (configured !== undefined) {
    ran.add("resolve");
    resolved = attempt("resolve", () => stackStages.resolve(configured));
  }
  if (resolved !== undefined && configured !== undefined && settings !== undefined) {
    ran.add("plan");
    const planned = attempt("plan", () => stackStages.plan(resolved, settings, configured.where));
    if (planned !== undefined) {
      result.warnings = planned.warnings;
      result.services = resolved.order;
    }
  }
  result.notRun = (Object.keys(CHECK_STAGES) as CheckStage[]).filter((stage) => !ran.has(stage));
  return result;
}

/** What the check prints: its subject, each refusal, what could not run, the warnings, and the verdict. */
export function checkLines(result: CheckResult): string[] {
  const subject = `stack ${result.stack}${result.target === undefined ? "" : `, target ${result.target}`}${result.file === undefined ? "" : `, compose file ${result.file}`}`;
  const lines = [`check of ${subject}: every check pulumi up makes before it creates anything`];
  for (const note of result.notes) lines.push(`note: ${note}`);
  for (const refusal of result.refusals) lines.push(`refused (${CHECK_STAGES[refusal.stage]}): ${refusal.message}`);
  if (result.notRun.length > 0) {
    lines.push(
      `not run: ${result.notRun.map((stage) => CHECK_STAGES[stage]).join(", ")} (${result.notRun.length > 1 ? "they need" : "it needs"} what a refused stage would give: fix the refusals above and check again)`,
    );
  }
  for (const warning of result.warnings) lines.push(`warning: ${warning}`);
  const count = result.refusals.length;
  lines.push(
    count === 0
      ? `ok: pulumi up on stack ${result.stack} passes its checks (${counted((result.services ?? []).length, "service")}: ${listOr(result.services ?? [])})`
      : `${count} ${count === 1 ? "refusal" : "refusals"}: pulumi up on stack ${result.stack} would refuse to deploy`,
  );
  return lines;
}

/** The stack a check is for, and its config file: named, given with --config-file, or dev. */
export function checkedStack(verb: string, given: string | undefined, configFile: string | undefined, dir: string): CheckRequest {
  const stack = given ?? "dev";
  if (!STACK_NAME.test(stack)) {
    throw new UsageError(`${verb}: STACK must be a stack name (letters, digits, _ . -), got ${JSON.stringify(stack)}`);
  }
  if (configFile !== undefined) {
    if (!fs.existsSync(path.resolve(dir, configFile))) throw new UsageError(`${verb}: --config-file ${configFile}: no such file`);
    return { stack, dir, configFile: path.resolve(dir, configFile) };
  }
  if (given !== undefined && !fs.existsSync(path.join(dir, `Pulumi.${stack}.yaml`))) {
    const stacks = fs
      .readdirSync(dir)
      .flatMap((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1] ?? [])
      .sort();
    throw new UsageError(`${verb}: no Pulumi.${stack}.yaml here; stacks here: ${listOr(stacks)}`);
  }
  return { stack, dir };
}

export const checkVerb: Verb = {
  name: "check",
  summary: "every check pulumi up on a stack makes, with every refusal listed (no engine needed; exit 0: the checks pass)",
  positionals: [stackArgumentSpec("the stack the file is checked on (its target, settings and plan)")],
  options: {
    ...COMPOSE_OPTIONS,
    "config-file": {
      type: "string",
      value: "FILE",
      description: "the stack's config file (default: Pulumi.<STACK>.yaml), as pulumi --config-file",
    },
  },
  run(args, io) {
    const request = checkedStack("dockyard check", args.positionals[0], args.values["config-file"] as string | undefined, io.cwd);
    const compose = composeArgument("check", args, io);
    const result = checkStack({ ...request, ...(compose === undefined ? {} : { compose }) });
    io.out(`${checkLines(result).join("\n")}\n`);
    return result.refusals.length === 0 ? 0 : 1;
  },
};
