/**
 * Environment variable names that every target accepts: Kubernetes' rule (a C identifier, plus - and
 * .), which a Docker engine accepts as well. One rule, so the two back ends agree on a service's env.
 */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** What is allowed, for error messages ("env name must be ..."). */
export const ENV_NAME_RULE = "letters, digits, _ - . not starting with a digit";

export function isEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}
