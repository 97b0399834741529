/**
 * Where things are: the repository's apps, the Python venv with gunicorn, and the Redis and
 * PostgreSQL servers that scripts/test-apps.sh (or apps/bench/load.sh) started, from TEST_* variables.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** apps/tests (this file runs from apps/tests/.build/src). */
export const TESTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const APPS_DIR = resolve(TESTS_DIR, '..');
export const REPO_ROOT = resolve(APPS_DIR, '..');

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through scripts/test-apps.sh or apps/bench/load.sh`);
  return value;
}

export interface Servers {
  redisPort: number;
  pg: { host: string; port: number; user: string; password: string; dir: string };
  /** Folder holding the venv's python and gunicorn. */
  pythonBin: string;
}

export function servers(): Servers {
  return {
    redisPort: Number(required('TEST_REDIS_PORT')),
    pg: {
      host: '127.0.0.1',
      port: Number(required('TEST_PG_PORT')),
      user: 'postgres',
      password: required('TEST_PG_PASSWORD'),
      dir: required('TEST_PG_DIR'),
    },
    pythonBin: process.env['TEST_PYTHON_BIN'] || join(REPO_ROOT, '.tools', 'apps-venv', 'bin'),
  };
}
