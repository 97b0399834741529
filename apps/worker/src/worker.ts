import { describe, log } from './log.js';
import { MicrosecondClock, latestPerVoter, parseVote, stamp, type StampedVote, type Vote } from './vote.js';

/** What the loop needs from Redis (see queue.ts). */
export interface Queue {
  readonly isReady: boolean;
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
  redis: boolean;
  db: boolean;
  loop: boolean;
  processed: number;
}

export interface WorkerOptions {
  batchSize: number;
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
 * The loop: recover whatever is in the processing list, else wait for new votes; write a batch to
 * PostgreSQL; remove it from the processing list only after the commit. Any failure leaves the
 * batch in the processing list and is retried with exponential backoff.
 */
export class Worker {
  private readonly clock = new MicrosecondClock();
  private readonly waitSeconds: number;
  private readonly stallMs: number;
  private readonly idlePingMs: number;
  private readonly maxBackoffMs: number;
  private stopping = false;
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
  }

  health(now: number = Date.now()): Health {
    const redis = this.redisOk && this.queue.isReady;
    const loop = !this.stopping && this.lastTurn > 0 && now - this.lastTurn < this.stallMs;
    return { ok: redis && this.dbOk && loop, redis, db: this.dbOk, loop, processed: this.processed };
  }

  /** Runs until stop() is called; resolves after the current batch is finished. */
  async run(): Promise<void> {
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
