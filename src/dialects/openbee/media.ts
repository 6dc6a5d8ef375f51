import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { invalid } from '../../engine/errors.js';
import { MEDIA_AREA } from '../../engine/media-links.js';
import type { FileRef, Principal } from '../../engine/records.js';
import { asUser } from '../../http/as-user.js';
import { attachmentHeader } from '../../http/attachment.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam } from '../../http/request-params.js';
import { singleFile } from '../../http/uploaded-file.js';
import { IMAGE_TYPES, MAX_IMAGE_BYTES, MAX_IMAGES_BYTES } from '../model-images.js';
import type { OpenBeeContext } from './context.js';

/**
 * A session's uploads (`POST .../media` → the file's absolute path on the
 * server, as the original answers) and the links its web client shows them
 * by: `GET .../media/<file name>` takes no token (an `<img src>`), so the
 * stored name starts with a random capability and the engine serves only the
 * file that capability was made for (src/engine/media-links.ts).
 */

/** How long a browser may keep a shown file: short, so a deleted session's images stop showing soon. */
const MAX_AGE_SECONDS = 3600;

/**
 * Types a browser may show inline from this origin without running anything
 * in it (no HTML, no SVG: either could script the page the web client's
 * tokens live in). Everything else is served as a download.
 */
const INLINE_TYPES: Record<string, string> = {
  ...IMAGE_TYPES,
  '.bmp': 'image/bmp',
  '.avif': 'image/avif',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

/** Most files one message may attach. */
const MAX_MEDIA = 20;

export const OUTSIDE_UPLOADS = "media_path must point to a file within the session's upload directory";

export function mediaHandlers(c: OpenBeeContext): Record<string, Handler> {
  return {
    localMediaUpload: asUser(async (ctx, principal) => {
      const file = singleFile(ctx.request.files?.file, (problem) =>
        invalid(problem === 'missing' ? 'file is required (a multipart/form-data field named "file")' : 'only one file per upload', { field: 'file' }),
      );
      const stored = await c.engine.mediaLinks.upload(principal, pathParam(ctx, 'id'), {
        originalName: file.originalFilename ?? '',
        content: createReadStream(file.filepath),
        contentType: file.mimetype ?? undefined,
      });
      return { path: stored.full };
    }),

    localMediaGet: async (ctx) => {
      const media = await c.engine.mediaLinks.open(pathParam(ctx, 'id'), pathParam(ctx, 'filename'));
      const type = INLINE_TYPES[extname(media.name).toLowerCase()] ?? inlineDeclared(media.contentType);
      // The download name is the uploader's, without the capability: a saved file does not carry the secret on.
      const disposition = attachmentHeader(media.name);
      ctx.set('Content-Disposition', type ? disposition.replace(/^attachment/, 'inline') : disposition);
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Cache-Control', `private, max-age=${MAX_AGE_SECONDS}`);
      // Opened on its own, nothing in it may run or load anything.
      ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
      ctx.type = type ?? 'application/octet-stream';
      ctx.length = media.size;
      ctx.body = media.stream;
      return undefined;
    },
  };
}

/** The declared type when it is one of the inline ones (a name without an extension); else none. */
function inlineDeclared(declared: string | undefined): string | undefined {
  const bare = declared?.split(';')[0]?.trim().toLowerCase();
  return Object.values(INLINE_TYPES).find((type) => type.split(';')[0] === bare);
}

/**
 * The files a message attaches (`media_path` / `media_paths`): each must be
 * a file whose real path lies inside this session's upload folder of the
 * caller's (anything else, a missing file included, is a 400). `lines` is
 * what the original hands the worker before the text (`[文件] <path>`);
 * `images` are the attached images the model is sent as image parts (those
 * over the size limits stay lines only).
 */
export async function resolveMedia(c: OpenBeeContext, principal: Principal, sessionId: string, paths: string[]): Promise<{ lines: string[]; images: FileRef[] }> {
  if (paths.length > MAX_MEDIA) throw invalid(`at most ${MAX_MEDIA} media paths per message`, { field: 'media_paths' });
  const lines: string[] = [];
  const images: FileRef[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const path of paths) {
    const found = typeof path === 'string' ? await c.engine.mediaLinks.resolve(principal, sessionId, path) : undefined;
    if (!found) throw invalid(OUTSIDE_UPLOADS, { field: 'media_path' });
    if (seen.has(found.full)) continue;
    seen.add(found.full);
    lines.push(`[文件] ${found.full}`);
    const mediaType = IMAGE_TYPES[extname(found.full).toLowerCase()];
    if (mediaType && found.size <= MAX_IMAGE_BYTES && total + found.size <= MAX_IMAGES_BYTES) {
      total += found.size;
      images.push({ area: MEDIA_AREA, path: found.path, mediaType });
    }
  }
  return { lines, images };
}
