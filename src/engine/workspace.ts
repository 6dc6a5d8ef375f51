import { createHash } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config/types.js';
import type { Store } from '../store/store.js';
import type { Directory } from './directory.js';
import { EngineError, clip, invalid, notFound } from './errors.js';
import { folderInTheWay, fsError, isGone, rethrowFs, type FsIntent } from './fs-errors.js';
import { newId } from './ids.js';
import type { FileEntry, Principal } from './records.js';
import { FILE, WorkspaceFiles, userDir, type StoredFile } from './workspace-files.js';
import { assertFits, assertInside, resolveInside } from './workspace-paths.js';

export type { StoredFile } from './workspace-files.js';

const DEFAULT_AREA = 'user_upload';

export interface Upload {
  /** Folder inside the area ('' = its root). */
  dir?: string;
  filename: string;
  content: Readable;
  contentType?: string;
}

/**
 * Each user's files, under `<data_dir>/files/<tenant>/<user>/<area>/`. Every
 * path a client gives is resolved inside that root or refused (traversal,
 * absolute, encoded and symlinked escapes); one user can never name another's
 * files. Uploads stream to a temporary file, are counted and hashed on the
 * way, and are moved into place only when complete and within the limit.
 * Every file-system refusal goes through `fsError` (./fs-errors.ts): what a
 * client caused is a 400/404/409, anything else stays a 500. Uploads are
 * kept for `engine.file_retention_seconds` (./workspace-files.ts), and a
 * removed user's go with them.
 */
export class Workspace {
  private readonly dataDir: string;
  private readonly maxUploadBytes: number;
  /** Upload records and their retention (the reaper runs its sweep). */
  private readonly files: WorkspaceFiles;

  constructor(
    private readonly store: Store,
    config: Config,
    directory: Directory,
  ) {
    this.dataDir = config.store.data_dir;
    this.maxUploadBytes = config.server.upload_limit_bytes;
    this.files = new WorkspaceFiles(store, this.dataDir, config.engine.file_retention_seconds);
    directory.onUserRemoved((tenant, userId) => this.files.removeAllOf(tenant, userId));
  }

  /** Removes a folder of an area (never the area itself) with its files and their records. */
  removeFolder(owner: Pick<Principal, 'tenant' | 'userId'>, dir: string, area = DEFAULT_AREA): Promise<void> {
    return this.files.removeFolder(owner.tenant, owner.userId, area, dir);
  }

  /** The root folder of a user's area (created on demand). */
  async root(principal: Principal, area = DEFAULT_AREA): Promise<string> {
    const dir = join(userDir(this.dataDir, principal.tenant, principal.userId), area);
    await mkdir(dir, { recursive: true });
    return realpath(dir);
  }

  /** Resolves a client path inside the area, following symlinks only when they stay inside. */
  async resolve(principal: Principal, clientPath: string, area?: string): Promise<string> {
    return this.inside(await this.root(principal, area), clientPath, 'read');
  }

