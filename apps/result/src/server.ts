import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { EventHub } from './events.js';
import { resultsPage } from './page.js';
import type { Results } from './tally.js';

export interface Source {
  readonly results: Results;
  readonly healthy: boolean;
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Routes: `/` (page), `/events` (SSE), `/api/results` (JSON), `/healthz` (200 or 503). */
export function resultServer(source: Source, hub: EventHub): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(req, res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/':
        send(req, res, 200, 'text/html; charset=utf-8', resultsPage(source.results));
        return;
      case '/api/results':
        send(req, res, 200, 'application/json', `${JSON.stringify(source.results)}\n`);
        return;
      case '/events':
        hub.add(res, source.results);
        return;
      case '/healthz': {
        const ok = source.healthy;
        send(req, res, ok ? 200 : 503, 'application/json', `${JSON.stringify({ ok, db: ok })}\n`);
        return;
      }
      default:
        send(req, res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  });
}
