/**
 * Pulls a human-readable message out of whatever a model server sent as an
 * error: `{"error": {"message"}}` (OpenAI), `{"error": "text"}`,
 * `{"object": "error", "message"}` (vLLM), `{"detail"}` (FastAPI servers),
 * `{"base_resp": {"status_msg"}}` (MiniMax), or plain text.
 */
const MAX_LENGTH = 500;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_LENGTH ? `${flat.slice(0, MAX_LENGTH)}…` : flat;
}

/** The message inside a parsed error object, if it has one. */
export function errorMessageOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() ? clip(value) : undefined;
  if (!isObject(value)) return undefined;
  if (value.error !== undefined && value.error !== null) {
    return errorMessageOf(value.error) ?? clip(JSON.stringify(value.error));
  }
  for (const key of ['message', 'detail', 'msg']) {
    const found = errorMessageOf(value[key]);
    if (found) return found;
  }
  if (isObject(value.base_resp)) return errorMessageOf(value.base_resp.status_msg);
  return undefined;
}

/** The message of an error response body (JSON or text); a generic one when the body says nothing. */
export function errorMessageOfBody(body: string): string {
  try {
    return errorMessageOf(JSON.parse(body)) ?? (clip(body) || 'no details given');
  } catch {
    return clip(body) || 'no details given';
  }
}

/**
 * An error a server reported inside a 200 stream chunk, or undefined when the
 * chunk is a normal one. `finish_reason: "error"` is handled by the caller.
 */
export function streamErrorOf(chunk: Record<string, unknown>): string | undefined {
  if (chunk.error !== undefined && chunk.error !== null) return errorMessageOf(chunk) ?? 'the model server reported an error';
  if (chunk.object === 'error') return errorMessageOf(chunk.message) ?? 'the model server reported an error';
  const base = chunk.base_resp;
  if (isObject(base) && typeof base.status_code === 'number' && base.status_code !== 0) {
    return errorMessageOf(base.status_msg) ?? `the model server reported error ${base.status_code}`;
  }
  return undefined;
}
