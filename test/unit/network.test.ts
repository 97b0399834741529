/** The Network component constructed directly under mocks: exact inputs, and messages in the component's own terms. */
import { Network, NetworkArgs, networkFingerprint, ValidationError } from "../../components/docker";
import { byType, engineNetworks, find, recorded, settle, setupMocks } from "./mocks";
import { expectRefused, PRIVATE_RANGES, RefusedCase, runProgram, SECRET_CONFIG } from "./program";

const NETWORK = "docker:index/network:Network";

beforeEach(async () => {
  await setupMocks({});
});

const frontend = (patch: Partial<NetworkArgs> = {}): NetworkArgs => ({ name: "voting-frontend", subnet: "172.18.0.0/16", ...patch });

describe("Network", () => {
  test("a bridge with the subnet and its labels as a list in sorted key order", async () => {
    new Network("frontend", frontend({ labels: { "dockyard.stack": "dev", "dockyard.app": "voting" } }));
    await settle();
    expect(find(NETWORK, "frontend").inputs).toEqual({
      name: "voting-frontend",
      driver: "bridge",
      internal: false,
      ipamConfigs: [{ subnet: "172.18.0.0/16", gateway: "172.18.0.1" }],
      labels: [
        { label: "dockyard.app", value: "voting" },
        { label: "dockyard.stack", value: "dev" },
      ],
    });
  });

  test.each([
    [
      "a public subnet names the component's own argument, allowPublicSubnet",
      frontend({ subnet: "182.18.0.0/16" }),
      'Network "frontend": subnet 182.18.0.0/16 is a public range, not one of 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16; did you mean 172.18.0.0/16? Set allowPublicSubnet to use it anyway.',
    ],
    [
      "a special range is refused even with allowPublicSubnet",
      frontend({ subnet: "127.0.0.0/24", allowPublicSubnet: true }),
      'Network "frontend": subnet 127.0.0.0/24 overlaps 127.0.0.0/8 (loopback), which no container network can use, even with allowPublicSubnet; use a private range within 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16',
    ],
  ])("%s; nothing is registered", async (_case, args, message) => {
    expect(() => new Network("frontend", args)).toThrow(new ValidationError(message));
    await settle();
    expect(recorded).toEqual([]);
  });

  test("allowPublicSubnet accepts a public range", async () => {
    new Network("frontend", frontend({ subnet: "182.18.0.0/16", allowPublicSubnet: true }));
    await settle();
    expect(find(NETWORK, "frontend").inputs.ipamConfigs).toEqual([{ subnet: "182.18.0.0/16", gateway: "182.18.0.1" }]);
  });

  test("a bridge network already on the engine keeps the gateway the engine records, none when it records none (no replacement on upgrade)", async () => {
    engineNetworks.set("old", { ipamConfigs: [{ subnet: "10.9.6.0/24", gateway: "" }] });
    engineNetworks.set("restored", { ipamConfigs: [{ subnet: "10.9.7.0/24", gateway: "10.9.7.1" }] });
    engineNetworks.set("moved", { ipamConfigs: [{ subnet: "10.9.1.0/24", gateway: "" }] });
    new Network("old", frontend({ name: "old", subnet: "10.9.6.0/24" }));
    new Network("restored", frontend({ name: "restored", subnet: "10.9.7.0/24" }));
    // Another subnet than the engine's network: replaced anyway, so the new one gets Docker's pick.
    new Network("moved", frontend({ name: "moved", subnet: "10.9.8.0/24" }));
    new Network("new", frontend({ name: "new", subnet: "10.9.9.0/24" }));
    await settle();
    expect(["old", "restored", "moved", "new"].map((name) => find(NETWORK, name).inputs.ipamConfigs)).toEqual([
      [{ subnet: "10.9.6.0/24" }],
      [{ subnet: "10.9.7.0/24", gateway: "10.9.7.1" }],
      [{ subnet: "10.9.8.0/24", gateway: "10.9.8.1" }],
      [{ subnet: "10.9.9.0/24", gateway: "10.9.9.1" }],
    ]);
  });

  test("a bridge's or an overlay's gateway is pinned to the one Docker picks (a refresh reads it back); a given one or an ip range left as they are", async () => {
    new Network("a", frontend({ name: "a", subnet: "10.9.1.0/24" }));
    new Network("b", frontend({ name: "b", subnet: "10.9.2.0/24", gateway: "10.9.2.254" }));
    new Network("c", frontend({ name: "c", subnet: "10.9.3.0/24", ipRange: "10.9.3.128/25" }));
    new Network("d", frontend({ name: "d", subnet: "10.9.4.0/24", driver: "overlay" }));
    new Network("e", frontend({ name: "e", subnet: "10.9.5.0/24", driver: "overlay", gateway: "10.9.5.254" }));
    new Network("f", frontend({ name: "f", subnet: "10.9.6.0/23", driver: "overlay", ipRange: "10.9.7.0/24" }));
    await settle();
    expect(["a", "b", "c", "d", "e", "f"].map((name) => find(NETWORK, name).inputs.ipamConfigs)).toEqual([
      [{ subnet: "10.9.1.0/24", gateway: "10.9.1.1" }],
      [{ subnet: "10.9.2.0/24", gateway: "10.9.2.254" }],
      [{ subnet: "10.9.3.0/24", ipRange: "10.9.3.128/25" }],
      [{ subnet: "10.9.4.0/24", gateway: "10.9.4.1" }],
      [{ subnet: "10.9.5.0/24", gateway: "10.9.5.254" }],
      [{ subnet: "10.9.6.0/23", ipRange: "10.9.7.0/24" }],
    ]);
  });

  describe("fingerprintName", () => {
    const overlay = (patch: Partial<NetworkArgs> = {}): NetworkArgs =>
      frontend({ driver: "overlay", attachable: true, subnet: "10.123.1.0/24", fingerprintName: true, ...patch });

    test("a fixed name is replaced delete-first", async () => {
      new Network("frontend", frontend());
      await settle();
      expect(find(NETWORK, "frontend").options.deleteBeforeReplace).toBe(true);
    });

    test("the name carries 8 hex digits of the sha256 of the other inputs; replaced create-first", async () => {
      new Network("frontend", overlay());
      await settle();
      const network = find(NETWORK, "frontend");
      const inputs = {
        driver: "overlay",
        internal: false,
        attachable: true,
        ipamConfigs: [{ subnet: "10.123.1.0/24", gateway: "10.123.1.1" }],
        labels: [],
      };
      expect(network.inputs).toEqual({ name: `voting-frontend-${networkFingerprint(inputs)}`, ...inputs });
      expect(network.inputs.name).toBe("voting-frontend-c9292d89");
      expect(network.options.deleteBeforeReplace).toBe(false);
    });

    test.each([
      ["subnet", { subnet: "10.123.3.0/24" }],
      ["gateway", { gateway: "10.123.1.254" }],
      ["ipRange", { ipRange: "10.123.1.128/25" }],
      ["internal", { internal: true }],
      ["attachable", { attachable: false }],
      ["labels", { labels: { "dockyard.stack": "prod" } }],
    ])("a new %s is a new name", async (_field, patch) => {
      new Network("a", overlay());
      new Network("b", overlay(patch));
      await settle();
      expect(find(NETWORK, "b").inputs.name).toMatch(/^voting-frontend-[0-9a-f]{8}$/);
      expect(find(NETWORK, "b").inputs.name).not.toBe(find(NETWORK, "a").inputs.name);
    });
  });
});

