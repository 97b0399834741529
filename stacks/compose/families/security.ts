/**
 * cap_drop, cap_add, security_opt, read_only and tmpfs: how a service is confined, onto the model's
 * `security`, so a compose file's hardening reaches every target. What the names allow (capabilities
 * from Docker's default set) is resolveApp's rule; what no target applies is refused here.
 */
import { shown } from "../../errors";
import { SecurityArgs } from "../../../components/security";
import { Context, Doc } from "../context";

/** security_opt entries: `no-new-privileges` (alone, or `:true`, `=true`, `:false`, `=false`). */
const NO_NEW_PRIVILEGES = /^no-new-privileges(?:[:=](true|false))?$/;

/** A compose list as strings (a single string is a list of one); undefined when it is neither. */
function strings(value: unknown): string[] | undefined {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as string[];
  return undefined;
}

export function convertSecurity(raw: Doc, at: string, ctx: Context): SecurityArgs | undefined {
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
        } else {
          ctx.refused.add(
            `${at}.security_opt`,
            `${shown(option)} is not applied on any target: only no-new-privileges is (seccomp, apparmor and label profiles stay the engine's defaults)`,
          );
        }
      }
    }
  }
  return Object.keys(security).length > 0 ? security : undefined;
}
