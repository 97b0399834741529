/**
 * The component provider's entry point (package.json `main`, the module Pulumi runs when a Python or
 * YAML program uses the package): every component, the Kubernetes ones only where @pulumi/kubernetes
 * is installed beside the package. A folder without it serves the Docker and swarm components and
 * ComposeApp, their schema lists only those, and no Kubernetes provider is asked for.
 */
import { ComposeApp } from "./compose";
import * as docker from "./docker";
import * as swarm from "./swarm";

function kubernetes(): object {
  try {
    require.resolve("@pulumi/kubernetes");
  } catch {
    return {};
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only where it is installed
  return require("./k8s") as object;
}

export = { ComposeApp, docker, swarm, k8s: kubernetes() };
