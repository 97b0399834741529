// Apart from deployment.ts so that ComposeApp's declarations name it without the Kubernetes SDK's.
/** How a published port is reached from outside the cluster (the Service's `type`). */
export const ServiceType = {
  /** Only inside the cluster (`kubectl port-forward`, an Ingress). */
  ClusterIP: "ClusterIP",
  /** On a port of every node. */
  NodePort: "NodePort",
  /** Through the cloud's load balancer. */
  LoadBalancer: "LoadBalancer",
} as const;
export type ServiceType = (typeof ServiceType)[keyof typeof ServiceType];
export const SERVICE_TYPES: readonly ServiceType[] = Object.values(ServiceType);
