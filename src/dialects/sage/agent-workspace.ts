import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type Koa from 'koa';
import type { Principal } from '../../engine/records.js';
import { Workspace } from '../../engine/workspace.js';
import { decodeFully } from '../../engine/workspace-paths.js';
import { asUser } from '../../http/as-user.js';
import { attachmentHeader, zipStream } from '../../http/attachment.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam, queryParam } from '../../http/request-params.js';
import { singleFile } from '../../http/uploaded-file.js';
import { usableAgent } from './agent-access.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';

/**
 * An agent's file workspace: the caller's own files for that agent, in the
 * workspace area `agents/<agent id>` (so one user never sees another's, and
 * one agent's files never mix with another's). Every client path goes
 * through the workspace, which refuses paths leaving the area. `session_id`
 * is accepted and ignored: the files belong to the agent, not to one chat.
 */
function areaOf(agentId: string): string {
  // Agent ids may hold dots: one made only of dots would name a folder above the area.
  if (/^\.+$/.test(agentId)) throw sageError('invalid_argument', { 'zh-CN': 'Agent ID 无效', en: 'invalid agent id' });
  return `agents/${agentId}`;
}

const missingPath = () => sageError('invalid_argument', { 'zh-CN': '缺少 file_path', en: 'file_path is required' }, { field: 'file_path' });

function filePath(ctx: Koa.Context): string {
  const raw = queryParam(ctx, 'file_path')?.trim();
  if (!raw) throw missingPath();
  return raw.replace(/^\/+/, '');
}

export function agentWorkspaceHandlers(c: SageContext): Record<string, Handler> {
  const { workspace } = c.engine;
  const agentArea = async (ctx: Koa.Context, principal: Principal) => areaOf((await usableAgent(c, principal, pathParam(ctx, 'agent_id'))).id);
  const inRoot = (root: string, full: string) => relative(root, full).split(sep).join('/');

  return {
    /**
     * Every file of the workspace, recursively, and the folders holding them,
     * as Sage lists them: `{name, path, size, modified_time (seconds), is_directory}`.
     */
    agentWorkspaceList: asUser(async (ctx, principal) => {
      const area = await agentArea(ctx, principal);
      const root = await workspace.root(principal, area);
      const files = await workspace.walk(principal, '', area);
      const items = await Promise.all(
        files.map(async (f) => {
          const path = inRoot(root, f.full);
          const modified = (await stat(f.full)).mtimeMs;
          return { name: path.split('/').at(-1) ?? path, path, size: f.size, modified_time: modified / 1000, is_directory: false };
        }),
      );
      const folders = new Set<string>();
      for (const item of items) {
        const parts = item.path.split('/');
        for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/'));
      }
      for (const folder of folders) {
        const modified = (await stat(await workspace.resolve(principal, folder, area))).mtimeMs;
        items.push({ name: folder.split('/').at(-1) ?? folder, path: folder, size: 0, modified_time: modified / 1000, is_directory: true });
      }
      items.sort((a, b) => a.path.localeCompare(b.path));
      return { agent_id: pathParam(ctx, 'agent_id'), files: items, user_id: principal.userId };
    }),

    /** A file as an attachment, a folder as `<folder>.zip`. */
    agentWorkspaceDownload: asUser(async (ctx, principal) => {
      const area = await agentArea(ctx, principal);
      const path = filePath(ctx);
      const info = await workspace.stat(principal, path, area);
      if (!info.isDir) {
        const file = await workspace.open(principal, path, area);
        ctx.set('Content-Disposition', attachmentHeader(file.name));
        ctx.type = 'application/octet-stream';
        ctx.length = file.size;
        ctx.body = file.stream;
        return undefined;
      }
      const root = await workspace.root(principal, area);
      const files = await workspace.walk(principal, path, area);
      ctx.set('Content-Disposition', attachmentHeader(`${Workspace.folderName(info.full)}.zip`));
      ctx.type = 'application/zip';
      ctx.body = zipStream(files.map((f) => ({ full: f.full, name: inRoot(root, f.full) })));
      return undefined;
    }),

    /** A file or a folder inside the workspace; never the workspace itself. */
    agentWorkspaceDelete: asUser(async (ctx, principal) => {
      const area = await agentArea(ctx, principal);
      const path = filePath(ctx);
      const info = await workspace.stat(principal, path, area);
      const root = await workspace.root(principal, area);
      if (!inRoot(root, info.full)) throw missingPath();
      await rm(info.full, { recursive: true, force: true });
      return { file_path: inRoot(root, info.full), deleted: true };
    }),

    /** Multipart `file`, optional `path` (a folder inside the workspace). */
    agentWorkspaceUpload: asUser(async (ctx, principal) => {
      const area = await agentArea(ctx, principal);
      const file = singleFile(ctx.request.files?.file, (problem) =>
        problem === 'missing'
          ? sageError('invalid_argument', { 'zh-CN': '未找到上传的文件（字段 file）', en: 'no file uploaded (field file)' }, { field: 'file' })
          : sageError('invalid_argument', { 'zh-CN': '一次只能上传一个文件', en: 'upload one file at a time' }, { field: 'file' }),
      );
      const fields = (typeof ctx.request.body === 'object' && ctx.request.body !== null ? ctx.request.body : {}) as Record<string, unknown>;
      const dir = typeof fields.path === 'string' ? fields.path.trim().replace(/^\/+|\/+$/g, '') : '';
      const filename = checkedName(file.originalFilename ?? '');
      const existing = await workspace.stat(principal, dir ? `${dir}/${filename}` : filename, area).catch(() => undefined);
      if (existing?.isDir) throw sageError('conflict', { 'zh-CN': `同名文件夹已存在: ${filename}`, en: `a folder of that name exists: ${filename}` });
      const stored = await workspace.save(principal, { dir, filename, content: createReadStream(file.filepath), contentType: file.mimetype ?? undefined }, area);
      return { path: stored.path, filename: stored.name, size: stored.size };
    }),
  };
}

/** A plain file name, also once percent-decoded (the listing reads names back as paths). */
function checkedName(name: string): string {
  const trimmed = name.trim();
  const decoded = decodeFully(trimmed);
  if (!trimmed || /[/\\\0]/.test(decoded) || decoded === '.' || decoded === '..') {
    throw sageError('invalid_argument', { 'zh-CN': `非法文件名: ${name.slice(0, 100)}`, en: `invalid file name: ${name.slice(0, 100)}` }, { field: 'file' });
  }
  return trimmed;
}
