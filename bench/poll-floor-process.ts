import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { serveAsChild } from './server-child.js';

/**
 * Child process: the floor of the authenticated poll. A bare Koa 3 +
 * @koa/router app doing what the poll must do at the least: hash the bearer
 * token (tokens are kept hashed), find its user and the task in Maps, check
 * the owner, and answer the same body (the gateway's own answer, fetched
 * once), which Koa JSON-encodes per request as it would any body.
 */

export type PollFloorRequest = { cmd: 'load'; token: string; user: string; taskId: string; body: unknown };

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

serveAsChild(async () => {
  const users = new Map<string, string>();
  const tasks = new Map<string, { owner: string; body: unknown }>();
  const router = new Router();
  router.get('/api/v1/tasks/:task_id', (ctx) => {
    const token = /^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1];
    const user = token === undefined ? undefined : users.get(sha256(token));
    if (!user) {
      ctx.status = 401;
      ctx.body = { success: false, error: 'unauthorized' };
      return;
    }
    const task = tasks.get(ctx.params.task_id ?? '');
    const from = Number(ctx.query.from ?? 0);
    if (!task || task.owner !== user || !Number.isInteger(from)) {
      ctx.status = 404;
      ctx.body = { success: false, error: 'not found' };
      return;
    }
    ctx.body = task.body;
  });
  const app = new Koa();
  app.silent = true;
  app.use(router.routes());
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async handle(request) {
      const load = request as PollFloorRequest;
      users.set(sha256(load.token), load.user);
      tasks.set(load.taskId, { owner: load.user, body: load.body });
      return null;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
