/**
 * The targets, registered in one place: a resolved app and a stage's config give a plan (every check
 * done, its warnings as data, nothing registered), and the plan deploys in a scope, showing its
 * warnings first. Only the chosen target's module is loaded: the Kubernetes SDK alone takes about
 * half a second to load, for nothing on a Docker stack.
 */
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, Target } from "../config";
import { InputError, Where } from "../errors";
import { ResolvedApp } from "../resolve";
import { AppOutputs, DeployScope, TargetBackend, TargetPlan } from "./common";

/** A checked plan, ready to construct. */
export interface PlannedApp {
  target: Target;
  /** What the target ignores of the app or the config; deploy shows them before it creates anything. */
  warnings: string[];
  deploy(scope?: DeployScope): AppOutputs;
}

interface Registration {
  /** The target's module, loaded when the target is chosen. */
  load(): TargetBackend<TargetPlan>;
  /** An optional peer dependency the target's module needs, with what the user should run without it. */
  needs?: { module: string; install: string };
}

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, see above */
const TARGETS: Record<Target, Registration> = {
  docker: { load: () => (require("./docker") as typeof import("./docker")).dockerTarget as TargetBackend<TargetPlan> },
  swarm: { load: () => (require("./swarm") as typeof import("./swarm")).swarmTarget as TargetBackend<TargetPlan> },
  kubernetes: {
    load: () => (require("./kubernetes") as typeof import("./kubernetes")).kubernetesTarget as TargetBackend<TargetPlan>,
    // An optional peer dependency of the package: a Docker-only program does not install it.
    needs: { module: "@pulumi/kubernetes", install: "npm install @pulumi/kubernetes" },
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The plan of `app` on the config's target; throws InputError for what that target cannot do. */
export function planApp(app: ResolvedApp, config: StackConfig, where: Where): PlannedApp {
  const registration = TARGETS[config.target];
  if (registration.needs !== undefined) {
    try {
      require.resolve(registration.needs.module);
    } catch {
      throw new InputError(
        `${config.keyPath("target")} ${config.target} needs the ${registration.needs.module} package beside dockyard: ${registration.needs.install}`,
      );
    }
  }
  const target = registration.load();
  const plan = target.plan(app, config, where, { cpus: os.availableParallelism() });
  return {
    target: config.target,
    warnings: plan.warnings,
    deploy: (scope = {}) => {
      for (const warning of plan.warnings) pulumi.log.warn(warning, scope.parent);
      return target.deploy(plan, scope);
    },
  };
}

export { AppOutputs, DeployScope } from "./common";
