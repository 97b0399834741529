/**
 * bench/docker-compose.yml is the peer `npm run bench:e2e` measures dockyard against: it must run
 * the voting app as the stack does (the same health checks, limits, commands and networks), or the
 * ratios compare different work. The start order is the one thing it differs in (the apps wait for
 * healthy stores, as the app's compose files do), and docker-compose.started.yml undoes that.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { applyConfig } from "../../stacks/overrides";
import { resolveApp } from "../../stacks/resolve";
import { votingApp } from "../../stacks/votingApp";
import { PASSWORD, stackConfig } from "./stage";

interface ComposeService {
  command?: string[];
  networks: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck: { test: string[]; interval: string; timeout: string; retries: number; start_period: string };
  cpus: number;
  mem_limit: string;
}

const read = (file: string) => parse(fs.readFileSync(path.join(__dirname, "..", "..", "bench", file), "utf8"));
const bench = read("docker-compose.yml") as { services: Record<string, ComposeService> };
const started = read("docker-compose.started.yml") as { services: Record<string, Pick<ComposeService, "depends_on">> };
const app = resolveApp(applyConfig(votingApp, stackConfig({ secrets: { "db-password": PASSWORD } }, "dev")).model);

test("the same five services", () => {
  expect(Object.keys(bench.services).sort()).toEqual(Object.keys(app.services).sort());
});

test.each(Object.keys(app.services).sort())("%s: the stack's health check, limits, command and networks", (name) => {
  const service = app.services[name];
  const compose = bench.services[name];
  const health = service.health!;
  expect(compose.healthcheck).toEqual({
    test: ["CMD", ...health.command],
    interval: `${health.intervalSeconds}s`,
    timeout: `${health.timeoutSeconds}s`,
    retries: health.retries,
    start_period: `${health.startPeriodSeconds}s`,
  });
  expect([compose.cpus, compose.mem_limit]).toEqual([service.limits.cpus, service.limits.memory]);
  expect(compose.command).toEqual(service.command);
  expect([...compose.networks].sort()).toEqual([...service.networks].sort());
});

test("the apps wait for healthy stores in the peer file; laid over it, the started file starts everything together as the stack does", () => {
  for (const name of Object.keys(app.services)) {
    const dependencies = Object.keys(app.services[name].dependsOn).sort();
    const conditions = (file: { services: Record<string, Pick<ComposeService, "depends_on">> }) =>
      Object.entries(file.services[name]?.depends_on ?? {})
        .map(([dependency, { condition }]) => `${dependency}:${condition}`)
        .sort();
    expect(conditions(bench)).toEqual(dependencies.map((dependency) => `${dependency}:service_healthy`));
    expect(conditions(started)).toEqual(dependencies.map((dependency) => `${dependency}:service_started`));
    expect(Object.values(app.services[name].dependsOn).every((condition) => condition === "started")).toBe(true);
  }
});
