import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RedisClientType } from '@redis/client';
import { VoteQueue } from '../src/queue.js';
import { VoteStore } from '../src/store.js';
import { Worker } from '../src/worker.js';
import { freshDatabase, pgServer, query, redisClient, redisPort, storedVotes, uniqueName, waitFor } from './support.js';

const vote = (voterId: string, choice: string, ts?: number): string =>
  JSON.stringify(ts === undefined ? { voter_id: voterId, vote: choice } : { voter_id: voterId, vote: choice, ts });

describe('worker loop against real Redis and PostgreSQL', () => {
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

  /** Runs a worker on `list` until the votes and processing lists are empty, then stops it. */
  async function drain(list: string, batchSize = 100): Promise<Worker> {
    const queue = new VoteQueue({ host: '127.0.0.1', port: redisPort }, {
      votes: list, processing: `${list}:processing`, invalid: `${list}:invalid`,
    });
    const store = new VoteStore({ host: pgServer.host, port: pgServer.port, database: db.name, user: pgServer.user, password: pgServer.password });
    await queue.connect();
    const worker = new Worker(queue, store, { batchSize, waitSeconds: 0.1 });
    const running = worker.run();
    try {
      await waitFor('the lists to drain', async () =>
        (await redis.lLen(list)) === 0 && (await redis.lLen(`${list}:processing`)) === 0 && worker.health().ok);
    } finally {
      worker.stop();
      await running;
      await queue.close();
      await store.close();
    }
    return worker;
  }

  it('moves every vote, one row per voter, the latest winning', async () => {
    const list = uniqueName('votes');
    await redis.rPush(list, [vote('v1', 'a', 10), vote('v2', 'b', 11), vote('v1', 'b', 12), vote('v3', 'a', 13), vote('v2', 'a', 14)]);
    const worker = await drain(list, 2);
    assert.equal(worker.health().processed, 5);
    assert.deepEqual(await storedVotes(db.name), { v1: 'b', v2: 'a', v3: 'a' });
  });

  it('creates the classic table, with a compatible ts column', async () => {
    const columns = await query<{ column_name: string; data_type: string; is_nullable: string }>(db.name,
      "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'votes' ORDER BY ordinal_position");
    assert.deepEqual(columns.map((c) => [c.column_name, c.data_type, c.is_nullable]), [
      ['id', 'character varying', 'NO'], ['vote', 'character varying', 'NO'], ['ts', 'bigint', 'NO'],
    ]);
  });

  it('processes leftovers of the processing list first, in order, before new votes', async () => {
    const list = uniqueName('votes');
    // Classic (unstamped) votes: only the processing order decides which one is the latest.
    await redis.rPush(`${list}:processing`, [vote('left1', 'a'), vote('left2', 'b')]);
    await redis.rPush(list, [vote('left1', 'b'), vote('new1', 'a')]);
    await drain(list);
    const rows = await storedVotes(db.name);
    assert.deepEqual([rows['left1'], rows['left2'], rows['new1']], ['b', 'b', 'a']);
  });

  it('never lets a reprocessed older vote overwrite a newer committed one', async () => {
    const list = uniqueName('votes');
    await redis.rPush(list, [vote('old1', 'a', 100), vote('old1', 'b', 200)]);
    await drain(list);
    // As after a crash between the commit and the removal of an older vote from the processing list.
    await redis.rPush(`${list}:processing`, vote('old1', 'a', 100));
    await drain(list);
    assert.equal((await storedVotes(db.name))['old1'], 'b');
    const [row] = await query<{ ts: string }>(db.name, "SELECT ts FROM votes WHERE id = 'old1'");
    assert.equal(row?.ts, '200');
  });

  it('moves entries that are not votes aside and carries on', async () => {
    const list = uniqueName('votes');
    await redis.rPush(list, ['not json', vote('ok1', 'a', 1), '{"vote":"b"}']);
    await drain(list);
    assert.equal((await storedVotes(db.name))['ok1'], 'a');
    assert.deepEqual(await redis.lRange(`${list}:invalid`, 0, -1), ['not json', '{"vote":"b"}']);
  });

  it('upgrades a table made by the classic worker', async () => {
    const classic = await freshDatabase();
    try {
      await query(classic.name, 'CREATE TABLE votes (id VARCHAR(255) NOT NULL UNIQUE, vote VARCHAR(255) NOT NULL)');
      await query(classic.name, "INSERT INTO votes (id, vote) VALUES ('c1', 'a')");
      const list = uniqueName('votes');
      await redis.rPush(list, [vote('c1', 'b', 5), vote('c2', 'a', 6)]);
      const queue = new VoteQueue({ host: '127.0.0.1', port: redisPort }, { votes: list, processing: `${list}:processing`, invalid: `${list}:invalid` });
      const store = new VoteStore({ host: pgServer.host, port: pgServer.port, database: classic.name, user: pgServer.user, password: pgServer.password });
      await queue.connect();
      const worker = new Worker(queue, store, { batchSize: 10, waitSeconds: 0.1 });
      const running = worker.run();
      await waitFor('the votes to land', async () => (await redis.lLen(list)) + (await redis.lLen(`${list}:processing`)) === 0);
      worker.stop();
      await running;
      await queue.close();
      await store.close();
      assert.deepEqual(await storedVotes(classic.name), { c1: 'b', c2: 'a' });
    } finally {
      await classic.drop();
    }
  });
});
