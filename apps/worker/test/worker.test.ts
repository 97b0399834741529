import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RedisClientType } from '@redis/client';
import { QueueKeys, VoteQueue } from '../src/queue.js';
import { VoteStore } from '../src/store.js';
import { Worker } from '../src/worker.js';
import { freshDatabase, inFlight, pgServer, query, redisClient, redisPort, sleep, storedVotes, uniqueName, waitFor } from './support.js';

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

  function start(list: string, options: { id?: string; batchSize?: number; leaseMs?: number; database?: string } = {}) {
    const id = options.id ?? uniqueName('w');
    const leaseMs = options.leaseMs ?? 1000;
    const queue = new VoteQueue({ host: '127.0.0.1', port: redisPort }, new QueueKeys(list, `${list}:invalid`, id), leaseMs);
    const store = new VoteStore({ host: pgServer.host, port: pgServer.port, database: options.database ?? db.name, user: pgServer.user, password: pgServer.password });
    const worker = new Worker(queue, store, { id, batchSize: options.batchSize ?? 100, waitSeconds: 0.1, leaseMs });
    let running: Promise<void> = Promise.resolve();
    return {
      id, queue, worker,
      run: async (): Promise<void> => {
        await queue.connect();
        running = worker.run();
      },
      stop: async (): Promise<void> => {
        worker.stop();
        await running;
        await queue.close();
        await store.close();
      },
    };
  }

  /** Runs a worker on `list` until the votes list and every processing list are empty, then stops it. */
  async function drain(list: string, batchSize = 100, id?: string): Promise<Worker> {
    const one = start(list, { batchSize, ...(id === undefined ? {} : { id }) });
    await one.run();
    try {
      await waitFor('the lists to drain', async () => (await redis.lLen(list)) === 0 && (await inFlight(redis, list)) === 0 && one.worker.health().ok);
    } finally {
      await one.stop();
    }
    return one.worker;
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

  it('processes the leftovers of its own processing list first, in order, before new votes', async () => {
    const list = uniqueName('votes');
    // Classic (unstamped) votes: only the processing order decides which one is the latest.
    await redis.rPush(`${list}:processing:w1`, [vote('left1', 'a'), vote('left2', 'b')]);
    await redis.rPush(list, [vote('left1', 'b'), vote('new1', 'a')]);
    await drain(list, 100, 'w1');
    const rows = await storedVotes(db.name);
    assert.deepEqual([rows['left1'], rows['left2'], rows['new1']], ['b', 'b', 'a']);
  });

  it('takes over the shared processing list an earlier version left, before new votes', async () => {
    const list = uniqueName('votes');
    await redis.rPush(`${list}:processing`, [vote('legacy1', 'a'), vote('legacy2', 'b')]);
    await redis.rPush(list, [vote('legacy1', 'b')]);
    await drain(list);
    const rows = await storedVotes(db.name);
    assert.deepEqual([rows['legacy1'], rows['legacy2']], ['b', 'b']);
    assert.equal(await redis.exists(`${list}:processing`), 0);
  });

  it('leaves the votes a live worker holds alone, and takes them over once its heartbeat expires', async () => {
    const list = uniqueName('votes');
    // Worker "other" is alive (a heartbeat, in the worker set) and holds two votes.
    await redis.multi().sAdd(`${list}:workers`, 'other').set(`${list}:worker:other`, '1', { PX: 60000 })
      .rPush(`${list}:processing:other`, [vote('held1', 'a', 1), vote('held2', 'b', 2)]).exec();
    await redis.rPush(list, [vote('free1', 'a', 3), vote('free2', 'b', 4)]);
    const one = start(list, { leaseMs: 1000 });
    await one.run();
    try {
      await waitFor('the free votes to land', async () => Object.keys(await storedVotes(db.name)).filter((id) => id.startsWith('free')).length === 2);
      await sleep(700); // more than one recovery period (leaseMs / 2) while "other" is alive
      assert.deepEqual(await redis.lRange(`${list}:processing:other`, 0, -1), [vote('held1', 'a', 1), vote('held2', 'b', 2)]);
      assert.equal((await storedVotes(db.name))['held1'], undefined);
      assert.equal(one.worker.health().processed, 2);
      // "other" dies: its heartbeat expires.
      await redis.del(`${list}:worker:other`);
      await waitFor('the held votes to be taken over and land', async () => {
        const rows = await storedVotes(db.name);
        return rows['held1'] === 'a' && rows['held2'] === 'b';
      });
      assert.equal(await redis.exists(`${list}:processing:other`), 0);
      assert.deepEqual(await redis.sMembers(`${list}:workers`), [one.id]);
      assert.equal(one.worker.health().processed, 4);
    } finally {
      await one.stop();
    }
  });

  it('hands its unfinished votes back to the head of the votes list, in order, when it stops', async () => {
    const list = uniqueName('votes');
    const keys = new QueueKeys(list, `${list}:invalid`, 'w2');
    const queue = new VoteQueue({ host: '127.0.0.1', port: redisPort }, keys, 5000);
    await queue.connect();
    try {
      await queue.heartbeat();
      assert.ok((await redis.pTTL(keys.heartbeat)) > 4000);
      await redis.rPush(keys.processing, ['t1', 't2']);
      await redis.rPush(list, 'n1');
      assert.equal(await queue.release(), 2);
      assert.deepEqual(await redis.lRange(list, 0, -1), ['t1', 't2', 'n1']);
      assert.deepEqual([await redis.exists(keys.processing), await redis.exists(keys.heartbeat), await redis.sIsMember(keys.workers, 'w2')], [0, 0, 0]);
    } finally {
      await queue.close();
    }
  });

  it('never lets a reprocessed older vote overwrite a newer committed one', async () => {
    const list = uniqueName('votes');
    await redis.rPush(list, [vote('old1', 'a', 100), vote('old1', 'b', 200)]);
    await drain(list);
    // As after a crash between the commit and the removal of an older vote from the processing list.
    await redis.rPush(`${list}:processing:w3`, vote('old1', 'a', 100));
    await drain(list, 100, 'w3');
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
      const one = start(list, { batchSize: 10, database: classic.name });
      await one.run();
      await waitFor('the votes to land', async () => (await redis.lLen(list)) + (await inFlight(redis, list)) === 0);
      await one.stop();
      assert.deepEqual(await storedVotes(classic.name), { c1: 'b', c2: 'a' });
    } finally {
      await classic.drop();
    }
  });
});
