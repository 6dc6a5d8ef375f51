import type Koa from 'koa';
import type { Engine } from '../../engine/engine.js';
import { forbidden, notFound } from '../../engine/errors.js';
import type { Principal } from '../../engine/records.js';
import { queryParam } from '../../http/request-params.js';

/**
 * Whose conversations a list or delete acts on: the caller's own, or, for an
 * admin, those of the user named by `?user_id=` (the document's list
 * parameter; the UI's "a non-admin may delete only their own"). A non-admin
 * naming anyone else is refused; an unknown user is "not found". The
 * principal returned for another user carries that user's identity without
 * admin rights, since conversations are reached by their owner alone.
 */
export async function conversationOwner(engine: Engine, ctx: Koa.Context, caller: Principal): Promise<Principal> {
  const userId = queryParam(ctx, 'user_id')?.trim();
  if (!userId || userId === caller.userId) return caller;
  if (!caller.admin) throw forbidden("only an admin may act on another user's conversations");
  const user = await engine.directory.getUser(caller.tenant, userId);
  if (!user) throw notFound('user', userId);
  return { tenant: user.tenant, userId: user.id, username: user.username, admin: false, via: 'system' };
}
