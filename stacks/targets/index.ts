/**
 * The targets, registered in one place: a resolved app and a stage's config give a plan (every check
 * done, nothing registered), and the plan deploys in a scope. Only the chosen target's module is
 * loaded: the Kubernetes SDK alone takes about half a second to load, for nothing on a Docker stack.
 */
import { StackConfig, Target } from "../config";
import { InputError, Where } from "../errors";
import { ResolvedApp } from "../resolve";
import { AppOutputs, DeployScope } from "./common";

/** A checked plan, ready to construct. */
export interface PlannedApp {
  target: Target;
  deploy(scope?: DeployScope): AppOutputs;
}

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, see above */
const TARGETS: Record<Target, (app: ResolvedApp, config: StackConfig, where: Where) => PlannedApp> = {
  docker: (app, config, where) => {
    const docker = require("./docker") as typeof import("./docker");
    const plan = docker.planDocker(app, config, where);
    return { target: "docker", deploy: (scope) => docker.deployDocker(plan, scope) };
  },
  swarm: (app, config, where) => {
    const swarm = require("./swarm") as typeof import("./swarm");
    const plan = swarm.planSwarm(app, config, where);
    return { target: "swarm", deploy: (scope) => swarm.deploySwarm(plan, scope) };
  },
  kubernetes: (app, config, where) => {
    try {
      require.resolve("@pulumi/kubernetes");
    } catch {
      // An optional peer dependency of the package: a Docker-only program does not install it.
      throw new InputError(
        `${config.keyPath("target")} kubernetes needs the @pulumi/kubernetes package beside dockyard: npm install @pulumi/kubernetes`,
      );
    }
    const kubernetes = require("./kubernetes") as typeof import("./kubernetes");
    const plan = kubernetes.planKubernetes(app, config, where);
    return { target: "kubernetes", deploy: (scope) => kubernetes.deployKubernetes(plan, config, scope) };
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The plan of `app` on the config's target; throws InputError for what that target cannot do. */
export function planApp(app: ResolvedApp, config: StackConfig, where: Where): PlannedApp {
  return TARGETS[config.target](app, config, where);
}

export { AppOutputs, DeployScope } from "./common";
