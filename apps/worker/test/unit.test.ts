import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '@dockyard/node-common';
import { workerConfig } from '../src/config.js';
import { MicrosecondClock, latestPerVoter, parseVote, stamp } from '../src/vote.js';

describe('configuration', () => {
  it('defaults to the classic host names and credentials, and to a unique worker id', () => {
    assert.deepEqual(workerConfig({}, () => 'host-1'), {
      redis: { host: 'redis', port: 6379 },
      db: { host: 'db', port: 5432, database: 'postgres', user: 'postgres', password: 'postgres' },
      votesList: 'votes',
      invalidList: 'votes:invalid',
      workerId: 'host-1',
      leaseMs: 10000,
      batchSize: 100,
      host: '0.0.0.0',
      port: 8082,
    });
    assert.match(workerConfig({}).workerId, /^[A-Za-z0-9._-]+-[0-9a-f]{8}$/);
    assert.notEqual(workerConfig({}).workerId, workerConfig({}).workerId);
  });

  it('reads every setting from the environment', () => {
    const config = workerConfig({
      REDIS_HOST: 'cache', REDIS_PORT: '6380', VOTES_LIST: 'v', DB_HOST: 'pg', DB_PORT: '5433',
      DB_NAME: 'app', DB_USER: 'u', DB_PASSWORD: 'p', BATCH_SIZE: '7', PORT: '9000', WORKER_ID: 'worker-0', LEASE_MS: '2000',
    });
    assert.deepEqual(config.redis, { host: 'cache', port: 6380 });
    assert.deepEqual(config.db, { host: 'pg', port: 5433, database: 'app', user: 'u', password: 'p' });
    assert.deepEqual([config.invalidList, config.workerId, config.leaseMs, config.batchSize, config.port], ['v:invalid', 'worker-0', 2000, 7, 9000]);
  });

  it('reads the database password file (the rules are tested in node-common)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'worker-config-'));
    writeFileSync(join(dir, 'db-password'), 'from-a-file\n', { mode: 0o444 });
    assert.equal(workerConfig({ DB_PASSWORD_FILE: join(dir, 'db-password') }).db.password, 'from-a-file');
    assert.throws(() => workerConfig({ DB_PASSWORD_FILE: join(dir, 'missing') }), /DB_PASSWORD_FILE: cannot read .*missing: ENOENT/);
  });

  it('refuses malformed numbers and worker ids', () => {
    assert.throws(() => workerConfig({ DB_PORT: 'db:5432' }), ConfigError);
    assert.throws(() => workerConfig({ REDIS_PORT: '70000' }), /REDIS_PORT must be between 1 and 65535/);
    assert.throws(() => workerConfig({ BATCH_SIZE: '0' }), /BATCH_SIZE/);
    assert.throws(() => workerConfig({ LEASE_MS: '100' }), /^ConfigError: LEASE_MS must be between 500 and 600000, got 100$/);
    assert.throws(() => workerConfig({ WORKER_ID: 'a b' }),
      /^ConfigError: WORKER_ID must be 1 to 100 letters, digits, '\.', '_' or '-' \(starting with a letter or digit\), got "a b"$/);
  });
});

describe('votes', () => {
  it('parses the stamped and the classic format', () => {
    assert.deepEqual(parseVote('{"voter_id":"v1","vote":"a","ts":42}'), { voterId: 'v1', vote: 'a', ts: 42, raw: '{"voter_id":"v1","vote":"a","ts":42}' });
    assert.deepEqual(parseVote('{"voter_id": "v2", "vote": "b"}'), { voterId: 'v2', vote: 'b', ts: null, raw: '{"voter_id": "v2", "vote": "b"}' });
  });

  it('rejects entries that are not votes', () => {
    for (const raw of ['', 'a', 'null', '[]', '{"vote":"a"}', '{"voter_id":"v","vote":1}', '{"voter_id":"","vote":"a"}',
      `{"voter_id":"${'x'.repeat(256)}","vote":"a"}`, '{"voter_id":"v","vote":"a","ts":-1}', '{"voter_id":"v","vote":"a","ts":"1"}']) {
      assert.equal(parseVote(raw), null, raw);
    }
  });

  it('keeps the latest vote of each voter', () => {
    const clock = new MicrosecondClock(() => 1000);
    const votes = ['{"voter_id":"x","vote":"a","ts":5}', '{"voter_id":"y","vote":"a"}', '{"voter_id":"x","vote":"b","ts":3}',
      '{"voter_id":"y","vote":"b"}', '{"voter_id":"z","vote":"a","ts":9}', '{"voter_id":"z","vote":"b","ts":9}']
      .map((raw) => parseVote(raw))
      .filter((v) => v !== null);
    const latest = latestPerVoter(stamp(votes, clock)).map((v) => [v.voterId, v.vote, v.ts]);
    assert.deepEqual(latest, [['x', 'a', 5], ['y', 'b', 1_000_001], ['z', 'b', 9]]);
  });

  it('stamps unstamped votes with a strictly increasing clock', () => {
    let now = 2000;
    const clock = new MicrosecondClock(() => now);
    assert.equal(clock.next(), 2_000_000);
    assert.equal(clock.next(), 2_000_001);
    now = 1000; // the wall clock stepped back
    assert.equal(clock.next(), 2_000_002);
  });
});
