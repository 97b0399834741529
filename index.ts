// config → app model with the stage's settings → resolved once → the target's plan → constructed.
import { loadConfig } from "./stacks/config";
import { applyConfig } from "./stacks/overrides";
import { resolveApp } from "./stacks/resolve";
import { deployDocker, planDocker } from "./stacks/targets/docker";
import { deployKubernetes, planKubernetes } from "./stacks/targets/kubernetes";
import { votingApp } from "./stacks/votingApp";

const config = loadConfig();
const { model, where } = applyConfig(votingApp, config);
const app = resolveApp(model, where);
const deployed =
  config.target === "docker" ? deployDocker(planDocker(app, config, where)) : deployKubernetes(planKubernetes(app, config, where), config);

export const target = config.target;
export const urls = deployed.urls;
export const networks = deployed.networks;
export const volumes = deployed.volumes;
export const images = deployed.images;
