/**
 * The Pulumi engine, backend and passphrase the deploy verbs (up, down, ps, drift) run a stack with,
 * through Pulumi's Automation API, found the way scripts/deploy.sh sets them up:
 * - the engine: the one tools/engine/build.sh built (.tools/pulumi, with its own plugin cache), else an
 *   installed `pulumi` on PATH; downloads of any kind turned off (as tools/engine/env.sh does);
 * - the backend: PULUMI_BACKEND_URL, else the file backend .state/backend when it exists, else the one
 *   you are logged in to (~/.pulumi/credentials.json), else .state/backend, created;
 * - the passphrase (not for a Pulumi service backend): PULUMI_CONFIG_PASSPHRASE(_FILE), else
 *   .state/passphrase, generated once (mode 0600).
 * It also writes .state/env.sh, which gives a shell the same engine, backend and passphrase.
 */
import { LocalWorkspace, PulumiCommand, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The settings of tools/engine/env.sh that keep the engine off the network. */
export const OFFLINE_ENV: Record<string, string> = {
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  PULUMI_DISABLE_REGISTRY_RESOLVE: "true",
  PULUMI_NEO: "false",
  PULUMI_COPILOT: "false",
  PULUMI_SUPPRESS_NEO_LINK: "true",
  PULUMI_SUPPRESS_COPILOT_LINK: "true",
  PULUMI_ENABLE_AUTOMATIC_AGENT_SIGNUP: "false",
  PULUMI_SKIP_NEW_CREDENTIALS_CHECK: "true",
  PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
};

/** An engine the verbs can run, or why there is none. */
export interface Engine {
  /** The folder holding bin/pulumi (PulumiCommand's root), or undefined for `pulumi` on PATH. */
  root?: string;
  /** What to say about it: ".tools/pulumi" or the installed path. */
  description: string;
  /** Environment the engine runs with (PULUMI_HOME for ours, the offline switches). */
  env: Record<string, string>;
}

/** Where a file is on PATH, or undefined. */
function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The engine in a project folder; undefined when there is none (the caller says how to get one). */
export function findEngine(dir: string, env: NodeJS.ProcessEnv = process.env): Engine | undefined {
  const ours = path.join(dir, ".tools", "pulumi");
  if (fs.existsSync(path.join(ours, "bin", "pulumi")) && fs.existsSync(path.join(ours, "bin", "pulumi-language-nodejs"))) {
    return {
      root: ours,
      description: ".tools/pulumi",
      env: { ...OFFLINE_ENV, PULUMI_HOME: path.join(ours, "home"), PULUMI_IGNORE_AMBIENT_PLUGINS: "true" },
    };
  }
  const installed = onPath("pulumi", env);
  if (installed === undefined) return undefined;
  return { description: installed, env: { ...OFFLINE_ENV } };
}

/** The backend and passphrase a stack is opened with, and what to say about each. */
export interface Backend {
  /** PULUMI_BACKEND_URL to set, or undefined for the one the user is logged in to. */
  url?: string;
  /** PULUMI_CONFIG_PASSPHRASE_FILE to set, or undefined (the user's own, or a service backend). */
  passphraseFile?: string;
  notes: string[];
}

/** The backend the user is logged in to (`pulumi login`), from the credentials file; undefined when none. */
function loggedIn(env: NodeJS.ProcessEnv): string | undefined {
  const home = env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
  try {
    const current = (JSON.parse(fs.readFileSync(path.join(home, "credentials.json"), "utf8")) as { current?: string }).current;
    return current === undefined || current === "" ? undefined : current;
  } catch {
    return undefined;
  }
}

/**
 * The backend and passphrase for the project in `dir`. With `create`, a missing .state/backend or
 * .state/passphrase is made (up); without, the verbs that only read (ps, drift, down) use what exists.
 */
export function findBackend(dir: string, env: NodeJS.ProcessEnv, create: boolean): Backend {
  const state = path.join(dir, ".state");
  const local = path.join(state, "backend");
  const notes: string[] = [];
  let url: string | undefined;
  let service = false;
  if (env.PULUMI_BACKEND_URL) {
    url = env.PULUMI_BACKEND_URL;
    service = /^https?:\/\//.test(url);
    notes.push(`backend: ${url} (PULUMI_BACKEND_URL)`);
  } else if (fs.existsSync(local)) {
    url = `file://${local}`;
    notes.push("backend: .state/backend (a local file backend)");
  } else if (loggedIn(env) !== undefined) {
    const current = loggedIn(env) as string;
    service = /^https?:\/\//.test(current);
    notes.push(`backend: ${current} (pulumi login)`);
  } else {
    url = `file://${local}`;
    if (create) fs.mkdirSync(local, { recursive: true });
    notes.push(`backend: .state/backend (a local file backend, ${create ? "created" : "none yet"}; git-ignored)`);
  }
  let passphraseFile: string | undefined;
  if (env.PULUMI_CONFIG_PASSPHRASE || env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    notes.push(`passphrase: yours (PULUMI_CONFIG_PASSPHRASE${env.PULUMI_CONFIG_PASSPHRASE ? "" : "_FILE"})`);
  } else if (!service) {
    const file = path.join(state, "passphrase");
    if (fs.existsSync(file) && fs.statSync(file).size > 0) {
      passphraseFile = file;
      notes.push("passphrase: .state/passphrase (it encrypts this stack's secrets: keep it)");
    } else if (create) {
      passphraseFile = file;
      fs.mkdirSync(state, { recursive: true });
      fs.writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
      notes.push(
        "passphrase: generated into .state/passphrase (mode 0600); it encrypts this stack's secrets: keep it (your own instead: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE before the first run)",
      );
    }
    if (passphraseFile !== undefined) fs.chmodSync(passphraseFile, 0o600);
  }
  return { ...(url === undefined ? {} : { url }), ...(passphraseFile === undefined ? {} : { passphraseFile }), notes };
}

/** .state/env.sh: `source .state/env.sh` gives a shell the engine, backend and passphrase the verbs use. */
export function envScript(backend: Backend, dir: string): string {
  const local = backend.url === `file://${path.join(dir, ".state", "backend")}`;
  return [
    "# Written by `dockyard up`: `source .state/env.sh` gives this shell the Node.js, Pulumi engine,",
    "# backend and passphrase that dockyard used, for plain pulumi commands (pulumi stack output, destroy).",
    'if [ -n "${BASH_SOURCE[0]:-}" ]; then _dockyard_state_env="${BASH_SOURCE[0]}"; else _dockyard_state_env="${(%):-%x}"; fi',
    '_dockyard_state_root="$(cd "$(dirname "$_dockyard_state_env")/.." && pwd)"',
    'if [ -f "$_dockyard_state_root/scripts/node.sh" ]; then eval "$(bash "$_dockyard_state_root/scripts/node.sh" 2>/dev/null)"; fi',
    'if [ -f "$_dockyard_state_root/tools/engine/env.sh" ]; then source "$_dockyard_state_root/tools/engine/env.sh"; fi',
    ...(local ? ['export PULUMI_BACKEND_URL="file://$_dockyard_state_root/.state/backend"'] : []),
    ...(backend.passphraseFile === undefined ? [] : ['export PULUMI_CONFIG_PASSPHRASE_FILE="$_dockyard_state_root/.state/passphrase"']),
    "unset _dockyard_state_env _dockyard_state_root",
    "",
  ].join("\n");
}

/** What opening a stack needs: the engine and backend found, for the project in `dir`. */
export interface Workspace {
  engine: Engine;
  backend: Backend;
  /** The environment the engine runs with. */
  env: Record<string, string>;
}

/** The engine's environment for a backend. */
export function workspaceEnv(engine: Engine, backend: Backend): Record<string, string> {
  return {
    ...engine.env,
    ...(backend.url === undefined ? {} : { PULUMI_BACKEND_URL: backend.url }),
    ...(backend.passphraseFile === undefined ? {} : { PULUMI_CONFIG_PASSPHRASE_FILE: backend.passphraseFile }),
  };
}

/** The project name of a compose file's own project (`dockyard up -f`): its config keys are dockyard:<key>, as in a checkout. */
export const COMPOSE_PROJECT = "dockyard";

/**
 * Opens (selects, or with `create` creates) the stack of the project in `dir`; with `program`, the
 * project is dockyard's own for a compose file: `dir` holds its Pulumi.yaml (written when missing) and
 * stack files, and the program runs in this process (the Automation API's inline program).
 */
export async function openStack(dir: string, stackName: string, workspace: Workspace, create: boolean, program?: PulumiFn): Promise<Stack> {
  const pulumiCommand = await PulumiCommand.get({
    ...(workspace.engine.root === undefined ? {} : { root: workspace.engine.root }),
    skipVersionCheck: true,
  });
  const options = { pulumiCommand, envVars: workspace.env };
  if (program !== undefined) {
    const inline = { stackName, projectName: COMPOSE_PROJECT, program };
    const settings = {
      ...options,
      workDir: dir,
      projectSettings: { name: COMPOSE_PROJECT, runtime: "nodejs" as const, description: "a compose file deployed by dockyard up -f" },
    };
    return create ? LocalWorkspace.createOrSelectStack(inline, settings) : LocalWorkspace.selectStack(inline, settings);
  }
  const args = { stackName, workDir: dir };
  return create ? LocalWorkspace.createOrSelectStack(args, options) : LocalWorkspace.selectStack(args, options);
}
