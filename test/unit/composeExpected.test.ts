/**
 * Each good compose sample (test/unit/compose-corpus/good/, and the two examples) converted and
 * resolved, compared exactly with the expected output committed beside it (<file>.expected.json: the
 * app model, the fidelity report and the start order; the project directory written as <project>).
 * `UPDATE_EXPECTED=1 npx jest --config jest.config.js test/unit/composeExpected` rewrites them.
 */
import * as fs from "fs";
import * as path from "path";
import { readCompose } from "../../stacks/compose/app";
import { resolveApp } from "../../stacks/resolve";

const ROOT = path.resolve(__dirname, "../..");
const GOOD = "test/unit/compose-corpus/good";

function samples(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return samples(relative);
    return /\.ya?ml$/.test(entry.name) ? [relative] : [];
  });
}

/** What a sample converts to, as its expected file holds it. */
function output(file: string): string {
  const { model, report } = readCompose({ file }, "dev", ROOT);
  const { order } = resolveApp(model);
  return `${JSON.stringify({ model, report, order }, null, 2).split(ROOT).join("<project>")}\n`;
}

const FILES = [...samples(GOOD).sort(), "examples/voting-compose.yaml", "examples/voting-stack.yaml"];

test.each(FILES)("%s converts to exactly its expected output", (file) => {
  const expectedFile = path.join(ROOT, `${file}.expected.json`);
  const actual = output(file);
  if (process.env.UPDATE_EXPECTED === "1") fs.writeFileSync(expectedFile, actual);
  expect(actual).toBe(fs.readFileSync(expectedFile, "utf8"));
});

test("every expected file belongs to a sample", () => {
  const expected = [...samples(GOOD), "examples/voting-compose.yaml", "examples/voting-stack.yaml"].map((file) => `${file}.expected.json`);
  const found = [GOOD, "examples"].flatMap((dir) =>
    fs
      .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".expected.json"))
      .map((file) => path.posix.join(dir, file.split(path.sep).join("/"))),
  );
  expect(found.sort()).toEqual(expected.sort());
});

test.each(FILES)("%s holds no secret-looking literal: read on the prod stack, it is the same app", (file) => {
  expect(readCompose({ file }, "prod", ROOT).model).toEqual(readCompose({ file }, "dev", ROOT).model);
});
