import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ValidationError } from "../errors";
import { AppIdentity, DNS_LABEL, serviceLabels, validateIdentity } from "./labels";
import { formerTypes } from "../token";
import {
  DEFAULT_POLICY_PERIOD_SECONDS,
  MAX_POLICY_PERIOD_SECONDS,
  MAX_POLICY_VALUE,
  MAX_STABILIZATION_SECONDS,
  periodAloneRule,
  POLICY_KEYS,
  POLICY_PERIOD_RULE,
  POLICY_VALUE_RULE,
  ScalingSettings,
  STABILIZATION_DEFAULTS,
} from "./scaling";

/** A HorizontalPodAutoscaler for a Deployment: its bounds, targets and behaviour, and what it scales. */
export interface AutoscalerArgs extends ScalingSettings {
  /** App name (`app.kubernetes.io/part-of`) and stage (`app.kubernetes.io/instance`). */
  identity: AppIdentity;
  /** Namespace of the HorizontalPodAutoscaler and its Deployment. */
  namespace: pulumi.Input<string>;
  /** Name of the Deployment to scale (pass the Deployment component's `deploymentName`). */
  deploymentName: pulumi.Input<string>;
  /**
   * The CPU request of the Deployment's containers ("250m", the Deployment component's `cpuRequest`).
   * Required: utilisation is measured against the request, and without one the autoscaler never scales.
   */
  cpuRequest: string | undefined;
  /**
   * The memory request of the Deployment's containers ("128Mi"). Required with targetMemoryPercent:
   * utilisation is measured against the request.
   * @default - none
   */
  memoryRequest?: string;
}

/** The scaling policies of one direction as spec.behavior takes them; undefined when neither pods nor percent is set. */
export function scalingPolicies(
  pods: number | undefined,
  percent: number | undefined,
  periodSeconds: number | undefined,
): Array<{ type: "Pods" | "Percent"; value: number; periodSeconds: number }> | undefined {
  if (pods === undefined && percent === undefined) return undefined;
  const period = periodSeconds ?? DEFAULT_POLICY_PERIOD_SECONDS;
  return [
    ...(pods !== undefined ? [{ type: "Pods" as const, value: pods, periodSeconds: period }] : []),
    ...(percent !== undefined ? [{ type: "Percent" as const, value: percent, periodSeconds: period }] : []),
  ];
}

/**
 * spec.behavior: both stabilization windows always (the defaults written out), and a direction's
 * policies only where its pods or percent is set; the API server fills in the rest.
 */
export function autoscalerBehavior(args: AutoscalerArgs): k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerBehavior {
  const direction = (window: number, policies: ReturnType<typeof scalingPolicies>) => ({
    stabilizationWindowSeconds: window,
    ...(policies !== undefined ? { policies } : {}),
  });
  return {
    scaleUp: direction(
      args.scaleUpStabilizationSeconds ?? STABILIZATION_DEFAULTS.scaleUpStabilizationSeconds,
      scalingPolicies(args.scaleUpPods, args.scaleUpPercent, args.scaleUpPeriodSeconds),
    ),
    scaleDown: direction(
      args.scaleDownStabilizationSeconds ?? STABILIZATION_DEFAULTS.scaleDownStabilizationSeconds,
      scalingPolicies(args.scaleDownPods, args.scaleDownPercent, args.scaleDownPeriodSeconds),
    ),
  };
}

/**
 * Checks the bounds, the stabilization windows, the scaling policies, and that the target has a CPU
 * request (and a memory request for a memory target); throws ValidationError.
 */
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
  for (const direction of ["scaleUp", "scaleDown"] as const) {
    const keys = POLICY_KEYS[direction];
    for (const key of [keys.pods, keys.percent]) {
      const value = args[key];
      if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > MAX_POLICY_VALUE)) {
        fail(`${key} ${POLICY_VALUE_RULE}, got ${value}`);
      }
    }
    const period = args[keys.period];
    if (period !== undefined) {
      if (!Number.isInteger(period) || period < 1 || period > MAX_POLICY_PERIOD_SECONDS)
        fail(`${keys.period} ${POLICY_PERIOD_RULE}, got ${period}`);
      if (args[keys.pods] === undefined && args[keys.percent] === undefined)
        fail(`${keys.period} ${periodAloneRule(direction)}, got ${period}`);
    }
  }
  if (args.cpuRequest === undefined || args.cpuRequest === "") {
    fail("the target's containers need a cpu request: cpu utilisation is a percent of the request (set cpus on the service)");
  }
  const memoryPercent = args.targetMemoryPercent;
  if (memoryPercent !== undefined) {
    if (!Number.isInteger(memoryPercent) || memoryPercent < 1 || memoryPercent > 100) {
      fail(`targetMemoryPercent must be a whole percent 1-100, got ${memoryPercent}`);
    }
    if (args.memoryRequest === undefined || args.memoryRequest === "") {
      fail(
        `targetMemoryPercent ${memoryPercent} needs a memory request on the target's containers: memory utilisation is a percent of the request (set memoryRequest; on a service, limits.memory or reservations.memory), or leave targetMemoryPercent unset to scale by CPU alone`,
      );
    }
  }
}

/**
 * An autoscaling/v2 HorizontalPodAutoscaler that keeps a Deployment's average CPU utilisation (and,
 * with targetMemoryPercent, its memory utilisation) near the target by changing its replica count
 * between the bounds. Its `spec.behavior` always holds both stabilization windows (the defaults
 * written out), so what applies is in the object, and the scaling policies given (how many pods, or
 * what percent, per period); where none is given the API server fills in its own. The Deployment
 * leaves `replicas` to it (DeploymentArgs.autoscaled).
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
            ...(args.targetMemoryPercent !== undefined
              ? [
                  {
                    type: "Resource",
                    resource: { name: "memory", target: { type: "Utilization", averageUtilization: args.targetMemoryPercent } },
                  },
                ]
              : []),
          ],
          behavior: autoscalerBehavior(args),
        },
      },
      { parent: this },
    );

    this.autoscalerName = hpa.metadata.name;
    this.registerOutputs({ autoscalerName: this.autoscalerName });
  }
}
