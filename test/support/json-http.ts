/** One reply as a JSON API's test client reads it: the body parsed when it is JSON, the text always. */
export interface JsonReply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever the API sent
  body: any;
  text: string;
}

/** What a test call sends beyond method and path. */
export interface JsonRequest {
  json?: unknown;
  form?: FormData;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

/** The URL and fetch options of a call: query parameters, extra headers, a JSON or multipart body. */
export function requestOf(url: string, method: string, request: JsonRequest, headers: Record<string, string>): [URL, RequestInit] {
  const target = new URL(url);
  for (const [name, value] of Object.entries(request.query ?? {})) target.searchParams.set(name, value);
  const sent: Record<string, string> = { ...request.headers, ...headers };
  let body: string | FormData | undefined;
  if (request.json !== undefined) {
    sent['content-type'] = 'application/json';
    body = JSON.stringify(request.json);
  } else if (request.form) body = request.form;
  return [target, { method, headers: sent, body }];
}

/** Reads a whole response: JSON bodies parsed, any body kept as text. */
export async function replyOf(response: Response): Promise<JsonReply> {
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, headers: response.headers, body: type.includes('json') ? JSON.parse(text) : undefined, text };
}
