/**
 * Reads the scanners' JSON results that tools/scan/run.sh wrote, sets aside the findings the skip
 * list (tools/scan/skips.yaml) covers, prints per scanner and per stage or Dockerfile how many
 * findings are left and which, and exits 1 when any is left (2 when a result cannot be read).
 *
 *   npx ts-node --transpile-only tools/scan/report.ts <results-dir> <skips.yaml>
 *
 * Result files, as run.sh names them:
 *   checkov-kubernetes-<stage>.json   checkov -o json --framework kubernetes on <stage>.yaml
 *   checkov-dockerfile.json           checkov -o json --framework dockerfile on the Dockerfiles
 *   kube-score-<stage>.json           kube-score score -o json on <stage>.yaml
 *   hadolint.json                     hadolint -f json on the Dockerfiles (absent: not run)
 */
import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";

export type Scanner = "checkov" | "kube-score" | "hadolint";
const SCANNERS: Scanner[] = ["checkov", "kube-score", "hadolint"];

/** One complaint: which scanner, where (a stage or a Dockerfile), the check, the object, what it said. */
export interface Finding {
  scanner: Scanner;
  /** "kubernetes" or "dockerfile" for checkov; the scanner's name otherwise. */
  section: string;
  /** A stage name or a Dockerfile path from the checkout's root. */
  target: string;
  id: string;
  title: string;
  /** The object or line the finding is about ("Deployment.prod.vote", "line 16"). */
  object: string;
  /** The scanner's grade or level where it has one (CRITICAL, WARNING, warning, info). */
  level?: string;
  /** Set when the scanned file itself suppresses the finding, which counts for nothing here. */
  suppressedInFile?: boolean;
}

export interface Skip {
  scanner: Scanner;
  id: string;
  why: string;
  in?: string[];
  /** Kubernetes objects as "Kind/name" ("Deployment/db"); without it, every object. */
  objects?: string[];
}