  /**
   * `clientPath` made absolute under `root`, refused when it (or the real path
   * behind a symlink) leaves the root. A path not there yet is fine; one that
   * cannot be looked up is refused as `fsError` says for `intent`.
   */
  private async inside(root: string, clientPath: string, intent: FsIntent, what?: 'file' | 'folder'): Promise<string> {
    const full = resolveInside(root, clientPath);
    const real = await realpath(full).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw fsError(err, intent, clientPath, what);
    });
    if (real) assertInside(root, real);
    return full;
  }

  /**
   * Stores an upload at `<dir>/<filename>`. Refuses file names with path
   * parts, folders that escape, and content over the size limit (nothing is
   * left behind then).
   */
  async save(principal: Principal, input: Upload, area?: string): Promise<StoredFile> {
    const name = input.filename.trim();
    if (!name || name !== basename(name.replace(/\\/g, '/')) || name === '.' || name === '..' || name.includes('\0')) {
      input.content.destroy();
      throw invalid('invalid file name', { field: 'filename' });
    }
    const dir = input.dir ?? '';
    const shown = dir ? `${dir}/${name}` : name;
    const { root, target, temp, handle } = await this.prepare(principal, dir, name, shown, area).catch((err: unknown) => {
      // Refused before the copy: the content stream is never read, so release its file now.
      input.content.destroy();
      throw err;
    });
    const hash = createHash('sha256');
    let size = 0;
    const limit = this.maxUploadBytes;
    try {
      // Errors of the copy itself are not mapped: its source is the gateway's own temporary
      // file and its sink an open file, so whatever fails there is ours (disk full, I/O).
      await pipeline(
        input.content,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            size += chunk.length;
            if (size > limit) throw new EngineError('payload_too_large', `file larger than ${limit} bytes`);
            hash.update(chunk);
            yield chunk;
          }
        },
        handle.createWriteStream(),
      );
      // EISDIR: a concurrent upload made a folder of this name → 409; ENAMETOOLONG → 400.
      await rename(temp, target).catch(rethrowFs('write', shown));
    } catch (err) {
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw err;
    }
    const file: StoredFile = {
      id: newId('file'),
      tenant: principal.tenant,
      userId: principal.userId,
      path: relative(root, target).split(sep).join('/'),
      name,
      size,
      sha256: hash.digest('hex'),
      contentType: input.contentType,
      createdAt: Date.now(),
    };
    await this.files.keep(file, area ?? DEFAULT_AREA);
    return file;
  }

  /**
   * The folder of an upload made (a file in its way → 409), its target
   * checked (a folder of that name → 409, a name too long → 400) and its
   * temporary file opened, all before any content is copied.
   */
  private async prepare(principal: Principal, dir: string, name: string, shown: string, area?: string) {
    const root = await this.root(principal, area);
    const folder = await this.inside(root, dir, 'write');
    const target = join(folder, name);
    assertFits(target);
    // A file where a folder of the path should be: EEXIST (`a` is the file) or ENOTDIR (`a/b` under it) → 409.
    await mkdir(folder, { recursive: true }).catch(rethrowFs('write', dir));
    assertInside(root, await realpath(folder).catch(rethrowFs('write', dir)));
    // Refused before the content is copied: a folder of that name (409).
    // The rename below decides again, for an upload racing another that makes the folder now.
    const existing = await lstat(target).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw fsError(err, 'write', shown);
    });
    if (existing?.isDirectory()) throw folderInTheWay(shown);
    const temp = join(folder, `.upload-${newId('tmp')}`);
    // Opened here so that a folder gone or replaced meanwhile is mapped like every other refusal.
    const handle = await open(temp, 'wx').catch(rethrowFs('write', dir));
    return { root, target, temp, handle };
  }

  /** A stored upload by id; another user's id is "not found". */
  async byId(principal: Principal, id: string): Promise<StoredFile> {
    const file = (await this.store.get<StoredFile>(FILE, id))?.value;
    if (!file || file.tenant !== principal.tenant || file.userId !== principal.userId) throw notFound('file', id);
    return file;
  }

  /** Entries of a folder (not recursive), folders first, then by name. Missing folder → not found. */
  async list(principal: Principal, dir = '', area?: string): Promise<FileEntry[]> {
    const root = await this.root(principal, area);
    const folder = await this.inside(root, dir, 'read', 'folder');
    const info = await stat(folder).catch(rethrowFs('read', dir, 'folder'));
    if (!info.isDirectory()) throw notFound('folder', clip(dir));
    const entries: FileEntry[] = [];
    for (const entry of await readdir(folder, { withFileTypes: true }).catch(rethrowFs('read', dir, 'folder'))) {
      if (entry.name.startsWith('.upload-')) continue;
      const full = join(folder, entry.name);
      // An entry gone since the folder was read (an upload's temporary file moved into place) is skipped.
      const details = await lstat(full).catch((err: unknown) => {
        if (isGone(err)) return undefined;
        throw fsError(err, 'read', dir, 'folder');
      });
      if (!details || details.isSymbolicLink()) continue;
      entries.push({
        path: relative(root, full).split(sep).join('/'),
        name: entry.name,
        size: details.isDirectory() ? 0 : details.size,
        isDir: details.isDirectory(),
        modifiedAt: details.mtimeMs,
      });
    }
    return entries.sort((a, b) => Number(b.isDir) - Number(a.isDir) || a.name.localeCompare(b.name));
  }

  /** What a path is: a file, a folder, or not there (→ not found, also for a path through a file). */
  async stat(principal: Principal, clientPath: string, area?: string): Promise<{ full: string; isDir: boolean; size: number }> {
    const full = await this.resolve(principal, clientPath, area);
    const info = await stat(full).catch(rethrowFs('read', clientPath));
    return { full, isDir: info.isDirectory(), size: info.size };
  }

  /**
   * A read stream of a file inside the area. The file is opened here and
   * checked through its handle, so what is streamed is what was checked: a
   * folder (400) or a missing file (404) is refused now, not as a stream
   * error after the answer has started.
   */
  async open(principal: Principal, clientPath: string, area?: string): Promise<{ stream: ReadStream; size: number; name: string }> {
    const full = await this.resolve(principal, clientPath, area);
    const handle = await open(full, 'r').catch(rethrowFs('read', clientPath));
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw invalid('path is a folder', { field: 'path' });
      return { stream: handle.createReadStream(), size: info.size, name: basename(full) };
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw fsError(err, 'read', clientPath);
    }
  }

  /** Every file under a folder, recursively (symlinks skipped), with paths relative to that folder. */
  async walk(principal: Principal, clientPath: string, area?: string): Promise<{ full: string; relative: string; size: number }[]> {
    const info = await this.stat(principal, clientPath, area);
    if (!info.isDir) throw invalid('path is not a folder', { field: 'path' });
    const out: { full: string; relative: string; size: number }[] = [];
    // Whatever vanished or changed kind since it was listed is left out; other refusals are mapped.
    const skipGone = (err: unknown): undefined => {
      if (isGone(err)) return undefined;
      throw fsError(err, 'read', clientPath, 'folder');
    };
    const visit = async (dir: string) => {
      for (const entry of (await readdir(dir, { withFileTypes: true }).catch(skipGone)) ?? []) {
        const full = join(dir, entry.name);
        if (entry.isSymbolicLink() || entry.name.startsWith('.upload-')) continue;
        if (entry.isDirectory()) await visit(full);
        else if (entry.isFile()) {
          const details = await stat(full).catch(skipGone);
          if (details) out.push({ full, relative: relative(info.full, full).split(sep).join('/'), size: details.size });
        }
      }
    };
    await visit(info.full);
    return out;
  }

  /** The parent folder name of a path, for naming downloads of folders. */
  static folderName(full: string): string {
    return basename(full) || basename(dirname(full));
  }
}
