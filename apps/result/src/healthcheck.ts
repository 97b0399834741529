#!/usr/bin/env node
/**
 * The image's `healthcheck` command: exits 0 when http://127.0.0.1:$PORT/healthz answers 200
 * within the timeout, 1 otherwise.
 */
import { get } from 'node:http';

const port = process.env['PORT'] || '8081';
const timeoutMs = 3000;

const request = get({ host: '127.0.0.1', port, path: '/healthz', timeout: timeoutMs }, (res) => {
  res.resume();
  process.exitCode = res.statusCode === 200 ? 0 : 1;
  if (res.statusCode !== 200) process.stderr.write(`healthz answered ${res.statusCode}\n`);
});
request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
request.on('error', (err) => {
  process.stderr.write(`healthz: ${err.message}\n`);
  process.exitCode = 1;
});
