/**
 * compose-go as the oracle of stacks/compose/load.ts. Every compose file of compose-go's own testdata
 * (at the version tools/compose-oracle/go.mod pins), of test/unit/compose-corpus/good and of
 * examples/ is loaded by compose-go (tools/compose-oracle, built by its build.sh into a cache outside
 * the checkout) and by dockyard's loader, both reduced to the same canonical shape
 * (composeOracle/normalise.ts) and compared field by field. Each file ends as one of:
 *   identical   dockyard loads the model compose-go loads;
 *   refused     dockyard refuses the file (loading or converting it), deliberately: listed in
 *               composeOracle/expected.yaml with the reason and a part of the message;
 *   different   dockyard deploys a model that is not compose-go's, or a file compose-go refuses:
 *               listed with the reason and the differing fields;
 *   both refuse compose-go refuses the file and so does dockyard (testdata written to fail).
 * Anything else fails, as does an entry of expected.yaml that no longer applies. The counts are
 * printed at the end. Both loaders see the same variables: none (an empty environment), so each
 * file's .env and defaults are what interpolation reads.
 *
 * Without Go the oracle cannot be built (nor taken from the cache): the test fails saying so.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { convertCompose } from "../../stacks/compose/convert";
import { loadCompose } from "../../stacks/compose/load";
import { resolveApp } from "../../stacks/resolve";
import { differences, fromDockyard, fromOracle, type Doc } from "./composeOracle/normalise";

const ROOT = path.resolve(__dirname, "../..");
const EXPECTED_FILE = "test/unit/composeOracle/expected.yaml";
/** Files written for the oracle: what load.ts does (interpolation, .env, merges, extends, profiles...), one folder each. */
const PROBES = "test/unit/composeOracle/probes";

interface Refused {
  reason: string;
  /** A part of dockyard's message. */
  message: string;
}
interface Different {
  reason: string;
  /** The fields that differ, as differences() names them. */
  paths?: string[];
  /** A part of compose-go's message, when compose-go refuses the file. */
  composeGo?: string;
}
interface Expected {
  refused: Record<string, Refused>;
  different: Record<string, Different>;
}

const expected = parseYaml(fs.readFileSync(path.join(ROOT, EXPECTED_FILE), "utf8")) as Expected;

