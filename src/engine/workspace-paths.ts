import { createHash } from 'node:crypto';
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
  assertFits(full);
  return full;
}

/** Longest name most file systems take for one path segment (NAME_MAX, in bytes). */
export const NAME_MAX = 255;
/** Longest path the system takes in one call (Linux PATH_MAX, in bytes, with its NUL). */
export const PATH_MAX = 4096;

/**
 * `name` cut to at most NAME_MAX bytes of UTF-8 on a character boundary,
 * keeping a short extension (`<long stem>.pdf` stays a `.pdf`), for names
 * the gateway may shorten rather than refuse (a browser's upload name).
 */
export function fitName(name: string, maxBytes = NAME_MAX): string {
  if (Buffer.byteLength(name, 'utf8') <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  let stem = '';
  let room = maxBytes - Buffer.byteLength(ext, 'utf8');
  for (const char of name.slice(0, name.length - ext.length)) {
    room -= Buffer.byteLength(char, 'utf8');
    if (room < 0) break;
    stem += char;
  }
  return stem + ext;
}

/**
 * Refuses (400 `path too long`) a path the file system would refuse with
 * ENAMETOOLONG, before anything is looked up or made: an upload into
 * `new/<300 characters>` must not leave `new/` behind. The file system's own
 * answer still counts (see fs-errors.ts) where its limits are smaller.
 */
export function assertFits(full: string): void {
  if (Buffer.byteLength(full, 'utf8') >= PATH_MAX || full.split(sep).some((segment) => Buffer.byteLength(segment, 'utf8') > NAME_MAX)) {
    throw invalid('path too long', { field: 'path' });
  }
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

/**
 * A file-system-safe folder name for any id (tenant codes and user ids are
 * free text): its base64url, or, when that would be longer than a folder
 * name may be (a bit-Agent `user_id` of 128 emoji is 683 characters), `h.`
 * and the id's SHA-256. `.` is not in the base64url alphabet, so the two
 * forms never collide; every id that fitted before keeps its folder.
 */
export function safeSegment(id: string): string {
  const encoded = Buffer.from(id, 'utf8').toString('base64url') || '_';
  return encoded.length <= NAME_MAX ? encoded : `h.${createHash('sha256').update(id, 'utf8').digest('base64url')}`;
}
