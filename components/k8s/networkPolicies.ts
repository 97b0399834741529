import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ValidationError } from "../errors";
import { Protocol } from "../protocol";
import { sortedEntries } from "../sorted";
import {
  AppIdentity,
  appLabels,
  appSelector,
  DNS_LABEL,
  networkLabel,
  selectorLabels,
  validateIdentity,
  validateNetworkName,
} from "./labels";
import { formerTypes } from "../token";

export interface PublishedPort {
  /** The container port that outside clients reach (a Service forwards to it). */
  port: number;
  /** @default "tcp" */
  protocol?: Protocol;
}

export interface NetworkPoliciesArgs {
  /** App name (`app.kubernetes.io/part-of`) and stage (`app.kubernetes.io/instance`). */
  identity: AppIdentity;
  /** Namespace the app's pods run in. */
  namespace: pulumi.Input<string>;
  /**
   * App network → the services on it. Pods carrying the network's label
   * (`dockyard.dev/network-<name>: "true"`) accept ingress from pods that carry it too, on any port.
   */
  networks: Record<string, string[]>;
  /** Service → ports anyone may connect to (published services such as vote and result). @default {} */
  published?: Record<string, PublishedPort[]>;
  /** Deny every ingress to the app's pods that no policy allows. @default true */
  defaultDeny?: boolean;
}

/** Checks names and ports; throws ValidationError. */
export function validateNetworkPoliciesArgs(name: string, args: NetworkPoliciesArgs): void {
  const where = `NetworkPolicies "${name}"`;
  const fail = (message: string): never => {
    throw new ValidationError(`${where}: ${message}`);
  };
  validateIdentity(where, args.identity);
  for (const [network, services] of sortedEntries(args.networks)) {
    validateNetworkName(where, network);
    for (const service of services) {
      if (!DNS_LABEL.test(service)) {
        fail(`network "${network}": service name must be a DNS label, got ${JSON.stringify(service)}`);
      }
    }
  }
  for (const [service, ports] of sortedEntries(args.published)) {
    if (!DNS_LABEL.test(service)) {
      fail(`published service name must be a DNS label, got ${JSON.stringify(service)}`);
    }
    for (const { port } of ports) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        fail(`service "${service}": published port must be 1-65535, got ${port}`);
      }
    }
  }
}

/**
 * The app's networks as NetworkPolicies: a default deny for the app's pods, one policy per network
 * letting its members reach each other, and one per published service letting anyone reach its
 * published ports. Policies add up: a pod on two networks accepts traffic from both.
 */
/** The policies each NetworkPolicies component made, kept off its fields as Deployment's objects are (deployment.ts). */
const madePolicies = new WeakMap<NetworkPolicies, Record<string, k8s.networking.v1.NetworkPolicy>>();

export class NetworkPolicies extends pulumi.ComponentResource {
  /** Policy name (`metadata.name`) → what it allows, in words. */
  public readonly descriptions: Record<string, string>;

  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    validateNetworkPoliciesArgs(name, args);
    super("dockyard:index:NetworkPolicies", name, {}, formerTypes(opts, "dockyard:k8s:NetworkPolicies"));

    const { app } = args.identity;
    const everyPod = appSelector(args.identity);
    const policies: Record<string, k8s.networking.v1.NetworkPolicy> = {};
    madePolicies.set(this, policies);
    this.descriptions = {};
    const add = (suffix: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec, description: string): void => {
      const policyName = `${app}-${suffix}`;
      policies[policyName] = new k8s.networking.v1.NetworkPolicy(
        `${name}-${suffix}`,
        { metadata: { name: policyName, namespace: args.namespace, labels: appLabels(args.identity) }, spec },
        { parent: this },
      );
      this.descriptions[policyName] = description;
    };

    if (args.defaultDeny ?? true) {
      add(
        "default-deny",
        { podSelector: { matchLabels: everyPod }, policyTypes: ["Ingress"], ingress: [] },
        `ingress to ${app} pods is denied unless another policy allows it`,
      );
    }
    for (const [network, services] of sortedEntries(args.networks)) {
      if (services.length === 0) continue;
      const members = { ...everyPod, [networkLabel(network)]: "true" };
      add(
        `network-${network}`,
        {
          podSelector: { matchLabels: members },
          policyTypes: ["Ingress"],
          ingress: [{ from: [{ podSelector: { matchLabels: members } }] }],
        },
        `${network}: ${[...services].sort().join(", ")} accept traffic from each other`,
      );
    }
    for (const [service, ports] of sortedEntries(args.published)) {
      if (ports.length === 0) continue;
      add(
        `${service}-published`,
        {
          podSelector: { matchLabels: selectorLabels(args.identity, service) },
          policyTypes: ["Ingress"],
          ingress: [{ ports: ports.map((p) => ({ port: p.port, protocol: p.protocol === "udp" ? "UDP" : "TCP" })) }],
        },
        `${service} accepts ${ports.map((p) => `${(p.protocol ?? "tcp").toUpperCase()} ${p.port}`).join(", ")} from anywhere`,
      );
    }

    this.registerOutputs({ descriptions: this.descriptions });
  }

  /** Policy name → the policy. */
  get policies(): Record<string, k8s.networking.v1.NetworkPolicy> {
    return madePolicies.get(this) ?? {};
  }
}
