// Building the HTTP request of a step: interpolation, URL joining, and the body
// (JSON, raw text or multipart). Redirects are not followed: a contract checks
// what the server itself answers, 3xx included.

import { interpolateString, interpolateValue } from './interpolate.js';
import type { MultipartFile, RequestSpec, Vars } from './types.js';

export interface BuiltRequest {
  method: string;
  url: string;
  init: RequestInit;
}

/** Joins a step path to the base URL, keeping any path prefix of the base. */
export function joinUrl(baseUrl: string, target: string): URL {
  if (/^https?:\/\//i.test(target)) return new URL(target);
  const base = baseUrl.replace(/\/+$/, '');
  return new URL(`${base}${target.startsWith('/') ? '' : '/'}${target}`);
}

function isFile(value: unknown): value is MultipartFile {
  return typeof value === 'object' && value !== null && 'filename' in value;
}

/** Interpolates the request spec with the current variables (throws UnknownVariableError). */
export function buildRequest(spec: RequestSpec, vars: Vars, baseUrl: string): BuiltRequest {
  const url = joinUrl(baseUrl, interpolateString(spec.path, vars));
  for (const [key, value] of Object.entries(spec.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      url.searchParams.append(key, interpolateString(String(item), vars));
    }
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(spec.headers ?? {})) headers.set(name, interpolateString(value, vars));

  let body: RequestInit['body'];
  if (spec.json !== undefined) {
    body = JSON.stringify(interpolateValue(spec.json, vars));
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else if (spec.body !== undefined) {
    body = interpolateString(spec.body, vars);
  } else if (spec.multipart !== undefined) {
    const form = new FormData();
    for (const [field, value] of Object.entries(spec.multipart)) {
      if (!isFile(value)) {
        form.append(field, interpolateString(String(value), vars));
        continue;
      }
      const bytes = value.content_base64 !== undefined
        ? new Uint8Array(Buffer.from(value.content_base64, 'base64'))
        : interpolateString(value.content ?? '', vars);
      const type = value.content_type ?? 'application/octet-stream';
      form.append(field, new Blob([bytes], { type }), value.filename);
    }
    // fetch writes the multipart content type with its boundary itself
    headers.delete('content-type');
    body = form;
  }
  return { method: spec.method, url: url.toString(), init: { method: spec.method, headers, body, redirect: 'manual' } };
}
