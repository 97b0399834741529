import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ConfigError, dbConfig, integer, listenConfig, text, type DbConfig, type Env } from '@dockyard/node-common';

/** Settings read from the environment; every value has a default matching the classic voting app. */
export interface RedisConfig {
  host: string;
  port: number;
}

export interface WorkerConfig {
  redis: RedisConfig;
  db: DbConfig;
  /** Redis list the vote app pushes to. */
  votesList: string;
  /** Redis list that receives entries that are not valid votes. */
  invalidList: string;
  /** This worker's name in Redis: its processing list is `<votesList>:processing:<workerId>`. */
  workerId: string;
  /** How long the worker's heartbeat lives: once it has expired, other workers take over its votes. */
  leaseMs: number;
  /** Most votes written to PostgreSQL in one statement. */
  batchSize: number;
  /** Address and port of the health endpoint. */
  host: string;
  port: number;
}

const WORKER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Unique per process: the host name (the container's) and a random part, so a restart is a new worker. */
export function newWorkerId(): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 60) || 'worker';
  return `${host}-${randomBytes(4).toString('hex')}`;
}

export function redisConfig(env: Env): RedisConfig {
  return { host: text(env, 'REDIS_HOST', 'redis'), port: integer(env, 'REDIS_PORT', 6379, 1, 65535) };
}

export function workerConfig(env: Env, defaultId: () => string = newWorkerId): WorkerConfig {
  const votesList = text(env, 'VOTES_LIST', 'votes');
  const workerId = text(env, 'WORKER_ID', '') || defaultId();
  if (!WORKER_ID.test(workerId)) {
    throw new ConfigError(`WORKER_ID must be 1 to 100 letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${JSON.stringify(workerId)}`);
  }
  return {
    redis: redisConfig(env),
    db: dbConfig(env),
    votesList,
    invalidList: text(env, 'INVALID_LIST', `${votesList}:invalid`),
    workerId,
    leaseMs: integer(env, 'LEASE_MS', 10000, 500, 600000),
    batchSize: integer(env, 'BATCH_SIZE', 100, 1, 10000),
    ...listenConfig(env, 8082),
  };
}
