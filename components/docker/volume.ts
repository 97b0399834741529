import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ValidationError } from "../errors";
import { labelList } from "./labels";
import { formerTypes } from "../token";

export interface VolumeArgs {
  /** The Docker volume name (`docker volume create NAME`). Containers mount it by this name. */
  name: string;
  /** Volume driver. @default "local" */
  driver?: string;
  /** Driver options (`docker volume create -o type=nfs -o device=...`). @default {} */
  driverOptions?: Record<string, string>;
  /** Labels. @default {} */
  labels?: Record<string, string>;
  /**
   * Keep the volume and its data in Docker when the stack is destroyed or the volume is dropped from
   * the program (Pulumi's retainOnDelete). A later `pulumi up` adopts the same name and its data.
   * @default false
   */
  retain?: boolean;
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function validateVolumeArgs(name: string, args: VolumeArgs): void {
  if (!VOLUME_NAME.test(args.name)) {
    throw new ValidationError(
      `Volume "${name}": name must start with a letter or digit and contain only letters, digits, _ . -, got ${JSON.stringify(args.name)}`,
    );
  }
}

/** A named volume: data that outlives the containers that mount it. */
export class Volume extends pulumi.ComponentResource {
  public readonly volumeName: pulumi.Output<string>;
  public readonly mountpoint: pulumi.Output<string>;

  constructor(name: string, args: VolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated before anything, the component itself included, is registered.
    validateVolumeArgs(name, args);
    super("dockyard:index:Volume", name, {}, formerTypes(opts, "dockyard:docker:Volume"));

    const volume = new docker.Volume(
      name,
      {
        name: args.name,
        driver: args.driver ?? "local",
        driverOpts: args.driverOptions ?? {},
        labels: labelList(args.labels),
      },
      // Docker names are unique: a replacement must delete the old one first.
      { parent: this, deleteBeforeReplace: true, retainOnDelete: args.retain ?? false },
    );

    this.volumeName = volume.name;
    this.mountpoint = volume.mountpoint;
    this.registerOutputs({ volumeName: this.volumeName, mountpoint: this.mountpoint });
  }
}
