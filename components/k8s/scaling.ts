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
