// config → app (the voting app, or a compose file) with the stage's settings → resolved once → the target's plan → constructed.
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./stacks/config";
import { applyConfig, ConfiguredApp } from "./stacks/overrides";
import { resolveApp } from "./stacks/resolve";
import { planApp } from "./stacks/targets";
import { votingApp } from "./stacks/votingApp";

const config = loadConfig();
// The fidelity report of a compose file: what carried over with a change (info) and what was ignored (warning).
const report = (line: { path: string; disposition: string; note: string }) =>
  (line.disposition === "ignored" ? pulumi.log.warn : pulumi.log.info)(
    `${config.compose.file}: ${line.path}: ${line.disposition}: ${line.note}`,
  );
// The compose reader is loaded only for a compose file (and stacks/targets loads only the chosen target).
const configured: ConfiguredApp = config.compose.file
  ? applyConfig(
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require("./stacks/compose/app") as typeof import("./stacks/compose/app")).composeApp(config.compose, config.stack, report),
      config,
    )
  : applyConfig(votingApp, config);
const deployed = planApp(resolveApp(configured.model, configured.where), config, configured.where).deploy();

export const target = config.target;
export const urls = deployed.urls;
export const networks = deployed.networks;
export const volumes = deployed.volumes;
export const images = deployed.images;
