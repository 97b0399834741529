/** Runs the whole program (index.ts) under mocks with a given stage config. */
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
