import type { ServerResponse } from 'node:http';
import type { Results } from './tally.js';

/**
 * The Server-Sent Events stream of `GET /events`: each client gets the current results at once and
 * again whenever they change; a comment every 15 s keeps idle connections (and proxies) open.
 */
export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(heartbeatMs = 15000) {
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  add(res: ServerResponse, current: Results): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    res.write(message(current));
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  publish(results: Results): void {
    this.write(message(results));
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private write(chunk: string): void {
    for (const res of this.clients) res.write(chunk);
  }
}

function message(results: Results): string {
  return `event: results\ndata: ${JSON.stringify(results)}\n\n`;
}
