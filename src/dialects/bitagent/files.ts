import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type Koa from 'koa';
import { invalid } from '../../engine/errors.js';
import type { Principal } from '../../engine/records.js';
import type { StoredFile } from '../../engine/workspace.js';
import type { BitAgentContext } from './context.js';
import { FILE_AREA } from './context.js';
import { fitName } from '../../engine/workspace-paths.js';
import { isoTime } from './times.js';

/** Uploads with a text type up to this size are shown inline in space views and chat prompts. */
export const TEXT_INLINE_BYTES = 64 * 1024;

interface UploadedPart {
  filepath: string;
  originalFilename?: string | null;
  mimetype?: string | null;
}

/**
 * Stores the multipart field `file` in the caller's workspace. Each upload
 * gets its own folder, so two files of the same name never overwrite each
 * other. (The mount removes the parser's temporary files after the request.)
 */
export async function saveUpload(ctx: Koa.Context, c: BitAgentContext, principal: Principal): Promise<StoredFile> {
  const field = ((ctx.request.files ?? {}) as Record<string, UploadedPart | UploadedPart[]>).file;
  const part = Array.isArray(field) ? field[0] : field;
  if (!part) throw invalid('file is required (a multipart/form-data field named "file")', { field: 'file' });
  return c.engine.workspace.save(
    principal,
    {
      dir: randomUUID(),
      filename: cleanName(part.originalFilename),
      content: createReadStream(part.filepath),
      contentType: part.mimetype ?? undefined,
    },
    FILE_AREA,
  );
}

/**
 * The base name a browser would have sent, shortened to what a file system
 * takes (255 bytes: 85 CJK characters); a name with nothing usable left becomes "upload".
 */
function cleanName(original: string | null | undefined): string {
  const base = (original ?? '').replace(/\\/g, '/').split('/').pop() ?? '';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const name = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return !name || name === '.' || name === '..' ? 'upload' : fitName(name);
}

/** Where this API is mounted on the listener that got the request (`/api`, or `` on its own port). */
export function apiBase(ctx: Koa.Context): string {
  const at = ctx.path.indexOf('/v3/openapi/');
  // Behind a proxy, X-Forwarded-Proto and X-Forwarded-Host name the address clients use.
  return `${ctx.protocol}://${ctx.host}${at > 0 ? ctx.path.slice(0, at) : ''}`;
}

/**
 * The file's download address: the metadata route with `?download=1`. It
 * takes the same credentials as every other call (header, or
 * `?access_token=` appended by the client); the token is never put in it.
 */
export function downloadUrl(ctx: Koa.Context, file: StoredFile): string {
  return `${apiBase(ctx)}/v3/openapi/common/file/${encodeURIComponent(file.id)}?download=1`;
}

export function fileView(ctx: Koa.Context, file: StoredFile) {
  return {
    id: file.id,
    name: file.name,
    url: downloadUrl(ctx, file),
    size: file.size,
    content_type: file.contentType ?? null,
    created_at: isoTime(file.createdAt),
  };
}

/** Sends the file's bytes as an attachment (never rendered inline, whatever its type). */
export async function sendFile(ctx: Koa.Context, c: BitAgentContext, principal: Principal, file: StoredFile): Promise<undefined> {
  const opened = await c.engine.workspace.open(principal, file.path, FILE_AREA);
  const ascii = file.name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  ctx.set('Content-Disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}`);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.type = file.contentType || 'application/octet-stream';
  ctx.length = opened.size;
  ctx.body = opened.stream;
  return undefined;
}

export function isTextLike(file: StoredFile): boolean {
  const type = (file.contentType ?? '').toLowerCase();
  return type.startsWith('text/') || /json|xml|csv|yaml|markdown/.test(type) || /\.(txt|md|csv|json|ya?ml|xml|log)$/i.test(file.name);
}

/** The bytes of an upload (not found when it is gone from disk). */
export async function readUpload(c: BitAgentContext, principal: Principal, file: StoredFile): Promise<Buffer> {
  const { stream } = await c.engine.workspace.open(principal, file.path, FILE_AREA);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A small text upload's content, else null. */
export async function textContent(c: BitAgentContext, principal: Principal, file: StoredFile): Promise<string | null> {
  if (!isTextLike(file) || file.size > TEXT_INLINE_BYTES) return null;
  // A file removed from disk is listed without content rather than failing the whole view.
  return readUpload(c, principal, file).then(
    (bytes) => bytes.toString('utf8'),
    () => null,
  );
}
