/**
 * Labels shared by the Kubernetes components: the recommended `app.kubernetes.io/*` set, the stable
 * subset that selectors use, and the per-network pod labels that NetworkPolicies select on.
 */
import { ValidationError } from "../errors";

/** Value of `app.kubernetes.io/managed-by` on everything dockyard creates. */
export const MANAGED_BY = "dockyard";

/** Prefix of the pod label that marks membership of an app network: `dockyard.dev/network-backend: "true"`. */
export const NETWORK_LABEL_PREFIX = "dockyard.dev/network-";

/** Who a set of objects belongs to: the app (`part-of`) and the stage it is deployed as (`instance`). */
export interface AppIdentity {
  /** The app's name, `app.kubernetes.io/part-of` ("voting"). */
  app: string;
  /** The deployment instance, `app.kubernetes.io/instance`: the Pulumi stack ("staging"). */
  instance: string;
}

/** Selects every pod of one app instance (default deny, network peers). */
export function appSelector(id: AppIdentity): Record<string, string> {
  return { "app.kubernetes.io/instance": id.instance, "app.kubernetes.io/part-of": id.app };
}

/**
 * The labels a Deployment selects its pods by and a Service routes to. They never change for a
 * service (a Deployment's selector is immutable), so only identity goes in: no network membership.
 */
export function selectorLabels(id: AppIdentity, service: string): Record<string, string> {
  return { "app.kubernetes.io/name": service, ...appSelector(id) };
}

/** The recommended labels of a service's objects and pods (selector labels plus component and managed-by). */
export function serviceLabels(id: AppIdentity, service: string): Record<string, string> {
  return { ...selectorLabels(id, service), "app.kubernetes.io/component": service, "app.kubernetes.io/managed-by": MANAGED_BY };
}

/** Labels of app-wide objects (namespace, secrets, policies): no service. */
export function appLabels(id: AppIdentity): Record<string, string> {
  return { ...appSelector(id), "app.kubernetes.io/managed-by": MANAGED_BY };
}

/** The pod label for membership of `network`. */
export function networkLabel(network: string): string {
  return `${NETWORK_LABEL_PREFIX}${network}`;
}

/** A label value: empty, or up to 63 alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric. */
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;
/** A DNS-1035 label (Service, Deployment and most object names): lowercase, starts with a letter, up to 63. */
export const DNS_LABEL = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A DNS-1123 subdomain (Secret, ConfigMap, PVC names). */
export const DNS_SUBDOMAIN = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;

/** Throws a ValidationError naming the field when an identity cannot be used as label values. */
export function validateIdentity(where: string, id: AppIdentity): void {
  for (const field of ["app", "instance"] as const) {
    const value = id[field];
    if (value === "" || !LABEL_VALUE.test(value)) {
      throw new ValidationError(
        `${where}: ${field} must be a label value (1-63 letters, digits, - _ . starting and ending with a letter or digit), got ${JSON.stringify(value)}`,
      );
    }
  }
}

/** Throws unless `network` makes a valid label name after the prefix. */
export function validateNetworkName(where: string, network: string): void {
  const name = `network-${network}`;
  if (name.length > 63 || !/^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/.test(name)) {
    throw new ValidationError(
      `${where}: network name must fit a label name "${NETWORK_LABEL_PREFIX}<network>" (letters, digits, - _ ., at most 55 characters), got ${JSON.stringify(network)}`,
    );
  }
}

/** A namespace name: an RFC 1123 label (lowercase letters, digits and -, starting and ending alphanumeric, at most 63). */
const NAMESPACE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** What is allowed, for error messages. */
export const NAMESPACE_RULE =
  "an RFC 1123 label: lowercase letters, digits and -, starting and ending with a letter or digit, at most 63 characters";

export function isNamespaceName(name: string): boolean {
  return NAMESPACE_NAME.test(name);
}

/** Namespaces a cluster creates itself: a stack must not create (and then own and delete) them. */
export const SYSTEM_NAMESPACES = ["default", "kube-node-lease", "kube-public", "kube-system"] as const;
