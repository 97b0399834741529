/** A compose file as the app: the voting app written as compose resolves to exactly the typed app. */
import { readCompose } from "../../stacks/compose/app";
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
