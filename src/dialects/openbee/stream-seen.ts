import type Koa from 'koa';

/**
 * The `ob_seen` cookie: the position of the last message a
 * `GET /local/sessions/:id/messages` answer showed, for the next stream of
 * that session to start after (see stream.ts for why). Scoped by `Path` to
 * the one session, short-lived, HttpOnly.
 *
 * Not signed: its value only moves where the caller's own stream of their own
 * conversation starts, and is honoured only up to that conversation's last
 * position, so a forged one can at worst repeat or skip replies to the one
 * who forged it. Written by hand rather than with `ctx.cookies`, whose
 * library sends `expires` but never `Max-Age`.
 */
export const SEEN_COOKIE = 'ob_seen';
export const SEEN_MAX_AGE_SECONDS = 60;

/** `…/local/sessions/<id>` of the request path, as the browser sent it (still percent-encoded). */
const SESSION_PATH = /^.*?\/local\/sessions\/[^/]+/;
/** What a cookie's `Path` may hold (no `;`, no spaces or controls), so the header cannot be split or extended. */
const SAFE_PATH = /^[\x21-\x3a\x3c-\x7e]+$/;

/** The session's URL path, when the request is under one (and its id segment names `sessionId`, if given). */
export function sessionPath(ctx: Koa.Context, sessionId?: string): string | undefined {
  const path = SESSION_PATH.exec(ctx.path)?.[0];
  if (!path || !SAFE_PATH.test(path)) return undefined;
  if (sessionId !== undefined && decodeSegment(path.slice(path.lastIndexOf('/') + 1)) !== sessionId) return undefined;
  return path;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** A `Set-Cookie` value for the seen cookie of `path`: `value` for `maxAge` seconds (0 clears it). */
export function seenCookie(ctx: Koa.Context, path: string, value: string, maxAge = SEEN_MAX_AGE_SECONDS): string {
  return `${SEEN_COOKIE}=${value}; Path=${path}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${ctx.secure ? '; Secure' : ''}`;
}

/** The position the request's seen cookie names: an integer from -1 (nothing seen) up; undefined when absent or malformed. */
export function readSeen(ctx: Koa.Context): number | undefined {
  const raw = ctx.cookies.get(SEEN_COOKIE, { signed: false });
  return raw !== undefined && /^(-1|\d{1,15})$/.test(raw) ? Number(raw) : undefined;
}

/** Whether the request carries a seen cookie at all (a malformed one is cleared too). */
export function hasSeen(ctx: Koa.Context): boolean {
  return ctx.cookies.get(SEEN_COOKIE, { signed: false }) !== undefined;
}
