/**
 * Every class of bad input dockyard refuses, each with examples: the input (a stage's config, or a
 * file of test/unit/compose-corpus/bad) and the exact message. test/unit/refusals.test.ts runs every
 * example (a stage's config through the whole program under mocks, a compose file through readCompose
 * and resolveApp) and asserts its message; tools/docs/refusals.ts writes docs/refusals.md from the
 * first example of each class, so the docs show what the program prints. No test helpers here: the
 * docs generator reads this file too.
 */

/** A stage's config as runProgram takes it: keys without the dockyard: prefix (another provider's with theirs), maps as objects. */
export type StageValues = Record<string, string | object>;

/** A stage's config, over the app's secret (dockyard:secrets), through the whole program (index.ts) under mocks. */
export interface ConfigExample {
  name: string;
  config: StageValues;
  /** @default "dev" */
  stack?: string;
  message: string;
}

/** A file of test/unit/compose-corpus/bad, read as dockyard:compose.file; the message without the file's name before it. */
export interface ComposeExample {
  name: string;
  compose: string;
  /** @default "dev" */
  stack?: string;
  message: string;
}

export type RefusalExample = ConfigExample | ComposeExample;

export interface RefusalClass {
  /** The class, as docs/refusals.md's headings and table name it. */
  title: string;
  /** What is refused, and why, in a sentence. */
  what: string;
  /** The first is the one the docs show. */
  examples: RefusalExample[];
}

/** The bad compose files, as the examples name them. */
export const BAD_CORPUS = "test/unit/compose-corpus/bad";

const CLUSTER = { target: "kubernetes", registry: "localhost:5000" };

