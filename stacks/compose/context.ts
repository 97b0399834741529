/**
 * What every converter of stacks/compose/families/ shares: the refusals it adds to, the report it
 * writes, where in the model each compose key landed (for resolveApp's messages), and the settings
 * a note may point to.
 */
import { AppModel } from "../model";
import { Origins, Provenance } from "./origin";
import { ComposeError } from "./load";

/** What happened to a key: the report's three, and refused (collected, then thrown). */
export type Disposition = "mapped" | "changed" | "ignored" | "refused";

export interface ReportLine {
  /** "services.web.ports[0]", "networks.back", "version". */
  path: string;
  disposition: Exclude<Disposition, "refused">;
  note: string;
}

export type Doc = Record<string, unknown>;
export const isMap = (value: unknown): value is Doc => value !== null && typeof value === "object" && !Array.isArray(value);

/** Every refusal of a file, raised together as one ComposeError before anything is registered. */
export class Refusals {
  readonly messages: string[] = [];
  constructor(
    private readonly file: string,
    private readonly provenance: Provenance = new Provenance(),
  ) {}
  add(at: string, message: string): void {
    this.messages.push(`${this.file}: ${this.provenance.name(at)} ${message}`);
  }
  throwIfAny(): void {
    if (this.messages.length === 1) throw new ComposeError(this.messages[0]);
    if (this.messages.length > 1) {
      throw new ComposeError(`${this.messages.length} keys of ${this.file} cannot be deployed:\n  ${this.messages.join("\n  ")}`);
    }
  }
}

/** Names a setting the stage may give in the report's notes: a stack config key, or a ComposeApp's argument. */
export type Setting = (key: string) => string;

/** A stack config key, with how to set a secret's value. */
export const stackSetting: Setting = (key) =>
  key.startsWith("secrets.") ? `dockyard:${key} (pulumi config set --secret --path ${key} <value>)` : `dockyard:${key}`;

/** A published port's host IP as the file gave it ("127.0.0.1:5432:5432", or the long form's host_ip). */
export interface HostIp {
  /** The compose path: "services.db.ports[0]". */
  at: string;
  ip: string;
}

export interface Context {
  /** The model so far: the top-level volumes and secrets are converted before the services. */
  model: AppModel;
  /** The compose file's directory: relative paths in it (env files, bind mounts, build contexts) start here. */
  fileDir: string;
  /** The Pulumi project's directory, which a build context must not leave. */
  projectDir: string;
  refused: Refusals;
  report: ReportLine[];
  /** Model path → compose path, for resolveApp's messages. */
  origins: Origins;
  /** Networks some service joins, each with the compose paths that name it. */
  usedNetworks: Map<string, string[]>;
  /** Volumes whose top-level definition was refused (external): mounts of them are not refused again. */
  refusedVolumes: Set<string>;
  /** Secrets whose top-level definition was refused (external): a service listing them is not refused again. */
  refusedSecrets: Set<string>;
  /** Configs whose top-level definition was refused: a service listing them is not refused again. */
  refusedConfigs: Set<string>;
  setting: Setting;
  /** Each service's name on the targets, by its compose name (`my_api` is `my-api`): families/depends.ts serviceNames. */
  serviceNames: Map<string, string>;
  /** Host IPs the file asked published ports bound to, checked against the stage's binding when a stage is applied. */
  hostIps: HostIp[];
  /** The variables the file was read with (load.ts): env_file values are interpolated from them. @default - none */
  variables?: Record<string, string | undefined>;
}
