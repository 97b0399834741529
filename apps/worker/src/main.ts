import { ConfigError, workerConfig } from './config.js';
import { healthServer, listen } from './health.js';
import { describe, log } from './log.js';
import { VoteQueue } from './queue.js';
import { VoteStore } from './store.js';
import { Worker } from './worker.js';

/** Longest a stop may take before the process exits anyway (Docker's default grace is 10 s). */
const STOP_DEADLINE_MS = 8000;

async function main(): Promise<void> {
  const config = workerConfig(process.env);
  const queue = new VoteQueue(config.redis, {
    votes: config.votesList,
    processing: config.processingList,
    invalid: config.invalidList,
  });
  const store = new VoteStore(config.db);
  const worker = new Worker(queue, store, { batchSize: config.batchSize });
  const server = healthServer(() => worker.health());
  const port = await listen(server, config.port, config.host);
  log.info(`worker: health on http://${config.host}:${port}/healthz, moving ${config.votesList} to postgres ${config.db.host}:${config.db.port}/${config.db.database}`);

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
      log.warn('worker: stop deadline passed, exiting; unfinished votes stay in the processing list');
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
  if (await Promise.race([connected, stopRequested.then(() => false)])) await worker.run();

  server.close();
  await Promise.allSettled([queue.close(), store.close()]);
  log.info(`worker: stopped after ${worker.health().processed} votes`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log.error(err instanceof ConfigError ? `configuration: ${err.message}` : `worker: ${describe(err)}`);
    process.exit(1);
  },
);
