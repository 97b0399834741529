import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ValidationError } from "../errors";
import { sortedEntries } from "../sorted";
import { AppIdentity, appLabels, DNS_SUBDOMAIN, validateIdentity } from "./labels";
import { formerTypes } from "../token";

export interface KubernetesSecretArgs {
  /** App name (`app.kubernetes.io/part-of`) and stage (`app.kubernetes.io/instance`). */
  identity: AppIdentity;
  /** Namespace of the Secret. */
  namespace: pulumi.Input<string>;
  /** The Secret's `metadata.name` ("voting-db-password"). */
  secretName: string;
  /** Key → value. Values are marked secret: encrypted in the state, never shown in previews. */
  values: Record<string, pulumi.Input<string>>;
}

const KEY = /^[-._a-zA-Z0-9]+$/;

/** Checks the name and keys; throws ValidationError. Values are not inspected (they are secrets). */
export function validateKubernetesSecretArgs(name: string, args: KubernetesSecretArgs): void {
  const where = `Secret "${name}"`;
  validateIdentity(where, args.identity);
  if (!DNS_SUBDOMAIN.test(args.secretName)) {
    throw new ValidationError(`${where}: secretName must be lowercase letters, digits, - and ., got ${JSON.stringify(args.secretName)}`);
  }
  const keys = Object.keys(args.values);
  if (keys.length === 0) {
    throw new ValidationError(`${where}: values must have at least one key`);
  }
  for (const key of keys) {
    if (!KEY.test(key)) {
      throw new ValidationError(`${where}: key must be letters, digits, - _ ., got ${JSON.stringify(key)}`);
    }
  }
}

/**
 * An Opaque Secret from values that are pulumi secrets (`stringData`, so nothing is encoded by hand);
 * pods read it through `secretKeyRef`, so the values never appear in a Deployment or ConfigMap.
 */
export class KubernetesSecret extends pulumi.ComponentResource {
  /** The Secret's name, for `secretKeyRef`. */
  public readonly secretName: pulumi.Output<string>;

  constructor(name: string, args: KubernetesSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    validateKubernetesSecretArgs(name, args);
    super("dockyard:index:KubernetesSecret", name, {}, formerTypes(opts, "dockyard:k8s:Secret"));

    const secret = new k8s.core.v1.Secret(
      name,
      {
        metadata: { name: args.secretName, namespace: args.namespace, labels: appLabels(args.identity) },
        type: "Opaque",
        stringData: Object.fromEntries(sortedEntries(args.values).map(([key, value]) => [key, pulumi.secret(value)])),
      },
      { parent: this },
    );

    this.secretName = secret.metadata.name;
    this.registerOutputs({ secretName: this.secretName });
  }
}
