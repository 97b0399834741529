import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ValidationError } from "../errors";
import { AppIdentity, DNS_LABEL, serviceLabels, validateIdentity } from "./labels";
import { formerTypes } from "../token";
import { MAX_STABILIZATION_SECONDS, STABILIZATION_DEFAULTS } from "./scaling";

export interface AutoscalerArgs {
  /** App name (`app.kubernetes.io/part-of`) and stage (`app.kubernetes.io/instance`). */
  identity: AppIdentity;
  /** Namespace of the HorizontalPodAutoscaler and its Deployment. */
  namespace: pulumi.Input<string>;
  /** Name of the Deployment to scale (pass the Deployment component's `deploymentName`). */
  deploymentName: pulumi.Input<string>;
  /** Fewest pods, also what the Deployment starts from. */
  minReplicas: number;
  /** Most pods. */
  maxReplicas: number;
  /** Average CPU utilisation to aim for, as a percent of the containers' CPU request. */
  targetCpuPercent: number;
  /**
   * Seconds of CPU figures the autoscaler looks back over before it adds pods: it scales up to the
   * lowest count any of them asked for, so a short spike does not add pods. 0 to 3600.
   * @default 0 (Kubernetes' own: scale up at once)
   */
  scaleUpStabilizationSeconds?: number;
  /**
   * Seconds of CPU figures the autoscaler looks back over before it removes pods: it scales down to
   * the highest count any of them asked for, so the pods stay until the load has been gone this long.
   * 0 to 3600.
   * @default 300 (Kubernetes' own)
   */
  scaleDownStabilizationSeconds?: number;
  /**
   * The CPU request of the Deployment's containers ("250m", the Deployment component's `cpuRequest`).
   * Required: utilisation is measured against the request, and without one the autoscaler never scales.
   */
  cpuRequest: string | undefined;
}

/** Checks the bounds, the stabilization windows and that the target has a CPU request; throws ValidationError. */
export function validateAutoscalerArgs(name: string, args: AutoscalerArgs): void {
  const where = `Autoscaler "${name}"`;
  const fail = (message: string): never => {
    throw new ValidationError(`${where}: ${message}`);
  };
  if (!DNS_LABEL.test(name)) {
    fail(`name must be a DNS label (lowercase letters, digits and -, starting with a letter, at most 63), got ${JSON.stringify(name)}`);
  }
  validateIdentity(where, args.identity);
  const { minReplicas, maxReplicas, targetCpuPercent } = args;
  if (!Number.isInteger(minReplicas) || minReplicas < 1) {
    fail(`minReplicas must be a whole number of 1 or more, got ${minReplicas}`);
  }
  if (!Number.isInteger(maxReplicas) || maxReplicas < minReplicas) {
    fail(`maxReplicas must be a whole number of at least minReplicas (${minReplicas}), got ${maxReplicas}`);
  }
  if (!Number.isInteger(targetCpuPercent) || targetCpuPercent < 1 || targetCpuPercent > 100) {
    fail(`targetCpuPercent must be a whole percent 1-100, got ${targetCpuPercent}`);
  }
  for (const key of ["scaleUpStabilizationSeconds", "scaleDownStabilizationSeconds"] as const) {
    const seconds = args[key];
    if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_STABILIZATION_SECONDS)) {
      fail(`${key} must be a whole number of seconds from 0 to ${MAX_STABILIZATION_SECONDS}, got ${seconds}`);
    }
  }
  if (args.cpuRequest === undefined || args.cpuRequest === "") {
    fail("the target's containers need a cpu request: cpu utilisation is a percent of the request (set cpus on the service)");
  }
}

/**
 * An autoscaling/v2 HorizontalPodAutoscaler that keeps a Deployment's average CPU utilisation near
 * the target by changing its replica count between the bounds. Its `spec.behavior` always holds both
 * stabilization windows (the defaults written out), so what applies is in the object; the API server
 * fills in the scaling policies. The Deployment leaves `replicas` to it (DeploymentArgs.autoscaled).
 */
export class Autoscaler extends pulumi.ComponentResource {
  /** The HorizontalPodAutoscaler's name (the Deployment's). */
  public readonly autoscalerName: pulumi.Output<string>;

  constructor(name: string, args: AutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
    validateAutoscalerArgs(name, args);
    super("dockyard:index:Autoscaler", name, {}, formerTypes(opts, "dockyard:k8s:Autoscaler"));

    const hpa = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      name,
      {
        metadata: { name, namespace: args.namespace, labels: serviceLabels(args.identity, name) },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: args.deploymentName },
          minReplicas: args.minReplicas,
          maxReplicas: args.maxReplicas,
          metrics: [
            {
              type: "Resource",
              resource: { name: "cpu", target: { type: "Utilization", averageUtilization: args.targetCpuPercent } },
            },
          ],
          behavior: {
            scaleUp: {
              stabilizationWindowSeconds: args.scaleUpStabilizationSeconds ?? STABILIZATION_DEFAULTS.scaleUpStabilizationSeconds,
            },
            scaleDown: {
              stabilizationWindowSeconds: args.scaleDownStabilizationSeconds ?? STABILIZATION_DEFAULTS.scaleDownStabilizationSeconds,
            },
          },
        },
      },
      { parent: this },
    );

    this.autoscalerName = hpa.metadata.name;
    this.registerOutputs({ autoscalerName: this.autoscalerName });
  }
}
