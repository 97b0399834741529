/**
 * A vote as the vote app pushes it: `{"voter_id": "...", "vote": "a", "ts": 1718000000000000}`.
 *
 * `ts` is the ordering key that makes "latest vote wins" hold even when a vote is processed twice
 * (after a crash between the PostgreSQL commit and the removal from the processing list) or out of
 * order (several workers): the vote app stamps each vote inside Redis, in the same atomic script
 * that appends it, with max(Redis TIME in microseconds, previous stamp + 1). Stamps therefore
 * strictly increase in list order, and the worker only lets a vote replace a stored one whose stamp
 * is not newer. Votes in the classic format (no `ts`, as the original sample's vote app sends them)
 * are stamped by the worker when it takes them, which keeps the classic last-processed-wins order.
 */
export interface Vote {
  voterId: string;
  vote: string;
  /** Microseconds since the epoch, or null when the producer did not stamp the vote. */
  ts: number | null;
  /** The list entry exactly as read from Redis, needed to remove it from the processing list. */
  raw: string;
}

export interface StampedVote extends Vote {
  ts: number;
}

/** Longest value the classic table accepts (VARCHAR(255)). */
export const MAX_FIELD_LENGTH = 255;

function isField(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD_LENGTH;
}

/** Returns the vote held in a list entry, or null when the entry is not a valid vote. */
export function parseVote(raw: string): Vote | null {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const record = data as Record<string, unknown>;
  const voterId = record['voter_id'];
  const vote = record['vote'];
  const ts = record['ts'];
  if (!isField(voterId) || !isField(vote)) return null;
  if (ts !== undefined && !(typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0)) return null;
  return { voterId, vote, ts: ts ?? null, raw };
}

/** Strictly increasing microsecond clock for votes that arrive without a stamp. */
export class MicrosecondClock {
  private last = 0;

  constructor(private readonly now: () => number = Date.now) {}

  next(): number {
    this.last = Math.max(this.now() * 1000, this.last + 1);
    return this.last;
  }
}

export function stamp(votes: readonly Vote[], clock: MicrosecondClock): StampedVote[] {
  return votes.map((v) => ({ ...v, ts: v.ts ?? clock.next() }));
}

/**
 * Keeps one vote per voter: the one with the highest stamp, and on equal stamps the later one in
 * the batch. PostgreSQL refuses to update the same row twice in one INSERT ... ON CONFLICT.
 */
export function latestPerVoter(votes: readonly StampedVote[]): StampedVote[] {
  const latest = new Map<string, StampedVote>();
  for (const v of votes) {
    const current = latest.get(v.voterId);
    if (current === undefined || v.ts >= current.ts) latest.set(v.voterId, v);
  }
  return [...latest.values()];
}
