import { rm, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Store } from '../store/store.js';
import { scopedKey } from './keys.js';
import { allMembers, userKey } from './users.js';
import { assertInside, safeSegment } from './workspace-paths.js';

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

export const FILE = 'file';
/** Which upload a path's bytes are now: a later upload to the same path owns them, not the one that expires. */
const FILE_AT = 'file-at';
/** Uploads by the time their record expires (retention): the sweep removes their bytes then. */
export const FILES_EXPIRING = 'files:expiring';
/** A user's uploads, so that a removed user's go too. */
const filesOf = (tenant: string, userId: string) => `files:${userKey(tenant, userId)}`;

/** Where a user's files are: every area of theirs is a folder in it. */
export const userDir = (dataDir: string, tenant: string, userId: string): string => join(dataDir, 'files', safeSegment(tenant), safeSegment(userId));

/** An upload as its listings know it: enough to find its bytes and path claim, also once its record is gone. */
interface FiledFile {
  id: string;
  tenant: string;
  userId: string;
  area: string;
  path: string;
}

const memberOf = (f: FiledFile): string => JSON.stringify([f.id, f.tenant, f.userId, f.area, f.path]);
const pathKey = (f: FiledFile): string => scopedKey(f.tenant, f.userId, f.area, f.path);

function filedOf(member: string): FiledFile | undefined {
  try {
    const parts = JSON.parse(member) as unknown[];
    if (Array.isArray(parts) && parts.length === 5 && parts.every((v) => typeof v === 'string')) {
      const [id, tenant, userId, area, path] = parts as string[];
      return { id: id!, tenant: tenant!, userId: userId!, area: area!, path: path! };
    }
  } catch {
    // Not one of ours: dropped by the caller.
  }
  return undefined;
}

/** A file found unexpired past its filed deadline is looked at again this much later. */
const RECHECK_MS = 60_000;

/**
 * Uploads' records and their retention. A record expires `retentionSeconds`
 * after the upload (the store's own expiry: it reads as gone exactly then);
 * `sweep` then removes its bytes, and folders the upload made that are left
 * empty, so folder listings shrink with it. 0 keeps uploads until their
 * owner is removed.
 */
export class WorkspaceFiles {
  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
    private readonly retentionSeconds: number,
  ) {}

  /** Records a stored upload of `area`, with its expiry. */
  async keep(file: StoredFile, area: string): Promise<void> {
    const filed = { ...file, area };
    const expiry = this.retentionSeconds > 0 ? { ttlSeconds: this.retentionSeconds } : {};
    await this.store.indexAdd(filesOf(file.tenant, file.userId), memberOf(filed), file.createdAt);
    await this.store.put(FILE, file.id, file, expiry);
    if (this.retentionSeconds === 0) return;
    await this.store.put(FILE_AT, pathKey(filed), file.id, expiry);
    // By the clock the store's expiry runs on.
    await this.store.indexAdd(FILES_EXPIRING, memberOf(filed), Date.now() + this.retentionSeconds * 1000);
  }

  /** Removes the bytes and listings of uploads whose records expired. Returns how many. */
  async sweep(now = Date.now(), limit = 500): Promise<number> {
    let removed = 0;
    for (const member of await this.store.indexUpTo(FILES_EXPIRING, now, limit)) {
      const filed = filedOf(member);
      if (filed && (await this.store.get(FILE, filed.id))) {
        await this.store.indexAdd(FILES_EXPIRING, member, now + RECHECK_MS);
        continue;
      }
      if (filed) {
        const holder = (await this.store.get<string>(FILE_AT, pathKey(filed)))?.value;
        // Absent: the path's latest upload expired too (this one, or a later one whose sweep also comes).
        if (holder === undefined || holder === filed.id) await this.removeBytes(filed);
        await this.store.indexRemove(filesOf(filed.tenant, filed.userId), member);
        removed++;
      }
      await this.store.indexRemove(FILES_EXPIRING, member);
    }
    return removed;
  }

  /** Removes every upload of a removed user: records, listings and the user's folder with all it holds. */
  async removeAllOf(tenant: string, userId: string): Promise<void> {
    for (const member of await allMembers(this.store, filesOf(tenant, userId))) {
      const filed = filedOf(member);
      if (filed) {
        await this.store.delete(FILE, filed.id);
        await this.store.delete(FILE_AT, pathKey(filed));
      }
      await this.store.indexRemove(FILES_EXPIRING, member);
      await this.store.indexRemove(filesOf(tenant, userId), member);
    }
    await rm(userDir(this.dataDir, tenant, userId), { recursive: true, force: true });
  }

  /**
   * Removes a folder of an area with everything in it, and the records of
   * the uploads it held (a conversation's attachments, when it is deleted).
   * Goes through the owner's listing: one pass over their uploads.
   */
  async removeFolder(tenant: string, userId: string, area: string, dir: string): Promise<void> {
    const root = join(userDir(this.dataDir, tenant, userId), area);
    const folder = join(root, dir);
    assertInside(root, folder);
    if (folder === root) throw new Error('removeFolder needs a folder inside the area');
    for (const member of await allMembers(this.store, filesOf(tenant, userId))) {
      const filed = filedOf(member);
      if (!filed || filed.area !== area || !filed.path.startsWith(`${dir}/`)) continue;
      await this.store.delete(FILE, filed.id);
      await this.store.delete(FILE_AT, pathKey(filed));
      await this.store.indexRemove(FILES_EXPIRING, member);
      await this.store.indexRemove(filesOf(tenant, userId), member);
    }
    await rm(folder, { recursive: true, force: true });
  }

  /** The upload's file, and then each folder above it inside its area that is left empty. */
  private async removeBytes(f: FiledFile): Promise<void> {
    const root = join(userDir(this.dataDir, f.tenant, f.userId), f.area);
    let full = join(root, f.path);
    // The path was made inside the root when the upload was stored; checked again as it is about to be removed.
    assertInside(root, full);
    // Gone already, or something else now (a folder made there since): nothing of this upload's is left to remove.
    if (!(await removed(unlink(full)))) return;
    for (full = dirname(full); full !== root && full.startsWith(root); full = dirname(full)) {
      if (!(await removed(rmdir(full)))) return;
    }
  }
}

/** What leaves a path as it is: already gone, not a file (unlink), not empty (rmdir). */
const LEFT_AS_IS = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EPERM', 'ENOTEMPTY', 'EEXIST']);

/** True once `removal` removed its path; false when the path was left as it is for one of those reasons. */
async function removed(removal: Promise<void>): Promise<boolean> {
  try {
    await removal;
    return true;
  } catch (err) {
    if (LEFT_AS_IS.has((err as NodeJS.ErrnoException).code ?? '')) return false;
    throw err;
  }
}
