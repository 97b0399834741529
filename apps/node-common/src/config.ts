import { readFileSync } from 'node:fs';

/** The environment a service reads its settings from (process.env, or a plain object in tests). */
export type Env = Readonly<Record<string, string | undefined>>;

/** A setting is wrong: the service stops at once with `configuration: <message>` (see runService). */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The variable's value, or the fallback when it is unset or empty. */
export function text(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

/** A whole number in [min, max], or the fallback when unset or empty; anything else is a ConfigError. */
export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export interface DbConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
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

/** PostgreSQL settings; the defaults are the classic voting app's (host db, user and database postgres). */
export function dbConfig(env: Env): DbConfig {
  return {
    host: text(env, 'DB_HOST', 'db'),
    port: integer(env, 'DB_PORT', 5432, 1, 65535),
    database: text(env, 'DB_NAME', 'postgres'),
    user: text(env, 'DB_USER', 'postgres'),
    password: dbPassword(env),
  };
}

/** Where the service listens: HOST (default 0.0.0.0) and PORT (default the service's own port). */
export function listenConfig(env: Env, defaultPort: number): { host: string; port: number } {
  return { host: text(env, 'HOST', '0.0.0.0'), port: integer(env, 'PORT', defaultPort, 0, 65535) };
}
