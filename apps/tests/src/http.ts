import { Agent, request } from 'node:http';

/** Keep-alive connections, as a browser or a load balancer would hold them. */
export const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export interface VoteAnswer {
  status: number;
  voterId: string | null;
  body: string;
}

/** POSTs `vote=<choice>` to the vote app, as the given voter (cookie) or as a new one. */
export function postVote(baseUrl: string, choice: string, voterId?: string): Promise<VoteAnswer> {
  const body = `vote=${encodeURIComponent(choice)}`;
  const headers: Record<string, string | number> = {
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': Buffer.byteLength(body),
  };
  if (voterId !== undefined) headers['cookie'] = `voter_id=${voterId}`;
  return new Promise((done, fail) => {
    const req = request(`${baseUrl}/`, { method: 'POST', agent, headers, timeout: 10000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const cookies = res.headers['set-cookie'] ?? [];
        const match = cookies.map((c) => /^voter_id=([0-9a-f]+)/.exec(c)).find((m) => m !== null);
        done({ status: res.statusCode ?? 0, voterId: match?.[1] ?? null, body: text });
      });
    });
    req.on('timeout', () => req.destroy(new Error('vote request timed out')));
    req.on('error', fail);
    req.end(body);
  });
}

/** Runs `task` for 0..count-1 with at most `concurrency` at a time. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  });
  await Promise.all(lanes);
}

export interface ResultsJson {
  options: { a: { label: string; votes: number; percent: number }; b: { label: string; votes: number; percent: number } };
  total: number;
  stale: boolean;
  updatedAt: string | null;
}

export async function results(baseUrl: string): Promise<ResultsJson> {
  const response = await fetch(`${baseUrl}/api/results`, { signal: AbortSignal.timeout(5000) });
  return (await response.json()) as ResultsJson;
}
