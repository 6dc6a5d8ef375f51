import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';

/**
 * A `Content-Disposition: attachment` header that keeps any file name: an
 * ASCII fallback for old clients plus the exact UTF-8 name (RFC 6266 /
 * RFC 8187), so `报告.txt` downloads as `报告.txt` and a quote or a newline in
 * a name can never break the header.
 */
export function attachmentHeader(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_') || 'download';
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export interface ZipEntry {
  /** The file on disk. */
  full: string;
  /** Its path inside the archive (`/`-separated). */
  name: string;
}

/**
 * A zip archive of files, streamed: each file is read only when the archive
 * reaches it, so a large folder never sits in memory and the first bytes go
 * out at once.
 */
export function zipStream(entries: ZipEntry[]): Readable {
  const zip = new ZipFile();
  const output = zip.outputStream as Readable;
  // A file that vanishes mid-archive is reported on the ZipFile itself; unhandled it would crash
  // the process, so it ends the stream instead (the client sees a truncated download).
  zip.on('error', (err: Error) => output.destroy(err));
  for (const entry of entries) zip.addFile(entry.full, entry.name);
  zip.end();
  return output;
}
