/**
 * Runs the pack on resources without an engine, as the engine would: each policy at its enforcement
 * level from a policy config (the JSON of --policy-pack-config), resource policies on every resource,
 * stack policies on all of them. For tests, and for a program's own checks on what it registers
 * under Pulumi mocks. Also checks a policy config against the policies' configSchema.
 */
import { ConfigProperty, EnforcementLevel, Policy, policies as packPolicies, StackArgs } from "./policies";

export type PolicyConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface LocalResource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  opts: { protect: boolean; parent?: string };
}

export interface Violation {
  policy: string;
  level: EnforcementLevel;
  /** The resource's URN; undefined for the stack as a whole. */
  urn?: string;
  message: string;
}

const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** The pack's default when neither the config nor the policy says (index.ts). */
export const PACK_ENFORCEMENT: EnforcementLevel = "mandatory";

export function enforcementLevel(policy: Policy, config: PolicyConfig): EnforcementLevel {
  const own = config[policy.name];
  const level = typeof own === "string" ? own : own?.enforcementLevel;
  const all = config.all;
  return level ?? (typeof all === "string" ? all : undefined) ?? policy.enforcementLevel ?? PACK_ENFORCEMENT;
}

function policyConfig(policy: Policy, config: PolicyConfig): object {
  const own = config[policy.name];
  return typeof own === "object" ? own : {};
}

export function runPolicies(resources: LocalResource[], config: PolicyConfig = {}, policies: Policy[] = packPolicies): Violation[] {
  const violations: Violation[] = [];
  for (const policy of policies) {
    const level = enforcementLevel(policy, config);
    if (level === "disabled") continue;
    const getConfig = <T extends object>(): T => policyConfig(policy, config) as T;
    if ("validateResource" in policy) {
      for (const resource of resources) {
        policy.validateResource({ ...resource, getConfig }, (message) =>
          violations.push({ policy: policy.name, level, urn: resource.urn, message }),
        );
      }
    } else {
      const stack: StackArgs = { resources, getConfig };
      policy.validateStack(stack, (message, urn) => violations.push({ policy: policy.name, level, urn, message }));
    }
  }
  return violations;
}

function typeError(property: ConfigProperty, value: unknown): string | undefined {
  switch (property.type) {
    case "string":
      return typeof value === "string" ? undefined : "a string";
    case "boolean":
      return typeof value === "boolean" ? undefined : "true or false";
    case "integer":
      if (property.minimum !== undefined) {
        return Number.isInteger(value) && (value as number) >= property.minimum
          ? undefined
          : `a whole number of at least ${property.minimum}`;
      }
      return Number.isInteger(value) ? undefined : "a whole number";
    case "array":
      return Array.isArray(value) && value.every((item) => typeof item === "string") ? undefined : "a list of strings";
  }
}

/** What is wrong with a policy config, one message per problem (none: valid). */
export function checkPolicyConfig(config: unknown, policies: Policy[] = packPolicies): string[] {
  if (typeof config !== "object" || config === null || Array.isArray(config)) return ["the policy config must be a JSON object"];
  const problems: string[] = [];
  const byName = new Map(policies.map((policy) => [policy.name, policy]));
  for (const [key, value] of Object.entries(config)) {
    if (key === "all") {
      if (!LEVELS.includes(value)) problems.push(`all: must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(value)}`);
      continue;
    }
    const policy = byName.get(key);
    if (!policy) {
      problems.push(`${key}: no such policy (policies: ${[...byName.keys()].join(", ")})`);
      continue;
    }
    if (typeof value === "string") {
      if (!LEVELS.includes(value as EnforcementLevel))
        problems.push(`${key}: must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(value)}`);
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      problems.push(`${key}: must be an enforcement level or an object, got ${JSON.stringify(value)}`);
      continue;
    }
    const properties = policy.configSchema?.properties ?? {};
    for (const [name, setting] of Object.entries(value as Record<string, unknown>)) {
      if (name === "enforcementLevel") {
        if (!LEVELS.includes(setting as EnforcementLevel)) {
          problems.push(`${key}.enforcementLevel: must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(setting)}`);
        }
        continue;
      }
      const property = properties[name];
      if (!property) {
        problems.push(`${key}.${name}: not a setting of ${key} (settings: ${Object.keys(properties).join(", ") || "none"})`);
        continue;
      }
      const expected = typeError(property, setting);
      if (expected) problems.push(`${key}.${name}: must be ${expected}, got ${JSON.stringify(setting)}`);
    }
  }
  return problems;
}
