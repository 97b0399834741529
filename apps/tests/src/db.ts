import pg from 'pg';
import type { Servers } from './env.js';
import { uniqueName } from './util.js';

export interface Database {
  name: string;
  count(where?: string): Promise<number>;
  drop(): Promise<void>;
}

async function withClient<T>(servers: Servers, database: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const { host, port, user, password } = servers.pg;
  const client = new pg.Client({ host, port, user, password, database });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the shared server. */
export async function freshDatabase(servers: Servers): Promise<Database> {
  const name = uniqueName('apps');
  await withClient(servers, 'postgres', (c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    count: (where = 'TRUE') =>
      withClient(servers, name, async (c) => {
        try {
          const { rows } = await c.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM votes WHERE ${where}`);
          return rows[0]?.n ?? 0;
        } catch (err) {
          if (err instanceof Error && 'code' in err && err.code === '42P01') return 0;
          throw err;
        }
      }),
    drop: () => withClient(servers, 'postgres', async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}
