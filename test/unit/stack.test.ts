/** components/app/stack.ts: a stack program's whole path, and what it refuses before it starts. */
import * as pulumi from "@pulumi/pulumi";
import { InputError } from "../../stacks/errors";
import { programError, SECRET_CONFIG } from "./program";

describe("the Docker and Kubernetes providers' own keys are refused, with dockyard's key to use", () => {
  test.each([
    [
      "docker:host",
      "tcp://10.0.0.5:2376",
      "docker:host is set, but a dockyard stack deploys through providers of its own, made from dockyard: keys, so it would be ignored; set dockyard:dockerHost instead (pulumi config rm docker:host; pulumi config set dockerHost <value>)",
    ],
    [
      "kubernetes:namespace",
      "shop",
      "kubernetes:namespace is set, but a dockyard stack deploys through providers of its own, made from dockyard: keys, so it would be ignored; set dockyard:namespace instead (pulumi config rm kubernetes:namespace; pulumi config set namespace <value>)",
    ],
    [
      "kubernetes:context",
      "prod",
      "kubernetes:context is set, but a dockyard stack deploys through providers of its own, made from dockyard: keys, so it would be ignored; set dockyard:kubeContext instead (pulumi config rm kubernetes:context; pulumi config set kubeContext <value>)",
    ],
    [
      "docker:sshOpts",
      '["-p", "2222"]',
      "docker:sshOpts is set, but a dockyard stack deploys through providers of its own, made from dockyard: keys, so it would be ignored; remove it (pulumi config rm docker:sshOpts); docs/config.md lists dockyard's keys",
    ],
  ])("%s", async (key, value, message) => {
    expect(await programError({ ...SECRET_CONFIG, [key]: value })).toEqual({ message, registered: 0 });
  });
});

test("a refusal is a Pulumi RunError: pulumi up prints its message as the run's one error, without a stack trace", () => {
  expect(pulumi.RunError.isInstance(new InputError("dockyard:services.vote has unknown key"))).toBe(true);
});
