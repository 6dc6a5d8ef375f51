import { EngineError, clip, conflict, invalid, notFound } from './errors.js';

/**
 * What the workspace was doing when the file system refused: `read` covers
 * every look-up (resolve, stat, list, open, walk), `write` every change
 * (making the upload's folder, creating its temporary file, moving it into
 * place).
 */
export type FsIntent = 'read' | 'write';

/**
 * The one place a node fs error becomes an engine error. The codes here are
 * the ones a client can cause with the paths it sends or by racing its own
 * requests; anything else (EACCES, ENOSPC, EIO, EMFILE, ELOOP...) is our bug
 * or disk trouble and is returned unchanged, so it stays a 500 with its
 * stack in the log.
 *
 * | code         | read                          | write                                   |
 * |--------------|-------------------------------|-----------------------------------------|
 * | ENOENT       | not_found                     | conflict (the folder changed meanwhile) |
 * | ENOTDIR      | not_found (path through file) | conflict (a file is in the way)         |
 * | EISDIR       | invalid_argument (a folder)   | conflict (a folder has that name)       |
 * | EEXIST       | conflict                      | conflict (a file is in the way)         |
 * | ENOTEMPTY    | conflict                      | conflict (a folder has that name)       |
 * | ENAMETOOLONG | invalid_argument (too long)   | invalid_argument (too long)             |
 *
 * A path through a file (`d1/x.txt/y`) names nothing, exactly like
 * `d1/missing/y`, so a read answers 404 as for any missing path: the request
 * is well formed and would succeed were `d1/x.txt` a folder. A write along
 * such a path clashes with what is there, hence 409. Messages quote at most
 * a short prefix of the client's path. Names and paths longer than the
 * usual limits are refused before the file system is asked
 * (`assertFits`, same answer), so an upload into `new/<300 chars>` leaves
 * no `new/` behind; ENAMETOOLONG here covers file systems with smaller limits.
 */
export function fsError(err: unknown, intent: FsIntent, clientPath: string, what: 'file' | 'folder' = 'file'): unknown {
  if (err instanceof EngineError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const shown = clip(clientPath);
  switch (code) {
    case 'ENAMETOOLONG':
      return invalid('path too long', { field: 'path' });
    case 'ENOENT':
      return intent === 'read' ? notFound(what, shown) : conflict(`the folder of "${shown}" changed during the upload, try again`, { path: shown, reason: 'changed' });
    case 'ENOTDIR':
      return intent === 'read' ? notFound(what, shown) : fileInTheWay(clientPath);
    case 'EISDIR':
      return intent === 'read' ? invalid('path is a folder', { field: 'path' }) : folderInTheWay(clientPath);
    case 'EEXIST':
      return fileInTheWay(clientPath);
    case 'ENOTEMPTY':
      return folderInTheWay(clientPath);
    default:
      return err;
  }
}

/** 409: a file stands where the path needs a folder (`a/b.txt` uploaded while `a` is a file). */
export function fileInTheWay(clientPath: string): EngineError {
  const shown = clip(clientPath);
  return conflict(`a file is in the way of "${shown}"`, { path: shown, reason: 'file_in_the_way' });
}

/** 409: a folder has the name a file should take (`a` uploaded while `a` is a folder). */
export function folderInTheWay(clientPath: string): EngineError {
  const shown = clip(clientPath);
  return conflict(`a folder named "${shown}" already exists`, { path: shown, reason: 'folder_in_the_way' });
}

/** A `.catch` handler: throws `fsError(err, ...)`. */
export function rethrowFs(intent: FsIntent, clientPath: string, what?: 'file' | 'folder'): (err: unknown) => never {
  return (err) => {
    throw fsError(err, intent, clientPath, what);
  };
}

/** True for the codes saying a path is not (or no longer) there as the caller expected. */
export function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
