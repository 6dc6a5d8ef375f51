/**
 * Date-times as this API shows them: ISO 8601 to the second, in UTC with an
 * explicit `+00:00` offset. The document's examples show naive times
 * ("2025-01-01T10:00:00"); the offset keeps the same shape while telling
 * JavaScript and Python clients unambiguously that the time is UTC.
 */
export function isoTime(ms: number): string;
export function isoTime(ms: number | undefined): string | null;
export function isoTime(ms: number | undefined): string | null {
  if (ms === undefined || !Number.isFinite(ms)) return null;
  return `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
}

/** Whole seconds between two instants (the document's `duration`), null while the end is unknown. */
export function durationSeconds(fromMs: number, toMs: number | undefined): number | null {
  if (toMs === undefined) return null;
  return Math.max(0, Math.round((toMs - fromMs) / 1000));
}
