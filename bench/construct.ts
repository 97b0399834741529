/**
 * Benchmark (not a test): resolves, plans and constructs the Docker target for a synthetic app of
 * 10, 100 and 500 services under Pulumi mocks, each size in a fresh process, and prints wall time, resources
 * registered and peak memory per size, and the growth ratios. Then the same at 200 services from a
 * compose file (parse, convert, resolve, construct) beside the 200-service model written in
 * TypeScript. `npm run bench`.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AppModel, ServiceModel } from "../stacks/model";

const SIZES = [10, 100, 500];
/** Services of the compose file measured beside syntheticApp of the same size. */
const COMPOSE_SIZE = 200;

/** N services on two networks; every service after the first two depends on two earlier ones. */
export function syntheticApp(size: number): AppModel {
  const services: Record<string, ServiceModel> = {};
  for (let i = 0; i < size; i++) {
    const name = `svc-${String(i).padStart(4, "0")}`;
    const dependsOn: Record<string, "started" | "healthy"> = {};
    if (i >= 2) {
      dependsOn[`svc-${String(Math.floor(i / 2)).padStart(4, "0")}`] = "healthy";
      dependsOn[`svc-${String(i - 1).padStart(4, "0")}`] = "started";
    }
    services[name] = {
      image:
        i % 3 === 0
          ? { kind: "build", context: "apps/vote", args: { PYTHON_IMAGE: "python:3.12-slim" } }
          : { kind: "pull", ref: "redis:7.4" },
      env: { INDEX: String(i), MODE: "bench" },
      ports: [{ name: "http", containerPort: 8080 }],
      networks: i % 2 === 0 ? ["frontend", "backend"] : ["backend"],
      health: { command: ["healthcheck"] },
      dependsOn,
      limits: { cpus: 0.25, memory: "64m" },
    };
  }
  return {
    name: "bench",
    services,
    networks: { frontend: { subnet: "10.200.0.0/16" }, backend: { subnet: "10.201.0.0/16" } },
    volumes: {},
    secrets: {},
  };
}

/**
 * A compose file shaped like syntheticApp: every third service built (the others pulled), a port on
 * each (every tenth published), the same dependencies and health check, two networks with subnets,
 * and a named volume on every fifth service.
 */
export function syntheticCompose(size: number): string {
  const name = (i: number) => `svc-${String(i).padStart(4, "0")}`;
  const lines = ["name: bench", "services:"];
  const volumes: string[] = [];
  for (let i = 0; i < size; i++) {
    lines.push(`  ${name(i)}:`);
    if (i % 3 === 0) lines.push("    build:", "      context: app", "      args:", "        PYTHON_IMAGE: python:3.12-slim");
    else lines.push("    image: redis:7.4");
    lines.push("    environment:", `      INDEX: "${i}"`, "      MODE: bench");
    if (i % 10 === 0) lines.push("    ports:", `      - "${20000 + i}:8080"`);
    else lines.push('    expose: ["8080"]');
    lines.push(`    networks: [${i % 2 === 0 ? "frontend, backend" : "backend"}]`);
    lines.push(
      "    healthcheck:",
      '      test: ["CMD", "healthcheck"]',
      "      interval: 10s",
      "      timeout: 5s",
      "      retries: 3",
      "      start_period: 10s",
    );
    // As syntheticApp: on its parent (healthy) and its predecessor (started; the one entry when they coincide).
    const dependsOn: Record<string, string> = {};
    if (i >= 2) {
      dependsOn[name(Math.floor(i / 2))] = "service_healthy";
      dependsOn[name(i - 1)] = "service_started";
      lines.push(
        "    depends_on:",
        ...Object.entries(dependsOn).map(([other, condition]) => `      ${other}: { condition: ${condition} }`),
      );
    }
    if (i % 5 === 0) {
      volumes.push(`  data-${name(i)}: {}`);
      lines.push("    volumes:", `      - data-${name(i)}:/data`);
    }
    lines.push(
      "    deploy:",
      "      resources:",
      '        limits: { cpus: "0.25", memory: 64m }',
      "    x-dockyard:",
      '      portNames: { "8080": http }',
    );
  }
  lines.push("networks:");
  for (const [network, subnet] of [
    ["frontend", "10.200.0.0/16"],
    ["backend", "10.201.0.0/16"],
  ]) {
    lines.push(`  ${network}:`, "    ipam:", "      config:", `        - subnet: ${subnet}`);
  }
  lines.push("volumes:", ...volumes);
  return lines.join("\n") + "\n";
}

