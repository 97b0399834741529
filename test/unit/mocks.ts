/**
 * A recording Pulumi mock: every resource registration (components included) is kept so tests can
 * find resources by type and name and assert their exact inputs and parents.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- provider inputs are untyped
  custom: boolean;
}

export const recorded: Recorded[] = [];

/** Computed outputs the real providers would return, per type, so `apply` runs in tests. */
function computed(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "docker:index/image:Image":
      return { repoDigest: `sha256:${name}-digest`, imageName: inputs.imageName };
    case "docker:index/remoteImage:RemoteImage":
      return { repoDigest: `${inputs.name}@sha256:mock`, imageId: `sha256:${name}-id` };
    case "docker:index/volume:Volume":
      return { mountpoint: `/var/lib/docker/volumes/${inputs.name}/_data` };
    default:
      return {};
  }
}

export async function setupMocks(config: Record<string, string | object>, stack = "dev", preview = false): Promise<void> {
  recorded.length = 0;
  const all: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    all[key.includes(":") ? key : `dockyard:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(all);
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? true });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computed(args.type, args.name, args.inputs) } };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        return args.inputs;
      },
    },
    "dockyard",
    stack,
    preview,
  );
}

export function byType(type: string): Recorded[] {
  return recorded.filter((r) => r.type === type).sort((a, b) => a.name.localeCompare(b.name));
}

export function find(type: string, name: string): Recorded {
  const found = recorded.find((r) => r.type === type && r.name === name);
  if (!found) {
    const names = byType(type).map((r) => r.name);
    throw new Error(`no ${type} named ${name}; recorded: ${names.join(", ") || "(none)"}`);
  }
  return found;
}

/**
 * The parent's type of a registered resource, read from its URN's type chain
 * ("parentType$type"). The mock API does not pass the parent to newResource, so this reads the
 * URNs the mock monitor assigned.
 */
export function parentTypeOf(type: string, name: string): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mock monitor's registry is not in the public types
  const monitor = pulumi.runtime.getMonitor() as any;
  const urns: string[] = [...(monitor.getRegisteredResources() as Map<string, unknown>).keys()];
  const urn = urns.find((u) => u.endsWith(`::${name}`) && u.split("::")[2].split("$").pop() === type);
  if (urn === undefined) throw new Error(`no registered URN for ${type} ${name}`);
  const chain = urn.split("::")[2].split("$");
  return chain.length > 1 ? chain[chain.length - 2] : undefined;
}

/** Resolves an Output (or plain value) for assertions; secrets are unwrapped. */
export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/** Lets registrations queued by constructors finish. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The minimum config every stage needs (the password is a secret in real stacks). */
export const BASE_CONFIG = { postgresPassword: "s3cret-pass" };
