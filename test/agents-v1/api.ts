import { assertDocumented, documentedTypes } from './openapi.js';

export const ALICE = 'demo-token-alice';
export const BOB = 'demo-token-bob';

export interface Reply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever the API sent
  body: any;
  bytes: Buffer;
}

export interface CallOptions {
  /** Bearer token; `null` sends no Authorization header. */
  token?: string | null;
  json?: unknown;
  /** A raw body (sent with `contentType`). */
  raw?: string;
  contentType?: string;
  form?: FormData;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

/**
 * One HTTP call to the gateway, as a client makes it. Every JSON answer is
 * checked against the OpenAPI document (the schema of its status), every
 * binary one against the media types the document allows, so no test can
 * pass on a body a real client could not read.
 */
export async function call(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const url = new URL(baseUrl + path);
  for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? ALICE : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | FormData | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.raw !== undefined) {
    headers['content-type'] = options.contentType ?? 'text/plain';
    body = options.raw;
  } else if (options.form) body = options.form;
  const response = await fetch(url, { method, headers, body });
  const bytes = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  let parsed: unknown;
  if (type.startsWith('application/json')) {
    parsed = JSON.parse(bytes.toString('utf8'));
    assertDocumented(method, path, response.status, parsed);
  } else {
    const allowed = documentedTypes(method, path, response.status);
    if (!allowed.some((t) => type.startsWith(t))) throw new Error(`${method} ${path} → ${response.status} ${type}: not a documented media type (${allowed.join(', ')})`);
  }
  return { status: response.status, headers: response.headers, body: parsed, bytes };
}

/** A client bound to one gateway and token. */
export function client(baseUrl: string, token: string | null = ALICE) {
  return {
    get: (path: string, options: CallOptions = {}) => call(baseUrl, 'GET', path, { token, ...options }),
    post: (path: string, options: CallOptions = {}) => call(baseUrl, 'POST', path, { token, ...options }),
  };
}

export type Client = ReturnType<typeof client>;
