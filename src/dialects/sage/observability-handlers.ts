import type Koa from 'koa';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam, queryParam } from '../../http/request-params.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';

/**
 * `/api/observability/jaeger*`: a gate in front of the trace UI. Admins are
 * sent on to `jaeger_url` (the path rest and query kept); anyone else is
 * refused (401 before this by the route's auth, 403 here); without a
 * configured Jaeger the routes say so with a 404.
 */
export function observabilityHandlers(c: SageContext): Record<string, Handler> {
  const gate = (admin: boolean): string => {
    if (!admin) throw sageError('forbidden', { 'zh-CN': '权限不足', en: 'Permission denied' });
    const base = c.options.jaeger_url;
    if (!base) throw sageError('not_found', { 'zh-CN': '未配置 Jaeger（jaeger_url）', en: 'Jaeger is not configured (jaeger_url)' });
    return base.replace(/\/+$/, '');
  };
  const redirect = (ctx: Koa.Context, url: string, status: 302 | 307) => {
    ctx.redirect(url);
    ctx.status = status;
    return undefined;
  };
  const forward = asUser(async (ctx, principal) => {
    const base = gate(principal.admin);
    const rest = restOf(pathParam(ctx, 'full_path'));
    const query = ctx.querystring ? `?${ctx.querystring}` : '';
    return redirect(ctx, `${base}/${rest}${query}`, 307);
  });
  return {
    jaegerLogin: asUser(async (ctx, principal) => {
      const base = gate(principal.admin);
      // `next` is a path inside Jaeger; anything else (another host) is ignored.
      const next = queryParam(ctx, 'next') ?? '';
      const path = next.startsWith('/') && !next.startsWith('//') ? next : '/';
      return redirect(ctx, `${base}${path}`, 302);
    }),
    jaegerAuth: asUser(async (ctx, principal) => {
      gate(principal.admin);
      ctx.status = 204;
      return undefined;
    }),
    jaegerRoot: asUser(async (ctx, principal) => redirect(ctx, `${gate(principal.admin)}/`, 307)),
    jaegerPathGet: forward,
    jaegerPathPost: forward,
    jaegerPathPut: forward,
    jaegerPathPatch: forward,
    jaegerPathDelete: forward,
  };
}

/** The wildcard's rest of the path, each segment encoded again (no `..` climbing out of Jaeger's base). */
function restOf(raw: string | string[]): string {
  const parts = (Array.isArray(raw) ? raw : String(raw).split('/')).filter((p) => p !== '' && p !== '.' && p !== '..');
  return parts.map(encodeURIComponent).join('/');
}
