/** The Network component constructed directly under mocks: exact inputs, and messages in the component's own terms. */
import { Network, NetworkArgs, networkFingerprint, ValidationError } from "../../components/docker";
import { find, recorded, settle, setupMocks } from "./mocks";

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
      ipamConfigs: [{ subnet: "172.18.0.0/16" }],
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
    expect(find(NETWORK, "frontend").inputs.ipamConfigs).toEqual([{ subnet: "182.18.0.0/16" }]);
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
      const inputs = { driver: "overlay", internal: false, attachable: true, ipamConfigs: [{ subnet: "10.123.1.0/24" }], labels: [] };
      expect(network.inputs).toEqual({ name: `voting-frontend-${networkFingerprint(inputs)}`, ...inputs });
      expect(network.inputs.name).toBe("voting-frontend-0948cb70");
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
