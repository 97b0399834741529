/** ports ("8080:80", "127.0.0.1:8080:80/udp", "80", or the long form) and expose, with x-dockyard's port names. */
import { shown } from "../../errors";
import { ServicePort } from "../../model";
import { Context, Doc, isMap } from "../context";

export function convertPorts(raw: Doc, at: string, x: Doc, ctx: Context): ServicePort[] {
  const ports: ServicePort[] = [];
  const healthOnly = Array.isArray(x.healthOnlyPorts) ? x.healthOnlyPorts.map(Number) : [];
  const names = isMap(x.portNames) ? x.portNames : {};
  const add = (given: ServicePort, where: string) => {
    const named = names[String(given.containerPort)];
    const port = typeof named === "string" ? { ...given, name: named } : given;
    if (ports.some((other) => other.containerPort === port.containerPort && other.protocol === port.protocol)) {
      ctx.refused.add(where, `lists container port ${port.containerPort}/${port.protocol ?? "tcp"} twice`);
      return;
    }
    ports.push({ ...port, ...(healthOnly.includes(port.containerPort) ? { healthOnly: true } : {}) });
    ctx.origins.record(`${at}.ports.${port.name}`, where);
    if (port.publishMode !== undefined) ctx.origins.record(`${at}.ports.${port.name}.publishMode`, `${where}.mode`);
  };
  const list = raw.ports === undefined ? [] : Array.isArray(raw.ports) ? raw.ports : undefined;
  if (list === undefined) ctx.refused.add(`${at}.ports`, "must be a list");
  (list ?? []).forEach((entry, index) => {
    const where = `${at}.ports[${index}]`;
    const port = isMap(entry) ? longPort(entry, where, ctx) : shortPort(String(entry), where, ctx);
    if (port) add(port, where);
  });
  const expose = raw.expose === undefined ? [] : Array.isArray(raw.expose) ? raw.expose : [];
  expose.forEach((entry, index) => {
    const where = `${at}.expose[${index}]`;
    const match = /^(\d+)(?:\/(tcp|udp))?$/.exec(String(entry));
    if (!match) {
      ctx.refused.add(where, `${shown(entry)} must be a port like "6379" or "53/udp" (ranges are not supported)`);
      return;
    }
    const protocol = (match[2] ?? "tcp") as "tcp" | "udp";
    if (!ports.some((port) => port.containerPort === Number(match[1]) && (port.protocol ?? "tcp") === protocol)) {
      add(portOf(Number(match[1]), protocol), where);
    }
  });
  return ports;
}

/**
 * A host IP: every interface is reported as narrowed to where the stage binds; another address is
 * kept, to be checked against the stage's binding (stacks/compose/app.ts), never widened.
 */
function hostIp(ip: string, where: string, ctx: Context): void {
  if (isAnyAddress(ip)) {
    ctx.report.push({ path: where, disposition: "changed", note: `host IP ${ip}: published ports bind to ${ctx.setting("bindAddress")}` });
  } else {
    ctx.hostIps.push({ at: where, ip });
  }
}

/** Every interface: 0.0.0.0, or IPv6's ::. */
export const isAnyAddress = (ip: string): boolean => ["0.0.0.0", "::", "[::]"].includes(ip);

function portOf(containerPort: number, protocol: "tcp" | "udp", name?: string, publishedPort?: number): ServicePort {
  return {
    name: name ?? `${protocol}-${containerPort}`,
    containerPort,
    ...(protocol !== "tcp" ? { protocol } : {}),
    ...(publishedPort !== undefined ? { publishedPort } : {}),
  };
}

const SHORT_PORT = /^(?:(?:(\[[0-9a-f:]+\]|\d{1,3}(?:\.\d{1,3}){3}):)?(\d+)?:)?(\d+)(?:\/(tcp|udp))?$/i;

function shortPort(text: string, where: string, ctx: Context): ServicePort | undefined {
  const match = SHORT_PORT.exec(text.trim());
  if (!match) {
    ctx.refused.add(
      where,
      `${shown(text)} is not a port dockyard can publish: write "HOST:CONTAINER", "IP:HOST:CONTAINER" or "CONTAINER", with /udp if needed (ranges are not supported)`,
    );
    return undefined;
  }
  const [, ip, published, target, protocol] = match;
  if (ip !== undefined) hostIp(ip, where, ctx);
  if (published === undefined) {
    ctx.report.push({
      path: where,
      disposition: "changed",
      note: `no host port: compose would pick a random one; here ${target} is reachable on the app's networks only`,
    });
  }
  return portOf(
    Number(target),
    (protocol?.toLowerCase() ?? "tcp") as "tcp" | "udp",
    undefined,
    published === undefined ? undefined : Number(published),
  );
}

function longPort(entry: Doc, where: string, ctx: Context): ServicePort | undefined {
  const target = Number(entry.target);
  if (!Number.isInteger(target)) {
    ctx.refused.add(`${where}.target`, `must be a port number, got ${shown(entry.target)}`);
    return undefined;
  }
  const protocol = entry.protocol === undefined ? "tcp" : String(entry.protocol);
  if (protocol !== "tcp" && protocol !== "udp") {
    ctx.refused.add(`${where}.protocol`, `must be tcp or udp, got ${shown(entry.protocol)}`);
    return undefined;
  }
  if (entry.host_ip !== undefined) hostIp(String(entry.host_ip), `${where}.host_ip`, ctx);
  const mode = entry.mode;
  if (mode !== undefined && mode !== "host" && mode !== "ingress") {
    ctx.refused.add(`${where}.mode`, `${shown(mode)} must be host or ingress`);
    return undefined;
  }
  const published = entry.published === undefined ? undefined : Number(entry.published);
  if (published !== undefined && !Number.isInteger(published)) {
    ctx.refused.add(`${where}.published`, `must be one port number (ranges are not supported), got ${shown(entry.published)}`);
    return undefined;
  }
  if (mode === "host" && published !== undefined) {
    ctx.report.push({
      path: `${where}.mode`,
      disposition: "changed",
      note: `host: on swarm the port is bound on each node that runs a task (one task per node); Docker publishes it on its host as any port; on Kubernetes the Service publishes it as ${ctx.setting("serviceType")} says (NodePort and LoadBalancer: on every node)`,
    });
  }
  const port = portOf(target, protocol, typeof entry.name === "string" ? entry.name : undefined, published);
  return mode === undefined ? port : { ...port, publishMode: mode };
}
