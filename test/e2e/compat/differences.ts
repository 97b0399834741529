/**
 * The differences an upgrade is meant to bring, and the check that nothing else changed, for
 * test/e2e/compat.sh. `intended.json` lists each one: the resource type, the input's path, its value
 * in the baseline and now (absent: null), what `pulumi up` does about it on an upgraded stack, and why.
 *
 *   registrations <baseline.json> <now.json> <out-baseline.json> <out-now.json>
 *     takes the listed differences out of two stages' registrations (written by
 *     registrations.test.ts) where both sides hold exactly the listed values, writes what is left for
 *     `diff -u`, and prints how many it took out, per difference
 *   preview <preview.json>
 *     reads `pulumi preview --json` and fails on any step other than "same", unless each of its
 *     changed inputs is a listed one for its type and the step is the listed kind (update, replace)
 */
import * as fs from "fs";
import * as path from "path";

export interface Difference {
  /** The resource type, as the engine names it ("kubernetes:core/v1:Service"). */
  type: string;
  /** The input's path, one key per level. */
  path: string[];
  /** The value in the baseline's registration; null when absent. Both null: changed at deploy only (an output it takes). */
  baseline: unknown;
  /** The value now; null when absent. */
  now: unknown;
  /** What the engine does to a stack deployed by the baseline. */
  upgrade: "update" | "replace";
  /** Why the difference is worth what it costs the user who upgrades. */
  why: string;
  /**
   * Any value on either side, as long as they differ: for an input whose new value differs per
   * resource (a pod template's containers, each with its own probes). Its upgrade must still be the
   * listed kind (the preview check does not read values).
   */
  anyValue?: boolean;
}

/** A resource this checkout registers that the baseline had no counterpart of (same type and name): created on upgrade. */
export interface Addition {
  type: string;
  why: string;
}

export interface Registration {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  [other: string]: unknown;
}

type Tree = Record<string, unknown>;
const isTree = (value: unknown): value is Tree => typeof value === "object" && value !== null && !Array.isArray(value);

export function loadDifferences(file = path.join(__dirname, "intended.json")): Difference[] {
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { differences: Difference[] }).differences;
}

export function loadAdditions(file = path.join(__dirname, "intended.json")): Addition[] {
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { added?: Addition[] }).added ?? [];
}

/** Takes out of `now` the registrations of a listed added type that the baseline has no counterpart of; returns how many, per type. */
export function takeOutAdded(baseline: Registration[], now: Registration[], additions: Addition[]): number[] {
  const before = new Set(baseline.map((r) => `${r.type} ${r.name}`));
  return additions.map((addition) => {
    let count = 0;
    for (let i = now.length - 1; i >= 0; i--) {
      if (now[i].type === addition.type && !before.has(`${now[i].type} ${now[i].name}`)) {
        now.splice(i, 1);
        count += 1;
      }
    }
    return count;
  });
}

/** Former component type token → the one now; the components declare the former as an alias. */
export function loadRenames(file = path.join(__dirname, "intended.json")): Record<string, string> {
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { renamed?: Record<string, string> }).renamed ?? {};
}

/** A URN or a type with each renamed token in it (a parent's, a type's) replaced by the one now. */
export function renamed(text: string, renames: Record<string, string>): string {
  return text.replace(/(?<=^|::|\$)(dockyard:[A-Za-z0-9]+:[A-Za-z0-9]+)(?=$|::|\$)/g, (token) => renames[token] ?? token);
}

/**
 * The baseline's registrations as this checkout names them: renamed types and parents. Returns how
 * many registrations changed.
 */
