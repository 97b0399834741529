/**
 * tools/docs/refusals.ts and its examples (test/unit/refusals.ts): every example of every refusal
 * class ends in exactly its message (a stage's config through the whole program under mocks, before
 * any resource is registered; a bad compose file through readCompose and resolveApp), and
 * docs/refusals.md is the page the examples give.
 */
import * as fs from "fs";
import * as path from "path";
import { readCompose } from "../../stacks/compose/app";
import { InputError } from "../../stacks/errors";
import { resolveApp } from "../../stacks/resolve";
import { REFUSALS_DOC, refusalsDoc } from "../../tools/docs/refusals";
import { expectRefused } from "./program";
import { BAD_CORPUS, ComposeExample, ConfigExample, isCompose, REFUSAL_CLASSES } from "./refusals";

const ROOT = path.resolve(__dirname, "../..");

describe.each(REFUSAL_CLASSES.map((refusal) => [refusal.title, refusal] as const))("%s", (_, refusal) => {
  const configs = refusal.examples.filter((example): example is ConfigExample => !isCompose(example));
  const files = refusal.examples.filter(isCompose);

  if (configs.length > 0) {
    test.each(configs.map((example) => [example.name, example] as const))("stage config: %s", async (__, example) => {
      await expectRefused(example.config, example.message, example.stack);
    });
  }

  if (files.length > 0) {
    test.each(files.map((example) => [example.name, example] as const))("compose file: %s", (__, example: ComposeExample) => {
      const file = `${BAD_CORPUS}/${example.compose}`;
      let refused: unknown;
      try {
        const { model, where } = readCompose({ file }, example.stack ?? "dev", ROOT);
        resolveApp(model, where);
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(InputError);
      expect((refused as Error).message).toBe(`${file}: ${example.message}`);
    });
  }
});

describe("docs/refusals.md", () => {
  test("is the page tools/docs/refusals.ts writes from the examples (npm run docs rewrites it)", () => {
    expect(fs.readFileSync(REFUSALS_DOC, "utf8")).toBe(refusalsDoc());
  });

  test("every class has an example, and titles are distinct", () => {
    expect(REFUSAL_CLASSES.filter((refusal) => refusal.examples.length === 0)).toEqual([]);
    const titles = REFUSAL_CLASSES.map((refusal) => refusal.title);
    expect(new Set(titles).size).toBe(titles.length);
  });
});
