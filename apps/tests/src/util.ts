import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './env.js';

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((done) => setTimeout(done, ms));
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = ` (last error: ${err instanceof Error ? err.message : String(err)})`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError}`);
    await sleep(everyMs);
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

function service(script: string, ...args: string[]): void {
  const result = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'services', script), ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${script} ${args.join(' ')} failed: ${result.stderr}`);
}

/** A redis-server of its own, which a test may stop and start again on the same port. */
export class PrivateRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'apps-redis-'));
  private constructor(readonly port: number) {}

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