export const REFUSAL_CLASSES: RefusalClass[] = [
  {
    title: "A key dockyard does not read",
    what: "A misspelt key, a key of an older config or a newer compose spec: it would be ignored without a word, so it is refused with the keys there are.",
    examples: [
      {
        name: "a misspelt network setting",
        config: { networks: { frontend: { mask: "255.255.255.0" } } },
        message: 'dockyard:networks.frontend has unknown key "mask"; allowed: subnet, gateway, ipRange',
      },
      {
        name: "a key of the flat config before the per-name maps",
        config: { votePort: "8080" },
        message:
          'dockyard:votePort is no longer read: set dockyard:services.vote.ports.http instead (README, "Upgrading from the flat keys")',
      },
      {
        name: "a misspelt compose service key",
        compose: "unknown-service-key.yaml",
        message:
          "services.web.restrat is not a compose service key dockyard knows (a typo, or a key of a newer compose spec); did you mean restart?",
      },
    ],
  },
  {
    title: "A key of another target",
    what: "A key that only one target reads (a namespace, a swarm's endpoint mode), set on a stage of another: it says the user expects another target than the stack deploys to.",
    examples: [
      {
        name: "a namespace on a Docker stage",
        config: { namespace: "voting-dev" },
        message:
          "dockyard:namespace applies to target kubernetes only, and dockyard:target is docker: remove the key from the stack's config, or set dockyard:target to the target it is for",
      },
    ],
  },
  {
    title: "Another provider's key",
    what: "A Docker or Kubernetes provider key (`docker:host`, `kubernetes:namespace`): the stack deploys through providers it makes from dockyard's keys, so it would be ignored; the dockyard key to use is named.",
    examples: [
      {
        name: "docker:host",
        config: { "docker:host": "tcp://10.0.0.5:2376" },
        message:
          "docker:host is set, but a dockyard stack deploys through providers of its own, made from dockyard: keys, so it would be ignored; set dockyard:dockerHost instead (pulumi config rm docker:host; pulumi config set dockerHost <value>)",
      },
    ],
  },
  {
    title: "A value of the wrong kind",
    what: "Text where a number or a flag goes, a map where a list goes, a value not among those allowed.",
    examples: [
      {
        name: "a flag as a word",
        config: { volumes: { "db-data": { retain: "yes" } } },
        message: 'dockyard:volumes.db-data.retain must be true or false, got "yes"',
      },
      { name: "ports as a map", compose: "ports-as-map.yaml", message: 'services.web.ports must be a list of ports, got {"http":8080}' },
      {
        name: "a restart policy compose does not have",
        compose: "restart-unknown.yaml",
        message: 'services.web.restart "never" must be "no", "always", "unless-stopped", "on-failure" or "on-failure:<attempts>"',
      },
      {
        name: "a share written as a percentage",
        config: { services: { worker: { rollout: { maxFailureRatio: "15%" } } } },
        message:
          'dockyard:services.worker.rollout.maxFailureRatio must be a share from 0 to 1 (0.2 for one in five; 15% is 0.15), got "15%"',
      },
      {
        name: "a service's profiles as text",
        compose: "profiles-as-text.yaml",
        message: 'services.debug.profiles must be a list of profile names, like [debug], got "debug"',
      },
      {
        name: "an HTTP health check's path without its slash",
        compose: "health-http-path.yaml",
        message: 'services.web.x-dockyard.healthHttp.path must be a path starting with /, like "/healthz", got "healthz"',
      },
    ],
  },
  {
    title: "A required value missing",
    what: "An app secret without a value, a compose variable marked required (`${VAR:?}`) unset, a variable a port is made of unset, one that leaves an image without its tag.",
    examples: [
      {
        name: "the app's secret",
        config: { secrets: {} },
        message:
          "dockyard:secrets.db-password is required (password of the PostgreSQL user the app uses): pulumi config set --secret --path secrets.db-password <value>",
      },
      {
        name: "a required variable",
        compose: "required-colon.yaml",
        message: "services.web.image: required variable DOCKYARD_CORPUS_TAG is missing a value: set the tag to deploy",
      },
      {
        name: "a port's variable unset",
        compose: "unset-port-variable.yaml",
        message:
          "services.web.ports[0]: variable DOCKYARD_TEST_UNSET_PORT is not set, so the port would be read with a blank in its place: set DOCKYARD_TEST_UNSET_PORT, or give a default (${DOCKYARD_TEST_UNSET_PORT:-8080})",
      },
      {
        name: "an image's variable unset",
        compose: "image-unset-variable.yaml",
        message:
          'services.api.image "example/api:${DOCKYARD_CORPUS_UNSET_TAG}": variable DOCKYARD_CORPUS_UNSET_TAG is not set, so the image would be "example/api:", which is no image reference: set DOCKYARD_CORPUS_UNSET_TAG, or give it a default in the file (${DOCKYARD_CORPUS_UNSET_TAG:-default})',
      },
    ],
  },
  {
    title: "A number out of range",
    what: "Replicas, ports, CPUs, memory and storage sizes past what the engines accept (int32 counts, Docker's 6m memory minimum, a thousandth of a CPU).",
    examples: [
      {
        name: "memory under Docker's minimum",
        config: { services: { worker: { limits: { memory: "5m" } } } },
        message: 'dockyard:services.worker.limits.memory must be at least 6m (Docker\'s minimum), got "5m"',
      },
      {
        name: "restart attempts past 32 bits",
        config: { services: { worker: { restart: { condition: "on-failure", maxAttempts: 3000000000 } } } },
        message:
          "dockyard:services.worker.restart.maxAttempts must be a whole number from 0 to 2147483647 (the engines count in 32 bits), got 3000000000",
      },
      {
        name: "cpus finer than a millicpu",
        config: { services: { vote: { limits: { cpus: 0.0001 } } } },
        message: "dockyard:services.vote.limits.cpus must be a multiple of 0.001 CPU, got 0.0001",
      },
      {
        name: "cpus below the kernel's smallest quota, on swarm",
        config: { target: "swarm", services: { vote: { limits: { cpus: 0.001 } } } },
        message:
          "dockyard:services.vote.limits.cpus must be at least 0.01 CPU, the smallest CPU quota the kernel takes (Docker and swarm refuse less), got 0.001",
      },
      {
        name: "storage size of zero",
        config: { volumes: { "db-data": { size: "0" } } },
        message: 'dockyard:volumes.db-data.size must be more than 0, got "0"',
      },
    ],
  },
  {
    title: "A duration out of range",
    what: "Health check timings, rollout pauses and watches, restart delays and windows, stop grace periods: whole seconds, within an engine's range and what an up would sensibly wait (an hour, a day); a compose duration must be whole seconds.",
    examples: [
      {
        name: "a rollout watching each batch for two hours",
        config: { services: { worker: { rollout: { monitorSeconds: 7200 } } } },
        message:
          "dockyard:services.worker.rollout.monitorSeconds must be a whole number of seconds from 0 to 3600 (an hour watching each batch), got 7200",
      },
      {
        name: "a health check every two days",
        compose: "duration-past-bound.yaml",
        message: 'services.web.healthcheck.interval must be a whole number of seconds from 1 to 86400 (a day), got "48h" (172800 s)',
      },
      {
        name: "a duration that is not one",
        compose: "bad-duration.yaml",
        message: 'services.web.healthcheck.interval "10 seconds" must be a duration like "30s", "1m30s", "0.5m" or "2h"',
      },
      {
        name: "fractions of a second",
        compose: "fractional-duration.yaml",
        message:
          'services.web.healthcheck.timeout "1500ms" (1.5 s) is not a whole number of seconds, which every target needs; round it to whole seconds',
      },
    ],
  },
  {
    title: "A name no target can use",
    what: "Service, network and volume names must be DNS labels every target takes; a name that is also a member of every JavaScript object (`__proto__`, `constructor`) would be lost.",
    examples: [
      {
        name: "__proto__ as a service name",
        config: { services: JSON.parse('{"__proto__": {"replicas": 2}}') as object },
        message:
          'dockyard:services.__proto__ cannot be a name here: "__proto__" names every object\'s prototype, so the setting would be lost; rename it',
      },
      {
        name: "a StorageClass name with a capital and a space",
        config: { ...CLUSTER, storageClass: "Fast SSD" },
        stack: "staging",
        message:
          'dockyard:storageClass must be a StorageClass name: lowercase letters, digits, - and ., each dot-separated part starting and ending with a letter or digit, up to 253 characters; or empty for the cluster default, got "Fast SSD"',
      },
      {
        name: "two service names that are one name on the targets",
        compose: "service-name.yaml",
        message:
          'services.web_server and services.Web-Server are both named "web-server" on the targets (service names there are lowercase, with - for _ and .); rename one of them',
      },
      {
        name: "a key named like a member of every object",
        compose: "object-member-key.yaml",
        message:
          "services.web.depends_on[0].toString cannot be read: toString is the name of a member every JavaScript object has; rename it",
      },
    ],
  },
  {
    title: "Networks that overlap or are not ranges",
    what: "Subnets with host bits set, overlapping another network, gateways and IP ranges outside their subnet.",
    examples: [
      {
        name: "subnet with host bits",
        config: { networks: { frontend: { subnet: "10.123.1.5/24" } } },
        message: "dockyard:networks.frontend.subnet 10.123.1.5/24 has host bits set; did you mean 10.123.1.0/24?",
      },
      {
        name: "overlapping subnets",
        config: { networks: { backend: { subnet: "10.123.0.0/16" } } },
        message:
          'dockyard:networks.backend.subnet 10.123.0.0/16 overlaps network "frontend" (10.123.1.0/24); give each network its own range',
      },
      {
        name: "gateway outside the subnet",
        config: { networks: { backend: { gateway: "10.9.9.9" } } },
        message: 'dockyard:networks.backend.gateway "10.9.9.9" must be an address inside subnet 10.123.2.0/24',
      },
      {
        name: "ipRange outside the subnet",
        config: { networks: { backend: { ipRange: "10.9.9.0/30" } } },
        message: 'dockyard:networks.backend.ipRange "10.9.9.0/30" must be a CIDR inside subnet 10.123.2.0/24',
      },
    ],
  },
  {
    title: "A port published twice, or one that must not be",
    what: "One host port for two services, a container port listed twice, a port that is only for the health check.",
    examples: [
      {
        name: "two services on one host port",
        config: { services: { result: { ports: { http: 5000 } } } },
        message: 'dockyard:services.result.ports.http 5000 is already published by app "voting": services.vote.ports.http',
      },
      {
        name: "a health-only port published",
        config: { services: { worker: { ports: { health: 5005 } } } },
        message: "dockyard:services.worker.ports.health is only for the health check, so it cannot be published (got 5005)",
      },
      {
        name: "a container port listed twice",
        compose: "duplicate-port.yaml",
        message: "services.web.ports[1] lists container port 80/tcp twice",
      },
    ],
  },
  {
    title: "A host path that hands the host to a container",
    what: "Any container engine's socket (Docker's, rootless Docker's, podman's, containerd's, CRI-O's) and the host's runtime folders (`/run`, `/var/run`), the host's system folders (`/`, `/etc`, `/proc`, `/sys`, `/dev`, `/boot`, `/var/spool`, `/var/lib/docker`, `/opt/cni`) or a folder holding one, credentials even read-only (`/etc/kubernetes`, `/etc/shadow`, `~/.kube`, `~/.ssh`, `~/.docker`, an SSH private key, a Docker config.json, a home folder; a compose config's file likewise), a writable path inside the system folders or the host's programs (`/usr`, `/bin`, `/sbin`, `/lib*`); each judged as written and after its symlinks.",
    examples: [
      {
        name: "the Docker socket",
        compose: "docker-socket.yaml",
        message:
          'services.agent.volumes[0] bind source "/var/run/docker.sock" is the container engine\'s socket: a container that mounts it can take over the host; use a named volume of the app, or a path of its own under a data folder',
      },
      {
        name: "another engine's socket (rootless Docker)",
        compose: "rootless-socket.yaml",
        message:
          'services.agent.volumes[0] bind source "/run/user/1000/docker.sock" is a container engine\'s socket: a container that mounts it can take over the host; use a named volume of the app, or a path of its own under a data folder',
      },
      {
        name: "the cluster's admin credentials, read-only",
        compose: "kubeconfig-read-only.yaml",
        message:
          'services.dash.volumes[0] bind source "/etc/kubernetes/admin.conf" is the host\'s credentials (/etc/kubernetes), refused even read-only: a container that mounts it can take over the host; use a named volume of the app, or a path of its own under a data folder',
      },
      {
        name: "the host's programs, writable",
        compose: "system-binaries-writable.yaml",
        message:
          'services.installer.volumes[0] bind source "/usr/local/bin" is in the host\'s programs and libraries (/usr), mounted writable, so the host would run what the container writes there (read-only is allowed): a container that mounts it can take over the host; use a named volume of the app, or a path of its own under a data folder',
      },
    ],
  },
  {
    title: "Data written by two",
    what: "A single-writer service (a database) with more than one copy, autoscaled, or started before its old copy stops; a volume mounted by two services.",
    examples: [
      {
        name: "two writers of one database",
        config: { services: { db: { replicas: 2 } } },
        message: "dockyard:services.db.replicas must be 0 or 1 for a single-writer service (its data allows one writer), got 2",
      },
      {
        name: "autoscaling a database",
        config: { ...CLUSTER, services: { db: { autoscaling: { minReplicas: 1, maxReplicas: 2, targetCpuPercent: 50 } } } },
        stack: "staging",
        message: "dockyard:services.db.autoscaling cannot be set on a single-writer service (its data allows one writer)",
      },
      {
        name: "autoscaling min above max",
        config: { ...CLUSTER, services: { vote: { autoscaling: { minReplicas: 5, maxReplicas: 2, targetCpuPercent: 70 } } } },
        stack: "staging",
        message: "dockyard:services.vote.autoscaling.maxReplicas must be a whole number from minReplicas (5) to 1000, got 2",
      },
    ],
  },
  {
    title: "Dependencies that cannot start",
    what: "A dependency on a service that is not there or not active, a circle, a wait for a health check the service does not have.",
    examples: [
      { name: "a circle", compose: "cycle.yaml", message: "services depend on each other in a circle: a -> b -> c -> a" },
      {
        name: "an unknown service",
        compose: "missing-dependency.yaml",
        message: 'services.web.depends_on names unknown service "api"; the app\'s services are: web',
      },
    ],
  },
  {
    title: "A credential in plain text outside the dev stack",
    what: "A plain environment value, build argument or command-line value (a command's, an entrypoint's, a health check's: after a flag like `--requirepass`, in `NAME=value`, or by its look) whose name says it is a credential (`PASSWORD`, `TOKEN`, `SECRET`, `API_KEY`...) or whose value looks like one (a known token format, a password in a URL, long high-entropy text), and a registry password not set with `--secret`. The value is never shown; the message says how to give it as a secret.",
    examples: [
      {
        name: "a password in the environment",
        compose: "literal-password.yaml",
        stack: "prod",
        message:
          'services.db.environment.POSTGRES_PASSWORD holds a literal credential (named like one; 14 characters, not shown), allowed only in the dev stack (stack is "prod"): declare a top-level secret, list it under the service\'s secrets:, set POSTGRES_PASSWORD_FILE: /run/secrets/<secret>, and give its value with pulumi config set --secret --path secrets.<secret> <value>',
      },
      {
        name: "an access key under another name",
        compose: "literal-token.yaml",
        stack: "prod",
        message:
          'services.web.environment.UPLOAD_ID holds a literal credential (it looks like an AWS access key ID; 20 characters, not shown), allowed only in the dev stack (stack is "prod"): declare a top-level secret, list it under the service\'s secrets:, set UPLOAD_ID_FILE: /run/secrets/<secret>, and give its value with pulumi config set --secret --path secrets.<secret> <value>',
      },
      {
        name: "a password after a command's flag",
        compose: "command-password.yaml",
        stack: "prod",
        message:
          "services.cache.command holds a literal credential (the value of --requirepass; 21 characters, not shown), allowed only in the dev stack (stack is \"prod\"): a command is as readable as the environment (docker inspect, the pod spec, the stack's state): give the credential as a top-level secret listed under the service's secrets: (read from /run/secrets/<secret>) and refer to it in the command through a shell ($VAR, written $$VAR in a compose file), or have the program read it from a file (a --*-file flag), instead of the literal after --requirepass",
      },
      {
        name: "an access key as a build argument",
        config: { buildArgs: { PYTHON_IMAGE: "AKIAIOSFODNN7EXAMPLE" } },
        stack: "staging",
        message:
          "dockyard:buildArgs.PYTHON_IMAGE holds a literal credential (it looks like an AWS access key ID; 20 characters, not shown), allowed only in the dev stack (stack is \"staging\"): a build argument stays in the image's history (docker history shows it): give the service the credential when it runs instead, as secret env (one of the app's secrets, pulumi config set --secret --path secrets.<secret> <value>), or build the image outside the stack and run it with dockyard:services.vote.image",
      },
      {
        name: "a registry password in plain text",
        config: { ...CLUSTER, registryUsername: "ci", registryPassword: "hunter22-token" },
        stack: "staging",
        message:
          'dockyard:registryPassword is set in plain text (14 characters, not shown), so the stack\'s config file holds it as written; that is allowed only in the dev stack (stack is "staging"): pulumi config set --secret registryPassword <password>',
      },
    ],
  },
  {
    title: "A remote Docker engine without TLS outside the dev stack",
    what: "A `tcp://` engine outside dev is reached over TLS only, on its TLS port, with the stage's `dockerTls` (whoever reaches a plain port runs containers as root there); the TLS material is for a `tcp://` engine, all three parts together, each parsed before anything is created ([A remote Docker engine](remote-engine.md)).",
    examples: [
      {
        name: "Docker's plain port",
        config: { dockerHost: "tcp://10.0.0.5:2375" },
        stack: "staging",
        message:
          'dockyard:dockerHost "tcp://10.0.0.5:2375" is Docker\'s plain port (no encryption, no authentication: whoever reaches it runs containers as root there), allowed only in the dev stack (stack is "staging"): use the engine\'s TLS port, tcp://10.0.0.5:2376, with dockyard:dockerTls, or ssh://user@10.0.0.5',
      },
      {
        name: "a TCP engine without TLS material",
        config: { dockerHost: "tcp://10.0.0.5:2376" },
        stack: "prod",
        message:
          'dockyard:dockerHost "tcp://10.0.0.5:2376" is a TCP engine without TLS material, allowed only in the dev stack (stack is "prod"): set dockyard:dockerTls.caCert, .clientCert and .clientKey (pulumi config set --secret --path dockerTls.caCert -- "$(cat ca.pem)", and so on), or use ssh://user@10.0.0.5',
      },
      {
        name: "TLS material for the local socket",
        config: {
          dockerTls: {
            caCert: "-----BEGIN CERTIFICATE-----",
            clientCert: "-----BEGIN CERTIFICATE-----",
            clientKey: "-----BEGIN PRIVATE KEY-----",
          },
        },
        message:
          'dockyard:dockerTls is set, but dockyard:dockerHost "unix:///var/run/docker.sock" is not a tcp:// engine: TLS certificates are for an engine\'s TCP port (tcp://host:2376); remove dockyard:dockerTls (pulumi config rm dockerTls), or point dockyard:dockerHost at tcp://host:2376',
      },
    ],
  },
  {
    title: "An image without a version outside the dev stack",
    what: "An image with no tag, or `latest`, can change between two deploys of the same config.",
    examples: [
      {
        name: "an untagged image",
        config: { services: { redis: { image: "redis" } } },
        stack: "staging",
        message:
          'dockyard:services.redis.image "redis" has no version tag (or uses latest), allowed only in the dev stack (stack is "staging"): pin a tag like redis:7.4 or a digest',
      },
      {
        name: "an image reference with spaces",
        config: { buildArgs: { PYTHON_IMAGE: "my python" } },
        message:
          'dockyard:buildArgs.PYTHON_IMAGE must be an image reference like python:3.12-slim or mirror.example:5000/python:3.12-slim (the repository in lowercase), got "my python"',
      },
    ],
  },
  {
    title: "A compose key dockyard cannot deploy as written",
    what: "Compose keys whose meaning a target would silently change (`privileged`, `network_mode`, `sysctls`, an NFS volume, a volume's subpath, external networks): refused with what to write instead.",
    examples: [
      {
        name: "privileged",
        compose: "privileged.yaml",
        message:
          "services.web.privileged cannot be deployed: a privileged container can do anything on its host; grant what the service needs in its image instead",
      },
      {
        name: "network_mode host",
        compose: "network-mode.yaml",
        message:
          "services.web.network_mode \"host\" cannot be deployed: the container would share the host's network stack (every interface, and services listening on the host's loopback), which dockyard never grants, as it refuses a mount of the engine's socket; publish the ports it serves (ports:) and remove network_mode",
      },
      {
        name: "the host's kernel parameter",
        compose: "sysctl-host.yaml",
        message:
          "services.app.sysctls \"kernel.core_pattern\" cannot be deployed: it is the host's kernel parameter, not the container's (kernel.core_pattern runs a program as root on the host); set it on the host, and remove it here",
      },
      {
        name: "an NFS volume",
        compose: "nfs-volume.yaml",
        message:
          'volumes.data.driver_opts {"type":"nfs","o":"addr=10.0.0.1,rw","device":":/export"} cannot be deployed: volumes are created without driver options (an NFS export or a bind device would become an empty local volume); remove driver_opts, or mount that storage on the host and bind-mount it',
      },
      {
        name: "a volume's subpath",
        compose: "volume-subpath.yaml",
        message:
          'services.web.volumes[0].volume.subpath "site" cannot be deployed: the whole volume would be mounted, not its folder; give the folder its own volume',
      },
    ],
  },
  {
    title: "A compose file that cannot be read",
    what: "Text that is not a compose file (its content is never shown), an anchor used inside itself, an interpolation that does not end.",
    examples: [
      {
        name: "a token file named as the compose file",
        compose: "not-yaml.txt",
        message: "the top level must be a mapping (services:, networks:, ...), got text of 45 characters (not shown)",
      },
      {
        name: "an anchor inside itself",
        compose: "recursive-anchor.yaml",
        message:
          "x-base.again contains itself through an alias (an anchor used inside itself): a compose file must be a tree; copy the values instead",
      },
      {
        name: "a merge (<<) of a list",
        compose: "merge-a-list.yaml",
        message:
          'not valid YAML: Merge sources must be maps or map aliases at line 5, column 5 (services.web: "<<" merges a list; << takes a mapping, or a list of mappings)',
      },
      {
        name: "an interpolation that does not end",
        compose: "unterminated.yaml",
        message:
          'services.web.image: invalid interpolation format in "example/web:${TAG": write ${VAR}, ${VAR:-default} or similar, and escape a literal $ as $$',
      },
    ],
  },
  {
    title: "What the target cannot honour",
    what: "A setting the chosen target has no counterpart for, where ignoring it would change what runs: refused with the target that does, or what to set instead.",
    examples: [
      {
        name: "autoscaling on Docker",
        config: { services: { vote: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuPercent: 50 } } } },
        message:
          "dockyard:services.vote.autoscaling cannot be honoured on target docker (a Docker engine has no autoscaler); set dockyard:services.vote.replicas to the number of copies to run, or use target kubernetes",
      },
      {
        name: "a CPU limit the Docker provider reads back as another",
        config: { services: { vote: { limits: { cpus: 0.05 } } } },
        message:
          "dockyard:services.vote.limits.cpus 0.05 cannot be kept on Docker: the Docker provider reads it back from the engine as 0.1, so every up would replace the container; use 0.049 or 0.051",
      },
      {
        name: "a rollout watching each batch as long as the rollout may take, on Kubernetes",
        config: { ...CLUSTER, services: { vote: { rollout: { monitorSeconds: 600 } } } },
        stack: "staging",
        message:
          "dockyard:services.vote.rollout.monitorSeconds 600 must be less than dockyard:rolloutTimeout (600) on target kubernetes: a pod counts as available only after it has been ready that long, and a Deployment's progress deadline must be longer; lower it, or raise dockyard:rolloutTimeout",
      },
    ],
  },
];

/** Whether an example is a compose file's. */
export const isCompose = (example: RefusalExample): example is ComposeExample => "compose" in example;
