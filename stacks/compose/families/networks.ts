/**
 * A service's networks and the top-level networks: bridge networks dockyard creates, each with a
 * subnet from the file or from the pool.
 */
import { Cidr, overlaps, parseCidr } from "../../../components/cidr";
import { AppModel } from "../../model";
import { shown } from "../../errors";
import { Context, Doc, isMap } from "../context";
import { declaredExternal, meant, walkKeys } from "../table";

/**
 * A service's network_mode and networks: `none` is no network at all (no app network joined, no
 * port published); the host's network and another service's are refused, each with the fix.
 */
export function serviceNetworking(raw: Doc, at: string, ctx: Context): { networks: string[]; networkMode?: "none" } {
  const mode = raw.network_mode;
  if (mode === undefined) return { networks: serviceNetworks(raw.networks, at, ctx) };
  const where = `${at}.network_mode`;
  const refuse = (why: string) => {
    ctx.refused.add(where, `${shown(mode)} cannot be deployed: ${why}`);
    return { networks: serviceNetworks(raw.networks, at, ctx) };
  };
  if (mode === "host") {
    return refuse(
      "the container would share the host's network stack (every interface, and services listening on the host's loopback), which dockyard never grants, as it refuses a mount of the engine's socket; publish the ports it serves (ports:) and remove network_mode",
    );
  }
  if (typeof mode === "string" && /^(service|container):/.test(mode)) {
    return refuse(
      "a service joins the app's networks, never another container's network namespace (on Kubernetes that would need both in one pod); put both services on one network and reach the other by its name, or remove network_mode",
    );
  }
  if (mode === "bridge" || mode === "default") {
    ctx.report.push({
      path: where,
      disposition: "changed",
      note: `${mode}: the service joins the app's networks (its networks: or default)`,
    });
    return { networks: serviceNetworks(raw.networks, at, ctx) };
  }
  if (mode !== "none") return refuse("network_mode is none, host, bridge, service:<name> or container:<name>");
  if (raw.networks !== undefined) {
    ctx.refused.add(where, `none cannot go with networks: (the service would have no network to join them); remove one of them`);
  }
  if (Array.isArray(raw.ports) && raw.ports.length > 0) {
    ctx.refused.add(
      `${at}.ports`,
      "cannot be published with network_mode: none (the service has no network to publish them on); remove them, or network_mode",
    );
  }
  ctx.origins.record(`${at}.networkMode`, where);
  return { networks: [], networkMode: "none" };
}

export function serviceNetworks(raw: unknown, at: string, ctx: Context): string[] {
  let named: Array<[string, string]>; // [network, the compose path that names it]
  if (raw === undefined) named = [["default", at]];
  else if (Array.isArray(raw)) named = raw.map((name, index) => [String(name), `${at}.networks[${index}]`]);
  else if (isMap(raw)) named = Object.keys(raw).map((name) => [name, `${at}.networks.${name}`]);
  else {
    ctx.refused.add(`${at}.networks`, "must be a list or a mapping of network names");
    named = [];
  }
  for (const [name, where] of named) ctx.usedNetworks.set(name, [...(ctx.usedNetworks.get(name) ?? []), where]);
  return named.map(([name]) => name);
}

export function convertNetworks(raw: unknown, pool: string, ctx: Context): AppModel["networks"] {
  const { refused, report } = ctx;
  const declared = isMap(raw) ? raw : {};
  if (raw !== undefined && !isMap(raw)) refused.add("networks", "must be a mapping of network names");
  walkKeys(declared, { pattern: "networks", at: "networks" }, ctx);
  const networks: AppModel["networks"] = {};
  const withoutSubnet: string[] = [];
  const names = [...new Set([...Object.keys(declared), ...ctx.usedNetworks.keys()])].sort();
  for (const name of names) {
    const at = `networks.${name}`;
    if (!(name in declared) && name !== "default") {
      const known = Object.keys(declared).sort();
      const guess = meant(name, known);
      for (const where of ctx.usedNetworks.get(name) ?? []) {
        refused.add(
          where,
          `network ${shown(name)} is not declared under the top-level networks: (declared: ${known.join(", ") || "none"}); declare it, or join a declared one${guess === undefined ? "" : ` (did you mean ${shown(guess)}?)`}`,
        );
      }
      continue;
    }
    const definition = isMap(declared[name]) ? (declared[name] as Doc) : {};
    // Refused by the key table (stacks/compose/table.ts), in every form.
    if (declaredExternal(definition)) continue;
    if (!ctx.usedNetworks.has(name)) {
      report.push({ path: at, disposition: "ignored", note: "no service joins it, so it is not created" });
      continue;
    }
    if (definition.driver !== undefined && definition.driver !== "bridge") {
      refused.add(
        `${at}.driver`,
        `${shown(definition.driver)} is not supported: networks are bridge networks (on Kubernetes, NetworkPolicies)`,
      );
      continue;
    }
    const pools = isMap(definition.ipam) && Array.isArray(definition.ipam.config) ? definition.ipam.config : [];
    pools.slice(1).forEach((pool, index) => {
      refused.add(
        `${at}.ipam.config[${index + 1}]`,
        `${shown(pool)} cannot be deployed: a network has one address pool here (config[0]), and this one would be dropped; give config[0] one subnet wide enough for both, or split the services over two networks`,
      );
    });
    const config = isMap(pools[0]) ? pools[0] : {};
    const network: AppModel["networks"][string] = { subnet: "" };
    const pool0 = `${at}.ipam.config[0]`;
    if (typeof config.subnet === "string") {
      network.subnet = config.subnet;
      ctx.origins.record(`${at}.subnet`, `${pool0}.subnet`);
    } else withoutSubnet.push(name);
    if (typeof config.gateway === "string") network.gateway = config.gateway;
    if (typeof config.ip_range === "string") network.ipRange = config.ip_range;
    ctx.origins.record(`${at}.gateway`, `${pool0}.gateway`);
    ctx.origins.record(`${at}.ipRange`, `${pool0}.ip_range`);
    if (definition.internal === true) network.internal = true;
    networks[name] = network;
  }
  allocateSubnets(networks, withoutSubnet, pool, ctx);
  return networks;
}

/** Consecutive /24s of the pool that overlap no subnet the file gives, in network name order. */
function allocateSubnets(networks: AppModel["networks"], names: string[], pool: string, ctx: Context): void {
  const range = parseCidr(pool) as Cidr;
  const taken = Object.values(networks)
    .map((network) => parseCidr(network.subnet))
    .filter((cidr): cidr is Cidr => cidr !== undefined);
  let next = range.first;
  for (const name of names) {
    let chosen: Cidr | undefined;
    while (chosen === undefined && next + 255n <= range.last) {
      const candidate = parseCidr(`${addressText(next)}/24`) as Cidr;
      next += 256n;
      if (!taken.some((other) => overlaps(candidate, other))) chosen = candidate;
    }
    if (chosen === undefined) {
      ctx.refused.add(`networks.${name}`, `has no subnet and the pool ${pool} has no free /24 left; give it ipam.config[0].subnet`);
      continue;
    }
    taken.push(chosen);
    networks[name].subnet = chosen.text;
    ctx.report.push({
      path: `networks.${name}`,
      disposition: "changed",
      note: `no subnet in the file: ${chosen.text}, from the pool ${pool} (${ctx.setting(`networks.${name}.subnet`)} overrides it)`,
    });
  }
}

function addressText(address: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((address >> shift) & 255n)).join(".");
}
