import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ValidationError } from "../errors";
import { labelList } from "../docker/labels";
import { formerTypes } from "../token";

export interface SwarmSecretArgs {
  /**
   * The swarm secret's name (`docker secret create NAME`). A swarm secret cannot change in place: give
   * a name that changes with the value (a fingerprint of it), so a new value is a new secret the
   * services switch to, and the old one is removed after them.
   */
  name: string;
  /** The value, exactly (no newline is added); sent and stored as a secret. */
  value: pulumi.Input<string>;
  /** @default {} */
  labels?: Record<string, string>;
}

/** Docker's rule for secret names: letters, digits, `_ . -`, starting and ending with a letter or digit, up to 64. */
export const SWARM_SECRET_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9])?$/;

export function validateSwarmSecretArgs(name: string, args: SwarmSecretArgs): void {
  if (!SWARM_SECRET_NAME.test(args.name)) {
    throw new ValidationError(
      `Secret "${name}": name must be 1-64 letters, digits, _ . -, starting and ending with a letter or digit, got ${JSON.stringify(args.name)}`,
    );
  }
}

/** A swarm secret (`docker secret create`): services mount it as a file under /run/secrets. */
export class SwarmSecret extends pulumi.ComponentResource {
  public readonly secretId: pulumi.Output<string>;
  public readonly secretName: pulumi.Output<string>;

  constructor(name: string, args: SwarmSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated before anything, the component itself included, is registered.
    validateSwarmSecretArgs(name, args);
    super("dockyard:index:SwarmSecret", name, {}, formerTypes(opts, "dockyard:swarm:Secret"));

    const secret = new docker.Secret(
      name,
      {
        name: args.name,
        // The API takes the value base64-encoded.
        data: pulumi.secret(pulumi.output(args.value).apply((value) => Buffer.from(value, "utf8").toString("base64"))),
        labels: labelList(args.labels),
      },
      // Every field forces a replacement. The provider asks for the old secret to be deleted first (its
      // name is set explicitly), which the swarm refuses while services use it; the new name differs,
      // so the new secret is created first, the services switch to it, and the old one goes last.
      { parent: this, deleteBeforeReplace: false },
    );

    this.secretId = secret.id;
    this.secretName = secret.name;
    this.registerOutputs({ secretId: this.secretId, secretName: this.secretName });
  }
}
