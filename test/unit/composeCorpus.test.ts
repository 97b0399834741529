/**
 * The compose corpus (test/unit/compose-corpus/): good files, each read with readCompose against the
 * repository root and compared with the exact app model, fidelity report and start order; bad files,
 * each refused with its exact message; and docs/compose.md's key table against the one it is generated from (KEYS).
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { ComposeSettings, readCompose } from "../../stacks/compose/app";
import { ComposeConversion, KEYS, ReportLine } from "../../stacks/compose/convert";
import { COMPOSE_DOC, composeDoc } from "../../tools/docs/compose";
import { ComposeError } from "../../stacks/compose/load";
import { AppModel } from "../../stacks/model";
import { resolveApp } from "../../stacks/resolve";
import { COMPOSE_HARDENING } from "../../stacks/compose/families/security";
import { capabilityName } from "../../components/security";
import { isCompose, REFUSAL_CLASSES } from "./refusals";

const ROOT = path.resolve(__dirname, "../..");
const CORPUS = "test/unit/compose-corpus";
const GOOD = `${CORPUS}/good`;
const BAD = `${CORPUS}/bad`;

const DEFAULT_LIMITS = { cpus: 1, memory: "512m" };
type Line = [string, ReportLine["disposition"], string];
const limitedByDefault = (service: string): Line => [
  `services.${service}.deploy.resources.limits`,
  "changed",
  "cpus 1, memory 512m by default: every service is limited (set deploy.resources.limits, or dockyard:services.<name>.limits)",
];
const fromPool = (network: string, subnet: string): Line => [
  `networks.${network}`,
  "changed",
  `no subnet in the file: ${subnet}, from the pool 10.124.0.0/16 (dockyard:networks.${network}.subnet overrides it)`,
];

/**
 * The cases below are written as the file says them; a service that leaves cap_drop or
 * no-new-privileges unsaid gets COMPOSE_HARDENING on top (exact values and the report line's text:
 * dockerComposeHardening.test.ts). Returns the model with it, and the services that got some.
 */
function hardened(model: AppModel): { model: AppModel; services: string[] } {
  const services: string[] = [];
  const withDefaults = Object.fromEntries(
    Object.entries(model.services).map(([name, service]) => {
      const security = { ...(service.security ?? {}) };
      let changed = false;
      if (security.capDrop === undefined && !(security.capAdd ?? []).map(capabilityName).includes("NET_RAW")) {
        security.capDrop = [...COMPOSE_HARDENING.capDrop];
        changed = true;
      }
      if (security.noNewPrivileges === undefined) {
        security.noNewPrivileges = COMPOSE_HARDENING.noNewPrivileges;
        changed = true;
      }
      if (changed) services.push(`services.${name}`);
      return [name, { ...service, security }];
    }),
  );
  return { model: { ...model, services: withDefaults }, services };
}
const HARDENING_NOTE = /^hardened by default: /;

/** Reads a corpus file the way the program does, with the repository root as the project. */
function read(file: string, settings: Omit<ComposeSettings, "file"> = {}, stack = "dev") {
  return readCompose({ file, ...settings }, stack, ROOT);
}

interface GoodCase {
  file: string;
  title: string;
  settings?: Omit<ComposeSettings, "file">;
  model: AppModel;
  report: Line[];
  /** The resolved app's start order. */
  order: string[];
}

