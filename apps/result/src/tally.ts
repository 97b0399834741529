/** The results as `GET /api/results` and the `/events` stream carry them. */
export interface OptionResult {
  label: string;
  votes: number;
  /** Share of the votes for a and b, in percent with one decimal; a's and b's add up to 100. */
  percent: number;
}

export interface Results {
  options: { a: OptionResult; b: OptionResult };
  total: number;
  /** True while the latest counts could not be read: the numbers are the last ones known. */
  stale: boolean;
  /** When the counts were last read successfully (ISO 8601), or null if never. */
  updatedAt: string | null;
}

export interface Count {
  vote: string;
  count: number;
}

/** Counts per option from the `GROUP BY vote` rows; rows for other options are ignored. */
export function tally(rows: readonly Count[], labels: { a: string; b: string }, updatedAt: Date | null, stale = false): Results {
  const votesFor = (option: string): number => rows.filter((r) => r.vote === option).reduce((sum, r) => sum + r.count, 0);
  const a = votesFor('a');
  const b = votesFor('b');
  const total = a + b;
  const percentA = total === 0 ? 0 : Math.round((1000 * a) / total) / 10;
  const percentB = total === 0 ? 0 : Math.round(1000 - percentA * 10) / 10;
  return {
    options: { a: { label: labels.a, votes: a, percent: percentA }, b: { label: labels.b, votes: b, percent: percentB } },
    total,
    stale,
    updatedAt: updatedAt === null ? null : updatedAt.toISOString(),
  };
}

/** Whether two results differ in what a reader sees (the time of the last read aside). */
export function sameResults(x: Results, y: Results): boolean {
  return JSON.stringify({ ...x, updatedAt: null }) === JSON.stringify({ ...y, updatedAt: null });
}
