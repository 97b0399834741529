import { describe, healthServer, listen, log, runService } from '@dockyard/node-common';
import { workerConfig } from './config.js';
import { QueueKeys, VoteQueue } from './queue.js';
import { VoteStore } from './store.js';
import { Worker } from './worker.js';

/** Longest a stop may take before the process exits anyway (Docker's default grace is 10 s). */
const STOP_DEADLINE_MS = 8000;

async function main(): Promise<void> {
  const config = workerConfig(process.env);
  const keys = new QueueKeys(config.votesList, config.invalidList, config.workerId);
  const queue = new VoteQueue(config.redis, keys, config.leaseMs);
  const store = new VoteStore(config.db);
  const worker = new Worker(queue, store, { id: config.workerId, batchSize: config.batchSize, leaseMs: config.leaseMs });
  const server = healthServer(() => worker.health());
  const port = await listen(server, config.port, config.host);
  log.info(`worker ${config.workerId}: health on http://${config.host}:${port}/healthz, moving ${config.votesList} (through ${keys.processing}) to postgres ${config.db.host}:${config.db.port}/${config.db.database}`);

  let stopping = false;
  let stopped: () => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => (stopped = resolve));
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`worker: ${signal}, finishing the current batch`);
    worker.stop();
    stopped();
    setTimeout(() => {
      log.warn('worker: stop deadline passed, exiting; unfinished votes stay in the processing list until another worker takes them over');
      process.exit(0);
    }, STOP_DEADLINE_MS).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  // connect() resolves once Redis answers (the client retries until then, and health says 503);
  // later disconnections are retried by the loop with backoff.
  const connected = queue.connect().then(
    () => true,
    (err: unknown) => {
      log.error(`redis: ${describe(err)}`);
      return false;
    },
  );
  if (await Promise.race([connected, stopRequested.then(() => false)])) {
    await worker.run();
    // The batch is finished: hand back anything still taken (nothing, normally) and leave at once,
    // rather than let the others wait for the heartbeat to expire.
    await queue.release().then(
      (moved) => moved > 0 && log.info(`worker: handed ${moved} vote(s) back to ${config.votesList}`),
      (err: unknown) => log.warn(`worker: could not leave the worker set (${describe(err)}); the others take over when the heartbeat expires`),
    );
  }

  server.close();
  await Promise.allSettled([queue.close(), store.close()]);
  log.info(`worker: stopped after ${worker.health().processed} votes`);
}

runService('worker', main);
