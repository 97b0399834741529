import { readFileSync } from 'node:fs';

/** Settings read from the environment; every value has a default matching the classic voting app. */
export interface DbConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

export interface ResultConfig {
  db: DbConfig;
  labels: { a: string; b: string };
  /** How often the counts are read from PostgreSQL. */
  pollIntervalMs: number;
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

export function resultConfig(env: Env): ResultConfig {
  return {
    db: {
      host: text(env, 'DB_HOST', 'db'),
      port: integer(env, 'DB_PORT', 5432, 1, 65535),
      database: text(env, 'DB_NAME', 'postgres'),
      user: text(env, 'DB_USER', 'postgres'),
      password: dbPassword(env),
    },
    labels: { a: text(env, 'OPTION_A', 'Cats'), b: text(env, 'OPTION_B', 'Dogs') },
    pollIntervalMs: integer(env, 'POLL_INTERVAL_MS', 1000, 50, 60000),
    host: text(env, 'HOST', '0.0.0.0'),
    port: integer(env, 'PORT', 8081, 0, 65535),
  };
}
