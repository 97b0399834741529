/** The Volume component constructed directly under mocks: exact inputs, and nothing registered on bad input. */
import { ValidationError, Volume } from "../../components/docker";
import { find, recorded, settle, setupMocks } from "./mocks";

const VOLUME = "docker:index/volume:Volume";

beforeEach(async () => {
  await setupMocks({});
});

describe("Volume", () => {
  test("a local volume with its labels as a list in sorted key order, parented to the component", async () => {
    new Volume("db-data", { name: "voting-db-data", labels: { "dockyard.stack": "dev", "dockyard.app": "voting" } });
    await settle();
    expect(find(VOLUME, "db-data").inputs).toEqual({
      name: "voting-db-data",
      driver: "local",
      driverOpts: {},
      labels: [
        { label: "dockyard.app", value: "voting" },
        { label: "dockyard.stack", value: "dev" },
      ],
    });
    expect(find(VOLUME, "db-data").options.parent).toBe("urn:pulumi:dev::dockyard::dockyard:index:Volume::db-data");
  });

  test("bad arguments are refused before anything is registered, the component itself included", async () => {
    expect(() => new Volume("db-data", { name: "-data" })).toThrow(
      new ValidationError('Volume "db-data": name must start with a letter or digit and contain only letters, digits, _ . -, got "-data"'),
    );
    await settle();
    expect(recorded).toEqual([]);
  });
});
