/** Every stage file present runs through the whole program under mocks with that file's config. */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { byType, find, recorded, valueOf } from "./mocks";
import { runProgram } from "./program";
import { stageProgramConfig } from "./stage";

const root = path.join(__dirname, "..", "..");
const stages = fs
  .readdirSync(root)
  .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
  .filter((stage): stage is string => stage !== undefined)
  .sort();

test("the user stages dev, staging and prod are there, with the test stages", () => {
  expect(stages).toEqual(expect.arrayContaining(["dev", "e2e", "k8se2e", "prod", "staging"]));
});

test("every stage file sets keys of dockyard only, and no secret in plain text", () => {
  for (const stage of stages) {
    const keys = Object.keys(parse(fs.readFileSync(path.join(root, `Pulumi.${stage}.yaml`), "utf8")).config ?? {});
    expect(keys.filter((key) => !key.startsWith("dockyard:"))).toEqual([]);
    expect(keys).not.toContain("dockyard:secrets");
    expect(keys).not.toContain("dockyard:registryPassword");
  }
});

describe.each(stages)("Pulumi.%s.yaml", (stage) => {
  test("deploys all five services without error", async () => {
    const program = await runProgram(stageProgramConfig(stage), stage);
    const target = await valueOf(program.target);
    const workloads =
      target === "docker"
        ? byType("dockyard:index:Container").map((c) => c.name.replace(/-\d+$/, ""))
        : byType("kubernetes:apps/v1:Deployment").map((d) => d.name.replace(/-deployment$/, ""));
    expect([...new Set(workloads)].sort()).toEqual(["db", "redis", "result", "vote", "worker"]);
    expect(recorded.length).toBeGreaterThan(20);
  });
});

test("dev publishes vote and result on 127.0.0.1:5000 and :5001", async () => {
  const program = await runProgram(stageProgramConfig("dev"), "dev");
  expect(await valueOf(program.urls)).toEqual({ result: "http://127.0.0.1:5001", vote: "http://127.0.0.1:5000" });
  expect(find("docker:index/container:Container", "vote-1").inputs.ports[0]).toEqual({
    internal: 8080,
    external: 5000,
    ip: "127.0.0.1",
    protocol: "tcp",
  });
});

test("e2e uses the locally built base images and its own ports and subnets", async () => {
  const program = await runProgram(stageProgramConfig("e2e"), "e2e");
  expect(await valueOf(program.urls)).toEqual({ result: "http://127.0.0.1:18090", vote: "http://127.0.0.1:18080" });
  expect(await valueOf(program.networks)).toEqual({ backend: "10.231.2.0/24", frontend: "10.231.1.0/24" });
  expect(find("docker:index/image:Image", "vote").inputs.build.args).toEqual({ PYTHON_IMAGE: "dockyard-local/python:3.11" });
  expect(find("docker:index/image:Image", "worker").inputs.build.args).toEqual({
    APP: "worker",
    NODE_IMAGE: "dockyard-local/node:22",
    PORT: "8082",
  });
  expect(find("docker:index/remoteImage:RemoteImage", "db-image").inputs.name).toBe("dockyard-local/postgres:15");
  expect(find("docker:index/remoteImage:RemoteImage", "redis-image").inputs.name).toBe("dockyard-local/redis:7");
});
