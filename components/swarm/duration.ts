/**
 * Seconds as the Docker provider reads a swarm duration back from the engine (Go's Duration.String,
 * trailing zero units dropped): 5 -> "5s", 60 -> "1m", 90 -> "1m30s", 3600 -> "1h". Written any other
 * way ("60s"), a service would show a difference on every preview.
 */
export function swarmDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) throw new RangeError(`a duration must be whole seconds, 0 or more, got ${seconds}`);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h === 0 && m === 0) return `${s}s`;
  let text = `${h > 0 ? `${h}h` : ""}${m}m${s}s`;
  if (text.endsWith("m0s")) text = text.slice(0, -2);
  if (text.endsWith("h0m")) text = text.slice(0, -2);
  return text;
}