/** Parses and checks the skip list; throws with the entry and the fix. */
export function loadSkips(text: string, file: string): Skip[] {
  const document: unknown = parse(text) ?? {};
  if (typeof document !== "object" || Array.isArray(document)) throw new Error(`${file}: expected a map of scanner -> list of entries`);
  const skips: Skip[] = [];
  for (const [scanner, entries] of Object.entries(document as Record<string, unknown>)) {
    if (!SCANNERS.includes(scanner as Scanner)) {
      throw new Error(`${file}: unknown scanner "${scanner}"; the scanners are ${SCANNERS.join(", ")}`);
    }
    if (entries === null) continue;
    if (!Array.isArray(entries)) throw new Error(`${file}: ${scanner} must be a list of entries, got ${JSON.stringify(entries)}`);
    entries.forEach((entry: Record<string, unknown>, index) => {
      const where = `${file}: ${scanner} entry ${index + 1}`;
      const unknown = Object.keys(entry ?? {}).filter((key) => !["id", "why", "in", "objects"].includes(key));
      if (unknown.length > 0) throw new Error(`${where}: unknown key ${unknown.join(", ")}; the keys are id, why, in, objects`);
      if (typeof entry.id !== "string" || entry.id === "")
        throw new Error(`${where}: id must be the scanner's check id, got ${JSON.stringify(entry.id)}`);
      if (typeof entry.why !== "string" || entry.why.trim() === "") {
        throw new Error(`${where} (${entry.id}): why must say why the check cannot apply, got ${JSON.stringify(entry.why)}`);
      }
      if (entry.in !== undefined && !(Array.isArray(entry.in) && entry.in.every((x) => typeof x === "string") && entry.in.length > 0)) {
        throw new Error(
          `${where} (${entry.id}): in must be a non-empty list of stages or Dockerfile paths, got ${JSON.stringify(entry.in)}`,
        );
      }
      if (
        entry.objects !== undefined &&
        !(
          Array.isArray(entry.objects) &&
          entry.objects.length > 0 &&
          entry.objects.every((x) => typeof x === "string" && /^[A-Za-z]+\/[-.a-z0-9]+$/.test(x))
        )
      ) {
        throw new Error(
          `${where} (${entry.id}): objects must be a non-empty list of Kind/name ("Deployment/db"), got ${JSON.stringify(entry.objects)}`,
        );
      }
      skips.push({
        scanner: scanner as Scanner,
        id: entry.id,
        why: entry.why,
        in: entry.in as string[] | undefined,
        objects: entry.objects as string[] | undefined,
      });
    });
  }
  return skips;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: not the scanner's JSON (${(error as Error).message}); see the scanner's output above`, { cause: error });
  }
}

interface CheckovCheck {
  check_id: string;
  check_name: string;
  file_path: string;
  resource: string;
}
interface CheckovReport {
  check_type: string;
  results: { failed_checks?: CheckovCheck[]; skipped_checks?: CheckovCheck[] };
}

/** checkov prints one report, or a list of them when several frameworks ran; an empty scan prints a bare summary. */
function checkovReports(json: unknown): CheckovReport[] {
  const reports = (Array.isArray(json) ? json : [json]) as Array<Partial<CheckovReport>>;
  return reports.filter((report): report is CheckovReport => report.results !== undefined);
}

export function checkovFindings(json: unknown, section: string, target: (check: CheckovCheck) => string): Finding[] {
  return checkovReports(json)
    .flatMap((report) => [
      ...(report.results.failed_checks ?? []).map((check) => ({ check, suppressedInFile: false })),
      ...(report.results.skipped_checks ?? []).map((check) => ({ check, suppressedInFile: true })),
    ])
    .map(({ check, suppressedInFile }) => ({
      scanner: "checkov" as const,
      section,
      target: target(check),
      id: check.check_id,
      title: check.check_name,
      object: check.resource,
      suppressedInFile,
    }));
}

interface KubeScoreObject {
  object_name: string;
  checks: Array<{
    check: { id: string; name: string; comment: string };
    grade: number;
    skipped: boolean;
    comments: Array<{ path: string; summary: string }> | null;
  }>;
}
const KUBE_SCORE_GRADES: Record<number, string> = { 1: "CRITICAL", 5: "WARNING" };

export function kubeScoreFindings(json: unknown, stage: string): Finding[] {
  return (json as KubeScoreObject[]).flatMap((object) =>
    object.checks
      .filter((check) => !check.skipped && KUBE_SCORE_GRADES[check.grade] !== undefined)
      .map((check) => ({
        scanner: "kube-score" as const,
        section: "kube-score",
        target: stage,
        id: check.check.id,
        title: `${check.check.name}: ${(check.comments ?? []).map((comment) => [comment.path, comment.summary].filter(Boolean).join(" ")).join("; ")}`,
        object: object.object_name,
        level: KUBE_SCORE_GRADES[check.grade],
      })),
  );
}

interface HadolintFinding {
  code: string;
  file: string;
  level: string;
  line: number;
  message: string;
}

export function hadolintFindings(json: unknown): Finding[] {
  return (json as HadolintFinding[]).map((finding) => ({
    scanner: "hadolint",
    section: "hadolint",
    target: finding.file,
    id: finding.code,
    title: finding.message,
    object: `line ${finding.line}`,
    level: finding.level,
  }));
}

/**
 * "Kind/name" of a Kubernetes finding's object: checkov names it Kind.namespace.name, kube-score
 * Kind/group/version/namespace/name (Kind/version/namespace/name in the core group).
 */
export function kindAndName(finding: Finding): string | undefined {
  const parts =
    finding.scanner === "checkov" ? finding.object.split(".") : finding.scanner === "kube-score" ? finding.object.split("/") : [];
  return parts.length >= 2 ? `${parts[0]}/${parts[parts.length - 1]}` : undefined;
}

/** The skip entry covering a finding, if any; suppressions in the scanned file never count. */
export function coveringSkip(finding: Finding, skips: Skip[]): Skip | undefined {
  return skips.find(
    (skip) =>
      skip.scanner === finding.scanner &&
      skip.id === finding.id &&
      (skip.in === undefined || skip.in.includes(finding.target)) &&
      (skip.objects === undefined || skip.objects.includes(kindAndName(finding) ?? "")),
  );
}

/** The findings of every result file in the directory, and which sections ran on which targets. */
function collect(dir: string): { findings: Finding[]; scanned: Map<string, Set<string>>; hadolintRan: boolean } {
  const findings: Finding[] = [];
  const scanned = new Map<string, Set<string>>();
  const ran = (section: string, target: string) => scanned.set(section, (scanned.get(section) ?? new Set()).add(target));
  const files = readdirSync(dir).sort();
  for (const file of files) {
    const full = path.join(dir, file);
    let match: RegExpExecArray | null;
    if ((match = /^checkov-kubernetes-(.+)\.json$/.exec(file))) {
      const stage = match[1];
      ran("checkov kubernetes", stage);
      findings.push(...checkovFindings(readJson(full), "checkov kubernetes", () => stage));
    } else if (file === "checkov-dockerfile.json") {
      const targets = readFileSync(path.join(dir, "dockerfiles.txt"), "utf8").split("\n").filter(Boolean);
      targets.forEach((target) => ran("checkov dockerfile", target));
      // checkov names a file by its path as given, sometimes with a leading "/"; the targets are paths from the root.
      const target = (check: CheckovCheck) => targets.find((t) => check.file_path.replace(/^\/+/, "").endsWith(t)) ?? check.file_path;
      // A Dockerfile's resource is "<path as given>.<instruction>": keep the instruction ("FROM"), or "file" for the whole file.
      const instruction = (f: Finding) => ({
        ...f,
        object: f.object.slice(f.object.lastIndexOf(f.target) + f.target.length + 1) || "file",
      });
      findings.push(...checkovFindings(readJson(full), "checkov dockerfile", target).map(instruction));
    } else if ((match = /^kube-score-(.+)\.json$/.exec(file))) {
      ran("kube-score", match[1]);
      findings.push(...kubeScoreFindings(readJson(full), match[1]));
    } else if (file === "hadolint.json") {
      readFileSync(path.join(dir, "dockerfiles.txt"), "utf8")
        .split("\n")
        .filter(Boolean)
        .forEach((target) => ran("hadolint", target));
      findings.push(...hadolintFindings(readJson(full)));
    }
  }
  return { findings, scanned, hadolintRan: files.includes("hadolint.json") };
}

function main(argv: string[]): number {
  const [dir, skipsFile] = argv;
  if (!dir || !skipsFile) throw new Error("usage: ts-node --transpile-only tools/scan/report.ts <results-dir> <skips.yaml>");
  const skips = loadSkips(readFileSync(skipsFile, "utf8"), path.basename(skipsFile));
  const { findings, scanned, hadolintRan } = collect(dir);
  if (scanned.size === 0) throw new Error(`${dir}: no scanner results`);

  const used = new Set<Skip>();
  const failing: Finding[] = [];
  for (const finding of findings) {
    const skip = coveringSkip(finding, skips);
    if (skip) used.add(skip);
    else failing.push(finding);
  }

  const out: string[] = [];
  for (const [section, targets] of scanned) {
    const inSection = findings.filter((f) => f.section === section);
    out.push(`== ${section}`);
    for (const target of [...targets].sort()) {
      const all = inSection.filter((f) => f.target === target);
      const left = failing
        .filter((f) => f.section === section && f.target === target)
        .sort((a, b) => a.object.localeCompare(b.object) || a.id.localeCompare(b.id));
      out.push(`  ${target}: ${left.length} failing outside the skip list (${all.length - left.length} skipped)`);
      for (const f of left) {
        const flags = [f.level, f.suppressedInFile ? "suppressed in the file, which does not count" : undefined].filter(Boolean);
        out.push(`    ${f.id}  ${f.object}  ${f.title}${flags.length ? `  [${flags.join("; ")}]` : ""}`);
      }
    }
  }
  if (!hadolintRan) out.push("== hadolint: not run (not installed)");

  out.push("== distinct checks failing outside the skip list");
  const distinct = new Map<string, { count: number; title: string; targets: Set<string> }>();
  for (const f of failing) {
    const key = `${f.section}  ${f.id}`;
    const entry = distinct.get(key) ?? {
      count: 0,
      title: f.scanner === "kube-score" ? f.title.split(":")[0] : f.title,
      targets: new Set(),
    };
    entry.count += 1;
    entry.targets.add(f.target);
    distinct.set(key, entry);
  }
  for (const [key, { count, title, targets }] of [...distinct].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`  ${key}  x${count} in ${targets.size}  ${title}`);
  }
  const stale = skips.filter((skip) => !used.has(skip));
  for (const skip of stale)
    out.push(`note: skip ${skip.scanner} ${skip.id} matched nothing; remove it from ${path.basename(skipsFile)} if it no longer applies`);
  out.push(
    `scan: ${failing.length} failing outside the skip list, ${findings.length - failing.length} skipped by ${used.size} skip entries`,
  );
  console.log(out.join("\n"));
  return failing.length > 0 ? 1 : 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(`[scan-report] ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
