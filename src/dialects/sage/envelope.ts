import type Koa from 'koa';
import type { RouteSpec } from '../../http/dialect.js';

/** Routes whose success body has no `success` field: the API's auth (and its /api/user aliases) and knowledge-base routers. */
const WITHOUT_SUCCESS =
  /^\/api\/(auth|knowledge-base)\/|^\/api\/user\/(register|login|logout|auth-providers|oauth|check_login)(\/|$)/;

/** Seconds as a float, as the API's `timestamp` fields are. */
export const sageTimestamp = (): number => Date.now() / 1000;

/** `{success: true, code: 200, message: "success", data, timestamp}` (BaseResponse). */
export function sageEnvelope(data: unknown, ctx: Koa.Context): unknown {
  const route = ctx.state.route as RouteSpec | undefined;
  const body = { code: 200, message: 'success', data, timestamp: sageTimestamp() };
  return route && WITHOUT_SUCCESS.test(route.path) ? body : { success: true, ...body };
}
