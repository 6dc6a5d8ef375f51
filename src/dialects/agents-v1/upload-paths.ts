/**
 * Paths in this API are relative to the caller's `user_upload` folder. Older
 * clients (and message `images`, which the document calls "relative to the
 * project root") write them with the folder's own name in front,
 * `user_upload/inputs/a.png`: that prefix names the root itself and is
 * dropped. Everything else (`..`, absolute, encoded or symlinked escapes) is
 * judged by the workspace, which refuses any path leaving the root.
 */
export const UPLOAD_AREA = 'user_upload';

export function uploadPath(raw: string): string {
  const path = raw.trim();
  if (path === UPLOAD_AREA || path === `${UPLOAD_AREA}/`) return '';
  return path.startsWith(`${UPLOAD_AREA}/`) ? path.slice(UPLOAD_AREA.length + 1) : path;
}
