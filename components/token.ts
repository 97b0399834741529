import * as pulumi from "@pulumi/pulumi";

/**
 * The options of a component whose type token changed: `aliases` tell Pulumi that a resource of the
 * former type with the same name is this one (its children follow it), so a stack deployed under the
 * old token upgrades in place instead of replacing everything. Tokens are `dockyard:index:<Type>`,
 * the only form Pulumi's component packages accept (Python and YAML programs construct them by it);
 * they were `dockyard:<module>:<Type>` before.
 */
export function formerTypes(opts: pulumi.ComponentResourceOptions | undefined, ...types: string[]): pulumi.ComponentResourceOptions {
  return pulumi.mergeOptions(opts, { aliases: types.map((type) => ({ type })) });
}
