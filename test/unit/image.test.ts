/** The Image component constructed directly under mocks: what it pushes, what `ref` is, what it refuses. */
import * as pulumi from "@pulumi/pulumi";
import { Image, ImageArgs, validateImageArgs, ValidationError } from "../../components/docker";
import { find, recorded, secretValue, settle, setupMocks, valueOf, withoutSecrets } from "./mocks";

const IMAGE = "docker:index/image:Image";
const base: ImageArgs = { context: "apps/vote", imageName: "voting-vote:v2", args: { PYTHON_IMAGE: "python:3.12-slim" } };

async function build(args: ImageArgs): Promise<{ inputs: Record<string, unknown>; ref: string; imageName: string }> {
  await setupMocks({});
  const image = new Image("vote", args);
  await settle();
  return { inputs: find(IMAGE, "vote").inputs, ref: await valueOf(image.ref), imageName: await valueOf(image.imageName) };
}

describe("Image: push to a registry, or keep the image local", () => {
  test("with a registry it pushes there, and ref is the pushed repository digest", async () => {
    const { inputs, ref, imageName } = await build({ ...base, registry: { server: "127.0.0.1:5000" } });
    expect([inputs.imageName, inputs.skipPush, inputs.registry]).toEqual([
      "127.0.0.1:5000/voting-vote:v2",
      false,
      { server: "127.0.0.1:5000" },
    ]);
    expect(ref).toBe("127.0.0.1:5000/voting-vote@sha256:vote-digest");
    expect(imageName).toBe("127.0.0.1:5000/voting-vote:v2");
  });

  test("a registry path is part of the name; the login is for the host, its password a secret", async () => {
    const { inputs, ref } = await build({
      ...base,
      registry: { server: "registry.example.com/team", username: "ci", password: pulumi.secret("token-321") },
    });
    expect([inputs.imageName, inputs.skipPush]).toEqual(["registry.example.com/team/voting-vote:v2", false]);
    expect(secretValue(inputs.registry)).toEqual({ server: "registry.example.com", username: "ci", password: "token-321" });
    expect(JSON.stringify(withoutSecrets(inputs))).not.toContain("token-321");
    expect(ref).toBe("registry.example.com/team/voting-vote@sha256:vote-digest");
  });

  test("without a registry nothing is pushed and ref is the local image id", async () => {
    const { inputs, ref } = await build(base);
    expect([inputs.imageName, inputs.skipPush, inputs.registry]).toEqual(["voting-vote:v2", true, undefined]);
    expect(ref).toBe("sha256:vote-digest");
  });

  test("built by BuildKit unless builderVersion says BuilderV1; the Dockerfile path is the context's", async () => {
    expect((await build(base)).inputs.build).toEqual({
      context: "apps/vote",
      dockerfile: "apps/vote/Dockerfile",
      args: { PYTHON_IMAGE: "python:3.12-slim" },
      builderVersion: "BuilderBuildKit",
    });
    expect(((await build({ ...base, builderVersion: "BuilderV1" })).inputs.build as { builderVersion: string }).builderVersion).toBe(
      "BuilderV1",
    );
  });

  test("push: false tags the image for the registry but keeps it local", async () => {
    const { inputs, ref } = await build({ ...base, registry: { server: "127.0.0.1:5000" }, push: false });
    expect([inputs.imageName, inputs.skipPush]).toEqual(["127.0.0.1:5000/voting-vote:v2", true]);
    expect(ref).toBe("sha256:vote-digest");
  });

  test.each(["http://127.0.0.1:5000", "127.0.0.1:0", "registry.example.com/Team", "registry.example.com/"])(
    "refuses registry.server %j",
    (server) => {
      expect(() => validateImageArgs("vote", { ...base, registry: { server } })).toThrow(
        new ValidationError(
          `Image "vote": registry.server must be a registry host[:port][/path] without a scheme, like 127.0.0.1:5000 or registry.example.com/team (port 1-65535, path in lowercase), got ${JSON.stringify(server)}`,
        ),
      );
    },
  );
});

describe("Image: bad arguments", () => {
  test("are refused before anything is registered, the component itself included", async () => {
    await setupMocks({});
    expect(() => new Image("vote", { ...base, imageName: "Voting-Vote" })).toThrow(
      new ValidationError('Image "vote": imageName must be lowercase repository:tag like "voting-vote:v1", got "Voting-Vote"'),
    );
    await settle();
    expect(recorded).toEqual([]);
  });
});
