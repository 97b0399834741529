import { createServer, type Server } from 'node:http';

/** Serves only `GET /healthz`: 200 with the report as JSON when it is ok, 503 otherwise. */
export function healthServer(report: () => { ok: boolean }): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const body = report();
    res
      .writeHead(body.ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(req.method === 'HEAD' ? undefined : `${JSON.stringify(body)}\n`);
  });
}

/** Starts listening; resolves with the port actually bound (the one asked for, or the free one for 0). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}
