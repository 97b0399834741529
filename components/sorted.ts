/**
 * Maps iterated in sorted key order, so manifests, previews and outputs are stable whatever order
 * the keys were written in. The one copy of that rule, for the components and the stacks.
 */

/** The keys of a record in sorted order; none for undefined. */
export function sortedKeys<T>(record: Record<string, T> | undefined): string[] {
  return Object.keys(record ?? {}).sort();
}

/** The entries of a record in sorted key order; none for undefined. */
export function sortedEntries<T>(record: Record<string, T> | undefined): Array<[string, T]> {
  return sortedKeys(record).map((key) => [key, (record as Record<string, T>)[key]]);
}
