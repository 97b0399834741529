/**
 * The classic five-service voting app (vote, redis, worker, db, result), described once as data.
 * Stage differences arrive as options (from stack config); both back ends consume the result.
 */
import { AppModel, Autoscaling, ImageSource, Resources, validateApp } from "./model";

export interface VotingAppOptions {
  /** Build argument values for the Dockerfiles' base images. */
  pythonImage: string;
  nodeImage: string;
  /** Prebuilt images for the stateful services. */
  redisImage: string;
  postgresImage: string;
  /** Prebuilt images for the app's own services; a service without one is built from apps/<name>. */
  prebuiltImages: { vote?: string; result?: string; worker?: string };
  optionA: string;
  optionB: string;
  /** Host ports for the published services (vote, result). */
  votePort: number;
  resultPort: number;
  replicas: { vote: number; result: number; worker: number };
  /** Per-service overrides of the default limits, merged field by field. */
  limits: Record<string, Partial<Resources>>;
  autoscaling: Record<string, Autoscaling>;
  frontendSubnet: string;
  backendSubnet: string;
  /** Keep the db and redis data volumes when the stack is destroyed. */
  retainData: boolean;
  dbStorageSize: string;
}

/** Limits each service gets unless config overrides them. */
export const DEFAULT_LIMITS: Record<string, Resources> = {
  vote: { cpus: 0.5, memory: "128m" },
  result: { cpus: 0.5, memory: "128m" },
  worker: { cpus: 0.5, memory: "128m" },
  redis: { cpus: 0.5, memory: "128m" },
  db: { cpus: 1, memory: "512m" },
};

const DB_USER = "postgres";
const DB_NAME = "postgres";

export function votingApp(options: VotingAppOptions): AppModel {
  const limits = (service: string): Resources => ({
    cpus: options.limits[service]?.cpus ?? DEFAULT_LIMITS[service].cpus,
    memory: options.limits[service]?.memory ?? DEFAULT_LIMITS[service].memory,
  });
  const database = { DB_HOST: "db", DB_PORT: "5432", DB_NAME, DB_USER };
  const labels = { OPTION_A: options.optionA, OPTION_B: options.optionB };
  const image = (service: "vote" | "result" | "worker", args: Record<string, string>): ImageSource => {
    const prebuilt = options.prebuiltImages[service];
    if (prebuilt) return { kind: "pull", ref: prebuilt };
    // worker and result: one Dockerfile (apps/node-common) on the apps/ context, app and port as build args.
    return service === "vote"
      ? { kind: "build", context: "apps/vote", args }
      : { kind: "build", context: "apps", dockerfile: "node-common/Dockerfile", args: { APP: service, ...args } };
  };
  const appHealth = (port: number) => ({ command: ["healthcheck"], http: { path: "/healthz", port } });

  return validateApp({
    name: "voting",
    networks: {
      frontend: { subnet: options.frontendSubnet },
      backend: { subnet: options.backendSubnet },
    },
    volumes: {
      "db-data": { retain: options.retainData, size: options.dbStorageSize },
      "redis-data": { retain: options.retainData, size: "256Mi" },
    },
    secrets: {
      "db-password": { description: "password of the PostgreSQL user the app uses" },
    },
    services: {
      vote: {
        image: image("vote", { PYTHON_IMAGE: options.pythonImage }),
        env: { ...labels, REDIS_HOST: "redis", REDIS_PORT: "6379", PORT: "8080" },
        ports: [{ name: "http", containerPort: 8080, hostPort: options.votePort }],
        networks: ["frontend", "backend"],
        health: appHealth(8080),
        dependsOn: { redis: "healthy" },
        resources: limits("vote"),
        replicas: options.replicas.vote,
        autoscaling: options.autoscaling.vote,
      },
      redis: {
        image: { kind: "pull", ref: options.redisImage },
        command: ["redis-server", "--appendonly", "yes"],
        ports: [{ name: "redis", containerPort: 6379 }],
        networks: ["backend"],
        volumes: [{ volume: "redis-data", mountPath: "/data" }],
        health: { command: ["redis-cli", "ping"], intervalSeconds: 5, startPeriodSeconds: 5 },
        resources: limits("redis"),
        singleWriter: true,
      },
      worker: {
        image: image("worker", { NODE_IMAGE: options.nodeImage, PORT: "8082" }),
        env: { ...database, REDIS_HOST: "redis", REDIS_PORT: "6379", PORT: "8082" },
        secretEnv: { DB_PASSWORD: "db-password" },
        // Only its health endpoint listens there.
        ports: [{ name: "health", containerPort: 8082, healthOnly: true }],
        networks: ["backend"],
        health: appHealth(8082),
        dependsOn: { redis: "healthy", db: "healthy" },
        resources: limits("worker"),
        replicas: options.replicas.worker,
        autoscaling: options.autoscaling.worker,
      },
      db: {
        image: { kind: "pull", ref: options.postgresImage },
        env: { POSTGRES_USER: DB_USER, POSTGRES_DB: DB_NAME, PGDATA: "/var/lib/postgresql/data/pgdata" },
        secretEnv: { POSTGRES_PASSWORD: "db-password" },
        ports: [{ name: "postgres", containerPort: 5432 }],
        networks: ["backend"],
        volumes: [{ volume: "db-data", mountPath: "/var/lib/postgresql/data" }],
        health: { command: ["pg_isready", "-U", DB_USER, "-d", DB_NAME], intervalSeconds: 5, startPeriodSeconds: 10, retries: 5 },
        resources: limits("db"),
        singleWriter: true,
      },
      result: {
        image: image("result", { NODE_IMAGE: options.nodeImage, PORT: "8081" }),
        env: { ...database, ...labels, PORT: "8081" },
        secretEnv: { DB_PASSWORD: "db-password" },
        ports: [{ name: "http", containerPort: 8081, hostPort: options.resultPort }],
        networks: ["frontend", "backend"],
        health: appHealth(8081),
        dependsOn: { db: "healthy" },
        resources: limits("result"),
        replicas: options.replicas.result,
        autoscaling: options.autoscaling.result,
      },
    },
  });
}
