/**
 * Load benchmark of the voting apps on loopback: posts N votes (distinct voter ids) to the vote app
 * with keep-alive connections, prints throughput and latency percentiles, then waits until the
 * worker has drained the queue and checks that result counts exactly the votes that were posted.
 *   VOTES=20000 CONCURRENCY=32 node .build/src/bench.js    (apps/bench/load.sh starts the servers)
 */
import { agent, pool, postVote, results } from './http.js';
import { Stack } from './stack.js';
import { waitFor } from './util.js';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const ms = (ns: bigint): number => Number(ns) / 1e6;

async function main(): Promise<void> {
  const votes = setting('VOTES', 20000);
  const concurrency = setting('CONCURRENCY', 32);
  const stack = await Stack.create();
  let failed = false;
  try {
    const { vote, result } = await stack.all();
    const warmup = 200;
    await pool(warmup, concurrency, async (i) => void (await postVote(vote.url, 'a', `feed${i.toString(16).padStart(12, '0')}`)));
    await waitFor('the warm-up votes to be counted', async () => (await results(result.url)).total === warmup, 60000, 100);

    const latencies: number[] = new Array<number>(votes);
    const statuses = new Map<number, number>();
    let expectedA = 0;
    console.log(`posting ${votes} votes from ${votes} voters, ${concurrency} at a time, to ${vote.url}`);
    const started = process.hrtime.bigint();
    await pool(votes, concurrency, async (i) => {
      const choice = i % 5 < 3 ? 'a' : 'b';
      const t0 = process.hrtime.bigint();
      const answer = await postVote(vote.url, choice, `be${i.toString(16).padStart(14, '0')}`);
      latencies[i] = ms(process.hrtime.bigint() - t0);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status === 200 && choice === 'a') expectedA += 1;
    });
    const posted = process.hrtime.bigint();
    const accepted = statuses.get(200) ?? 0;
    await waitFor('the worker to drain the queue', async () => (await results(result.url)).total === warmup + accepted, 300000, 100);
    const drained = process.hrtime.bigint();

    const sorted = [...latencies].sort((x, y) => x - y);
    const seconds = ms(posted - started) / 1000;
    const r = await results(result.url);
    const countedA = r.options.a.votes - warmup;
    const countedB = r.options.b.votes;
    console.log(`vote:    ${votes} requests in ${seconds.toFixed(2)} s = ${(votes / seconds).toFixed(0)} votes/s`);
    console.log(`         latency p50 ${percentile(sorted, 50).toFixed(2)} ms, p90 ${percentile(sorted, 90).toFixed(2)} ms, ` +
      `p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${percentile(sorted, 100).toFixed(2)} ms`);
    console.log(`         statuses ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(', ')}`);
    console.log(`worker:  queue drained ${(ms(drained - posted) / 1000).toFixed(2)} s after the last vote was posted ` +
      `(${(accepted / (ms(drained - started) / 1000)).toFixed(0)} votes/s end to end)`);
    console.log(`result:  counted ${countedA + countedB} (a ${countedA}, b ${countedB}); posted ${accepted} (a ${expectedA}, b ${accepted - expectedA})`);
    failed = accepted !== votes || countedA !== expectedA || countedB !== accepted - expectedA;
    console.log(failed ? 'FAIL: votes posted != votes counted' : 'OK: votes posted == votes counted');
  } finally {
    agent.destroy();
    await stack.close();
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exitCode = 1;
});
