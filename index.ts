// config → app (the voting app, or a compose file) with the stage's settings → resolved once → the target's plan → constructed.
import * as pulumi from "@pulumi/pulumi";
import { composeApp } from "./stacks/compose/app";
import { loadConfig } from "./stacks/config";
import { applyConfig } from "./stacks/overrides";
import { resolveApp } from "./stacks/resolve";
import { deployDocker, planDocker } from "./stacks/targets/docker";
import { deployKubernetes, planKubernetes } from "./stacks/targets/kubernetes";
import { votingApp } from "./stacks/votingApp";

const config = loadConfig();
// The fidelity report of a compose file: what carried over with a change (info) and what was ignored (warning).
const report = (line: { path: string; disposition: string; note: string }) =>
  (line.disposition === "ignored" ? pulumi.log.warn : pulumi.log.info)(
    `${config.compose.file}: ${line.path}: ${line.disposition}: ${line.note}`,
  );
const { model, where } = config.compose.file
  ? applyConfig(composeApp(config.compose, config.stack, report), config)
  : applyConfig(votingApp, config);
const app = resolveApp(model, where);
const deployed =
  config.target === "docker" ? deployDocker(planDocker(app, config, where)) : deployKubernetes(planKubernetes(app, config, where), config);

export const target = config.target;
export const urls = deployed.urls;
export const networks = deployed.networks;
export const volumes = deployed.volumes;
export const images = deployed.images;
