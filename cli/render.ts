/**
 * A picture (cli/picture.ts) as text: Graphviz dot (the source `--format svg` renders through
 * Graphviz's own `dot`) or a Mermaid flowchart (which GitHub renders in Markdown). Both write the boxes,
 * nodes and edges in the picture's order, so the same picture gives the same text.
 */
import { spawnSync } from "child_process";
import { UsageError } from "./args";
import { NodeKind, Picture, PictureBox, PictureNode } from "./picture";

export const FORMATS = ["mermaid", "dot", "svg"] as const;
export type Format = (typeof FORMATS)[number];

const FONT = "Helvetica,Arial,sans-serif";

/** How each kind of node looks in dot. */
const DOT_SHAPES: Record<NodeKind, string> = {
  service: 'shape=box, style="rounded,filled", fillcolor="#e8eef9"',
  // The arrow's point takes room from the text: a wider margin keeps each line inside in any browser's font.
  port: 'shape=cds, style=filled, fillcolor="#fff2cc", margin="0.3,0.06"',
  volume: 'shape=cylinder, style=filled, fillcolor="#e6f4ea"',
  path: 'shape=folder, style=filled, fillcolor="#f1f1f1"',
  secret: 'shape=note, style=filled, fillcolor="#fce8e6"',
  note: "shape=plaintext",
};

/** A dot double-quoted string: backslashes and quotes escaped, lines joined by dot's centred line break. */
function dotString(lines: string[]): string {
  return `"${lines.map((line) => line.replace(/\\/g, "\\\\").replace(/"/g, '\\"')).join("\\n")}"`;
}

/** The picture as a Graphviz digraph. */
export function toDot(picture: Picture): string {
  const byId = new Map(picture.nodes.map((node) => [node.id, node]));
  const out: string[] = [];
  const node = (item: PictureNode, indent: string) =>
    out.push(`${indent}"${item.id}" [label=${dotString(item.lines)}, ${DOT_SHAPES[item.kind]}];`);
  const box = (item: PictureBox, indent: string) => {
    out.push(`${indent}subgraph "cluster_${item.id}" {`);
    out.push(`${indent}  graph [label=${dotString(item.lines)}, style=rounded, color="#5b7db1"];`);
    item.nodes.forEach((id) => node(byId.get(id) as PictureNode, `${indent}  `));
    item.boxes.forEach((inner) => box(inner, `${indent}  `));
    out.push(`${indent}}`);
  };
  out.push(`digraph ${dotString([picture.title])} {`);
  out.push(`  graph [label=${dotString([picture.title, ...picture.notes])}, labelloc=t, rankdir=LR, fontname="${FONT}", fontsize=12];`);
  out.push(`  node [fontname="${FONT}", fontsize=10];`);
  out.push(`  edge [fontname="${FONT}", fontsize=9];`);
  picture.boxes.forEach((item) => box(item, "  "));
  picture.loose.forEach((id) => node(byId.get(id) as PictureNode, "  "));
  for (const edge of picture.edges) {
    out.push(`  "${edge.from}" -> "${edge.to}" [label=${dotString([edge.label])}${edge.style === "dashed" ? ", style=dashed" : ""}];`);
  }
  out.push("}");
  return `${out.join("\n")}\n`;
}

/** How each kind of node opens and closes in Mermaid. */
const MERMAID_SHAPES: Record<NodeKind, [string, string]> = {
  service: ["(", ")"],
  port: [">", "]"],
  volume: ["[(", ")]"],
  path: ["[/", "/]"],
  secret: ["{{", "}}"],
  note: ["[", "]"],
};

/** Mermaid label text: its own entity codes for what would end the label or read as HTML. */
function mermaidText(text: string): string {
  return text.replace(/#/g, "#35;").replace(/"/g, "#34;").replace(/</g, "#60;").replace(/>/g, "#62;");
}

const mermaidLabel = (lines: string[]) => `"${lines.map(mermaidText).join("<br/>")}"`;

/** The picture as a Mermaid flowchart, its title in front matter. */
export function toMermaid(picture: Picture): string {
  const byId = new Map(picture.nodes.map((node) => [node.id, node]));
  const out: string[] = ["---", `title: ${JSON.stringify([picture.title, ...picture.notes].join(" · "))}`, "---", "flowchart LR"];
  const node = (item: PictureNode, indent: string) => {
    const [open, close] = MERMAID_SHAPES[item.kind];
    out.push(`${indent}${item.id}${open}${mermaidLabel(item.lines)}${close}`);
  };
  const box = (item: PictureBox, indent: string) => {
    out.push(`${indent}subgraph ${item.id} [${mermaidLabel(item.lines)}]`);
    item.nodes.forEach((id) => node(byId.get(id) as PictureNode, `${indent}  `));
    item.boxes.forEach((inner) => box(inner, `${indent}  `));
    out.push(`${indent}end`);
  };
  picture.boxes.forEach((item) => box(item, "  "));
  picture.loose.forEach((id) => node(byId.get(id) as PictureNode, "  "));
  for (const edge of picture.edges) {
    out.push(`  ${edge.from} ${edge.style === "dashed" ? "-.->" : "-->"}|${mermaidLabel([edge.label])}| ${edge.to}`);
  }
  return `${out.join("\n")}\n`;
}

/** Why --format svg cannot run here: Graphviz's dot is missing. */
export const NO_DOT =
  "dockyard diagram: --format svg needs Graphviz's dot, which is not installed here: install Graphviz (Debian: apt-get install graphviz), or use --format dot or mermaid";

/** Whether `command` (Graphviz's dot) can be run. */
export function hasDot(command = "dot"): boolean {
  const probe = spawnSync(command, ["-V"], { stdio: "ignore", env: process.env });
  return probe.error === undefined && probe.status === 0;
}

/** Dot source rendered as SVG by Graphviz's dot; UsageError when dot is not installed. */
export function toSvg(dot: string, command = "dot"): string {
  const run = spawnSync(command, ["-Tsvg"], { input: dot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: process.env });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") throw new UsageError(NO_DOT);
  if (run.error !== undefined || run.status !== 0) {
    throw new Error(`${command} -Tsvg failed (exit ${run.status}): ${(run.stderr || String(run.error)).trim()}`);
  }
  return run.stdout;
}
