import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { APPS_DIR, type Servers } from './env.js';
import { freePort, waitFor } from './util.js';

/** One of the apps running as a child process, its output kept for failure messages. */
export class App {
  private log = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  output(): string {
    return this.log;
  }

  async health(): Promise<number> {
    try {
      return (await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2000) })).status;
    } catch {
      return 0;
    }
  }

  async healthy(timeoutMs = 30000): Promise<void> {
    try {
      await waitFor(`${this.name} to be healthy`, async () => (await this.health()) === 200, timeoutMs);
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- ${this.name} output ---\n${this.log}`);
    }
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.running) this.child.kill(signal);
    await this.exited;
  }
}

/** Settings shared by the three apps of one test: a list and a database of their own. */
export interface StackSettings {
  servers: Servers;
  redisPort: number;
  votesList: string;
  database: string;
  labels: { a: string; b: string };
}

function baseEnv(port: number): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', PORT: String(port) };
}

function dbEnv(s: StackSettings): Record<string, string> {
  const { pg } = s.servers;
  return { DB_HOST: pg.host, DB_PORT: String(pg.port), DB_NAME: s.database, DB_USER: pg.user, DB_PASSWORD: pg.password };
}

function launch(name: string, command: string, args: string[], cwd: string, env: Record<string, string>, port: number): App {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new App(name, port, child);
}

/** The vote app under gunicorn, as in its image. */
export async function startVote(s: StackSettings, extra: Record<string, string> = {}): Promise<App> {
  const port = await freePort();
  const env = {
    ...baseEnv(port), REDIS_HOST: '127.0.0.1', REDIS_PORT: String(s.redisPort), VOTES_LIST: s.votesList,
    OPTION_A: s.labels.a, OPTION_B: s.labels.b, ...extra,
  };
  const gunicorn = join(s.servers.pythonBin, 'gunicorn');
  return launch('vote', gunicorn, ['-c', 'gunicorn.conf.py'], join(APPS_DIR, 'vote'), env, port);
}

export async function startWorker(s: StackSettings, extra: Record<string, string> = {}): Promise<App> {
  const port = await freePort();
  // A short lease: a SIGKILLed worker's votes are taken over by the next one within about 1.5 s.
  const env = { ...baseEnv(port), ...dbEnv(s), REDIS_HOST: '127.0.0.1', REDIS_PORT: String(s.redisPort), VOTES_LIST: s.votesList, LEASE_MS: '1000', ...extra };
  return launch('worker', process.execPath, ['dist/main.js'], join(APPS_DIR, 'worker'), env, port);
}

export async function startResult(s: StackSettings, extra: Record<string, string> = {}): Promise<App> {
  const port = await freePort();
  const env = { ...baseEnv(port), ...dbEnv(s), OPTION_A: s.labels.a, OPTION_B: s.labels.b, POLL_INTERVAL_MS: '250', ...extra };
  return launch('result', process.execPath, ['dist/main.js'], join(APPS_DIR, 'result'), env, port);
}
