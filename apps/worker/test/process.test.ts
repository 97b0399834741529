import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RedisClientType } from '@redis/client';
import {
  APP_DIR, PrivateRedis, freshDatabase, kill, postgres, redisClient, startWorker, storedVotes, uniqueName, waitFor, workerEnv,
} from './support.js';

const vote = (voterId: string, choice: string): string => JSON.stringify({ voter_id: voterId, vote: choice });

function healthcheck(port: number): number | null {
  return spawnSync(process.execPath, [join(APP_DIR, 'dist', 'healthcheck.js')], { env: { PORT: String(port) } }).status;
}

describe('worker process', () => {
  let redis: RedisClientType;
  let db: { name: string; drop: () => Promise<void> };

  before(async () => {
    redis = await redisClient();
    db = await freshDatabase();
  });
  after(async () => {
    await redis.close();
    await db.drop();
  });

  it('is healthy while working, and stops promptly with exit code 0 on SIGTERM', async () => {
    const list = uniqueName('votes');
    const worker = await startWorker(workerEnv(db.name, list));
    try {
      await waitFor('healthz 200', async () => (await worker.health()) === 200);
      assert.equal(healthcheck(worker.port), 0);
      await redis.rPush(list, [vote('p1', 'a'), vote('p2', 'b')]);
      await waitFor('the votes to land', async () => Object.keys(await storedVotes(db.name)).length >= 2);
      const started = Date.now();
      worker.child.kill('SIGTERM');
      const { code } = await worker.exited;
      assert.equal(code, 0, worker.output());
      assert.ok(Date.now() - started < 5000, `stopped in ${Date.now() - started} ms`);
      assert.match(worker.output(), /stopped after 2 votes/);
      assert.equal(healthcheck(worker.port), 1);
    } finally {
      await kill(worker);
    }
  });

  it('reads the password from DB_PASSWORD_FILE (a secret file, as Docker gives it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'worker-secret-'));
    const good = join(dir, 'good');
    const bad = join(dir, 'bad');
    writeFileSync(good, `${process.env['TEST_PG_PASSWORD']}\n`, { mode: 0o444 });
    writeFileSync(bad, 'wrong\n');
    const fileOnly = (list: string, path: string): Record<string, string> => {
      const env = workerEnv(db.name, list, { DB_PASSWORD_FILE: path });
      delete env['DB_PASSWORD'];
      return env;
    };
    const list = uniqueName('votes');
    const right = await startWorker(fileOnly(list, good));
    const wrong = await startWorker(fileOnly(uniqueName('votes'), bad));
    try {
      await redis.rPush(list, vote('file1', 'b'));
      await waitFor('the vote to land', async () => (await storedVotes(db.name))['file1'] === 'b');
      assert.equal(await right.health(), 200);
      await waitFor('the wrong password to be refused', () => /password authentication failed/.test(wrong.output()));
      assert.equal(await wrong.health(), 503);
    } finally {
      await kill(right);
      await kill(wrong);
    }
  });

  it('exits at once, saying why, when DB_PASSWORD_FILE cannot be read or DB_PASSWORD is set too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'worker-secret-'));
    const good = join(dir, 'good');
    writeFileSync(good, 'whatever\n');
    const missingEnv = workerEnv(db.name, uniqueName('votes'), { DB_PASSWORD_FILE: join(dir, 'missing') });
    delete missingEnv['DB_PASSWORD'];
    const missing = await startWorker(missingEnv);
    const both = await startWorker(workerEnv(db.name, uniqueName('votes'), { DB_PASSWORD_FILE: good }));
    try {
      assert.equal((await missing.exited).code, 1);
      assert.match(missing.output(), new RegExp(`configuration: DB_PASSWORD_FILE: cannot read ${join(dir, 'missing')}: ENOENT`));
      assert.equal((await both.exited).code, 1);
      assert.match(both.output(), new RegExp(`configuration: DB_PASSWORD and DB_PASSWORD_FILE \\(${good}\\) are both set; set only one`));
    } finally {
      await kill(missing);
      await kill(both);
    }
  });

  it('survives a Redis restart: unhealthy while down, then moves votes again', async () => {
    const server = await PrivateRedis.start();
    const list = uniqueName('votes');
    const worker = await startWorker({ ...workerEnv(db.name, list), REDIS_PORT: String(server.port) });
    try {
      await waitFor('healthz 200', async () => (await worker.health()) === 200);
      server.stop();
      await waitFor('healthz 503', async () => (await worker.health()) === 503);
      server.start();
      await waitFor('healthz 200 again', async () => (await worker.health()) === 200);
      const own = await redisClient(server.port);
      await own.rPush(list, [vote('r1', 'a'), vote('r2', 'b')]);
      await own.close();
      await waitFor('the votes to land', async () => {
        const rows = await storedVotes(db.name);
        return rows['r1'] === 'a' && rows['r2'] === 'b';
      });
    } finally {
      await kill(worker);
      server.stop();
    }
  });

  it('survives a PostgreSQL restart without losing the votes queued meanwhile', async () => {
    const list = uniqueName('votes');
    const worker = await startWorker(workerEnv(db.name, list, { BATCH_SIZE: '7' }));
    try {
      await waitFor('healthz 200', async () => (await worker.health()) === 200);
      postgres.stop();
      try {
        await waitFor('healthz 503', async () => (await worker.health()) === 503);
        const votes = Array.from({ length: 100 }, (_, i) => vote(`pg${i}`, i % 3 === 0 ? 'a' : 'b'));
        await redis.rPush(list, votes);
        await new Promise((done) => setTimeout(done, 1000));
      } finally {
        postgres.start();
      }
      await waitFor('healthz 200 again', async () => (await worker.health()) === 200);
      await waitFor('the lists to drain', async () => (await redis.lLen(list)) + (await redis.lLen(`${list}:processing`)) === 0);
      const rows = Object.entries(await storedVotes(db.name)).filter(([id]) => id.startsWith('pg'));
      assert.equal(rows.length, 100);
      assert.equal(rows.filter(([, v]) => v === 'a').length, 34);
    } finally {
      await kill(worker);
    }
  });
});
