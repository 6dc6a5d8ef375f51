import { mkdir, realpath, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Config } from '../config/types.js';

/**
 * The folders agents' work folders may live in: `<data_dir>/workers` (where
 * an agent gets one of its own by default) and the configured
 * `engine.work_dir_roots`. A folder is inside a root when its real path is
 * (links followed, for the part that exists), so a link out of a root is
 * not inside it; a root itself is never an agent's folder.
 */
export class WorkDirs {
  readonly roots: readonly string[];

  constructor(config: Config) {
    this.roots = [resolve(config.store.data_dir, 'workers'), ...config.engine.work_dir_roots.map((root) => resolve(root))];
  }

  /** The folder an agent gets when nobody names one: `<data_dir>/workers/<tenant>/<agent>`. */
  defaultFor(tenant: string, agentId: string): string {
    return join(this.roots[0]!, segment(tenant), segment(agentId));
  }

  /** Whether `path` (absolute) lies strictly inside one of the roots. */
  async contains(path: string): Promise<boolean> {
    if (!isAbsolute(path) || path.includes('\0')) return false;
    const real = await realOfExisting(resolve(path));
    for (const root of this.roots) {
      const rel = relative(await realOfExisting(root), real);
      if (rel && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel)) return true;
    }
    return false;
  }

  /** Creates the folder (and its parents). */
  async ensure(path: string): Promise<void> {
    await mkdir(path, { recursive: true });
  }

  /** Removes the folder with everything in it, only when it lies inside a root; answers whether it did. */
  async remove(path: string): Promise<boolean> {
    if (!(await this.contains(path))) return false;
    await rm(path, { recursive: true, force: true });
    return true;
  }
}

/** A tenant code or agent id as one path segment: `.` and `..` would name another folder. */
function segment(name: string): string {
  return name === '.' || name === '..' ? `_${name}` : name;
}

/** The real path of `path`, or of its deepest existing ancestor with the rest appended. */
async function realOfExisting(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return join(await realOfExisting(parent), path.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
  }
}
