import { rm } from 'node:fs/promises';
import type Koa from 'koa';

/** A query parameter as one string (the first, when repeated); `undefined` when absent. */
export function queryParam(ctx: Koa.Context, name: string): string | undefined {
  const raw = ctx.query[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' ? value : undefined;
}

/** A path parameter of the matched route (`/tasks/{task_id}`); '' when the route has none of that name. */
export function pathParam(ctx: Koa.Context, name: string): string {
  const params = (ctx as Koa.Context & { params?: Record<string, string> }).params;
  return params?.[name] ?? '';
}

/**
 * Deletes the temporary files the body parser spooled for a multipart
 * request. The body is parsed before any handler (and so before any
 * credential check), so this runs for every request, whatever its outcome:
 * a refused caller or a bad request leaves nothing on disk.
 */
export async function removeSpooledUploads(ctx: Koa.Context): Promise<void> {
  const files = ctx.request.files;
  if (!files) return;
  for (const entry of Object.values(files)) {
    for (const file of Array.isArray(entry) ? entry : [entry]) {
      if (file?.filepath) await rm(file.filepath, { force: true }).catch(() => undefined);
    }
  }
}
