/**
 * A compose file as an app definition (dockyard:compose): loaded as docker compose loads it,
 * converted to the app model with a fidelity report, then laid over by the stack config, resolved and
 * deployed like any app. The report goes to the Pulumi log at preview and up.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { z } from "zod";
import { StackConfig } from "../config";
import { AppModel } from "../model";
import { AppDefinition } from "../overrides";
import { ComposeConversion, convertCompose, ReportLine, Setting } from "./convert";
import { ComposeError, loadCompose } from "./load";
import { commandAdvice, literalSecrets, refusedLiteral } from "../secrets";

export interface ComposeSettings {
  file?: string;
  profiles?: string[];
  envFile?: string;
}

/** Reads and converts the file; throws one ComposeError for everything that cannot be deployed. */
export function readCompose(settings: ComposeSettings, stack: string, projectDir = process.cwd(), setting?: Setting): ComposeConversion {
  const file = settings.file as string;
  // Read from the project; named in messages as the user named it.
  const loaded = loadCompose({ file: path.resolve(projectDir, file), name: file, profiles: settings.profiles, envFile: settings.envFile });
  const conversion = convertCompose(loaded, file, projectDir, undefined, setting);
  if (stack !== "dev") refuseLiteralCredentials(conversion, stack);
  return conversion;
}

/**
 * Outside the dev stack, a plain environment value or build argument that looks like a credential
 * (by its name, or by its value) is refused: the file's first, in name order.
 */
function refuseLiteralCredentials(conversion: ComposeConversion, stack: string): void {
  const [found, ...others] = literalSecrets(conversion.model.services);
  if (found === undefined) return;
  const advice =
    found.kind === "command"
      ? commandAdvice(found, "a top-level secret listed under the service's secrets: (read from /run/secrets/<secret>)")
      : found.kind === "env"
        ? `declare a top-level secret, list it under the service's secrets:, set ${found.name}_FILE: /run/secrets/<secret>, and give its value with pulumi config set --secret --path secrets.<secret> <value>`
        : `a build argument stays in the image's history (docker history shows it): give the service the credential when it runs instead, as a top-level secret listed under its secrets: (read from ${found.name}_FILE), or build the image outside the stack and name it with image:`;
  const also = others.map((other) => conversion.where(other.path).replace(/^[^:]*: /, ""));
  throw new ComposeError(refusedLiteral(conversion.where(found.path), found, stack, advice, also));
}

/** A line of the fidelity report as the log and a ComposeApp's `report` show it: "compose.yaml: services.web.ports[0]: changed: ...". */
export function reportText(file: string, line: ReportLine): string {
  return `${file}: ${line.path}: ${line.disposition}: ${line.note}`;
}

/** Logs a report line: what was ignored as a warning, what carried over with a change as info. */
export function logReport(file: string, line: ReportLine, resource?: pulumi.Resource): void {
  (line.disposition === "ignored" ? pulumi.log.warn : pulumi.log.info)(reportText(file, line), resource);
}

/** The app definition of a compose file: no parameters of its own (dockyard:app stays empty). */
export function composeApp(
  settings: ComposeSettings,
  stack: string,
  log?: (line: ReportLine) => void,
  projectDir = process.cwd(),
  setting?: Setting,
): AppDefinition<Record<string, never>> {
  // A ComposeError is the one input error class: it reaches the user unchanged.
  const conversion = readCompose(settings, stack, projectDir, setting);
  if (log) conversion.report.forEach(log);
  const json = JSON.stringify(conversion.model);
  return {
    name: conversion.model.name,
    parameters: z.strictObject({}) as unknown as z.ZodType<Record<string, never>>,
    model: () => JSON.parse(json) as AppModel,
    source: conversion.where,
    checkStage: (config) => checkHostIps(conversion, settings.file as string, config),
  };
}

/**
 * A published port the file binds to one address (127.0.0.1:5432:5432) is never published wider:
 * on Docker dockyard:bindAddress must be that address; a swarm, and a Kubernetes Service other than
 * ClusterIP, publish on every interface of the nodes, so they are refused.
 */
export function checkHostIps(conversion: Pick<ComposeConversion, "hostIps">, file: string, config: StackConfig): void {
  for (const { at, ip } of conversion.hostIps) {
    const asked = `${file}: ${at} binds to ${ip}`;
    const instead = "remove the host IP from the port to publish it as the stage does";
    if (config.target === "docker" && ip.includes(":")) {
      // bindAddress takes IPv4 only: an IPv6 host IP has no setting that honours it.
      const loopback = ["::1", "[::1]"].includes(ip);
      throw new ComposeError(
        `${asked}, an IPv6 address, but published ports bind to ${config.keyPath("bindAddress")}, which takes an IPv4 address only, so the port cannot be bound there: ${loopback ? `write 127.0.0.1 instead of ${ip} to keep it on loopback (with ${config.keyPath("bindAddress")} 127.0.0.1)` : `write the host's IPv4 address instead of ${ip} (and set ${config.keyPath("bindAddress")} to it)`}, or ${instead}`,
      );
    }
    if (config.target === "docker" && config.bindAddress !== ip) {
      throw new ComposeError(
        `${asked}, but published ports bind to ${config.keyPath("bindAddress")} ${JSON.stringify(config.bindAddress)} here: set ${config.keyPath("bindAddress")} to ${ip}, or ${instead}`,
      );
    }
    if (config.target === "swarm") {
      throw new ComposeError(
        `${asked}, but target swarm publishes ports on every interface of its nodes: use target docker, or ${instead}`,
      );
    }
    if (config.target === "kubernetes" && config.serviceType !== "ClusterIP") {
      throw new ComposeError(
        `${asked}, but ${config.keyPath("serviceType")} ${config.serviceType} publishes it on every node: use serviceType ClusterIP, or ${instead}`,
      );
    }
  }
}
