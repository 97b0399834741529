// The autoscaler's limits and defaults, apart from the component so that what reads them (the stack
// config's schema and its generated reference) does not load @pulumi/kubernetes: a Docker-only
// program does not have it installed.

/** The API's ceiling for a stabilization window: one hour. */
export const MAX_STABILIZATION_SECONDS = 3600;
/** What applies where a stabilization window is not set: the HorizontalPodAutoscaler's own defaults. */
export const STABILIZATION_DEFAULTS = { scaleUpStabilizationSeconds: 0, scaleDownStabilizationSeconds: 300 } as const;
