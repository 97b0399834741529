/**
 * Why a Kubernetes rollout failed, for `dockyard up`: a Deployment whose update the engine gave up on
 * (its progress deadline passed, its pods never ready) is shown with its newest pod's state, the last
 * events about that pod (reason and message, as `kubectl describe pod` lists them) and its last log
 * lines. Read with kubectl, as `dockyard ps` and `dockyard logs` read the cluster (cli/runtime.ts): the
 * stack's kubeconfig, context and namespace. The formatting is pure, so a test drives it with
 * recorded events.
 */
import type { StackConfig } from "../stacks/config";
import type { FailedResource } from "./progress";
import { urnName } from "./progress";
import { EngineCommand, kubectlCommand, runEngine } from "./runtime";

/** The log lines shown of the failing pod. */
export const LOG_LINES = 20;
/** The events shown of the failing pod (the newest). */
export const EVENT_LINES = 10;

/** An Event as `kubectl get events -o json` lists it (core/v1), the fields read here. */
export interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string } | null;
}

/** A Pod, the fields read here. */
export interface KubePod {
  metadata: { name: string; creationTimestamp?: string };
  status?: {
    phase?: string;
    containerStatuses?: Array<{
      name: string;
      ready?: boolean;
      restartCount?: number;
      state?: Record<string, { reason?: string; exitCode?: number } | undefined>;
    }>;
  };
}

/** When an event last happened: its series', its lastTimestamp, its eventTime, or its first. */
function lastSeen(event: KubeEvent): string {
  return event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? "";
}

/** The newest pod (latest creation; the last name on a tie), or undefined for none. */
export function newestPod(pods: KubePod[]): KubePod | undefined {
  return [...pods].sort(
    (a, b) =>
      (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") ||
      a.metadata.name.localeCompare(b.metadata.name),
  )[pods.length - 1];
}

/** "Running, not ready (app: ready false, 3 restarts)" or "Pending (app: waiting ImagePullBackOff)". */
export function podState(pod: KubePod): string {
  const containers = (pod.status?.containerStatuses ?? []).map((status) => {
    const [state, detail] = Object.entries(status.state ?? {}).find(([, value]) => value !== undefined) ?? ["unknown", undefined];
    const why = detail?.reason ?? (detail?.exitCode === undefined ? "" : `exit ${detail.exitCode}`);
    const restarts = status.restartCount ? `, ${status.restartCount} restart${status.restartCount === 1 ? "" : "s"}` : "";
    return `${status.name}: ${state}${why ? ` ${why}` : ""}${status.ready ? ", ready" : ", not ready"}${restarts}`;
  });
  return `${pod.status?.phase ?? "Unknown"}${containers.length > 0 ? ` (${containers.join("; ")})` : ""}`;
}

/** An event as one line: type, reason, message, how often. */
export function eventLine(event: KubeEvent): string {
  const count = event.series?.count ?? event.count ?? 1;
  const message = (event.message ?? "").trim().split("\n").join(" ");
  return `${event.type ?? "Normal"} ${event.reason ?? "-"}: ${message}${count > 1 ? ` (x${count})` : ""}`;
}

/**
 * The lines under a failed Deployment: its newest pod and state, that pod's last events (oldest first)
 * and its last log lines; what could not be read says so instead.
 */
export function rolloutLines(
  deployment: string,
  pod: KubePod | undefined,
  events: KubeEvent[] | string,
  logs: string | { error: string },
): string[] {
  if (pod === undefined) return [`  Deployment ${deployment}: no pod of it was found`];
  const lines = [`  Deployment ${deployment}: newest pod ${pod.metadata.name}, ${podState(pod)}`];
  if (typeof events === "string") lines.push(`    events: not read (${events})`);
  else if (events.length === 0) lines.push("    events: none");
  else {
    const newest = [...events].sort((a, b) => lastSeen(a).localeCompare(lastSeen(b))).slice(-EVENT_LINES);
    lines.push(
      `    last ${newest.length === 1 ? "event" : `${newest.length} events`}:`,
      ...newest.map((event) => `      ${eventLine(event)}`),
    );
  }
  if (typeof logs !== "string") lines.push(`    logs: not read (${logs.error})`);
  else {
    const text = logs.replace(/\n+$/, "");
    const last = text === "" ? [] : text.split("\n").slice(-LOG_LINES);
    if (last.length === 0) lines.push("    logs: none");
    else lines.push(`    last ${last.length === 1 ? "log line" : `${last.length} log lines`}:`, ...last.map((line) => `      ${line}`));
  }
  return lines;
}

/** The Deployment's name and namespace: from the step's inputs, else the resource's name and the stack's namespace. */
export function deploymentOf(failure: FailedResource, namespace: string): { name: string; namespace: string } {
  const metadata = (failure.inputs?.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  return {
    name: typeof metadata.name === "string" && metadata.name !== "" ? metadata.name : urnName(failure.urn),
    namespace: typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : namespace,
  };
}

/** What failed, read from the cluster: the lines for each failed Deployment (nothing for other resources). */
export function rolloutDiagnosis(
  config: Pick<StackConfig, "kubeconfig" | "kubeContext" | "namespace">,
  failures: FailedResource[],
  kubectl: (namespace: string) => EngineCommand = (namespace) => kubectlCommand({ ...config, namespace }),
): string[] {
  const lines: string[] = [];
  for (const failure of failures) {
    if (!/^kubernetes:apps\/v1:Deployment$/.test(failure.type)) continue;
    const { name, namespace } = deploymentOf(failure, config.namespace);
    const command = kubectl(namespace);
    const read = <T>(args: string[]): T | string => {
      try {
        return JSON.parse(runEngine(command, args)) as T;
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    };
    const deployment = read<{ spec?: { selector?: { matchLabels?: Record<string, string> } } }>(["get", "deployment", name, "-o", "json"]);
    if (typeof deployment === "string") {
      lines.push(`  Deployment ${name}: not read (${deployment})`);
      continue;
    }
    const labels = deployment.spec?.selector?.matchLabels ?? {};
    const selector = Object.keys(labels)
      .sort()
      .map((key) => `${key}=${labels[key]}`)
      .join(",");
    const pods = read<{ items: KubePod[] }>(["get", "pods", "-l", selector, "-o", "json"]);
    if (typeof pods === "string") {
      lines.push(`  Deployment ${name}: its pods not read (${pods})`);
      continue;
    }
    const pod = newestPod(pods.items);
    if (pod === undefined) {
      lines.push(...rolloutLines(name, undefined, [], ""));
      continue;
    }
    const events = read<{ items: KubeEvent[] }>([
      "get",
      "events",
      "--field-selector",
      `involvedObject.kind=Pod,involvedObject.name=${pod.metadata.name}`,
      "-o",
      "json",
    ]);
    let logs: string | { error: string };
    try {
      logs = runEngine(command, ["logs", pod.metadata.name, "--all-containers", "--tail", String(LOG_LINES)]);
    } catch (error) {
      logs = { error: error instanceof Error ? error.message : String(error) };
    }
    lines.push(...rolloutLines(name, pod, typeof events === "string" ? events : events.items, logs));
  }
  return lines;
}
