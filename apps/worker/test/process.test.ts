import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RedisClientType } from '@redis/client';
import {
  APP_DIR, PrivateRedis, freshDatabase, inFlight, kill, postgres, query, redisClient, startWorker, storedVotes, uniqueName, waitFor, workerEnv,
} from './support.js';

const vote = (voterId: string, choice: string): string => JSON.stringify({ voter_id: voterId, vote: choice });

function healthcheck(port: number): number | null {
  const command = join(APP_DIR, 'node_modules', '@dockyard', 'node-common', 'dist', 'healthcheck.js');
  return spawnSync(process.execPath, [command], { env: { PORT: String(port) } }).status;
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
      await waitFor('the lists to drain', async () => (await redis.lLen(list)) + (await inFlight(redis, list)) === 0);
      const rows = Object.entries(await storedVotes(db.name)).filter(([id]) => id.startsWith('pg'));
      assert.equal(rows.length, 100);
      assert.equal(rows.filter(([, v]) => v === 'a').length, 34);
    } finally {
      await kill(worker);
    }
  });

  it('with two workers, one SIGKILLed mid-stream: the other takes over its votes, every vote counted exactly once', async (t) => {
    const audited = await freshDatabase();
    // Every row write is recorded, so a vote written twice shows (the table is the worker's own).
    await query(audited.name, 'CREATE TABLE votes (id VARCHAR(255) NOT NULL UNIQUE, vote VARCHAR(255) NOT NULL, ts BIGINT NOT NULL DEFAULT 0)');
    await query(audited.name, 'CREATE TABLE writes (id VARCHAR(255) NOT NULL, ts BIGINT NOT NULL)');
    await query(audited.name, `CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO writes VALUES (NEW.id, NEW.ts); RETURN NEW; END $$`);
    await query(audited.name, 'CREATE TRIGGER audit AFTER INSERT OR UPDATE ON votes FOR EACH ROW EXECUTE FUNCTION audit()');
    const rows = async (): Promise<number> => Number((await query<{ n: string }>(audited.name, 'SELECT count(*) AS n FROM votes'))[0]?.n);

    const list = uniqueName('votes');
    const voters = 3000;
    // Stamped as the vote app stamps them; one vote per voter, so each must be written exactly once.
    await redis.rPush(list, Array.from({ length: voters }, (_, i) => JSON.stringify({ voter_id: `k${i}`, vote: i % 3 === 0 ? 'a' : 'b', ts: i + 1 })));
    const env = (id: string): Record<string, string> => workerEnv(audited.name, list, { WORKER_ID: id, BATCH_SIZE: '5', LEASE_MS: '2000' });
    const a = await startWorker(env('a'));
    let b: Awaited<ReturnType<typeof startWorker>> | undefined;
    try {
      await waitFor('300 rows', async () => (await rows()) >= 300, 30000);
      // Worker b starts while a holds a batch: it must leave a's votes alone.
      b = await startWorker(env('b'));
      await waitFor('b to be healthy', async () => (await b!.health()) === 200);
      await waitFor('1200 rows', async () => (await rows()) >= 1200, 30000);
      a.child.kill('SIGKILL');
      await a.exited;
      const held = await redis.lRange(`${list}:processing:a`, 0, -1);
      const atKill = await rows();
      assert.ok(atKill < voters, `a was killed mid-stream (${atKill} rows)`);
      t.diagnostic(`at the kill: ${atKill} rows, a held ${held.length} vote(s)`);

      await waitFor('the lists to drain and a to leave the worker set', async () =>
        (await redis.lLen(list)) === 0 && (await inFlight(redis, list)) === 0 && !(await redis.sIsMember(`${list}:workers`, 'a')), 30000);
      await waitFor('the last batch to be committed', async () => (await rows()) === voters);
      if (held.length > 0) assert.match(b.output(), new RegExp(`took over ${held.length} unfinished vote\\(s\\) of worker a, whose heartbeat expired`));
      assert.equal(await redis.exists(`${list}:processing:a`), 0);
      assert.equal(await redis.exists(`${list}:worker:a`), 0);

      // Every vote counted once: one row per voter, the exact split.
      assert.equal(await rows(), voters);
      const split = await query<{ vote: string; n: string }>(audited.name, 'SELECT vote, count(*) AS n FROM votes GROUP BY vote ORDER BY vote');
      assert.deepEqual(split.map((r) => [r.vote, Number(r.n)]), [['a', 1000], ['b', 2000]]);
      // Written once each, except what a held when it died (taken over, maybe already committed):
      // at-least-once delivery, which the upsert makes exactly-once.
      const writes = await query<{ id: string; n: string }>(audited.name, 'SELECT id, count(*) AS n FROM writes GROUP BY id');
      assert.equal(writes.length, voters);
      const heldIds = new Set(held.map((raw) => (JSON.parse(raw) as { voter_id: string }).voter_id));
      const twice = writes.filter((w) => Number(w.n) > 1);
      assert.deepEqual(twice.filter((w) => !heldIds.has(w.id) || Number(w.n) > 2), [], `written more than once: ${JSON.stringify(twice)} (a held ${held.length})`);
      assert.ok(twice.length <= held.length);
      assert.equal((await redis.sMembers(`${list}:workers`)).join(), 'b');
    } finally {
      await kill(a);
      if (b) await kill(b);
      await audited.drop();
    }
  });
});
