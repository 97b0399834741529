/**
 * cap_drop, cap_add, security_opt, read_only and tmpfs: how a service is confined, onto the model's
 * `security`, so a compose file's hardening reaches every target. What the names allow (capabilities
 * from Docker's default set) is resolveApp's rule; what no target applies is refused here.
 *
 * A service that says nothing is not left with the engine's defaults: it gets COMPOSE_HARDENING
 * (NET_RAW dropped, no-new-privileges), which every common image runs with, and the report says so.
 * Its own cap_drop replaces the dropped set; cap_add NET_RAW keeps NET_RAW;
 * security_opt: [no-new-privileges:false] allows escalation again.
 */
import { shown } from "../../errors";
import { capabilityName, SecurityArgs } from "../../../components/security";
import { Context, Doc } from "../context";

/** security_opt entries: `no-new-privileges` (alone, or `:true`, `=true`, `:false`, `=false`). */
const NO_NEW_PRIVILEGES = /^no-new-privileges(?:[:=](true|false))?$/;

/** A compose list as strings (a single string is a list of one); undefined when it is neither. */
function strings(value: unknown): string[] | undefined {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as string[];
  return undefined;
}

/**
 * What a compose service gets when it does not say: Kubernetes' baseline capability set (Docker's
 * default less NET_RAW, which only raw sockets such as ping's need) and no privilege escalation
 * through setuid binaries or file capabilities. Neither stops postgres, redis, nginx or node images,
 * whose entrypoints only lower their privileges.
 */
export const COMPOSE_HARDENING = { capDrop: ["NET_RAW"], noNewPrivileges: true } as const;

export function convertSecurity(raw: Doc, at: string, ctx: Context): SecurityArgs {
  const security: SecurityArgs = {};
  const list = (key: string, field: "capDrop" | "capAdd" | "tmpfs", example: string) => {
    if (raw[key] === undefined) return;
    const items = strings(raw[key]);
    if (items === undefined) {
      ctx.refused.add(`${at}.${key}`, `must be a list of strings, like ${example}, got ${shown(raw[key])}`);
      return;
    }
    ctx.origins.record(`${at}.security.${field}`, `${at}.${key}`);
    security[field] = items;
  };
  list("cap_drop", "capDrop", '["ALL"]');
  list("cap_add", "capAdd", '["NET_BIND_SERVICE"]');
  if (raw.tmpfs !== undefined) {
    list("tmpfs", "tmpfs", '["/tmp"]');
    // "/run:size=64m,mode=1770": the path; every target mounts 64 MiB, writable by any user.
    const withOptions = (security.tmpfs ?? []).filter((entry) => entry.includes(":"));
    if (withOptions.length > 0) {
      ctx.report.push({
        path: `${at}.tmpfs`,
        disposition: "changed",
        note: `options not applied (${withOptions.join(", ")}): each tmpfs is 64 MiB, writable by any user, no executables`,
      });
    }
    security.tmpfs = security.tmpfs?.map((entry) => entry.split(":")[0]);
  }
  if (raw.read_only !== undefined) {
    if (typeof raw.read_only !== "boolean") {
      ctx.refused.add(`${at}.read_only`, `must be true or false, got ${shown(raw.read_only)}`);
    } else {
      ctx.origins.record(`${at}.security.readOnlyRootFilesystem`, `${at}.read_only`);
      security.readOnlyRootFilesystem = raw.read_only;
    }
  }
  if (raw.security_opt !== undefined) {
    const options = strings(raw.security_opt);
    if (options === undefined) {
      ctx.refused.add(`${at}.security_opt`, `must be a list of strings, like ["no-new-privileges:true"], got ${shown(raw.security_opt)}`);
    } else {
      for (const option of options) {
        const match = NO_NEW_PRIVILEGES.exec(option.trim());
        if (match) {
          ctx.origins.record(`${at}.security.noNewPrivileges`, `${at}.security_opt`);
          security.noNewPrivileges = match[1] !== "false";
          if (!security.noNewPrivileges) {
            // Honoured as written, but it turns off a default: said, so a review of the report sees it.
            ctx.report.push({
              path: `${at}.security_opt`,
              disposition: "mapped",
              note: `${option.trim()}: processes may gain privileges through setuid binaries (the no-new-privileges default turned off, as written)`,
            });
          }
        } else {
          ctx.refused.add(
            `${at}.security_opt`,
            `${shown(option)} is not applied on any target: only no-new-privileges is (seccomp, apparmor and label profiles stay the engine's defaults)`,
          );
        }
      }
    }
  }
  hardenByDefault(raw, security, at, ctx);
  return security;
}

/** COMPOSE_HARDENING for what the service's keys leave unsaid, in one report line. */
function hardenByDefault(raw: Doc, security: SecurityArgs, at: string, ctx: Context): void {
  const defaults: string[] = [];
  const undo: string[] = [];
  if (raw.cap_drop === undefined) {
    const added = (security.capAdd ?? []).map(capabilityName);
    const dropped = COMPOSE_HARDENING.capDrop.filter((name) => !added.includes(name));
    if (dropped.length > 0) {
      security.capDrop = [...dropped];
      ctx.origins.record(`${at}.security.capDrop`, `${at}.cap_drop (not set: ${dropped.join(", ")} dropped by default)`);
      defaults.push(`cap_drop: [${dropped.join(", ")}] (Kubernetes' baseline capabilities: Docker's default set less raw sockets)`);
      undo.push(`cap_add: [${dropped.join(", ")}]`);
    }
  }
  if (security.noNewPrivileges === undefined) {
    security.noNewPrivileges = COMPOSE_HARDENING.noNewPrivileges;
    ctx.origins.record(`${at}.security.noNewPrivileges`, `${at}.security_opt (not set: no-new-privileges by default)`);
    defaults.push("security_opt: [no-new-privileges:true] (no process gains privileges through setuid binaries)");
    undo.push("security_opt: [no-new-privileges:false]");
  }
  if (defaults.length > 0) {
    ctx.report.push({
      path: at,
      disposition: "changed",
      note: `hardened by default: ${defaults.join(", ")}; write ${undo.join(" or ")} to keep the engine's default`,
    });
  }
}