/** The oracle's binary and compose-go's testdata beside it, or why there is none. */
function buildOracle(): { bin: string; testdata: string } | { error: string } {
  const started = Date.now();
  try {
    const output = execFileSync("bash", [path.join(ROOT, "tools/compose-oracle/build.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const bin = output.trim().split("\n").pop() as string;
    console.log(`compose oracle: ${bin} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return { bin, testdata: path.join(path.dirname(bin), "testdata") };
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error).trim();
    return { error: `tools/compose-oracle/build.sh failed:\n${stderr}` };
  }
}

const oracle = buildOracle();

interface Sample {
  /** How expected.yaml names it: the repository path, or compose-go:<folder>/<path in its testdata>. */
  name: string;
  file: string;
}

function composeFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file) => path.join(dir, file))
    .sort();
}

function samples(testdata: string): Sample[] {
  const repository = ["test/unit/compose-corpus/good", "examples", PROBES].flatMap((dir) => composeFiles(path.join(ROOT, dir)));
  return [
    ...composeFiles(testdata).map((file) => ({ name: `compose-go:${path.relative(testdata, file)}`, file })),
    ...repository.map((file) => ({ name: path.relative(ROOT, file), file })),
  ];
}

type Outcome =
  | { kind: "identical"; refusal?: string }
  | { kind: "both refuse"; composeGo: string; dockyard: string }
  | { kind: "refused"; message: string; paths: string[] }
  | { kind: "different"; paths: string[]; composeGo?: string };

/** compose-go's model of every file, each loaded as a project of its own, or its error. */
function runOracle(bin: string, files: string[]): Map<string, { model?: Doc; error?: string }> {
  // No variables from this process: each file's .env and its defaults only, as for dockyard below.
  const run = spawnSync(bin, ["--each", "--no-env-resolution", "--no-path-resolution", ...files], {
    encoding: "utf8",
    env: {},
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`${bin} failed: ${run.stderr || String(run.error)}`);
  return new Map(Object.entries(JSON.parse(run.stdout) as Record<string, { model?: Doc; error?: string }>));
}

/** dockyard's refusal of the file, loading, converting or resolving it; undefined when it would deploy it. */
function dockyardRefusal(file: string): string | undefined {
  try {
    const loaded = loadCompose({ file, environment: {} });
    const { model } = convertCompose(loaded, path.basename(file), path.dirname(file));
    resolveApp(model);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function classify(oracleRun: { model?: Doc; error?: string }, sample: Sample): Outcome {
  const refusal = dockyardRefusal(sample.file);
  if (oracleRun.model === undefined) {
    const composeGo = oracleRun.error ?? "(no model and no error)";
    if (refusal !== undefined) return { kind: "both refuse", composeGo, dockyard: refusal };
    return { kind: "different", paths: [], composeGo };
  }
  let paths: string[];
  try {
    const loaded = loadCompose({ file: sample.file, environment: {} });
    paths = differences(fromOracle(oracleRun.model), fromDockyard(loaded.document, String(oracleRun.model.name)));
  } catch (error) {
    return { kind: "refused", message: (error as Error).message, paths: [] };
  }
  if (paths.length === 0) return { kind: "identical", refusal };
  if (refusal !== undefined) return { kind: "refused", message: refusal, paths };
  return { kind: "different", paths };
}

/** What the test found, by outcome, for the counts. */
const counts: Record<string, string[]> = {};
/** Files loaded as compose-go loads them that the converter then refuses (network_mode, privileged...): deliberate, counted only. */
const identicalButRefused: string[] = [];

if ("error" in oracle) {
  test("the compose-go oracle builds", () => {
    throw new Error(oracle.error);
  });
} else {
  const all = samples(oracle.testdata);
  const names = new Set(all.map((sample) => sample.name));
  const models = runOracle(
    oracle.bin,
    all.map((sample) => sample.file),
  );

  test.each(all.map((sample) => [sample.name, sample] as const))("%s loads as compose-go loads it, or is listed", (name, sample) => {
    const outcome = classify(models.get(sample.file) ?? { error: "not loaded by the oracle" }, sample);
    const refused = expected.refused?.[name];
    const different = expected.different?.[name];
    const stale = (now: string): Error => new Error(`${name}: ${now}; remove its entry from ${EXPECTED_FILE}`);
    switch (outcome.kind) {
      case "identical":
        if (refused !== undefined || different !== undefined) throw stale("dockyard loads it as compose-go does now");
        if (outcome.refusal !== undefined) identicalButRefused.push(name);
        break;
      case "both refuse":
        if (refused !== undefined || different !== undefined) throw stale("compose-go refuses it, and so does dockyard");
        break;
      case "refused":
        if (refused === undefined) {
          throw new Error(
            `${name}: dockyard refuses it and compose-go reads it; list it under refused: in ${EXPECTED_FILE} with the reason, ` +
              `or fix the loader.\n  dockyard: ${outcome.message}\n  differing fields: ${outcome.paths.join(", ") || "(not loaded)"}`,
          );
        }
        if (different !== undefined) throw stale("dockyard refuses it");
        expect(outcome.message).toContain(refused.message);
        break;
      case "different":
        if (different === undefined) {
          throw new Error(
            outcome.composeGo !== undefined
              ? `${name}: compose-go refuses it and dockyard would deploy it; list it under different: in ${EXPECTED_FILE}.\n  compose-go: ${outcome.composeGo}`
              : `${name}: dockyard loads another model than compose-go and would deploy it; fix the loader, or list it under different: in ${EXPECTED_FILE}.\n  differing fields: ${outcome.paths.join(", ")}`,
          );
        }
        if (refused !== undefined) throw stale("dockyard would deploy it");
        if (outcome.composeGo !== undefined)
          expect(outcome.composeGo).toContain(different.composeGo ?? "(composeGo: a part of compose-go's message)");
        else expect(outcome.paths).toEqual(different.paths);
        break;
    }
    const kind = {
      identical: "identical",
      "both refuse": "both refuse",
      refused: "refused with reason",
      different: "different with reason",
    }[outcome.kind];
    (counts[kind] ??= []).push(name);
  });

  test(`every entry of ${EXPECTED_FILE} names a compared file and gives a reason`, () => {
    const entries = { ...expected.refused, ...expected.different };
    expect(Object.keys(entries).filter((name) => !names.has(name))).toEqual([]);
    expect(Object.entries(entries).filter(([, entry]) => typeof entry.reason !== "string" || entry.reason.trim() === "")).toEqual([]);
  });

  afterAll(() => {
    const counted = Object.values(counts).reduce((sum, list) => sum + list.length, 0);
    console.log(
      `compose oracle: ${all.length} files compared: ${counts.identical?.length ?? 0} identical ` +
        `(${identicalButRefused.length} of them refused when converted), ` +
        ["refused with reason", "different with reason", "both refuse"].map((kind) => `${counts[kind]?.length ?? 0} ${kind}`).join(", ") +
        ` (compose-go's testdata written to fail), ${all.length - counted} failing`,
    );
  });
}
