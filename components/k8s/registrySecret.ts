import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ValidationError } from "../errors";
import { AppIdentity, appLabels, DNS_SUBDOMAIN, validateIdentity } from "./labels";
import { formerTypes } from "../token";

export interface RegistrySecretArgs {
  /** App name (`app.kubernetes.io/part-of`) and stage (`app.kubernetes.io/instance`). */
  identity: AppIdentity;
  /** Namespace of the Secret (pods can only use pull secrets of their own namespace). */
  namespace: pulumi.Input<string>;
  /** The Secret's `metadata.name`, for `imagePullSecrets`. */
  secretName: string;
  /** Registry host[:port] as in image references ("registry.example.com", "localhost:5000"). */
  server: string;
  /** Registry user. */
  username: pulumi.Input<string>;
  /** Registry password or token; keep it a pulumi secret. */
  password: pulumi.Input<string>;
}

/** Checks the name and server; throws ValidationError. */
export function validateRegistrySecretArgs(name: string, args: RegistrySecretArgs): void {
  const where = `RegistrySecret "${name}"`;
  validateIdentity(where, args.identity);
  if (!DNS_SUBDOMAIN.test(args.secretName)) {
    throw new ValidationError(`${where}: secretName must be lowercase letters, digits, - and ., got ${JSON.stringify(args.secretName)}`);
  }
  if (!/^[a-z0-9.-]+(:\d+)?$/i.test(args.server)) {
    throw new ValidationError(
      `${where}: server must be a registry host[:port] like registry.example.com, got ${JSON.stringify(args.server)}`,
    );
  }
  if (args.username === "") {
    throw new ValidationError(`${where}: username must not be empty (a registry without login needs no pull secret)`);
  }
}

/** The `.dockerconfigjson` document for one registry, as `docker login` writes it. */
export function dockerConfigJson(server: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  return JSON.stringify({ auths: { [server]: { username, password, auth } } });
}

/**
 * A `kubernetes.io/dockerconfigjson` Secret with the credentials of a private registry, for pods'
 * `imagePullSecrets`. The whole document is a pulumi secret.
 */
export class RegistrySecret extends pulumi.ComponentResource {
  /** The Secret's name, for `imagePullSecrets`. */
  public readonly secretName: pulumi.Output<string>;

  constructor(name: string, args: RegistrySecretArgs, opts?: pulumi.ComponentResourceOptions) {
    validateRegistrySecretArgs(name, args);
    super("dockyard:index:RegistrySecret", name, {}, formerTypes(opts, "dockyard:k8s:RegistrySecret"));

    const document = pulumi
      .all([args.username, args.password])
      .apply(([username, password]) => dockerConfigJson(args.server, username, password));
    const secret = new k8s.core.v1.Secret(
      name,
      {
        metadata: { name: args.secretName, namespace: args.namespace, labels: appLabels(args.identity) },
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": pulumi.secret(document) },
      },
      { parent: this },
    );

    this.secretName = secret.metadata.name;
    this.registerOutputs({ secretName: this.secretName });
  }
}
