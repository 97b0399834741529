/**
 * A health check's timings, with the defaults both back ends use: Docker's `--health-*` options and
 * Kubernetes' probes get the same check from the same numbers.
 */

/** The timing fields a health check may set; each one left out takes its value from `HEALTH_DEFAULTS`. */
export interface HealthTimings {
  /** Seconds between checks. */
  intervalSeconds?: number;
  /** Seconds before a check counts as failed. */
  timeoutSeconds?: number;
  /** Consecutive failures before the service counts as unhealthy. */
  retries?: number;
  /** Seconds after start during which failures do not count. */
  startPeriodSeconds?: number;
}

/** The timings of a health check that sets none: a check every 10s, failing after 5s, unhealthy after 3 failures, 10s to start. */
export const HEALTH_DEFAULTS: Readonly<Required<HealthTimings>> = Object.freeze({
  intervalSeconds: 10,
  timeoutSeconds: 5,
  retries: 3,
  startPeriodSeconds: 10,
});

/** Every timing of `health`, field by field, with `HEALTH_DEFAULTS` for those not given. */
export function healthTimings(health: HealthTimings): Required<HealthTimings> {
  return {
    intervalSeconds: health.intervalSeconds ?? HEALTH_DEFAULTS.intervalSeconds,
    timeoutSeconds: health.timeoutSeconds ?? HEALTH_DEFAULTS.timeoutSeconds,
    retries: health.retries ?? HEALTH_DEFAULTS.retries,
    startPeriodSeconds: health.startPeriodSeconds ?? HEALTH_DEFAULTS.startPeriodSeconds,
  };
}
