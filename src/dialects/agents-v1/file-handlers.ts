import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { Engine } from '../../engine/engine.js';
import type { FileEntry } from '../../engine/records.js';
import { Workspace } from '../../engine/workspace.js';
import { decodeFully } from '../../engine/workspace-paths.js';
import { attachmentHeader, zipStream } from '../../http/attachment.js';
import { clip } from '../../engine/errors.js';
import { v1Error } from './errors.js';
import { queryParam } from '../../http/request-params.js';
import type { AuthedHandler } from '../../http/as-user.js';
import { singleFile } from '../../http/uploaded-file.js';
import { UPLOAD_AREA, uploadPath } from './upload-paths.js';

/**
 * The caller's files under their own `user_upload` folder. Every client path
 * goes through the workspace, which refuses anything leaving that folder
 * (400) and reports what is not there (404 `文件不存在`); one user's paths can
 * never name another user's files.
 */

interface ListItem {
  name: string;
  is_dir: boolean;
  size: number;
  modified_at: number;
  path: string;
}

/** `POST /files/upload` (multipart: `file`, optional `filename` and `dir`). */
export function fileUpload(engine: Engine): AuthedHandler {
  return async (ctx, principal) => {
    const file = singleFile(ctx.request.files?.file, (problem) => v1Error('invalid_argument', problem === 'missing' ? '未找到文件' : '一次只能上传一个文件'));
    const fields = (typeof ctx.request.body === 'object' && ctx.request.body !== null ? ctx.request.body : {}) as Record<string, unknown>;
    const filename = checkedName(field(fields, 'filename') || file.originalFilename || '');
    const dir = uploadPath(field(fields, 'dir'));
    // A file replaces a file of the same name, never a folder.
    const existing = await engine.workspace.stat(principal, dir ? `${dir}/${filename}` : filename, UPLOAD_AREA).catch(() => undefined);
    if (existing?.isDir) throw v1Error('invalid_argument', `同名文件夹已存在: ${clip(filename)}`);
    const stored = await engine.workspace.save(
      principal,
      {
        dir,
        filename,
        content: createReadStream(file.filepath),
        contentType: file.mimetype ?? undefined,
      },
      UPLOAD_AREA,
    );
    return { path: stored.path, filename: stored.name, size: stored.size, sha256: stored.sha256 };
  };
}

/** `GET /files?path=`: a folder's entries (folders first), or the one entry a file path names. */
export function fileList(engine: Engine): AuthedHandler {
  return async (ctx, principal) => {
    const path = uploadPath(queryParam(ctx, 'path') ?? '');
    const info = await engine.workspace.stat(principal, path, UPLOAD_AREA);
    const root = await engine.workspace.root(principal, UPLOAD_AREA);
    const inRoot = (full: string) => relative(root, full).split(sep).join('/');
    if (!info.isDir) {
      const details = await stat(info.full);
      const itemPath = inRoot(info.full);
      const parent = itemPath.includes('/') ? itemPath.slice(0, itemPath.lastIndexOf('/')) : '.';
      const item = { name: itemPath.split('/').at(-1) ?? itemPath, is_dir: false, size: details.size, modified_at: details.mtimeMs / 1000, path: itemPath };
      return { base: parent, items: [item] };
    }
    const entries = await engine.workspace.list(principal, path, UPLOAD_AREA);
    return { base: inRoot(info.full) || '.', items: entries.map(listItem) };
  };
}

/**
 * `GET /files/download?path=`: a file as an octet-stream attachment, or a
 * folder as a zip named `<folder>.zip`, streamed, whose entries carry their
 * paths inside `user_upload` (the same paths the listing shows).
 */
export function fileDownload(engine: Engine): AuthedHandler {
  return async (ctx, principal) => {
    const raw = queryParam(ctx, 'path');
    if (!raw?.trim()) throw v1Error('invalid_argument', '缺少 path');
    const path = uploadPath(raw);
    const info = await engine.workspace.stat(principal, path, UPLOAD_AREA);
    if (!info.isDir) {
      const file = await engine.workspace.open(principal, path, UPLOAD_AREA);
      ctx.set('Content-Disposition', attachmentHeader(file.name));
      ctx.type = 'application/octet-stream';
      ctx.length = file.size;
      ctx.body = file.stream;
      return undefined;
    }
    const root = await engine.workspace.root(principal, UPLOAD_AREA);
    const files = await engine.workspace.walk(principal, path, UPLOAD_AREA);
    ctx.set('Content-Disposition', attachmentHeader(`${Workspace.folderName(info.full)}.zip`));
    ctx.type = 'application/zip';
    ctx.body = zipStream(files.map((f) => ({ full: f.full, name: relative(root, f.full).split(sep).join('/') })));
    return undefined;
  };
}

function listItem(entry: FileEntry): ListItem {
  return { name: entry.name, is_dir: entry.isDir, size: entry.size, modified_at: entry.modifiedAt / 1000, path: entry.path };
}

/** A multipart text field as one string ('' when absent). */
function field(fields: Record<string, unknown>, name: string): string {
  const value = fields[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : '';
}

/**
 * A file name must be a plain name: no folder parts, also not once
 * percent-decoded (a name that decodes to `..` or `a/b` would later be read
 * back as a path by the listing and download endpoints).
 */
function checkedName(name: string): string {
  const trimmed = name.trim();
  const decoded = decodeFully(trimmed);
  if (!trimmed || /[/\\\0]/.test(decoded) || decoded === '.' || decoded === '..') throw v1Error('invalid_argument', `非法文件名: ${clip(name)}`);
  return trimmed;
}

