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
  rate_limited: 429,
  not_implemented: 501,
  unavailable: 503,
  epoch_mismatch: 409,
  internal: 500,
};

export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Machine-readable detail a dialect may need (which field, which resource). */
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'EngineError';
  }

  get status(): number {
    return STATUS_OF[this.code];
  }
}

export const invalid = (message: string, detail?: Record<string, unknown>) =>
  new EngineError('invalid_argument', message, detail);
export const notFound = (what: string, id: string) => new EngineError('not_found', `${what} not found`, { what, id });
export const conflict = (message: string, detail?: Record<string, unknown>) => new EngineError('conflict', message, detail);
export const unauthenticated = (message: string) => new EngineError('unauthenticated', message);
export const forbidden = (message: string) => new EngineError('forbidden', message);
export const notImplemented = (message: string) => new EngineError('not_implemented', message);
