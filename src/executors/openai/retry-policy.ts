/**
 * When to try a model call again and how long to wait. A turn is retried only
 * before the first byte of its body (see model-call.ts): after that a retry
 * would duplicate text and corrupt tool arguments.
 */

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
/** A Retry-After longer than this is not waited out; normal backoff applies instead. */
const MAX_HONOURED_RETRY_AFTER_MS = 30_000;

/** Statuses that mean "try again later": rate limits and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/**
 * The wait before retry number `retry` (0 for the first retry): exponential,
 * with jitter so many runs hitting one rate limit do not retry in lockstep.
 * A small server hint (`retry-after-ms`, `retry-after` seconds or date) wins.
 */
export function retryDelayMs(retry: number, headers: Record<string, string | string[] | undefined> = {}): number {
  const hint = retryAfterMs(headers);
  if (hint !== undefined && hint <= MAX_HONOURED_RETRY_AFTER_MS) return hint;
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** retry);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function retryAfterMs(headers: Record<string, string | string[] | undefined>): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const value = header(headers, 'retry-after');
  if (value === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
