/**
 * A generated adversarial suite: stage config values and compose documents, biased toward near-valid
 * values, each through the config loader (or the compose loader and converter), applyConfig,
 * resolveApp and the three pure plans. Every input must end in a refusal naming what the user wrote,
 * or in plans that hold the invariants of ./adversarial/invariants.ts; the prototypes of every object
 * must be as they were. The seed is fixed (DOCKYARD_FC_SEED overrides it; fast-check prints the seed
 * and the shrunk input of a failure); DOCKYARD_FC_RUNS scales the run counts.
 */
import fc from "fast-check";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { composeApp } from "../../stacks/compose/app";
import { loadCompose } from "../../stacks/compose/load";
import { loadConfig, StackConfig } from "../../stacks/config";
import { applyConfig, AppDefinition } from "../../stacks/overrides";
import { ResolvedApp, resolveApp } from "../../stacks/resolve";
import { DockerPlan, planDocker } from "../../stacks/targets/docker";
import { KubernetesPlan, planKubernetes } from "../../stacks/targets/kubernetes";
import { planSwarm, SwarmPlan } from "../../stacks/targets/swarm";
import { ReportLine } from "../../stacks/compose/convert";
import { votingApp } from "../../stacks/votingApp";
import { composeDocument, composeText, stageValues } from "./adversarial/generators";
import {
  AskedBindings,
  checkDocker,
  checkKubernetes,
  checkNoEcho,
  checkRefusal,
  checkSwarm,
  HOST_MOUNTS_REFUSED,
  prototypeGuard,
} from "./adversarial/invariants";
import { Where } from "../../stacks/errors";

// The swarm plan names each secret by an scrypt fingerprint of its value (tens of milliseconds each);
// the suite's secret never changes, so each fingerprint is worked out once.
jest.mock("crypto", () => {
  const actual = jest.requireActual<typeof crypto>("crypto");
  const known = new Map<string, Buffer>();
  return {
    ...actual,
    scryptSync: (text: string, salt: string, length: number) => {
      const key = JSON.stringify([text, salt, length]);
      if (!known.has(key)) known.set(key, actual.scryptSync(text, salt, length));
      return known.get(key) as Buffer;
    },
  };
});

const SEED = Number(process.env.DOCKYARD_FC_SEED ?? 20240624);
const SCALE = Number(process.env.DOCKYARD_FC_RUNS ?? 1);
const runs = (count: number) => Math.max(1, Math.round(count * SCALE));
const TARGETS = ["docker", "swarm", "kubernetes"] as const;

let prototypes: ReturnType<typeof prototypeGuard>;
beforeAll(() => {
  prototypes = prototypeGuard();
});

/** Nothing written onto Object.prototype, Object or Function.prototype by the run just done. */
function checkPrototypes(): void {
  prototypes.check();
  if (({} as Record<string, unknown>).polluted !== undefined) throw new Error("invariant broken: Object.prototype.polluted is set");
}

/**
 * Refusals of a target's plan that name a component rather than the key the user wrote: found by
 * this suite, open in stacks/targets (not this suite's to change). Each is a refusal still, before
 * anything is created; listed so that the suite guards every other class meanwhile.
 */
const OPEN_IN_TARGETS: RegExp[] = [];

/** Each of the three plans of a resolved app, the config's target swapped in; each either refuses or holds its invariants. */
function planAll(app: ResolvedApp, config: StackConfig, where: Where, names: RegExp, input: string, asked?: AskedBindings): Plans {
  const plans: Plans = {};
  for (const target of TARGETS) {
    const stage = { ...config, target };
    try {
      if (target === "docker") checkDocker((plans.docker = planDocker(app, stage, where)), stage, asked);
      if (target === "swarm") checkSwarm((plans.swarm = planSwarm(app, stage, where)), asked);
      if (target === "kubernetes") checkKubernetes((plans.kubernetes = planKubernetes(app, stage, where)), asked);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("invariant broken")) throw error;
      if (error instanceof Error && OPEN_IN_TARGETS.some((open) => open.test(error.message))) continue;
      checkRefusal(error, names, input);
    }
  }
  return plans;
}

