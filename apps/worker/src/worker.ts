import { describe, log } from '@dockyard/node-common';
import type { Recovered } from './queue.js';
import { MicrosecondClock, latestPerVoter, parseVote, stamp, type StampedVote, type Vote } from './vote.js';

/** What the loop needs from Redis (see queue.ts). */
export interface Queue {
  readonly isReady: boolean;
  heartbeat(): Promise<void>;
  recover(): Promise<Recovered[]>;
  pending(limit: number): Promise<string[]>;
  waitForVote(timeoutSeconds: number): Promise<boolean>;
  moveUpTo(count: number): Promise<number>;
  ack(raws: readonly string[]): Promise<void>;
  reject(raw: string): Promise<void>;
}

/** What the loop needs from PostgreSQL (see store.ts). */
export interface Store {
  save(votes: readonly StampedVote[]): Promise<number>;
  ping(): Promise<void>;
}

export interface Health {
  ok: boolean;
  /** The worker's id (WORKER_ID): its processing list is `<votes>:processing:<id>`. */
  worker: string;
  redis: boolean;
  db: boolean;
  loop: boolean;
  processed: number;
}

export interface WorkerOptions {
  /** Shown in the health report and the log. */
  id?: string;
  batchSize: number;
  /**
   * How long a heartbeat lives. The worker renews it every third of that while its loop goes
   * round, and looks for workers whose heartbeat expired every half of it. @default 10000
   */
  leaseMs?: number;
  /** How long one wait for a new vote lasts; also the longest a stop request waits for it. */
  waitSeconds?: number;
  /** The loop counts as dead when it has not gone round for this long. */
  stallMs?: number;
  /** How often PostgreSQL is pinged while no vote arrives. */
  idlePingMs?: number;
  maxBackoffMs?: number;
}

class RedisFailure extends Error {}
class DbFailure extends Error {}

async function attempt<T>(Failure: new (message: string, options: ErrorOptions) => Error, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw new Failure(describe(err), { cause: err });
  }
}

/**
 * The loop: take over the lists of dead workers (when due), process whatever is in this worker's
 * processing list, else wait for new votes; write a batch to PostgreSQL; remove it from the
 * processing list only after the commit. Any failure leaves the batch in the processing list and is
 * retried with exponential backoff. Beside the loop, a timer renews the worker's heartbeat.
 */
export class Worker {
  private readonly clock = new MicrosecondClock();
  private readonly waitSeconds: number;
  private readonly stallMs: number;
  private readonly idlePingMs: number;
  private readonly maxBackoffMs: number;
  private readonly leaseMs: number;
  private readonly id: string;
  private stopping = false;
  private registered = false;
  private nextRecovery = 0;
  private wake: (() => void) | null = null;
  private redisOk = false;
  private dbOk = false;
  private lastTurn = 0;
  private lastDbPing = 0;
  private processed = 0;
  private failures = 0;
  private lastFailure = '';

  constructor(
    private readonly queue: Queue,
    private readonly store: Store,
    private readonly options: WorkerOptions,
  ) {
    this.waitSeconds = options.waitSeconds ?? 1;
    this.stallMs = options.stallMs ?? 15000;
    this.idlePingMs = options.idlePingMs ?? 2000;
    this.maxBackoffMs = options.maxBackoffMs ?? 2000;
    this.leaseMs = options.leaseMs ?? 10000;
    this.id = options.id ?? '';
  }

  health(now: number = Date.now()): Health {
    const redis = this.redisOk && this.queue.isReady;
    const loop = !this.stopping && this.lastTurn > 0 && now - this.lastTurn < this.stallMs;
    return { ok: redis && this.dbOk && loop, worker: this.id, redis, db: this.dbOk, loop, processed: this.processed };
  }

  /** Runs until stop() is called; resolves after the current batch is finished. */
  async run(): Promise<void> {
    // Renewed only while the loop goes round: a stalled worker's votes are taken over by the others.
    const beat = setInterval(() => {
      if (this.registered && this.health().loop) this.queue.heartbeat().catch(() => undefined);
    }, Math.max(100, Math.floor(this.leaseMs / 3)));
    try {
      await this.loop();
    } finally {
      clearInterval(beat);
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.lastTurn = Date.now();
      try {
        await this.turn();
        if (this.failures > 0) log.info('worker: recovered');
        this.failures = 0;
        this.lastFailure = '';
      } catch (err) {
        if (err instanceof RedisFailure) this.redisOk = false;
        if (err instanceof DbFailure) this.dbOk = false;
        this.failures += 1;
        const delay = this.backoff();
        const failure = `${err instanceof DbFailure ? 'postgres' : 'redis'} unavailable (${describe(err)})`;
        if (failure !== this.lastFailure || this.failures % 20 === 0) log.warn(`worker: ${failure}, retrying`);
        this.lastFailure = failure;
        await this.sleep(delay);
      }
    }
  }

  /** Asks the loop to stop after the current batch and wakes it from a backoff sleep. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  private async turn(): Promise<void> {
    if (!this.registered) {
      // Alive (and in the worker set) before taking any vote.
      await this.redis(() => this.queue.heartbeat());
      this.registered = true;
    }
    if (Date.now() >= this.nextRecovery) {
      for (const { from, moved } of await this.redis(() => this.queue.recover())) {
        log.info(`worker: took over ${moved} unfinished vote(s) of ${from === '' ? 'the shared processing list of an earlier version' : `worker ${from}, whose heartbeat expired`}`);
      }
      this.nextRecovery = Date.now() + Math.floor(this.leaseMs / 2);
    }
    const entries = await this.redis(() => this.queue.pending(this.options.batchSize));
    if (entries.length === 0) {
      await this.pingDbWhenIdle();
      const moved = await this.redis(() => this.queue.waitForVote(this.waitSeconds));
      if (moved) await this.redis(() => this.queue.moveUpTo(this.options.batchSize - 1));
      return;
    }
    const votes: Vote[] = [];
    for (const raw of entries) {
      const vote = parseVote(raw);
      if (vote) votes.push(vote);
      else {
        log.warn(`worker: not a vote, moved aside: ${raw.slice(0, 200)}`);
        await this.redis(() => this.queue.reject(raw));
      }
    }
    if (votes.length === 0) return;
    await this.db(() => this.store.save(latestPerVoter(stamp(votes, this.clock))));
    await this.redis(() => this.queue.ack(votes.map((v) => v.raw)));
    this.processed += votes.length;
  }

  private async pingDbWhenIdle(): Promise<void> {
    const now = Date.now();
    if (this.dbOk && now - this.lastDbPing < this.idlePingMs) return;
    await this.db(() => this.store.ping());
    this.lastDbPing = now;
  }

  private async redis<T>(op: () => Promise<T>): Promise<T> {
    const result = await attempt(RedisFailure, op);
    this.redisOk = true;
    return result;
  }

  private async db<T>(op: () => Promise<T>): Promise<T> {
    const result = await attempt(DbFailure, op);
    this.dbOk = true;
    this.lastDbPing = Date.now();
    return result;
  }

  private backoff(): number {
    const base = Math.min(100 * 2 ** Math.min(this.failures - 1, 10), this.maxBackoffMs);
    return base / 2 + Math.random() * (base / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = null;
    });
  }
}