interface Row {
  size: number;
  millis: number;
  registered: number;
  peakMiB: number;
}

/** Constructs one app in this process and prints its row as JSON: a synthetic model (size) or a compose file. */
async function measure(size: number, composeFile?: string): Promise<void> {
  let registered = 0;
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered++;
        return { id: `${args.name}-id`, state: { ...args.inputs, repoDigest: "sha256:x", imageId: "sha256:y" } };
      },
      call: (args) => args.inputs,
    },
    "dockyard",
    "bench",
  );
  // The synthetic app has no secrets, but the key is required.
  pulumi.runtime.setAllConfig({ "dockyard:secrets": "{}" });
  const { loadConfig } = await import("../stacks/config");
  const { inModel } = await import("../stacks/errors");
  const { resolveApp } = await import("../stacks/resolve");
  const { deployDocker, planDocker } = await import("../stacks/targets/docker");
  const { readCompose } = await import("../stacks/compose/app");
  const started = process.hrtime.bigint();
  const model = composeFile
    ? readCompose({ file: path.basename(composeFile) }, "bench", path.dirname(composeFile)).model
    : syntheticApp(size);
  const where = inModel(model.name);
  deployDocker(planDocker(resolveApp(model, where), loadConfig(), where));
  // Wait until the registrations stop arriving.
  let last = -1;
  while (last !== registered) {
    last = registered;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const millis = Number(process.hrtime.bigint() - started) / 1e6 - 50;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  const row: Row = { size: Object.keys(model.services).length, millis, registered, peakMiB };
  process.stdout.write(JSON.stringify(row) + "\n");
}

/** Runs one measurement in a fresh process, so each peak RSS is its own. */
function child(...args: string[]): Row {
  const out = execFileSync(process.execPath, [...process.execArgv, __filename, ...args], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop() as string) as Row;
}

const columns = (row: Row) =>
  `${String(row.size).padStart(8)}  ${String(row.registered).padStart(9)}  ${row.millis.toFixed(0).padStart(9)}  ${(row.millis / row.size).toFixed(2).padStart(10)}  ${row.peakMiB.toFixed(0).padStart(14)}`;

function main(): void {
  const sizeArg = process.argv.indexOf("--size");
  if (sizeArg >= 0) {
    void measure(Number(process.argv[sizeArg + 1]));
    return;
  }
  const composeArg = process.argv.indexOf("--compose");
  if (composeArg >= 0) {
    void measure(0, process.argv[composeArg + 1]);
    return;
  }
  const rows = SIZES.map((size) => child("--size", String(size)));
  console.log("services  resources  time (ms)  ms/service  peak RSS (MiB)");
  for (const row of rows) console.log(columns(row));
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1], rows[i]];
    console.log(
      `${a.size} -> ${b.size} services (x${(b.size / a.size).toFixed(0)}): time x${(b.millis / a.millis).toFixed(2)}, memory x${(b.peakMiB / a.peakMiB).toFixed(2)}`,
    );
  }

  // The compose file is written outside the project, with its build context ("app": a Dockerfile, checked when the file is read).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-bench-"));
  fs.mkdirSync(path.join(dir, "app"));
  fs.writeFileSync(path.join(dir, "app", "Dockerfile"), "FROM python:3.12-slim\n");
  try {
    const file = path.join(dir, "compose.yaml");
    fs.writeFileSync(file, syntheticCompose(COMPOSE_SIZE));
    const typed = child("--size", String(COMPOSE_SIZE));
    const compose = child("--compose", file);
    console.log("");
    console.log("app (fresh process each)                      services  resources  time (ms)  ms/service  peak RSS (MiB)");
    console.log(`${"TypeScript model (syntheticApp)".padEnd(44)}${columns(typed)}`);
    console.log(`${"compose file (parse, convert, resolve)".padEnd(44)}${columns(compose)}`);
    console.log(
      `compose file vs TypeScript model at ${COMPOSE_SIZE} services: time x${(compose.millis / typed.millis).toFixed(2)}, memory x${(compose.peakMiB / typed.peakMiB).toFixed(2)}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
