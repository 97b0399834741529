/**
 * Pod Security Admission: the API server's own check of every pod against the Pod Security
 * Standards, at the level a namespace's `pod-security.kubernetes.io/*` labels choose. Here: those
 * labels, and what a service's settings lack to be admitted at a level, so that a plan can refuse what
 * the API server would refuse (its Deployment would be created, but no pod of it, and the rollout
 * would wait out its deadline).
 */
import { DEFAULT_CAPABILITIES, normalSecurity, SecurityArgs } from "../security";

/** The Pod Security Standards' levels: which pods a namespace admits. */
export const PodSecurityLevel = {
  /** Confined pods only: a numeric user other than root, every capability dropped (NET_BIND_SERVICE may come back), no privilege escalation, a seccomp profile. */
  restricted: "restricted",
  /** Pods that take no known privilege: no privileged containers, host namespaces or host paths, no capability outside Docker's default set less NET_RAW. */
  baseline: "baseline",
  /** Any pod. */
  privileged: "privileged",
} as const;
export type PodSecurityLevel = (typeof PodSecurityLevel)[keyof typeof PodSecurityLevel];
/** The levels, strictest first. */
export const POD_SECURITY_LEVELS: readonly PodSecurityLevel[] = Object.values(PodSecurityLevel);

/**
 * The version of the standards a namespace enforces: that of the control plane the voting app was
 * admitted by on a real node (tools/k8s/modules/go.mod). Pinned, so that a cluster upgrade that
 * tightens a level does not start refusing the app's pods in the middle of a rollout; audit and warn
 * follow `latest`, so such a tightening shows first as warnings on the next change. On a cluster older
 * than this version the API server applies its own latest.
 */
export const POD_SECURITY_VERSION = "v1.34";

/** Prefix of the namespace labels Pod Security Admission reads. */
export const POD_SECURITY_LABEL = "pod-security.kubernetes.io";

/**
 * A namespace's Pod Security labels: `level` enforced (a pod that fails it is refused), and
 * `restricted` audited and warned about whatever is enforced, so that the API server names what a
 * baseline or privileged namespace admits that restricted would not, in its audit log and as warnings
 * to `kubectl` and `pulumi up`.
 */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  return {
    [`${POD_SECURITY_LABEL}/enforce`]: level,
    [`${POD_SECURITY_LABEL}/enforce-version`]: POD_SECURITY_VERSION,
    [`${POD_SECURITY_LABEL}/audit`]: "restricted",
    [`${POD_SECURITY_LABEL}/audit-version`]: "latest",
    [`${POD_SECURITY_LABEL}/warn`]: "restricted",
    [`${POD_SECURITY_LABEL}/warn-version`]: "latest",
  };
}

/** The capabilities the baseline level lets a container add: Docker's default set without NET_RAW. */
export const BASELINE_CAPABILITIES = DEFAULT_CAPABILITIES.filter((capability) => capability !== "NET_RAW");

/** The one capability the restricted level lets a container add back after dropping ALL. */
export const RESTRICTED_CAPABILITIES = ["NET_BIND_SERVICE"] as const;

/** One setting of a service that a Pod Security level refuses its pods for. */
export interface PodSecurityViolation {
  /** The service's field ("user", "security.capDrop"). */
  field: "user" | "security.capDrop" | "security.capAdd" | "security.noNewPrivileges";
  /** Its value; undefined when it is not set. */
  value: unknown;
  /** The pods the level refuses, completing "refuses every pod ...": "that keeps Linux capabilities (...)". */
  refused: string;
  /** What to change, given the field as the user's file names it ("services.web.cap_drop"). */
  fix: (field: string) => string;
  /** The strictest level that admits the setting. */
  admittedBy: Exclude<PodSecurityLevel, "restricted">;
}

/** The pod's user as the Deployment component sets it: a numeric "uid" or "uid:gid". */
const POD_USER = /^(\d+)(?::\d+)?$/;

/**
 * What keeps a service's pods out of a namespace at `level`, for the settings dockyard writes into a
 * pod (the pod's seccomp profile is always RuntimeDefault; host namespaces, host paths and privileged
 * containers are never written). Empty when every pod is admitted.
 */
export function podSecurityViolations(
  level: PodSecurityLevel,
  service: { user?: string; security?: SecurityArgs },
): PodSecurityViolation[] {
  if (level === "privileged") return [];
  const security = normalSecurity(service.security ?? {});
  const violations: PodSecurityViolation[] = [];
  const outsideBaseline = security.capAdd.filter((name) => !(BASELINE_CAPABILITIES as readonly string[]).includes(name));
  if (level === "restricted") {
    const uid = service.user === undefined ? undefined : POD_USER.exec(service.user)?.[1];
    if (uid === undefined || Number(uid) === 0) {
      violations.push({
        field: "user",
        value: service.user,
        refused: "that may run as root (runAsNonRoot needs a numeric user other than 0)",
        fix: (field) => `set ${field} to a numeric uid:gid other than 0, like "10001:10001"`,
        admittedBy: "baseline",
      });
    }
    if (!security.capDrop.includes("ALL")) {
      violations.push({
        field: "security.capDrop",
        value: security.capDrop,
        refused: "that keeps Linux capabilities (capabilities.drop needs ALL)",
        fix: (field) => `add "ALL" to ${field}`,
        admittedBy: "baseline",
      });
    }
    const beyond = security.capAdd.filter((name) => !(RESTRICTED_CAPABILITIES as readonly string[]).includes(name));
    if (beyond.length > 0) {
      violations.push({
        field: "security.capAdd",
        value: security.capAdd,
        refused: `that adds back a capability other than ${RESTRICTED_CAPABILITIES.join(", ")}`,
        fix: (field) => `remove ${beyond.join(", ")} from ${field}`,
        admittedBy: outsideBaseline.length > 0 ? "privileged" : "baseline",
      });
    }
    if (!security.noNewPrivileges) {
      violations.push({
        field: "security.noNewPrivileges",
        value: security.noNewPrivileges,
        refused: "that may gain privileges (allowPrivilegeEscalation needs false)",
        // A compose file says it in security_opt.
        fix: (field) => (field.endsWith("security_opt") ? `add "no-new-privileges:true" to ${field}` : `set ${field} to true`),
        admittedBy: "baseline",
      });
    }
  } else if (outsideBaseline.length > 0) {
    violations.push({
      field: "security.capAdd",
      value: security.capAdd,
      refused: `that adds a capability outside the baseline set (${outsideBaseline.join(", ")})`,
      fix: (field) => `remove ${outsideBaseline.join(", ")} from ${field}`,
      admittedBy: "privileged",
    });
  }
  return violations;
}
