/**
 * Nearest-rank percentile of samples (sorted in place). Nearest-rank rather
 * than interpolation: every reported number is a latency that really happened.
 */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** p50 and p99 of the first `count` samples; sorts a copy so callers keep their order. */
export function summarize(samples: Float64Array, count: number): { p50: number; p99: number } {
  const sorted = samples.slice(0, count).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** The median of a few runs' results (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
