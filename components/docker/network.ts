import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  canonicalCidr,
  contains,
  containsAddress,
  dockerDefaultGateway,
  isPrivate,
  parseAddress,
  parseCidr,
  PRIVATE_RANGES,
  privateLookalike,
  specialRange,
} from "../cidr";
import { ValidationError } from "../errors";
import { createHash } from "crypto";
import { labelList } from "./labels";
import { formerTypes } from "../token";

/** The network driver. */
export const NetworkDriver = {
  /** Containers on one engine. */
  Bridge: "bridge",
  /** A swarm network spanning its nodes (the engine must be a swarm manager). */
  Overlay: "overlay",
} as const;
export type NetworkDriver = (typeof NetworkDriver)[keyof typeof NetworkDriver];

export interface NetworkArgs {
  /** The Docker network name (`docker network create NAME`). */
  name: string;
  /** IPAM subnet in CIDR form (`--subnet 172.18.0.0/16`). */
  subnet: string;
  /** Gateway address inside the subnet (`--gateway`). @default - chosen by Docker (the subnet's first address) */
  gateway?: string;
  /** Sub-range that containers get addresses from (`--ip-range`). @default - the whole subnet */
  ipRange?: string;
  /** No traffic to or from outside the network (`--internal`). @default false */
  internal?: boolean;
  /**
   * `bridge`: containers on one engine. `overlay`: a swarm network spanning its nodes (the engine
   * must be a swarm manager).
   * @default "bridge"
   */
  driver?: NetworkDriver;
  /**
   * Standalone containers may join the overlay network as well as swarm services (`--attachable`);
   * only for the overlay driver.
   * @default false
   */
  attachable?: boolean;
  /**
   * Accept a subnet outside the private ranges 10/8, 172.16/12 and 192.168/16. Containers on a public
   * range shadow real hosts on the internet with those addresses.
   * @default false
   */
  allowPublicSubnet?: boolean;
  /** @default {} */
  labels?: Record<string, string>;
  /**
   * Append a fingerprint of every other input to the name (`voting-prod-frontend-1a2b3c4d`). Every
   * change of a network replaces it; with the fingerprint the new network gets a new name, so it is
   * created beside the old one, what uses the network moves to it, and the old one is removed last. A
   * swarm needs this: it refuses to remove an overlay network its services use, and would refuse the
   * delete-first replacement a fixed name forces.
   * @default false - the name as given; a replacement deletes the old network first (names are unique)
   */
  fingerprintName?: boolean;
}

/**
 * How validateNetworkArgs names the fields it reports on. A caller that took the values from its
 * own users (a stack's config keys) passes their names, so the message is produced once, in the
 * user's terms. @default - `Network "<name>": subnet` and so on, and `allowPublicSubnet`
 */
export interface NetworkFieldNames {
  subnet: string;
  gateway: string;
  ipRange: string;
  allowPublicSubnet: string;
}

/**
 * Checks CIDR syntax, gateway and range placement, the special ranges (loopback, multicast...) and the
 * private-range rule; throws ValidationError.
 */
export function validateNetworkArgs(name: string, args: NetworkArgs, names?: NetworkFieldNames): void {
  const field: NetworkFieldNames = names ?? {
    subnet: `Network "${name}": subnet`,
    gateway: `Network "${name}": gateway`,
    ipRange: `Network "${name}": ipRange`,
    allowPublicSubnet: "allowPublicSubnet",
  };
  const subnet = parseCidr(args.subnet);
  if (!subnet) {
    throw new ValidationError(`${field.subnet} must be an IPv4 CIDR like 172.18.0.0/16, got ${JSON.stringify(args.subnet)}`);
  }
  const canonical = canonicalCidr(args.subnet);
  if (canonical !== args.subnet) {
    throw new ValidationError(`${field.subnet} ${args.subnet} has host bits set; did you mean ${canonical}?`);
  }
  if (args.attachable && (args.driver ?? "bridge") !== "overlay") {
    throw new ValidationError(
      `Network "${name}": attachable is for overlay networks only, got driver ${JSON.stringify(args.driver ?? "bridge")}`,
    );
  }
  if (subnet.prefix > 29) {
    throw new ValidationError(`${field.subnet} ${args.subnet} is too small for containers; use a prefix of /29 or shorter`);
  }
  const special = specialRange(subnet);
  if (special !== undefined) {
    throw new ValidationError(
      `${field.subnet} ${args.subnet} overlaps ${special[0]} (${special[1]}), which no container network can use, even with ${field.allowPublicSubnet}; use a private range within ${PRIVATE_RANGES.join(", ")}`,
    );
  }
  if (!isPrivate(subnet) && !(args.allowPublicSubnet ?? false)) {
    const hint = privateLookalike(args.subnet);
    throw new ValidationError(
      `${field.subnet} ${args.subnet} is a public range, not one of ${PRIVATE_RANGES.join(", ")}` +
        (hint ? `; did you mean ${hint}?` : ".") +
        ` Set ${field.allowPublicSubnet} to use it anyway.`,
    );
  }
  if (args.gateway !== undefined) {
    const gateway = parseAddress(args.gateway);
    if (gateway === undefined || !containsAddress(subnet, gateway)) {
      throw new ValidationError(`${field.gateway} ${args.gateway} must be an address inside subnet ${args.subnet}`);
    }
    if (gateway === subnet.first || gateway === subnet.last) {
      throw new ValidationError(
        `${field.gateway} ${args.gateway} is the network or broadcast address of ${args.subnet}: give a host address, like ${dockerDefaultGateway(args.subnet)} (Docker's own pick), or leave it unset`,
      );
    }
  }
  if (args.ipRange !== undefined) {
    const range = parseCidr(args.ipRange);
    if (!range || !contains(subnet, range)) {
      throw new ValidationError(`${field.ipRange} ${args.ipRange} must be a CIDR inside subnet ${args.subnet}`);
    }
  }
}

