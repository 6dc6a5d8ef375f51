import type Koa from 'koa';
import { invalid } from '../../engine/errors.js';

/**
 * Reading client input field by field. Every refusal is a 400 that names the
 * field, so a client sees which part of its request to fix.
 */
export type Fields = Record<string, unknown>;

/** The JSON body as an object; anything else (an array, a bare string) is refused. */
export function objectBody(ctx: Koa.Context): Fields {
  const body: unknown = ctx.request.body;
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('the request body must be a JSON object');
  return body as Fields;
}

// Control characters never belong in an identifier; they only hide differences.
// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A required identifier-like string of `min`–`max` characters, without control characters. */
export function requiredText(fields: Fields, name: string, min = 1, max = 128): string {
  const value = fields[name];
  if (value === undefined || value === null) throw invalid(`${name} is required`, { field: name });
  if (typeof value !== 'string') throw invalid(`${name} must be a string`, { field: name });
  const length = [...value].length;
  if (length < min || length > max || !value.trim() || CONTROL.test(value)) {
    throw invalid(`${name} must be ${min}-${max} characters without control characters`, { field: name });
  }
  return value;
}

/** An optional string; `null` counts as absent. */
export function optionalString(fields: Fields, name: string, max = 100_000): string | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${name} must be a string`, { field: name });
  if (value.length > max) throw invalid(`${name} must be at most ${max} characters`, { field: name });
  return value;
}

/** An optional integer in [min, max]; digit strings are accepted as numbers. */
export function optionalInteger(fields: Fields, name: string, fallback: number, min: number, max: number): number {
  const raw = fields[name];
  if (raw === undefined || raw === null) return fallback;
  const value = typeof raw === 'string' && /^-?\d{1,15}$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(`${name} must be an integer`, { field: name });
  if (value < min || value > max) throw invalid(`${name} must be between ${min} and ${max}`, { field: name });
  return value;
}

/** An optional boolean; `null` counts as absent. */
export function optionalBoolean(fields: Fields, name: string, label = name): boolean | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(`${label} must be true or false`, { field: label });
  return value;
}

/** An optional JSON object; `null` counts as absent. */
export function optionalObject(fields: Fields, name: string): Fields | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`${name} must be a JSON object`, { field: name });
  return value as Fields;
}

/** An optional list of non-empty strings; `null` counts as absent. */
export function optionalStringList(fields: Fields, name: string, maxItems = 100): string[] | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || !item)) {
    throw invalid(`${name} must be a list of non-empty strings`, { field: name });
  }
  if (value.length > maxItems) throw invalid(`${name} holds more than ${maxItems} items`, { field: name });
  return value as string[];
}