const GOOD_CASES: GoodCase[] = [
  {
    file: "security.yaml",
    title: "capabilities, no privilege escalation, a read-only root filesystem and tmpfs paths: the model's security",
    model: {
      name: "good",
      services: {
        app: {
          image: { kind: "pull", ref: "example/app:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          security: { capDrop: ["NET_RAW"], readOnlyRootFilesystem: false, noNewPrivileges: true },
        },
        proxy: {
          image: { kind: "pull", ref: "example/proxy:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          user: "101:101",
          security: {
            capDrop: ["ALL"],
            capAdd: ["NET_BIND_SERVICE", "CAP_CHOWN"],
            tmpfs: ["/tmp", "/var/cache/proxy"],
            readOnlyRootFilesystem: true,
            noNewPrivileges: true,
          },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      ["name", "changed", 'no name: the app is named after the file\'s folder, "good"'],
      limitedByDefault("app"),
      limitedByDefault("proxy"),
      [
        "services.proxy.tmpfs",
        "changed",
        "options not applied (/var/cache/proxy:size=32m,mode=1770): each tmpfs is 64 MiB, writable by any user, no executables",
      ],
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["app", "proxy"],
  },
  {
    file: "v1-links.yml",
    title: "a version 1 file: services at the top level, links as dependencies",
    model: {
      name: "good",
      services: {
        cache: { image: { kind: "pull", ref: "redis:7.4" }, networks: ["default"], limits: DEFAULT_LIMITS },
        db: { image: { kind: "pull", ref: "postgres:15" }, networks: ["default"], limits: DEFAULT_LIMITS, env: { POSTGRES_DB: "app" } },
        web: {
          image: { kind: "build", context: "test/unit/compose-corpus/good/ctx/web" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          env: { CACHE_HOST: "cache", DB_HOST: "db" },
          ports: [{ name: "tcp-8000", containerPort: 8000, publishedPort: 8000 }],
          dependsOn: { cache: "started", db: "started" },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      ["(file)", "changed", "no services: key: read as a version 1 file (each top-level key a service)"],
      ["name", "changed", 'no name: the app is named after the file\'s folder, "good"'],
      limitedByDefault("cache"),
      limitedByDefault("db"),
      ["services.web.links", "changed", "cache: a dependency (started) on a shared network, reached by name"],
      ["services.web.links", "changed", "db: a dependency (started) on a shared network, reached by name"],
      limitedByDefault("web"),
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["cache", "db", "web"],
  },
  {
    file: "v2-networks.yml",
    title: "version 2.4: depends_on, front/back networks with IPAM subnets, mem_limit and cpus",
    model: {
      name: "twotier",
      services: {
        app: {
          image: { kind: "pull", ref: "example/app:1.0" },
          networks: ["front", "back"],
          limits: { cpus: 0.5, memory: "256m" },
          dependsOn: { db: "started" },
        },
        db: { image: { kind: "pull", ref: "postgres:15" }, networks: ["back"], limits: { cpus: 1, memory: "1g" } },
        proxy: {
          image: { kind: "pull", ref: "nginx:1.27" },
          networks: ["front"],
          limits: { cpus: 0.25, memory: "64m" },
          ports: [{ name: "tcp-80", containerPort: 80, publishedPort: 80 }],
          dependsOn: { app: "started" },
        },
      },
      networks: {
        back: { subnet: "172.28.1.0/24", gateway: "172.28.1.1", ipRange: "172.28.1.128/25", internal: true },
        front: { subnet: "172.28.0.0/24" },
      },
      volumes: {},
      secrets: {},
    },
    report: [
      ["(file)", "changed", 'version "2.4" is obsolete and ignored, as docker compose does'],
      ["services.app.networks.back.aliases", "ignored", 'aliases are not set: the service is reached as "app"'],
      ["services.app.networks.back.ipv4_address", "ignored", "ipv4_address is not applied: addresses come from the network's subnet"],
    ],
    order: ["db", "app", "proxy"],
  },
  {
    file: "v3-deploy.yml",
    title: "version 3.8: deploy.replicas, resources limits and reservations, update_config, rollback_config, restart_policy, placement",
    model: {
      name: "swarmish",
      services: {
        api: {
          image: { kind: "pull", ref: "example/api:2.1" },
          networks: ["default"],
          limits: { cpus: 0.75, memory: "300M" },
          replicas: 3,
          rollout: { parallelism: 1, delaySeconds: 10 },
          reservations: { cpus: 0.25, memory: "100M" },
          placement: { constraints: ["node.role == worker"] },
          restart: { condition: "on-failure" },
        },
        queue: {
          image: { kind: "pull", ref: "rabbitmq:3.13" },
          networks: ["default"],
          limits: { cpus: 1, memory: "2G" },
          replicas: 1,
          rollout: { rollback: { parallelism: 1 } },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      ["(file)", "changed", 'version "3.8" is obsolete and ignored, as docker compose does'],
      [
        "services.api.deploy.update_config",
        "changed",
        "order and failure_action not given, dockyard's default applies: order start-first where two tasks can run at once, else stop-first (swarm's default: stop-first); failure_action rollback (swarm's default: pause)",
      ],
      [
        "services.api.deploy.rollback_config",
        "changed",
        "not given: a rollback replaces tasks as update_config does, then pauses if it fails (swarm's default: one at a time, stop-first)",
      ],
      ["services.queue.deploy.resources.limits.pids", "ignored", "the engine's default applies"],
      [
        "services.queue.deploy.resources.limits",
        "changed",
        "cpus 1 by default: every service is limited (set deploy.resources.limits, or dockyard:services.<name>.limits)",
      ],
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["api", "queue"],
  },
  {
    file: "spec.yaml",
    title: "today's specification, without version",
    model: {
      name: "shop",
      services: {
        backend: {
          image: { kind: "pull", ref: "example/shop-backend:3" },
          networks: ["default"],
          limits: { cpus: 1, memory: "1g" },
          ports: [{ name: "tcp-8080", containerPort: 8080 }],
          volumes: [{ volume: "uploads", mountPath: "/srv/uploads" }],
          health: {
            command: ["wget", "-qO-", "http://localhost:8080/health"],
            intervalSeconds: 15,
            timeoutSeconds: 30,
            retries: 3,
            startPeriodSeconds: 0,
          },
        },
        frontend: {
          image: { kind: "pull", ref: "example/shop-frontend:3" },
          networks: ["default"],
          limits: { cpus: 0.5, memory: "128m" },
          ports: [{ name: "tcp-3000", containerPort: 3000, publishedPort: 3000 }],
          dependsOn: { backend: "healthy" },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: { uploads: {} },
      secrets: {},
    },
    report: [fromPool("default", "10.124.0.0/24")],
    order: ["backend", "frontend"],
  },
  {
    file: "interpolation/compose.yaml",
    title: "every interpolation form, with the .env beside the file",
    model: {
      name: "interp",
      services: {
        web: {
          image: { kind: "pull", ref: "docker.io/example/web:1.2.3" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          env: {
            PLAIN: "hello",
            BRACED: "hello",
            DEFAULT_UNSET: "fallback",
            DEFAULT_EMPTY: "fallback",
            DASH_EMPTY: "",
            ALT_SET: "alternate",
            ALT_EMPTY: "",
            PLUS_EMPTY: "set-but-empty",
            REQUIRED: "hello",
            NESTED: "hello-nested",
            DOLLARS: "cost $5 and ${NOT_A_VAR}",
            QUOTED: "two words",
            MISSING: "",
          },
          ports: [{ name: "tcp-80", containerPort: 80, publishedPort: 8088 }],
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      ["(file)", "changed", 'The "DOCKYARD_CORPUS_MISSING" variable is not set. Defaulting to a blank string.'],
      limitedByDefault("web"),
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["web"],
  },
  {
    file: "interpolation/compose.yaml",
    title: "envFile instead of .env",
    settings: { envFile: "other.env" },
    model: {
      name: "other",
      services: {
        web: {
          image: { kind: "pull", ref: "docker.io/example/other:latest" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          env: {
            PLAIN: "bonjour",
            BRACED: "bonjour",
            DEFAULT_UNSET: "fallback",
            DEFAULT_EMPTY: "fallback",
            DASH_EMPTY: "",
            ALT_SET: "alternate",
            ALT_EMPTY: "",
            PLUS_EMPTY: "set-but-empty",
            REQUIRED: "bonjour",
            NESTED: "bonjour-nested",
            DOLLARS: "cost $5 and ${NOT_A_VAR}",
            QUOTED: "one",
            MISSING: "",
          },
          ports: [{ name: "tcp-80", containerPort: 80, publishedPort: 9099 }],
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      ["(file)", "changed", 'The "DOCKYARD_CORPUS_MISSING" variable is not set. Defaulting to a blank string.'],
      limitedByDefault("web"),
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["web"],
  },
  {
    file: "anchors.yaml",
    title: "anchors, merge keys, !override and !reset",
    model: {
      name: "anchors",
      services: {
        base: {
          image: { kind: "pull", ref: "example/base:1" },
          networks: ["default"],
          limits: { cpus: 0.5, memory: "128m" },
          env: { LOG_LEVEL: "info", REGION: "eu" },
          ports: [{ name: "tcp-9000", containerPort: 9000, publishedPort: 9000 }],
        },
        child: {
          image: { kind: "pull", ref: "example/child:1" },
          networks: ["default"],
          limits: { cpus: 0.5, memory: "128m" },
          env: { LOG_LEVEL: "info" },
          ports: [{ name: "tcp-9000", containerPort: 9000, publishedPort: 9001 }],
        },
        one: {
          image: { kind: "pull", ref: "example/one:1" },
          networks: ["default"],
          limits: { cpus: 0.25, memory: "64m" },
          env: { LOG_LEVEL: "info", REGION: "eu", ROLE: "one" },
        },
        two: {
          image: { kind: "pull", ref: "example/two:1" },
          networks: ["default"],
          limits: { cpus: 0.25, memory: "64m" },
          env: { LOG_LEVEL: "debug", REGION: "eu" },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      ["x-limits", "ignored", "an extension field for other tools"],
      ["x-env", "ignored", "an extension field for other tools"],
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["base", "child", "one", "two"],
  },
  {
    file: "extends.yaml",
    title: "extends within the file",
    model: {
      name: "extends",
      services: {
        api: {
          image: { kind: "pull", ref: "example/common:1" },
          networks: ["default"],
          limits: { cpus: 0.5, memory: "128m" },
          command: ["serve", "--api"],
          env: { COMMON: "yes", SHARED: "api" },
          ports: [{ name: "tcp-8080", containerPort: 8080, publishedPort: 8080 }],
          health: { command: ["true"], intervalSeconds: 30, timeoutSeconds: 30, retries: 3, startPeriodSeconds: 0 },
        },
        common: {
          image: { kind: "pull", ref: "example/common:1" },
          networks: ["default"],
          limits: { cpus: 0.5, memory: "128m" },
          command: ["serve"],
          env: { COMMON: "yes", SHARED: "base" },
          health: { command: ["true"], intervalSeconds: 30, timeoutSeconds: 30, retries: 3, startPeriodSeconds: 0 },
        },
        jobs: {
          image: { kind: "pull", ref: "example/jobs:1" },
          networks: ["default"],
          limits: { cpus: 0.5, memory: "128m" },
          command: ["serve", "--api"],
          env: { COMMON: "yes", SHARED: "api" },
          health: { command: ["true"], intervalSeconds: 60, timeoutSeconds: 30, retries: 3, startPeriodSeconds: 0 },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [fromPool("default", "10.124.0.0/24")],
    order: ["api", "common", "jobs"],
  },
  {
    file: "include.yaml",
    title: "include, extends.file and dockerfile_inline: the included file's service and volume, the base's env_file rebased",
    model: {
      name: "include",
      services: {
        cache: {
          image: { kind: "pull", ref: "example/cache:1" },
          networks: ["default"],
          limits: { cpus: 1, memory: "512m" },
          env: { CACHE_SIZE: "64m" },
          volumes: [{ volume: "cache-data", mountPath: "/data" }],
          security: { capDrop: ["NET_RAW"], noNewPrivileges: true },
        },
        web: {
          image: {
            kind: "build",
            context: "test/unit/compose-corpus/good/ctx",
            dockerfile: "../../../../../.state/compose/dockerfiles/6f9b6620bee19492.Dockerfile",
          },
          networks: ["default"],
          limits: { cpus: 1, memory: "512m" },
          env: { GREETING: "hello\nthere", LEVEL: "1", ROLE: "web" },
          dependsOn: { cache: "started" },
          security: { capDrop: ["NET_RAW"], noNewPrivileges: true },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: { "cache-data": {} },
      secrets: {},
    },
    report: [
      [
        "services.cache.deploy.resources.limits",
        "changed",
        "cpus 1, memory 512m by default: every service is limited (set deploy.resources.limits, or dockyard:services.<name>.limits)",
      ],
      [
        "services.cache",
        "changed",
        "hardened by default: cap_drop: [NET_RAW] (Kubernetes' baseline capabilities: Docker's default set less raw sockets), security_opt: [no-new-privileges:true] (no process gains privileges through setuid binaries); write cap_add: [NET_RAW] or security_opt: [no-new-privileges:false] to keep the engine's default",
      ],
      [
        "services.web.build.dockerfile_inline",
        "changed",
        "built from .state/compose/dockerfiles/6f9b6620bee19492.Dockerfile, written from this text (not into the context)",
      ],
      ["services.web.image", "changed", "with build, the image is tagged <app>-<service>:<imageTag> instead"],
      [
        "services.web.deploy.resources.limits",
        "changed",
        "cpus 1, memory 512m by default: every service is limited (set deploy.resources.limits, or dockyard:services.<name>.limits)",
      ],
      [
        "services.web",
        "changed",
        "hardened by default: cap_drop: [NET_RAW] (Kubernetes' baseline capabilities: Docker's default set less raw sockets), security_opt: [no-new-privileges:true] (no process gains privileges through setuid binaries); write cap_add: [NET_RAW] or security_opt: [no-new-privileges:false] to keep the engine's default",
      ],
      [
        "networks.default",
        "changed",
        "no subnet in the file: 10.124.0.0/24, from the pool 10.124.0.0/16 (dockyard:networks.default.subnet overrides it)",
      ],
    ],
    order: ["cache", "web"],
  },
  {
    file: "included/base.yaml",
    title: "the base service include.yaml extends (extends.file)",
    model: {
      name: "base",
      services: {
        base: {
          image: { kind: "pull", ref: "example/base:1" },
          networks: ["default"],
          limits: { cpus: 1, memory: "512m" },
          env: { GREETING: "hello\nthere", ROLE: "base", LEVEL: "1" },
          security: { capDrop: ["NET_RAW"], noNewPrivileges: true },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      [
        "services.base.deploy.resources.limits",
        "changed",
        "cpus 1, memory 512m by default: every service is limited (set deploy.resources.limits, or dockyard:services.<name>.limits)",
      ],
      [
        "services.base",
        "changed",
        "hardened by default: cap_drop: [NET_RAW] (Kubernetes' baseline capabilities: Docker's default set less raw sockets), security_opt: [no-new-privileges:true] (no process gains privileges through setuid binaries); write cap_add: [NET_RAW] or security_opt: [no-new-privileges:false] to keep the engine's default",
      ],
      [
        "networks.default",
        "changed",
        "no subnet in the file: 10.124.0.0/24, from the pool 10.124.0.0/16 (dockyard:networks.default.subnet overrides it)",
      ],
    ],
    order: ["base"],
  },
  {
    file: "included/cache.yaml",
    title: "the file include.yaml includes",
    model: {
      name: "cache",
      services: {
        cache: {
          image: { kind: "pull", ref: "example/cache:1" },
          networks: ["default"],
          limits: { cpus: 1, memory: "512m" },
          env: { CACHE_SIZE: "64m" },
          volumes: [{ volume: "cache-data", mountPath: "/data" }],
          security: { capDrop: ["NET_RAW"], noNewPrivileges: true },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: { "cache-data": {} },
      secrets: {},
    },
    report: [
      [
        "services.cache.deploy.resources.limits",
        "changed",
        "cpus 1, memory 512m by default: every service is limited (set deploy.resources.limits, or dockyard:services.<name>.limits)",
      ],
      [
        "services.cache",
        "changed",
        "hardened by default: cap_drop: [NET_RAW] (Kubernetes' baseline capabilities: Docker's default set less raw sockets), security_opt: [no-new-privileges:true] (no process gains privileges through setuid binaries); write cap_add: [NET_RAW] or security_opt: [no-new-privileges:false] to keep the engine's default",
      ],
      [
        "networks.default",
        "changed",
        "no subnet in the file: 10.124.0.0/24, from the pool 10.124.0.0/16 (dockyard:networks.default.subnet overrides it)",
      ],
    ],
    order: ["cache"],
  },
  {
    file: "profiles.yaml",
    title: "profiles: none enabled",
    model: {
      name: "profiles",
      services: { app: { image: { kind: "pull", ref: "example/app:1" }, networks: ["default"], limits: DEFAULT_LIMITS } },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      ["profiles", "changed", "not deployed (profile not active): admin, debug"],
      limitedByDefault("app"),
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["app"],
  },
  {
    file: "profiles.yaml",
    title: "profiles: debug enabled",
    settings: { profiles: ["debug"] },
    model: {
      name: "profiles",
      services: {
        admin: { image: { kind: "pull", ref: "example/admin:1" }, networks: ["default"], limits: DEFAULT_LIMITS },
        app: { image: { kind: "pull", ref: "example/app:1" }, networks: ["default"], limits: DEFAULT_LIMITS },
        debug: {
          image: { kind: "pull", ref: "example/debug:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          dependsOn: { app: "started" },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [limitedByDefault("admin"), limitedByDefault("app"), limitedByDefault("debug"), fromPool("default", "10.124.0.0/24")],
    order: ["admin", "app", "debug"],
  },
  {
    file: "profiles.yaml",
    title: "profiles: COMPOSE_PROFILES from the envFile",
    settings: { envFile: "profiles.env" },
    model: {
      name: "profiles",
      services: {
        admin: { image: { kind: "pull", ref: "example/admin:1" }, networks: ["default"], limits: DEFAULT_LIMITS },
        app: { image: { kind: "pull", ref: "example/app:1" }, networks: ["default"], limits: DEFAULT_LIMITS },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      ["profiles", "changed", "not deployed (profile not active): debug"],
      limitedByDefault("admin"),
      limitedByDefault("app"),
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["admin", "app"],
  },
  {
    file: "ports.yaml",
    title: "short and long ports, expose",
    model: {
      name: "ports",
      services: {
        edge: {
          image: { kind: "pull", ref: "example/edge:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          ports: [
            { name: "tcp-80", containerPort: 80, publishedPort: 8080 },
            { name: "tcp-443", containerPort: 443, publishedPort: 8443 },
            { name: "tcp-9090", containerPort: 9090 },
            { name: "udp-53", containerPort: 53, protocol: "udp", publishedPort: 5353 },
            { name: "admin", containerPort: 7000, publishedPort: 17000 },
            { name: "tcp-7001", containerPort: 7001, publishedPort: 17001, publishMode: "host" },
            { name: "tcp-7002", containerPort: 7002 },
            { name: "tcp-6000", containerPort: 6000 },
            { name: "udp-6001", containerPort: 6001, protocol: "udp" },
          ],
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      [
        "services.edge.ports[2]",
        "changed",
        "no host port: compose would pick a random one; here 9090 is reachable on the app's networks only",
      ],
      ["services.edge.ports[5].host_ip", "changed", "host IP 0.0.0.0: published ports bind to dockyard:bindAddress"],
      [
        "services.edge.ports[5].mode",
        "changed",
        "host: on swarm the port is bound on each node that runs a task (one task per node); Docker publishes it on its host as any port; on Kubernetes the Service publishes it as dockyard:serviceType says (NodePort and LoadBalancer: on every node)",
      ],
      limitedByDefault("edge"),
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["edge"],
  },
  {
    file: "volumes.yaml",
    title: "named volumes, bind mounts relative and absolute, read-only, tmpfs",
    model: {
      name: "volumes",
      services: {
        store: {
          image: { kind: "pull", ref: "example/store:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          volumes: [
            { volume: "data", mountPath: "/var/lib/store" },
            { volume: "logs", mountPath: "/var/log/store", readOnly: true },
            { hostPath: path.join(ROOT, "test/unit/compose-corpus/good/ctx/web"), mountPath: "/srv/web", readOnly: true },
            { hostPath: "/etc/timezone", mountPath: "/etc/timezone", readOnly: true },
            { volume: "cache", mountPath: "/cache" },
            { hostPath: path.join(ROOT, "test/unit/compose-corpus/good/ctx"), mountPath: "/ctx", readOnly: true },
            { volume: "data", mountPath: "/backup", readOnly: true },
          ],
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: { data: { retain: true, size: "5Gi" }, logs: {}, cache: {} },
      secrets: {},
    },
    report: [
      ["volumes.logs.name", "ignored", "not used: volumes are named <app>-<stack>-<volume>"],
      limitedByDefault("store"),
      [
        "services.store.volumes[2]",
        "changed",
        `bind mount ./ctx/web is ${path.join(ROOT, GOOD, "ctx/web")} on the machine running pulumi (and must exist there on the Docker host)`,
      ],
      [
        "services.store.volumes[5]",
        "changed",
        `bind mount ./ctx is ${path.join(ROOT, GOOD, "ctx")} on the machine running pulumi (and must exist there on the Docker host)`,
      ],
      ["services.store.volumes[7]", "ignored", "no tmpfs is mounted; the path is in the container's filesystem"],
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["store"],
  },
  {
    file: "depends.yaml",
    title: "depends_on as a list and as a map with conditions",
    model: {
      name: "depends",
      services: {
        api: {
          image: { kind: "pull", ref: "example/api:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          dependsOn: { db: "healthy", cache: "started" },
        },
        cache: { image: { kind: "pull", ref: "redis:7.4" }, networks: ["default"], limits: DEFAULT_LIMITS },
        cron: {
          image: { kind: "pull", ref: "example/cron:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          dependsOn: { api: "started" },
        },
        db: {
          image: { kind: "pull", ref: "postgres:15" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          health: { command: ["pg_isready"], intervalSeconds: 30, timeoutSeconds: 30, retries: 3, startPeriodSeconds: 0 },
        },
        web: {
          image: { kind: "pull", ref: "example/web:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          dependsOn: { api: "started", cache: "started" },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      ["services.api.depends_on.db.restart", "ignored", "dependents are not restarted"],
      ["services.api.depends_on.cache.required", "changed", "treated as required"],
      limitedByDefault("api"),
      limitedByDefault("cache"),
      limitedByDefault("cron"),
      limitedByDefault("db"),
      limitedByDefault("web"),
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["cache", "db", "api", "cron", "web"],
  },
  {
    file: "health.yaml",
    title: "health checks: CMD, CMD-SHELL, string, durations, defaults, disabled",
    model: {
      name: "health",
      services: {
        cmd: {
          image: { kind: "pull", ref: "example/a:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          health: {
            command: ["curl", "-f", "http://localhost/"],
            intervalSeconds: 90,
            timeoutSeconds: 10,
            retries: 5,
            startPeriodSeconds: 120,
          },
        },
        defaults: {
          image: { kind: "pull", ref: "example/d:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          health: { command: ["true"], intervalSeconds: 30, timeoutSeconds: 30, retries: 3, startPeriodSeconds: 0 },
        },
        disabled: { image: { kind: "pull", ref: "example/e:1" }, networks: ["default"], limits: DEFAULT_LIMITS },
        none: { image: { kind: "pull", ref: "example/f:1" }, networks: ["default"], limits: DEFAULT_LIMITS },
        shell: {
          image: { kind: "pull", ref: "example/b:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          health: {
            command: ["sh", "-c", "curl -f http://localhost/ || exit 1"],
            intervalSeconds: 3600,
            timeoutSeconds: 2,
            retries: 3,
            startPeriodSeconds: 0,
          },
        },
        string: {
          image: { kind: "pull", ref: "example/c:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          health: {
            command: ["sh", "-c", "pg_isready -U postgres"],
            intervalSeconds: 30,
            timeoutSeconds: 30,
            retries: 3,
            startPeriodSeconds: 0,
          },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      limitedByDefault("cmd"),
      ["services.defaults.healthcheck.start_interval", "ignored", "the check runs every interval during the start period too"],
      limitedByDefault("defaults"),
      limitedByDefault("disabled"),
      limitedByDefault("none"),
      limitedByDefault("shell"),
      limitedByDefault("string"),
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["cmd", "defaults", "disabled", "none", "shell", "string"],
  },
  {
    file: "environment.yaml",
    title: "environment as a map and as a list, env_file",
    model: {
      name: "environment",
      services: {
        list: {
          image: { kind: "pull", ref: "example/b:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          env: { FROM_FILE: "file", OVERRIDDEN: "from-file", LIST: "one", WITH_EQUALS: "a=b", EMPTY: "" },
        },
        map: {
          image: { kind: "pull", ref: "example/a:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          env: { FROM_FILE: "file", OVERRIDDEN: "from-environment", NUMBER: "8080", FLAG: "true", EMPTY: "" },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [limitedByDefault("list"), limitedByDefault("map"), fromPool("default", "10.124.0.0/24")],
    order: ["list", "map"],
  },
  {
    file: "build.yaml",
    title: "build as a string and as a map",
    model: {
      name: "build",
      services: {
        api: {
          image: {
            kind: "build",
            context: "test/unit/compose-corpus/good/ctx/api",
            dockerfile: "Dockerfile.prod",
            args: { VERSION: "1.0", MODE: "prod" },
            target: "runtime",
          },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
        },
        site: {
          image: { kind: "build", context: "test/unit/compose-corpus/good/ctx/web", args: { BASE: "nginx:1.27" } },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
        },
        web: { image: { kind: "build", context: "test/unit/compose-corpus/good/ctx/web" }, networks: ["default"], limits: DEFAULT_LIMITS },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      ["services.api.build.cache_from", "ignored", "only context, dockerfile, args and target are passed to the build"],
      ["services.api.image", "changed", "with build, the image is tagged <app>-<service>:<imageTag> instead"],
      limitedByDefault("api"),
      limitedByDefault("site"),
      limitedByDefault("web"),
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["api", "site", "web"],
  },
  {
    file: "command.yaml",
    title: "command and entrypoint as strings and lists, user",
    model: {
      name: "command",
      services: {
        lists: {
          image: { kind: "pull", ref: "example/b:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          command: ["python", "-m", "http.server", "8000"],
          entrypoint: ["tini", "--"],
        },
        numeric: {
          image: { kind: "pull", ref: "example/d:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          command: ["printf", "%s\\n", "it's", "a  b"],
          user: "1000",
        },
        shell: {
          image: { kind: "pull", ref: "example/c:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          command: ["sh", "-c", "echo $HOME && sleep 1"],
          user: "1000:1000",
          stopGracePeriodSeconds: 65,
        },
        words: {
          image: { kind: "pull", ref: "example/a:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          command: ["redis-server", "--appendonly", "yes", "--save", "60 1"],
          entrypoint: ["/usr/local/bin/docker-entrypoint.sh"],
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      limitedByDefault("lists"),
      limitedByDefault("numeric"),
      limitedByDefault("shell"),
      limitedByDefault("words"),
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["lists", "numeric", "shell", "words"],
  },
  {
    file: "secrets.yaml",
    title: "secrets delivered as *_FILE",
    model: {
      name: "secrets",
      services: {
        api: {
          image: { kind: "pull", ref: "example/api:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          secretEnv: { DB_PASSWORD: "db-password", ALSO_DB_PASSWORD: "db-password", API_TOKEN: "api-token" },
          // The long form's target: the file compose mounts, beside the one API_TOKEN_FILE names.
          secretFiles: { "/run/secrets/token": "api-token" },
        },
        db: {
          image: { kind: "pull", ref: "postgres:15" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          env: { POSTGRES_USER: "app" },
          secretEnv: { POSTGRES_PASSWORD: "db-password" },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {
        "db-password": { description: "password of the database user", minLength: 12 },
        "api-token": { description: "secret api-token of the compose file" },
      },
    },
    report: [
      [
        "secrets.db-password.file",
        "changed",
        "not read: the value is the stack's secret dockyard:secrets.db-password (pulumi config set --secret --path secrets.db-password <value>)",
      ],
      [
        "secrets.api-token.environment",
        "changed",
        "not read: the value is the stack's secret dockyard:secrets.api-token (pulumi config set --secret --path secrets.api-token <value>)",
      ],
      ["services.api.secrets[1].mode", "ignored", "not applied: the file is owned by root, mode 0444"],
      [
        "services.api.secrets[1]",
        "changed",
        "api-token is the file /run/secrets/token (owned by root, mode 0444), holding the stack's secret dockyard:secrets.api-token (pulumi config set --secret --path secrets.api-token <value>)",
      ],
      limitedByDefault("api"),
      limitedByDefault("db"),
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["api", "db"],
  },
  {
    file: "configs.yaml",
    title: "configs from a file and from content, each a file with its owner and mode",
    model: {
      name: "configs",
      services: {
        web: {
          image: { kind: "pull", ref: "example/web:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          configFiles: {
            "/web-conf": { config: "web-conf" },
            "/etc/web/banner": { config: "banner", uid: "1000", gid: "1000", mode: 0o440 },
          },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
      configs: { "web-conf": { content: "listen 8080\n" }, banner: { content: "welcome\n" } },
    },
    report: [
      [
        "configs.web-conf.file",
        "changed",
        `the text of ${path.join(ROOT, GOOD, "web.conf")} as it is when pulumi runs, copied into the container (not a bind mount: a later edit needs another up)`,
      ],
      ...[
        ["services.web.configs[0]", "web-conf is the file /web-conf, owner 0:0, mode 0444"],
        ["services.web.configs[1]", "banner is the file /etc/web/banner, owner 1000:1000, mode 0440"],
      ].map(([where, what]): Line => [
        where,
        "changed",
        `${what}: on swarm a swarm config; on Docker uploaded into the container before it starts, on Kubernetes a ConfigMap mounted read-only, owned by root on both (a uid or gid is a warning there)`,
      ]),
      limitedByDefault("web"),
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["web"],
  },
  {
    file: "networks-pool.yaml",
    title: "networks without a subnet, from the pool in name order",
    model: {
      name: "pool",
      services: {
        a: { image: { kind: "pull", ref: "example/a:1" }, networks: ["zeta", "alpha", "middle"], limits: DEFAULT_LIMITS },
        b: { image: { kind: "pull", ref: "example/b:1" }, networks: ["default"], limits: DEFAULT_LIMITS },
        c: { image: { kind: "pull", ref: "example/c:1" }, networks: ["taken"], limits: DEFAULT_LIMITS },
      },
      networks: {
        alpha: { subnet: "10.124.0.0/24" },
        default: { subnet: "10.124.2.0/24" },
        middle: { subnet: "10.124.3.0/24" },
        taken: { subnet: "10.124.1.0/24" },
        zeta: { subnet: "10.124.4.0/24" },
      },
      volumes: {},
      secrets: {},
    },
    report: [
      limitedByDefault("a"),
      limitedByDefault("b"),
      limitedByDefault("c"),
      ["networks.alpha.labels", "ignored", "networks carry dockyard's labels (dockyard.app, dockyard.stack)"],
      ["networks.unused", "ignored", "no service joins it, so it is not created"],
      fromPool("alpha", "10.124.0.0/24"),
      fromPool("default", "10.124.2.0/24"),
      fromPool("middle", "10.124.3.0/24"),
      fromPool("zeta", "10.124.4.0/24"),
    ],
    order: ["a", "b", "c"],
  },
  {
    file: "x-dockyard.yaml",
    title: "x-dockyard fields",
    model: {
      name: "extensions",
      services: {
        db: {
          image: { kind: "pull", ref: "postgres:15" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          ports: [{ name: "postgres", containerPort: 5432 }],
          volumes: [{ volume: "pgdata", mountPath: "/var/lib/postgresql/data" }],
          singleWriter: true,
        },
        web: {
          image: { kind: "pull", ref: "example/web:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          ports: [
            { name: "http", containerPort: 8080, publishedPort: 8080 },
            { name: "metrics", containerPort: 9100, healthOnly: true },
          ],
          health: {
            command: ["healthcheck"],
            http: { path: "/healthz", port: 9100 },
            intervalSeconds: 30,
            timeoutSeconds: 30,
            retries: 3,
            startPeriodSeconds: 0,
          },
          autoscaling: { minReplicas: 2, maxReplicas: 6, targetCpuPercent: 70 },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: { pgdata: { retain: true, size: "10Gi" } },
      secrets: {},
    },
    report: [
      ["x-notes", "ignored", "an extension field for other tools"],
      limitedByDefault("db"),
      [
        "services.web.ports[1]",
        "changed",
        "no host port: compose would pick a random one; here 9100 is reachable on the app's networks only",
      ],
      limitedByDefault("web"),
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["db", "web"],
  },
  {
    file: "ignored.yaml",
    title: "ignored keys, each with its note",
    model: {
      name: "good",
      services: {
        kitchen: {
          image: { kind: "pull", ref: "example/kitchen:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          replicas: 2,
          restart: { condition: "any" },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: {},
      secrets: {},
    },
    report: [
      ["name", "changed", 'no name: the app is named after the file\'s folder, "good"'],
      [
        "services.kitchen.container_name",
        "ignored",
        "containers are named <app>-<stack>-<service>-<replica>, so stages and replicas can share an engine",
      ],
      ["services.kitchen.labels", "ignored", "containers carry dockyard.app, dockyard.stack and dockyard.service labels"],
      ["services.kitchen.hostname", "ignored", "services reach each other by service name"],
      ["services.kitchen.domainname", "ignored", "services reach each other by service name"],
      ["services.kitchen.working_dir", "ignored", "the image's working directory is used; set WORKDIR in the Dockerfile"],
      ["services.kitchen.stop_signal", "ignored", "set STOPSIGNAL in the Dockerfile"],
      ["services.kitchen.logging", "ignored", "the engine's default logging driver applies"],
      ["services.kitchen.tty", "ignored", "services run without a terminal"],
      ["services.kitchen.stdin_open", "ignored", "services run without stdin"],
      ["services.kitchen.init", "ignored", "add an init (tini) to the image if the process needs one"],
      ["services.kitchen.dns", "ignored", "the target's DNS is used"],
      ["services.kitchen.dns_search", "ignored", "the target's DNS is used"],
      ["services.kitchen.dns_opt", "ignored", "the target's DNS is used"],
      ["services.kitchen.extra_hosts", "ignored", "services reach each other by service name"],
      ["services.kitchen.pull_policy", "ignored", "prebuilt images are pulled when missing"],
      ["services.kitchen.platform", "ignored", "images build for the engine's platform"],
      ["services.kitchen.shm_size", "ignored", "the engine's default /dev/shm size applies"],
      ["services.kitchen.ulimits", "ignored", "the engine's default limits apply"],
      ["services.kitchen.mem_reservation", "ignored", "use deploy.resources.reservations.memory"],
      ["services.kitchen.cpu_shares", "ignored", "use cpus"],
      ["services.kitchen.oom_score_adj", "ignored", "the engine's default applies"],
      ["services.kitchen.pids_limit", "ignored", "the engine's default applies"],
      ["services.kitchen.post_start", "ignored", "lifecycle hooks do not run"],
      ["services.kitchen.pre_stop", "ignored", "lifecycle hooks do not run"],
      ["services.kitchen.develop", "ignored", "compose watch is a development tool"],
      ["services.kitchen.attach", "ignored", "logs are the engine's"],
      ["services.kitchen.annotations", "ignored", "no annotations are set"],
      ["services.kitchen.mac_address", "ignored", "addresses are the engine's"],
      limitedByDefault("kitchen"),
      [
        "services.kitchen.restart",
        "changed",
        "always is restarted as unless-stopped on Docker: a container stopped by hand stays stopped when the engine restarts",
      ],
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["kitchen"],
  },
  {
    file: "shape.yaml",
    title: "issue 26's service shape: a name with _, tcp and udp on one port, an anonymous volume, a secret file, network_mode none",
    model: {
      name: "good",
      services: {
        batch: {
          image: { kind: "pull", ref: "example/batch:1" },
          networks: [],
          networkMode: "none",
          limits: DEFAULT_LIMITS,
          dependsOn: { "my-dns": "started" },
          security: { capDrop: ["NET_RAW"], noNewPrivileges: true },
        },
        "my-dns": {
          image: { kind: "pull", ref: "example/dns:1" },
          networks: ["default"],
          limits: DEFAULT_LIMITS,
          secretFiles: { "/run/secrets/dns-key": "dns-key" },
          ports: [
            { name: "udp-53", containerPort: 53, protocol: "udp", publishedPort: 53 },
            { name: "tcp-53", containerPort: 53, publishedPort: 53 },
          ],
          volumes: [{ volume: "my-dns-var-cache-dns", mountPath: "/var/cache/dns" }],
          security: { capDrop: ["NET_RAW"], noNewPrivileges: true },
        },
      },
      networks: { default: { subnet: "10.124.0.0/24" } },
      volumes: { "my-dns-var-cache-dns": {} },
      secrets: { "dns-key": { description: "secret dns-key of the compose file" } },
    },
    report: [
      [
        "services.my_dns",
        "changed",
        'named "my-dns" on every target (service names there are lowercase letters, digits and dashes): other services reach it as my-dns, and dockyard:services.my-dns sets it',
      ],
      [
        "secrets.dns-key.file",
        "changed",
        "not read: the value is the stack's secret dockyard:secrets.dns-key (pulumi config set --secret --path secrets.dns-key <value>)",
      ],
      limitedByDefault("batch"),
      [
        "services.batch",
        "changed",
        "hardened by default: cap_drop: [NET_RAW] (Kubernetes' baseline capabilities: Docker's default set less raw sockets), security_opt: [no-new-privileges:true] (no process gains privileges through setuid binaries); write cap_add: [NET_RAW] or security_opt: [no-new-privileges:false] to keep the engine's default",
      ],
      [
        "services.my_dns.secrets",
        "changed",
        "dns-key is the file /run/secrets/dns-key (owned by root, mode 0444), holding the stack's secret dockyard:secrets.dns-key (pulumi config set --secret --path secrets.dns-key <value>)",
      ],
      limitedByDefault("my_dns"),
      [
        "services.my_dns",
        "changed",
        "hardened by default: cap_drop: [NET_RAW] (Kubernetes' baseline capabilities: Docker's default set less raw sockets), security_opt: [no-new-privileges:true] (no process gains privileges through setuid binaries); write cap_add: [NET_RAW] or security_opt: [no-new-privileges:false] to keep the engine's default",
      ],
      [
        "services.my_dns.volumes[0]",
        "changed",
        'anonymous volume /var/cache/dns: the app\'s volume "my-dns-var-cache-dns", kept when the container is replaced (as docker compose keeps it) and removed on destroy; dockyard:volumes.my-dns-var-cache-dns sets its size and retain',
      ],
      fromPool("default", "10.124.0.0/24"),
    ],
    order: ["my-dns", "batch"],
  },
];

describe("good compose files", () => {
  test.each(GOOD_CASES.map((c) => [`${c.file}${c.settings ? ` ${JSON.stringify(c.settings)}` : ""}: ${c.title}`, c] as const))(
    "%s",
    (_title, c) => {
      const { model, report } = read(`${GOOD}/${c.file}`, c.settings);
      const expected = hardened(c.model);
      expect(model).toEqual(expected.model);
      const lines = report.map((line): Line => [line.path, line.disposition, line.note]);
      const isHardening = ([, , note]: Line) => HARDENING_NOTE.test(note);
      expect(lines.filter((line) => !isHardening(line))).toEqual(c.report.filter((line) => !isHardening(line)));
      // Cases written with the defaults in them list their hardening lines themselves.
      const hardenedServices = new Set([...expected.services, ...c.report.filter(isHardening).map(([where]) => where)]);
      expect(
        lines
          .filter(isHardening)
          .map(([where]) => where)
          .sort(),
      ).toEqual([...hardenedServices].sort());
      expect(resolveApp(model).order).toEqual(c.order);
    },
  );

  test("every good file is in the table", () => {
    const files = (dir: string): string[] =>
      fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
        const relative = path.posix.join(dir, entry.name);
        if (entry.isDirectory()) return files(relative);
        return /\.ya?ml$/.test(entry.name) ? [relative.slice(GOOD.length + 1)] : [];
      });
    expect([...new Set(GOOD_CASES.map((c) => c.file))].sort()).toEqual(files(GOOD).sort());
  });

  test("the good files use every mapped service key and top-level key", () => {
    const serviceKeys = new Set<string>();
    const topKeys = new Set<string>();
    for (const file of new Set(GOOD_CASES.map((c) => c.file))) {
      // The tags only matter to the loader; here they are dropped so the plain parser reads the keys.
      const text = fs.readFileSync(path.join(ROOT, GOOD, file), "utf8").replace(/!(reset|override)\b/g, "");
      const document = parseYaml(text, { merge: true }) as Record<string, Record<string, Record<string, unknown>>>;
      const services = document.services ?? document; // version 1: services at the top level
      if (document.services) Object.keys(document).forEach((key) => topKeys.add(key));
      for (const service of Object.values(services)) Object.keys(service ?? {}).forEach((key) => serviceKeys.add(key));
    }
    const mapped = (pattern: RegExp) =>
      Object.keys(KEYS)
        .filter((key) => KEYS[key].disposition === "mapped" && pattern.test(key))
        .map((key) => key.replace(/^services\.\*\./, ""));
    expect(mapped(/^services\.\*\.[^.]+$/).filter((key) => !serviceKeys.has(key))).toEqual([]);
    expect(mapped(/^[^.]+$/).filter((key) => !topKeys.has(key))).toEqual([]);
  });

  test("a literal credential is accepted on the dev stack", () => {
    expect(read(`${BAD}/literal-password.yaml`).model.services.db.env).toEqual({
      POSTGRES_USER: "app",
      POSTGRES_PASSWORD: "hunter2hunter2",
    });
  });

  test("all profiles with *", () => {
    expect(Object.keys(read(`${GOOD}/profiles.yaml`, { profiles: ["*"] }).model.services)).toEqual(["admin", "app", "debug"]);
  });
});

/** Each bad file and its exact message; the message starts with the file as the settings name it. */
const BAD_CASES: [string, string][] = [
  [
    "nfs-volume.yaml",
    'volumes.data.driver_opts {"type":"nfs","o":"addr=10.0.0.1,rw","device":":/export"} cannot be deployed: volumes are created without driver options (an NFS export or a bind device would become an empty local volume); remove driver_opts, or mount that storage on the host and bind-mount it',
  ],
  [
    "volume-subpath.yaml",
    'services.web.volumes[0].volume.subpath "site" cannot be deployed: the whole volume would be mounted, not its folder; give the folder its own volume',
  ],
  [
    "restart-unknown.yaml",
    'services.web.restart "never" must be "no", "always", "unless-stopped", "on-failure" or "on-failure:<attempts>"',
  ],
  [
    "healthcheck-no-command.yaml",
    'services.web.healthcheck.test ["CMD-SHELL"] runs no command, so the service would always count as healthy: give the command the check runs, like ["CMD", "curl", "-f", "http://localhost"]',
  ],
  [
    "recursive-anchor.yaml",
    "x-base.again contains itself through an alias (an anchor used inside itself): a compose file must be a tree; copy the values instead",
  ],
  [
    "object-member-key.yaml",
    "services.web.depends_on[0].toString cannot be read: toString is the name of a member every JavaScript object has; rename it",
  ],
  // A token file named as the compose file by mistake: its text is not shown.
  ["not-yaml.txt", "the top level must be a mapping (services:, networks:, ...), got text of 45 characters (not shown)"],
  ["ports-as-map.yaml", 'services.web.ports must be a list of ports, got {"http":8080}'],
  ["retries-text.yaml", 'services.web.healthcheck.retries must be a whole number, got "three"'],
  [
    "x-dockyard-unknown.yaml",
    'services.db.x-dockyard has unknown key "singlewriter"; did you mean singleWriter? (allowed: autoscaling, healthHttp, healthOnlyPorts, portNames, singleWriter)',
  ],
  [
    "unknown-service-key.yaml",
    "services.web.restrat is not a compose service key dockyard knows (a typo, or a key of a newer compose spec); did you mean restart?",
  ],
  [
    "unknown-top-key.yaml",
    "volume is not a compose top-level key dockyard knows (a typo, or a key of a newer compose spec); did you mean volumes? (allowed: configs, include, name, networks, secrets, services, volumes)",
  ],
  [
    "port-long-unknown-key.yaml",
    "services.web.ports[0].publish is not a compose long-form port key dockyard knows (a typo, or a key of a newer compose spec); did you mean published? (allowed: app_protocol, host_ip, mode, name, protocol, published, target)",
  ],
  [
    "bind-option-unknown.yaml",
    "services.web.volumes[0].bind.propagaton is not a compose bind option dockyard knows (a typo, or a key of a newer compose spec); did you mean propagation? (allowed: create_host_path, propagation, recursive)",
  ],
  [
    "ipam-pool-unknown-key.yaml",
    "networks.front.ipam.config[0].subnett is not a compose address pool key dockyard knows (a typo, or a key of a newer compose spec); did you mean subnet? (allowed: gateway, ip_range, subnet)",
  ],
  [
    "ipam-second-pool.yaml",
    'networks.front.ipam.config[1] {"subnet":"10.77.1.0/24"} cannot be deployed: a network has one address pool here (config[0]), and this one would be dropped; give config[0] one subnet wide enough for both, or split the services over two networks',
  ],
  [
    "mem-limit-conflict.yaml",
    "services.api.mem_limit \"2g\" and services.api.deploy.resources.limits.memory \"256m\" disagree: can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory' (docker compose refuses them too); remove one of them, or give both the same value",
  ],
  [
    "secret-external-name.yaml",
    'secrets.db-pass.external {"name":"shop_prod_db_password"} cannot be deployed: its value must come from the stack: remove external and set dockyard:secrets.db-pass (pulumi config set --secret --path secrets.db-pass <value>)',
  ],
  [
    "network-external-name.yaml",
    'networks.front.external_name "shared" cannot be deployed: an external network (compose file format 2 and 3): dockyard creates and owns the app\'s networks; remove external_name',
  ],
  [
    "bind-mode-rshared.yaml",
    'services.agent.volumes[0] "/srv/shared:/shared:rshared": mode rshared cannot be honoured: bind mounts get the engine\'s default propagation, rprivate (mounts made later on the host or in the container stay on their side), and no target here sets another; remove it (rprivate is accepted)',
  ],
  [
    "bind-mode-selinux.yaml",
    'services.agent.volumes[0] "/srv/shared:/shared:ro,z": mode z cannot be honoured: bind mounts are not relabelled for SELinux here (the Docker provider has no such option); label the host path for containers yourself (chcon -Rt container_file_t PATH) and remove it',
  ],
  ["cpus-inf.yaml", "services.web.deploy.resources.limits.cpus must be a finite number, got .inf"],
  [
    "bad-port.yaml",
    'services.web.ports[0] "80:eighty" is not a port dockyard can publish: write "HOST:CONTAINER", "IP:HOST:CONTAINER" or "CONTAINER", with /udp if needed (ranges are not supported)',
  ],
  [
    "port-range.yaml",
    'services.web.ports[0] "8000-8010:8000-8010" is not a port dockyard can publish: write "HOST:CONTAINER", "IP:HOST:CONTAINER" or "CONTAINER", with /udp if needed (ranges are not supported)',
  ],
  ["port-range-long.yaml", 'services.web.ports[0].published must be one port number (ranges are not supported), got "8000-8010"'],
  ["duplicate-port.yaml", "services.web.ports[1] lists container port 80/tcp twice"],
  [
    "link-alias.yaml",
    'services.web.links "db:database" gives an alias; services are reached by their own name: use "db" and connect to db',
  ],
  ["required-colon.yaml", "services.web.image: required variable DOCKYARD_CORPUS_TAG is missing a value: set the tag to deploy"],
  [
    "required-question.yaml",
    "services.web.environment.API_URL: required variable DOCKYARD_CORPUS_API_URL is missing a value: the API address",
  ],
  [
    "unterminated.yaml",
    'services.web.image: invalid interpolation format in "example/web:${TAG": write ${VAR}, ${VAR:-default} or similar, and escape a literal $ as $$',
  ],
  [
    "lone-dollar.yaml",
    'services.web.command[1]: invalid interpolation format in "{print $1}": write ${VAR}, ${VAR:-default} or similar, and escape a literal $ as $$',
  ],
  [
    "build-git-url.yaml",
    'services.web.build.context "https://github.com/example/web.git#v1.2:app" is a git repository or URL, which the Docker provider cannot build from (it sends a local folder to the engine): clone it (git clone <repository>, then check out the ref after #) and point context at the folder (with the folder after #ref: inside it)',
  ],
  [
    "env-file-windows.yaml",
    'services.web.env_file "C:\\\\deploy\\\\web.env" is a Windows path, which is no file on this machine: give the file\'s path here, relative to the compose file',
  ],
  [
    "external-network.yaml",
    "networks.shared.external true cannot be deployed: dockyard creates and owns the app's networks; remove external",
  ],
  [
    "external-volume.yaml",
    "volumes.pgdata.external true cannot be deployed: dockyard creates and owns the app's volumes; remove external (x-dockyard: { retain: true } keeps the data on destroy)",
  ],
  [
    "undeclared-volume.yaml",
    'services.db.volumes[0] names volume "pgdata", which is not declared under the top-level volumes: (other); declare it',
  ],
  [
    "undeclared-network.yaml",
    'services.web.networks[1] network "back" is not declared under the top-level networks: (declared: front); declare it, or join a declared one',
  ],
  [
    "overlay-network.yaml",
    'networks.mesh.driver "overlay" is not supported: networks are bridge networks (on Kubernetes, NetworkPolicies)',
  ],
  ["bind-without-source.yaml", "services.db.volumes[0].source is required for a bind mount: give the host path to mount"],
  [
    "home-bind.yaml",
    'services.web.volumes[0] "~bob/.config": only ~ and ~/ are expanded (to the home folder of the user running pulumi, as docker compose does); write ~/..., an absolute path, or one relative to the compose file',
  ],
  [
    "network-mode.yaml",
    `services.web.network_mode "host" cannot be deployed: the container would share the host's network stack (every interface, and services listening on the host's loopback), which dockyard never grants, as it refuses a mount of the engine's socket; publish the ports it serves (ports:) and remove network_mode`,
  ],
  [
    "privileged.yaml",
    "services.web.privileged cannot be deployed: a privileged container can do anything on its host; grant what the service needs in its image instead",
  ],
  [
    "cap-add.yaml",
    `services.web.cap_add "NET_ADMIN" would give the container power over the host or its neighbours; allowed: AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, NET_RAW, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT (Docker's default set)`,
  ],
  ["include.yaml", 'include[0]: "common.yaml" is not a file (looked for common.yaml)'],
  [
    "completed-successfully.yaml",
    'services.api.depends_on.migrate.condition "service_completed_successfully" cannot be honoured: services run continuously; use service_started or service_healthy',
  ],
  [
    "inactive-dependency.yaml",
    'service "web" depends on service "debug", which is not active: its profiles (debug) are not enabled (none is enabled); enable one with profiles or COMPOSE_PROFILES, or give the dependency the same profiles',
  ],
  [
    "secret-target-folder.yaml",
    'services.db.secrets[0].target "postgres/password" must be a file name (under /run/secrets) or an absolute path in the container',
  ],
  ["secret-undeclared.yaml", 'services.db.secrets names "db-password", which is not in the file\'s top-level secrets (none)'],
  ["extends-file.yaml", 'services.web.extends.file "common.yaml" is not a file (looked for common.yaml)'],
  ["bad-duration.yaml", 'services.web.healthcheck.interval "10 seconds" must be a duration like "30s", "1m30s", "0.5m" or "2h"'],
  [
    "fractional-duration.yaml",
    'services.web.healthcheck.timeout "1500ms" (1.5 s) is not a whole number of seconds, which every target needs; round it to whole seconds',
  ],
  ["services-empty.yaml", "services is empty: a compose file needs at least one service"],
  ["no-image.yaml", "services.web has neither image nor build: give the image to run, or a build context"],
  [
    "env-without-value.yaml",
    'services.web.environment entry "HOME_DIR" has no value; write HOME_DIR=<value> (dockyard does not read the deploying shell\'s environment at run time)',
  ],
  ["missing-env-file.yaml", `services.web.env_file names ${BAD}/missing.env, which does not exist`],
  [
    "command-operators.yaml",
    'services.web.command "./migrate && ./serve" uses shell operators; write it as a list, or as ["sh", "-c", "..."]',
  ],
  [
    "service-name.yaml",
    'services.web_server and services.Web-Server are both named "web-server" on the targets (service names there are lowercase, with - for _ and .); rename one of them',
  ],
];

/** Refused by readCompose, or (dependencies) by resolveApp. */
function refusal(file: string, stack = "dev"): string {
  let converted: ComposeConversion;
  try {
    converted = read(file, {}, stack);
  } catch (error) {
    expect(error).toBeInstanceOf(ComposeError);
    return (error as Error).message;
  }
  try {
    resolveApp(converted.model, converted.where);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${file} was accepted`);
}

describe("bad compose files", () => {
  test.each(BAD_CASES)("%s", (name, message) => {
    expect(refusal(`${BAD}/${name}`)).toBe(`${BAD}/${name}: ${message}`);
  });

  test("several refusals at once: one message listing them all", () => {
    const file = `${BAD}/many.yaml`;
    expect(refusal(file)).toBe(
      [
        `6 keys of ${file} cannot be deployed:`,
        `${file}: services.web.privileged cannot be deployed: a privileged container can do anything on its host; grant what the service needs in its image instead`,
        `${file}: services.web.build "git@github.com:example/web.git" is a git repository or URL, which the Docker provider cannot build from (it sends a local folder to the engine): clone it (git clone <repository>, then check out the ref after #) and point context at the folder (with the folder after #ref: inside it)`,
        `${file}: services.web.ports[0] "80-81:80-81" is not a port dockyard can publish: write "HOST:CONTAINER", "IP:HOST:CONTAINER" or "CONTAINER", with /udp if needed (ranges are not supported)`,
        `${file}: services.web.network_mode "host" cannot be deployed: the container would share the host's network stack (every interface, and services listening on the host's loopback), which dockyard never grants, as it refuses a mount of the engine's socket; publish the ports it serves (ports:) and remove network_mode`,
        `${file}: services.worker has neither image nor build: give the image to run, or a build context`,
        `${file}: services.worker.depends_on.web.condition "service_completed_successfully" cannot be honoured: services run continuously; use service_started or service_healthy`,
      ].join("\n  "),
    );
  });

  test("a dependency cycle is refused by resolveApp", () => {
    expect(refusal(`${BAD}/cycle.yaml`)).toBe(`${BAD}/cycle.yaml: services depend on each other in a circle: a -> b -> c -> a`);
  });

  test("a dependency on a service not in the file is refused by resolveApp", () => {
    expect(refusal(`${BAD}/missing-dependency.yaml`)).toBe(
      `${BAD}/missing-dependency.yaml: services.web.depends_on names unknown service "api"; the app's services are: web`,
    );
  });

  test("a literal PASSWORD in environment is refused on the prod stack", () => {
    const file = `${BAD}/literal-password.yaml`;
    expect(refusal(file, "prod")).toBe(
      `${file}: services.db.environment.POSTGRES_PASSWORD holds a literal credential (named like one; 14 characters, not shown), allowed only in the dev stack (stack is "prod"): declare a top-level secret, list it under the service's secrets:, set POSTGRES_PASSWORD_FILE: /run/secrets/<secret>, and give its value with pulumi config set --secret --path secrets.<secret> <value>`,
    );
  });

  test("every bad file has its expected message (here, or as an example of test/unit/refusals.ts)", () => {
    const examples = REFUSAL_CLASSES.flatMap((refusal) => refusal.examples).filter(isCompose);
    const covered = [
      ...new Set([
        ...BAD_CASES.map(([name]) => name),
        "many.yaml",
        "cycle.yaml",
        "missing-dependency.yaml",
        "literal-password.yaml",
        ...examples.map((example) => example.compose),
      ]),
    ].sort();
    expect(fs.readdirSync(path.join(ROOT, BAD)).sort()).toEqual(covered);
  });
});

describe("docs/compose.md key table", () => {
  test("is the one tools/docs/compose.ts generates from KEYS (npm run docs rewrites it)", () => {
    const current = fs.readFileSync(COMPOSE_DOC, "utf8");
    expect(current).toBe(composeDoc(current));
  });

  test("lists every path of KEYS once, with its disposition", () => {
    const current = fs.readFileSync(COMPOSE_DOC, "utf8");
    const rows = [...current.matchAll(/^\| `([^`]+)` \| (mapped|ignored|refused) \| /gm)].map(([, key, disposition]) => [key, disposition]);
    expect(rows).toEqual(Object.keys(KEYS).map((key) => [key, KEYS[key].disposition]));
  });
});