/** The Network component's checks on the stack config's subnets, named as the user wrote the key; nothing is registered. */
const SPECIAL_RANGE = (subnet: string, range: string, what: string) =>
  `dockyard:networks.frontend.subnet ${subnet} overlaps ${range} (${what}), which no container network can use, even with dockyard:allowPublicSubnets; use a private range within ${PRIVATE_RANGES}`;
const refusedSubnets: RefusedCase[] = [
  // The seed's `--subnet 182.18.0.0/16`: the component's check, named as the user wrote the key.
  [
    "the seed's public subnet",
    { networks: { frontend: { subnet: "182.18.0.0/16" } } },
    `dockyard:networks.frontend.subnet 182.18.0.0/16 is a public range, not one of ${PRIVATE_RANGES}; did you mean 172.18.0.0/16? Set dockyard:allowPublicSubnets to use it anyway.`,
  ],
  [
    "gateway on the network address",
    { networks: { backend: { gateway: "10.123.2.0" } } },
    "dockyard:networks.backend.gateway 10.123.2.0 is the network or broadcast address of 10.123.2.0/24: give a host address, like 10.123.2.1 (Docker's own pick), or leave it unset",
  ],
  [
    "loopback subnet, public allowed",
    { networks: { frontend: { subnet: "127.0.0.0/24" } }, allowPublicSubnets: "true" },
    SPECIAL_RANGE("127.0.0.0/24", "127.0.0.0/8", "loopback"),
  ],
  [
    "multicast subnet, public allowed",
    { networks: { frontend: { subnet: "224.0.0.0/24" } }, allowPublicSubnets: "true" },
    SPECIAL_RANGE("224.0.0.0/24", "224.0.0.0/4", "multicast"),
  ],
  [
    "a public subnet with no private look-alike",
    { networks: { frontend: { subnet: "8.8.8.0/24" } } },
    `dockyard:networks.frontend.subnet 8.8.8.0/24 is a public range, not one of ${PRIVATE_RANGES}. Set dockyard:allowPublicSubnets to use it anyway.`,
  ],
];

describe("the Network component refuses stack config before any resource is registered", () => {
  test.each(refusedSubnets)("%s", async (_, config, message, stack = "dev") => {
    await expectRefused(config, message, stack);
  });
});

describe("a public subnet from the stack config", () => {
  test("a public subnet is accepted when explicitly allowed", async () => {
    await runProgram({ ...SECRET_CONFIG, networks: { frontend: { subnet: "182.18.0.0/16" } }, allowPublicSubnets: "true" });
    const frontend = byType("docker:index/network:Network").find((network) => network.name === "frontend");
    expect(frontend?.inputs.ipamConfigs).toEqual([{ subnet: "182.18.0.0/16", gateway: "182.18.0.1" }]);
  });
});

const NETWORK_BASE: NetworkArgs = { name: "net", subnet: "10.1.0.0/24" };

describe("Network refuses its own bad args before registering anything, itself included", () => {
  test.each([
    ["127.0.0.0/24", "127.0.0.0/8", "loopback"],
    ["224.0.0.0/24", "224.0.0.0/4", "multicast"],
    ["169.0.0.0/8", "169.254.0.0/16", "link-local"],
    ["0.0.0.0/0", "0.0.0.0/8", "this network"],
    ["250.0.0.0/8", "240.0.0.0/4", "reserved, with the broadcast address"],
  ])("subnet %s overlaps %s (%s), even with allowPublicSubnet", async (subnet, range, what) => {
    await setupMocks({});
    expect(() => new Network("frontend", { ...NETWORK_BASE, subnet, allowPublicSubnet: true })).toThrow(
      new ValidationError(
        `Network "frontend": subnet ${subnet} overlaps ${range} (${what}), which no container network can use, even with allowPublicSubnet; use a private range within ${PRIVATE_RANGES}`,
      ),
    );
    await settle();
    expect(recorded).toEqual([]);
  });
});
