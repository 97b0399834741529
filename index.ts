// config → app (the voting app, or a compose file) with the stage's settings → resolved once → the target's plan → constructed.
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./stacks/config";
import { applyConfig, ConfiguredApp } from "./stacks/overrides";
import { resolveApp } from "./stacks/resolve";
import { AppOutputs } from "./stacks/targets/common";
import { votingApp } from "./stacks/votingApp";

// Only what the stack uses is loaded: the compose reader for a compose file, and one target (the
// Kubernetes SDK alone takes about half a second to load, for nothing on a Docker stack).
/* eslint-disable @typescript-eslint/no-require-imports */
const config = loadConfig();
// The fidelity report of a compose file: what carried over with a change (info) and what was ignored (warning).
const report = (line: { path: string; disposition: string; note: string }) =>
  (line.disposition === "ignored" ? pulumi.log.warn : pulumi.log.info)(
    `${config.compose.file}: ${line.path}: ${line.disposition}: ${line.note}`,
  );
const configured: ConfiguredApp = config.compose.file
  ? applyConfig(
      (require("./stacks/compose/app") as typeof import("./stacks/compose/app")).composeApp(config.compose, config.stack, report),
      config,
    )
  : applyConfig(votingApp, config);
const app = resolveApp(configured.model, configured.where);
let deployed: AppOutputs;
if (config.target === "docker") {
  const docker = require("./stacks/targets/docker") as typeof import("./stacks/targets/docker");
  deployed = docker.deployDocker(docker.planDocker(app, config, configured.where));
} else if (config.target === "swarm") {
  const swarm = require("./stacks/targets/swarm") as typeof import("./stacks/targets/swarm");
  deployed = swarm.deploySwarm(swarm.planSwarm(app, config, configured.where));
} else {
  const kubernetes = require("./stacks/targets/kubernetes") as typeof import("./stacks/targets/kubernetes");
  deployed = kubernetes.deployKubernetes(kubernetes.planKubernetes(app, config, configured.where), config);
}
/* eslint-enable @typescript-eslint/no-require-imports */

export const target = config.target;
export const urls = deployed.urls;
export const networks = deployed.networks;
export const volumes = deployed.volumes;
export const images = deployed.images;
