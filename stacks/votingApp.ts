/**
 * The classic five-service voting app (vote, redis, worker, db, result), described once as data,
 * with its defaults: images, published ports, subnets, volume sizes, limits. A stage changes them
 * through the generic stack config (services.<name>.replicas, networks.<name>.subnet, ...) and sets
 * the app's own parameters, the two options, under dockyard:app.
 */
import { z } from "zod";
import { AppDefinition, AppModel, ImageSource, Limits } from "../components/app";

const option = z.string({ error: "must be text" }).refine((value) => value.trim() !== "", "must not be empty");

/** dockyard:app for this app: the labels of the two choices. */
export const votingParameters = z
  .strictObject({ optionA: option.default("Cats"), optionB: option.default("Dogs") })
  .refine((p) => p.optionA.trim().toLowerCase() !== p.optionB.trim().toLowerCase(), {
    path: ["optionB"],
    message: "is the same as optionA: the poll needs two different choices (compared ignoring case and surrounding spaces)",
  });

export type VotingParameters = z.output<typeof votingParameters>;

/** Limits each service gets unless the stack config overrides them. */
export const DEFAULT_LIMITS: Record<string, Limits> = {
  vote: { cpus: 0.5, memory: "128m" },
  result: { cpus: 0.5, memory: "128m" },
  worker: { cpus: 0.5, memory: "128m" },
  redis: { cpus: 0.5, memory: "128m" },
  db: { cpus: 1, memory: "512m" },
};

/**
 * How every service of the app is confined: no capability at all (each runs as a user of its own,
 * listens above 1024 and changes no file's owner), and no privilege gained through setuid binaries.
 * A read-only root filesystem where nothing is written into it: vote and redis. db, worker and result
 * are read-only where a stage file says so, with the tmpfs paths each writes (every stage file of this
 * repository does; on Docker the password file then comes from a read-only volume its holder
 * container filled); a stage that says nothing leaves them writable.
 */
const CONFINED = { capDrop: ["ALL"], noNewPrivileges: true };
/** The node image's node user, by number, so Kubernetes can check it is not root. */
const NODE_USER = "1000:1000";

const DB_USER = "postgres";
const DB_NAME = "postgres";

export const votingApp: AppDefinition<VotingParameters> = {
  name: "voting",
  parameters: votingParameters,
  model: votingModel,
};

export function votingModel(options: VotingParameters): AppModel {
  const database = { DB_HOST: "db", DB_PORT: "5432", DB_NAME, DB_USER };
  const labels = { OPTION_A: options.optionA, OPTION_B: options.optionB };
  // worker and result: one Dockerfile (apps/node-common) on the apps/ context, app and port as build args.
  const nodeApp = (app: string, port: number): ImageSource => ({
    kind: "build",
    context: "apps",
    dockerfile: "node-common/Dockerfile",
    args: { APP: app, NODE_IMAGE: "node:22-slim", PORT: String(port) },
  });
  const appHealth = (port: number) => ({ command: ["healthcheck"], http: { path: "/healthz", port } });

  return {
    name: "voting",
    networks: {
      frontend: { subnet: "10.123.1.0/24" },
      backend: { subnet: "10.123.2.0/24" },
    },
    volumes: {
      "db-data": { size: "1Gi" },
      "redis-data": { size: "256Mi" },
    },
    secrets: {
      "db-password": { description: "password of the PostgreSQL user the app uses", minLength: 8 },
    },
    services: {
      vote: {
        image: { kind: "build", context: "apps/vote", args: { PYTHON_IMAGE: "python:3.12-slim" } },
        env: { ...labels, REDIS_HOST: "redis", REDIS_PORT: "6379", PORT: "8080" },
        ports: [{ name: "http", containerPort: 8080, publishedPort: 5000 }],
        networks: ["frontend", "backend"],
        health: appHealth(8080),
        // "started", not "healthy": vote, worker and result reconnect on their own (vote answers 503
        // and its health check fails until redis answers), so all five start together.
        dependsOn: { redis: "started" },
        limits: { ...DEFAULT_LIMITS.vote },
        user: "10001:10001",
        security: { ...CONFINED, readOnlyRootFilesystem: true, tmpfs: ["/tmp"] },
      },
      redis: {
        image: { kind: "pull", ref: "redis:7.4" },
        command: ["redis-server", "--appendonly", "yes"],
        ports: [{ name: "redis", containerPort: 6379 }],
        networks: ["backend"],
        volumes: [{ volume: "redis-data", mountPath: "/data" }],
        health: { command: ["redis-cli", "ping"], intervalSeconds: 5, startPeriodSeconds: 5 },
        limits: { ...DEFAULT_LIMITS.redis },
        singleWriter: true,
        // The image's redis user: it starts as that user, so it needs no capability to switch to it.
        user: "999:999",
        security: { ...CONFINED, readOnlyRootFilesystem: true, tmpfs: ["/tmp"] },
      },
      worker: {
        image: nodeApp("worker", 8082),
        env: { ...database, REDIS_HOST: "redis", REDIS_PORT: "6379", PORT: "8082" },
        secretEnv: { DB_PASSWORD: "db-password" },
        // Only its health endpoint listens there.
        ports: [{ name: "health", containerPort: 8082, healthOnly: true }],
        networks: ["backend"],
        health: appHealth(8082),
        dependsOn: { redis: "started", db: "started" },
        limits: { ...DEFAULT_LIMITS.worker },
        user: NODE_USER,
        security: CONFINED,
      },
      db: {
        image: { kind: "pull", ref: "postgres:15" },
        env: { POSTGRES_USER: DB_USER, POSTGRES_DB: DB_NAME, PGDATA: "/var/lib/postgresql/data/pgdata" },
        secretEnv: { POSTGRES_PASSWORD: "db-password" },
        ports: [{ name: "postgres", containerPort: 5432 }],
        networks: ["backend"],
        volumes: [{ volume: "db-data", mountPath: "/var/lib/postgresql/data" }],
        health: { command: ["pg_isready", "-U", DB_USER, "-d", DB_NAME], intervalSeconds: 5, startPeriodSeconds: 10, retries: 5 },
        limits: { ...DEFAULT_LIMITS.db },
        singleWriter: true,
        // The image's postgres user, as for redis.
        user: "999:999",
        security: CONFINED,
      },
      result: {
        image: nodeApp("result", 8081),
        env: { ...database, ...labels, PORT: "8081" },
        secretEnv: { DB_PASSWORD: "db-password" },
        ports: [{ name: "http", containerPort: 8081, publishedPort: 5001 }],
        networks: ["frontend", "backend"],
        health: appHealth(8081),
        dependsOn: { db: "started" },
        limits: { ...DEFAULT_LIMITS.result },
        user: NODE_USER,
        security: CONFINED,
      },
    },
  };
}
