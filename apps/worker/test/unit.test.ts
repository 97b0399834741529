import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, dbPassword, workerConfig } from '../src/config.js';
import { MicrosecondClock, latestPerVoter, parseVote, stamp } from '../src/vote.js';

describe('configuration', () => {
  it('defaults to the classic host names and credentials', () => {
    assert.deepEqual(workerConfig({}), {
      redis: { host: 'redis', port: 6379 },
      db: { host: 'db', port: 5432, database: 'postgres', user: 'postgres', password: 'postgres' },
      votesList: 'votes',
      processingList: 'votes:processing',
      invalidList: 'votes:invalid',
      batchSize: 100,
      host: '0.0.0.0',
      port: 8082,
    });
  });

  it('reads every setting from the environment', () => {
    const config = workerConfig({
      REDIS_HOST: 'cache', REDIS_PORT: '6380', VOTES_LIST: 'v', DB_HOST: 'pg', DB_PORT: '5433',
      DB_NAME: 'app', DB_USER: 'u', DB_PASSWORD: 'p', BATCH_SIZE: '7', PORT: '9000',
    });
    assert.deepEqual(config.redis, { host: 'cache', port: 6380 });
    assert.deepEqual(config.db, { host: 'pg', port: 5433, database: 'app', user: 'u', password: 'p' });
    assert.equal(config.processingList, 'v:processing');
    assert.equal(config.batchSize, 7);
    assert.equal(config.port, 9000);
  });

  it('reads DB_PASSWORD_FILE, trimming one trailing newline and nothing else', () => {
    const files: Record<string, string> = {
      '/run/secrets/db': 's3cret \n',
      '/run/secrets/bare': 's3cret',
      '/run/secrets/crlf': 's3cret\r\n',
      '/run/secrets/two': 's3cret\n\n',
      '/run/secrets/empty': '\n',
    };
    const read = (path: string): string => {
      const content = files[path];
      if (content === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return content;
    };
    const file = (path: string): string => dbPassword({ DB_PASSWORD_FILE: path }, read);
    assert.equal(file('/run/secrets/db'), 's3cret ');
    assert.equal(file('/run/secrets/bare'), 's3cret');
    assert.equal(file('/run/secrets/crlf'), 's3cret');
    assert.equal(file('/run/secrets/two'), 's3cret\n');
    assert.equal(dbPassword({ DB_PASSWORD: '', DB_PASSWORD_FILE: '/run/secrets/db' }, read), 's3cret ');
  });

  it('reads the file from disk for the database settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'worker-config-'));
    writeFileSync(join(dir, 'db-password'), 'from-a-file\n', { mode: 0o444 });
    assert.equal(workerConfig({ DB_PASSWORD_FILE: join(dir, 'db-password') }).db.password, 'from-a-file');
    assert.throws(() => workerConfig({ DB_PASSWORD_FILE: join(dir, 'missing') }), /DB_PASSWORD_FILE: cannot read .*missing: ENOENT/);
  });

  it('still takes DB_PASSWORD, and defaults to postgres', () => {
    const read = (): string => assert.fail('no file may be read');
    assert.equal(dbPassword({ DB_PASSWORD: 'plain' }, read), 'plain');
    assert.equal(dbPassword({ DB_PASSWORD: 'plain', DB_PASSWORD_FILE: '' }, read), 'plain');
    assert.equal(dbPassword({}, read), 'postgres');
  });

  it('refuses both variables, an unreadable file and an empty one, naming the variable and the path', () => {
    const read = (path: string): string => {
      if (path === '/run/secrets/empty') return '\n';
      throw new Error(`EACCES: permission denied, open '${path}'`);
    };
    assert.throws(
      () => dbPassword({ DB_PASSWORD: 'plain', DB_PASSWORD_FILE: '/run/secrets/db' }, read),
      (err: Error) => err instanceof ConfigError && err.message === 'DB_PASSWORD and DB_PASSWORD_FILE (/run/secrets/db) are both set; set only one',
    );
    assert.throws(
      () => dbPassword({ DB_PASSWORD_FILE: '/run/secrets/db' }, read),
      (err: Error) => err instanceof ConfigError && err.message === "DB_PASSWORD_FILE: cannot read /run/secrets/db: EACCES: permission denied, open '/run/secrets/db'",
    );
    assert.throws(() => dbPassword({ DB_PASSWORD_FILE: '/run/secrets/empty' }, read), /^ConfigError: DB_PASSWORD_FILE: \/run\/secrets\/empty is empty$/);
  });

  it('refuses malformed numbers', () => {
    assert.throws(() => workerConfig({ DB_PORT: 'db:5432' }), ConfigError);
    assert.throws(() => workerConfig({ REDIS_PORT: '70000' }), /REDIS_PORT must be between 1 and 65535/);
    assert.throws(() => workerConfig({ BATCH_SIZE: '0' }), /BATCH_SIZE/);
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
