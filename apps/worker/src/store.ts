import pg from 'pg';
import type { DbConfig } from '@dockyard/node-common';
import { describe, log } from '@dockyard/node-common';
import type { StampedVote } from './vote.js';

/**
 * The classic table (one row per voter) plus a `ts` column with a default, so the original sample's
 * worker and result app keep working on the same table.
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS votes (
     id VARCHAR(255) NOT NULL UNIQUE,
     vote VARCHAR(255) NOT NULL,
     ts BIGINT NOT NULL DEFAULT 0
   )`,
  'ALTER TABLE votes ADD COLUMN IF NOT EXISTS ts BIGINT NOT NULL DEFAULT 0',
];

/**
 * One statement, so one transaction: all votes of the batch are committed or none is. A stored vote
 * is only replaced by one whose stamp is at least as new, so processing an old vote again (after a
 * crash) never undoes a newer one.
 */
const UPSERT = `
  INSERT INTO votes (id, vote, ts)
  SELECT * FROM UNNEST($1::varchar[], $2::varchar[], $3::bigint[])
  ON CONFLICT (id) DO UPDATE SET vote = EXCLUDED.vote, ts = EXCLUDED.ts
  WHERE votes.ts <= EXCLUDED.ts`;

export function poolConfig(config: DbConfig): pg.PoolConfig {
  return {
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    password: config.password,
    max: 2,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30000,
    query_timeout: 10000,
    keepAlive: true,
    application_name: 'dockyard-worker',
  };
}

export class VoteStore {
  private readonly pool: pg.Pool;
  private schemaReady = false;

  constructor(config: DbConfig) {
    this.pool = new pg.Pool(poolConfig(config));
    // An idle connection that breaks (database restart) is dropped by the pool; just say so.
    this.pool.on('error', (err: Error) => log.warn(`postgres: idle connection lost: ${describe(err)}`));
  }

  /** Writes the votes (at most one per voter) and resolves once PostgreSQL has committed them. */
  async save(votes: readonly StampedVote[]): Promise<number> {
    await this.ensureSchema();
    try {
      const result = await this.pool.query(UPSERT, [
        votes.map((v) => v.voterId),
        votes.map((v) => v.vote),
        votes.map((v) => String(v.ts)),
      ]);
      return result.rowCount ?? 0;
    } catch (err) {
      // The table may be gone (a new, empty database): create it again on the next try.
      this.schemaReady = false;
      throw err;
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async ensureSchema(): Promise<void> {
    if (this.schemaReady) return;
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      // Serialises concurrent workers creating the table (CREATE TABLE IF NOT EXISTS can race).
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(4242)');
      for (const statement of SCHEMA) await client.query(statement);
      await client.query('COMMIT');
      this.schemaReady = true;
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // A connection that failed is destroyed rather than returned to the pool.
      client.release(failure);
    }
  }
}
