/**
 * The package as Pulumi's component support sees it: the schema it infers from the sources (what
 * `pulumi package add` gives Python and YAML programs) has every component, with named types only,
 * and docs/components.md is that schema as it stands.
 */
import * as fs from "fs";
import * as ts from "typescript";
import { AnalyzeResult } from "@pulumi/pulumi/provider/experimental/analyzer";
import {
  componentNames,
  componentReference,
  componentSources,
  defaults,
  inferSchema,
  REFERENCE,
  typeName,
} from "../../tools/docs/components";

const COMPONENTS = [
  "Autoscaler",
  "ComposeApp",
  "Container",
  "Deployment",
  "Image",
  "KubernetesSecret",
  "Network",
  "NetworkPolicies",
  "RegistrySecret",
  "SwarmSecret",
  "SwarmService",
  "Volume",
];

let schema: AnalyzeResult;
beforeAll(() => {
  // Throws on what Pulumi's schema cannot describe: an inline union, an intersection, a component not exported.
  schema = inferSchema();
}, 120_000);

/** "name: type" for each property, "?" after an optional one's name. */
const signature = (properties: Record<string, { optional?: boolean } & Parameters<typeof typeName>[0]>) =>
  Object.keys(properties)
    .sort()
    .map((name) => `${name}${properties[name].optional ? "?" : ""}: ${typeName(properties[name])}`);

const sources = componentSources;

describe("the component package", () => {
  test("the entry point exports these components, and the schema has each", () => {
    expect(componentNames()).toEqual(COMPONENTS);
    expect(Object.keys(schema.components).sort()).toEqual(COMPONENTS);
  });

  test("each registers under dockyard:index:<its class name>, the token the component provider constructs it by", () => {
    const text = sources()
      .map((file) => fs.readFileSync(file, "utf8"))
      .join("\n");
    const tokens = [...text.matchAll(/super\("(dockyard:[^"]+)"/g)].map((match) => match[1]).sort();
    expect(tokens).toEqual(COMPONENTS.map((name) => `dockyard:index:${name}`));
  });

  test("Container's inputs and outputs, by name and type", () => {
    expect(signature(schema.components.Container.inputs)).toEqual([
      "command?: string[]",
      "configFiles?: ContainerConfigFileArgs[]",
      "cpus?: number",
      "entrypoint?: string[]",
      "env?: map of string",
      "health?: ContainerHealthArgs",
      "image: string",
      "labels?: map of string",
      "maxRestarts?: number",
      "memory?: string",
      "mounts?: ContainerMountArgs[]",
      "name: string",
      "networkMode?: NetworkMode",
      "networks?: ContainerNetworkArgs[]",
      "ports?: ContainerPortArgs[]",
      "restart?: RestartPolicy",
      "secretEnv?: map of string",
      "secretFiles?: ContainerSecretFileArgs[]",
      "security?: SecurityArgs",
      "stopGracePeriodSeconds?: number",
      "user?: string",
      "waitForHealthy?: boolean",
    ]);
    expect(signature(schema.components.Container.outputs)).toEqual(["containerId: string", "containerName: string"]);
    expect(schema.typeDefinitions.RestartPolicy.enum?.map((member) => member.value)).toEqual([
      "no",
      "on-failure",
      "always",
      "unless-stopped",
    ]);
    expect(signature(schema.typeDefinitions.ContainerPortArgs.properties ?? {})).toEqual([
      "containerPort: number",
      "hostIp?: string",
      "hostPort?: number",
      "protocol?: Protocol",
    ]);
  });

  test("ComposeApp's inputs and outputs, by name and type", () => {
    const inputs = signature(schema.components.ComposeApp.inputs);
    expect(inputs).toContain("file: string");
    expect(inputs).toContain("target?: ComposeTarget");
    expect(inputs).toContain("services?: map of ComposeServiceSettings");
    expect(inputs).toContain("secrets?: map of string");
    expect(inputs.filter((input) => !input.includes("?"))).toEqual(["file: string"]);
    expect(signature(schema.components.ComposeApp.outputs)).toEqual([
      "images: map of string",
      "networks: map of string",
      "report: string[]",
      "serviceNames: string[]",
      "urls: map of string",
      "volumes: map of string",
    ]);
    expect(schema.typeDefinitions.ComposeTarget.enum?.map((member) => member.value)).toEqual(["docker", "swarm", "kubernetes"]);
    expect(signature(schema.typeDefinitions.ComposeServiceSettings.properties ?? {})).toEqual([
      "autoscaling?: ComposeAutoscaling",
      "endpointMode?: EndpointMode",
      "image?: string",
      "limits?: ComposeLimits",
      "placement?: ComposePlacement",
      "ports?: map of number",
      "replicas?: number",
      "reservations?: ComposeReservations",
      "restart?: ComposeRestartSettings",
      "rollout?: ComposeRolloutSettings",
      "security?: SecurityArgs",
      "stopGracePeriodSeconds?: number",
    ]);
  });

  test("no two exported types share a name (the schema would silently use the first for both)", () => {
    const names: string[] = [];
    for (const file of sources()) {
      const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022);
      source.forEachChild((node) => {
        const exported = ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
        if (exported && (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isClassDeclaration(node)) && node.name) {
          names.push(node.name.text);
        }
      });
    }
    const repeated = names.filter((name, index) => names.indexOf(name) !== index);
    expect(repeated).toEqual([]);
  });

  test("the reference in docs/ is the schema as it stands (npm run docs rewrites it)", () => {
    expect(fs.readFileSync(REFERENCE, "utf8")).toBe(componentReference(schema, defaults()));
  });
});
