import { readFileSync } from 'node:fs';

/** Settings read from the environment; every value has a default matching the classic voting app. */
export interface RedisConfig {
  host: string;
  port: number;
}

export interface DbConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

export interface WorkerConfig {
  redis: RedisConfig;
  db: DbConfig;
  /** Redis list the vote app pushes to. */
  votesList: string;
  /** Redis list that holds the votes this worker has taken but not yet committed. */
  processingList: string;
  /** Redis list that receives entries that are not valid votes. */
  invalidList: string;
  /** Most votes written to PostgreSQL in one statement. */
  batchSize: number;
  /** Address and port of the health endpoint. */
  host: string;
  port: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function text(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/**
 * DB_PASSWORD_FILE wins over DB_PASSWORD when both are set, as Docker and Kubernetes secrets are
 * mounted as files. A trailing newline (as `echo secret > file` writes) is not part of the password.
 */
export function dbPassword(env: Env, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): string {
  const file = env['DB_PASSWORD_FILE'];
  if (file !== undefined && file !== '') {
    let content: string;
    try {
      content = readFile(file);
    } catch (err) {
      throw new ConfigError(`DB_PASSWORD_FILE ${file} cannot be read: ${(err as Error).message}`);
    }
    return content.replace(/(\r?\n)+$/, '');
  }
  return env['DB_PASSWORD'] ?? 'postgres';
}

export function redisConfig(env: Env): RedisConfig {
  return { host: text(env, 'REDIS_HOST', 'redis'), port: integer(env, 'REDIS_PORT', 6379, 1, 65535) };
}

export function dbConfig(env: Env): DbConfig {
  return {
    host: text(env, 'DB_HOST', 'db'),
    port: integer(env, 'DB_PORT', 5432, 1, 65535),
    database: text(env, 'DB_NAME', 'postgres'),
    user: text(env, 'DB_USER', 'postgres'),
    password: dbPassword(env),
  };
}

export function workerConfig(env: Env): WorkerConfig {
  const votesList = text(env, 'VOTES_LIST', 'votes');
  return {
    redis: redisConfig(env),
    db: dbConfig(env),
    votesList,
    processingList: text(env, 'PROCESSING_LIST', `${votesList}:processing`),
    invalidList: text(env, 'INVALID_LIST', `${votesList}:invalid`),
    batchSize: integer(env, 'BATCH_SIZE', 100, 1, 10000),
    host: text(env, 'HOST', '0.0.0.0'),
    port: integer(env, 'PORT', 8082, 0, 65535),
  };
}
