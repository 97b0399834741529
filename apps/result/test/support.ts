/**
 * Test helpers: the real PostgreSQL that scripts/test-apps.sh started (port in TEST_*), a database
 * of its own for each test, and the result app as a child process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

export interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  health: () => Promise<number>;
}

/** Starts `node dist/main.js` of the result app with the given environment on a free port. */
export async function startResult(env: Record<string, string>): Promise<Running> {
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

export function resultEnv(database: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DB_HOST: pgServer.host,
    DB_PORT: String(pgServer.port),
    DB_NAME: database,
    DB_USER: pgServer.user,
    DB_PASSWORD: pgServer.password,
    POLL_INTERVAL_MS: '200',
    ...extra,
  };
}

export async function getJson<T>(port: number, path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return (await response.json()) as T;
}

/** Reads Server-Sent Events from `/events` one at a time. */
export class EventReader {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly abort: AbortController,
  ) {}

  static async open(port: number): Promise<EventReader> {
    const abort = new AbortController();
    const response = await fetch(`http://127.0.0.1:${port}/events`, { signal: abort.signal });
    if (response.status !== 200 || !response.body) throw new Error(`/events answered ${response.status}`);
    if (!response.headers.get('content-type')?.startsWith('text/event-stream')) throw new Error('not an event stream');
    return new EventReader(response.body.getReader(), abort);
  }

  /** The data of the next `results` event, parsed. */
  async next<T>(timeoutMs = 10000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const lines = block.split('\n');
        if (lines.includes('event: results')) {
          const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          return JSON.parse(data) as T;
        }
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no event in time');
      const chunk = await Promise.race([
        this.reader.read(),
        sleep(left).then(() => null),
      ]);
      if (chunk === null) throw new Error('no event in time');
      if (chunk.done) throw new Error('the event stream ended');
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  close(): void {
    this.abort.abort();
  }
}
