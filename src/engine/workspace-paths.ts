import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { invalid } from './errors.js';

/**
 * Turns a client-given relative path into an absolute one inside `root`, or
 * refuses it. Refused: absolute paths, drive letters, NUL bytes, any `..`
 * segment, and (after repeated percent-decoding, so `%2e%2e%2f` and
 * `%252e%252e` count) anything that would leave the root. Symlinks are
 * checked separately against the real path (`assertInside`).
 */
export function resolveInside(root: string, clientPath: string): string {
  const decoded = decodeFully(clientPath);
  if (decoded.includes('\0')) throw invalid('path contains a NUL byte', { field: 'path' });
  const unified = decoded.replace(/\\/g, '/');
  if (isAbsolute(unified) || /^[A-Za-z]:/.test(unified) || unified.startsWith('~')) {
    throw invalid('path must be relative to the workspace', { field: 'path' });
  }
  if (unified.split('/').some((segment) => segment === '..')) {
    throw invalid('path must not leave the workspace', { field: 'path' });
  }
  const full = normalize(join(root, unified));
  assertInside(root, full);
  return full;
}

/** Throws unless `candidate` is `root` itself or lies under it. */
export function assertInside(root: string, candidate: string): void {
  const rel = relative(root, candidate);
  if (rel === '') return;
  if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
    throw invalid('path must not leave the workspace', { field: 'path' });
  }
}

/** Percent-decodes until nothing changes (a few rounds at most), so double-encoded tricks show. */
export function decodeFully(text: string): string {
  let current = text;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return current;
    }
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** A file-system-safe folder name for any id (tenant codes and user ids are free text). */
export function safeSegment(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url') || '_';
}
