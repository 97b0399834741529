/**
 * Benchmark (not a test): resolves, plans and constructs the Docker target for a synthetic app of
 * 10, 100 and 500 services under Pulumi mocks, each size in a fresh process, and prints wall time, resources
 * registered and peak memory per size, and the growth ratios. `npm run bench`.
 */
import { execFileSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { AppModel, ServiceModel } from "../stacks/model";

const SIZES = [10, 100, 500];

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

async function measure(size: number): Promise<void> {
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
  const started = process.hrtime.bigint();
  const model = syntheticApp(size);
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
  process.stdout.write(JSON.stringify({ size, millis, registered, peakMiB }) + "\n");
}

function main(): void {
  const child = process.argv.indexOf("--size");
  if (child >= 0) {
    void measure(Number(process.argv[child + 1]));
    return;
  }
  const rows = SIZES.map((size) => {
    const out = execFileSync(process.execPath, [...process.execArgv, __filename, "--size", String(size)], { encoding: "utf8" });
    return JSON.parse(out.trim().split("\n").pop() as string) as { size: number; millis: number; registered: number; peakMiB: number };
  });
  console.log("services  resources  time (ms)  ms/service  peak RSS (MiB)");
  for (const row of rows) {
    console.log(
      `${String(row.size).padStart(8)}  ${String(row.registered).padStart(9)}  ${row.millis.toFixed(0).padStart(9)}  ${(row.millis / row.size).toFixed(2).padStart(10)}  ${row.peakMiB.toFixed(0).padStart(14)}`,
    );
  }
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1], rows[i]];
    console.log(
      `${a.size} -> ${b.size} services (x${(b.size / a.size).toFixed(0)}): time x${(b.millis / a.millis).toFixed(2)}, memory x${(b.peakMiB / a.peakMiB).toFixed(2)}`,
    );
  }
}

main();
