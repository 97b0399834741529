// config → app model → target back end → outputs. Everything else lives in stacks/ and components/.
import { loadConfig } from "./stacks/config";
import { deployDocker } from "./stacks/docker";
import { deployKubernetes } from "./stacks/kubernetes";
import { votingApp } from "./stacks/votingApp";

const config = loadConfig();
const app = votingApp(config);
const deployed = config.target === "docker" ? deployDocker(app, config) : deployKubernetes(app, config);

export const target = config.target;
export const urls = deployed.urls;
export const networks = deployed.networks;
export const volumes = deployed.volumes;
export const images = deployed.images;
