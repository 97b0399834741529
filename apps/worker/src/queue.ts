import { createClient, type RedisClientType } from '@redis/client';
import { describe, log } from '@dockyard/node-common';
import type { RedisConfig } from './config.js';

/**
 * Moves up to ARGV[1] entries from the head of KEYS[1] to the tail of KEYS[2] in one atomic step
 * and returns how many it moved. Each LMOVE is atomic on its own; the script only saves round trips.
 */
const MOVE_UP_TO = `
local moved = 0
for _ = 1, tonumber(ARGV[1]) do
  if not redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT') then break end
  moved = moved + 1
end
return moved
`;

/**
 * Takes over a processing list whose owner is gone: unless the owner's heartbeat KEYS[1] still
 * exists, moves all of KEYS[2] to the head of KEYS[3] (this worker's list), keeping its order, and
 * removes the owner ARGV[1] from the worker set KEYS[4]. Returns how many entries moved, or -1 when
 * the owner is alive. One script, so two workers recovering the same list cannot both get an entry,
 * and an entry is always in exactly one list. An empty ARGV[1] is the list of earlier versions,
 * which has no owner. Processing lists hold at most a batch or two, so the loop is short.
 */
const RECOVER = `
if ARGV[1] ~= '' and redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local moved = 0
while redis.call('LMOVE', KEYS[2], KEYS[3], 'RIGHT', 'LEFT') do moved = moved + 1 end
if ARGV[1] ~= '' then redis.call('SREM', KEYS[4], ARGV[1]) end
return moved
`;

/**
 * On a clean stop: moves what is left in this worker's list KEYS[1] back to the head of the votes
 * list KEYS[2], in order, deletes its heartbeat KEYS[3] and leaves the worker set KEYS[4].
 */
const RELEASE = `
local moved = 0
while redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT') do moved = moved + 1 end
redis.call('DEL', KEYS[3])
redis.call('SREM', KEYS[4], ARGV[1])
return moved
`;

/** The Redis keys of a votes list and of the workers that take from it. */
export class QueueKeys {
  constructor(
    /** The list the vote app pushes to. */
    readonly votes: string,
    /** Entries that are not votes, kept for inspection. */
    readonly invalid: string,
    readonly workerId: string,
  ) {}

  /** The worker set: every worker that may hold votes. */
  get workers(): string {
    return `${this.votes}:workers`;
  }

  /** The votes a worker has taken and not yet committed; each worker has its own. */
  processingOf(workerId: string): string {
    return `${this.votes}:processing:${workerId}`;
  }

  /** Exists (with a TTL) while the worker is alive. */
  heartbeatOf(workerId: string): string {
    return `${this.votes}:worker:${workerId}`;
  }

  get processing(): string {
    return this.processingOf(this.workerId);
  }

  get heartbeat(): string {
    return this.heartbeatOf(this.workerId);
  }

  /** The one processing list that all workers shared before each had its own. */
  get legacyProcessing(): string {
    return `${this.votes}:processing`;
  }
}

export interface Recovered {
  /** The dead worker's id, or "" for the shared list of earlier versions. */
  from: string;
  moved: number;
}

/**
 * The Redis side of the worker. A vote is never only in a worker's memory: it is moved atomically
 * from the votes list to this worker's own processing list, read from there, and removed from there
 * only after PostgreSQL has committed it. Whatever is in the worker's list (after a lost reply, or
 * taken over from a dead worker) is processed first and in order. A worker is alive while its
 * heartbeat key exists; the lists of workers whose heartbeat expired are taken over by the others.
 */
export class VoteQueue {
  private readonly client: RedisClientType;

  constructor(
    config: RedisConfig,
    readonly keys: QueueKeys,
    private readonly leaseMs: number,
  ) {
    this.client = createClient({
      socket: {
        host: config.host,
        port: config.port,
        connectTimeout: 3000,
        keepAlive: true,
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
      },
      // Fail commands at once while disconnected: the worker's loop retries with backoff and
      // keeps reporting its health instead of waiting on an offline queue.
      disableOfflineQueue: true,
      pingInterval: 5000,
    });
    let reported = false;
    this.client.on('error', (err: unknown) => {
      if (!reported) log.warn(`redis: ${describe(err)}`);
      reported = true;
    });
    this.client.on('ready', () => {
      reported = false;
      log.info(`redis: connected to ${config.host}:${config.port}`);
    });
  }

  /** Resolves once connected; keeps retrying in the background until then. */
  async connect(): Promise<void> {
    await this.client.connect();
  }

  get isReady(): boolean {
    return this.client.isReady;
  }

  /** Says this worker is alive for the next lease, and (again) a member of the worker set. */
  async heartbeat(): Promise<void> {
    await this.client.multi().sAdd(this.keys.workers, this.keys.workerId).set(this.keys.heartbeat, String(Date.now()), { PX: this.leaseMs }).exec();
  }

  /**
   * Takes over the votes of every worker whose heartbeat has expired, and of the shared list of
   * earlier versions, into this worker's list; returns what moved, per former owner.
   */
  async recover(): Promise<Recovered[]> {
    const owners = (await this.client.sMembers(this.keys.workers)).filter((id) => id !== this.keys.workerId).sort();
    const recovered: Recovered[] = [];
    for (const from of [...owners, '']) {
      const moved = Number(await this.client.eval(RECOVER, {
        keys: [
          from === '' ? this.keys.heartbeat : this.keys.heartbeatOf(from),
          from === '' ? this.keys.legacyProcessing : this.keys.processingOf(from),
          this.keys.processing,
          this.keys.workers,
        ],
        arguments: [from],
      }));
      if (moved > 0) recovered.push({ from, moved });
    }
    return recovered;
  }

  /** On a clean stop: hands this worker's unfinished votes back to the votes list and leaves. */
  async release(): Promise<number> {
    return Number(await this.client.eval(RELEASE, {
      keys: [this.keys.processing, this.keys.votes, this.keys.heartbeat, this.keys.workers],
      arguments: [this.keys.workerId],
    }));
  }

  /** The oldest entries of this worker's processing list, in order. */
  async pending(limit: number): Promise<string[]> {
    return this.client.lRange(this.keys.processing, 0, limit - 1);
  }

  /** Waits up to `timeoutSeconds` for a vote and moves it to this worker's processing list. */
  async waitForVote(timeoutSeconds: number): Promise<boolean> {
    const moved = await this.client.blMove(this.keys.votes, this.keys.processing, 'LEFT', 'RIGHT', timeoutSeconds);
    return moved !== null;
  }

  /** Moves up to `count` more votes, without waiting, to this worker's processing list. */
  async moveUpTo(count: number): Promise<number> {
    if (count <= 0) return 0;
    const moved = await this.client.eval(MOVE_UP_TO, {
      keys: [this.keys.votes, this.keys.processing],
      arguments: [String(count)],
    });
    return Number(moved);
  }

  /** Removes committed entries from the processing list (one occurrence per entry, from the head). */
  async ack(raws: readonly string[]): Promise<void> {
    if (raws.length === 0) return;
    const multi = this.client.multi();
    for (const raw of raws) multi.lRem(this.keys.processing, 1, raw);
    await multi.exec();
  }

  /** Moves an entry that is not a valid vote out of the way, keeping it for inspection. */
  async reject(raw: string): Promise<void> {
    await this.client.multi().rPush(this.keys.invalid, raw).lRem(this.keys.processing, 1, raw).exec();
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    if (!this.client.isOpen) return;
    if (!this.client.isReady) {
      this.client.destroy();
      return;
    }
    try {
      await this.client.close();
    } catch {
      this.client.destroy();
    }
  }
}
