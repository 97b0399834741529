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
 * The database password: from the file DB_PASSWORD_FILE names (a Docker or compose secret such as
 * /run/secrets/db-password, which keeps it out of `docker inspect`), or from DB_PASSWORD. Setting
 * both is an error, as in the official postgres image. One trailing newline (as `echo secret > file`
 * writes) is not part of the password; anything else in the file is.
 */
export function dbPassword(env: Env, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): string {
  const file = env['DB_PASSWORD_FILE'];
  const plain = env['DB_PASSWORD'];
  if (file === undefined || file === '') return plain ?? 'postgres';
  if (plain !== undefined && plain !== '') {
    throw new ConfigError(`DB_PASSWORD and DB_PASSWORD_FILE (${file}) are both set; set only one`);
  }
  let content: string;
  try {
    content = readFile(file);
  } catch (err) {
    throw new ConfigError(`DB_PASSWORD_FILE: cannot read ${file}: ${(err as Error).message}`);
  }
  const password = content.replace(/\r?\n$/, '');
  if (password === '') throw new ConfigError(`DB_PASSWORD_FILE: ${file} is empty`);
  return password;
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
