import { sortedEntries } from "../sorted";

/** Labels as the Docker provider takes them: a `{ label, value }` list in sorted key order. */
export function labelList(labels: Record<string, string> | undefined): Array<{ label: string; value: string }> {
  return sortedEntries(labels).map(([label, value]) => ({ label, value }));
}
