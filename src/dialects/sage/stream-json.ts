/**
 * JSON as Python's `json.dumps(value, ensure_ascii=False)` writes it, which is
 * what Sage clients and their fixtures were made against: `", "` and `": "`
 * separators, non-ASCII text as is. Strings escape exactly as
 * `JSON.stringify` does (the same set: quote, backslash, control characters).
 */

/** A number Python holds as a float: written with a fraction even when whole (`1764745815.0`). */
export class PyFloat {
  constructor(readonly value: number) {}

  /** In an ordinary JSON body (an envelope holding stream-shaped messages) it is the plain number. */
  toJSON(): number {
    return this.value;
  }
}

/** Python's float repr for the values we write (timestamps): shortest round-trip digits, `.0` when whole. */
function floatText(n: number): string {
  if (!Number.isFinite(n)) return 'null';
  const text = String(n);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PyFloat) return floatText(value.value);
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => pythonJson(v)).join(', ')}]`;
      const parts: string[] = [];
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue;
        parts.push(`${JSON.stringify(key)}: ${pythonJson(v)}`);
      }
      return `{${parts.join(', ')}}`;
    }
    default:
      return 'null';
  }
}

/** Seconds since the epoch as Sage writes them (`time.time()`): a float. */
export const pySeconds = (ms: number): PyFloat => new PyFloat(ms / 1000);
