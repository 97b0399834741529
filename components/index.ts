/**
 * dockyard's components. `import { docker, k8s, swarm, ComposeApp } from "dockyard"`, or one module at
 * a time: `dockyard/docker`, `dockyard/k8s`, `dockyard/swarm`, `dockyard/compose`. Importing creates
 * nothing; only constructing a component does.
 */
export * as docker from "./docker";
export * as k8s from "./k8s";
export * as swarm from "./swarm";
export * from "./compose";
export { ValidationError } from "./errors";
