/**
 * docs/components.md: every component's inputs and outputs, from the schema Pulumi itself infers from
 * the TypeScript sources (the one `pulumi package add` serves to Python and YAML programs), so the
 * reference is never written twice. `npm run docs` rewrites it; test/unit/schema.test.ts fails when
 * it drifts.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { Analyzer, AnalyzeResult, PropertyDefinition } from "@pulumi/pulumi/provider/experimental/analyzer";
import { getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";

export const ROOT = path.resolve(__dirname, "../..");
export const REFERENCE = path.join(ROOT, "docs", "components.md");
const PACKAGE = "dockyard";

/** The component classes the package's entry point exports, as the component provider finds them. */
export function componentNames(): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the entry point, as the provider loads it
  const entry = require(path.join(ROOT, "components")) as Record<string, unknown>;
  return getPulumiComponents(entry)
    .map((component) => component.name)
    .sort();
}

/** Pulumi's schema inference over the package, as `pulumi package add` runs it. */
export function inferSchema(): AnalyzeResult {
  const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
  return new Analyzer(ROOT, PACKAGE, packageJson, new Set(componentNames())).analyze();
}

/** The TypeScript sources of the components (components/**\/*.ts). */
export function componentSources(): string[] {
  const files: string[] = [];
  const walk = (dir: string) =>
    fs.readdirSync(dir, { withFileTypes: true }).forEach((entry) => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith(".ts")) files.push(file);
    });
  walk(path.join(ROOT, "components"));
  return files.sort();
}

/**
 * The `@default` of each interface field in the components' sources ("ContainerArgs" → "restart" →
 * `"unless-stopped"`), with those of the interfaces it extends (by name, in these sources): the
 * inferred schema keeps a field's description but drops its tags.
 */
export function defaults(): Map<string, Map<string, string>> {
  const own = new Map<string, Map<string, string>>();
  const bases = new Map<string, string[]>();
  for (const file of componentSources()) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    source.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node)) return;
      const fields = new Map<string, string>();
      for (const member of node.members) {
        if (!ts.isPropertySignature(member) || !ts.isIdentifier(member.name)) continue;
        const tag = ts.getJSDocTags(member).find((candidate) => candidate.tagName.text === "default");
        const text = typeof tag?.comment === "string" ? tag.comment : ts.getTextOfJSDocComment(tag?.comment);
        if (text) fields.set(member.name.text, text.trim());
      }
      own.set(node.name.text, fields);
      bases.set(
        node.name.text,
        (node.heritageClauses ?? []).flatMap((clause) => clause.types.map((type) => type.expression.getText(source))),
      );
    });
  }
  const all = (name: string): Map<string, string> =>
    new Map([...(bases.get(name) ?? []).flatMap((base) => [...all(base)]), ...(own.get(name) ?? [])]);
  return new Map([...own.keys()].map((name) => [name, all(name)]));
}

/** A property's type in words: `string`, `number[]`, `map of ComposeServiceSettings`, `Protocol`. */
export function typeName(property: PropertyDefinition): string {
  if ("$ref" in property) return property.$ref.replace(/^.*[:/]/, "");
  if (property.type === "array" && property.items) return `${typeName(property.items)}[]`;
  if (property.type === "object" && property.additionalProperties) return `map of ${typeName(property.additionalProperties)}`;
  return property.type;
}

const cell = (text: string | undefined) => (text ?? "").replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");

function table(properties: Record<string, PropertyDefinition>, inputs: boolean, fieldDefaults = new Map<string, string>()): string[] {
  const names = Object.keys(properties).sort();
  if (names.length === 0) return ["(none)", ""];
  return [
    inputs ? "| input | type | default | description |" : "| output | type | description |",
    inputs ? "|---|---|---|---|" : "|---|---|---|",
    ...names.map((name) => {
      const property = properties[name];
      const fallback = property.optional ? "" : "required";
      const columns = [
        `\`${name}\``,
        `\`${typeName(property)}\``,
        ...(inputs ? [cell(fieldDefaults.get(name) ?? fallback)] : []),
        cell(property.description),
      ];
      return `| ${columns.join(" | ")} |`;
    }),
    "",
  ];
}

/** The reference page, in Markdown. */
export function componentReference(schema: AnalyzeResult = inferSchema(), fieldDefaults = defaults()): string {
  const lines = [
    "# Components",
    "",
    "<!-- Generated by `npm run docs` (tools/docs/components.ts) from the schema Pulumi infers from the sources; do not edit. -->",
    "",
    "Every component, its inputs and its outputs, as TypeScript programs and, through `pulumi package add`,",
    "Python, Go, .NET and YAML programs see them. The type token of each is `dockyard:index:<Name>`.",
    "An input without a default is required; `-` before a default describes what happens.",
    "",
  ];
  for (const name of Object.keys(schema.components).sort()) {
    const component = schema.components[name];
    lines.push(`## ${name}`, "");
    if (component.description) lines.push(cell(component.description), "");
    lines.push(...table(component.inputs, true, fieldDefaults.get(`${name}Args`)), ...table(component.outputs, false));
  }
  lines.push("## Types", "");
  for (const name of Object.keys(schema.typeDefinitions).sort()) {
    const type = schema.typeDefinitions[name];
    lines.push(`### ${name}`, "");
    if (type.description) lines.push(cell(type.description), "");
    if (type.enum) {
      lines.push(
        "| value | description |",
        "|---|---|",
        ...type.enum.map((member) => `| \`${member.value}\` | ${cell(member.description)} |`),
        "",
      );
    } else {
      lines.push(...table(type.properties ?? {}, true, fieldDefaults.get(name)));
    }
  }
  return lines.join("\n");
}

if (require.main === module) {
  fs.mkdirSync(path.dirname(REFERENCE), { recursive: true });
  fs.writeFileSync(REFERENCE, componentReference());
  console.log(`wrote ${path.relative(ROOT, REFERENCE)}`);
}
