import type Koa from 'koa';
import { invalid } from '../../engine/errors.js';

/** The JSON object a route was sent; anything else (an array, a string, nothing) is a 400. */
export function bodyObject(ctx: Koa.Context): Record<string, unknown> {
  const body: unknown = ctx.request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('invalid request body');
  return body as Record<string, unknown>;
}

/** An optional string field: absent (or null) is `undefined`, another type a 400. */
export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${field} must be a string`, { field });
  return value;
}

/** A required, non-blank string field. */
export function requiredString(body: Record<string, unknown>, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined || value.trim() === '') throw invalid(`${field} is required`, { field });
  return value;
}
