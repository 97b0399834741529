/**
 * How a container is confined, in the words every engine shares: Linux capabilities dropped and added
 * back, no privilege escalation, a read-only root filesystem with in-memory writable paths. Docker
 * containers, swarm services and Kubernetes pods take the same settings from the same fields.
 */
import { posix } from "path";
import { ValidationError } from "./errors";

/**
 * Docker's default capability set: what a container has unless some are dropped, and the only ones a
 * service may add back. Any other (SYS_ADMIN, NET_ADMIN, SYS_PTRACE...) gives a container power
 * over the host or its other containers.
 */
export const DEFAULT_CAPABILITIES = [
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "NET_RAW",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
] as const;

export interface SecurityArgs {
  /** Capabilities dropped, by name without `CAP_` ("NET_RAW"), or "ALL". @default [] - the engine's default set kept */
  capDrop?: string[];
  /** Capabilities added back after the drop, from Docker's default set only ("NET_BIND_SERVICE"). @default [] */
  capAdd?: string[];
  /** No process gains privileges it did not start with (setuid binaries, file capabilities). @default false */
  noNewPrivileges?: boolean;
  /** The root filesystem is read-only; what the service writes goes to its volumes and `tmpfs` paths. @default false */
  readOnlyRootFilesystem?: boolean;
  /** Absolute paths mounted as in-memory, writable filesystems (`/tmp`). @default [] */
  tmpfs?: string[];
}

const CAPABILITY = /^(?:CAP_)?([A-Z_]+)$/;

/** A capability's name as the engines take it: upper case, without `CAP_`. */
export function capabilityName(name: string): string {
  const match = CAPABILITY.exec(name.trim().toUpperCase());
  return match ? match[1] : name;
}

/** The first setting that cannot be honoured: its field ("capAdd") and what is wrong, or undefined. */
export function securityProblem(args: SecurityArgs): [field: string, problem: string] | undefined {
  const known = (name: string) => name === "ALL" || (DEFAULT_CAPABILITIES as readonly string[]).includes(name);
  for (const name of args.capDrop ?? []) {
    if (!known(capabilityName(name))) {
      return ["capDrop", `${JSON.stringify(name)} is not a capability a container has; allowed: ALL, ${DEFAULT_CAPABILITIES.join(", ")}`];
    }
  }
  for (const name of args.capAdd ?? []) {
    if (capabilityName(name) === "ALL" || !known(capabilityName(name))) {
      return [
        "capAdd",
        `${JSON.stringify(name)} would give the container power over the host or its neighbours; allowed: ${DEFAULT_CAPABILITIES.join(", ")} (Docker's default set)`,
      ];
    }
  }
  const seen = new Set<string>();
  for (const path of args.tmpfs ?? []) {
    if (!path.startsWith("/") || path === "/" || posix.normalize(path) !== path) {
      return ["tmpfs", `${JSON.stringify(path)} must be an absolute path in the container, other than /, like "/tmp"`];
    }
    if (seen.has(path)) return ["tmpfs", `lists ${JSON.stringify(path)} twice`];
    seen.add(path);
  }
  return undefined;
}

/** Checks the settings; throws ValidationError naming `where` and the field. */
export function validateSecurityArgs(where: string, args: SecurityArgs): void {
  const problem = securityProblem(args);
  if (problem !== undefined) throw new ValidationError(`${where}: security.${problem[0]} ${problem[1]}`);
}

/** The settings with capability names as the engines take them and the lists sorted, so a plan reads the same each run. */
export function normalSecurity(args: SecurityArgs): Required<SecurityArgs> {
  const names = (list: string[] | undefined) => [...new Set((list ?? []).map(capabilityName))].sort();
  return {
    capDrop: names(args.capDrop),
    capAdd: names(args.capAdd),
    noNewPrivileges: args.noNewPrivileges ?? false,
    readOnlyRootFilesystem: args.readOnlyRootFilesystem ?? false,
    tmpfs: [...(args.tmpfs ?? [])].sort(),
  };
}
