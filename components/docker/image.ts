import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { ValidationError } from "../errors";
import { isRegistry, REGISTRY_RULE } from "../registry";
import { formerTypes } from "../token";

export interface ImageRegistry {
  /** Registry host[:port][/path], e.g. "localhost:5000" or "registry.example.com/team". */
  server: string;
  /** @default - no login (a local registry) */
  username?: pulumi.Input<string>;
  /** Keep it a secret (`pulumi config set --secret`). @default - no login */
  password?: pulumi.Input<string>;
}

export interface ImageArgs {
  /** Build context directory, relative to the project root (where `pulumi` runs), or an absolute path (a folder outside the project). */
  context: string;
  /** Dockerfile path relative to the context; it may lie outside the context (the provider sends it along). @default "Dockerfile" */
  dockerfile?: string;
  /** Repository and tag without the registry, e.g. "voting-vote:v1". */
  imageName: string;
  /** Build arguments, e.g. base images `{ PYTHON_IMAGE: "python:3.12-slim" }`. @default {} */
  args?: Record<string, pulumi.Input<string>>;
  /** Multi-stage target. @default - the last stage */
  target?: string;
  /** Target platform such as "linux/amd64". @default - the engine's platform */
  platform?: string;
  /** Registry to tag and push to. @default - none: the image stays in the engine that built it */
  registry?: ImageRegistry;
  /** Push to the registry after building. @default true when a registry is given, otherwise false */
  push?: boolean;
  /**
   * The engine's build backend: BuildKit, Docker's default, leaves nothing behind; the classic
   * builder (for an engine without BuildKit) keeps a stopped container per build step, as the
   * provider drives it. @default "BuilderBuildKit"
   */
  builderVersion?: BuilderVersion;
}

/** The Docker engine's build backend. */
export const BuilderVersion = {
  /** The classic builder, for an engine without BuildKit. */
  BuilderV1: "BuilderV1",
  /** BuildKit, Docker's default. */
  BuilderBuildKit: "BuilderBuildKit",
} as const;
export type BuilderVersion = (typeof BuilderVersion)[keyof typeof BuilderVersion];

const TAGGED_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Checks the arguments that are known at construction; throws ValidationError. */
export function validateImageArgs(name: string, args: ImageArgs): void {
  const where = `Image "${name}"`;
  if (!TAGGED_NAME.test(args.imageName)) {
    throw new ValidationError(
      `${where}: imageName must be lowercase repository:tag like "voting-vote:v1", got ${JSON.stringify(args.imageName)}`,
    );
  }
  if (!path.isAbsolute(args.context) && args.context.split(/[\\/]/).includes("..")) {
    throw new ValidationError(
      `${where}: context must be a folder inside the project, or an absolute path to one outside it, got ${JSON.stringify(args.context)}`,
    );
  }
  if (args.registry !== undefined && !isRegistry(args.registry.server)) {
    throw new ValidationError(`${where}: registry.server must be ${REGISTRY_RULE}, got ${JSON.stringify(args.registry.server)}`);
  }
  if (args.push === true && args.registry === undefined) {
    throw new ValidationError(`${where}: push is true but no registry is given; set a registry (e.g. localhost:5000) or leave push unset`);
  }
}

/**
 * An image built from a Dockerfile (`docker build`), optionally pushed (`docker push`). `ref` is the
 * exact content reference (image id or registry digest): containers that use it are replaced when
 * the build output changes, and an unchanged context rebuilds nothing.
 */
export class Image extends pulumi.ComponentResource {
  /** What containers should run: the registry digest when pushed, otherwise the local image id. */
  public readonly ref: pulumi.Output<string>;
  /** The full tagged name, with the registry when there is one. */
  public readonly imageName: pulumi.Output<string>;

  constructor(name: string, args: ImageArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated before anything, the component itself included, is registered.
    validateImageArgs(name, args);
    super("dockyard:index:Image", name, {}, formerTypes(opts, "dockyard:docker:Image"));

    const push = args.push ?? args.registry !== undefined;
    const fullName = args.registry ? `${args.registry.server.replace(/\/$/, "")}/${args.imageName}` : args.imageName;
    const image = new docker.Image(
      name,
      {
        imageName: fullName,
        build: {
          context: args.context,
          // The provider reads the Dockerfile path relative to the working directory, not the context.
          dockerfile: path.join(args.context, args.dockerfile ?? "Dockerfile"),
          args: args.args ?? {},
          target: args.target,
          platform: args.platform,
          builderVersion: args.builderVersion ?? "BuilderBuildKit",
        },
        skipPush: !push,
        registry: args.registry
          ? {
              // `docker login` takes the host only; a path ("registry.example.com/team") is part of the image name.
              server: args.registry.server.split("/")[0],
              username: args.registry.username,
              password: args.registry.password,
            }
          : undefined,
      },
      { parent: this },
    );

    this.ref = image.repoDigest;
    this.imageName = image.imageName;
    this.registerOutputs({ ref: this.ref, imageName: this.imageName });
  }
}
