import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClient } from '@redis/client';
import { pool, postVote, results } from '../src/http.js';
import { Stack } from '../src/stack.js';
import { PrivateRedis, waitFor } from '../src/util.js';

/** The votes list's length, and how many votes the workers' processing lists hold. */
async function listLengths(port: number, list: string): Promise<[number, number]> {
  const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  try {
    let processing = 0;
    for (const key of await client.keys(`${list}:processing*`)) processing += await client.lLen(key);
    return [await client.lLen(list), processing];
  } finally {
    await client.close();
  }
}

describe('vote → worker → result', () => {
  it('counts the votes posted over HTTP, the latest vote of each voter winning', async () => {
    const stack = await Stack.create({ labels: { a: 'Tea', b: 'Coffee' } });
    try {
      const { vote, result } = await stack.all();
      const voters: string[] = [];
      for (let i = 0; i < 10; i++) {
        const answer = await postVote(vote.url, i < 6 ? 'a' : 'b');
        assert.equal(answer.status, 200);
        assert.ok(answer.voterId, 'the vote app sets a voter_id cookie');
        voters.push(answer.voterId);
      }
      // Two voters change their minds.
      for (const voterId of voters.slice(0, 2)) assert.equal((await postVote(vote.url, 'b', voterId)).status, 200);
      await waitFor('10 votes counted', async () => {
        const r = await results(result.url);
        return r.total === 10 && r.options.b.votes === 6;
      });
      const r = await results(result.url);
      assert.deepEqual(r.options, { a: { label: 'Tea', votes: 4, percent: 40 }, b: { label: 'Coffee', votes: 6, percent: 60 } });
      assert.equal(await stack.db.count(), 10);
    } finally {
      await stack.close();
    }
  });

  it('loses no vote and counts none twice when the worker is SIGKILLed mid-stream', async () => {
    const stack = await Stack.create();
    try {
      const vote = await stack.vote();
      const result = await stack.result();
      await Promise.all([vote.healthy(), result.healthy()]);
      // Queue thousands of votes while no worker runs: 3000 voters, then 500 of them change their vote.
      const voters = 3000;
      const changes = 500;
      const ids: string[] = new Array<string>(voters);
      await pool(voters, 16, async (i) => {
        const answer = await postVote(vote.url, i % 3 === 0 ? 'a' : 'b');
        assert.equal(answer.status, 200);
        ids[i] = answer.voterId ?? '';
      });
      await pool(changes, 16, async (i) => {
        assert.equal((await postVote(vote.url, 'a', ids[i])).status, 200);
      });
      let expectedA = 0;
      for (let i = 0; i < voters; i++) if (i < changes || i % 3 === 0) expectedA += 1;

      // Small batches so that the kills land while the worker is busy.
      const kills: number[] = [];
      for (const threshold of [300, 1200, 2200]) {
        const worker = await stack.worker({ BATCH_SIZE: '5' });
        await waitFor(`${threshold} rows`, async () => (await stack.db.count()) >= threshold, 30000, 10);
        worker.child.kill('SIGKILL');
        await worker.exited;
        kills.push(await stack.db.count());
      }
      assert.ok(kills.every((n) => n < voters), `every kill happened mid-stream (rows at the kills: ${kills.join(', ')})`);
      const [queued] = await listLengths(stack.settings.redisPort, stack.settings.votesList);
      assert.ok(queued > 0, 'votes were still queued after the last kill');

      const worker = await stack.worker();
      await worker.healthy();
      await waitFor('the queue to drain', async () => {
        const [left, processing] = await listLengths(stack.settings.redisPort, stack.settings.votesList);
        return left === 0 && processing === 0;
      }, 60000);
      // The database is the truth; result polls it every second, so it may show the previous poll
      // for a moment (the total reaches 3000 before the last vote changes are committed).
      assert.equal(await stack.db.count(), voters);
      assert.equal(await stack.db.count("vote = 'a'"), expectedA);
      let shown: number[] = [];
      await waitFor(`result to show ${voters} voters, ${expectedA} for a`, async () => {
        const r = await results(result.url);
        shown = [r.total, r.options.a.votes, r.options.b.votes];
        return shown[1] === expectedA;
      });
      assert.deepEqual(shown, [voters, expectedA, voters - expectedA]);
    } finally {
      await stack.close();
    }
  });

  it('answers 503 while Redis is down and records votes again once it is back', async () => {
    const redis = await PrivateRedis.start();
    const stack = await Stack.create({ redisPort: redis.port });
    try {
      const { vote, worker, result } = await stack.all();
      assert.equal((await postVote(vote.url, 'a')).status, 200);

      redis.stop();
      const refused = await postVote(vote.url, 'b');
      assert.equal(refused.status, 503);
      assert.match(refused.body, /Votes cannot be recorded right now/);
      assert.doesNotMatch(refused.body, /Traceback/);
      assert.equal(await vote.health(), 503);
      await waitFor('the worker to notice', async () => (await worker.health()) === 503);

      redis.start();
      await waitFor('vote to recover', async () => (await postVote(vote.url, 'b')).status === 200);
      await Promise.all([vote.healthy(), worker.healthy()]);
      await waitFor('both votes counted', async () => (await results(result.url)).total === 2);
      const r = await results(result.url);
      assert.deepEqual([r.options.a.votes, r.options.b.votes], [1, 1]);
    } finally {
      await stack.close();
      redis.stop();
    }
  });
});