/**
 * A user-defined bridge network (or a swarm overlay network) with a fixed IPAM subnet; containers and
 * services on it resolve each other by alias.
 */
export class Network extends pulumi.ComponentResource {
  public readonly networkName: pulumi.Output<string>;
  /** The engine's id of the network (what swarm services refer to it by). */
  public readonly networkId: pulumi.Output<string>;
  public readonly subnet: string;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated before anything, the component itself included, is registered.
    validateNetworkArgs(name, args);
    super("dockyard:index:Network", name, {}, formerTypes(opts, "dockyard:docker:Network"));

    const fingerprinted = args.fingerprintName ?? false;
    // The gateway, when none is given, as Docker picks it (the subnet's first address): the engine writes
    // the gateway it picked into a bridge network only when it restarts, and into an overlay network at
    // once; a refresh that then reads it back would replace the network and every container or service
    // on it (an ignoreChanges cannot help: the provider compares with what it read, not with the inputs).
    const picked = args.gateway ?? (args.ipRange === undefined ? dockerDefaultGateway(args.subnet) : undefined);
    const inputs = {
      driver: args.driver ?? "bridge",
      internal: args.internal ?? false,
      // Sent for overlay networks only, so a bridge network's inputs stay as they were.
      ...(args.driver === "overlay" ? { attachable: args.attachable ?? false } : {}),
      ipamConfigs: [{ subnet: args.subnet, gateway: picked, ipRange: args.ipRange }],
      labels: labelList(args.labels),
    };
    const engineName = fingerprinted ? `${args.name}-${networkFingerprint(inputs)}` : args.name;
    // Under a fixed name the network may already be on the engine, created before gateways were given:
    // it keeps what the engine records, so upgrading dockyard replaces no network.
    const gateway =
      fingerprinted || args.gateway !== undefined || picked === undefined ? picked : recordedGateway(engineName, args.subnet, picked, this);
    const network = new docker.Network(
      name,
      { name: engineName, ...inputs, ipamConfigs: [{ subnet: args.subnet, gateway, ipRange: args.ipRange }] },
      // Docker names are unique: under a fixed name a replacement must delete the old one first.
      { parent: this, deleteBeforeReplace: !fingerprinted },
    );

    this.networkName = network.name;
    this.networkId = network.id;
    this.subnet = args.subnet;
    this.registerOutputs({ networkName: this.networkName, networkId: this.networkId, subnet: this.subnet });
  }
}

/**
 * The gateway of the engine's network `name` for `subnet` as the engine records it: "" (none recorded,
 * a network made before dockyard gave gateways and not restored by a restarted engine since) is sent
 * as none, so that network is not replaced. `picked` when the engine has no such network (or none on
 * that subnet: a new subnet replaces the network anyway) or cannot be asked.
 */
function recordedGateway(name: string, subnet: string, picked: string, parent: pulumi.Resource): pulumi.Output<string | undefined> {
  return pulumi.output(
    docker.getNetwork({ name }, { parent }).then(
      (found) => {
        const config = found.id ? found.ipamConfigs?.find((ipam) => ipam.subnet === subnet) : undefined;
        return config === undefined ? picked : config.gateway || undefined;
      },
      () => picked,
    ),
  );
}

/**
 * 8 hex digits of the sha256 of a network's inputs other than its name, keys in a fixed order
 * (unset fields left out, as JSON does), so the same settings always give the same name.
 */
export function networkFingerprint(inputs: Record<string, unknown>): string {
  return createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 8);
}
