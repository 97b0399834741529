import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Results } from '../src/tally.js';
import {
  APP_DIR, EventReader, freePort, freshDatabase, getJson, kill, postgres, query, resultEnv, startResult, waitFor, type Running,
} from './support.js';

const CLASSIC_TABLE = 'CREATE TABLE votes (id VARCHAR(255) NOT NULL UNIQUE, vote VARCHAR(255) NOT NULL)';

function healthcheck(port: number): number | null {
  const command = join(APP_DIR, 'node_modules', '@dockyard', 'node-common', 'dist', 'healthcheck.js');
  return spawnSync(process.execPath, [command], { env: { PORT: String(port) } }).status;
}

async function ready(app: Running): Promise<void> {
  await waitFor('healthz 200', async () => (await app.health()) === 200);
}

describe('result app against real PostgreSQL', () => {
  let db: { name: string; drop: () => Promise<void> };
  let app: Running;

  before(async () => {
    db = await freshDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'result-secret-'));
    // The password as Docker gives it: a read-only file named by DB_PASSWORD_FILE, no DB_PASSWORD.
    writeFileSync(join(dir, 'password'), `${process.env['TEST_PG_PASSWORD']}\n`, { mode: 0o444 });
    const env = resultEnv(db.name, { OPTION_A: 'Tea', OPTION_B: 'Coffee', DB_PASSWORD_FILE: join(dir, 'password') });
    delete env['DB_PASSWORD'];
    app = await startResult(env);
    await ready(app);
  });
  after(async () => {
    await kill(app);
    await db.drop();
  });

  it('counts zero votes while the votes table does not exist', async () => {
    const results = await getJson<Results>(app.port, '/api/results');
    assert.deepEqual({ ...results, updatedAt: null }, {
      options: { a: { label: 'Tea', votes: 0, percent: 0 }, b: { label: 'Coffee', votes: 0, percent: 0 } },
      total: 0,
      stale: false,
      updatedAt: null,
    });
    assert.equal(healthcheck(app.port), 0);
  });

  it('serves the counts per option as JSON', async () => {
    await query(db.name, CLASSIC_TABLE);
    await query(db.name, "INSERT INTO votes (id, vote) VALUES ('v1', 'a'), ('v2', 'a'), ('v3', 'b'), ('v4', 'a'), ('v5', 'b')");
    await waitFor('the new counts', async () => (await getJson<Results>(app.port, '/api/results')).total === 5);
    const results = await getJson<Results>(app.port, '/api/results');
    assert.deepEqual(results.options, { a: { label: 'Tea', votes: 3, percent: 60 }, b: { label: 'Coffee', votes: 2, percent: 40 } });
    const page = await (await fetch(`http://127.0.0.1:${app.port}/`)).text();
    assert.match(page, /<p class="count" id="count-a">3 votes<\/p>/);
  });

  it('pushes an update over Server-Sent Events when a vote is counted', async () => {
    const events = await EventReader.open(app.port);
    try {
      const first = await events.next<Results>();
      assert.equal(first.total, 5);
      await query(db.name, "INSERT INTO votes (id, vote) VALUES ('v6', 'b')");
      const update = await events.next<Results>();
      assert.deepEqual([update.total, update.options.a.votes, update.options.b.votes, update.options.b.percent], [6, 3, 3, 50]);
    } finally {
      events.close();
    }
  });

  it('reports a database outage, keeps the last counts, and recovers', async () => {
    const events = await EventReader.open(app.port);
    try {
      assert.equal((await events.next<Results>()).stale, false);
      postgres.stop();
      try {
        await waitFor('healthz 503', async () => (await app.health()) === 503);
        const stale = await getJson<Results>(app.port, '/api/results');
        assert.deepEqual([stale.stale, stale.total], [true, 6]);
        assert.equal((await events.next<Results>()).stale, true);
        const page = await (await fetch(`http://127.0.0.1:${app.port}/`)).text();
        assert.match(page, /Database unavailable: showing the counts of/);
        assert.equal(healthcheck(app.port), 1);
      } finally {
        postgres.start();
      }
      await ready(app);
      const live = await events.next<Results>();
      assert.deepEqual([live.stale, live.total], [false, 6]);
    } finally {
      events.close();
    }
  });

  it('answers 404 and 405 where it should', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${app.port}/nope`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${app.port}/`, { method: 'POST' })).status, 405);
  });
});

describe('result app without a database', () => {
  it('waits for the database, unhealthy, then stops promptly on SIGTERM', async () => {
    const app = await startResult(resultEnv('postgres', { DB_PORT: String(await freePort()) }));
    try {
      await waitFor('the server', async () => (await app.health()) !== 0);
      assert.equal(await app.health(), 503);
      const results = await getJson<Results>(app.port, '/api/results');
      assert.deepEqual([results.stale, results.updatedAt, results.total], [true, null, 0]);
      const page = await (await fetch(`http://127.0.0.1:${app.port}/`)).text();
      assert.match(page, /Waiting for the database…/);
      const events = await EventReader.open(app.port);
      await events.next<Results>();
      const started = Date.now();
      app.child.kill('SIGTERM');
      const { code } = await app.exited;
      events.close();
      assert.equal(code, 0, app.output());
      assert.ok(Date.now() - started < 5000, `stopped in ${Date.now() - started} ms`);
    } finally {
      await kill(app);
    }
  });

  it('exits at once, saying why, when DB_PASSWORD_FILE cannot be read or DB_PASSWORD is set too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'result-secret-'));
    writeFileSync(join(dir, 'password'), 'whatever\n');
    const missingEnv = resultEnv('postgres', { DB_PASSWORD_FILE: join(dir, 'missing') });
    delete missingEnv['DB_PASSWORD'];
    const missing = await startResult(missingEnv);
    const both = await startResult(resultEnv('postgres', { DB_PASSWORD_FILE: join(dir, 'password') }));
    try {
      assert.equal((await missing.exited).code, 1);
      assert.match(missing.output(), new RegExp(`configuration: DB_PASSWORD_FILE: cannot read ${join(dir, 'missing')}: ENOENT`));
      assert.equal((await both.exited).code, 1);
      assert.match(both.output(), /configuration: DB_PASSWORD and DB_PASSWORD_FILE \(.*password\) are both set; set only one/);
    } finally {
      await kill(missing);
      await kill(both);
    }
  });
});
