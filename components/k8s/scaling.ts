// The autoscaler's limits and defaults, apart from the component so that what reads them (the stack
// config's schema and its generated reference) does not load @pulumi/kubernetes: a Docker-only
// program does not have it installed.

/** The API's ceiling for a stabilization window: one hour. */
export const MAX_STABILIZATION_SECONDS = 3600;
/** What applies where a stabilization window is not set: the HorizontalPodAutoscaler's own defaults. */
export const STABILIZATION_DEFAULTS = { scaleUpStabilizationSeconds: 0, scaleDownStabilizationSeconds: 300 } as const;

/** The API's ceiling for a scaling policy's period: half an hour. */
export const MAX_POLICY_PERIOD_SECONDS = 1800;
/** The API's ceiling for a scaling policy's value (pods or percent): its int32. */
export const MAX_POLICY_VALUE = 2147483647;
/**
 * A policy's period where its pods or percent is set and its period is not: the period of the
 * HorizontalPodAutoscaler's own policies.
 */
export const DEFAULT_POLICY_PERIOD_SECONDS = 15;
/**
 * What applies in a direction where neither pods nor percent is set: the HorizontalPodAutoscaler's
 * own policies, which the API server fills in (never written, so a stage without policies registers
 * the object it always did).
 */
export const POLICY_DEFAULTS = {
  scaleUp: "4 pods or 100 percent per 15 s, the larger",
  scaleDown: "100 percent per 15 s",
} as const;

/** The policy keys of one direction, as the stack config and the component name them. */
export const POLICY_KEYS = {
  scaleUp: { pods: "scaleUpPods", percent: "scaleUpPercent", period: "scaleUpPeriodSeconds" },
  scaleDown: { pods: "scaleDownPods", percent: "scaleDownPercent", period: "scaleDownPeriodSeconds" },
} as const;

/** The rule a policy's pods or percent follows, in a refusal's words. */
export const POLICY_VALUE_RULE = `must be a whole number from 1 to ${MAX_POLICY_VALUE}`;
/** The rule a policy's period follows, in a refusal's words. */
export const POLICY_PERIOD_RULE = `must be a whole number of seconds from 1 to ${MAX_POLICY_PERIOD_SECONDS}`;

/** Why a period without pods or percent is refused: it would apply to nothing written. */
export function periodAloneRule(direction: "scaleUp" | "scaleDown"): string {
  const keys = POLICY_KEYS[direction];
  return `is the period of ${keys.pods} and ${keys.percent}: set one of them too (with neither, Kubernetes' own policies apply: ${POLICY_DEFAULTS[direction]})`;
}

/**
 * What a service's HorizontalPodAutoscaler keeps to: its bounds, its targets and how fast it scales.
 * One definition for the stack config (`services.<name>.autoscaling`), ComposeApp's service settings
 * and the Autoscaler component.
 */
export interface ScalingSettings {
  /** Fewest pods the autoscaler keeps; also what the Deployment starts from. */
  minReplicas: number;
  /** Most pods the autoscaler runs. */
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
   * Most pods added in one scale-up period (`scaleUpPeriodSeconds`): a Pods policy of spec.behavior.
   * With scaleUpPercent too, the larger of the two applies (the API's selectPolicy Max). 1 or more.
   * @default - with scaleUpPercent unset too, Kubernetes' own: 4 pods or 100 percent per 15 s, the larger
   */
  scaleUpPods?: number;
  /**
   * Most pods added in one scale-up period, in percent of the pods running (100 doubles them): a
   * Percent policy of spec.behavior. 1 or more.
   * @default - with scaleUpPods unset too, Kubernetes' own: 4 pods or 100 percent per 15 s, the larger
   */
  scaleUpPercent?: number;
  /** The period of scaleUpPods and scaleUpPercent, in seconds, 1 to 1800; needs one of them. @default 15 */
  scaleUpPeriodSeconds?: number;
  /**
   * Most pods removed in one scale-down period (`scaleDownPeriodSeconds`): a Pods policy of
   * spec.behavior. With scaleDownPercent too, the larger of the two applies. 1 or more.
   * @default - with scaleDownPercent unset too, Kubernetes' own: 100 percent per 15 s
   */
  scaleDownPods?: number;
  /**
   * Most pods removed in one scale-down period, in percent of the pods running: a Percent policy of
   * spec.behavior. 1 or more.
   * @default - with scaleDownPods unset too, Kubernetes' own: 100 percent per 15 s
   */
  scaleDownPercent?: number;
  /** The period of scaleDownPods and scaleDownPercent, in seconds, 1 to 1800; needs one of them. @default 15 */
  scaleDownPeriodSeconds?: number;
  /**
   * Average memory utilisation to aim for, as a percent of the containers' memory request, 1-100: a
   * second metric beside CPU; the autoscaler follows whichever asks for more pods. A pod's memory
   * cannot pass its limit, so with the request at the limit (the default) aim below 100.
   * @default - no memory target: CPU alone
   */
  targetMemoryPercent?: number;
}
