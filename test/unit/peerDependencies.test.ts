// A Docker-only program has no @pulumi/kubernetes installed (an optional peer dependency): the entry
// points it imports must load without it. The package suite proves this on a packed tarball; this
// proves it in seconds, for every module those entry points reach.

/* eslint-disable @typescript-eslint/no-require-imports -- each module is loaded inside jest.isolateModules, after the mock */

const entryPoints = ["../../components/compose", "../../components/docker", "../../components/swarm"];

describe("the Docker-side entry points without @pulumi/kubernetes", () => {
  for (const entry of entryPoints) {
    it(`${entry.replace("../../components/", "dockyard/")} loads, and nothing it reaches loads @pulumi/kubernetes`, () => {
      const loaded: string[] = [];
      jest.isolateModules(() => {
        jest.doMock("@pulumi/kubernetes", () => {
          loaded.push("@pulumi/kubernetes");
          throw new Error("Cannot find module '@pulumi/kubernetes'");
        });
        const module = require(entry) as Record<string, unknown>;
        expect(Object.keys(module).length).toBeGreaterThan(0);
      });
      expect(loaded).toEqual([]);
    });
  }

  it("the same mock does stop a module that needs @pulumi/kubernetes (the check can fail)", () => {
    jest.isolateModules(() => {
      jest.doMock("@pulumi/kubernetes", () => {
        throw new Error("Cannot find module '@pulumi/kubernetes'");
      });
      expect(() => require("../../components/k8s/autoscaler")).toThrow("Cannot find module '@pulumi/kubernetes'");
    });
  });
});
