import type Koa from 'koa';
import { sageError } from './i18n.js';

/** The JSON object a route was sent; anything else (an array, a string, nothing) is a 400. */
export function sageBody(ctx: Koa.Context): Record<string, unknown> {
  const body: unknown = ctx.request.body;
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw sageError('invalid_argument', { 'zh-CN': '请求体必须是 JSON 对象', en: 'The request body must be a JSON object' });
  }
  return body as Record<string, unknown>;
}

/** An optional string field: absent (or null) is `undefined`, another type a 400. */
export function optionalText(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw sageError('invalid_argument', { 'zh-CN': `${field} 必须是字符串`, en: `${field} must be a string` }, { field });
  }
  return value;
}

/** A required, non-blank string field. */
export function requiredText(body: Record<string, unknown>, field: string): string {
  const value = optionalText(body, field);
  if (value === undefined || value.trim() === '') {
    throw sageError('invalid_argument', { 'zh-CN': `缺少 ${field}`, en: `${field} is required` }, { field });
  }
  return value;
}
