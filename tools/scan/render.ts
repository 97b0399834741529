/**
 * Renders the Kubernetes objects each Kubernetes stage would create, as plain multi-document YAML,
 * for scanners that read manifests (checkov, kube-score). Each stage file (Pulumi.<stage>.yaml with
 * `dockyard:target: kubernetes`) runs through the whole program (index.ts) under the unit tests'
 * recording Pulumi mocks, with that file's config and a placeholder database password, as
 * test/unit/k8sStages.test.ts runs them; every registered `kubernetes:` resource is written out.
 *
 *   npx ts-node --transpile-only tools/scan/render.ts <out-dir> [stage ...]
 *
 * Writes <out-dir>/<stage>.yaml per stage (all Kubernetes stages when none is named) and prints one
 * line per stage with its object counts by kind. Secret values are redacted; objects that the
 * program leaves unnamed (the provider would auto-name them) get their resource name.
 */
import { mkdirSync, readdirSync, writeFileSync } from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { recorded, secretValue, settle, setupMocks, withoutSecrets } from "../../test/unit/mocks";
import { configFile, stageProgramConfig } from "../../test/unit/stage";

const ROOT = path.join(__dirname, "..", "..");
/** The placeholder password the stages run with; the output is checked not to contain it. */
const PASSWORD = "render-placeholder-password";
const REDACTED = "redacted";

type Manifest = Record<string, unknown> & { metadata?: Record<string, unknown> };

/** The stages whose stack file targets Kubernetes, sorted. */
export function kubernetesStages(): string[] {
  return readdirSync(ROOT)
    .map((file) => /^Pulumi\.([^.]+)\.yaml$/.exec(file)?.[1])
    .filter((stage): stage is string => stage !== undefined)
    .filter((stage) => configFile(`Pulumi.${stage}.yaml`)["dockyard:target"] === "kubernetes")
    .sort();
}

/** "kubernetes:apps/v1:Deployment" -> ["apps/v1", "Deployment"]; the core group has no prefix. */
function apiVersionAndKind(type: string): [string, string] {
  const [, groupVersion, kind] = type.split(":");
  return [groupVersion.replace(/^core\//, ""), kind];
}

/** The value inside a secret envelope, or the value itself. */
function unwrapped(value: unknown): unknown {
  try {
    return secretValue(value);
  } catch {
    return value;
  }
}

/** A Secret's `data` or `stringData` (a secret as a whole, or per key) with each value replaced. */
function redacted(values: unknown, replacement: string): unknown {
  const map = unwrapped(values);
  return map && typeof map === "object" ? Object.fromEntries(Object.keys(map).map((key) => [key, replacement])) : replacement;
}

const KIND_ORDER = ["Namespace", "Secret", "ConfigMap", "PersistentVolumeClaim", "Service", "Deployment"];
const kindRank = (kind: string) => (KIND_ORDER.includes(kind) ? KIND_ORDER.indexOf(kind) : KIND_ORDER.length);

/** The Kubernetes objects the program registered in the last run, in apply order (namespace first). */
function manifests(): Manifest[] {
  const objects = recorded
    .filter((resource) => resource.custom && resource.type.startsWith("kubernetes:"))
    .map((resource) => {
      const [apiVersion, kind] = apiVersionAndKind(resource.type);
      const inputs = withoutSecrets(resource.inputs) as Manifest;
      if (kind === "Secret") {
        if (resource.inputs.stringData !== undefined) inputs.stringData = redacted(resource.inputs.stringData, REDACTED);
        if (resource.inputs.data !== undefined) inputs.data = redacted(resource.inputs.data, Buffer.from(REDACTED).toString("base64"));
      }
      const metadata = { ...(inputs.metadata ?? {}) };
      metadata.name ??= resource.name;
      const manifest: Manifest = { apiVersion, kind, ...inputs, metadata };
      manifest.apiVersion = apiVersion;
      manifest.kind = kind;
      return manifest;
    });
  const key = (m: Manifest) => `${m.metadata?.namespace ?? ""}/${m.metadata?.name}`;
  return objects.sort(
    (a, b) =>
      kindRank(String(a.kind)) - kindRank(String(b.kind)) || String(a.kind).localeCompare(String(b.kind)) || key(a).localeCompare(key(b)),
  );
}

/** Runs index.ts under mocks with the stage's config; a fresh copy of the program's modules each time. */
async function runStage(stage: string): Promise<Manifest[]> {
  await setupMocks(stageProgramConfig(stage, PASSWORD), stage);
  for (const file of Object.keys(require.cache)) {
    const inRepo = file.startsWith(ROOT + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`);
    const isHarness = file.startsWith(path.join(ROOT, "test") + path.sep) || file.startsWith(__dirname + path.sep);
    if (inRepo && !isHarness) delete require.cache[file];
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh load of the program per stage, after the mocks are set
  require(path.join(ROOT, "index"));
  await settle();
  return manifests();
}

async function main(argv: string[]): Promise<void> {
  const [outDir, ...named] = argv;
  if (!outDir) {
    throw new Error("usage: ts-node --transpile-only tools/scan/render.ts <out-dir> [stage ...]");
  }
  const known = kubernetesStages();
  for (const stage of named) {
    if (!known.includes(stage)) {
      throw new Error(`stage "${stage}" is not a Kubernetes stage; the Kubernetes stages are: ${known.join(", ")}`);
    }
  }
  mkdirSync(outDir, { recursive: true });
  for (const stage of named.length > 0 ? named : known) {
    const objects = await runStage(stage);
    const text =
      `# The Kubernetes objects of stage ${stage} (Pulumi.${stage}.yaml), rendered under Pulumi mocks by\n` +
      `# tools/scan/render.ts; secret values redacted.\n` +
      objects.map((object) => stringify(object, { lineWidth: 0, version: "1.1" })).join("---\n");
    if (text.includes(PASSWORD)) throw new Error(`stage ${stage}: the database password would be written in plain text`);
    if (objects.length === 0) throw new Error(`stage ${stage}: the program registered no Kubernetes object`);
    writeFileSync(path.join(outDir, `${stage}.yaml`), text);
    const counts = new Map<string, number>();
    for (const object of objects) counts.set(String(object.kind), (counts.get(String(object.kind)) ?? 0) + 1);
    const summary = [...counts].map(([kind, count]) => `${count} ${kind}`).join(", ");
    console.log(`[render] ${stage}: ${objects.length} objects (${summary}) -> ${path.join(outDir, `${stage}.yaml`)}`);
  }
}

process.on("unhandledRejection", (reason) => {
  console.error("[render]", reason);
  process.exit(1);
});

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`[render] ${error.message}`);
  process.exit(1);
});
