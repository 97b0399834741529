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
  /** Resource options as the program sent them to the engine. */
  options: RecordedOptions;
}

export interface RecordedOptions {
  /** The parent's URN ("" for none). */
  parent: string;
  retainOnDelete: boolean;
  protect: boolean;
  /** URNs of explicit and implicit dependencies. */
  dependencies: string[];
  /** The deleteBeforeReplace option. */
  deleteBeforeReplace: boolean;
  /** The customTimeouts option, when one of them is set. */
  customTimeouts?: { create: string; update: string; delete: string };
}

export const recorded: Recorded[] = [];

/** Computed outputs the real providers would return, per type, so `apply` runs in tests. */
function computed(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "docker:index/image:Image":
      // As the provider: pushed, the registry's digest of the repository; kept local, the image id.
      return {
        repoDigest:
          inputs.skipPush === false ? `${String(inputs.imageName).replace(/:[^:/]+$/, "")}@sha256:${name}-digest` : `sha256:${name}-digest`,
        imageName: inputs.imageName,
      };
    case "docker:index/remoteImage:RemoteImage":
      return { repoDigest: `${inputs.name}@sha256:mock`, imageId: `sha256:${name}-id` };
    case "docker:index/volume:Volume":
      return { mountpoint: `/var/lib/docker/volumes/${inputs.name}/_data` };
    default:
      return {};
  }
}

/** Networks already on the engine, by name, as docker.getNetwork reads them (setupMocks empties it). */
export const engineNetworks = new Map<string, Record<string, unknown>>();

export async function setupMocks(config: Record<string, string | object>, stack = "dev", preview = false): Promise<void> {
  recorded.length = 0;
  pendingOptions.clear();
  engineNetworks.clear();
  const all: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    all[key.includes(":") ? key : `dockyard:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  // The app's secrets as the engine passes them when set with --secret (the program refuses them in plain text).
  pulumi.runtime.setAllConfig(all, ["dockyard:secrets"]);
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        const options = pendingOptions.get(`${args.type}::${args.name}`) as RecordedOptions;
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? true, options });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computed(args.type, args.name, args.inputs) } };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        if (args.token === "docker:index/getNetwork:getNetwork") {
          const found = engineNetworks.get(args.inputs.name as string);
          // The provider fails on a network the engine does not have.
          if (found === undefined) throw new Error(`could not find docker network: ${args.inputs.name}`);
          return { id: `${args.inputs.name}-engine-id`, name: args.inputs.name, ...found };
        }
        return args.inputs;
      },
    },
    "dockyard",
    stack,
    preview,
  );
  // The mock API hands newResource neither the parent nor the resource options, so read them from
  // the registration request on its way into the mock monitor.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the monitor and its protobuf request are untyped here
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  monitor.registerResource = (request: any, callback: unknown) => {
    pendingOptions.set(`${request.getType()}::${request.getName()}`, {
      parent: request.getParent(),
      retainOnDelete: request.getRetainondelete() ?? false,
      protect: request.getProtect() ?? false,
      dependencies: request.getDependenciesList(),
      deleteBeforeReplace: request.getDeletebeforereplace() ?? false,
      customTimeouts: customTimeouts(request.getCustomtimeouts()),
    });
    return register(request, callback);
  };
}

const pendingOptions = new Map<string, RecordedOptions>();

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the request's CustomTimeouts message
function customTimeouts(message: any): RecordedOptions["customTimeouts"] {
  const set = { create: message?.getCreate() ?? "", update: message?.getUpdate() ?? "", delete: message?.getDelete() ?? "" };
  return set.create || set.update || set.delete ? set : undefined;
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

/** The parent's type of a recorded resource, from the parent URN's type chain ("parentType$type"). */
export function parentTypeOf(type: string, name: string): string | undefined {
  const parent = find(type, name).options.parent;
  return parent ? parent.split("::")[2].split("$").pop() : undefined;
}

/** The signature key and value Pulumi marks a secret value with on the wire. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

function isSecretEnvelope(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

/** The value inside a recorded secret input; throws when the input was sent in plain text. */
export function secretValue(input: unknown): unknown {
  if (!isSecretEnvelope(input)) throw new Error(`expected a secret, got plain ${JSON.stringify(input)}`);
  return input.value;
}

/** Recorded inputs with every secret replaced by "[secret]": what would be readable in the state. */
export function withoutSecrets(input: unknown): unknown {
  if (isSecretEnvelope(input)) return "[secret]";
  if (Array.isArray(input)) return input.map(withoutSecrets);
  if (typeof input === "object" && input !== null) {
    return Object.fromEntries(Object.entries(input).map(([key, value]) => [key, withoutSecrets(value)]));
  }
  return input;
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
