/**
 * program.js, Pulumi.yaml's `main`: the compiled program while its build is newer than every
 * source, the TypeScript sources otherwise. Run in a scratch project beside the real one (so it
 * finds ts-node in node_modules), with file times set by the test.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const root = path.join(__dirname, "..", "..");
const scratch = path.join(root, ".state", `program-test-${process.pid}`);
const at = (file: string, seconds: number) => fs.utimesSync(path.join(scratch, file), seconds, seconds);
const write = (file: string, text: string, seconds: number) => {
  fs.mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
  fs.writeFileSync(path.join(scratch, file), text);
  at(file, seconds);
};
/** What the program run through program.js exports as `from`. */
const ran = () => {
  const run = spawnSync(process.execPath, ["-e", "console.log(require('./program.js').from)"], { cwd: scratch, encoding: "utf8" });
  return (run.stdout + run.stderr).trim();
};
/** With a trace mapper installed as the language host installs one: the program's first trace line, and whether a mapper is left. */
const traced = () => {
  const script =
    "Error.prepareStackTrace = () => 'mapped'; const p = require('./program.js'); console.log(p.trace.split('\\n')[0], typeof Error.prepareStackTrace)";
  const run = spawnSync(process.execPath, ["-e", script], { cwd: scratch, encoding: "utf8" });
  return (run.stdout + run.stderr).trim();
};

beforeEach(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(scratch, { recursive: true });
  fs.copyFileSync(path.join(root, "program.js"), path.join(scratch, "program.js"));
  write("tsconfig.json", '{ "compilerOptions": { "module": "commonjs", "strict": true } }', 1000);
  write(
    "index.ts",
    'import { where } from "./stacks/where";\nexport const from: string = where;\nexport const trace = new Error("at load").stack;\n',
    1000,
  );
  write("stacks/where.ts", 'export const where = "sources";\n', 1000);
  write("components/part.ts", "export const part = 1;\n", 1000);
  write("dist/index.js", 'exports.from = "dist";\nexports.trace = new Error("at load").stack;\n', 2000);
  write("dist/.built", "", 2000);
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

test("a build newer than every source: the compiled program", () => {
  expect(ran()).toBe("dist");
});

test("a source edited after the build (in stacks/, or components/): the sources, through ts-node", () => {
  at("stacks/where.ts", 3000);
  expect(ran()).toBe("sources");
  at("stacks/where.ts", 1000);
  at("components/part.ts", 3000);
  expect(ran()).toBe("sources");
});

test("no build, or a build that did not finish (no stamp): the sources", () => {
  fs.rmSync(path.join(scratch, "dist", ".built"));
  expect(ran()).toBe("sources");
  fs.rmSync(path.join(scratch, "dist"), { recursive: true });
  expect(ran()).toBe("sources");
});

test("files that are not TypeScript do not count", () => {
  write("stacks/notes.md", "edited\n", 3000);
  expect(ran()).toBe("dist");
});

test("compiled, stack traces are not mapped through source maps (one per resource registration); from the sources they are", () => {
  expect(traced()).toBe("Error: at load undefined");
  at("stacks/where.ts", 3000);
  // ts-node maps the sources' traces with its own mapper.
  expect(traced()).toBe("Error: at load function");
});
