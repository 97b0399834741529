import { Address4 } from "ip-address";

/** RFC 1918 private IPv4 ranges: the only ones a container network should normally use. */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

export interface Cidr {
  text: string;
  first: bigint;
  last: bigint;
  prefix: number;
}

/** Parses "a.b.c.d/n" where the address is the network's first address; undefined otherwise. */
export function parseCidr(text: string): Cidr | undefined {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(text) || !Address4.isValid(text)) {
    return undefined;
  }
  const address = new Address4(text);
  return {
    text,
    first: address.startAddress().bigInt(),
    last: address.endAddress().bigInt(),
    prefix: address.subnetMask,
  };
}

/** The gateway Docker picks for a bridge network given no gateway and no ip range: the subnet's first host ("10.1.2.1" for "10.1.2.0/24"). */
export function dockerDefaultGateway(subnet: string): string | undefined {
  const range = parseCidr(subnet);
  if (range === undefined || range.prefix > 30) return undefined;
  return Address4.fromBigInt(range.first + 1n).correctForm();
}

/** The network address a CIDR should have been written with ("172.18.0.0/16" for "172.18.3.4/16"). */
export function canonicalCidr(text: string): string | undefined {
  if (!Address4.isValid(text) || !text.includes("/")) {
    return undefined;
  }
  const address = new Address4(text);
  return `${address.startAddress().correctForm()}/${address.subnetMask}`;
}

export function parseAddress(text: string): bigint | undefined {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text) || !Address4.isValid(text)) {
    return undefined;
  }
  return new Address4(text).bigInt();
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

export function containsAddress(range: Cidr, address: bigint): boolean {
  return address >= range.first && address <= range.last;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function isPrivate(range: Cidr): boolean {
  return PRIVATE_RANGES.some((privateRange) => contains(parseCidr(privateRange) as Cidr, range));
}

/**
 * A hint for a public subnet that is one digit away from a private one, like the classic
 * `--subnet 182.18.0.0/16`, almost surely meant as 172.18.0.0/16.
 */
export function privateLookalike(text: string): string | undefined {
  const [address, prefix] = text.split("/");
  const octets = address.split(".");
  const candidates = new Set<string>();
  const first = octets[0];
  for (let i = 0; i < first.length; i++) {
    for (let digit = 0; digit <= 9; digit++) {
      const changed = first.slice(0, i) + String(digit) + first.slice(i + 1);
      candidates.add([changed, ...octets.slice(1)].join("."));
    }
  }
  for (const candidate of [...candidates].sort()) {
    const range = parseCidr(`${candidate}/${prefix}`);
    if (range && candidate !== address && isPrivate(range)) {
      return `${candidate}/${prefix}`;
    }
  }
  return undefined;
}

/**
 * Ranges no container network can use, public or not: allowPublicSubnets does not open them.
 * (Address4's isLoopback, isMulticast... classify one address; a subnet can straddle a range.)
 */
export const SPECIAL_RANGES: ReadonlyArray<readonly [string, string]> = [
  ["0.0.0.0/8", "this network"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved, with the broadcast address"],
];

/** The first special range a subnet overlaps, as [range, what it is]. */
export function specialRange(range: Cidr): readonly [string, string] | undefined {
  return SPECIAL_RANGES.find(([special]) => overlaps(range, parseCidr(special) as Cidr));
}

/**
 * Addresses Docker can give containers on a network: those of `ipRange` (or the whole subnet)
 * less the subnet's network and broadcast addresses and the gateway (by default the subnet's first
 * host address) where they fall inside it.
 */
export function containerAddresses(subnet: Cidr, gateway?: bigint, ipRange?: Cidr): number {
  const pool = ipRange ?? subnet;
  const reserved = new Set([subnet.first, subnet.last, gateway ?? subnet.first + 1n]);
  const taken = [...reserved].filter((address) => containsAddress(pool, address)).length;
  return Math.max(0, Number(pool.last - pool.first + 1n) - taken);
}

/**
 * The longest prefix whose subnet holds `containers` addresses besides network, broadcast and
 * gateway, with the room it has.
 */
export function prefixFor(containers: number): { prefix: number; room: number } {
  const room = (prefix: number): number => 2 ** (32 - prefix) - 3;
  let prefix = 30;
  while (prefix > 0 && room(prefix) < containers) prefix--;
  return { prefix, room: room(prefix) };
}
