import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Store } from '../store/store.js';
import { EngineError, invalid, notFound } from './errors.js';
import { newId } from './ids.js';
import type { FileEntry, Principal } from './records.js';
import { assertInside, resolveInside, safeSegment } from './workspace-paths.js';

/** A stored upload, addressable by id (bit-Agent `file_id`) as well as by path. */
export interface StoredFile {
  id: string;
  tenant: string;
  userId: string;
  /** Path relative to the user's area root, `/`-separated. */
  path: string;
  name: string;
  size: number;
  sha256: string;
  contentType?: string;
  createdAt: number;
}

const FILE = 'file';

/**
 * Each user's files, under `<data_dir>/files/<tenant>/<user>/<area>/`. Every
 * path a client gives is resolved inside that root or refused (traversal,
 * absolute, encoded and symlinked escapes); one user can never name another's
 * files. Uploads stream to a temporary file, are counted and hashed on the
 * way, and are moved into place only when complete and within the limit.
 */
export class Workspace {
  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
    private readonly maxUploadBytes: number,
  ) {}

  /** The root folder of a user's area (created on demand). */
  async root(principal: Principal, area = 'user_upload'): Promise<string> {
    const dir = join(this.dataDir, 'files', safeSegment(principal.tenant), safeSegment(principal.userId), area);
    await mkdir(dir, { recursive: true });
    return realpath(dir);
  }

  /** Resolves a client path inside the area, following symlinks only when they stay inside. */
  async resolve(principal: Principal, clientPath: string, area?: string): Promise<string> {
    const root = await this.root(principal, area);
    const full = resolveInside(root, clientPath);
    const real = await realpath(full).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (real) assertInside(root, real);
    return full;
  }

  /**
   * Stores an upload at `<dir>/<filename>`. Refuses file names with path
   * parts, folders that escape, and content over the size limit (nothing is
   * left behind then).
   */
  async save(principal: Principal, input: { dir?: string; filename: string; content: Readable; contentType?: string }, area?: string): Promise<StoredFile> {
    const name = input.filename.trim();
    if (!name || name !== basename(name.replace(/\\/g, '/')) || name === '.' || name === '..' || name.includes('\0')) {
      throw invalid('invalid file name', { field: 'filename' });
    }
    const root = await this.root(principal, area);
    const folder = await this.resolve(principal, input.dir ?? '', area);
    await mkdir(folder, { recursive: true });
    assertInside(root, await realpath(folder));
    const target = join(folder, name);
    const temp = join(folder, `.upload-${newId('tmp')}`);
    const hash = createHash('sha256');
    let size = 0;
    const limit = this.maxUploadBytes;
    try {
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
        createWriteStream(temp, { flags: 'wx' }),
      );
      await rename(temp, target);
    } catch (err) {
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
    await this.store.put(FILE, file.id, file);
    return file;
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
    const folder = await this.resolve(principal, dir, area);
    const info = await stat(folder).catch(() => undefined);
    if (!info?.isDirectory()) throw notFound('folder', dir);
    const entries: FileEntry[] = [];
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.upload-')) continue;
      const full = join(folder, entry.name);
      const details = await lstat(full);
      if (details.isSymbolicLink()) continue;
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

  /** What a path is: a file, a folder, or not there (→ not found). */
  async stat(principal: Principal, clientPath: string, area?: string): Promise<{ full: string; isDir: boolean; size: number }> {
    const full = await this.resolve(principal, clientPath, area);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw notFound('file', clientPath);
    return { full, isDir: info.isDirectory(), size: info.size };
  }

  /** A read stream of a file inside the area. */
  async open(principal: Principal, clientPath: string, area?: string): Promise<{ stream: ReadStream; size: number; name: string }> {
    const info = await this.stat(principal, clientPath, area);
    if (info.isDir) throw invalid('path is a folder', { field: 'path' });
    return { stream: createReadStream(info.full), size: info.size, name: basename(info.full) };
  }

  /** Every file under a folder, recursively (symlinks skipped), with paths relative to that folder. */
  async walk(principal: Principal, clientPath: string, area?: string): Promise<{ full: string; relative: string; size: number }[]> {
    const info = await this.stat(principal, clientPath, area);
    if (!info.isDir) throw invalid('path is not a folder', { field: 'path' });
    const out: { full: string; relative: string; size: number }[] = [];
    const visit = async (dir: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        if (entry.isSymbolicLink() || entry.name.startsWith('.upload-')) continue;
        if (entry.isDirectory()) await visit(full);
        else if (entry.isFile()) out.push({ full, relative: relative(info.full, full).split(sep).join('/'), size: (await stat(full)).size });
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
