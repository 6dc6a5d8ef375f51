/**
 * The engine's one catalog of errors. Dialects map `code` (and sometimes
 * `reason`) to their own wire shape; the default HTTP status lives here so
 * every dialect starts from the same answer.
 */
export type ErrorCode =
  | 'invalid_argument'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'request_timeout'
  | 'headers_too_large'
  | 'rate_limited'
  | 'not_implemented'
  | 'unavailable'
  | 'epoch_mismatch'
  | 'internal';

export const STATUS_OF: Record<ErrorCode, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  request_timeout: 408,
  headers_too_large: 431,
  rate_limited: 429,
  not_implemented: 501,
  unavailable: 503,
  epoch_mismatch: 409,
  internal: 500,
};

export class EngineError extends Error {
  /**
   * The default HTTP status of `code`. A plain field, not a getter: HTTP
   * libraries (Koa's `ctx.onerror`) assign `err.status`, and a getter-only
   * property makes that assignment throw.
   */
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Machine-readable detail a dialect may need (which field, which resource). */
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'EngineError';
    this.status = STATUS_OF[code];
  }
}

/** Longest piece of client input an error message repeats. */
export const QUOTE_LIMIT = 64;

/**
 * Client input as an error message quotes it: in double quotes, cut to a
 * short prefix, so a 900 KB field never comes back as a 900 KB error body.
 */
export function quote(value: unknown, limit = QUOTE_LIMIT): string {
  return `"${clip(value, limit)}"`;
}

/** Client input cut to a short prefix, without quotes (a path in a sentence). */
export function clip(value: unknown, limit = QUOTE_LIMIT): string {
  const text = typeof value === 'string' ? value : String(value);
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

export const invalid = (message: string, detail?: Record<string, unknown>) =>
  new EngineError('invalid_argument', message, detail);
export const notFound = (what: string, id: string) => new EngineError('not_found', `${what} not found`, { what, id });
export const conflict = (message: string, detail?: Record<string, unknown>) => new EngineError('conflict', message, detail);
export const unauthenticated = (message: string) => new EngineError('unauthenticated', message);
export const forbidden = (message: string) => new EngineError('forbidden', message);
export const notImplemented = (message: string) => new EngineError('not_implemented', message);