interface Plans {
  docker?: DockerPlan;
  swarm?: SwarmPlan;
  kubernetes?: KubernetesPlan;
}

/** A stage's values as the engine passes them: text as is, the rest as JSON. */
function rawConfig(values: Record<string, unknown>, secrets: object): Record<string, string> {
  const raw: Record<string, string> = { secrets: JSON.stringify(secrets) };
  for (const [key, value] of Object.entries(values)) {
    if (key === "stray") {
      if (typeof value === "string") raw[value] = "1";
      continue;
    }
    raw[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return raw;
}

const CONFIG_KEY = /dockyard:/;
const tally = { configInputs: 0, configPlans: 0, composeInputs: 0, composePlans: 0 };

describe("generated stage config: refused naming a dockyard key, or plans that hold the invariants", () => {
  test("stage config values through loadConfig, applyConfig, resolveApp and the three plans", () => {
    fc.assert(
      fc.property(stageValues, fc.constantFrom("dev", "staging"), (values, stack) => {
        tally.configInputs++;
        const raw = rawConfig(values, { "db-password": "s3cret-pass" });
        try {
          const config = loadConfig((key) => raw[key], stack, Object.keys(raw));
          const configured = applyConfig(votingApp, config);
          const app = resolveApp(configured.model, configured.where, configured.fromConfig);
          tally.configPlans += Object.keys(planAll(app, config, configured.where, CONFIG_KEY, JSON.stringify(raw))).length;
        } catch (error) {
          if (error instanceof Error && error.message.startsWith("invariant broken")) throw error;
          checkRefusal(error, CONFIG_KEY, JSON.stringify(raw));
        } finally {
          checkPrototypes();
        }
      }),
      { seed: SEED, numRuns: runs(6000) },
    );
  });
});

/** Where each compose port asked to be bound: its host IP, by service and container port. */
function askedBindings(document: Record<string, unknown>): AskedBindings {
  const asked: AskedBindings = new Map();
  const services = document.services;
  if (services === null || typeof services !== "object") return asked;
  for (const [name, service] of Object.entries(services)) {
    const ports = (service as { ports?: unknown } | null)?.ports;
    if (!Array.isArray(ports)) continue;
    const bindings = new Map<number, string>();
    for (const entry of ports) {
      if (typeof entry === "string") {
        const match = /^(\[[0-9a-f:]+\]|\d{1,3}(?:\.\d{1,3}){3}):(\d*):(\d+)/i.exec(entry);
        if (match) bindings.set(Number(match[3]), match[1]);
      } else if (entry !== null && typeof entry === "object" && "host_ip" in entry) {
        bindings.set(Number((entry as { target?: unknown }).target), String((entry as { host_ip: unknown }).host_ip));
      }
    }
    asked.set(name, bindings);
  }
  return asked;
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Docker's restart policy for a compose `restart:` value. */
const RESTART: Record<string, string> = {
  no: "no",
  always: "unless-stopped",
  "unless-stopped": "unless-stopped",
  "on-failure": "on-failure",
};
/** The long-form mount keys the model has a field for. */
const MOUNT_FIELDS = ["type", "source", "target", "read_only"];

/**
 * Nothing of a deployed compose file silently different: each long-form mount key without a model
 * field, and each volume driver option, is reported (or the file refused); `restart:` is Docker's
 * policy; no health check runs an empty command.
 */
function checkCarried(document: Record<string, unknown>, report: ReportLine[], docker?: DockerPlan): void {
  const reported = (path: string) => report.some((line) => line.path === path || line.path.startsWith(`${path}.`));
  const broken = (what: string) => {
    throw new Error(`invariant broken: ${what}`);
  };
  for (const [name, volume] of Object.entries(isMapping(document.volumes) ? document.volumes : {})) {
    if (!isMapping(volume)) continue;
    const opts = volume.driver_opts;
    if (opts !== undefined && !(isMapping(opts) && Object.keys(opts).length === 0))
      broken(`volumes.${name}.driver_opts deployed as a local volume`);
    if (volume.driver !== undefined && volume.driver !== "local")
      broken(`volumes.${name}.driver ${JSON.stringify(volume.driver)} deployed as local`);
  }
  for (const [name, service] of Object.entries(isMapping(document.services) ? document.services : {})) {
    if (!isMapping(service)) continue;
    (Array.isArray(service.volumes) ? service.volumes : []).forEach((mount, index) => {
      if (!isMapping(mount)) return;
      for (const key of Object.keys(mount)) {
        const path = `services.${name}.volumes[${index}].${key}`;
        if (!MOUNT_FIELDS.includes(key) && !(key === "tmpfs" && mount.type === "tmpfs") && !reported(path)) broken(`${path} dropped`);
      }
    });
    const deployed = docker?.containers.filter((container) => container.service === name) ?? [];
    const restart = typeof service.restart === "string" ? RESTART[service.restart.split(":")[0]] : undefined;
    const policy = isMapping(service.deploy) && service.deploy.restart_policy !== undefined;
    for (const container of deployed) {
      if (restart !== undefined && !policy && container.args.restart !== restart) {
        broken(`services.${name}.restart ${JSON.stringify(service.restart)} deployed as ${container.args.restart}`);
      }
      const command = container.args.health?.command ?? [];
      if (command.length === 0 || (command[0] === "sh" && command[1] === "-c" && (command[2] ?? "").trim() === "")) {
        if (container.args.health !== undefined) broken(`services.${name}.healthcheck runs no command: ${JSON.stringify(command)}`);
      }
    }
  }
}

/** A stage for a compose file: no secrets, a registry so Kubernetes can push what it builds. */
function composeStage(target: string, bindAddress: string): StackConfig {
  const raw = rawConfig({ target, bindAddress, registry: "localhost:5000" }, {});
  return loadConfig((key) => raw[key], "dev", Object.keys(raw));
}

const COMPOSE_KEY = /compose\.yaml|dockyard:/;

describe("generated compose documents: refused naming the file and key, or plans that hold the invariants", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-adversarial-"));
  const file = path.join(dir, "compose.yaml");

  test("compose documents through loadCompose, convertCompose, applyConfig, resolveApp and the three plans", () => {
    fc.assert(
      fc.property(
        composeDocument,
        fc.constantFrom("docker", "swarm", "kubernetes"),
        fc.constantFrom("127.0.0.1", "0.0.0.0"),
        (document, target, bind) => {
          tally.composeInputs++;
          const text = stringify(document);
          fs.writeFileSync(file, text);
          try {
            const config = composeStage(target, bind);
            const report: ReportLine[] = [];
            const definition: AppDefinition<Record<string, never>> = composeApp(
              { file: "compose.yaml" },
              "dev",
              (line) => report.push(line),
              dir,
            );
            const configured = applyConfig(definition, config);
            const app = resolveApp(configured.model, configured.where, configured.fromConfig);
            const plans = planAll(app, config, configured.where, COMPOSE_KEY, text, askedBindings(document));
            tally.composePlans += Object.keys(plans).length;
            checkCarried(document, report, plans.docker);
          } catch (error) {
            if (error instanceof Error && error.message.startsWith("invariant broken")) throw error;
            checkRefusal(error, COMPOSE_KEY, text);
          } finally {
            checkPrototypes();
          }
        },
      ),
      { seed: SEED, numRuns: runs(6000) },
    );
  });

  test("compose text: the loader refuses what it cannot read as one ComposeError, never echoing the file", () => {
    fc.assert(
      fc.property(composeText, (text) => {
        fs.writeFileSync(file, text);
        try {
          loadCompose({ file, name: "compose.yaml", environment: {} });
        } catch (error) {
          checkRefusal(error, /^compose\.yaml: /, text);
          checkNoEcho((error as Error).message, text);
        } finally {
          checkPrototypes();
        }
      }),
      { seed: SEED, numRuns: runs(300) },
    );
  });
});

afterAll(() => {
  // The counts behind the suite's claim (≥ 10,000 inputs through config or compose, resolve and the plans).
  if (process.env.DOCKYARD_FC_TALLY) console.log(JSON.stringify({ ...tally, hostMountsRefused: HOST_MOUNTS_REFUSED }));
});
