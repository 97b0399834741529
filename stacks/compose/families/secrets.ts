/** The top-level secrets: declared in the file, their values always the stack's. */
import { AppModel } from "../../model";
import { Context, isMap } from "../context";
import { applyKeys } from "../table";

export function convertSecrets(raw: unknown, ctx: Context): AppModel["secrets"] {
  const { refused, report, setting } = ctx;
  const secrets: AppModel["secrets"] = {};
  if (raw === undefined) return secrets;
  if (!isMap(raw)) {
    refused.add("secrets", "must be a mapping of secret names");
    return secrets;
  }
  for (const [name, spec] of Object.entries(raw)) {
    const at = `secrets.${name}`;
    const definition = isMap(spec) ? spec : {};
    if (definition.external === true) {
      refused.add(at, `is external: its value must come from the stack: remove external and set ${setting(`secrets.${name}`)}`);
      continue;
    }
    applyKeys(definition, "secrets.*", at, ctx, ["external"]);
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
