import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, dbConfig, dbPassword, healthServer, integer, listen, listenConfig, text } from '../src/index.js';

const healthcheckJs = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'healthcheck.js');

describe('settings from the environment', () => {
  it('falls back on unset and empty variables', () => {
    assert.equal(text({}, 'X', 'd'), 'd');
    assert.equal(text({ X: '' }, 'X', 'd'), 'd');
    assert.equal(text({ X: 'v' }, 'X', 'd'), 'v');
    assert.equal(integer({ N: '' }, 'N', 7, 1, 9), 7);
    assert.equal(integer({ N: '9' }, 'N', 7, 1, 9), 9);
  });

  it('refuses malformed and out-of-range numbers, naming the variable and the value', () => {
    assert.throws(() => integer({ N: 'db:5432' }, 'N', 1, 1, 9), (err: Error) => err instanceof ConfigError && err.message === 'N must be an integer, got "db:5432"');
    assert.throws(() => integer({ N: '-1' }, 'N', 1, 1, 9), /^ConfigError: N must be an integer, got "-1"$/);
    assert.throws(() => integer({ N: '10' }, 'N', 1, 1, 9), /^ConfigError: N must be between 1 and 9, got 10$/);
  });

  it('defaults the database and the listen address to the classic settings', () => {
    assert.deepEqual(dbConfig({}), { host: 'db', port: 5432, database: 'postgres', user: 'postgres', password: 'postgres' });
    assert.deepEqual(dbConfig({ DB_HOST: 'pg', DB_PORT: '5433', DB_NAME: 'app', DB_USER: 'u', DB_PASSWORD: 'p' }),
      { host: 'pg', port: 5433, database: 'app', user: 'u', password: 'p' });
    assert.deepEqual(listenConfig({}, 8081), { host: '0.0.0.0', port: 8081 });
    assert.deepEqual(listenConfig({ HOST: '127.0.0.1', PORT: '0' }, 8081), { host: '127.0.0.1', port: 0 });
    assert.throws(() => dbConfig({ DB_PORT: '70000' }), /DB_PORT must be between 1 and 65535/);
  });
});

describe('the database password', () => {
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

  it('comes from DB_PASSWORD_FILE without one trailing newline, or from DB_PASSWORD, else postgres', () => {
    const file = (path: string): string => dbPassword({ DB_PASSWORD_FILE: path }, read);
    assert.equal(file('/run/secrets/db'), 's3cret ');
    assert.equal(file('/run/secrets/bare'), 's3cret');
    assert.equal(file('/run/secrets/crlf'), 's3cret');
    assert.equal(file('/run/secrets/two'), 's3cret\n');
    assert.equal(dbPassword({ DB_PASSWORD: '', DB_PASSWORD_FILE: '/run/secrets/db' }, read), 's3cret ');
    const none = (): string => assert.fail('no file may be read');
    assert.equal(dbPassword({ DB_PASSWORD: 'plain' }, none), 'plain');
    assert.equal(dbPassword({ DB_PASSWORD: 'plain', DB_PASSWORD_FILE: '' }, none), 'plain');
    assert.equal(dbPassword({}, none), 'postgres');
  });

  it('refuses both variables, an unreadable file and an empty one, naming the variable and the path', () => {
    assert.throws(
      () => dbPassword({ DB_PASSWORD: 'plain', DB_PASSWORD_FILE: '/run/secrets/db' }, read),
      (err: Error) => err instanceof ConfigError && err.message === 'DB_PASSWORD and DB_PASSWORD_FILE (/run/secrets/db) are both set; set only one',
    );
    assert.throws(
      () => dbPassword({ DB_PASSWORD_FILE: '/run/secrets/nope' }, read),
      (err: Error) => err instanceof ConfigError && err.message === "DB_PASSWORD_FILE: cannot read /run/secrets/nope: ENOENT: no such file or directory, open '/run/secrets/nope'",
    );
    assert.throws(() => dbPassword({ DB_PASSWORD_FILE: '/run/secrets/empty' }, read), /^ConfigError: DB_PASSWORD_FILE: \/run\/secrets\/empty is empty$/);
  });

  it('is read from disk by dbConfig', () => {
    const dir = mkdtempSync(join(tmpdir(), 'node-common-'));
    writeFileSync(join(dir, 'db-password'), 'from-a-file\n', { mode: 0o444 });
    assert.equal(dbConfig({ DB_PASSWORD_FILE: join(dir, 'db-password') }).password, 'from-a-file');
    assert.throws(() => dbConfig({ DB_PASSWORD_FILE: join(dir, 'missing') }), /DB_PASSWORD_FILE: cannot read .*missing: ENOENT/);
  });
});

describe('health endpoint and healthcheck command', () => {
  // Run asynchronously: the server under test answers from this process's event loop.
  const healthcheck = (port: number | undefined): Promise<{ status: number | null; stderr: string }> =>
    new Promise((done) => {
      const child = execFile(process.execPath, [healthcheckJs], { env: port === undefined ? {} : { PORT: String(port) } }, (_err, _out, stderr) =>
        done({ status: child.exitCode, stderr }));
    });

  it('answers 200 or 503 on /healthz with the report, 404 elsewhere; healthcheck exits 0 only on 200', async () => {
    let ok = true;
    const server = healthServer(() => ({ ok, detail: 'x' }));
    const port = await listen(server, 0, '127.0.0.1');
    try {
      const healthz = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.deepEqual([healthz.status, await healthz.json()], [200, { ok: true, detail: 'x' }]);
      assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
      assert.equal((await healthcheck(port)).status, 0);
      ok = false;
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 503);
      assert.deepEqual(await healthcheck(port), { status: 1, stderr: 'healthz answered 503\n' });
    } finally {
      server.close();
    }
    assert.equal((await healthcheck(port)).status, 1);
    assert.deepEqual(await healthcheck(undefined), { status: 1, stderr: 'healthz: PORT is not set\n' });
  });

  it('listen rejects a port in use', async () => {
    const first = healthServer(() => ({ ok: true }));
    const port = await listen(first, 0, '127.0.0.1');
    try {
      await assert.rejects(listen(healthServer(() => ({ ok: true })), port, '127.0.0.1'), /EADDRINUSE/);
    } finally {
      first.close();
    }
  });
});
