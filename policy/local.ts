/**
 * Runs the pack on resources without an engine, as the engine would: each policy at its enforcement
 * level from a policy config (the JSON of --policy-pack-config), resource policies on every resource,
 * stack policies on all of them, with the SDK's own arguments (props behind its unknown-checking
 * proxy, isType/asType by the resource class's type token). For tests, and for a program's own
 * checks on what it registers under Pulumi mocks. Also checks a policy config against the policies'
 * configSchema.
 */
import {
  EnforcementLevel,
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  StackValidationArgs,
  unknownCheckingProxy,
  UnknownValueError,
} from "@pulumi/policy";
import { ConfigProperty, Policy, policies as packPolicies } from "./policies";

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

/**
 * What the engine passes for a string not known until deployment (an image id computed during a
 * preview): Pulumi's unknown-string marker. Read through the props proxy, it throws the SDK's
 * UnknownValueError, as in a real preview.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

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

/**
 * Whether `resourceClass` is the class of resources of `type`: its type token, which every
 * generated resource class carries (internal to the provider SDKs, so not in their declarations),
 * as the policy SDK's own isType reads it.
 */
const isTypeOf = (type: string, resourceClass: object): boolean => (resourceClass as { __pulumiType?: unknown }).__pulumiType === type;

/** What args.notApplicable throws (validateResourceOfType calls it for another type); the run goes on. */
class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

/** A resource's props behind the SDK's proxy (typed any: the SDK marks it internal), which throws UnknownValueError on an unknown, and its type checks. */
function proxied(resource: LocalResource) {
  const props = unknownCheckingProxy(resource.props);
  const isType = (resourceClass: object): boolean => isTypeOf(resource.type, resourceClass);
  return { props, isType, asType: (resourceClass: object) => (isType(resourceClass) ? props : undefined) };
}

const options = (resource: LocalResource) => ({
  protect: resource.opts.protect,
  parent: resource.opts.parent,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
});

function resourceArgs(resource: LocalResource, getConfig: <T extends object>() => T): ResourceValidationArgs {
  const { type, name, urn } = resource;
  return { type, name, urn, opts: options(resource), stackTags: new Map(), getConfig, notApplicable, ...proxied(resource) };
}

function stackResource(resource: LocalResource): PolicyResource {
  const { type, name, urn } = resource;
  return { type, name, urn, opts: options(resource), dependencies: [], propertyDependencies: {}, ...proxied(resource) };
}

/**
 * Calls one validation as the engine does: a value read outside `known()` that is not known yet
 * makes the policy report that it cannot run (advisory); not applicable ends it quietly.
 */
function validate(
  policy: Policy,
  run: () => ReturnType<ResourceValidation>,
  violation: (level: EnforcementLevel, message: string) => void,
) {
  try {
    if (run() instanceof Promise) throw new Error(`policy ${policy.name}: runPolicies runs synchronous validations only`);
  } catch (error) {
    if (error instanceof NotApplicable) return;
    // Typed any: the SDK marks the class internal.
    if (error instanceof UnknownValueError) {
      violation("advisory", `can't run policy '${policy.name}' during preview: ${(error as Error).message}`);
      return;
    }
    throw error;
  }
}

export function runPolicies(resources: LocalResource[], config: PolicyConfig = {}, policies: Policy[] = packPolicies): Violation[] {
  const violations: Violation[] = [];
  for (const policy of policies) {
    const level = enforcementLevel(policy, config);
    if (level === "disabled") continue;
    const getConfig = <T extends object>(): T => policyConfig(policy, config) as T;
    if ("validateStack" in policy) {
      const stack: StackValidationArgs = { resources: resources.map(stackResource), stackTags: new Map(), getConfig, notApplicable };
      const report: ReportViolation = (message, urn) => violations.push({ policy: policy.name, level, urn, message });
      validate(
        policy,
        () => policy.validateStack(stack, report),
        (reported, message) => violations.push({ policy: policy.name, level: reported, message }),
      );
      continue;
    }
    const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
    for (const resource of resources) {
      const report: ReportViolation = (message) => violations.push({ policy: policy.name, level, urn: resource.urn, message });
      for (const validation of validations) {
        validate(
          policy,
          () => validation(resourceArgs(resource, getConfig), report),
          (reported, message) => violations.push({ policy: policy.name, level: reported, urn: resource.urn, message }),
        );
      }
    }
  }
  return violations;
}

function typeError(property: ConfigProperty, value: unknown): string | undefined {
  switch (property.type) {
    case "string":
      if (typeof value !== "string") return "a string";
      return property.enum === undefined || property.enum.includes(value) ? undefined : `one of ${property.enum.join(", ")}`;
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
