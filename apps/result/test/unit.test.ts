import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resultConfig } from '../src/config.js';
import { resultsPage, statusText, votesText } from '../src/page.js';
import { sameResults, tally } from '../src/tally.js';

const labels = { a: 'Cats', b: 'Dogs' };
const at = new Date('2026-01-02T03:04:05.000Z');

describe('tally', () => {
  it('counts votes and percentages per option', () => {
    assert.deepEqual(tally([{ vote: 'a', count: 3 }, { vote: 'b', count: 2 }], labels, at), {
      options: { a: { label: 'Cats', votes: 3, percent: 60 }, b: { label: 'Dogs', votes: 2, percent: 40 } },
      total: 5,
      stale: false,
      updatedAt: '2026-01-02T03:04:05.000Z',
    });
  });

  it('rounds to one decimal, the two shares adding up to 100', () => {
    const { options } = tally([{ vote: 'a', count: 1 }, { vote: 'b', count: 2 }], labels, at);
    assert.deepEqual([options.a.percent, options.b.percent], [33.3, 66.7]);
    const seven = tally([{ vote: 'a', count: 1 }, { vote: 'b', count: 6 }], labels, at).options;
    assert.deepEqual([seven.a.percent, seven.b.percent], [14.3, 85.7]);
  });

  it('gives zeros without votes and ignores other options', () => {
    const results = tally([{ vote: 'c', count: 9 }], labels, null, true);
    assert.deepEqual([results.total, results.options.a.votes, results.options.a.percent, results.options.b.percent], [0, 0, 0, 0]);
    assert.equal(results.updatedAt, null);
  });

  it('tells changes apart from mere re-reads', () => {
    const one = tally([{ vote: 'a', count: 1 }], labels, at);
    assert.ok(sameResults(one, tally([{ vote: 'a', count: 1 }], labels, new Date())));
    assert.ok(!sameResults(one, tally([{ vote: 'a', count: 2 }], labels, at)));
    assert.ok(!sameResults(one, { ...one, stale: true }));
  });
});

describe('page', () => {
  it('shows counts, escapes labels and follows /events', () => {
    const page = resultsPage(tally([{ vote: 'a', count: 1 }], { a: '<Tea>', b: 'Coffee & co' }, at));
    assert.match(page, /<h1>&#60;Tea&#62; vs Coffee &#38; co<\/h1>/);
    assert.match(page, /<p class="count" id="count-a">1 vote<\/p>/);
    assert.match(page, /<p class="count" id="count-b">0 votes<\/p>/);
    assert.match(page, /new EventSource\('\/events'\)/);
    assert.equal(votesText(2), '2 votes');
  });

  it('says when the counts are not live', () => {
    assert.equal(statusText(tally([], labels, null, true)), 'Waiting for the database…');
    assert.equal(statusText(tally([], labels, at, true)), 'Database unavailable: showing the counts of 2026-01-02T03:04:05.000Z');
    assert.equal(statusText(tally([], labels, at)), 'Live');
  });
});

describe('configuration', () => {
  it('defaults to the classic settings and reads the environment', () => {
    assert.deepEqual(resultConfig({}), {
      db: { host: 'db', port: 5432, database: 'postgres', user: 'postgres', password: 'postgres' },
      labels: { a: 'Cats', b: 'Dogs' },
      pollIntervalMs: 1000,
      host: '0.0.0.0',
      port: 8081,
    });
    const config = resultConfig({ OPTION_A: 'Tea', OPTION_B: 'Coffee', DB_PASSWORD: 'p', PORT: '9000' });
    assert.deepEqual([config.labels, config.db.password, config.port], [{ a: 'Tea', b: 'Coffee' }, 'p', 9000]);
    assert.throws(() => resultConfig({ POLL_INTERVAL_MS: 'fast' }), /POLL_INTERVAL_MS must be an integer/);
  });
});

describe('the database password', () => {
  it('is read from DB_PASSWORD_FILE for the settings (the rules are tested in node-common)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'result-config-'));
    writeFileSync(join(dir, 'db-password'), 'from-a-file\n', { mode: 0o444 });
    assert.equal(resultConfig({ DB_PASSWORD_FILE: join(dir, 'db-password') }).db.password, 'from-a-file');
  });
});
