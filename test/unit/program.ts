/** Runs the whole program (index.ts) under mocks with a given stage config, or the stages up to its deploy; the refusal cases' helper. */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, loadConfig } from "../../stacks/config";
import { applyConfig } from "../../stacks/overrides";
import { resolveApp } from "../../stacks/resolve";
import { planApp } from "../../stacks/targets";
import { votingApp } from "../../stacks/votingApp";
import { recorded, settle, setupMocks } from "./mocks";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the program's exports are Outputs of various shapes
export type ProgramExports = Record<string, any>;

export async function runProgram(config: Record<string, string | object>, stack = "dev"): Promise<ProgramExports> {
  await setupMocks(config, stack);
  let exports: ProgramExports = {};
  await jest.isolateModulesAsync(async () => {
    exports = await import("../../index");
  });
  await settle();
  return exports;
}

/** Runs the program expecting it to throw; returns the message and how many resources were registered. */
export async function programError(
  config: Record<string, string | object>,
  stack = "dev",
): Promise<{ message: string; registered: number }> {
  try {
    await runProgram(config, stack);
  } catch (error) {
    await settle();
    return { message: (error as Error).message, registered: recorded.length };
  }
  throw new Error("the program did not fail");
}

/** Stage config as runProgram takes it: keys without the dockyard: prefix, maps as objects. */
export type Config = Record<string, string | object>;
/** A refusal case: its name, the config over the app's secret, the exact message, and the stack (dev unless given). */
export type RefusedCase = [string, Config, string, string?];

/** The one key every stage needs: the app's secret. */
export const SECRET_CONFIG: Config = { secrets: { "db-password": "s3cret-pass" } };
/** A cluster target with a registry to push the built images to. */
export const CLUSTER: Config = { target: "kubernetes", registry: "localhost:5000" };
/** The private IPv4 ranges, as the subnet messages list them. */
export const PRIVATE_RANGES = "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16";

/** Runs the program with `config` over the app's secret; it must refuse with exactly `message` before registering anything. */
export async function expectRefused(config: Config, message: string, stack = "dev"): Promise<void> {
  const { message: got, registered } = await programError({ ...SECRET_CONFIG, ...config }, stack);
  expect(got).toBe(message);
  expect(registered).toBe(0);
}

/**
 * The stages up to the target's deploy, run in the caller's module registry (not isolated, as
 * runProgram's is) so the caller can capture pulumi.log.warn.
 */
export async function planAndDeploy(values: Config, stack = "dev"): Promise<void> {
  await setupMocks({}, stack);
  const all: Config = { ...SECRET_CONFIG, ...values };
  const raw = (key: string) =>
    all[key] === undefined ? undefined : typeof all[key] === "string" ? (all[key] as string) : JSON.stringify(all[key]);
  const config = loadConfig(raw, stack);
  const { model, where } = applyConfig(votingApp, config);
  const app = resolveApp(model, where);
  // Deploying shows the plan's warnings first, then registers its resources.
  planApp(app, config, where).deploy();
  await settle();
}

/** Every key of Pulumi.yaml with its default, as the engine passes them when a stack sets them. */
export function configDefaults(): Config {
  const defaults: Config = {};
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    // The app's secrets are the test's own (SECRET_CONFIG), as a stack sets them.
    if (key !== "secrets") defaults[key] = typeof spec.default === "string" ? spec.default : (spec.default as object);
  }
  defaults.allowPublicSubnets = "false";
  return defaults;
}

/**
 * pulumi.log.warn's messages in each test of the calling describe block, each with how many resources
 * were registered before it; emptied before each test.
 */
export function capturedWarnings(): Array<{ message: string; registeredBefore: number }> {
  const warnings: Array<{ message: string; registeredBefore: number }> = [];
  beforeEach(() => {
    warnings.length = 0;
    jest.spyOn(pulumi.log, "warn").mockImplementation(async (message: string) => {
      warnings.push({ message, registeredBefore: recorded.length });
    });
  });
  afterEach(() => jest.restoreAllMocks());
  return warnings;
}
