import { createClient, type RedisClientType } from '@redis/client';
import type { RedisConfig } from './config.js';
import { describe, log } from './log.js';

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

export interface QueueLists {
  votes: string;
  processing: string;
  invalid: string;
}

/**
 * The Redis side of the worker. A vote is never only in the worker's memory: it is moved atomically
 * from the votes list to the processing list, read from there, and removed from there only after
 * PostgreSQL has committed it. Whatever is in the processing list when the worker starts (or after
 * a lost reply) is therefore processed again, first and in order.
 */
export class VoteQueue {
  private readonly client: RedisClientType;

  constructor(
    config: RedisConfig,
    private readonly lists: QueueLists,
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

  /** The oldest entries of the processing list, in order. */
  async pending(limit: number): Promise<string[]> {
    return this.client.lRange(this.lists.processing, 0, limit - 1);
  }

  /** Waits up to `timeoutSeconds` for a vote and moves it to the processing list. */
  async waitForVote(timeoutSeconds: number): Promise<boolean> {
    const moved = await this.client.blMove(this.lists.votes, this.lists.processing, 'LEFT', 'RIGHT', timeoutSeconds);
    return moved !== null;
  }

  /** Moves up to `count` more votes, without waiting, to the processing list. */
  async moveUpTo(count: number): Promise<number> {
    if (count <= 0) return 0;
    const moved = await this.client.eval(MOVE_UP_TO, {
      keys: [this.lists.votes, this.lists.processing],
      arguments: [String(count)],
    });
    return Number(moved);
  }

  /** Removes committed entries from the processing list (one occurrence per entry, from the head). */
  async ack(raws: readonly string[]): Promise<void> {
    if (raws.length === 0) return;
    const multi = this.client.multi();
    for (const raw of raws) multi.lRem(this.lists.processing, 1, raw);
    await multi.exec();
  }

  /** Moves an entry that is not a valid vote out of the way, keeping it for inspection. */
  async reject(raw: string): Promise<void> {
    await this.client.multi().rPush(this.lists.invalid, raw).lRem(this.lists.processing, 1, raw).exec();
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
