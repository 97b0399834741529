import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { DbConfig } from '@dockyard/node-common';
import { describe, log } from '@dockyard/node-common';
import { sameResults, tally, type Count, type Results } from './tally.js';

const COUNTS = 'SELECT vote, COUNT(id)::int AS count FROM votes GROUP BY vote';
const UNDEFINED_TABLE = '42P01';

function isUndefinedTable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === UNDEFINED_TABLE;
}

/**
 * Reads the counts from PostgreSQL every interval and emits 'change' when they change. A missing
 * table (no vote processed yet) counts as zero votes; an unreachable database keeps the last counts,
 * marked stale, until it answers again.
 */
export class Poller extends EventEmitter<{ change: [Results] }> {
  private readonly pool: pg.Pool;
  private current: Results;
  private lastSuccess = 0;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private failing = false;

  constructor(
    db: DbConfig,
    private readonly labels: { a: string; b: string },
    private readonly intervalMs: number,
  ) {
    super();
    this.pool = new pg.Pool({
      host: db.host,
      port: db.port,
      database: db.database,
      user: db.user,
      password: db.password,
      max: 1,
      connectionTimeoutMillis: 3000,
      query_timeout: 5000,
      keepAlive: true,
      application_name: 'dockyard-result',
    });
    this.pool.on('error', (err: Error) => log.warn(`postgres: idle connection lost: ${describe(err)}`));
    this.current = tally([], labels, null, true);
  }

  get results(): Results {
    return this.current;
  }

  /** Healthy while the latest read succeeded recently. */
  get healthy(): boolean {
    return !this.current.stale && Date.now() - this.lastSuccess < Math.max(3 * this.intervalMs, 5000);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.pool.end();
  }

  /** Reads the counts once; exposed for tests. */
  async poll(): Promise<void> {
    let next: Results;
    try {
      const rows = await this.readCounts();
      next = tally(rows, this.labels, new Date());
      this.lastSuccess = Date.now();
      if (this.failing) log.info('postgres: reading counts again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) log.warn(`postgres: cannot read counts (${describe(err)}), showing the last ones`);
      this.failing = true;
      next = { ...this.current, stale: true };
    }
    const changed = !sameResults(next, this.current);
    this.current = next;
    if (changed) this.emit('change', next);
  }

  private async readCounts(): Promise<Count[]> {
    try {
      return (await this.pool.query<Count>(COUNTS)).rows;
    } catch (err) {
      if (isUndefinedTable(err)) return [];
      throw err;
    }
  }

  private async tick(): Promise<void> {
    await this.poll();
    if (this.running) this.timer = setTimeout(() => void this.tick(), this.intervalMs);
  }
}
