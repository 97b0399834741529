/**
 * Test helpers: the real Redis and PostgreSQL that scripts/test-apps.sh started (ports in TEST_*),
 * a database and list names of their own for each test, and the worker as a child process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type RedisClientType } from '@redis/client';
import pg from 'pg';

export const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPO_ROOT = resolve(APP_DIR, '..', '..');

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with scripts/test-apps.sh`);
  return value;
}

export const pgServer = {
  host: '127.0.0.1',
  port: Number(required('TEST_PG_PORT')),
  user: 'postgres',
  password: required('TEST_PG_PASSWORD'),
  dir: required('TEST_PG_DIR'),
};
export const redisPort = Number(required('TEST_REDIS_PORT'));

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((done) => setTimeout(done, ms));
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function redisClient(port = redisPort): Promise<RedisClientType> {
  const client: RedisClientType = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Votes taken by workers and not yet committed: the lengths of every processing list of `list`. */
export async function inFlight(redis: RedisClientType, list: string): Promise<number> {
  let total = 0;
  for (const key of await redis.keys(`${list}:processing*`)) total += await redis.lLen(key);
  return total;
}

/** A new, empty database on the shared server; dropped by the returned cleanup. */
export async function freshDatabase(): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = uniqueName('test');
  const admin = new pg.Client({ ...pgServer, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    name,
    drop: async () => {
      const again = new pg.Client({ ...pgServer, database: 'postgres' });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
}

export async function query<T extends pg.QueryResultRow>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ ...pgServer, database });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export async function storedVotes(database: string): Promise<Record<string, string>> {
  const rows = await query<{ id: string; vote: string }>(database, 'SELECT id, vote FROM votes ORDER BY id');
  return Object.fromEntries(rows.map((r) => [r.id, r.vote]));
}

function service(script: string, ...args: string[]): void {
  const result = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'services', script), ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${script} ${args.join(' ')} failed: ${result.stderr}`);
}

export const postgres = {
  stop: (): void => service('postgres.sh', 'stop', pgServer.dir),
  start: (): void => service('postgres.sh', 'start', pgServer.dir),
};

/** A redis-server of its own, which a test may stop and start again on the same port. */
export class PrivateRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'worker-redis-'));
  constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const server = new PrivateRedis(await freePort());
    server.start();
    return server;
  }

  start(): void {
    service('redis.sh', 'start', this.dir, String(this.port));
  }

  stop(): void {
    service('redis.sh', 'stop', this.dir);
  }
}

export interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  health: () => Promise<number>;
}

/** Starts `node dist/main.js` of the worker with the given environment on a free health port. */
export async function startWorker(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(APP_DIR, 'dist', 'main.js')], {
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const health = async (): Promise<number> => {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
      return response.status;
    } catch {
      return 0;
    }
  };
  return { child, port, output: () => output, exited, health };
}

/** Stops a child process if it is still running. */
export async function kill(running: Running, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill(signal);
  await running.exited;
}

export function workerEnv(database: string, votesList: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redisPort),
    VOTES_LIST: votesList,
    DB_HOST: pgServer.host,
    DB_PORT: String(pgServer.port),
    DB_NAME: database,
    DB_USER: pgServer.user,
    DB_PASSWORD: pgServer.password,
    ...extra,
  };
}
