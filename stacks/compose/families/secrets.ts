/** The top-level secrets: declared in the file, their values always the stack's. */
import { AppModel } from "../../model";
import { Context, isMap } from "../context";
import { declaredExternal, walkKeys } from "../table";

export function convertSecrets(raw: unknown, ctx: Context): AppModel["secrets"] {
  const { refused, report, setting } = ctx;
  const secrets: AppModel["secrets"] = {};
  if (raw === undefined) return secrets;
  if (!isMap(raw)) {
    refused.add("secrets", "must be a mapping of secret names");
    return secrets;
  }
  walkKeys(raw, { pattern: "secrets", at: "secrets" }, ctx);
  for (const [name, spec] of Object.entries(raw)) {
    const at = `secrets.${name}`;
    const definition = isMap(spec) ? spec : {};
    // Refused by the key table (stacks/compose/table.ts), in every form.
    if (declaredExternal(definition)) {
      ctx.refusedSecrets.add(name);
      continue;
    }
    const x = isMap(definition["x-dockyard"]) ? definition["x-dockyard"] : {};
    for (const key of ["file", "environment"]) {
      if (definition[key] !== undefined) {
        report.push({
          path: `${at}.${key}`,
          disposition: "changed",
          note: `not read: the value is the stack's secret ${setting(`secrets.${name}`)}`,
        });
      }
    }
    secrets[name] = {
      description: typeof x.description === "string" ? x.description : `secret ${name} of the compose file`,
      ...(typeof x.minLength === "number" ? { minLength: x.minLength } : {}),
    };
  }
  return secrets;
}
