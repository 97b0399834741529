#!/usr/bin/env node
/**
 * The images' `healthcheck` command: exits 0 when http://127.0.0.1:$PORT/healthz answers 200
 * within the timeout, 1 otherwise. PORT is the service's port (the image sets it from its build arg).
 */
import { get } from 'node:http';

const port = process.env['PORT'];
const timeoutMs = 3000;

if (!port) {
  process.stderr.write('healthz: PORT is not set\n');
  process.exitCode = 1;
} else {
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
}
