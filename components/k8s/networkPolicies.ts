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
  isNamespaceName,
  NAMESPACE_RULE,
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

/** Where the cluster's DNS answers: the pods the app's pods may send their queries to. */
export interface ClusterDns {
  /** Namespace of the DNS pods. */
  namespace: string;
  /** Labels that select the DNS pods in it. */
  podLabels: Record<string, string>;
  /** Port the DNS pods answer on, over UDP and TCP. */
  port: number;
}

/**
 * CoreDNS (or kube-dns) as kubeadm, kind, k3s and the managed clusters run it: pods labelled
 * k8s-app=kube-dns in kube-system, answering on 53 behind the kube-dns Service.
 */
export const KUBE_DNS: Readonly<ClusterDns> = Object.freeze({ namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, port: 53 });

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
  /**
   * Service → the ports its pods accept the app's own connections on. With `defaultDenyEgress`, a
   * member of a network may open these ports on the other members of that network, and nothing else
   * of the app. @default {}
   */
  ports?: Record<string, PublishedPort[]>;
  /**
   * Deny every connection the app's pods open that no policy allows: they may then reach the cluster's
   * DNS (`dns`) and, on each of their networks, the members' `ports`; nothing outside the app.
   * @default true
   */
  defaultDenyEgress?: boolean;
  /** The cluster DNS the app's pods may query when egress is denied. @default KUBE_DNS (kube-system, k8s-app=kube-dns, 53) */
  dns?: ClusterDns;
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
  for (const [field, what] of [
    ["published", "published"],
    ["ports", "app"],
  ] as const) {
    for (const [service, ports] of sortedEntries(args[field])) {
      if (!DNS_LABEL.test(service)) {
        fail(`${field} service name must be a DNS label, got ${JSON.stringify(service)}`);
      }
      for (const { port } of ports) {
        if (!Number.isInteger(port) || port < 1 || port > 65535) {
          fail(`service "${service}": ${what} port must be 1-65535, got ${port}`);
        }
      }
    }
  }
  const dns = args.dns;
  if (dns !== undefined) {
    if (!isNamespaceName(dns.namespace)) fail(`dns.namespace must be ${NAMESPACE_RULE}, got ${JSON.stringify(dns.namespace)}`);
    if (Object.keys(dns.podLabels).length === 0) fail("dns.podLabels must select the DNS pods by at least one label, got {}");
    if (!Number.isInteger(dns.port) || dns.port < 1 || dns.port > 65535) fail(`dns.port must be 1-65535, got ${dns.port}`);
  }
}

const PROTOCOL = (port: PublishedPort): "TCP" | "UDP" => (port.protocol === "udp" ? "UDP" : "TCP");
const portList = (ports: PublishedPort[]): string => ports.map((p) => `${PROTOCOL(p)} ${p.port}`).join(", ");

/**
 * The app's networks as NetworkPolicies: a default deny of ingress to the app's pods and of egress
 * from them; one policy letting them query the cluster's DNS; one policy per network letting its
 * members accept each other's connections and open the members' ports; and one per published service
 * letting anyone reach its published ports. Policies add up: a pod on two networks accepts traffic
 * from both, and reaches the members of both.
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
    const denyEgress = args.defaultDenyEgress ?? true;
    if (denyEgress) {
      const dns = args.dns ?? KUBE_DNS;
      const dnsPorts: PublishedPort[] = [
        { port: dns.port, protocol: "udp" },
        { port: dns.port, protocol: "tcp" },
      ];
      add(
        "default-deny-egress",
        { podSelector: { matchLabels: everyPod }, policyTypes: ["Egress"], egress: [] },
        `egress from ${app} pods is denied unless another policy allows it`,
      );
      add(
        "dns",
        {
          podSelector: { matchLabels: everyPod },
          policyTypes: ["Egress"],
          egress: [
            {
              to: [
                {
                  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": dns.namespace } },
                  podSelector: { matchLabels: Object.fromEntries(sortedEntries(dns.podLabels)) },
                },
              ],
              ports: dnsPorts.map((p) => ({ port: p.port, protocol: PROTOCOL(p) })),
            },
          ],
        },
        `${app} pods may query cluster DNS: ${sortedEntries(dns.podLabels)
          .map(([key, value]) => `${key}=${value}`)
          .join(", ")} pods in ${dns.namespace}, ${portList(dnsPorts)}`,
      );
    }
    for (const [network, services] of sortedEntries(args.networks)) {
      if (services.length === 0) continue;
      const members = { ...everyPod, [networkLabel(network)]: "true" };
      const sorted = [...services].sort();
      // Each member's ports, opened on that member's pods only.
      const reached = denyEgress ? sorted.filter((service) => (args.ports?.[service] ?? []).length > 0) : [];
      const egress = reached.map((service) => ({
        to: [{ podSelector: { matchLabels: { ...selectorLabels(args.identity, service), [networkLabel(network)]: "true" } } }],
        ports: (args.ports?.[service] ?? []).map((p) => ({ port: p.port, protocol: PROTOCOL(p) })),
      }));
      add(
        `network-${network}`,
        {
          podSelector: { matchLabels: members },
          policyTypes: egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"],
          ingress: [{ from: [{ podSelector: { matchLabels: members } }] }],
          ...(egress.length > 0 ? { egress } : {}),
        },
        `${network}: ${sorted.join(", ")} accept traffic from each other` +
          (reached.length > 0
            ? `, and open ${reached.map((service) => `${service} ${portList(args.ports?.[service] ?? [])}`).join("; ")}`
            : ""),
      );
    }
    for (const [service, ports] of sortedEntries(args.published)) {
      if (ports.length === 0) continue;
      add(
        `${service}-published`,
        {
          podSelector: { matchLabels: selectorLabels(args.identity, service) },
          policyTypes: ["Ingress"],
          ingress: [{ ports: ports.map((p) => ({ port: p.port, protocol: PROTOCOL(p) })) }],
        },
        `${service} accepts ${portList(ports)} from anywhere`,
      );
    }

    this.registerOutputs({ descriptions: this.descriptions });
  }

  /** Policy name → the policy. */
  get policies(): Record<string, k8s.networking.v1.NetworkPolicy> {
    return madePolicies.get(this) ?? {};
  }
}
