/** A client-given offset: a non-negative integer, anything else counts as 0 (what polling clients expect). */
export function parseOffset(raw: unknown): number {
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (typeof text === 'number' && Number.isInteger(text) && text >= 0) return text;
  if (typeof text === 'string' && /^\d{1,15}$/.test(text)) return Number(text);
  return 0;
}