export function applyRenames(baseline: Registration[], renames: Record<string, string>): number {
  let count = 0;
  for (const registration of baseline) {
    const options = (registration.options ?? {}) as { parent?: string };
    const type = renamed(registration.type, renames);
    const parent = options.parent === undefined ? undefined : renamed(options.parent, renames);
    if (type !== registration.type || parent !== options.parent) count += 1;
    registration.type = type;
    if (parent !== undefined) options.parent = parent;
  }
  baseline.sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`));
  return count;
}

/** A list's item by its index ("0"), or an object's field. */
function childOf(node: unknown, key: string): unknown {
  if (Array.isArray(node)) return /^\d+$/.test(key) && Number(key) < node.length ? node[Number(key)] : null;
  return isTree(node) && key in node ? node[key] : null;
}

function valueAt(tree: Tree, keys: string[]): unknown {
  let node: unknown = tree;
  for (const key of keys) {
    node = childOf(node, key);
    if (node === null) return null;
  }
  return node;
}

/** Removes the value at keys, then every object on the way that it left empty (a list keeps its items, so the indexes hold). */
function removeAt(tree: Tree | unknown[], keys: string[]): void {
  const [key, ...rest] = keys;
  const child = childOf(tree, key);
  if (child === null) return;
  if (rest.length === 0) {
    if (isTree(tree)) delete tree[key];
    return;
  }
  if (!isTree(child) && !Array.isArray(child)) return;
  removeAt(child, rest);
  if (isTree(tree) && isTree(child) && Object.keys(child).length === 0) delete tree[key];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Takes the listed differences out of both sides, for the resources (matched by type and name) where
 * the baseline holds the listed baseline value and now holds the listed value. Returns how many
 * resources each difference was taken out of, in list order.
 */
export function takeOutIntended(baseline: Registration[], now: Registration[], differences: Difference[]): number[] {
  const before = new Map(baseline.map((r) => [`${r.type} ${r.name}`, r]));
  return differences.map((difference) => {
    let count = 0;
    for (const registration of now) {
      const old = before.get(`${registration.type} ${registration.name}`);
      if (registration.type !== difference.type || old === undefined) continue;
      const was = valueAt(old.inputs, difference.path);
      const is = valueAt(registration.inputs, difference.path);
      if (same(was, is) || (!difference.anyValue && (!same(was, difference.baseline) || !same(is, difference.now)))) continue;
      removeAt(old.inputs, difference.path);
      removeAt(registration.inputs, difference.path);
      count += 1;
    }
    return count;
  });
}

/** A property path as the engine writes it in a detailed diff: `metadata.annotations["pulumi.com/skipAwait"]`. */
export function enginePath(keys: string[]): string {
  return keys
    .map((key, i) =>
      /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? (i === 0 ? key : `.${key}`) : /^\d+$/.test(key) ? `[${key}]` : `[${JSON.stringify(key)}]`,
    )
    .join("");
}

export interface PreviewStep {
  op: string;
  urn: string;
  detailedDiff?: Record<string, unknown> | null;
  diffReasons?: string[] | null;
  replaceReasons?: string[] | null;
}

const OPS: Record<Difference["upgrade"], string[]> = {
  update: ["update"],
  // A replacement shows as one step per phase.
  replace: ["replace", "create-replacement", "delete-replaced"],
};

/**
 * The steps of a preview that are neither "same" nor a listed difference, each with the reason. A
 * changed input is covered when a listed path for the type lies at it, under it or above it (the
 * engine reports an added object as a whole).
 */
export function unexpectedSteps(steps: PreviewStep[], differences: Difference[]): string[] {
  const under = (inner: string, outer: string) => inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
  const related = (a: string, b: string) => a === b || under(a, b) || under(b, a);
  // The phases of a replacement follow its "replace" step, which names the inputs.
  const replaced = new Set(steps.filter((step) => step.op === "replace").map((step) => step.urn));
  const problems: string[] = [];
  for (const step of steps) {
    if (["same", "read", "refresh"].includes(step.op)) continue;
    if (OPS.replace.includes(step.op) && step.op !== "replace" && replaced.has(step.urn)) continue;
    const type = step.urn.split("::")[2]?.split("$").pop() ?? "";
    const listed = differences.filter((d) => d.type === type && OPS[d.upgrade].includes(step.op));
    const changed = Object.keys(step.detailedDiff ?? {});
    const inputs = changed.length > 0 ? changed : [...new Set([...(step.diffReasons ?? []), ...(step.replaceReasons ?? [])])];
    const uncovered = inputs.filter((input) => !listed.some((d) => related(enginePath(d.path), input)));
    if (inputs.length === 0) problems.push(`${step.op} ${step.urn}: no changed input named`);
    else if (uncovered.length > 0) problems.push(`${step.op} ${step.urn}: ${uncovered.join(", ")}`);
  }
  return problems;
}

function main(argv: string[]): number {
  const differences = loadDifferences();
  if (argv[0] === "registrations" && argv.length === 5) {
    const [baselineFile, nowFile, baselineOut, nowOut] = argv.slice(1);
    const baseline = JSON.parse(fs.readFileSync(baselineFile, "utf8")) as Registration[];
    const now = JSON.parse(fs.readFileSync(nowFile, "utf8")) as Registration[];
    const moved = applyRenames(baseline, loadRenames());
    const counts = takeOutIntended(baseline, now, differences);
    const additions = loadAdditions();
    const addedCounts = takeOutAdded(baseline, now, additions);
    fs.writeFileSync(baselineOut, JSON.stringify(baseline, null, 1));
    fs.writeFileSync(nowOut, JSON.stringify(now, null, 1));
    const taken = differences.map((d, i) => [d, counts[i]] as const).filter(([, count]) => count > 0);
    const listed = taken.map(([d, count]) => `${count} ${d.type.split(":").pop()} ${d.path.join(".")}`);
    if (moved > 0) listed.unshift(`${moved} under a renamed type token (aliased)`);
    additions.forEach((a, i) => addedCounts[i] > 0 && listed.push(`${addedCounts[i]} ${a.type.split(":").pop()} added`));
    console.log(listed.join("; ") || "none");
    return 0;
  }
  if (argv[0] === "preview" && argv.length === 2) {
    const preview = JSON.parse(fs.readFileSync(argv[1], "utf8")) as { steps?: PreviewStep[] };
    const problems = unexpectedSteps(preview.steps ?? [], differences);
    for (const problem of problems) console.log(problem);
    return problems.length === 0 ? 0 : 1;
  }
  console.error(
    "usage: differences.ts registrations <baseline.json> <now.json> <out-baseline.json> <out-now.json> | preview <preview.json>",
  );
  return 2;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
