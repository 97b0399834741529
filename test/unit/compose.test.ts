/** A compose file as the app: the voting app written as compose resolves to exactly the typed app. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readCompose } from "../../stacks/compose/app";
import { InputError, inModel } from "../../stacks/errors";
import { planDocker } from "../../stacks/targets/docker";
import { KubernetesPlan, planKubernetes } from "../../stacks/targets/kubernetes";
import { stackConfig } from "./stage";
import { resolveApp } from "../../stacks/resolve";
import { votingModel } from "../../stacks/votingApp";

test("examples/voting-compose.yaml resolves to exactly the voting app of stacks/votingApp.ts", () => {
  const { model, report } = readCompose({ file: "examples/voting-compose.yaml" }, "dev");
  expect(resolveApp(model)).toEqual(resolveApp(votingModel({ optionA: "Cats", optionB: "Dogs" })));
  expect(report).toEqual([
    {
      path: "secrets.db-password.environment",
      disposition: "changed",
      note: "not read: the value is the stack's secret dockyard:secrets.db-password (pulumi config set --secret --path secrets.db-password <value>)",
    },
  ]);
});

describe("a compose service others depend on must declare its port on Kubernetes", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-compose-"));
  const write = (redis: string) =>
    fs.writeFileSync(
      path.join(dir, "compose.yaml"),
      `name: shop\nservices:\n  web:\n    image: nginx:1.27\n    ports: ["8080:80"]\n    depends_on: [redis]\n  redis:\n    image: redis:7.4\n${redis}`,
    );
  const plan = (target: "docker" | "kubernetes") => {
    const { model } = readCompose({ file: "compose.yaml" }, "dev", dir);
    const config = stackConfig({ target, secrets: {} }, "dev");
    const app = resolveApp(model, inModel("shop"));
    return target === "docker" ? planDocker(app, config, inModel("shop")) : planKubernetes(app, config, inModel("shop"));
  };

  test("refused on kubernetes with the fix, accepted on docker (the network alias reaches it)", () => {
    write("");
    expect(() => plan("kubernetes")).toThrow(
      new InputError(
        'app "shop": services.redis.ports cannot be honoured on target kubernetes (web depends on "redis", but it declares no port, so no Service makes it reachable by name); declare the port it listens on (compose: expose: ["6379"])',
      ),
    );
    expect(() => plan("docker")).not.toThrow();
  });

  test('with expose: ["6379"] it gets a Service port', () => {
    write('    expose: ["6379"]\n');
    const deployment = (plan("kubernetes") as KubernetesPlan).deployments.find((d) => d.service === "redis");
    expect(deployment?.args.ports).toEqual([
      { name: "tcp-6379", containerPort: 6379, protocol: "tcp", published: false, servicePort: 6379 },
    ]);
  });
});
