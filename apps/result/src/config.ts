import { dbConfig, integer, listenConfig, text, type DbConfig, type Env } from '@dockyard/node-common';

/** Settings read from the environment; every value has a default matching the classic voting app. */
export interface ResultConfig {
  db: DbConfig;
  labels: { a: string; b: string };
  /** How often the counts are read from PostgreSQL. */
  pollIntervalMs: number;
  host: string;
  port: number;
}

export function resultConfig(env: Env): ResultConfig {
  return {
    db: dbConfig(env),
    labels: { a: text(env, 'OPTION_A', 'Cats'), b: text(env, 'OPTION_B', 'Dogs') },
    pollIntervalMs: integer(env, 'POLL_INTERVAL_MS', 1000, 50, 60000),
    ...listenConfig(env, 8081),
  };
}
