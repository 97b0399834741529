# Sourced, not run: `source tools/engine/env.sh` (bash or zsh) after tools/engine/build.sh.
# Puts the engine that build.sh built (.tools/pulumi/bin) first on PATH with its own plugin cache
# (PULUMI_HOME=.tools/pulumi/home), and turns off everything in the CLI that would reach the
# network on its own. When build.sh found an installed `pulumi` (not ours) whose plugin cache
# already had what was needed, it built nothing: then PATH and PULUMI_HOME stay as they are and
# only the offline switches are set. DOCKYARD_ENGINE tells callers which: "local" or "system".
# Stacks still need a backend and a passphrase from the caller, e.g.
#   pulumi login "file://$PWD/.state" && export PULUMI_CONFIG_PASSPHRASE=...

if [ -n "${BASH_SOURCE[0]:-}" ]; then _dockyard_env_file="${BASH_SOURCE[0]}"; else _dockyard_env_file="${(%):-%x}"; fi
_dockyard_root="$(cd "$(dirname "$_dockyard_env_file")/../.." && pwd)"

if [ -x "$_dockyard_root/.tools/pulumi/bin/pulumi" ]; then
  case ":$PATH:" in
    ":$_dockyard_root/.tools/pulumi/bin:"*) ;; # already first
    *) export PATH="$_dockyard_root/.tools/pulumi/bin:$PATH" ;;
  esac
  export PULUMI_HOME="$_dockyard_root/.tools/pulumi/home"
  # Providers come from PULUMI_HOME at the version a program asks for, not from the provider
  # binaries that build.sh leaves in .tools/pulumi/bin (on PATH); the language hosts (Node.js, and
  # Python and YAML when built) and the dynamic-provider shims are still found next to `pulumi`.
  export PULUMI_IGNORE_AMBIENT_PLUGINS=true
  export DOCKYARD_ENGINE=local
elif command -v pulumi >/dev/null 2>&1; then
  export DOCKYARD_ENGINE=system
else
  echo "[engine] no pulumi yet: run tools/engine/build.sh" >&2
  export DOCKYARD_ENGINE=none
fi

# No update check against the Pulumi Cloud API or Homebrew on each command.
export PULUMI_SKIP_UPDATE_CHECK=true
# No download of a missing plugin from Pulumi's download site or GitHub releases.
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# No look-up of package names in the Pulumi Registry.
export PULUMI_DISABLE_REGISTRY_RESOLVE=true
# No Pulumi Neo (AI assistant; formerly Copilot) features or links, under both names.
export PULUMI_NEO=false PULUMI_COPILOT=false
export PULUMI_SUPPRESS_NEO_LINK=true PULUMI_SUPPRESS_COPILOT_LINK=true
# No temporary Pulumi Cloud account when the CLI thinks an AI agent runs it without credentials.
export PULUMI_ENABLE_AUTOMATIC_AGENT_SIGNUP=false
# No cloud-credentials check after `pulumi new`.
export PULUMI_SKIP_NEW_CREDENTIALS_CHECK=true
# The file backend's "legacy layout" notice is noise for project-local state.
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true

unset _dockyard_env_file _dockyard_root
